/**
 * The session with real child processes (forkTrainer): a small scripted trainer written to a temp
 * file speaks the IPC protocol, crashes, or ignores stop and SIGTERM, so the signals, exit codes
 * and stderr plumbing are the real ones.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readRunInfo } from '../../src/runDir/runReader';
import { forkTrainer } from '../../src/host/sessions/trainerProcess';
import { TrainingSession } from '../../src/host/sessions/trainingSession';
import { alive } from '../helpers/cli';

// A stand-in trainer. Its first argument names the scenario; it writes a real run.json.
const SCRIPT = String.raw`
const fs = require('fs');
const path = require('path');
const [scenario, runsDir] = process.argv.slice(2);
const id = 'script-' + scenario;
const runDir = path.join(runsDir, id);
fs.mkdirSync(path.join(runDir, 'checkpoints'), { recursive: true });
const now = new Date().toISOString();
const run = { formatVersion: 1, id, name: 'script', status: 'running', configPath: '/x/gan.json', backend: 'cpu', seed: 1,
  dataKind: 'points2d', dataDim: 2, step: 0, totalSteps: 10, checkpointStep: 0, createdAt: now, updatedAt: now, trainingMs: 0, pid: process.pid };
const save = (patch) => { Object.assign(run, patch, { updatedAt: new Date().toISOString() }); fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(run)); };
save({});
process.send({ type: 'started', runId: id, runDir, backend: 'cpu', totalSteps: 10, startStep: 0, run });
if (scenario === 'ok') {
  let step = 0;
  const timer = setInterval(() => {
    step++;
    process.send({ type: 'progress', step, totalSteps: 10, dLoss: 1, gLoss: 1, stepsPerSec: 100 });
    if (step === 10) {
      clearInterval(timer);
      save({ status: 'completed', step });
      process.send({ type: 'finished', status: 'completed', step }, () => process.disconnect());
    }
  }, 5);
} else if (scenario === 'crash') {
  process.send({ type: 'progress', step: 3, totalSteps: 10, dLoss: 1, gLoss: 1, stepsPerSec: 100 });
  setTimeout(() => {
    process.stderr.write('Error: the GPU caught fire\n    at step (trainer.js:3:1)\n');
    process.exit(3);
  }, 20);
} else if (scenario === 'hang') {
  process.on('SIGTERM', () => process.stderr.write('ignoring SIGTERM\n'));
  process.on('message', (m) => { if (m && m.type === 'stop') process.stderr.write('ignoring stop\n'); });
  setInterval(() => {}, 1000);
} else if (scenario === 'graceful') {
  // What the real trainer does: stop → finish the step, checkpoint, mark stopped, exit 0.
  process.on('message', (m) => {
    if (m && m.type === 'stop') {
      save({ status: 'stopped', step: 4, checkpointStep: 4 });
      process.send({ type: 'checkpoint', step: 4 });
      process.send({ type: 'finished', status: 'stopped', step: 4 }, () => process.exit(0));
    }
  });
  setInterval(() => {}, 1000);
}
`;

let dir: string;
let script: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gan-proc-'));
  script = join(dir, 'fake-trainer.js');
  writeFileSync(script, SCRIPT);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function start(scenario: string, timeouts = { termAfterMs: 300, killAfterMs: 300, exitAfterFinishedMs: 2000 }): TrainingSession {
  const proc = forkTrainer({ cliPath: script, args: [scenario, dir], cwd: dir });
  return new TrainingSession({ process: proc, configPath: join(dir, 'gan.json'), runsDir: dir, timeouts });
}

describe('TrainingSession with a real forked process', () => {
  it('trains to the end and exits 0', async () => {
    const s = start('ok');
    let steps = 0;
    s.onDidProgress(() => steps++);
    const r = await s.ended;
    assert.equal(r.status, 'completed');
    assert.equal(r.exitCode, 0);
    assert.equal(steps, 10);
    assert.equal(readRunInfo(join(dir, 'script-ok')).status, 'completed');
  });

  it('reports a crash with its exit code and stderr, and marks run.json failed', async () => {
    const s = start('crash');
    const r = await s.ended;
    assert.equal(r.status, 'failed');
    assert.equal(r.exitCode, 3);
    assert.match(r.error ?? '', /exited with code 3 without finishing: at step \(trainer\.js:3:1\)/);
    assert.match(r.stderrTail, /the GPU caught fire/);
    const info = readRunInfo(join(dir, 'script-crash'));
    assert.equal(info.status, 'failed');
    assert.equal(info.error?.kind, 'crash');
    assert.equal(info.step, 3);
  });

  it('stops gracefully on the protocol stop', async () => {
    const s = start('graceful');
    await new Promise<void>((resolve) => s.onDidStart(() => resolve()));
    const r = await s.stop();
    assert.equal(r.status, 'stopped');
    assert.equal(r.killed, false);
    assert.equal(r.exitCode, 0);
    assert.equal(readRunInfo(join(dir, 'script-graceful')).checkpointStep, 4);
  });

  it('kills a trainer that ignores stop and SIGTERM, and leaves no process behind', async () => {
    const s = start('hang');
    await new Promise<void>((resolve) => s.onDidStart(() => resolve()));
    const pid = s.pid;
    assert.ok(alive(pid));
    const t0 = Date.now();
    const r = await s.stop();
    assert.ok(Date.now() - t0 >= 550, 'stop waited for both timeouts');
    assert.equal(r.killed, true);
    assert.equal(r.signal, 'SIGKILL');
    assert.match(r.stderrTail, /ignoring stop\nignoring SIGTERM/);
    assert.equal(alive(pid), false);
    const info = readRunInfo(join(dir, 'script-hang'));
    assert.equal(info.status, 'stopped');
    assert.equal(info.error?.kind, 'killed');
  });

  it('reports a node executable that does not exist', async () => {
    const proc = forkTrainer({ cliPath: script, args: ['ok', dir], cwd: dir, nodePath: join(dir, 'no-such-node') });
    const s = new TrainingSession({ process: proc, configPath: join(dir, 'gan.json'), runsDir: dir });
    const r = await s.ended;
    assert.equal(r.status, 'rejected');
    assert.match(r.error ?? '', /could not be started: .*ENOENT/);
  });
});
