/**
 * The run directory: the durable record of one training run. Every reader (host, webview feed,
 * CLI, tests) goes through these schemas and names, so the on-disk format is written down once.
 * Reading and writing the files is src/runDir/'s job; this file only says what they hold.
 *
 *   <runsDir>/<runId>/
 *     run.json            RunInfo, rewritten atomically on every status change and checkpoint
 *     config.json         the resolved config (defaults filled in), itself a valid gan.json
 *     metrics.jsonl       one MetricRecord per logged step
 *     histograms.jsonl    one HistogramRecord per histogram step
 *     samples.jsonl       one SampleRecord per sample step (index of samples/)
 *     quality.jsonl       one QualityRecord per sample step
 *     samples/            step-000100.png (image data) or step-000100.json (SamplePoints2D)
 *     checkpoints/        step-000500/ … and latest.json (CheckpointPointer)
 *     tb/                 TensorBoard event files: the same logs, for `tensorboard --logdir`
 */
import * as v from 'valibot';
import { count, finite, measure, positive, text } from './fields';

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
  /** TensorBoard event files, events.out.tfevents.* (src/runDir/tensorboard/). */
  tbDir: 'tb',
  /** What happened to the run besides training: live edits, pauses, manual steps (events.jsonl). */
  events: 'events.jsonl',
} as const;

export const RUN_STATUSES = ['running', 'completed', 'stopped', 'failed'] as const;
export const runStatus = v.picklist(RUN_STATUSES);
export type RunStatus = v.InferOutput<typeof runStatus>;

export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export const backendName = v.picklist(BACKEND_NAMES);
export type BackendName = v.InferOutput<typeof backendName>;

export const dataKind = v.picklist(['points2d', 'vector', 'image']);
export type DataKind = v.InferOutput<typeof dataKind>;

/** How the trainer chose its backend (src/trainer/backend.ts). */
export const backendDetail = v.object({
  /** The folder @tensorflow/tfjs-node was loaded from, when the backend is tensorflow. */
  nativeFrom: v.optional(text),
  /** Better backends that were not used, best first, each with its reason. */
  skipped: v.array(v.object({ backend: backendName, reason: text })),
});
export interface BackendDetail extends v.InferOutput<typeof backendDetail> {}

export const runError = v.object({
  /** One line a person can act on. */
  message: text,
  /** What went wrong, for code that reacts to it ('io': a file of the run could not be written). */
  kind: v.picklist(['nan', 'crash', 'data', 'config', 'killed', 'io']),
  step: v.optional(count),
});
export interface RunError extends v.InferOutput<typeof runError> {}

/** The affine map from a generator's outputs to the data's units (Dataset.affine() in the trainer). */
export const affineMap = v.pipe(
  v.object({
    scale: v.pipe(v.array(finite), v.minLength(1)),
    offset: v.pipe(v.array(finite), v.minLength(1)),
    /** Bounds of the data's units, applied after the map (pixels: [0, 255]). */
    clamp: v.optional(v.tuple([finite, finite])),
  }),
  v.check((a) => a.scale.length === a.offset.length, 'scale and offset must have the same length'),
);
export interface AffineMap extends v.InferOutput<typeof affineMap> {}

/**
 * What sampling from the run needs besides its checkpoints, fixed when the run was created: one
 * sample's shape ([height, width, channels] for images, [dim] for vectors) and the affine map from
 * the generator's outputs to the data's units, value i of a sample → value · scale[i % n] +
 * offset[i % n], then into clamp (the same map as gan-generator.json's `denormalize`).
 */
export const runOutput = v.object({
  shape: v.pipe(v.array(positive), v.minLength(1)),
  denormalize: affineMap,
});
export interface RunOutput extends v.InferOutput<typeof runOutput> {}

export const runInfo = v.object({
  formatVersion: positive,
  id: text,
  name: text,
  status: runStatus,
  /** Absolute path of the gan.json the run was started from. */
  configPath: text,
  backend: backendName,
  /** Why this backend: where the native one came from, or why each better one was passed over. */
  backendDetail: v.optional(backendDetail),
  seed: count,
  dataKind,
  /** [height, width, channels] for image data. */
  imageShape: v.optional(v.tuple([positive, positive, positive])),
  /** Dimension of one data vector (2 for points2d, h*w*c for images). */
  dataDim: positive,
  /**
   * The output shape and the map to data units, so that sampling, serving and exporting a run
   * do not read its data set (which may have changed or gone since). Absent in older runs.
   */
  output: v.optional(runOutput),
  /** Last step completed (steps are 1-based; 0 means none yet). */
  step: count,
  totalSteps: count,
  /** Last step saved in a checkpoint, 0 when there is none. */
  checkpointStep: v.optional(count, 0),
  createdAt: text,
  updatedAt: text,
  endedAt: v.optional(text),
  /** Steps at which the run was resumed, in order. */
  resumedAt: v.optional(v.array(count)),
  /** Wall-clock milliseconds spent training, summed over all sessions of the run. */
  trainingMs: v.optional(finite, 0),
  /**
   * The trainer's speed estimate (src/analysis/progress.ts), rewritten with the step: what the
   * status bar, the dashboard and the terminal all show. Absent before the first estimate.
   */
  stepsPerSec: v.optional(finite),
  /** Seconds left at that speed, while the run trains. */
  etaSec: v.optional(finite),
  error: v.optional(runError),
  /** The trainer process, while it trains. */
  pid: v.optional(positive),
  /** A fork: the run and checkpoint step it continues from (its config.json is the parent's effective config there). */
  parent: v.optional(v.object({ runId: text, runDir: text, step: count })),
  /** The layers of each network that have weights, in order, as the per-layer norms name them ("1 dense"). */
  layers: v.optional(v.object({ generator: v.array(text), discriminator: v.array(text) })),
});
export interface RunInfo extends v.InferOutput<typeof runInfo> {}

/** The measured fields of a MetricRecord, in chart order. */
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

/** One logged step. Measures are NaN when they were not finite (see fields.ts). */
export const metricRecord = v.object({
  step: count,
  /** Epoch milliseconds when the step finished. */
  time: finite,
  /** Training wall time so far, summed across resumes. */
  wallMs: v.optional(finite, 0),
  dLoss: measure,
  gLoss: measure,
  /** D's loss on the real batch and on the fake batch (the two terms of dLoss). */
  dLossReal: measure,
  dLossFake: measure,
  /** The penalty term of D's loss (wasserstein-gp's and R1's, summed), already multiplied by its weight. */
  gradientPenalty: v.optional(measure),
  /** Mean D output on real and fake data: a probability, or the critic's score for Wasserstein. */
  dReal: measure,
  dFake: measure,
  /** Share of real and fake samples that D classifies correctly (threshold 0.5, or 0 for a critic). */
  dAccuracy: measure,
  gGradNorm: measure,
  dGradNorm: measure,
  stepMs: measure,
  examplesPerSec: measure,
  /**
   * Per-layer L2 norms (one per entry of run.json `layers`) of the gradients each network's last
   * update applied, and of its weights after the step.
   */
  gLayerGradNorms: v.optional(v.array(measure)),
  dLayerGradNorms: v.optional(v.array(measure)),
  gLayerWeightNorms: v.optional(v.array(measure)),
  dLayerWeightNorms: v.optional(v.array(measure)),
});
export interface MetricRecord extends v.InferOutput<typeof metricRecord> {}

const bins = v.array(count);

/** D's outputs on one real and one fake batch, counted on a fixed bin layout [lo, hi]. */
export const histogramRecord = v.pipe(
  v.object({
    step: count,
    lo: finite,
    hi: finite,
    /** Counts per bin; both arrays have the same length. Values outside [lo, hi] go to the end bins. */
    real: bins,
    fake: bins,
    /** Set (the event's seq) when a manual D or G step drew it: D's outputs on fixed batches, not training's. */
    manual: v.optional(count),
  }),
  v.check((h) => h.hi > h.lo, 'expected lo<hi'),
  v.check((h) => h.real.length > 0 && h.real.length === h.fake.length, 'real and fake must have the same number of bins'),
);
export interface HistogramRecord extends v.InferOutput<typeof histogramRecord> {}

/**
 * How good and how varied the samples are, measured on the fixed latent batch at sample steps.
 * All distances are in the data's own units.
 */
export const qualityRecord = v.object({
  step: count,
  /** Sliced Wasserstein distance between generated samples and a fixed real sample. */
  swd: measure,
  /** The same distance between two independent real samples: the noise floor of `swd`. */
  swdFloor: measure,
  /** Mean pairwise distance within the generated batch, and within a real batch of the same size. */
  diversity: measure,
  realDiversity: measure,
  /** Mixtures with known modes (ring, grid): modes holding ≥ 1 % of samples within 3σ. */
  modesCovered: v.optional(count),
  modes: v.optional(count),
  /** Share of samples within 3σ of some mode. */
  highQuality: v.optional(measure),
  /** MNIST-shaped images: Fréchet classifier distance to real features (see imageMetrics.ts). */
  fcd: v.optional(measure),
  /** The same distance between two real samples: its noise floor. */
  fcdFloor: v.optional(measure),
  /** How many generated samples the classifier puts in each class 0–9; empty classes are lost modes. */
  classes: v.optional(v.array(count)),
  /** k-NN precision (realistic samples) and recall (data covered) in the classifier's feature space. */
  precision: v.optional(measure),
  recall: v.optional(measure),
});
export interface QualityRecord extends v.InferOutput<typeof qualityRecord> {}

const sampleFields = {
  step: count,
  /** Path relative to the run directory, e.g. "samples/step-000100.png". */
  file: text,
  kind: v.picklist(['image-grid', 'points2d']),
  rows: positive,
  cols: positive,
  /** Set (the event's seq) when a manual D or G step drew it rather than a training step. */
  manual: v.optional(count),
};
export const sampleRecord = v.object(sampleFields);
export interface SampleRecord extends v.InferOutput<typeof sampleRecord> {}

/** A sample record with a URL the webview can load (asWebviewUri in VS Code). */
export const sampleView = v.object({ ...sampleFields, src: text });
export interface SampleView extends v.InferOutput<typeof sampleView> {}

const flatPoints = v.pipe(
  v.array(measure),
  v.check((a) => a.length % 2 === 0, 'expected a flat [x0, y0, x1, y1, …] array'),
);

/** The contents of a points2d sample file. */
export const samplePoints2D = v.pipe(
  v.object({
    step: count,
    /** Generated points from the fixed latent batch, flat [x0, y0, x1, y1, …]. */
    fake: flatPoints,
    /** A fixed real reference sample, flat like `fake`. */
    real: flatPoints,
    /** D's output on a regular grid over `bounds`, row-major from (xMin, yMin). */
    heatmap: v.object({ nx: count, ny: count, values: v.array(measure) }),
    bounds: v.object({ xMin: finite, xMax: finite, yMin: finite, yMax: finite }),
    /**
     * Where G's loss pushes each generated point: −∂L_G/∂x in data units, flat like `fake` (one
     * vector per point). Measured at sample steps and after manual steps; absent in older runs.
     */
    push: v.optional(flatPoints),
    /** ∇ₓ of D's displayed output on a coarse regular grid over `bounds`, row-major, flat [dx, dy, …]. */
    field: v.optional(v.object({ nx: count, ny: count, values: flatPoints })),
    /** Set when a manual D or G step (event `seq`) produced this picture rather than a training step. */
    manual: v.optional(v.object({ seq: count, kind: v.picklist(['dStep', 'gStep']) })),
  }),
  v.check((p) => p.heatmap.values.length === p.heatmap.nx * p.heatmap.ny, 'the heatmap must hold nx × ny values'),
  v.check((p) => p.push === undefined || p.push.length === p.fake.length, 'push must hold one vector per generated point'),
  v.check((p) => p.field === undefined || p.field.values.length === 2 * p.field.nx * p.field.ny, 'the field must hold nx × ny vectors'),
);
export interface SamplePoints2D extends v.InferOutput<typeof samplePoints2D> {}

export const checkpointPointer = v.object({
  step: count,
  /** Directory name inside checkpoints/, e.g. "step-000500". */
  dir: v.pipe(v.string(), v.regex(/^step-\d+$/, 'expected a checkpoint folder name')),
  time: text,
});
export interface CheckpointPointer extends v.InferOutput<typeof checkpointPointer> {}

/** state.json inside a checkpoint directory. */
export const checkpointState = v.object({
  formatVersion: positive,
  step: count,
  /**
   * State of the trainer's seeded generator, so a resumed run draws the same numbers: four words
   * and the spare normal deviate, NaN (null in the file) when there is none.
   */
  rng: v.array(measure),
  trainingMs: finite,
  /** Names of the optimizer weight files saved beside it. */
  optimizers: v.object({ generator: text, discriminator: text }),
  /** Generator EMA weights are saved as a third model when enabled. */
  hasEma: v.boolean(),
  /** How many lines of events.jsonl had been applied: a resume replays the rest at their steps. */
  events: v.optional(count, 0),
});
export interface CheckpointState extends v.InferOutput<typeof checkpointState> {}

export function stepFileName(step: number, ext: string): string {
  return `step-${String(step).padStart(6, '0')}.${ext}`;
}

export function checkpointDirName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

/**
 * The settings a run can change while it trains or is paused (and a fork can start with): JSON
 * pointers into the config. Anything else shapes the networks or the data, which a checkpoint
 * fixes.
 */
export const EDITABLE_POINTERS = [
  '/training/generatorOptimizer/learningRate',
  '/training/discriminatorOptimizer/learningRate',
  '/training/generatorOptimizer/beta1',
  '/training/generatorOptimizer/beta2',
  '/training/discriminatorOptimizer/beta1',
  '/training/discriminatorOptimizer/beta2',
  '/training/dStepsPerGStep',
  '/training/labelSmoothing',
  '/loss/gradientPenalty',
  '/loss/r1',
] as const;
export const editablePointer = v.picklist(EDITABLE_POINTERS);
export type EditablePointer = v.InferOutput<typeof editablePointer>;

/** Who asked: the dashboard, a command (palette, status bar, keys), the CLI, or a fork's --set. */
export const eventSource = v.picklist(['dashboard', 'command', 'cli', 'fork']);
export type EventSource = v.InferOutput<typeof eventSource>;

const eventFields = {
  /** Position in events.jsonl, from 0: the order events are applied in. */
  seq: count,
  /** Training steps completed when it happened: it applies before step `step + 1`. */
  step: count,
  /** Epoch milliseconds. */
  time: finite,
  source: eventSource,
};

/**
 * One line of events.jsonl. An edit changes one setting from then on; a pause and a continue only
 * mark time; a manual D step (dStep) or G step (gStep) is one update of one network between
 * training steps, with what it measured; `step` is a training step taken by hand while paused
 * (the step numbered `step + 1`).
 */
export const runEvent = v.variant('kind', [
  v.object({ kind: v.literal('edit'), ...eventFields, pointer: editablePointer, old: finite, value: finite }),
  v.object({ kind: v.picklist(['pause', 'continue', 'step']), ...eventFields }),
  v.object({ kind: v.literal('dStep'), ...eventFields, dLoss: measure, dReal: measure, dFake: measure }),
  v.object({ kind: v.literal('gStep'), ...eventFields, gLoss: measure }),
]);
export type RunEvent = v.InferOutput<typeof runEvent>;
