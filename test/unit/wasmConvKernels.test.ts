/**
 * The wasm conv-gradient kernels against the cpu backend's reference kernels, a finite-difference
 * check of the gradients they produce, and a leak check at the backend level (intermediates never
 * become tensors, so `numTensors` alone would not see them).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's node build registers no gradients; tfjs-layers' node build registers them all.
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmConvKernels } from '../../src/trainer/kernels/wasmConvKernels';
import { transposeInner } from '../../src/trainer/kernels/wasmGenericKernels';
import { values } from '../helpers/values';

const TOLERANCE = 1e-4;

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Strides = number | [number, number];

interface Case {
  /** Input x: [n, h, w, ci]. */
  x: [number, number, number, number];
  /** Filter: [kh, kw, ci, co]. */
  k: [number, number];
  co: number;
  strides: Strides;
  pad: Pad;
}


function outShape(c: Case): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo(c.x, [c.k[0], c.k[1], c.x[3], c.co], c.strides, 1, c.pad);
  return info.outShape;
}

function describe(c: Case): string {
  return `x=${c.x} k=${c.k} co=${c.co} s=${JSON.stringify(c.strides)} pad=${JSON.stringify(c.pad)}`;
}

/** Max |a − b| over two equally long arrays. */
function maxAbsDiff(a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Runs both kernels for a case on the active backend and returns their outputs' values. */
function runKernels(c: Case, seed: number): { dx: Float32Array; dw: Float32Array; shapes: number[][] } {
  const filterShape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.co];
  const yShape = outShape(c);
  return tf.tidy(() => {
    const x = tf.tensor4d(values(tf.util.sizeFromShape(c.x), seed), c.x);
    const filter = tf.tensor4d(values(tf.util.sizeFromShape(filterShape), seed + 1), filterShape);
    const dy = tf.tensor4d(values(tf.util.sizeFromShape(yShape), seed + 2), yShape);
    const common = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    const dx = tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropInput, { dy, filter }, { ...common, inputShape: c.x } as never);
    const dw = tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropFilter, { x, dy }, { ...common, filterShape } as never);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array, shapes: [dx.shape, dw.shape] };
  });
}

const explicitPad = (t: number, b: number, l: number, r: number): tf.backend_util.ExplicitPadding => [
  [0, 0],
  [t, b],
  [l, r],
  [0, 0],
];

/** Shapes × strides × paddings, including batch 1, odd sizes, 1–8 channels, kernel < stride. */
function cases(): Case[] {
  const shapes: { x: Case['x']; k: Case['k']; co: number }[] = [
    { x: [1, 5, 5, 1], k: [3, 3], co: 1 },
    { x: [2, 7, 7, 3], k: [5, 5], co: 4 },
    { x: [1, 9, 6, 2], k: [3, 2], co: 5 },
    { x: [3, 8, 8, 8], k: [4, 4], co: 8 },
    { x: [1, 11, 13, 4], k: [5, 3], co: 2 },
    { x: [2, 6, 9, 5], k: [1, 1], co: 3 },
    { x: [1, 10, 10, 6], k: [2, 2], co: 7 },
    // ≥ 8 input channels with a kernel the stride does not divide: the per-phase path.
    { x: [2, 9, 7, 8], k: [5, 5], co: 3 },
    { x: [1, 7, 8, 12], k: [3, 1], co: 4 },
  ];
  const strides: Strides[] = [1, 2, 3, [2, 1], [1, 3]];
  const pads: Pad[] = ['same', 'valid', 1, explicitPad(2, 0, 1, 3)];
  const all: Case[] = [];
  for (const s of shapes) {
    for (const st of strides) {
      for (const pad of pads) {
        const c: Case = { ...s, strides: st, pad };
        // Explicit pads wider than the kernel give empty windows that tfjs rejects.
        const [oh, ow] = outShape(c).slice(1, 3);
        if (oh > 0 && ow > 0) all.push(c);
      }
    }
  }
  return all;
}

before(async () => {
  setWasmPaths(join(process.cwd(), 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
  registerWasmConvKernels();
  assert.ok(await tf.setBackend('wasm'), 'wasm backend did not initialise');
});

test('Conv2DBackpropInput and Conv2DBackpropFilter match the cpu backend', async () => {
  const all = cases();
  assert.ok(all.length > 100, `expected a broad grid, got ${all.length} cases`);
  await tf.setBackend('cpu');
  const expected = all.map((c, i) => runKernels(c, 11 * i + 1));
  await tf.setBackend('wasm');
  let worstDx = 0;
  let worstDw = 0;
  all.forEach((c, i) => {
    const got = runKernels(c, 11 * i + 1);
    assert.deepEqual(got.shapes, expected[i].shapes, describe(c));
    const eDx = maxAbsDiff(got.dx, expected[i].dx);
    const eDw = maxAbsDiff(got.dw, expected[i].dw);
    assert.ok(eDx <= TOLERANCE, `Conv2DBackpropInput ${describe(c)}: max error ${eDx}`);
    assert.ok(eDw <= TOLERANCE, `Conv2DBackpropFilter ${describe(c)}: max error ${eDw}`);
    worstDx = Math.max(worstDx, eDx);
    worstDw = Math.max(worstDw, eDw);
  });
  assert.ok(worstDx > 0 || worstDw > 0, 'outputs identical to the bit: is the wasm backend really running our kernels?');
});

test('the DCGAN layer shapes match the cpu backend', async () => {
  const dcgan: Case[] = [
    { x: [4, 28, 28, 1], k: [5, 5], co: 32, strides: 2, pad: 'same' },
    { x: [4, 14, 14, 32], k: [5, 5], co: 64, strides: 2, pad: 'same' },
    // The generator's transposed convs are the same kernels with the roles of x and y swapped.
    { x: [4, 14, 14, 32], k: [5, 5], co: 64, strides: 2, pad: 'same' },
  ];
  await tf.setBackend('cpu');
  const expected = dcgan.map((c, i) => runKernels(c, 101 + i));
  await tf.setBackend('wasm');
  dcgan.forEach((c, i) => {
    const got = runKernels(c, 101 + i);
    // Sums over 800 products of values in [−1, 1]: allow for float32 accumulation order.
    assert.ok(maxAbsDiff(got.dx, expected[i].dx) <= 1e-3, `dx ${describe(c)}`);
    assert.ok(maxAbsDiff(got.dw, expected[i].dw) <= 1e-3, `dw ${describe(c)}`);
  });
});

/**
 * Central differences of a loss that is linear in the perturbed value are exact up to float32
 * rounding, so a large step keeps the check sharp: a wrong tap or offset shows as an O(1) error.
 */
function finiteDifferenceCheck(name: string, f: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Scalar, a: tf.Tensor4D, b: tf.Tensor4D): void {
  const eps = 0.25;
  const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => f(p as tf.Tensor4D, q as tf.Tensor4D))([a, b]);
  const analytic = [ga.dataSync(), gb.dataSync()];
  tf.dispose([ga, gb]);
  [a, b].forEach((t, which) => {
    const base = t.dataSync().slice();
    for (let i = 0; i < base.length; i++) {
      const numeric = tf.tidy(() => {
        const plus = base.slice();
        plus[i] += eps;
        const minus = base.slice();
        minus[i] -= eps;
        const tp = tf.tensor4d(plus, t.shape);
        const tm = tf.tensor4d(minus, t.shape);
        const [lp, lm] = which === 0 ? [f(tp, b), f(tm, b)] : [f(a, tp), f(a, tm)];
        return (lp.dataSync()[0] - lm.dataSync()[0]) / (2 * eps);
      });
      const err = Math.abs(numeric - analytic[which][i]);
      assert.ok(err <= 2e-3 * Math.max(1, Math.abs(numeric)), `${name}: d/d${which === 0 ? 'input' : 'filter'}[${i}] analytic ${analytic[which][i]} numeric ${numeric}`);
    }
  });
}

test('finite differences agree with conv2d gradients on wasm', () => {
  assert.equal(tf.getBackend(), 'wasm');
  for (const [strides, pad] of [[2, 'same'], [1, 'valid'], [3, 'same'], [2, 'valid']] as const) {
    const x = tf.tensor4d(values(1 * 7 * 6 * 2, 5), [1, 7, 6, 2]);
    const w = tf.tensor4d(values(3 * 3 * 2 * 3, 6), [3, 3, 2, 3]);
    const yShape = tf.conv2d(x, w, strides, pad).shape;
    const r = tf.tensor(values(tf.util.sizeFromShape(yShape), 7), yShape);
    finiteDifferenceCheck(`conv2d s=${strides} ${pad}`, (a, b) => tf.sum(tf.mul(tf.conv2d(a, b, strides, pad), r)), x, w);
    tf.dispose([x, w, r]);
  }
});

test('finite differences agree with conv2dTranspose gradients on wasm', () => {
  const cases: [number, 'same' | 'valid', [number, number, number, number]][] = [
    [2, 'same', [1, 8, 6, 2]],
    [2, 'valid', [1, 9, 7, 2]],
    [1, 'same', [1, 4, 5, 2]],
    [3, 'same', [1, 7, 8, 2]],
  ];
  for (const [strides, pad, out] of cases) {
    const inShape: [number, number, number, number] = [1, Math.ceil(out[1] / strides), Math.ceil(out[2] / strides), 3];
    if (pad === 'valid') {
      inShape[1] = (out[1] - 3) / strides + 1;
      inShape[2] = (out[2] - 3) / strides + 1;
    }
    const x = tf.tensor4d(values(tf.util.sizeFromShape(inShape), 8), inShape);
    const w = tf.tensor4d(values(3 * 3 * 2 * 3, 9), [3, 3, 2, 3]);
    const r = tf.tensor(values(tf.util.sizeFromShape(out), 10), out);
    finiteDifferenceCheck(
      `conv2dTranspose s=${strides} ${pad}`,
      (a, b) => tf.sum(tf.mul(tf.conv2dTranspose(a, b, out, strides, pad), r)),
      x,
      w,
    );
    tf.dispose([x, w, r]);
  }
});

test('no tensors or backend buffers leak across training-like steps', () => {
  const x = tf.tensor4d(values(2 * 9 * 9 * 3, 1), [2, 9, 9, 3]);
  const w = tf.variable(tf.tensor4d(values(5 * 5 * 3 * 4, 2), [5, 5, 3, 4]));
  const wt = tf.variable(tf.tensor4d(values(3 * 3 * 2 * 4, 3), [3, 3, 2, 4]));
  const dense = tf.variable(tf.tensor2d(values(200 * 3, 4), [200, 3]));
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const h = tf.leakyRelu<tf.Tensor4D>(tf.conv2d(x, w, 2, 'same'), 0.2); // [2, 5, 5, 4]
        const { mean, variance } = tf.moments(h, [0, 1, 2]);
        // The batch-norm gradient tiles. (Without scale and offset, tfjs-core's gradient fails.)
        const normed = tf.batchNorm(h, mean, variance, tf.zeros([4]), tf.ones([4]));
        const up = tf.conv2dTranspose(normed as tf.Tensor4D, wt, [2, 10, 10, 2], 2, 'same'); // [2, 10, 10, 2]
        const logits = tf.matMul(tf.reshape(up, [2, 200]), dense); // its gradient transposes
        return tf.add(tf.sum(tf.square(up)), tf.sum(logits));
      });
      tf.dispose(grads);
    });
  step();
  const before = tf.memory();
  for (let i = 0; i < 5; i++) step();
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors, 'tensor count grew');
  assert.equal(after.numDataBuffers, before.numDataBuffers, 'backend buffers grew: an intermediate was not released');
  tf.dispose([x, w, wt, dense]);
});

/** Runs `f` on cpu and on wasm with the same inputs; returns the largest difference over its outputs. */
async function cpuVsWasm(f: () => tf.Tensor[]): Promise<number> {
  await tf.setBackend('cpu');
  const expected = tf.tidy(() => f().map((t) => t.dataSync().slice()));
  await tf.setBackend('wasm');
  const got = tf.tidy(() => f().map((t) => t.dataSync().slice()));
  assert.equal(got.length, expected.length);
  return Math.max(...got.map((g, i) => maxAbsDiff(g, expected[i])));
}

test('the replaced generic kernels (matMul transposes, Tile, LeakyRelu) match the cpu backend', async () => {
  const t = (shape: number[], seed: number) => tf.tensor(values(tf.util.sizeFromShape(shape), seed), shape);
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    const err = await cpuVsWasm(() => {
      const a = t(ta ? [2, 5, 3] : [2, 3, 5], 1);
      const b = t(tb ? [1, 4, 5] : [1, 5, 4], 2);
      // 2-D only for the fused kernel: stock wasm adds the bias wrongly for batched inputs
      // (tfjs-backend-wasm 4.22, unrelated to transposes); dense layers are 2-D.
      const a2 = t(ta ? [5, 3] : [3, 5], 8);
      const b2 = t(tb ? [4, 5] : [5, 4], 9);
      const bias = t([4], 3);
      return [tf.matMul(a, b, ta, tb), tf.fused.matMul({ a: a2, b: b2, transposeA: ta, transposeB: tb, bias, activation: 'relu' })];
    });
    assert.ok(err <= TOLERANCE, `matMul transposeA=${ta} transposeB=${tb}: max error ${err}`);
  }
  for (const [shape, reps] of [[[1, 1, 1, 3], [2, 3, 4, 1]], [[2, 3], [3, 2]], [[3], [5]], [[2, 1, 2], [1, 4, 3]], [[4, 2], [1, 1]]] as const) {
    const err = await cpuVsWasm(() => [tf.tile(t([...shape], 4), [...reps]), tf.tile(tf.cast(t([...shape], 5), 'int32'), [...reps])]);
    assert.equal(err, 0, `tile ${shape} × ${reps}`);
  }
  for (const alpha of [0.2, 0, 1, 1.5, -0.3]) {
    const err = await cpuVsWasm(() => {
      const x = tf.concat([t([40], 6), tf.zeros([2])]);
      const dy = t([42], 7);
      const [forward, grad] = [tf.leakyRelu(x, alpha), tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(v, alpha), dy)))(x)];
      return [forward, grad];
    });
    assert.ok(err <= 1e-6, `leakyRelu alpha=${alpha}: max error ${err}`);
  }
});

test('a gradient penalty differentiates through the LeakyRelu gradient (WGAN-GP) as on cpu', async () => {
  const err = await cpuVsWasm(() => {
    const x = tf.tensor2d(values(24, 11), [4, 6]);
    const w = tf.tensor2d(values(6, 12), [6, 1]);
    // penalty(w) = Σ (∂/∂x Σ leakyRelu(x)·w)², so d/dw runs the LeakyRelu gradient's own gradient.
    const penalty = (wv: tf.Tensor) => tf.sum(tf.square(tf.grad((xv: tf.Tensor) => tf.sum(tf.matMul(tf.leakyRelu(xv, 0.2), wv)))(x)));
    return [penalty(w), tf.grad(penalty)(w)];
  });
  assert.ok(err <= 1e-5, `max error ${err}`);
});

test('the shared-buffer Identity keeps the source alive when the clone goes', () => {
  const a = tf.tensor1d([1, 2, 3]);
  const c = tf.clone(a);
  c.dispose();
  assert.deepEqual(Array.from(a.dataSync()), [1, 2, 3]);
  const before = tf.memory().numDataBuffers;
  a.dispose();
  assert.equal(tf.memory().numDataBuffers, before - 1, 'the buffer is freed with its last tensor');
});

test('NCHW is refused with a message that names the kernel', () => {
  const dy = tf.zeros([1, 2, 3, 3]);
  const filter = tf.zeros([3, 3, 2, 2]);
  assert.throws(
    () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { strides: 1, pad: 'same', dataFormat: 'NCHW', inputShape: [1, 2, 3, 3] }),
    /Conv2DBackpropInput.*NHWC/,
  );
  tf.dispose([dy, filter]);
});

test('registering twice keeps our kernels', () => {
  registerWasmConvKernels();
  const k = tf.getKernel(tf.Conv2DBackpropFilter, 'wasm');
  assert.ok(k !== undefined, 'Conv2DBackpropFilter is registered for wasm');
  const dy = tf.ones([1, 2, 2, 1]);
  const x = tf.ones([1, 4, 4, 1]);
  const dw = tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropFilter, { x, dy }, { strides: 2, pad: 'valid', dataFormat: 'NHWC', filterShape: [2, 2, 1, 1] });
  assert.deepEqual(Array.from(dw.dataSync()), [4, 4, 4, 4]);
  tf.dispose([dy, x, dw]);
});

test('transposeInner swaps the two inner axes of every matrix in a batch, tails included', () => {
  for (const [batch, rows, cols] of [[1, 256, 128], [3, 7, 5], [2, 4, 1], [1, 1, 9], [2, 9, 4], [1, 0, 3]]) {
    const src = values(batch * rows * cols, batch + rows + cols);
    const dst = new Float32Array(src.length).fill(Number.NaN);
    transposeInner(src, dst, batch, rows, cols);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) assert.equal(dst[b * rows * cols + j * rows + i], src[b * rows * cols + i * cols + j], `[${batch},${rows},${cols}] at ${b},${i},${j}`);
      }
    }
  }
});
