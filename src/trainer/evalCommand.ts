/**
 * `gan-studio eval <gan.json> --seeds N`: the 2-D mixture benchmark of the VEEGAN and PacGAN
 * papers run on one gan.json. It trains the config once per seed (child `train` processes, as
 * many at a time as there are cores), draws 2500 samples from each run's generator (the EMA one
 * when the run has it), and prints the modes covered and the share of high-quality samples per
 * seed, their mean and the worst seed, beside the published rows.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDuration } from '../analysis/progress';
import { isToyData, type BackendChoice } from '../config/ganConfig';
import { readRunInfo } from '../runDir/runReader';
import { toyModes } from './data/toy2d';
import { InputError } from './inputError';
import { mixtureBenchmark } from './quality';
import { Rng } from './rng';
import { loadRunGenerator } from './runGenerator';
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
  parallel: number;
  runsDir: string;
  backend?: BackendChoice;
  /** The CLI bundle that trains each seed. */
  cliPath: string;
  print: (line: string) => void;
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
  const config = loadConfig(resolve(opts.configPath), opts.configPath);
  const data = config.data;
  if (!isToyData(data) || toyModes(data).length === 0) {
    throw new InputError(`${opts.configPath}: /data/type is "${data.type}"; eval measures the 2-D mixtures (ring or grid), whose modes it knows`);
  }
  const modes = toyModes(data);
  const steps = opts.steps ?? config.training.steps;
  const generator = config.training.ema > 0 ? 'EMA' : 'raw';
  mkdirSync(opts.runsDir, { recursive: true });
  opts.print(
    `${config.name}: ${data.type} of ${modes.length} modes (std ${data.noise}), ${opts.seeds.length} seeds × ${steps} steps, ${opts.samples} samples from the ${generator} generator, ${opts.parallel} at a time`,
  );
  opts.print(`runs: ${relative(process.cwd(), opts.runsDir) || opts.runsDir}`);
  const results = new Array<SeedResult>(opts.seeds.length);
  let measuring: Promise<unknown> = Promise.resolve();
  let next = 0;
  const worker = async () => {
    while (next < opts.seeds.length) {
      const i = next++;
      const seed = opts.seeds[i];
      const trained = await trainSeed(opts, seed, steps);
      const r: SeedResult = { seed, runDir: trained.runDir, wallMs: trained.wallMs };
      if (trained.error) r.error = trained.error;
      else {
        // One measurement at a time: loading a generator sets up tfjs's backend, which must not
        // happen twice at once.
        const measured = measuring.then(() => measure(trained.runDir, opts, modes, data.noise));
        measuring = measured.then(() => undefined, () => undefined);
        Object.assign(r, await measured);
      }
      results[i] = r;
      opts.print(seedLine(r, modes.length));
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.parallel, opts.seeds.length) }, worker));

  // A failed seed counts as no modes and no high-quality samples: the mean must not hide it.
  const mean = (f: (r: SeedResult) => number) => results.reduce((a, r) => a + f(r), 0) / results.length;
  const worst = results.reduce((w, r) => ((r.modes ?? -1) < (w.modes ?? -1) || ((r.modes ?? -1) === (w.modes ?? -1) && (r.hq ?? -1) < (w.hq ?? -1)) ? r : w));
  const summary: EvalSummary = {
    config: opts.configPath,
    data: data.type,
    steps,
    samples: opts.samples,
    generator,
    seeds: results,
    meanModes: mean((r) => r.modes ?? 0),
    meanHq: mean((r) => r.hq ?? 0),
    worst,
  };
  for (const line of table(summary, modes.length, data.type === 'ring' || data.type === 'grid' ? data.type : undefined)) opts.print(line);
  writeFileSync(join(opts.runsDir, 'eval.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
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

/** Trains one seed in a child process (so that seeds use separate cores); never throws for a failed run. */
function trainSeed(opts: EvalOptions, seed: number, steps: number): Promise<{ runDir: string; wallMs: number; error?: string }> {
  const runId = `seed-${seed}`;
  const runDir = join(opts.runsDir, runId);
  const args = [opts.cliPath, 'train', opts.configPath, '--seed', String(seed), '--steps', String(steps), '--runs-dir', opts.runsDir, '--run-id', runId, '-q'];
  if (opts.backend) args.push('--backend', opts.backend);
  const t0 = performance.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      const wallMs = performance.now() - t0;
      if (code === 0 && existsSync(runDir) && readRunInfo(runDir).status === 'completed') done({ runDir, wallMs });
      else done({ runDir, wallMs, error: stderr.trim().split('\n').pop() || `train exited with code ${code}` });
    });
  });
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
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const summary = await evaluate({
    configPath: positionals[0],
    seeds,
    ...(steps !== undefined ? { steps } : {}),
    samples: positive('samples', values.samples, 100_000) ?? BENCHMARK_SAMPLES,
    parallel: positive('parallel', values.parallel, 64) ?? availableParallelism(),
    runsDir: resolve(values['runs-dir'] ?? join('.gan', 'eval', `eval-${stamp}`)),
    ...(backend !== undefined ? { backend: backend as BackendChoice } : {}),
    cliPath,
    print: (line) => process.stdout.write(`${line}\n`),
  });
  return summary.seeds.some((r) => r.error !== undefined) ? 1 : 0;
}
