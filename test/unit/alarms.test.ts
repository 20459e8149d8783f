/**
 * Alarms on constructed metric sequences: each fires on its failure pattern, at the steps where it
 * holds, and stays silent on a healthy game. Then the host's monitor: live records judged with a
 * throttle, each kind announced once per run (also across restarts), settings off means silence,
 * and finished runs judged from their files.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { alarmOptionsOf, DEFAULT_ALARM_THRESHOLDS, detectAlarms, discriminatorMapOf, type AlarmThresholds } from '../../src/analysis/alarms';
import type { MetricRecord, QualityRecord } from '../../src/protocol/runFormat';
import type { GanJson } from '../../src/config/ganConfig';
import { resolveConfig } from '../../src/config/validateConfig';
import { AlarmMonitor, judgeFromDisk, thresholdsFrom, type AlarmChange, type RaisedAlarm } from '../../src/host/alarms/alarmMonitor';

/** A seeded wobble, so sequences look like training noise but tests are exact. */
function noise(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  };
}

interface Shape {
  dReal: (i: number) => number;
  dFake: (i: number) => number;
  gGrad?: (i: number) => number;
  dLoss?: (i: number) => number;
  gLoss?: (i: number) => number;
}

/** n records logged every 10 steps. */
function metrics(n: number, shape: Shape, seed = 7): MetricRecord[] {
  const r = noise(seed);
  return Array.from({ length: n }, (_, i) => ({
    step: (i + 1) * 10,
    time: i,
    wallMs: i * 100,
    dLoss: shape.dLoss?.(i) ?? 1.3 + 0.1 * r(),
    gLoss: shape.gLoss?.(i) ?? 0.8 + 0.1 * r(),
    dLossReal: 0.6,
    dLossFake: 0.7,
    dReal: shape.dReal(i) + 0.02 * r(),
    dFake: shape.dFake(i) + 0.02 * r(),
    dAccuracy: 0.6,
    gGradNorm: shape.gGrad?.(i) ?? 1 + 0.2 * r(),
    dGradNorm: 1,
    stepMs: 5,
    examplesPerSec: 1000,
  }));
}

/** Quality every 100 steps of a ring run (8 modes). */
function quality(n: number, at: (i: number) => Partial<QualityRecord>): QualityRecord[] {
  return Array.from({ length: n }, (_, i) => ({ step: i * 100, swd: 0.1, swdFloor: 0.05, diversity: 2.4, realDiversity: 2.5, modesCovered: 8, modes: 8, highQuality: 0.9, ...at(i) }));
}

const healthy: Shape = { dReal: () => 0.62, dFake: () => 0.38 };
const ns = { probability: true, loss: 'non-saturating' } as const;
/** The judge's options for a run of the ring example with this loss block, as a run's config.json holds it. */
const withLoss = (loss: GanJson['loss']) => alarmOptionsOf(resolveConfig({ data: { type: 'ring' }, loss }));
const kinds = (a: { kind: string }[]) => a.map((x) => x.kind).sort();

describe('alarms on constructed runs', () => {
  it('a healthy game raises nothing', () => {
    assert.deepEqual(detectAlarms(metrics(300, healthy), quality(30, () => ({})), ns), []);
  });

  it('the discriminator wins: D(x) → 1, D(G(z)) → 0 and G’s gradient vanishing, from where it holds', () => {
    const m = metrics(300, { dReal: (i) => (i < 150 ? 0.62 : 0.995), dFake: (i) => (i < 150 ? 0.38 : 0.004), gGrad: (i) => (i < 150 ? 1 : 0.01) });
    const alarms = detectAlarms(m, quality(30, () => ({})), { probability: true, loss: 'minimax' } as const);
    assert.deepEqual(kinds(alarms), ['discriminator-wins']);
    const [first, last] = alarms[0].ranges[0];
    // The windowed mean crosses the thresholds within one window after the change at step 1510.
    assert.ok(first > 1510 && first <= 1510 + 10 * DEFAULT_ALARM_THRESHOLDS.window, `fires from step ${first}`);
    assert.equal(last, 3000);
    assert.match(alarms[0].message, /non-saturating/);
    assert.match(alarms[0].message, /original GAN paper/);
    // With the non-saturating loss already, the advice is different.
    const other = detectAlarms(m, [], ns);
    assert.doesNotMatch(other[0].message, /original GAN paper/);
    assert.match(other[0].message, /lower discriminator learning rate/);
  });

  it("reads G's per-layer gradients: a healthy output layer does not hide the layers that get nothing", () => {
    // D has won from record 150 on. The total gradient norm stays large because the output layer
    // still gets its gradient, but G's first three layers (of four) get almost none.
    const layers = (i: number) => (i < 150 ? [0.5, 0.6, 0.7, 3] : [0.01, 0.02, 0.03, 3]);
    const m = metrics(300, { dReal: (i) => (i < 150 ? 0.62 : 0.995), dFake: (i) => (i < 150 ? 0.38 : 0.004) }).map((r, i) => ({
      ...r,
      gLayerGradNorms: layers(i),
      gGradNorm: Math.hypot(...layers(i)),
    }));
    const alarms = detectAlarms(m, [], ns);
    assert.deepEqual(kinds(alarms), ['discriminator-wins']);
    assert.match(alarms[0].message, /in 3 of its 4 layers \(1, 2, 3, counted from the latent input\)/);
    // The same run judged by the total alone: the total fell only to 0.91 of its start, so no alarm.
    const totalOnly = m.map(({ gLayerGradNorms: _l, ...r }) => r);
    assert.deepEqual(detectAlarms(totalOnly, [], ns), []);
  });

  it('a confident D alone is not "D wins" while G still gets a gradient', () => {
    const m = metrics(300, { dReal: () => 0.99, dFake: () => 0.01 });
    assert.deepEqual(detectAlarms(m, [], ns), []);
  });

  it('a critic (Wasserstein) is never judged by D ≈ 1 or 0.5', () => {
    const m = metrics(300, { dReal: () => 0.5, dFake: () => 0.5, gGrad: (i) => (i < 100 ? 1 : 0.001) });
    assert.deepEqual(detectAlarms(m, [], withLoss({ type: 'wasserstein-gp' })), []);
  });

  it('divergence: a loss that climbs many-fold after the warm-up fires from where its windowed median passes the growth', () => {
    // D's loss sits at 1.3 until record 200, then climbs by 0.5 per record. The median of the
    // 20-record window passes 5 × 1.3 = 6.5 once 11 of its records have climbed: at record 220.
    const m = metrics(300, { ...healthy, dLoss: (i) => (i < 200 ? 1.3 : 1.3 + 0.5 * (i - 200)) });
    const a = detectAlarms(m, [], ns);
    assert.deepEqual(kinds(a), ['divergence']);
    assert.deepEqual(a[0].ranges, [[2210, 3000]]);
    assert.match(a[0].message, /^The game is diverging: over the 20 logged steps up to step 3000, D's loss reached a median size of 46\.3, 35\.6× its calmest since the warm-up \(1\.3\)\./);
    assert.match(a[0].message, /wasserstein-gp/, 'a probability loss is advised the gradient penalty');
    // A critic without its penalty is told to put it back; with it, to train the critic more.
    const noPenalty = detectAlarms(m, [], withLoss({ type: 'wasserstein-gp', gradientPenalty: 0 }));
    assert.match(noPenalty[0].message, /"gradientPenalty": 10/);
    assert.match(detectAlarms(m, [], withLoss({ type: 'wasserstein-gp', gradientPenalty: 10 }))[0].message, /dStepsPerGStep/);
  });

  it('divergence: an oscillation whose swing grows many-fold fires though its level hardly moves', () => {
    // G's loss alternates around 0.8, its swing growing 4 % per record from record 150 on.
    const amplitude = (i: number) => 0.05 * 1.04 ** Math.max(0, i - 150);
    const m = metrics(300, { ...healthy, gLoss: (i) => 0.8 + (i % 2 ? 1 : -1) * amplitude(i) });
    const a = detectAlarms(m, [], ns);
    assert.deepEqual(kinds(a), ['divergence']);
    assert.equal(a[0].ranges.length, 1);
    const [first, last] = a[0].ranges[0];
    // A swing of 2 × amplitude passes 5 × the floor of 1 at amplitude 2.5, 100 records in.
    assert.ok(first > 2500 && first <= 2500 + 10 * DEFAULT_ALARM_THRESHOLDS.window, `fires from step ${first}`);
    assert.equal(last, 3000);
    assert.match(a[0].message, /^The game oscillates ever wider: .* G's loss swung by a median \d+(\.\d+)? from one logged step to the next/);
  });

  it('divergence: a critic’s G loss may drift, a probability loss may not; the warm-up and one odd batch are no alarm', () => {
    // From record 100 G's loss climbs 0.3 per record, to about 60.
    const drift = metrics(300, { ...healthy, gLoss: (i) => (i < 100 ? 0.8 : 0.8 + 0.3 * (i - 100)) });
    assert.deepEqual(kinds(detectAlarms(drift, [], ns)), ['divergence']);
    assert.deepEqual(detectAlarms(drift, [], withLoss({ type: 'wasserstein-gp' })), []);
    assert.deepEqual(detectAlarms(drift, [], withLoss({ type: 'hinge' })), []);
    // Growth within the first three windows is the game starting, judged from its later level.
    const start = metrics(300, { ...healthy, dLoss: (i) => (i < 50 ? 0.01 * 1.15 ** i : 11) });
    assert.deepEqual(detectAlarms(start, [], ns), []);
    const spike = metrics(300, { ...healthy, dLoss: (i) => (i === 200 ? 400 : 1.3) });
    assert.deepEqual(detectAlarms(spike, [], ns), []);
  });

  it('divergence: a NaN or infinite loss fires at its step', () => {
    const nan = metrics(300, { ...healthy, gLoss: (i) => (i === 250 ? NaN : 0.8) });
    const a = detectAlarms(nan, [], ns);
    assert.deepEqual(a.find((x) => x.kind === 'divergence')?.ranges, [[2510, 2510]]);
    assert.match(a[0].message, /^G's loss was NaN at step 2510\./);
    // Even before a window is full.
    assert.deepEqual(detectAlarms(metrics(5, { ...healthy, dLoss: (i) => (i === 3 ? Infinity : 1.3) }), [], ns)[0]?.ranges, [[40, 40]]);
  });

  it('equilibrium: D says 0.5 to both and the samples are close to the data, as calm information', () => {
    const a = detectAlarms(metrics(300, { dReal: () => 0.5, dFake: () => 0.5 }), quality(30, () => ({ highQuality: 0.95, swd: 0.06 })), ns);
    assert.deepEqual(kinds(a), ['equilibrium']);
    assert.equal(a[0].severity, 'info');
    // An untrained D says 0.5 too: the first three windows are not judged.
    assert.equal(a[0].ranges[0][0], 3 * DEFAULT_ALARM_THRESHOLDS.window * 10);
    const early = metrics(300, { dReal: (i) => (i < 50 ? 0.5 : 0.62), dFake: (i) => (i < 50 ? 0.5 : 0.38) });
    assert.deepEqual(detectAlarms(early, quality(30, () => ({ highQuality: 0.95, swd: 0.06 })), ns), []);
    // Every logged step reads the latest measurement at or before it, and the alarm lists them.
    const ev = a[0].evidence!;
    assert.deepEqual(ev.map((e) => e.step), Array.from({ length: 24 }, (_, i) => 600 + 100 * i));
    assert.deepEqual(ev[0].checks.map((c) => [c.measure, c.pass]), [['high-quality', true], ['modes', true], ['swd', true]]);
    assert.equal(ev[0].decidedBy, 'high-quality');
    assert.match(a[0].message, /95 % of the samples lie within 3σ of a mode .*8\/8 modes covered.*SWD 0\.06, 1\.2× its real-vs-real floor/);
  });

  it('D ≈ 0.5 with the samples off the data is no equilibrium but a weak D, decided by the measure that sees it', () => {
    const half = metrics(300, { dReal: () => 0.5, dFake: () => 0.5 });
    // The ring example at step 600: every mode covered and an SWD below its floor, but only 65 %
    // of the samples on a mode (a trail between modes). SWD alone would have said equilibrium.
    const trail = detectAlarms(half, quality(30, () => ({ highQuality: 0.654, swd: 0.142, swdFloor: 0.206 })), ns);
    assert.deepEqual(kinds(trail), ['weak-discriminator']);
    const weak = trail[0];
    assert.equal(weak.title, 'D cannot tell, but G is not there yet');
    assert.deepEqual(weak.ranges, [[600, 3000]]);
    const at600 = weak.evidence!.find((e) => e.step === 600)!;
    assert.equal(at600.decidedBy, 'high-quality');
    assert.deepEqual(at600.checks.filter((c) => c.pass).map((c) => c.measure), ['modes', 'swd']);
    assert.match(weak.message, /65\.4 % of the samples lie within 3σ of a mode \(equilibrium needs ≥ 90 %\)/);
    assert.match(weak.message, /dStepsPerGStep/);
    // HQ alone misleads: a grid generator near the centre has 98 % on a mode, but one mode of 25.
    const centre = detectAlarms(half, quality(30, () => ({ highQuality: 0.98, modesCovered: 1, modes: 25, swd: 0.06 })), ns);
    assert.deepEqual(kinds(centre), ['mode-collapse', 'weak-discriminator']);
    const unsure = centre.find((x) => x.kind === 'weak-discriminator')!;
    assert.equal(unsure.evidence![0].decidedBy, 'modes');
    assert.match(unsure.message, /1\/25 modes covered/);
    // Where the samples improve, the verdict changes at the measurement that shows it.
    const learns = detectAlarms(half, quality(30, (i) => ({ highQuality: i < 15 ? 0.6 : 0.95, swd: 0.06 })), ns);
    assert.deepEqual(kinds(learns), ['equilibrium', 'weak-discriminator']);
    assert.deepEqual(learns.find((x) => x.kind === 'weak-discriminator')!.ranges, [[600, 1490]]);
    assert.deepEqual(learns.find((x) => x.kind === 'equilibrium')!.ranges, [[1500, 3000]]);
    // No measurement yet: no verdict either way.
    assert.deepEqual(detectAlarms(half, [], ns), []);
  });

  it('D’s map at the data and the samples, FCD, the digit classes and SWD each veto equilibrium', () => {
    const half = metrics(300, { dReal: () => 0.5, dFake: () => 0.5 });
    const good = quality(30, () => ({ highQuality: 0.95, swd: 0.06 }));
    const maps = (off: number) => good.map((q) => ({ step: q.step, offShare: off }));
    const byMap = detectAlarms(half, good, ns, DEFAULT_ALARM_THRESHOLDS, maps(0.2));
    assert.deepEqual(kinds(byMap), ['weak-discriminator']);
    assert.equal(byMap[0].evidence![0].decidedBy, 'd-map');
    assert.match(byMap[0].message, /D's map is off 0\.5 by more than 0\.15 at 20 % of the real and generated points/);
    assert.deepEqual(kinds(detectAlarms(half, good, ns, DEFAULT_ALARM_THRESHOLDS, maps(0.02))), ['equilibrium']);
    const mnist = (at: Partial<QualityRecord>) =>
      quality(30, () => ({ modes: undefined, modesCovered: undefined, highQuality: undefined, swd: 0.03, swdFloor: 0.027, fcd: 8, fcdFloor: 3.3, classes: Array<number>(10).fill(51), ...at }));
    const fine = detectAlarms(half, mnist({}), ns);
    assert.deepEqual(kinds(fine), ['equilibrium']);
    assert.deepEqual(fine[0].evidence![0].checks.map((c) => c.measure), ['fcd', 'classes', 'swd']);
    const far = detectAlarms(half, mnist({ fcd: 36.8 }), ns);
    assert.equal(far[0].kind, 'weak-discriminator');
    assert.equal(far[0].evidence![0].decidedBy, 'fcd');
    assert.match(far[0].message, /FCD 36\.8, 11\.2× its real-vs-real floor of 3\.3 \(equilibrium needs ≤ 3×\)/);
    const lostDigit = detectAlarms(half, mnist({ classes: [...Array<number>(9).fill(56), 8] }), ns);
    assert.equal(lostDigit[0].evidence![0].decidedBy, 'classes');
    const swd = detectAlarms(half, mnist({ swd: 0.2 }), ns);
    assert.equal(swd[0].evidence![0].decidedBy, 'swd');
    // The limits are settings.
    const t = { ...DEFAULT_ALARM_THRESHOLDS, equilibriumHighQuality: 0.6 };
    assert.deepEqual(kinds(detectAlarms(half, quality(30, () => ({ highQuality: 0.654, swd: 0.142, swdFloor: 0.206 })), ns, t)), ['equilibrium']);
  });

  it('D’s map is read at the real and generated points, row-major from (xMin, yMin)', () => {
    // D says 0.5 on the left half of the plane and 0.9 on the right half.
    const nx = 4;
    const values = Array.from({ length: nx * nx }, (_, k) => (k % nx < 2 ? 0.5 : 0.9));
    const points = (xs: number[]) => xs.flatMap((x) => [x, 0.3]);
    const map = (real: number[], fake: number[]) =>
      discriminatorMapOf({ step: 100, real: points(real), fake: points(fake), heatmap: { nx, ny: nx, values }, bounds: { xMin: -2, xMax: 2, yMin: -2, yMax: 2 } });
    assert.deepEqual(map([-1.5, -0.5], [-1, -3]), { step: 100, offShare: 0 }, 'beyond the bounds counts in the edge cell');
    assert.deepEqual(map([-1.5, -0.5], [1, 0.2]), { step: 100, offShare: 0.5 });
    // D off 0.5 at the same spot in y: the rows hold y.
    const rows = Array.from({ length: nx * nx }, (_, k) => (Math.floor(k / nx) < 2 ? 0.5 : 0.1));
    assert.equal(discriminatorMapOf({ step: 1, real: [0, -1, 0, 1], fake: [], heatmap: { nx, ny: nx, values: rows }, bounds: { xMin: -2, xMax: 2, yMin: -2, yMax: 2 } })?.offShare, 0.5);
    assert.equal(discriminatorMapOf({ step: 1, real: [0, 0], fake: [], heatmap: { nx: 0, ny: 0, values: [] }, bounds: { xMin: -2, xMax: 2, yMin: -2, yMax: 2 } }), null);
  });

  it('the verdicts stay linear in the history', () => {
    // 50 000 logged steps and 5 000 measurements: judged with D ≈ 0.5 throughout (every step reads
    // its measurement) in about the time the other rules take on a healthy game. A judge that
    // compared each step with every measurement would do 2.5 · 10⁸ comparisons.
    const q = quality(5_000, (i) => ({ highQuality: i % 2 ? 0.95 : 0.5, swd: 0.06 }));
    const time = (m: MetricRecord[]) => {
      const t0 = performance.now();
      const a = detectAlarms(m, q, ns);
      return { a, ms: performance.now() - t0 };
    };
    const base = time(metrics(50_000, healthy));
    const judged = time(metrics(50_000, { dReal: () => 0.5, dFake: () => 0.5 }));
    console.log(`50 000 steps, 5 000 measurements: ${base.ms.toFixed(0)} ms for a healthy game, ${judged.ms.toFixed(0)} ms with every step judged for equilibrium`);
    assert.deepEqual(kinds(base.a), []);
    assert.deepEqual(kinds(judged.a), ['equilibrium', 'weak-discriminator']);
    assert.ok(judged.a.every((x) => x.evidence!.length <= 200), 'the evidence kept is bounded');
    assert.ok(judged.ms < 2 * base.ms + 300, `${judged.ms.toFixed(0)} ms against ${base.ms.toFixed(0)} ms`);
  });

  it('mode collapse: diversity falls, modes or classes vanish; one bad batch and the untrained start are no alarm', () => {
    const m = metrics(300, healthy);
    const lowDiv = detectAlarms(m, quality(30, (i) => (i >= 10 ? { diversity: 0.2 } : {})), ns);
    assert.deepEqual(kinds(lowDiv), ['mode-collapse']);
    assert.deepEqual(lowDiv[0].ranges, [[1000, 2900]]);
    const lostModes = detectAlarms(m, quality(30, (i) => (i >= 20 ? { modesCovered: 2 } : {})), ns);
    assert.deepEqual(lostModes[0]?.ranges, [[2000, 2900]]);
    assert.match(lostModes[0].message, /2\/8 modes covered/);
    // Few modes covered while most points lie between modes is a generator still learning.
    assert.deepEqual(detectAlarms(m, quality(30, (i) => (i >= 20 ? { modesCovered: 2, highQuality: 0.3 } : {})), ns), []);
    const classes = (k: number) => Array.from({ length: 10 }, (_, c) => (c < k ? 50 : 0));
    const lostClasses = detectAlarms(m, quality(30, (i) => ({ modes: undefined, modesCovered: undefined, classes: i >= 5 ? classes(3) : classes(10) })), ns);
    assert.deepEqual(lostClasses[0]?.ranges, [[500, 2900]]);
    assert.match(lostClasses[0].message, /3\/10 digit classes/);
    // One collapsed measurement between healthy ones, and a collapsed untrained generator.
    assert.deepEqual(detectAlarms(m, quality(30, (i) => (i === 15 || i < 3 ? { diversity: 0.1, modesCovered: 1 } : {})), ns), []);
  });

  it('thresholds are honoured: a looser collapse ratio silences, a shorter window reacts sooner', () => {
    const q = quality(30, (i) => (i >= 10 ? { diversity: 0.8 } : {}));
    assert.equal(detectAlarms(metrics(300, healthy), q, ns).length, 1);
    assert.equal(detectAlarms(metrics(300, healthy), q, ns, { ...DEFAULT_ALARM_THRESHOLDS, collapseDiversityRatio: 0.3 }).length, 0);
    const m = metrics(300, { dReal: (i) => (i < 150 ? 0.62 : 0.995), dFake: (i) => (i < 150 ? 0.38 : 0.004), gGrad: (i) => (i < 150 ? 1 : 0.01) });
    const start = (t: AlarmThresholds) => detectAlarms(m, [], ns, t)[0].ranges[0][0];
    assert.ok(start({ ...DEFAULT_ALARM_THRESHOLDS, window: 5 }) < start(DEFAULT_ALARM_THRESHOLDS));
    // A loss that climbs to 5.3 (4 × its calm 1.3): silent by default, a warning at growth 3,
    // silent again when sizes under 2 count as 2.
    const climb = metrics(300, { ...healthy, dLoss: (i) => (i < 200 ? 1.3 : 5.3) });
    assert.deepEqual(detectAlarms(climb, [], ns), []);
    assert.deepEqual(kinds(detectAlarms(climb, [], ns, { ...DEFAULT_ALARM_THRESHOLDS, divergenceGrowth: 3 })), ['divergence']);
    assert.deepEqual(detectAlarms(climb, [], ns, { ...DEFAULT_ALARM_THRESHOLDS, divergenceGrowth: 3, divergenceFloor: 2 }), []);
  });

  it('settings become thresholds; missing or invalid values keep the defaults', () => {
    const t = thresholdsFrom((k) => ({ window: 7.4, dWinsConfidence: 0.9, divergenceGrowth: 'x', divergenceFloor: 2, equilibriumTolerance: -1 })[k as string], DEFAULT_ALARM_THRESHOLDS);
    assert.equal(t.window, 7);
    assert.equal(t.dWinsConfidence, 0.9);
    assert.equal(t.divergenceGrowth, DEFAULT_ALARM_THRESHOLDS.divergenceGrowth);
    assert.equal(t.divergenceFloor, 2);
    assert.equal(t.equilibriumTolerance, DEFAULT_ALARM_THRESHOLDS.equilibriumTolerance);
  });
});

describe('AlarmMonitor (the host’s one source of alarms)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gs-alarms-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ loss: { type: 'minimax' } }));
    writeFileSync(join(dir, 'run.json'), '{}');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const store = () => {
    const s = new Set<string>();
    return { has: (k: string) => s.has(k), add: (k: string) => void s.add(k), s };
  };
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** The throttle grows with the cost of a judgement, so tests wait for the outcome, not a time. */
  const until = async (cond: () => boolean) => {
    for (let t = 0; t < 200 && !cond(); t++) await wait(10);
    assert.ok(cond(), 'timed out');
  };
  const failing = metrics(300, { dReal: (i) => (i < 150 ? 0.62 : 0.995), dFake: (i) => (i < 150 ? 0.38 : 0.004), gGrad: (i) => (i < 150 ? 1 : 0.01) });

  it('judges live records with a throttle and announces each kind once per run', async () => {
    const announced = store();
    const mon = new AlarmMonitor(() => DEFAULT_ALARM_THRESHOLDS, announced, 30);
    const changes: AlarmChange[] = [];
    const raised: RaisedAlarm[] = [];
    mon.onDidChange((c) => changes.push(c));
    mon.onDidRaise((r) => raised.push(r));
    mon.started(dir, 'run-1');
    assert.equal(changes.length, 0, 'an empty history has nothing to say');
    for (let i = 0; i < failing.length; i += 10) mon.records(dir, { metrics: failing.slice(i, i + 10) });
    assert.equal(changes.length, 0, 'judged after the throttle, not per message');
    await until(() => changes.length > 0);
    await wait(50);
    assert.equal(changes.length, 1, 'thirty messages, one judgement');
    assert.deepEqual(kinds(changes[0].alarms), ['discriminator-wins']);
    assert.equal(mon.alarmsFor(dir), changes[0].alarms, 'views read the same list');
    assert.deepEqual(raised.map((r) => [r.runId, r.alarm.kind]), [['run-1', 'discriminator-wins']]);
    // More of the same extends the range (a change) but is not announced again.
    mon.records(dir, { metrics: metrics(10, { dReal: () => 0.995, dFake: () => 0.004, gGrad: () => 0.01 }).map((r) => ({ ...r, step: r.step + 3000 })) });
    await until(() => changes.length === 2);
    assert.equal(raised.length, 1);
    mon.ended(dir);
    // A resumed session of the same run does not announce it again either.
    for (const r of failing) appendFileSync(join(dir, 'metrics.jsonl'), `${JSON.stringify(r)}\n`);
    const again = new AlarmMonitor(() => DEFAULT_ALARM_THRESHOLDS, announced, 30);
    const raised2: RaisedAlarm[] = [];
    again.onDidRaise((r) => raised2.push(r));
    again.started(dir, 'run-1');
    assert.deepEqual(kinds(again.alarmsFor(dir)), ['discriminator-wins']);
    assert.equal(raised2.length, 0);
    mon.dispose();
    again.dispose();
  });

  it('reads D’s map from each 2-D sample picture as the trainer announces it, and from disk', async () => {
    const mon = new AlarmMonitor(() => DEFAULT_ALARM_THRESHOLDS, store(), 30);
    const changes: AlarmChange[] = [];
    mon.onDidChange((c) => changes.push(c));
    mon.started(dir, 'run-2');
    const q = quality(30, () => ({ highQuality: 0.95, swd: 0.06 }));
    mon.records(dir, { metrics: metrics(300, { dReal: () => 0.5, dFake: () => 0.5 }), quality: q });
    await until(() => changes.length === 1);
    assert.deepEqual(kinds(changes[0].alarms), ['equilibrium']);
    // Every point sits where D's map says 0.9: D still tells them apart there.
    mkdirSync(join(dir, 'samples'));
    const picture = (step: number) => ({ step, fake: [0, 0], real: [0.1, 0.1], heatmap: { nx: 2, ny: 2, values: [0.9, 0.9, 0.9, 0.9] }, bounds: { xMin: -1, xMax: 1, yMin: -1, yMax: 1 } });
    const samples = q.map((r) => ({ step: r.step, file: `samples/step-${r.step}.json`, kind: 'points2d' as const, rows: 1, cols: 1 }));
    for (const r of samples) writeFileSync(join(dir, r.file), JSON.stringify(picture(r.step)));
    mon.records(dir, { samples });
    await until(() => changes.length === 2);
    assert.deepEqual(kinds(changes[1].alarms), ['weak-discriminator']);
    assert.equal(changes[1].alarms[0].evidence![0].decidedBy, 'd-map');
    // The same from the files.
    appendFileSync(join(dir, 'metrics.jsonl'), metrics(300, { dReal: () => 0.5, dFake: () => 0.5 }).map((r) => `${JSON.stringify(r)}\n`).join(''));
    appendFileSync(join(dir, 'quality.jsonl'), q.map((r) => `${JSON.stringify(r)}\n`).join(''));
    appendFileSync(join(dir, 'samples.jsonl'), samples.map((r) => `${JSON.stringify(r)}\n`).join(''));
    assert.equal(judgeFromDisk(dir, DEFAULT_ALARM_THRESHOLDS)[0].evidence![0].decidedBy, 'd-map');
    mon.dispose();
  });

  it('reads finished runs from disk, re-reads them when they change, and is silent when turned off', () => {
    let enabled = true;
    const mon = new AlarmMonitor(() => (enabled ? DEFAULT_ALARM_THRESHOLDS : undefined), store(), 30);
    assert.deepEqual(mon.alarmsFor(dir), []);
    for (const r of failing) appendFileSync(join(dir, 'metrics.jsonl'), `${JSON.stringify(r)}\n`);
    assert.deepEqual(kinds(mon.alarmsFor(dir)), ['discriminator-wins'], 'the grown file is read again');
    assert.deepEqual(kinds(judgeFromDisk(dir, DEFAULT_ALARM_THRESHOLDS)), ['discriminator-wins']);
    let resets = 0;
    mon.onDidReset(() => resets++);
    enabled = false;
    mon.thresholdsChanged();
    assert.equal(resets, 1);
    assert.deepEqual(mon.alarmsFor(dir), []);
    mon.dispose();
  });
});
