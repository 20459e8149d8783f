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
import { FusedAdamOptimizer } from './kernels/fusedAdam';
import { Rng } from './rng';
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
  /** A live edit: the settings its shares are computed with (label smoothing, the penalty's weight). */
  setConfig(config: GanConfig): void;
  close(): void;
}

/** Per-layer L2 norms of both networks (the layers of Gan.layerNames), taken at one step. */
export interface LayerNorms {
  gGrad: number[];
  gWeight: number[];
  dGrad: number[];
  dWeight: number[];
}

export interface StepResult {
  stats: StepStats;
  /** D's displayed outputs on the last real and fake batch, when asked for (histograms). */
  outputs?: { real: Float32Array; fake: Float32Array };
  /** Per-layer gradient norms of each network's last update and weight norms after it, when asked for. */
  norms?: LayerNorms;
}

/** What one discriminator update measured (stats unless asked not to). */
export interface DUpdate {
  stats?: Omit<StepStats, 'gLoss' | 'gGradNorm'>;
  outputs?: { real: Float32Array; fake: Float32Array };
  gradNorms?: number[];
}

/** What one generator update measured. */
export interface GUpdate {
  stats: Pick<StepStats, 'gLoss' | 'gGradNorm'>;
  gradNorms?: number[];
}

function makeOptimizer(o: OptimizerConfig): tf.Optimizer {
  switch (o.type) {
    case 'adam':
      return new FusedAdamOptimizer(o.learningRate, o.beta1, o.beta2);
    case 'rmsprop':
      return tf.train.rmsprop(o.learningRate, 0.9, o.momentum);
    case 'sgd':
      return o.momentum > 0 ? tf.train.momentum(o.learningRate, o.momentum) : tf.train.sgd(o.learningRate);
  }
}

/**
 * Sets an optimizer's hyperparameters in place, keeping its slots: its learning rate is the
 * config's times `scale` (the schedule's multiplier). tfjs reads Adam's and RMSProp's as plain
 * fields at each update; SGD and momentum keep the rate as a tensor behind setters.
 */
function retune(opt: tf.Optimizer, o: OptimizerConfig, scale: number): void {
  const fields = opt as unknown as Record<string, unknown> & { setLearningRate?: (lr: number) => void; setMomentum?: (m: number) => void };
  const lr = o.learningRate * scale;
  if (typeof fields.setLearningRate === 'function') fields.setLearningRate(lr);
  else fields.learningRate = lr;
  if (o.type === 'adam') {
    fields.beta1 = o.beta1;
    fields.beta2 = o.beta2;
  }
}

/**
 * The multiplier of both learning rates (training.learningRateSchedule) for the update that follows
 * `done` completed steps of `steps`: 1 until the fraction `decayFrom`, then down to `final` at the
 * last step. A function of the step alone, so a resumed run follows it exactly.
 */
export function learningRateScale(schedule: GanConfig['training']['learningRateSchedule'], done: number, steps: number): number {
  if (schedule.type === 'constant') return 1;
  const progress = Math.min(1, Math.max(0, done / steps));
  if (progress <= schedule.decayFrom) return 1;
  // 0 at decayFrom, 1 at the last step's update (done = steps − 1 is as far as an update starts).
  const t = Math.min(1, (progress - schedule.decayFrom) / Math.max(1e-12, (steps - 1) / steps - schedule.decayFrom));
  const fall = schedule.type === 'linear' ? t : (1 - Math.cos(Math.PI * t)) / 2;
  return 1 - (1 - schedule.final) * fall;
}

function trainableVars(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** ‖t‖² of each tensor, as one 1-D tensor. */
function squaredNorms(tensors: tf.Tensor[]): tf.Tensor1D {
  return tf.stack(tensors.map((t) => tf.sum(tf.square(t)))) as tf.Tensor1D;
}

/**
 * For each trainable variable of a model (in trainableWeights order), the index of its layer among
 * the layers that have trainable weights, and those layers' names ("2 Dense").
 */
function layersOf(model: tfl.LayersModel): { layerOf: number[]; names: string[] } {
  const layerOf: number[] = [];
  const names: string[] = [];
  for (const layer of model.layers) {
    const count = layer.trainableWeights.length;
    if (count === 0) continue;
    names.push(`${names.length + 1} ${layer.getClassName()}`);
    for (let i = 0; i < count; i++) layerOf.push(names.length - 1);
  }
  return { layerOf, names };
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

/** Seed of the throwaway stream the EMA generator's initialisers draw from (any fixed value). */
const EMA_INIT_SEED = 0x5eed;

/** Runs `fn` with Math.random drawing from `rng`, then puts Math.random back. */
function withRandom<T>(rng: Rng, fn: () => T): T {
  const random = Math.random;
  Math.random = () => rng.next();
  try {
    return fn();
  } finally {
    Math.random = random;
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
  private readonly gLayerOf: number[];
  private readonly dLayerOf: number[];
  /** The layers with trainable weights, in order: what the per-layer norms are indexed by. */
  readonly layerNames: { generator: string[]; discriminator: string[] };
  private readonly peers: ReplicaPeer[] = [];
  private settings: GanConfig;
  /** The learning-rate schedule's multiplier now in the optimizers. */
  private lrScale = 1;

  /** `replica`: a worker's copy, which only computes gradients (no EMA generator). */
  constructor(
    config: GanConfig,
    readonly data: DataShape,
    replica = false,
  ) {
    this.settings = config;
    this.generator = buildGenerator(config.generator, data);
    this.discriminator = buildDiscriminator(config.discriminator, data);
    this.gVars = trainableVars(this.generator);
    this.dVars = trainableVars(this.discriminator);
    const g = layersOf(this.generator);
    const d = layersOf(this.discriminator);
    this.gLayerOf = g.layerOf;
    this.dLayerOf = d.layerOf;
    this.layerNames = { generator: g.names, discriminator: d.names };
    this.gOptimizer = makeOptimizer(config.training.generatorOptimizer);
    this.dOptimizer = makeOptimizer(config.training.discriminatorOptimizer);
    if (config.training.ema > 0 && !replica) {
      // Its initial weights are overwritten at once, so the initialisers draw from a stream of
      // their own: with Math.random (the training stream, rng.ts) they would shift every later
      // batch, and EMA on and off at one seed would be different runs, not a paired comparison.
      this.emaGenerator = withRandom(new Rng(EMA_INIT_SEED), () => buildGenerator(config.generator, data));
      this.emaGenerator.setWeights(this.generator.getWeights());
    }
  }

  /** The settings in effect: the run's config with its live edits so far. */
  get config(): GanConfig {
    return this.settings;
  }

  /**
   * Applies a live edit (liveEdits.ts): the new settings take effect from the next update, in the
   * optimizers (learning rates, Adam's betas) and in every replica. Only settings that leave the
   * networks' shapes alone may change.
   */
  setConfig(config: GanConfig): void {
    this.settings = config;
    this.retuneBoth();
    for (const p of this.peers) p.setConfig(config);
  }

  /**
   * Tells the GAN how many training steps are done, before its next update: the learning-rate
   * schedule's multiplier follows.
   */
  setProgress(done: number): void {
    const scale = learningRateScale(this.settings.training.learningRateSchedule, done, this.settings.training.steps);
    if (scale === this.lrScale) return;
    this.lrScale = scale;
    this.retuneBoth();
  }

  /** The learning-rate schedule's multiplier in effect. */
  get learningRateScale(): number {
    return this.lrScale;
  }

  private retuneBoth(): void {
    retune(this.gOptimizer, this.settings.training.generatorOptimizer, this.lrScale);
    retune(this.dOptimizer, this.settings.training.discriminatorOptimizer, this.lrScale);
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
  async step(nextReal: () => Float32Array, rng: Rng, wantOutputs: boolean, wantNorms = false): Promise<StepResult> {
    const k = this.config.training.dStepsPerGStep;
    let d: DUpdate | undefined;
    for (let i = 0; i < k; i++) {
      const last = i === k - 1;
      d = await this.dUpdate(nextReal, rng, last && wantOutputs, last && wantNorms, last);
    }
    const g = await this.gUpdate(rng, wantNorms);
    const result: StepResult = { stats: { ...d!.stats!, ...g.stats } };
    if (d!.outputs) result.outputs = d!.outputs;
    if (wantNorms) result.norms = { dGrad: d!.gradNorms!, dWeight: this.layerWeightNorms('d'), gGrad: g.gradNorms!, gWeight: this.layerWeightNorms('g') };
    return result;
  }

  /**
   * One discriminator update on a fresh real batch and a fresh latent batch (a D step). `wantStats`
   * reads its losses and D's mean outputs back (the last update of a training step, or a manual
   * one); `wantOutputs` D's outputs themselves; `wantNorms` the per-layer gradient norms.
   */
  async dUpdate(nextReal: () => Float32Array, rng: Rng, wantOutputs: boolean, wantNorms: boolean, wantStats = true): Promise<DUpdate> {
    const B = this.config.training.batchSize;
    const latentDim = this.config.generator.latentDim;
    const rowSize = this.batchShape.reduce((a, b) => a * b, 1);
    const { n, slice } = this.split(B);
    const real = nextReal();
    const z = this.latent(B, rng);
    // G runs in training mode to make D's fakes, which moves its batch-norm statistics; a D update
    // leaves all of G as it was, so those are put back (they only matter when sampling).
    const gStats = this.generator.nonTrainableWeights.map((w) => tf.keep(tf.clone(w.read())));
    const remote = this.peers.map((p, i) => p.discriminatorPart(slice(real, rowSize, i + 1), slice(z, latentDim, i + 1), n[i + 1], rng.derive(2 * i), wantOutputs));
    const local = this.discriminatorPart(real.subarray(0, n[0] * rowSize), z.subarray(0, n[0] * latentDim), n[0], wantOutputs);
    const parts = await settle(remote, local);
    const packed = tf.tidy(() => {
      const grads = this.average(local.grads, parts.map((p) => p.grads), n, this.dVars);
      this.dOptimizer.applyGradients(named(this.dVars, grads));
      // [n·dLoss, n·dLossReal, n·dLossFake, n·gp, ΣD(x), ΣD(G(z)), correct calls] summed over shares, then ‖∇‖, then ‖∇‖² per variable.
      if (!wantStats) return undefined;
      return tf.concat([tf.addN([local.sums, ...parts.map((p) => tf.tensor1d(p.sums))]), tf.reshape(globalNorm(grads), [1]), ...(wantNorms ? [squaredNorms(grads)] : [])]);
    });
    const out: DUpdate = {};
    if (wantOutputs && local.outputs) {
      out.outputs = {
        real: concatFloat([local.outputs.real.dataSync() as Float32Array, ...parts.map((p) => p.outputs!.real)]),
        fake: concatFloat([local.outputs.fake.dataSync() as Float32Array, ...parts.map((p) => p.outputs!.fake)]),
      };
    }
    disposePart(local);
    this.generator.nonTrainableWeights.forEach((w, i) => w.write(gStats[i]));
    tf.dispose(gStats);
    this.broadcast('d');
    if (packed) {
      const d = packed.dataSync();
      packed.dispose();
      out.stats = {
        dLoss: d[0] / B,
        dLossReal: d[1] / B,
        dLossFake: d[2] / B,
        ...(Number.isNaN(d[3]) ? {} : { gradientPenalty: d[3] / B }),
        dReal: d[4] / B,
        dFake: d[5] / B,
        dAccuracy: d[6] / (2 * B),
        dGradNorm: d[7],
      };
      if (wantNorms) out.gradNorms = this.byLayer('d', d.subarray(8));
    }
    return out;
  }

  /** One generator update on a fresh latent batch (a G step), then the EMA generator's. */
  async gUpdate(rng: Rng, wantNorms: boolean): Promise<GUpdate> {
    const B = this.config.training.batchSize;
    const latentDim = this.config.generator.latentDim;
    const { n, slice } = this.split(B);
    const z = this.latent(B, rng);
    const remote = this.peers.map((p, i) => p.generatorPart(slice(z, latentDim, i + 1), n[i + 1], rng.derive(2 * i + 1)));
    const local = this.generatorPart(z.subarray(0, n[0] * latentDim), n[0]);
    const parts = await settle(remote, local);
    const gPacked = tf.tidy(() => {
      const grads = this.average(local.grads, parts.map((p) => p.grads), n, this.gVars);
      this.gOptimizer.applyGradients(named(this.gVars, grads));
      return tf.concat([tf.addN([local.sums, ...parts.map((p) => tf.tensor1d(p.sums))]), tf.reshape(globalNorm(grads), [1]), ...(wantNorms ? [squaredNorms(grads)] : [])]);
    });
    disposePart(local);
    this.broadcast('g');
    if (this.emaGenerator) this.updateEma();
    const g = gPacked.dataSync();
    gPacked.dispose();
    return { stats: { gLoss: g[0] / B, gGradNorm: g[1] }, ...(wantNorms ? { gradNorms: this.byLayer('g', g.subarray(2)) } : {}) };
  }

  /** Near-equal shares of a batch of B rows, one per replica, and a slicer for flat row data. */
  private split(B: number): { n: number[]; slice: (a: Float32Array, row: number, i: number) => Float32Array } {
    const n = shares(B, 1 + this.peers.length);
    const offsets = n.map((_, i) => n.slice(0, i).reduce((a, b) => a + b, 0));
    return { n, slice: (a, row, i) => a.slice(offsets[i] * row, (offsets[i] + n[i]) * row) };
  }

  /** Per-layer L2 norms from per-variable squared norms (in the network's variable order). */
  private byLayer(which: 'd' | 'g', squared: ArrayLike<number>): number[] {
    const layerOf = which === 'd' ? this.dLayerOf : this.gLayerOf;
    const sums = new Array<number>(this.layerNames[which === 'd' ? 'discriminator' : 'generator'].length).fill(0);
    for (let i = 0; i < layerOf.length; i++) sums[layerOf[i]] += squared[i];
    return sums.map(Math.sqrt);
  }

  /** Per-layer L2 norms of one network's trainable weights. */
  layerWeightNorms(which: 'd' | 'g'): number[] {
    const vars = which === 'd' ? this.dVars : this.gVars;
    const sq = tf.tidy(() => squaredNorms(vars));
    const values = sq.dataSync();
    sq.dispose();
    return this.byLayer(which, values);
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
        // The penalties: WGAN-GP's on interpolates and R1 on the real batch, summed as one term.
        let gp: tf.Scalar | undefined;
        if (loss.type === 'wasserstein-gp') gp = this.gradientPenalty(real, fake, n);
        if (loss.r1 > 0) gp = gp ? tf.add<tf.Scalar>(gp, this.r1Penalty(real)) : this.r1Penalty(real);
        if (gp) total = tf.add<tf.Scalar>(total, gp);
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

  /** γ/2 · E‖∇ₓD(x)‖² on the real batch, on D's raw output (R1, Mescheder et al. 2018). */
  private r1Penalty(real: tf.Tensor): tf.Scalar {
    const g = tf.grad((x: tf.Tensor) => tf.sum(this.discriminator.apply(x, { training: true }) as tf.Tensor))(real);
    const axes = g.shape.slice(1).map((_, i) => i + 1);
    return tf.mul<tf.Scalar>(tf.mean(tf.sum(tf.square(g), axes)), this.config.loss.r1 / 2);
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

  /**
   * −∂L_G/∂x at each of n flat normalised samples x: the direction G's loss pushes each of its
   * samples (per sample, not divided by the batch), in normalised units. D is applied in
   * inference mode, as for the heatmap.
   */
  generatorPush(x: Float32Array, n: number): Float32Array {
    return tf.tidy(() => {
      const xs = tf.tensor(x, [n, ...this.batchShape]);
      const lossOf = (t: tf.Tensor) => tf.mul<tf.Scalar>(generatorLoss(this.config.loss.type, this.discriminator.apply(t, { training: false }) as tf.Tensor), n);
      return tf.neg(tf.grad(lossOf)(xs)).dataSync() as Float32Array;
    });
  }

  /** ∇ₓ of D's displayed output at each of n flat normalised points, in normalised units. */
  discriminatorGradient(x: Float32Array, n: number): Float32Array {
    return tf.tidy(() => {
      const xs = tf.tensor(x, [n, ...this.batchShape]);
      const shown = (t: tf.Tensor) => tf.sum<tf.Scalar>(displayedOutput(this.config.loss.type, this.discriminator.apply(t, { training: false }) as tf.Tensor));
      return tf.grad(shown)(xs).dataSync() as Float32Array;
    });
  }

  /**
   * Why a checkpoint of the networks now would not be a good one, or undefined when it would:
   * every weight finite, and on the fixed latent batch `z` (n rows) G's samples (the EMA
   * generator's too) and D's outputs on them finite. Finite weights are not enough: weights near
   * 1e30 are finite, and their samples are Infinity.
   */
  unfit(z: Float32Array, n: number): string | undefined {
    const weights = [...this.generator.weights, ...this.discriminator.weights, ...(this.emaGenerator?.weights ?? [])].map((w) => w.read());
    const allFinite = (ts: tf.Tensor[]) => tf.all(tf.stack(ts.map((t) => tf.all(tf.isFinite(t)))));
    // [weights, G's samples, D on them, EMA G's samples, D on those]: 1 where finite.
    const flags = tf.tidy(() => {
      const checks: tf.Tensor[] = [allFinite(weights)];
      for (const g of [this.generator, ...(this.emaGenerator ? [this.emaGenerator] : [])]) {
        const fake = g.apply(tf.tensor2d(z, [n, this.config.generator.latentDim]), { training: false }) as tf.Tensor;
        checks.push(allFinite([fake]), allFinite([this.discriminator.apply(fake, { training: false }) as tf.Tensor]));
      }
      return tf.stack(checks.map((c) => tf.cast(c, 'int32')));
    });
    const ok = Array.from(flags.dataSync());
    flags.dispose();
    if (!ok[0]) return 'a weight became NaN or infinite';
    if (!ok[1]) return "the generator's samples of the fixed latent batch are not finite";
    if (!ok[2]) return "the discriminator's outputs on the generator's samples of the fixed latent batch are not finite";
    if (ok.length > 3 && !ok[3]) return "the averaged (EMA) generator's samples of the fixed latent batch are not finite";
    if (ok.length > 3 && !ok[4]) return "the discriminator's outputs on the averaged (EMA) generator's samples are not finite";
    return undefined;
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
