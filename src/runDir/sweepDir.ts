/**
 * Sweep folders: `<runsDir>/<sweepId>/sweep.json` and one run directory per trial. The sweep's
 * controller (`gan-studio sweep`) is the one writer of sweep.json; each trial writes its own run
 * directory through RunWriter. Readers combine both: the plan from sweep.json, the training from
 * each run.json.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { settingKey } from '../analysis/sweepPlan';
import { trialMeasures } from '../analysis/sweepSummary';
import { describeIssues } from '../protocol/fields';
import { RUN_FILES, type RunInfo } from '../protocol/runFormat';
import { SWEEP_FILE, sweepFile, type SweepFile, type SweepTrial, type SweepView, type TrialRow } from '../protocol/sweepFormat';
import { writeJsonAtomic } from './durableFiles';
import { isInterrupted, readMetrics, readQuality, readRunInfo, RunReadError } from './runReader';
import { slug } from './runWriter';

/** The same gan.json (same content) always plans the same sweep, in the same folder. */
export function sweepIdFor(name: string, configHash: string): string {
  return `${slug(name)}-sweep-${configHash.slice(0, 8)}`;
}

/** A trial's run id: unique in the workspace, readable in the Runs view. */
export function trialRunId(sweepId: string, index: number): string {
  return `${sweepId}-t${String(index).padStart(3, '0')}`;
}

export function isSweepDir(dir: string): boolean {
  return existsSync(join(dir, SWEEP_FILE));
}

export function readSweep(sweepDir: string): SweepFile {
  const path = join(sweepDir, SWEEP_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileText(path));
  } catch (err) {
    throw new RunReadError(err instanceof RunReadError ? err.message : `${path}: not valid JSON (${(err as Error).message})`);
  }
  const r = v.safeParse(sweepFile, raw);
  if (!r.success) throw new RunReadError(`${path}: not a GAN Studio sweep.json (${describeIssues(r.issues)})`);
  return r.output;
}

function readFileText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new RunReadError(`${path}: not found; is ${join(path, '..')} a GAN Studio sweep folder?`);
  }
}

/** Writes sweep.json atomically (the controller's one way to change it). */
export function writeSweep(sweepDir: string, sweep: SweepFile): SweepFile {
  const out = { ...sweep, updatedAt: new Date().toISOString() };
  writeJsonAtomic(join(sweepDir, SWEEP_FILE), out);
  return out;
}

/** Sweep folders below runsDir, newest first, skipping anything unreadable. */
export function listSweeps(runsDir: string): { dir: string; sweep: SweepFile }[] {
  if (!existsSync(runsDir)) return [];
  const out: { dir: string; sweep: SweepFile }[] = [];
  for (const name of readdirSync(runsDir)) {
    const dir = join(runsDir, name);
    try {
      if (!statSync(dir).isDirectory() || !isSweepDir(dir)) continue;
      out.push({ dir, sweep: readSweep(dir) });
    } catch {
      // not a sweep
    }
  }
  return out.sort((a, b) => b.sweep.createdAt.localeCompare(a.sweep.createdAt));
}

/** A trial's run, when its trainer has created it. */
export function trialRun(sweepDir: string, trial: SweepTrial): RunInfo | undefined {
  const dir = join(sweepDir, trial.runId);
  if (!existsSync(join(dir, RUN_FILES.run))) return undefined;
  try {
    return readRunInfo(dir);
  } catch {
    return undefined;
  }
}

/** A trial's status: its run's when there is one, else what its sweep recorded. */
export function trialStatus(sweepDir: string, trial: SweepTrial): TrialRow['status'] {
  const run = trialRun(sweepDir, trial);
  if (!run) return trial.status === 'running' ? 'pending' : trial.status;
  return isInterrupted(run) && trial.status !== 'running' ? 'interrupted' : run.status;
}

/** The sweep as its panel and its summary show it. */
export function readSweepView(sweepDir: string): SweepView {
  const sweep = readSweep(sweepDir);
  const trials = sweep.trials.map((t): TrialRow => {
    const run = trialRun(sweepDir, t);
    const dir = join(sweepDir, t.runId);
    return {
      index: t.index,
      runId: t.runId,
      overrides: t.overrides,
      setting: settingKey(t.overrides),
      status: trialStatus(sweepDir, t),
      step: run?.step ?? 0,
      totalSteps: run?.totalSteps ?? 0,
      measures: run ? trialMeasures(readMetrics(dir), readQuality(dir)) : {},
      ...(run?.error ? { error: run.error.message } : {}),
    };
  });
  return {
    id: sweep.id,
    name: sweep.name,
    dir: sweepDir,
    configPath: sweep.configPath,
    status: sweep.status,
    executor: sweep.executor.kind,
    ...(sweep.executor.kind === 'slurm' && sweep.executor.jobId ? { jobId: sweep.executor.jobId } : {}),
    parameters: sweep.parameters,
    createdAt: sweep.createdAt,
    trials,
  };
}
