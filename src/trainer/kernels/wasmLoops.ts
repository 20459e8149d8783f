/**
 * Memory-bound kernels of a GAN step as 128-bit SIMD loops in tfjs-backend-wasm's own memory
 * (assembled with wasmAsm.ts; see wasmAdam.ts for the same idea on Adam). On the reference DCGAN
 * step these passes were about a fifth of the kernel time, run as scalar C or JS loops:
 *
 * - leakyRelu: x > 0 ? x : x·α in one pass (was Step then Multiply, two passes);
 * - leakyReluGrad: x > 0 ? dy : dy·α, NaN where x is NaN, in one pass (was Step then Multiply);
 * - columnSums: Σ_r x[r, c] for every column c, the rows in order (Sum and Mean over leading axes:
 *   every bias and batch-norm gradient, batch norm's moments);
 * - weightedColumnSums: Σ_r x[r, c]·w[r], a matrix-vector product Aᵀ·b (a dense layer's weight
 *   gradient with one output or one input), which XNNPACK runs 8× padded after a transpose;
 * - batchNorm: offset + ((x − mean)·scale) / √(variance + ε) per channel (FusedBatchNorm), with
 *   the stock kernel's own mix of float and double precision (see batchNorm below).
 *
 * Each lane does what the stock kernel does to its element, in the same order, in float32 (wasm
 * never fuses a multiply and an add), so every result is bit for bit the stock one; the tests
 * compare them on the wasm backend.
 */
import { assemble, at, block, br, brIf, elementwise, end, f32, f32x4, F32, f64, f64x2, get, I32, i32, instanceFor, loop, loopUpTo, select, set, shuffle, tee, V128, v128, type WasmFunction, type WasmModuleLike } from './wasmAsm';

export interface WasmLoops {
  /** out = x > 0 ? x : x·α over n floats. Byte offsets. */
  leakyRelu(x: number, out: number, n: number, alpha: number): void;
  /** out = x > 0 ? dy : dy·α (NaN where x is NaN) over n floats. */
  leakyReluGrad(dy: number, x: number, out: number, n: number, alpha: number): void;
  /** dst[c] += Σ_r src[r·inner + c], rows in order; dst holds `inner` floats (zeros for a sum). */
  columnSums(src: number, dst: number, rows: number, inner: number): void;
  /** dst[c] += Σ_r src[r·inner + c]·w[r], rows in order, each product added as a GEMM adds it. */
  weightedColumnSums(src: number, w: number, dst: number, rows: number, inner: number): void;
  /** out[r, c] = offset[c] + ((x[r, c] − mean[c])·scale[c]) / norm[c] (the last two in double), rows × channels floats. */
  batchNorm(x: number, out: number, mean: number, scale: number, norm: number, offset: number, rows: number, channels: number): void;
}

const f32Zero = [0x43, 0, 0, 0, 0];

function leakyRelu(): WasmFunction {
  const [X, OUT, N, ALPHA] = [0, 1, 2, 3];
  const [I, VEND, END] = [4, 5, 6];
  const [VA, VX] = [7, 8];
  const SX = 9;
  const body = (vector: boolean): number[] =>
    vector
      ? // bitselect(x, x·α, x > 0)
        [...at(OUT, I), ...at(X, I), ...v128.load, ...tee(VX), ...get(VX), ...get(VA), ...f32x4.mul, ...get(VX), ...v128.zero, ...f32x4.gt, ...v128.bitselect, ...v128.store]
      : [...at(OUT, I), ...at(X, I), ...f32.load, ...tee(SX), ...get(SX), ...get(ALPHA), ...f32.mul, ...get(SX), ...f32Zero, ...f32.gt, ...select, ...f32.store];
  return {
    name: 'leakyRelu',
    params: [I32, I32, I32, F32],
    locals: [[3, I32], [2, V128], [1, F32]],
    code: [...get(ALPHA), ...f32x4.splat, ...set(VA), ...elementwise(N, I, VEND, END, body)],
  };
}

function leakyReluGrad(): WasmFunction {
  const [DY, X, OUT, N, ALPHA] = [0, 1, 2, 3, 4];
  const [I, VEND, END] = [5, 6, 7];
  const [VA, VX, VD] = [8, 9, 10];
  const [SX, SD] = [11, 12];
  const body = (vector: boolean): number[] => {
    const [load, x, d, a, mul, gt, zero, ne, choose, store] = vector
      ? [v128.load, VX, VD, VA, f32x4.mul, f32x4.gt, v128.zero, f32x4.ne, v128.bitselect, v128.store]
      : [f32.load, SX, SD, ALPHA, f32.mul, f32.gt, f32Zero, f32.ne, select, f32.store];
    return [
      ...at(OUT, I),
      ...at(X, I), ...load, ...set(x),
      // choose(x, choose(dy, dy·α, x > 0), x ≠ x): NaN stays NaN, as dy·step(x, α) has it.
      ...get(x),
      ...at(DY, I), ...load, ...tee(d), ...get(d), ...get(a), ...mul, ...get(x), ...zero, ...gt, ...choose,
      ...get(x), ...get(x), ...ne, ...choose,
      ...store,
    ];
  };
  return {
    name: 'leakyReluGrad',
    params: [I32, I32, I32, I32, F32],
    locals: [[3, I32], [3, V128], [2, F32]],
    code: [...get(ALPHA), ...f32x4.splat, ...set(VA), ...elementwise(N, I, VEND, END, body)],
  };
}

/** `for (P = 0; P < TOTAL; P += ROWB) { row }` over the rows of a row-major array, by byte offset. */
function rows(P: number, TOTAL: number, ROWB: number, row: number[]): number[] {
  return [
    ...i32.const(0), ...set(P),
    ...block, ...loop, ...get(P), ...get(TOTAL), ...i32.geU, ...brIf(1),
    ...row,
    ...get(P), ...get(ROWB), ...i32.add, ...set(P), ...br(0), ...end, ...end,
  ];
}

/** Over one row's columns by byte offset C: four at a time up to VECB, then one at a time up to ROWB. */
function columns(C: number, VECB: number, ROWB: number, vector: number[], scalar: number[]): number[] {
  return [...i32.const(0), ...set(C), ...loopUpTo(C, VECB, 16, vector), ...loopUpTo(C, ROWB, 4, scalar)];
}

/** ROWB = channels·4, VECB = (channels & ~3)·4, TOTAL = rows·ROWB. */
function rowGeometry(ROWS: number, CH: number, ROWB: number, VECB: number, TOTAL: number): number[] {
  return [
    ...get(CH), ...i32.const(2), ...i32.shl, ...set(ROWB),
    ...get(CH), ...i32.const(-4), ...i32.and, ...i32.const(2), ...i32.shl, ...set(VECB),
    ...get(ROWS), ...get(ROWB), ...i32.mul, ...set(TOTAL),
  ];
}

function columnSums(): WasmFunction {
  const [SRC, DST, ROWS, INNER] = [0, 1, 2, 3];
  const [P, C, ROWB, VECB, TOTAL] = [4, 5, 6, 7, 8];
  const add = (vector: boolean): number[] => {
    const [load, store, plus] = vector ? [v128.load, v128.store, f32x4.add] : [f32.load, f32.store, f32.add];
    return [...at(DST, C), ...at(DST, C), ...load, ...get(SRC), ...get(P), ...i32.add, ...get(C), ...i32.add, ...load, ...plus, ...store];
  };
  return {
    name: 'columnSums',
    params: [I32, I32, I32, I32],
    locals: [[5, I32]],
    code: [
      ...rowGeometry(ROWS, INNER, ROWB, VECB, TOTAL),
      ...rows(P, TOTAL, ROWB, columns(C, VECB, ROWB, add(true), add(false))),
    ],
  };
}

function weightedColumnSums(): WasmFunction {
  const [SRC, W, DST, ROWS, INNER] = [0, 1, 2, 3, 4];
  const [P, C, ROWB, VECB, TOTAL, WP] = [5, 6, 7, 8, 9, 10];
  const VW = 11;
  const SW = 12;
  // dst[c] = dst[c] + src[r, c]·w[r]: the order of a GEMM's multiply-then-accumulate.
  const add = (vector: boolean): number[] => {
    const [load, store, plus, times, w] = vector ? [v128.load, v128.store, f32x4.add, f32x4.mul, VW] : [f32.load, f32.store, f32.add, f32.mul, SW];
    return [...at(DST, C), ...at(DST, C), ...load, ...get(SRC), ...get(P), ...i32.add, ...get(C), ...i32.add, ...load, ...get(w), ...times, ...plus, ...store];
  };
  return {
    name: 'weightedColumnSums',
    params: [I32, I32, I32, I32, I32],
    locals: [[6, I32], [1, V128], [1, F32]],
    code: [
      ...rowGeometry(ROWS, INNER, ROWB, VECB, TOTAL),
      ...get(W), ...set(WP),
      ...rows(P, TOTAL, ROWB, [
        ...get(WP), ...f32.load, ...tee(SW), ...f32x4.splat, ...set(VW),
        ...get(WP), ...i32.const(4), ...i32.add, ...set(WP),
        ...columns(C, VECB, ROWB, add(true), add(false)),
      ]),
    ],
  };
}

/**
 * The stock kernel (tfjs-backend-wasm 4.22, as compiled) rounds (x − mean)·scale to float32, then
 * divides by the float32 norm and adds the offset in double precision, rounding once at the end
 * (found by comparing candidate orders against it on 111 000 values: only this one matches all).
 * So the vector path splits its four lanes into two f64x2 halves for the division and the add.
 */
function batchNorm(): WasmFunction {
  const [X, OUT, MEAN, SCALE, NORM, OFFSET, ROWS, CH] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [P, C, ROWB, VECB, TOTAL] = [8, 9, 10, 11, 12];
  const [Q, VN, VO] = [13, 14, 15];
  const inRow = (base: number) => [...get(base), ...get(P), ...i32.add, ...get(C), ...i32.add];
  const low = [0, 1, 2, 3, 4, 5, 6, 7];
  const high = [8, 9, 10, 11, 12, 13, 14, 15];
  /** offset + q / norm in double for two lanes: the low ones, or the high ones moved down. */
  const half = (upper: boolean): number[] => {
    const lanes = (v: number) => (upper ? [...get(v), ...get(v), ...shuffle([...high, ...low])] : get(v));
    return [...lanes(VO), ...f64x2.promoteLow, ...lanes(Q), ...f64x2.promoteLow, ...lanes(VN), ...f64x2.promoteLow, ...f64x2.div, ...f64x2.add, ...f32x4.demoteZero];
  };
  const vector = [
    ...inRow(OUT),
    ...inRow(X), ...v128.load, ...at(MEAN, C), ...v128.load, ...f32x4.sub, ...at(SCALE, C), ...v128.load, ...f32x4.mul, ...set(Q),
    ...at(NORM, C), ...v128.load, ...set(VN),
    ...at(OFFSET, C), ...v128.load, ...set(VO),
    ...half(false), ...half(true), ...shuffle([...low, 16, 17, 18, 19, 20, 21, 22, 23]),
    ...v128.store,
  ];
  const scalar = [
    ...inRow(OUT),
    ...at(OFFSET, C), ...f32.load, ...f64.promote,
    ...inRow(X), ...f32.load, ...at(MEAN, C), ...f32.load, ...f32.sub, ...at(SCALE, C), ...f32.load, ...f32.mul, ...f64.promote,
    ...at(NORM, C), ...f32.load, ...f64.promote,
    ...f64.div, ...f64.add, ...f32.demote,
    ...f32.store,
  ];
  return {
    name: 'batchNorm',
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    locals: [[5, I32], [3, V128]],
    code: [
      ...rowGeometry(ROWS, CH, ROWB, VECB, TOTAL),
      ...rows(P, TOTAL, ROWB, columns(C, VECB, ROWB, vector, scalar)),
    ],
  };
}

let bytes: Uint8Array | undefined;
const instances = new WeakMap<object, WasmLoops | null>();

/** The loops bound to a backend's memory, or undefined where they cannot be (callers keep their JS or stock path). */
export function wasmLoopsFor(module: WasmModuleLike | undefined): WasmLoops | undefined {
  return instanceFor(module, () => (bytes ??= assemble([leakyRelu(), leakyReluGrad(), columnSums(), weightedColumnSums(), batchNorm()])), instances);
}
