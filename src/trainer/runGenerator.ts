/**
 * A finished run's generator, loaded from one of its checkpoints: what `gan-studio sample` draws
 * from, and what `gan-studio serve <runDir> --ipc` answers the latent explorer with. The map from
 * its outputs to the data's units comes from run.json, so a run does not need its data set (which
 * may have been edited or deleted since) to be sampled.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BackendChoice, GanConfig } from '../config/ganConfig';
import { applyAffine } from '../protocol/generatorExport';
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
  /** Whether this is the EMA generator (the run kept one, and raw was not asked for). */
  ema: boolean;
  /** Latent vectors → samples in the data's units (pixels 0..255 for images). */
  generate: GenerateFn;
  dispose(): void;
}

/**
 * Loads the generator of `step` (default: the latest checkpoint): the EMA generator when the run
 * kept one, unless `raw` asks for the generator as trained.
 */
export async function loadRunGenerator(runDir: string, step: number | undefined, backend: BackendChoice, opts: { raw?: boolean } = {}): Promise<RunGenerator> {
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
  const denormalize = outputMap(info, config);
  await initBackend(backend);
  const emaDir = join(ckpt.dir, 'generator-ema');
  const ema = !opts.raw && existsSync(emaDir);
  const model = await loadLayersModel(ema ? emaDir : join(ckpt.dir, 'generator'));
  const latentDim = config.generator.latentDim;
  const sampleShape = info.output?.shape ?? info.imageShape ?? [info.dataDim];
  return {
    info,
    config,
    step: ckpt.step,
    latentDim,
    ema,
    generate: (z, n) => {
      const out = tf.tidy(() => (model.predict(tf.tensor2d(z, [n, latentDim])) as tf.Tensor).dataSync() as Float32Array);
      return { data: Array.from(denormalize(out)), shape: [n, ...sampleShape] };
    },
    dispose: () => model.dispose(),
  };
}

/**
 * The generator's outputs → the data's units: run.json's map (the Dataset's denormalize as
 * numbers, in float32 like it). Runs made before run.json kept the map fall back to loading their
 * data set for it (column statistics for vectors), which must still be there and unchanged.
 */
export function outputMap(info: RunInfo, config: GanConfig): (out: Float32Array) => Float32Array {
  const map = info.output?.denormalize;
  if (map) return (out) => Float32Array.from(applyAffine(out, map));
  try {
    const data = loadDataset(config.data, dirname(info.configPath));
    return (out) => data.denormalize(out);
  } catch (err) {
    throw new InputError(`the run predates run.json's output map, so its data set gives it, and that cannot be read: ${(err as Error).message}`);
  }
}
