/**
 * The sweep panel in headless Chromium, on a sweep the real CLI ran (2 learning rates × 3 seeds):
 * seeds fold into settings with mean ± std, rows sort, filter, expand and select from the keyboard,
 * "Compare selected" and Enter post their messages, the chart draws a point per trial, under the
 * strict CSP. The row logic is checked in Node too.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { SweepView } from '../../src/protocol/sweepFormat';
import { readSweepView } from '../../src/runDir/sweepDir';
import { buildRows, canFold, columnsOf } from '../../webview/sweep/sweepRows';
import { CLI, runCli, tinyRingConfig, tmp, writeConfig } from '../helpers/cli';
import { hexToRgb, launch, skipReason, TestServer, themeColor, View } from './harness';


/** A finished sweep of six short trials, made once for this file. */
function makeSweep(): SweepView {
  const dir = tmp('sweep-panel');
  const config = writeConfig(
    dir,
    tinyRingConfig({
      name: 'panel',
      training: { steps: 120, batchSize: 64, generatorOptimizer: { learningRate: 0.001 }, discriminatorOptimizer: { learningRate: 0.001 } },
      logging: { metricsEvery: 10, histogramsEvery: 60, samplesEvery: 40, checkpointEvery: 120, samplePoints: 64, heatmapSize: 8 },
      sweep: { parameters: { '/training/generatorOptimizer/learningRate': [0.0003, 0.003], '/seed': [1, 2, 3] } },
    }),
  );
  const r = runCli(['sweep', config, '--runs-dir', join(dir, 'runs')]);
  if (r.code !== 0) throw new Error(`the sweep failed: ${r.stderr}`);
  const sweepDir = join(dir, 'runs', readdirSync(join(dir, 'runs'))[0]);
  return readSweepView(sweepDir);
}

describe('sweep table rows (Node)', { skip: existsSync(CLI) ? undefined : `${CLI} not built` }, () => {
  test('fold, sort, filter and columns', () => {
    const view = makeSweep();
    assert.equal(view.trials.length, 6);
    assert.ok(canFold(view));
    const folded = buildRows(view, { fold: true, sortKey: 'index', sortDescending: false, filter: '' });
    assert.deepEqual(folded.map((r) => (r.kind === 'setting' ? r.trials.length : 0)), [3, 3]);
    const first = folded[0];
    assert.ok(first.kind === 'setting' && first.spreads.swd.n === 3 && first.spreads.swd.std >= 0);
    const cols = columnsOf(view, true).map((c) => c.key);
    assert.ok(!cols.includes('param:/seed') && cols.includes('param:/training/generatorOptimizer/learningRate') && cols.includes('measure:swd'));
    const bySwd = buildRows(view, { fold: false, sortKey: 'measure:swd', sortDescending: false, filter: '' });
    const swds = bySwd.map((r) => (r.kind === 'trial' ? r.trial.measures.swd.final : NaN));
    assert.deepEqual(swds, [...swds].sort((a, b) => a - b));
    assert.equal(buildRows(view, { fold: false, sortKey: 'index', sortDescending: false, filter: 'learningRate=0.003 seed=2' }).length, 1);
  });
});

const skip = skipReason();

describe('sweep panel webview', { skip }, () => {
  let browser: Browser;
  let server: TestServer;
  let view: SweepView;

  before(async () => {
    view = makeSweep();
    browser = await launch();
    server = await TestServer.start(tmp('sweep-panel-runs'));
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const theme of ['dark', 'light'] as const) {
    test(`draws the folded table and the chart (${theme})`, async () => {
      const page = await View.open(browser, server.pageUrl('sweep', theme), { width: 1200, height: 900 });
      await page.post({ type: 'sweepSnapshot', sweep: { ...view, status: 'running' } });
      await page.page.waitForSelector('#sweep-table tbody tr');
      assert.equal(await page.page.locator('#sweep-table tr.setting-row').count(), 2);
      assert.match((await page.page.locator('#sweep-table tr.setting-row td.spread').first().textContent()) ?? '', /^[\d.e-]+ ± [\d.e-]+/);
      assert.match((await page.page.textContent('#sweep-facts')) ?? '', /6 trials over learningRate, seed · 6 done/);
      await page.frames(3);
      assert.equal(await page.page.getAttribute('.sweep-canvas', 'data-points'), '6');
      const ink = await page.ink('.sweep-canvas', hexToRgb(themeColor(theme, 'editor-background')));
      assert.ok(ink.differing > 800, `the chart is drawn (${ink.differing} px)`);
      // Expand the first setting from the keyboard: its three seeds appear under it.
      await page.page.focus('#sweep-table tr.setting-row');
      await page.page.keyboard.press('Enter');
      await page.frames();
      assert.equal(await page.page.locator('#sweep-table tr.trial-row.nested').count(), 3);
      await page.frames(2);
      await page.screenshot(`sweep-panel-${theme}`);
      assert.deepEqual(page.pageErrors, []);
      assert.deepEqual((await page.recorded()).csp, [], 'no CSP violation');
      await page.close();
    });
  }

  test('sorts, filters, selects and compares, opens a dashboard, cancels', async () => {
    const page = await View.open(browser, server.pageUrl('sweep', 'dark'), { width: 1200, height: 900 });
    await page.post({ type: 'sweepSnapshot', sweep: { ...view, status: 'running' } });
    await page.page.click('#fold-seeds');
    await page.frames();
    assert.equal(await page.page.locator('#sweep-table tbody tr.trial-row').count(), 6);
    // Sort by SWD (lower is better: ascending first), then the other way.
    await page.page.click('#sweep-table th[data-key="measure:swd"]');
    await page.frames();
    assert.equal(await page.page.getAttribute('#sweep-table th[data-key="measure:swd"]', 'aria-sort'), 'ascending');
    const cells = async () => (await page.page.locator('#sweep-table tbody tr td[data-key="measure:swd"]').allTextContents()).map(Number);
    const asc = await cells();
    await page.page.focus('#sweep-table th[data-key="measure:swd"]');
    await page.page.keyboard.press('Enter');
    await page.frames();
    assert.deepEqual(await cells(), [...asc].reverse());
    // Filter, then select two rows with Space and compare them.
    await page.page.fill('#sweep-filter', 'seed=1');
    await page.frames();
    assert.equal(await page.page.locator('#sweep-table tbody tr.trial-row').count(), 2);
    await page.page.focus('#sweep-table tbody tr.trial-row');
    await page.page.keyboard.press('Space');
    await page.page.keyboard.press('ArrowDown');
    await page.page.keyboard.press('Space');
    await page.page.click('#compare-selected');
    await page.page.focus('#sweep-table tbody tr.trial-row');
    await page.page.keyboard.press('Enter');
    await page.page.click('#cancel-sweep');
    const posted = (await page.recorded()).posted as { type: string; runIds?: string[]; runId?: string; sweepId?: string }[];
    const compare = posted.find((m) => m.type === 'compareRuns');
    assert.equal(compare?.runIds?.length, 2);
    assert.ok(compare.runIds.every((id) => view.trials.some((t) => t.runId === id && t.overrides['/seed'] === 1)));
    assert.ok(posted.some((m) => m.type === 'openDashboard' && view.trials.some((t) => t.runId === m.runId)));
    assert.deepEqual(posted.filter((m) => m.type === 'cancelSweep').map((m) => m.sweepId), [view.id]);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });
});
