/**
 * `gan-studio sweep`: plans a sweep from a gan.json's sweep block, checks every trial's config
 * before anything starts, and runs the trials on this machine or on Slurm; `--resume` (or the same
 * command again) continues it, `--cancel` stops it. `gan-studio trial` is what an executor runs
 * for one trial.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describeOverrides, planTrials } from '../../analysis/sweepPlan';
import type { GanJson, SweepConfig } from '../../config/ganConfig';
import { formatProblem, trialConfig, validateConfigValue } from '../../config/validateConfig';
import { SWEEP_FORMAT_VERSION, type SweepFile } from '../../protocol/sweepFormat';
import type { TrainerToHost } from '../../protocol/trainerProtocol';
import { processAlive, readLatestCheckpoint, readRunInfo } from '../../runDir/runReader';
import { isSweepDir, readSweep, readSweepView, sweepIdFor, trialRunId, writeSweep } from '../../runDir/sweepDir';
import { InputError } from '../inputError';
import { resolveWorkers } from '../replicas';
import { readCheckedConfig } from '../trainer';
import type { Executor } from './executor';
import { LocalExecutor } from './localExecutor';
import { SlurmExecutor, type SlurmOptions } from './slurmExecutor';
import { runSweep } from './sweepRunner';

export interface SweepArgs {
  /** The gan.json, for a new sweep (or one continued by running the same command again). */
  configPath?: string;
  /** A sweep folder to continue. */
  resumeDir?: string;
  runsDir: string;
  executor?: 'local' | 'slurm';
  parallel?: number;
  dryRun: boolean;
  /** Slurm options from the command line: they win over the sweep block's. */
  slurm: SlurmOptions;
  /** The CLI bundle that trials run. */
  cliPath: string;
  emit: (msg: TrainerToHost) => void;
  print: (line: string) => void;
  shouldStop: () => boolean;
  /**
   * The extension that started this controller went away (its window closed). A local sweep then
   * stops, checkpointed; a Slurm sweep goes on on the cluster, and the controller just leaves.
   */
  hostGone?: () => boolean;
}

interface Plan {
  text: string;
  configPath: string;
  raw: GanJson;
  sweep: SweepConfig;
  trials: { index: number; overrides: Record<string, unknown> }[];
  /** The most worker threads any trial trains with. */
  workers: number;
}

/** Reads the gan.json, plans the trials and checks each one's config, before anything is written. */
export function planSweep(configPath: string, shown: string): Plan {
  const { text, checked, options } = readCheckedConfig(configPath, shown);
  if (!checked.sweep) throw new InputError(`${shown}: has no "sweep" block; add one (see the README, "Sweeps"), or train it once with gan-studio train`);
  const raw = JSON.parse(text) as GanJson;
  const trials = planTrials(checked.sweep);
  let workers = 1;
  const problems: string[] = [];
  for (const t of trials) {
    const r = validateConfigValue(trialConfig(raw, t.overrides), options);
    const first = r.problems.find((p) => p.severity === 'error');
    if (first || !r.config) problems.push(`${formatProblem(shown, first ?? { path: '', message: 'is not valid', severity: 'error', stage: 'semantic' })} (trial ${t.index}: ${describeOverrides(t.overrides)})`);
    else workers = Math.max(workers, resolveWorkers(r.config, 'wasm'));
  }
  if (problems.length) throw new InputError(problems.join('\n'));
  return { text, configPath, raw, sweep: checked.sweep, trials, workers };
}

/** As many trials at once as the cores allow, given each trial's worker threads. */
export function defaultParallel(workers: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, workers)));
}

function commandExists(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, cmd)));
}

export async function sweepCommand(a: SweepArgs): Promise<number> {
  let sweepDir: string;
  let block: SweepConfig | undefined;
  let workers = 1;
  if (a.resumeDir) {
    sweepDir = resolve(a.resumeDir);
    if (!isSweepDir(sweepDir)) throw new InputError(`${a.resumeDir}: not a sweep folder (it has no sweep.json)`);
  } else {
    const configPath = resolve(a.configPath!);
    const plan = planSweep(configPath, a.configPath!);
    block = plan.sweep;
    workers = plan.workers;
    const hash = createHash('sha256').update(plan.text).digest('hex');
    const name = typeof plan.raw.name === 'string' ? plan.raw.name : 'experiment';
    const id = sweepIdFor(name, hash);
    sweepDir = join(resolve(a.runsDir), id);
    if (a.dryRun) {
      a.print(`${plan.trials.length} trials (${plan.sweep.method}), in ${relative(process.cwd(), sweepDir) || sweepDir}:`);
      for (const t of plan.trials) a.print(`  ${trialRunId(id, t.index)}  ${describeOverrides(t.overrides)}`);
      return 0;
    }
    if (!isSweepDir(sweepDir)) {
      mkdirSync(sweepDir, { recursive: true });
      const now = new Date().toISOString();
      const executorKind = a.executor ?? 'local';
      const sweep: SweepFile = {
        formatVersion: SWEEP_FORMAT_VERSION,
        id,
        name,
        configPath,
        configHash: hash,
        createdAt: now,
        updatedAt: now,
        method: plan.sweep.method,
        parameters: Object.keys(plan.sweep.parameters),
        executor: executorKind === 'local' ? { kind: 'local', parallel: 1 } : { kind: 'slurm', script: join(sweepDir, 'sweep.sbatch'), options: [] },
        status: 'running',
        trials: plan.trials.map((t) => ({ index: t.index, overrides: t.overrides, runId: trialRunId(id, t.index), status: 'pending' })),
      };
      writeSweep(sweepDir, sweep);
    }
  }
  const sweep = readSweep(sweepDir);
  if (sweep.executor.kind === 'local' && sweep.executor.pid !== undefined && sweep.executor.pid !== process.pid && sweep.status === 'running' && processAlive(sweep.executor.pid)) {
    throw new InputError(`${sweepDir}: the sweep is running (controller pid ${sweep.executor.pid}); cancel it first with gan-studio sweep --cancel ${sweepDir}`);
  }
  if (!block) {
    // Continued from its folder: the gan.json's block gives the Slurm options when it still reads.
    try {
      block = planSweep(sweep.configPath, sweep.configPath).sweep;
    } catch {
      block = undefined;
    }
  }
  const kind = a.executor ?? sweep.executor.kind;
  let executor: Executor;
  let parallel: number | undefined;
  if (kind === 'slurm') {
    if (!commandExists('sbatch')) throw new InputError('sbatch is not on PATH: the Slurm executor submits the sweep with sbatch from a machine of the cluster');
    parallel = a.parallel ?? block?.parallel;
    const slurm: SlurmOptions = { ...(block?.slurm ?? {}), ...a.slurm };
    const jobId = sweep.executor.kind === 'slurm' ? sweep.executor.jobId : undefined;
    executor = new SlurmExecutor({ sweepDir, cliPath: a.cliPath, slurm, ...(parallel ? { parallel } : {}), ...(jobId ? { jobId } : {}) });
  } else {
    parallel = a.parallel ?? block?.parallel ?? defaultParallel(workers);
    executor = new LocalExecutor({ sweepDir, cliPath: a.cliPath, parallel });
  }
  const todo = sweep.trials.filter((t) => readRunStatus(join(sweepDir, t.runId)) !== 'completed').length;
  a.emit({ type: 'sweepStarted', sweepId: sweep.id, sweepDir, trials: sweep.trials.length, executor: kind });
  const where = relative(process.cwd(), sweepDir) || sweepDir;
  a.print(`sweep ${sweep.id}: ${sweep.trials.length} trials, ${todo} to run, on ${kind === 'local' ? `this machine, ${parallel} at once` : `Slurm${parallel ? `, ${parallel} at once` : ''}`} → ${where}`);
  let last = '';
  const outcome = await runSweep({
    sweepDir,
    executor,
    shouldStop: () => a.shouldStop() || (kind === 'local' && (a.hostGone?.() ?? false)),
    shouldDetach: () => kind === 'slurm' && (a.hostGone?.() ?? false),
    pollMs: kind === 'slurm' ? 2000 : 500,
    onChange: (s) => {
      const counts = new Map<string, number>();
      for (const t of s.trials) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
      const line = ['completed', 'running', 'pending', 'stopped', 'failed'].filter((k) => counts.get(k)).map((k) => `${counts.get(k)} ${k}`).join(', ');
      if (line !== last) a.print(`trials: ${line}${s.executor.kind === 'slurm' && s.executor.jobId ? ` (job ${s.executor.jobId})` : ''}`);
      last = line;
    },
  });
  if (outcome.detached) return 0;
  a.emit({ type: 'sweepFinished', status: outcome.sweep.status === 'running' ? 'stopped' : outcome.sweep.status, completed: outcome.completed, stopped: outcome.stopped, failed: outcome.failed });
  for (const line of summaryTable(sweepDir)) a.print(line);
  a.print(`${outcome.sweep.status}: ${outcome.completed} completed, ${outcome.stopped} stopped, ${outcome.failed} failed`);
  if (outcome.stopped > 0) a.print(`  continue with: gan-studio sweep --resume ${where}`);
  a.print(where);
  return outcome.failed > 0 ? 1 : 0;
}

function readRunStatus(runDir: string): string | undefined {
  try {
    return readRunInfo(runDir).status;
  } catch {
    return undefined;
  }
}

/** The trials as a plain table for the terminal: overrides, status, and the final quality. */
function summaryTable(sweepDir: string): string[] {
  const view = readSweepView(sweepDir);
  const keys = ['swd', 'modesCovered', 'highQuality', 'fcd'].filter((k) => view.trials.some((t) => t.measures[k]));
  const fmt = (v: number | undefined) => (v === undefined ? '–' : String(Number(v.toPrecision(3))));
  return view.trials.map((t) => `  t${String(t.index).padStart(3, '0')}  ${t.status.padEnd(9)} ${describeOverrides(t.overrides)}${keys.map((k) => `  ${k} ${fmt(t.measures[k]?.final)}`).join('')}`);
}

/**
 * What `trial <sweepDir> <index>` trains: a new run with the trial's overrides, its run resumed
 * from the checkpoint (a stopped or requeued trial), or nothing (it completed).
 */
export function trialTrainArgs(sweepDir: string, index: number): { args: string[] } | { done: string } {
  let sweep: SweepFile;
  try {
    sweep = readSweep(resolve(sweepDir));
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  const t = sweep.trials.find((x) => x.index === index);
  if (!t) throw new InputError(`${sweepDir}: the sweep has no trial ${index} (it has 0–${sweep.trials.length - 1})`);
  const dir = join(resolve(sweepDir), t.runId);
  if (existsSync(join(dir, 'run.json'))) {
    if (readRunStatus(dir) === 'completed') return { done: `${t.runId} completed already` };
    // A trial killed before its first checkpoint starts over; its folder holds nothing to keep.
    if (readLatestCheckpoint(dir)) return { args: ['--resume', dir] };
    rmSync(dir, { recursive: true, force: true });
  }
  return { args: [sweep.configPath, '--runs-dir', resolve(sweepDir), '--run-id', t.runId, ...Object.entries(t.overrides).flatMap(([k, v]) => ['--set', `${k}=${JSON.stringify(v)}`])] };
}

/** `sweep --cancel <sweepDir> [--trial N]`: stops the sweep's trials, checkpointed, on whichever executor. */
export async function cancelSweep(sweepDir: string, index: number | undefined, print: (line: string) => void): Promise<number> {
  let sweep: SweepFile;
  try {
    sweep = readSweep(resolve(sweepDir));
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  const trials = index === undefined ? sweep.trials : sweep.trials.filter((t) => t.index === index);
  if (index !== undefined && trials.length === 0) throw new InputError(`${sweepDir}: the sweep has no trial ${index}`);
  if (sweep.executor.kind === 'slurm') {
    if (!sweep.executor.jobId) throw new InputError(`${sweepDir}: the sweep was never submitted`);
    await new SlurmExecutor({ sweepDir, cliPath: '', slurm: {}, jobId: sweep.executor.jobId }).stop(index);
    print(`cancelled ${index === undefined ? `job ${sweep.executor.jobId}` : `${sweep.executor.jobId}_${index}`}`);
    return 0;
  }
  // Local: the controller stops what it started; without one, each trial's trainer is asked.
  const controller = sweep.executor.pid;
  if (index === undefined && controller !== undefined && processAlive(controller)) {
    process.kill(controller, 'SIGTERM');
    print(`asked the sweep's controller (pid ${controller}) to stop its trials`);
    return 0;
  }
  let asked = 0;
  for (const t of trials) {
    try {
      const pid = readRunInfo(join(resolve(sweepDir), t.runId)).pid;
      if (pid !== undefined && processAlive(pid)) {
        process.kill(pid, 'SIGTERM');
        asked++;
      }
    } catch {
      // not started
    }
  }
  print(asked ? `asked ${asked} trial${asked > 1 ? 's' : ''} to stop` : 'nothing of the sweep is running');
  return 0;
}
