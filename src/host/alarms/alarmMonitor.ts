/**
 * The one place where a run's alarms are judged (src/analysis/alarms.ts). It keeps the history of
 * every run that trains in this window, judges it again as records arrive (at most once per
 * `throttleMs`), and reads finished runs from disk on demand. The dashboard banner, the status bar
 * and the notifications all show what this class says, so they never disagree. vscode-free.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as v from 'valibot';
import { alarmOptionsOf, detectAlarms, discriminatorMapOf, type AlarmThresholds, type DiscriminatorMap } from '../../analysis/alarms';
import type { GanConfig } from '../../config/ganConfig';
import type { Alarm, AlarmKind } from '../../protocol/alarms';
import { readMetrics, readQuality, readRunConfig, readSamples } from '../../runDir/runReader';
import { RUN_FILES, samplePoints2D, type MetricRecord, type QualityRecord, type SampleRecord } from '../../protocol/runFormat';
import { Emitter, type Disposable } from '../events';

export interface AlarmChange {
  runDir: string;
  runId: string;
  alarms: Alarm[];
}

export interface RaisedAlarm {
  runDir: string;
  runId: string;
  alarm: Alarm;
}

/** Remembers which alarms were already announced, so each is announced once per run (and kind). */
export interface AnnouncedStore {
  has(key: string): boolean;
  add(key: string): void;
}

interface LiveRun {
  runId: string;
  config: GanConfig | null;
  metrics: MetricRecord[];
  quality: QualityRecord[];
  /** D's map at each sample step of 2-D data, read once from its sample file. */
  maps: DiscriminatorMap[];
  alarms: Alarm[];
  timer: NodeJS.Timeout | undefined;
  lastEval: number;
  /** How long the last judgement took: a long history is judged less often (≤ 5 % of the time). */
  lastCostMs: number;
}

/** Live runs are judged again at most this often: detectAlarms is linear in the history. */
export const ALARM_THROTTLE_MS = 1000;

export class AlarmMonitor implements Disposable {
  private readonly live = new Map<string, LiveRun>();
  private readonly diskCache = new Map<string, { stamp: string; alarms: Alarm[] }>();
  /** D's maps by sample file: a sample step's file is written once, so each is read once. */
  private readonly mapCache = new MapCache();
  private readonly _onDidChange = new Emitter<AlarmChange>();
  /** A run's alarms changed (live, or after the thresholds did). */
  readonly onDidChange = this._onDidChange.event;
  private readonly _onDidRaise = new Emitter<RaisedAlarm>();
  private readonly _onDidReset = new Emitter<void>();
  /** The thresholds changed: whoever shows a run that does not train here should ask again. */
  readonly onDidReset = this._onDidReset.event;
  /** An alarm kind fired for the first time in a run that trains in this window. */
  readonly onDidRaise = this._onDidRaise.event;

  /**
   * @param thresholds the current thresholds, or undefined when alarms are turned off (settings).
   */
  constructor(
    private readonly thresholds: () => AlarmThresholds | undefined,
    private readonly announced: AnnouncedStore,
    private readonly throttleMs = ALARM_THROTTLE_MS,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The alarms of a run: from the live history when it trains here, else from its files. */
  alarmsFor(runDir: string): Alarm[] {
    const dir = resolve(runDir);
    const live = this.live.get(dir);
    if (live) return live.alarms;
    const t = this.thresholds();
    if (!t) return [];
    const stamp = diskStamp(dir);
    const cached = this.diskCache.get(dir);
    if (cached && cached.stamp === stamp) return cached.alarms;
    const alarms = judgeFromDisk(dir, t, this.mapCache);
    this.diskCache.set(dir, { stamp, alarms });
    return alarms;
  }

  /**
   * A trainer started (or resumed) the run: its history on disk is the start of the live one (a
   * resume has just rewound the logs to its checkpoint). Alarms that the history already holds
   * are not announced again.
   */
  started(runDir: string, runId: string): void {
    const dir = resolve(runDir);
    this.stopTimer(dir);
    const config = readRunConfig(dir);
    const maps = alarmOptionsOf(config).probability ? readMaps(dir, readSamples(dir), this.mapCache) : [];
    const run: LiveRun = { runId, config, metrics: readMetrics(dir), quality: readQuality(dir), maps, alarms: [], timer: undefined, lastEval: -Infinity, lastCostMs: 0 };
    this.live.set(dir, run);
    this.evaluate(dir, run);
  }

  /**
   * New records of a live run; judged again within `throttleMs`. A sample record's file is on
   * disk when the trainer announces it; a 2-D picture's map of D is read from it.
   */
  records(runDir: string, update: { metrics?: MetricRecord[]; quality?: QualityRecord[]; samples?: SampleRecord[] }): void {
    const dir = resolve(runDir);
    const run = this.live.get(dir);
    if (!run) return;
    if (update.metrics?.length) run.metrics.push(...update.metrics);
    if (update.quality?.length) run.quality.push(...update.quality);
    if (update.samples?.length && alarmOptionsOf(run.config).probability) run.maps.push(...readMaps(dir, update.samples, this.mapCache));
    this.schedule(dir, run);
  }

  /** The trainer is gone: a last judgement, then the run is read from disk like any other. */
  ended(runDir: string): void {
    const dir = resolve(runDir);
    const run = this.live.get(dir);
    if (!run) return;
    this.stopTimer(dir);
    this.evaluate(dir, run);
    this.live.delete(dir);
    this.diskCache.delete(dir);
  }

  /** The thresholds changed: live runs are judged again, and views re-read the others. */
  thresholdsChanged(): void {
    this.diskCache.clear();
    for (const [dir, run] of this.live) this.evaluate(dir, run);
    this._onDidReset.fire();
  }

  isLive(runDir: string): boolean {
    return this.live.has(resolve(runDir));
  }

  private schedule(dir: string, run: LiveRun): void {
    if (run.timer) return;
    const wait = Math.max(0, run.lastEval + Math.max(this.throttleMs, 20 * run.lastCostMs) - this.now());
    run.timer = setTimeout(() => {
      run.timer = undefined;
      if (this.live.get(dir) === run) this.evaluate(dir, run);
    }, wait);
  }

  private stopTimer(dir: string): void {
    const run = this.live.get(dir);
    if (run?.timer) clearTimeout(run.timer);
    if (run) run.timer = undefined;
  }

  private evaluate(dir: string, run: LiveRun): void {
    run.lastEval = this.now();
    const t = this.thresholds();
    const t0 = Date.now();
    const alarms = t ? detectAlarms(run.metrics, run.quality, alarmOptionsOf(run.config), t, run.maps) : [];
    run.lastCostMs = Date.now() - t0;
    const changed = JSON.stringify(alarms) !== JSON.stringify(run.alarms);
    const before = new Set<AlarmKind>(run.alarms.map((a) => a.kind));
    run.alarms = alarms;
    if (changed) this._onDidChange.fire({ runDir: dir, runId: run.runId, alarms });
    for (const a of alarms) {
      const key = `${run.runId}:${a.kind}`;
      if (before.has(a.kind) || this.announced.has(key)) continue;
      this.announced.add(key);
      this._onDidRaise.fire({ runDir: dir, runId: run.runId, alarm: a });
    }
  }

  dispose(): void {
    for (const run of this.live.values()) if (run.timer) clearTimeout(run.timer);
    this.live.clear();
    this._onDidChange.dispose();
    this._onDidRaise.dispose();
    this._onDidReset.dispose();
  }
}

/** Judges a run from its files (a finished run, or one trained by another process). */
export function judgeFromDisk(runDir: string, t: AlarmThresholds, cache = new MapCache()): Alarm[] {
  const config = readRunConfig(runDir);
  const opts = alarmOptionsOf(config);
  // D's map is a probability only for the losses whose D outputs one; a critic's is never 0.5.
  const maps = opts.probability ? readMaps(runDir, readSamples(runDir), cache) : [];
  return detectAlarms(readMetrics(runDir), readQuality(runDir), opts, t, maps);
}

/** Sample files read at most once each (up to a bound, then forgotten all at once). */
export class MapCache {
  private readonly byFile = new Map<string, DiscriminatorMap | null>();
  constructor(private readonly max = 20_000) {}
  get(file: string): DiscriminatorMap | null {
    const hit = this.byFile.get(file);
    if (hit !== undefined) return hit;
    if (this.byFile.size >= this.max) this.byFile.clear();
    const map = readMap(file);
    this.byFile.set(file, map);
    return map;
  }
}

/** D's maps of the training steps' 2-D pictures among `samples` (manual steps' pictures are not judged). */
function readMaps(dir: string, samples: SampleRecord[], cache: MapCache): DiscriminatorMap[] {
  const out: DiscriminatorMap[] = [];
  for (const s of samples) {
    if (s.kind !== 'points2d' || s.manual !== undefined) continue;
    const map = cache.get(join(dir, s.file));
    if (map) out.push(map);
  }
  return out;
}

/**
 * One sample file's map of D. A file that cannot be read or is not a points picture gives no map:
 * the verdict then goes without that check, as it does for a run without heatmaps, and says so
 * by not listing it.
 */
function readMap(file: string): DiscriminatorMap | null {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  const parsed = v.safeParse(samplePoints2D, json);
  return parsed.success ? discriminatorMapOf(parsed.output) : null;
}

/** Changes whenever the logs do: their sizes (appends, a new sample picture) and run.json's modification time. */
function diskStamp(dir: string): string {
  const size = (f: string) => {
    const p = join(dir, f);
    return existsSync(p) ? `${statSync(p).size}:${statSync(p).mtimeMs}` : '-';
  };
  return `${size(RUN_FILES.metrics)}|${size(RUN_FILES.quality)}|${size(RUN_FILES.samples)}|${size(RUN_FILES.run)}`;
}

/** Settings values (any shape) into thresholds: invalid entries fall back to the defaults. */
export function thresholdsFrom(get: (key: keyof AlarmThresholds) => unknown, defaults: AlarmThresholds): AlarmThresholds {
  const out = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof AlarmThresholds)[]) {
    const v = get(key);
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[key] = key === 'window' ? Math.max(1, Math.round(v)) : v;
  }
  return out;
}
