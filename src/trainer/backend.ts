/**
 * Picks the TensorFlow.js backend: tensorflow (tfjs-node, native) > wasm (+ our conv kernels) > cpu.
 * tfjs-node is optional and native, so it is required lazily and never bundled.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendName } from '../protocol/runFormat';
import type { BackendChoice } from '../config/ganConfig';
import { registerWasmConvKernels } from './kernels/wasmConvKernels';
import { registerComparisonGradients } from './kernels/comparisonGradients';

/** Where the .wasm binaries are: next to the bundle in dist/, or in node_modules when run from source. */
export function defaultWasmDir(): string {
  const candidates = [
    join(__dirname, 'wasm'),
    join(__dirname, '..', 'wasm'),
    join(process.cwd(), 'node_modules/@tensorflow/tfjs-backend-wasm/dist'),
  ];
  return candidates.find((d) => existsSync(join(d, 'tfjs-backend-wasm-simd.wasm'))) ?? candidates[0];
}

let tfjsNodeError: string | undefined;

function loadTfjsNode(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    return tf.findBackend('tensorflow') !== null || tf.engine().registryFactory['tensorflow'] !== undefined;
  } catch (err) {
    tfjsNodeError = (err as Error).message.split('\n')[0];
    return false;
  }
}

export class BackendError extends Error {}

async function trySet(name: BackendName): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/**
 * Initialises the requested backend. `auto` falls back silently; an explicit choice that cannot
 * load is an error that says why.
 */
export async function initBackend(choice: BackendChoice, wasmDir = defaultWasmDir()): Promise<BackendName> {
  // Production mode only silences tfjs's console warnings, such as the cpu backend's banner asking
  // Node users to install tfjs-node: the backend choice is ours, recorded in run.json and shown.
  tf.enableProdMode();
  registerComparisonGradients();
  const order: BackendName[] = choice === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [choice];
  for (const name of order) {
    if (name === 'tensorflow') {
      if (!loadTfjsNode()) {
        if (choice === 'tensorflow') {
          throw new BackendError(`backend "tensorflow" needs @tensorflow/tfjs-node, which did not load (${tfjsNodeError ?? 'not installed'}); use "auto" or "wasm"`);
        }
        continue;
      }
      if (await trySet('tensorflow')) return 'tensorflow';
    } else if (name === 'wasm') {
      // Our kernels must be registered after the wasm backend module has registered its own.
      setWasmPaths(wasmDir.endsWith('/') ? wasmDir : `${wasmDir}/`);
      registerWasmConvKernels();
      if (await trySet('wasm')) return 'wasm';
      if (choice === 'wasm') throw new BackendError(`backend "wasm" failed to initialise (looked for its binaries in ${wasmDir})`);
    } else if (await trySet('cpu')) {
      return 'cpu';
    }
  }
  throw new BackendError('no TensorFlow.js backend could be initialised');
}
