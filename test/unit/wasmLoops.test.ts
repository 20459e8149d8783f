/**
 * The SIMD loops of kernels/wasmLoops.ts, run in the wasm backend's memory: LeakyRelu, its
 * gradient, FusedBatchNorm (and Sum/Mean over leading axes, whose bit-for-bit test against the
 * stock kernel is in perfLazyFusedGradients.test.ts). Each is compared bit for bit with the stock
 * wasm kernels it replaces, on odd sizes (vector tails), special values and the DCGAN's shapes,
 * within tolerance with the cpu backend, and by finite differences.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmConvKernels } from '../../src/trainer/kernels/wasmConvKernels';
import { LEAKY_RELU_GRAD, stockWasmKernel } from '../../src/trainer/kernels/wasmGenericKernels';
import { wasmLoopsFor } from '../../src/trainer/kernels/wasmLoops';
import type { WasmModuleLike } from '../../src/trainer/kernels/wasmAsm';
import { values } from '../helpers/values';

before(async () => {
  setWasmPaths(join(process.cwd(), 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
  registerWasmConvKernels();
  assert.ok(await tf.setBackend('wasm'), 'wasm backend did not initialise');
});

/** Values in [−1, 1] with the specials every elementwise loop must keep: ±0, ±∞, NaN. */
function special(n: number, seed: number): Float32Array {
  const v = values(n, seed);
  const specials = [0, -0, Infinity, -Infinity, Number.NaN, 1e-40, -1e-40];
  for (let i = 0; i < specials.length && i * 3 < n; i++) v[i * 3] = specials[i];
  return v;
}

/** Same bits, NaN counted equal to NaN (payloads aside). */
function assertSameBits(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  assert.equal(got.length, want.length, label);
  for (let i = 0; i < got.length; i++) {
    const a = got[i];
    const b = want[i];
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    assert.ok(Object.is(a, b), `${label}: element ${i} is ${a}, the stock kernels give ${b}`);
  }
}

const SIZES = [1, 3, 4, 5, 17, 64, 1001, 64 * 14 * 14 * 32];

test('the loops are instantiated in the wasm backend, so these tests run them', () => {
  const module = (tf.backend() as unknown as { wasm?: WasmModuleLike }).wasm;
  assert.ok(wasmLoopsFor(module), 'no SIMD loops for the wasm backend: the kernels fell back');
  assert.equal(wasmLoopsFor(undefined), undefined, 'no memory, no loops');
});

test('LeakyRelu is bit for bit x·step(x, α) of the stock Step and Multiply kernels', () => {
  for (const alpha of [0.2, 0, 1, -0.3, 1.5]) {
    for (const n of SIZES) {
      tf.tidy(() => {
        const x = tf.tensor1d(special(n, n + 1));
        const got = tf.leakyRelu(x, alpha).dataSync();
        assertSameBits(got, tf.mul(x, tf.step(x, alpha)).dataSync(), `leakyRelu α=${alpha} n=${n}`);
      });
    }
  }
});

test('the LeakyRelu gradient is bit for bit dy·step(x, α), NaN where x is NaN', () => {
  for (const alpha of [0.2, 0, -0.3]) {
    for (const n of SIZES) {
      tf.tidy(() => {
        const x = tf.tensor1d(special(n, n + 2));
        const dy = tf.tensor1d(special(n, n + 3).reverse());
        const got = tf.engine().runKernel<tf.Tensor>(LEAKY_RELU_GRAD, { dy, x }, { alpha }).dataSync();
        assertSameBits(got, tf.mul(dy, tf.step(x, alpha)).dataSync(), `gradient α=${alpha} n=${n}`);
        // And through the op's registered gradient, which training uses.
        const viaGrad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(v, alpha), dy)))(x).dataSync();
        assertSameBits(viaGrad, got, `tf.grad α=${alpha} n=${n}`);
      });
    }
  }
});

test('LeakyRelu and its gradient agree with finite differences on wasm', () => {
  const x = tf.tensor1d(values(50, 9).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v)));
  const w = tf.tensor1d(values(50, 10));
  const f = (v: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(v, 0.2), w));
  const g = tf.grad(f)(x).dataSync();
  const xs = x.dataSync();
  const h = 1e-3;
  for (let i = 0; i < xs.length; i++) {
    const at = (d: number) => tf.tidy(() => f(tf.tensor1d(xs.map((v, j) => (j === i ? v + d : v)))).dataSync()[0]);
    const fd = (at(h) - at(-h)) / (2 * h);
    assert.ok(Math.abs(fd - g[i]) < 2e-3, `element ${i}: finite difference ${fd}, gradient ${g[i]}`);
  }
  tf.dispose([x, w]);
});

test('FusedBatchNorm is bit for bit the stock kernel, and matches the cpu backend', async () => {
  const stock = stockWasmKernel('FusedBatchNorm');
  assert.ok(stock, 'the stock FusedBatchNorm was captured when ours was registered');
  const shapes = [
    [64, 14, 14, 32],
    [1, 1, 64, 3136],
    [5, 37],
    [2, 3, 3, 1],
    [1, 4],
    [7, 5],
    [3, 2, 2, 6],
  ];
  for (const shape of shapes) {
    for (const eps of [1e-3, 1e-5]) {
      const C = shape[shape.length - 1];
      const make = () => ({
        x: tf.tensor(special(tf.util.sizeFromShape(shape), C), shape),
        mean: tf.tensor1d(values(C, C + 1)),
        variance: tf.tensor1d(values(C, C + 2).map((v) => Math.abs(v) * 2)),
        offset: tf.tensor1d(values(C, C + 3)),
        scale: tf.tensor1d(values(C, C + 4)),
      });
      const label = `batchNorm [${shape}] ε=${eps}`;
      await tf.setBackend('wasm');
      const [got, want] = tf.tidy(() => {
        const t = make();
        const ours = tf.batchNorm(t.x, t.mean, t.variance, t.offset, t.scale, eps);
        const backend = tf.backend() as unknown as { typedArrayFromHeap(i: tf.TensorInfo): Float32Array; disposeData(id: object): void };
        const info = stock.kernelFunc({ inputs: t, backend: tf.backend(), attrs: { varianceEpsilon: eps } }) as tf.TensorInfo;
        const theirs = backend.typedArrayFromHeap(info).slice();
        backend.disposeData(info.dataId);
        return [ours.dataSync().slice(), theirs];
      });
      assertSameBits(got, want, label);
      await tf.setBackend('cpu');
      const cpu = tf.tidy(() => {
        const t = make();
        return tf.batchNorm(t.x, t.mean, t.variance, t.offset, t.scale, eps).dataSync().slice();
      });
      for (let i = 0; i < got.length; i++) {
        if (!Number.isFinite(cpu[i])) continue;
        assert.ok(Math.abs(got[i] - cpu[i]) <= 1e-5 * Math.max(1, Math.abs(cpu[i])), `${label}: ${got[i]} vs cpu ${cpu[i]} at ${i}`);
      }
    }
  }
  await tf.setBackend('wasm');
  // Without scale and offset, or with broadcast statistics, the stock kernel runs: same answers.
  tf.tidy(() => {
    const x = tf.tensor2d(values(12, 5), [3, 4]);
    const mean = tf.tensor1d(values(4, 6));
    const variance = tf.tensor1d([1, 2, 3, 4]);
    const plain = tf.batchNorm(x, mean, variance).dataSync();
    const xs = x.dataSync();
    const ms = mean.dataSync();
    for (let i = 0; i < 12; i++) assert.ok(Math.abs(plain[i] - (xs[i] - ms[i % 4]) / Math.sqrt([1, 2, 3, 4][i % 4] + 0.001)) < 1e-5);
  });
});

test('a batch-norm gradient agrees with finite differences on wasm', () => {
  const shape = [6, 5];
  const x = tf.tensor2d(values(30, 21), [6, 5]);
  const w = tf.tensor2d(values(30, 22), [6, 5]);
  const scale = tf.tensor1d(values(5, 23));
  const offset = tf.tensor1d(values(5, 24));
  // As a batch-norm layer trains: the batch's own moments, a learned offset and scale.
  const f = (xv: tf.Tensor, s: tf.Tensor) =>
    tf.tidy(() => {
      const { mean, variance } = tf.moments(xv, 0);
      return tf.sum(tf.mul(tf.batchNorm(xv, mean, variance, offset, s as tf.Tensor1D, 1e-3), w));
    });
  const [gx, gs] = tf.grads(f)([x, scale]).map((t) => t.dataSync());
  const h = 1e-2;
  for (const [which, base, grad] of [['x', x, gx], ['scale', scale, gs]] as const) {
    const vs = base.dataSync();
    for (let i = 0; i < vs.length; i++) {
      const at = (d: number) => {
        const moved = tf.tensor(vs.map((v, j) => (j === i ? v + d : v)), base.shape);
        const out = which === 'x' ? f(moved, scale) : f(x, moved);
        const value = out.dataSync()[0];
        tf.dispose([moved, out]);
        return value;
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      assert.ok(Math.abs(fd - grad[i]) < 2e-2 * Math.max(1, Math.abs(fd)), `${which}[${i}] of [${shape}]: finite difference ${fd}, gradient ${grad[i]}`);
    }
  }
  tf.dispose([x, w, scale, offset]);
});

test('weight-gradient products Aᵀ·B are bit for bit the transpose-then-multiply path, and match cpu', async () => {
  // [A shape, B shape]: N = 1 and M = 1 (the matrix-vector loop), M ≪ N (the swapped product),
  // the general case, batches, and odd sizes for the vector tails.
  const pairs: [number[], number[]][] = [
    [[64, 3136], [64, 1]],
    [[256, 128], [256, 1]],
    [[256, 1], [256, 128]],
    [[256, 2], [256, 128]],
    [[13, 7], [13, 1]],
    [[9, 1], [9, 11]],
    [[3, 17, 5], [3, 17, 1]],
    [[2, 6, 1], [2, 6, 3]],
    [[2, 31, 3], [2, 31, 40]],
    [[40, 6], [40, 9]],
    [[1, 5], [1, 1]],
  ];
  for (const [sa, sb] of pairs) {
    const make = () => [tf.tensor(values(tf.util.sizeFromShape(sa), sa[0] + 1), sa), tf.tensor(values(tf.util.sizeFromShape(sb), sb[0] + 2), sb)];
    const label = `[${sa}]ᵀ·[${sb}]`;
    await tf.setBackend('wasm');
    const [got, want, shape] = tf.tidy(() => {
      const [a, b] = make();
      const perm = [...Array(sa.length).keys()];
      [perm[sa.length - 2], perm[sa.length - 1]] = [perm[sa.length - 1], perm[sa.length - 2]];
      const product = tf.matMul(a, b, true, false);
      return [product.dataSync().slice(), tf.matMul(tf.transpose(a, perm), b).dataSync().slice(), product.shape];
    });
    assert.deepEqual(shape, [...sa.slice(0, -2), sa[sa.length - 1], sb[sb.length - 1]], label);
    assertSameBits(got, want, label);
    await tf.setBackend('cpu');
    const cpu = tf.tidy(() => {
      const [a, b] = make();
      return tf.matMul(a, b, true, false).dataSync().slice();
    });
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - cpu[i]) <= 1e-4 * Math.max(1, Math.abs(cpu[i])), `${label}: ${got[i]} vs cpu ${cpu[i]} at ${i}`);
  }
  await tf.setBackend('wasm');
});

test('empty tensors go through every replaced kernel', () => {
  tf.tidy(() => {
    const x = tf.zeros([0, 4]);
    assert.deepEqual(tf.leakyRelu(x, 0.2).shape, [0, 4]);
    assert.deepEqual(tf.engine().runKernel<tf.Tensor>(LEAKY_RELU_GRAD, { dy: x, x }, { alpha: 0.2 }).shape, [0, 4]);
    const c = tf.ones([4]);
    assert.deepEqual(tf.batchNorm(x, c, c, c, c).shape, [0, 4]);
    assert.deepEqual(tf.matMul(x, tf.zeros([0, 1]), true, false).shape, [4, 1]);
    assert.deepEqual(Array.from(tf.matMul(x, tf.zeros([0, 1]), true, false).dataSync()), [0, 0, 0, 0]);
  });
});
