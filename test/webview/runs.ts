/** The real runs the browser tests read: a 2-D ring run and a short MNIST run, made by the trainer (gameRun.ts: one played by hand). */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, realRun, ROOT } from './harness';

export const RUNS_DIR = join(ARTIFACTS, 'runs');

export function ringRun(): Promise<string> {
  return realRun('ring', join(ROOT, 'examples/ring/gan.json'), ['--steps', '300']);
}

/**
 * examples/mnist/gan.json when it exists; until then a small DCGAN config of the same shape, so
 * the test still reads a run the real trainer wrote.
 */
export function mnistRun(): Promise<string> {
  let config = join(ROOT, 'examples/mnist/gan.json');
  if (!existsSync(config)) {
    mkdirSync(ARTIFACTS, { recursive: true });
    config = join(ARTIFACTS, 'mnist-small.gan.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'mnist-small',
        data: { type: 'mnist', limit: 2048 },
        generator: { preset: 'dcgan', latentDim: 32, filters: 16 },
        discriminator: { preset: 'dcgan', filters: 16 },
        training: { batchSize: 32 },
        logging: { metricsEvery: 1, histogramsEvery: 5, samplesEvery: 5, sampleGrid: [6, 6] },
      }),
    );
  }
  return realRun('mnist', config, ['--steps', '30']);
}
