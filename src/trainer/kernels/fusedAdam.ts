/**
 * Adam in one kernel call per variable, bit for bit tfjs-core's AdamOptimizer.
 *
 * tfjs-core's Adam updates each variable with 14 element-wise kernels (Multiply, Add, Square,
 * RealDiv, Sqrt, …) plus a scalar tensor per constant: on the ring MLP about 200 of the 565 kernel
 * calls of a training step, each paying the engine's bookkeeping for a few thousand elements. Here
 * one kernel reads x, m, v and the gradient once and writes x', m', v' in one pass. Every
 * intermediate is rounded to float32 in the stock order (Math.fround after each double operation,
 * which for +, −, ×, ÷ and √ of float32 operands is exactly the float32 result), so weights,
 * checkpoints and resumed runs are the stock optimizer's, bit for bit (test/unit/fusedAdam.test.ts).
 *
 * The kernel exists for the wasm and cpu backends; on any other (tfjs-node) the optimizer runs the
 * stock update. Slots, their names, getWeights/setWeights and the β^t accumulators are the stock
 * ones, so checkpoints written by either optimizer load in the other.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, registerKernel } from '@tensorflow/tfjs-core';
import type { DataId, KernelConfig, NamedTensorMap, TensorInfo } from '@tensorflow/tfjs-core';

type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];
import { simdAdam, simdAdamFor, type WasmModuleLike } from './wasmAdam';
import { heapOffset, WASM, type WasmBackendLike } from './wasmKernelCalls';

export const FUSED_ADAM = 'GanStudioAdam';

/** Float32 constants of one update, rounded as the stock optimizer's scalar tensors are. */
export interface AdamConstants {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** 1 − β1^t and 1 − β2^t, the bias corrections. */
  correction1: number;
  correction2: number;
  epsilon: number;
  negLearningRate: number;
}

/**
 * The update of `n` elements: m' = β1·m + (1−β1)·g, v' = β2·v + (1−β2)·g², x' = x − lr·m̂/(√v̂ + ε)
 * with m̂ = m'/(1−β1^t), v̂ = v'/(1−β2^t); each operation rounded to float32 as the stock kernels do.
 */
export function adamUpdate(x: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, outX: Float32Array, outM: Float32Array, outV: Float32Array, c: AdamConstants): void {
  const f = Math.fround;
  const { beta1, oneMinusBeta1, beta2, oneMinusBeta2, correction1, correction2, epsilon, negLearningRate } = c;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = f(f(m[i] * beta1) + f(gi * oneMinusBeta1));
    const vi = f(f(v[i] * beta2) + f(f(gi * gi) * oneMinusBeta2));
    outM[i] = mi;
    outV[i] = vi;
    const denominator = f(f(Math.sqrt(f(vi / correction2))) + epsilon);
    outX[i] = f(f(f(f(mi / correction1) / denominator) * negLearningRate) + x[i]);
  }
}

type AdamInputs = { x: TensorInfo; m: TensorInfo; v: TensorInfo; g: TensorInfo };
type AdamArgs<B> = { inputs: AdamInputs; backend: B; attrs: AdamConstants };

function checkInputs(inputs: AdamInputs): void {
  const { x, m, v, g } = inputs;
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== 'float32') throw new Error(`${FUSED_ADAM}: ${name} is ${t.dtype}, not float32`);
  }
  const size = tf.util.sizeFromShape(x.shape);
  if ([m, v, g].some((t) => tf.util.sizeFromShape(t.shape) !== size)) {
    throw new Error(`${FUSED_ADAM}: the variable [${x.shape}], its slots [${m.shape}], [${v.shape}] and gradient [${g.shape}] differ in size`);
  }
}

function wasmAdam({ inputs, backend, attrs }: AdamArgs<WasmBackendLike>): TensorInfo[] {
  checkInputs(inputs);
  const shape = inputs.x.shape;
  const outs = [backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32')];
  // Views on the heap only after the last allocation: an allocation may grow (and move) it.
  const view = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  const simd = simdAdamFor((backend as unknown as { wasm?: WasmModuleLike }).wasm);
  if (simd) {
    const at = (t: TensorInfo) => heapOffset(backend, t);
    simdAdam(simd, [at(inputs.x), at(inputs.m), at(inputs.v), at(inputs.g), at(outs[0]), at(outs[1]), at(outs[2])], tf.util.sizeFromShape(shape), attrs);
  } else {
    adamUpdate(view(inputs.x), view(inputs.m), view(inputs.v), view(inputs.g), view(outs[0]), view(outs[1]), view(outs[2]), attrs);
  }
  return outs;
}

/** The part of tfjs-backend-cpu's MathBackendCPU used here. */
interface CpuBackendLike {
  data: { get(dataId: DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

function cpuAdam({ inputs, backend, attrs }: AdamArgs<CpuBackendLike>): TensorInfo[] {
  checkInputs(inputs);
  const read = (t: TensorInfo) => backend.data.get(t.dataId).values as Float32Array;
  const n = tf.util.sizeFromShape(inputs.x.shape);
  const [x, m, v] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  adamUpdate(read(inputs.x), read(inputs.m), read(inputs.v), read(inputs.g), x, m, v, attrs);
  return [x, m, v].map((values) => backend.makeTensorInfo(inputs.x.shape, 'float32', values));
}

/** Registers the kernel on wasm and cpu (once; the backends need not be initialised yet). */
export function registerFusedAdam(): void {
  const configs: KernelConfig[] = [
    { kernelName: FUSED_ADAM, backendName: WASM, kernelFunc: wasmAdam as unknown as KernelConfig['kernelFunc'] },
    { kernelName: FUSED_ADAM, backendName: 'cpu', kernelFunc: cpuAdam as unknown as KernelConfig['kernelFunc'] },
  ];
  for (const config of configs) {
    if (getKernel(config.kernelName, config.backendName) === undefined) registerKernel(config);
  }
}

/** The stock optimizer's private state, which the fused update keeps in the same form. */
interface AdamSlots {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
}

/**
 * tfjs-core's AdamOptimizer whose update is the fused kernel where the backend has it. Everything
 * else (slots, serialisation, hyperparameters as plain fields) is inherited.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Gradients): void {
    if (getKernel(FUSED_ADAM, tf.getBackend()) === undefined) {
      super.applyGradients(variableGradients);
      return;
    }
    const s = this as unknown as AdamSlots;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const f = Math.fround;
    const acc1 = s.accBeta1.dataSync()[0];
    const acc2 = s.accBeta2.dataSync()[0];
    // The stock update's scalars: beta1 and 1 − beta1 (a double) as float32 tensors, 1 − β^t
    // computed on float32 tensors, −lr and ε as float32.
    const constants: AdamConstants = {
      beta1: f(this.beta1),
      oneMinusBeta1: f(1 - this.beta1),
      beta2: f(this.beta2),
      oneMinusBeta2: f(1 - this.beta2),
      correction1: f(1 - acc1),
      correction2: f(1 - acc2),
      epsilon: f(this.epsilon),
      negLearningRate: f(-this.learningRate),
    };
    const engine = tf.engine();
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = engine.registeredVariables[name];
        s.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        s.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const m = s.accumulatedFirstMoment[i].variable;
        const v = s.accumulatedSecondMoment[i].variable;
        const inputs = { x: value, m, v, g: gradient } as unknown as NamedTensorMap;
        const [x2, m2, v2] = engine.runKernel<tf.Tensor[]>(FUSED_ADAM, inputs, constants as unknown as tf.NamedAttrMap);
        m.assign(m2);
        v.assign(v2);
        value.assign(x2);
      });
      s.accBeta1.assign(tf.scalar(f(acc1 * constants.beta1)));
      s.accBeta2.assign(tf.scalar(f(acc2 * constants.beta2)));
    });
    this.incrementIterations();
  }
}

registerFusedAdam();
