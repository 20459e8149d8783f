/**
 * TensorBoard event files from real runs: the CLI trains the ring example and these tests read
 * tb/ with the event file reader, checking every CRC, the tags and steps against the run's JSONL
 * logs, the sample pictures, a resume that joins the curves at its checkpoint, logging.tensorboard
 * off, and `gan-studio export-tb`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { HistogramRecord, MetricRecord, SampleRecord } from '../../src/protocol/runFormat';
import { decodeEvent, type TbEvent, type TbValue } from '../../src/runDir/tensorboard/eventProto';
import { listEventFiles, tbDirOf } from '../../src/runDir/tensorboard/eventWriter';
import { scanRecords } from '../../src/runDir/tensorboard/tfRecord';
import { ROOT, onlyRun, readJsonlFile, runCli, tmp } from '../helpers/cli';

const RING = join(ROOT, 'examples/ring/gan.json');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const METRIC_TAGS = ['loss/d', 'loss/g', 'loss/d_real', 'loss/d_fake', 'd/real', 'd/fake', 'd/accuracy', 'grad_norm/g', 'grad_norm/d', 'perf/step_ms', 'perf/examples_per_sec'];
const QUALITY_TAGS = ['quality/swd', 'quality/swd_floor', 'quality/diversity', 'quality/real_diversity', 'quality/modes_covered', 'quality/high_quality'];

function train(runsDir: string, steps: number, ...sets: string[]): string {
  const args = ['train', RING, '--runs-dir', runsDir, '--steps', String(steps), '-q'];
  for (const s of ['/logging/samplesEvery=100', '/logging/histogramsEvery=50', ...sets]) args.push('--set', s);
  const r = runCli(args);
  assert.equal(r.code, 0, r.stderr);
  return onlyRun(runsDir);
}

/** Every event file of a run, in TensorBoard's order, each read strictly: all CRCs good, nothing torn. */
function readTb(runDir: string): { names: string[]; files: TbEvent[][] } {
  const dir = tbDirOf(runDir);
  const names = listEventFiles(dir);
  const files = names.map((name) => {
    const scan = scanRecords(readFileSync(join(dir, name)));
    assert.equal(scan.badLengthAt, undefined, `${name}: a length fails its CRC`);
    assert.equal(scan.truncatedBytes, 0, `${name}: a torn record at the end`);
    scan.records.forEach((r, i) => assert.ok(r.dataCrcOk, `${name}: record ${i} fails its CRC`));
    const events = scan.records.map((r) => decodeEvent(r.data));
    assert.equal(events[0].fileVersion, 'brain.Event:2', `${name}: the first event is the file version`);
    assert.ok(events.slice(1).every((e) => e.fileVersion === undefined && e.values !== undefined), `${name}: one file_version event, then summaries`);
    assert.ok(events.every((e) => e.wallTime > 1.5e9 && e.wallTime < 5e9), `${name}: wall times are epoch seconds`);
    return events;
  });
  return { names, files };
}

type Kind = 'scalar' | 'histogram' | 'image';
const kindOf = (v: TbValue): Kind => (v.simpleValue !== undefined ? 'scalar' : v.histo ? 'histogram' : 'image');

/** tag → its values in file order, each with its step (wall times left out: they say when, not what). */
function byTag(events: readonly TbEvent[]): Map<string, { step: number; kind: Kind; value: unknown }[]> {
  const out = new Map<string, { step: number; kind: Kind; value: unknown }[]>();
  for (const e of events) {
    for (const v of e.values ?? []) {
      const kind = kindOf(v);
      const value = kind === 'scalar' ? v.simpleValue : kind === 'histogram' ? v.histo : v.image;
      out.set(v.tag, [...(out.get(v.tag) ?? []), { step: e.step, kind, value }]);
    }
  }
  return out;
}

const stepsOf = (tags: Map<string, { step: number }[]>, tag: string) => (tags.get(tag) ?? []).map((x) => x.step);

function exportTb(runDir: string): string {
  const r = runCli(['export-tb', runDir]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /\d+ events, \d+ tags: \d+ scalars, \d+ histograms, \d+ images/);
  return lines[lines.length - 1];
}

describe('TensorBoard event files of real runs', () => {
  test('a run writes one event file with the scalars, both histograms and the sample PNGs; export-tb regenerates it', { timeout: 300_000 }, () => {
    const t0 = Date.now();
    const run = train(tmp('tb-run'), 300, '/logging/checkpointEvery=150');
    const { names, files } = readTb(run);
    assert.equal(names.length, 1);
    assert.match(names[0], /^events\.out\.tfevents\.\d{10}\.[^.]+\.gan-studio$/);
    const tags = byTag(files[0]);

    for (const tag of [...METRIC_TAGS, ...QUALITY_TAGS]) assert.ok(tags.get(tag)?.every((x) => x.kind === 'scalar'), `no scalar ${tag}`);
    assert.ok(!tags.has('loss/gradient_penalty'), 'non-saturating has no gradient penalty');
    // Scalars are the metrics as logged (in float32).
    const metrics = readJsonlFile<MetricRecord>(join(run, 'metrics.jsonl'));
    assert.deepEqual(stepsOf(tags, 'loss/d'), metrics.map((m) => m.step));
    assert.deepEqual(
      tags.get('loss/g')!.map((x) => x.value),
      metrics.map((m) => Math.fround(m.gLoss)),
    );
    assert.deepEqual(stepsOf(tags, 'quality/swd'), [0, 100, 200, 300]);

    // D's outputs on real and fake data, bucket by bucket.
    const hist = readJsonlFile<HistogramRecord>(join(run, 'histograms.jsonl'));
    assert.deepEqual(stepsOf(tags, 'd_output/real'), [50, 100, 150, 200, 250, 300]);
    assert.deepEqual(stepsOf(tags, 'd_output/fake'), hist.map((h) => h.step));
    tags.get('d_output/real')!.forEach((x, i) => {
      const h = x.value as NonNullable<TbValue['histo']>;
      assert.equal(x.kind, 'histogram');
      assert.deepEqual(h.bucket, hist[i].real);
      assert.equal(h.bucketLimit.length, hist[i].real.length);
      assert.equal(h.bucketLimit[h.bucketLimit.length - 1], hist[i].hi);
      assert.equal(h.num, hist[i].real.reduce((a, b) => a + b, 0));
      assert.ok(h.min >= hist[i].lo && h.min <= h.max && h.max <= hist[i].hi);
    });
    assert.deepEqual(
      tags.get('d_output/fake')!.map((x) => (x.value as NonNullable<TbValue['histo']>).bucket),
      hist.map((h) => h.fake),
    );

    // The pictures of the sample steps: PNGs whose declared size is their own.
    const samples = readJsonlFile<SampleRecord>(join(run, 'samples.jsonl'));
    assert.deepEqual(stepsOf(tags, 'samples'), samples.map((s) => s.step));
    assert.deepEqual(stepsOf(tags, 'samples'), [0, 100, 200, 300]);
    for (const x of tags.get('samples')!) {
      const img = x.value as NonNullable<TbValue['image']>;
      assert.equal(x.kind, 'image');
      assert.ok(Buffer.from(img.encoded.subarray(0, 8)).equals(PNG_SIGNATURE), `step ${x.step}: not a PNG`);
      const png = PNG.sync.read(Buffer.from(img.encoded));
      assert.deepEqual([img.width, img.height], [png.width, png.height]);
      assert.deepEqual([img.width, img.height], [320, 320]);
      assert.equal(img.colorspace, 4);
      // The same picture as the one beside the sample.
      assert.ok(Buffer.from(img.encoded).equals(readFileSync(join(run, 'samples', `step-${String(x.step).padStart(6, '0')}.png`))));
    }
    const trainedMs = Date.now() - t0;

    // export-tb: one fresh file in place of the old one, with the same values at the same steps.
    const t1 = Date.now();
    const path = exportTb(run);
    const after = readTb(run);
    assert.equal(after.names.length, 1);
    assert.equal(path, join(tbDirOf(run), after.names[0]));
    assert.deepEqual(byTag(after.files[0]), tags);
    console.log(`tensorboard: 300 ring steps trained in ${trainedMs} ms; export-tb in ${Date.now() - t1} ms; ${tags.size} tags`);
  });

  test('logging.tensorboard false writes no tb/; export-tb writes it afterwards', { timeout: 300_000 }, () => {
    const run = train(tmp('tb-off'), 100, '/logging/tensorboard=false');
    assert.ok(!existsSync(join(run, 'tb')), 'tb/ exists although logging.tensorboard is false');
    const path = exportTb(run);
    const { names, files } = readTb(run);
    assert.deepEqual(names.map((n) => join(tbDirOf(run), n)), [path]);
    const tags = byTag(files[0]);
    assert.deepEqual(stepsOf(tags, 'loss/d'), readJsonlFile<MetricRecord>(join(run, 'metrics.jsonl')).map((m) => m.step));
    assert.deepEqual(stepsOf(tags, 'samples'), [0, 100]);
    assert.deepEqual(stepsOf(tags, 'd_output/real'), [50, 100]);
  });

  test('a resume drops the events past its checkpoint, so every step appears once', { timeout: 300_000 }, () => {
    const run = train(tmp('tb-resume'), 200, '/logging/checkpointEvery=100');
    // The trainer died after the checkpoint of step 100 with its logs at step 200: what a kill
    // leaves (checkpoint 200 never finished), and in the middle of an event record at that.
    rmSync(join(run, 'checkpoints', 'step-000200'), { recursive: true });
    writeFileSync(join(run, 'checkpoints', 'latest.json'), JSON.stringify({ step: 100, dir: 'step-000100', time: new Date().toISOString() }));
    const [first] = listEventFiles(tbDirOf(run));
    appendFileSync(join(tbDirOf(run), first), Buffer.from([0x30, 0, 0, 0, 0, 0]));
    writeFileSync(join(tbDirOf(run), '.events-rewrite.tmp-99999-0'), 'left by a killed rewrite');

    const r = runCli(['train', '--resume', run, '--steps', '300', '-q']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(tbDirOf(run)).filter((n) => !listEventFiles(tbDirOf(run)).includes(n)), [], 'stale temporary files are removed');
    const { names, files } = readTb(run);
    assert.equal(names.length, 2);
    assert.equal(names[0], first);
    const steps = (events: TbEvent[]) => events.filter((e) => e.fileVersion === undefined).map((e) => e.step);
    assert.ok(steps(files[0]).every((s) => s <= 100), `the first file keeps steps up to the checkpoint: ${steps(files[0]).join(',')}`);
    assert.ok(steps(files[1]).every((s) => s > 100), `the second file starts after it: ${steps(files[1]).join(',')}`);

    // Read in TensorBoard's order, every tag's steps rise strictly: no step twice, no gap.
    const tags = byTag(files.flat());
    for (const [tag, xs] of tags) {
      for (let i = 1; i < xs.length; i++) assert.ok(xs[i].step > xs[i - 1].step, `${tag}: step ${xs[i].step} after ${xs[i - 1].step}`);
    }
    assert.deepEqual(stepsOf(tags, 'loss/d'), Array.from({ length: 30 }, (_, i) => 10 * (i + 1)));
    assert.deepEqual(stepsOf(tags, 'loss/d'), readJsonlFile<MetricRecord>(join(run, 'metrics.jsonl')).map((m) => m.step));
    assert.deepEqual(stepsOf(tags, 'samples'), [0, 100, 200, 300]);
    assert.deepEqual(stepsOf(tags, 'd_output/fake'), [50, 100, 150, 200, 250, 300]);

    // export-tb makes the two files one, with the same tags and steps.
    const path = exportTb(run);
    const exported = readTb(run);
    assert.deepEqual(exported.names.map((n) => join(tbDirOf(run), n)), [path]);
    const again = byTag(exported.files[0]);
    assert.deepEqual([...again.keys()].sort(), [...tags.keys()].sort());
    for (const tag of tags.keys()) assert.deepEqual(stepsOf(again, tag), stepsOf(tags, tag), tag);
  });

  test('export-tb refuses what is not a run directory', () => {
    const dir = tmp('tb-bad');
    const r = runCli(['export-tb', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /run\.json: not found/);
    assert.ok(!existsSync(join(dir, 'tb')));
    assert.equal(runCli(['export-tb']).code, 2);
    assert.equal(runCli(['export-tb', join(dir, 'missing')]).code, 2);
    assert.equal(runCli(['export-tb', dir, '--out', 'x']).code, 2);
  });
});
