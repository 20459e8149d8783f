/**
 * The real TensorBoard reads what a run wrote: the CLI trains the ring example, GAN Studio's own
 * launcher (the one "GAN: Open in TensorBoard" uses) starts `tensorboard --logdir` on the runs
 * folder, and its HTTP API must list our scalars with the values of metrics.jsonl, both D-output
 * histograms and the sample pictures. scripts/install-tensorboard.sh installs it where pip can
 * reach a package index; elsewhere this file skips, saying so.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { findOnPath, startTensorBoard, type TensorBoardProcess } from '../../src/host/native/externalTools';
import type { MetricRecord, SampleRecord } from '../../src/protocol/runFormat';
import { ROOT, onlyRun, readJsonlFile, runCli, tmp } from '../helpers/cli';

const exe = findOnPath('tensorboard');
const skip = exe ? false : 'no tensorboard on PATH (scripts/install-tensorboard.sh installs it where pip reaches a package index)';

describe('the real TensorBoard reads a run', { skip }, () => {
  let tb: TensorBoardProcess;
  let runDir: string;
  let run: string;

  before(async () => {
    const runs = tmp('tb-real');
    const r = runCli(['train', join(ROOT, 'examples/ring/gan.json'), '--runs-dir', runs, '--steps', '300', '-q', '--set', '/logging/samplesEvery=100']);
    assert.equal(r.code, 0, r.stderr);
    runDir = onlyRun(runs);
    if (!exe) throw new Error('unreachable: the suite skips without tensorboard');
    tb = await startTensorBoard(exe, runs, { timeoutMs: 120_000 });
    const runsSeen = await poll(`${tb.url}data/runs`, (v) => Array.isArray(v) && v.length > 0);
    assert.deepEqual(runsSeen, [`${runDir.slice(runs.length + 1)}/tb`]);
    run = runsSeen[0];
  });
  after(() => tb?.stop());

  /** TensorBoard loads event files in the background: ask until the answer is complete. */
  async function poll(url: string, done: (v: unknown) => boolean, ms = 60_000): Promise<unknown> {
    const deadline = Date.now() + ms;
    for (;;) {
      const res = await fetch(url).catch(() => undefined);
      const value: unknown = res?.ok ? await res.json() : undefined;
      if (value !== undefined && done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${url}: not ready within ${ms / 1000} s (last: ${JSON.stringify(value)?.slice(0, 300)})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  test('lists our scalars and serves loss/d with the values of metrics.jsonl', async () => {
    const tags = (await poll(`${tb.url}data/plugin/scalars/tags`, (v) => Object.keys((v as Record<string, object>)[run] ?? {}).length >= 15)) as Record<string, Record<string, unknown>>;
    for (const tag of ['loss/d', 'loss/g', 'd/real', 'd/fake', 'quality/swd', 'quality/modes_covered', 'perf/step_ms']) assert.ok(tag in tags[run], `scalar ${tag}`);
    const metrics = readJsonlFile<MetricRecord>(join(runDir, 'metrics.jsonl'));
    const points = (await poll(`${tb.url}data/plugin/scalars/scalars?run=${encodeURIComponent(run)}&tag=loss%2Fd`, (v) => Array.isArray(v) && v.length === metrics.length)) as [number, number, number][];
    assert.deepEqual(
      points.map(([, step]) => step),
      metrics.map((m) => m.step),
    );
    points.forEach(([wall, , value], i) => {
      assert.ok(Math.abs(value - metrics[i].dLoss) <= 1e-6 * Math.max(1, Math.abs(metrics[i].dLoss)), `step ${metrics[i].step}: ${value} vs ${metrics[i].dLoss}`);
      assert.ok(Math.abs(wall * 1000 - metrics[i].time) < 1000, 'wall time is the step time');
    });
  });

  test('has both D-output histograms with every logged step', async () => {
    const tags = (await poll(`${tb.url}data/plugin/histograms/tags`, (v) => Object.keys((v as Record<string, object>)[run] ?? {}).length >= 2)) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(tags[run]).sort(), ['d_output/fake', 'd_output/real']);
    const hist = readJsonlFile<{ step: number; real: number[] }>(join(runDir, 'histograms.jsonl'));
    const real = (await poll(`${tb.url}data/plugin/histograms/histograms?run=${encodeURIComponent(run)}&tag=d_output%2Freal`, (v) => Array.isArray(v) && v.length === hist.length)) as [number, number, [number, number, number][]][];
    assert.deepEqual(
      real.map(([, step]) => step),
      hist.map((h) => h.step),
    );
    // Each step's buckets hold the batch: TensorBoard's counts sum to the logged counts.
    real.forEach(([, , buckets], i) => {
      const total = buckets.reduce((a, [, , c]) => a + c, 0);
      const want = hist[i].real.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - want) < 1e-6 * want, `step ${hist[i].step}: ${total} vs ${want}`);
    });
  });

  test('serves the sample pictures as PNGs, one per sample step', async () => {
    const samples = readJsonlFile<SampleRecord>(join(runDir, 'samples.jsonl'));
    const images = (await poll(`${tb.url}data/plugin/images/images?run=${encodeURIComponent(run)}&tag=samples&sample=0`, (v) => Array.isArray(v) && v.length === samples.length)) as { step: number; query: string }[];
    assert.deepEqual(
      images.map((i) => i.step),
      samples.map((s) => s.step),
    );
    const res = await fetch(`${tb.url}data/plugin/images/individualImage?${images[images.length - 1].query}`);
    assert.equal(res.headers.get('content-type'), 'image/png');
    const png = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
    assert.ok(png.width >= 64 && png.height >= 64, `${png.width}×${png.height}`);
    // Not an empty picture: the ring's points and D's heatmap make many colours.
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4 * 7) colours.add(png.data.readUInt32BE(i));
    assert.ok(colours.size > 20, `${colours.size} colours`);
  });
});
