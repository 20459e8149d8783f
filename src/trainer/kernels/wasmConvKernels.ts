/**
 * Convolution gradient kernels for the wasm backend.
 *
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` (a conv net cannot train at all) and its
 * `Conv2DBackpropInput` (every conv's input gradient, and all of conv2dTranspose) is a scalar C
 * loop. Both are rebuilt here so that every multiply-add runs in XNNPACK's Conv2D and none
 * multiplies a zero that the stride inserted; the rest is memory moves.
 *
 * Measured on the reference DCGAN shapes (2-core Debian VM, min of 30, see bench.ts):
 * dy [64,7,7,64] → dx [64,14,14,32], 5×5 s2: stock ≈ 1 s; dilated dy (stride-1 conv over zeros)
 * ≈ 60 ms; one sub-pixel conv 22 ms; per-phase convs + interleave 16.6 ms; matMul + col2im 19 ms;
 * the forward conv of the same size 13 ms.
 */
import { backend_util, Conv2DBackpropFilter, Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, Conv2DBackpropInputAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { installLazyFusedGradients } from './lazyFusedGradients';
import { registerWasmGenericKernels, replaceWasmKernel } from './wasmGenericKernels';
import { type KernelArgs, release, reshape, run, transpose, WASM, type WasmBackendLike } from './wasmKernelCalls';

type ConvAttrs = Pick<Conv2DBackpropInputAttrs, 'strides' | 'pad' | 'dataFormat' | 'dimRoundingMode'>;

/**
 * Below this many input channels a per-phase conv has too few output channels for XNNPACK's
 * tiles (dx with 1 channel: 10 ms per-phase against 2.4 ms as one sub-pixel conv).
 */
const MIN_CHANNELS_PER_PHASE = 8;

function convInfo(kernel: string, xShape: number[], filterShape: number[], attrs: ConvAttrs): backend_util.Conv2DInfo {
  if (attrs.dataFormat !== 'NHWC') {
    throw new Error(`${kernel} (wasm, GAN Studio kernel): only NHWC is supported, got dataFormat '${attrs.dataFormat}'`);
  }
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/**
 * Conv2D with explicit padding [top, bottom, left, right]. A negative pad means the conv reads
 * fewer rows than x has; XNNPACK takes only non-negative pads, so x is cropped first.
 */
function conv2dPadded(
  backend: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  [top, bottom, left, right]: [number, number, number, number],
  dilations: [number, number] = [1, 1],
): TensorInfo {
  let input = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = x.shape;
    const cropTop = Math.max(0, -top);
    const cropLeft = Math.max(0, -left);
    const size = [n, h - cropTop - Math.max(0, -bottom), w - cropLeft - Math.max(0, -right), c];
    input = run(backend, 'Slice', { x }, { begin: [0, cropTop, cropLeft, 0], size });
  }
  const pad = [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]];
  const out = run(backend, 'Conv2D', { x: input, filter }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined });
  if (input !== x) release(backend, input);
  return out;
}

/**
 * The sub-pixel (phase) split of a transposed convolution along one spatial axis.
 *
 * Forward: y[o] = Σ_i x[o·s + i − p]·f[i]. So dx[h] = Σ_{o·s + i = h + p} dy[o]·f[i]. Write
 * h = s·a + ρ: phase ρ only sees taps i = r_ρ + s·t (r_ρ = (ρ+p) mod s), each reading
 * dy[a + c_ρ − t] (c_ρ = ⌊(ρ+p)/s⌋). Every phase is thus a stride-1 correlation of dy with a
 * reversed sub-filter, and all of them read dy within one window of offsets [dMin, dMax] around a.
 */
interface PhaseAxis {
  stride: number;
  /** Positions in the shared dy window. */
  window: number;
  /** tap[u][ρ]: the filter index phase ρ applies at window position u, or −1. */
  tap: number[][];
  /** Output rows of each phase: ⌈size / s⌉ (the last may overhang the input and is dropped). */
  rowsPerPhase: number;
  /** dy padding that makes output row a read window positions a..a+window−1. */
  padBefore: number;
  padAfter: number;
}

function phaseAxis(size: number, outSize: number, kernel: number, stride: number, pad: number): PhaseAxis {
  let dMin = Infinity;
  let dMax = -Infinity;
  const phases: { c: number; r: number; taps: number }[] = [];
  for (let rho = 0; rho < stride; rho++) {
    const r = (rho + pad) % stride;
    const c = Math.floor((rho + pad) / stride);
    const taps = r < kernel ? Math.ceil((kernel - r) / stride) : 0;
    phases.push({ c, r, taps });
    if (taps > 0) {
      dMin = Math.min(dMin, c - taps + 1);
      dMax = Math.max(dMax, c);
    }
  }
  const window = dMax - dMin + 1;
  const tap: number[][] = [];
  for (let u = 0; u < window; u++) {
    tap.push(
      phases.map(({ c, r, taps }) => {
        const t = c - (u + dMin);
        return t >= 0 && t < taps ? r + stride * t : -1;
      }),
    );
  }
  const rowsPerPhase = Math.ceil(size / stride);
  return { stride, window, tap, rowsPerPhase, padBefore: -dMin, padAfter: rowsPerPhase + dMax - outSize };
}

/** Window positions where phase ρ has a tap: a contiguous range. */
function usedPositions(axis: PhaseAxis, rho: number): number[] {
  return axis.tap.flatMap((taps, u) => (taps[rho] >= 0 ? [u] : []));
}

/**
 * Gathers filter taps into a conv filter [rows, cols, co, phases·ci]: entry (u, v, o, k·ci + c)
 * is f[index(u, v, k), c, o], with index −1 meaning zero. A plain copy loop on the heap: the filter
 * is small, and going through PadV2 + GatherV2 + Transpose cost 2.5 ms a call (a fifth of a DCGAN
 * transposed conv) where this takes well under one.
 */
function gatherFilter(backend: WasmBackendLike, filter: TensorInfo, rows: number, cols: number, phases: number, index: (u: number, v: number, k: number) => number): TensorInfo {
  const [, , ci, co] = filter.shape;
  const out = backend.makeOutput([rows, cols, co, phases * ci], 'float32');
  // Views after the last allocation: the heap may have grown.
  const src = backend.typedArrayFromHeap(filter) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const tapSize = ci * co;
  let d = 0;
  for (let u = 0; u < rows; u++) {
    for (let v = 0; v < cols; v++) {
      for (let o = 0; o < co; o++) {
        for (let k = 0; k < phases; k++) {
          const i = index(u, v, k);
          if (i < 0) {
            dst.fill(0, d, d + ci);
            d += ci;
            continue;
          }
          for (let c = 0, at = i * tapSize + o; c < ci; c++, at += co) dst[d++] = src[at];
        }
      }
    }
  }
  return out;
}

/**
 * All phases in one stride-1 conv: output channel (ρh, ρw, ci). Taps a phase lacks are zeros,
 * so this multiplies ⌈k/s⌉²·s²/k² as much as needed (1.44× for 5×5 s2, 1× when s divides k).
 * Returns [n, ah·sh, aw·sw, ci], possibly larger than dx.
 */
function subPixel(backend: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, rows: PhaseAxis, cols: PhaseAxis, ci: number): TensorInfo {
  const [sh, sw] = [rows.stride, cols.stride];
  const kw = filter.shape[1];
  const f = gatherFilter(backend, filter, rows.window, cols.window, sh * sw, (u, v, k) => {
    const i = rows.tap[u][Math.floor(k / sw)];
    const j = cols.tap[v][k % sw];
    return i < 0 || j < 0 ? -1 : i * kw + j;
  });
  const phased = conv2dPadded(backend, dy, f, [rows.padBefore, rows.padAfter, cols.padBefore, cols.padAfter]);
  release(backend, f);
  if (sh === 1 && sw === 1) return phased;
  const n = dy.shape[0];
  const [ah, aw] = [rows.rowsPerPhase, cols.rowsPerPhase];
  // Depth-to-space: [n, ah, aw, sh, sw, ci] → [n, ah, sh, aw, sw, ci].
  const p6 = reshape(backend, phased, [n, ah, aw, sh, sw, ci]);
  const t = transpose(backend, p6, [0, 1, 3, 2, 4, 5]);
  const out = reshape(backend, t, [n, ah * sh, aw * sw, ci]);
  release(backend, phased, p6, t);
  return out;
}

/**
 * One exact conv per phase, written straight into dx's interleaved rows and columns. No zero
 * taps, at the cost of s² smaller convs; the copy is one pass over dx.
 */
function perPhase(backend: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, rows: PhaseAxis, cols: PhaseAxis, xShape: number[]): TensorInfo {
  const [sh, sw] = [rows.stride, cols.stride];
  const kw = filter.shape[1];
  const phases: { out: TensorInfo; rh: number; rw: number }[] = [];
  for (let rh = 0; rh < sh; rh++) {
    const us = usedPositions(rows, rh);
    for (let rw = 0; rw < sw; rw++) {
      const vs = usedPositions(cols, rw);
      if (us.length === 0 || vs.length === 0) continue; // kernel < stride: this phase of dx is zero
      const f = gatherFilter(backend, filter, us.length, vs.length, 1, (u, v) => rows.tap[us[u]][rh] * kw + cols.tap[vs[v]][rw]);
      const pads: [number, number, number, number] = [
        rows.padBefore - us[0],
        rows.padAfter - (rows.window - 1 - us[us.length - 1]),
        cols.padBefore - vs[0],
        cols.padAfter - (cols.window - 1 - vs[vs.length - 1]),
      ];
      phases.push({ out: conv2dPadded(backend, dy, f, pads), rh, rw });
      release(backend, f);
    }
  }
  const [n, h, w, ci] = xShape;
  const dx = backend.makeOutput(xShape, 'float32');
  const dst = backend.typedArrayFromHeap(dx) as Float32Array;
  if (phases.length < sh * sw) dst.fill(0);
  // Each output pixel's ci channels are contiguous on both sides: one memmove per pixel on the
  // shared heap (an element loop took ~9 ns per value).
  const heap = new Float32Array(dst.buffer);
  const dstBase = dst.byteOffset >> 2;
  for (const { out, rh, rw } of phases) {
    const srcBase = (backend.typedArrayFromHeap(out) as Float32Array).byteOffset >> 2;
    const [, ah, aw] = out.shape;
    const rowsHere = Math.min(ah, Math.ceil((h - rh) / sh));
    const colsHere = Math.min(aw, Math.ceil((w - rw) / sw));
    const step = sw * ci;
    for (let b = 0; b < n; b++) {
      for (let a = 0; a < rowsHere; a++) {
        let q = srcBase + (b * ah + a) * aw * ci;
        let o = dstBase + ((b * h + a * sh + rh) * w + rw) * ci;
        for (let c = 0; c < colsHere; c++, q += ci, o += step) heap.copyWithin(o, q, q + ci);
      }
    }
    release(backend, out);
  }
  return dx;
}

/** dx = Conv2DBackpropInput(dy, filter): conv2d's input gradient, and conv2dTranspose itself. */
function conv2dBackpropInput({ inputs, backend, attrs }: KernelArgs<{ dy: TensorInfo; filter: TensorInfo }, Conv2DBackpropInputAttrs>): TensorInfo {
  const { dy, filter } = inputs;
  const info = convInfo(Conv2DBackpropInput, attrs.inputShape, filter.shape, attrs);
  const [n, h, w, ci] = attrs.inputShape;
  const rows = phaseAxis(h, info.outHeight, info.filterHeight, info.strideHeight, info.padInfo.top);
  const cols = phaseAxis(w, info.outWidth, info.filterWidth, info.strideWidth, info.padInfo.left);
  const phases = rows.stride * cols.stride;
  const zeroTaps = rows.window * cols.window * phases > info.filterHeight * info.filterWidth;
  if (phases > 1 && zeroTaps && ci >= MIN_CHANNELS_PER_PHASE) {
    return perPhase(backend, dy, filter, rows, cols, attrs.inputShape);
  }
  const full = subPixel(backend, dy, filter, rows, cols, ci);
  if (full.shape[1] === h && full.shape[2] === w) return full;
  const out = run(backend, 'Slice', { x: full }, { begin: [0, 0, 0, 0], size: [n, h, w, ci] });
  release(backend, full);
  return out;
}

/**
 * dW = Conv2DBackpropFilter(x, dy) by the dilated-convolution identity:
 * dW[i,j,ci,co] = Σ_{n,oh,ow} x[n, oh·s+i−pt, ow·s+j−pl, ci]·dy[n,oh,ow,co] is a conv of x seen
 * as [ci, H, W, n] (batch ci, channels n) with dy seen as a filter [oh, ow, n, co] dilated by the
 * stride. Dilation skips input pixels; it never multiplies zeros. (An im2col + matMul version
 * measured slower: its transposed patch matrix costs as much as the conv.)
 */
function conv2dBackpropFilter({ inputs, backend, attrs }: KernelArgs<{ x: TensorInfo; dy: TensorInfo }, Conv2DBackpropFilterAttrs>): TensorInfo {
  const { x, dy } = inputs;
  const info = convInfo(Conv2DBackpropFilter, x.shape, attrs.filterShape, attrs);
  const [kh, kw] = attrs.filterShape;
  const [, h, w] = x.shape;
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const { top, left } = info.padInfo;
  // The conv must give exactly kh × kw outputs: it reads kh + (oh−1)·s padded rows.
  const bottom = kh + (info.outHeight - 1) * sh - h - top;
  const right = kw + (info.outWidth - 1) * sw - w - left;
  const xT = transpose(backend, x, [3, 1, 2, 0]); // [ci, h, w, n]
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [oh, ow, n, co]
  const g = conv2dPadded(backend, xT, dyT, [top, bottom, left, right], [sh, sw]); // [ci, kh, kw, co]
  release(backend, xT, dyT);
  const out = transpose(backend, g, [1, 2, 0, 3]);
  release(backend, g);
  return out;
}

/**
 * Installs our wasm kernels: the two conv gradients here and the generic ones of
 * wasmGenericKernels.ts, plus the lazy fused-op gradients of lazyFusedGradients.ts (engine-wide:
 * the same gradients bit for bit, minus the ones nobody asked for). Call after
 * `@tensorflow/tfjs-backend-wasm` (and tfjs-layers, whose node build registers gradients on
 * import) have been imported, since the wasm module registers its own kernels on load; calling
 * again is harmless.
 */
export function registerWasmConvKernels(): void {
  const config = (kernelName: string, kernelFunc: unknown): KernelConfig => ({
    kernelName,
    backendName: WASM,
    kernelFunc: kernelFunc as KernelConfig['kernelFunc'],
  });
  replaceWasmKernel(Conv2DBackpropInput, () => config(Conv2DBackpropInput, conv2dBackpropInput));
  replaceWasmKernel(Conv2DBackpropFilter, () => config(Conv2DBackpropFilter, conv2dBackpropFilter));
  registerWasmGenericKernels();
  installLazyFusedGradients();
}
