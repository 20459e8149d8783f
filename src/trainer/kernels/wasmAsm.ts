/**
 * A small assembler for WebAssembly modules that run SIMD loops inside tfjs-backend-wasm's own
 * memory: each module imports the backend's WebAssembly.Memory as env.memory, so its functions
 * read and write tensors in place, by byte offset, with no copy in or out.
 *
 * Only what our loops use is here: i32 and f32 locals, 128-bit vectors, loads and stores at an
 * offset, arithmetic, comparisons, selects and counted loops. wasmAdam.ts and wasmLoops.ts build
 * their modules with it.
 */

/** The backend's module, as far as our loops need it: its memory (a WebAssembly.Memory). */
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

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (an i32.const immediate). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

// Instructions.
export const get = (i: number): number[] => [0x20, ...uleb(i)];
export const set = (i: number): number[] => [0x21, ...uleb(i)];
export const tee = (i: number): number[] => [0x22, ...uleb(i)];
export const select = [0x1b];
export const i32 = { const: (v: number) => [0x41, ...sleb(v)], add: [0x6a], mul: [0x6c], and: [0x71], shl: [0x74], geU: [0x4f], ltU: [0x49] };
export const f32 = { load: [0x2a, 2, 0], store: [0x38, 2, 0], ne: [0x5c], gt: [0x5e], add: [0x92], sub: [0x93], mul: [0x94], div: [0x95], sqrt: [0x91], demote: [0xb6] };
export const f64 = { promote: [0xbb], add: [0xa0], div: [0xa3] };
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
export const v128 = { load: simd(0x00, 0, 0), store: simd(0x0b, 0, 0), zero: simd(0x0c, ...new Array<number>(16).fill(0)), bitselect: simd(0x52) };
export const f32x4 = { splat: simd(0x13), ne: simd(0x42), gt: simd(0x44), sqrt: simd(0xe3), add: simd(0xe4), sub: simd(0xe5), mul: simd(0xe6), div: simd(0xe7), demoteZero: simd(0x5e) };
export const f64x2 = { promoteLow: simd(0x5f), add: simd(0xf0), div: simd(0xf3) };
/** i8x16.shuffle of the two vectors on the stack: `lanes` picks 16 bytes of the 32 (0–15 first, 16–31 second). */
export const shuffle = (lanes: number[]): number[] => simd(0x0d, ...lanes);
export const block = [0x02, 0x40];
export const loop = [0x03, 0x40];
export const end = [0x0b];
export const br = (d: number): number[] => [0x0c, d];
export const brIf = (d: number): number[] => [0x0d, d];

/** `base + counter`: the byte address of the current element of an array at byte offset `base`. */
export const at = (base: number, counter: number): number[] => [...get(base), ...get(counter), ...i32.add];

/** `for (; counter < limit; counter += step) body`, with counter and limit i32 locals. */
export function loopUpTo(counter: number, limit: number, step: number, body: number[]): number[] {
  return [...block, ...loop, ...get(counter), ...get(limit), ...i32.geU, ...brIf(1), ...body, ...get(counter), ...i32.const(step), ...i32.add, ...set(counter), ...br(0), ...end, ...end];
}

/**
 * Over n floats by byte offset I: `body(true)` four at a time up to the last multiple of four, then
 * `body(false)` one at a time. END and VEND are scratch i32 locals.
 */
export function elementwise(n: number, I: number, VEND: number, END: number, body: (vector: boolean) => number[]): number[] {
  return [
    ...get(n), ...i32.const(2), ...i32.shl, ...set(END),
    ...get(n), ...i32.const(-4), ...i32.and, ...i32.const(2), ...i32.shl, ...set(VEND),
    ...loopUpTo(I, VEND, 16, body(true)),
    ...loopUpTo(I, END, 4, body(false)),
  ];
}

export interface WasmFunction {
  name: string;
  params: number[];
  /** Runs of locals after the parameters: [count, type]. */
  locals: [number, number][];
  code: number[];
}

/** A module of functions without results that imports its memory as env.memory. */
export function assemble(functions: WasmFunction[]): Uint8Array {
  const types = functions.flatMap((f) => [0x60, ...uleb(f.params.length), ...f.params, 0]);
  const imports = [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01];
  const exports = functions.flatMap((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  const bodies = functions.flatMap((f) => {
    const body = [...uleb(f.locals.length), ...f.locals.flatMap(([n, t]) => [...uleb(n), t]), ...f.code, ...end];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [...uleb(functions.length), ...types]),
    ...section(2, imports),
    ...section(3, [...uleb(functions.length), ...functions.map((_, i) => i)]),
    ...section(7, [...uleb(functions.length), ...exports]),
    ...section(10, [...uleb(functions.length), ...bodies]),
  ]);
}

/**
 * Instantiates a module against a backend's memory, once per memory (each worker thread's
 * backend has its own), or gives undefined where it cannot be: no memory to import (the cpu
 * backend) or a runtime without wasm SIMD. Callers then take their JS path.
 */
export function instanceFor<T>(module: WasmModuleLike | undefined, bytes: () => Uint8Array, cache: WeakMap<object, T | null>): T | undefined {
  const memory = module?.asm?.memory;
  if (!wasmApi || !(memory instanceof wasmApi.Memory)) return undefined;
  let found = cache.get(memory);
  if (found === undefined) {
    try {
      found = new wasmApi.Instance(new wasmApi.Module(bytes()), { env: { memory } }).exports as T;
    } catch {
      found = null;
    }
    cache.set(memory, found);
  }
  return found ?? undefined;
}
