/**
 * The trials of a sweep: a grid of every combination, or `count` random draws, from the sweep
 * block of a gan.json. Deterministic for the block: the same gan.json plans the same trials, which
 * is what lets a sweep run again continue where it stopped.
 */
import type { SweepConfig, SweepParameter } from '../config/ganConfig';
import { mulberry32 } from './random';

/** What one trial sets: JSON pointer → value, in the order of the sweep's parameters. */
export type Overrides = Record<string, unknown>;

export interface PlannedTrial {
  index: number;
  overrides: Overrides;
}

/** The pointer of the training seed: trials that differ only in it are repeats of one setting. */
export const SEED_POINTER = '/seed';

function draw(p: SweepParameter, rnd: () => number): unknown {
  if (Array.isArray(p)) return p[Math.min(p.length - 1, Math.floor(rnd() * p.length))];
  const u = rnd();
  const v = p.log ? Math.exp(Math.log(p.min) + u * (Math.log(p.max) - Math.log(p.min))) : p.min + u * (p.max - p.min);
  // Round to what a person would write, so a trial's overrides read well.
  return p.integer ? Math.round(v) : Number(v.toPrecision(4));
}

export function planTrials(sweep: SweepConfig): PlannedTrial[] {
  const params = Object.entries(sweep.parameters);
  if (sweep.method === 'random') {
    const rnd = mulberry32(sweep.seed);
    return Array.from({ length: sweep.count ?? 1 }, (_, index) => ({ index, overrides: Object.fromEntries(params.map(([k, p]) => [k, draw(p, rnd)])) }));
  }
  // A grid: the last parameter varies fastest.
  let combos: Overrides[] = [{}];
  for (const [k, p] of params) {
    const values = Array.isArray(p) ? p : [p.min, p.max];
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
  }
  return combos.map((overrides, index) => ({ index, overrides }));
}

/** A trial's setting: its overrides without the seed, as a stable key (repeats share it). */
export function settingKey(overrides: Overrides): string {
  return JSON.stringify(Object.entries(overrides).filter(([k]) => k !== SEED_POINTER));
}

/** "/training/generatorOptimizer/learningRate=0.0002 /seed=3", for lists and logs. */
export function describeOverrides(overrides: Overrides): string {
  return Object.entries(overrides)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
}
