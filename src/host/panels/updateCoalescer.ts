/**
 * Batches live run updates for a webview: a trainer can log metrics every step, but a webview
 * re-renders on each message, so updates go out at most every `intervalMs` (100 ms: ≤ 10/s),
 * merged per run. Records already in the snapshot the webview got are dropped (the snapshot is
 * read from disk while live messages keep coming, so both can hold the same step). vscode-free.
 */
import type { HostToWebview, RunSnapshot } from '../../protocol/webviewProtocol';

export type AppendMessage = Extract<HostToWebview, { type: 'append' }>;

/** One run's new records: an append message without its type. */
export type RunUpdate = Omit<AppendMessage, 'type'>;

interface Floor {
  metrics: number;
  histograms: number;
  quality: number;
  samples: number;
  /** The last event seq the snapshot held (−1: none). */
  events: number;
}

export const MAX_UPDATES_PER_SECOND = 10;

export class UpdateCoalescer {
  private pending = new Map<string, AppendMessage>();
  private floors = new Map<string, Floor>();
  private timer: NodeJS.Timeout | undefined;
  private lastFlush = -Infinity;
  private disposed = false;

  constructor(
    private readonly post: (message: AppendMessage) => void,
    private readonly intervalMs = 1000 / MAX_UPDATES_PER_SECOND,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Marks what a snapshot already delivered, and drops anything pending from before it. */
  snapshotSent(snapshot: RunSnapshot): void {
    const last = (steps: ArrayLike<number>) => {
      let max = 0;
      for (let i = 0; i < steps.length; i++) max = Math.max(max, steps[i]);
      return max;
    };
    this.floors.set(snapshot.run.id, {
      metrics: last(snapshot.metrics.step),
      histograms: last(snapshot.histograms.map((h) => h.step)),
      quality: last((snapshot.quality ?? []).map((q) => q.step)),
      samples: last(snapshot.samples.map((s) => s.step)),
      events: Math.max(-1, ...(snapshot.events ?? []).map((e) => e.seq)),
    });
    this.pending.delete(snapshot.run.id);
  }

  push(update: RunUpdate): void {
    if (this.disposed) return;
    const floor = this.floors.get(update.runId);
    const metrics = update.metrics?.filter((r) => !floor || r.step > floor.metrics);
    const histograms = update.histograms?.filter((r) => !floor || r.step > floor.histograms || r.manual !== undefined);
    const quality = update.quality?.filter((r) => !floor || r.step > floor.quality);
    // A manual D or G step redraws the samples and D's outputs at the step the run holds at, which
    // the snapshot may have had already: the later picture replaces it.
    const samples = update.samples?.filter((r) => !floor || r.step > floor.samples || r.manual !== undefined);
    const events = update.events?.filter((e) => !floor || e.seq > floor.events);
    const p = this.pending.get(update.runId) ?? { type: 'append', runId: update.runId };
    // A resumed run legitimately goes back in steps; its new snapshot resets the floor.
    if (update.run) p.run = update.run;
    if (metrics?.length) p.metrics = [...(p.metrics ?? []), ...metrics];
    if (histograms?.length) p.histograms = [...(p.histograms ?? []), ...histograms];
    if (quality?.length) p.quality = [...(p.quality ?? []), ...quality];
    if (samples?.length) p.samples = [...(p.samples ?? []), ...samples];
    if (update.checkpoints?.length) p.checkpoints = [...new Set([...(p.checkpoints ?? []), ...update.checkpoints])];
    if (events?.length) p.events = [...(p.events ?? []), ...events];
    if (update.paused !== undefined) p.paused = update.paused;
    if (!p.run && !p.metrics && !p.histograms && !p.quality && !p.samples && !p.checkpoints && !p.events && p.paused === undefined) return;
    this.pending.set(update.runId, p);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlush + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  /** Sends everything pending now (also used right before the panel goes away). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.size === 0) return;
    this.lastFlush = this.now();
    const messages = [...this.pending.values()];
    this.pending.clear();
    for (const m of messages) this.post(m);
  }

  /** Forgets pending updates and floors (the webview reloaded and will ask for a snapshot). */
  reset(): void {
    this.pending.clear();
    this.floors.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.reset();
  }
}
