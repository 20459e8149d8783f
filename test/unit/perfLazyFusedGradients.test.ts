/**
 * The lazy gradients of fused conv2d / matMul (src/trainer/kernels/lazyFusedGradients.ts):
 * bit-identical to tfjs-core's eager ones on cpu and wasm, for every input, with and without bias,
 * over strides, paddings and transposes; and the unused gradients are really not computed.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmConvKernels } from '../../src/trainer/kernels/wasmConvKernels';
import { lazyFusedNodeCount, setLazyFusedGradients } from '../../src/trainer/kernels/lazyFusedGradients';
import { values } from '../helpers/values';


const rand = (shape: number[], seed: number) => tf.tensor(values(tf.util.sizeFromShape(shape), seed), shape);

before(async () => {
  setWasmPaths(join(process.cwd(), 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
  registerWasmConvKernels();
  assert.ok(await tf.setBackend('wasm'), 'wasm backend did not initialise');
});

/** All gradients of `f` w.r.t. its inputs, lazy and eager, on the active backend: must be equal bit for bit. */
function assertSameGradients(label: string, f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]): void {
  const grads = (lazy: boolean) => {
    setLazyFusedGradients(lazy);
    try {
      return tf.tidy(() => {
        // A non-uniform dy, so that a transposed or misplaced gradient cannot pass.
        const g = tf.grads((...a: tf.Tensor[]) => {
          const y = f(...a);
          return tf.sum(tf.mul(y, rand(y.shape, 99)));
        });
        return g(xs).map((t) => ({ shape: t.shape, data: t.dataSync().slice() }));
      });
    } finally {
      setLazyFusedGradients(true);
    }
  };
  const nodes = lazyFusedNodeCount();
  const lazy = grads(true);
  assert.ok(lazyFusedNodeCount() > nodes, `${label}: the lazy gradient was not used`);
  const eager = grads(false);
  assert.equal(lazy.length, eager.length);
  lazy.forEach((g, i) => {
    assert.deepEqual(g.shape, eager[i].shape, `${label}: gradient ${i} shape`);
    assert.deepEqual(g.data, eager[i].data, `${label}: gradient ${i} differs from tfjs-core's`);
  });
}

for (const backend of ['cpu', 'wasm']) {
  test(`fused conv2d: lazy gradients equal tfjs-core's bit for bit (${backend})`, async () => {
    await tf.setBackend(backend);
    const shapes: { x: [number, number, number, number]; k: number; co: number }[] = [
      { x: [2, 9, 9, 3], k: 5, co: 4 },
      { x: [1, 7, 6, 1], k: 3, co: 2 },
      { x: [3, 8, 8, 8], k: 1, co: 5 },
    ];
    for (const s of shapes) {
      for (const strides of [1, 2, [2, 1]] as (number | [number, number])[]) {
        for (const pad of ['same', 'valid'] as const) {
          for (const withBias of [true, false]) {
            const x = rand(s.x, 1);
            const w = rand([s.k, s.k, s.x[3], s.co], 2);
            const b = rand([s.co], 3);
            const label = `x=${s.x} k=${s.k} s=${strides} ${pad} bias=${withBias}`;
            const conv = (xx: tf.Tensor, ww: tf.Tensor, bb?: tf.Tensor) =>
              tf.fused.conv2d({ x: xx as tf.Tensor4D, filter: ww as tf.Tensor4D, strides, pad, bias: bb });
            assertSameGradients(label, conv, withBias ? [x, w, b] : [x, w]);
            tf.dispose([x, w, b]);
          }
        }
      }
    }
  });

  test(`fused matMul: lazy gradients equal tfjs-core's bit for bit (${backend})`, async () => {
    await tf.setBackend(backend);
    for (const [tA, tB] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ]) {
      for (const withBias of [true, false]) {
        const [m, k, n] = [5, 7, 3];
        const a = rand(tA ? [k, m] : [m, k], 4);
        const b = rand(tB ? [n, k] : [k, n], 5);
        const bias = rand([n], 6);
        const mm = (aa: tf.Tensor, bb: tf.Tensor, cc?: tf.Tensor) =>
          tf.fused.matMul({ a: aa, b: bb, transposeA: tA, transposeB: tB, bias: cc });
        assertSameGradients(`tA=${tA} tB=${tB} bias=${withBias}`, mm, withBias ? [a, b, bias] : [a, b]);
        tf.dispose([a, b, bias]);
      }
    }
  });
}

/** Kernel names run while `f` executes. */
async function kernelsOf(f: () => void): Promise<string[]> {
  const info = await tf.profile(f);
  return info.kernels.map((k) => k.name);
}

test('a layers conv net differentiated w.r.t. its input alone runs no filter gradient', async () => {
  await tf.setBackend('wasm');
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 5, strides: 2, padding: 'same' }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.conv2d({ filters: 8, kernelSize: 5, strides: 2, padding: 'same' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 1 }),
    ],
  });
  const x = rand([2, 12, 12, 1], 7);
  const inputOnly = await kernelsOf(() => {
    tf.tidy(() => {
      tf.grad((xx: tf.Tensor) => tf.sum(model.apply(xx, { training: true }) as tf.Tensor))(x).dataSync();
    });
  });
  assert.equal(inputOnly.filter((k) => k === 'Conv2DBackpropFilter').length, 0, `kernels: ${inputOnly.join(' ')}`);
  assert.equal(inputOnly.filter((k) => k === 'Conv2DBackpropInput').length, 2);

  // And w.r.t. the weights alone: no input gradient for the first conv (its input is data).
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const weightsOnly = await kernelsOf(() => {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum<tf.Scalar>(model.apply(x, { training: true }) as tf.Tensor), vars);
      Object.values(grads).forEach((g) => g.dataSync());
    });
  });
  assert.equal(weightsOnly.filter((k) => k === 'Conv2DBackpropFilter').length, 2);
  assert.equal(weightsOnly.filter((k) => k === 'Conv2DBackpropInput').length, 1, `kernels: ${weightsOnly.join(' ')}`);
  x.dispose();
  model.dispose();
});

test('lazy gradients leak no tensors or backend buffers', async () => {
  await tf.setBackend('wasm');
  const x = rand([2, 9, 9, 3], 1);
  const w = tf.variable(rand([5, 5, 3, 4], 2)) as tf.Variable<tf.Rank.R4>;
  const b = tf.variable(rand([4], 3));
  const d = tf.variable(rand([100, 2], 4)) as tf.Variable<tf.Rank.R2>;
  const step = () =>
    tf.tidy(() => {
      // Only some inputs' gradients are taken: the skipped ones must not leave anything behind.
      const { grads } = tf.variableGrads(() => {
        const h = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w, strides: 2, pad: 'same', bias: b });
        return tf.sum<tf.Scalar>(tf.fused.matMul({ a: tf.reshape(h, [2, 100]), b: d }));
      }, [w, d]);
      tf.dispose(grads);
    });
  step();
  const before = tf.memory();
  for (let i = 0; i < 3; i++) step();
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors, 'tensor count grew');
  assert.equal(after.numDataBuffers, before.numDataBuffers, 'backend buffers grew');
  tf.dispose([x, w, b, d]);
});

test('Sum and Mean over leading axes are bit-identical to the stock kernel and match cpu', async () => {
  const shapes = [
    [64, 14, 14, 32],
    [3, 5, 7],
    [1, 4],
    [6, 1, 3, 2],
  ];
  for (const shape of shapes) {
    for (let k = 1; k < shape.length; k++) {
      const leading = [...Array(k).keys()];
      const rest = shape.length - k;
      for (const op of ['sum', 'mean'] as const) {
        for (const keepDims of [false, true]) {
          const run = () =>
            tf.tidy(() => {
              const x = rand(shape, 11 + k);
              const fast = tf[op](x, leading, keepDims);
              // The same reduction with the reduced axes innermost: the stock kernel, no transpose of ours.
              const perm = [...Array(rest).keys()].map((i) => i + k).concat(leading);
              const stock = tf[op](tf.transpose(x, perm), leading.map((i) => i + rest));
              return [fast.shape, fast.dataSync().slice(), stock.dataSync().slice()] as const;
            });
          await tf.setBackend('cpu');
          const [, cpu] = run();
          await tf.setBackend('wasm');
          const [outShape, got, stock] = run();
          const label = `${op} ${shape} over ${leading} keepDims=${keepDims}`;
          assert.deepEqual(outShape, keepDims ? shape.map((d, i) => (i < k ? 1 : d)) : shape.slice(k), label);
          assert.deepEqual(got, stock, `${label}: differs from the stock wasm kernel`);
          for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - cpu[i]) <= 1e-3 * Math.max(1, Math.abs(cpu[i])), `${label}: ${got[i]} vs cpu ${cpu[i]}`);
        }
      }
    }
  }
  // Other axes and dtypes still go to the stock kernel.
  await tf.setBackend('wasm');
  const x = rand([4, 5, 6], 3);
  assert.deepEqual(tf.sum(x, [1]).shape, [4, 6]);
  assert.deepEqual(tf.sum(tf.cast(x, 'int32'), 0).dtype, 'int32');
  assert.deepEqual(Array.from(tf.sum(tf.tensor1d([1, 2, 3], 'int32')).dataSync()), [6]);
  x.dispose();
});
