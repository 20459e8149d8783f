/**
 * Trials on a Slurm cluster: one job array (`sbatch --array=<indices>%P`) whose every task runs
 * `gan-studio trial <sweepDir> $SLURM_ARRAY_TASK_ID`. State comes from `squeue` (this cluster may
 * keep no accounting) and, for how a trial ended, from its run.json. Stop is `scancel`, which sends
 * SIGTERM: the trainer checkpoints and ends the run as stopped. A task that Slurm requeues starts
 * `trial` again, which resumes its run from the checkpoint. The sweep folder must be on a
 * filesystem the nodes share.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepFile, SweepTrial } from '../../protocol/sweepFormat';
import { writeFileAtomic } from '../../runDir/durableFiles';
import type { Executor, ExecutorState } from './executor';

export interface SlurmOptions {
  partition?: string;
  /** --time, as sbatch takes it. */
  time?: string;
  cpusPerTask?: number;
  gpus?: number;
  /** More sbatch options, one per item. */
  extra?: string[];
}

export interface SlurmExecutorOptions {
  sweepDir: string;
  cliPath: string;
  /** Tasks at once (the %P of --array); all of them when unset. */
  parallel?: number;
  slurm: SlurmOptions;
  /** An array already submitted for this sweep, to attach to instead of submitting again. */
  jobId?: string;
}

export class SlurmError extends Error {}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && code === 127 ? err.message : '')) });
    });
  });
}

/** sbatch's options for the sweep's settings, in the order they are written. */
export function sbatchOptions(o: SlurmOptions): string[] {
  const out: string[] = [];
  if (o.partition) out.push(`--partition=${o.partition}`);
  if (o.time) out.push(`--time=${o.time}`);
  if (o.cpusPerTask) out.push(`--cpus-per-task=${o.cpusPerTask}`);
  if (o.gpus) out.push(`--gres=gpu:${o.gpus}`);
  return [...out, ...(o.extra ?? [])];
}

/** A shell word for the script. */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `--array` for these indices: "0-7" when they run together, "0,3,5" otherwise, and %P. */
export function arraySpec(indices: readonly number[], parallel?: number): string {
  const sorted = [...indices].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return `${parts.join(',')}${parallel ? `%${parallel}` : ''}`;
}

/** squeue's ids of an array: "123_4", or "123_[5-7,9%2]" for the tasks still pending. */
export function expandTaskIds(jobId: string, id: string): number[] {
  const m = /^(\d+)_(\d+|\[([^\]]+)\])$/.exec(id.trim());
  if (!m || m[1] !== jobId) return [];
  if (!m[3]) return [Number(m[2])];
  const out: number[] = [];
  for (const part of m[3].split('%')[0].split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let k = a; k <= (b ?? a); k++) out.push(k);
  }
  return out;
}

export class SlurmExecutor implements Executor {
  readonly kind = 'slurm' as const;
  private jobId: string | undefined;
  private started: number[] = [];

  constructor(private readonly opts: SlurmExecutorOptions) {
    this.jobId = opts.jobId;
  }

  async start(sweep: SweepFile, trials: readonly SweepTrial[]): ReturnType<Executor['start']> {
    const dir = this.opts.sweepDir;
    const script = join(dir, 'sweep.sbatch');
    const options = sbatchOptions(this.opts.slurm);
    this.started = trials.map((t) => t.index);
    // A controller started again attaches to its array while any of its tasks still waits or runs.
    const attached = this.jobId !== undefined && [...(await this.poll()).values()].some((s) => s !== 'gone');
    if (!attached) {
      mkdirSync(join(dir, 'logs'), { recursive: true });
      // VS Code's runtime is Node only with ELECTRON_RUN_AS_NODE; a plain Node ignores it.
      const lines = [
        '#!/bin/bash',
        `# GAN Studio sweep ${sweep.id}: array task N trains trial N (${sweep.configPath}).`,
        `#SBATCH --job-name=${`gan-${sweep.id}`.slice(0, 100)}`,
        `#SBATCH --output=${join(dir, 'logs', '%a.slurm.log')}`,
        '#SBATCH --requeue',
        ...options.map((o) => `#SBATCH ${o}`),
        ...(process.versions.electron ? ['export ELECTRON_RUN_AS_NODE=1'] : []),
        `exec ${quote(process.execPath)} ${quote(this.opts.cliPath)} trial ${quote(dir)} "$SLURM_ARRAY_TASK_ID"`,
        '',
      ];
      writeFileAtomic(script, lines.join('\n'));
      const r = await run('sbatch', ['--parsable', `--array=${arraySpec(this.started, this.opts.parallel)}`, script]);
      if (r.code !== 0) throw new SlurmError(`sbatch failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').at(-1) ?? ''}`);
      const id = r.stdout.trim().split(';')[0];
      if (!/^\d+$/.test(id)) throw new SlurmError(`sbatch answered "${r.stdout.trim()}", not a job id`);
      this.jobId = id;
    }
    const jobId = this.jobId!;
    return {
      executor: { kind: 'slurm', ...(this.opts.parallel ? { parallel: this.opts.parallel } : {}), jobId, script, options },
      trials: new Map(this.started.map((i) => [i, { jobId: `${jobId}_${i}` }])),
    };
  }

  async poll(): Promise<Map<number, ExecutorState>> {
    const out = new Map<number, ExecutorState>();
    if (!this.jobId) return out;
    const r = await run('squeue', ['-h', '-j', this.jobId, '-o', '%i %T']);
    // A finished array drops out of squeue; "Invalid job id" then means every task is gone.
    if (r.code !== 0 && !/invalid job id/i.test(r.stderr)) throw new SlurmError(`squeue failed (exit ${r.code}): ${r.stderr.trim()}`);
    for (const line of r.code === 0 ? r.stdout.split('\n') : []) {
      const [id, state] = line.trim().split(/\s+/);
      if (!id || !state) continue;
      const s: ExecutorState = /^(PENDING|CONFIGURING|REQUEUED|REQUEUE_HOLD|REQUEUE_FED|RESV_DEL_HOLD|SUSPENDED)$/.test(state) ? 'waiting' : /^(RUNNING|COMPLETING|STAGE_OUT|SIGNALING|RESIZING)$/.test(state) ? 'running' : 'gone';
      for (const i of expandTaskIds(this.jobId, id)) out.set(i, s);
    }
    for (const i of this.started) if (!out.has(i)) out.set(i, 'gone');
    return out;
  }

  async stop(index?: number): Promise<void> {
    if (!this.jobId) return;
    const target = index === undefined ? this.jobId : `${this.jobId}_${index}`;
    const r = await run('scancel', [target]);
    if (r.code !== 0) throw new SlurmError(`scancel ${target} failed (exit ${r.code}): ${r.stderr.trim()}`);
  }
}
