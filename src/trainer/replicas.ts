/**
 * Data-parallel training over worker threads, the training process's side. A worker
 * (replicaWorker.ts) holds a copy of both networks in its own backend instance (its own wasm
 * memory and thread) and computes gradients on its share of each batch; Gan.step averages them
 * with its own share's and sends the updated weights back. tfjs-wasm's threaded build is off in
 * Node, so this is how a training step uses more than one core.
 *
 * The protocol is strictly in order: each request is answered in the order sent, and weight
 * updates (no answer) take effect before any later request.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { GanConfig } from '../config/ganConfig';
import type { BackendName } from '../protocol/runFormat';
import type { DataShape } from './models';
import type { RemotePart, ReplicaPeer } from './gan';

export type ToReplica =
  | { type: 'init'; config: GanConfig; data: DataShape; backend: BackendName; wasmDir?: string }
  | { type: 'weights'; which: 'd' | 'g'; flat: Float32Array }
  | { type: 'config'; config: GanConfig }
  | { type: 'd'; real: Float32Array; z: Float32Array; n: number; seed: number; wantOutputs: boolean }
  | { type: 'g'; z: Float32Array; n: number; seed: number };

export type FromReplica =
  | { type: 'ready' }
  | { type: 'part'; part: RemotePart }
  | { type: 'error'; message: string };

/** Workers "auto" picks: two cores' worth, where a share of a batch still keeps kernels busy. */
const AUTO_WORKERS = 2;
/** Below this batch size a share is too small for the split to pay for its messages. */
const AUTO_MIN_BATCH = 16;

/**
 * The number of workers a run trains with. "auto" is 2 for convolutional networks on the wasm or
 * cpu backend on a multi-core machine: there, kernels dominate a step and split well. Small MLPs
 * are dominated by per-op overhead, which a split does not shrink. The native backend threads its
 * own kernels, so it always uses one.
 */
export function resolveWorkers(config: GanConfig, backend: BackendName, cores = availableParallelism()): number {
  const asked = config.training.workers;
  if (backend === 'tensorflow') return 1;
  const B = config.training.batchSize;
  if (asked !== 'auto') return Math.max(1, Math.min(asked, B));
  const conv = config.generator.preset === 'dcgan' || config.discriminator.preset === 'dcgan';
  return conv && B >= AUTO_MIN_BATCH && cores >= 2 ? Math.min(AUTO_WORKERS, cores) : 1;
}

/** The worker bundle: next to this bundle in dist/, or dist/ under the current folder (tests). */
export function replicaScript(): string {
  const candidates = [join(__dirname, 'replicaWorker.js'), join(__dirname, '..', 'replicaWorker.js'), join(process.cwd(), 'dist', 'replicaWorker.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`the worker bundle replicaWorker.js is missing (looked in ${candidates.join(', ')}); run the build`);
  return found;
}

interface Pending {
  resolve(part: RemotePart): void;
  reject(err: Error): void;
}

/** One worker replica. A failure (an error in the worker, or its exit) fails every request. */
export class WorkerReplica implements ReplicaPeer {
  private readonly pending: Pending[] = [];
  private failure: Error | undefined;
  private closing = false;

  private constructor(
    private readonly worker: Worker,
    private readonly index: number,
  ) {
    worker.on('message', (m: FromReplica) => {
      if (m.type === 'error') this.fail(new Error(m.message));
      else if (m.type === 'part') this.pending.shift()?.resolve(m.part);
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(this.closing ? 'it was closed' : `it exited with code ${code}`)));
  }

  /** Starts worker `index` (1-based: replica 0 is the training process) and builds its networks. */
  static async start(index: number, init: Omit<Extract<ToReplica, { type: 'init' }>, 'type'>): Promise<WorkerReplica> {
    const worker = new Worker(replicaScript(), { workerData: { index } });
    let onMessage: ((m: FromReplica) => void) | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      onMessage = (m: FromReplica) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'error') reject(new Error(`training worker ${index} failed to start: ${m.message}`));
      };
      worker.on('message', onMessage);
      worker.once('error', (err) => reject(new Error(`training worker ${index} failed to start: ${err.message}`)));
      worker.once('exit', (code) => reject(new Error(`training worker ${index} exited with code ${code} while starting`)));
    });
    worker.postMessage({ type: 'init', ...init } satisfies ToReplica);
    try {
      await ready;
    } catch (err) {
      void worker.terminate();
      throw err;
    } finally {
      worker.off('message', onMessage!);
      worker.removeAllListeners('error');
      worker.removeAllListeners('exit');
    }
    return new WorkerReplica(worker, index);
  }

  private fail(err: Error): void {
    if (!this.failure) this.failure = new Error(`training worker ${this.index} failed: ${err.message}`);
    for (const p of this.pending.splice(0)) p.reject(this.failure);
  }

  private request(msg: ToReplica, transfer: ArrayBuffer[]): Promise<RemotePart> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.worker.postMessage(msg, transfer);
    });
  }

  discriminatorPart(real: Float32Array, z: Float32Array, n: number, seed: number, wantOutputs: boolean): Promise<RemotePart> {
    return this.request({ type: 'd', real, z, n, seed, wantOutputs }, [real.buffer as ArrayBuffer, z.buffer as ArrayBuffer]);
  }

  generatorPart(z: Float32Array, n: number, seed: number): Promise<RemotePart> {
    return this.request({ type: 'g', z, n, seed }, [z.buffer as ArrayBuffer]);
  }

  setWeights(which: 'd' | 'g', flat: Float32Array): void {
    if (!this.failure) this.worker.postMessage({ type: 'weights', which, flat } satisfies ToReplica);
  }

  setConfig(config: GanConfig): void {
    if (!this.failure) this.worker.postMessage({ type: 'config', config } satisfies ToReplica);
  }

  close(): void {
    this.closing = true;
    void this.worker.terminate();
  }
}
