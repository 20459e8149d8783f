/** Starts trainer processes for the commands: settings, paths and the fork, in one place. */
import { existsSync } from 'node:fs';
import { delimiter, dirname } from 'node:path';
import * as vscode from 'vscode';
import type { BackendName } from '../../protocol/runFormat';
import type { SessionRegistry } from './sessionRegistry';
import { trainArgs, type TrainArgsOptions } from './trainerArgs';
import { forkTrainer, type TrainerProcess } from './trainerProcess';
import type { TrainingSession } from './trainingSession';

export interface LaunchOptions {
  configPath: string;
  runsDir: string;
  resumeDir?: string;
  steps?: number;
  fork?: TrainArgsOptions['fork'];
}

export class RestrictedModeError extends Error {
  constructor() {
    super('GAN Studio starts no process in Restricted Mode: training, sampling and the latent explorer of a saved run read the workspace\'s files. Trust the workspace to use them.');
  }
}

export class TrainerLauncher {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly registry: SessionRegistry,
    /** Where "GAN: Install Native TensorFlow Backend" puts tfjs-node (global storage). */
    readonly nativeRoot: string,
  ) {}

  /**
   * What every trainer process gets: where to look for the native backend. Workspace folders are
   * listed only in a trusted workspace, since loading a native module from one runs its code.
   */
  env(): NodeJS.ProcessEnv {
    const folders = vscode.workspace.isTrusted ? (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath) : [];
    return { GAN_STUDIO_NATIVE_PATHS: [this.nativeRoot, ...folders].join(delimiter), GAN_STUDIO_NATIVE_PATHS_ONLY: '1' };
  }

  get cliPath(): string {
    return vscode.Uri.joinPath(this.extensionUri, 'dist', 'cli.js').fsPath;
  }

  /**
   * The trainer bundle; throws an Error meant for a person when the build is missing, or when the
   * workspace is untrusted: every GAN Studio process (training, sweeps, a checkpoint's generator,
   * sampling, exports) reads the workspace's configs and runs, so none starts in Restricted Mode.
   * The commands say so before they get here; this is the one place that makes sure.
   */
  private bundle(): string {
    if (!vscode.workspace.isTrusted) throw new RestrictedModeError();
    const cli = this.cliPath;
    if (!existsSync(cli)) throw new Error(`The trainer bundle is missing (${cli}); run "npm run build" in the extension folder.`);
    return cli;
  }

  /** The node to run the trainer with; empty means VS Code's own runtime. */
  nodePath(scope?: vscode.Uri): string {
    return vscode.workspace.getConfiguration('ganStudio', scope).get<string>('trainer.nodePath', '').trim();
  }

  /** Throws an Error whose message is meant for a person. */
  start(options: LaunchOptions): TrainingSession {
    const cli = this.bundle();
    const scope = vscode.Uri.file(options.configPath);
    const nodePath = this.nodePath(scope);
    if (nodePath && !existsSync(nodePath)) {
      throw new Error(`The ganStudio.trainer.nodePath setting names "${nodePath}", which does not exist; fix it or clear it to use VS Code's own runtime.`);
    }
    const backend = vscode.workspace.getConfiguration('ganStudio', scope).get<BackendName | 'auto'>('backend', 'auto');
    const args = trainArgs({ ...options, backend });
    return this.registry.start(
      { configPath: options.configPath, runsDir: options.runsDir, ...(options.resumeDir ? { resumeDir: options.resumeDir } : {}) },
      () => forkTrainer({ cliPath: cli, args, cwd: dirname(options.configPath), nodePath, env: this.env() }),
    );
  }

  /**
   * `serve <runDir> --ipc --checkpoint STEP`: the latent explorer's generator for a run that is not
   * training, in the same runtime and environment as a training.
   */
  serve(runDir: string, checkpoint: number): TrainerProcess {
    const cli = this.bundle();
    const scope = vscode.Uri.file(runDir);
    const backend = vscode.workspace.getConfiguration('ganStudio', scope).get<BackendName | 'auto'>('backend', 'auto');
    const args = ['serve', runDir, '--ipc', '--checkpoint', String(checkpoint), ...(backend && backend !== 'auto' ? ['--backend', backend] : [])];
    return forkTrainer({ cliPath: cli, args, cwd: runDir, nodePath: this.nodePath(scope), env: this.env() });
  }

  /** `sweep <gan.json> --ipc …`: a sweep controller, which runs its trials itself or through Slurm. */
  sweep(configPath: string, runsDir: string, extraArgs: string[]): TrainerProcess {
    const cli = this.bundle();
    const scope = vscode.Uri.file(configPath);
    const nodePath = this.nodePath(scope);
    if (nodePath && !existsSync(nodePath)) {
      throw new Error(`The ganStudio.trainer.nodePath setting names "${nodePath}", which does not exist; fix it or clear it to use VS Code's own runtime.`);
    }
    return forkTrainer({ cliPath: cli, args: ['sweep', configPath, '--ipc', '--runs-dir', runsDir, ...extraArgs], cwd: dirname(configPath), nodePath, env: this.env() });
  }

  /** Runs a one-shot trainer command (e.g. `sample`) and collects its output. */
  runCli(args: string[], cwd: string, token?: vscode.CancellationToken): Promise<{ code: number | null; stdout: string; stderr: string }> {
    let cli: string;
    try {
      cli = this.bundle();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise((resolve) => {
      const proc = forkTrainer({ cliPath: cli, args, cwd, nodePath: this.nodePath(), env: this.env() });
      let stdout = '';
      let stderr = '';
      proc.onStdout((d) => (stdout += d));
      proc.onStderr((d) => (stderr += d));
      const cancel = token?.onCancellationRequested(() => proc.kill('SIGTERM'));
      proc.onExit((e) => {
        cancel?.dispose();
        resolve({ code: e.code, stdout, stderr: e.spawnError ? `${stderr}${e.spawnError}` : stderr });
      });
    });
  }
}
