// Issue 12, sweeps in VS Code. In a real VS Code (code-server 4.100.3, Debian's Chromium), with the
// working tree's build installed unpacked:
//   1  open test/fixtures/e2e-sweep-workspace/gan.json: its sweep block (2 learning rates × 2 seeds)
//      gets a "Run Sweep (4 trials)" CodeLens;
//   2  F1 → "GAN: Run Sweep" (on "This machine" when sbatch is on PATH and VS Code asks);
//   3  the sweep panel opens and its table fills as the trials train: two settings, each folding
//      two seeds, until the four trials are done; the chart draws a point per trial;
//   4  the Runs view lists the sweep with its four trials under it.
// Screenshots of each stage go to .test-artifacts/e2e/sweep/.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSweep } from '../../src/runDir/sweepDir';
import { findWebviewFrame, installUnpacked, openFile, poll, runCommand } from './codeServer';
import { runScenario } from './stages';
import { copyWorkspace, runsDir } from './trainScenario';

const SCENARIO_BUDGET_MS = 5 * 60_000;

test('GAN Studio e2e: Run Sweep from the palette fills the sweep table and the Runs view (code-server)', { timeout: 25 * 60_000 }, async (t) => {
  await runScenario(t, { name: 'sweep', file: 'test/e2e/sweep.e2e.test.ts', budgetMs: SCENARIO_BUDGET_MS }, async ({ root, stages, workspace, userDataDir, extensionsDir }) => {
    const sweepDir = () => {
      const runs = runsDir(workspace);
      const dirs = existsSync(runs) ? readdirSync(runs).filter((d) => existsSync(join(runs, d, 'sweep.json'))) : [];
      return dirs[0] ? join(runs, dirs[0]) : undefined;
    };

    installUnpacked(root, extensionsDir);
    copyWorkspace(root, workspace, 'e2e-sweep-workspace');
    const p = await stages.openWorkbench({ workspace, extensionsDir, userDataDir });

    await stages.run('1 the sweep block has a Run Sweep CodeLens', 90_000, async () => {
      await openFile(p, 'gan.json', 60_000);
      const lens = p.locator('.contentWidgets .codelens-decoration, .codelens-decoration', { hasText: 'Run Sweep (4 trials)' }).first();
      await lens.waitFor({ state: 'visible', timeout: 60_000 });
      stages.say(`CodeLens: "${(await lens.innerText()).replace(/\s+/g, ' ').trim()}"`);
    });
    await stages.shot('codelens');

    await stages.run('2 F1 → GAN: Run Sweep', 60_000, async () => {
      await runCommand(p, 'GAN: Run Sweep');
      // With sbatch on PATH, VS Code asks where the trials run.
      const local = p.locator('.quick-input-widget .monaco-list-row', { hasText: 'This machine' }).first();
      if (await local.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false)) {
        stages.say('asked where to run: This machine');
        await local.click();
      }
      await poll('the sweep folder', 40_000, () => sweepDir());
    });

    const frame = await stages.run('3 the sweep panel fills as the trials train', 240_000, async () => {
      const f = await findWebviewFrame(p, '#sweep-table tbody tr', 60_000);
      await poll('two settings of two seeds', 30_000, async () => (await f.locator('#sweep-table tr.setting-row').count()) === 2);
      const firstFacts = (await f.locator('#sweep-facts').innerText()).trim();
      stages.say(`sweep panel: "${firstFacts}"`);
      await stages.shot('sweep-panel-training');
      await poll('four trials done', 200_000, async () => /4 done/.test(await f.locator('#sweep-facts').innerText()));
      await poll('the sweep to complete', 30_000, async () => (await f.locator('#sweep-status').innerText()).trim() === 'completed');
      assert.equal(await f.locator('.sweep-canvas').getAttribute('data-points'), '4', 'the chart has a point per trial');
      return f;
    });
    await frame.locator('#sweep-table tr.setting-row').first().click();
    await stages.shot('sweep-panel-done');
    const sweep = readSweep(sweepDir()!);
    assert.equal(sweep.status, 'completed');
    assert.deepEqual(sweep.trials.map((tr) => tr.status), ['completed', 'completed', 'completed', 'completed']);

    await stages.run('4 the Runs view lists the sweep with its trials', 60_000, async () => {
      await runCommand(p, 'GAN Studio: Focus on Runs View');
      const row = p.locator('.monaco-list-row', { hasText: 'e2e-sweep sweep' }).filter({ hasText: /completed · 4\/4 done/ }).first();
      await row.waitFor({ state: 'visible', timeout: 20_000 });
      // The row's own click opens the sweep panel; its twistie expands it, as for a person.
      if ((await row.getAttribute('aria-expanded')) !== 'true') await row.locator('.monaco-tl-twistie').click();
      for (const tr of sweep.trials) {
        const label = new RegExp(`t00${tr.index} learningRate=${tr.overrides['/training/generatorOptimizer/learningRate'] as number} seed=${tr.overrides['/seed'] as number}`);
        await p.locator('.monaco-list-row', { hasText: label }).filter({ hasText: 'completed' }).first().waitFor({ state: 'visible', timeout: 20_000 });
      }
      stages.say(`Runs view: ${(await row.innerText()).replace(/\s+/g, ' ')} with ${sweep.trials.length} trials`);
    });
    await stages.shot('runs-view');
  });
});
