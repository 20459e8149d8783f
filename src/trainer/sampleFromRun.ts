/** `gan-studio sample`: draws from a run's saved generator and writes a PNG grid or a CSV; it needs the run directory only, not the data set. */
import type { BackendChoice } from '../config/ganConfig';
import { readRunInfo } from '../runDir/runReader';
import { InputError } from './inputError';
import { Rng } from './rng';
import { loadRunGenerator } from './runGenerator';
import { imageGridPng } from './samples';

export interface SampleOptions {
  runDir: string;
  count: number;
  checkpoint?: number;
  seed: number;
  out: string;
  backend: BackendChoice;
  /** The generator as trained, not the EMA one (runs with training.ema). */
  raw?: boolean;
}

export async function sampleFromRun(opts: SampleOptions): Promise<{ content: Buffer | string; step: number; ema: boolean }> {
  // The output's kind is checked before the backend loads, so a wrong --out fails at once.
  let dataKind;
  try {
    dataKind = readRunInfo(opts.runDir).dataKind;
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  const image = dataKind === 'image';
  if (image && !opts.out.toLowerCase().endsWith('.png')) throw new InputError(`--out must end in .png for image runs (got ${opts.out})`);
  if (!image && !opts.out.toLowerCase().endsWith('.csv')) throw new InputError(`--out must end in .csv for vector runs (got ${opts.out})`);
  const g = await loadRunGenerator(opts.runDir, opts.checkpoint, opts.backend, { raw: opts.raw });
  try {
    const { info, config } = g;
    const rng = new Rng(opts.seed);
    const z = new Float32Array(opts.count * g.latentDim);
    if (config.generator.latentDistribution === 'normal') rng.fillNormal(z);
    else rng.fillUniform(z, -1, 1);
    const shown = Float32Array.from(g.generate(z, opts.count).data);
    if (image && info.imageShape) {
      const cols = Math.ceil(Math.sqrt(opts.count));
      const rows = Math.ceil(opts.count / cols);
      return { content: imageGridPng(shown, opts.count, info.imageShape, rows, cols, info.imageShape[0] <= 32 ? 2 : 1), step: g.step, ema: g.ema };
    }
    const dim = info.dataDim;
    const header = dim === 2 ? 'x,y' : Array.from({ length: dim }, (_, i) => `x${i}`).join(',');
    const lines = [header];
    for (let i = 0; i < opts.count; i++) lines.push(Array.from(shown.subarray(i * dim, (i + 1) * dim), (v) => String(Math.round(v * 1e6) / 1e6)).join(','));
    return { content: `${lines.join('\n')}\n`, step: g.step, ema: g.ema };
  } finally {
    g.dispose();
  }
}
