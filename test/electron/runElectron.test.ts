/**
 * The extension in a real desktop VS Code through @vscode/test-electron: activation, completion
 * and diagnostics in a gan.json, Train GAN on the ring example to completion, the run directory
 * and the Runs view.
 *
 * This one file is both halves. Under `node --test` it downloads VS Code and launches it with
 * this same bundle as the extension test entry (`run()` below, no Mocha). Where VS Code cannot
 * be downloaded (the dev/CI machines: no route to Microsoft's CDN) it skips with a one-line
 * reason; test/e2e/ drives the same path in code-server instead.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type * as vscodeTypes from 'vscode';
import type { GanStudioApi } from '../../src/host/extension';
import { readMetrics, readRunInfo } from '../../src/runDir/runReader';
import { MIN_STEP_FOR_DASHBOARD, workspaceFixture } from '../e2e/trainScenario';
import { repoRoot } from '../helpers/root';

const VSCODE_VERSION = '1.100.3';
const DOWNLOAD_TIMEOUT_MS = 30_000;
const INSIDE_VSCODE = process.env.GAN_STUDIO_ELECTRON_SUITE === '1';

/**
 * Downloads in a child process: a download stuck on a black-holed network would otherwise keep
 * this test process alive after the test gave up on it.
 */
function downloadVSCode(cachePath: string): Promise<{ path: string } | { error: string }> {
  const script = `require('@vscode/test-electron').downloadAndUnzipVSCode({ version: ${JSON.stringify(VSCODE_VERSION)}, cachePath: ${JSON.stringify(cachePath)}, timeout: ${DOWNLOAD_TIMEOUT_MS} })
    .then((p) => { process.stdout.write('PATH=' + p + '\\n'); }, (e) => { process.stdout.write('ERROR=' + String((e && e.message) || e).split('\\n')[0] + '\\n'); process.exitCode = 1; });`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ error: `no answer within ${DOWNLOAD_TIMEOUT_MS / 1000} s` });
    }, DOWNLOAD_TIMEOUT_MS);
    child.on('close', () => {
      clearTimeout(timer);
      const path = /^PATH=(.+)$/m.exec(out)?.[1];
      resolve(path ? { path } : { error: /^ERROR=(.+)$/m.exec(out)?.[1] ?? 'the download failed without a message' });
    });
  });
}

/** A workspace with the ring example, shortened so a CPU-only machine trains it in seconds. */
function makeWorkspace(root: string): string {
  const ws = mkdtempSync(join(tmpdir(), 'gan-electron-ws-'));
  const ring = JSON.parse(readFileSync(join(root, 'examples', 'ring', 'gan.json'), 'utf8')) as Record<string, unknown> & { training: { steps: number } };
  delete ring.$schema;
  ring.training.steps = 150;
  mkdirSync(join(ws, 'ring'));
  writeFileSync(join(ws, 'ring', 'gan.json'), JSON.stringify(ring, null, 2));
  // The e2e scenario's long run (20 000 steps), still training when it is stopped and resumed.
  mkdirSync(join(ws, 'long'));
  writeFileSync(join(ws, 'long', 'gan.json'), readFileSync(join(workspaceFixture(root), 'gan.json')));
  mkdirSync(join(ws, '.vscode'));
  writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'ganStudio.backend': 'wasm', 'json.schemaDownload.enable': false }));
  return ws;
}

if (!INSIDE_VSCODE) {
  test('GAN Studio in a real VS Code (@vscode/test-electron)', { timeout: 15 * 60_000 }, async (t) => {
    const root = repoRoot();
    if (!existsSync(join(root, 'dist', 'extension.js'))) {
      t.skip('dist/extension.js is not built (run node scripts/build.mjs)');
      return;
    }
    // The same cache as code-server's install (test/e2e), outside the repo.
    const download = await downloadVSCode(join(process.env.GAN_STUDIO_CACHE ?? join(homedir(), '.cache', 'gan-studio'), 'vscode-test'));
    if ('error' in download) {
      t.skip(`VS Code ${VSCODE_VERSION} cannot be downloaded here (${download.error}); test/e2e runs this path in code-server`);
      return;
    }
    const { runTests } = await import('@vscode/test-electron');
    const ws = makeWorkspace(root);
    try {
      await runTests({
        vscodeExecutablePath: download.path,
        extensionDevelopmentPath: root,
        extensionTestsPath: __filename,
        extensionTestsEnv: { GAN_STUDIO_ELECTRON_SUITE: '1', GAN_STUDIO_ROOT: root },
        launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
      });
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Inside VS Code: the extension test entry point. A plain list of steps, run in order; the first
// failure ends the run with its name, which runTests reports as a failed exit.

type Step = { name: string; fn: () => Promise<void> };

async function poll<T>(what: string, ms: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function run(): Promise<void> {
  const vscode = (await import('vscode')) as typeof vscodeTypes;
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace is open');
  const ringUri = vscode.Uri.joinPath(folder.uri, 'ring', 'gan.json');
  let api: GanStudioApi | undefined;

  const steps: Step[] = [
    {
      name: 'activates (workspaceContains:**/gan.json) without "*"',
      fn: async () => {
        const ext = vscode.extensions.getExtension<GanStudioApi>('gan-studio.gan-studio');
        assert.ok(ext, 'the extension is installed');
        api = await poll('activation', 30_000, () => (ext.isActive ? ext.exports : undefined));
        const commands = await vscode.commands.getCommands(true);
        for (const id of ['ganStudio.train', 'ganStudio.stop', 'ganStudio.openDashboard', 'ganStudio.newExperiment']) assert.ok(commands.includes(id), id);
      },
    },
    {
      name: 'offers schema completion in a gan.json',
      fn: async () => {
        const doc = await vscode.workspace.openTextDocument(ringUri);
        await vscode.window.showTextDocument(doc);
        // Right after the opening brace: the top-level properties of the schema.
        const items = await poll('JSON completion from the gan.json schema', 60_000, async () => {
          const list = await vscode.commands.executeCommand<vscodeTypes.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(0, 1));
          const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
          return labels.some((l) => l.includes('discriminator')) ? labels : undefined;
        });
        assert.ok(items.some((l) => l.includes('logging')));
      },
    },
    {
      name: 'reports a semantic problem at its range, with a quick fix',
      fn: async () => {
        const bad = vscode.Uri.joinPath(folder.uri, 'bad.gan.json');
        await vscode.workspace.fs.writeFile(bad, Buffer.from('{\n  "data": { "type": "ring" },\n  "generator": { "preset": "dcgan" }\n}\n'));
        const doc = await vscode.workspace.openTextDocument(bad);
        await vscode.window.showTextDocument(doc);
        const diag = await poll('a GAN Studio diagnostic', 20_000, () => vscode.languages.getDiagnostics(bad).find((d) => d.source === 'GAN Studio'));
        assert.match(diag.message, /^\/generator\/preset "dcgan" needs image data/);
        assert.equal(doc.getText(diag.range), '"dcgan"');
        const actions = await vscode.commands.executeCommand<vscodeTypes.CodeAction[]>('vscode.executeCodeActionProvider', bad, diag.range);
        assert.ok(actions.some((a) => a.title === 'Use the mlp preset'));
        await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
        await vscode.workspace.fs.delete(bad);
      },
    },
    {
      name: 'runs Train GAN on the ring example to completion',
      fn: async () => {
        assert.ok(api);
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(ringUri));
        await vscode.commands.executeCommand('ganStudio.train');
        const session = await poll('a training session', 10_000, () => api!.registry.active[0]);
        const result = await session.ended;
        assert.equal(result.status, 'completed', `${result.error ?? ''}\n${result.stderrTail}`);
        const info = readRunInfo(result.runDir!);
        assert.equal(info.status, 'completed');
        assert.equal(info.step, 150);
        assert.ok(readMetrics(result.runDir!).length > 0);
        assert.ok(result.runDir!.startsWith(join(folder.uri.fsPath, '.gan', 'runs')), 'the run is in the default runs directory');
      },
    },
    {
      name: 'shows the run in the Runs view',
      fn: async () => {
        assert.ok(api);
        await vscode.commands.executeCommand('workbench.view.extension.ganStudio');
        const node = await poll('the run in the Runs view', 10_000, () => api!.runsTree.getChildren()[0]);
        const item = api.runsTree.getTreeItem(node);
        assert.equal(item.label, 'ring');
        assert.match(String(item.description), /^completed · 150\/150/);
        assert.match(String(item.contextValue), /\bstatus-completed\b.*\bcheckpoint\b/);
      },
    },
    {
      name: 'stops a training and resumes it from the stopped step (step 5 of the code-server scenario)',
      fn: async () => {
        assert.ok(api);
        const longUri = vscode.Uri.joinPath(folder.uri, 'long', 'gan.json');
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(longUri));
        await vscode.commands.executeCommand('ganStudio.train');
        const first = await poll('the long training', 10_000, () => api!.registry.active.find((x) => x.runDir));
        const runDir = first.runDir!;
        await poll(`step ${MIN_STEP_FOR_DASHBOARD}`, 120_000, () => readRunInfo(runDir).step >= MIN_STEP_FOR_DASHBOARD || undefined);
        await vscode.commands.executeCommand('ganStudio.stop');
        const stopped = await first.ended;
        assert.equal(stopped.status, 'stopped');
        const at = readRunInfo(runDir);
        assert.equal(at.status, 'stopped');
        assert.equal(at.checkpointStep, at.step);
        await vscode.commands.executeCommand('ganStudio.resume', runDir);
        const second = await poll('the resumed training', 20_000, () => api!.registry.active.find((x) => x.runDir === runDir));
        await poll('steps past the stop', 120_000, () => readRunInfo(runDir).step > at.step || undefined);
        assert.deepEqual(readRunInfo(runDir).resumedAt, [at.step]);
        await vscode.commands.executeCommand('ganStudio.stop');
        assert.equal((await second.ended).status, 'stopped');
      },
    },
  ];

  const failures: string[] = [];
  for (const step of steps) {
    try {
      await step.fn();
      console.log(`  ✔ ${step.name}`);
    } catch (err) {
      console.error(`  ✖ ${step.name}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      failures.push(step.name);
      break;
    }
  }
  if (failures.length) throw new Error(`GAN Studio electron suite failed: ${failures.join(', ')}`);
}
