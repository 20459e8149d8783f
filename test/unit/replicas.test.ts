/**
 * Data-parallel training over worker threads (src/trainer/replicas.ts): the split step computes
 * what one process computes, frees what it allocates, fails clearly when a worker dies, and a run
 * that uses it repeats and resumes bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { resolveConfig } from '../../src/config/validateConfig';
import type { GanConfig } from '../../src/config/ganConfig';
import type { BackendName, MetricRecord } from '../../src/protocol/runFormat';
import { readRunInfo } from '../../src/runDir/runReader';
import { initBackend } from '../../src/trainer/backend';
import { Gan, shares, type ReplicaPeer } from '../../src/trainer/gan';
import type { DataShape } from '../../src/trainer/models';
import { WorkerReplica, resolveWorkers } from '../../src/trainer/replicas';
import { Rng, installAsMathRandom } from '../../src/trainer/rng';
import { onlyRun, readJsonlFile, runCli, tmp, writeConfig } from '../helpers/cli';

const SHAPE: DataShape = { dim: 64, imageShape: [8, 8, 1] };
const B = 10;

/** A small dcgan on 8×8 images, plain SGD so that equal gradients mean equal weights. */
function smallConfig(over: { batchNorm?: boolean; dropout?: number; loss?: string } = {}): GanConfig {
  return resolveConfig({
    data: { type: 'mnist', split: 'test', limit: 64 },
    generator: { preset: 'dcgan', latentDim: 8, filters: 8, batchNorm: over.batchNorm ?? false },
    discriminator: { preset: 'dcgan', filters: 4, dropout: over.dropout ?? 0 },
    loss: { type: (over.loss ?? 'non-saturating') as GanConfig['loss']['type'] },
    training: { batchSize: B, generatorOptimizer: { type: 'sgd', learningRate: 0.05 }, discriminatorOptimizer: { type: 'sgd', learningRate: 0.05 } },
  });
}

async function withWorkers(config: GanConfig, backend: BackendName, workers: number, from?: Gan): Promise<Gan> {
  const gan = new Gan(config, SHAPE);
  if (from) {
    gan.setFlatWeights('d', from.flatWeights('d'));
    gan.setFlatWeights('g', from.flatWeights('g'));
  }
  if (workers > 1) await gan.startReplicas(workers - 1, (index) => WorkerReplica.start(index, { config, data: SHAPE, backend }));
  return gan;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('shares split a batch into near-equal parts that add up', () => {
  assert.deepEqual(shares(64, 2), [32, 32]);
  assert.deepEqual(shares(7, 3), [3, 2, 2]);
  assert.deepEqual(shares(2, 3), [1, 1, 0]);
  assert.deepEqual(shares(5, 1), [5]);
});

test('"auto" takes two workers for convolutional nets on wasm or cpu, one otherwise', () => {
  const dcgan = smallConfig();
  const auto = (c: GanConfig, over: Partial<GanConfig['training']> = {}) => ({ ...c, training: { ...c.training, workers: 'auto' as const, ...over } });
  assert.equal(resolveWorkers(auto(dcgan, { batchSize: 64 }), 'wasm', 2), 2);
  assert.equal(resolveWorkers(auto(dcgan, { batchSize: 64 }), 'cpu', 8), 2);
  assert.equal(resolveWorkers(auto(dcgan, { batchSize: 64 }), 'wasm', 1), 1, 'one core');
  assert.equal(resolveWorkers(auto(dcgan, { batchSize: 64 }), 'tensorflow', 8), 1, 'the native backend threads itself');
  assert.equal(resolveWorkers(auto(dcgan, { batchSize: 8 }), 'wasm', 2), 1, 'too small a batch to split');
  const mlp = resolveConfig({ data: { type: 'ring' } });
  assert.equal(resolveWorkers(auto(mlp), 'wasm', 2), 1, 'an MLP is dominated by per-op overhead');
  assert.equal(resolveWorkers({ ...mlp, training: { ...mlp.training, workers: 3 } }, 'wasm', 2), 3, 'an explicit number is kept');
  assert.equal(resolveWorkers({ ...dcgan, training: { ...dcgan.training, batchSize: 2, workers: 4 } }, 'wasm', 2), 2, 'never more workers than rows');
});

for (const backend of ['wasm', 'cpu'] as const) {
  test(`${backend}: two replicas take the same steps as one process`, { timeout: 120_000 }, async () => {
    await initBackend(backend);
    installAsMathRandom(new Rng(11));
    const config = smallConfig();
    const one = await withWorkers(config, backend, 1);
    const two = await withWorkers(config, backend, 2, one);
    try {
      const rngs = [new Rng(5), new Rng(5)];
      const gans = [one, two];
      for (let s = 0; s < 4; s++) {
        const [a, b] = await Promise.all(gans.map((g, i) => g.step(() => rngs[i].fillUniform(new Float32Array(B * 64), -1, 1), rngs[i], true)));
        for (const k of Object.keys(a.stats) as (keyof typeof a.stats)[]) {
          const x = a.stats[k]!;
          const y = b.stats[k]!;
          assert.ok(Math.abs(x - y) <= 1e-4 * Math.max(1, Math.abs(x)), `step ${s + 1} ${k}: one process ${x}, two replicas ${y}`);
        }
        assert.equal(b.outputs?.real.length, B);
        assert.ok(maxAbsDiff(a.outputs!.real, b.outputs.real) < 1e-4 && maxAbsDiff(a.outputs!.fake, b.outputs.fake) < 1e-4, 'D outputs differ');
      }
      // The replicas' gradients were averaged into the same updates (up to float rounding).
      assert.ok(maxAbsDiff(one.flatWeights('d'), two.flatWeights('d')) < 1e-5, 'D weights differ');
      assert.ok(maxAbsDiff(one.flatWeights('g'), two.flatWeights('g')) < 1e-5, 'G weights differ');
      // The random stream is the same with or without workers.
      assert.deepEqual(rngs[0].getState(), rngs[1].getState());
    } finally {
      one.dispose();
      two.dispose();
    }
  });
}

test('wasm: split steps with batch norm, dropout and a gradient penalty are finite and leak no tensors', { timeout: 120_000 }, async () => {
  await initBackend('wasm');
  installAsMathRandom(new Rng(3));
  const config = smallConfig({ batchNorm: true, dropout: 0.3, loss: 'wasserstein-gp' });
  const gan = await withWorkers(config, 'wasm', 3);
  try {
    assert.equal(gan.replicas, 3);
    const rng = new Rng(9);
    const step = (hist: boolean) => gan.step(() => rng.fillUniform(new Float32Array(B * 64), -1, 1), rng, hist);
    await step(true);
    const before = tf.memory().numTensors;
    let last;
    for (let i = 0; i < 4; i++) last = await step(i % 2 === 0);
    assert.equal(tf.memory().numTensors, before, 'tensor count grew across split steps');
    assert.ok(last, 'the steps returned results');
    for (const [k, v] of Object.entries(last.stats)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
    assert.ok(last.stats.gradientPenalty !== undefined);
  } finally {
    gan.dispose();
  }
});

test('a worker that dies fails the step with a message that names it, and leaks nothing', { timeout: 120_000 }, async () => {
  await initBackend('wasm');
  installAsMathRandom(new Rng(4));
  const gan = await withWorkers(smallConfig(), 'wasm', 2);
  try {
    const rng = new Rng(1);
    const batch = () => rng.fillUniform(new Float32Array(B * 64), -1, 1);
    await gan.step(batch, rng, false);
    const before = tf.memory().numTensors;
    (gan as unknown as { peers: ReplicaPeer[] }).peers[0].close();
    await assert.rejects(gan.step(batch, rng, false), /training worker 1 failed/);
    assert.equal(tf.memory().numTensors, before);
  } finally {
    gan.dispose();
  }
});

/** A small MNIST DCGAN with batch norm in G and dropout in D: every part of a split step. */
function mnistConfig(workers: number): Record<string, unknown> {
  return {
    name: 'dp',
    seed: 2,
    data: { type: 'mnist', split: 'test', limit: 256 },
    generator: { preset: 'dcgan', latentDim: 16, filters: 16, batchNorm: true, activation: 'leakyRelu' },
    discriminator: { preset: 'dcgan', filters: 8, dropout: 0.2, activation: 'leakyRelu' },
    training: { steps: 12, batchSize: 16, workers },
    logging: { metricsEvery: 1, histogramsEvery: 4, samplesEvery: 6, checkpointEvery: 6, sampleGrid: [2, 2] },
  };
}

test('a run on two workers records them, repeats exactly, and resumes bit for bit', { timeout: 300_000 }, () => {
  const dir = tmp('replicas');
  const config = writeConfig(dir, mnistConfig(2));
  const train = (runs: string, extra: string[] = []) => {
    const r = runCli(['train', config, '--runs-dir', join(dir, runs), '-q', '--backend', 'wasm', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return onlyRun(join(dir, runs));
  };
  const a = train('a');
  const again = train('again');
  const split = train('split', ['--steps', '6']);
  const r = runCli(['train', '--resume', split, '--steps', '12', '-q']);
  assert.equal(r.code, 0, r.stderr);

  const saved = JSON.parse(readFileSync(join(a, 'config.json'), 'utf8')) as GanConfig;
  assert.equal(saved.training.workers, 2);
  assert.deepEqual(readRunInfo(split).resumedAt, [6]);
  const strip = (m: MetricRecord) => ({ ...m, time: 0, wallMs: 0, stepMs: 0, examplesPerSec: 0 });
  const metrics = (run: string) => readJsonlFile<MetricRecord>(join(run, 'metrics.jsonl')).map(strip);
  assert.equal(metrics(a).length, 12);
  assert.deepEqual(metrics(again), metrics(a), 'two runs with the same seed differ');
  assert.deepEqual(metrics(split), metrics(a), 'the resumed run differs from the uninterrupted one');
  for (const net of ['generator', 'discriminator']) {
    const wa = readFileSync(join(a, 'checkpoints/step-000012', net, 'weights.bin'));
    assert.ok(wa.equals(readFileSync(join(again, 'checkpoints/step-000012', net, 'weights.bin'))), `${net} weights differ between repeats`);
    assert.ok(wa.equals(readFileSync(join(split, 'checkpoints/step-000012', net, 'weights.bin'))), `${net} weights differ after resume`);
  }

  // The trainer says how it splits a batch; a run from before training.workers existed (no such
  // key in its config.json) continues on one thread, as it began.
  const more = runCli(['train', '--resume', a, '--steps', '13']);
  assert.equal(more.code, 0, more.stderr);
  assert.match(more.stdout + more.stderr, /data-parallel over 2 threads \(8 \+ 8 rows per batch\)/);
  const old = JSON.parse(readFileSync(join(again, 'config.json'), 'utf8')) as { training: Record<string, unknown> };
  delete old.training.workers;
  writeFileSync(join(again, 'config.json'), JSON.stringify(old, null, 2));
  const legacy = runCli(['train', '--resume', again, '--steps', '13']);
  assert.equal(legacy.code, 0, legacy.stderr);
  assert.match(legacy.stdout + legacy.stderr, /backend wasm; data:/);
  assert.doesNotMatch(legacy.stdout + legacy.stderr, /data-parallel/);
});
