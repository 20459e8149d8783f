/**
 * `gan-generator.json`: what `gan-studio export` (and "Export Generator…") writes beside a
 * generator's model.json, so that code outside GAN Studio can draw samples from it with stock
 * TensorFlow.js: which latent vectors to feed, what comes out, and how to turn the model's
 * outputs into the data's own units.
 *
 *   <out>/
 *     model.json          the generator, TensorFlow.js layers format (tf.loadLayersModel)
 *     weights.bin         the weight files model.json names
 *     gan-generator.json  GeneratorExport
 */
import * as v from 'valibot';
import { count, finite, positive, runId, text } from './fields';
import { affineMap, dataKind, type AffineMap } from './runFormat';

export const GENERATOR_EXPORT_FILE = 'gan-generator.json';
export const GENERATOR_EXPORT_FORMAT = 'gan-studio-generator';
export const GENERATOR_EXPORT_VERSION = 1;

/** Written into every file, so that a reader without this schema knows how to use it. */
export const GENERATOR_EXPORT_NOTE =
  'Feed the model [n, latent.dim] vectors drawn from latent (normal: mean 0, std 1, independent; uniform: each value in [min, max)). ' +
  'Its outputs, flattened row-major per sample (output.shape), become data by data[i] = out[i] * scale[i % scale.length] + offset[i % offset.length]: ' +
  'one element applies to every output (images: pixels 0..255), one per column otherwise; then clamp to [clamp[0], clamp[1]] when clamp is given.';

/** How the trainer draws latent vectors (src/trainer/rng.ts: fillNormal, fillUniform(-1, 1)). */
export const latentSpec = v.variant('distribution', [
  v.object({ dim: positive, distribution: v.literal('normal'), mean: finite, std: finite }),
  v.object({ dim: positive, distribution: v.literal('uniform'), min: finite, max: finite }),
]);
export type LatentSpec = v.InferOutput<typeof latentSpec>;

/** The affine map from the model's outputs to the data's units: the run's own (runFormat.ts). */
export { affineMap, type AffineMap };

export const generatorExport = v.pipe(
  v.object({
    format: v.literal(GENERATOR_EXPORT_FORMAT),
    formatVersion: positive,
    note: text,
    /** The model file, relative to this file. */
    model: text,
    latent: latentSpec,
    output: v.object({
      dataKind,
      /** One sample's shape: [height, width, channels] for images, [dim] for vectors. */
      shape: v.pipe(v.array(positive), v.minLength(1)),
    }),
    denormalize: affineMap,
    source: v.object({
      runId,
      runName: text,
      /** The checkpoint's step. */
      step: count,
      /** Whether the weights are the exponential moving average of the generator's. */
      ema: v.boolean(),
      /** When the export was written (ISO 8601). */
      exportedAt: text,
    }),
  }),
  v.check((g) => {
    const size = g.output.shape.reduce((a, b) => a * b, 1);
    const n = g.denormalize.scale.length;
    return n === 1 || n === g.output.shape[g.output.shape.length - 1] || n === size;
  }, 'denormalize must have one element, or one per output column'),
);
export interface GeneratorExport extends v.InferOutput<typeof generatorExport> {}

/** The map applied to one batch of model outputs, as the note says. */
export function applyAffine(outputs: ArrayLike<number>, map: AffineMap): number[] {
  const { scale, offset, clamp } = map;
  return Array.from(outputs, (x, i) => {
    const y = x * scale[i % scale.length] + offset[i % offset.length];
    return clamp ? Math.min(clamp[1], Math.max(clamp[0], y)) : y;
  });
}
