/**
 * The sweep controller: gives an executor the trials that are not done, follows them until none
 * waits or runs, and keeps sweep.json up to date. A trial's result is what its run.json says; a
 * trial that ended without one (its data would not load, say) failed. Stopping stops every trial
 * after its step, checkpointed; running the sweep again continues it.
 */
import { join } from 'node:path';
import type { SweepFile, SweepTrial, TrialStatus } from '../../protocol/sweepFormat';
import { readSweep, trialRun, writeSweep } from '../../runDir/sweepDir';
import type { Executor, ExecutorState } from './executor';

export interface RunSweepOptions {
  sweepDir: string;
  executor: Executor;
  shouldStop: () => boolean;
  /** Leave the trials to their executor and return now (sweep.json stays "running"). */
  shouldDetach?: () => boolean;
  /** Called whenever sweep.json changed. */
  onChange?: (sweep: SweepFile) => void;
  /** How often the executor is asked (Slurm's squeue: not too often). */
  pollMs?: number;
}

export interface SweepOutcome {
  sweep: SweepFile;
  completed: number;
  stopped: number;
  failed: number;
  /** The controller left its trials to the executor. */
  detached?: boolean;
}

/** A trial is done when its run completed; everything else is run (again) by the next sweep. */
function isDone(sweepDir: string, t: SweepTrial): boolean {
  return trialRun(sweepDir, t)?.status === 'completed';
}

/** What a trial's status is now, from the executor's state and the trial's run.json. */
function statusOf(sweepDir: string, t: SweepTrial, state: ExecutorState | undefined, stopRequested: boolean): TrialStatus {
  const run = trialRun(sweepDir, t);
  if (state === 'waiting') return 'pending';
  if (state === 'running') return 'running';
  if (state === 'gone') {
    if (!run) return stopRequested ? 'stopped' : 'failed';
    // Gone with run.json still saying running: the trainer was killed before it could say more.
    return run.status === 'running' ? (stopRequested ? 'stopped' : 'failed') : run.status;
  }
  return run?.status === 'completed' ? 'completed' : t.status;
}

export async function runSweep(opts: RunSweepOptions): Promise<SweepOutcome> {
  const { sweepDir, executor } = opts;
  let sweep = readSweep(sweepDir);
  const todo = sweep.trials.filter((t) => !isDone(sweepDir, t));
  const save = (next: SweepFile) => {
    sweep = writeSweep(sweepDir, next);
    opts.onChange?.(sweep);
  };
  const mark = (statuses: Map<number, Partial<SweepTrial>>, status?: SweepFile['status'], executorRecord?: SweepFile['executor']) => {
    const trials = sweep.trials.map((t) => ({ ...t, ...(statuses.get(t.index) ?? {}), ...(isDone(sweepDir, t) ? { status: 'completed' as const } : {}) }));
    const changed = JSON.stringify(trials) !== JSON.stringify(sweep.trials) || (status !== undefined && status !== sweep.status) || executorRecord !== undefined;
    if (changed) save({ ...sweep, trials, ...(status ? { status } : {}), ...(executorRecord ? { executor: executorRecord } : {}) });
  };

  if (todo.length > 0) {
    const started = await executor.start(sweep, todo);
    const pending = new Map<number, Partial<SweepTrial>>(todo.map((t) => [t.index, { status: 'pending' as const, ...(started.trials.get(t.index) ?? {}) }]));
    mark(pending, 'running', started.executor);
    let stopping = false;
    for (;;) {
      if (opts.shouldStop() && !stopping) {
        stopping = true;
        await executor.stop();
      }
      const states = await executor.poll();
      mark(new Map(todo.map((t) => [t.index, { status: statusOf(sweepDir, t, states.get(t.index), stopping) }])));
      if (todo.every((t) => states.get(t.index) === 'gone')) break;
      if (opts.shouldDetach?.()) return { sweep, completed: 0, stopped: 0, failed: 0, detached: true };
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
    }
  }
  const finals = sweep.trials.map((t) => (isDone(sweepDir, t) ? 'completed' : t.status));
  const count = (s: TrialStatus) => finals.filter((f) => f === s).length;
  const failed = count('failed');
  const completed = count('completed');
  const status: SweepFile['status'] = failed > 0 ? 'failed' : completed === finals.length ? 'completed' : 'stopped';
  mark(new Map(), status);
  return { sweep, completed, stopped: finals.length - completed - failed, failed };
}

/** A trial's run folder. */
export function trialDir(sweepDir: string, t: SweepTrial): string {
  return join(sweepDir, t.runId);
}
