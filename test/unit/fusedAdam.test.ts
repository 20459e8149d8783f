/**
 * The fused Adam kernel against tfjs-core's AdamOptimizer on the same backend: bit for bit over
 * many steps, shapes, hyperparameters (and edits of them between steps), gradients of every
 * magnitude, zeros and non-finite values; its slots serialise as the stock ones; and it really is
 * one kernel call per variable (a silent fall-back to the stock update would pass the rest).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { adamUpdate, FUSED_ADAM, FusedAdamOptimizer } from '../../src/trainer/kernels/fusedAdam';
import { simdAdamFor } from '../../src/trainer/kernels/wasmAdam';
import { registerWasmConvKernels } from '../../src/trainer/kernels/wasmConvKernels';
import { values } from '../helpers/values';

const SHAPES: number[][] = [[1], [7], [3, 5], [2, 3, 4], [128, 128], [5, 5, 1, 32]];

before(async () => {
  setWasmPaths(join(process.cwd(), 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
  registerWasmConvKernels();
  assert.ok(await tf.setBackend('wasm'), 'wasm backend did not initialise');
});

/** Equal as float32 bit patterns, any NaN equal to any NaN; the first difference is reported. */
function assertSameFloats(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === e[i] || (Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) continue;
    assert.fail(`${what}[${i}]: fused ${actual[i]} (0x${a[i].toString(16)}), stock ${expected[i]} (0x${e[i].toString(16)})`);
  }
}

/** A gradient for step `step` of variable `v`: values spread over many decades, with exact zeros. */
function gradient(shape: number[], v: number, step: number, special: boolean): tf.Tensor {
  const size = tf.util.sizeFromShape(shape);
  const raw = values(size, 1000 * v + step + 1);
  const scale = values(size, 7777 * v + step + 3);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = i % 11 === 3 ? 0 : raw[i] * 10 ** Math.round(6 * scale[i] - 2);
  if (special && size > 2) {
    out[0] = Number.POSITIVE_INFINITY;
    out[1] = Number.NaN;
  }
  return tf.tensor(out, shape);
}

interface Run {
  vars: tf.Variable[];
  opt: tf.AdamOptimizer;
}

let runs = 0;

function makeRun(fused: boolean, lr: number, beta1: number, beta2: number, epsilon?: number): Run {
  const id = runs++;
  const vars = SHAPES.map((shape, i) => tf.variable(tf.tensor(values(tf.util.sizeFromShape(shape), 50 + i), shape), true, `v${i}-run${id}`));
  const opt = fused ? new FusedAdamOptimizer(lr, beta1, beta2, epsilon) : tf.train.adam(lr, beta1, beta2, epsilon);
  return { vars, opt };
}

function step(run: Run, s: number, special = false): void {
  tf.tidy(() => run.opt.applyGradients(run.vars.map((v, i) => ({ name: v.name, tensor: gradient(SHAPES[i], i, s, special) }))));
}

async function assertSameState(fused: Run, stock: Run, what: string): Promise<void> {
  for (let i = 0; i < SHAPES.length; i++) assertSameFloats(fused.vars[i].dataSync() as Float32Array, stock.vars[i].dataSync() as Float32Array, `${what}: variable ${i}`);
  const [fw, sw] = [await fused.opt.getWeights(), await stock.opt.getWeights()];
  assert.equal(fw.length, sw.length);
  for (let i = 0; i < fw.length; i++) {
    const bare = (name: string) => name.replace(/-run\d+/, '');
    assert.equal(bare(fw[i].name), bare(sw[i].name), `${what}: slot ${i}'s name`);
    assertSameFloats(fw[i].tensor.dataSync() as Float32Array, sw[i].tensor.dataSync() as Float32Array, `${what}: slot ${fw[i].name}`);
  }
  const acc = (r: Run) => {
    const o = r.opt as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
    return new Float32Array([o.accBeta1.dataSync()[0], o.accBeta2.dataSync()[0]]);
  };
  assertSameFloats(acc(fused), acc(stock), `${what}: β^t`);
}

function dispose(...runs: Run[]): void {
  for (const r of runs) {
    r.opt.dispose();
    tf.dispose(r.vars);
  }
}

for (const backend of ['wasm', 'cpu']) {
  const settings: [number, number, number, number?][] = [
    [1e-3, 0.5, 0.999],
    [2e-4, 0.9, 0.99],
    [4e-3, 0, 0.9, 1e-8],
  ];
  for (const [lr, beta1, beta2, epsilon] of settings) {
    test(`${backend}: bit for bit the stock Adam over 25 steps (lr ${lr}, β ${beta1}/${beta2}${epsilon ? `, ε ${epsilon}` : ''}), with edits between steps`, async () => {
      await tf.setBackend(backend);
      const fused = makeRun(true, lr, beta1, beta2, epsilon);
      const stock = makeRun(false, lr, beta1, beta2, epsilon);
      try {
        for (let s = 0; s < 25; s++) {
          if (s === 10) {
            // A live edit, as the trainer's retune makes: plain fields read at each update.
            for (const r of [fused, stock]) Object.assign(r.opt, { learningRate: lr * 0.37, beta1: 0.8, beta2: 0.995 });
          }
          step(fused, s);
          step(stock, s);
        }
        await assertSameState(fused, stock, backend);
      } finally {
        dispose(fused, stock);
      }
    });
  }

  test(`${backend}: infinite and NaN gradients give what the stock update gives`, async () => {
    await tf.setBackend(backend);
    const fused = makeRun(true, 1e-3, 0.5, 0.999);
    const stock = makeRun(false, 1e-3, 0.5, 0.999);
    try {
      for (let s = 0; s < 3; s++) {
        step(fused, s, s === 1);
        step(stock, s, s === 1);
      }
      await assertSameState(fused, stock, `${backend}, non-finite`);
      assert.ok(Number.isNaN(fused.vars[5].dataSync()[1]), 'a NaN gradient makes the weight NaN, as in the stock update');
    } finally {
      dispose(fused, stock);
    }
  });
}

test('wasm: the slots of either optimizer load into the other and the runs stay identical', async () => {
  await tf.setBackend('wasm');
  const fused = makeRun(true, 1e-3, 0.5, 0.999);
  const stock = makeRun(false, 1e-3, 0.5, 0.999);
  try {
    for (let s = 0; s < 4; s++) step(stock, s);
    // Same starting weights, then the stock optimizer's state handed to the fused one.
    fused.vars.forEach((v, i) => v.assign(stock.vars[i]));
    await fused.opt.setWeights(await stock.opt.getWeights());
    const o = (r: Run) => r.opt as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
    o(fused).accBeta1.assign(o(stock).accBeta1);
    o(fused).accBeta2.assign(o(stock).accBeta2);
    for (let s = 4; s < 9; s++) {
      step(fused, s);
      step(stock, s);
    }
    await assertSameState(fused, stock, 'after a hand-over');
  } finally {
    dispose(fused, stock);
  }
});

test('wasm: one fused kernel call per variable and no element-wise kernels', async () => {
  await tf.setBackend('wasm');
  const fused = makeRun(true, 1e-3, 0.5, 0.999);
  try {
    step(fused, 0);
    const grads = fused.vars.map((v, i) => ({ name: v.name, tensor: gradient(SHAPES[i], i, 1, false) }));
    const profile = await tf.profile(() => fused.opt.applyGradients(grads));
    tf.dispose(grads.map((g) => g.tensor));
    const names = profile.kernels.map((k) => k.name);
    assert.equal(names.filter((n) => n === FUSED_ADAM).length, SHAPES.length, names.join(' '));
    assert.deepEqual(names.filter((n) => n !== FUSED_ADAM), [], 'only the fused kernel runs');
    assert.equal(profile.newTensors, 0, 'no tensor is left behind');
  } finally {
    dispose(fused);
  }
});

test('wasm: the update runs as the SIMD module in the backend\'s memory, so the comparisons above test it', async () => {
  await tf.setBackend('wasm');
  assert.equal(typeof simdAdamFor((tf.backend() as unknown as { wasm: Parameters<typeof simdAdamFor>[0] }).wasm), 'function');
  assert.equal(simdAdamFor(undefined), undefined, 'no memory, no module: the JS loop runs');
});

test('the fused update refuses mismatched sizes with the shapes in the message', async () => {
  await tf.setBackend('wasm');
  const attrs = { beta1: 0.5, oneMinusBeta1: 0.5, beta2: 0.999, oneMinusBeta2: 0.001, correction1: 0.5, correction2: 0.001, epsilon: 1e-7, negLearningRate: -1e-3 };
  const [x, m, v, g] = [tf.zeros([3]), tf.zeros([3]), tf.zeros([3]), tf.zeros([4])];
  assert.throws(() => tf.engine().runKernel(FUSED_ADAM, { x, m, v, g }, attrs), /variable \[3\].*gradient \[4\] differ in size/);
  tf.dispose([x, m, v, g]);
});

test('adamUpdate: the first step moves each weight by about −lr·sign(g)', () => {
  const x = new Float32Array([1, 1, 1]);
  const g = new Float32Array([0.5, -2, 0]);
  const zero = new Float32Array(3);
  const out = [new Float32Array(3), new Float32Array(3), new Float32Array(3)];
  adamUpdate(x, zero, zero, g, out[0], out[1], out[2], { beta1: 0.9, oneMinusBeta1: Math.fround(0.1), beta2: Math.fround(0.999), oneMinusBeta2: Math.fround(0.001), correction1: Math.fround(0.1), correction2: Math.fround(0.001), epsilon: Math.fround(1e-7), negLearningRate: Math.fround(-0.01) });
  assert.ok(Math.abs(out[0][0] - 0.99) < 1e-6 && Math.abs(out[0][1] - 1.01) < 1e-6 && out[0][2] === 1, Array.from(out[0]).join(', '));
});
