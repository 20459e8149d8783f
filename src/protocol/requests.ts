/**
 * Request and reply across a message boundary, matched by id: the latent explorer and the walk
 * asking the host, the host asking a training process or a `serve` process. One class for all of
 * them, so ids never clash, every request ends (answered, refused or timed out) and a closed
 * channel fails what it still owes.
 *
 * Protocol code runs in the host, the trainer and the webview, which have different timer
 * globals; the caller hands in its own.
 */

export interface Timers {
  set(fire: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
  timer: unknown;
}

export interface RequestOptions {
  /** How long an answer may take. */
  timeoutMs: number;
  /** The error of a request that timed out. */
  timeoutMessage?: (ms: number) => string;
}

export class PendingRequests<T> {
  private readonly pending = new Map<number, Pending<T>>();
  private nextId = 1;

  constructor(
    private readonly timers: Timers,
    private readonly options: RequestOptions,
  ) {}

  /** A new request: its id (to send) and the promise of its answer. */
  start(): { id: number; reply: Promise<T> } {
    const id = this.nextId++;
    const reply = new Promise<T>((resolve, reject) => {
      const timer = this.timers.set(() => {
        const ms = this.options.timeoutMs;
        this.reject(id, new Error(this.options.timeoutMessage?.(ms) ?? `no answer within ${Math.round(ms / 1000)} s`));
      }, this.options.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
    return { id, reply };
  }

  /** Whether `id` is still waiting (an answer to anything else is stale or not ours). */
  has(id: number): boolean {
    return this.pending.has(id);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Answers a request; false when it is not waiting. */
  resolve(id: number, value: T): boolean {
    const p = this.take(id);
    p?.resolve(value);
    return p !== undefined;
  }

  /** Fails a request; false when it is not waiting. */
  reject(id: number, err: Error): boolean {
    const p = this.take(id);
    p?.reject(err);
    return p !== undefined;
  }

  /** The channel closed: everything still waiting fails with `err`. */
  rejectAll(err: Error): void {
    for (const id of [...this.pending.keys()]) this.reject(id, err);
  }

  private take(id: number): Pending<T> | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    this.timers.clear(p.timer);
    return p;
  }
}
