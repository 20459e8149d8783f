/**
 * Short-lived `gan-studio serve <runDir> --ipc [--checkpoint STEP]` processes that answer the latent
 * explorer for runs that are not training. One process per run and checkpoint, started on the
 * first request and reused; at most `maxServers` at once (the least recently used goes), each
 * stopped after `idleMs` without requests and by dispose(). Everything the child says is checked
 * before it reaches a webview. vscode-free, so tests drive it with the real CLI.
 */
import { resolve } from 'node:path';
import type { TrainerProcess } from './trainerProcess';

export interface Generated {
  data: number[];
  shape: number[];
}

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

/** The largest request the trainer answers (cli.ts MAX_GENERATE). */
export const MAX_GENERATE_COUNT = 1024;

const SERVING = /serving the generator of step (\d+) \(latent size (\d+)\)/;
const REQUEST_ERROR = /^generate (\d+): (.*)$/s;

interface Pending {
  resolve: (g: Generated) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

class Server {
  readonly pending = new Map<number, Pending>();
  ready: Promise<{ step: number; latentDim: number }>;
  lastUsed = Date.now();
  exited = false;
  private stderr = '';
  private nextId = 1;
  private readyInfo: { step: number; latentDim: number } | undefined;
  readonly exitPromise: Promise<void>;

  constructor(
    readonly key: string,
    readonly proc: TrainerProcess,
    private readonly opts: GeneratorServerOptions,
    onExit: () => void,
  ) {
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
    proc.onMessage((m) => {
      if (typeof m !== 'object' || m === null) return;
      const msg = m as Record<string, unknown>;
      if (msg.type === 'log' && typeof msg.message === 'string') {
        const s = SERVING.exec(msg.message);
        if (s && !this.readyInfo) {
          clearTimeout(startTimer);
          this.readyInfo = { step: Number(s[1]), latentDim: Number(s[2]) };
          resolveReady(this.readyInfo);
          return;
        }
        const e = REQUEST_ERROR.exec(msg.message);
        if (e && (msg.level === 'warn' || msg.level === 'error')) this.settle(Number(e[1]), new Error(`The generator refused the request: ${e[2]}`));
        return;
      }
      if (msg.type === 'generated') {
        const id = msg.requestId;
        if (typeof id !== 'number' || !this.pending.has(id)) return;
        const checked = checkGenerated(msg.data, msg.shape);
        this.settle(id, typeof checked === 'string' ? new Error(`The generator answered with ${checked}`) : checked);
      }
    });
    proc.onExit((e) => {
      clearTimeout(startTimer);
      this.exited = true;
      const why = e.spawnError ?? (this.stderr.trim().split('\n').filter(Boolean).at(-1) || (e.signal ? `signal ${e.signal}` : `exit code ${e.code}`));
      const err = new Error(`The generator process ended (${why}).`);
      rejectReady(err);
      for (const id of [...this.pending.keys()]) this.settle(id, err);
      onExit();
    });
    this.exitPromise = new Promise((ok) => proc.onExit(() => ok()));
  }

  async generate(z: number[], count: number): Promise<Generated> {
    const { latentDim } = await this.ready;
    if (this.exited) throw new Error('The generator process ended.');
    if (z.length !== count * latentDim) throw new Error(`${z.length} latent values do not make ${count} vectors of size ${latentDim}.`);
    this.lastUsed = Date.now();
    const id = this.nextId++;
    return new Promise<Generated>((ok, fail) => {
      const timer = setTimeout(() => this.settle(id, new Error(`The generator did not answer within ${Math.round(this.opts.requestTimeoutMs / 1000)} s.`)), this.opts.requestTimeoutMs);
      this.pending.set(id, { resolve: ok, reject: fail, timer });
      if (!this.proc.write({ type: 'generate', requestId: id, z, count })) this.settle(id, new Error('The generator process is not connected.'));
    });
  }

  private settle(id: number, result: Generated | Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (result instanceof Error) p.reject(result);
    else p.resolve(result);
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

/** Checks a `generated` answer: numbers whose count matches the shape. Returns a reason when not. */
export function checkGenerated(data: unknown, shape: unknown): Generated | string {
  if (!Array.isArray(shape) || shape.length < 2 || !shape.every((n) => Number.isInteger(n) && n > 0)) return 'an invalid shape';
  if (!Array.isArray(data)) return 'no data';
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  if (data.length !== size) return `${data.length} values for the shape [${shape.join(', ')}]`;
  for (let i = 0; i < data.length; i++) if (typeof data[i] !== 'number') return 'a value that is not a number';
  return { data: data as number[], shape: shape as number[] };
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
  generate(runDir: string, checkpoint: number, z: number[], count: number): Promise<Generated> {
    if (this.disposed) return Promise.reject(new Error('GAN Studio is shutting down.'));
    if (!Number.isInteger(count) || count < 1 || count > MAX_GENERATE_COUNT) return Promise.reject(new Error(`count must be 1–${MAX_GENERATE_COUNT} (got ${count}).`));
    if (!z.every(Number.isFinite)) return Promise.reject(new Error('latent values must be finite numbers.'));
    const key = `${resolve(runDir)}#${checkpoint}`;
    let server = this.servers.get(key);
    if (!server || server.exited) {
      this.evict();
      const s = new Server(key, this.spawn(resolve(runDir), checkpoint), this.opts, () => {
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
