/**
 * I/O faults against the real CLI: a runs folder that is a file, a read-only runs folder, a disk
 * that fills up mid-run (in the logs and in a checkpoint), and permissions changed mid-run (a
 * folder made immutable, the file system remounted read-only). Each must end with exit 1 and one
 * line naming the path and what to do, run.json saying failed where it can be written, the last
 * good checkpoint kept and loadable, no temporary files left, and a resume (or a new start) that
 * works once the fault is gone.
 *
 * The faults need root (tmpfs mounts, chattr); without it, or where mounting fails, those tests
 * skip and say why. Everything mounted is unmounted in `after`, whatever happened.
 *
 * And the data set as a fault: a finished run samples, serves and exports from what run.json
 * keeps, so a CSV deleted or edited after training changes nothing.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATOR_EXPORT_FILE, type GeneratorExport } from '../../src/protocol/generatorExport';
import { parseTrainerMessage } from '../../src/protocol/trainerProtocol';
import { writeJsonAtomic } from '../../src/runDir/durableFiles';
import { loadRunConfig, readLatestCheckpoint, readMetrics, readRunInfo } from '../../src/runDir/runReader';
import { loadDataset } from '../../src/trainer/data/dataset';
import { Rng } from '../../src/trainer/rng';
import { onlyRun, runCli, startCli, tinyRingConfig, tmp, waitFor, writeConfig } from '../helpers/cli';

const isRoot = process.getuid?.() === 0;
const mounts: string[] = [];
const immutable: string[] = [];

function sh(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() };
}

/** Mounts a tmpfs on `dir`; the reason when it cannot (then the test skips). */
function mountTmpfs(dir: string, options: string): string | undefined {
  if (!isRoot) return 'needs root: root ignores file modes, so the faults are tmpfs mounts and chattr';
  mkdirSync(dir, { recursive: true });
  const r = sh('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  if (!r.ok) return `mount -t tmpfs -o ${options} failed: ${r.out}`;
  mounts.push(dir);
  return undefined;
}

function remount(dir: string, options: string): void {
  const r = sh('mount', ['-o', `remount,${options}`, dir]);
  assert.ok(r.ok, `mount -o remount,${options} ${dir}: ${r.out}`);
}

after(() => {
  for (const p of immutable) sh('chattr', ['-i', p]);
  for (const m of mounts.reverse()) if (!sh('umount', [m]).ok) sh('umount', ['-l', m]);
});

/** The one line on stderr (the CLI prints nothing else with -q): no stack, no second line. */
function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${stderr}`);
  assert.doesNotMatch(lines[0], /\bat .*\.js:\d+|^\s+at /, 'no stack');
  assert.doesNotMatch(lines[0], /^(Error|TypeError): /, 'no raw error');
  return lines[0];
}

/** Files and folders named like a temporary of an atomic write (`*.tmp*`), anywhere below dir. */
function temps(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (name.includes('.tmp')) out.push(p);
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** The latest checkpoint is complete and its generator loads: `sample` draws from it. */
function latestLoads(run: string): number {
  const latest = readLatestCheckpoint(run);
  assert.ok(latest, `${run}: latest.json names a complete checkpoint`);
  const out = join(tmp('fault-sample'), 'points.csv');
  const r = runCli(['sample', run, '--count', '5', '--out', out, '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`from step ${latest.step} `));
  return latest.step;
}

/** run.json says failed, with the line the person read (without the "gan-studio: " prefix). */
function assertFailedWith(run: string, line: string): void {
  const info = readRunInfo(run);
  assert.equal(info.status, 'failed');
  assert.equal(info.error?.kind, 'io');
  assert.equal(`gan-studio: ${info.error.message}`, line);
  assert.equal(info.pid, undefined);
}

/** Resumes to the end; the run completes, its logs join, and nothing temporary is left. */
function resumeCompletes(run: string): void {
  const r = runCli(['train', '--resume', run, '-q']);
  assert.equal(r.code, 0, `resume: ${r.stderr}`);
  const info = readRunInfo(run);
  assert.equal(info.status, 'completed');
  assert.equal(info.step, info.totalSteps);
  const steps = readMetrics(run).map((m) => m.step);
  assert.ok(
    steps.every((s, i) => i === 0 || s > steps[i - 1]),
    'every logged step once, in order',
  );
  assert.deepEqual(temps(run), [], 'no temporary files after the resume');
}

/** Starts training and waits until this process trains the run, past `step`, with a checkpoint. */
async function startTraining(args: string[], runs: string, step: number): Promise<{ child: ChildProcess; run: string; exited: Promise<number | null>; stderr: () => string }> {
  const child = startCli(args);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let run = '';
  await waitFor(
    () => {
      try {
        run = onlyRun(runs);
        const info = readRunInfo(run);
        return info.pid === child.pid && info.step >= step && readLatestCheckpoint(run) !== undefined;
      } catch {
        return false;
      }
    },
    90_000,
    `the run to pass step ${step} with a checkpoint (stderr: ${err})`,
  );
  return { child, run, exited, stderr: () => err };
}

function skipUnless(t: TestContext, reason: string | undefined): boolean {
  if (reason) t.skip(reason);
  return reason === undefined;
}

const FIX_RUNS_DIR = /or choose another runs folder with --runs-dir DIR \(in VS Code: the ganStudio\.runsDir setting\)$/;

test('a runs folder that is a file: exit 1, one line naming it and --runs-dir; a folder there then works', { timeout: 120_000 }, () => {
  const t0 = Date.now();
  const dir = tmp('fault-file');
  const config = writeConfig(dir, tinyRingConfig());
  const runs = join(dir, 'runs');
  writeFileSync(runs, 'not a folder');
  let r = runCli(['train', config, '--runs-dir', runs, '-q']);
  assert.equal(r.code, 1, r.stderr);
  let line = oneLine(r.stderr);
  assert.match(line, new RegExp(`^gan-studio: cannot create a run in ${runs}: it is a file, not a folder \\(EEXIST\\); move that file away, `));
  assert.match(line, FIX_RUNS_DIR);
  // A file further up the path.
  r = runCli(['train', config, '--runs-dir', join(runs, 'inner'), '-q']);
  assert.equal(r.code, 1, r.stderr);
  line = oneLine(r.stderr);
  assert.match(line, new RegExp(`^gan-studio: cannot create a run in ${join(runs, 'inner')}: a part of the path is a file, not a folder \\(ENOTDIR\\)`));
  assert.match(line, FIX_RUNS_DIR);

  rmSync(runs);
  r = runCli(['train', config, '--runs-dir', runs, '-q', '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readRunInfo(onlyRun(runs)).status, 'completed');
  assert.deepEqual(temps(runs), []);
  console.log(`runs folder is a file: ${line} (${Date.now() - t0} ms)`);
});

test('a read-only runs folder: exit 1, one line naming it, nothing written; writable again, a run starts', { timeout: 120_000 }, (t) => {
  const t0 = Date.now();
  const dir = tmp('fault-ro');
  const config = writeConfig(dir, tinyRingConfig());
  const runs = join(dir, 'ro');
  if (!skipUnless(t, mountTmpfs(runs, 'ro,size=1m'))) return;
  let line = '';
  // The runs folder itself, and a runs folder still to be made inside it.
  for (const runsDir of [runs, join(runs, '.gan', 'runs')]) {
    const r = runCli(['train', config, '--runs-dir', runsDir, '-q']);
    assert.equal(r.code, 1, r.stderr);
    line = oneLine(r.stderr);
    assert.match(line, new RegExp(`^gan-studio: cannot create a run in ${runsDir}: the file system is read-only \\(EROFS\\); make it writable, `));
    assert.match(line, FIX_RUNS_DIR);
  }
  assert.deepEqual(readdirSync(runs), []);
  remount(runs, 'rw');
  const r = runCli(['train', config, '--runs-dir', runs, '-q', '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readRunInfo(onlyRun(runs)).status, 'completed');
  assert.deepEqual(temps(runs), []);
  console.log(`read-only runs folder: ${line} (${Date.now() - t0} ms)`);
});

test('the disk fills up with samples mid-run: one line naming the file, run.json failed, the checkpoint kept; with space, the resume completes', { timeout: 180_000 }, (t) => {
  const t0 = Date.now();
  const dir = tmp('fault-full');
  const runs = join(dir, 'small');
  if (!skipUnless(t, mountTmpfs(runs, 'size=600k'))) return;
  // About 90 kB of sample files every 5 steps (2000 points and their picture): full in ~30 steps.
  const config = writeConfig(
    dir,
    tinyRingConfig({ training: { steps: 400, batchSize: 64 }, logging: { metricsEvery: 5, histogramsEvery: 10, samplesEvery: 5, checkpointEvery: 10, samplePoints: 2000, heatmapSize: 8 } }),
  );
  const r = runCli(['train', config, '--runs-dir', runs, '-q', '--backend', 'cpu']);
  assert.equal(r.code, 1, r.stderr);
  const run = onlyRun(runs);
  const line = oneLine(r.stderr);
  const m = /^gan-studio: cannot write (\S+): the disk is full \(ENOSPC\); free space and resume with gan-studio train --resume (\S+)$/.exec(line);
  assert.ok(m, line);
  assert.ok(m[1].startsWith(`${run}/`), `the path is a file of the run: ${m[1]}`);
  assert.equal(m[2], run);
  // The failed write's temporary file went, so run.json had room to say what happened.
  assertFailedWith(run, line);
  assert.deepEqual(temps(run), [], 'no temporary files');
  const kept = latestLoads(run);
  assert.ok(kept >= 10 && kept < readRunInfo(run).error!.step!, `checkpoint ${kept} is from before the fault`);

  remount(runs, 'size=64m');
  // What a writer killed mid-write leaves (this one cleaned up after itself): the resume removes it.
  const stale = [
    'run.json.tmp-999999-0',
    'metrics.jsonl.tmp-999999-1',
    'samples/step-000025.json.tmp-999999-2',
    'checkpoints/latest.json.tmp-999999-3',
    'tb/.events-rewrite.tmp-999999-4',
  ];
  for (const f of stale) writeFileSync(join(run, f), 'half');
  mkdirSync(join(run, 'checkpoints', '.tmp-step-000020-999999', 'generator'), { recursive: true });
  assert.equal(temps(run).length, stale.length + 1);
  resumeCompletes(run);
  console.log(`disk full (samples): ${line} (${Date.now() - t0} ms)`);
});

test('the disk fills up during a checkpoint: latest.json keeps naming the last good one', { timeout: 180_000 }, (t) => {
  const t0 = Date.now();
  const dir = tmp('fault-full-ckpt');
  const runs = join(dir, 'small');
  if (!skipUnless(t, mountTmpfs(runs, 'size=2500k'))) return;
  // A checkpoint of these models (weights and Adam's slots) is about 1.6 MB: the first fits, the
  // second (written beside it before the first is pruned) does not.
  const config = writeConfig(
    dir,
    tinyRingConfig({
      generator: { latentDim: 2, hidden: [256, 256] },
      discriminator: { hidden: [256, 256] },
      training: { steps: 40, batchSize: 64 },
      logging: { metricsEvery: 5, histogramsEvery: 10, samplesEvery: 1000, checkpointEvery: 10, samplePoints: 64, heatmapSize: 8 },
    }),
  );
  const r = runCli(['train', config, '--runs-dir', runs, '-q']);
  assert.equal(r.code, 1, r.stderr);
  const run = onlyRun(runs);
  const line = oneLine(r.stderr);
  const m = /^gan-studio: cannot write (\S+): the disk is full \(ENOSPC\); free space and resume with gan-studio train --resume (\S+)$/.exec(line);
  assert.ok(m, line);
  assert.match(m[1], new RegExp(`^${run}/checkpoints/step-000020/`), 'named as the checkpoint being written');
  assertFailedWith(run, line);
  assert.equal(readRunInfo(run).checkpointStep, 10);
  assert.equal(latestLoads(run), 10, 'the last good checkpoint stays the latest');
  assert.ok(!existsSync(join(run, 'checkpoints', 'step-000020')), 'nothing of the failed checkpoint is left');
  assert.deepEqual(temps(run), []);

  remount(runs, 'size=64m');
  resumeCompletes(run);
  assert.deepEqual(readRunInfo(run).resumedAt, [10]);
  console.log(`disk full (checkpoint): ${line} (${Date.now() - t0} ms)`);
});

test('permissions changed mid-run: a folder made immutable, then the file system remounted read-only; each resumes once undone', { timeout: 240_000 }, async (t) => {
  const t0 = Date.now();
  const dir = tmp('fault-perm');
  const runs = join(dir, 'fs');
  if (!skipUnless(t, mountTmpfs(runs, 'size=64m'))) return;
  // No event file: a file open for writing would keep `mount -o remount,ro` from succeeding.
  const config = writeConfig(
    dir,
    tinyRingConfig({
      training: { steps: 1_000_000, batchSize: 64 },
      logging: { metricsEvery: 5, histogramsEvery: 10, samplesEvery: 10, checkpointEvery: 10, samplePoints: 64, heatmapSize: 8, tensorboard: false },
    }),
  );

  // 1. samples/ made immutable (chattr +i: EPERM, which root does not get past): run.json, beside
  // it, still says failed.
  const first = await startTraining(['train', config, '--runs-dir', runs, '-q', '--backend', 'cpu'], runs, 20);
  const samples = join(first.run, 'samples');
  const chattr = sh('chattr', ['+i', samples]);
  if (!chattr.ok) {
    first.child.kill('SIGKILL');
    await first.exited;
    t.skip(`chattr +i does not work here: ${chattr.out}`);
    return;
  }
  immutable.push(samples);
  assert.equal(await first.exited, 1);
  const line1 = oneLine(first.stderr());
  const m1 = /^gan-studio: cannot write (\S+): the operation is not permitted \(EPERM\); give this user write access and resume with gan-studio train --resume (\S+)$/.exec(line1);
  assert.ok(m1, line1);
  assert.ok(m1[1].startsWith(`${samples}/`), m1[1]);
  assertFailedWith(first.run, line1);
  const kept1 = latestLoads(first.run);
  assert.ok(sh('chattr', ['-i', samples]).ok);
  immutable.pop();
  assert.deepEqual(temps(first.run), []);

  // 2. The resume, then the whole file system read-only under it (EROFS): run.json cannot be
  // marked, and the line says so.
  const second = await startTraining(['train', '--resume', first.run, '-q', '--backend', 'cpu'], runs, kept1 + 20);
  let remounted = false;
  // A file open for writing at that instant makes the remount fail (busy): try again.
  for (let i = 0; i < 200 && !remounted; i++) {
    remounted = sh('mount', ['-o', 'remount,ro', runs]).ok;
    if (!remounted) await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(remounted, 'mount -o remount,ro while training');
  assert.equal(await second.exited, 1);
  const line2 = oneLine(second.stderr());
  const m2 = /^gan-studio: cannot write (\S+): the file system is read-only \(EROFS\); run\.json could not be marked failed either \(EROFS\), so it still says running; make it writable and resume with gan-studio train --resume (\S+)$/.exec(
    line2,
  );
  assert.ok(m2, line2);
  assert.ok(m2[1].startsWith(`${first.run}/`), m2[1]);
  assert.equal(m2[2], first.run);
  // As the line says: readable, and still "running" with a trainer that is gone.
  assert.equal(readRunInfo(first.run).status, 'running');
  const kept2 = latestLoads(first.run);
  assert.ok(kept2 > kept1);

  remount(runs, 'rw');
  const r = runCli(['train', '--resume', first.run, '--steps', String(kept2 + 30), '-q', '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  const info = readRunInfo(first.run);
  assert.equal(info.status, 'completed');
  assert.deepEqual(info.resumedAt, [kept1, kept2]);
  assert.deepEqual(temps(first.run), []);
  console.log(`immutable folder: ${line1}`);
  console.log(`read-only remount: ${line2} (${Date.now() - t0} ms)`);
});

// ------------------------------------------------------------------------------------------
// The data set after training

/** What a run generates: `sample`'s CSV, `export`'s map, and `serve`'s answer to one request. */
async function whatItMakes(run: string, out: string): Promise<{ csv: string; map: GeneratorExport['denormalize']; served: number[] }> {
  const csv = join(out, 'samples.csv');
  const s = runCli(['sample', run, '--count', '16', '--seed', '5', '--out', csv, '--backend', 'cpu']);
  assert.equal(s.code, 0, `sample: ${s.stderr}`);
  const e = runCli(['export', run, '--out', join(out, 'export')]);
  assert.equal(e.code, 0, `export: ${e.stderr}`);
  const meta = JSON.parse(readFileSync(join(out, 'export', GENERATOR_EXPORT_FILE), 'utf8')) as GeneratorExport;
  const child = startCli(['serve', run, '--ipc', '--backend', 'cpu'], true);
  const served = await new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve did not answer')), 60_000);
    child.on('message', (raw) => {
      const m = parseTrainerMessage(raw);
      if (!m.ok) return reject(new Error(m.reason));
      if (m.value.type === 'serving') child.send({ type: 'generate', requestId: 1, z: [0.5, -1, 1.5, 0.25], count: 2 });
      if (m.value.type === 'generated') {
        clearTimeout(timer);
        resolve(m.value.data);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  child.kill();
  return { csv: readFileSync(csv, 'utf8'), map: meta.denormalize, served };
}

test('a finished run does not need its data set: sample, serve and export give the same numbers with the CSV edited or deleted', { timeout: 240_000 }, async () => {
  const t0 = Date.now();
  const dir = tmp('own-data');
  const rng = new Rng(8);
  const rows = Array.from({ length: 200 }, () => [rng.normal() * 3 + 10, rng.next() * 100 - 7, rng.normal() * 0.5].map((x) => x.toFixed(5)).join(','));
  const csv = join(dir, 'v.csv');
  writeFileSync(csv, `a,b,c\n${rows.join('\n')}\n`);
  const config = writeConfig(
    dir,
    tinyRingConfig({
      data: { type: 'csv', path: 'v.csv', header: true, normalize: 'standardize' },
      training: { steps: 20, batchSize: 32 },
      logging: { metricsEvery: 5, histogramsEvery: 10, samplesEvery: 10, checkpointEvery: 10, samplePoints: 64, heatmapSize: 8 },
    }),
  );
  const runs = join(dir, 'runs');
  const r = runCli(['train', config, '--runs-dir', runs, '-q', '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  const run = onlyRun(runs);
  const info = readRunInfo(run);
  // run.json keeps the shape and the data set's own map, fixed at creation.
  const affine = loadDataset(loadRunConfig(run).data, dir).affine();
  assert.deepEqual(info.output, { shape: [3], denormalize: affine });

  const before = await whatItMakes(run, tmp('own-data-before'));
  assert.deepEqual(before.map, affine);
  assert.equal(before.csv.split('\n')[0], 'x0,x1,x2');
  assert.equal(before.served.length, 6);

  // Edited: other statistics entirely. Nothing a finished run makes changes.
  writeFileSync(csv, `a,b,c\n${rows.map((row) => row.split(',').map((x) => String(Number(x) * 7 - 3)).join(',')).join('\n')}\n`);
  assert.notDeepEqual(loadDataset(loadRunConfig(run).data, dir).affine(), affine);
  assert.deepEqual(await whatItMakes(run, tmp('own-data-edited')), before);

  // Deleted.
  rmSync(csv);
  assert.deepEqual(await whatItMakes(run, tmp('own-data-deleted')), before);

  // A run from before run.json kept the map falls back to its data set: the same numbers while the
  // data is as it was, and one line saying why when it is gone.
  const { output: _output, ...old } = info;
  writeJsonAtomic(join(run, 'run.json'), old);
  writeFileSync(csv, `a,b,c\n${rows.join('\n')}\n`);
  const out = tmp('own-data-old');
  const s = runCli(['sample', run, '--count', '16', '--seed', '5', '--out', join(out, 'samples.csv'), '--backend', 'cpu']);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(readFileSync(join(out, 'samples.csv'), 'utf8'), before.csv);
  rmSync(csv);
  const gone = runCli(['sample', run, '--count', '16', '--out', join(out, 'again.csv'), '--backend', 'cpu']);
  assert.equal(gone.code, 2);
  assert.match(oneLine(gone.stderr), /^the run predates run\.json's output map, so its data set gives it, and that cannot be read: .*v\.csv/);
  console.log(`a run without its data: ${Date.now() - t0} ms`);
});
