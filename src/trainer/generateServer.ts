/**
 * `gan-studio serve <runDir> --ipc`: a short-lived process that answers `generate` requests from a
 * run's saved generator, so the latent explorer works for finished runs without training.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BackendChoice } from '../config/ganConfig';
import { validateConfigValue } from '../config/validateConfig';
import { readRunInfo } from '../protocol/runFiles';
import { initBackend } from './backend';
import { checkpointPath, loadLayersModel } from './checkpoint';
import { loadDataset } from './data/dataset';
import { InputError } from './inputError';
import type { GenerateFn } from './trainer';

export async function loadGenerator(runDir: string, step: number | undefined, backend: BackendChoice): Promise<{ generate: GenerateFn; step: number; latentDim: number }> {
  let info;
  let ckpt;
  try {
    info = readRunInfo(runDir);
    ckpt = checkpointPath(runDir, step);
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  const checked = validateConfigValue(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')));
  if (!checked.config) throw new InputError(`${join(runDir, 'config.json')}: not a valid resolved config`);
  const config = checked.config;
  await initBackend(backend);
  const emaDir = join(ckpt.dir, 'generator-ema');
  const model = await loadLayersModel(existsSync(emaDir) ? emaDir : join(ckpt.dir, 'generator'));
  const data = loadDataset(config.data, dirname(info.configPath));
  const latentDim = config.generator.latentDim;
  return {
    step: ckpt.step,
    latentDim,
    generate: (z, n) => {
      const out = tf.tidy(() => (model.predict(tf.tensor2d(z, [n, latentDim])) as tf.Tensor).dataSync() as Float32Array);
      return { data: Array.from(data.denormalize(out)), shape: [n, ...(info.imageShape ?? [info.dataDim])] };
    },
  };
}
