/**
 * The fused Adam update (kernels/fusedAdam.ts) as a 128-bit SIMD loop inside tfjs-backend-wasm's
 * own memory: a module of one function, assembled here from its opcodes, that imports the
 * backend's WebAssembly.Memory and updates four floats per instruction where the JS loop does one
 * (13 ns per element in JS: with three float divisions and a square root per element, scalar code
 * is what the DCGAN's 310 000 parameters cost in the serial part of a two-worker step).
 *
 * Each lane computes exactly what the stock kernels compute, in the same order and in float32
 * (wasm never contracts a multiply and an add into an FMA), so the results are bit for bit those of
 * tfjs's AdamOptimizer; test/unit/fusedAdam.test.ts checks it on the wasm backend.
 *
 * The function, in the text format:
 *   (func (param $x $m $v $g $ox $om $ov $n i32) (param $b1 $c1 $b2 $c2 $d1 $d2 $eps $nlr f32)
 *     ;; byte offsets; four lanes at a time up to n & ~3, then one at a time
 *     m' = m·b1 + g·c1;  v' = v·b2 + (g·g)·c2;  x' = ((m'/d1) / (sqrt(v'/d2) + eps))·nlr + x)
 */
import type { AdamConstants } from './fusedAdam';
import { assemble, at, elementwise, f32, f32x4, F32, get, I32, instanceFor, set, V128, v128, type WasmModuleLike } from './wasmAsm';

export type { WasmModuleLike } from './wasmAsm';

type AdamFunction = (x: number, m: number, v: number, g: number, ox: number, om: number, ov: number, n: number, ...c: number[]) => void;

// Parameters 0–7 are i32 (byte offsets of x, m, v, g, x', m', v', then the element count), 8–15
// the f32 constants; then locals: 16 i, 17 vector end, 18 end (i32); 19–26 the constants splatted,
// 27 g, 28 m', 29 v' (v128); 30 g, 31 m', 32 v' (f32).
const [X, M, V, G, OX, OM, OV, N] = [0, 1, 2, 3, 4, 5, 6, 7];
const [B1, C1, B2, C2, D1, D2, EPS, NLR] = [8, 9, 10, 11, 12, 13, 14, 15];
const [I, VEND, END] = [16, 17, 18];
const SPLAT = 19;
const [VG, VM, VV] = [27, 28, 29];
const [SG, SM, SV] = [30, 31, 32];

/** The update of one element (scalar) or four (vector) at byte offset I. */
function updateBody(vector: boolean): number[] {
  const addr = (base: number) => at(base, I);
  const load = vector ? v128.load : f32.load;
  const store = vector ? v128.store : f32.store;
  const k = (c: number) => get(vector ? SPLAT + (c - B1) : c);
  const op = vector ? f32x4 : f32;
  const [g, m, v] = vector ? [VG, VM, VV] : [SG, SM, SV];
  return [
    ...addr(G), ...load, ...set(g),
    // m' = m·b1 + g·c1
    ...addr(M), ...load, ...k(B1), ...op.mul, ...get(g), ...k(C1), ...op.mul, ...op.add, ...set(m),
    // v' = v·b2 + (g·g)·c2
    ...addr(V), ...load, ...k(B2), ...op.mul, ...get(g), ...get(g), ...op.mul, ...k(C2), ...op.mul, ...op.add, ...set(v),
    ...addr(OM), ...get(m), ...store,
    ...addr(OV), ...get(v), ...store,
    // x' = ((m'/d1) / (sqrt(v'/d2) + eps))·nlr + x
    ...addr(OX),
    ...get(m), ...k(D1), ...op.div,
    ...get(v), ...k(D2), ...op.div, ...op.sqrt, ...k(EPS), ...op.add,
    ...op.div, ...k(NLR), ...op.mul,
    ...addr(X), ...load, ...op.add,
    ...store,
  ];
}

function moduleBytes(): Uint8Array {
  const splats = [B1, C1, B2, C2, D1, D2, EPS, NLR].flatMap((c, j) => [...get(c), ...f32x4.splat, ...set(SPLAT + j)]);
  return assemble([
    {
      name: 'adam',
      params: [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32],
      locals: [[3, I32], [11, V128], [3, F32]],
      code: [
        ...splats,
        ...elementwise(N, I, VEND, END, updateBody),
      ],
    },
  ]);
}

let bytes: Uint8Array | undefined;
const instances = new WeakMap<object, { adam: AdamFunction } | null>();

/**
 * The SIMD update bound to a backend's memory, or undefined where it cannot be (no memory to
 * import, or a runtime without wasm SIMD): the caller then runs the JS loop.
 */
export function simdAdamFor(module: WasmModuleLike | undefined): AdamFunction | undefined {
  return instanceFor(module, () => (bytes ??= moduleBytes()), instances)?.adam;
}

/** Runs the update of `n` floats at the given byte offsets of the backend's memory. */
export function simdAdam(fn: AdamFunction, offsets: [number, number, number, number, number, number, number], n: number, c: AdamConstants): void {
  fn(...offsets, n, c.beta1, c.oneMinusBeta1, c.beta2, c.oneMinusBeta2, c.correction1, c.correction2, c.epsilon, c.negLearningRate);
}
