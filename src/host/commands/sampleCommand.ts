/** "Sample from Run…": runs `cli.js sample` on a run's checkpoint and opens what it wrote. */
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { errorMessage, ensureTrusted, pickRun, runFromArg, type Command, type Services } from './command';

const COUNTS = [16, 64, 256, 1024];

export class SampleCommand implements Command {
  readonly id = 'ganStudio.sample';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown): Promise<void> {
    if (!(await ensureTrusted('Sampling from a run'))) return;
    const entry =
      runFromArg(arg, this.s) ??
      (await pickRun(this.s, { title: 'Sample from Run…', filter: (e) => e.hasCheckpoint, empty: 'GAN Studio: no run has a checkpoint to sample from yet.' }));
    if (!entry) return;
    if (!entry.hasCheckpoint) {
      void vscode.window.showWarningMessage(`GAN Studio: ${entry.info.id} has no checkpoint yet; samples come from a checkpoint's generator.`);
      return;
    }
    const count = await vscode.window.showQuickPick(
      COUNTS.map((n) => ({ label: String(n), n })),
      { title: `Sample from ${entry.info.id}`, placeHolder: 'How many samples?' },
    );
    if (!count) return;
    const image = entry.info.dataKind === 'image';
    const ext = image ? 'png' : 'csv';
    const target = await vscode.window.showSaveDialog({
      title: `Save ${count.n} samples from ${entry.info.id}`,
      defaultUri: vscode.Uri.file(join(entry.dir, 'exports', `samples-${count.n}.${ext}`)),
      filters: image ? { 'PNG image': ['png'] } : { CSV: ['csv'] },
      saveLabel: 'Generate',
    });
    if (!target) return;

    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Sampling ${count.n} from ${entry.info.id}…`, cancellable: true },
      (_progress, token) =>
        this.s.launcher.runCli(['sample', entry.dir, '--count', String(count.n), '--out', target.fsPath], dirname(entry.dir), token).catch((err: unknown) => ({
          code: null,
          stdout: '',
          stderr: errorMessage(err),
        })),
    );
    if (result.stdout.trim()) this.s.ui.log.info(`[sample] ${result.stdout.trim()}`);
    if (result.code !== 0) {
      const why = result.stderr.trim().split('\n').at(-1) ?? `exit code ${result.code}`;
      if (result.stderr.trim()) this.s.ui.log.error(`[sample] ${result.stderr.trim()}`);
      const choice = await vscode.window.showErrorMessage(`GAN Studio: sampling failed: ${why}`, 'Show Log');
      if (choice) this.s.ui.log.show(true);
      return;
    }
    await vscode.commands.executeCommand('vscode.open', target);
  }
}
