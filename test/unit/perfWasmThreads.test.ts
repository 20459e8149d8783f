/**
 * The EXPERIMENTAL multi-threaded wasm build (src/trainer/kernels/wasmThreads.ts, a bench knob):
 * it starts in Node with 2 XNNPACK threads, our kernels run on it, and the convolutions and their
 * gradients match the cpu backend. (Checked by hand: bit-identical to the single-threaded build.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../src/trainer/backend';
import { stopThreadedWasm, threadedWasmThreads, useThreadedWasm } from '../../src/trainer/kernels/wasmThreads';
import { values } from '../helpers/values';

const WASM_DIR = join(process.cwd(), 'node_modules/@tensorflow/tfjs-backend-wasm/dist');

before(async () => {
  useThreadedWasm(2, WASM_DIR);
  assert.equal(await initBackend('wasm', WASM_DIR), 'wasm');
});

after(() => stopThreadedWasm());


test('the threaded build runs with 2 XNNPACK threads', () => {
  assert.equal(threadedWasmThreads(), 2);
});

test('convs, transposed convs and their gradients match the cpu backend on the threaded build', async () => {
  const run = () =>
    tf.tidy(() => {
      const x = tf.tensor4d(values(8 * 14 * 14 * 16, 1), [8, 14, 14, 16]);
      const w = tf.tensor4d(values(5 * 5 * 16 * 24, 2), [5, 5, 16, 24]);
      const dy = tf.tensor4d(values(8 * 7 * 7 * 24, 3), [8, 7, 7, 24]);
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), dy)))([x, w]);
      const up = tf.conv2dTranspose(dy, w, [8, 14, 14, 16], 2, 'same');
      return [tf.conv2d(x, w, 2, 'same'), gx, gw, up].map((t) => t.dataSync().slice() as Float32Array);
    });
  const got = run();
  await tf.setBackend('cpu');
  const want = run();
  await tf.setBackend('wasm');
  got.forEach((g, i) => {
    let m = 0;
    for (let j = 0; j < g.length; j++) m = Math.max(m, Math.abs(g[j] - want[i][j]));
    assert.ok(m < 1e-3, `output ${i}: max |wasm-mt − cpu| = ${m}`);
  });
});
