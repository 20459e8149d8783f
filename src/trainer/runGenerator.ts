/**
 * A finished run's generator, loaded from one of its checkpoints: what `gan-studio sample` draws
 * from, and what `gan-studio serve <runDir> --ipc` answers the latent explorer with.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BackendChoice, GanConfig } from '../config/ganConfig';
import type { RunInfo } from '../protocol/runFormat';
import { loadRunConfig, readRunInfo } from '../runDir/runReader';
import { initBackend } from './backend';
import { checkpointPath, loadLayersModel } from './checkpoint';
import { loadDataset } from './data/dataset';
import { InputError } from './inputError';
import type { GenerateFn } from './trainer';

export interface RunGenerator {
  info: RunInfo;
  config: GanConfig;
  /** The checkpoint's step. */
  step: number;
  latentDim: number;
  /** Latent vectors → samples in the data's units (pixels 0..255 for images). */
  generate: GenerateFn;
  dispose(): void;
}

/** Loads the generator of `step` (default: the latest checkpoint); the EMA generator when the run kept one. */
export async function loadRunGenerator(runDir: string, step: number | undefined, backend: BackendChoice): Promise<RunGenerator> {
  let info: RunInfo;
  let ckpt: { dir: string; step: number };
  let config: GanConfig;
  try {
    info = readRunInfo(runDir);
    ckpt = checkpointPath(runDir, step);
    config = loadRunConfig(runDir);
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  await initBackend(backend);
  const emaDir = join(ckpt.dir, 'generator-ema');
  const model = await loadLayersModel(existsSync(emaDir) ? emaDir : join(ckpt.dir, 'generator'));
  // The data set gives the inverse normalisation (column statistics for vectors).
  const data = loadDataset(config.data, dirname(info.configPath));
  const latentDim = config.generator.latentDim;
  const sampleShape = info.imageShape ?? [info.dataDim];
  return {
    info,
    config,
    step: ckpt.step,
    latentDim,
    generate: (z, n) => {
      const out = tf.tidy(() => (model.predict(tf.tensor2d(z, [n, latentDim])) as tf.Tensor).dataSync() as Float32Array);
      return { data: Array.from(data.denormalize(out)), shape: [n, ...sampleShape] };
    },
    dispose: () => model.dispose(),
  };
}
