/**
 * Faster wasm versions of generic kernels that a GAN step leans on, found by profiling the
 * reference DCGAN step (see bench.ts). tfjs-backend-wasm 4.22 runs these as scalar C loops or
 * slow paths while a cheap equivalent exists on the same backend:
 *
 * - BatchMatMul / _FusedMatMul with transposeA or transposeB leave XNNPACK for a naive loop
 *   (≈10× slower); every dense layer's gradient uses them. We transpose explicitly (a memory move)
 *   and call the fast path.
 * - Tile computes every output index (≈55 ns per element); the batch-norm gradient tiles a
 *   [1,1,1,C] vector to the full activation. We copy blocks instead.
 * - LeakyRelu (≈6 ns per element), and its gradient's Greater + Select, are scalar loops. Ours are
 *   one SIMD pass each (wasmLoops.ts), bit for bit x·step(x, α) and dy·step(x, α); without the
 *   loops, Step then Multiply (two vectorised stock kernels) compute the same.
 * - Sum and Mean over leading axes (a bias or batch-norm gradient, batch-norm's moments: [n,h,w,c]
 *   reduced to [c]) transpose the whole tensor first so that the reduced axes are innermost. We
 *   add rows in place instead (a SIMD loop, or JS without it), in the same order per output
 *   element as the stock kernel's scalar loop (float32 additions; bit-identical, tested).
 * - FusedBatchNorm divides by a square root per element in a scalar loop (≈3.9 ns per element).
 *   Ours takes the root once per channel and runs the rest as a SIMD loop, bit for bit stock.
 * - Identity copies its input. The engine runs it on every tensor it saves for the backward pass
 *   (≈40 activation copies per DCGAN step). Tensor data is immutable, so sharing the buffer is
 *   enough; the cpu backend's Identity does the same.
 */
import { getKernel, registerGradient, registerKernel, unregisterKernel, util } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, LeakyReluAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOffset, type KernelArgs, release, run, runConfig, transpose, WASM, type WasmBackendLike } from './wasmKernelCalls';
import { wasmLoopsFor, type WasmLoops } from './wasmLoops';
import type { WasmModuleLike } from './wasmAsm';

/** The SIMD loops in this backend's memory, or undefined (then the JS or stock path runs). */
function loopsOf(backend: WasmBackendLike): WasmLoops | undefined {
  return wasmLoopsFor((backend as unknown as { wasm?: WasmModuleLike }).wasm);
}

/** Stock configs we replaced, captured once so that registering twice never wraps our own. */
const stock = new Map<string, KernelConfig>();
const ours = new Set<unknown>();

/**
 * Replaces `kernelName` for wasm. `make` receives the stock config (for the cases we delegate);
 * our config keeps its setupFunc, which the engine runs when the backend is set up.
 */
export function replaceWasmKernel(kernelName: string, make: (stockConfig: KernelConfig | undefined) => KernelConfig): void {
  const current = getKernel(kernelName, WASM);
  if (current !== undefined && !ours.has(current.kernelFunc)) stock.set(kernelName, current);
  const config = make(stock.get(kernelName));
  ours.add(config.kernelFunc);
  if (current !== undefined) unregisterKernel(kernelName, WASM);
  registerKernel(config);
}

/** The stock wasm kernel we replaced under this name, for comparisons in tests. */
export function stockWasmKernel(kernelName: string): KernelConfig | undefined {
  return stock.get(kernelName);
}

function stockOrThrow(name: string, config: KernelConfig | undefined): KernelConfig {
  if (!config) throw new Error(`GAN Studio wasm kernels: no stock '${name}' kernel to delegate to`);
  return config;
}

/**
 * Swaps the last two axes, the layout a transposeA/transposeB flag describes. For float32 a copy
 * here (transposeInner): the stock Transpose took 2.7 ns per element ([256, 128]: 0.087 ms, a
 * third of the 0.27 ms matMul it prepares; every dense layer's backward pass has one or two).
 */
function swapInner(backend: WasmBackendLike, x: TensorInfo): TensorInfo {
  const r = x.shape.length;
  if (x.dtype !== 'float32') {
    const perm = [...Array(r).keys()];
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return transpose(backend, x, perm);
  }
  const [rows, cols] = x.shape.slice(-2);
  const out = backend.makeOutput([...x.shape.slice(0, -2), cols, rows], 'float32');
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  transposeInner(src, dst, rows * cols === 0 ? 0 : util.sizeFromShape(x.shape) / (rows * cols), rows, cols);
  return out;
}

/**
 * dst[b][j][i] = src[b][i][j] for `batch` matrices of rows × cols. Four source rows at a time, so
 * each pass writes four consecutive outputs: 0.87 ns per element for [256, 128], against 1.9 for
 * 32 × 32 tiles and 1.5 for one row at a time (V8, Node 20).
 */
export function transposeInner(src: Float32Array, dst: Float32Array, batch: number, rows: number, cols: number): void {
  const n = rows * cols;
  for (let base = 0; base < batch * n; base += n) {
    let i = 0;
    for (; i + 3 < rows; i += 4) {
      const a = base + i * cols;
      const b = a + cols;
      const c = b + cols;
      const d = c + cols;
      for (let j = 0; j < cols; j++) {
        const o = base + j * rows + i;
        dst[o] = src[a + j];
        dst[o + 1] = src[b + j];
        dst[o + 2] = src[c + j];
        dst[o + 3] = src[d + j];
      }
    }
    for (; i < rows; i++) for (let j = 0; j < cols; j++) dst[base + j * rows + i] = src[base + i * cols + j];
  }
}

/**
 * Aᵀ·B (A [.., K, M], B [.., K, N]: a dense layer's weight gradient, inputs ᵀ · output gradient)
 * in the cheapest form that gives the same bits. XNNPACK packs (and transposes) its second operand
 * on every call and pads its columns to 8:
 * - N = 1 or M = 1 is a matrix-vector product, a SIMD loop of ours (the DCGAN's last dense layer,
 *   A [64, 3136] and B [64, 1]: 0.48 ms as transpose + GEMM);
 * - M far below N (the ring's first layers, A [256, 2] and B [256, 128]: 0.15 ms) is (Bᵀ·A)ᵀ,
 *   so that XNNPACK packs the narrow A.
 * Every output is the same dot product over K, accumulated in the same order, so the result is bit
 * for bit the general path's (tested). Undefined: take the general path.
 */
function weightGradient(backend: WasmBackendLike, base: KernelConfig, a: TensorInfo, b: TensorInfo): TensorInfo | undefined {
  const ra = a.shape.length;
  if (ra < 2 || b.shape.length !== ra || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  if (!util.arraysEqual(a.shape.slice(0, -1), b.shape.slice(0, -1))) return undefined;
  const batch = a.shape.slice(0, -2);
  const [k, m] = a.shape.slice(-2);
  const n = b.shape[ra - 1];
  if (m === 0 || n === 0) return undefined;
  if (k === 0) {
    // A sum over nothing. (The stock kernel leaves such an output uninitialised.)
    const zeros = backend.makeOutput([...batch, m, n], 'float32');
    (backend.typedArrayFromHeap(zeros) as Float32Array).fill(0);
    return zeros;
  }
  const loops = loopsOf(backend);
  if (loops && (n === 1 || m === 1)) {
    // A matrix-vector product: Σ_k A[k, :]·b[k] (N = 1) or Σ_k B[k, :]·a[k] (M = 1), streamed once.
    const out = backend.makeOutput([...batch, m, n], 'float32');
    const [matrix, vector, width] = n === 1 ? [a, b, m] : [b, a, n];
    const dst = backend.typedArrayFromHeap(out) as Float32Array;
    dst.fill(0);
    const [src, w] = [heapOffset(backend, matrix), heapOffset(backend, vector)];
    const count = util.sizeFromShape(batch);
    for (let i = 0; i < count; i++) loops.weightedColumnSums(src + i * k * width * 4, w + i * k * 4, dst.byteOffset + i * width * 4, k, width);
    return out;
  }
  if (m >= n || n < 8 * m) return undefined;
  const plain = { transposeA: false, transposeB: false };
  const bT = swapInner(backend, b); // [.., N, K]
  const product = runConfig(base, backend, { a: bT, b: a }, plain); // [.., N, M]
  const out = swapInner(backend, product);
  release(backend, bT, product);
  return out;
}

function matMulWithoutTransposes(name: string) {
  return (stockConfig: KernelConfig | undefined): KernelConfig => {
    const base = stockOrThrow(name, stockConfig);
    const kernelFunc = ({ inputs, backend, attrs }: KernelArgs<Record<string, TensorInfo | null>, { transposeA: boolean; transposeB: boolean }>) => {
      if (!attrs.transposeA && !attrs.transposeB) return runConfig(base, backend, inputs, attrs);
      if (name === 'BatchMatMul' && attrs.transposeA && !attrs.transposeB) {
        const product = weightGradient(backend, base, inputs.a!, inputs.b!);
        if (product) return product;
      }
      const a = attrs.transposeA ? swapInner(backend, inputs.a!) : inputs.a!;
      const b = attrs.transposeB ? swapInner(backend, inputs.b!) : inputs.b!;
      const out = runConfig(base, backend, { ...inputs, a, b }, { ...attrs, transposeA: false, transposeB: false });
      if (a !== inputs.a) release(backend, a);
      if (b !== inputs.b) release(backend, b);
      return out;
    };
    return { ...base, kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc'] };
  };
}

/**
 * Tile by block copies: the output for one index of axis L is the input's slice tiled over the
 * inner axes, and its repeats along L are copies of that contiguous block (doubling each time).
 */
function tile({ inputs, backend, attrs }: KernelArgs<{ x: TensorInfo }, { reps: number[] }>): TensorInfo {
  const { x } = inputs;
  const { reps } = attrs;
  if (x.dtype === 'string') {
    throw new Error('Tile (wasm, GAN Studio kernel): string tensors are not supported; tile them on the cpu backend');
  }
  const rank = x.shape.length;
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  if (rank === 0) {
    (backend.typedArrayFromHeap(out) as Float32Array).set(backend.typedArrayFromHeap(x));
    return out;
  }
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const inStrides = util.computeStrides(x.shape).concat(1);
  const outStrides = util.computeStrides(outShape).concat(1);
  const fill = (axis: number, inOff: number, outOff: number): void => {
    const d = x.shape[axis];
    if (axis === rank - 1) {
      dst.set(src.subarray(inOff, inOff + d), outOff);
    } else {
      for (let i = 0; i < d; i++) fill(axis + 1, inOff + i * inStrides[axis], outOff + i * outStrides[axis]);
    }
    const block = d * outStrides[axis];
    const total = block * reps[axis];
    for (let filled = block; filled < total; ) {
      const n = Math.min(filled, total - filled);
      dst.copyWithin(outOff + filled, outOff, outOff + n);
      filled += n;
    }
  };
  fill(0, 0, 0);
  return out;
}

/**
 * Sum / Mean when the reduced axes are the leading ones ([0, k)): out[c] = Σ_r x[r·inner + c], r in
 * order, each partial rounded to float32 as the stock C loop does (a Float32Array store after a
 * double add of two floats rounds exactly like a float add). Anything else goes to the stock kernel.
 */
function leadingAxesReduction(name: 'Sum' | 'Mean') {
  return (stockConfig: KernelConfig | undefined): KernelConfig => {
    const base = stockOrThrow(name, stockConfig);
    const kernelFunc = ({ inputs, backend, attrs }: KernelArgs<{ x: TensorInfo }, { axis: number | number[]; keepDims: boolean }>) => {
      const { x } = inputs;
      const shape = x.shape;
      const axes = util.parseAxisParam(attrs.axis, shape).sort((a, b) => a - b);
      const k = axes.length;
      const leading = k > 0 && k < shape.length && axes.every((a, i) => a === i);
      if (!leading || x.dtype !== 'float32' || util.sizeFromShape(shape) === 0) return runConfig(base, backend, inputs, attrs);
      const rows = util.sizeFromShape(shape.slice(0, k));
      const inner = util.sizeFromShape(shape.slice(k));
      const outShape = attrs.keepDims ? shape.map((d, i) => (i < k ? 1 : d)) : shape.slice(k);
      const out = backend.makeOutput(outShape, 'float32');
      const src = backend.typedArrayFromHeap(x) as Float32Array;
      const dst = backend.typedArrayFromHeap(out) as Float32Array;
      const loops = loopsOf(backend);
      if (loops) {
        dst.fill(0);
        loops.columnSums(src.byteOffset, dst.byteOffset, rows, inner);
      } else {
        dst.set(columnSums(src, rows, inner));
      }
      if (name === 'Mean') {
        for (let c = 0; c < inner; c++) dst[c] /= rows;
      }
      return out;
    };
    return { ...base, kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc'] };
  };
}

/**
 * Σ_r x[r·inner + c] per column c, each partial rounded to float32, rows in order. Four columns
 * per pass in locals: half the time of a row loop over a Float32Array of partials (2.1 against
 * 4 ns per value), with the same roundings in the same order.
 */
function columnSums(src: Float32Array, rows: number, inner: number): Float32Array {
  const acc = new Float32Array(inner);
  const end = rows * inner;
  let c = 0;
  for (; c + 3 < inner; c += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let o = c; o < end; o += inner) {
      s0 = Math.fround(s0 + src[o]);
      s1 = Math.fround(s1 + src[o + 1]);
      s2 = Math.fround(s2 + src[o + 2]);
      s3 = Math.fround(s3 + src[o + 3]);
    }
    acc[c] = s0;
    acc[c + 1] = s1;
    acc[c + 2] = s2;
    acc[c + 3] = s3;
  }
  for (; c < inner; c++) {
    let sum = 0;
    for (let o = c; o < end; o += inner) sum = Math.fround(sum + src[o]);
    acc[c] = sum;
  }
  return acc;
}

function identity({ inputs, backend }: KernelArgs<{ x: TensorInfo }, object>): TensorInfo {
  backend.incRef(inputs.x.dataId);
  return { dataId: inputs.x.dataId, shape: inputs.x.shape, dtype: inputs.x.dtype };
}

function leakyRelu(stockConfig: KernelConfig | undefined): KernelConfig {
  const base = stockOrThrow('LeakyRelu', stockConfig);
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs<{ x: TensorInfo }, LeakyReluAttrs>) => {
    if (inputs.x.dtype !== 'float32') return runConfig(base, backend, inputs, attrs);
    const loops = loopsOf(backend);
    if (loops && util.sizeFromShape(inputs.x.shape) > 0) {
      const out = backend.makeOutput(inputs.x.shape, 'float32');
      loops.leakyRelu(heapOffset(backend, inputs.x), heapOffset(backend, out), util.sizeFromShape(inputs.x.shape), attrs.alpha);
      return out;
    }
    // x·step(x, α): x for x > 0, α·x otherwise; exact, with no rounding beyond the stock kernel's.
    return timesStep(backend, inputs.x, inputs.x, attrs.alpha);
  };
  return { ...base, kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc'] };
}

/**
 * The derivative of LeakyRelu is step(x, α). On wasm, dy·step(x, α) is one kernel of ours
 * (LEAKY_RELU_GRAD: one SIMD pass, or Step then Multiply without the loops) instead of
 * Greater + Select (two scalar loops); other backends keep tfjs-core's formulation.
 * Gradients are global, so this is registered for every backend and picks per call.
 */
const leakyReluGrad: GradConfig = {
  kernelName: 'LeakyRelu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { alpha } = attrs as unknown as LeakyReluAttrs;
    const d = dy as tf.Tensor;
    if (tf.getBackend() === WASM) return { x: () => tf.engine().runKernel<tf.Tensor>(LEAKY_RELU_GRAD, { dy: d, x }, { alpha }) };
    return { x: () => tf.where(tf.greater(x, 0), d, tf.mul(d, alpha)) };
  },
};

/** dy·step(x, α) on wasm: the LeakyRelu gradient as one kernel. */
export const LEAKY_RELU_GRAD = 'GanStudioLeakyReluGrad';

function leakyReluGradKernel({ inputs, backend, attrs }: KernelArgs<{ dy: TensorInfo; x: TensorInfo }, LeakyReluAttrs>): TensorInfo {
  const { dy, x } = inputs;
  const loops = loopsOf(backend);
  if (loops && dy.dtype === 'float32' && x.dtype === 'float32' && util.arraysEqual(dy.shape, x.shape) && util.sizeFromShape(x.shape) > 0) {
    const out = backend.makeOutput(x.shape, 'float32');
    loops.leakyReluGrad(heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, out), util.sizeFromShape(x.shape), attrs.alpha);
    return out;
  }
  return timesStep(backend, dy, x, attrs.alpha);
}

/** v·step(x, α) with the stock Step and Multiply kernels: LeakyRelu (v = x) and its gradient (v = dy) without the loops. */
function timesStep(backend: WasmBackendLike, v: TensorInfo, x: TensorInfo, alpha: number): TensorInfo {
  const slope = run(backend, 'Step', { x }, { alpha });
  const out = run(backend, 'Multiply', { a: v, b: slope });
  release(backend, slope);
  return out;
}

/**
 * Its own gradient, for a gradient penalty (WGAN-GP differentiates D's input gradient again):
 * linear in dy with slope step(x, α), and step's derivative in x is zero.
 */
const leakyReluGradGrad: GradConfig = {
  kernelName: LEAKY_RELU_GRAD,
  inputsToSave: ['x'],
  gradFunc: (ddy, saved, attrs) => {
    const [x] = saved;
    return {
      dy: () => tf.engine().runKernel<tf.Tensor>(LEAKY_RELU_GRAD, { dy: ddy as tf.Tensor, x }, attrs),
      x: () => tf.zerosLike(x),
    };
  },
};

/**
 * FusedBatchNorm with per-channel mean, variance, offset and scale (what batch-norm layers pass):
 * the SIMD loop, with √(variance + ε) per channel computed here once as the stock kernel does.
 * Anything else, or no loops, goes to the stock kernel.
 */
function fusedBatchNorm(stockConfig: KernelConfig | undefined): KernelConfig {
  const base = stockOrThrow('FusedBatchNorm', stockConfig);
  type Inputs = { x: TensorInfo; mean: TensorInfo; variance: TensorInfo; offset?: TensorInfo | null; scale?: TensorInfo | null };
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs<Inputs, { varianceEpsilon: number }>) => {
    const { x, mean, variance, offset, scale } = inputs;
    const channels = x.shape[x.shape.length - 1] ?? 0;
    const size = util.sizeFromShape(x.shape);
    const perChannel = (t: TensorInfo | null | undefined): t is TensorInfo => !!t && t.dtype === 'float32' && util.sizeFromShape(t.shape) === channels;
    const loops = loopsOf(backend);
    if (!loops || x.dtype !== 'float32' || channels === 0 || size === 0 || size % channels !== 0 || ![mean, variance, offset, scale].every(perChannel)) {
      return runConfig(base, backend, inputs, attrs);
    }
    const norm = backend.makeOutput([channels], 'float32');
    const out = backend.makeOutput(x.shape, 'float32');
    const v = backend.typedArrayFromHeap(variance) as Float32Array;
    const nf = backend.typedArrayFromHeap(norm) as Float32Array;
    const eps = Math.fround(attrs.varianceEpsilon);
    // √ of a float32 sum, rounded to float32: sqrt(variance[i] + variance_epsilon) of the C kernel.
    for (let c = 0; c < channels; c++) nf[c] = Math.sqrt(Math.fround(v[c] + eps));
    loops.batchNorm(heapOffset(backend, x), heapOffset(backend, out), heapOffset(backend, mean), heapOffset(backend, scale as TensorInfo), nf.byteOffset, heapOffset(backend, offset as TensorInfo), size / channels, channels);
    release(backend, norm);
    return out;
  };
  return { ...base, kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc'] };
}

export function registerWasmGenericKernels(): void {
  replaceWasmKernel('BatchMatMul', matMulWithoutTransposes('BatchMatMul'));
  replaceWasmKernel('_FusedMatMul', matMulWithoutTransposes('_FusedMatMul'));
  replaceWasmKernel('Sum', leadingAxesReduction('Sum'));
  replaceWasmKernel('Mean', leadingAxesReduction('Mean'));
  replaceWasmKernel('Tile', () => ({ kernelName: 'Tile', backendName: WASM, kernelFunc: tile as unknown as KernelConfig['kernelFunc'] }));
  replaceWasmKernel('LeakyRelu', leakyRelu);
  replaceWasmKernel('Identity', () => ({ kernelName: 'Identity', backendName: WASM, kernelFunc: identity as unknown as KernelConfig['kernelFunc'] }));
  replaceWasmKernel('FusedBatchNorm', fusedBatchNorm);
  replaceWasmKernel(LEAKY_RELU_GRAD, () => ({ kernelName: LEAKY_RELU_GRAD, backendName: WASM, kernelFunc: leakyReluGradKernel as unknown as KernelConfig['kernelFunc'] }));
  registerGradient(leakyReluGrad);
  registerGradient(leakyReluGradGrad);
}
