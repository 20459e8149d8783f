/** The GAN's one-step trainer in-process: every loss trains, and no step leaks a tensor. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { resolveConfig } from '../../src/config/validateConfig';
import type { LossType } from '../../src/config/ganConfig';
import { initBackend } from '../../src/trainer/backend';
import { Gan } from '../../src/trainer/gan';
import { loadDataset } from '../../src/trainer/data/dataset';
import { Rng, installAsMathRandom } from '../../src/trainer/rng';

const LOSSES: LossType[] = ['non-saturating', 'minimax', 'wasserstein-gp', 'least-squares', 'hinge'];

function ringGan(loss: LossType, extra: { ema?: number; dSteps?: number } = {}) {
  const config = resolveConfig({
    data: { type: 'ring' },
    generator: { latentDim: 2, hidden: [16, 16], batchNorm: true },
    discriminator: { hidden: [16, 16], dropout: 0.2 },
    loss: { type: loss },
    training: { batchSize: 32, ema: extra.ema ?? 0, dStepsPerGStep: extra.dSteps ?? 1 },
  });
  const data = loadDataset(config.data, '.');
  return { gan: new Gan(config, { dim: 2 }), data, config };
}

for (const backend of ['cpu', 'wasm'] as const) {
  for (const loss of LOSSES) {
    test(`${backend}: ${loss} steps are finite and leak no tensors`, async () => {
      await initBackend(backend);
      const rng = new Rng(1);
      installAsMathRandom(rng);
      const { gan, data } = ringGan(loss, { ema: loss === 'hinge' ? 0.99 : 0, dSteps: loss === 'wasserstein-gp' ? 2 : 1 });
      const step = (hist: boolean) => gan.step(() => data.batch(32, rng), rng, hist);
      for (let i = 0; i < 3; i++) await step(true);
      const before = tf.memory().numTensors;
      let last;
      for (let i = 0; i < 10; i++) last = await step(i % 2 === 0);
      assert.equal(tf.memory().numTensors, before, 'tensor count grew across steps');
      assert.ok(last, 'the steps returned results');
      const s = last.stats;
      for (const [k, v] of Object.entries(s)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
      assert.equal(s.gradientPenalty !== undefined, loss === 'wasserstein-gp');
      if (loss === 'non-saturating' || loss === 'minimax') {
        assert.ok(s.dReal > 0 && s.dReal < 1 && s.dFake > 0 && s.dFake < 1, 'probabilities in (0, 1)');
      }
      assert.ok(s.dAccuracy >= 0 && s.dAccuracy <= 1);
      const withOutputs = await step(true);
      assert.equal(withOutputs.outputs?.real.length, 32);
      assert.equal(withOutputs.outputs?.fake.length, 32);
      gan.dispose();
    });
  }

  test(`${backend}: a dcgan on 8×8 images trains without leaking`, async () => {
    await initBackend(backend);
    const rng = new Rng(2);
    installAsMathRandom(rng);
    const config = resolveConfig({
      data: { type: 'mnist', split: 'test', limit: 64 },
      generator: { preset: 'dcgan', latentDim: 8, filters: 8 },
      discriminator: { preset: 'dcgan', filters: 4 },
      training: { batchSize: 4 },
    });
    const shape: [number, number, number] = [8, 8, 1];
    const gan = new Gan(config, { dim: 64, imageShape: shape });
    const batch = () => rng.fillUniform(new Float32Array(4 * 64), -1, 1);
    await gan.step(batch, rng, true);
    const before = tf.memory().numTensors;
    const r = await gan.step(batch, rng, true);
    await gan.step(batch, rng, false);
    assert.equal(tf.memory().numTensors, before);
    assert.ok(Number.isFinite(r.stats.dLoss) && Number.isFinite(r.stats.gLoss));
    const out = gan.generate(new Float32Array(2 * 8), 2);
    assert.equal(out.length, 2 * 64);
    assert.ok(out.every((v) => v >= -1 && v <= 1), 'tanh output');
    gan.dispose();
  });
}

test('the same seed gives the same step results; another seed does not', async () => {
  await initBackend('cpu');
  const run = async (seed: number) => {
    const rng = new Rng(seed);
    installAsMathRandom(rng);
    const { gan, data } = ringGan('non-saturating');
    let s;
    for (let i = 0; i < 5; i++) s = (await gan.step(() => data.batch(32, rng), rng, false)).stats;
    gan.dispose();
    return s;
  };
  assert.deepEqual(await run(5), await run(5));
  assert.notDeepEqual(await run(5), await run(6));
});
