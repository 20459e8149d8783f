/**
 * "Export Generator…": writes a checkpoint's generator to a folder the person picks, ready for
 * tf.loadLayersModel, with gan-generator.json beside it (latent size and distribution, output
 * shape, the map from outputs to data). The files come from `cli.js export`, the same code as
 * `gan-studio export`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { readLatestCheckpoint } from '../../runDir/runReader';
import { GENERATOR_EXPORT_FILE } from '../../protocol/generatorExport';
import { RUN_FILES } from '../../protocol/runFormat';
import { errorMessage, ensureTrusted, pickRun, runFromArg, type Command, type Services } from './command';

export class ExportGeneratorCommand implements Command {
  readonly id = 'ganStudio.exportGenerator';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown): Promise<void> {
    if (!(await ensureTrusted('Exporting a generator'))) return;
    const entry =
      runFromArg(arg, this.s) ??
      (await pickRun(this.s, { title: 'Export Generator…', filter: (e) => e.hasCheckpoint, empty: 'GAN Studio: no run has a checkpoint to export yet.' }));
    if (!entry) return;
    const ckpt = readLatestCheckpoint(entry.dir);
    if (!ckpt) {
      void vscode.window.showWarningMessage(`GAN Studio: ${entry.info.id} has no checkpoint yet.`);
      return;
    }
    const ckptDir = join(entry.dir, RUN_FILES.checkpointsDir, ckpt.dir);
    let source = 'generator';
    // The EMA generator usually samples better; offer it when the run kept one (the CLI's default).
    if (existsSync(join(ckptDir, 'generator-ema', 'model.json'))) {
      const which = await vscode.window.showQuickPick(
        [
          { label: 'EMA generator', description: 'the exponential moving average of the weights (usually smoother samples)', dir: 'generator-ema' },
          { label: 'Generator', description: 'the weights as trained', dir: 'generator' },
        ],
        { title: `Export the generator of ${entry.info.id} (step ${ckpt.step})` },
      );
      if (!which) return;
      source = which.dir;
    }
    const folder = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      openLabel: 'Export Here',
      title: `Export the generator of ${entry.info.id} (step ${ckpt.step})`,
      defaultUri: vscode.workspace.getWorkspaceFolder(vscode.Uri.file(entry.dir))?.uri,
    });
    if (!folder?.[0]) return;
    const target = folder[0].fsPath;
    const clash = exportedNames(join(ckptDir, source)).filter((f) => existsSync(join(target, f)));
    if (clash.length) {
      const ok = await vscode.window.showWarningMessage(`${target} already has ${clash.join(', ')}. Replace?`, { modal: true }, 'Replace');
      if (ok !== 'Replace') return;
    }

    const args = ['export', entry.dir, '--out', target, '--checkpoint', String(ckpt.step), ...(source === 'generator' ? ['--raw'] : [])];
    let cancelled = false;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Exporting the generator of ${entry.info.id}…`, cancellable: true },
      (_progress, token) => {
        token.onCancellationRequested(() => (cancelled = true));
        return this.s.launcher.runCli(args, dirname(entry.dir), token).catch((err: unknown) => ({ code: null, stdout: '', stderr: errorMessage(err) }));
      },
    );
    if (result.stdout.trim()) this.s.ui.log.info(`[export] ${result.stdout.trim()}`);
    if (cancelled && result.code !== 0) {
      void vscode.window.showInformationMessage(`GAN Studio: export of ${entry.info.id} cancelled; ${target} may hold some of its files.`);
      return;
    }
    if (result.code !== 0) {
      const why = result.stderr.trim().split('\n').at(-1) || `exit code ${result.code}`;
      if (result.stderr.trim()) this.s.ui.log.error(`[export] ${result.stderr.trim()}`);
      const choice = await vscode.window.showErrorMessage(`GAN Studio: export failed: ${why}`, 'Show Log');
      if (choice) this.s.ui.log.show(true);
      return;
    }
    const written = result.stdout.trim().split('\n').at(-1) || target;
    const choice = await vscode.window.showInformationMessage(
      `GAN Studio: exported the ${source === 'generator' ? 'generator' : 'EMA generator'} of ${entry.info.id} (step ${ckpt.step}) to ${written}: model.json, its weights and ${GENERATOR_EXPORT_FILE}.`,
      'Reveal',
    );
    if (choice) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(join(written, GENERATOR_EXPORT_FILE)));
  }
}

/**
 * The names an export writes, to ask before replacing them: model.json, the weight files its
 * manifest names, gan-generator.json. The CLI checks the manifest; this only reads it.
 */
function exportedNames(dir: string): string[] {
  let weights: string[] = [];
  try {
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weightsManifest?: { paths?: unknown[] }[] };
    weights = (json.weightsManifest ?? []).flatMap((g) => g.paths ?? []).filter((p): p is string => typeof p === 'string').map((p) => p.replace(/^\.\//, ''));
  } catch {
    // The CLI says what is wrong with the checkpoint.
  }
  return [...new Set(['model.json', ...weights.filter((w) => !/[\\/]/.test(w)), GENERATOR_EXPORT_FILE])];
}
