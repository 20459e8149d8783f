/**
 * The training session's state machine against a scripted fake trainer: normal end, crash,
 * exit without a final message, bad input, stop (obeyed, ignored → SIGKILL, broken IPC),
 * invalid messages, and the registry's limit and stopAll. No VS Code, no real process.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { writeJsonAtomic } from '../../src/runDir/durableFiles';
import { readRunInfo } from '../../src/runDir/runReader';
import { RUN_FILES, type RunInfo } from '../../src/protocol/runFormat';
import { parseTrainerMessage, type HostToTrainer, type TrainerToHost } from '../../src/protocol/trainerProtocol';
import { Emitter } from '../../src/host/events';
import { SessionRegistry, TooManyTrainingsError } from '../../src/host/sessions/sessionRegistry';
import { trainArgs } from '../../src/host/sessions/trainerArgs';
import type { KillSignal, TrainerExit, TrainerProcess } from '../../src/host/sessions/trainerProcess';
import { TrainingSession, type SessionProgress, type StopTimeouts } from '../../src/host/sessions/trainingSession';

// ---- the scripted fake trainer ----
export type SignalBehaviour = 'obey' | 'ignore';

let nextPid = 50_000;

export class FakeTrainer implements TrainerProcess {
  readonly pid = nextPid++;
  readonly written: HostToTrainer[] = [];
  readonly signals: KillSignal[] = [];
  connected = true;
  exited: TrainerExit | undefined;
  /** What happens on a protocol stop; default: nothing (the test drives it). */
  onStop: (() => void) | undefined;
  /** SIGTERM: 'obey' exits 0 as the real trainer does after its step; 'ignore' hangs. */
  sigterm: SignalBehaviour = 'obey';

  private readonly _onMessage = new Emitter<unknown>();
  private readonly _onStdout = new Emitter<string>();
  private readonly _onStderr = new Emitter<string>();
  private readonly _onExit = new Emitter<TrainerExit>();
  readonly onMessage = this._onMessage.event;
  readonly onStdout = this._onStdout.event;
  readonly onStderr = this._onStderr.event;
  readonly onExit = this._onExit.event;

  write(message: HostToTrainer): boolean {
    if (!this.connected || this.exited) return false;
    this.written.push(message);
    if (message.type === 'stop') queueMicrotask(() => this.onStop?.());
    return true;
  }

  kill(signal: KillSignal): void {
    if (this.exited) return;
    this.signals.push(signal);
    if (signal === 'SIGKILL') queueMicrotask(() => this.exit(null, 'SIGKILL'));
    else if (this.sigterm === 'obey') queueMicrotask(() => this.exit(0, null));
  }

  /** Anything, as a broken trainer might send it: the session must check it. */
  emit(message: unknown): void {
    this._onMessage.fire(message);
  }

  stderr(text: string): void {
    this._onStderr.fire(text);
  }

  stdout(text: string): void {
    this._onStdout.fire(text);
  }

  exit(code: number | null, signal: NodeJS.Signals | null = null, spawnError?: string): void {
    if (this.exited) return;
    this.exited = { code, signal, ...(spawnError ? { spawnError } : {}) };
    this.connected = false;
    this._onExit.fire(this.exited);
  }
}

/** A run directory as the trainer leaves it right after start-up. */
export function makeRun(runsDir: string, id: string, patch: Partial<RunInfo> = {}): { dir: string; info: RunInfo } {
  const dir = join(runsDir, id);
  mkdirSync(join(dir, RUN_FILES.checkpointsDir), { recursive: true });
  const now = new Date().toISOString();
  const info: RunInfo = {
    formatVersion: 1,
    id,
    name: 'ring',
    status: 'running',
    configPath: '/tmp/gan.json',
    backend: 'cpu',
    seed: 42,
    dataKind: 'points2d',
    dataDim: 2,
    step: 0,
    totalSteps: 100,
    checkpointStep: 0,
    createdAt: now,
    updatedAt: now,
    trainingMs: 0,
    ...patch,
  };
  writeJsonAtomic(join(dir, RUN_FILES.run), info);
  return { dir, info };
}

export function startedMessage(run: { dir: string; info: RunInfo }, startStep = 0): TrainerToHost {
  return { type: 'started', runId: run.info.id, runDir: run.dir, backend: run.info.backend, totalSteps: run.info.totalSteps, startStep, run: run.info, workers: 1, data: 'ring' };
}

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

// ---- tests ----

const FAST: StopTimeouts = { termAfterMs: 60, killAfterMs: 60, exitAfterFinishedMs: 60 };

let runsDir: string;
beforeEach(() => {
  runsDir = mkdtempSync(join(tmpdir(), 'gan-session-'));
});
afterEach(() => rmSync(runsDir, { recursive: true, force: true }));

function session(fake: FakeTrainer, extra: { resumeDir?: string; timeouts?: Partial<StopTimeouts> } = {}): TrainingSession {
  return new TrainingSession({ process: fake, configPath: '/tmp/gan.json', runsDir, timeouts: { ...FAST, ...extra.timeouts }, ...(extra.resumeDir ? { resumeDir: extra.resumeDir } : {}) });
}

function withTimeout<T>(p: Promise<T>, ms = 2000): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms))]);
}

describe('TrainingSession: normal end', () => {
  it('goes starting → running → ended and reports completed, leaving run.json to the trainer', async () => {
    const fake = new FakeTrainer();
    const s = session(fake);
    const states: string[] = [];
    const progress: SessionProgress[] = [];
    const received: string[] = [];
    s.onDidChangeState((st) => states.push(st));
    s.onDidProgress((p) => progress.push(p));
    s.onDidReceive((m) => received.push(m.type));
    assert.equal(s.state, 'starting');

    const run = makeRun(runsDir, 'ring-1');
    fake.emit(startedMessage(run));
    assert.equal(s.state, 'running');
    assert.equal(s.runId, 'ring-1');
    assert.equal(s.runDir, run.dir);
    fake.emit({ type: 'progress', step: 50, totalSteps: 100, dLoss: 1.2, gLoss: 0.8, stepsPerSec: 25, etaSec: 2 });
    fake.emit({ type: 'metrics', records: [] });
    fake.emit({ type: 'checkpoint', step: 100 });
    fake.emit({ type: 'finished', status: 'completed', step: 100 });
    writeJsonAtomic(join(run.dir, RUN_FILES.run), { ...run.info, status: 'completed', step: 100 });
    fake.exit(0);

    const r = await withTimeout(s.ended);
    assert.equal(r.status, 'completed');
    assert.equal(r.step, 100);
    assert.equal(r.exitCode, 0);
    assert.equal(r.killed, false);
    assert.equal(r.runId, 'ring-1');
    assert.deepEqual(states, ['running', 'ended']);
    assert.equal(progress.length, 1);
    assert.equal(progress[0].etaSec, 2, 'the trainer’s estimate is passed on: 50 steps left at 25 steps/s');
    assert.deepEqual(received, ['started', 'progress', 'metrics', 'checkpoint', 'finished']);
    assert.equal(readRunInfo(run.dir).status, 'completed');
    assert.equal(readRunInfo(run.dir).error, undefined);
    assert.equal(s.run?.checkpointStep, 100);
    assert.deepEqual(fake.signals, [], 'a trainer that exits on its own gets no signal');
  });

  it('makes a trainer that lingers after `finished` exit (SIGTERM)', async () => {
    const fake = new FakeTrainer();
    const s = session(fake);
    const run = makeRun(runsDir, 'linger');
    fake.emit(startedMessage(run));
    fake.emit({ type: 'finished', status: 'completed', step: 100 });
    const r = await withTimeout(s.ended);
    assert.deepEqual(fake.signals, ['SIGTERM']);
    assert.equal(r.status, 'completed');
  });
});

describe('TrainingSession: crashes', () => {
  it('marks the run failed with the exit code and the stderr tail when the trainer dies', async () => {
    const fake = new FakeTrainer();
    const s = session(fake);
    const run = makeRun(runsDir, 'crash');
    fake.emit(startedMessage(run));
    fake.emit({ type: 'progress', step: 37, totalSteps: 100, dLoss: 1, gLoss: 1, stepsPerSec: 10 });
    fake.stderr('loading…\n');
    fake.stderr('RangeError: Array buffer allocation failed\n    at train (cli.js:1:2)\n');
    fake.exit(134);
    const r = await withTimeout(s.ended);
    assert.equal(r.status, 'failed');
    assert.equal(r.exitCode, 134);
    assert.match(r.error ?? '', /exited with code 134/);
    assert.match(r.error ?? '', /at train \(cli\.js:1:2\)/, 'the last stderr line is quoted');
    assert.match(r.stderrTail, /RangeError: Array buffer allocation failed/);
    const info = readRunInfo(run.dir);
    assert.equal(info.status, 'failed');
    assert.equal(info.error?.kind, 'crash');
    assert.equal(info.step, 37, 'the last step the host saw is kept');
    assert.ok(info.endedAt);
    assert.equal(info.pid, undefined);
  });

  it('finds the run by pid when the trainer dies before saying `started`', async () => {
    const fake = new FakeTrainer();
    const s = session(fake);
    const run = makeRun(runsDir, 'early', { pid: fake.pid });
    makeRun(runsDir, 'other', { pid: fake.pid + 1 });
    fake.exit(null, 'SIGSEGV');
    const r = await withTimeout(s.ended);
    assert.equal(r.status, 'failed');
    assert.equal(r.runDir, run.dir);
    assert.match(r.error ?? '', /killed by SIGSEGV/);
    assert.equal(readRunInfo(run.dir).status, 'failed');
    assert.equal(readRunInfo(join(runsDir, 'other')).status, 'running', 'another trainer\u2019s run is untouched');
  });

  it('trusts run.json when the trainer finished it but the final message was lost', async () => {
    const fake = new FakeTrainer();
    const s = session(fake);
    const run = makeRun(runsDir, 'lost');
    fake.emit(startedMessage(run));
    writeJsonAtomic(join(run.dir, RUN_FILES.run), { ...run.info, status: 'completed', step: 100, updatedAt: new Date().toISOString() });
    fake.exit(0);
    const r = await withTimeout(s.ended);
    assert.equal(r.status, 'completed');
    assert.equal(readRunInfo(run.dir).status, 'completed');
  });

  it('reports a training failure the trainer itself recorded (exit 1 after `finished`)', async () => {
    const fake = new FakeTrainer();
    const s = session(fake);
    const run = makeRun(runsDir, 'nan');
    fake.emit(startedMessage(run));
    const error = 'D loss became NaN at step 12; lower /training/discriminatorOptimizer/learningRate';
    writeJsonAtomic(join(run.dir, RUN_FILES.run), { ...run.info, status: 'failed', error: { kind: 'nan', message: error, step: 12 } });
    fake.emit({ type: 'finished', status: 'failed', step: 12, error });
    fake.exit(1);
    const r = await withTimeout(s.ended);
    assert.equal(r.status, 'failed');
    assert.equal(r.error, error);
    assert.equal(readRunInfo(run.dir).error?.kind, 'nan', 'the trainer\u2019s own diagnosis is kept');
  });

  it('reports bad input (exit 2) with the trainer\u2019s one-line error and no run', async () => {
    const fake = new FakeTrainer();
    const s = session(fake);
    fake.stderr('gan.json:7:18: /training/batchSize must be ≥ 1 (got -4)\n');
    fake.exit(2);
    const r = await withTimeout(s.ended);
    assert.equal(r.status, 'rejected');
    assert.equal(r.error, 'gan.json:7:18: /training/batchSize must be ≥ 1 (got -4)');
    assert.equal(r.runDir, undefined);
  });

  it('reports a trainer that could not be started at all', async () => {
    const fake = new FakeTrainer();
    const s = session(fake);
    fake.exit(null, null, 'spawn /opt/node ENOENT');
    const r = await withTimeout(s.ended);
    assert.equal(r.status, 'rejected');
    assert.match(r.error ?? '', /could not be started: spawn \/opt\/node ENOENT/);
  });

  it('leaves a resumed run alone when the trainer dies before reopening it', async () => {
    const old = new Date(Date.now() - 60_000).toISOString();
    const run = makeRun(runsDir, 'resumed', { status: 'stopped', step: 40, checkpointStep: 40, updatedAt: old });
    const fake = new FakeTrainer();
    const s = session(fake, { resumeDir: run.dir });
    fake.stderr('Error: checkpoint step-000040 is corrupt\n');
    fake.exit(1);
    const r = await withTimeout(s.ended);
    assert.equal(r.status, 'failed');
    assert.match(r.error ?? '', /before resuming the run: Error: checkpoint step-000040 is corrupt/);
    const info = readRunInfo(run.dir);
    assert.equal(info.status, 'stopped', 'the run keeps its previous status');
    assert.equal(info.updatedAt, old);
  });
});

describe('TrainingSession: stop', () => {
  it('sends a protocol stop and needs no signal when the trainer obeys', async () => {
    const fake = new FakeTrainer();
    const s = session(fake, { timeouts: { termAfterMs: 5000 } });
    const run = makeRun(runsDir, 'stop-ok');
    fake.emit(startedMessage(run));
    fake.onStop = () => {
      fake.emit({ type: 'checkpoint', step: 20 });
      fake.emit({ type: 'finished', status: 'stopped', step: 20 });
      fake.exit(0);
    };
    const r = await withTimeout(s.stop());
    assert.deepEqual(fake.written, [{ type: 'stop' }]);
    assert.deepEqual(fake.signals, []);
    assert.equal(r.status, 'stopped');
    assert.equal(r.stopRequested, true);
    assert.equal(r.killed, false);
  });

  it('escalates stop → SIGTERM → SIGKILL when the trainer hangs, and marks the run stopped (killed)', async () => {
    const fake = new FakeTrainer();
    fake.sigterm = 'ignore';
    const s = session(fake);
    const run = makeRun(runsDir, 'hang', { checkpointStep: 500 });
    fake.emit(startedMessage(run));
    fake.emit({ type: 'progress', step: 612, totalSteps: 1000, dLoss: 1, gLoss: 1, stepsPerSec: 5 });
    const t0 = Date.now();
    const stopping = s.stop();
    assert.equal(s.state, 'stopping');
    assert.equal(s.stop(), stopping, 'a second stop joins the first');
    const r = await withTimeout(stopping);
    const elapsed = Date.now() - t0;
    assert.deepEqual(fake.written, [{ type: 'stop' }]);
    assert.deepEqual(fake.signals, ['SIGTERM', 'SIGKILL']);
    assert.ok(elapsed >= FAST.termAfterMs + FAST.killAfterMs - 10, `escalation waited its timeouts (${elapsed} ms)`);
    assert.equal(r.killed, true);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.status, 'stopped');
    const info = readRunInfo(run.dir);
    assert.equal(info.status, 'stopped');
    assert.equal(info.error?.kind, 'killed');
    assert.match(info.error?.message ?? '', /resume continues from the last checkpoint \(step 500\)/);
  });

  it('goes straight to SIGTERM when the IPC channel is gone', async () => {
    const fake = new FakeTrainer();
    const s = session(fake, { timeouts: { termAfterMs: 5000 } });
    const run = makeRun(runsDir, 'no-ipc');
    fake.emit(startedMessage(run));
    fake.connected = false;
    const r = await withTimeout(s.stop());
    assert.deepEqual(fake.written, []);
    assert.deepEqual(fake.signals, ['SIGTERM']);
    assert.equal(r.status, 'stopped');
  });

  it('sends SIGTERM at once for an urgent stop (window closing), and SIGKILL after killAfterMs', async () => {
    const fake = new FakeTrainer();
    fake.sigterm = 'ignore';
    const s = session(fake, { timeouts: { termAfterMs: 60_000 } });
    fake.emit(startedMessage(makeRun(runsDir, 'urgent')));
    const r = await withTimeout(s.stop({ urgent: true }), 1000);
    assert.deepEqual(fake.written, [{ type: 'stop' }]);
    assert.deepEqual(fake.signals, ['SIGTERM', 'SIGKILL']);
    assert.equal(r.killed, true);
  });

  it('resolves at once when stopping a session that already ended', async () => {
    const fake = new FakeTrainer();
    const s = session(fake);
    fake.exit(2);
    await s.ended;
    const r = await withTimeout(s.stop(), 100);
    assert.equal(r.status, 'rejected');
    assert.deepEqual(fake.written, []);
  });
});

describe('TrainingSession: untrusted input', () => {
  it('ignores invalid messages, logs them, and keeps working', async () => {
    const fake = new FakeTrainer();
    const s = session(fake);
    const logs: string[] = [];
    const progress: SessionProgress[] = [];
    s.onDidLog((l) => l.level === 'warn' && logs.push(l.message));
    s.onDidProgress((p) => progress.push(p));
    for (const bad of [null, 'progress', 42, [], {}, { type: 'explode' }, { type: 'progress', step: '5' }, { type: 'started', runId: 7 }, { type: 'log', level: 'fatal', message: 'x' }]) {
      fake.emit(bad);
    }
    assert.equal(s.state, 'starting', 'a malformed `started` does not start the session');
    assert.equal(progress.length, 0);
    assert.equal(logs.length, 9);
    assert.match(logs[6], /ignored an invalid message from the trainer: \{"type":"progress","step":"5"\}/);
    fake.emit(startedMessage(makeRun(runsDir, 'after-junk')));
    fake.emit({ type: 'progress', step: 5, totalSteps: 100, dLoss: 1, gLoss: 1, stepsPerSec: 0 });
    assert.equal(progress.length, 1);
    assert.equal(progress[0].etaSec, undefined, 'no ETA without a speed');
    fake.exit(0);
    await s.ended;
    fake.emit({ type: 'progress', step: 6, totalSteps: 100, dLoss: 1, gLoss: 1, stepsPerSec: 1 });
    assert.equal(progress.length, 1, 'nothing is handled after the end');
  });

  it('parseTrainerMessage accepts each well-formed message type', () => {
    const good: TrainerToHost[] = [
      { type: 'progress', step: 1, totalSteps: 2, dLoss: 0, gLoss: 0, stepsPerSec: 1 },
      { type: 'metrics', records: [] },
      { type: 'checkpoint', step: 3 },
      { type: 'log', level: 'warn', message: 'm' },
      { type: 'generated', requestId: 1, data: [0], shape: [1, 1] },
      { type: 'finished', status: 'stopped', step: 3 },
    ];
    for (const m of good) assert.deepEqual(parseTrainerMessage(m), { ok: true, value: m });
  });
});

describe('SessionRegistry', () => {
  it('refuses a training over the limit without starting a process', async () => {
    const reg = new SessionRegistry(() => 1);
    const first = new FakeTrainer();
    reg.start({ configPath: '/w/a/gan.json', runsDir }, () => first);
    let spawned = 0;
    assert.throws(
      () => reg.start({ configPath: '/w/b/gan.json', runsDir }, () => (spawned++, new FakeTrainer())),
      (err: unknown) => err instanceof TooManyTrainingsError && /1 training is already running/.test(err.message),
    );
    assert.equal(spawned, 0);
    first.exit(2);
    await tick(0);
    assert.equal(reg.active.length, 0);
    assert.ok(reg.canStart());
    reg.dispose();
  });

  it('finds sessions by config, run id and run dir', () => {
    const reg = new SessionRegistry(() => 4);
    const fake = new FakeTrainer();
    const s = reg.start({ configPath: '/w/a/gan.json', runsDir }, () => fake);
    const run = makeRun(runsDir, 'found');
    fake.emit(startedMessage(run));
    assert.equal(reg.byConfig('/w/a/./gan.json')[0], s);
    assert.equal(reg.byRunId('found'), s);
    assert.equal(reg.byRunDir(`${run.dir}/`), s);
    assert.equal(reg.byRunId('nope'), undefined);
    reg.dispose();
  });

  it('stopAll resolves once every trainer is gone, hung ones included', async () => {
    const reg = new SessionRegistry(() => 3);
    const obedient = new FakeTrainer();
    obedient.onStop = () => {
      obedient.emit({ type: 'finished', status: 'stopped', step: 1 });
      obedient.exit(0);
    };
    const hung = new FakeTrainer();
    hung.sigterm = 'ignore';
    const changes: number[] = [];
    reg.onDidChange(() => changes.push(reg.active.length));
    reg.start({ configPath: '/w/a/gan.json', runsDir, timeouts: FAST }, () => obedient);
    reg.start({ configPath: '/w/b/gan.json', runsDir, timeouts: FAST }, () => hung);
    await withTimeout(reg.stopAll({ urgent: true }), 2000);
    await tick(0);
    assert.equal(reg.active.length, 0);
    assert.deepEqual(hung.signals, ['SIGTERM', 'SIGKILL']);
    assert.equal(changes.at(-1), 0);
    reg.dispose();
  });
});

describe('trainArgs', () => {
  it('builds the train and resume command lines the CLI accepts', () => {
    assert.deepEqual(trainArgs({ configPath: '/w/gan.json', runsDir: '/w/.gan/runs' }), ['train', '/w/gan.json', '--ipc', '--runs-dir', '/w/.gan/runs']);
    assert.deepEqual(trainArgs({ configPath: '/w/gan.json', runsDir: '/w/.gan/runs', backend: 'wasm' }), [
      'train', '/w/gan.json', '--ipc', '--runs-dir', '/w/.gan/runs', '--backend', 'wasm',
    ]);
    assert.deepEqual(trainArgs({ configPath: '/w/gan.json', runsDir: '/w/.gan/runs', resumeDir: '/w/.gan/runs/r1', steps: 4000, backend: 'auto' }), [
      'train', '--resume', '/w/.gan/runs/r1', '--ipc', '--steps', '4000',
    ]);
    assert.deepEqual(
      trainArgs({ configPath: '/w/gan.json', runsDir: '/w/.gan/runs', fork: { parentDir: '/w/.gan/runs/r1', step: 500, sets: [{ pointer: '/training/labelSmoothing', value: 0.1 }] }, backend: 'cpu' }),
      ['fork', '/w/.gan/runs/r1', '--ipc', '--runs-dir', '/w/.gan/runs', '--step', '500', '--set', '/training/labelSmoothing=0.1', '--backend', 'cpu'],
    );
  });
});
