/**
 * `gan-studio export`: a real run's generator copied out with gan-generator.json, checked against
 * its schema and against the checkpoint it came from; and the affine map it writes, which must be
 * the data set's own denormalize for every kind of data.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { check } from '../../src/protocol/fields';
import { applyAffine, GENERATOR_EXPORT_FILE, generatorExport, type GeneratorExport } from '../../src/protocol/generatorExport';
import { loadRunConfig, readRunInfo } from '../../src/runDir/runReader';
import { loadDataset, type Dataset } from '../../src/trainer/data/dataset';
import { Rng } from '../../src/trainer/rng';
import { onlyRun, runCli, tinyRingConfig, tmp, writeConfig } from '../helpers/cli';

// ------------------------------------------------------------------------------------------
// Dataset.affine(): the numbers behind denormalize

/** Values around and beyond the normalised range, so clamping shows too. */
function probe(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * 1.3);
}

function assertAffineIsDenormalize(d: Dataset, what: string): void {
  const map = d.affine();
  assert.equal(map.scale.length, map.offset.length, what);
  assert.ok(map.scale.length === 1 || map.scale.length === d.dim, `${what}: ${map.scale.length} elements for dim ${d.dim}`);
  const v = probe(d.dim * 40, 11);
  const expected = d.denormalize(v);
  const actual = applyAffine(v, map);
  for (let i = 0; i < v.length; i++) {
    const tol = 1e-6 * Math.max(1, Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
  // And the map is the inverse of normalize, as denormalize is.
  const back = applyAffine(d.normalize(expected), map);
  for (let i = 0; i < v.length; i++) assert.ok(Math.abs(back[i] - expected[i]) <= 1e-4 * Math.max(1, Math.abs(expected[i])), `${what} round trip [${i}]`);
}

describe('Dataset.affine(): denormalize(v) = v * scale + offset', () => {
  test('2-D toys, with each normalisation', () => {
    for (const [type, normalize] of [['ring', 'none'], ['ring', 'standardize'], ['moons', 'minmax'], ['grid', 'standardize']] as const) {
      const d = loadDataset({ type, noise: 0.05, scale: 2, normalize }, '.');
      assertAffineIsDenormalize(d, `${type}/${normalize}`);
      assert.equal(d.affine().scale.length, 2);
      assert.equal(d.affine().clamp, undefined);
      if (normalize === 'none') assert.deepEqual(d.affine(), { scale: [1, 1], offset: [0, 0] });
    }
  });

  test('CSV: 2-D points and wider vectors, one scale and offset per column', () => {
    const dir = tmp('affine-csv');
    const rng = new Rng(4);
    const rows = Array.from({ length: 50 }, () => [rng.normal() * 3 + 10, rng.next() * 100 - 7, rng.normal() * 0.01]);
    writeFileSync(join(dir, 'v.csv'), `a,b,c\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    for (const normalize of ['none', 'standardize', 'minmax'] as const) {
      const wide = loadDataset({ type: 'csv', path: 'v.csv', header: true, normalize }, dir);
      assert.equal(wide.kind, 'vector');
      assertAffineIsDenormalize(wide, `csv 3 columns/${normalize}`);
      assert.equal(wide.affine().scale.length, 3);
      const flat = loadDataset({ type: 'csv', path: 'v.csv', header: true, columns: ['c', 'a'], normalize }, dir);
      assert.equal(flat.kind, 'points2d');
      assertAffineIsDenormalize(flat, `csv 2 columns/${normalize}`);
    }
    // Standardised: the offsets are the column means.
    const std = loadDataset({ type: 'csv', path: 'v.csv', header: true, normalize: 'standardize' }, dir).affine();
    const mean = rows.reduce((s, r) => s + r[0], 0) / rows.length;
    assert.ok(Math.abs(std.offset[0] - mean) < 1e-4, `${std.offset[0]} vs ${mean}`);
  });

  test('images: one element for every pixel, clamped to 0..255', () => {
    for (const normalize of ['tanh', 'unit'] as const) {
      const mnist = loadDataset({ type: 'mnist', split: 'test', limit: 20, normalize }, '.');
      assertAffineIsDenormalize(mnist, `mnist/${normalize}`);
      assert.deepEqual(mnist.affine(), normalize === 'tanh' ? { scale: [127.5], offset: [127.5], clamp: [0, 255] } : { scale: [255], offset: [0], clamp: [0, 255] });
    }
    const dir = tmp('affine-images');
    mkdirSync(join(dir, 'imgs'));
    const png = new PNG({ width: 4, height: 4 });
    png.data.fill(200);
    writeFileSync(join(dir, 'imgs', 'a.png'), PNG.sync.write(png));
    const folder = loadDataset({ type: 'imageFolder', path: 'imgs', size: 4, channels: 3, normalize: 'tanh' }, dir);
    assertAffineIsDenormalize(folder, 'imageFolder/tanh');
  });
});

// ------------------------------------------------------------------------------------------
// The CLI on real runs

function trainRun(name: string, config: Record<string, unknown>): string {
  const dir = tmp(name);
  const runs = join(dir, 'runs');
  const r = runCli(['train', writeConfig(dir, config), '--runs-dir', runs, '-q', '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  return onlyRun(runs);
}

function readExport(out: string): GeneratorExport {
  const parsed = check(generatorExport, JSON.parse(readFileSync(join(out, GENERATOR_EXPORT_FILE), 'utf8')));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  return parsed.value;
}

function sameBytes(a: string, b: string): boolean {
  return readFileSync(a).equals(readFileSync(b));
}

/** An export that must fail as bad input: exit 2, one line on stderr, nothing on stdout. */
function refused(args: string[], pattern: RegExp): void {
  const r = runCli(['export', ...args]);
  assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  const message = r.stderr.trim();
  assert.ok(!message.includes('\n'), `one line: ${message}`);
  assert.doesNotMatch(message, /\bat .*\.js:\d+/, 'no stack');
  assert.match(message, pattern);
  assert.equal(r.stdout, '');
}

describe('gan-studio export', () => {
  test('a ring run with EMA: the EMA generator by default, --raw the trained one, with gan-generator.json', { timeout: 300_000 }, () => {
    const t0 = Date.now();
    const run = trainRun('export-ring', {
      ...tinyRingConfig(),
      data: { type: 'ring', normalize: 'standardize' },
      training: { ...(tinyRingConfig().training as object), steps: 200, ema: 0.99 },
      logging: { ...(tinyRingConfig().logging as object), checkpointEvery: 100 },
    });
    const trainedMs = Date.now() - t0;
    const info = readRunInfo(run);
    const ckpt = (step: number, sub: string) => join(run, 'checkpoints', `step-${String(step).padStart(6, '0')}`, sub);
    const dir = tmp('export-out');

    const out = join(dir, 'ema');
    const r = runCli(['export', run, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.at(-1), out, 'the last line is the folder');
    assert.match(r.stdout, /EMA generator of step 200/);
    assert.deepEqual(readdirSync(out).sort(), ['gan-generator.json', 'model.json', 'weights.bin']);
    assert.ok(sameBytes(join(out, 'model.json'), ckpt(200, 'generator-ema/model.json')));
    assert.ok(sameBytes(join(out, 'weights.bin'), ckpt(200, 'generator-ema/weights.bin')));
    assert.ok(!sameBytes(join(out, 'weights.bin'), ckpt(200, 'generator/weights.bin')), 'the EMA weights differ from the trained ones');
    const meta = readExport(out);
    assert.deepEqual(meta.latent, { dim: 2, distribution: 'normal', mean: 0, std: 1 });
    assert.deepEqual(meta.output, { dataKind: 'points2d', shape: [2] });
    assert.deepEqual({ ...meta.source, exportedAt: '' }, { runId: info.id, runName: 'tiny', step: 200, ema: true, exportedAt: '' });
    assert.equal(meta.model, 'model.json');
    // The map is the run's data set's: standardised columns, so neither 1 nor 0.
    const data = loadDataset(loadRunConfig(run).data, '.');
    assert.deepEqual(meta.denormalize, data.affine());
    assert.ok(meta.denormalize.scale.every((s) => Math.abs(s - 1) > 0.1) && meta.denormalize.offset.every((o) => Math.abs(o) < 0.1));

    const raw = join(dir, 'raw');
    const rr = runCli(['export', run, '--out', raw, '--raw', '--checkpoint', '100']);
    assert.equal(rr.code, 0, rr.stderr);
    assert.equal(rr.stdout.trim().split('\n').at(-1), raw);
    assert.ok(sameBytes(join(raw, 'weights.bin'), ckpt(100, 'generator/weights.bin')));
    assert.deepEqual([readExport(raw).source.step, readExport(raw).source.ema], [100, false]);

    // Exporting again over a folder replaces its files.
    writeFileSync(join(raw, 'weights.bin'), 'stale');
    assert.equal(runCli(['export', run, '--out', raw, '--raw']).code, 0);
    assert.ok(sameBytes(join(raw, 'weights.bin'), ckpt(200, 'generator/weights.bin')));
    assert.equal(readExport(raw).source.step, 200);
    console.log(`export: ring run trained in ${trainedMs} ms, ${Date.now() - t0} ms in all`);
  });

  test('a run without EMA exports its generator, with a uniform latent', { timeout: 300_000 }, () => {
    const base = tinyRingConfig();
    const run = trainRun('export-plain', { ...base, generator: { ...(base.generator as object), latentDistribution: 'uniform' } });
    const out = join(tmp('export-plain-out'), 'g');
    const r = runCli(['export', run, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const meta = readExport(out);
    assert.deepEqual(meta.latent, { dim: 2, distribution: 'uniform', min: -1, max: 1 });
    assert.equal(meta.source.ema, false);
    assert.ok(sameBytes(join(out, 'weights.bin'), join(run, 'checkpoints/step-000060/generator/weights.bin')));
  });

  test('an MNIST DCGAN run: image shape and the pixel map', { timeout: 300_000 }, () => {
    const t0 = Date.now();
    const run = trainRun('export-mnist', {
      name: 'mnist-tiny',
      seed: 1,
      data: { type: 'mnist', split: 'test', limit: 64 },
      generator: { preset: 'dcgan', latentDim: 8, filters: 8 },
      discriminator: { preset: 'dcgan', filters: 8 },
      training: { steps: 5, batchSize: 16, ema: 0.9 },
      logging: { metricsEvery: 1, histogramsEvery: 5, samplesEvery: 5, checkpointEvery: 5, sampleGrid: [2, 2] },
    });
    const out = join(tmp('export-mnist-out'), 'g');
    const r = runCli(['export', run, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const meta = readExport(out);
    assert.deepEqual(meta.output, { dataKind: 'image', shape: [28, 28, 1] });
    assert.deepEqual(meta.denormalize, { scale: [127.5], offset: [127.5], clamp: [0, 255] });
    assert.deepEqual([meta.latent.dim, meta.source.ema, meta.source.step], [8, true, 5]);
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: { class_name: string }[] } } };
    assert.equal(model.modelTopology.config.layers.at(-1)?.class_name, 'Conv2DTranspose');
    console.log(`export: MNIST run trained and exported in ${Date.now() - t0} ms`);
  });

  test('bad input: exit 2 with one line, and nothing written', { timeout: 300_000 }, () => {
    const run = trainRun('export-bad', tinyRingConfig());
    const dir = tmp('export-bad-out');
    const out = join(dir, 'never');
    refused([join(dir, 'missing'), '--out', out], /missing: no such folder/);
    writeFileSync(join(dir, 'file.txt'), 'x');
    refused([join(dir, 'file.txt'), '--out', out], /not a folder/);
    mkdirSync(join(dir, 'empty'));
    refused([join(dir, 'empty'), '--out', out], /run\.json: not found/);
    refused([run], /needs --out DIR/);
    refused([run, '--out', out, '--checkpoint', '7'], /no checkpoint at step 7 \(available: 60\)/);
    refused([run, '--out', out, '--checkpoint', 'x'], /--checkpoint must be a positive integer/);
    refused([run, '--out', out, '--ema'], /unknown option "--ema"/);
    refused([run, '--out', join(dir, 'file.txt')], /is a file; give a folder/);

    // A run whose checkpoints are gone.
    const bare = join(dir, 'bare-run');
    mkdirSync(bare);
    for (const f of ['run.json', 'config.json']) cpSync(join(run, f), join(bare, f));
    refused([bare, '--out', out], /the run has no checkpoint yet/);

    // A manifest that points outside its folder is refused before anything is copied.
    const evil = join(dir, 'evil-run');
    cpSync(run, evil, { recursive: true });
    const modelPath = join(evil, 'checkpoints/step-000060/generator/model.json');
    const model = JSON.parse(readFileSync(modelPath, 'utf8')) as { weightsManifest: { paths: string[] }[] };
    model.weightsManifest[0].paths = ['../discriminator/weights.bin'];
    writeFileSync(modelPath, JSON.stringify(model));
    refused([evil, '--out', out], /names an unexpected weight path "\.\.\/discriminator\/weights\.bin"/);
    rmSync(join(evil, 'checkpoints/step-000060/generator/weights.bin'));
    model.weightsManifest[0].paths = ['./weights.bin'];
    writeFileSync(modelPath, JSON.stringify(model));
    refused([evil, '--out', out], /weights\.bin is missing; the checkpoint is incomplete/);

    assert.ok(!existsSync(out), 'no bad export created its folder');
  });
});
