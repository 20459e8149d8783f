/**
 * One sweep controller (`cli.js sweep <gan.json> --ipc`) started from this window: its state, its
 * messages, and Stop. vscode-free, like TrainingSession. A local sweep's controller runs the trials
 * as its children, so stopping it (or closing the window) stops them, checkpointed; a Slurm sweep's
 * trials run on the cluster, and the window closing only lets its controller go.
 */
import { parseTrainerMessage, type SweepFinishedMessage, type SweepStartedMessage } from '../../protocol/trainerProtocol';
import { Emitter, type Disposable } from '../events';
import type { TrainerExit, TrainerProcess } from './trainerProcess';

export interface SweepResult {
  /** `rejected`: the controller refused its input (exit 2), before any trial started. */
  status: SweepFinishedMessage['status'] | 'rejected';
  exitCode: number | null;
  sweepDir?: string;
  finished?: SweepFinishedMessage;
  /** One line a person can act on, when it did not end well. */
  error?: string;
}

const STOP_TERM_AFTER_MS = 30_000;

let nextId = 1;

export class SweepSession implements Disposable {
  readonly id = nextId++;
  private _started: SweepStartedMessage | undefined;
  private finished: SweepFinishedMessage | undefined;
  private stderr = '';
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private resolveEnded!: (r: SweepResult) => void;
  readonly ended: Promise<SweepResult>;
  private readonly _onDidStart = new Emitter<SweepStartedMessage>();
  private readonly _onDidLog = new Emitter<{ level: 'info' | 'warn' | 'error'; message: string }>();
  readonly onDidStart = this._onDidStart.event;
  readonly onDidLog = this._onDidLog.event;
  private ended_ = false;

  constructor(
    private readonly proc: TrainerProcess,
    readonly configPath: string,
    readonly executor: 'local' | 'slurm',
  ) {
    this.ended = new Promise((r) => (this.resolveEnded = r));
    proc.onMessage((raw) => this.handle(raw));
    proc.onStderr((d) => {
      this.stderr = (this.stderr + d).slice(-8000);
      for (const line of d.split('\n').filter((l) => l.trim())) this._onDidLog.fire({ level: 'warn', message: line });
    });
    proc.onStdout((d) => {
      for (const line of d.split('\n').filter((l) => l.trim())) this._onDidLog.fire({ level: 'info', message: line });
    });
    proc.onExit((e) => this.exit(e));
  }

  get started(): SweepStartedMessage | undefined {
    return this._started;
  }
  get sweepDir(): string | undefined {
    return this._started?.sweepDir;
  }
  get isActive(): boolean {
    return !this.ended_;
  }

  private handle(raw: unknown): void {
    const parsed = parseTrainerMessage(raw);
    if (!parsed.ok) {
      this._onDidLog.fire({ level: 'warn', message: `ignored an invalid message from the sweep controller (${parsed.reason})` });
      return;
    }
    const m = parsed.value;
    if (m.type === 'sweepStarted') {
      this._started = m;
      this._onDidStart.fire(m);
    } else if (m.type === 'sweepFinished') this.finished = m;
    else if (m.type === 'log') this._onDidLog.fire({ level: m.level, message: m.message });
  }

  /** Stops every trial after its step, checkpointed (on Slurm: scancel); resolves when the controller is gone. */
  stop(): Promise<SweepResult> {
    if (this.ended_ || this.stopping) return this.ended;
    this.stopping = true;
    if (!this.proc.write({ type: 'stop' })) this.proc.kill('SIGTERM');
    else this.timer = setTimeout(() => this.proc.kill('SIGTERM'), STOP_TERM_AFTER_MS);
    return this.ended;
  }

  private exit(e: TrainerExit): void {
    if (this.ended_) return;
    this.ended_ = true;
    if (this.timer) clearTimeout(this.timer);
    const last = this.stderr.trim().split('\n').filter(Boolean).at(-1);
    let result: SweepResult;
    if (e.spawnError) result = { status: 'rejected', exitCode: null, error: `The sweep could not be started: ${e.spawnError}` };
    else if (this.finished) result = { status: this.finished.status, exitCode: e.code, finished: this.finished, ...(this.sweepDir ? { sweepDir: this.sweepDir } : {}) };
    else if (e.code === 2 && !this._started) result = { status: 'rejected', exitCode: 2, error: last ?? 'The sweep refused its input (exit code 2).' };
    else result = { status: 'failed', exitCode: e.code, ...(this.sweepDir ? { sweepDir: this.sweepDir } : {}), error: `The sweep controller ${e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`}${last ? `: ${last}` : ''}` };
    this.resolveEnded(result);
    this._onDidStart.dispose();
    this._onDidLog.dispose();
  }

  /** The window is closing: a local sweep stops with it; a Slurm sweep is left to the cluster. */
  dispose(): void {
    if (this.executor === 'local') void this.stop();
  }
}

/** The sweep controllers of this window. */
export class SweepSessions implements Disposable {
  private readonly sessions = new Set<SweepSession>();
  private readonly _onDidChange = new Emitter<SweepSession>();
  /** A controller started, said which sweep it runs, or ended. */
  readonly onDidChange = this._onDidChange.event;

  get active(): SweepSession[] {
    return [...this.sessions].filter((s) => s.isActive);
  }

  add(session: SweepSession): SweepSession {
    this.sessions.add(session);
    session.onDidStart(() => this._onDidChange.fire(session));
    void session.ended.then(() => {
      this.sessions.delete(session);
      this._onDidChange.fire(session);
    });
    this._onDidChange.fire(session);
    return session;
  }

  bySweepDir(sweepDir: string): SweepSession | undefined {
    return this.active.find((s) => s.sweepDir === sweepDir);
  }

  byConfig(configPath: string): SweepSession | undefined {
    return this.active.find((s) => s.configPath === configPath);
  }

  /** For deactivate(): local sweeps stop (their trials checkpoint); resolves when their controllers are gone. */
  async stopLocal(): Promise<void> {
    await Promise.all(this.active.filter((s) => s.executor === 'local').map((s) => s.stop()));
  }

  dispose(): void {
    for (const s of this.active) s.dispose();
    this._onDidChange.dispose();
  }
}
