/**
 * Short-lived `gan-studio serve <runDir> --ipc [--checkpoint STEP]` processes that answer the latent
 * explorer for runs that are not training. One process per run and checkpoint, started on the
 * first request and reused; at most `maxServers` at once (the least recently used goes), each
 * stopped after `idleMs` without requests and by dispose(). Everything the child says is checked
 * before it reaches a webview. vscode-free, so tests drive it with the real CLI.
 */
import { resolve } from 'node:path';
import { MAX_GENERATE_COUNT, type GeneratedBatch } from '../../protocol/generation';
import { PendingRequests } from '../../protocol/requests';
import { parseTrainerMessage } from '../../protocol/trainerProtocol';
import { nodeTimers } from '../events';
import type { TrainerProcess } from './trainerProcess';

/** Starts `serve` for a run (and a checkpoint step). */
export type ServeSpawner = (runDir: string, checkpoint: number) => TrainerProcess;

export interface GeneratorServerOptions {
  maxServers: number;
  idleMs: number;
  /** Loading the model (and its backend) takes a few seconds on a loaded machine. */
  startTimeoutMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_SERVER_OPTIONS: GeneratorServerOptions = { maxServers: 2, idleMs: 5 * 60_000, startTimeoutMs: 120_000, requestTimeoutMs: 60_000 };

/** The request id of a message that failed its check, so the request it answers can fail at once. */
export function requestIdOf(raw: unknown): number | undefined {
  const id = (raw as { requestId?: unknown } | null)?.requestId;
  return typeof id === 'number' && Number.isInteger(id) ? id : undefined;
}

class Server {
  readonly pending: PendingRequests<GeneratedBatch>;
  ready: Promise<{ step: number; latentDim: number }>;
  lastUsed = Date.now();
  exited = false;
  private stderr = '';
  private readyInfo: { step: number; latentDim: number } | undefined;
  readonly exitPromise: Promise<void>;

  constructor(
    readonly key: string,
    readonly proc: TrainerProcess,
    opts: GeneratorServerOptions,
    onExit: () => void,
  ) {
    this.pending = new PendingRequests(nodeTimers, {
      timeoutMs: opts.requestTimeoutMs,
      timeoutMessage: (ms) => `The generator did not answer within ${Math.round(ms / 1000)} s.`,
    });
    let resolveReady!: (v: { step: number; latentDim: number }) => void;
    let rejectReady!: (e: Error) => void;
    this.ready = new Promise((ok, fail) => {
      resolveReady = ok;
      rejectReady = fail;
    });
    // Nobody may be waiting yet when it fails; the rejection is still seen by later requests.
    this.ready.catch(() => undefined);
    const startTimer = setTimeout(() => {
      rejectReady(new Error(`the generator process did not start within ${Math.round(opts.startTimeoutMs / 1000)} s`));
      proc.kill('SIGKILL');
    }, opts.startTimeoutMs);
    proc.onStderr((d) => (this.stderr = (this.stderr + d).slice(-2000)));
    proc.onMessage((raw) => {
      // The child is trusted no more than a file: what does not parse is dropped, and a request
      // it leaves unanswered times out.
      const parsed = parseTrainerMessage(raw);
      if (!parsed.ok) {
        const id = requestIdOf(raw);
        if (id !== undefined) this.pending.reject(id, new Error(`The generator answered with an invalid message: ${parsed.reason}`));
        return;
      }
      const msg = parsed.value;
      switch (msg.type) {
        case 'serving':
          if (this.readyInfo) return;
          clearTimeout(startTimer);
          this.readyInfo = { step: msg.step, latentDim: msg.latentDim };
          resolveReady(this.readyInfo);
          return;
        case 'generated':
          this.pending.resolve(msg.requestId, { data: msg.data, shape: msg.shape });
          return;
        case 'generateFailed':
          this.pending.reject(msg.requestId, new Error(`The generator refused the request: ${msg.message}`));
          return;
        default:
          return;
      }
    });
    proc.onExit((e) => {
      clearTimeout(startTimer);
      this.exited = true;
      const why = e.spawnError ?? (this.stderr.trim().split('\n').filter(Boolean).at(-1) || (e.signal ? `signal ${e.signal}` : `exit code ${e.code}`));
      const err = new Error(`The generator process ended (${why}).`);
      rejectReady(err);
      this.pending.rejectAll(err);
      onExit();
    });
    this.exitPromise = new Promise((ok) => proc.onExit(() => ok()));
  }

  async generate(z: number[], count: number): Promise<GeneratedBatch> {
    const { latentDim } = await this.ready;
    if (this.exited) throw new Error('The generator process ended.');
    if (z.length !== count * latentDim) throw new Error(`${z.length} latent values do not make ${count} vectors of size ${latentDim}.`);
    this.lastUsed = Date.now();
    const { id, reply } = this.pending.start();
    if (!this.proc.write({ type: 'generate', requestId: id, z, count })) this.pending.reject(id, new Error('The generator process is not connected.'));
    return reply;
  }

  /** Asks it to go (the protocol stop, then a signal if it lingers). */
  stop(): Promise<void> {
    if (!this.exited) {
      if (!this.proc.write({ type: 'stop' })) this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
      void this.exitPromise.then(() => clearTimeout(t));
    }
    return this.exitPromise;
  }
}

export class GeneratorServers {
  private readonly servers = new Map<string, Server>();
  private idleTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private readonly spawn: ServeSpawner,
    private readonly opts: GeneratorServerOptions = DEFAULT_SERVER_OPTIONS,
  ) {}

  /** Processes alive now (for tests and the log). */
  get running(): { runDir: string; checkpoint: number; pid: number | undefined }[] {
    return [...this.servers.values()].map((s) => {
      const [dir, step] = splitKey(s.key);
      return { runDir: dir, checkpoint: step, pid: s.proc.pid };
    });
  }

  /** Generates `count` outputs from the generator saved at `checkpoint` in `runDir`. */
  generate(runDir: string, checkpoint: number, z: number[], count: number): Promise<GeneratedBatch> {
    if (this.disposed) return Promise.reject(new Error('GAN Studio is shutting down.'));
    if (!Number.isInteger(count) || count < 1 || count > MAX_GENERATE_COUNT) return Promise.reject(new Error(`count must be 1–${MAX_GENERATE_COUNT} (got ${count}).`));
    if (!z.every(Number.isFinite)) return Promise.reject(new Error('latent values must be finite numbers.'));
    const key = `${resolve(runDir)}#${checkpoint}`;
    let server = this.servers.get(key);
    if (!server || server.exited) {
      this.evict();
      let proc: TrainerProcess;
      try {
        proc = this.spawn(resolve(runDir), checkpoint);
      } catch (err) {
        // The launcher refuses (Restricted Mode, a missing build): say why, start nothing.
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      const s = new Server(key, proc, this.opts, () => {
        if (this.servers.get(key) === s) this.servers.delete(key);
      });
      server = s;
      this.servers.set(key, server);
      this.armIdle();
    }
    server.lastUsed = Date.now();
    return server.generate(z, count);
  }

  /** Stops the servers of one run (its panel closed, or it is being deleted). */
  stopRun(runDir: string): Promise<void> {
    const dir = resolve(runDir);
    const stops = [...this.servers.values()].filter((s) => splitKey(s.key)[0] === dir).map((s) => this.stopServer(s));
    return Promise.all(stops).then(() => undefined);
  }

  private stopServer(s: Server): Promise<void> {
    this.servers.delete(s.key);
    return s.stop();
  }

  /** Room for one more: the least recently used server goes. */
  private evict(): void {
    while (this.servers.size >= Math.max(1, this.opts.maxServers)) {
      const oldest = [...this.servers.values()].sort((a, b) => a.lastUsed - b.lastUsed)[0];
      void this.stopServer(oldest);
    }
  }

  private armIdle(): void {
    if (this.idleTimer) return;
    this.idleTimer = setInterval(() => {
      const now = Date.now();
      for (const s of [...this.servers.values()]) if (s.pending.size === 0 && now - s.lastUsed > this.opts.idleMs) void this.stopServer(s);
      if (this.servers.size === 0 && this.idleTimer) {
        clearInterval(this.idleTimer);
        this.idleTimer = undefined;
      }
    }, Math.max(1000, Math.min(60_000, this.opts.idleMs / 2)));
    this.idleTimer.unref?.();
  }

  /** Stops every server; resolves when all have exited. */
  dispose(): Promise<void> {
    this.disposed = true;
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = undefined;
    return Promise.all([...this.servers.values()].map((s) => this.stopServer(s))).then(() => undefined);
  }
}

function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf('#');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}
