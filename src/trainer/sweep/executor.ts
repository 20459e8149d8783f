/**
 * Where a sweep's trials run. An executor starts trials and says where each one is; the sweep
 * runner (sweepRunner.ts) does the rest: what a trial's result is (its run.json), sweep.json,
 * progress, stopping. Small on purpose, so that another engine (Kubernetes Jobs, say) is one more
 * implementation of this interface and nothing else changes.
 */
import type { SweepExecutor, SweepFile, SweepTrial } from '../../protocol/sweepFormat';

/** What an executor knows of a trial it was given. */
export type ExecutorState = 'waiting' | 'running' | 'gone';

export interface Executor {
  readonly kind: SweepExecutor['kind'];
  /**
   * Starts the given trials (the ones not done yet) and returns the executor's record for
   * sweep.json (a Slurm job id, say) and each trial's, to be merged into the sweep.
   */
  start(sweep: SweepFile, trials: readonly SweepTrial[]): Promise<{ executor: SweepExecutor; trials: Map<number, Partial<SweepTrial>> }>;
  /** Where each started trial is; a trial it no longer holds is `gone` (ended, for better or worse). */
  poll(): Promise<Map<number, ExecutorState>>;
  /** Stops every trial, or one, after its current step and a checkpoint; waiting ones never start. */
  stop(index?: number): Promise<void>;
}
