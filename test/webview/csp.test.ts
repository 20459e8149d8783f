/**
 * The CSP of renderWebviewHtml against the real bundles: scripts by nonce only, no eval, and no
 * 'unsafe-inline' styles. The toolkit (FAST) writes a <style> element for a feature check, which
 * such a CSP blocks (vscode-webview-ui-toolkit#545) unless it carries the nonce that FAST reads
 * from <meta property="csp-nonce">; these tests fail on any violation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launch, skipReason, TestServer, View } from './harness';
import { ringRun, RUNS_DIR } from './runs';

// Browser-side code below is typed loosely rather than adding the DOM lib to the Node program.
declare function getComputedStyle(el: unknown): { paddingLeft: string };

const skip = skipReason();

describe('webview CSP', { skip }, () => {
  let browser: Browser;
  let server: TestServer;
  let ringDir: string;

  before(async () => {
    ringDir = await ringRun();
    browser = await launch();
    server = await TestServer.start(RUNS_DIR);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the shipped CSP allows no eval and no inline code', async () => {
    const view = await View.open(browser, server.pageUrl('dashboard', 'dark'));
    const csp = (await view.page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content')) ?? '';
    assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline/);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[^']+'(;|$)/);
    await view.close();
  });

  test('the dashboard, a compare panel and the toolkit controls raise no CSP violation', async () => {
    const view = await View.open(browser, server.pageUrl('dashboard', 'dark'));
    const snapshot = server.snapshot(ringDir);
    await view.post({ type: 'snapshot', snapshot });
    await view.page.waitForSelector('#losses .chart-plot');
    await view.page.click('#x-axis vscode-dropdown');
    await view.page.keyboard.press('Escape');
    await view.post({ type: 'compare', runs: [snapshot, snapshot] });
    await view.page.waitForSelector('#compare-losses .chart-plot');
    await view.frames(3);
    assert.deepEqual((await view.recorded()).csp, []);
    // The toolkit's styles applied: a blocked stylesheet would leave its button unpadded.
    const padding = await view.page.$eval('.scrubber .play', (el) => getComputedStyle((el as unknown as { shadowRoot: { querySelector(s: string): unknown } }).shadowRoot.querySelector('button')).paddingLeft);
    assert.equal(padding, '11px');
    assert.deepEqual(view.pageErrors, []);
    await view.close();
  });

  test('the samples view raises no CSP violation', async () => {
    const view = await View.open(browser, server.pageUrl('samples', 'light'));
    const snapshot = server.snapshot(ringDir);
    await view.post({ type: 'latestSample', runs: [{ id: snapshot.run.id, name: snapshot.run.name, status: snapshot.run.status }], selected: snapshot.run.id, run: snapshot.run, sample: snapshot.samples.at(-1) });
    await view.page.waitForSelector('.points-canvas[data-step]');
    assert.deepEqual((await view.recorded()).csp, []);
    await view.close();
  });
});

if (skip) test('webview CSP', { skip }, () => undefined);
