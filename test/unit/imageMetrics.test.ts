/** The image metrics' mathematics on constructed cases, and the shipped classifier on real MNIST. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/trainer/rng';
import { classHistogram, frechetDistance, loadClassifier, precisionRecall, symmetricEigen } from '../../src/trainer/imageMetrics';
import { initBackend } from '../../src/trainer/backend';
import { loadDataset } from '../../src/trainer/data/dataset';
import { resolveConfig } from '../../src/config/validateConfig';

function gaussian(n: number, d: number, rng: Rng, mean = 0, scale = 1): Float32Array {
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = mean + scale * rng.normal();
  return x;
}

test('symmetricEigen reconstructs the matrix', () => {
  const d = 5;
  const rng = new Rng(1);
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) m[i * d + j] = m[j * d + i] = rng.normal();
  const { values, vectors } = symmetricEigen(m, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += vectors[i * d + k] * values[k] * vectors[j * d + k];
      assert.ok(Math.abs(s - m[i * d + j]) < 1e-9);
    }
  }
});

test('Fréchet distance: ~0 for two samples of one Gaussian, the squared mean shift for a shifted one, larger for a narrower one', () => {
  const rng = new Rng(2);
  const d = 8;
  const n = 4000;
  const a = gaussian(n, d, rng);
  const b = gaussian(n, d, rng);
  const shifted = gaussian(n, d, rng, 1);
  const narrow = gaussian(n, d, rng, 0, 0.2);
  assert.ok(frechetDistance(a, n, b, n, d) < 0.1);
  const fs = frechetDistance(a, n, shifted, n, d);
  assert.ok(Math.abs(fs - d) < 0.6, `shift of 1 in ${d} dims: ${fs}`);
  // Trace term for σ=1 vs σ=0.2: d·(1 + 0.04 − 2·0.2) = 0.64·d
  assert.ok(Math.abs(frechetDistance(a, n, narrow, n, d) - 0.64 * d) < 0.5);
});

test('precision/recall: one distribution against itself is high; a collapsed generator keeps precision but loses recall', () => {
  const rng = new Rng(3);
  const d = 4;
  const real = gaussian(400, d, rng);
  const same = gaussian(400, d, rng);
  const collapsed = gaussian(400, d, rng, 0, 0.05);
  const s = precisionRecall(real, 400, same, 400, d);
  assert.ok(s.precision > 0.8 && s.recall > 0.8, JSON.stringify(s));
  const c = precisionRecall(real, 400, collapsed, 400, d);
  assert.ok(c.precision > 0.9 && c.recall < 0.3, JSON.stringify(c));
});

test('the shipped classifier recognises real MNIST digits and separates the classes', async () => {
  await initBackend('wasm');
  const classifier = await loadClassifier();
  assert.ok(classifier, 'assets/mnist-classifier must ship');
  const rng = new Rng(4);
  for (const digit of [1, 7]) {
    const data = loadDataset(resolveConfig({ data: { type: 'mnist', split: 'test', digits: [digit], limit: 200 } }).data, '.');
    const { classes, dim } = classifier.embed(data.denormalize(data.batch(100, rng)), 100);
    assert.equal(dim, 64);
    const hist = classHistogram(classes);
    assert.ok(hist[digit] >= 90, `digit ${digit}: ${hist.join(',')}`);
  }
  classifier.dispose();
});
