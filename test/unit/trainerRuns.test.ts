/**
 * The trainer for real: the CLI bundle trains on real data and these tests read what it wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { parseTrainerMessage, type TrainerToHost } from '../../src/protocol/trainerProtocol';
import { readLatestCheckpoint, readRunInfo } from '../../src/runDir/runReader';
import type { MetricRecord, QualityRecord, SamplePoints2D, SampleRecord } from '../../src/protocol/runFormat';
import { modeCoverage } from '../../src/trainer/quality';
import { detectAlarms } from '../../src/analysis/alarms';
import { ROOT, onlyRun, readJsonlFile, runCli, startCli, tinyRingConfig, tmp, waitFor, writeConfig } from '../helpers/cli';

const RING_MODES: [number, number][] = Array.from({ length: 8 }, (_, i) => [2 * Math.cos((2 * Math.PI * i) / 8), 2 * Math.sin((2 * Math.PI * i) / 8)]);

test('the ring example learns all eight modes and D moves toward 0.5', { timeout: 600_000 }, () => {
  const runs = tmp('ring');
  const r = runCli(['train', join(ROOT, 'examples/ring/gan.json'), '--runs-dir', runs, '--steps', '2500', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const run = onlyRun(runs);
  const info = readRunInfo(run);
  assert.equal(info.status, 'completed');
  assert.equal(info.step, 2500);

  const samples = readJsonlFile<SampleRecord>(join(run, 'samples.jsonl'));
  const first = JSON.parse(readFileSync(join(run, samples[0].file), 'utf8')) as SamplePoints2D;
  const last = JSON.parse(readFileSync(join(run, samples[samples.length - 1].file), 'utf8')) as SamplePoints2D;
  const before = modeCoverage(first.fake, RING_MODES, 0.05);
  const after = modeCoverage(last.fake, RING_MODES, 0.05);
  console.log(`ring: modes ${before.modesCovered}/8 → ${after.modesCovered}/8, high-quality ${before.highQuality.toFixed(2)} → ${after.highQuality.toFixed(2)}`);
  assert.ok(before.modesCovered <= 2, 'the untrained generator should not cover the ring');
  assert.equal(after.modesCovered, 8);
  assert.ok(after.highQuality >= 0.7, `share within 3σ of a mode: ${after.highQuality}`);
  // The reference sample really is the ring (the metric itself is sound on real data).
  assert.ok(modeCoverage(last.real, RING_MODES, 0.05).highQuality > 0.95);

  const metrics = readJsonlFile<MetricRecord>(join(run, 'metrics.jsonl'));
  const dist = (m: MetricRecord) => Math.abs(m.dReal - 0.5) + Math.abs(m.dFake - 0.5);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const early = mean(metrics.slice(0, Math.ceil(metrics.length * 0.05)).map(dist));
  const late = metrics.slice(-Math.ceil(metrics.length * 0.2));
  const lateReal = mean(late.map((m) => m.dReal));
  const lateFake = mean(late.map((m) => m.dFake));
  console.log(`ring: early |D-0.5| sum ${early.toFixed(3)}, late D(x) ${lateReal.toFixed(3)} D(G(z)) ${lateFake.toFixed(3)}`);
  assert.ok(Math.abs(lateReal - 0.5) < 0.06 && Math.abs(lateFake - 0.5) < 0.06);
  assert.ok(mean(late.map(dist)) < early, 'D should be closer to 0.5 late than early');
  // A healthy run raises no warning; reaching equilibrium is the one thing worth saying.
  const alarms = detectAlarms(metrics, readJsonlFile<QualityRecord>(join(run, 'quality.jsonl')), { probability: true, loss: 'non-saturating' } as const);
  assert.deepEqual(alarms.filter((a) => a.severity === 'warning').map((a) => a.kind), []);
  assert.ok(alarms.some((a) => a.kind === 'equilibrium'));
});

test('a stopped run resumes: steps continue and the weights match an uninterrupted run', { timeout: 300_000 }, () => {
  const dir = tmp('resume');
  const config = writeConfig(dir, tinyRingConfig());
  const straight = join(dir, 'straight');
  const split = join(dir, 'split');
  assert.equal(runCli(['train', config, '--runs-dir', straight, '-q', '--backend', 'cpu']).code, 0);
  assert.equal(runCli(['train', config, '--runs-dir', split, '-q', '--steps', '30', '--backend', 'cpu']).code, 0);
  const a = onlyRun(straight);
  const b = onlyRun(split);
  assert.equal(readRunInfo(b).checkpointStep, 30);
  const r = runCli(['train', '--resume', b, '--steps', '60', '-q', '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  const info = readRunInfo(b);
  assert.equal(info.step, 60);
  assert.deepEqual(info.resumedAt, [30]);

  // Step continuity: every logged step once, in order.
  const steps = readJsonlFile<MetricRecord>(join(b, 'metrics.jsonl')).map((m) => m.step);
  assert.deepEqual(steps, Array.from({ length: 12 }, (_, i) => 5 * (i + 1)));
  // Identical numbers after the join, and identical weights at the end.
  const strip = (m: MetricRecord) => ({ ...m, time: 0, wallMs: 0, stepMs: 0, examplesPerSec: 0 });
  const ma = readJsonlFile<MetricRecord>(join(a, 'metrics.jsonl')).map(strip);
  const mb = readJsonlFile<MetricRecord>(join(b, 'metrics.jsonl')).map(strip);
  assert.deepEqual(mb, ma);
  for (const net of ['generator', 'discriminator']) {
    const wa = readFileSync(join(a, 'checkpoints/step-000060', net, 'weights.bin'));
    const wb = readFileSync(join(b, 'checkpoints/step-000060', net, 'weights.bin'));
    assert.ok(wa.equals(wb), `${net} weights differ after resume`);
  }
});

test('NaN losses fail the run with the step and the loss, keeping a finite checkpoint', { timeout: 120_000 }, () => {
  const dir = tmp('nan');
  const config = writeConfig(
    dir,
    tinyRingConfig({
      training: {
        steps: 400,
        batchSize: 64,
        discriminatorOptimizer: { type: 'sgd', learningRate: 10 },
        generatorOptimizer: { type: 'sgd', learningRate: 10 },
      },
      generator: { latentDim: 2, hidden: [64], batchNorm: false },
      discriminator: { hidden: [64] },
      logging: { checkpointEvery: 2 },
    }),
  );
  const r = runCli(['train', config, '--runs-dir', join(dir, 'runs'), '-q']);
  assert.equal(r.code, 1);
  const run = onlyRun(join(dir, 'runs'));
  const info = readRunInfo(run);
  assert.equal(info.status, 'failed');
  assert.equal(info.error?.kind, 'nan');
  assert.match(info.error.message, /^step \d+: the (discriminator|generator)('s)? (loss|gradient norm|weight)|^step \d+: a weight/);
  assert.match(r.stderr, /step \d+: .*NaN|infinite/);
  const latest = readLatestCheckpoint(run);
  assert.ok(latest, 'a checkpoint from before the divergence is kept');
  assert.ok(latest.step < info.error.step!);
  for (const net of ['generator', 'discriminator']) {
    const buf = readFileSync(join(run, 'checkpoints', latest.dir, net, 'weights.bin'));
    const w = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    assert.ok(w.every(Number.isFinite), `${net} checkpoint must be finite`);
  }
});

test('a checkpoint is good only when its samples are: a run whose weights stay finite but whose samples overflow keeps none', { timeout: 120_000 }, () => {
  // SGD at rate 10 on a ring of radius 100 with the least-squares loss: after one step every weight
  // is finite, and G's samples of the fixed latent batch are Infinity. Checking weights alone kept
  // that checkpoint as the "last good" one.
  const blowUp = (loss: string) =>
    tinyRingConfig({
      data: { type: 'ring', scale: 100 },
      generator: { latentDim: 2, hidden: [32, 32], batchNorm: false },
      discriminator: { hidden: [32, 32] },
      loss: { type: loss },
      training: { steps: 40, batchSize: 64, generatorOptimizer: { type: 'sgd', learningRate: 10 }, discriminatorOptimizer: { type: 'sgd', learningRate: 10 } },
      logging: { metricsEvery: 1, samplesEvery: 1, checkpointEvery: 1, samplePoints: 64, heatmapSize: 8 },
    });
  const dir = tmp('overflow');
  const runs = join(dir, 'runs');
  const r = runCli(['train', writeConfig(dir, blowUp('least-squares')), '--runs-dir', runs, '-q', '--backend', 'cpu']);
  assert.equal(r.code, 1, r.stderr);
  const run = onlyRun(runs);
  const info = readRunInfo(run);
  assert.equal(info.status, 'failed');
  assert.equal(
    info.error?.message,
    "step 1: the generator's samples of the fixed latent batch are not finite; training stopped and there is no checkpoint yet. Try a lower learning rate, a different loss, or gradient clipping.",
  );
  assert.equal(readLatestCheckpoint(run), undefined);
  assert.deepEqual(readdirSync(join(run, 'checkpoints')), []);

  // A run that diverges later keeps a checkpoint, and what it samples is finite.
  const dir2 = tmp('overflow-kept');
  const runs2 = join(dir2, 'runs');
  const r2 = runCli(['train', writeConfig(dir2, blowUp('hinge')), '--runs-dir', runs2, '-q', '--backend', 'cpu']);
  assert.equal(r2.code, 1, r2.stderr);
  const run2 = onlyRun(runs2);
  const kept = readLatestCheckpoint(run2);
  assert.ok(kept, 'a checkpoint from before the divergence is kept');
  assert.match(readRunInfo(run2).error!.message, new RegExp(`the last good checkpoint \\(step ${kept.step}\\) is kept`));
  const out = join(dir2, 'kept.csv');
  const s = runCli(['sample', run2, '--count', '256', '--out', out, '--backend', 'cpu']);
  assert.equal(s.code, 0, s.stderr);
  const values = readFileSync(out, 'utf8').trim().split('\n').slice(1).flatMap((l) => l.split(',').map(Number));
  assert.equal(values.length, 512);
  assert.ok(values.every(Number.isFinite), 'the kept checkpoint samples finite points');
});

test('SIGTERM stops after the step with a checkpoint, exits 0, and the run resumes', { timeout: 120_000 }, async () => {
  const dir = tmp('sigterm');
  const config = writeConfig(dir, tinyRingConfig({ training: { steps: 1_000_000, batchSize: 64 } }));
  const runs = join(dir, 'runs');
  const child = startCli(['train', config, '--runs-dir', runs, '-q']);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await waitFor(() => {
    try {
      return readRunInfo(onlyRun(runs)).step >= 20;
    } catch {
      return false;
    }
  }, 60_000, 'the run to reach step 20');
  const t0 = Date.now();
  child.kill('SIGTERM');
  const code = await exited;
  const ms = Date.now() - t0;
  console.log(`SIGTERM → exit in ${ms} ms`);
  assert.equal(code, 0);
  assert.ok(ms < 10_000);
  const run = onlyRun(runs);
  const info = readRunInfo(run);
  assert.equal(info.status, 'stopped');
  assert.equal(info.checkpointStep, info.step);
  const r = runCli(['train', '--resume', run, '--steps', String(info.step + 10), '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readRunInfo(run).status, 'completed');
});

test('over IPC the trainer speaks the typed protocol and obeys stop', { timeout: 120_000 }, async () => {
  const dir = tmp('ipc');
  const config = writeConfig(dir, tinyRingConfig({ training: { steps: 1_000_000, batchSize: 64 } }));
  const child = startCli(['train', config, '--runs-dir', join(dir, 'runs'), '--ipc'], true);
  const messages: TrainerToHost[] = [];
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.on('message', (m) => {
    const parsed = parseTrainerMessage(m);
    assert.ok(parsed.ok, `invalid message ${JSON.stringify(m).slice(0, 300)}: ${parsed.ok ? '' : parsed.reason}`);
    messages.push(parsed.value);
  });
  await waitFor(() => messages.some((m) => m.type === 'progress') && messages.some((m) => m.type === 'metrics'), 60_000, 'progress and metrics');
  child.send({ type: 'stop' });
  assert.equal(await exited, 0);
  const types = new Set(messages.map((m) => m.type));
  for (const t of ['started', 'progress', 'metrics', 'samples', 'checkpoint', 'finished']) assert.ok(types.has(t as TrainerToHost['type']), `no ${t} message`);
  const finished = messages.find((m) => m.type === 'finished');
  assert.equal(finished?.type === 'finished' && finished.status, 'stopped');
  const started = messages.find((m) => m.type === 'started');
  assert.ok(started?.type === 'started' && ['wasm', 'cpu', 'tensorflow'].includes(started.backend));
});

test('kill -9 at random moments never leaves an unreadable run.json or checkpoint', { timeout: 600_000 }, async () => {
  const dir = tmp('kill');
  // Checkpoints and logs every step or two, so kills land inside writes.
  const config = writeConfig(
    dir,
    tinyRingConfig({ training: { steps: 1_000_000, batchSize: 64 }, logging: { metricsEvery: 1, histogramsEvery: 1, samplesEvery: 3, checkpointEvery: 2, keepCheckpoints: 2, samplePoints: 64, heatmapSize: 8 } }),
  );
  const trials = 20;
  let withCheckpoint = 0;
  for (let i = 0; i < trials; i++) {
    const runs = join(dir, `runs-${i}`);
    const child = startCli(['train', config, '--runs-dir', runs, '-q']);
    const exited = new Promise((r) => child.on('exit', r));
    await waitFor(() => existsSync(runs) && readdirSync(runs).length > 0, 60_000, 'the run directory');
    // Half the kills wait for the first checkpoint, so both the first write and later rewrites
    // are hit however slow the machine is today.
    if (i % 2 === 0) {
      await waitFor(() => existsSync(join(onlyRun(runs), 'checkpoints', 'latest.json')), 60_000, 'the first checkpoint');
    }
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 1200));
    child.kill('SIGKILL');
    await exited;
    const run = onlyRun(runs);
    const info = readRunInfo(run); // throws if unreadable
    assert.equal(info.status, 'running', 'a killed run still says running; the host marks it failed');
    const latest = readLatestCheckpoint(run);
    if (latest) {
      withCheckpoint++;
      for (const net of ['generator', 'discriminator']) {
        const modelJson = JSON.parse(readFileSync(join(run, 'checkpoints', latest.dir, net, 'model.json'), 'utf8')) as {
          weightsManifest: { weights: { shape: number[] }[] }[];
        };
        const floats = modelJson.weightsManifest[0].weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
        assert.equal(readFileSync(join(run, 'checkpoints', latest.dir, net, 'weights.bin')).byteLength, floats * 4);
      }
      JSON.parse(readFileSync(join(run, 'checkpoints', latest.dir, 'state.json'), 'utf8'));
    }
    if (i === trials - 1 && latest) {
      const r = runCli(['train', '--resume', run, '--steps', String(latest.step + 4), '-q']);
      assert.equal(r.code, 0, r.stderr);
    }
  }
  console.log(`kill -9: ${trials} trials, ${withCheckpoint} with a checkpoint, all readable`);
  assert.ok(withCheckpoint >= trials / 2, 'most kills should land after the first checkpoint');
});

test('sample writes a CSV for 2-D runs from the saved layers model', { timeout: 120_000 }, () => {
  const dir = tmp('sample');
  const config = writeConfig(dir, tinyRingConfig({ training: { steps: 20, batchSize: 64 } }));
  assert.equal(runCli(['train', config, '--runs-dir', join(dir, 'runs'), '-q']).code, 0);
  const run = onlyRun(join(dir, 'runs'));
  const out = join(dir, 'points.csv');
  const r = runCli(['sample', run, '--count', '100', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'x,y');
  assert.equal(lines.length, 101);
  assert.ok(lines.slice(1).every((l) => l.split(',').length === 2 && l.split(',').every((v) => Number.isFinite(Number(v)))));
  const bad = runCli(['sample', run, '--count', '4', '--out', join(dir, 'x.png')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--out must end in \.csv/);
});

test('train --seed N overrides the config\'s seed and is recorded; it is refused with --resume and when malformed', { timeout: 120_000 }, () => {
  const dir = tmp('seed');
  const seeded = writeConfig(dir, tinyRingConfig({ seed: 3, training: { steps: 20, batchSize: 64 } }));
  const dir9 = tmp('seed9');
  const nine = writeConfig(dir9, tinyRingConfig({ seed: 9, training: { steps: 20, batchSize: 64 } }));
  const r = runCli(['train', seeded, '--seed', '9', '--runs-dir', join(dir, 'runs'), '-q', '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(runCli(['train', nine, '--runs-dir', join(dir9, 'runs'), '-q', '--backend', 'cpu']).code, 0);
  const a = onlyRun(join(dir, 'runs'));
  const b = onlyRun(join(dir9, 'runs'));
  assert.equal(readRunInfo(a).seed, 9);
  assert.equal((JSON.parse(readFileSync(join(a, 'config.json'), 'utf8')) as { seed: number }).seed, 9);
  for (const net of ['generator', 'discriminator']) {
    const wa = readFileSync(join(a, 'checkpoints/step-000020', net, 'weights.bin'));
    const wb = readFileSync(join(b, 'checkpoints/step-000020', net, 'weights.bin'));
    assert.ok(wa.equals(wb), `--seed 9 trains the ${net} of a config with seed 9`);
  }
  const resumed = runCli(['train', '--resume', a, '--seed', '4', '--steps', '30']);
  assert.equal(resumed.code, 2);
  assert.match(resumed.stderr, /--set, --seed and --run-id start a new run; a resumed run keeps its own config\.json/);
  for (const bad of ['-1', 'x', '4294967296']) {
    const v = runCli(['train', seeded, `--seed=${bad}`, '--runs-dir', join(dir, 'bad')]);
    assert.equal(v.code, 2);
    assert.match(v.stderr, /--seed must be a whole number from 0 to 4294967295/);
  }
  const both = runCli(['train', seeded, '--seed', '1', '--set', '/seed=2', '--runs-dir', join(dir, 'bad')]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--seed and --set \/seed both set the seed/);
});

test('EMA only averages: with ema 0 and 0.999 one seed trains bit-identical raw networks, and sample --raw draws from the raw one', { timeout: 120_000 }, () => {
  const runs: Record<string, string> = {};
  for (const ema of [0, 0.999]) {
    const dir = tmp(`ema${ema}`);
    const config = writeConfig(dir, tinyRingConfig({ training: { steps: 30, batchSize: 64, ema } }));
    const r = runCli(['train', config, '--runs-dir', join(dir, 'runs'), '-q', '--backend', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    runs[ema] = onlyRun(join(dir, 'runs'));
  }
  const ckpt = (run: string) => join(run, 'checkpoints/step-000030');
  assert.ok(existsSync(join(ckpt(runs[0.999]), 'generator-ema')));
  for (const net of ['generator', 'discriminator']) {
    const off = readFileSync(join(ckpt(runs[0]), net, 'weights.bin'));
    const on = readFileSync(join(ckpt(runs[0.999]), net, 'weights.bin'));
    assert.ok(off.equals(on), `the raw ${net} must not depend on the EMA`);
  }
  const sample = (run: string, extra: string[]) => {
    const out = join(tmp('ema-sample'), 'points.csv');
    const r = runCli(['sample', run, '--count', '50', '--out', out, '--backend', 'cpu', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return { csv: readFileSync(out, 'utf8'), stdout: r.stdout };
  };
  const plain = sample(runs[0], []);
  const averaged = sample(runs[0.999], []);
  const raw = sample(runs[0.999], ['--raw']);
  assert.match(averaged.stdout, /\(EMA generator\)/);
  assert.match(raw.stdout, /\(raw generator\)/);
  assert.equal(raw.csv, plain.csv, 'sample --raw draws from the generator as trained');
  assert.notEqual(averaged.csv, plain.csv, 'without --raw, an EMA run samples from the average');
});

/** Mean intensity and share of near-black pixels over the tiles of a sample grid (gaps excluded). */
function gridStats(path: string, rows: number, cols: number, tile: number, gap = 2): { mean: number; dark: number } {
  const png = PNG.sync.read(readFileSync(path));
  let sum = 0;
  let dark = 0;
  let n = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      for (let y = 0; y < tile; y++) {
        for (let x = 0; x < tile; x++) {
          const px = gap + c * (tile + gap) + x;
          const py = gap + r * (tile + gap) + y;
          const v = png.data[(py * png.width + px) * 4];
          sum += v;
          if (v < 40) dark++;
          n++;
        }
      }
    }
  }
  return { mean: sum / n, dark: dark / n };
}

test('a short MNIST DCGAN run leaves the noise behind: pixel statistics approach the data', { timeout: 600_000 }, () => {
  const runs = tmp('mnist');
  const r = runCli(['train', join(ROOT, 'examples/mnist/gan.json'), '--runs-dir', runs, '--steps', '100', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const run = onlyRun(runs);
  const info = readRunInfo(run);
  assert.deepEqual(info.imageShape, [28, 28, 1]);
  const samples = readJsonlFile<SampleRecord>(join(run, 'samples.jsonl'));
  assert.deepEqual(samples.map((s) => s.step), [0, 50, 100]);
  assert.ok(samples.every((s) => s.kind === 'image-grid' && s.rows === 8 && s.cols === 8));
  const png = PNG.sync.read(readFileSync(join(run, 'samples/step-000100.png')));
  assert.equal(png.width, 8 * 56 + 9 * 2, 'an 8×8 grid of 28×28 tiles drawn at 2×');
  const real = gridStats(join(run, 'samples/real.png'), 8, 8, 56);
  const start = gridStats(join(run, 'samples/step-000000.png'), 8, 8, 56);
  const end = gridStats(join(run, 'samples/step-000100.png'), 8, 8, 56);
  console.log(`MNIST pixels: real mean ${real.mean.toFixed(1)} dark ${real.dark.toFixed(2)}; step 0 ${start.mean.toFixed(1)}/${start.dark.toFixed(2)}; step 100 ${end.mean.toFixed(1)}/${end.dark.toFixed(2)} (backend ${info.backend})`);
  assert.ok(Math.abs(end.mean - real.mean) < 0.5 * Math.abs(start.mean - real.mean), 'mean intensity moves at least halfway to the data');
  assert.ok(Math.abs(end.dark - real.dark) < 0.5 * Math.abs(start.dark - real.dark), 'the black background appears');
  // Image quality is recorded at each sample step; the Fréchet classifier distance falls as noise gives way.
  const quality = readJsonlFile<QualityRecord>(join(run, 'quality.jsonl'));
  assert.deepEqual(quality.map((q) => q.step), [0, 50, 100]);
  const [q0, , q100] = quality;
  console.log(`MNIST quality: FCD ${q0.fcd} → ${q100.fcd} (floor ${q100.fcdFloor}), SWD ${q0.swd} → ${q100.swd}, classes ${q100.classes?.join(' ')}`);
  assert.ok(q100.fcd! < q0.fcd!, 'FCD should fall');
  assert.ok(q100.swd < q0.swd, 'pixel-space SWD should fall');
  assert.equal(q100.classes?.length, 10);
  assert.equal(q100.classes.reduce((a, b) => a + b, 0), 512);
  // The image path of `sample`: a PNG grid from the saved generator.
  const out = join(runs, 'grid.png');
  const s = runCli(['sample', run, '--count', '16', '--out', out]);
  assert.equal(s.code, 0, s.stderr);
  const grid = PNG.sync.read(readFileSync(out));
  assert.equal(grid.width, 4 * 56 + 5 * 2);
});

test('generate answers the latent explorer during training and from a finished run (serve)', { timeout: 120_000 }, async () => {
  const dir = tmp('generate');
  const config = writeConfig(dir, tinyRingConfig({ training: { steps: 1_000_000, batchSize: 64 } }));
  const ask = async (child: ReturnType<typeof startCli>, z: number[], count: number) => {
    const reply = new Promise<Extract<TrainerToHost, { type: 'generated' }>>((resolve) => {
      child.on('message', (m: TrainerToHost) => {
        if (m.type === 'generated' && m.requestId === 7) resolve(m);
      });
    });
    child.send({ type: 'generate', requestId: 7, z, count });
    return reply;
  };
  const training = startCli(['train', config, '--runs-dir', join(dir, 'runs'), '--ipc'], true);
  const messages: TrainerToHost[] = [];
  training.on('message', (m: TrainerToHost) => messages.push(m));
  await waitFor(() => messages.some((m) => m.type === 'progress'), 60_000, 'training to start');
  const live = await ask(training, [0, 0, 1, -1, 0.5, 0.5], 3);
  assert.deepEqual(live.shape, [3, 2]);
  assert.equal(live.data.length, 6);
  assert.ok(live.data.every(Number.isFinite));
  const exited = new Promise((r) => training.on('exit', r));
  training.send({ type: 'stop' });
  await exited;

  const run = onlyRun(join(dir, 'runs'));
  const server = startCli(['serve', run, '--ipc'], true);
  const fromDisk = await ask(server, [0, 0, 1, -1, 0.5, 0.5], 3);
  assert.deepEqual(fromDisk.shape, [3, 2]);
  // The saved generator is the one that was training: same latent, same point (to float precision).
  // (The live answer came from an earlier step, so only the shape is compared with it.)
  const again = await ask(server, [0, 0, 1, -1, 0.5, 0.5], 3);
  assert.deepEqual(again.data, fromDisk.data);
  server.disconnect();
  await new Promise((r) => server.on('exit', r));
});
