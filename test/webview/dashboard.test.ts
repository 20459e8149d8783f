/**
 * The dashboard in headless Chromium, fed snapshots of run directories written by the real
 * trainer. Each view must draw real content: pixels in the series' own colours, tiles matching the
 * grid, a scrubber that changes the step shown, typed messages on Stop, and live appends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { MetricRecord } from '../../src/protocol/runFormat';
import { readMetrics } from '../../src/runDir/runReader';
import type { RunSnapshot } from '../../src/protocol/webviewProtocol';
import { hexToRgb, launch, skipReason, TestServer, themeColor, View, type Theme } from './harness';
import { mnistRun, ringRun, RUNS_DIR } from './runs';

// Functions passed to the page run in the browser; typed loosely rather than adding the DOM lib.
declare const document: any;
declare const window: any;

const skip = skipReason();

describe('dashboard webview', { skip }, () => {
  let browser: Browser;
  let server: TestServer;
  let ringDir: string;
  let mnistDir: string;

  before(async () => {
    // The two trainer runs use one core each.
    [ringDir, mnistDir] = await Promise.all([ringRun(), mnistRun()]);
    browser = await launch();
    server = await TestServer.start(RUNS_DIR);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(theme: Theme, snapshot: RunSnapshot): Promise<View> {
    const view = await View.open(browser, server.pageUrl('dashboard', theme));
    await view.post({ type: 'snapshot', snapshot });
    await view.page.waitForSelector('#losses .chart-plot');
    await settle(view);
    return view;
  }

  /** Images decode and point files load asynchronously; wait for them, then two frames. */
  async function settle(view: View): Promise<void> {
    await view.page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('img.grid-image')] as any[];
      return imgs.every((i) => !i.getAttribute('src') || i.complete);
    });
    await view.page.waitForTimeout(50);
    await view.frames(3);
  }

  for (const theme of ['dark', 'light'] as const) {
    test(`2-D run draws every view (${theme})`, async () => {
      const snap = server.snapshot(ringDir);
      const view = await open(theme, snap);
      const c = (name: string): [number, number, number] => hexToRgb(themeColor(theme, name));
      assert.equal(await view.page.textContent('.summary h1'), snap.run.name);
      assert.equal((await view.page.textContent('#run-status'))?.trim(), 'completed');
      // Smoothed D and G loss lines in their own colours, not just axes.
      const plots = '#losses .chart-plot'; // the first chart: D and G loss
      assert.ok((await view.colorPixels(plots, c('charts-blue'))) > 100, 'D loss line drawn');
      assert.ok((await view.colorPixels(plots, c('charts-orange'))) > 100, 'G loss line drawn');
      const hist = '#discriminator .hist-canvas';
      assert.ok((await view.colorPixels(hist, c('charts-green'))) > 20, 'real histogram drawn');
      assert.ok((await view.colorPixels(hist, c('charts-purple'))) > 20, 'fake histogram drawn');
      assert.ok((await view.colorPixels('#discriminator .history-canvas', c('charts-green'))) > 20, 'history drawn');
      const means = '#discriminator .chart .chart-plot';
      assert.ok((await view.colorPixels(means, c('charts-green'))) > 50, 'mean D(x) drawn');
      assert.ok((await view.colorPixels(means, c('charts-purple'))) > 50, 'mean D(G(z)) drawn');
      const pts = await view.ink('#samples .points-canvas', c('editor-background'));
      assert.ok(pts.differing > 2000, `2-D view drawn (${pts.differing} px)`);
      assert.ok((await view.colorPixels('#samples .points-canvas', c('charts-purple'), 30)) > 50, 'generated points drawn');
      assert.match((await view.page.textContent('#hist-caption')) ?? '', /mean D\(x\) \d\.\d\d, mean D\(G\(z\)\) \d\.\d\d/);
      await view.screenshot(`ring-${theme}`);
      assert.deepEqual(view.pageErrors, []);
      assert.deepEqual((await view.recorded()).csp, []);
      await view.close();
    });
  }

  test('2-D run: the scrubber changes the step shown, and hovering a chart moves it', async () => {
    const snap = server.snapshot(ringDir);
    assert.ok(snap.samples.length >= 3, `the ring run has ${snap.samples.length} sample steps`);
    const view = await open('dark', snap);
    const shown = (): Promise<string | null> => view.page.getAttribute('#samples .points-canvas', 'data-step');
    const last = String(snap.samples.at(-1)!.step);
    assert.equal(await shown(), last);
    const before = await view.page.$eval('#samples .points-canvas', (c) => (c as any).toDataURL());
    await view.page.$eval('#samples .scrub', (el) => {
      const input = el as any;
      input.value = '0';
      input.dispatchEvent(new Event('input'));
    });
    await view.page.waitForFunction((s) => document.querySelector('#samples .points-canvas')?.getAttribute('data-step') === s, String(snap.samples[0].step));
    await view.frames(3);
    const afterScrub = await view.page.$eval('#samples .points-canvas', (c) => (c as any).toDataURL());
    assert.notEqual(afterScrub, before, 'the 2-D view redrew for the new step');
    assert.match((await view.page.textContent('#samples .scrub-label')) ?? '', new RegExp(`step ${snap.samples[0].step} · 1/`));

    // Hover near the middle of the loss chart: the sample scrubber follows the cursor.
    const box = (await view.page.locator('#losses .chart-body').first().boundingBox())!;
    await view.page.mouse.move(box.x + 50 + (box.width - 62) * 0.5, box.y + box.height / 2);
    await view.frames(2);
    const mid = Number(await view.page.getAttribute('#samples .scrub-label', 'data-step'));
    assert.ok(mid > snap.samples[0].step && mid < snap.samples.at(-1)!.step, `hover moved the scrubber to step ${mid}`);
    assert.equal(await view.page.isVisible('#losses .chart-readout'), true, 'hover read-out shown');
    assert.equal(await view.page.$eval('#losses .chart-overlay', (c) => window.getComputedStyle(c).display), 'block', 'the overlay with the cursor line is displayed');
    assert.match((await view.page.textContent('#losses .chart-readout')) ?? '', /D loss: -?\d/);
    await view.screenshot('ring-hover-dark');
    await view.close();
  });

  test('Stop and Resume post typed messages with the run id', async () => {
    const snap = server.snapshot(ringDir);
    snap.run = { ...snap.run, status: 'running' };
    const view = await open('dark', snap);
    assert.equal(await view.page.getAttribute('#resume-button', 'disabled'), '', 'Resume is disabled while running');
    await view.page.click('#stop-button');
    await view.post({ type: 'append', runId: snap.run.id, run: { ...snap.run, status: 'stopped' } });
    assert.equal((await view.page.textContent('#run-status'))?.trim(), 'stopped');
    assert.equal(await view.page.getAttribute('#stop-button', 'disabled'), '', 'Stop is disabled once stopped');
    await view.page.click('#resume-button');
    const posted = (await view.recorded()).posted;
    assert.deepEqual(posted.filter((m) => (m as { type: string }).type !== 'log'), [{ type: 'ready' }, { type: 'stop', runId: snap.run.id }, { type: 'resume', runId: snap.run.id }]);
    await view.close();
  });

  test('malformed and unknown messages are ignored and logged', async () => {
    const snap = server.snapshot(ringDir);
    const view = await open('dark', snap);
    const bad: unknown[] = [
      null,
      'snapshot',
      { type: 'bogus' },
      { type: 'snapshot' },
      { type: 'snapshot', snapshot: { run: { id: 'x' } } },
      { type: 'append', runId: snap.run.id, metrics: 'lots' },
      { type: 'append', runId: snap.run.id, histograms: [{ step: 1, lo: 0, hi: 1, real: [1, 2], fake: [1] }] },
      { type: 'append', runId: snap.run.id, samples: [{ step: 1, src: 5 }] },
    ];
    for (const m of bad) await view.post(m);
    const { logs } = await view.recorded();
    assert.equal(logs.filter((l) => l.level === 'warn' && /ignored a message/.test(l.message)).length, bad.length, JSON.stringify(logs));
    assert.deepEqual(view.pageErrors, []);
    assert.equal(await view.page.textContent('.summary h1'), snap.run.name, 'the dashboard still shows the run');
    assert.ok((await view.colorPixels('#losses .chart-plot', hexToRgb(themeColor('dark', 'charts-blue')))) > 100);
    await view.close();
  });

  test('live appends extend the charts, the samples and the summary', async () => {
    const full = server.snapshot(ringDir);
    const records: MetricRecord[] = readMetrics(ringDir);
    const half = Math.floor(records.length / 2);
    const cut = records[half - 1].step;
    const snap: RunSnapshot = {
      ...full,
      run: { ...full.run, status: 'running', step: cut },
      metrics: { ...full.metrics },
      histograms: full.histograms.filter((h) => h.step <= cut),
      samples: full.samples.filter((s) => s.step <= cut),
    };
    for (const k of Object.keys(full.metrics) as (keyof RunSnapshot['metrics'])[]) snap.metrics[k] = full.metrics[k].slice(0, half);
    const view = await open('dark', snap);
    const plot = '#losses .chart-plot';
    const before = await view.page.$eval(plot, (c) => (c as any).toDataURL());
    const beforeLabel = await view.page.textContent('#samples .scrub-label');
    // Ten appends, as the host sends them at up to 10/s.
    const rest = records.slice(half);
    const chunk = Math.ceil(rest.length / 10);
    for (let i = 0; i < 10; i++) {
      const metrics = rest.slice(i * chunk, (i + 1) * chunk);
      if (metrics.length === 0) break;
      const lastStep = metrics.at(-1)!.step;
      const prevStep = metrics[0].step - 1;
      await view.post({
        type: 'append',
        runId: snap.run.id,
        run: { ...snap.run, step: lastStep },
        metrics,
        histograms: full.histograms.filter((h) => h.step > prevStep && h.step <= lastStep),
        samples: full.samples.filter((s) => s.step > prevStep && s.step <= lastStep),
      });
    }
    const after = await view.page.$eval(plot, (c) => (c as any).toDataURL());
    assert.notEqual(after, before, 'the loss chart redrew');
    // With no cursor and no markers the charts' overlays are empty, and out of the page (an empty
    // canvas on screen still costs a copy to the compositor every frame).
    assert.equal(await view.page.$eval('#losses .chart-overlay', (c) => window.getComputedStyle(c).display), 'none', 'an empty overlay is not displayed');
    // An append that changes nothing shown writes nothing to the summary or the game controls:
    // each rewritten text node would cost a style, layout and paint pass at 10 updates a second.
    await view.page.evaluate(() => {
      const seen: string[] = (window.__mutations = []);
      const observer = new window.MutationObserver((list: { type: string; target: { id?: string; className?: string; nodeName: string } }[]) => {
        for (const m of list) seen.push(`${m.type} ${m.target.id || m.target.className || m.target.nodeName}`);
      });
      for (const sel of ['.summary', '#game']) observer.observe(document.querySelector(sel), { subtree: true, childList: true, characterData: true, attributes: true });
    });
    const lastRun = { ...snap.run, step: records.at(-1)!.step };
    await view.post({ type: 'append', runId: snap.run.id, run: lastRun });
    await view.frames(2);
    assert.deepEqual(await view.page.evaluate(() => window.__mutations), [], 'an unchanged append rewrote nothing');
    const label = await view.page.textContent('#samples .scrub-label');
    assert.notEqual(label, beforeLabel);
    assert.match(label ?? '', new RegExp(`${full.samples.length}/${full.samples.length}$`), 'the scrubber followed the newest sample');
    assert.equal(await view.page.getAttribute('#samples .points-canvas', 'data-step'), String(full.samples.at(-1)!.step));
    assert.equal(await view.page.textContent('[data-fact="Step"]'), `${records.at(-1)!.step} / ${full.run.totalSteps}`);
    assert.deepEqual(view.pageErrors, []);
    await view.screenshot('ring-live-dark');
    await view.close();
  });

  for (const theme of ['light', 'dark', 'high-contrast'] as const) {
    test(`MNIST run: sample grid, real grid and tile history (${theme})`, async () => {
      const snap = server.snapshot(mnistDir);
      const first = snap.samples[0];
      assert.ok(snap.samples.length >= 2, `the MNIST run has ${snap.samples.length} sample steps`);
      const view = await open(theme, snap);
      assert.equal(await view.page.locator('#samples .grid-pair figure:first-child .tile').count(), first.rows * first.cols, 'one tile per grid cell');
      assert.ok(await view.page.isVisible('#samples .real-grid img'), 'the real-data grid is shown');
      const shown = (): Promise<string | null> => view.page.getAttribute('#samples .grid-pair figure:first-child img', 'data-step');
      assert.equal(await shown(), String(snap.samples.at(-1)!.step));
      await view.page.focus('#samples .scrub');
      await view.page.keyboard.press('Home');
      await view.page.waitForFunction((s) => document.querySelector('#samples .grid-pair figure:first-child img')?.getAttribute('data-step') === s, String(first.step));
      // Click a tile: its history across steps appears and draws every step.
      await view.page.locator('#samples .tile').nth(first.cols + 1).click();
      await view.page.waitForSelector('#samples .tile-history:not([hidden])');
      await view.page.waitForTimeout(150);
      await view.frames(3);
      const ink = await view.ink('#samples .tile-history-canvas', hexToRgb(themeColor(theme, 'editor-background')));
      assert.ok(ink.differing > 500, `tile history drawn (${ink.differing} px)`);
      assert.match((await view.page.textContent('#samples .tile-history h3')) ?? '', new RegExp(`row 2, column 2 across ${snap.samples.length} steps`));
      await view.screenshot(`mnist-${theme}`);
      assert.deepEqual(view.pageErrors, []);
      await view.close();
    });
  }

  test('MNIST run: play animates through the steps', async () => {
    const snap = server.snapshot(mnistDir);
    const view = await open('dark', snap);
    await view.page.focus('#samples .scrub');
    await view.page.keyboard.press('Home');
    await view.page.click('#samples .play');
    const last = String(snap.samples.at(-1)!.step);
    await view.page.waitForFunction((s) => document.querySelector('#samples .scrub-label')?.getAttribute('data-step') === s, last, { timeout: 10_000 });
    // Playback stops by itself at the last step.
    await view.page.waitForFunction(() => document.querySelector('#samples .play')?.textContent?.trim() === 'Play');
    await view.close();
  });

  test('view state is saved through setState', async () => {
    const view = await open('dark', server.snapshot(ringDir));
    await view.page.$eval('#smoothing', (el) => {
      (el as any).value = '0.9';
      el.dispatchEvent(new Event('input'));
    });
    await view.page.click('#history-mode button:nth-child(2)');
    const state = (await view.page.evaluate(() => window.__getState())) as Record<string, unknown>;
    assert.equal(state.smoothing, 0.9);
    assert.equal(state.histMode, 'heatmap');
    await view.frames(2);
    assert.ok((await view.colorPixels('#discriminator .history-canvas', hexToRgb(themeColor('dark', 'charts-green')), 60)) > 20, 'heatmap drawn');
    await view.screenshot('ring-heatmap-dark');
    await view.close();
  });

  test('the ridgeline keeps its older rows in place as histograms arrive', async () => {
    const snap = server.snapshot(ringDir);
    const template = snap.histograms.at(-1)!;
    const hist = (i: number) => ({ ...template, step: (i + 1) * 10, real: template.real.map((c, j) => (c + i * j) % 17), fake: template.fake.map((c, j) => (c * (i + 3) + j) % 13) });
    // 100 snapshots: every 4th one and the newest are rows (at most 40 fit).
    const view = await open('dark', { ...snap, histograms: Array.from({ length: 100 }, (_, i) => hist(i)) });
    await view.page.locator('#discriminator .history-canvas').scrollIntoViewIfNeeded();
    await view.frames(3);
    // The rows above the newest ridge's reach, left of the 0.5 line (which is drawn over them
    // every frame): image data of that corner of the canvas, as a list.
    const top = (): Promise<number[]> =>
      view.page.$eval('#discriminator .history-canvas', (c: any) => Array.from(c.getContext('2d').getImageData(0, 0, Math.floor(c.width * 0.45), Math.floor(c.height * 0.45)).data as Uint8ClampedArray));
    const whole = (): Promise<string> => view.page.$eval('#discriminator .history-canvas', (c: any) => c.toDataURL());
    const [topBefore, before] = [await top(), await whole()];
    await view.post({ type: 'append', runId: snap.run.id, histograms: [hist(100)] });
    await view.frames(3);
    assert.notEqual(await whole(), before, 'the newest row changed');
    const after = await top();
    const width = await view.page.$eval('#discriminator .history-canvas', (c: any) => Math.floor(c.width * 0.45));
    const diff = after.map((v, i) => (v === topBefore[i] ? -1 : i)).filter((i) => i >= 0);
    assert.ok(diff.length === 0, `the older rows did not move: ${diff.length} bytes differ, first at ${diff.slice(0, 5).map((i) => `${Math.floor(i / 4) % width},${Math.floor(i / 4 / width)}`).join(' ')}`);
    await view.close();
  });

  test('log scale, wall-time axis and the keyboard', async () => {
    const snap = server.snapshot(ringDir);
    const view = await open('light', snap);
    const plot = '#losses .chart-plot';
    const blue = hexToRgb(themeColor('light', 'charts-blue'));
    const linear = await view.page.$eval(plot, (c) => (c as any).toDataURL());
    await view.page.click('#log-scale');
    await view.frames(3);
    assert.notEqual(await view.page.$eval(plot, (c) => (c as any).toDataURL()), linear, 'log scale redrew');
    assert.ok((await view.colorPixels(plot, blue)) > 100, 'D loss drawn on a log axis');
    await view.page.click('#x-axis vscode-dropdown');
    await view.page.click('#x-axis vscode-option[value="wall"]');
    await view.frames(3);
    assert.ok((await view.colorPixels(plot, blue)) > 100, 'D loss drawn against wall time');
    const state = (await view.page.evaluate(() => window.__getState())) as Record<string, unknown>;
    assert.equal(state.logY, true);
    assert.equal(state.xMode, 'wall');
    // Keyboard: focus the chart, End then Left moves the cursor to the previous sample step.
    await view.page.focus('#losses .chart-body');
    await view.page.keyboard.press('End');
    await view.page.keyboard.press('ArrowLeft');
    await view.frames(2);
    assert.equal(await view.page.getAttribute('#samples .scrub-label', 'data-step'), String(snap.samples.at(-2)!.step));
    assert.match((await view.page.textContent('#losses .chart-readout')) ?? '', new RegExp(`step ${snap.samples.at(-2)!.step} · \\d+:\\d\\d`));
    await view.screenshot('ring-log-wall-light');
    assert.deepEqual(view.pageErrors, []);
    await view.close();
  });

  test('latent walk: posts a typed generate request and draws the answer', async () => {
    const snap = server.snapshot(mnistDir);
    const view = await open('dark', snap);
    await view.page.click('#walk-button');
    const req = (await view.recorded()).posted.find((m) => (m as { type: string }).type === 'generate') as { requestId: number; runId: string; z: number[]; count: number };
    const latentDim = (snap.config as { generator: { latentDim: number } }).generator.latentDim;
    assert.equal(req.runId, snap.run.id);
    assert.equal(req.z.length, req.count * latentDim);
    assert.ok(req.z.every(Number.isFinite));
    const [h, w] = snap.run.imageShape!;
    // A stand-in for the trainer: a bright disc that grows along the walk.
    const data: number[] = [];
    for (let k = 0; k < req.count; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.push(Math.hypot(x - w / 2, y - h / 2) < 3 + k ? 1 : -1);
    await view.post({ type: 'generated', requestId: req.requestId + 100, data, shape: [req.count, h, w, 1] });
    await view.post({ type: 'generated', requestId: req.requestId, data, shape: [req.count, h, w, 1] });
    await view.frames(2);
    assert.ok((await view.colorPixels('#latent-walk .walk-canvas', [255, 255, 255], 10)) > 200, 'generated samples drawn');
    const { logs } = await view.recorded();
    assert.ok(logs.some((l) => /not waiting for/.test(l.message)), 'an answer to another request is ignored');
    await view.screenshot('mnist-walk-dark');
    await view.close();
  });

  test('compare view overlays runs and shows their samples side by side', async () => {
    const ring = server.snapshot(ringDir);
    const mnist = server.snapshot(mnistDir);
    const view = await View.open(browser, server.pageUrl('dashboard', 'dark'));
    await view.post({ type: 'compare', runs: [ring, mnist] });
    await view.page.waitForSelector('#compare-losses .chart-plot');
    await settle(view);
    assert.equal(await view.page.locator('.compare-cell').count(), 2);
    const legend = await view.page.locator('#compare-losses .chart').first().locator('.legend-item').allTextContents();
    assert.deepEqual(legend, [ring.run.name, mnist.run.name]);
    const dLoss = '#compare-losses .chart-plot'; // the first chart: D loss
    // Runs take the chart colours in order: blue, then orange.
    assert.ok((await view.colorPixels(dLoss, hexToRgb(themeColor('dark', 'charts-blue')))) > 50, 'first run drawn');
    assert.ok((await view.colorPixels(dLoss, hexToRgb(themeColor('dark', 'charts-orange')))) > 50, 'second run drawn');
    assert.ok((await view.colorPixels('#compare-d .chart-plot', hexToRgb(themeColor('dark', 'charts-orange')))) > 50, 'D means drawn');
    assert.ok(await view.page.isVisible('.compare-cell img.grid-image'));
    await view.screenshot('compare-dark');
    assert.deepEqual(view.pageErrors, []);
    await view.close();
  });
});

if (skip) test('dashboard webview', { skip }, () => undefined);
