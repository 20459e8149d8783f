/**
 * EXPERIMENTAL: tfjs-backend-wasm's multi-threaded (pthreads + SIMD) build in Node.
 *
 * tfjs 4.22 never picks it in Node (`WASM_HAS_MULTITHREAD_SUPPORT` is hard-wired false there),
 * and its loader could not start it anyway: it hands Emscripten a Blob URL for the pthread worker
 * and a Blob for the main script, which Node's worker_threads cannot load. Emscripten's glue
 * itself supports Node. Three things make it run (checked on Node 20, tfjs 4.22):
 *  1. the pthread worker script is `wasmWorkerContents` (a JS string, with newlines escaped as
 *     tfjs does before making its Blob), written to a file;
 *  2. the main script the workers import is the factory's source, written to a file too;
 *  3. the C++ side caps XNNPACK's pthreadpool at emscripten_num_logical_cores() / 2 (tfjs's
 *     source: clamp(cores / 2, 1, 4), "2 threads per core"), i.e. `os.cpus().length / 2` in Node:
 *     1 thread on a 2-vCPU machine whatever setThreadsCount asks (measured). So while the module
 *     starts, `os.cpus()` reports `2 × threads` entries, and setThreadsCount(threads) is set too.
 *
 * XNNPACK splits a conv over output tiles; each output keeps its reduction order, so results
 * should not depend on the thread count (the other wasm kernels are single-threaded).
 *
 * Only `gan-studio bench` uses this, when GAN_STUDIO_WASM_THREADS is set: it is a measurement
 * knob, not a trainer setting. It replaces the registered 'wasm' backend factory; kernels are
 * registered per backend name and keep working.
 */
import * as os from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import wasmFactoryThreadedSimd from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
// @ts-expect-error -- a CommonJS module without types, exporting the pthread worker's source as a string
import { wasmWorkerContents } from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';

const THREADED_BINARY = 'tfjs-backend-wasm-threaded-simd.wasm';

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  PThread: { terminateAllThreads(): void };
  tfjs?: unknown;
}

let started: EmscriptenModule | undefined;
/** The folder holding the worker and main scripts of the started module. */
let scriptsDir: string | undefined;

/**
 * Ends the pthread workers (they keep a process alive). The wasm backend is unusable afterwards;
 * the CLI exits instead, tests call this last.
 */
export function stopThreadedWasm(): void {
  started?.PThread.terminateAllThreads();
  started = undefined;
  if (scriptsDir) rmSync(scriptsDir, { recursive: true, force: true });
  scriptsDir = undefined;
}

/** Threads XNNPACK got (1 when the pool could not grow); valid once the backend is set. */
export function threadedWasmThreads(): number {
  return getThreadsCount();
}

async function startModule(threads: number, wasmDir: string): Promise<EmscriptenModule> {
  const dir = mkdtempSync(join(os.tmpdir(), 'gan-studio-wasm-mt-'));
  scriptsDir = dir;
  const workerPath = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
  const mainPath = join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  writeFileSync(workerPath, (wasmWorkerContents as string).replace(/\n/g, '\\n'));
  writeFileSync(mainPath, `var WasmBackendModuleThreadedSimd = ${(wasmFactoryThreadedSimd as () => unknown).toString()};\n`);
  // The glue calls require("os").cpus(): patch that very object (an ES import is a copy in the bundle).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS object itself, not the bundle's copy
  const mutableOs = require('os') as { cpus: typeof os.cpus };
  const realCpus = mutableOs.cpus;
  const cpus = realCpus.call(mutableOs);
  try {
    mutableOs.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
  } catch {
    // A frozen module namespace: the pool keeps its default size.
  }
  try {
    const module = (await (wasmFactoryThreadedSimd as (cfg: object) => Promise<EmscriptenModule>)({
      mainScriptUrlOrBlob: mainPath,
      locateFile: (path: string) => (path.endsWith('.worker.js') ? workerPath : path.endsWith('.wasm') ? join(wasmDir, THREADED_BINARY) : join(dir, path)),
    }));
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    started = module;
    return module;
  } finally {
    try {
      mutableOs.cpus = realCpus;
    } catch {
      // see above
    }
  }
}

/**
 * Makes the next `tf.setBackend('wasm')` start the multi-threaded build with `threads` XNNPACK
 * threads. Call before the wasm backend is first initialised (the bench calls it first thing).
 */
export function useThreadedWasm(threads: number, wasmDir: string): void {
  try {
    tf.removeBackend('wasm');
  } catch {
    // not registered yet
  }
  setThreadsCount(threads);
  tf.registerBackend('wasm', async () => new BackendWasm((await startModule(threads, wasmDir)) as never), 2);
}
