/**
 * One run as the webview holds it: metrics in growable typed-array columns (NaN marks a missing
 * value), histograms and samples sorted by step. Snapshots and appends both land here, so a
 * replayed or overlapping append cannot duplicate a step.
 */
import { lossUsesProbability, type GanConfig } from '../../src/config/ganConfig';
import type { LayerNormColumns, RunSnapshot } from '../../src/protocol/webviewProtocol';
import { METRIC_KEYS, type HistogramRecord, type MetricKey, type MetricRecord, type QualityRecord, type RunEvent, type RunInfo, type SampleView } from '../../src/protocol/runFormat';
import type { Alarm } from '../../src/protocol/alarms';

export class Column {
  data: Float64Array;
  n = 0;
  /** Bumped when values are removed, so incremental consumers (smoothing) know to start over. */
  epoch = 0;
  constructor(capacity: number) {
    this.data = new Float64Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.n === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.n++] = v;
  }
  /** Replaces the contents with a copy of `values`. */
  setAll(values: Float64Array): void {
    if (values.length > this.data.length) this.data = new Float64Array(Math.max(16, values.length * 2));
    this.data.set(values);
    this.n = values.length;
    this.epoch++;
  }
  truncate(n: number): void {
    if (n >= this.n) return;
    this.n = n;
    this.epoch++;
  }
}

/** The four per-layer norms: gradients and weights of G and D, one column per layer. */
export const LAYER_NORM_KEYS = ['gGrad', 'dGrad', 'gWeight', 'dWeight'] as const;
export type LayerNormKey = (typeof LAYER_NORM_KEYS)[number];
const RECORD_KEY: Record<LayerNormKey, 'gLayerGradNorms' | 'dLayerGradNorms' | 'gLayerWeightNorms' | 'dLayerWeightNorms'> = {
  gGrad: 'gLayerGradNorms',
  dGrad: 'dLayerGradNorms',
  gWeight: 'gLayerWeightNorms',
  dWeight: 'dLayerWeightNorms',
};

/** The protocol carries a value that was not finite as NaN; a column keeps it as a gap. */
const num = (v: number | undefined): number => (v !== undefined && Number.isFinite(v) ? v : NaN);

export class RunData {
  info: RunInfo;
  /** The resolved config (config.json), or null when the run has none that reads. */
  config: GanConfig | null;
  readonly step: Column;
  readonly wallMs: Column;
  readonly metrics: Record<MetricKey, Column>;
  histograms: HistogramRecord[];
  samples: SampleView[];
  realSamples: SampleView | undefined;
  /** Sample-quality measures by step (quality.jsonl). */
  quality: QualityRecord[];
  /** Steps with a complete checkpoint, ascending. */
  checkpoints: number[];
  /** The host's judgement of the run (it owns the alarms; the webview only shows them). */
  alarms: Alarm[];
  /** events.jsonl: live edits, pauses and manual steps, by seq. */
  events: RunEvent[];
  /** Whether the live run's trainer is paused now. */
  paused: boolean;
  /** Per-layer norms, aligned with `step` (one column per layer of run.json `layers`). */
  readonly layerNorms: Record<LayerNormKey, Column[]>;
  /** Bumped on every change, so views can tell whether their cached work is stale. */
  version = 0;

  constructor(snapshot: RunSnapshot) {
    this.info = snapshot.run;
    this.config = snapshot.config;
    const m = snapshot.metrics;
    const n = m.step.length;
    this.step = new Column(n);
    this.wallMs = new Column(n);
    this.metrics = {} as Record<MetricKey, Column>;
    for (const k of METRIC_KEYS) this.metrics[k] = new Column(n);
    const layers = layerColumns(snapshot.layerNorms, n);
    this.layerNorms = {
      gGrad: layerCount(snapshot.run.layers?.generator, layers?.gGrad).map(() => new Column(n)),
      dGrad: layerCount(snapshot.run.layers?.discriminator, layers?.dGrad).map(() => new Column(n)),
      gWeight: layerCount(snapshot.run.layers?.generator, layers?.gWeight).map(() => new Column(n)),
      dWeight: layerCount(snapshot.run.layers?.discriminator, layers?.dWeight).map(() => new Column(n)),
    };
    // The host's columns are read from metrics.jsonl in step order; they are copied in one block
    // when that holds, and record by record (dropping what a resume replaced) when it does not.
    if (increasing(m.step)) {
      this.step.setAll(m.step);
      this.wallMs.setAll(m.wallMs);
      for (const k of METRIC_KEYS) this.metrics[k].setAll(m[k]);
      for (const k of LAYER_NORM_KEYS) this.layerNorms[k].forEach((c, j) => c.setAll(layers?.[k][j] ?? new Float64Array(n).fill(NaN)));
    } else {
      for (let i = 0; i < n; i++) {
        const s = m.step[i];
        if (Number.isNaN(s)) continue;
        this.makeRoomFor(s);
        this.step.push(s);
        this.wallMs.push(m.wallMs[i]);
        for (const k of METRIC_KEYS) this.metrics[k].push(m[k][i]);
        for (const k of LAYER_NORM_KEYS) this.layerNorms[k].forEach((c, j) => c.push(layers?.[k][j]?.[i] ?? NaN));
      }
    }
    this.histograms = sortedByStep(snapshot.histograms);
    this.samples = sortedByStep(snapshot.samples);
    this.realSamples = snapshot.realSamples;
    this.quality = sortedByStep(snapshot.quality);
    this.checkpoints = [...new Set(snapshot.checkpoints)].sort((a, b) => a - b);
    this.alarms = snapshot.alarms;
    this.events = mergeEvents([], snapshot.events ?? []);
    this.paused = snapshot.paused === true;
  }

  get id(): string {
    return this.info.id;
  }
  get length(): number {
    return this.step.n;
  }

  /**
   * A resumed run re-logs the steps after its checkpoint; the later record wins, which keeps the
   * step column strictly increasing (the charts binary-search it).
   */
  private makeRoomFor(step: number): void {
    const s = this.step;
    if (s.n === 0 || s.data[s.n - 1] < step) return;
    let lo = 0;
    let hi = s.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s.data[mid] < step) lo = mid + 1;
      else hi = mid;
    }
    s.truncate(lo);
    this.wallMs.truncate(lo);
    for (const k of METRIC_KEYS) this.metrics[k].truncate(lo);
    for (const k of LAYER_NORM_KEYS) for (const c of this.layerNorms[k]) c.truncate(lo);
  }

  appendMetrics(records: MetricRecord[]): void {
    for (const r of records) {
      const s = r.step;
      this.makeRoomFor(s);
      this.step.push(s);
      this.wallMs.push(num(r.wallMs));
      for (const k of METRIC_KEYS) this.metrics[k].push(num(r[k]));
      for (const k of LAYER_NORM_KEYS) {
        const values = r[RECORD_KEY[k]];
        this.layerNorms[k].forEach((c, j) => c.push(num(values?.[j])));
      }
    }
    this.version++;
  }

  appendEvents(events: readonly RunEvent[]): void {
    this.events = mergeEvents(this.events, events);
    this.version++;
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    this.version++;
  }

  /** Whether any per-layer norm was logged. */
  get hasLayerNorms(): boolean {
    return LAYER_NORM_KEYS.some((k) => this.layerNorms[k].some((c) => {
      for (let i = 0; i < c.n; i++) if (!Number.isNaN(c.data[i])) return true;
      return false;
    }));
  }

  appendHistograms(records: HistogramRecord[]): void {
    this.histograms = mergeByStep(this.histograms, records);
    this.version++;
  }

  appendSamples(records: SampleView[]): void {
    this.samples = mergeByStep(this.samples, records);
    this.version++;
  }

  appendQuality(records: QualityRecord[]): void {
    this.quality = mergeByStep(this.quality, records);
    this.version++;
  }

  addCheckpoints(steps: number[]): void {
    this.checkpoints = [...new Set([...this.checkpoints, ...steps])].sort((a, b) => a - b);
    this.version++;
  }

  setInfo(info: RunInfo): void {
    this.info = info;
    this.version++;
  }

  /** True when the run logged the metric at least once (gradient penalty exists only for WGAN-GP). */
  has(key: MetricKey): boolean {
    const c = this.metrics[key];
    for (let i = 0; i < c.n; i++) if (!Number.isNaN(c.data[i])) return true;
    return false;
  }

  /** Index of the last logged step <= step, or -1. */
  indexAtStep(step: number): number {
    return lastAtOrBefore(this.step.data, this.step.n, step);
  }

  /** The generator's latent size and distribution from the resolved config (0 when unknown). */
  get latent(): { dim: number; distribution: 'normal' | 'uniform' } {
    const g = this.config?.generator;
    return { dim: g?.latentDim ?? 0, distribution: g?.latentDistribution ?? 'normal' };
  }

  /** Whether D's output is a probability: only then does 0.5 mean "can't tell". */
  get dIsProbability(): boolean {
    if (this.config) return lossUsesProbability(this.config.loss.type);
    const h = this.histograms[0];
    return h ? h.lo >= 0 && h.hi <= 1 : true;
  }
}

/** Binary search in an increasing array: the last index whose value is <= x, or -1. */
export function lastAtOrBefore(a: ArrayLike<number>, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Index of the record with step <= `step` (or the first one when all are later). */
export function recordAtStep<T extends { step: number }>(records: readonly T[], step: number): number {
  if (records.length === 0) return -1;
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (records[mid].step <= step) lo = mid + 1;
    else hi = mid;
  }
  return Math.max(0, lo - 1);
}

/** Events by seq; a replayed one (same seq) replaces the one held. */
function mergeEvents(existing: readonly RunEvent[], added: readonly RunEvent[]): RunEvent[] {
  const bySeq = new Map(existing.map((e) => [e.seq, e]));
  for (const e of added) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * The snapshot's layer columns when they have the shape the protocol promises (the parser checks
 * only that they are an object): four arrays of Float64Array as long as the steps.
 */
function layerColumns(x: LayerNormColumns | undefined, n: number): LayerNormColumns | undefined {
  if (!x) return undefined;
  const ok = LAYER_NORM_KEYS.every((k) => Array.isArray(x[k]) && x[k].length <= 1000 && x[k].every((c) => c instanceof Float64Array && c.length === n));
  return ok ? x : undefined;
}

/** One slot per named layer (or per column when the run names none). */
function layerCount(names: readonly string[] | undefined, columns: readonly Float64Array[] | undefined): number[] {
  return Array.from({ length: names?.length ?? columns?.length ?? 0 }, (_, i) => i);
}

function sortedByStep<T extends { step: number }>(records: readonly T[]): T[] {
  return mergeByStep([], records);
}

/** Adds records, replacing any with the same step, keeping step order. Appends are the common case. */
function mergeByStep<T extends { step: number }>(existing: T[], added: readonly T[]): T[] {
  let out = existing;
  let copied = false;
  for (const r of added) {
    const last = out[out.length - 1];
    if (!last || last.step < r.step) {
      if (!copied) {
        out = out.slice();
        copied = true;
      }
      out.push(r);
      continue;
    }
    if (!copied) {
      out = out.slice();
      copied = true;
    }
    const i = out.findIndex((x) => x.step >= r.step);
    if (out[i].step === r.step) out[i] = r;
    else out.splice(i, 0, r);
  }
  return out;
}

/** Whether steps strictly increase and none is missing (the common case: a log read in order). */
function increasing(steps: Float64Array): boolean {
  for (let i = 0; i < steps.length; i++) if (!(steps[i] > (i > 0 ? steps[i - 1] : -Infinity))) return false;
  return true;
}
