/**
 * Soak: 20 `kill -9`s at random moments across a ring run and an MNIST run that log every step and
 * checkpoint every 5. After each kill the run directory must read (run.json, config.json, every
 * JSONL line, the sample files, the latest checkpoint complete to its last byte), and
 * `train --resume` must continue it from that checkpoint; in the end each run completes, its logs
 * hold every step once, nothing temporary is left, and the ring run's weights are those of the same
 * run trained without interruption.
 *
 * The kill times come from a seeded generator; the seed is printed, and GAN_STUDIO_SOAK_SEED=<seed>
 * replays the same schedule (the moments land where the machine's speed puts them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { check } from '../../src/protocol/fields';
import { checkpointState, histogramRecord, metricRecord, qualityRecord, RUN_FILES, sampleRecord, samplePoints2D } from '../../src/protocol/runFormat';
import { readLatestCheckpoint, readMetrics, readRunConfig, readRunInfo, readSamples } from '../../src/runDir/runReader';
import { Rng } from '../../src/trainer/rng';
import { onlyRun, runCli, startCli, tinyRingConfig, tmp, waitFor, writeConfig } from '../helpers/cli';

const SEED = process.env.GAN_STUDIO_SOAK_SEED !== undefined ? Number(process.env.GAN_STUDIO_SOAK_SEED) : Date.now() % 1_000_000;
const rng = new Rng(SEED);

const JSONL: [string, v.GenericSchema][] = [
  [RUN_FILES.metrics, metricRecord],
  [RUN_FILES.histograms, histogramRecord],
  [RUN_FILES.samples, sampleRecord],
  [RUN_FILES.quality, qualityRecord],
];

const FLOAT_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** A weights file holds exactly what its manifest says: every weight, whole. */
function assertWeights(dir: string, manifestFile: string, specs: { shape: number[]; dtype?: string }[], binFile: string): void {
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * (FLOAT_BYTES[s.dtype ?? 'float32'] ?? 4), 0);
  assert.equal(statSync(join(dir, binFile)).size, expected, `${join(dir, binFile)} against ${manifestFile}`);
}

/** Everything a reader, a resume and `sample` rely on, checked after a kill. Returns the checkpoint's step. */
function assertReadable(run: string): number {
  const info = readRunInfo(run); // throws when unreadable
  assert.ok(readRunConfig(run), 'config.json reads');
  let torn = 0;
  for (const [file, schema] of JSONL) {
    const path = join(run, file);
    if (!existsSync(path)) continue;
    const parts = readFileSync(path, 'utf8').split('\n');
    // What follows the last newline is empty, or a line a kill cut (which readers drop).
    if (parts.pop() !== '') torn++;
    parts.forEach((line, i) => {
      let value: unknown;
      assert.doesNotThrow(() => (value = JSON.parse(line)), `${path}:${i + 1} parses`);
      assert.ok(v.safeParse(schema, value).success, `${path}:${i + 1} is a valid record`);
    });
  }
  for (const s of readSamples(run)) {
    const text = readFileSync(join(run, s.file));
    if (s.kind === 'points2d') assert.ok(check(samplePoints2D, JSON.parse(text.toString('utf8'))).ok, s.file);
    else assert.ok(text.subarray(1, 4).toString() === 'PNG', `${s.file} is a PNG`);
  }
  const latest = readLatestCheckpoint(run);
  assert.ok(latest, `${run}: a latest checkpoint`);
  assert.ok(info.checkpointStep <= latest.step, `run.json's checkpoint (${info.checkpointStep}) is no later than latest.json's (${latest.step})`);
  const dir = join(run, RUN_FILES.checkpointsDir, latest.dir);
  const state = check(checkpointState, JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')));
  assert.ok(state.ok, state.ok ? '' : state.reason);
  assert.equal(state.value.step, latest.step);
  for (const net of ['generator', 'discriminator', ...(state.value.hasEma ? ['generator-ema'] : [])]) {
    const model = JSON.parse(readFileSync(join(dir, net, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[]; weights: { shape: number[]; dtype?: string }[] }[] };
    assertWeights(join(dir, net), 'model.json', model.weightsManifest[0].weights, model.weightsManifest[0].paths[0]);
  }
  for (const opt of Object.values(state.value.optimizers)) {
    const saved = JSON.parse(readFileSync(join(dir, `${opt}.json`), 'utf8')) as { specs: { shape: number[]; dtype?: string }[] };
    assertWeights(dir, `${opt}.json`, saved.specs, `${opt}.bin`);
  }
  if (torn > 0) console.log(`  ${run}: ${torn} JSONL file(s) end in a torn line, which readers drop`);
  return latest.step;
}

function temps(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name.includes('.tmp')) out.push(p);
    if (statSync(p).isDirectory()) out.push(...temps(p));
  }
  return out;
}

/** The step of the last whole line of metrics.jsonl (its last few kB only: this is polled). */
function lastLoggedStep(run: string): number {
  const path = join(run, RUN_FILES.metrics);
  if (!existsSync(path)) return 0;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, 4096));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    const lines = buf.toString('utf8').split('\n').slice(0, -1);
    for (let i = lines.length - 1; i >= 0; i--) {
      const m = /^\{"step":(\d+),/.exec(lines[i]);
      if (m) return Number(m[1]);
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}

interface Soaked {
  run: string;
  kills: string[];
}

/**
 * Trains `config` with `kills` kill -9s: the first once the run has a checkpoint, the others in
 * resumed sessions, most while they train, some at any moment from the start (loading, trimming
 * the logs to the checkpoint). Then resumes it to the end.
 */
async function soak(name: string, config: Record<string, unknown>, kills: number, maxSteps: number): Promise<Soaked> {
  const dir = tmp(`soak-${name}`);
  const runs = join(dir, 'runs');
  const configPath = writeConfig(dir, config);
  let run: string | undefined;
  let checkpoint = 0;
  const log: string[] = [];
  for (let k = 0; k < kills; k++) {
    const child = startCli(run ? ['train', '--resume', run, '-q'] : ['train', configPath, '--runs-dir', runs, '-q']);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let exit: number | null | undefined;
    const exited = new Promise<void>((r) => child.on('exit', (code) => ((exit = code), r())));
    // Most kills come while the session trains, a random number of steps past where it started
    // and a random moment after that; some at a random moment from the spawn (loading the
    // checkpoint, trimming the logs). Every session is cut off after at most `maxSteps` new
    // steps, so the run cannot finish early however fast the machine.
    const anyMoment = k > 0 && rng.next() < 0.3;
    const steps = 1 + rng.int(maxSteps);
    const delay = Math.round(rng.next() * (anyMoment ? 2500 : 400));
    const t0 = Date.now();
    const past = (n: number) => run !== undefined && lastLoggedStep(run) >= checkpoint + n;
    if (anyMoment) {
      await waitFor(() => exit !== undefined || Date.now() - t0 >= delay || past(maxSteps), 90_000, `${name} session ${k}: ${delay} ms`);
    } else {
      // Under way: this process has the run (a new one: with its first checkpoint)…
      await waitFor(
        () => {
          if (exit !== undefined) return true;
          try {
            run ??= onlyRun(runs);
            const info = readRunInfo(run);
            return info.pid === child.pid && (k > 0 || readLatestCheckpoint(run) !== undefined);
          } catch {
            return false;
          }
        },
        90_000,
        `${name} session ${k} to start`,
      );
      if (k > 0 && exit === undefined) assert.equal(readRunInfo(run!).resumedAt?.at(-1), checkpoint, `${name} session ${k} continues from the checkpoint the kill left`);
      if (k === 0) checkpoint = readLatestCheckpoint(run!)!.step;
      // …and past its random step, then a random moment.
      await waitFor(() => exit !== undefined || past(steps), 90_000, `${name} session ${k} to pass step ${checkpoint + steps}`);
      const t1 = Date.now();
      await waitFor(() => exit !== undefined || Date.now() - t1 >= delay || past(maxSteps), 90_000, `${name} session ${k}: ${delay} ms`);
    }
    assert.equal(exit, undefined, `${name} session ${k} ended by itself (exit ${exit}): ${stderr}`);
    child.kill('SIGKILL');
    await exited;
    run ??= onlyRun(runs);
    const from = checkpoint;
    checkpoint = assertReadable(run);
    log.push(`${anyMoment ? `${delay} ms from the start` : `${steps} steps + ${delay} ms`}: logged to ${lastLoggedStep(run)}, checkpoint ${from} → ${checkpoint}`);
  }
  assert.ok(run);
  const before = readLatestCheckpoint(run)!.step;
  const r = runCli(['train', '--resume', run, '-q']);
  assert.equal(r.code, 0, `the last resume: ${r.stderr}`);
  const info = readRunInfo(run);
  assert.equal(info.status, 'completed');
  assert.equal(info.step, info.totalSteps);
  assert.equal(info.resumedAt?.at(-1), before, 'the last session resumed from the latest checkpoint');
  assert.ok((info.resumedAt?.length ?? 0) >= 1);
  assertReadable(run);
  const every = (config.logging as { metricsEvery: number }).metricsEvery;
  assert.deepEqual(
    readMetrics(run).map((m) => m.step),
    Array.from({ length: info.totalSteps / every }, (_, i) => (i + 1) * every),
    'every logged step once, in order',
  );
  assert.deepEqual(temps(run), [], 'no temporary files left');
  return { run, kills: log };
}

test('soak: 20 kill -9s across a ring and an MNIST run; each kill leaves a readable run that resumes, and both complete', { timeout: 600_000 }, async () => {
  console.log(`soak seed ${SEED} (GAN_STUDIO_SOAK_SEED=${SEED} replays the kill schedule)`);
  const t0 = Date.now();
  const ringConfig = tinyRingConfig({
    training: { steps: 600, batchSize: 64 },
    logging: { metricsEvery: 1, histogramsEvery: 2, samplesEvery: 3, checkpointEvery: 5, keepCheckpoints: 2, samplePoints: 64, heatmapSize: 8 },
  });
  const ring = await soak('ring', ringConfig, 10, 25);
  console.log(`ring: ${ring.kills.join(', ')}`);
  const ringMs = Date.now() - t0;

  const mnist = await soak(
    'mnist',
    {
      name: 'mnist-soak',
      seed: 1,
      data: { type: 'mnist', split: 'test', limit: 256 },
      generator: { preset: 'dcgan', latentDim: 8, filters: 8 },
      discriminator: { preset: 'dcgan', filters: 8 },
      training: { steps: 250, batchSize: 16, ema: 0.9 },
      logging: { metricsEvery: 1, histogramsEvery: 5, samplesEvery: 10, checkpointEvery: 5, keepCheckpoints: 2, sampleGrid: [2, 2] },
    },
    10,
    15,
  );
  console.log(`mnist: ${mnist.kills.join(', ')}`);
  const mnistMs = Date.now() - t0 - ringMs;

  // Killed ten times or never, the ring run ends with the same weights.
  const dir = tmp('soak-straight');
  const r = runCli(['train', writeConfig(dir, ringConfig), '--runs-dir', join(dir, 'runs'), '-q']);
  assert.equal(r.code, 0, r.stderr);
  const straight = onlyRun(join(dir, 'runs'));
  for (const net of ['generator', 'discriminator']) {
    const file = join('checkpoints', 'step-000600', net, 'weights.bin');
    assert.ok(readFileSync(join(ring.run, file)).equals(readFileSync(join(straight, file))), `${net} weights differ from the uninterrupted run`);
  }
  console.log(`soak: ring ${ringMs} ms, MNIST ${mnistMs} ms, the uninterrupted ring ${Date.now() - t0 - ringMs - mnistMs} ms (seed ${SEED})`);
});
