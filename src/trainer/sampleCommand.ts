/** `gan-studio sample`: draws from a run's saved generator, loaded through the standard layers format. */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BackendChoice } from '../config/ganConfig';
import { validateConfigValue } from '../config/validateConfig';
import { readRunInfo } from '../protocol/runFiles';
import { initBackend } from './backend';
import { checkpointPath, loadLayersModel } from './checkpoint';
import { loadDataset } from './data/dataset';
import { Rng } from './rng';
import { imageGridPng } from './samples';
import { InputError } from './trainer';

export interface SampleOptions {
  runDir: string;
  count: number;
  checkpoint?: number;
  seed: number;
  out: string;
  backend: BackendChoice;
}

export async function sampleFromRun(opts: SampleOptions): Promise<{ content: Buffer | string; step: number }> {
  let info;
  let ckpt;
  try {
    info = readRunInfo(opts.runDir);
    ckpt = checkpointPath(opts.runDir, opts.checkpoint);
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  const checked = validateConfigValue(JSON.parse(readFileSync(join(opts.runDir, 'config.json'), 'utf8')));
  if (!checked.config) throw new InputError(`${join(opts.runDir, 'config.json')}: not a valid resolved config`);
  const config = checked.config;
  const wantsPng = opts.out.toLowerCase().endsWith('.png');
  if (info.dataKind === 'image' && !wantsPng) throw new InputError(`--out must end in .png for image runs (got ${opts.out})`);
  if (info.dataKind !== 'image' && !opts.out.toLowerCase().endsWith('.csv')) throw new InputError(`--out must end in .csv for vector runs (got ${opts.out})`);

  await initBackend(opts.backend);
  const emaDir = join(ckpt.dir, 'generator-ema');
  const generator = await loadLayersModel(existsSync(emaDir) ? emaDir : join(ckpt.dir, 'generator'));
  const latentDim = config.generator.latentDim;
  const rng = new Rng(opts.seed);
  const z = new Float32Array(opts.count * latentDim);
  if (config.generator.latentDistribution === 'normal') rng.fillNormal(z);
  else rng.fillUniform(z, -1, 1);
  const values = tf.tidy(() => (generator.predict(tf.tensor2d(z, [opts.count, latentDim])) as tf.Tensor).dataSync() as Float32Array);
  generator.dispose();
  // The data set gives the inverse normalisation (column statistics for vectors).
  const data = loadDataset(config.data, dirname(info.configPath));
  const shown = data.denormalize(values);
  if (info.dataKind === 'image') {
    const cols = Math.ceil(Math.sqrt(opts.count));
    const rows = Math.ceil(opts.count / cols);
    return { content: imageGridPng(shown, opts.count, info.imageShape!, rows, cols, info.imageShape![0] <= 32 ? 2 : 1), step: ckpt.step };
  }
  const dim = info.dataDim;
  const header = dim === 2 ? 'x,y' : Array.from({ length: dim }, (_, i) => `x${i}`).join(',');
  const lines = [header];
  for (let i = 0; i < opts.count; i++) lines.push(Array.from(shown.subarray(i * dim, (i + 1) * dim), (v) => String(Math.round(v * 1e6) / 1e6)).join(','));
  return { content: `${lines.join('\n')}\n`, step: ckpt.step };
}
