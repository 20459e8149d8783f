/**
 * The session driving the real bundled trainer (dist/cli.js) on the ring example: train to the
 * end, and stop mid-run then resume from the checkpoint. This is the path Train GAN takes,
 * minus the VS Code UI.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listRuns, readEvents, readLatestCheckpoint, readMetrics, readRunInfo } from '../../src/runDir/runReader';
import type { TrainerToHost } from '../../src/protocol/trainerProtocol';
import { trainArgs } from '../../src/host/sessions/trainerArgs';
import { forkTrainer } from '../../src/host/sessions/trainerProcess';
import { TrainingSession } from '../../src/host/sessions/trainingSession';
import { repoRoot } from '../helpers/root';

const root = repoRoot();
const cli = join(root, 'dist', 'cli.js');
const ring = join(root, 'examples', 'ring', 'gan.json');
const missing = !existsSync(cli) ? `${cli} is not built (run node scripts/build.mjs)` : !existsSync(ring) ? `${ring} is missing` : undefined;

let runsDir: string;
before(() => {
  runsDir = mkdtempSync(join(tmpdir(), 'gan-real-'));
});
after(() => rmSync(runsDir, { recursive: true, force: true }));

function train(args: string[]): TrainingSession {
  // wasm is pinned: it loads everywhere, so the test does not depend on tfjs-node being installed.
  return new TrainingSession({
    process: forkTrainer({ cliPath: cli, args: [...args, '--backend', 'wasm'], cwd: dirname(ring) }),
    configPath: ring,
    runsDir,
    timeouts: { termAfterMs: 20_000, killAfterMs: 5_000, exitAfterFinishedMs: 10_000 },
  });
}

describe('TrainingSession with the real trainer', { skip: missing }, () => {
  it('trains the ring example to completion and leaves a complete run directory', { timeout: 120_000 }, async () => {
    const s = train(trainArgs({ configPath: ring, runsDir, steps: 120 }));
    const seen = new Set<TrainerToHost['type']>();
    s.onDidReceive((m) => seen.add(m.type));
    const r = await s.ended;
    assert.equal(r.status, 'completed', `${r.error ?? ''}\n${r.stderrTail}`);
    assert.equal(r.exitCode, 0);
    assert.equal(r.step, 120);
    for (const t of ['started', 'progress', 'metrics', 'samples', 'checkpoint', 'finished'] as const) assert.ok(seen.has(t), `saw a ${t} message`);
    const info = readRunInfo(r.runDir!);
    assert.equal(info.status, 'completed');
    assert.equal(info.step, 120);
    assert.ok(readMetrics(r.runDir!).length >= 10);
    assert.equal(readLatestCheckpoint(r.runDir!)?.step, 120);
    assert.ok(listRuns(runsDir).some((x) => x.dir === r.runDir));
  });

  it('stops mid-run with a checkpoint, then resumes from it to the end', { timeout: 180_000 }, async () => {
    const s = train(trainArgs({ configPath: ring, runsDir, steps: 5000 }));
    await new Promise<void>((resolve) => {
      const sub = s.onDidProgress((p) => {
        if (p.step >= 40) {
          sub.dispose();
          resolve();
        }
      });
    });
    const stopped = await s.stop();
    assert.equal(stopped.status, 'stopped', `${stopped.error ?? ''}\n${stopped.stderrTail}`);
    assert.equal(stopped.killed, false, 'the trainer obeyed the protocol stop');
    const runDir = stopped.runDir!;
    const ckpt = readLatestCheckpoint(runDir);
    assert.ok(ckpt && ckpt.step >= 40, 'a checkpoint was written at the stop');
    assert.equal(readRunInfo(runDir).status, 'stopped');

    const target = ckpt.step + 30;
    const resumed = train(trainArgs({ configPath: ring, runsDir, resumeDir: runDir, steps: target }));
    let startStep = -1;
    resumed.onDidReceive((m) => m.type === 'started' && (startStep = m.startStep));
    const r = await resumed.ended;
    assert.equal(r.status, 'completed', `${r.error ?? ''}\n${r.stderrTail}`);
    assert.equal(startStep, ckpt.step);
    const info = readRunInfo(runDir);
    assert.equal(info.step, target);
    assert.deepEqual(info.resumedAt, [ckpt.step]);
  });

  it('plays the game by hand through the session, then forks the run with an edit', { timeout: 180_000 }, async () => {
    const s = train(trainArgs({ configPath: ring, runsDir, steps: 5000 }));
    const messages: TrainerToHost[] = [];
    s.onDidReceive((m) => messages.push(m));
    const next = <T extends TrainerToHost['type']>(type: T, pred: (m: Extract<TrainerToHost, { type: T }>) => boolean = () => true) =>
      new Promise<Extract<TrainerToHost, { type: T }>>((resolve) => {
        const sub = s.onDidReceive((m) => {
          if (m.type === type && pred(m as Extract<TrainerToHost, { type: T }>)) {
            sub.dispose();
            resolve(m as Extract<TrainerToHost, { type: T }>);
          }
        });
      });
    await new Promise<void>((resolve) => {
      const sub = s.onDidProgress((p) => p.step >= 30 && (sub.dispose(), resolve()));
    });
    const refusedRunning = next('controlRefused');
    s.control('dStep', 'command');
    assert.match((await refusedRunning).message, /needs the run paused first/);
    const paused = next('paused');
    s.control('pause', 'command');
    const at = (await paused).step;
    assert.ok(s.paused);
    const d = next('event', (m) => m.event.kind === 'dStep');
    s.control('dStep', 'command');
    assert.equal((await d).event.step, at, 'a D step does not advance the step');
    const g = next('event', (m) => m.event.kind === 'gStep');
    s.control('gStep', 'command');
    await g;
    const refused = next('controlRefused');
    s.edit('/training/batchSize', 8, 'command');
    assert.match((await refused).message, /cannot change during a run/);
    const edited = next('event', (m) => m.event.kind === 'edit');
    s.edit('/training/generatorOptimizer/learningRate', 0.0005, 'command');
    const e = (await edited).event;
    assert.ok(e.kind === 'edit' && e.old === 0.001 && e.value === 0.0005, JSON.stringify(e));
    const stepped = next('event', (m) => m.event.kind === 'step');
    s.control('step', 'command');
    await stepped;
    await next('metrics', (m) => m.records.some((r) => r.step === at + 1));
    // Still paused after the manual step: the run stays at at + 1.
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(s.paused && s.progress!.step === at + 1, `step ${s.progress?.step}, expected ${at + 1} while paused`);
    const going = next('paused', (m) => !m.paused);
    s.control('continue', 'command');
    await going;
    await new Promise<void>((resolve) => {
      const sub = s.onDidProgress((p) => p.step >= at + 20 && (sub.dispose(), resolve()));
    });
    const stopped = await s.stop();
    assert.equal(stopped.status, 'stopped', stopped.stderrTail);
    const runDir = stopped.runDir!;
    assert.deepEqual(readEvents(runDir).map((x) => x.kind), ['pause', 'dStep', 'gStep', 'edit', 'step', 'continue']);
    assert.ok(messages.some((m) => m.type === 'samples' && m.record.manual === 1), 'the D step redrew the samples');

    const ckpt = readLatestCheckpoint(runDir)!.step;
    const fork = train(trainArgs({ configPath: ring, runsDir, steps: ckpt + 20, fork: { parentDir: runDir, sets: [{ pointer: '/training/discriminatorOptimizer/learningRate', value: 0.0004 }] } }));
    const r = await fork.ended;
    assert.equal(r.status, 'completed', `${r.error ?? ''}\n${r.stderrTail}`);
    const info = readRunInfo(r.runDir!);
    assert.equal(info.parent?.runDir, runDir);
    assert.equal(info.parent?.step, ckpt);
    assert.equal(info.step, ckpt + 20);
    const fe = readEvents(r.runDir!);
    assert.ok(fe.length === 1 && fe[0].kind === 'edit' && fe[0].source === 'fork');
  });
});
