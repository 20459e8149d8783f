/**
 * One training run in one trainer process: the state machine between "Train GAN" and the run's
 * final status. It is vscode-free (status bar, notifications and panels subscribe to its events)
 * so it can be tested against a scripted fake trainer.
 *
 *   starting ──started──► running ──finished──► (exit) ──► ended
 *       │                    │
 *       └──────stop()────────┴──► stopping: {type:'stop'} ─termAfterMs─► SIGTERM ─killAfterMs─► SIGKILL
 *
 * Whatever happens, `ended` resolves: on a crash or an exit without a final message the session
 * marks run.json failed itself, because the trainer could not.
 */
import type { GeneratedBatch } from '../../protocol/generation';
import { PendingRequests } from '../../protocol/requests';
import type { EventSource, RunError, RunInfo, RunStatus } from '../../protocol/runFormat';
import { parseTrainerMessage, type FinishedMessage, type HostToTrainer, type ProgressMessage, type TrainerToHost } from '../../protocol/trainerProtocol';
import { listRuns, readRunInfo, runIdOf } from '../../runDir/runReader';
import { markRunEnded } from '../../runDir/runWriter';
import { Emitter, nodeTimers, type Disposable } from '../events';
import { requestIdOf } from './generatorServers';
import type { TrainerExit, TrainerProcess } from './trainerProcess';

export type SessionState = 'starting' | 'running' | 'stopping' | 'ended';

export interface StopTimeouts {
  /** How long the trainer may take to finish its step and checkpoint after a protocol stop. */
  termAfterMs: number;
  /** How long SIGTERM may take before SIGKILL. */
  killAfterMs: number;
  /** How long a trainer may linger after its `finished` message before it is made to exit. */
  exitAfterFinishedMs: number;
}

/** A live trainer answers between steps; one that never does (still loading) must not hang the explorer. */
export const LIVE_GENERATE_TIMEOUT_MS = 30_000;

export const DEFAULT_STOP_TIMEOUTS: StopTimeouts = {
  // An image step on wasm plus a checkpoint can take several seconds on a 2-core machine.
  termAfterMs: 15_000,
  killAfterMs: 5_000,
  exitAfterFinishedMs: 5_000,
};

/** The latest progress message: the step, the losses and the trainer's speed and ETA estimate. */
export type SessionProgress = Omit<ProgressMessage, 'type'>;

export interface SessionResult {
  /** `rejected`: the trainer refused its input (exit 2) before a run existed. */
  status: RunStatus | 'rejected';
  exitCode: number | null;
  signal: string | null;
  runId?: string;
  runDir?: string;
  step?: number;
  /** One line a person can act on. */
  error?: string;
  /** The last lines the trainer wrote to stderr. */
  stderrTail: string;
  /** SIGKILL was needed. */
  killed: boolean;
  stopRequested: boolean;
}

export interface SessionOptions {
  process: TrainerProcess;
  configPath: string;
  runsDir: string;
  /** The run directory being resumed, known before the trainer says so. */
  resumeDir?: string;
  timeouts?: Partial<StopTimeouts>;
}

const STDERR_KEEP_CHARS = 16_000;
const STDERR_TAIL_LINES = 20;

let nextSessionId = 1;

export class TrainingSession implements Disposable {
  readonly id = nextSessionId++;
  readonly configPath: string;
  readonly runsDir: string;
  readonly resumeDir: string | undefined;
  private readonly createdAt = Date.now();
  private readonly proc: TrainerProcess;
  private readonly timeouts: StopTimeouts;
  private _state: SessionState = 'starting';
  private _runId: string | undefined;
  private _runDir: string | undefined;
  private _run: RunInfo | undefined;
  private _progress: SessionProgress | undefined;
  private finishedMsg: FinishedMessage | undefined;
  /** Latent generate requests sent to the trainer, answered between its steps. */
  private readonly generating = new PendingRequests<GeneratedBatch>(nodeTimers, {
    timeoutMs: LIVE_GENERATE_TIMEOUT_MS,
    timeoutMessage: () => 'The running trainer did not answer (it may still be loading); try again, or pick a checkpoint.',
  });
  private stderr = '';
  private stopRequested = false;
  private killed = false;
  private timers: NodeJS.Timeout[] = [];
  private subscriptions: Disposable[] = [];
  private _result: SessionResult | undefined;
  private resolveEnded!: (r: SessionResult) => void;
  /** Resolves once the process has exited and the run's final status is on disk. */
  readonly ended: Promise<SessionResult>;

  private readonly _onDidStart = new Emitter<RunInfo>();
  private readonly _onDidProgress = new Emitter<SessionProgress>();
  /** Every valid trainer message, in order (metrics, samples… for the dashboard). */
  private readonly _onDidReceive = new Emitter<TrainerToHost>();
  private readonly _onDidLog = new Emitter<{ level: 'info' | 'warn' | 'error' | 'stderr' | 'stdout'; message: string }>();
  private readonly _onDidChangeState = new Emitter<SessionState>();
  private readonly _onDidEnd = new Emitter<SessionResult>();
  private readonly _onDidChangePaused = new Emitter<boolean>();
  /** The trainer paused (true) or went on (false). */
  readonly onDidChangePaused = this._onDidChangePaused.event;
  private _paused = false;
  readonly onDidStart = this._onDidStart.event;
  readonly onDidProgress = this._onDidProgress.event;
  readonly onDidReceive = this._onDidReceive.event;
  readonly onDidLog = this._onDidLog.event;
  readonly onDidChangeState = this._onDidChangeState.event;
  readonly onDidEnd = this._onDidEnd.event;

  constructor(options: SessionOptions) {
    this.proc = options.process;
    this.configPath = options.configPath;
    this.runsDir = options.runsDir;
    this.resumeDir = options.resumeDir;
    this._runDir = options.resumeDir;
    this.timeouts = { ...DEFAULT_STOP_TIMEOUTS, ...options.timeouts };
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.subscriptions.push(
      this.proc.onMessage((m) => this.handle(m)),
      this.proc.onStderr((d) => {
        this.stderr = (this.stderr + d).slice(-STDERR_KEEP_CHARS);
        this._onDidLog.fire({ level: 'stderr', message: d });
      }),
      this.proc.onStdout((d) => this._onDidLog.fire({ level: 'stdout', message: d })),
      this.proc.onExit((e) => this.onExit(e)),
    );
  }

  get state(): SessionState {
    return this._state;
  }
  get pid(): number | undefined {
    return this.proc.pid;
  }
  get runId(): string | undefined {
    return this._runId;
  }
  get runDir(): string | undefined {
    return this._runDir;
  }
  get run(): RunInfo | undefined {
    return this._run;
  }
  get progress(): SessionProgress | undefined {
    return this._progress;
  }
  get result(): SessionResult | undefined {
    return this._result;
  }
  get isActive(): boolean {
    return this._state !== 'ended';
  }

  /** Whether the trainer holds between steps (it said so). */
  get paused(): boolean {
    return this._paused && this._state === 'running';
  }

  /**
   * Playing by hand: pause, continue, and while paused one D step, one G step or one full step.
   * The trainer answers with a `paused` or `event` message, or `controlRefused` saying why not.
   * Throws when there is no trainer to ask.
   */
  control(action: 'pause' | 'continue' | 'dStep' | 'gStep' | 'step', source: EventSource): void {
    this.send(action === 'pause' || action === 'continue' ? { type: action, source } : { type: 'manualStep', kind: action, source });
  }

  /** A live edit of one setting (the trainer checks it and may refuse it). */
  edit(pointer: string, value: number, source: EventSource): void {
    this.send({ type: 'edit', pointer, value, source });
  }

  private send(msg: HostToTrainer): void {
    if (this._state !== 'running') throw new Error(this._state === 'starting' ? 'The trainer is still starting; try again in a moment.' : 'The run is not training.');
    if (!this.proc.write(msg)) throw new Error('The trainer cannot take requests now.');
  }

  /** Generates from the live generator: `z` is row-major [count, latentDim]. */
  generate(z: number[], count: number): Promise<GeneratedBatch> {
    if (this._state !== 'running') return Promise.reject(new Error('The trainer is not running, so it cannot generate; pick a checkpoint instead.'));
    const { id, reply } = this.generating.start();
    if (!this.proc.write({ type: 'generate', requestId: id, z, count })) {
      this.generating.reject(id, new Error('The running trainer cannot take requests now; pick a checkpoint to explore instead.'));
    }
    return reply;
  }

  /**
   * Asks the trainer to stop: protocol `stop`, then SIGTERM, then SIGKILL, each after its timeout.
   * `urgent` (window closing) sends SIGTERM at once and keeps only the kill timeout.
   */
  stop(options: { urgent?: boolean } = {}): Promise<SessionResult> {
    if (this._state === 'ended') return this.ended;
    const alreadyStopping = this._state === 'stopping';
    this.stopRequested = true;
    this.setState('stopping');
    if (!alreadyStopping) {
      const delivered = this.proc.write({ type: 'stop' });
      if (!delivered || options.urgent) this.terminate();
      else this.timers.push(setTimeout(() => this.terminate(), this.timeouts.termAfterMs));
    } else if (options.urgent) {
      this.terminate();
    }
    return this.ended;
  }

  private termSent = false;
  private terminate(): void {
    if (this.termSent || this._state === 'ended') return;
    this.termSent = true;
    this.proc.kill('SIGTERM');
    this.timers.push(
      setTimeout(() => {
        if (this._state === 'ended') return;
        this.killed = true;
        this.proc.kill('SIGKILL');
      }, this.timeouts.killAfterMs),
    );
  }

  private setState(s: SessionState): void {
    if (this._state === s) return;
    this._state = s;
    this._onDidChangeState.fire(s);
  }

  private handle(raw: unknown): void {
    if (this._state === 'ended') return;
    const parsed = parseTrainerMessage(raw);
    if (!parsed.ok) {
      // A trainer from another version, or a bug: say so once per message, and carry on. A
      // request it meant to answer fails now rather than at its time-out.
      this._onDidLog.fire({ level: 'warn', message: `ignored an invalid message from the trainer: ${preview(raw)} (${parsed.reason})` });
      const id = requestIdOf(raw);
      if (id !== undefined) this.generating.reject(id, new Error(`The running trainer answered with an invalid message: ${parsed.reason}`));
      return;
    }
    const msg = parsed.value;
    switch (msg.type) {
      case 'started':
        this._runId = msg.runId;
        this._runDir = msg.runDir;
        this._run = msg.run;
        this._progress = { step: msg.startStep, totalSteps: msg.totalSteps, dLoss: NaN, gLoss: NaN, stepsPerSec: 0 };
        if (this._state === 'starting') this.setState('running');
        this._onDidStart.fire(msg.run);
        break;
      case 'progress': {
        // The trainer's own estimate, shown as it is everywhere (src/analysis/progress.ts).
        const { type: _type, ...progress } = msg;
        this._progress = progress;
        if (this._run) {
          const { etaSec: _eta, ...run } = this._run;
          this._run = { ...run, step: msg.step, totalSteps: msg.totalSteps, stepsPerSec: msg.stepsPerSec, ...(msg.etaSec !== undefined ? { etaSec: msg.etaSec } : {}) };
        }
        this._onDidProgress.fire(this._progress);
        break;
      }
      case 'checkpoint':
        if (this._run) this._run = { ...this._run, checkpointStep: msg.step };
        break;
      case 'log':
        this._onDidLog.fire({ level: msg.level, message: msg.message });
        break;
      case 'finished':
        this.finishedMsg = msg;
        if (this._run) this._run = { ...this._run, status: msg.status, step: msg.step };
        // The trainer said goodbye; it must now exit on its own, or be made to.
        this.timers.push(setTimeout(() => this.terminate(), this.timeouts.exitAfterFinishedMs));
        break;
      case 'generated':
        this.generating.resolve(msg.requestId, { data: msg.data, shape: msg.shape });
        break;
      case 'generateFailed':
        this.generating.reject(msg.requestId, new Error(`The running trainer could not generate: ${msg.message}`));
        break;
      case 'paused':
        this._paused = msg.paused;
        // The step it holds at is exact; the last progress message may be a step behind.
        if (this._progress) this._progress = { ...this._progress, step: Math.max(this._progress.step, msg.step) };
        if (this._run) this._run = { ...this._run, step: Math.max(this._run.step, msg.step) };
        this._onDidChangePaused.fire(msg.paused);
        break;
      case 'controlRefused':
        this._onDidLog.fire({ level: 'warn', message: msg.message });
        break;
      case 'metrics':
      case 'histogram':
      case 'samples':
      case 'quality':
      case 'serving':
      case 'event':
        break;
    }
    this._onDidReceive.fire(msg);
  }

  private onExit(exit: TrainerExit): void {
    if (this._state === 'ended') return;
    for (const t of this.timers.splice(0)) clearTimeout(t);
    this.generating.rejectAll(new Error('The trainer has ended; pick a checkpoint to explore instead.'));
    const result = this.settle(exit);
    this._result = result;
    this.setState('ended');
    for (const d of this.subscriptions.splice(0)) d.dispose();
    this._onDidEnd.fire(result);
    this.resolveEnded(result);
  }

  /** Decides the final status and, when the trainer could not, writes it to run.json. */
  private settle(exit: TrainerExit): SessionResult {
    const base = {
      exitCode: exit.code,
      signal: exit.signal,
      stderrTail: this.stderrTail(),
      killed: this.killed,
      stopRequested: this.stopRequested,
    };
    if (exit.spawnError) {
      return { ...base, status: 'rejected', error: `The trainer could not be started: ${exit.spawnError}` };
    }
    const runDir = this._runDir ?? this.findRunByPid();
    const ids = runDir ? { runDir, runId: this._runId ?? runIdOf(runDir) } : {};
    if (this.finishedMsg) {
      const { status, step, error } = this.finishedMsg;
      return { ...base, ...ids, status, step, ...(error ? { error } : {}) };
    }
    if (exit.code === 2 && !this._runId) {
      return { ...base, ...ids, status: 'rejected', error: lastLine(this.stderr) ?? 'The trainer refused its input (exit code 2).' };
    }
    // No final message. Trust the run directory if the trainer managed to finish it.
    let info: RunInfo | undefined;
    if (runDir) {
      try {
        info = readRunInfo(runDir);
      } catch {
        info = this._run;
      }
    }
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const why = lastLine(this.stderr);
    if (info && info.status !== 'running') {
      if (this.touchedBySession(info)) {
        return { ...base, ...ids, status: info.status, step: info.step, ...(info.error ? { error: info.error.message } : {}) };
      }
      // A resume that died before reopening the run: the run keeps its previous status.
      return { ...base, ...ids, status: 'failed', error: `The trainer ${how} before resuming the run${why ? `: ${why}` : ''}` };
    }
    let status: RunStatus;
    let error: RunError;
    if (this.stopRequested && this.killed) {
      status = 'stopped';
      error = {
        kind: 'killed',
        message: `The trainer did not stop within ${Math.round((this.timeouts.termAfterMs + this.timeouts.killAfterMs) / 1000)} s and was killed; resume continues from the last checkpoint${info?.checkpointStep ? ` (step ${info.checkpointStep})` : ''}.`,
      };
    } else if (this.stopRequested && exit.code === 0) {
      status = 'stopped';
      error = { kind: 'killed', message: 'The trainer stopped without recording its final state; resume continues from the last checkpoint.' };
    } else {
      status = 'failed';
      error = { kind: 'crash', message: `The trainer ${how} without finishing${why ? `: ${why}` : ''}` };
    }
    if (runDir && info) {
      const step = Math.max(info.step, this._progress?.step ?? 0);
      try {
        markRunEnded(runDir, status, step, { ...error, step });
      } catch (err) {
        this._onDidLog.fire({ level: 'error', message: `could not mark ${runDir} as ${status}: ${(err as Error).message}` });
      }
    }
    return { ...base, ...ids, status, step: this._progress?.step ?? info?.step, error: error.message };
  }

  /**
   * When resuming, run.json holds the previous session's final status until the trainer reopens
   * it; a trainer that dies before that has not touched the run and must not rewrite its story.
   */
  private touchedBySession(info: RunInfo): boolean {
    if (!this.resumeDir || this._runId) return true;
    const updated = Date.parse(info.updatedAt);
    return Number.isFinite(updated) && updated >= this.createdAt;
  }

  private findRunByPid(): string | undefined {
    const pid = this.proc.pid;
    if (pid === undefined) return undefined;
    try {
      return listRuns(this.runsDir).find((r) => r.info.pid === pid && r.info.status === 'running')?.dir;
    } catch {
      return undefined;
    }
  }

  stderrTail(lines = STDERR_TAIL_LINES): string {
    return this.stderr.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Stops the process (if any) without waiting; `ended` tells when it is gone. */
  dispose(): void {
    if (this._state !== 'ended') void this.stop({ urgent: true });
  }
}

function lastLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.at(-1)?.slice(0, 400);
}

function preview(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
}
