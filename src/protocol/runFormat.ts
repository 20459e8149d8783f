/**
 * The run directory: the durable record of one training run. Every reader (host, webview feed,
 * CLI, tests) goes through these types and names, so the on-disk format is written down once.
 *
 *   <runsDir>/<runId>/
 *     run.json            RunInfo, rewritten atomically on every status change and checkpoint
 *     config.json         the resolved config (defaults filled in)
 *     metrics.jsonl       one MetricRecord per logged step
 *     histograms.jsonl    one HistogramRecord per histogram step
 *     samples.jsonl       one SampleRecord per sample step (index of samples/)
 *     quality.jsonl       one QualityRecord per sample step (vector data)
 *     samples/            step-000100.png (image data) or step-000100.json (SamplePoints2D)
 *     checkpoints/        step-000500/ … and latest.json (CheckpointPointer)
 */

export const RUN_FORMAT_VERSION = 1;

export const RUN_FILES = {
  run: 'run.json',
  config: 'config.json',
  metrics: 'metrics.jsonl',
  histograms: 'histograms.jsonl',
  samples: 'samples.jsonl',
  quality: 'quality.jsonl',
  samplesDir: 'samples',
  checkpointsDir: 'checkpoints',
  latestCheckpoint: 'latest.json',
  trainerLog: 'trainer.log',
} as const;

export type RunStatus = 'running' | 'completed' | 'stopped' | 'failed';
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'completed', 'stopped', 'failed'];

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export type DataKind = 'points2d' | 'vector' | 'image';

export interface RunError {
  /** One line a person can act on. */
  message: string;
  /** What went wrong, for code that reacts to it. */
  kind: 'nan' | 'crash' | 'data' | 'config' | 'killed';
  step?: number;
}

export interface RunInfo {
  formatVersion: number;
  id: string;
  name: string;
  status: RunStatus;
  /** Absolute path of the gan.json the run was started from. */
  configPath: string;
  backend: BackendName;
  seed: number;
  dataKind: DataKind;
  /** [height, width, channels] for image data. */
  imageShape?: [number, number, number];
  /** Dimension of one data vector (2 for points2d, h*w*c for images). */
  dataDim: number;
  /** Last step completed (steps are 1-based; 0 means none yet). */
  step: number;
  totalSteps: number;
  /** Last step saved in a checkpoint, 0 when there is none. */
  checkpointStep: number;
  createdAt: string;
  updatedAt: string;
  endedAt?: string;
  /** Steps at which the run was resumed, in order. */
  resumedAt?: number[];
  /** Wall-clock milliseconds spent training, summed over all sessions of the run. */
  trainingMs: number;
  error?: RunError;
  pid?: number;
}

/** One logged step. Optional fields exist only for some losses or data kinds. */
export interface MetricRecord {
  step: number;
  /** Epoch milliseconds when the step finished. */
  time: number;
  /** Training wall time so far, summed across resumes. */
  wallMs: number;
  dLoss: number;
  gLoss: number;
  /** D's loss on the real batch and on the fake batch (the two terms of dLoss). */
  dLossReal: number;
  dLossFake: number;
  /** Gradient penalty term (wasserstein-gp only), already multiplied by its weight. */
  gradientPenalty?: number;
  /** Mean D output on real and fake data: a probability, or the critic's score for Wasserstein. */
  dReal: number;
  dFake: number;
  /** Share of real and fake samples that D classifies correctly (threshold 0.5, or 0 for a critic). */
  dAccuracy: number;
  gGradNorm: number;
  dGradNorm: number;
  stepMs: number;
  examplesPerSec: number;
}

export const METRIC_KEYS = [
  'dLoss',
  'gLoss',
  'dLossReal',
  'dLossFake',
  'gradientPenalty',
  'dReal',
  'dFake',
  'dAccuracy',
  'gGradNorm',
  'dGradNorm',
  'stepMs',
  'examplesPerSec',
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

/** D's outputs on one real and one fake batch, counted on a fixed bin layout [lo, hi]. */
export interface HistogramRecord {
  step: number;
  lo: number;
  hi: number;
  /** Counts per bin; both arrays have the same length. Values outside [lo, hi] go to the end bins. */
  real: number[];
  fake: number[];
}

/**
 * How good and how varied the samples are, measured on the fixed latent batch at sample steps.
 * All distances are in the data's own units.
 */
export interface QualityRecord {
  step: number;
  /** Sliced Wasserstein distance between generated samples and a fixed real sample. */
  swd: number;
  /** The same distance between two independent real samples: the noise floor of `swd`. */
  swdFloor: number;
  /** Mean pairwise distance within the generated batch, and within a real batch of the same size. */
  diversity: number;
  realDiversity: number;
  /** Mixtures with known modes (ring, grid): modes holding ≥ 1 % of samples within 3σ. */
  modesCovered?: number;
  modes?: number;
  /** Share of samples within 3σ of some mode. */
  highQuality?: number;
  /** MNIST-shaped images: Fréchet classifier distance to real features (see imageMetrics.ts). */
  fcd?: number;
  /** The same distance between two real samples: its noise floor. */
  fcdFloor?: number;
  /** How many generated samples the classifier puts in each class 0–9; empty classes are lost modes. */
  classes?: number[];
  /** k-NN precision (realistic samples) and recall (data covered) in the classifier's feature space. */
  precision?: number;
  recall?: number;
}

export interface SampleRecord {
  step: number;
  /** Path relative to the run directory, e.g. "samples/step-000100.png". */
  file: string;
  kind: 'image-grid' | 'points2d';
  rows: number;
  cols: number;
}

/** The contents of a points2d sample file. */
export interface SamplePoints2D {
  step: number;
  /** Generated points from the fixed latent batch, flat [x0, y0, x1, y1, …]. */
  fake: number[];
  /** A fixed real reference sample, flat like `fake`. */
  real: number[];
  /** D's output on a regular grid over `bounds`, row-major from (xMin, yMin). */
  heatmap: { nx: number; ny: number; values: number[] };
  bounds: { xMin: number; xMax: number; yMin: number; yMax: number };
}

export interface CheckpointPointer {
  step: number;
  /** Directory name inside checkpoints/, e.g. "step-000500". */
  dir: string;
  time: string;
}

/** state.json inside a checkpoint directory. */
export interface CheckpointState {
  formatVersion: number;
  step: number;
  /** State of the trainer's seeded generator, so a resumed run draws the same numbers. */
  rng: number[];
  trainingMs: number;
  /** Names of the optimizer weight files saved beside it. */
  optimizers: { generator: string; discriminator: string };
  /** Generator EMA weights are saved as a third model when enabled. */
  hasEma: boolean;
}

export function stepFileName(step: number, ext: string): string {
  return `step-${String(step).padStart(6, '0')}.${ext}`;
}

export function checkpointDirName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}
