/** Live dashboard updates: at most 10 posts a second, nothing lost, nothing sent twice. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetricRecord, RunInfo } from '../../src/protocol/runFormat';
import type { RunSnapshot } from '../../src/protocol/webviewProtocol';
import { toColumns } from '../../src/runDir/runReader';
import { UpdateCoalescer, type AppendMessage } from '../../src/host/panels/updateCoalescer';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function metric(step: number): MetricRecord {
  return { step, time: step, wallMs: step, dLoss: 1, gLoss: 1, dLossReal: 0.5, dLossFake: 0.5, dReal: 0.5, dFake: 0.5, dAccuracy: 0.5, gGradNorm: 1, dGradNorm: 1, stepMs: 1, examplesPerSec: 1 };
}

function runInfo(id: string, step: number): RunInfo {
  const t = new Date(0).toISOString();
  return { formatVersion: 1, id, name: id, status: 'running', configPath: '/g.json', backend: 'cpu', seed: 1, dataKind: 'points2d', dataDim: 2, step, totalSteps: 1000, checkpointStep: 0, createdAt: t, updatedAt: t, trainingMs: 0 };
}

describe('UpdateCoalescer', () => {
  it('sends at most 10 messages a second however fast updates come, and loses none', async () => {
    const posted: { at: number; m: AppendMessage }[] = [];
    const c = new UpdateCoalescer((m) => posted.push({ at: Date.now(), m }));
    const t0 = Date.now();
    let step = 0;
    while (Date.now() - t0 < 650) {
      step++;
      c.push({ runId: 'r', metrics: [metric(step)], run: runInfo('r', step) });
      await sleep(2);
    }
    await sleep(150);
    const seconds = (posted.at(-1)!.at - posted[0].at) / 1000;
    assert.ok(step > 100, `the producer pushed many updates (${step})`);
    assert.ok(posted.length <= Math.ceil(seconds * 10) + 1, `${posted.length} posts in ${seconds.toFixed(2)} s`);
    for (let i = 1; i < posted.length; i++) assert.ok(posted[i].at - posted[i - 1].at >= 95, 'posts are ≥ 100 ms apart');
    const steps = posted.flatMap((p) => p.m.metrics!.map((r) => r.step));
    assert.deepEqual(steps, Array.from({ length: step }, (_, i) => i + 1), 'every record once, in order');
    assert.equal(posted.at(-1)!.m.run!.step, step, 'the latest run info wins');
    c.dispose();
  });

  it('drops records that the snapshot already delivered', () => {
    const posted: AppendMessage[] = [];
    const c = new UpdateCoalescer((m) => posted.push(m));
    const snapshot: RunSnapshot = {
      run: runInfo('r', 20),
      config: null,
      metrics: toColumns([metric(10), metric(20)]),
      histograms: [{ step: 20, lo: 0, hi: 1, real: [1], fake: [1] }],
      quality: [],
      samples: [{ step: 20, file: 'samples/step-000020.json', kind: 'points2d', rows: 1, cols: 1, src: 'x' }],
      alarms: [],
      checkpoints: [],
    };
    c.push({ runId: 'r', metrics: [metric(20)] });
    c.snapshotSent(snapshot);
    c.push({ runId: 'r', metrics: [metric(20), metric(30)], histograms: [{ step: 20, lo: 0, hi: 1, real: [1], fake: [1] }] });
    c.push({ runId: 'r', samples: [{ step: 20, file: 'a', kind: 'points2d', rows: 1, cols: 1, src: 'a' }, { step: 40, file: 'b', kind: 'points2d', rows: 1, cols: 1, src: 'b' }] });
    c.flush();
    assert.equal(posted.length, 1);
    assert.deepEqual(posted[0].metrics!.map((m) => m.step), [30]);
    assert.equal(posted[0].histograms, undefined, 'an append with only old histograms carries none');
    assert.deepEqual(posted[0].samples!.map((s) => s.step), [40]);
    c.dispose();
  });

  it("passes a manual step's pictures of the step the snapshot had, and only events it did not have", () => {
    const posted: AppendMessage[] = [];
    const c = new UpdateCoalescer((m) => posted.push(m));
    const event = (seq: number) => ({ kind: 'pause' as const, seq, step: 20, time: 1, source: 'dashboard' as const });
    c.snapshotSent({
      run: runInfo('r', 20),
      config: null,
      metrics: toColumns([metric(20)]),
      histograms: [{ step: 20, lo: 0, hi: 1, real: [1], fake: [1], manual: 1 }],
      quality: [],
      samples: [{ step: 20, file: 'samples/step-000020-m1.json', kind: 'points2d', rows: 1, cols: 1, manual: 1, src: 'x' }],
      alarms: [],
      checkpoints: [],
      events: [event(0), event(1)],
    });
    c.push({ runId: 'r', events: [event(1), event(2)], paused: true });
    c.push({ runId: 'r', histograms: [{ step: 20, lo: 0, hi: 1, real: [2], fake: [2], manual: 2 }, { step: 20, lo: 0, hi: 1, real: [3], fake: [3] }] });
    c.push({ runId: 'r', samples: [{ step: 20, file: 'samples/step-000020-m2.json', kind: 'points2d', rows: 1, cols: 1, manual: 2, src: 'y' }] });
    c.flush();
    assert.equal(posted.length, 1);
    assert.deepEqual(posted[0].events!.map((e) => e.seq), [2]);
    assert.equal(posted[0].paused, true);
    assert.deepEqual(posted[0].histograms!.map((h) => h.manual), [2], 'only the manual redraw of step 20 passes');
    assert.deepEqual(posted[0].samples!.map((s) => s.file), ['samples/step-000020-m2.json']);
    c.dispose();
  });

  it('keeps runs apart and sends nothing when there is nothing new', () => {
    const posted: AppendMessage[] = [];
    const c = new UpdateCoalescer((m) => posted.push(m));
    c.push({ runId: 'a', metrics: [metric(1)] });
    c.push({ runId: 'b', metrics: [metric(1), metric(2)] });
    c.push({ runId: 'a', metrics: [] });
    c.flush();
    c.flush();
    assert.deepEqual(posted.map((m) => [m.runId, m.metrics!.length]), [['a', 1], ['b', 2]]);
    c.dispose();
    c.push({ runId: 'a', metrics: [metric(2)] });
    c.flush();
    assert.equal(posted.length, 2, 'a disposed coalescer posts nothing');
  });

  it('forgets pending updates on reset (the webview reloads and asks for a snapshot)', async () => {
    const posted: AppendMessage[] = [];
    const c = new UpdateCoalescer((m) => posted.push(m), 20);
    c.push({ runId: 'r', metrics: [metric(1)] });
    c.reset();
    await sleep(40);
    assert.equal(posted.length, 0);
    c.dispose();
  });
});
