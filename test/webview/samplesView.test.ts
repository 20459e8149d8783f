/** The Samples side view in headless Chromium, on real runs: latest grid, step, run picker. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { HostToWebview, RunSnapshot } from '../../src/protocol/webviewProtocol';
import { hexToRgb, launch, skipReason, TestServer, themeColor, View } from './harness';
import { mnistRun, ringRun, RUNS_DIR } from './runs';

declare const document: any;

const skip = skipReason();

describe('samples side view', { skip }, () => {
  let browser: Browser;
  let server: TestServer;
  let ring: RunSnapshot;
  let mnist: RunSnapshot;

  before(async () => {
    const [ringDir, mnistDir] = await Promise.all([ringRun(), mnistRun()]);
    browser = await launch();
    server = await TestServer.start(RUNS_DIR);
    ring = server.snapshot(ringDir);
    mnist = server.snapshot(mnistDir);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const latest = (selected: RunSnapshot, sampleIndex = -1): HostToWebview => ({
    type: 'latestSample',
    runs: [mnist, ring].map((s) => ({ id: s.run.id, name: s.run.name, status: s.run.status })),
    selected: selected.run.id,
    run: selected.run,
    sample: selected.samples.at(sampleIndex),
  });

  for (const theme of ['dark', 'light'] as const) {
    test(`shows the latest image grid, its step and the run picker (${theme})`, async () => {
      const view = await View.open(browser, server.pageUrl('samples', theme), { width: 320, height: 560 });
      await view.post(latest(mnist));
      await view.page.waitForFunction(() => document.querySelector('img.grid-image')?.complete && document.querySelector('img.grid-image').naturalWidth > 0);
      assert.equal(await view.page.getAttribute('#sample-step', 'data-step'), String(mnist.samples.at(-1)!.step));
      assert.equal(await view.page.locator('#run-picker vscode-option').count(), 2);
      await view.frames(2);
      await view.screenshot(`samples-view-mnist-${theme}`);
      // Switch to the 2-D run: the view draws its plane instead.
      await view.post(latest(ring));
      await view.page.waitForSelector('.points-canvas[data-step]');
      await view.frames(3);
      const ink = await view.ink('.points-canvas', hexToRgb(themeColor(theme, 'editor-background')));
      assert.ok(ink.differing > 2000, `2-D sample drawn (${ink.differing} px)`);
      await view.screenshot(`samples-view-ring-${theme}`);
      assert.deepEqual(view.pageErrors, []);
      await view.close();
    });
  }

  test('a new latest sample replaces the shown step; picking a run and opening the dashboard post messages', async () => {
    const view = await View.open(browser, server.pageUrl('samples', 'dark'), { width: 320, height: 560 });
    await view.post(latest(mnist, 0));
    assert.equal(await view.page.getAttribute('#sample-step', 'data-step'), String(mnist.samples[0].step));
    await view.post(latest(mnist, -1));
    assert.equal(await view.page.getAttribute('#sample-step', 'data-step'), String(mnist.samples.at(-1)!.step));
    await view.page.click('#run-picker vscode-dropdown');
    await view.page.click(`#run-picker vscode-option[value="${ring.run.id}"]`);
    await view.page.click('#open-dashboard');
    const posted = (await view.recorded()).posted.filter((m) => (m as { type: string }).type !== 'log');
    assert.deepEqual(posted, [{ type: 'ready' }, { type: 'selectRun', runId: ring.run.id }, { type: 'openDashboard', runId: mnist.run.id }]);
    await view.post({ type: 'latestSample', runs: 'none' });
    const { logs } = await view.recorded();
    assert.ok(logs.some((l) => l.level === 'warn' && /ignored a message: latestSample.runs/.test(l.message)));
    assert.deepEqual(view.pageErrors, []);
    await view.close();
  });
});

if (skip) test('samples side view', { skip }, () => undefined);
