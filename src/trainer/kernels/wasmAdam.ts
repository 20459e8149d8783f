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

/** The backend's module, as far as this file needs it: its memory (a WebAssembly.Memory). */
export interface WasmModuleLike {
  asm?: { memory?: unknown };
}

/**
 * Node's WebAssembly API, as far as it is used here: its types live in TypeScript's DOM library,
 * which the trainer does not compile against.
 */
interface WasmApi {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

type AdamFunction = (x: number, m: number, v: number, g: number, ox: number, om: number, ov: number, n: number, ...c: number[]) => void;

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

// Instructions.
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32 = { const: (v: number) => [0x41, v & 0x7f], add: [0x6a], and: [0x71], shl: [0x74], geU: [0x4f] };
const f32 = { load: [0x2a, 2, 0], store: [0x38, 2, 0], add: [0x92], mul: [0x94], div: [0x95], sqrt: [0x91] };
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const v128 = { load: simd(0x00, 0, 0), store: simd(0x0b, 0, 0) };
const f32x4 = { splat: simd(0x13), sqrt: simd(0xe3), add: simd(0xe4), mul: simd(0xe6), div: simd(0xe7) };
const block = [0x02, 0x40];
const loop = [0x03, 0x40];
const end = [0x0b];
const br = (d: number) => [0x0c, d];
const brIf = (d: number) => [0x0d, d];

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
  const at = (base: number) => [...get(base), ...get(I), ...i32.add];
  const load = vector ? v128.load : f32.load;
  const store = vector ? v128.store : f32.store;
  const k = (c: number) => get(vector ? SPLAT + (c - B1) : c);
  const op = vector ? f32x4 : f32;
  const [g, m, v] = vector ? [VG, VM, VV] : [SG, SM, SV];
  return [
    ...at(G), ...load, ...set(g),
    // m' = m·b1 + g·c1
    ...at(M), ...load, ...k(B1), ...op.mul, ...get(g), ...k(C1), ...op.mul, ...op.add, ...set(m),
    // v' = v·b2 + (g·g)·c2
    ...at(V), ...load, ...k(B2), ...op.mul, ...get(g), ...get(g), ...op.mul, ...k(C2), ...op.mul, ...op.add, ...set(v),
    ...at(OM), ...get(m), ...store,
    ...at(OV), ...get(v), ...store,
    // x' = ((m'/d1) / (sqrt(v'/d2) + eps))·nlr + x
    ...at(OX),
    ...get(m), ...k(D1), ...op.div,
    ...get(v), ...k(D2), ...op.div, ...op.sqrt, ...k(EPS), ...op.add,
    ...op.div, ...k(NLR), ...op.mul,
    ...at(X), ...load, ...op.add,
    ...store,
  ];
}

function loopUpTo(limit: number, step: number, body: number[]): number[] {
  return [...block, ...loop, ...get(I), ...get(limit), ...i32.geU, ...brIf(1), ...body, ...get(I), ...i32.const(step), ...i32.add, ...set(I), ...br(0), ...end, ...end];
}

function moduleBytes(): Uint8Array {
  const params = [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32];
  const type = [1, 0x60, ...uleb(params.length), ...params, 0];
  const imports = [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01];
  const splats = [B1, C1, B2, C2, D1, D2, EPS, NLR].flatMap((c, j) => [...get(c), ...f32x4.splat, ...set(SPLAT + j)]);
  const code = [
    ...splats,
    ...get(N), ...i32.const(2), ...i32.shl, ...set(END),
    ...get(N), ...i32.const(-4), ...i32.and, ...i32.const(2), ...i32.shl, ...set(VEND),
    ...loopUpTo(VEND, 16, updateBody(true)),
    ...loopUpTo(END, 4, updateBody(false)),
    ...end,
  ];
  const locals = [3, ...uleb(3), I32, ...uleb(11), V128, ...uleb(3), F32];
  const body = [...locals, ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, type),
    ...section(2, imports),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('adam'), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

let bytes: Uint8Array | undefined;
const instances = new WeakMap<object, AdamFunction | null>();

/**
 * The SIMD update bound to a backend's memory, or undefined where it cannot be (no memory to
 * import, or a runtime without wasm SIMD): the caller then runs the JS loop.
 */
export function simdAdamFor(module: WasmModuleLike | undefined): AdamFunction | undefined {
  const memory = module?.asm?.memory;
  if (!wasmApi || !(memory instanceof wasmApi.Memory)) return undefined;
  let fn = instances.get(memory);
  if (fn === undefined) {
    try {
      bytes ??= moduleBytes();
      const instance = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } });
      fn = instance.exports.adam as AdamFunction;
    } catch {
      fn = null;
    }
    instances.set(memory, fn);
  }
  return fn ?? undefined;
}

/** Runs the update of `n` floats at the given byte offsets of the backend's memory. */
export function simdAdam(fn: AdamFunction, offsets: [number, number, number, number, number, number, number], n: number, c: AdamConstants): void {
  fn(...offsets, n, c.beta1, c.oneMinusBeta1, c.beta2, c.oneMinusBeta2, c.correction1, c.correction2, c.epsilon, c.negLearningRate);
}
