/** Helpers for tests that drive the real CLI bundle (dist/cli.js, built by `npm test`). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './root';

export const ROOT = repoRoot();
export const CLI = join(ROOT, 'dist', 'cli.js');

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `gan-studio-${prefix}-`));
}

export function runCli(args: string[], timeoutMs = 600_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function startCli(args: string[], ipc = false): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'] });
}

/** The single run directory inside runsDir. */
export function onlyRun(runsDir: string): string {
  const runs = existsSync(runsDir) ? readdirSync(runsDir) : [];
  if (runs.length !== 1) throw new Error(`expected one run in ${runsDir}, found ${runs.length}`);
  return join(runsDir, runs[0]);
}

export function readJsonlFile<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export function writeConfig(dir: string, config: unknown): string {
  const path = join(dir, 'gan.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** Whether a process with this pid exists (signal 0 probes without signalling). */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A small fast 2-D config: a few ms per step on any backend. */
export function tinyRingConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny',
    seed: 3,
    data: { type: 'ring' },
    generator: { latentDim: 2, hidden: [32, 32], batchNorm: true },
    discriminator: { hidden: [32, 32], dropout: 0.1 },
    training: { steps: 60, batchSize: 64, generatorOptimizer: { learningRate: 0.001 }, discriminatorOptimizer: { learningRate: 0.001 } },
    logging: { metricsEvery: 5, histogramsEvery: 10, samplesEvery: 20, checkpointEvery: 1000, samplePoints: 64, heatmapSize: 8 },
    ...overrides,
  };
}

/** A checkpoint's weight and optimizer files, as bytes: what "resumes bit for bit" compares. */
export function checkpointBytes(runDir: string, step: number): Buffer[] {
  const dir = join(runDir, 'checkpoints', `step-${String(step).padStart(6, '0')}`);
  return ['generator/weights.bin', 'discriminator/weights.bin', 'optimizer-generator.bin', 'optimizer-discriminator.bin'].map((f) => readFileSync(join(dir, f)));
}

/**
 * A copy of a finished run at `copy`, rewound to its checkpoint of step `to`: the later checkpoint
 * `drop` removed and run.json saying stopped there, as if it had been stopped at that step.
 */
export function rewoundCopy(runDir: string, copy: string, to: number, drop: number): string {
  const name = (step: number) => `step-${String(step).padStart(6, '0')}`;
  cpSync(runDir, copy, { recursive: true });
  rmSync(join(copy, 'checkpoints', name(drop)), { recursive: true });
  writeFileSync(join(copy, 'checkpoints', 'latest.json'), JSON.stringify({ step: to, dir: name(to), time: new Date().toISOString() }));
  const info = JSON.parse(readFileSync(join(copy, 'run.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(copy, 'run.json'), JSON.stringify({ ...info, status: 'stopped', step: to, checkpointStep: to }));
  return copy;
}
