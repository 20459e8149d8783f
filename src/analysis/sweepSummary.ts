/**
 * What the sweep table shows of a trial: the final and the best value of each quality measure
 * and of the losses, and, over repeats of one setting (trials that differ only in /seed), their
 * mean, spread, worst and best.
 */
import type { MetricRecord, QualityRecord } from '../protocol/runFormat';
import type { TrialMeasure } from '../protocol/sweepFormat';

export interface SweepMeasure {
  key: string;
  label: string;
  /** Which way is better: the best value of a run, and the worst and best of a setting. */
  better: 'lower' | 'higher';
  from: 'quality' | 'metrics';
  read: (r: QualityRecord & MetricRecord) => number | undefined;
}

/** The columns, in table order. Only those a sweep's trials have are shown. */
export const SWEEP_MEASURES: readonly SweepMeasure[] = [
  { key: 'swd', label: 'SWD', better: 'lower', from: 'quality', read: (r) => r.swd },
  { key: 'swdRatio', label: 'SWD / floor', better: 'lower', from: 'quality', read: (r) => (r.swdFloor > 0 ? r.swd / r.swdFloor : undefined) },
  { key: 'modesCovered', label: 'modes', better: 'higher', from: 'quality', read: (r) => r.modesCovered },
  { key: 'highQuality', label: 'HQ share', better: 'higher', from: 'quality', read: (r) => r.highQuality },
  { key: 'fcd', label: 'FCD', better: 'lower', from: 'quality', read: (r) => r.fcd },
  { key: 'precision', label: 'precision', better: 'higher', from: 'quality', read: (r) => r.precision },
  { key: 'recall', label: 'recall', better: 'higher', from: 'quality', read: (r) => r.recall },
  { key: 'dLoss', label: 'D loss', better: 'lower', from: 'metrics', read: (r) => r.dLoss },
  { key: 'gLoss', label: 'G loss', better: 'lower', from: 'metrics', read: (r) => r.gLoss },
];

export function measureByKey(key: string): SweepMeasure | undefined {
  return SWEEP_MEASURES.find((m) => m.key === key);
}

/** The final (last finite) and the best value of every measure a trial recorded. */
export function trialMeasures(metrics: readonly MetricRecord[], quality: readonly QualityRecord[]): Record<string, TrialMeasure> {
  const out: Record<string, TrialMeasure> = {};
  for (const m of SWEEP_MEASURES) {
    const records = (m.from === 'quality' ? quality : metrics) as readonly (QualityRecord & MetricRecord)[];
    let final: number | undefined;
    let best: number | undefined;
    for (const r of records) {
      const v = m.read(r);
      if (v === undefined || !Number.isFinite(v)) continue;
      final = v;
      if (best === undefined || (m.better === 'lower' ? v < best : v > best)) best = v;
    }
    if (final !== undefined && best !== undefined) out[m.key] = { final, best };
  }
  return out;
}

export interface Spread {
  n: number;
  mean: number;
  std: number;
  worst: number;
  best: number;
}

/** Mean ± std (sample std; 0 for one value), worst and best of a measure over repeats. */
export function spreadOf(values: readonly number[], better: SweepMeasure['better']): Spread | undefined {
  const xs = values.filter(Number.isFinite);
  if (xs.length === 0) return undefined;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return { n: xs.length, mean, std, worst: better === 'lower' ? hi : lo, best: better === 'lower' ? lo : hi };
}
