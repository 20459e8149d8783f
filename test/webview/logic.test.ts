/** Unit tests of the webview's pure code: message validation, smoothing, decimation, scales, tiles, the HTML shell. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readSnapshot } from '../../src/runDir/runReader';
import { makeNonce, renderWebviewHtml } from '../../src/host/panels/webviewHtml';
import { parseHostMessage } from '../../src/protocol/webviewProtocol';
import { resolveConfig } from '../../src/config/validateConfig';
import { decimate, decimateColumns, STRIDE } from '../../webview/shared/charts/decimate';
import { niceTicks, yRange } from '../../webview/shared/charts/scale';
import { emaDebiased, EmaSeries } from '../../webview/shared/charts/smoothing';
import { gridGeometry, tileRect } from '../../webview/shared/samples/gridGeometry';
import { Column, RunData } from '../../webview/shared/runData';
import { gaussian, lerp, mulberry32, onPlane, planeGrid, randomPlane, sampleLatent, slerp } from '../../webview/shared/latentMath';
import type { RunSnapshot } from '../../src/protocol/webviewProtocol';
import { ringRun } from './runs';

function snapshot(steps: number[]): RunSnapshot {
  const n = steps.length;
  const col = (f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
  return {
    run: { formatVersion: 1, id: 'r1', name: 'r', status: 'running', configPath: '/x/gan.json', backend: 'wasm', seed: 1, dataKind: 'points2d', dataDim: 2, step: n, totalSteps: 100, checkpointStep: 0, createdAt: '', updatedAt: '', trainingMs: 0 },
    config: resolveConfig({ data: { type: 'ring' } }),
    metrics: {
      step: Float64Array.from(steps), wallMs: col((i) => i * 10), dLoss: col((i) => 1 + i), gLoss: col(() => 0.7), dLossReal: col(() => 0.5), dLossFake: col(() => 0.5), gradientPenalty: col(() => NaN),
      dReal: col(() => 0.6), dFake: col(() => 0.4), dAccuracy: col(() => 0.7), gGradNorm: col(() => 1), dGradNorm: col(() => 1), stepMs: col(() => 5), examplesPerSec: col(() => 100),
    },
    histograms: [],
    quality: [],
    samples: [],
    alarms: [],
    checkpoints: [],
  };
}

const record = (step: number) => ({ step, time: 0, wallMs: 0, dLoss: 1, gLoss: 0, dLossReal: 0, dLossFake: 0, dReal: 0, dFake: 0, dAccuracy: 0, gGradNorm: 0, dGradNorm: 0, stepMs: 0, examplesPerSec: 0 });

describe('host message validation', () => {
  test('accepts a well-formed snapshot and append', () => {
    assert.equal(parseHostMessage({ type: 'snapshot', snapshot: snapshot([1, 2, 3]) }).ok, true);
    assert.equal(parseHostMessage({ type: 'append', runId: 'r1', metrics: [record(4)] }).ok, true);
  });
  test('rejects malformed and unknown messages with a reason', () => {
    const cases: [unknown, RegExp][] = [
      [null, /not an object/],
      [[], /not an object/],
      [{ type: 'nope' }, /unknown message type "nope"/],
      [{ type: 'snapshot', snapshot: { ...snapshot([1]), run: { id: 1 } } }, /snapshot\.run\.id/],
      [{ type: 'snapshot', snapshot: { ...snapshot([1, 2]), metrics: { ...snapshot([1, 2]).metrics, dLoss: [1] } } }, /metrics: dLoss is not a Float64Array column of 2/],
      [{ type: 'append', runId: 'r1', histograms: [{ step: 1, lo: 1, hi: 0, real: [1], fake: [1] }] }, /lo<hi/],
      [{ type: 'append', runId: 'r1', samples: [{ step: 1, file: 'a', src: 'b', kind: 'gif', rows: 1, cols: 1 }] }, /kind/],
      [{ type: 'latestSample', runs: [{ id: 'a' }] }, /latestSample\.runs\[0\]/],
    ];
    for (const [msg, why] of cases) {
      const r = parseHostMessage(msg);
      assert.equal(r.ok, false, JSON.stringify(msg));
      assert.match((r as { reason: string }).reason, why);
    }
  });
});

describe('run data', () => {
  test('a resumed run that re-logs steps keeps the later records and an increasing step column', () => {
    const r = new RunData(snapshot([1, 2, 3, 4, 5]));
    r.appendMetrics([3, 4, 5, 6].map((step) => ({ step, time: 0, wallMs: 0, dLoss: 10 * step, gLoss: 0, dLossReal: 0, dLossFake: 0, dReal: 0, dFake: 0, dAccuracy: 0, gGradNorm: 0, dGradNorm: 0, stepMs: 0, examplesPerSec: 0 })));
    assert.deepEqual(Array.from(r.step.data.subarray(0, r.length)), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(r.metrics.dLoss.data.subarray(0, r.length)), [1, 2, 30, 40, 50, 60]);
    assert.equal(r.has('gradientPenalty'), false);
    assert.equal(r.dIsProbability, true);
  });
  test('samples merge by step without duplicates', () => {
    const r = new RunData(snapshot([1]));
    const s = (step: number) => ({ step, file: `s${step}`, src: `u${step}`, kind: 'points2d' as const, rows: 1, cols: 1 });
    r.appendSamples([s(10), s(20)]);
    r.appendSamples([s(20), s(15), s(30)]);
    assert.deepEqual(r.samples.map((x) => x.step), [10, 15, 20, 30]);
  });
});

describe('smoothing', () => {
  test('debiased EMA starts at the data and matches TensorBoard', () => {
    const out = emaDebiased([2, 4, 4], 0.5);
    assert.equal(out[0], 2);
    // acc: 1, 2.5, 3.25; debias: 0.5, 0.75, 0.875
    assert.ok(Math.abs(out[1] - 2.5 / 0.75) < 1e-12);
    assert.ok(Math.abs(out[2] - 3.25 / 0.875) < 1e-12);
    assert.deepEqual(emaDebiased([1, 5, 3], 0), [1, 5, 3]);
  });
  test('incremental updates equal a full recompute; a gap stays a gap', () => {
    const c = new Column(4);
    const e = new EmaSeries();
    const values = [1, 3, NaN, 2, 8, 5];
    for (const v of values.slice(0, 3)) c.push(v);
    e.update(c, 0.7);
    for (const v of values.slice(3)) c.push(v);
    const inc = Array.from(e.update(c, 0.7).data.subarray(0, c.n));
    const full = emaDebiased(values, 0.7);
    assert.equal(inc.length, full.length);
    inc.forEach((v, i) => assert.ok(Number.isNaN(full[i]) ? Number.isNaN(v) : Math.abs(v - full[i]) < 1e-12));
  });
});

describe('decimation', () => {
  test('keeps first, min, max and last of each pixel column', () => {
    const n = 1000;
    const x = new Float64Array(n).map((_, i) => i);
    const y = new Float64Array(n).map((_, i) => (i === 503 ? 100 : i === 507 ? -100 : Math.sin(i)));
    const cols = 10;
    const out = new Float64Array(cols * STRIDE);
    decimate(x, y, n, 0, 999, cols, out, false);
    // Column 5 covers x in [499.5, 599.4): it holds the spike and the dip.
    assert.equal(out[5 * STRIDE + 1], -100);
    assert.equal(out[5 * STRIDE + 2], 100);
    assert.equal(out[0], y[0]);
    assert.equal(out[9 * STRIDE + 3], y[999]);
  });
  test('log mode drops non-positive values; empty columns are NaN', () => {
    const x = Float64Array.from([0, 1, 2, 9]);
    const y = Float64Array.from([10, -1, 100, 1000]);
    const out = new Float64Array(10 * STRIDE);
    decimate(x, y, 4, 0, 9, 10, out, true);
    assert.equal(out[0], 1);
    assert.ok(Number.isNaN(out[1 * STRIDE]));
    assert.equal(out[2 * STRIDE], 2);
    assert.equal(out[9 * STRIDE + 3], 3);
  });
});

describe('pyramid decimation', () => {
  test('equals the point-by-point result, gaps and appends included', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (const n of [100_000, 5003, 777]) {
      const x = new Column(16);
      const y = new Column(16);
      const check = (cols: number) => {
        const a = new Float64Array(cols * STRIDE);
        const b = new Float64Array(cols * STRIDE);
        const x0 = x.data[0] - 1;
        const x1 = x.data[x.n - 1];
        decimateColumns(x, y, x0, x1, cols, a, false);
        decimate(x.data, y.data, x.n, x0, x1, cols, b, false);
        assert.deepEqual(Array.from(a, (v) => (Number.isNaN(v) ? 'gap' : v)), Array.from(b, (v) => (Number.isNaN(v) ? 'gap' : v)), `n=${x.n} cols=${cols}`);
      };
      for (let i = 0; i < n; i++) {
        x.push(i * 1.5 + 3);
        y.push(i % 97 === 0 ? NaN : Math.sin(i / 100) + rnd());
      }
      for (const cols of [730, 101, 3]) check(cols);
      // The pyramid extends incrementally as a live run appends.
      for (let i = n; i < n + 1234; i++) {
        x.push(i * 1.5 + 3);
        y.push(rnd() * 10);
      }
      check(500);
    }
  });
});

test('a live append re-decimates only the tail columns, with the full result', () => {
  const n = 20_000;
  const x = Float64Array.from({ length: n + 300 }, (_, i) => i + 1);
  const y = Float64Array.from({ length: n + 300 }, (_, i) => Math.cos(i / 50) * (1 + (i % 13) / 13));
  const cols = 400;
  const [x0, x1] = [0, 25_000];
  const inc = new Float64Array(cols * STRIDE);
  decimate(x, y, n, x0, x1, cols, inc, false);
  const from = Math.floor(((x[n - 1] - x0) * cols) / (x1 - x0));
  decimate(x, y, n + 300, x0, x1, cols, inc, false, from);
  const full = new Float64Array(cols * STRIDE);
  decimate(x, y, n + 300, x0, x1, cols, full, false);
  assert.deepEqual(Array.from(inc, (v) => (Number.isNaN(v) ? 'gap' : v)), Array.from(full, (v) => (Number.isNaN(v) ? 'gap' : v)));
});

describe('scales', () => {
  test('nice ticks are round numbers inside the range', () => {
    const t = niceTicks(0, 1, 5).map((v) => Math.round(v * 1e9) / 1e9);
    assert.deepEqual(t, [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(3, 47, 4), [10, 20, 30, 40]);
  });
  test('robust y range ignores a start-up spike', () => {
    const n = 200;
    const mins = new Float64Array(n).map((_, i) => (i === 0 ? 0.5 : 0.6 + (i % 7) * 0.01));
    const maxs = new Float64Array(n).map((_, i) => (i === 0 ? 25 : 0.7 + (i % 5) * 0.01));
    const [lo, hi] = yRange(mins.slice(), maxs.slice(), n, true);
    assert.ok(hi < 1, `robust top ${hi}`);
    assert.ok(lo < 0.61);
    const [, fullHi] = yRange(mins.slice(), maxs.slice(), n, false);
    assert.ok(fullHi > 25);
  });
  test('data that is never negative gets no negative axis', () => {
    // A diversity from 0.05 to 2.5: the padding below would reach −0.1.
    const mins = Float64Array.from([0.05, 1, 2]);
    const maxs = Float64Array.from([0.1, 1.5, 2.5]);
    assert.equal(yRange(mins.slice(), maxs.slice(), 3, false)[0], 0);
    assert.equal(yRange(Float64Array.from([0]), Float64Array.from([0]), 1, false)[0], 0, 'a flat zero line');
    // Data below zero keeps its padding.
    assert.ok(yRange(Float64Array.from([-1, 0]), Float64Array.from([0, 1]), 2, false)[0] < -1);
  });
});

describe('sample grid geometry', () => {
  test('finds the trainer gap and scale from the image size', () => {
    // 8 × 8 tiles of 28 px at scale 2 with a 2 px gap: 8·56 + 9·2 = 466.
    const g = gridGeometry(466, 466, 8, 8, [28, 28, 1]);
    assert.deepEqual(g, { tileW: 56, tileH: 56, pad: 2 });
    assert.deepEqual(tileRect(g, 1, 2), [2 + 2 * 58, 2 + 58, 56, 56]);
    assert.deepEqual(gridGeometry(100, 50, 1, 2), { tileW: 50, tileH: 50, pad: 0 });
  });
});

describe('webview HTML', () => {
  const page = renderWebviewHtml({ title: 'A <b> & "c"', scriptUri: 'https://x/a.js?x="1"', styleUri: 'https://x/a.css', cspSource: 'https://x', nonce: makeNonce(), bodyClass: 'vscode-dark' });
  test('a strict CSP: nonce scripts, no eval, no inline', () => {
    const csp = /content="(default-src[^"]*)"/.exec(page)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9+/=]+'/);
    assert.match(csp, /style-src https:\/\/x 'nonce-/);
    assert.match(csp, /img-src https:\/\/x data: blob:/);
    assert.match(csp, /connect-src https:\/\/x/);
    assert.doesNotMatch(csp, /unsafe/);
  });
  test('escapes what it embeds and uses distinct nonces', () => {
    assert.match(page, /<title>A &lt;b&gt; &amp; &quot;c&quot;<\/title>/);
    assert.match(page, /src="https:\/\/x\/a\.js\?x=&quot;1&quot;"/);
    const script = /script nonce="([^"]+)"/.exec(page)?.[1];
    const style = /property="csp-nonce" content="([^"]+)"/.exec(page)?.[1];
    assert.ok(script && style && script !== style);
    assert.notEqual(makeNonce(), makeNonce());
    assert.throws(() => renderWebviewHtml({ title: '', scriptUri: '', cspSource: '', nonce: 'short' }), /nonce/);
  });
});

// readSnapshot is the host's reader; the validator must accept what it builds from a real run.
test('a snapshot of a real trainer run passes validation', async () => {
  const snap = readSnapshot(await ringRun(), (p) => `file://${p}`);
  const parsed = parseHostMessage({ type: 'snapshot', snapshot: snap });
  assert.equal(parsed.ok, true, (parsed as { reason?: string }).reason);
  const run = new RunData(snap);
  assert.equal(run.length, snap.metrics.step.length);
});

describe('latent arithmetic (explorer)', () => {
  test('slerp keeps Gaussian-sized norms where lerp shrinks them; both hit the endpoints', () => {
    const rnd = mulberry32(5);
    const a = gaussian(64, rnd);
    const b = gaussian(64, rnd);
    const norm = (v: number[]) => Math.hypot(...v);
    assert.deepEqual(slerp(a, b, 0).map((x) => +x.toFixed(9)), a.map((x) => +x.toFixed(9)));
    assert.deepEqual(lerp(a, b, 1).map((x) => +x.toFixed(9)), b.map((x) => +x.toFixed(9)));
    const mid = (norm(a) + norm(b)) / 2;
    assert.ok(Math.abs(norm(slerp(a, b, 0.5)) - mid) < 0.05 * mid, 'slerp stays near the sphere');
    assert.ok(norm(lerp(a, b, 0.5)) < 0.8 * mid, 'lerp cuts inside it');
  });
  test('a random plane is orthonormal, and its grid passes through the origin', () => {
    const [u, v] = randomPlane(16, mulberry32(9));
    const dot = (x: number[], y: number[]) => x.reduce((s, xi, i) => s + xi * y[i], 0);
    assert.ok(Math.abs(dot(u, u) - 1) < 1e-9 && Math.abs(dot(v, v) - 1) < 1e-9 && Math.abs(dot(u, v)) < 1e-9);
    const origin = gaussian(16, mulberry32(1));
    const g = planeGrid(origin, u, v, 2, 3);
    assert.equal(g.length, 9 * 16);
    assert.deepEqual(g.slice(4 * 16, 5 * 16).map((x) => +x.toFixed(9)), origin.map((x) => +x.toFixed(9)), 'the centre of the grid is the origin');
    assert.deepEqual(onPlane(origin, u, v, 0, 0), origin);
    const uni = sampleLatent(1000, 'uniform', mulberry32(2));
    assert.ok(uni.every((x) => x >= -1 && x <= 1));
  });
  test('alarms, quality and checkpoints are validated like the rest', () => {
    const alarm = { kind: 'mode-collapse', severity: 'warning', ranges: [[100, 200]], title: 't', message: 'm' };
    assert.equal(parseHostMessage({ type: 'alarms', runId: 'r1', alarms: [alarm] }).ok, true);
    assert.equal(parseHostMessage({ type: 'append', runId: 'r1', quality: [{ step: 1, swd: 1, swdFloor: 0.5, diversity: 1, realDiversity: 1, classes: [1, 2] }], checkpoints: [500] }).ok, true);
    const bad: [unknown, RegExp][] = [
      [{ type: 'alarms', runId: 'r1', alarms: [{ ...alarm, ranges: [[1]] }] }, /ranges/],
      [{ type: 'alarms', runId: 'r1', alarms: [{ ...alarm, severity: 'panic' }] }, /severity/],
      [{ type: 'append', runId: 'r1', quality: [{ step: 1, swd: 'far' }] }, /quality\[0\]\.swd/],
      [{ type: 'append', runId: 'r1', checkpoints: [1.5] }, /checkpoints/],
      [{ type: 'snapshot', snapshot: { ...snapshot([1]), alarms: 'none' } }, /snapshot\.alarms/],
      [{ type: 'error', message: 'x', requestId: 'one' }, /requestId/],
    ];
    for (const [m, re] of bad) {
      const r = parseHostMessage(m);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.reason, re);
    }
  });
});
