/**
 * `gan-studio export <runDir> --out DIR`: a checkpoint's generator for use outside GAN Studio.
 * model.json and its weight files are copied as the checkpoint holds them (the TensorFlow.js
 * layers format, what tf.loadLayersModel reads), and gan-generator.json says what to feed the
 * model and how to turn its outputs into data (src/protocol/generatorExport.ts). Nothing here
 * runs the model, so the export needs no backend.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { GanConfig } from '../config/ganConfig';
import { check } from '../protocol/fields';
import {
  GENERATOR_EXPORT_FILE,
  GENERATOR_EXPORT_FORMAT,
  GENERATOR_EXPORT_NOTE,
  GENERATOR_EXPORT_VERSION,
  generatorExport,
  type GeneratorExport,
  type LatentSpec,
} from '../protocol/generatorExport';
import type { RunInfo } from '../protocol/runFormat';
import { loadRunConfig, readRunInfo } from '../runDir/runReader';
import { checkpointPath } from './checkpoint';
import { loadDataset } from './data/dataset';
import { InputError } from './inputError';

const MODEL_FILE = 'model.json';

interface ExportArgs {
  runDir: string;
  out: string;
  checkpoint?: number;
  raw: boolean;
}

function parseExportArgs(args: string[]): ExportArgs {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { out: { type: 'string' }, checkpoint: { type: 'string' }, raw: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const option = /'([^']+)'/.exec(e.message)?.[1];
    const what = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option ? `unknown option "${option}"` : e.message.split('\n')[0].replace(/\. To specify.*$/, '');
    throw new InputError(`${what} (see "gan-studio export --help")`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new InputError('export takes one run directory (see "gan-studio export --help")');
  if (!values.out) throw new InputError('export needs --out DIR, the folder to write (see "gan-studio export --help")');
  const step = values.checkpoint;
  if (step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1)) throw new InputError(`--checkpoint must be a positive integer (got "${step}")`);
  return { runDir: resolve(positionals[0]), out: resolve(values.out), ...(step !== undefined ? { checkpoint: Number(step) } : {}), raw: Boolean(values.raw) };
}

/**
 * model.json plus every weight file its manifest names (tfjs may shard weights). The names must be
 * plain files beside model.json ("./weights.bin" or "weights.bin"): an export never reads or
 * writes outside its two folders.
 */
export function modelFiles(dir: string): string[] {
  const path = join(dir, MODEL_FILE);
  let json: { weightsManifest?: unknown };
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as { weightsManifest?: unknown };
  } catch (err) {
    throw new InputError(existsSync(path) ? `${path}: not valid JSON (${(err as Error).message})` : `${path} is missing; the checkpoint is incomplete`);
  }
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) throw new InputError(`${path}: no weightsManifest; not a TensorFlow.js layers model`);
  const weights: string[] = [];
  for (const group of manifest as { paths?: unknown }[]) {
    const paths = group?.paths;
    if (!Array.isArray(paths)) throw new InputError(`${path}: a weightsManifest entry has no paths`);
    for (const p of paths) {
      const name = typeof p === 'string' ? p.replace(/^\.\//, '') : '';
      if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\\') || name === MODEL_FILE || name === GENERATOR_EXPORT_FILE) {
        throw new InputError(`${path} names an unexpected weight path ${JSON.stringify(p)}`);
      }
      if (!existsSync(join(dir, name))) throw new InputError(`${join(dir, name)} is missing; the checkpoint is incomplete`);
      weights.push(name);
    }
  }
  return [MODEL_FILE, ...new Set(weights)];
}

function latentOf(config: GanConfig): LatentSpec {
  const dim = config.generator.latentDim;
  // As the trainer draws them: Rng.fillNormal, or Rng.fillUniform(z, -1, 1).
  return config.generator.latentDistribution === 'normal' ? { dim, distribution: 'normal', mean: 0, std: 1 } : { dim, distribution: 'uniform', min: -1, max: 1 };
}

/** Writes through a temporary name, so a reader never sees half a file. */
function placeFile(target: string, write: (tmp: string) => void): void {
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    write(tmp);
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { force: true });
  }
}

function kb(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export interface ExportResult {
  out: string;
  files: string[];
  meta: GeneratorExport;
}

/** The export itself, without the printing. Bad input throws InputError. */
export function exportGenerator(opts: ExportArgs): ExportResult {
  if (!existsSync(opts.runDir)) throw new InputError(`${opts.runDir}: no such folder`);
  if (!statSync(opts.runDir).isDirectory()) throw new InputError(`${opts.runDir}: not a folder; give a run directory`);
  let info: RunInfo;
  let config: GanConfig;
  let ckpt: { dir: string; step: number };
  try {
    info = readRunInfo(opts.runDir);
    ckpt = checkpointPath(opts.runDir, opts.checkpoint);
    config = loadRunConfig(opts.runDir);
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  const ema = !opts.raw && existsSync(join(ckpt.dir, 'generator-ema', MODEL_FILE));
  const source = join(ckpt.dir, ema ? 'generator-ema' : 'generator');
  const files = modelFiles(source);
  if (resolve(source) === opts.out) throw new InputError(`--out ${opts.out} is the checkpoint's own folder; choose another`);

  // run.json keeps the map from the model's outputs to data, fixed when the run was created. Runs
  // made before it did fall back to their data set (for vectors, statistics of the data itself),
  // which must still be there and unchanged.
  let affine = info.output?.denormalize;
  if (!affine) {
    try {
      affine = loadDataset(config.data, dirname(info.configPath)).affine();
    } catch (err) {
      throw new InputError(`the run's data gives the map from the model's outputs to data, and it cannot be read: ${(err as Error).message}`);
    }
  }
  const shape = info.output?.shape ?? (info.imageShape ? [...info.imageShape] : [info.dataDim]);
  if (affine.scale.length !== 1 && affine.scale.length !== shape[shape.length - 1]) {
    throw new InputError(`the run's data now has ${affine.scale.length} columns but the generator makes ${info.dataDim}; was the data file changed?`);
  }
  const meta: GeneratorExport = {
    format: GENERATOR_EXPORT_FORMAT,
    formatVersion: GENERATOR_EXPORT_VERSION,
    note: GENERATOR_EXPORT_NOTE,
    model: MODEL_FILE,
    latent: latentOf(config),
    output: { dataKind: info.dataKind, shape },
    denormalize: affine,
    source: { runId: info.id, runName: info.name, step: ckpt.step, ema, exportedAt: new Date().toISOString() },
  };
  const checked = check(generatorExport, meta);
  if (!checked.ok) throw new Error(`the export description is invalid: ${checked.reason}`);

  if (existsSync(opts.out) && !statSync(opts.out).isDirectory()) throw new InputError(`--out ${opts.out} is a file; give a folder`);
  try {
    mkdirSync(opts.out, { recursive: true });
  } catch (err) {
    throw new InputError(`cannot create ${opts.out}: ${(err as Error).message}`);
  }
  // Weights first and the description last: a folder with gan-generator.json is complete.
  for (const f of [...files.slice(1), MODEL_FILE]) placeFile(join(opts.out, f), (tmp) => copyFileSync(join(source, f), tmp));
  placeFile(join(opts.out, GENERATOR_EXPORT_FILE), (tmp) => writeFileSync(tmp, `${JSON.stringify(meta, null, 2)}\n`));
  return { out: opts.out, files: [...files, GENERATOR_EXPORT_FILE], meta };
}

function describeLatent(l: LatentSpec): string {
  return l.distribution === 'normal' ? `${l.dim} values from normal(${l.mean}, ${l.std})` : `${l.dim} values uniform in [${l.min}, ${l.max})`;
}

/** The CLI command: the export, a summary, and the folder as the last line. */
export function exportCommand(args: string[]): Promise<number> {
  // The executor's throw (an InputError: exit 2) rejects the promise.
  return new Promise((done) => done(printExport(exportGenerator(parseExportArgs(args)))));
}

function printExport(r: ExportResult): number {
  const { meta } = r;
  const bytes = r.files.slice(0, -1).reduce((sum, f) => sum + statSync(join(r.out, f)).size, 0);
  const map = meta.denormalize.scale.length === 1 ? `× ${meta.denormalize.scale[0]} + ${meta.denormalize.offset[0]}` : `× scale + offset per column`;
  const lines = [
    `${meta.source.runId}: the ${meta.source.ema ? 'EMA generator' : 'generator'} of step ${meta.source.step}`,
    `  ${r.files.slice(0, -1).join(', ')} (${kb(bytes)}): tf.loadLayersModel(".../${meta.model}")`,
    `  ${GENERATOR_EXPORT_FILE}: input ${describeLatent(meta.latent)}; output [${meta.output.shape.join(', ')}] (${meta.output.dataKind}), data = output ${map}${meta.denormalize.clamp ? `, clamped to [${meta.denormalize.clamp.join(', ')}]` : ''}`,
    r.out,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
