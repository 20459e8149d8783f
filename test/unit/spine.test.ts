/**
 * The typed spine's own pieces: one rule for numbers at every boundary, the request/reply helper,
 * the one speed and ETA estimate, and the run directory module as the one writer of run.json.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatDuration, formatSpeed, paceOf, SpeedMeter } from '../../src/analysis/progress';
import { resolveConfig } from '../../src/config/validateConfig';
import { check } from '../../src/protocol/fields';
import { PendingRequests, type Timers } from '../../src/protocol/requests';
import { metricRecord, RUN_FILES, type MetricRecord, type RunInfo } from '../../src/protocol/runFormat';
import { parseTrainerMessage } from '../../src/protocol/trainerProtocol';
import { parseHostMessage } from '../../src/protocol/webviewProtocol';
import { readJsonl } from '../../src/runDir/durableFiles';
import { loadRunConfig, readMetrics, readRunInfo, runIdOf } from '../../src/runDir/runReader';
import { markRunEnded, RunWriter } from '../../src/runDir/runWriter';

const record = (step: number, dLoss: number): MetricRecord => ({
  step, time: 1000 + step, wallMs: 10 * step, dLoss, gLoss: 0.7, dLossReal: 0.3, dLossFake: 0.4, dReal: 0.6, dFake: 0.4, dAccuracy: 0.5, gGradNorm: 1, dGradNorm: 1, stepMs: 5, examplesPerSec: 100,
});

function tmp(name: string): string {
  return mkdtempSync(join(tmpdir(), `gan-spine-${name}-`));
}

describe('one rule for numbers at every boundary', () => {
  it('a measure that was not finite reads back as NaN from a file, from IPC (JSON) and from postMessage', () => {
    const dir = tmp('nan');
    try {
      const file = join(dir, 'metrics.jsonl');
      // JSON has no NaN: the file and Node's IPC carry null; structured clone keeps NaN.
      writeFileSync(file, `${JSON.stringify(record(1, NaN))}\n${JSON.stringify(record(2, Infinity))}\n`);
      const fromFile = readJsonl(file, metricRecord).map((r) => r.dLoss);
      assert.deepEqual(fromFile, [NaN, NaN]);
      const overIpc = parseTrainerMessage(JSON.parse(JSON.stringify({ type: 'metrics', records: [record(3, NaN)] })));
      assert.ok(overIpc.ok && overIpc.value.type === 'metrics' && Number.isNaN(overIpc.value.records[0].dLoss));
      const posted = parseHostMessage({ type: 'append', runId: 'r', metrics: [record(4, NaN)] });
      assert.ok(posted.ok && posted.value.type === 'append' && Number.isNaN(posted.value.metrics![0].dLoss));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an identity number (a step) that is NaN, fractional or negative is refused by every reader', () => {
    for (const step of [NaN, 1.5, -1, null]) {
      const r = { ...record(1, 1), step };
      assert.equal(check(metricRecord, r).ok, false, `file record with step ${step}`);
      assert.equal(parseTrainerMessage({ type: 'checkpoint', step }).ok, false, `trainer message with step ${step}`);
      assert.equal(parseHostMessage({ type: 'append', runId: 'r', checkpoints: [step] }).ok, false, `host message with step ${step}`);
    }
  });
});

/** Timers the test fires by hand. */
function manualTimers(): Timers & { fire(): void; pending: number } {
  const fns = new Map<number, () => void>();
  let next = 1;
  return {
    set: (fire) => {
      fns.set(next, fire);
      return next++;
    },
    clear: (h) => void fns.delete(h as number),
    fire: () => {
      for (const [h, f] of [...fns]) {
        fns.delete(h);
        f();
      }
    },
    get pending() {
      return fns.size;
    },
  };
}

describe('PendingRequests', () => {
  it('matches answers by id, refuses stale ones, times out and fails what a closed channel owes', async () => {
    const timers = manualTimers();
    const requests = new PendingRequests<string>(timers, { timeoutMs: 1000, timeoutMessage: (ms) => `no answer in ${ms} ms` });
    const a = requests.start();
    const b = requests.start();
    const c = requests.start();
    assert.equal(new Set([a.id, b.id, c.id]).size, 3, 'ids never clash');
    assert.equal(requests.resolve(b.id, 'B'), true);
    assert.equal(requests.resolve(b.id, 'again'), false, 'an answer to a settled request is stale');
    assert.equal(await b.reply, 'B');
    assert.equal(requests.reject(a.id, new Error('refused')), true);
    await assert.rejects(a.reply, /refused/);
    assert.equal(timers.pending, 1, 'a settled request clears its timer');
    timers.fire();
    await assert.rejects(c.reply, /no answer in 1000 ms/);
    assert.equal(requests.size, 0);
    const d = requests.start();
    requests.rejectAll(new Error('closed'));
    await assert.rejects(d.reply, /closed/);
    assert.equal(requests.has(d.id), false);
  });
});

describe('the one speed and ETA estimate', () => {
  it('measures steps per second over a trailing window of wall-clock time, and the ETA at that speed', () => {
    const m = new SpeedMeter(10_000, 100);
    assert.equal(m.stepsPerSec, undefined, 'no estimate from nothing');
    m.tick(10, 0);
    assert.equal(m.stepsPerSec, undefined, 'nor from one tick');
    // 20 steps per second, with a slow checkpoint in between: it counts, as time passes.
    m.tick(30, 1000);
    m.tick(50, 2000);
    m.tick(50, 2050); // merged into the tick before: closer than 100 ms
    m.tick(70, 4000);
    assert.equal(m.stepsPerSec, 15);
    assert.equal(m.etaSec(100), 2);
    // Later, a faster pace: the window forgets what is older than 10 s.
    for (let s = 1; s <= 20; s++) m.tick(70 + 100 * s, 4000 + 1000 * s);
    assert.equal(m.stepsPerSec, 100);
    m.reset();
    assert.equal(m.stepsPerSec, undefined);
  });

  it('shows the trainer’s last estimate, the ETA only while the run trains, and one duration format', () => {
    const base = { step: 500, trainingMs: 10_000 };
    assert.deepEqual(paceOf({ ...base, status: 'running', stepsPerSec: 40, etaSec: 12 }), { stepsPerSec: 40, etaSec: 12 });
    assert.deepEqual(paceOf({ ...base, status: 'completed', stepsPerSec: 40, etaSec: 12 }), { stepsPerSec: 40 });
    assert.deepEqual(paceOf({ ...base, status: 'stopped' }), { stepsPerSec: 50 }, 'an older run: its average');
    assert.deepEqual([3909, 247, 9, -1, NaN, undefined].map(formatDuration), ['1:05:09', '4:07', '0:09', '–', '–', '–']);
    assert.deepEqual([0.853, 12.34, 450.2, 0, undefined].map(formatSpeed), ['0.85', '12.3', '450', '–', '–']);
  });
});

describe('the run directory module', () => {
  const config = resolveConfig({ name: 'spine', data: { type: 'ring' }, training: { steps: 100 } });

  it('is the one writer of run.json: each state change has its method, and a dead trainer’s run is marked through it', () => {
    const runsDir = tmp('writer');
    try {
      const w = RunWriter.create({ runsDir, config, configPath: '/w/gan.json', backend: 'wasm', dataKind: 'points2d', dataDim: 2 });
      assert.equal(runIdOf(w.dir), w.run.id);
      assert.equal(readRunInfo(w.dir).status, 'running');
      assert.equal(readRunInfo(w.dir).pid, process.pid);
      w.appendMetrics([record(10, 1), record(20, 1)]);
      w.progress(20, 400, { stepsPerSec: 50, etaSec: 2 });
      assert.deepEqual([readRunInfo(w.dir).step, readRunInfo(w.dir).stepsPerSec, readRunInfo(w.dir).etaSec], [20, 50, 2]);
      w.checkpointed(20, 400);
      assert.equal(readRunInfo(w.dir).checkpointStep, 20);
      w.finish('stopped', 20, 410);
      const stopped = readRunInfo(w.dir);
      assert.deepEqual([stopped.status, stopped.pid, stopped.etaSec, stopped.stepsPerSec, typeof stopped.endedAt], ['stopped', undefined, undefined, 50, 'string']);

      // Resumed at its checkpoint: the later records go, the run trains again.
      w.appendMetrics([record(30, 1)]);
      const again = RunWriter.reopen(w.dir, 20, { backend: 'wasm', totalSteps: 100, trainingMs: 400, checkpointStep: 20, resumedAt: [20] });
      assert.deepEqual(readMetrics(w.dir).map((r) => r.step), [10, 20]);
      assert.deepEqual([again.run.status, again.run.endedAt, again.run.resumedAt], ['running', undefined, [20]]);

      // The trainer died: the host asks the module to say so.
      const marked: RunInfo = markRunEnded(w.dir, 'failed', 25, { kind: 'crash', message: 'The trainer was killed by SIGKILL without finishing', step: 25 });
      assert.deepEqual(readRunInfo(w.dir), marked);
      assert.deepEqual([marked.status, marked.step, marked.pid, marked.error?.kind, marked.name], ['failed', 25, undefined, 'crash', 'spine']);
    } finally {
      rmSync(runsDir, { recursive: true, force: true });
    }
  });

  it('reads a run’s config through the config schema; a run from before training.workers resumes on one thread', () => {
    const runsDir = tmp('config');
    try {
      const w = RunWriter.create({ runsDir, config, configPath: '/w/gan.json', backend: 'wasm', dataKind: 'points2d', dataDim: 2 });
      assert.deepEqual(loadRunConfig(w.dir), config);
      const path = join(w.dir, RUN_FILES.config);
      const old = JSON.parse(readFileSync(path, 'utf8')) as { training: Record<string, unknown> };
      delete old.training.workers;
      writeFileSync(path, JSON.stringify(old));
      assert.equal(loadRunConfig(w.dir).training.workers, 1);
      writeFileSync(path, JSON.stringify({ ...old, training: { ...old.training, batchSize: -4 } }));
      assert.throws(() => loadRunConfig(w.dir), (e: Error) => e.message.includes(`${path}: /training/batchSize must be ≥ 1 (got -4)`));
    } finally {
      rmSync(runsDir, { recursive: true, force: true });
    }
  });
});
