/**
 * How fast a run trains and when it will be done: one estimate, made by the trainer from the wall
 * clock (sampling, quality measures and checkpoints included, since they take time too) and
 * shown as it is by the status bar, the dashboard and the terminal. Also the one way a duration
 * is written.
 */
import type { RunInfo } from '../protocol/runFormat';

/** Steps per second over a trailing window of wall-clock time. */
export class SpeedMeter {
  private readonly ticks: { step: number; ms: number }[] = [];

  /**
   * @param windowMs how much recent history the speed is measured over: long enough to smooth out
   *   checkpoints and sample steps, short enough to follow a change of pace.
   * @param minGapMs ticks closer than this are merged, so a fast toy run keeps a short list.
   */
  constructor(
    private readonly windowMs = 20_000,
    private readonly minGapMs = 100,
  ) {}

  /** `step` was completed at `ms` (any monotonic clock). */
  tick(step: number, ms: number): void {
    const last = this.ticks.at(-1);
    if (last && ms - last.ms < this.minGapMs) {
      last.step = step;
      return;
    }
    this.ticks.push({ step, ms });
    while (this.ticks.length > 2 && ms - this.ticks[1].ms >= this.windowMs) this.ticks.shift();
  }

  /** Forget the history (a pause: the time spent waiting is not training). */
  reset(): void {
    this.ticks.length = 0;
  }

  get stepsPerSec(): number | undefined {
    const first = this.ticks[0];
    const last = this.ticks.at(-1);
    if (!first || !last || last.step <= first.step || last.ms <= first.ms) return undefined;
    return ((last.step - first.step) * 1000) / (last.ms - first.ms);
  }

  /** Seconds until `totalSteps` at the current speed. */
  etaSec(totalSteps: number): number | undefined {
    const sps = this.stepsPerSec;
    const last = this.ticks.at(-1);
    return sps && last ? Math.max(0, totalSteps - last.step) / sps : undefined;
  }
}

/**
 * What to show of a run's pace: the trainer's last estimate (run.json keeps it), with its ETA
 * while the run trains; for a run from before estimates were kept, the average over its training.
 */
export function paceOf(info: Pick<RunInfo, 'status' | 'step' | 'trainingMs' | 'stepsPerSec' | 'etaSec'>): { stepsPerSec?: number; etaSec?: number } {
  const stepsPerSec = info.stepsPerSec ?? (info.trainingMs > 0 && info.step > 0 ? (info.step * 1000) / info.trainingMs : undefined);
  const etaSec = info.status === 'running' ? info.etaSec : undefined;
  return { ...(stepsPerSec !== undefined ? { stepsPerSec } : {}), ...(etaSec !== undefined ? { etaSec } : {}) };
}

/** "1:05:09", "4:07", "0:09"; "–" when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Steps per second with the precision its size deserves: "0.85", "12.3", "450". */
export function formatSpeed(stepsPerSec: number | undefined): string {
  if (stepsPerSec === undefined || !Number.isFinite(stepsPerSec) || stepsPerSec <= 0) return '–';
  return stepsPerSec < 10 ? stepsPerSec.toFixed(2) : stepsPerSec < 100 ? stepsPerSec.toFixed(1) : stepsPerSec.toFixed(0);
}

/** Losses with three significant digits, or "–" before the first step. */
export function formatLoss(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(3) : '–';
}
