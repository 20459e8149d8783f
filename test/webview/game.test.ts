/**
 * Playing the game by hand, in headless Chromium, on a ring run the real trainer played with a
 * control schedule (edits, a pause, D and G steps by hand): the 2-D view's arrows, edit markers
 * on the charts, the control bar's messages and its enabled state, live edits, forks, and views
 * refreshing from what the host appends after a press.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { RunSnapshot } from '../../src/protocol/webviewProtocol';
import { readEvents, readMetrics } from '../../src/runDir/runReader';
import { hexToRgb, launch, ROOT, skipReason, TestServer, themeColor, View, type Theme } from './harness';
import { gameRun } from './gameRun';
import { RUNS_DIR } from './runs';

declare const document: any;

const skip = skipReason();

describe('playing the game by hand (dashboard)', { skip }, () => {
  let browser: Browser;
  let server: TestServer;
  let dir: string;

  before(async () => {
    dir = await gameRun();
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
    await view.page.waitForSelector('#samples .points-canvas[data-step]');
    await view.page.waitForTimeout(50);
    await view.frames(3);
    return view;
  }

  const live = (paused: boolean): RunSnapshot => {
    const snap = server.snapshot(dir);
    snap.run = { ...snap.run, status: 'running' };
    snap.paused = paused;
    return snap;
  };

  async function posted(view: View, type: string): Promise<any[]> {
    return (await view.recorded()).posted.filter((m: any) => m.type === type);
  }

  test('the run holds the events the schedule made', () => {
    const kinds = readEvents(dir).map((e) => `${e.step}:${e.kind}`);
    assert.deepEqual(kinds, ['150:edit', '250:pause', '250:dStep', '250:gStep', '250:dStep', '250:gStep', '250:edit', '250:continue', '320:edit']);
  });

  for (const theme of ['dark', 'light'] as const) {
    test(`2-D view draws G's push arrows with their legend, and charts mark the edits (${theme})`, async () => {
      const snap = live(true);
      const view = await open(theme, snap);
      const c = (name: string): [number, number, number] => hexToRgb(themeColor(theme, name));
      const arrows = Number(await view.page.getAttribute('#samples .points-canvas', 'data-arrows'));
      assert.equal(arrows, 256, 'one arrow per generated point');
      const legend = (await view.page.textContent('#arrow-legend')) ?? '';
      assert.match(legend, /where G's loss pushes each sample, −∂L_G\/∂x, scaled ×[\d.e+-]+/);
      // Arrows are drawn in the foreground colour over the plane: many more such pixels than without.
      const fg = c('foreground');
      const withArrows = await view.colorPixels('#samples .points-canvas', fg, 30);
      await view.page.click('#arrows-push');
      await view.frames(3);
      const without = await view.colorPixels('#samples .points-canvas', fg, 30);
      assert.ok(withArrows > without + 300, `arrows drawn (${withArrows} vs ${without} foreground pixels)`);
      assert.equal(await view.page.getAttribute('#samples .points-canvas', 'data-arrows'), '0');
      await view.page.click('#arrows-push');
      await view.page.click('#arrows-field');
      await view.frames(3);
      assert.match((await view.page.textContent('#arrow-legend')) ?? '', /∇ₓ of D's output over the plane/);

      // Markers: the three edits in the accent colour, on every chart that has a step axis.
      for (const sel of ['#losses .chart-body', '#discriminator .chart .chart-body']) {
        const n = Number(await view.page.getAttribute(sel, 'data-markers'));
        assert.ok(n >= 4, `${sel}: ${n} markers`);
      }
      const accent = await view.colorPixels('#losses .chart-overlay', c('charts-yellow'), 30);
      assert.ok(accent > 150, `edit markers drawn (${accent} px)`);
      // The D-output history (drawn when scrolled to) marks them too.
      const history = '#discriminator .chart-body[aria-label^="History"]';
      await view.page.locator(history).scrollIntoViewIfNeeded();
      await view.frames(4);
      assert.ok(Number(await view.page.getAttribute(history, 'data-markers')) >= 4, 'the D-output history marks the events');
      await view.page.locator('#losses').scrollIntoViewIfNeeded();
      const shot = await view.screenshot(`game-${theme}`);
      if (theme === 'dark') copyFileSync(shot, join(ROOT, '.test-artifacts/webview/game-readme.png'));
      assert.deepEqual(view.pageErrors, []);
      assert.deepEqual((await view.recorded()).csp, []);
      await view.close();
    });
  }

  test('per-layer norms: gradients and weights of every layer of G and D, on a log scale', async () => {
    const snap = live(false);
    assert.ok(snap.layerNorms && snap.run.layers, 'the run logged per-layer norms');
    const view = await open('dark', snap);
    const c = (name: string): [number, number, number] => hexToRgb(themeColor('dark', name));
    const legend = await view.page.$$eval('#layer-norms .legend-item', (els: any[]) => els.map((e) => e.textContent));
    assert.deepEqual(legend, [...snap.run.layers.generator.map((n) => `G ${n}`), ...snap.run.layers.discriminator.map((n) => `D ${n}`)]);
    const plot = '#layer-norms .chart-plot';
    assert.ok((await view.colorPixels(plot, c('charts-orange'))) > 200, "G's layers drawn");
    assert.ok((await view.colorPixels(plot, c('charts-blue'))) > 200, "D's layers drawn");
    assert.ok(Number(await view.page.getAttribute('#layer-norms .chart-body', 'data-markers')) >= 4, 'edits marked here too');
    const grads = await view.page.$eval(plot, (el: any) => el.toDataURL());
    await view.page.click('#norm-mode button:has-text("Weights")');
    await view.frames(3);
    assert.ok((await view.page.$eval(plot, (el: any) => el.toDataURL())) !== grads, 'weights drawn instead');
    await view.page.locator('#layer-norms').screenshot({ path: join(ROOT, '.test-artifacts/webview/game-norms-weights.png') });
    await view.page.click('#norm-mode button:has-text("Gradients")');
    await view.frames(3);
    await view.page.locator('#layer-norms').screenshot({ path: join(ROOT, '.test-artifacts/webview/game-norms-grads.png') });
    await view.close();
  });

  test('a marker names the edit: pointer, old → new, in the tooltip and the read-out', async () => {
    const view = await open('dark', live(false));
    const body = view.page.locator('#losses .chart-body').first();
    const box = (await body.boundingBox())!;
    // Scan along the axis for the step-150 marker (the x domain is snapped, so search for it).
    let title = '';
    for (let x = 50; x < box.width - 12 && !title.includes('D learning rate'); x += 1) {
      await view.page.mouse.move(box.x + x, box.y + box.height / 2);
      title = (await body.getAttribute('title')) ?? '';
    }
    assert.match(title, /^Step 150: D learning rate 0\.001 → 5\.00e-4 \(\/training\/discriminatorOptimizer\/learningRate, dashboard\)/);
    await view.frames(2);
    assert.match((await view.page.textContent('#losses .chart-readout')) ?? '', /step 150: D learning rate 0\.001 → 5\.00e-4/);
    await view.screenshot('game-marker-hover-dark');
    await view.close();
  });

  test('the control bar: enabled by state, posts typed messages, keys work, refusals show', async () => {
    // A finished run: nothing to press.
    const done = await open('dark', server.snapshot(dir));
    for (const id of ['#game-pause', '#game-dstep', '#game-gstep', '#game-step']) assert.equal(await done.page.getAttribute(id, 'disabled'), '', `${id} disabled on a finished run`);
    assert.match((await done.page.textContent('#game-state')) ?? '', /Not training \(completed\)/);
    await done.page.keyboard.press('d');
    assert.deepEqual(await posted(done, 'control'), [], 'no shortcut on a finished run');
    await done.close();

    // Live and training: Pause only.
    const snap = live(false);
    const view = await open('dark', snap);
    const runId = snap.run.id;
    assert.equal(await view.page.getAttribute('#game-pause', 'disabled'), null);
    assert.equal((await view.page.textContent('#game-pause'))?.trim(), 'Pause');
    for (const id of ['#game-dstep', '#game-gstep', '#game-step']) assert.equal(await view.page.getAttribute(id, 'disabled'), '', `${id} disabled while training`);
    await view.page.click('#game-dstep', { force: true });
    await view.page.click('#game-pause');
    assert.deepEqual(await posted(view, 'control'), [{ type: 'control', runId, action: 'pause' }]);

    // The host says it paused: the step buttons come on and the state says where.
    await view.post({ type: 'append', runId, paused: true });
    assert.match((await view.page.textContent('#game-state')) ?? '', /^Paused at step 400$/);
    assert.equal((await view.page.textContent('#game-pause'))?.trim(), 'Continue');
    for (const id of ['#game-dstep', '#game-gstep', '#game-step']) assert.equal(await view.page.getAttribute(id, 'disabled'), null, `${id} enabled while paused`);
    await view.page.click('#game-dstep');
    await view.page.click('#game-gstep');
    await view.page.click('#game-step');
    // Keys, with the focus on the page (not in a field): D, G, S, Space.
    await view.page.click('#losses h2');
    for (const k of ['d', 'g', 's', ' ']) await view.page.keyboard.press(k === ' ' ? 'Space' : k);
    // Typing in a number field is typing, not a shortcut.
    await view.page.click('#game-edits summary');
    await view.page.fill('#edit-generatorOptimizer-learningRate', '0.0005');
    await view.page.keyboard.press('d');
    const actions = (await posted(view, 'control')).map((m) => m.action);
    assert.deepEqual(actions, ['pause', 'dStep', 'gStep', 'step', 'dStep', 'gStep', 'step', 'continue']);
    await view.page.screenshot({ path: join(ROOT, '.test-artifacts/webview/game-paused-bar.png'), clip: { x: 0, y: 0, width: 1280, height: 420 } });

    // Live edits: the current values follow config.json and the edits so far.
    assert.equal(await view.page.getAttribute('#game-edits .edit-current >> nth=1', 'data-value'), '0.0005', 'D learning rate after the step-150 edit');
    assert.equal(await view.page.getAttribute('#game-edits .edit-current >> nth=0', 'data-value'), '0.002', 'G learning rate after the step-250 edit');
    await view.page.fill('#edit-generatorOptimizer-learningRate', '0.0005');
    await view.page.press('#edit-generatorOptimizer-learningRate', 'Enter');
    await view.page.fill('#edit-training-dStepsPerGStep', '3');
    await view.page.click('#game-edits .edit-apply >> nth=6');
    assert.deepEqual(await posted(view, 'edit'), [
      { type: 'edit', runId, pointer: '/training/generatorOptimizer/learningRate', value: 0.0005 },
      { type: 'edit', runId, pointer: '/training/dStepsPerGStep', value: 3 },
    ]);
    // The trainer refuses one: the message shows by the controls, not as the page banner.
    await view.post({ type: 'error', message: '/training/dStepsPerGStep must be ≤ 2 here' });
    assert.equal(await view.page.isVisible('#game-message'), true);
    assert.match((await view.page.textContent('#game-message')) ?? '', /dStepsPerGStep must be/);
    assert.equal(await view.page.isVisible('.banner'), false);

    // Fork from a checkpoint with one edit.
    await view.page.click('#game-fork summary');
    await view.frames(2);
    await view.page.fill('#fork-training-labelSmoothing', '0.9');
    await view.page.click('#fork-button');
    assert.deepEqual(await posted(view, 'fork'), [{ type: 'fork', runId, step: 400, sets: [{ pointer: '/training/labelSmoothing', value: 0.9 }] }]);
    await view.screenshot('game-forms-dark');
    assert.deepEqual(view.pageErrors, []);
    assert.deepEqual((await view.recorded()).csp, []);
    await view.close();
  });

  test('after a press, every view refreshes from what the host appends', async () => {
    // The snapshot as it was before step 250's manual steps; the rest arrives as appends.
    const full = live(true);
    const snap = live(true);
    const cut = (s: { step: number }): boolean => s.step < 250;
    const n = Array.from(snap.metrics.step).findIndex((s) => s >= 250);
    for (const k of Object.keys(snap.metrics) as (keyof typeof snap.metrics)[]) snap.metrics[k] = snap.metrics[k].slice(0, n);
    if (snap.layerNorms) for (const k of ['gGrad', 'dGrad', 'gWeight', 'dWeight'] as const) snap.layerNorms[k] = snap.layerNorms[k].map((c) => c.slice(0, n));
    snap.histograms = snap.histograms.filter(cut);
    snap.samples = snap.samples.filter(cut);
    snap.events = full.events!.filter((e) => e.step < 250 || e.kind === 'pause');
    const view = await open('dark', snap);
    const runId = snap.run.id;
    const markersBefore = Number(await view.page.getAttribute('#losses .chart-body', 'data-markers'));
    const before = await view.page.$eval('#samples .points-canvas', (c: any) => c.toDataURL());
    const histBefore = await view.page.textContent('#hist-caption');
    // D step pressed: the host appends the event and the manual step's pictures (step 250's).
    const dEvent = full.events!.find((e) => e.kind === 'dStep')!;
    const sample = full.samples.find((s) => s.step === 250)!;
    const hist = full.histograms.find((h) => h.step === 250) ?? full.histograms.at(-1)!;
    await view.post({ type: 'append', runId, events: [dEvent], samples: [sample], histograms: [{ ...hist, step: 250 }] });
    await view.page.waitForFunction(() => document.querySelector('#samples .points-canvas')?.getAttribute('data-step') === '250');
    await view.page.waitForTimeout(50);
    await view.frames(3);
    assert.ok((await view.page.$eval('#samples .points-canvas', (c: any) => c.toDataURL())) !== before, 'the 2-D view redrew');
    assert.notEqual(await view.page.textContent('#hist-caption'), histBefore, 'the histogram moved to the new step');
    assert.match((await view.page.textContent('#hist-caption')) ?? '', /^Step 250/);
    assert.ok(Number(await view.page.getAttribute('#losses .chart-body', 'data-markers')) > markersBefore, 'the D step got its marker');
    assert.match((await view.page.textContent('#game-last')) ?? '', /one D step by hand: D loss/);
    // A full step: new metrics extend the loss chart.
    const rec = readMetrics(dir).find((m) => m.step === full.metrics.step[n])!;
    const lossBefore = await view.page.$eval('#losses .chart-plot', (c: any) => c.toDataURL());
    await view.post({ type: 'append', runId, metrics: [rec] });
    await view.frames(3);
    assert.ok((await view.page.$eval('#losses .chart-plot', (c: any) => c.toDataURL())) !== lossBefore, 'the loss chart drew the new step');
    assert.deepEqual(view.pageErrors, []);
    await view.close();
  });
});
