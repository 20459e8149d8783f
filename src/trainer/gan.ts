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

/** One replica's share of an update: gradients in variable order, sums the step reports, D's outputs. */
export interface Part {
  grads: tf.Tensor[];
  sums: tf.Tensor;
  outputs?: { real: tf.Tensor; fake: tf.Tensor };
}

/** A Part as a worker sends it: the gradients flattened into one array, in variable order. */
export interface RemotePart {
  grads: Float32Array;
  sums: Float32Array;
  outputs?: { real: Float32Array; fake: Float32Array };
}

/** A worker replica as the training process sees it (trainer/replicas.ts). */
export interface ReplicaPeer {
  discriminatorPart(real: Float32Array, z: Float32Array, n: number, seed: number, wantOutputs: boolean): Promise<RemotePart>;
  generatorPart(z: Float32Array, n: number, seed: number): Promise<RemotePart>;
  setWeights(which: 'd' | 'g', flat: Float32Array): void;
  close(): void;
}

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

function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))) as tf.Scalar));
}

function named(vars: tf.Variable[], grads: tf.Tensor[]): tf.NamedTensorMap {
  return Object.fromEntries(vars.map((v, i) => [v.name, grads[i]]));
}

/**
 * Tensors' values as one flat array, in order. Copied one by one: tfjs-wasm's Concat took about
 * 200 ms for G's 259k weights, which ate the whole gain of a second worker.
 */
export function flatten(tensors: tf.Tensor[]): Float32Array {
  const out = new Float32Array(tensors.reduce((a, t) => a + t.size, 0));
  let at = 0;
  for (const t of tensors) {
    out.set(t.dataSync(), at);
    at += t.size;
  }
  return out;
}

/** A flat array cut back into tensors shaped like `vars` (the inverse of flatten). */
function unflatten(flat: Float32Array, vars: tf.Variable[]): tf.Tensor[] {
  let at = 0;
  return vars.map((v) => {
    const size = v.size;
    const t = tf.tensor(flat.subarray(at, at + size), v.shape);
    at += size;
    return t;
  });
}

function concatFloat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Rows of a batch of B per replica: near-equal shares, the first ones one larger. */
export function shares(B: number, replicas: number): number[] {
  const r = Math.max(1, Math.min(replicas, B));
  return Array.from({ length: replicas }, (_, i) => (i < r ? Math.floor(B / r) + (i < B % r ? 1 : 0) : 0));
}

export function disposePart(p: Part): void {
  tf.dispose([...p.grads, p.sums, ...(p.outputs ? [p.outputs.real, p.outputs.fake] : [])]);
}

/** tf.tidy for a function that returns a Part: its tensors survive, everything else is freed. */
function tidyPart(fn: () => Part): Part {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as Part;
}

/**
 * Waits for the workers' shares; when one fails, the local share's tensors are freed before the
 * error goes on, so a failed step leaks nothing.
 */
async function settle<T>(remote: Promise<T>[], local: Part): Promise<T[]> {
  try {
    return await Promise.all(remote);
  } catch (err) {
    disposePart(local);
    throw err;
  }
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
  private readonly peers: ReplicaPeer[] = [];

  /** `replica`: a worker's copy, which only computes gradients (no EMA generator). */
  constructor(
    readonly config: GanConfig,
    readonly data: DataShape,
    replica = false,
  ) {
    this.generator = buildGenerator(config.generator, data);
    this.discriminator = buildDiscriminator(config.discriminator, data);
    this.gVars = trainableVars(this.generator);
    this.dVars = trainableVars(this.discriminator);
    this.gOptimizer = makeOptimizer(config.training.generatorOptimizer);
    this.dOptimizer = makeOptimizer(config.training.discriminatorOptimizer);
    if (config.training.ema > 0 && !replica) {
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
   * normalised real batch per D update. With replicas (startReplicas), each batch is split into
   * near-equal shares, one per replica; this process computes the first share's gradients while
   * the workers compute theirs, and the averaged gradients make one update here, whose weights
   * are then sent to the workers. Random draws happen here in the same order either way; each
   * worker gets a seed per share, derived from this generator's state without drawing from it, for
   * what its networks draw themselves (dropout masks, the penalty's mix).
   */
  async step(nextReal: () => Float32Array, rng: Rng, wantOutputs: boolean): Promise<StepResult> {
    const { training } = this.config;
    const B = training.batchSize;
    const latentDim = this.config.generator.latentDim;
    const rowSize = this.batchShape.reduce((a, b) => a * b, 1);
    const n = shares(B, 1 + this.peers.length);
    const offsets = n.map((_, i) => n.slice(0, i).reduce((a, b) => a + b, 0));
    const slice = (a: Float32Array, row: number, i: number) => a.slice(offsets[i] * row, (offsets[i] + n[i]) * row);
    let dPacked: tf.Tensor | undefined;
    let outputs: { real: Float32Array; fake: Float32Array } | undefined;

    for (let k = 0; k < training.dStepsPerGStep; k++) {
      const last = k === training.dStepsPerGStep - 1;
      const real = nextReal();
      const z = this.latent(B, rng);
      const remote = this.peers.map((p, i) => p.discriminatorPart(slice(real, rowSize, i + 1), slice(z, latentDim, i + 1), n[i + 1], rng.derive(2 * i), last && wantOutputs));
      const local = this.discriminatorPart(real.subarray(0, n[0] * rowSize), z.subarray(0, n[0] * latentDim), n[0], last && wantOutputs);
      const parts = await settle(remote, local);
      const packed = tf.tidy(() => {
        const grads = this.average(local.grads, parts.map((p) => p.grads), n, this.dVars);
        this.dOptimizer.applyGradients(named(this.dVars, grads));
        // [n·dLoss, n·dLossReal, n·dLossFake, n·gp, ΣD(x), ΣD(G(z)), correct calls] summed over shares, then ‖∇‖.
        return last ? tf.concat([tf.addN([local.sums, ...parts.map((p) => tf.tensor1d(p.sums))]), tf.reshape(globalNorm(grads), [1])]) : undefined;
      });
      if (packed) dPacked = packed;
      if (last && wantOutputs && local.outputs) {
        outputs = {
          real: concatFloat([local.outputs.real.dataSync() as Float32Array, ...parts.map((p) => p.outputs!.real)]),
          fake: concatFloat([local.outputs.fake.dataSync() as Float32Array, ...parts.map((p) => p.outputs!.fake)]),
        };
      }
      disposePart(local);
      this.broadcast('d');
    }

    const z = this.latent(B, rng);
    const remote = this.peers.map((p, i) => p.generatorPart(slice(z, latentDim, i + 1), n[i + 1], rng.derive(2 * i + 1)));
    const local = this.generatorPart(z.subarray(0, n[0] * latentDim), n[0]);
    const parts = await settle(remote, local);
    const gPacked = tf.tidy(() => {
      const grads = this.average(local.grads, parts.map((p) => p.grads), n, this.gVars);
      this.gOptimizer.applyGradients(named(this.gVars, grads));
      return tf.concat([tf.addN([local.sums, ...parts.map((p) => tf.tensor1d(p.sums))]), tf.reshape(globalNorm(grads), [1])]);
    });
    disposePart(local);
    this.broadcast('g');
    if (this.emaGenerator) this.updateEma();

    const d = dPacked!.dataSync();
    const g = gPacked.dataSync();
    const result: StepResult = {
      stats: {
        dLoss: d[0] / B,
        dLossReal: d[1] / B,
        dLossFake: d[2] / B,
        ...(Number.isNaN(d[3]) ? {} : { gradientPenalty: d[3] / B }),
        dReal: d[4] / B,
        dFake: d[5] / B,
        dAccuracy: d[6] / (2 * B),
        dGradNorm: d[7],
        gLoss: g[0] / B,
        gGradNorm: g[1],
      },
    };
    if (outputs) result.outputs = outputs;
    tf.dispose([dPacked!, gPacked]);
    return result;
  }

  /**
   * D's gradients on one share of a D update (not applied), in dVars order, and the share's sums:
   * [n·loss, n·loss on real, n·loss on fake, n·penalty (NaN without), ΣD(x), ΣD(G(z)), correct
   * calls], with D's displayed outputs when asked. Every returned tensor belongs to the caller.
   */
  discriminatorPart(realRows: Float32Array, zRows: Float32Array, n: number, wantOutputs: boolean): Part {
    const { training, loss } = this.config;
    return tidyPart(() => {
      const real = tf.tensor(realRows, [n, ...this.batchShape]);
      const z = tf.tensor2d(zRows, [n, this.config.generator.latentDim]);
      const fake = this.generator.apply(z, { training: true }) as tf.Tensor;
      let rOut: tf.Tensor | undefined;
      let fOut: tf.Tensor | undefined;
      let terms: { real: tf.Scalar; fake: tf.Scalar; gp?: tf.Scalar } | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const r = this.discriminator.apply(real, { training: true }) as tf.Tensor;
        const f = this.discriminator.apply(fake, { training: true }) as tf.Tensor;
        const t = discriminatorLoss(loss.type, r, f, training.labelSmoothing);
        let total = tf.add<tf.Scalar>(t.real, t.fake);
        let gp: tf.Scalar | undefined;
        if (loss.type === 'wasserstein-gp') {
          gp = this.gradientPenalty(real, fake, n);
          total = tf.add<tf.Scalar>(total, gp);
        }
        rOut = tf.keep(r);
        fOut = tf.keep(f);
        terms = { real: tf.keep(t.real), fake: tf.keep(t.fake), ...(gp ? { gp: tf.keep(gp) } : {}) };
        return total;
      }, this.dVars);
      const threshold = decisionThreshold(loss.type);
      const rShown = displayedOutput(loss.type, rOut!);
      const fShown = displayedOutput(loss.type, fOut!);
      const correct = tf.add(tf.sum(tf.cast(tf.greater(rShown, threshold), 'float32')), tf.sum(tf.cast(tf.lessEqual(fShown, threshold), 'float32')));
      const sums = tf.stack([
        tf.mul(value, n),
        tf.mul(terms!.real, n),
        tf.mul(terms!.fake, n),
        terms!.gp ? tf.mul(terms!.gp, n) : tf.scalar(NaN),
        tf.sum(rShown),
        tf.sum(fShown),
        correct,
      ]);
      const out: Part = { grads: this.dVars.map((v) => grads[v.name]), sums };
      if (wantOutputs) out.outputs = { real: tf.reshape(rShown, [-1]), fake: tf.reshape(fShown, [-1]) };
      tf.dispose([rOut, fOut, terms?.real, terms?.fake, terms?.gp]);
      return out;
    });
  }

  /** G's gradients on one share of a G update (not applied), in gVars order; sums: [n·gLoss]. */
  generatorPart(zRows: Float32Array, n: number): Part {
    return tidyPart(() => {
      const z = tf.tensor2d(zRows, [n, this.config.generator.latentDim]);
      const { value, grads } = tf.variableGrads(() => {
        const f = this.discriminator.apply(this.generator.apply(z, { training: true }), { training: true }) as tf.Tensor;
        return generatorLoss(this.config.loss.type, f);
      }, this.gVars);
      return { grads: this.gVars.map((v) => grads[v.name]), sums: tf.reshape(tf.mul(value, n), [1]) };
    });
  }

  /** The share-weighted mean of the replicas' gradients, this process's share first (a fixed order). */
  private average(local: tf.Tensor[], remote: Float32Array[], n: number[], vars: tf.Variable[]): tf.Tensor[] {
    if (remote.length === 0) return local;
    const B = n.reduce((a, b) => a + b, 0);
    const others = remote.map((flat) => unflatten(flat, vars));
    return local.map((g, i) => tf.addN([tf.mul(g, n[0] / B), ...others.map((o, j) => tf.mul(o[i], n[j + 1] / B))]));
  }

  /** Sends one network's updated weights to every worker (in order before its next request). */
  private broadcast(which: 'd' | 'g'): void {
    if (this.peers.length === 0) return;
    const flat = flatten(which === 'd' ? this.dVars : this.gVars);
    for (const p of this.peers) p.setWeights(which, flat);
  }

  /** Replaces the trainable weights of one network with a flat copy (a replica's side of broadcast). */
  setFlatWeights(which: 'd' | 'g', flat: Float32Array): void {
    const vars = which === 'd' ? this.dVars : this.gVars;
    tf.tidy(() => unflatten(flat, vars).forEach((t, i) => vars[i].assign(t)));
  }

  /** The trainable weights of one network as one flat array, in variable order. */
  flatWeights(which: 'd' | 'g'): Float32Array {
    return flatten(which === 'd' ? this.dVars : this.gVars);
  }

  /**
   * Starts `count` worker replicas (trainer/replicas.ts) and gives them this GAN's weights. After
   * this, step() splits every batch between this process and them.
   */
  async startReplicas(count: number, start: (index: number) => Promise<ReplicaPeer>): Promise<void> {
    const peers = await Promise.all(Array.from({ length: count }, (_, i) => start(i + 1)));
    this.peers.push(...peers);
    this.broadcast('d');
    this.broadcast('g');
  }

  /** How many replicas train: this process and its workers. */
  get replicas(): number {
    return 1 + this.peers.length;
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
    return tf.mul<tf.Scalar>(tf.mean(tf.square(tf.sub(norm, 1))), this.config.loss.gradientPenalty);
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
    for (const p of this.peers.splice(0)) p.close();
    this.generator.dispose();
    this.discriminator.dispose();
    this.emaGenerator?.dispose();
    this.gOptimizer.dispose();
    this.dOptimizer.dispose();
  }
}
