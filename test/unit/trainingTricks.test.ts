/**
 * The training tricks the benchmark recipes use, on real tfjs: the learning-rate schedule (its
 * multiplier, what it does to an update, and a resume that follows it bit for bit) and the R1
 * penalty (its value against finite differences, and that it reaches D's update and the log).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { resolveConfig, validateConfigValue } from '../../src/config/validateConfig';
import { initBackend } from '../../src/trainer/backend';
import { Gan, learningRateScale } from '../../src/trainer/gan';
import { loadDataset } from '../../src/trainer/data/dataset';
import { Rng, installAsMathRandom } from '../../src/trainer/rng';
import { train } from '../../src/trainer/trainer';
import { readMetrics } from '../../src/runDir/runReader';
import { checkpointBytes, onlyRun, rewoundCopy, tinyRingConfig, tmp, writeConfig } from '../helpers/cli';

function ringGan(extra: { training?: Record<string, unknown>; loss?: Record<string, unknown> } = {}) {
  const config = resolveConfig({
    data: { type: 'ring' },
    generator: { latentDim: 2, hidden: [8, 8] },
    discriminator: { hidden: [8, 8] },
    loss: extra.loss ?? {},
    training: { batchSize: 16, steps: 100, ...(extra.training ?? {}) },
  });
  return { gan: new Gan(config, { dim: 2 }), data: loadDataset(config.data, '.'), config };
}

function weightsOf(model: { getWeights(): tf.Tensor[] }): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
}

function maxChange(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((x, i) => x.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

test('the learning-rate schedule: 1 until decayFrom, then down to final at the last update', () => {
  const steps = 1000;
  const linear = { type: 'linear', decayFrom: 0.5, final: 0.1 } as const;
  const cosine = { type: 'cosine', decayFrom: 0.5, final: 0.1 } as const;
  assert.equal(learningRateScale({ type: 'constant', decayFrom: 0.5, final: 0 }, 900, steps), 1);
  for (const s of [linear, cosine]) {
    assert.equal(learningRateScale(s, 0, steps), 1);
    assert.equal(learningRateScale(s, 500, steps), 1, 'no decay before decayFrom');
    assert.ok(Math.abs(learningRateScale(s, steps - 1, steps) - 0.1) < 1e-12, 'the last update runs at final');
    assert.ok(learningRateScale(s, 501, steps) < 1);
  }
  // Half way through the decay both are at the middle; a quarter in, the cosine has fallen less.
  const mid = 500 + (steps - 1 - 500) / 2;
  assert.ok(Math.abs(learningRateScale(linear, mid, steps) - 0.55) < 1e-9);
  assert.ok(Math.abs(learningRateScale(cosine, mid, steps) - 0.55) < 1e-9);
  const quarter = 500 + (steps - 1 - 500) / 4;
  assert.ok(learningRateScale(cosine, quarter, steps) > learningRateScale(linear, quarter, steps));
  // It never rises: each step's rate is at most the one before.
  let last = Infinity;
  for (let d = 0; d < steps; d++) {
    const m = learningRateScale(cosine, d, steps);
    assert.ok(m <= last && m >= 0.1 - 1e-12, `step ${d}: ${m}`);
    last = m;
  }
});

test('a schedule ending at 0 stops the last update; setProgress follows live edits of the rate', async () => {
  await initBackend('wasm');
  const rng = new Rng(3);
  installAsMathRandom(rng);
  const { gan, data } = ringGan({ training: { learningRateSchedule: { type: 'linear', final: 0 } } });
  const batch = () => data.batch(16, rng);
  // At the start the multiplier is 1 and an update moves D.
  gan.setProgress(0);
  let before = weightsOf(gan.discriminator);
  await gan.dUpdate(batch, rng, false, false);
  assert.ok(maxChange(before, weightsOf(gan.discriminator)) > 1e-6, 'a D step at full rate moved D');
  // Once the schedule reaches 0 the same update leaves every weight exactly as it was.
  gan.setProgress(gan.config.training.steps);
  assert.equal(gan.learningRateScale, 0);
  before = weightsOf(gan.discriminator);
  await gan.dUpdate(batch, rng, false, false);
  assert.equal(maxChange(before, weightsOf(gan.discriminator)), 0, 'a D step at rate 0 moved D');
  // A live edit of the rate keeps the multiplier: still no movement.
  const edited = structuredClone(gan.config);
  edited.training.discriminatorOptimizer.learningRate = 0.05;
  gan.setConfig(edited);
  await gan.dUpdate(batch, rng, false, false);
  assert.equal(maxChange(before, weightsOf(gan.discriminator)), 0, 'an edit undid the schedule');
  gan.dispose();
});

test('the schedule is checked: a stray decayFrom with "constant" is a warning, final > 1 an error', () => {
  const warn = validateConfigValue({ data: { type: 'ring' }, training: { learningRateSchedule: { decayFrom: 0.5 } } });
  assert.ok(warn.problems.some((p) => p.path === '/training/learningRateSchedule/decayFrom' && p.severity === 'warning' && /no effect with the "constant" schedule/.test(p.message)));
  const bad = validateConfigValue({ data: { type: 'ring' }, training: { learningRateSchedule: { type: 'linear', final: 2 } } });
  assert.ok(bad.problems.some((p) => p.path === '/training/learningRateSchedule/final' && p.severity === 'error'), JSON.stringify(bad.problems));
  const ok = validateConfigValue({ data: { type: 'ring' }, loss: { r1: 0.5 }, training: { learningRateSchedule: { type: 'cosine', decayFrom: 0.25, final: 0.05 } } });
  assert.deepEqual(ok.problems, []);
});

test('R1 is γ/2·E‖∇ₓD(x)‖² on the real batch: it matches finite differences and changes D’s update', async () => {
  await initBackend('cpu');
  installAsMathRandom(new Rng(11));
  const gamma = 4;
  const { gan } = ringGan({ loss: { r1: gamma } });
  const real = Float32Array.from([0.3, -0.2, -0.7, 0.5, 1.1, 0.05, 0.0, -1.0]);
  const n = 4;
  // D's raw output at one point, and its gradient by central differences.
  const dAt = (p: number[]) => tf.tidy(() => (gan.discriminator.apply(tf.tensor2d([p]), { training: true }) as tf.Tensor).dataSync()[0]);
  const h = 1e-3;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = [real[2 * i], real[2 * i + 1]];
    for (let k = 0; k < 2; k++) {
      const up = [...p];
      const down = [...p];
      up[k] += h;
      down[k] -= h;
      sum += ((dAt(up) - dAt(down)) / (2 * h)) ** 2;
    }
  }
  const expected = (gamma / 2) * (sum / n);
  const z = new Float32Array(n * 2).map((_, i) => Math.sin(i));
  const part = gan.discriminatorPart(real, z, n, false);
  const sums = part.sums.dataSync();
  const penalty = sums[3] / n;
  assert.ok(expected > 0, 'D has a slope at the real points');
  assert.ok(Math.abs(penalty - expected) < 1e-3 + 1e-2 * expected, `R1 ${penalty}, finite differences ${expected}`);
  // The penalty is part of what D minimises: without it the gradients differ.
  const { gan: plain } = ringGan();
  plain.discriminator.setWeights(gan.discriminator.getWeights());
  plain.generator.setWeights(gan.generator.getWeights());
  const other = plain.discriminatorPart(real, z, n, false);
  assert.ok(Number.isNaN(other.sums.dataSync()[3]), 'no penalty without r1');
  const diff = Math.max(...part.grads.map((g, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(g, other.grads[i]))).dataSync()[0])));
  assert.ok(diff > 1e-6, 'R1 did not change D’s gradients');
  tf.dispose([...part.grads, part.sums, ...other.grads, other.sums]);
  gan.dispose();
  plain.dispose();
});

test('a run with a schedule and R1 logs the penalty and resumes bit for bit', { timeout: 300_000 }, async () => {
  const runs = tmp('tricks');
  const base = tinyRingConfig() as { training: Record<string, unknown>; logging?: Record<string, unknown> };
  const config = {
    ...base,
    loss: { r1: 1 },
    training: { ...base.training, steps: 40, learningRateSchedule: { type: 'cosine', decayFrom: 0.25, final: 0.1 } },
    logging: { ...(base.logging ?? {}), checkpointEvery: 20, keepCheckpoints: 5, metricsEvery: 5 },
  };
  const path = writeConfig(runs, config);
  const a = await train({ configPath: path, runsDir: join(runs, 'a'), emit: () => {}, shouldStop: () => false, backend: 'wasm' });
  assert.equal(a.status, 'completed', a.error);
  const dir = onlyRun(join(runs, 'a'));
  const m = readMetrics(dir);
  assert.ok(m.length > 0 && m.every((r) => (r.gradientPenalty ?? NaN) > 0), 'every record has the R1 term');
  // Rewind a copy to its step-20 checkpoint: training on from there ends with the same bytes.
  const b = rewoundCopy(dir, join(runs, 'rewound'), 20, 40);
  const resumed = await train({ resumeDir: b, runsDir: runs, emit: () => {}, shouldStop: () => false, backend: 'wasm' });
  assert.equal(resumed.status, 'completed', resumed.error);
  const want = checkpointBytes(dir, 40);
  checkpointBytes(b, 40).forEach((f, i) => assert.ok(f.equals(want[i]), `checkpoint file ${i} differs after the resume`));
});
