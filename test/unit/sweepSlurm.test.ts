/**
 * The Slurm executor against a real Slurm: the one-node cluster that scripts/start-slurm.sh starts
 * on this machine (CI runs it through scripts/install-test-deps.sh). A sweep goes through one job
 * array; a trial cancelled mid-run ends stopped, checkpointed; a task that Slurm requeues resumes
 * from its checkpoint and completes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readRunInfo } from '../../src/runDir/runReader';
import { readSweep } from '../../src/runDir/sweepDir';
import { CLI, runCli, startCli, tinyRingConfig, tmp, waitFor, writeConfig } from '../helpers/cli';

const slurmUp = spawnSync('sinfo', ['-h'], { timeout: 10_000 }).status === 0;
const skip = !existsSync(CLI) ? `${CLI} not built` : !slurmUp ? 'Slurm is not running here (scripts/start-slurm.sh starts a one-node cluster, as root)' : undefined;

function sweepDirOf(runs: string): string | undefined {
  const dirs = existsSync(runs) ? readdirSync(runs).filter((d) => existsSync(join(runs, d, 'sweep.json'))) : [];
  return dirs.length === 1 ? join(runs, dirs[0]) : undefined;
}

function status(runDir: string): { status?: string; checkpointStep: number; resumedAt: number[] } {
  try {
    const info = readRunInfo(runDir);
    return { status: info.status, checkpointStep: info.checkpointStep, resumedAt: info.resumedAt ?? [] };
  } catch {
    return { checkpointStep: 0, resumedAt: [] };
  }
}

describe('a sweep on Slurm', { skip }, () => {
  it('submits one job array; a cancelled trial stops checkpointed, a requeued one resumes, the rest complete', { timeout: 420_000 }, async () => {
    const dir = tmp('slurm');
    const config = writeConfig(
      dir,
      tinyRingConfig({
        name: 'slurm',
        training: { steps: 1500, batchSize: 64, generatorOptimizer: { learningRate: 0.001 }, discriminatorOptimizer: { learningRate: 0.001 } },
        logging: { metricsEvery: 10, histogramsEvery: 100, samplesEvery: 100, checkpointEvery: 100, samplePoints: 64, heatmapSize: 8 },
        sweep: { parameters: { '/seed': [1, 2, 3, 4] }, slurm: { time: '30' } },
      }),
    );
    const runs = join(dir, 'runs');
    const child = startCli(['sweep', config, '--executor', 'slurm', '--runs-dir', runs]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));

    await waitFor(() => {
      const s = sweepDirOf(runs);
      return s !== undefined && readSweep(s).executor.kind === 'slurm' && (readSweep(s).executor as { jobId?: string }).jobId !== undefined;
    }, 60_000, 'the job array');
    const sweepDir = sweepDirOf(runs)!;
    const sweep = readSweep(sweepDir);
    const jobId = (sweep.executor as { jobId: string }).jobId;
    assert.match(jobId, /^\d+$/);
    assert.deepEqual(sweep.trials.map((t) => t.jobId), [0, 1, 2, 3].map((i) => `${jobId}_${i}`), 'one array, one task per trial');
    assert.match(readFileSync(join(sweepDir, 'sweep.sbatch'), 'utf8'), /#SBATCH --time=30\n[\s\S]*trial .* "\$SLURM_ARRAY_TASK_ID"/);

    const trialDir = (i: number) => join(sweepDir, sweep.trials[i].runId);
    // Trials 0 and 1 start first (the node has two cores); act once each has a checkpoint.
    await waitFor(() => status(trialDir(0)).checkpointStep >= 100 && status(trialDir(1)).checkpointStep >= 100, 180_000, 'checkpoints of trials 0 and 1');
    const cancel = runCli(['sweep', '--cancel', sweepDir, '--trial', '1']);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, new RegExp(`cancelled ${jobId}_1`));
    execFileSync('scontrol', ['requeue', `${jobId}_0`]);
    // A requeued job waits for a begin time; let it start again now.
    await waitFor(() => /PENDING/.test(spawnSync('squeue', ['-h', '-j', `${jobId}_0`, '-o', '%T']).stdout?.toString() ?? ''), 60_000, 'the requeued task to wait');
    execFileSync('scontrol', ['update', `JobId=${jobId}_0`, 'StartTime=now']);

    assert.equal(await exited, 0, out);
    const end = readSweep(sweepDir);
    assert.equal(status(trialDir(1)).status, 'stopped', 'the cancelled trial stopped');
    assert.ok(existsSync(join(trialDir(1), 'checkpoints', 'latest.json')), 'with its checkpoint');
    assert.equal(end.trials[1].status, 'stopped');
    const requeued = status(trialDir(0));
    assert.equal(requeued.status, 'completed', out);
    assert.equal(requeued.resumedAt.length, 1, 'the requeued task resumed from its checkpoint');
    for (const i of [2, 3]) assert.equal(status(trialDir(i)).status, 'completed', `trial ${i}`);
    assert.equal(end.status, 'stopped', 'a sweep with a stopped trial is stopped, to be continued');
    assert.match(out, /1 stopped/);

    // Continued: only the stopped trial runs again, and the sweep completes.
    const again = runCli(['sweep', '--resume', sweepDir, '--executor', 'slurm']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /4 trials, 1 to run/);
    assert.equal(readSweep(sweepDir).status, 'completed');
    assert.equal(status(trialDir(1)).status, 'completed');
  });
});
