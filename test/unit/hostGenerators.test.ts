/**
 * The host's generator servers against the real CLI: a tiny ring run is trained, then
 * GeneratorServers forks `dist/cli.js serve` through forkTrainer (the extension's own fork) and
 * gets answers. One process per run and checkpoint is reused; a bad request, a missing
 * checkpoint and a misbehaving child are errors a person can read; dispose ends every process.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { listCheckpoints } from '../../src/runDir/runReader';
import { Emitter } from '../../src/host/events';
import { GeneratorServers, DEFAULT_SERVER_OPTIONS } from '../../src/host/sessions/generatorServers';
import { parseTrainerMessage } from '../../src/protocol/trainerProtocol';
import { forkTrainer, type TrainerExit, type TrainerProcess } from '../../src/host/sessions/trainerProcess';
import { alive, CLI, onlyRun, ROOT, runCli, tinyRingConfig, tmp, writeConfig } from '../helpers/cli';


describe('generator servers with the real `serve`', { skip: existsSync(CLI) ? undefined : `${CLI} not built` }, () => {
  let runDir: string;
  let servers: GeneratorServers;
  let spawned = 0;

  before(() => {
    const dir = tmp('serve');
    const config = writeConfig(dir, tinyRingConfig({ training: { steps: 40, batchSize: 64 }, logging: { metricsEvery: 10, samplesEvery: 20, checkpointEvery: 20, samplePoints: 64, heatmapSize: 8 } }));
    const r = runCli(['train', config, '--runs-dir', `${dir}/runs`, '--backend', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    runDir = onlyRun(`${dir}/runs`);
    assert.deepEqual(listCheckpoints(runDir), [20, 40]);
    servers = new GeneratorServers((d, step) => {
      spawned++;
      return forkTrainer({ cliPath: CLI, args: ['serve', d, '--ipc', '--checkpoint', String(step), '--backend', 'cpu'], cwd: ROOT, nodePath: process.execPath });
    });
  });
  after(async () => {
    await servers?.dispose();
  });

  it('answers through a serve process, reused per run and checkpoint', async () => {
    const z = [0, 0, 1, -1, 2, 0.5];
    const a = await servers.generate(runDir, 40, z, 3);
    assert.deepEqual(a.shape, [3, 2]);
    assert.equal(a.data.length, 6);
    assert.ok(a.data.every(Number.isFinite));
    const pid = servers.running[0].pid;
    const b = await servers.generate(runDir, 40, z, 3);
    assert.deepEqual(b.data, a.data, 'the same z gives the same points');
    assert.equal(spawned, 1, 'the process is reused');
    assert.equal(servers.running[0].pid, pid);
    // Another checkpoint is another generator.
    const c = await servers.generate(runDir, 20, z, 3);
    assert.equal(spawned, 2);
    assert.notDeepEqual(c.data, a.data, 'step 20 and step 40 generate differently');
  });

  it('checks requests before they reach the child', async () => {
    await assert.rejects(servers.generate(runDir, 40, [1, 2, 3], 2), /3 latent values do not make 2 vectors of size 2/);
    await assert.rejects(servers.generate(runDir, 40, [], 0), /count must be 1–1024/);
    await assert.rejects(servers.generate(runDir, 40, [NaN, 0], 1), /finite/);
  });

  it('a checkpoint that does not exist ends the process with its one-line error', async () => {
    await assert.rejects(servers.generate(runDir, 999, [0, 0], 1), /The generator process ended \(.*999.*\)/);
  });

  it('dispose ends every process', async () => {
    const pids = servers.running.map((s) => s.pid);
    assert.ok(pids.length >= 1 && pids.every(alive));
    await servers.dispose();
    assert.deepEqual(servers.running, []);
    assert.ok(pids.every((p) => !alive(p)), 'no serve process outlives dispose');
    await assert.rejects(servers.generate(runDir, 40, [0, 0], 1), /shutting down/);
  });
});

/** A scripted child, for what the real one does not do on demand. */
class FakeServe implements TrainerProcess {
  readonly pid = 1;
  readonly written: unknown[] = [];
  readonly msg = new Emitter<unknown>();
  readonly exit = new Emitter<TrainerExit>();
  readonly onMessage = this.msg.event;
  readonly onStdout = new Emitter<string>().event;
  readonly onStderr = new Emitter<string>().event;
  readonly onExit = this.exit.event;
  killed: string[] = [];
  write(m: unknown): boolean {
    this.written.push(m);
    return true;
  }
  kill(signal: string): void {
    this.killed.push(signal);
    this.exit.fire({ code: null, signal: signal as NodeJS.Signals });
  }
}

describe('generator servers: answers are validated and slow children time out', () => {
  it('rejects malformed answers, refused requests and silence, and evicts the least recently used', async () => {
    const fakes: FakeServe[] = [];
    const servers = new GeneratorServers(() => {
      const f = new FakeServe();
      fakes.push(f);
      return f;
    }, { ...DEFAULT_SERVER_OPTIONS, maxServers: 1, requestTimeoutMs: 100 });
    const p1 = servers.generate('/runs/a', 10, [0, 0], 1);
    const f = fakes[0];
    f.msg.fire({ type: 'serving', step: 10, latentDim: 2 });
    await new Promise((r) => setImmediate(r));
    const req = f.written[0] as { requestId: number };
    f.msg.fire({ type: 'generated', requestId: req.requestId, data: [1, 2, 3], shape: [1, 2] });
    await assert.rejects(p1, /answered with an invalid message: generated: data must hold as many values as the shape says/);
    const p2 = servers.generate('/runs/a', 10, [0, 0], 1);
    await new Promise((r) => setImmediate(r));
    f.msg.fire({ type: 'generateFailed', requestId: (f.written[1] as { requestId: number }).requestId, message: 'the generator is not ready yet' });
    await assert.rejects(p2, /refused the request: the generator is not ready yet/);
    await assert.rejects(servers.generate('/runs/a', 10, [0, 0], 1), /did not answer within/);
    // A second run with room for one server: the first goes.
    void servers.generate('/runs/b', 5, [0, 0], 1).catch(() => undefined);
    assert.equal(fakes.length, 2);
    assert.ok(fakes[0].written.some((m) => (m as { type: string }).type === 'stop'), 'the evicted server was asked to stop');
    fakes[0].exit.fire({ code: 0, signal: null });
    fakes[1].exit.fire({ code: 0, signal: null });
    await servers.dispose();
    assert.equal(parseTrainerMessage({ type: 'generated', requestId: 1, data: [1, 2], shape: [1, 2] }).ok, true);
    assert.equal(parseTrainerMessage({ type: 'generated', requestId: 1, data: [1, 'x'], shape: [1, 2] }).ok, false, 'a value that is not a number');
  });
});
