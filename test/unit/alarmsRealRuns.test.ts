/**
 * Alarms on real runs, judged from their files as the host judges them (judgeFromDisk).
 * First, recorded runs (test/fixtures/alarms, see its README): the examples at full length, MNIST's
 * first steps measured densely and a healthy critic raise no warning, and a critic without its
 * gradient penalty diverges. Then runs
 * trained here with the CLI: that critic diverges again and the alarm points at the steps where
 * its losses grew, while the same run with the penalty stays silent; and the MNIST and grid
 * examples, logged densely enough that every alarm is judged within a short run, raise no warning.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_ALARM_THRESHOLDS } from '../../src/analysis/alarms';
import { readMetrics, readQuality, readRunInfo } from '../../src/runDir/runReader';
import type { MetricRecord } from '../../src/protocol/runFormat';
import { judgeFromDisk } from '../../src/host/alarms/alarmMonitor';
import { CLI, ROOT, onlyRun, tmp, writeConfig } from '../helpers/cli';

const FIXTURES = join(ROOT, 'test/fixtures/alarms');
const W = DEFAULT_ALARM_THRESHOLDS.window;
/** Records before divergence and equilibrium are judged (alarms.ts's warm-up of three windows). */
const WARM_UP = 3 * W;

/**
 * No warning alarm for a healthy run. The run must be long enough for every rule to have judged
 * it, or silence proves nothing: D-wins after one window, divergence and equilibrium after the
 * warm-up, collapse after three quality measurements and with two more to compare.
 */
function assertNoWarning(dir: string): void {
  const metrics = readMetrics(dir);
  const measured = readQuality(dir).filter((q) => q.step > 0);
  assert.ok(metrics.length >= WARM_UP + W, `${dir}: ${metrics.length} metric records`);
  assert.ok(measured.length >= 5, `${dir}: ${measured.length} quality measurements`);
  const warnings = judgeFromDisk(dir, DEFAULT_ALARM_THRESHOLDS).filter((a) => a.severity === 'warning');
  assert.deepEqual(warnings.map((a) => `${a.kind} ${JSON.stringify(a.ranges)}`), []);
}

const size = (m: MetricRecord) => Math.max(Math.abs(m.dLoss), Math.abs(m.gLoss));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A 2-D critic with plain SGD: without its gradient penalty nothing bounds the critic's scores. */
function ringCritic(gradientPenalty: number): Record<string, unknown> {
  return {
    name: `ring-critic-gp${gradientPenalty}`,
    seed: 3,
    data: { type: 'ring' },
    generator: { latentDim: 2, hidden: [64, 64], batchNorm: false },
    discriminator: { hidden: [64, 64] },
    loss: { type: 'wasserstein-gp', gradientPenalty },
    training: {
      steps: 1000,
      batchSize: 64,
      generatorOptimizer: { type: 'sgd', learningRate: 0.003 },
      discriminatorOptimizer: { type: 'sgd', learningRate: 0.003 },
    },
    logging: { metricsEvery: 5, histogramsEvery: 100, samplesEvery: 100, checkpointEvery: 100_000, samplePoints: 64, heatmapSize: 8 },
  };
}

/** An example's config cut to its first steps and logged densely, so that a short run has enough records to judge. */
function firstSteps(example: string, steps: number, logging: Record<string, number>): Record<string, unknown> {
  const config = JSON.parse(readFileSync(join(ROOT, 'examples', example, 'gan.json'), 'utf8')) as { training: object; logging: object };
  return { ...config, name: `${example}-first-steps`, training: { ...config.training, steps }, logging: { ...config.logging, checkpointEvery: 100_000, ...logging } };
}

/** Trains configs side by side (one core each) and returns their run directories. */
async function train(configs: Record<string, unknown>[]): Promise<string[]> {
  return Promise.all(
    configs.map(async (config) => {
      const dir = tmp('alarm-run');
      const runs = join(dir, 'runs');
      const child = spawn(process.execPath, [CLI, 'train', writeConfig(dir, config), '--runs-dir', runs, '-q'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      assert.equal(code, 0, `${config.name as string}: ${stderr}`);
      return onlyRun(runs);
    }),
  );
}

describe('alarms on recorded runs', () => {
  for (const name of ['ring', 'grid', 'mnist', 'ring-wgan-gp']) {
    it(`${name}: a healthy run at full length raises no warning`, () => assertNoWarning(join(FIXTURES, name)));
  }

  it('mnist: its untrained generator, measured every 10 steps, is no collapse', () => {
    // From step 40 (when collapse is first judged) to 70, the classifier calls nearly every sample
    // an 8: fewer than half of the digits are generated, at a precision of about 0.
    const early = readQuality(join(FIXTURES, 'mnist-first-steps')).filter((q) => q.step >= 40 && q.step <= 70);
    assert.ok(early.every((q) => q.classes!.filter((c) => c >= 0.01 * 512).length < 5 && q.precision! < 0.05), 'the fixture holds the untrained phase');
    assertNoWarning(join(FIXTURES, 'mnist-first-steps'));
  });

  it('a critic without its gradient penalty diverges, and the alarm says where and what to change', () => {
    const dir = join(FIXTURES, 'ring-wgan-no-penalty');
    const divergence = judgeFromDisk(dir, DEFAULT_ALARM_THRESHOLDS).find((a) => a.kind === 'divergence');
    assert.ok(divergence, 'divergence fires');
    assert.deepEqual(divergence.ranges, [[465, 790]]);
    assert.match(divergence.message, /^The game is diverging: over the 20 logged steps up to step 665, D's loss reached a median size of 33\.7, 33\.7× its calmest since the warm-up \(0\.953, counted as 1\)\./);
    assert.match(divergence.message, /"gradientPenalty": 10/);
  });
});

describe('alarms on runs trained here', () => {
  it('a critic without its gradient penalty diverges where its losses grew; with the penalty it does not', { timeout: 300_000 }, async () => {
    const [bare, penalised] = await train([ringCritic(0), ringCritic(10)]);
    for (const dir of [bare, penalised]) assert.equal(readRunInfo(dir).step, 1000);

    const metrics = readMetrics(bare);
    const divergence = judgeFromDisk(bare, DEFAULT_ALARM_THRESHOLDS).find((a) => a.kind === 'divergence');
    assert.ok(divergence, 'divergence fires on the bare critic');
    const firstStep = divergence.ranges[0][0];
    assert.ok(firstStep > metrics[WARM_UP - 1].step, `fires from step ${firstStep}, after the warm-up`);
    // Where it fires, the losses are many times their size at the end of the warm-up.
    const inRanges = metrics.filter((m) => divergence.ranges.some(([a, b]) => m.step >= a && m.step <= b));
    const before = median(metrics.slice(WARM_UP - W, WARM_UP).map(size));
    const during = median(inRanges.map(size));
    console.log(`bare critic: divergence at ${JSON.stringify(divergence.ranges)}; median loss size ${before.toFixed(2)} at the warm-up's end, ${during.toFixed(2)} where it fired`);
    assert.ok(during > 5 * before, `${during} against ${before}`);
    const named = Number(/up to step (\d+)/.exec(divergence.message)?.[1]);
    assert.ok(divergence.ranges.some(([a, b]) => named >= a && named <= b), `the message names step ${named}, one where it fired`);

    const healthy = judgeFromDisk(penalised, DEFAULT_ALARM_THRESHOLDS);
    assert.deepEqual(healthy.filter((a) => a.kind === 'divergence'), []);
  });

  it('the MNIST and grid examples raise no warning over their first steps', { timeout: 600_000 }, async () => {
    // About 40 s each on a quiet 2-core machine, side by side. Logged densely, so that every rule
    // judges even these short runs: for MNIST, metrics at every step and a quality measurement
    // (the costly part) every 16 steps.
    const runs = await train([firstSteps('mnist', 80, { metricsEvery: 1, samplesEvery: 16 }), firstSteps('grid', 300, { metricsEvery: 2, samplesEvery: 50 })]);
    for (const dir of runs) assertNoWarning(dir);
  });
});
