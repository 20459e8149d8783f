/**
 * Picks the TensorFlow.js backend: tensorflow (tfjs-node, native) > wasm (+ our conv kernels) > cpu.
 * tfjs-node is optional and native, so it is required lazily and never bundled; it may live
 * outside the trainer's folder (nativeSearchPaths).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { BackendProbe } from '../protocol/backendProbe';
import type { BackendDetail, BackendName } from '../protocol/runFormat';
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

/**
 * Where @tensorflow/tfjs-node may be, in order: the folders named by GAN_STUDIO_NATIVE_PATHS
 * (the extension passes its global storage, where "GAN: Install Native TensorFlow Backend" puts
 * it, and the workspace folders when trusted), the current directory (unless the extension says
 * GAN_STUDIO_NATIVE_PATHS_ONLY=1), then the trainer's own node_modules.
 * Each folder is one that holds a node_modules/@tensorflow/tfjs-node.
 */
export function nativeSearchPaths(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  const listed = (env.GAN_STUDIO_NATIVE_PATHS ?? '').split(delimiter).map((p) => p.trim()).filter((p) => p !== '');
  // The extension lists exactly the folders it trusts (no workspace ones in Restricted Mode).
  const here = env.GAN_STUDIO_NATIVE_PATHS_ONLY === '1' ? [] : [resolve(cwd)];
  return [...new Set([...listed.map((p) => resolve(p)), ...here])];
}

interface NativeLoad {
  ok: boolean;
  /** The package folder it loaded from. */
  from?: string;
  /** Why it did not load, for a person. */
  reason?: string;
}

let nativeLoad: NativeLoad | undefined;

/** The first tfjs-node package folder under one of the search paths, if any. */
function findNativePackage(paths: string[]): string | undefined {
  for (const dir of paths) {
    const pkg = join(dir, 'node_modules', '@tensorflow', 'tfjs-node');
    if (existsSync(join(pkg, 'package.json'))) return pkg;
  }
  return undefined;
}

function loadTfjsNode(): NativeLoad {
  if (nativeLoad) return nativeLoad;
  const paths = nativeSearchPaths();
  const pkg = findNativePackage(paths);
  try {
    if (pkg) {
      // tfjs keeps its engine and kernel registry on globalThis, so a tfjs-node loaded from another
      // folder registers "tensorflow" where this bundle's tfjs finds it.
      createRequire(join(pkg, 'package.json'))(pkg);
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-node');
    }
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    const missing = !pkg && (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && message.includes('@tensorflow/tfjs-node');
    nativeLoad = {
      ok: false,
      reason: missing
        ? `@tensorflow/tfjs-node is not installed (looked in ${paths.map((p) => join(p, 'node_modules')).join(', ')} and beside the trainer): install @tensorflow/tfjs-node@${tf.version_core} in one of these folders, or in VS Code run "GAN: Install Native TensorFlow Backend"`
        : `@tensorflow/tfjs-node${pkg ? ` in ${pkg}` : ''} did not load: ${message}`,
    };
    return nativeLoad;
  }
  const registered = tf.findBackend('tensorflow') !== null || tf.engine().registryFactory['tensorflow'] !== undefined;
  nativeLoad = registered
    ? { ok: true, from: pkg ?? dirname(require.resolve('@tensorflow/tfjs-node/package.json')) }
    : { ok: false, reason: `@tensorflow/tfjs-node${pkg ? ` in ${pkg}` : ''} loaded but registered no "tensorflow" backend` };
  return nativeLoad;
}

let detail: BackendDetail = { skipped: [] };

/** How the last initBackend chose: the native package's folder, or why better backends were skipped. */
export function backendDetail(): BackendDetail {
  return detail;
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
  const skipped: BackendDetail['skipped'] = [];
  for (const name of order) {
    if (name === 'tensorflow') {
      const native = loadTfjsNode();
      if (!native.ok) {
        if (choice === 'tensorflow') throw new BackendError(`backend "tensorflow" needs the native TensorFlow: ${native.reason}; or use "auto" or "wasm"`);
        skipped.push({ backend: 'tensorflow', reason: native.reason ?? 'did not load' });
        continue;
      }
      if (await trySet('tensorflow')) {
        detail = { ...(native.from ? { nativeFrom: native.from } : {}), skipped };
        return 'tensorflow';
      }
      skipped.push({ backend: 'tensorflow', reason: `@tensorflow/tfjs-node from ${native.from ?? '?'} failed to initialise` });
    } else if (name === 'wasm') {
      // Our kernels must be registered after the wasm backend module has registered its own.
      setWasmPaths(wasmDir.endsWith('/') ? wasmDir : `${wasmDir}/`);
      registerWasmConvKernels();
      if (await trySet('wasm')) {
        detail = { skipped };
        return 'wasm';
      }
      if (choice === 'wasm') throw new BackendError(`backend "wasm" failed to initialise (looked for its binaries in ${wasmDir})`);
      skipped.push({ backend: 'wasm', reason: `failed to initialise (looked for its binaries in ${wasmDir})` });
    } else if (await trySet('cpu')) {
      detail = { skipped };
      return 'cpu';
    }
  }
  throw new BackendError('no TensorFlow.js backend could be initialised');
}

/** What `gan-studio backends` prints: which backends load here, and why the others do not. */
export async function probeBackends(wasmDir = defaultWasmDir()): Promise<BackendProbe> {
  const auto = await initBackend('auto', wasmDir);
  const native = loadTfjsNode();
  let wasmOk = auto === 'wasm';
  if (auto === 'tensorflow') {
    // initBackend stopped at the native backend; try wasm on its own.
    setWasmPaths(wasmDir.endsWith('/') ? wasmDir : `${wasmDir}/`);
    registerWasmConvKernels();
    wasmOk = await trySet('wasm');
    await tf.setBackend(auto);
  }
  return {
    tfjsVersion: tf.version_core,
    nativeSearchPaths: nativeSearchPaths(),
    backends: [
      { backend: 'tensorflow', ok: native.ok, ...(native.from ? { from: native.from } : {}), ...(native.reason ? { reason: native.reason } : {}) },
      { backend: 'wasm', ok: wasmOk, ...(wasmOk ? {} : { reason: detail.skipped.find((s) => s.backend === 'wasm')?.reason ?? 'not tried' }) },
      { backend: 'cpu', ok: true },
    ],
    auto,
  };
}
