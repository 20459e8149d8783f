/**
 * Sweeps: the sweep block's checks (located, as the editor shows them), the plan, and the real CLI
 * running trials on this machine: a sweep ends with its trials' runs, continues when run again
 * after a kill, with the weights an uninterrupted sweep gets, and stops cleanly.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { planTrials, settingKey } from '../../src/analysis/sweepPlan';
import type { SweepConfig } from '../../src/config/ganConfig';
import { formatProblem, validateConfigText } from '../../src/config/validateConfig';
import { readRunInfo } from '../../src/runDir/runReader';
import { readSweep, readSweepView } from '../../src/runDir/sweepDir';
import { arraySpec, expandTaskIds } from '../../src/trainer/sweep/slurmExecutor';
import { defaultParallel } from '../../src/trainer/sweep/sweepCommand';
import { CLI, ROOT, runCli, startCli, tinyRingConfig, tmp, waitFor, writeConfig } from '../helpers/cli';

const problems = (text: string) => validateConfigText(text).problems.map((p) => formatProblem('gan.json', p));

describe('the sweep block', () => {
  it('names what is wrong at its line: an unknown field, a value that breaks the config, a range in a grid', () => {
    const text = `{
  "data": { "type": "ring" },
  "sweep": {
    "parameters": {
      "/seed": [1, 2],
      "/training/bachSize": [32],
      "/training/batchSize": [64, 0],
      "/training/ema": { "min": 0.9, "max": 0.999 }
    }
  }
}`;
    assert.deepEqual(problems(text), [
      'gan.json:6:7: /sweep/parameters/~1training~1bachSize names no config field: "/training/bachSize" is not a field of a gan.json; did you mean "/training/batchSize"?',
      'gan.json:7:35: /sweep/parameters/~1training~1batchSize/1 0 does not make a valid config: /training/batchSize must be ≥ 1 (got 0)',
      'gan.json:8:24: /sweep/parameters/~1training~1ema is a range, which only the random method can draw from; give a list of values, or set "method": "random"',
    ]);
  });

  it('checks the shape of the block and the random method’s needs', () => {
    assert.deepEqual(problems('{"data": {"type": "ring"}, "sweep": {"method": "random", "parameters": {"/seed": {"min": 1, "max": 9, "integer": true}}}}'), [
      'gan.json:1:37: /sweep needs "count" with the random method: how many trials to draw',
    ]);
    assert.match(problems('{"data": {"type": "ring"}, "sweep": {"parameters": {}}}')[0], /\/sweep\/parameters must have at least 1 entry/);
    assert.match(problems('{"data": {"type": "ring"}, "sweep": {"parameters": {"seed": [1]}}}')[0], /\/sweep\/parameters has "seed", which is not a JSON pointer; write "\/seed"/);
    assert.match(problems('{"data": {"type": "ring"}, "sweep": {"parameters": {"/sweep/seed": [1]}}}')[0], /names no config field/);
    const big = JSON.stringify({ data: { type: 'ring' }, sweep: { parameters: { '/seed': Array.from({ length: 40 }, (_, i) => i), '/training/batchSize': Array.from({ length: 30 }, (_, i) => i + 1) } } });
    assert.match(problems(big).at(-1)!, /make 1200 trials, more than 1000/);
  });

  it('is ignored by a single training: the resolved config has no sweep', () => {
    const r = validateConfigText('{"data": {"type": "ring"}, "sweep": {"parameters": {"/seed": [1, 2]}}}');
    assert.deepEqual(r.problems, []);
    assert.equal('sweep' in r.config!, false);
    assert.deepEqual(r.sweep, { method: 'grid', seed: 0, parameters: { '/seed': [1, 2] } });
  });
});

describe('the plan', () => {
  it('a grid is every combination, the last parameter fastest; seeds fold into settings', () => {
    const sweep: SweepConfig = { method: 'grid', seed: 0, parameters: { '/training/ema': [0, 0.999], '/seed': [1, 2, 3] } };
    const t = planTrials(sweep);
    assert.deepEqual(t.map((x) => x.overrides), [
      { '/training/ema': 0, '/seed': 1 },
      { '/training/ema': 0, '/seed': 2 },
      { '/training/ema': 0, '/seed': 3 },
      { '/training/ema': 0.999, '/seed': 1 },
      { '/training/ema': 0.999, '/seed': 2 },
      { '/training/ema': 0.999, '/seed': 3 },
    ]);
    assert.equal(new Set(t.map((x) => settingKey(x.overrides))).size, 2);
  });

  it('random draws repeat for a seed, stay in their ranges, and round', () => {
    const sweep: SweepConfig = { method: 'random', count: 50, seed: 7, parameters: { '/training/generatorOptimizer/learningRate': { min: 1e-5, max: 1e-2, log: true }, '/training/batchSize': { min: 16, max: 256, integer: true }, '/loss/type': ['hinge', 'non-saturating'] } };
    const a = planTrials(sweep);
    assert.deepEqual(planTrials(sweep), a);
    assert.notDeepEqual(planTrials({ ...sweep, seed: 8 }), a);
    const lrs = a.map((t) => t.overrides['/training/generatorOptimizer/learningRate'] as number);
    assert.ok(lrs.every((v) => v >= 1e-5 && v <= 1e-2));
    assert.ok(lrs.filter((v) => v < 1e-3).length > 15, 'a log range draws small values as often as large ones');
    assert.ok(a.every((t) => Number.isInteger(t.overrides['/training/batchSize'])));
    assert.deepEqual(new Set(a.map((t) => t.overrides['/loss/type'])), new Set(['hinge', 'non-saturating']));
  });

  it('local parallelism follows the cores and the workers; Slurm arrays name their tasks', () => {
    assert.deepEqual([defaultParallel(1, 2), defaultParallel(2, 2), defaultParallel(2, 8), defaultParallel(3, 2)], [2, 1, 4, 1]);
    assert.equal(arraySpec([0, 1, 2, 3]), '0-3');
    assert.equal(arraySpec([5, 0, 2, 3], 2), '0,2-3,5%2');
    assert.deepEqual(expandTaskIds('12', '12_4'), [4]);
    assert.deepEqual(expandTaskIds('12', '12_[5-7,9%2]'), [5, 6, 7, 9]);
    assert.deepEqual(expandTaskIds('12', '13_1'), []);
  });
});

/** A ring sweep of 2 learning rates × 2 seeds whose trials take a few seconds each. */
function ringSweep(dir: string, steps: number, extra: Record<string, unknown> = {}): string {
  return writeConfig(
    dir,
    tinyRingConfig({
      name: 'sw',
      training: { steps, batchSize: 64, generatorOptimizer: { learningRate: 0.001 }, discriminatorOptimizer: { learningRate: 0.001 } },
      logging: { metricsEvery: 10, histogramsEvery: 50, samplesEvery: 50, checkpointEvery: 50, samplePoints: 64, heatmapSize: 8 },
      sweep: { parameters: { '/training/generatorOptimizer/learningRate': [0.0005, 0.002], '/seed': [1, 2] }, ...extra },
    }),
  );
}

function sweepDirOf(runs: string): string {
  const dirs = readdirSync(runs).filter((d) => existsSync(join(runs, d, 'sweep.json')));
  assert.equal(dirs.length, 1, dirs.join(', '));
  return join(runs, dirs[0]);
}

/** The generator weights of a trial's final checkpoint. */
function finalWeights(runDir: string): Buffer {
  const latest = JSON.parse(readFileSync(join(runDir, 'checkpoints', 'latest.json'), 'utf8')) as { dir: string };
  return readFileSync(join(runDir, 'checkpoints', latest.dir, 'generator', 'weights.bin'));
}

describe('a local sweep with the real CLI', { skip: existsSync(CLI) ? undefined : `${CLI} not built` }, () => {
  it('lists its trials, refuses a config one of them breaks, and runs them to four completed runs', () => {
    const dir = tmp('sweep');
    const config = ringSweep(dir, 40);
    const dry = runCli(['sweep', config, '--runs-dir', join(dir, 'runs'), '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^4 trials \(grid\), in .*sw-sweep-[0-9a-f]{8}:/);
    assert.match(dry.stdout, /sw-sweep-[0-9a-f]{8}-t003 {2}\/training\/generatorOptimizer\/learningRate=0\.002 \/seed=2/);
    assert.equal(existsSync(join(dir, 'runs')), false, 'a dry run writes nothing');

    const noSweep = writeConfig(tmp('nosweep'), tinyRingConfig());
    const r0 = runCli(['sweep', noSweep]);
    assert.equal(r0.code, 2);
    assert.match(r0.stderr, /gan\.json: has no "sweep" block/);

    const r = runCli(['sweep', config, '--runs-dir', join(dir, 'runs'), '--parallel', '2']);
    assert.equal(r.code, 0, r.stderr);
    const sweepDir = sweepDirOf(join(dir, 'runs'));
    assert.equal(resolve(ROOT, r.stdout.trim().split('\n').at(-1)!), sweepDir, 'the last line names the sweep folder');
    const sweep = readSweep(sweepDir);
    assert.equal(sweep.status, 'completed');
    assert.deepEqual(sweep.trials.map((t) => t.status), ['completed', 'completed', 'completed', 'completed']);
    for (const t of sweep.trials) {
      const info = readRunInfo(join(sweepDir, t.runId));
      assert.equal(info.status, 'completed');
      assert.equal(info.id, t.runId);
      const cfg = JSON.parse(readFileSync(join(sweepDir, t.runId, 'config.json'), 'utf8')) as { seed: number; sweep?: unknown; training: { generatorOptimizer: { learningRate: number } } };
      assert.equal(cfg.seed, t.overrides['/seed']);
      assert.equal(cfg.training.generatorOptimizer.learningRate, t.overrides['/training/generatorOptimizer/learningRate']);
      assert.equal(cfg.sweep, undefined, "a trial's config.json is a single run's");
    }
    const view = readSweepView(sweepDir);
    assert.ok(view.trials.every((t) => t.measures.swd && t.measures.dLoss && t.step === 40));
    // Done is done: running it again trains nothing and says so.
    const again = runCli(['sweep', config, '--runs-dir', join(dir, 'runs')]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /4 trials, 0 to run/);
  });

  it('killed halfway, it finishes when run again, with the weights of an uninterrupted sweep', { timeout: 300_000 }, async () => {
    const whole = tmp('sweep-whole');
    const r = runCli(['sweep', ringSweep(whole, 400), '--runs-dir', join(whole, 'runs'), '--parallel', '2']);
    assert.equal(r.code, 0, r.stderr);

    const cut = tmp('sweep-cut');
    const config = ringSweep(cut, 400);
    const child = startCli(['sweep', config, '--runs-dir', join(cut, 'runs'), '--parallel', '2']);
    const exited = new Promise<void>((ok) => child.on('exit', () => ok()));
    // Kill the controller once a trial has a checkpoint past the first one: its trials stop with it.
    await waitFor(() => {
      try {
        return readRunInfo(join(sweepDirOf(join(cut, 'runs')), readSweep(sweepDirOf(join(cut, 'runs'))).trials[0].runId)).checkpointStep >= 100;
      } catch {
        return false;
      }
    }, 120_000, 'a checkpoint of the first trial');
    child.kill('SIGKILL');
    await exited;
    const sweepDir = sweepDirOf(join(cut, 'runs'));
    await waitFor(() => readSweep(sweepDir).trials.every((t) => {
      try {
        return readRunInfo(join(sweepDir, t.runId)).status !== 'running';
      } catch {
        return true;
      }
    }), 60_000, 'the orphaned trials to stop');
    const stopped = readSweep(sweepDir).trials.map((t) => {
      try {
        return readRunInfo(join(sweepDir, t.runId)).status;
      } catch {
        return 'none';
      }
    });
    assert.ok(stopped.includes('stopped'), `a trial stopped with its controller: ${stopped.join(', ')}`);
    assert.ok(!stopped.every((s) => s === 'completed'), 'the sweep was cut short');

    const resumed = runCli(['sweep', config, '--runs-dir', join(cut, 'runs'), '--parallel', '2']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const wholeDir = sweepDirOf(join(whole, 'runs'));
    for (const t of readSweep(sweepDir).trials) {
      const info = readRunInfo(join(sweepDir, t.runId));
      assert.equal(info.status, 'completed');
      assert.ok(finalWeights(join(sweepDir, t.runId)).equals(finalWeights(join(wholeDir, t.runId))), `trial ${t.index}: weights differ from the uninterrupted sweep`);
    }
    assert.ok(readSweep(sweepDir).trials.some((t) => (readRunInfo(join(sweepDir, t.runId)).resumedAt ?? []).length > 0), 'some trial resumed');
  });

  it('Ctrl+C stops every trial checkpointed; --cancel --trial stops one; --resume continues', { timeout: 300_000 }, async () => {
    const dir = tmp('sweep-stop');
    const config = ringSweep(dir, 100_000);
    const child = startCli(['sweep', config, '--runs-dir', join(dir, 'runs'), '--parallel', '2']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
    const running = () => {
      try {
        const s = readSweep(sweepDirOf(join(dir, 'runs')));
        return s.trials.filter((t) => existsSync(join(sweepDirOf(join(dir, 'runs')), t.runId, 'checkpoints', 'latest.json')));
      } catch {
        return [];
      }
    };
    await waitFor(() => running().length >= 2, 120_000, 'two trials with a checkpoint');
    const sweepDir = sweepDirOf(join(dir, 'runs'));
    const one = running()[0];
    const c = runCli(['sweep', '--cancel', sweepDir, '--trial', String(one.index)]);
    assert.equal(c.code, 0, c.stderr);
    await waitFor(() => readSweep(sweepDir).trials.find((t) => t.index === one.index)?.status === 'stopped', 60_000, 'the cancelled trial to stop');
    child.kill('SIGINT');
    assert.equal(await exited, 0, out);
    const s = readSweep(sweepDir);
    assert.equal(s.status, 'stopped');
    for (const t of s.trials) {
      if (!existsSync(join(sweepDir, t.runId, 'run.json'))) continue;
      assert.equal(readRunInfo(join(sweepDir, t.runId)).status, 'stopped', t.runId);
    }
    assert.match(out, /continue with: gan-studio sweep --resume/);
    assert.equal(resolve(ROOT, out.trim().split('\n').at(-1)!), sweepDir, 'the last line names the sweep folder');
  });
});
