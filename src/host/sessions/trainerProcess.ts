/**
 * The boundary between a training session and the trainer process. The session only sees this
 * small interface, so tests drive it with a scripted fake and the real one is a thin wrapper
 * around child_process.fork (no vscode import here).
 */
import { fork } from 'node:child_process';
import type { HostToTrainer } from '../../protocol/trainerProtocol';
import { Emitter, type Disposable, type Event } from '../events';

export type KillSignal = 'SIGTERM' | 'SIGKILL';

export interface TrainerExit {
  /** null when the process died from a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (bad node path, missing bundle). */
  spawnError?: string;
}

export interface TrainerProcess {
  readonly pid: number | undefined;
  /** False when the IPC channel is gone; the caller then escalates to signals. */
  write(message: HostToTrainer): boolean;
  readonly onMessage: Event<unknown>;
  readonly onStdout: Event<string>;
  readonly onStderr: Event<string>;
  /** Fires exactly once, after stdout/stderr have been drained where possible. */
  readonly onExit: Event<TrainerExit>;
  kill(signal: KillSignal): void;
}

export interface ForkTrainerOptions {
  /** Path of the bundled trainer, dist/cli.js. */
  cliPath: string;
  args: string[];
  cwd: string;
  /**
   * A Node executable. Empty means this process's runtime: inside VS Code that is Electron, which
   * behaves as plain Node only with ELECTRON_RUN_AS_NODE=1.
   */
  nodePath?: string;
  env?: NodeJS.ProcessEnv;
}

// After 'exit', stdio may still hold the last stderr lines (the interesting ones in a crash);
// 'close' brings them. A grandchild holding the pipes open must not delay the report forever.
const CLOSE_AFTER_EXIT_MS = 1000;

export function forkTrainer(options: ForkTrainerOptions): TrainerProcess {
  const onMessage = new Emitter<unknown>();
  const onStdout = new Emitter<string>();
  const onStderr = new Emitter<string>();
  const onExit = new Emitter<TrainerExit>();
  let exited: TrainerExit | undefined;
  const finish = (exit: TrainerExit) => {
    if (exited) return;
    exited = exit;
    onExit.fire(exit);
  };

  const child = fork(options.cliPath, options.args, {
    cwd: options.cwd,
    execPath: options.nodePath || process.execPath,
    env: { ...process.env, ...options.env, ...(options.nodePath ? {} : { ELECTRON_RUN_AS_NODE: '1' }) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // The trainer reads no host flags (e.g. --inspect of a debugged extension host).
    execArgv: [],
  });
  child.stdout?.setEncoding('utf8').on('data', (d: string) => onStdout.fire(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => onStderr.fire(d));
  child.on('message', (m) => onMessage.fire(m));
  child.on('error', (err) => {
    // 'error' without a pid means spawn failed and no 'exit' will follow.
    if (child.pid === undefined) finish({ code: null, signal: null, spawnError: err.message });
  });
  child.on('exit', (code, signal) => {
    const timer = setTimeout(() => finish({ code, signal }), CLOSE_AFTER_EXIT_MS);
    child.once('close', () => {
      clearTimeout(timer);
      finish({ code, signal });
    });
  });

  return {
    get pid() {
      return child.pid;
    },
    write(message) {
      if (!child.connected) return false;
      try {
        child.send(message, (err) => {
          // Delivery failure is reported through the exit that follows; nothing to do here.
          void err;
        });
        return true;
      } catch {
        return false;
      }
    },
    onMessage: onMessage.event,
    onStdout: onStdout.event,
    onStderr: onStderr.event,
    onExit: onExit.event,
    kill(signal) {
      if (exited || child.exitCode !== null || child.signalCode !== null) return;
      try {
        child.kill(signal);
      } catch {
        // already gone: 'exit' will tell
      }
    },
  };
}

export function disposeAll(items: Disposable[]): void {
  for (const d of items.splice(0)) d.dispose();
}
