/**
 * The one place where a run's alarms are judged (src/analysis/alarms.ts). It keeps the history of
 * every run that trains in this window, judges it again as records arrive (at most once per
 * `throttleMs`), and reads finished runs from disk on demand. The dashboard banner, the status bar
 * and the notifications all show what this class says, so they never disagree. vscode-free.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { alarmOptionsOf, detectAlarms, type AlarmThresholds } from '../../analysis/alarms';
import type { GanConfig } from '../../config/ganConfig';
import type { Alarm, AlarmKind } from '../../protocol/alarms';
import { readMetrics, readQuality, readRunConfig } from '../../runDir/runReader';
import { RUN_FILES, type MetricRecord, type QualityRecord } from '../../protocol/runFormat';
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
    const alarms = judgeFromDisk(dir, t);
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
    const run: LiveRun = { runId, config: readRunConfig(dir), metrics: readMetrics(dir), quality: readQuality(dir), alarms: [], timer: undefined, lastEval: -Infinity, lastCostMs: 0 };
    this.live.set(dir, run);
    this.evaluate(dir, run);
  }

  /** New records of a live run; judged again within `throttleMs`. */
  records(runDir: string, update: { metrics?: MetricRecord[]; quality?: QualityRecord[] }): void {
    const dir = resolve(runDir);
    const run = this.live.get(dir);
    if (!run) return;
    if (update.metrics?.length) run.metrics.push(...update.metrics);
    if (update.quality?.length) run.quality.push(...update.quality);
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
    const alarms = t ? detectAlarms(run.metrics, run.quality, alarmOptionsOf(run.config), t) : [];
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
export function judgeFromDisk(runDir: string, t: AlarmThresholds): Alarm[] {
  return detectAlarms(readMetrics(runDir), readQuality(runDir), alarmOptionsOf(readRunConfig(runDir)), t);
}

/** Changes whenever the logs do: their sizes (appends) and run.json's modification time. */
function diskStamp(dir: string): string {
  const size = (f: string) => {
    const p = join(dir, f);
    return existsSync(p) ? `${statSync(p).size}:${statSync(p).mtimeMs}` : '-';
  };
  return `${size(RUN_FILES.metrics)}|${size(RUN_FILES.quality)}|${size(RUN_FILES.run)}`;
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
