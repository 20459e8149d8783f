// Issue 6: a person's path through a real VS Code (code-server 4.100.3 = VS Code 1.100.3, driven in
// Debian's Chromium), from a gan.json to a trained, stopped and resumed run:
//   packaging  `npm run package` builds gan-studio.vsix, which must hold everything the extension loads;
//   install    code-server --install-extension into a fresh extensions dir;
//   1          open gan.json, type an invalid batchSize, see the error in Problems, undo it;
//   2          Ctrl+Space inside "training": { … } offers the schema's properties;
//   3          F1 → "GAN: Train GAN": dashboard tab, status-bar progress, and in the webview the loss
//              chart, the D-output histograms and the 2-D samples view have drawn pixels;
//   4          the Samples side view shows the latest sample;
//   5          "GAN: Stop Training" marks the run stopped; "GAN: Resume Run…" continues it from that
//              step (run.json resumedAt), the dashboard follows, and it is stopped again;
//   6          a screenshot per stage in .test-artifacts/e2e/train/ (the path is printed).
// The scenario's data and run-file checks are in trainScenario.ts, shareable with a desktop runner.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { readSamples } from '../../src/runDir/runReader';
import {
  canvasInk,
  findWebviewFrame,
  installVsix,
  openFile,
  poll,
  readProblems,
  readZip,
  run,
  runCommand,
  tryCommand,
  waitForNotification,
  webviewWorkers,
  type CanvasInk,
} from './codeServer';
import {
  COMPLETION,
  copyWorkspace,
  INVALID_EDIT,
  MIN_STEP_FOR_DASHBOARD,
  objectOpenPosition,
  runConfig,
  valuePosition,
  waitForRun,
} from './trainScenario';
import { runScenario } from './stages';

/** Everything after code-server is installed; the machine is shared, so generous but bounded. */
const SCENARIO_BUDGET_MS = 9 * 60_000;

/** What `npm run package` must put in the vsix for the extension to work when installed from it. */
const VSIX_MUST_HOLD: [string, RegExp][] = [
  ['the extension bundle', /^extension\/dist\/extension\.js$/],
  ['the trainer CLI bundle', /^extension\/dist\/cli\.js$/],
  ['the data-parallel worker bundle', /^extension\/dist\/replicaWorker\.js$/],
  ['the tfjs wasm binaries', /^extension\/dist\/wasm\/[^/]+\.wasm$/],
  ['MNIST', /^extension\/dist\/mnist\/[^/]+\.gz$/],
  ['the dashboard bundle', /^extension\/dist\/webview\/dashboard\.js$/],
  ['the samples view bundle', /^extension\/dist\/webview\/samples\.js$/],
  ['the webview styles', /^extension\/dist\/webview\/[^/]+\.css$/],
  ['the gan.json schema', /^extension\/schemas\/gan\.schema\.json$/],
  ['the experiment templates', /^extension\/templates\/[^/]+\.json$/],
  ['the activity-bar icon', /^extension\/media\/gan-studio\.svg$/],
];

/**
 * `npm run package`, as a release would run it, unless GAN_STUDIO_E2E_VSIX names a vsix that was
 * built already (a CI step that packages once). Fails with vsce's own message when packaging fails:
 * a broken `npm run package` is a broken release.
 */
async function packageVsix(root: string): Promise<{ vsix: string; how: string }> {
  const given = process.env.GAN_STUDIO_E2E_VSIX;
  if (given) {
    assert.ok(existsSync(given), `GAN_STUDIO_E2E_VSIX=${given} does not exist`);
    return { vsix: given, how: `given by GAN_STUDIO_E2E_VSIX` };
  }
  const vsix = join(root, 'gan-studio.vsix');
  const t0 = Date.now();
  const r = await run('npm', ['run', 'package'], { cwd: root, timeoutMs: 4 * 60_000 });
  if (r.code !== 0) {
    const out = `${r.stdout}\n${r.stderr}`.trim().split('\n');
    const error = out.find((l) => /\bERROR\b/.test(l)) ?? out.at(-1) ?? '';
    throw new Error(`npm run package failed (exit ${r.code ?? r.signal}): ${error.trim()}\n--- last lines ---\n${out.slice(-15).join('\n')}`);
  }
  assert.ok(existsSync(vsix) && statSync(vsix).mtimeMs >= t0 - 2_000, `npm run package succeeded but did not write a fresh ${vsix}`);
  return { vsix, how: `npm run package (${((Date.now() - t0) / 1000).toFixed(1)} s)` };
}

function checkVsixContents(vsix: string): string[] {
  const names = readZip(readFileSync(vsix)).map((e) => e.name);
  const missing = VSIX_MUST_HOLD.filter(([, re]) => !names.some((n) => re.test(n))).map(([what, re]) => `${what} (${re.source})`);
  assert.deepEqual(missing, [], `${vsix} lacks: ${missing.join('; ')}\nit holds: ${names.join(', ')}`);
  const unwanted = names.filter((n) => /\.map$|^extension\/node_modules\/|^extension\/src\//.test(n));
  assert.deepEqual(unwanted, [], `${vsix} ships files it should not: ${unwanted.join(', ')}`);
  return names;
}

// ---- editor helpers (keyboard, as a person types) ----

async function goToLine(page: Page, line: number, column: number): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await page.keyboard.press('Control+G');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${line}:${column}`);
  // Enter before the picker has taken the text in does nothing: wait for its "Go to line …" row.
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: new RegExp(`line ${line}\\b`, 'i') }).first();
  await row.waitFor({ state: 'visible', timeout: 10_000 }).catch(() => {});
  for (let i = 0; i < 3; i++) {
    // Enter is what a person presses; the row is clicked if Enter was not taken (seen once here).
    if (i === 0) await page.keyboard.press('Enter');
    else await row.click({ timeout: 3_000 }).catch(() => page.keyboard.press('Enter'));
    try {
      await input.waitFor({ state: 'hidden', timeout: 3_000 });
      return;
    } catch {
      /* not taken yet: Enter again */
    }
  }
  throw new Error(`Go to Line ${line}:${column}: the picker did not close`);
}

/** The active editor's visible text, with Monaco's non-breaking spaces made plain. */
async function editorText(page: Page): Promise<string> {
  const text = await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().innerText();
  return text.replace(/\u00a0/g, ' ');
}

async function focusEditor(page: Page): Promise<void> {
  await runCommand(page, 'View: Focus Active Editor Group');
  await page.locator('.editor-group-container.active .monaco-editor.focused').waitFor({ state: 'visible', timeout: 10_000 });
}

/** Saves the active editor if it has unsaved changes (its tab is marked dirty). */
/**
 * Saves the active editor. Always: the tab's dirty mark is drawn a moment after an edit or an
 * undo, so checking it first could skip a save that was needed (a clean-clone CI run left an
 * undone value on disk that way). Saving a clean file changes nothing; the key is handled after
 * the edit before it.
 */
async function saveActiveEditor(page: Page): Promise<void> {
  await page.keyboard.press('Control+S');
  await page.locator('.tabs-container .tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
}

// ---- webview checks ----

interface DashboardInk {
  losses?: CanvasInk;
  histogram?: CanvasInk;
  points?: CanvasInk;
  status: string;
}

async function dashboardInk(frame: Frame): Promise<DashboardInk> {
  return {
    // The first line chart of the Losses panel is D and G loss; its "plot" layer holds only the curves.
    losses: await canvasInk(frame, '#losses canvas.chart-plot'),
    histogram: await canvasInk(frame, '#discriminator canvas.hist-canvas'),
    points: await canvasInk(frame, '#samples canvas.points-canvas'),
    status: ((await frame.locator('#run-status').first().textContent({ timeout: 2_000 }).catch(() => '')) ?? '').trim(),
  };
}

/** Thresholds: a cleared canvas has 0 inked pixels; an axis alone would have one colour. */
function dashboardDrawn(d: DashboardInk, minSampleStep: number): string | undefined {
  if (!d.losses || d.losses.inked < 300 || d.losses.colours < 2) return `loss curves not drawn (${JSON.stringify(d.losses)})`;
  // Every logged step has both losses, so the curves run unbroken from the first to the last step.
  if (d.losses.gaps.length > 0) return `loss curves are broken: no ink in canvas columns ${JSON.stringify(d.losses.gaps)} of ${d.losses.width}`;
  if (!d.histogram || d.histogram.inked < 1_000 || d.histogram.colours < 3) return `D-output histogram not drawn (${JSON.stringify(d.histogram)})`;
  if (!d.points || d.points.inked < 5_000 || d.points.colours < 4) return `2-D samples view not drawn (${JSON.stringify(d.points)})`;
  const step = Number(d.points.data.step ?? NaN);
  if (!(step >= minSampleStep)) return `2-D samples view shows step ${d.points.data.step}, want ≥ ${minSampleStep}`;
  return undefined;
}

/**
 * Once training has stopped nothing is appended any more, so what the loss chart shows is final:
 * its curves must be continuous. (Live, the chart repaints only the columns an append touched; a
 * seam left unpainted there stays until the next full redraw, which the polls above wait out.)
 */
async function assertCurvesUnbroken(frame: Frame, when: string): Promise<void> {
  let last: CanvasInk | undefined;
  await poll(`unbroken loss curves ${when}`, 10_000, async () => {
    last = await canvasInk(frame, '#losses canvas.chart-plot');
    return last !== undefined && last.inked > 0 && last.gaps.length === 0;
  }, 500).catch(() => {
    throw new Error(
      `the loss chart ${when} has gaps (canvas columns with no ink between its first and last point): ${JSON.stringify(last?.gaps)} of ${last?.width} px; ` +
        `they sit where live appends were repainted (LineChart.draw repaints only the columns an append touched)`,
    );
  });
}

function readRunStep(runDir: string): number | string {
  try {
    return (JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { step: number }).step;
  } catch {
    return '?';
  }
}

function brief(d: DashboardInk): string {
  const f = (c?: CanvasInk) => (c ? `${c.inked} px/${c.colours} colours${c.gaps.length ? `/gaps ${JSON.stringify(c.gaps)}` : ''}` : 'missing');
  return `losses ${f(d.losses)}, histogram ${f(d.histogram)}, samples ${f(d.points)} at step ${d.points?.data.step ?? '?'}, status "${d.status}"`;
}

test('GAN Studio e2e: from "Train GAN" in the palette to samples, stop and resume (code-server)', { timeout: 30 * 60_000 }, async (t) => {
  await runScenario(t, { name: 'train', file: 'test/e2e/trainFromPalette.e2e.test.ts', budgetMs: SCENARIO_BUDGET_MS }, async ({ codeServerDir, root, stages, workspace, userDataDir, extensionsDir }) => {
    const say = (msg: string) => stages.say(msg);
    const shot = (name: string) => stages.shot(name);
    const stage = <T>(name: string, ms: number, fn: () => Promise<T>) => stages.run(name, ms, fn);

    // ---- set-up ----
    const { vsix } = await stage('package the extension', 5 * 60_000, async () => {
      const built = await packageVsix(root);
      const names = checkVsixContents(built.vsix);
      say(`${built.vsix}: ${names.length} files, ${(statSync(built.vsix).size / 1e6).toFixed(1)} MB, ${built.how}`);
      return built;
    });
    await stage('install the vsix', 3 * 60_000, async () => {
      const installed = await installVsix(codeServerDir, vsix, extensionsDir);
      assert.equal(installed.via, 'cli', `code-server --install-extension failed: ${installed.cliError}`);
      for (const f of ['dist/extension.js', 'dist/cli.js', 'schemas/gan.schema.json']) assert.ok(existsSync(join(installed.dir, f)), `installed extension lacks ${f}`);
    });
    const ganJson = copyWorkspace(root, workspace);
    const fixtureText = readFileSync(ganJson, 'utf8');

    const p = await stages.openWorkbench({ workspace, extensionsDir, userDataDir });

    // ---- 1: an invalid value is reported in Problems, and goes away when fixed ----
    await stage('1 invalid value → Problems → fixed', 120_000, async () => {
      await openFile(p, 'gan.json', 60_000);
      const at = valuePosition(fixtureText, INVALID_EDIT.key);
      await goToLine(p, at.line, at.column);
      for (let i = 0; i < INVALID_EDIT.valid.length; i++) await p.keyboard.press('Shift+ArrowRight');
      await p.keyboard.type(INVALID_EDIT.invalid);
      const typed = `"${INVALID_EDIT.key}": ${INVALID_EDIT.invalid},`;
      // Monaco renders typed keys a frame or more later: reading at once sometimes saw the old text.
      await poll(`the editor to show ${typed}`, 5_000, async () => (await editorText(p)).includes(typed)).catch(async (err: Error) => {
        throw new Error(`${err.message}; it shows:\n${await editorText(p)}`);
      });
      // The JSON language server and the extension's own checks both start lazily: allow a while.
      const problems = await poll('a problem for the invalid batchSize in Problems', 60_000, async () => {
        const ps = await readProblems(p, 15_000);
        return ps.some((x) => (x.severity === 'error' || x.severity === 'warning') && INVALID_EDIT.problem.test(x.message)) ? ps : undefined;
      }, 1_000);
      say(`Problems: ${problems.map((x) => `[${x.severity}] ${x.message}`).join(' | ')}`);
      await shot('invalid-batchSize-in-problems');

      // Training it anyway is refused with the reason (Train GAN saves the file first, as it trains
      // what is on screen).
      await focusEditor(p);
      await runCommand(p, 'GAN: Train GAN');
      const refusal = await waitForNotification(p, INVALID_EDIT.refusal, 30_000);
      say(`Train GAN refused: "${refusal}"`);
      await shot('train-refused-invalid');
      // Its toast would otherwise sit over the dashboard in every later screenshot.
      await tryCommand(p, 'Notifications: Clear All Notifications');
      assert.ok(!existsSync(join(workspace, '.gan', 'runs')) || readdirSync(join(workspace, '.gan', 'runs')).length === 0, 'no run was started for the invalid file');

      const fixed = `"${INVALID_EDIT.key}": ${INVALID_EDIT.valid},`;
      // One undo takes the typed value back. The editor may render it a moment later, and focus
      // may still be on a toast: look before pressing again, and re-focus the editor each time.
      for (let i = 0; i < 3 && !(await editorText(p)).includes(fixed); i++) {
        await focusEditor(p);
        await p.keyboard.press('Control+Z');
        await poll('the undo to show', 3_000, async () => (await editorText(p)).includes(fixed)).catch(() => {});
      }
      const after = await editorText(p);
      assert.ok(after.includes(fixed), `undo did not bring back ${fixed}; the editor shows:\n${after}`);
      await saveActiveEditor(p);
      await poll('the batchSize error to leave Problems', 30_000, async () => {
        const ps = await readProblems(p, 15_000);
        return ps.every((x) => !INVALID_EDIT.problem.test(x.message)) ? true : undefined;
      }, 1_000);
      await shot('fixed-problems-clear');
    });

    // ---- 2: schema completion inside an object ----
    await stage('2 completion offers schema properties', 90_000, async () => {
      await focusEditor(p);
      const at = objectOpenPosition(fixtureText, COMPLETION.insideObject);
      await goToLine(p, at.line, at.column);
      await p.keyboard.press('Enter');
      const widget = p.locator('.editor-widget.suggest-widget.visible');
      const labels = await poll(`completion with ${COMPLETION.expect.join(', ')}`, 60_000, async () => {
        if (!(await widget.isVisible())) await p.keyboard.press('Control+Space');
        await widget.waitFor({ state: 'visible', timeout: 5_000 });
        // "Loading…" first, then rows; "No suggestions." means the language server was not ready.
        await p.waitForTimeout(500);
        const rows = await widget.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
        if (COMPLETION.expect.every((w) => rows.some((r) => r.includes(w)))) return rows;
        await p.keyboard.press('Escape');
        return undefined;
      }, 1_000);
      say(`completion: ${labels.slice(0, 12).join(' | ')}`);
      await shot('completion-in-training');
      await p.keyboard.press('Escape');
      await widget.waitFor({ state: 'hidden', timeout: 5_000 });
      await p.keyboard.press('Control+Z');
      await saveActiveEditor(p);
      assert.equal(readFileSync(ganJson, 'utf8').replace(/\s+/g, ''), fixtureText.replace(/\s+/g, ''), 'gan.json changed on disk after the completion step');
    });

    // ---- 3: Train GAN from the palette ----
    // Room for the dashboard: no Problems panel, no side bar (the Samples view opens it again).
    await tryCommand(p, 'View: Hide Panel');
    await tryCommand(p, 'View: Close Primary Side Bar');
    const started = await stage('3a F1 → GAN: Train GAN starts a run', 90_000, async () => {
      await runCommand(p, 'GAN: Train GAN');
      return waitForRun(workspace, 'status running with a first step', 80_000, (i) => i.status === 'running' && i.step > 0);
    });
    const runId = started.info.id;
    say(`run ${runId} in ${started.dir} on ${started.info.backend}`);

    const statusText = await stage('3b status bar shows progress', 60_000, async () => {
      const item = p.locator('.part.statusbar .statusbar-item', { hasText: new RegExp(`\\b\\d+/${started.info.totalSteps}\\b`) }).first();
      await item.waitFor({ state: 'visible', timeout: 55_000 });
      return (await item.innerText()).replace(/\s+/g, ' ').trim();
    });
    say(`status bar: "${statusText}"`);
    assert.match(statusText, new RegExp(`${started.info.name} \\d+/${started.info.totalSteps}`), 'status bar item: "<name> <step>/<total> · D … G …"');

    const dashboard = await stage('3c dashboard draws losses, D histograms and samples', 150_000, async () => {
      await p.locator('.tabs-container .tab .label-name', { hasText: `GAN: ${runId}` }).first().waitFor({ state: 'visible', timeout: 60_000 });
      const frame = await findWebviewFrame(p, '#losses', 60_000);
      await waitForRun(workspace, `step ≥ ${MIN_STEP_FOR_DASHBOARD}`, 120_000, (i) => i.step >= MIN_STEP_FOR_DASHBOARD);
      let last: DashboardInk | undefined;
      let why: string | undefined;
      await poll('the dashboard to draw', 60_000, async () => {
        last = await dashboardInk(frame);
        why = dashboardDrawn(last, 200);
        return why === undefined;
      }, 500).catch((err: Error) => {
        throw new Error(`${err.message}: ${why}; ${last ? brief(last) : 'nothing read'}`);
      });
      say(`dashboard: ${brief(last!)}`);
      assert.match(last!.status, /running/i, 'the dashboard status badge says running');
      return frame;
    });
    await shot('dashboard-training');

    await stage('3d dashboard draws the D-output history when scrolled to', 60_000, async () => {
      // Views below the fold that drew once (empty, at the first snapshot) wait to be scrolled
      // to before they redraw (webview/shared/frame.ts), as a person would scroll.
      await dashboard.locator('#discriminator canvas.history-canvas').scrollIntoViewIfNeeded({ timeout: 10_000 });
      const ink = await poll('the D-output history (ridgeline) to draw', 30_000, async () => {
        const h = await canvasInk(dashboard, '#discriminator canvas.history-canvas');
        return h && h.inked >= 1_000 && h.colours >= 3 ? h : undefined;
      }, 500);
      say(`D-output history: ${ink.inked} px/${ink.colours} colours`);
      await shot('dashboard-d-outputs');
      // Back to the top, where the status badge and the losses are, for the later screenshots.
      await dashboard.locator('#run-status').scrollIntoViewIfNeeded({ timeout: 10_000 });
    });

    // ---- 4: the Samples side view ----
    const samplesView = await stage('4 Samples view shows the latest sample', 90_000, async () => {
      await runCommand(p, 'GAN Studio: Focus on Samples View');
      // A blank view here was Chromium's start-up holding back the view's service-worker
      // registration (see openWorkbench); what each webview frame's worker was, if it happens again.
      const frame = await findWebviewFrame(p, '#sample-step', 25_000).catch(async (err: Error) => {
        for (const w of await webviewWorkers(p)) say(`  blank Samples view, webview ${w}`);
        throw err;
      });
      let why = '';
      const v0 = Date.now();
      const shown = await poll('the Samples view to show the latest sample', 40_000, async () => {
        const step = Number((await frame.locator('#sample-step').getAttribute('data-step')) || NaN);
        const ink = await canvasInk(frame, '.side-display canvas.points-canvas');
        const latest = readSamples(started.dir).at(-1)?.step ?? 0;
        // The view follows new samples; allow the one being written while we read.
        const now =
          !(step > 0) ? `no sample step shown (data-step ${step})`
          : !ink ? 'no points canvas'
          : ink.inked < 3_000 || ink.colours < 4 ? `points canvas not drawn (${ink.inked} px/${ink.colours} colours)`
          : step < latest - 200 ? `shows step ${step}, samples.jsonl has ${latest}`
          : '';
        if (now !== why && now) say(`  Samples view (+${((Date.now() - v0) / 1000).toFixed(1)} s): ${now}`);
        why = now;
        if (now || !ink) return undefined;
        return { step, latest, ink, text: (await frame.locator('#sample-step').innerText()).trim() };
      }, 500).catch((err: Error) => {
        throw new Error(`${err.message}: ${why}`);
      });
      say(`Samples view: "${shown.text}" (latest in samples.jsonl: ${shown.latest}), ${shown.ink.inked} px/${shown.ink.colours} colours`);
      return frame;
    });
    await shot('samples-view');

    // ---- 5: stop, resume from that step, stop again ----
    const stopped = await stage('5a GAN: Stop Training marks the run stopped', 90_000, async () => {
      await runCommand(p, 'GAN: Stop Training');
      const r = await waitForRun(workspace, 'status stopped', 80_000, (i) => i.status === 'stopped');
      assert.equal(r.info.checkpointStep, r.info.step, 'stopping writes a checkpoint at the step it stopped at');
      const note = await waitForNotification(p, /stopped at step \d+/, 20_000);
      say(`stopped at step ${r.info.step}; notification "${note}"`);
      await poll('the dashboard to say stopped', 20_000, async () => /stopped/i.test((await dashboardInk(dashboard)).status));
      await assertCurvesUnbroken(dashboard, 'of the stopped run');
      // The side bar follows too: the Samples view's badge and the Runs view's row.
      const badge = samplesView.locator('.side-head .status, .side-head [class*="status"]').first();
      await poll('the Samples view to say stopped', 15_000, async () => /stopped/i.test((await badge.textContent({ timeout: 2_000 })) ?? ''));
      await p.locator('.monaco-list-row', { hasText: /stopped/ }).filter({ hasText: `${r.info.step}/${r.info.totalSteps}` }).first().waitFor({ state: 'visible', timeout: 15_000 });
      return r.info;
    });
    assert.ok(stopped.step < stopped.totalSteps, `the run finished (${stopped.step}/${stopped.totalSteps}) before it could be stopped: raise training.steps in the fixture`);
    await shot('stopped');

    await stage('5b GAN: Resume Run… continues from the stopped step', 150_000, async () => {
      await runCommand(p, 'GAN: Resume Run…');
      const row = p.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: runId }).first();
      await row.waitFor({ state: 'visible', timeout: 20_000 });
      const rowText = (await row.innerText()).replace(/\s+/g, ' ');
      assert.match(rowText, new RegExp(`stopped · step ${stopped.step}/`), `the pick describes the stopped run: "${rowText}"`);
      await row.click();
      const resumed = await waitForRun(workspace, `running again past step ${stopped.step + 100}`, 90_000, (i) => i.status === 'running' && i.step > stopped.step + 100);
      assert.deepEqual(resumed.info.resumedAt, [stopped.step], 'run.json resumedAt records the step it resumed from');
      // The dashboard follows the resumed session: a sample later than the stop shows up.
      const frame = await findWebviewFrame(p, '#losses', 30_000);
      let last: DashboardInk | undefined;
      let why: string | undefined;
      const r0 = Date.now();
      await poll(`the dashboard to show a sample after step ${stopped.step}`, 60_000, async () => {
        last = await dashboardInk(frame);
        const now = dashboardDrawn(last, stopped.step + 100) ?? (/running/i.test(last.status) ? undefined : `status "${last.status}"`);
        // What it waited for, when that changes: tells a slow feed from a view that does not update.
        if (now !== why && now !== undefined) say(`  dashboard after resume (+${((Date.now() - r0) / 1000).toFixed(1)} s, run at step ${readRunStep(started.dir)}): ${now}`);
        why = now;
        return now === undefined;
      }, 500).catch((err: Error) => {
        throw new Error(`${err.message}: ${why}; ${last ? brief(last) : 'nothing read'}`);
      });
      say(`resumed: ${brief(last!)}`);
    });
    await shot('resumed-dashboard');

    const final = await stage('5c stop the resumed run', 90_000, async () => {
      await runCommand(p, 'GAN: Stop Training');
      const r = await waitForRun(workspace, 'status stopped again', 80_000, (i) => i.status === 'stopped' && i.step > stopped.step);
      const frame = await findWebviewFrame(p, '#losses', 30_000);
      await poll('the dashboard to say stopped again', 20_000, async () => /stopped/i.test((await dashboardInk(frame)).status));
      await assertCurvesUnbroken(frame, 'after the resumed session stopped');
      return r;
    });
    say(`stopped again at step ${final.info.step} (resumedAt ${JSON.stringify(final.info.resumedAt)})`);
    assert.deepEqual(final.info.resumedAt, [stopped.step]);
    assert.equal(runConfig(final.dir).training?.batchSize, Number(INVALID_EDIT.valid), 'the run trained the fixed batchSize');
    const steps = readSamples(final.dir).map((s) => s.step);
    assert.ok(steps.some((s) => s <= stopped.step) && steps.some((s) => s > stopped.step), `samples from both sessions: ${steps.join(',')}`);

    await stage('the Runs view lists the stopped run', 40_000, async () => {
      await runCommand(p, 'GAN Studio: Focus on Runs View');
      const row = p.locator('.monaco-list-row', { hasText: /stopped/ }).filter({ hasText: started.info.name }).first();
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      say(`Runs view: "${(await row.innerText()).replace(/\s+/g, ' ')}"`);
    });
    await shot('runs-view-stopped');
  });
});
