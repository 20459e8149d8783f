/**
 * An exported generator in a browser with stock TensorFlow.js (the @tensorflow/tfjs UMD bundle,
 * dist/tf.min.js): the page loads model.json with tf.loadLayersModel, runs given latent vectors
 * through it, applies gan-generator.json's map and draws the result. Its numbers must be the
 * trainer's own (loadRunGenerator, what `gan-studio sample` and the latent explorer use) for the
 * same vectors: a 2-D ring run with batch norm and EMA, and an MNIST DCGAN.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { check } from '../../src/protocol/fields';
import { GENERATOR_EXPORT_FILE, generatorExport, type GeneratorExport } from '../../src/protocol/generatorExport';
import { Rng } from '../../src/trainer/rng';
import { loadRunGenerator } from '../../src/trainer/runGenerator';
import { runCli, tmp } from '../helpers/cli';
import { ARTIFACTS, launch, realRun, ROOT, skipReason } from './harness';

declare const window: any;

const TFJS = join(ROOT, 'node_modules/@tensorflow/tfjs/dist/tf.min.js');
const skip = skipReason() ?? (existsSync(TFJS) ? undefined : `${TFJS} not found (npm install)`);

/** The run configs, written beside the cached runs (realRun keys its cache by their content). */
function configFile(name: string, config: Record<string, unknown>): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.gan.json`);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

const RING = {
  name: 'export-ring',
  seed: 5,
  data: { type: 'ring', normalize: 'standardize' },
  generator: { latentDim: 4, hidden: [64, 64], batchNorm: true },
  discriminator: { hidden: [64, 64] },
  training: { batchSize: 128, ema: 0.99, generatorOptimizer: { learningRate: 0.001, beta1: 0.5 }, discriminatorOptimizer: { learningRate: 0.001, beta1: 0.5 } },
  logging: { metricsEvery: 20, histogramsEvery: 100, samplesEvery: 100, checkpointEvery: 10_000, samplePoints: 256 },
};

const MNIST = {
  name: 'export-mnist',
  seed: 1,
  data: { type: 'mnist', split: 'test', limit: 1024, digits: [0, 1, 7] },
  generator: { preset: 'dcgan', latentDim: 16, filters: 16 },
  discriminator: { preset: 'dcgan', filters: 16 },
  training: { batchSize: 32, ema: 0.9, generatorOptimizer: { learningRate: 0.0005, beta1: 0.5 }, discriminatorOptimizer: { learningRate: 0.0005, beta1: 0.5 } },
  logging: { metricsEvery: 10, histogramsEvery: 50, samplesEvery: 100, checkpointEvery: 10_000, sampleGrid: [4, 4] },
};

/**
 * The page: nothing of GAN Studio, only tf.min.js and the exported files, used as the README
 * tells a user to.
 */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>GAN Studio: exported generators in TensorFlow.js</title>
<script src="/tf.min.js"></script>
<style>
  body { font: 13px sans-serif; margin: 16px; background: #fff; color: #222; }
  figure { display: inline-block; margin: 0 16px 0 0; vertical-align: top; }
  canvas { border: 1px solid #ccc; display: block; }
  #images { image-rendering: pixelated; }
</style></head>
<body>
<h3>Exported generators, loaded with stock TensorFlow.js <span id="version"></span></h3>
<figure><canvas id="points" width="360" height="360"></canvas><figcaption id="points-caption"></figcaption></figure>
<figure><canvas id="images" width="336" height="336"></canvas><figcaption id="images-caption"></figcaption></figure>
<script>
document.getElementById('version').textContent = tf.version.tfjs;

// What a user writes: load the model, feed latent vectors, map the outputs with gan-generator.json.
async function generate(base, z, n, backend) {
  if (backend) await tf.setBackend(backend);
  await tf.ready();
  const meta = await (await fetch(base + 'gan-generator.json')).json();
  const model = await tf.loadLayersModel(base + meta.model);
  const out = tf.tidy(() => model.predict(tf.tensor2d(z, [n, meta.latent.dim])));
  const raw = await out.data();
  const { scale, offset, clamp } = meta.denormalize;
  const data = Array.from(raw, (x, i) => {
    const y = x * scale[i % scale.length] + offset[i % offset.length];
    return clamp ? Math.min(clamp[1], Math.max(clamp[0], y)) : y;
  });
  const shape = out.shape;
  out.dispose();
  model.dispose();
  return { backend: tf.getBackend(), shape, data, meta };
}

function drawPoints(data, caption) {
  const c = document.getElementById('points');
  const g = c.getContext('2d');
  const s = c.width / 6;
  g.fillStyle = '#fafafa';
  g.fillRect(0, 0, c.width, c.height);
  g.strokeStyle = '#ddd';
  g.beginPath(); g.moveTo(0, c.height / 2); g.lineTo(c.width, c.height / 2); g.moveTo(c.width / 2, 0); g.lineTo(c.width / 2, c.height); g.stroke();
  g.fillStyle = 'rgba(26, 133, 255, 0.7)';
  for (let i = 0; i < data.length; i += 2) g.fillRect(c.width / 2 + data[i] * s - 2, c.height / 2 - data[i + 1] * s - 2, 4, 4);
  document.getElementById('points-caption').textContent = caption;
}

function drawImages(data, n, h, w, caption) {
  const c = document.getElementById('images');
  const g = c.getContext('2d');
  const cols = Math.ceil(Math.sqrt(n));
  const tile = document.createElement('canvas');
  tile.width = cols * w; tile.height = Math.ceil(n / cols) * h;
  const t = tile.getContext('2d');
  const img = t.createImageData(tile.width, tile.height);
  for (let k = 0; k < n; k++) {
    const x0 = (k % cols) * w, y0 = Math.floor(k / cols) * h;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const v = Math.round(data[k * h * w + y * w + x]);
      const o = ((y0 + y) * tile.width + x0 + x) * 4;
      img.data[o] = img.data[o + 1] = img.data[o + 2] = v;
      img.data[o + 3] = 255;
    }
  }
  t.putImageData(img, 0, 0);
  g.imageSmoothingEnabled = false;
  g.drawImage(tile, 0, 0, c.width, c.height);
  document.getElementById('images-caption').textContent = caption;
}
</script></body></html>`;

/** Serves the page, tf.min.js and each export folder's files (by plain name only). */
async function serve(folders: Record<string, string>): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (path === '/') return send(200, 'text/html', PAGE);
    if (path === '/favicon.ico') return send(204, 'image/x-icon', '');
    if (path === '/tf.min.js') return send(200, 'text/javascript', readFileSync(TFJS));
    const m = /^\/([a-z]+)\/([A-Za-z0-9._-]+)$/.exec(path);
    const dir = m ? folders[m[1]] : undefined;
    if (!m || !dir || m[2] !== basename(m[2]) || !existsSync(join(dir, m[2]))) return send(404, 'text/plain', 'not found');
    send(200, m[2].endsWith('.json') ? 'application/json' : 'application/octet-stream', readFileSync(join(dir, m[2])));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface Exported {
  run: string;
  out: string;
  meta: GeneratorExport;
}

function exportRun(run: string, name: string): Exported {
  const out = join(tmp(`browser-export-${name}`), name);
  const r = runCli(['export', run, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').at(-1), out);
  const parsed = check(generatorExport, JSON.parse(readFileSync(join(out, GENERATOR_EXPORT_FILE), 'utf8')));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  return { run, out, meta: parsed.value };
}

/** Latent vectors drawn as the trainer draws them (sampleFromRun), from what gan-generator.json says. */
function latents(meta: GeneratorExport, n: number, seed: number): Float32Array {
  const z = new Float32Array(n * meta.latent.dim);
  const rng = new Rng(seed);
  if (meta.latent.distribution === 'normal') rng.fillNormal(z);
  else rng.fillUniform(z, meta.latent.min, meta.latent.max);
  return z;
}

/** The trainer's own samples for z: the checkpoint's EMA generator, denormalised by the data set. */
async function trainerSamples(run: string, z: Float32Array, n: number): Promise<number[]> {
  const g = await loadRunGenerator(run, undefined, 'cpu');
  try {
    return g.generate(z, n).data;
  } finally {
    g.dispose();
  }
}

interface BrowserResult {
  backend: string;
  shape: number[];
  data: number[];
  meta: GeneratorExport;
}

function browserSamples(page: Page, base: string, z: Float32Array, n: number, backend?: string): Promise<BrowserResult> {
  return page.evaluate(
    ([b, zs, count, be]) => window.generate(b, zs, count, be) as Promise<BrowserResult>,
    [base, Array.from(z), n, backend] as const,
  );
}

async function webglWorks(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    try {
      return (await window.tf.setBackend('webgl')) as boolean;
    } catch {
      return false;
    }
  });
}

function maxDiff(a: number[], b: number[]): { abs: number; rel: number } {
  assert.equal(a.length, b.length);
  let abs = 0;
  let rel = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    abs = Math.max(abs, d);
    rel = Math.max(rel, d / Math.max(Math.abs(b[i]), 1e-3));
  }
  return { abs, rel };
}

describe('an exported generator in a browser with stock TensorFlow.js', { skip }, () => {
  let browser: Browser;
  let server: Server;
  let origin: string;
  let page: Page;
  let ring: Exported;
  let mnist: Exported;
  const errors: string[] = [];

  before(async () => {
    const [ringRun, mnistRun] = await Promise.all([
      realRun('export-ring', configFile('export-ring', RING), ['--steps', '300', '-q']),
      realRun('export-mnist', configFile('export-mnist', MNIST), ['--steps', '300', '-q']),
    ]);
    ring = exportRun(ringRun, 'ring');
    mnist = exportRun(mnistRun, 'mnist');
    ({ server, origin } = await serve({ ring: ring.out, mnist: mnist.out }));
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 800, height: 480 } });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => typeof window.tf?.loadLayersModel === 'function');
  });
  after(async () => {
    await browser?.close();
    await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
  });

  test('a 2-D ring run (batch norm, EMA, standardised data): the browser gives the trainer\'s points', async () => {
    assert.equal(ring.meta.source.ema, true);
    assert.equal(ring.meta.latent.dim, 4);
    const n = 512;
    const z = latents(ring.meta, n, 3);
    const expected = await trainerSamples(ring.run, z, n);
    const got = await browserSamples(page, '/ring/', z, n, 'cpu');
    assert.equal(got.backend, 'cpu');
    assert.deepEqual(got.shape, [n, 2]);
    const d = maxDiff(got.data, expected);
    console.log(`ring, browser cpu backend: max |Δ| ${d.abs.toExponential(2)}, max relative ${d.rel.toExponential(2)} over ${expected.length} values`);
    assert.ok(d.rel <= 1e-4, `relative difference ${d.rel}`);
    // The points lie on the ring (radius 2), so the map really took them to the data's units.
    const radii = Array.from({ length: n }, (_, i) => Math.hypot(got.data[2 * i], got.data[2 * i + 1]));
    const meanRadius = radii.reduce((a, b) => a + b, 0) / n;
    assert.ok(meanRadius > 1 && meanRadius < 3, `mean radius ${meanRadius}`);

    // The browser's default backend, WebGL (here a software GPU), computes in its own order.
    if (await webglWorks(page)) {
      const gl = await browserSamples(page, '/ring/', z, n, 'webgl');
      assert.equal(gl.backend, 'webgl');
      const dg = maxDiff(gl.data, expected);
      console.log(`ring, browser webgl backend: max |Δ| ${dg.abs.toExponential(2)}, max relative ${dg.rel.toExponential(2)}`);
      assert.ok(dg.abs <= 1e-3, `webgl difference ${dg.abs}`);
    } else console.log('ring: no WebGL backend in this browser');
    await page.evaluate(([data, caption]) => window.drawPoints(data, caption), [got.data, `ring: ${n} points from ${ring.meta.source.runId}, step ${ring.meta.source.step}`] as const);
  });

  test('an MNIST DCGAN run: the browser gives the trainer\'s pixels, and the page draws them', async () => {
    assert.deepEqual(mnist.meta.output, { dataKind: 'image', shape: [28, 28, 1] });
    const n = 36;
    const z = latents(mnist.meta, n, 8);
    const expected = await trainerSamples(mnist.run, z, n);
    const got = await browserSamples(page, '/mnist/', z, n, 'cpu');
    assert.equal(got.backend, 'cpu');
    assert.deepEqual(got.shape, [n, 28, 28, 1]);
    const d = maxDiff(got.data, expected);
    console.log(`mnist, browser cpu backend: max |Δ| ${d.abs.toExponential(2)} in pixels 0..255 over ${expected.length} values`);
    assert.ok(d.abs <= 0.05, `pixel difference ${d.abs}`);
    assert.ok(Math.max(...got.data) > 100 && Math.min(...got.data) < 20, 'pixels span dark to bright');
    if (await webglWorks(page)) {
      const gl = await browserSamples(page, '/mnist/', z, n, 'webgl');
      const dg = maxDiff(gl.data, expected);
      console.log(`mnist, browser webgl backend: max |Δ| ${dg.abs.toExponential(2)} in pixels`);
      assert.ok(dg.abs <= 0.5, `webgl pixel difference ${dg.abs}`);
    }

    await page.evaluate(([data, count, caption]) => window.drawImages(data, count, 28, 28, caption), [got.data, n, `MNIST: ${n} digits from ${mnist.meta.source.runId}, step ${mnist.meta.source.step}`] as const);
    // What the canvas shows is those pixels: its top-left tile, scaled up, against the data.
    const tile = await page.evaluate(() => {
      const c = window.document.getElementById('images');
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data as Uint8ClampedArray;
      const cell = c.width / 6 / 28;
      const out: number[] = [];
      for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) out.push(px[(Math.floor((y + 0.5) * cell) * c.width + Math.floor((x + 0.5) * cell)) * 4]);
      return out;
    });
    const first = got.data.slice(0, 28 * 28).map((v) => Math.round(v));
    assert.ok(maxDiff(tile, first).abs <= 1, 'the canvas holds the generated pixels');
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'generator-export.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
    assert.deepEqual(errors, []);
  });
});
