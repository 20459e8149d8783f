/**
 * A sweep folder: `<runsDir>/<sweepId>/sweep.json` beside one ordinary run directory per trial.
 * sweep.json holds the plan (each trial's overrides and run folder), the executor and, per trial,
 * what the executor knows (pending, submitted to Slurm as job 123_4, …). A trial's own run.json is
 * the truth about its training once it exists.
 */
import * as v from 'valibot';
import { count, finite, positive, runId, text } from './fields';

export const SWEEP_FILE = 'sweep.json';
export const SWEEP_FORMAT_VERSION = 1;

/** Where a trial is, as its sweep sees it: `pending` until an executor starts it. */
export const TRIAL_STATUSES = ['pending', 'running', 'completed', 'stopped', 'failed'] as const;
export const trialStatus = v.picklist(TRIAL_STATUSES);
export type TrialStatus = v.InferOutput<typeof trialStatus>;

export const sweepTrial = v.object({
  index: count,
  /** JSON pointer → value: what this trial changes in the gan.json. */
  overrides: v.record(v.string(), v.unknown()),
  /** The trial's run folder inside the sweep folder, also its run id. */
  runId,
  status: trialStatus,
  /** Slurm: the array task's job id ("123_4"). */
  jobId: v.optional(text),
});
export interface SweepTrial extends v.InferOutput<typeof sweepTrial> {}

export const sweepExecutor = v.variant('kind', [
  v.object({ kind: v.literal('local'), parallel: positive, pid: v.optional(positive) }),
  v.object({
    kind: v.literal('slurm'),
    parallel: v.optional(positive),
    /** The job array's id, once submitted. */
    jobId: v.optional(text),
    /** The sbatch script, inside the sweep folder. */
    script: text,
    /** The sbatch options it was submitted with, for the record. */
    options: v.array(text),
  }),
]);
export type SweepExecutor = v.InferOutput<typeof sweepExecutor>;

export const SWEEP_STATUSES = ['running', 'completed', 'stopped', 'failed'] as const;

export const sweepFile = v.object({
  formatVersion: positive,
  id: runId,
  name: text,
  /** Absolute path of the gan.json the sweep was planned from. */
  configPath: text,
  /** A hash of the gan.json's content: the same file continues the same sweep. */
  configHash: text,
  createdAt: text,
  updatedAt: text,
  method: v.picklist(['grid', 'random']),
  parameters: v.array(text),
  executor: sweepExecutor,
  status: v.picklist(SWEEP_STATUSES),
  trials: v.array(sweepTrial),
});
export interface SweepFile extends v.InferOutput<typeof sweepFile> {}

/** One quality measure or loss of a trial, as the sweep table shows it. */
export const trialMeasure = v.object({ final: finite, best: finite });
export interface TrialMeasure extends v.InferOutput<typeof trialMeasure> {}

/** One row of the sweep table: a trial with its run's state and its measures. */
export const trialRow = v.object({
  index: count,
  runId,
  overrides: v.record(v.string(), v.unknown()),
  /** The overrides without the seed: repeats of one setting share it. */
  setting: text,
  /** The run's status, `pending` before it exists, `interrupted` when it says running but no trainer is behind it. */
  status: v.picklist([...TRIAL_STATUSES, 'interrupted']),
  step: count,
  totalSteps: count,
  /** Measure key (see src/analysis/sweepSummary.ts) → its final and best value. */
  measures: v.record(v.string(), trialMeasure),
  error: v.optional(text),
});
export interface TrialRow extends v.InferOutput<typeof trialRow> {}

/** A sweep as its panel shows it: read from the files, refreshed while trials train. */
export const sweepView = v.object({
  id: runId,
  name: text,
  dir: text,
  configPath: text,
  status: v.picklist(SWEEP_STATUSES),
  executor: v.picklist(['local', 'slurm']),
  jobId: v.optional(text),
  parameters: v.array(text),
  createdAt: text,
  trials: v.array(trialRow),
});
export interface SweepView extends v.InferOutput<typeof sweepView> {}
