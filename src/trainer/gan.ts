/**
 * One GAN: the two networks, their optimizers, the optional EMA generator, and the one-step
 * trainers. Everything a step allocates is disposed before it returns; the only thing it hands
 * back is a small array of numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { GanConfig, OptimizerConfig } from '../config/ganConfig';
import { buildDiscriminator, buildGenerator, type DataShape } from './models';
import { decisionThreshold, discriminatorLoss, displayedOutput, generatorLoss } from './losses';
import type { Rng } from './rng';
import type { MetricRecord } from '../protocol/runFormat';

/** What one step measures: the loss and D-output fields of a logged MetricRecord. */
export type StepStats = Pick<
  MetricRecord,
  'dLoss' | 'gLoss' | 'dLossReal' | 'dLossFake' | 'gradientPenalty' | 'dReal' | 'dFake' | 'dAccuracy' | 'dGradNorm' | 'gGradNorm'
>;

export interface StepResult {
  stats: StepStats;
  /** D's displayed outputs on the last real and fake batch, when asked for (histograms). */
  outputs?: { real: Float32Array; fake: Float32Array };
}

function makeOptimizer(o: OptimizerConfig): tf.Optimizer {
  switch (o.type) {
    case 'adam':
      return tf.train.adam(o.learningRate, o.beta1, o.beta2);
    case 'rmsprop':
      return tf.train.rmsprop(o.learningRate, 0.9, o.momentum);
    case 'sgd':
      return o.momentum > 0 ? tf.train.momentum(o.learningRate, o.momentum) : tf.train.sgd(o.learningRate);
  }
}

function trainableVars(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))) as tf.Scalar));
}

export class Gan {
  readonly generator: tfl.Sequential;
  readonly discriminator: tfl.Sequential;
  /** Exponential moving average of G's weights, when training.ema > 0. */
  readonly emaGenerator?: tfl.Sequential;
  readonly gOptimizer: tf.Optimizer;
  readonly dOptimizer: tf.Optimizer;
  private readonly gVars: tf.Variable[];
  private readonly dVars: tf.Variable[];

  constructor(
    readonly config: GanConfig,
    readonly data: DataShape,
  ) {
    this.generator = buildGenerator(config.generator, data);
    this.discriminator = buildDiscriminator(config.discriminator, data);
    this.gVars = trainableVars(this.generator);
    this.dVars = trainableVars(this.discriminator);
    this.gOptimizer = makeOptimizer(config.training.generatorOptimizer);
    this.dOptimizer = makeOptimizer(config.training.discriminatorOptimizer);
    if (config.training.ema > 0) {
      this.emaGenerator = buildGenerator(config.generator, data);
      this.emaGenerator.setWeights(this.generator.getWeights());
    }
  }

  get batchShape(): number[] {
    return this.data.imageShape ? [...this.data.imageShape] : [this.data.dim];
  }

  /** Latent vectors for n samples, drawn from the configured distribution. */
  latent(n: number, rng: Rng): Float32Array {
    const out = new Float32Array(n * this.config.generator.latentDim);
    return this.config.generator.latentDistribution === 'normal' ? rng.fillNormal(out) : rng.fillUniform(out, -1, 1);
  }

  /**
   * One generator update after dStepsPerGStep discriminator updates. `nextReal` gives a fresh
   * normalised real batch per D update.
   */
  step(nextReal: () => Float32Array, rng: Rng, wantOutputs: boolean): StepResult {
    const { training, loss } = this.config;
    const B = training.batchSize;
    const latentDim = this.config.generator.latentDim;
    const threshold = decisionThreshold(loss.type);
    let dPacked: tf.Tensor | undefined;
    let outputs: { real: tf.Tensor; fake: tf.Tensor } | undefined;
    for (let k = 0; k < training.dStepsPerGStep; k++) {
      const last = k === training.dStepsPerGStep - 1;
      tf.tidy(() => {
        const real = tf.tensor(nextReal(), [B, ...this.batchShape]);
        const z = tf.tensor2d(this.latent(B, rng), [B, latentDim]);
        const fake = this.generator.apply(z, { training: true }) as tf.Tensor;
        let rOut: tf.Tensor | undefined;
        let fOut: tf.Tensor | undefined;
        let terms: { real: tf.Scalar; fake: tf.Scalar; gp?: tf.Scalar } | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const r = this.discriminator.apply(real, { training: true }) as tf.Tensor;
          const f = this.discriminator.apply(fake, { training: true }) as tf.Tensor;
          const t = discriminatorLoss(loss.type, r, f, training.labelSmoothing);
          let total = tf.add(t.real, t.fake) as tf.Scalar;
          let gp: tf.Scalar | undefined;
          if (loss.type === 'wasserstein-gp') {
            gp = this.gradientPenalty(real, fake, B);
            total = tf.add(total, gp) as tf.Scalar;
          }
          rOut = tf.keep(r);
          fOut = tf.keep(f);
          terms = { real: tf.keep(t.real), fake: tf.keep(t.fake), ...(gp ? { gp: tf.keep(gp) } : {}) };
          return total;
        }, this.dVars);
        this.dOptimizer.applyGradients(grads);
        if (last && rOut && fOut && terms) {
          const rShown = displayedOutput(loss.type, rOut);
          const fShown = displayedOutput(loss.type, fOut);
          const acc = tf.div(
            tf.add(tf.sum(tf.cast(tf.greater(rShown, threshold), 'float32')), tf.sum(tf.cast(tf.lessEqual(fShown, threshold), 'float32'))),
            2 * B,
          );
          // [dLoss, dLossReal, dLossFake, gp, dReal, dFake, dAcc, dGradNorm]
          dPacked = tf.keep(
            tf.stack([value, terms.real, terms.fake, terms.gp ?? tf.scalar(NaN), tf.mean(rShown), tf.mean(fShown), acc, globalNorm(grads)]),
          );
          if (wantOutputs) outputs = { real: tf.keep(tf.reshape(rShown, [-1])), fake: tf.keep(tf.reshape(fShown, [-1])) };
        }
        tf.dispose([rOut, fOut, terms?.real, terms?.fake, terms?.gp]);
      });
    }

    const gPacked = tf.tidy(() => {
      const z = tf.tensor2d(this.latent(B, rng), [B, latentDim]);
      const { value, grads } = tf.variableGrads(() => {
        const f = this.discriminator.apply(this.generator.apply(z, { training: true }), { training: true }) as tf.Tensor;
        return generatorLoss(loss.type, f);
      }, this.gVars);
      this.gOptimizer.applyGradients(grads);
      return tf.stack([value, globalNorm(grads)]);
    });
    if (this.emaGenerator) this.updateEma();

    const d = dPacked!.dataSync();
    const g = gPacked.dataSync();
    const result: StepResult = {
      stats: {
        dLoss: d[0],
        dLossReal: d[1],
        dLossFake: d[2],
        ...(Number.isNaN(d[3]) ? {} : { gradientPenalty: d[3] }),
        dReal: d[4],
        dFake: d[5],
        dAccuracy: d[6],
        dGradNorm: d[7],
        gLoss: g[0],
        gGradNorm: g[1],
      },
    };
    if (outputs) result.outputs = { real: outputs.real.dataSync() as Float32Array, fake: outputs.fake.dataSync() as Float32Array };
    tf.dispose([dPacked!, gPacked, outputs?.real, outputs?.fake]);
    return result;
  }

  /** λ·E[(‖∇D(x̂)‖ − 1)²] on random interpolates x̂ between real and fake samples (WGAN-GP). */
  private gradientPenalty(real: tf.Tensor, fake: tf.Tensor, B: number): tf.Scalar {
    const epsShape = [B, ...this.batchShape.map(() => 1)];
    const eps = tf.randomUniform(epsShape);
    const xHat = tf.add(tf.mul(eps, real), tf.mul(tf.sub(1, eps), fake));
    const gradOf = tf.grad((x: tf.Tensor) => tf.sum(this.discriminator.apply(x, { training: true }) as tf.Tensor));
    const g = gradOf(xHat);
    const axes = g.shape.slice(1).map((_, i) => i + 1);
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(g), axes), 1e-12));
    return tf.mul(tf.mean(tf.square(tf.sub(norm, 1))), this.config.loss.gradientPenalty) as tf.Scalar;
  }

  private updateEma(): void {
    const decay = this.config.training.ema;
    const src = this.generator.weights;
    const dst = this.emaGenerator!.weights;
    tf.tidy(() => {
      src.forEach((w, i) => {
        // Moving statistics of batch norm are copied; trainable weights are averaged.
        const next = w.trainable ? tf.add(tf.mul(dst[i].read(), decay), tf.mul(w.read(), 1 - decay)) : tf.clone(w.read());
        dst[i].write(next);
      });
    });
  }

  /** The generator that samples come from: the EMA one when enabled. */
  get sampler(): tfl.Sequential {
    return this.emaGenerator ?? this.generator;
  }

  /** Generates n samples (normalised, flat) from latent vectors. */
  generate(z: Float32Array, n: number, model: tfl.LayersModel = this.sampler): Float32Array {
    return tf.tidy(() => {
      const out = model.apply(tf.tensor2d(z, [n, this.config.generator.latentDim]), { training: false }) as tf.Tensor;
      return out.dataSync() as Float32Array;
    });
  }

  /** D's displayed output for flat normalised inputs. */
  judge(x: Float32Array, n: number): Float32Array {
    return tf.tidy(() => {
      const out = this.discriminator.apply(tf.tensor(x, [n, ...this.batchShape]), { training: false }) as tf.Tensor;
      return displayedOutput(this.config.loss.type, out).dataSync() as Float32Array;
    });
  }

  /** Whether every weight of both networks is finite: a checkpoint must never store a diverged model. */
  weightsFinite(): boolean {
    const weights = [...this.generator.weights, ...this.discriminator.weights].map((w) => w.read());
    return tf.tidy(() => tf.all(tf.stack(weights.map((w) => tf.all(tf.isFinite(w))))).dataSync()[0] === 1);
  }

  dispose(): void {
    this.generator.dispose();
    this.discriminator.dispose();
    this.emaGenerator?.dispose();
    this.gOptimizer.dispose();
    this.dOptimizer.dispose();
  }
}
