// Issue 7, alarms: "each shows as a dashboard banner, in the status bar, and as a notification once
// per run", and links to the steps where it fired. In a real VS Code (code-server 4.100.3, Debian's
// Chromium), with the working tree's build installed unpacked:
//   1  open test/fixtures/e2e-alarms-workspace/gan.json, a ring run made to fail: minimax loss,
//      D's learning rate 100× G's (2e-3 against 2e-5), metrics logged every step, samples every
//      50. With the default alarm settings D wins from about step 100, and the generator, which
//      hardly learns, counts as collapsed from about step 200;
//   2  F1 → "GAN: Train GAN";
//   3  a warning toast names each alarm, the step it fired from and the first sentence of why;
//   4  the status-bar item of the run turns to a warning, its hover lists both alarms, and a click
//      on it brings back the closed dashboard;
//   5  the dashboard shows a banner per alarm whose first step link is the toast's step;
//   6  clicking that link moves the step cursor: the samples show the sample at that step, and
//      stay there while the live run logs newer ones;
//   7  stopped and resumed, the run is judged again from its history, which holds both alarms:
//      no toast announces them again, in that session or when it ends.
// Screenshots of each stage go to .test-artifacts/e2e/alarms/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { readSamples } from '../../src/runDir/runReader';
import {
  findWebviewFrame,
  installUnpacked,
  openFile,
  poll,
  reEscape,
  runCommand,
  tryCommand,
  waitForNotification,
} from './codeServer';
import { runScenario } from './stages';
import { copyWorkspace, waitForRun } from './trainScenario';

/** Everything after code-server is installed: about a minute on a quiet 2-core machine. */
const SCENARIO_BUDGET_MS = 4 * 60_000;

/** The alarms the fixture's run raises, as the toasts and banners title them. */
const ALARMS = [
  { kind: 'discriminator-wins', title: 'The discriminator wins' },
  { kind: 'mode-collapse', title: 'Mode collapse' },
] as const;

/** The toast of an alarm: "GAN Studio: <run>: <title> (from step N). <first sentence of the message>". */
function toastPattern(runName: string, title: string): RegExp {
  return new RegExp(`^GAN Studio: ${reEscape(runName)}: ${reEscape(title)} \\(from step (\\d+)\\)\\. (.+)$`);
}

/** A toast shows the message's first sentence whole: not cut inside a parenthesis or at a colon. */
function wholeSentence(text: string): boolean {
  let depth = 0;
  for (const c of text) depth += c === '(' ? 1 : c === ')' ? -1 : 0;
  return depth === 0 && text.endsWith('.');
}

/**
 * Keeps the text of every toast the workbench shows. The notification centre cannot tell how often
 * something was announced: VS Code replaces a notification equal to one it lists by the new one.
 */
async function recordToasts(page: Page): Promise<void> {
  await page.evaluate(() => {
    // The root tsconfig has no DOM lib (this file runs in Node).
    const g = globalThis as unknown as { document: any; MutationObserver: any; __ganToasts: Map<unknown, string> };
    const seen = new Map<unknown, string>();
    g.__ganToasts = seen;
    const scan = () => {
      for (const el of g.document.querySelectorAll('.notification-toast')) {
        const text = el.querySelector('.notification-list-item-message')?.textContent ?? '';
        if (text) seen.set(el, text);
      }
    };
    new g.MutationObserver(scan).observe(g.document.body, { childList: true, subtree: true, characterData: true });
  });
}

/** The toasts shown since recordToasts, one entry per toast, oldest first. */
async function toastsShown(page: Page): Promise<string[]> {
  return page.evaluate(() => [...(globalThis as unknown as { __ganToasts: Map<unknown, string> }).__ganToasts.values()]);
}

/** The step the dashboard's samples show: the scrubber's label and the 2-D plot agree on it. */
async function shownSampleStep(dashboard: Frame): Promise<{ label: number; plot: number }> {
  const label = Number(await dashboard.locator('#samples .scrub-label').getAttribute('data-step', { timeout: 2_000 }));
  const plot = Number(await dashboard.locator('#samples canvas.points-canvas').getAttribute('data-step', { timeout: 2_000 }));
  return { label, plot };
}

test('GAN Studio e2e: a failing run raises alarms as a toast, in the status bar and as dashboard banners (code-server)', { timeout: 25 * 60_000 }, async (t) => {
  await runScenario(t, { name: 'alarms', file: 'test/e2e/alarms.e2e.test.ts', budgetMs: SCENARIO_BUDGET_MS }, async ({ root, stages, workspace, userDataDir, extensionsDir }) => {
    const installed = installUnpacked(root, extensionsDir);
    stages.say(`installed the build unpacked: ${installed.files} files in ${installed.dir}`);
    copyWorkspace(root, workspace, 'e2e-alarms-workspace');

    const p = await stages.openWorkbench({ workspace, extensionsDir, userDataDir });
    await recordToasts(p);

    // ---- 1, 2: the failing gan.json, trained from the palette ----
    const started = await stages.run('1-2 open the failing gan.json, F1 → GAN: Train GAN', 90_000, async () => {
      await openFile(p, 'gan.json', 60_000);
      // Room for the dashboard, which opens in the editor area.
      await tryCommand(p, 'View: Close Primary Side Bar');
      await runCommand(p, 'GAN: Train GAN');
      return waitForRun(workspace, 'status running with a first step', 80_000, (i) => i.status === 'running' && i.step > 0);
    });
    const { name: runName, id: runId, totalSteps } = started.info;
    stages.say(`run ${runId} in ${started.dir} on ${started.info.backend}`);

    // ---- 3: one toast per alarm, naming it and the step it fired from ----
    const firedAt = await stages.run('3 a warning toast per alarm', 90_000, async () => {
      const at = new Map<string, number>();
      for (const a of ALARMS) {
        const text = await waitForNotification(p, toastPattern(runName, a.title), 80_000);
        const [, step, sentence] = toastPattern(runName, a.title).exec(text)!;
        stages.say(`toast: "${text}"`);
        assert.ok(wholeSentence(sentence), `the "${a.title}" toast shows a whole sentence of the message, not "${sentence}"`);
        // The toast is a warning (its icon), and offers the dashboard.
        const toast = p.locator('.notification-toast').filter({ hasText: a.title }).first();
        assert.equal(await toast.locator('.codicon-warning').count(), 1, `the "${a.title}" toast has the warning icon`);
        assert.equal(await toast.locator('.monaco-button', { hasText: 'Open Dashboard' }).count(), 1, `the "${a.title}" toast offers Open Dashboard`);
        at.set(a.kind, Number(step));
      }
      return at;
    });
    await stages.shot('alarm-toasts');
    const live = await waitForRun(workspace, 'still running after the toasts', 5_000, () => true);
    assert.equal(live.info.status, 'running', `the run is still training when its alarms are announced (it is ${live.info.status} at step ${live.info.step}): raise training.steps in the fixture`);

    // ---- 4: the status bar: the run's item turns to a warning, its hover names the alarms ----
    const item = await stages.run('4 the status-bar item shows the alarms', 60_000, async () => {
      const item = p
        .locator('.part.statusbar .statusbar-item', { hasText: new RegExp(`${reEscape(runName)} \\d+/${totalSteps}\\b`) })
        .filter({ has: p.locator('.codicon-warning') })
        .first();
      await item.waitFor({ state: 'visible', timeout: 30_000 });
      const cls = (await item.getAttribute('class')) ?? '';
      assert.match(cls, /\bwarning-kind\b/, `the item has the warning background (class "${cls}")`);
      stages.say(`status bar: "${(await item.innerText()).replace(/\s+/g, ' ').trim()}"`);
      await item.hover();
      const hover = p.locator('.monaco-hover, .workbench-hover').filter({ hasText: runName }).first();
      await hover.waitFor({ state: 'visible', timeout: 15_000 });
      const text = (await hover.innerText()).replace(/\s+/g, ' ');
      for (const a of ALARMS) assert.ok(text.includes(`${a.title} (since step ${firedAt.get(a.kind)})`), `the hover lists "${a.title} (since step ${firedAt.get(a.kind)})": "${text}"`);
      stages.say(`status-bar hover: "${text}"`);
      await stages.shot('status-bar-hover');
      // Away from the item, so that the hover does not cover the dashboard in later screenshots.
      await p.mouse.move(800, 300);
      await hover.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => p.keyboard.press('Escape'));
      return item;
    });

    // The toasts sit over the dashboard's samples: hide them (they stay in the notification
    // centre, which step 7 reads), as a person would with Escape.
    await stages.run('hide the toasts', 30_000, async () => {
      if (await tryCommand(p, 'Notifications: Focus Notification Toast')) await p.keyboard.press('Escape');
      await p.locator('.notification-toast-container .notification-toast').first().waitFor({ state: 'hidden', timeout: 10_000 });
    });

    // The item leads to the dashboard: closed, it comes back with a click on the item. Its
    // banners then come from the snapshot a new panel asks for, not from live updates.
    const dashboardTab = p.locator('.tabs-container .tab', { has: p.locator('.label-name', { hasText: `GAN: ${runId}` }) }).first();
    await stages.run('4b a click on the status-bar item reopens the closed dashboard', 60_000, async () => {
      await dashboardTab.waitFor({ state: 'visible', timeout: 60_000 });
      await dashboardTab.click();
      await dashboardTab.locator('.codicon-close').click();
      await dashboardTab.waitFor({ state: 'detached', timeout: 10_000 });
      await item.click();
      await dashboardTab.waitFor({ state: 'visible', timeout: 30_000 });
    });

    // ---- 5: the dashboard's banners, whose first step link is where the toast said ----
    const dashboard = await stages.run('5 the dashboard shows a banner per alarm', 90_000, async () => {
      const frame = await findWebviewFrame(p, `#alarms .alarm[data-kind="${ALARMS[1].kind}"]`, 60_000);
      for (const a of ALARMS) {
        const banner = frame.locator(`#alarms .alarm-warning[data-kind="${a.kind}"]`);
        await banner.waitFor({ state: 'visible', timeout: 10_000 });
        assert.equal(await banner.getAttribute('role'), 'alert');
        assert.equal((await banner.locator('.alarm-title').innerText()).trim(), a.title);
        const link = banner.locator('.step-link').first();
        assert.equal(Number(await link.getAttribute('data-step')), firedAt.get(a.kind), `the "${a.title}" banner's first step link is the step the toast named`);
        stages.say(`banner: ${(await banner.innerText()).replace(/\s+/g, ' ').slice(0, 200)}…`);
      }
      assert.match(await frame.locator(`#alarms [data-kind="discriminator-wins"] .alarm-message`).innerText(), /non-saturating/, 'with the minimax loss, the advice is the non-saturating loss');
      return frame;
    });
    await stages.shot('dashboard-banners');

    // ---- 6: the step link moves the step cursor; the samples follow and stay there ----
    await stages.run('6 the step link shows the samples at that step', 60_000, async () => {
      const step = firedAt.get('discriminator-wins')!;
      const expected = readSamples(started.dir).filter((s) => s.step <= step).at(-1)!.step;
      // Before: the samples follow the latest, well past the alarm.
      const before = await poll('the samples to follow the latest', 20_000, async () => {
        const s = await shownSampleStep(dashboard);
        return s.label > expected ? s : undefined;
      });
      await dashboard.locator(`#alarms [data-kind="discriminator-wins"] .step-link[data-step="${step}"]`).click();
      await poll(`the samples to show step ${expected}`, 15_000, async () => {
        const s = await shownSampleStep(dashboard);
        return s.label === expected && s.plot === expected;
      });
      stages.say(`step link ${step}: samples moved from step ${before.label} to ${expected}`);
      // The run goes on logging samples; the cursor a person set stays where they put it.
      const stops = () => dashboard.locator('#samples input.scrub').getAttribute('max').then(Number);
      const known = await stops();
      await poll('the dashboard to receive a newer sample', 30_000, async () => (await stops()) > known);
      assert.deepEqual(await shownSampleStep(dashboard), { label: expected, plot: expected }, 'the samples stay at the alarm step while newer ones arrive');
    });
    await stages.shot('step-link-clicked');

    // ---- 7: once per run, across a stop and a resume ----
    await stages.run('7 stopped and resumed: no alarm is announced again', 120_000, async () => {
      await runCommand(p, 'GAN: Stop Training');
      const stopped = await waitForRun(workspace, 'status stopped', 80_000, (i) => i.status === 'stopped');
      // Resuming re-reads the history, with both alarms in it, into the monitor.
      const toast = p.locator('.notification-toast', { hasText: new RegExp(`${reEscape(runName)} stopped at step ${stopped.info.step}\\b`) });
      await toast.locator('.monaco-button', { hasText: 'Resume' }).click({ timeout: 20_000 });
      const resumed = await waitForRun(workspace, `running again past step ${stopped.info.step + 200}`, 80_000, (i) => i.status === 'running' && i.step > stopped.info.step + 200);
      assert.deepEqual(resumed.info.resumedAt, [stopped.info.step]);
      await runCommand(p, 'GAN: Stop Training');
      const final = await waitForRun(workspace, 'stopped again', 80_000, (i) => i.status === 'stopped' && i.step > stopped.info.step);
      // The monitor's last judgement runs when the session ends, in the same turn as the one that
      // shows this toast: an alarm announced again would be among the toasts by now.
      await waitForNotification(p, new RegExp(`stopped at step ${final.info.step}\\b`), 20_000);
      const toasts = await toastsShown(p);
      stages.say(`toasts of the run (stopped at ${stopped.info.step}, resumed, stopped at ${final.info.step}): ${JSON.stringify(toasts)}`);
      for (const a of ALARMS) {
        const hits = toasts.filter((m) => m.includes(`${runName}: ${a.title}`));
        assert.equal(hits.length, 1, `"${a.title}" announced once for the run, got ${hits.length}: ${JSON.stringify(toasts)}`);
      }
      // For the screenshot: the notification centre lists what was announced.
      await runCommand(p, 'Notifications: Show Notifications');
      await p.locator('.notifications-center').waitFor({ state: 'visible', timeout: 10_000 });
    });
    await stages.shot('notification-centre');
  });
});
