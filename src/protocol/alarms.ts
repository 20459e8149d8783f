/**
 * What the host's alarm judge (src/analysis/alarms.ts) says about a run, as it crosses to the
 * dashboard and the status bar: the kinds, and one alarm's shape.
 */
import * as v from 'valibot';
import { count, finite, text } from './fields';

export const ALARM_KINDS = ['mode-collapse', 'discriminator-wins', 'divergence', 'equilibrium', 'weak-discriminator'] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

/**
 * The measures that can decide whether D ≈ 0.5 is an equilibrium: the share of samples on a mode
 * and the modes covered (2-D mixtures), D's map at the data and the samples (2-D data), the
 * Fréchet classifier distance and the digit classes (MNIST), and the sliced Wasserstein distance.
 */
export const VERDICT_MEASURES = ['high-quality', 'modes', 'd-map', 'fcd', 'classes', 'swd'] as const;
export type VerdictMeasure = (typeof VERDICT_MEASURES)[number];

/** One measure against what equilibrium needs of it. */
export const verdictCheck = v.object({
  measure: v.picklist(VERDICT_MEASURES),
  /** Its name as the Quality tab titles it. */
  label: text,
  value: finite,
  /** The limit it is held to: at least this (`atLeast`), or at most. */
  limit: finite,
  atLeast: v.boolean(),
  pass: v.boolean(),
  /** In words, with its numbers: "65 % of the samples lie within 3σ of a mode (equilibrium needs ≥ 90 %)". */
  text,
});
export interface VerdictCheck extends v.InferOutput<typeof verdictCheck> {}

/** The checks read at one quality measurement, and the one that decided. */
export const verdictEvidence = v.object({
  /** The step of the quality measurement (and sample picture) the checks read. */
  step: count,
  checks: v.array(verdictCheck),
  /** The first check that failed; when all passed, the one that sees most (the first listed). */
  decidedBy: v.picklist(VERDICT_MEASURES),
});
export interface VerdictEvidence extends v.InferOutput<typeof verdictEvidence> {}

export const alarm = v.object({
  kind: v.picklist(ALARM_KINDS),
  severity: v.picklist(['warning', 'info']),
  /** Logged steps where the condition held, as [first, last] ranges. */
  ranges: v.array(v.tuple([count, count])),
  title: text,
  message: text,
  /**
   * Equilibrium and weak-discriminator verdicts: the measurements they read, in step order, one
   * per quality measurement whose steps the ranges hold.
   */
  evidence: v.optional(v.array(verdictEvidence)),
});
export interface Alarm extends v.InferOutput<typeof alarm> {}
