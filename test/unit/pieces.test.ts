/** Small pure pieces: the RNG, histograms, sample pictures, mode coverage, run files, webview messages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { Rng, installAsMathRandom } from '../../src/trainer/rng';
import { boundsOf, criticRange, histogram, imageGridPng, planeGrid } from '../../src/trainer/samples';
import { modeCoverage } from '../../src/trainer/quality';
import { readJsonl, writeFileAtomic, writeJsonAtomic } from '../../src/runDir/durableFiles';
import { listRuns } from '../../src/runDir/runReader';
import { metricRecord } from '../../src/protocol/runFormat';
import { parseWebviewMessage as checkWebviewMessage } from '../../src/protocol/webviewProtocol';
import { parseHostToTrainer, parseTrainerMessage } from '../../src/protocol/trainerProtocol';

const isHostToTrainer = (m: unknown) => parseHostToTrainer(m).ok;
const isTrainerMessage = (m: unknown) => parseTrainerMessage(m).ok;
/** The checked message, or undefined when the protocol refuses it. */
const parseWebviewMessage = (m: unknown) => {
  const r = checkWebviewMessage(m);
  return r.ok ? r.value : undefined;
};

function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `gan-${prefix}-`));
}

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

// ------------------------------------------------------------------------------------------
// Rng

test('rng: the same seed gives the same sequence, another seed another one', () => {
  const a = draws(new Rng(42), 1000);
  assert.deepEqual(draws(new Rng(42), 1000), a);
  const b = draws(new Rng(43), 1000);
  assert.ok(a.filter((v, i) => v === b[i]).length < 3);
  assert.ok(a.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32));
  assert.ok(new Set(a).size > 995);
});

test('rng: the sequence is pinned, so checkpoints from older builds resume identically', () => {
  // sfc32 seeded by splitmix32 after 12 warm-up draws. Changing this breaks resumed runs.
  assert.deepEqual(draws(new Rng(0), 3), [4205396811, 3543653536, 1222415357]);
  assert.deepEqual(draws(new Rng(42), 2), [1028872839, 2516511472]);
  assert.equal(new Rng(42).normal(), -1.4501234869314128);
  // Seeds are taken modulo 2^32.
  assert.deepEqual(draws(new Rng(2 ** 32 + 5), 5), draws(new Rng(5), 5));
});

test('rng: setState continues the exact sequence, including the spare normal', () => {
  const rng = new Rng(7);
  draws(rng, 17);
  rng.normal(); // leaves a spare normal in the state
  const state = rng.getState();
  assert.equal(state.length, 5);
  assert.ok(Number.isFinite(state[4]), 'the spare normal is part of the state');
  const expected = [rng.normal(), rng.normal(), rng.next(), rng.int(10), rng.normal(), ...draws(rng, 20)];

  // A different generator restored from the state, through JSON as a checkpoint stores it.
  const restored = new Rng(999);
  restored.setState(JSON.parse(JSON.stringify(state)) as number[]);
  assert.deepEqual([restored.normal(), restored.normal(), restored.next(), restored.int(10), restored.normal(), ...draws(restored, 20)], expected);

  // Without a spare (NaN becomes null in JSON).
  const plain = new Rng(3);
  const s2 = JSON.parse(JSON.stringify(plain.getState())) as number[];
  assert.equal(s2[4], null);
  const want = [plain.normal(), plain.normal(), plain.normal()];
  const again = new Rng(4);
  again.setState(s2);
  assert.deepEqual([again.normal(), again.normal(), again.normal()], want);
});

test('rng: setState rejects a broken state', () => {
  const rng = new Rng(1);
  assert.throws(() => rng.setState([1, 2, 3]), /invalid RNG state/);
  assert.throws(() => rng.setState([1, 2, 3.5, 4]), /invalid RNG state/);
  assert.throws(() => rng.setState([1, 2, Number.NaN, 4, 0]), /invalid RNG state/);
});

test('rng: uniform, int and normal have the right distributions', () => {
  const rng = new Rng(11);
  const n = 100_000;
  const u = Array.from({ length: n }, () => rng.next());
  assert.ok(u.every((v) => v >= 0 && v < 1));
  const mean = u.reduce((s, v) => s + v, 0) / n;
  assert.ok(Math.abs(mean - 0.5) < 0.01, `uniform mean ${mean}`);

  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < n; i++) counts[rng.int(10)]++;
  for (const c of counts) assert.ok(Math.abs(c - n / 10) < 0.05 * (n / 10), `int counts ${counts}`);

  const z = rng.fillNormal(new Float32Array(n));
  const zm = z.reduce((s, v) => s + v, 0) / n;
  const zv = z.reduce((s, v) => s + (v - zm) ** 2, 0) / n;
  assert.ok(Math.abs(zm) < 0.02, `normal mean ${zm}`);
  assert.ok(Math.abs(zv - 1) < 0.03, `normal variance ${zv}`);
  // Tails: about 4.55 % beyond 2σ.
  const tail = z.filter((v) => Math.abs(v) > 2).length / n;
  assert.ok(Math.abs(tail - 0.0455) < 0.005, `tail ${tail}`);

  const w = rng.fillUniform(new Float32Array(n), -1, 1);
  assert.ok(w.every((v) => v >= -1 && v < 1));
  const wm = w.reduce((s, v) => s + v, 0) / n;
  const wv = w.reduce((s, v) => s + (v - wm) ** 2, 0) / n;
  assert.ok(Math.abs(wm) < 0.01 && Math.abs(wv - 1 / 3) < 0.01, `uniform(-1,1) mean ${wm} var ${wv}`);
});

test('rng: installAsMathRandom routes Math.random through the seeded generator', () => {
  const original = Math.random;
  try {
    installAsMathRandom(new Rng(5));
    const a = [Math.random(), Math.random(), Math.random()];
    installAsMathRandom(new Rng(5));
    assert.deepEqual([Math.random(), Math.random(), Math.random()], a);
    const ref = new Rng(5);
    assert.deepEqual(a, [ref.next(), ref.next(), ref.next()]);
  } finally {
    Math.random = original;
  }
});

// ------------------------------------------------------------------------------------------
// Histograms and ranges

test('histogram: equal bins over [lo, hi], out-of-range values in the end bins, non-finite skipped', () => {
  const values = Float32Array.from([0, 0.1, 0.249, 0.25, 0.5, 0.99, 1, -5, 7, NaN, Infinity, -Infinity]);
  assert.deepEqual(histogram(values, 0, 1, 4), [4, 1, 1, 3]);
  assert.deepEqual(histogram(Float32Array.from([-1, -0.5, 0, 0.5, 1]), -1, 1, 2), [2, 3]);
  assert.deepEqual(histogram(new Float32Array(0), 0, 1, 3), [0, 0, 0]);
  const many = new Rng(1).fillUniform(new Float32Array(10_000), 0, 1);
  const h = histogram(many, 0, 1, 40);
  assert.equal(h.length, 40);
  assert.equal(h.reduce((s, c) => s + c, 0), 10_000);
  assert.ok(h.every((c) => c > 180 && c < 320), `uniform bins ${h}`);
});

test('criticRange: covers both batches, rounded outward to the scale of the span', () => {
  assert.deepEqual(criticRange(Float32Array.from([-0.37, 2.2]), Float32Array.from([1.1])), [-1, 3]);
  // Values exact in float32: span 0.0625 → steps of 0.01.
  const [lo, hi] = criticRange(Float32Array.from([0.125, 0.1875]), Float32Array.from([0.15, NaN]));
  assert.ok(Math.abs(lo - 0.12) < 1e-9 && Math.abs(hi - 0.19) < 1e-9, `${lo} ${hi}`);
  assert.deepEqual(criticRange(Float32Array.from([-130]), Float32Array.from([20])), [-200, 100]);
  assert.deepEqual(criticRange(new Float32Array(0), Float32Array.from([NaN])), [-1, 1]);
  for (const [a, b] of [
    [Float32Array.from([-0.37, 2.2]), Float32Array.from([1.1])],
    [Float32Array.from([-1e4]), Float32Array.from([5e3])],
  ]) {
    const [l, h] = criticRange(a, b);
    for (const v of [...a, ...b]) assert.ok(v >= l && v <= h);
  }
});

test('criticRange: equal scores still give a range that a histogram can use', () => {
  // A critic that outputs the same score for everything (e.g. all zeros at the start).
  for (const v of [0, 0.5, -3]) {
    const scores = Float32Array.from([v, v, v]);
    const [lo, hi] = criticRange(scores, scores);
    assert.ok(hi > lo, `criticRange of all ${v} is [${lo}, ${hi}]`);
    const h = histogram(scores, lo, hi, 10);
    assert.equal(h.reduce((s, c) => s + c, 0), 3, `histogram lost values: ${h}`);
  }
});

// ------------------------------------------------------------------------------------------
// Mode coverage

const ring8 = Array.from({ length: 8 }, (_, i): [number, number] => [2 * Math.cos((2 * Math.PI * i) / 8), 2 * Math.sin((2 * Math.PI * i) / 8)]);

function mixture(modes: [number, number][], perMode: number[], std: number, rng: Rng): Float32Array {
  const pts: number[] = [];
  modes.forEach(([x, y], k) => {
    for (let i = 0; i < perMode[k]; i++) pts.push(x + std * rng.normal(), y + std * rng.normal());
  });
  return Float32Array.from(pts);
}

test('modeCoverage: a perfect mixture covers every mode with high quality', () => {
  const pts = mixture(ring8, new Array<number>(8).fill(500), 0.05, new Rng(2));
  const c = modeCoverage(pts, ring8, 0.05);
  assert.equal(c.modes, 8);
  assert.equal(c.modesCovered, 8);
  // 3σ in 2-D holds 1 - e^{-4.5} = 98.9 % of the mass.
  assert.ok(c.highQuality > 0.98 && c.highQuality < 0.995, `highQuality ${c.highQuality}`);
  for (const s of c.perMode) assert.ok(Math.abs(s - 0.125) < 0.01, `${c.perMode}`);
});

test('modeCoverage: a generator collapsed to one mode covers exactly one', () => {
  const pts = mixture(ring8, [0, 0, 4000, 0, 0, 0, 0, 0], 0.05, new Rng(3));
  const c = modeCoverage(pts, ring8, 0.05);
  assert.equal(c.modesCovered, 1);
  assert.ok(c.perMode[2] > 0.98);
  assert.equal(c.perMode.filter((s) => s > 0).length, 1);
});

test('modeCoverage: points off every mode are low quality; a mode under 1 % is not covered', () => {
  const between = Float32Array.from(ring8.flatMap(([x, y]) => [x * 0.5, y * 0.5]));
  const off = modeCoverage(between, ring8, 0.05);
  assert.deepEqual([off.modesCovered, off.highQuality], [0, 0]);

  // 995 points on mode 0, 5 on mode 1: mode 1 holds 0.5 %, under the 1 % threshold.
  const pts = Float32Array.from([...new Array<[number, number]>(995).fill(ring8[0]).flat(), ...new Array<[number, number]>(5).fill(ring8[1]).flat()]);
  const c = modeCoverage(pts, ring8, 0.05);
  assert.equal(c.modesCovered, 1);
  assert.ok(Math.abs(c.perMode[1] - 0.005) < 1e-12);
  assert.equal(c.highQuality, 1);
  assert.equal(modeCoverage(pts, ring8, 0.05, 3, 0.004).modesCovered, 2);

  // Exactly on the radius counts, just beyond does not.
  const [mx, my] = ring8[0];
  assert.equal(modeCoverage([mx + 0.15, my], ring8, 0.05).highQuality, 1);
  assert.equal(modeCoverage([mx + 0.151, my], ring8, 0.05).highQuality, 0);
  assert.deepEqual(modeCoverage([], ring8, 0.05), { modesCovered: 0, modes: 8, highQuality: 0, perMode: new Array(8).fill(0) });
});

// ------------------------------------------------------------------------------------------
// Sample pictures

test('boundsOf: a square window around the points with a 25 % margin', () => {
  assert.deepEqual(boundsOf(Float32Array.from([1, -2, 0.5, 0.3])), { xMin: -2.5, xMax: 2.5, yMin: -2.5, yMax: 2.5 });
  assert.deepEqual(boundsOf(Float32Array.from([0.1, 0.2])), { xMin: -0.3, xMax: 0.3, yMin: -0.3, yMax: 0.3 });
  assert.deepEqual(boundsOf(Float32Array.from([0, 0])), { xMin: -1, xMax: 1, yMin: -1, yMax: 1 });
  const pts = mixture(ring8, new Array<number>(8).fill(50), 0.05, new Rng(1));
  const b = boundsOf(pts);
  for (let i = 0; i < pts.length; i += 2) assert.ok(pts[i] > b.xMin && pts[i] < b.xMax && pts[i + 1] > b.yMin && pts[i + 1] < b.yMax);
});

test('planeGrid: cell centres, row-major from (xMin, yMin)', () => {
  const g = planeGrid({ xMin: -1, xMax: 1, yMin: 0, yMax: 4 }, 2, 2);
  assert.deepEqual(Array.from(g), [-0.5, 1, 0.5, 1, -0.5, 3, 0.5, 3]);
});

test('imageGridPng: decodes to the grid size with tiles in place and a grey gap', () => {
  // Three 2×3 grayscale images in a 2×2 grid at scale 2.
  const shape: [number, number, number] = [2, 3, 1];
  const pixels = Float32Array.from({ length: 3 * 6 }, (_, i) => i * 10);
  const png = PNG.sync.read(imageGridPng(pixels, 3, shape, 2, 2, 2));
  const gap = 2;
  assert.equal(png.width, 2 * 3 * 2 + 3 * gap);
  assert.equal(png.height, 2 * 2 * 2 + 3 * gap);
  const at = (x: number, y: number) => Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4));
  // Image 0, pixel (row 0, col 0) → tile origin; image 0 (row 1, col 2) = 50 at scaled (5, 3).
  assert.deepEqual(at(gap, gap), [0, 0, 0, 255]);
  assert.deepEqual(at(gap + 5, gap + 3), [50, 50, 50, 255]);
  // Image 1 starts after one tile and a gap; its first pixel is 60.
  assert.deepEqual(at(gap + 6 + gap, gap), [60, 60, 60, 255]);
  // Image 2 is on the second row; its last pixel is 170.
  assert.deepEqual(at(gap + 5, gap + 4 + gap + 3), [170, 170, 170, 255]);
  // Gaps and the unused fourth tile are grey.
  assert.deepEqual(at(0, 0), [96, 96, 96, 255]);
  assert.deepEqual(at(gap + 6 + gap + 2, gap + 4 + gap + 2), [96, 96, 96, 255]);

  const rgb = PNG.sync.read(imageGridPng(Float32Array.from([255, 0, 10, 0, 255, 20]), 2, [1, 1, 3], 1, 2));
  assert.deepEqual([rgb.width, rgb.height], [2 + 3 * gap, 1 + 2 * gap]);
  assert.deepEqual(Array.from(rgb.data.subarray((gap * rgb.width + gap) * 4, (gap * rgb.width + gap) * 4 + 4)), [255, 0, 10, 255]);
  assert.deepEqual(Array.from(rgb.data.subarray((gap * rgb.width + gap + 1 + gap) * 4, (gap * rgb.width + gap + 1 + gap) * 4 + 4)), [0, 255, 20, 255]);
});

// ------------------------------------------------------------------------------------------
// Run files

test('readJsonl skips a torn last line and records the filter rejects', () => {
  const dir = tmp('jsonl');
  try {
    const file = join(dir, 'metrics.jsonl');
    const good = (step: number) =>
      JSON.stringify({ step, time: 1, wallMs: 10, dLoss: 0.5, gLoss: 0.7, dLossReal: 0.2, dLossFake: 0.3, dReal: 0.6, dFake: 0.4, dAccuracy: 0.5, gGradNorm: 1, dGradNorm: 1, stepMs: 5, examplesPerSec: 100 });
    writeFileSync(file, `${good(1)}\n${good(2)}\n\n{"step": 3, "nope": true}\n${good(4)}\n{"step": 5, "dLo`);
    const records = readJsonl(file, metricRecord);
    assert.deepEqual(records.map((r) => r.step), [1, 2, 4]);
    assert.deepEqual(readJsonl(join(dir, 'missing.jsonl'), metricRecord), []);
    // A torn line in the middle (a kill then a resume that appended) is skipped too.
    writeFileSync(file, `${good(1)}\n{"step": 2, "dL${good(3)}\n${good(4)}\n`);
    assert.deepEqual(readJsonl(file, metricRecord).map((r) => r.step), [1, 4]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic replaces the content and leaves no temp file', () => {
  const dir = tmp('atomic');
  try {
    const file = join(dir, 'run.json');
    writeFileAtomic(file, 'first');
    assert.equal(readFileSync(file, 'utf8'), 'first');
    writeFileAtomic(file, Uint8Array.from([104, 105]));
    assert.equal(readFileSync(file, 'utf8'), 'hi');
    writeJsonAtomic(file, { a: [1, 2] });
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { a: [1, 2] });
    assert.deepEqual(readdirSync(dir), ['run.json']);
    assert.throws(() => writeFileAtomic(join(dir, 'no-such-dir', 'x.json'), 'x'));
    assert.deepEqual(readdirSync(dir), ['run.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('listRuns lists readable runs newest first and skips the rest', () => {
  const dir = tmp('runs');
  try {
    const run = (id: string, createdAt: string) => ({
      formatVersion: 1, id, name: 'ring', status: 'completed', configPath: '/w/gan.json', backend: 'wasm', seed: 1, dataKind: 'points2d', dataDim: 2,
      step: 10, totalSteps: 10, checkpointStep: 10, createdAt, updatedAt: createdAt, trainingMs: 100,
    });
    const put = (name: string, content: string) => {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'run.json'), content);
    };
    put('old', JSON.stringify(run('old', '2025-01-01T00:00:00.000Z')));
    put('new', JSON.stringify(run('new', '2026-01-01T00:00:00.000Z')));
    put('torn', '{"id": "torn", "na');
    put('wrong', JSON.stringify({ id: 'wrong', status: 'exploded' }));
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'stray.txt'), 'x');
    assert.deepEqual(listRuns(dir).map((r) => r.info.id), ['new', 'old']);
    assert.equal(listRuns(dir)[0].dir, join(dir, 'new'));
    assert.deepEqual(listRuns(join(dir, 'nowhere')), []);
    assert.ok(!existsSync(join(dir, 'nowhere')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------------------------------
// Messages across boundaries

test('parseWebviewMessage accepts exactly the known shapes', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
  for (const type of ['stop', 'resume', 'selectRun', 'openDashboard']) {
    assert.deepEqual(parseWebviewMessage({ type, runId: 'ring-20250101-120000', extra: 1 }), { type, runId: 'ring-20250101-120000' });
  }
  assert.deepEqual(parseWebviewMessage({ type: 'generate', requestId: 3, runId: 'r1', z: [0.5, -1], count: 1, junk: true }), {
    type: 'generate',
    requestId: 3,
    runId: 'r1',
    z: [0.5, -1],
    count: 1,
  });
  assert.deepEqual(parseWebviewMessage({ type: 'log', level: 'warn', message: 'x'.repeat(5000) }), { type: 'log', level: 'warn', message: 'x'.repeat(2000) });
});

test('parseWebviewMessage rejects malformed messages', () => {
  const bad: unknown[] = [
    null,
    undefined,
    'ready',
    42,
    ['ready'],
    {},
    { type: 'READY' },
    { type: 'deleteEverything' },
    { type: 'stop' },
    { type: 'stop', runId: 42 },
    { type: 'stop', runId: '' },
    { type: 'stop', runId: '../etc' },
    { type: 'resume', runId: 'a/b' },
    { type: 'selectRun', runId: 'x'.repeat(201) },
    { type: 'openDashboard', runId: 'a b' },
    { type: 'generate', requestId: 1.5, runId: 'r', z: [], count: 1 },
    { type: 'generate', requestId: '1', runId: 'r', z: [], count: 1 },
    { type: 'generate', requestId: 1, runId: 'r', z: [], count: 0 },
    { type: 'generate', requestId: 1, runId: 'r', z: [], count: 1025 },
    { type: 'generate', requestId: 1, runId: 'r', z: [], count: 2.5 },
    { type: 'generate', requestId: 1, runId: 'r', z: [NaN], count: 1 },
    { type: 'generate', requestId: 1, runId: 'r', z: [Infinity], count: 1 },
    { type: 'generate', requestId: 1, runId: 'r', z: ['1'], count: 1 },
    { type: 'generate', requestId: 1, runId: 'r', z: 'zz', count: 1 },
    { type: 'generate', requestId: 1, runId: 'r/..', z: [], count: 1 },
    { type: 'log', level: 'debug', message: 'x' },
    { type: 'log', level: 'info', message: 5 },
  ];
  for (const m of bad) assert.equal(parseWebviewMessage(m), undefined, JSON.stringify(m) ?? String(m));
});

test('trainer protocol guards', () => {
  assert.ok(isHostToTrainer({ type: 'stop' }));
  assert.ok(isHostToTrainer({ type: 'generate', requestId: 1, z: [0, 1], count: 1 }));
  for (const m of [null, {}, { type: 'start' }, { type: 'generate', requestId: 1, z: ['a'], count: 1 }, { type: 'generate', z: [], count: 1 }]) {
    assert.equal(isHostToTrainer(m), false, JSON.stringify(m));
  }
  assert.ok(isTrainerMessage({ type: 'progress', step: 1, totalSteps: 10, dLoss: 1.2, gLoss: 0.8, stepsPerSec: 30 }));
  assert.ok(isTrainerMessage({ type: 'finished', status: 'completed', step: 3 }));
  for (const m of [null, 'progress', { type: 'stop' }, { type: 7 }]) assert.equal(isTrainerMessage(m), false, JSON.stringify(m));
});
