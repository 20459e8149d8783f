/**
 * `gan-studio eval <gan.json> --seeds N`: the 2-D mixture benchmark of the VEEGAN and PacGAN
 * papers run on one gan.json. The seeds are a sweep over /seed (a sweep folder in the runs
 * folder, run by the local executor, as many at a time as there are cores), so they show in the
 * Runs view and the sweep panel like any sweep. From each trial's generator (the EMA one when the
 * run has it) it draws 2500 samples and prints the modes covered and the share of high-quality
 * samples per seed, their mean and the worst seed, beside the published rows.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDuration } from '../analysis/progress';
import { isToyData, type BackendChoice } from '../config/ganConfig';
import { SWEEP_FORMAT_VERSION, type SweepFile, type SweepTrial } from '../protocol/sweepFormat';
import { readRunInfo } from '../runDir/runReader';
import { slug } from '../runDir/runWriter';
import { trialRunId, writeSweep } from '../runDir/sweepDir';
import { toyModes } from './data/toy2d';
import { InputError } from './inputError';
import { mixtureBenchmark } from './quality';
import { Rng } from './rng';
import { loadRunGenerator } from './runGenerator';
import { LocalExecutor } from './sweep/localExecutor';
import { runSweep } from './sweep/sweepRunner';
import { defaultParallel } from './sweep/sweepCommand';
import { resolveWorkers } from './replicas';
import { loadConfig } from './trainer';

/** Samples per run in the papers' protocol. */
export const BENCHMARK_SAMPLES = 2500;
/** Seed of the latent vectors every run is measured on (the same for every seed, so runs compare). */
const EVAL_LATENT_SEED = 2017;

/** A published row: modes covered and the high-quality share, on the papers' ring and grid. */
interface PublishedRow {
  method: string;
  source: string;
  ring: { modes: number; hq: number };
  grid: { modes: number; hq: number };
}

const PUBLISHED: PublishedRow[] = [
  { method: 'plain GAN', source: 'PacGAN Table 1', ring: { modes: 6.3, hq: 0.982 }, grid: { modes: 17.3, hq: 0.948 } },
  { method: 'PacGAN4', source: 'PacGAN Table 1', ring: { modes: 7.8, hq: 0.959 }, grid: { modes: 24.8, hq: 0.936 } },
  { method: 'VEEGAN', source: 'VEEGAN Table 1', ring: { modes: 8, hq: 0.529 }, grid: { modes: 24.6, hq: 0.4 } },
];

export interface SeedResult {
  seed: number;
  runDir: string;
  /** Wall time of the training process, start to exit. */
  wallMs: number;
  /** Undefined when the run failed (then `error` says why). */
  modes?: number;
  hq?: number;
  error?: string;
}

export interface EvalSummary {
  config: string;
  /** The sweep folder that holds the seeds' runs (and eval.json). */
  sweepDir: string;
  data: string;
  steps: number;
  samples: number;
  generator: 'EMA' | 'raw';
  seeds: SeedResult[];
  meanModes: number;
  meanHq: number;
  worst: SeedResult;
}

export interface EvalOptions {
  configPath: string;
  seeds: number[];
  steps?: number;
  samples: number;
  /** Seeds at once; by default as many as the cores allow, given each run's worker threads. */
  parallel?: number;
  /** The runs folder the eval's sweep folder goes in. */
  runsDir: string;
  backend?: BackendChoice;
  /** The CLI bundle that trains each seed. */
  cliPath: string;
  print: (line: string) => void;
  /** Ctrl+C: the seeds stop, checkpointed, and the eval ends with what it has. */
  shouldStop?: () => boolean;
}

/** `--seeds`: a count N (seeds 1..N) or a comma-separated list of seeds. */
export function parseSeeds(text: string): number[] | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= 1 && n <= 1000 ? Array.from({ length: n }, (_, i) => i + 1) : undefined;
  }
  if (!/^\d+(,\d+)+$/.test(text)) return undefined;
  const seeds = text.split(',').map(Number);
  return seeds.every((s) => s <= 4294967295) && new Set(seeds).size === seeds.length ? seeds : undefined;
}

export async function evaluate(opts: EvalOptions): Promise<EvalSummary> {
  const configPath = resolve(opts.configPath);
  const config = loadConfig(configPath, opts.configPath);
  const data = config.data;
  if (!isToyData(data) || toyModes(data).length === 0) {
    throw new InputError(`${opts.configPath}: /data/type is "${data.type}"; eval measures the 2-D mixtures (ring or grid), whose modes it knows`);
  }
  const modes = toyModes(data);
  const steps = opts.steps ?? config.training.steps;
  const generator = config.training.ema > 0 ? 'EMA' : 'raw';
  const parallel = opts.parallel ?? defaultParallel(resolveWorkers(config, 'wasm'));
  const sweep = createEvalSweep(opts, configPath, config.name, parallel);
  const sweepDir = join(opts.runsDir, sweep.id);
  opts.print(
    `${config.name}: ${data.type} of ${modes.length} modes (std ${data.noise}), ${opts.seeds.length} seeds × ${steps} steps, ${opts.samples} samples from the ${generator} generator, ${parallel} at a time`,
  );
  opts.print(`sweep: ${relative(process.cwd(), sweepDir) || sweepDir}`);
  const results = new Array<SeedResult | undefined>(opts.seeds.length);
  // One measurement at a time, as each seed ends: loading a generator sets up tfjs's backend,
  // which must not happen twice at once.
  let measuring: Promise<unknown> = Promise.resolve();
  const settle = (trial: SweepTrial) => {
    const i = trial.index;
    if (results[i] || trial.status === 'pending' || trial.status === 'running') return;
    const runDir = join(sweepDir, trial.runId);
    const r: SeedResult = { seed: opts.seeds[i], runDir, wallMs: wallMs(runDir) };
    results[i] = r;
    const measured = measuring.then(async () => {
      if (trial.status === 'completed') Object.assign(r, await measure(runDir, opts, modes, data.noise));
      else r.error = trialError(sweepDir, trial);
      opts.print(seedLine(r, modes.length));
    });
    measuring = measured.then(
      () => undefined,
      (err: unknown) => {
        r.error = `could not measure: ${err instanceof Error ? err.message : String(err)}`;
        opts.print(seedLine(r, modes.length));
      },
    );
  };
  const outcome = await runSweep({
    sweepDir,
    executor: new LocalExecutor({ sweepDir, cliPath: opts.cliPath, parallel }),
    shouldStop: opts.shouldStop ?? (() => false),
    pollMs: 500,
    onChange: (s) => s.trials.forEach(settle),
  });
  outcome.sweep.trials.forEach(settle);
  await measuring;

  // A failed seed counts as no modes and no high-quality samples: the mean must not hide it.
  const done = results.map((r, i) => r ?? { seed: opts.seeds[i], runDir: join(sweepDir, outcome.sweep.trials[i].runId), wallMs: 0, error: 'did not run' });
  const mean = (f: (r: SeedResult) => number) => done.reduce((a, r) => a + f(r), 0) / done.length;
  const worst = done.reduce((w, r) => ((r.modes ?? -1) < (w.modes ?? -1) || ((r.modes ?? -1) === (w.modes ?? -1) && (r.hq ?? -1) < (w.hq ?? -1)) ? r : w));
  const summary: EvalSummary = {
    config: opts.configPath,
    sweepDir,
    data: data.type,
    steps,
    samples: opts.samples,
    generator,
    seeds: done,
    meanModes: mean((r) => r.modes ?? 0),
    meanHq: mean((r) => r.hq ?? 0),
    worst,
  };
  for (const line of table(summary, modes.length, data.type === 'ring' || data.type === 'grid' ? data.type : undefined)) opts.print(line);
  writeFileSync(join(sweepDir, 'eval.json'), `${JSON.stringify(summary, null, 2)}\n`);
  opts.print(relative(process.cwd(), sweepDir) || sweepDir);
  return summary;
}

/**
 * The eval's sweep folder: one trial per seed, each overriding /seed (and /training/steps and
 * /backend when given), in a new folder named after the config and the time.
 */
function createEvalSweep(opts: EvalOptions, configPath: string, name: string, parallel: number): SweepFile {
  const now = new Date();
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const id = `${slug(name)}-eval-${stamp}`;
  const sweepDir = join(opts.runsDir, id);
  if (existsSync(sweepDir)) throw new InputError(`${sweepDir} exists already; wait a second or pick another --runs-dir`);
  mkdirSync(sweepDir, { recursive: true });
  const fixed: Record<string, unknown> = { ...(opts.steps !== undefined ? { '/training/steps': opts.steps } : {}), ...(opts.backend ? { '/backend': opts.backend } : {}) };
  const sweep: SweepFile = {
    formatVersion: SWEEP_FORMAT_VERSION,
    id,
    name,
    configPath,
    configHash: createHash('sha256').update(readFileSync(configPath)).digest('hex'),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    method: 'grid',
    parameters: ['/seed', ...Object.keys(fixed)],
    executor: { kind: 'local', parallel },
    status: 'running',
    trials: opts.seeds.map((seed, index) => ({ index, overrides: { '/seed': seed, ...fixed }, runId: trialRunId(id, index), status: 'pending' })),
  };
  return writeSweep(sweepDir, sweep);
}

/** Wall time of a trial's training, from its run.json (0 when it never started). */
function wallMs(runDir: string): number {
  try {
    const info = readRunInfo(runDir);
    return info.endedAt ? Date.parse(info.endedAt) - Date.parse(info.createdAt) : 0;
  } catch {
    return 0;
  }
}

/** Why a trial did not complete: its run's error, else the last line of its log. */
function trialError(sweepDir: string, trial: SweepTrial): string {
  try {
    const info = readRunInfo(join(sweepDir, trial.runId));
    if (info.error) return info.error.message;
    return `the run ${info.status}`;
  } catch {
    const log = join(sweepDir, 'logs', `${trial.runId}.log`);
    const last = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').pop() : undefined;
    return last || `${trial.status} before its run started`;
  }
}

/** Modes covered and the high-quality share of `samples` points from a run's latest checkpoint. */
async function measure(runDir: string, opts: EvalOptions, modes: [number, number][], std: number): Promise<{ modes: number; hq: number }> {
  const g = await loadRunGenerator(runDir, undefined, opts.backend ?? 'auto');
  try {
    const z = new Float32Array(opts.samples * g.latentDim);
    const rng = new Rng(EVAL_LATENT_SEED);
    if (g.config.generator.latentDistribution === 'normal') rng.fillNormal(z);
    else rng.fillUniform(z, -1, 1);
    const cov = mixtureBenchmark(g.generate(z, opts.samples).data, modes, std);
    return { modes: cov.modesCovered, hq: cov.highQuality };
  } finally {
    g.dispose();
  }
}

function percent(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

function seedLine(r: SeedResult, modes: number): string {
  const what = r.error !== undefined ? `failed: ${r.error}` : `${`${r.modes}/${modes}`.padEnd(7)} ${percent(r.hq!).padStart(7)}`;
  return `  seed ${String(r.seed).padEnd(10)} ${what}   ${formatDuration(r.wallMs / 1000)}`;
}

/** The summary table: every seed, the mean, the worst seed, and the published rows for this data. */
function table(s: EvalSummary, modes: number, kind: 'ring' | 'grid' | undefined): string[] {
  const row = (label: string, m: string, hq: string, extra = '') => `  ${label.padEnd(26)} ${m.padEnd(8)} ${hq.padStart(7)}${extra}`;
  const meanWall = s.seeds.reduce((a, r) => a + r.wallMs, 0) / s.seeds.length;
  const lines = ['', row(`${s.data}, ${s.seeds.length} seeds`, `modes/${modes}`, 'HQ', '   time per run')];
  for (const r of s.seeds) lines.push(row(`seed ${r.seed}`, r.error ? 'failed' : String(r.modes), r.error ? '-' : percent(r.hq!), `   ${formatDuration(r.wallMs / 1000)}`));
  lines.push(row('mean', s.meanModes.toFixed(1), percent(s.meanHq), `   ${formatDuration(meanWall / 1000)}`));
  lines.push(row(`worst (seed ${s.worst.seed})`, s.worst.error ? 'failed' : String(s.worst.modes), s.worst.error ? '-' : percent(s.worst.hq!)));
  if (kind) for (const p of PUBLISHED) lines.push(row(`${p.method} (${p.source})`, String(p[kind].modes), percent(p[kind].hq)));
  return lines;
}

export async function evalCommand(args: string[], cliPath: string, usage: (message: string) => Error): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { seeds: { type: 'string' }, steps: { type: 'string' }, samples: { type: 'string' }, parallel: { type: 'string' }, 'runs-dir': { type: 'string' }, backend: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw usage(`${(err as Error).message.split('\n')[0]} (see "gan-studio eval --help")`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw usage('eval takes one gan.json (see "gan-studio eval --help")');
  const seedsText = values.seeds ?? '5';
  const seeds = parseSeeds(seedsText);
  if (!seeds) throw usage(`--seeds must be a count from 1 to 1000 or a list of different seeds like 1,77,4096 (got "${seedsText}")`);
  const positive = (name: string, v: string | undefined, max: number): number | undefined => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw usage(`--${name} must be a whole number from 1 to ${max} (got "${v}")`);
    return Number(v);
  };
  const backend = values.backend;
  if (backend !== undefined && !['auto', 'tensorflow', 'wasm', 'cpu'].includes(backend)) throw usage(`--backend must be one of auto, tensorflow, wasm, cpu (got "${backend}")`);
  const steps = positive('steps', values.steps, 100_000_000);
  let stop = false;
  process.on('SIGINT', () => (stop = true));
  process.on('SIGTERM', () => (stop = true));
  const summary = await evaluate({
    configPath: positionals[0],
    seeds,
    ...(steps !== undefined ? { steps } : {}),
    samples: positive('samples', values.samples, 100_000) ?? BENCHMARK_SAMPLES,
    ...(values.parallel !== undefined ? { parallel: positive('parallel', values.parallel, 64)! } : {}),
    runsDir: resolve(values['runs-dir'] ?? join('.gan', 'runs')),
    ...(backend !== undefined ? { backend: backend as BackendChoice } : {}),
    cliPath,
    print: (line) => process.stdout.write(`${line}\n`),
    shouldStop: () => stop,
  });
  return summary.seeds.some((r) => r.error !== undefined) ? 1 : 0;
}
