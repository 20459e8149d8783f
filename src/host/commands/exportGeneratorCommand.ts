/**
 * "Export Generator…": copies a checkpoint's generator (tfjs layers format: model.json and its
 * weight files) to a folder the person picks, ready for tf.loadLayersModel.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { readLatestCheckpoint } from '../../runDir/runReader';
import { RUN_FILES } from '../../protocol/runFormat';
import { errorMessage, pickRun, runFromArg, type Command, type Services } from './command';

export class ExportGeneratorCommand implements Command {
  readonly id = 'ganStudio.exportGenerator';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown): Promise<void> {
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
    let source = join(ckptDir, 'generator');
    // The EMA generator usually samples better; offer it when the run kept one.
    if (existsSync(join(ckptDir, 'generator-ema', 'model.json'))) {
      const which = await vscode.window.showQuickPick(
        [
          { label: 'EMA generator', description: 'the exponential moving average of the weights (usually smoother samples)', dir: 'generator-ema' },
          { label: 'Generator', description: 'the weights as trained', dir: 'generator' },
        ],
        { title: `Export the generator of ${entry.info.id} (step ${ckpt.step})` },
      );
      if (!which) return;
      source = join(ckptDir, which.dir);
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
    try {
      const files = modelFiles(source);
      const clash = files.filter((f) => existsSync(join(target, f)));
      if (clash.length) {
        const ok = await vscode.window.showWarningMessage(`${target} already has ${clash.join(', ')}. Replace?`, { modal: true }, 'Replace');
        if (ok !== 'Replace') return;
      }
      mkdirSync(target, { recursive: true });
      for (const f of files) copyFileSync(join(source, f), join(target, f));
      const choice = await vscode.window.showInformationMessage(
        `GAN Studio: exported the generator of ${entry.info.id} (step ${ckpt.step}) to ${target}: ${files.join(', ')}.`,
        'Reveal',
      );
      if (choice) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(join(target, 'model.json')));
    } catch (err) {
      void vscode.window.showErrorMessage(`GAN Studio: export failed: ${errorMessage(err)}`);
    }
  }
}

/** model.json plus every weight file its manifest names (tfjs may shard weights). */
function modelFiles(dir: string): string[] {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weightsManifest?: { paths?: string[] }[] };
  const weights = (json.weightsManifest ?? []).flatMap((g) => g.paths ?? []);
  for (const w of weights) {
    if (w.includes('/') || w.includes('\\') || w.startsWith('.')) throw new Error(`${join(dir, 'model.json')} names an unexpected weight path "${w}"`);
    if (!existsSync(join(dir, w))) throw new Error(`${join(dir, w)} is missing; the checkpoint is incomplete`);
  }
  return ['model.json', ...new Set(weights)];
}
