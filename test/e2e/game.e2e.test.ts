// Issue 13, the game by hand, in a real VS Code (code-server, Debian's Chromium), with the working
// tree's build installed unpacked:
//   1  F1 → "GAN: Train GAN" on the ring workspace; the dashboard opens;
//   2  the dashboard's Pause: the toolbar says "Paused at step N" and the step stays there;
//   3  D step, D step, G step from the toolbar: after each the 2-D view redraws (its pixels
//      change); the trainer's pictures (samples/step-N-m<seq>.json) show that a D step moved D's
//      heatmap and left the generated points where they were, and a G step moved the points and
//      left the heatmap;
//   4  a learning-rate edit in Live edits: it is in events.jsonl (step, pointer, old, new, source
//      dashboard) and the toolbar names it;
//   5  Continue from the status bar's button: the run trains on, past its first checkpoint;
//   6  Fork from a checkpoint in the dashboard with another D learning rate: the fork trains, its
//      events.jsonl holds the edit (source fork), its dashboard says whose fork it is, and
//      "Compare with parent" opens the overlay; both runs are stopped.
// Screenshots of each stage go to .test-artifacts/e2e/game/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Frame } from 'playwright-core';
import { listRuns, readEvents, readRunInfo, readSamples } from '../../src/runDir/runReader';
import type { SamplePoints2D } from '../../src/protocol/runFormat';
import { findWebviewFrame, installUnpacked, openFile, poll, runCommand, tryCommand } from './codeServer';
import { runScenario } from './stages';
import { copyWorkspace, runsDir, waitForRun } from './trainScenario';

const SCENARIO_BUDGET_MS = 5 * 60_000;

/** A fingerprint of the 2-D view's canvas: a hash of its pixels, and its data-step. */
async function plotPixels(frame: Frame): Promise<{ hash: number; inked: number; step: string }> {
  return frame.evaluate(() => {
    // The root tsconfig has no DOM lib (this file runs in Node).
    const doc = (globalThis as unknown as { document: any }).document;
    const c = doc.querySelector('#samples canvas.points-canvas');
    if (!c || c.width === 0) return { hash: 0, inked: 0, step: '' };
    const px: Uint8ClampedArray = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let hash = 2166136261;
    let inked = 0;
    for (let i = 0; i < px.length; i++) {
      hash = Math.imul(hash ^ px[i], 16777619) >>> 0;
      if (i % 4 === 3 && px[i] !== 0) inked++;
    }
    return { hash, inked, step: String(c.dataset.step ?? '') };
  });
}

function picture(runDir: string, seq: number): SamplePoints2D {
  const record = readSamples(runDir).find((s) => s.manual === seq);
  assert.ok(record, `samples.jsonl has the picture of manual step ${seq}`);
  return JSON.parse(readFileSync(join(runDir, record.file), 'utf8')) as SamplePoints2D;
}

test('GAN Studio e2e: pause a ring run, D step moves D and not the points, G step moves the points, an edit is recorded (code-server)', { timeout: 25 * 60_000 }, async (t) => {
  await runScenario(t, { name: 'game', file: 'test/e2e/game.e2e.test.ts', budgetMs: SCENARIO_BUDGET_MS }, async ({ root, stages, workspace, userDataDir, extensionsDir }) => {
    installUnpacked(root, extensionsDir);
    copyWorkspace(root, workspace, 'e2e-workspace');
    const p = await stages.openWorkbench({ workspace, extensionsDir, userDataDir });

    const started = await stages.run('1 F1 → GAN: Train GAN', 90_000, async () => {
      await openFile(p, 'gan.json', 60_000);
      await tryCommand(p, 'View: Close Primary Side Bar');
      await runCommand(p, 'GAN: Train GAN');
      return waitForRun(workspace, 'status running past step 100', 80_000, (i) => i.status === 'running' && i.step > 100);
    });
    const runDir = started.dir;
    const dash = await findWebviewFrame(p, '#game-pause', 60_000);

    const pausedAt = await stages.run('2 Pause in the dashboard', 60_000, async () => {
      await dash.locator('#game-pause').click();
      let text = '';
      await poll('the toolbar says paused', 30_000, async () => {
        text = ((await dash.locator('#game-state').textContent()) ?? '').trim();
        return /^Paused at step \d+/.test(text);
      });
      const step = Number(/step (\d+)/.exec(text)![1]);
      // Paused means paused: the run stays at that step.
      await new Promise((r) => setTimeout(r, 3_000));
      assert.equal(readRunInfo(runDir).step, step, 'run.json moved on while paused');
      assert.ok(readEvents(runDir).some((e) => e.kind === 'pause' && e.source === 'dashboard' && e.step === step));
      stages.say(`paused at step ${step}`);
      await stages.shot('paused');
      return step;
    });

    await stages.run('3 D step, D step, G step', 90_000, async () => {
      const seqs: number[] = [];
      for (const [id, kind] of [['#game-dstep', 'dStep'], ['#game-dstep', 'dStep'], ['#game-gstep', 'gStep']] as const) {
        const before = await plotPixels(dash);
        const count = readEvents(runDir).length;
        await dash.locator(id).click();
        await poll(`the ${kind} event`, 30_000, () => Promise.resolve(readEvents(runDir).length > count));
        const e = readEvents(runDir).at(-1)!;
        assert.equal(e.kind, kind);
        assert.equal(e.step, pausedAt, 'a manual D or G step does not advance the step');
        seqs.push(e.seq);
        await poll(`the 2-D view redraws after the ${kind}`, 30_000, async () => (await plotPixels(dash)).hash !== before.hash);
        const after = await plotPixels(dash);
        assert.ok(after.inked > 5_000, `the 2-D view is drawn (${after.inked} px)`);
      }
      const [d1, d2, g] = seqs.map((s) => picture(runDir, s));
      assert.deepEqual(d2.fake, d1.fake, 'a D step moved the generated points');
      assert.notDeepEqual(d2.heatmap.values, d1.heatmap.values, "a D step left D's heatmap as it was");
      assert.deepEqual(g.heatmap.values, d2.heatmap.values, "a G step changed D's heatmap");
      assert.notDeepEqual(g.fake, d2.fake, 'a G step left the points where they were');
      assert.equal(g.push?.length, g.fake.length, 'the picture has a push arrow per point');
      await stages.shot('after-d-d-g');
    });

    await stages.run('4 a learning-rate edit in Live edits', 60_000, async () => {
      await dash.locator('#game-edits summary').click();
      const field = dash.locator('#edit-discriminatorOptimizer-learningRate');
      await field.fill('0.0004');
      await field.press('Enter');
      await poll('the edit in events.jsonl', 30_000, () => Promise.resolve(readEvents(runDir).some((e) => e.kind === 'edit')));
      const e = readEvents(runDir).find((x) => x.kind === 'edit')!;
      assert.ok(e.kind === 'edit' && e.pointer === '/training/discriminatorOptimizer/learningRate' && e.old === 0.001 && e.value === 0.0004 && e.source === 'dashboard' && e.step === pausedAt, JSON.stringify(e));
      await poll('the toolbar names the edit', 20_000, async () => /discriminatorOptimizer\/learningRate/.test((await dash.locator('#game-last').textContent()) ?? ''));
      await stages.shot('edited');
    });

    await stages.run('5 Continue from the status bar, past the first checkpoint', 90_000, async () => {
      await p.locator('.statusbar-item .codicon-debug-continue').first().click();
      await waitForRun(workspace, 'the checkpoint at step 500', 80_000, (i) => i.checkpointStep >= 500);
      assert.ok(readEvents(runDir).some((e) => e.kind === 'continue' && e.source === 'command'), 'the status bar continued the run');
      await poll('the toolbar says training', 20_000, async () => /^Training, step/.test(((await dash.locator('#game-state').textContent()) ?? '').trim()));
    });

    await stages.run('6 fork from the dashboard with another D learning rate; its dashboard compares with the parent', 120_000, async () => {
      await dash.locator('#game-fork summary').click();
      await dash.locator('#fork-discriminatorOptimizer-learningRate').fill('0.0002');
      await dash.locator('#fork-button').click();
      const fork = await poll('the fork trains', 60_000, () => {
        const f = listRuns(runsDir(workspace)).find((r) => r.info.parent?.runDir === runDir);
        return f && f.info.status === 'running' && f.info.step > f.info.parent!.step ? f : undefined;
      });
      stages.say(`fork ${fork.info.id} of ${fork.info.parent!.runId} at step ${fork.info.parent!.step}`);
      const fe = readEvents(fork.dir);
      assert.ok(fe.length === 1 && fe[0].kind === 'edit' && fe[0].source === 'fork' && fe[0].value === 0.0002, JSON.stringify(fe));
      const forkDash = await findWebviewFrame(p, '#lineage:not([hidden])', 60_000);
      assert.match((await forkDash.locator('#lineage').textContent()) ?? '', new RegExp(`Fork of ${fork.info.parent!.runId} at step`));
      await forkDash.locator('#compare-parent').click();
      await p.locator('.tabs-container .tab', { hasText: 'GAN Compare' }).first().waitFor({ state: 'visible', timeout: 30_000 });
      // The overlay holds both runs: one cell per run in its sample strip.
      const compare = await findWebviewFrame(p, '.dashboard.compare .compare-strip .compare-cell', 60_000);
      await poll('both runs in the compare panel', 20_000, async () => (await compare.locator('.compare-strip .compare-cell').count()) === 2);
      await stages.shot('fork-compare');
      // Two trainings: "Stop Training" asks which; the first pick stops one, the second call the other.
      await runCommand(p, 'GAN: Stop Training');
      await p.locator('.quick-input-widget', { hasText: 'Which training?' }).first().waitFor({ state: 'attached', timeout: 10_000 }).catch(() => {});
      await new Promise((r) => setTimeout(r, 1_000));
      await p.keyboard.press('Enter');
      await poll('one run stopped', 40_000, () => listRuns(runsDir(workspace)).some((r) => r.info.status === 'stopped'));
      await runCommand(p, 'GAN: Stop Training');
      await poll('both runs stopped', 40_000, () => listRuns(runsDir(workspace)).every((r) => r.info.status === 'stopped'));
    });
  });
});
