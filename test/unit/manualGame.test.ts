/**
 * Playing the game by hand, on real tfjs training: manual D and G steps each move only their own
 * network, a run's events replay bit for bit on resume, a fork continues from its parent's
 * checkpoint with its edits, the gradient arrows agree with finite differences, and per-layer
 * norms are logged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { resolveConfig } from '../../src/config/validateConfig';
import { applyEdit, configAtStep, EditError } from '../../src/analysis/liveEdits';
import { initBackend } from '../../src/trainer/backend';
import { Gan } from '../../src/trainer/gan';
import { generatorLoss } from '../../src/trainer/losses';
import { loadDataset } from '../../src/trainer/data/dataset';
import { Rng, installAsMathRandom } from '../../src/trainer/rng';
import { train, type TrainOptions } from '../../src/trainer/trainer';
import { TrainerControl } from '../../src/trainer/control';
import { createFork } from '../../src/trainer/fork';
import { InputError } from '../../src/trainer/inputError';
import { loadRunConfig, readEvents, readMetrics, readRunInfo, readSamples } from '../../src/runDir/runReader';
import type { SamplePoints2D } from '../../src/protocol/runFormat';
import type { TrainerToHost } from '../../src/protocol/trainerProtocol';
import { checkpointBytes, rewoundCopy, runCli, tinyRingConfig, tmp, writeConfig } from '../helpers/cli';

function ringGan(extra: Record<string, unknown> = {}) {
  const config = resolveConfig({
    data: { type: 'ring' },
    generator: { latentDim: 2, hidden: [8, 8] },
    discriminator: { hidden: [8, 8] },
    training: { batchSize: 16 },
    ...extra,
  });
  return { gan: new Gan(config, { dim: 2 }), data: loadDataset(config.data, '.'), config };
}

function weightsOf(model: { getWeights(): tf.Tensor[] }): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
}

function same(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((x, i) => x.length === b[i].length && x.every((v, j) => Object.is(v, b[i][j])));
}

test('a D step changes only D, a G step only G', async () => {
  await initBackend('wasm');
  const rng = new Rng(5);
  installAsMathRandom(rng);
  const { gan, data } = ringGan();
  const g0 = weightsOf(gan.generator);
  const d0 = weightsOf(gan.discriminator);
  const d = await gan.dUpdate(() => data.batch(16, rng), rng, false, true);
  assert.ok(Number.isFinite(d.stats!.dLoss));
  assert.equal(d.gradNorms!.length, gan.layerNames.discriminator.length);
  assert.ok(same(weightsOf(gan.generator), g0), 'a D step moved G');
  const d1 = weightsOf(gan.discriminator);
  assert.ok(!same(d1, d0), 'a D step left D alone');
  const g = await gan.gUpdate(rng, true);
  assert.ok(Number.isFinite(g.stats.gLoss));
  assert.ok(same(weightsOf(gan.discriminator), d1), 'a G step moved D');
  assert.ok(!same(weightsOf(gan.generator), g0), 'a G step left G alone');
  assert.deepEqual(gan.layerNames.discriminator, ['1 Dense', '2 Dense', '3 Dense']);
  gan.dispose();
});

test("G's push arrows and D's gradient agree with finite differences", async () => {
  await initBackend('cpu');
  installAsMathRandom(new Rng(9));
  const { gan } = ringGan({ loss: { type: 'least-squares' } });
  const x = Float32Array.from([0.3, -0.2, -0.7, 0.5, 1.1, 0.05]);
  const n = 3;
  const push = gan.generatorPush(x, n);
  const grad = gan.discriminatorGradient(x, n);
  // Per-sample loss of point i alone, and D's displayed output there.
  const lossAt = (p: number[]) => tf.tidy(() => generatorLoss('least-squares', gan.discriminator.apply(tf.tensor2d([p]), { training: false }) as tf.Tensor).dataSync()[0]);
  const dAt = (p: number[]) => tf.tidy(() => (gan.discriminator.apply(tf.tensor2d([p]), { training: false }) as tf.Tensor).dataSync()[0]);
  const h = 1e-3;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 2; k++) {
      const p = [x[2 * i], x[2 * i + 1]];
      const up = [...p];
      const down = [...p];
      up[k] += h;
      down[k] -= h;
      const fdLoss = (lossAt(up) - lossAt(down)) / (2 * h);
      const fdD = (dAt(up) - dAt(down)) / (2 * h);
      assert.ok(Math.abs(-fdLoss - push[2 * i + k]) < 1e-3 + 1e-2 * Math.abs(fdLoss), `push[${i}][${k}] = ${push[2 * i + k]}, finite difference ${-fdLoss}`);
      assert.ok(Math.abs(fdD - grad[2 * i + k]) < 1e-3 + 1e-2 * Math.abs(fdD), `∇D[${i}][${k}] = ${grad[2 * i + k]}, finite difference ${fdD}`);
    }
  }
  gan.dispose();
});

test('edits are checked like a gan.json and name the pointer', () => {
  const config = resolveConfig({ data: { type: 'ring' }, training: { generatorOptimizer: { type: 'sgd' } } });
  assert.equal(applyEdit(config, '/training/discriminatorOptimizer/learningRate', 0.01).config.training.discriminatorOptimizer.learningRate, 0.01);
  assert.equal(config.training.discriminatorOptimizer.learningRate, 0.0002, 'the original is left alone');
  assert.throws(() => applyEdit(config, '/training/batchSize', 8), (e: Error) => e instanceof EditError && /cannot change during a run/.test(e.message));
  assert.throws(() => applyEdit(config, '/training/labelSmoothing', 0.9), (e: Error) => e instanceof EditError && e.message.startsWith('/training/labelSmoothing'));
  assert.throws(() => applyEdit(config, '/training/generatorOptimizer/beta1', 0.9), /do nothing for the sgd optimizer/);
  assert.throws(() => applyEdit(config, '/loss/gradientPenalty', 5), /wasserstein-gp only/);
  assert.throws(() => applyEdit(config, '/training/dStepsPerGStep', 1.5), /dStepsPerGStep/);
});

interface Played {
  dir: string;
  messages: TrainerToHost[];
}

/** Trains `config` in this process with commands scheduled at steps; returns the run and what it said. */
async function play(runsDir: string, config: Record<string, unknown>, schedule: (c: TrainerControl) => void, extra: Partial<TrainOptions> = {}): Promise<Played> {
  const control = new TrainerControl();
  schedule(control);
  const messages: TrainerToHost[] = [];
  const outcome = await train({
    configPath: writeConfig(tmp('game-cfg'), config),
    runsDir,
    emit: (m) => messages.push(m),
    shouldStop: () => false,
    control,
    backend: 'wasm',
    ...extra,
  });
  assert.equal(outcome.status, 'completed', outcome.error);
  return { dir: outcome.runDir, messages };
}


const GAME = tinyRingConfig({ training: { ...(tinyRingConfig().training as object), steps: 40 }, logging: { ...(tinyRingConfig().logging as object), checkpointEvery: 20, keepCheckpoints: 5, samplesEvery: 10 } });

function scheduleGame(c: TrainerControl): void {
  c.at(22, { type: 'pause', source: 'dashboard' });
  c.at(22, { type: 'manual', kind: 'dStep', source: 'dashboard' });
  c.at(22, { type: 'manual', kind: 'gStep', source: 'dashboard' });
  c.at(22, { type: 'edit', pointer: '/training/discriminatorOptimizer/learningRate', value: 0.003, source: 'dashboard' });
  c.at(22, { type: 'manual', kind: 'step', source: 'command' });
  c.at(23, { type: 'edit', pointer: '/training/batchSize', value: 8, source: 'dashboard' });
  c.at(23, { type: 'continue', source: 'dashboard' });
  c.at(30, { type: 'edit', pointer: '/training/dStepsPerGStep', value: 2, source: 'dashboard' });
}

test('a paused, hand-stepped and edited run records its events and replays them bit for bit on resume', { timeout: 300_000 }, async () => {
  const runs = tmp('game');
  const a = await play(runs, GAME, scheduleGame);
  const events = readEvents(a.dir);
  assert.deepEqual(
    events.map((e) => `${e.step}:${e.kind}${e.kind === 'edit' ? ` ${e.pointer}=${e.value}` : ''}`),
    ['22:pause', '22:dStep', '22:gStep', '22:edit /training/discriminatorOptimizer/learningRate=0.003', '22:step', '23:continue', '30:edit /training/dStepsPerGStep=2'],
  );
  assert.deepEqual(events.map((e) => e.seq), [0, 1, 2, 3, 4, 5, 6]);
  const edit = events[3];
  assert.ok(edit.kind === 'edit' && edit.old === 0.001 && edit.source === 'dashboard');
  const dStep = events[1];
  assert.ok(dStep.kind === 'dStep' && Number.isFinite(dStep.dLoss));
  // The refused edit said why and changed nothing.
  const refused = a.messages.find((m) => m.type === 'controlRefused');
  assert.ok(refused && refused.type === 'controlRefused' && /cannot change during a run/.test(refused.message));
  assert.deepEqual(a.messages.filter((m) => m.type === 'paused').map((m) => m.type === 'paused' && m.paused), [true, false]);
  // The manual steps drew their own pictures, with arrows, beside the training step's.
  const manual = readSamples(a.dir).filter((s) => /-m\d+\.json$/.test(s.file));
  assert.deepEqual(manual.map((s) => s.file), ['samples/step-000022-m1.json', 'samples/step-000022-m2.json']);
  const afterD = JSON.parse(readFileSync(join(a.dir, manual[0].file), 'utf8')) as SamplePoints2D;
  const afterG = JSON.parse(readFileSync(join(a.dir, manual[1].file), 'utf8')) as SamplePoints2D;
  assert.deepEqual(afterD.manual, { seq: 1, kind: 'dStep' });
  // D is the same after the G step (its heatmap too); the points are not.
  assert.deepEqual(afterG.heatmap, afterD.heatmap, 'the G step changed the heatmap');
  assert.notDeepEqual(afterD.fake, afterG.fake, 'the G step moved the points');
  assert.equal(afterG.push?.length, afterG.fake.length);
  assert.equal(afterG.field?.values.length, 2 * 15 * 15);
  // The manual full step is logged like any step; the effective config follows the events.
  assert.ok(readMetrics(a.dir).some((m) => m.step === 23), 'the manual step 23 has its metrics');
  const start = loadRunConfig(a.dir);
  assert.equal(start.training.discriminatorOptimizer.learningRate, 0.001, 'config.json stays the starting config');
  assert.equal(configAtStep(start, events, 25).training.discriminatorOptimizer.learningRate, 0.003);
  assert.equal(configAtStep(start, events, 25).training.dStepsPerGStep, 1);
  assert.equal(configAtStep(start, events, 30).training.dStepsPerGStep, 2);

  // A copy rewound to its step-20 checkpoint replays all seven events and ends identical.
  const b = rewoundCopy(a.dir, join(runs, 'rewound'), 20, 40);
  const resumed = await train({ resumeDir: b, runsDir: runs, emit: () => {}, shouldStop: () => false, backend: 'wasm' });
  assert.equal(resumed.status, 'completed', resumed.error);
  assert.equal(readEvents(b).length, 7, 'replayed events are not written twice');
  const want = checkpointBytes(a.dir, 40);
  const got = checkpointBytes(b, 40);
  want.forEach((w, i) => assert.ok(w.equals(got[i]), `checkpoint file ${i} differs after the replay`));

  // Without the events the same rewind ends elsewhere: the replay is what made it identical.
  const c = rewoundCopy(b, join(runs, 'no-events'), 20, 40);
  rmSync(join(c, 'events.jsonl'));
  await train({ resumeDir: c, runsDir: runs, emit: () => {}, shouldStop: () => false, backend: 'wasm' });
  assert.ok(!checkpointBytes(c, 40)[1].equals(want[1]));
});

test('a fork continues from its parent checkpoint: identical without edits, with its edits as events', { timeout: 300_000 }, async () => {
  const runs = tmp('fork');
  const parent = await play(runs, GAME, () => {});
  const same = createFork(parent.dir, { step: 20 });
  assert.throws(() => createFork(parent.dir, { step: 7 }), (e: Error) => e instanceof InputError && /no checkpoint at step 7 \(available: 20, 40\)/.test(e.message));
  assert.throws(() => createFork(parent.dir, { step: 20, sets: { '/training/batchSize': 8 } }), (e: Error) => e instanceof InputError && /^--set \/training\/batchSize cannot change/.test(e.message));
  const info = readRunInfo(same);
  assert.deepEqual(info.parent, { runId: readRunInfo(parent.dir).id, runDir: parent.dir, step: 20 });
  const out = await train({ resumeDir: same, runsDir: runs, emit: () => {}, shouldStop: () => false, backend: 'wasm', fork: true });
  assert.equal(out.status, 'completed', out.error);
  const want = checkpointBytes(parent.dir, 40);
  checkpointBytes(same, 40).forEach((b, i) => assert.ok(b.equals(want[i]), `fork without edits: file ${i} differs from the parent's`));
  assert.ok(existsSync(join(same, 'samples', 'real.json')) && existsSync(join(same, 'samples', 'step-000020.json')), 'the fork draws its starting samples');

  // Through the CLI, with an edit: the last line names the fork, whose events hold the edit.
  const r = runCli(['fork', parent.dir, '--step', '20', '--set', '/training/generatorOptimizer/learningRate=0.004', '--steps', '30', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const forkDir = join(process.cwd(), lines[lines.length - 1]);
  assert.ok(existsSync(join(forkDir, 'run.json')), `last line names the fork: ${lines[lines.length - 1]}`);
  const fe = readEvents(forkDir);
  assert.equal(fe.length, 1);
  assert.ok(fe[0].kind === 'edit' && fe[0].source === 'fork' && fe[0].step === 20 && fe[0].old === 0.001 && fe[0].value === 0.004);
  assert.equal(loadRunConfig(forkDir).training.generatorOptimizer.learningRate, 0.001, "the fork's config.json is the parent's effective config");
  const fi = readRunInfo(forkDir);
  assert.equal(fi.step, 30);
  assert.equal(fi.status, 'completed');
  const m = readMetrics(forkDir);
  assert.equal(m[0].step, 25, "the fork's log starts after the fork step");
  assert.ok(!checkpointBytes(forkDir, 30)[0].equals(checkpointBytes(parent.dir, 40)[0]));
  const usage = runCli(['fork', parent.dir, '--step', '20', '--steps', '20']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /the fork starts at step 20/);
});

test('per-layer gradient and weight norms are logged with the metrics', { timeout: 120_000 }, async () => {
  const runs = tmp('norms');
  const { dir } = await play(runs, tinyRingConfig({ training: { ...(tinyRingConfig().training as object), steps: 20 } }), () => {});
  const info = readRunInfo(dir);
  const names = info.layers!.generator;
  assert.ok(names.every((n, i) => new RegExp(`^${i + 1} (Dense|BatchNormalization)$`).test(n)), names.join(', '));
  assert.equal(names.filter((n) => n.endsWith('Dense')).length, 3);
  assert.equal(info.layers!.discriminator.length, 3);
  const m = readMetrics(dir);
  for (const r of m) {
    assert.equal(r.gLayerGradNorms?.length, info.layers!.generator.length);
    assert.equal(r.dLayerGradNorms?.length, info.layers!.discriminator.length);
    assert.ok(r.dLayerWeightNorms?.every((x) => x > 0));
    // The layers' norms make up the total: ‖∇‖² = Σ per-layer ‖∇‖².
    const total = Math.hypot(...r.gLayerGradNorms);
    assert.ok(Math.abs(total - r.gGradNorm) <= 1e-3 * Math.max(1, r.gGradNorm), `Σ layers ${total} vs total ${r.gGradNorm}`);
  }
});
