/**
 * "Install Native TensorFlow Backend": puts the @tensorflow/tfjs-node that matches the bundled
 * tfjs into the extension's global storage, where every trainer this extension starts looks for
 * it (TrainerLauncher.env). The download of libtensorflow fails offline and on some platforms;
 * that is said plainly, and training goes on with WebAssembly.
 */
import { mkdirSync } from 'node:fs';
import * as vscode from 'vscode';
import * as v from 'valibot';
import { backendProbe, type BackendProbe } from '../../protocol/backendProbe';
import { findOnPath, installNative } from '../native/externalTools';
import { ensureTrusted, errorMessage, type Command, type Services } from './command';


export class InstallNativeBackendCommand implements Command {
  readonly id = 'ganStudio.installNativeBackend';
  constructor(private readonly s: Services) {}

  private async probe(token?: vscode.CancellationToken): Promise<BackendProbe> {
    // The probe runs in the native folder, never in the workspace (whose node_modules it would search).
    mkdirSync(this.s.launcher.nativeRoot, { recursive: true });
    const r = await this.s.launcher.runCli(['backends', '--json'], this.s.launcher.nativeRoot, token);
    const line = r.stdout.trim().split('\n').pop() ?? '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`the trainer could not list its backends (exit ${r.code ?? 'signal'}): ${(r.stderr.trim().split('\n').pop() ?? '') || line}`);
    }
    const probe = v.safeParse(backendProbe, parsed);
    if (!probe.success) throw new Error(`the trainer's backend list is malformed: ${probe.issues[0].message}`);
    return probe.output;
  }

  async execute(): Promise<void> {
    if (!(await ensureTrusted('Installing the native backend'))) return;
    const log = this.s.ui.log;
    const npm = vscode.workspace.getConfiguration('ganStudio').get<string>('trainer.npmPath', '').trim() || findOnPath('npm');
    if (!npm) {
      void vscode.window.showErrorMessage(
        'GAN Studio: installing the native TensorFlow backend needs npm, which is not on PATH. Install Node.js (it brings npm) or set ganStudio.trainer.npmPath. Training goes on with the WebAssembly backend.',
      );
      return;
    }
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'GAN Studio: installing the native TensorFlow backend', cancellable: true },
      async (progress, token) => {
        progress.report({ message: 'checking the bundled TensorFlow.js…' });
        const before = await this.probe(token);
        const native = before.backends.find((b) => b.backend === 'tensorflow');
        if (native?.ok) return { kind: 'already' as const, from: native.from ?? '?' };
        progress.report({ message: `npm install @tensorflow/tfjs-node@${before.tfjsVersion} (downloads libtensorflow)…` });
        log.info(`[native] installing @tensorflow/tfjs-node@${before.tfjsVersion} into ${this.s.launcher.nativeRoot}`);
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        const result = await installNative({ npm, root: this.s.launcher.nativeRoot, version: before.tfjsVersion, log: (l) => log.info(`[native] ${l}`), signal: abort.signal }).finally(() => {
          sub.dispose();
        });
        if (!result.ok) return { kind: 'failed' as const, reason: result.reason, cancelled: result.cancelled === true, before };
        progress.report({ message: 'checking that it loads…' });
        const after = await this.probe(token);
        const loaded = after.backends.find((b) => b.backend === 'tensorflow');
        if (!loaded?.ok) return { kind: 'failed' as const, reason: `it installed, but does not load: ${loaded?.reason ?? '?'}`, cancelled: false, before: after };
        return { kind: 'installed' as const, from: loaded.from ?? result.packageDir };
      },
    ).then(
      (o) => o,
      (err: unknown) => ({ kind: 'failed' as const, reason: errorMessage(err), cancelled: false, before: undefined }),
    );

    if (outcome.kind === 'already') {
      void vscode.window.showInformationMessage(`GAN Studio: the native TensorFlow backend is already installed and loads (${outcome.from}).`);
      return;
    }
    if (outcome.kind === 'installed') {
      log.info(`[native] installed; trainers now load it from ${outcome.from}`);
      void vscode.window.showInformationMessage(`GAN Studio: installed the native TensorFlow backend (${outcome.from}). New trainings with backend "auto" use it.`);
      return;
    }
    log.warn(`[native] ${outcome.reason}`);
    if (outcome.cancelled) {
      void vscode.window.showInformationMessage('GAN Studio: the native TensorFlow backend install was cancelled; nothing was installed.');
      return;
    }
    const fallback = outcome.before?.auto ?? 'wasm';
    const choice = await vscode.window.showErrorMessage(
      `GAN Studio: the native TensorFlow backend could not be installed: ${outcome.reason}. Training goes on with the ${fallback === 'wasm' ? 'WebAssembly' : fallback} backend.`,
      'Show Log',
    );
    if (choice) log.show(true);
  }
}
