// Issue 15, trust: in a real VS Code (code-server 4.100.3, Debian's Chromium) with workspace trust
// on and the workspace left untrusted (Restricted Mode), a workspace that holds a committed run:
//   1  the Runs view lists the run, and its dashboard opens (reading files starts nothing);
//   2  the Latent explorer of its checkpoint says why it cannot generate, and no GAN Studio
//      process (a `serve` of the checkpoint, or any other) starts;
//   3  F1 → "GAN: Train GAN" says training is disabled in Restricted Mode, and starts nothing.
// Screenshots go to .test-artifacts/e2e/trust/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { listRuns } from '../../src/runDir/runReader';
import { runCli } from '../helpers/cli';
import { findWebviewFrame, installUnpacked, openFile, poll, runCommand, waitForNotification } from './codeServer';
import { runScenario } from './stages';
import { copyWorkspace, runsDir } from './trainScenario';

const SCENARIO_BUDGET_MS = 5 * 60_000;

/** Every process running this build's trainer bundle (training, serve, sample, sweep…). */
function trainerProcesses(cliPath: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(cliPath))
    .map((l) => l.trim());
}

test('GAN Studio e2e: in Restricted Mode a committed run opens, but its explorer and Train start no process and say why (code-server)', { timeout: 20 * 60_000 }, async (t) => {
  await runScenario(t, { name: 'trust', file: 'test/e2e/trust.e2e.test.ts', budgetMs: SCENARIO_BUDGET_MS }, async ({ root, stages, workspace, userDataDir, extensionsDir }) => {
    const { dir: installed } = installUnpacked(root, extensionsDir);
    const cliPath = join(installed, 'dist', 'cli.js');
    const config = copyWorkspace(root, workspace, 'e2e-workspace');
    // The committed run: trained before the window opens, as if it came with a git clone.
    const r = runCli(['train', config, '--runs-dir', runsDir(workspace), '--steps', '200', '-q', '--set', '/logging/checkpointEvery=100']);
    assert.equal(r.code, 0, r.stderr);
    const run = listRuns(runsDir(workspace))[0];
    assert.ok(run.info.checkpointStep > 0, 'the committed run has a checkpoint');

    const p = await stages.openWorkbench({
      workspace,
      extensionsDir,
      userDataDir,
      workspaceTrust: true,
      // Trust on, no prompt: the folder opens in Restricted Mode, as a person's "No" leaves it.
      settings: { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.untrustedFiles': 'open' },
    });
    await stages.run('0 the window is in Restricted Mode', 60_000, async () => {
      await p.locator('.statusbar-item', { hasText: 'Restricted Mode' }).or(p.locator('.statusbar-item[aria-label*="Restricted Mode"]')).first().waitFor({ state: 'visible', timeout: 50_000 });
    });
    await stages.shot('restricted');

    const dashboard = await stages.run('1 the Runs view lists the committed run, and its dashboard opens', 120_000, async () => {
      await openFile(p, 'gan.json', 60_000);
      await runCommand(p, 'GAN Studio: Focus on Runs View');
      const row = p.locator('.monaco-list-row', { hasText: 'ring' }).filter({ hasText: 'completed' }).first();
      await row.waitFor({ state: 'visible', timeout: 60_000 });
      await row.click();
      return findWebviewFrame(p, '#tab-explorer', 60_000);
    });
    await stages.shot('dashboard');

    const status = await stages.run('2 the Latent explorer says why, and nothing starts', 90_000, async () => {
      await dashboard.locator('#tab-explorer').click();
      return poll('the explorer to explain', 60_000, async () => {
        const text = (await dashboard.locator('#explorer-status').innerText().catch(() => '')).trim();
        return /Restricted Mode/.test(text) ? text : undefined;
      }, 500);
    });
    stages.say(`explorer: "${status}"`);
    assert.match(status, /Trust this workspace/);
    assert.deepEqual(trainerProcesses(cliPath), [], 'no GAN Studio process runs');
    await stages.shot('explorer-restricted');

    const trainMessage = await stages.run('3 Train GAN is refused and says why', 60_000, async () => {
      await p.locator('.tabs-container .tab', { hasText: 'gan.json' }).first().click();
      await runCommand(p, 'GAN: Train GAN');
      return waitForNotification(p, /disabled in Restricted Mode/, 30_000);
    });
    stages.say(`notification: "${trainMessage}"`);
    await new Promise((r) => setTimeout(r, 2_000));
    assert.deepEqual(trainerProcesses(cliPath), [], 'no GAN Studio process runs');
    assert.equal(listRuns(runsDir(workspace)).length, 1, 'no new run');
    await stages.shot('train-refused');
  });
});
