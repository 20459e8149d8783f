/** The resolved shape of a gan.json: every default filled in. The schema is schemas/gan.schema.json. */

export type ToyDataType = 'ring' | 'grid' | 'spiral' | 'moons' | 'circle';
export const TOY_DATA_TYPES: readonly ToyDataType[] = ['ring', 'grid', 'spiral', 'moons', 'circle'];

export type VectorNormalize = 'none' | 'standardize' | 'minmax';
export type ImageNormalize = 'tanh' | 'unit';

export type DataConfig =
  | { type: ToyDataType; noise: number; scale: number; normalize: VectorNormalize }
  | { type: 'mnist'; digits: number[] | null; split: 'train' | 'test'; limit: number | null; normalize: ImageNormalize }
  | { type: 'imageFolder'; path: string; size: number; channels: 1 | 3; limit: number | null; normalize: ImageNormalize }
  | { type: 'csv'; path: string; header: boolean; columns: (string | number)[] | null; normalize: VectorNormalize };

export type Activation = 'relu' | 'leakyRelu' | 'elu' | 'selu' | 'tanh' | 'sigmoid';
export type LossType = 'non-saturating' | 'minimax' | 'wasserstein-gp' | 'least-squares' | 'hinge';
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface OptimizerConfig {
  type: 'adam' | 'rmsprop' | 'sgd';
  learningRate: number;
  beta1: number;
  beta2: number;
  momentum: number;
}

export interface GeneratorConfig {
  preset: 'mlp' | 'dcgan';
  latentDim: number;
  latentDistribution: 'normal' | 'uniform';
  hidden: number[];
  filters: number;
  activation: Activation;
  batchNorm: boolean;
  dropout: number;
  outputActivation: 'tanh' | 'sigmoid' | 'linear';
}

export interface DiscriminatorConfig {
  preset: 'mlp' | 'dcgan';
  hidden: number[];
  filters: number;
  activation: Activation;
  batchNorm: boolean;
  dropout: number;
  outputActivation: 'sigmoid' | 'linear';
}

export interface GanConfig {
  name: string;
  seed: number;
  backend: BackendChoice;
  data: DataConfig;
  generator: GeneratorConfig;
  discriminator: DiscriminatorConfig;
  loss: { type: LossType; gradientPenalty: number };
  training: {
    steps: number;
    batchSize: number;
    dStepsPerGStep: number;
    labelSmoothing: number;
    generatorOptimizer: OptimizerConfig;
    discriminatorOptimizer: OptimizerConfig;
    ema: number;
    /**
     * Data-parallel replicas: each holds the two networks in its own backend instance (a worker
     * thread) and takes an equal share of every batch; their gradients are averaged. "auto" is
     * resolved when the run starts (trainer/replicas.ts) and the run's config.json keeps the number.
     */
    workers: 'auto' | number;
  };
  logging: {
    metricsEvery: number;
    histogramsEvery: number;
    samplesEvery: number;
    checkpointEvery: number;
    keepCheckpoints: number;
    histogramBins: number;
    sampleGrid: [number, number];
    samplePoints: number;
    heatmapSize: number;
    latentSeed: number;
  };
}

export function isImageData(data: DataConfig): data is Extract<DataConfig, { type: 'mnist' | 'imageFolder' }> {
  return data.type === 'mnist' || data.type === 'imageFolder';
}

export function isToyData(data: DataConfig): data is Extract<DataConfig, { type: ToyDataType }> {
  return (TOY_DATA_TYPES as readonly string[]).includes(data.type);
}

/** Losses whose D output is a probability (sigmoid) rather than an unbounded score. */
export function lossUsesProbability(loss: LossType): boolean {
  return loss === 'non-saturating' || loss === 'minimax';
}
