/**
 * The training loop: gan.json (or a run to resume) → a run directory. The same code serves the
 * CLI and the process the extension forks; both just consume the emitted protocol messages.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SpeedMeter } from '../analysis/progress';
import {
  formatProblem,
  formatProblems,
  locateProblems,
  sizeProblems,
  trialConfig,
  validateConfigText,
  validateConfigValue,
  type ConfigProblem,
  type FileKind,
  type ValidateOptions,
  type ValidationResult,
} from '../config/validateConfig';
import { withValueAt } from '../config/pointers';
import { quote } from '../config/quote';
import { describeOverrides, type Overrides } from '../analysis/sweepPlan';
import { isImageData, lossUsesProbability, type BackendChoice, type GanConfig, type GanJson } from '../config/ganConfig';
import { loadRunConfig, processAlive, readEvents, readRunInfo } from '../runDir/runReader';
import { EditError, applyEdit, effectiveConfig } from '../analysis/liveEdits';
import type { ControlCommand, ManualKind, TrainerControl } from './control';
import {
  RUN_FILES,
  stepFileName,
  type HistogramRecord,
  type MetricRecord,
  type QualityRecord,
  type EventSource,
  type RunEvent,
  type RunStatus,
  type SamplePoints2D,
  type SampleRecord,
} from '../protocol/runFormat';
import type { TrainerToHost } from '../protocol/trainerProtocol';
import { backendDetail, initBackend } from './backend';
import { checkpointPath, cleanStaleCheckpoints, loadCheckpoint, saveCheckpoint } from './checkpoint';
import { loadDataset, DataError, type Dataset } from './data/dataset';
import { fileKindAt, readConfigFile } from './data/safeFiles';
import { Gan, shares, type LayerNorms, type StepResult } from './gan';
import { WorkerReplica, resolveWorkers } from './replicas';
import { Rng, installAsMathRandom } from './rng';
import { RunWriter } from '../runDir/runWriter';
import { toRunIoError, type RunIoError } from '../runDir/durableFiles';
import { meanPairwiseDistance, modeCoverage, randomDirections, slicedWasserstein } from './quality';
import { classHistogram, frechetDistance, loadClassifier, precisionRecall, type Classifier } from './imageMetrics';
import { boundsOf, criticRange, histogram, imageGridPng, planeGrid, pointsPng, roundPoints } from './samples';

import { InputError } from './inputError';
export { InputError };

export interface TrainOptions {
  /** gan.json to start a new run from (ignored when resuming). */
  configPath?: string;
  /** A run directory to continue from its latest checkpoint. */
  resumeDir?: string;
  runsDir: string;
  /** Values set on top of the gan.json: JSON pointer → value (a sweep's trial, --set). */
  overrides?: Overrides;
  /** The run's folder name in runsDir, instead of <name>-<date>-<time> (a sweep's trial). */
  runId?: string;
  /** Overrides training.steps (the new total when resuming). */
  steps?: number;
  backend?: BackendChoice;
  wasmDir?: string;
  emit: (msg: TrainerToHost) => void;
  shouldStop: () => boolean;
  /** Receives a function that generates from the live generator (the latent explorer). */
  onGenerator?: (generate: GenerateFn) => void;
  /** Pause, manual steps and live edits (control.ts); without it the run only trains. */
  control?: TrainerControl;
  /** The run in resumeDir is a new fork (fork.ts): it has no samples of its own yet. */
  fork?: boolean;
}

/** Latent vectors (flat [n, latentDim]) → samples in the data's units (pixels 0..255 for images). */
export type GenerateFn = (z: Float32Array, n: number) => { data: number[]; shape: number[] };

export interface TrainOutcome {
  status: RunStatus;
  step: number;
  runDir: string;
  error?: string;
}

/** The file checks of validate, relative to a gan.json's folder: what a data path names (safeFiles.ts). */
export function fileKind(base: string) {
  return (rel: string): FileKind => fileKindAt(resolve(base, rel));
}

/**
 * Reads and checks a gan.json; throws InputError with one line per problem. Messages name the
 * file as the person gave it (`shownPath`), not the resolved absolute path.
 */
export function loadConfig(configPath: string, shownPath = configPath, overrides?: Overrides): GanConfig {
  return loadConfigAndText(configPath, shownPath, overrides).config;
}

/** loadConfig, with the gan.json's text to place later problems (the data's) in it. */
function loadConfigAndText(configPath: string, shownPath: string, overrides?: Overrides): { config: GanConfig; text: string } {
  const { text, checked, options } = readCheckedConfig(configPath, shownPath);
  if (!overrides || Object.keys(overrides).length === 0) return { config: checked.config, text };
  // A sweep's trial (or --set): the file is valid; the values set on top of it must be too.
  const trial = validateConfigValue(trialConfig(JSON.parse(text) as GanJson, overrides), options);
  const trialErrors = trial.problems.filter((p) => p.severity === 'error');
  if (!trial.config || trialErrors.length > 0) {
    throw new InputError(formatProblems(shownPath, trialErrors, ` (with ${describeOverrides(overrides)})`).join('\n'));
  }
  return { config: trial.config, text };
}

/** A gan.json's text and its checks (file checks relative to it); throws InputError with one line per error. */
export function readCheckedConfig(configPath: string, shownPath: string): { text: string; checked: ValidationResult & { config: GanConfig }; options: ValidateOptions } {
  const text = readConfigFile(configPath, shownPath);
  const options = { fileExists: fileKind(dirname(configPath)) };
  const checked = validateConfigText(text, options);
  const errors = checked.problems.filter((p) => p.severity === 'error');
  if (!checked.config || errors.length > 0) throw new InputError(formatProblems(shownPath, errors).join('\n'));
  return { text, checked: { ...checked, config: checked.config }, options };
}

/** Non-fatal problems of a config, one line each. */
export function configWarnings(configPath: string): string[] {
  const text = readConfigFile(configPath, configPath);
  return validateConfigText(text, { fileExists: fileKind(dirname(configPath)) })
    .problems.filter((p) => p.severity === 'warning')
    .map((p) => formatProblem(configPath, p));
}

/** Where a config came from, to word a problem found after its checks as validate words its own. */
interface ConfigSource {
  /** The gan.json as the person named it. */
  shown: string;
  /** Its text, to give the problem's line and column. */
  text?: string;
  /** --set values or a trial's: a problem at one of them is theirs, not the file's. */
  overrides?: Overrides;
  /** Said after the problem, e.g. "(with --steps 5)". */
  note?: string;
}

/** One line, `gan.json:line:col: /json/path message`, for a problem found outside validate. */
function problemLine(source: ConfigSource, p: ConfigProblem): string {
  const keys = Object.keys(source.overrides ?? {});
  const overridden = keys.some((k) => p.path === k || p.path.startsWith(`${k}/`) || k.startsWith(`${p.path}/`));
  const located = source.text !== undefined && !overridden ? (locateProblems(source.text, [p])[0] ?? p) : p;
  const note = overridden ? ` (with ${describeOverrides(source.overrides!)})` : source.note ? ` ${source.note}` : '';
  return `${formatProblem(source.shown, located)}${note}`;
}

/** --steps N: the same check as training.steps in the file (the schema's range). */
function withSteps(config: GanConfig, steps: number, source: ConfigSource): GanConfig {
  const errors = validateConfigValue(withValueAt(config, '/training/steps', steps)).problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new InputError(problemLine({ ...source, text: undefined, note: `(with --steps ${steps})` }, errors[0]));
  return { ...config, training: { ...config.training, steps } };
}

/**
 * Loads the data; every problem with it (DataError, or networks too large for the data's real
 * width) becomes an InputError worded like a config problem of the gan.json, at the JSON path of
 * the field the data came from.
 */
function loadData(config: GanConfig, baseDir: string, source: ConfigSource): Dataset {
  let data: Dataset;
  try {
    data = loadDataset(config.data, baseDir);
  } catch (err) {
    if (err instanceof DataError) throw new InputError(problemLine(source, { path: err.pointer, message: err.detail, severity: 'error', stage: 'semantic' }));
    throw err;
  }
  const problems = sizeProblems(config, data);
  if (data.size < config.training.batchSize) {
    const from = 'path' in config.data ? ` in ${quote(config.data.path, 80)}` : '';
    const what = data.kind === 'image' ? 'images' : 'rows';
    problems.push({
      path: '/training/batchSize',
      message: `is ${config.training.batchSize}, but there are only ${data.size} ${what}${from}; use a batchSize of at most ${data.size}, or add data`,
      severity: 'error',
      stage: 'semantic',
    });
  }
  if (problems.length > 0) throw new InputError(problemLine(source, problems[0]));
  return data;
}

export async function train(opts: TrainOptions): Promise<TrainOutcome> {
  // ---- Everything that can reject the input happens before anything is written.
  let config: GanConfig;
  let configPath: string;
  let configText: string | undefined;
  let resumeStep = 0;
  let events: RunEvent[] = [];
  let eventsApplied = 0;
  if (opts.resumeDir) {
    const runDir = resolve(opts.resumeDir);
    let info;
    try {
      info = readRunInfo(runDir);
      checkpointPath(runDir);
    } catch (err) {
      throw new InputError((err as Error).message);
    }
    if (info.status === 'running' && info.pid && info.pid !== process.pid && processAlive(info.pid)) {
      throw new InputError(`${runDir}: the run is still training (pid ${info.pid}); stop it first`);
    }
    configPath = info.configPath;
    try {
      config = loadRunConfig(runDir, { fileExists: fileKind(dirname(configPath)) });
    } catch (err) {
      throw new InputError((err as Error).message);
    }
  } else {
    if (!opts.configPath) throw new InputError('no gan.json given');
    configPath = resolve(opts.configPath);
    ({ config, text: configText } = loadConfigAndText(configPath, opts.configPath, opts.overrides));
    if (opts.runId !== undefined && existsSync(resolve(opts.runsDir, opts.runId))) {
      throw new InputError(`${resolve(opts.runsDir, opts.runId)}: a run of that id exists already; resume it with --resume, or choose another --run-id`);
    }
  }
  const source: ConfigSource = opts.resumeDir ? { shown: configPath } : { shown: opts.configPath ?? configPath, text: configText, overrides: opts.overrides };
  if (opts.steps !== undefined) config = withSteps(config, opts.steps, opts.resumeDir ? { shown: join(opts.resumeDir, RUN_FILES.config) } : source);
  const dataset = loadData(config, dirname(configPath), source);

  const backend = await initBackend(opts.backend ?? config.backend, opts.wasmDir).catch((err: Error) => {
    throw new InputError(err.message);
  });

  const rng = new Rng(config.seed);
  installAsMathRandom(rng);
  const workers = resolveWorkers(config, backend);
  const gan = new Gan(config, { dim: dataset.dim, imageShape: dataset.imageShape });
  let classifier: Classifier | undefined;
  try {
    let trainingMs = 0;
    if (opts.resumeDir) {
      const runDir = resolve(opts.resumeDir);
      try {
        cleanStaleCheckpoints(runDir);
      } catch (err) {
        throw ioFailure(err, { runDir }) ?? err;
      }
      const state = await loadCheckpoint(runDir, gan);
      rng.setState(state.rng);
      resumeStep = state.step;
      trainingMs = state.trainingMs;
      // The checkpoint holds the state after its first `state.events` events; the settings are
      // the starting config's with those edits, and the loop replays the rest at their steps.
      try {
        events = readEvents(runDir);
      } catch (err) {
        throw new InputError((err as Error).message);
      }
      eventsApplied = Math.min(state.events, events.length);
      gan.setConfig(effectiveConfig(config, events, eventsApplied));
      if (config.training.steps <= resumeStep) {
        throw new InputError(`${runDir}: already at step ${resumeStep} of ${config.training.steps}; pass --steps N with N > ${resumeStep} to train further`);
      }
    }

    // Data-parallel workers start from the (possibly restored) weights. The run records how many
    // trained: results depend on it, and a resumed run keeps it.
    let replicaNote: string | undefined;
    if (workers > 1) {
      try {
        await gan.startReplicas(workers - 1, (index) => WorkerReplica.start(index, { config, data: gan.data, backend, wasmDir: opts.wasmDir }));
      } catch (err) {
        if (config.training.workers !== 'auto') throw new InputError(`training.workers: ${(err as Error).message}`);
        replicaNote = `training on one thread: ${(err as Error).message}`;
      }
    }
    config = { ...config, training: { ...config.training, workers: gan.replicas } };

    let writer: RunWriter;
    try {
      if (opts.resumeDir) {
        const runDir = resolve(opts.resumeDir);
        const before = readRunInfo(runDir);
        writer = RunWriter.reopen(runDir, resumeStep, {
          backend,
          backendDetail: backendDetail(),
          totalSteps: config.training.steps,
          trainingMs,
          checkpointStep: resumeStep,
          resumedAt: opts.fork ? before.resumedAt : [...(before.resumedAt ?? []), resumeStep],
          layers: gan.layerNames,
        });
      } else {
        writer = RunWriter.create({
          runsDir: resolve(opts.runsDir),
          ...(opts.runId !== undefined ? { id: opts.runId } : {}),
          config,
          configPath,
          backend,
          backendDetail: backendDetail(),
          dataKind: dataset.kind,
          dataDim: dataset.dim,
          imageShape: dataset.imageShape,
          // Sampling from the run later needs these, not the data set (which may change or go).
          output: { shape: dataset.imageShape ? [...dataset.imageShape] : [dataset.dim], denormalize: dataset.affine() },
          layers: gan.layerNames,
        });
      }
    } catch (err) {
      throw ioFailure(err, opts.resumeDir ? { runDir: resolve(opts.resumeDir) } : { runsDir: resolve(opts.runsDir) }) ?? err;
    }

    // The classifier-based image metrics apply to MNIST-shaped data only.
    const shape = dataset.imageShape;
    classifier = shape && shape[0] === 28 && shape[1] === 28 && shape[2] === 1 ? await loadClassifier() : undefined;
    const loop = new TrainingLoop(config, dataset, gan, rng, writer, opts, trainingMs, classifier, { all: events, applied: eventsApplied });
    opts.onGenerator?.((z, n) => ({
      data: Array.from(dataset.denormalize(gan.generate(z, n))),
      shape: [n, ...(dataset.imageShape ?? [dataset.dim])],
    }));
    opts.emit({
      type: 'started',
      runId: writer.run.id,
      runDir: writer.dir,
      backend,
      totalSteps: config.training.steps,
      startStep: resumeStep,
      run: writer.run,
      workers: gan.replicas,
      data: dataset.description,
    });
    const threads = gan.replicas > 1 ? `; data-parallel over ${gan.replicas} threads (${shares(config.training.batchSize, gan.replicas).join(' + ')} rows per batch)` : '';
    opts.emit({ type: 'log', level: 'info', message: `backend ${backend}${threads}; data: ${dataset.description}` });
    for (const skip of backendDetail().skipped) opts.emit({ type: 'log', level: 'info', message: `backend ${skip.backend} not used: ${skip.reason}` });
    const nativeFrom = backendDetail().nativeFrom;
    if (nativeFrom) opts.emit({ type: 'log', level: 'info', message: `native TensorFlow from ${nativeFrom}` });
    if (replicaNote) opts.emit({ type: 'log', level: 'warn', message: replicaNote });
    try {
      return await loop.run(resumeStep);
    } catch (err) {
      throw failRun(writer, err, loop, opts.emit);
    }
  } finally {
    gan.dispose();
    classifier?.dispose();
  }
}

/**
 * An unexpected failure while training still leaves a readable run that says what happened:
 * run.json says failed with the error (the last good checkpoint stays), the host hears it, and the
 * error returned is what the CLI prints. An I/O fault of the run directory (a RunIoError from
 * src/runDir/, or any errno error) is one line naming the file and what to do, and says so when
 * even run.json could not be marked; anything else is a crash, rethrown as it was.
 */
function failRun(writer: RunWriter, err: unknown, loop: { done: number; at: number }, emit: TrainOptions['emit']): unknown {
  const step = Math.max(loop.done, writer.run.step);
  const at = Math.max(loop.at, step);
  const fault = toRunIoError(err);
  const advice = fault ? `${fault.remedy} and resume with gan-studio train --resume ${writer.dir}` : '';
  const message = fault ? `${fault.message}; ${advice}` : `step ${at}: the trainer failed: ${(err as Error).message}`;
  let unmarked: RunIoError | undefined;
  try {
    writer.fail({ kind: fault ? 'io' : 'crash', message, step: at }, step);
  } catch (failErr) {
    unmarked = toRunIoError(failErr);
    if (!unmarked) throw failErr;
  }
  const note = unmarked ? `; ${RUN_FILES.run} could not be marked failed either (${unmarked.code}), so it still says running` : '';
  const line = fault ? `${fault.message}${note}; ${advice}` : message + note;
  emit({ type: 'finished', status: 'failed', step, error: line });
  return fault ? new Error(line, { cause: err }) : err;
}

/**
 * An I/O fault while opening the run, as one line: for a run that exists (a resume), like
 * failRun's; before any run exists, naming the runs folder and how to choose another.
 * Undefined when `err` is not an I/O fault.
 */
function ioFailure(err: unknown, where: { runDir: string } | { runsDir: string }): Error | undefined {
  const fault = toRunIoError(err);
  if (!fault) return undefined;
  if ('runDir' in where) return new Error(`${fault.message}; ${fault.remedy} and resume with gan-studio train --resume ${where.runDir}`, { cause: err });
  const reason = fault.code === 'EEXIST' && fault.path === where.runsDir ? 'it is a file, not a folder' : fault.reason;
  return new Error(
    `cannot create a run in ${where.runsDir}: ${reason} (${fault.code}); ${fault.remedy}, or choose another runs folder with --runs-dir DIR (in VS Code: the ganStudio.runsDir setting)`,
    { cause: err },
  );
}

/** Generated and real images per quality measurement: enough for a 64-dimensional covariance. */
const IMAGE_METRIC_SAMPLES = 512;
/** Slices of the sliced Wasserstein distance: enough for a stable estimate in a few dimensions. */
const SWD_DIRECTIONS = 64;
/** Emits progress at most this often: enough for a live status bar, cheap for the IPC channel. */
const PROGRESS_INTERVAL_MS = 100;
/** Logged metrics reach the log file and the host at most this often (live charts stay smooth). */
const METRICS_INTERVAL_MS = 250;
/** run.json is rewritten with the current step at most this often (fsync per write). */
const RUN_INFO_INTERVAL_MS = 1000;

class TrainingLoop {
  private readonly fixedZ: Float32Array;
  private readonly nFixed: number;
  private readonly bounds?: SamplePoints2D['bounds'];
  private readonly realReference?: Float32Array;
  /** Vector data: a fixed real sample in data units, a second one for the noise floor, and the slices. */
  private readonly qualityRef?: { real: Float32Array; floor: number; realDiversity: number; dirs: Float64Array };
  /** Images: a fixed latent batch for the metrics, larger than the picture grid. */
  private readonly metricZ?: Float32Array;
  private readonly features?: { classifier: Classifier; real: Float32Array; dim: number; floor: number };
  private pendingMetrics: MetricRecord[] = [];
  private lastProgress = 0;
  private lastRunInfo = 0;
  private lastMetricsFlush = 0;
  /** The run's speed: the one estimate that every view shows. */
  private readonly speed = new SpeedMeter();
  /** The last step completed, and the one being trained or logged: where a failure happened. */
  done = 0;
  at = 0;
  /** Every event of the run, in order (events.jsonl); those from `replayFrom` on are yet to replay. */
  private readonly events: RunEvent[];
  private replayFrom: number;
  private paused = false;
  /** A fixed real batch (normalised) for D's outputs after a manual step. */
  private readonly probeReal: Float32Array;

  constructor(
    private readonly config: GanConfig,
    private readonly data: Dataset,
    private readonly gan: Gan,
    private readonly rng: Rng,
    private readonly writer: RunWriter,
    private readonly opts: TrainOptions,
    private trainingMs: number,
    classifier?: Classifier,
    events: { all: RunEvent[]; applied: number } = { all: [], applied: 0 },
  ) {
    const log = config.logging;
    this.events = [...events.all];
    this.replayFrom = events.applied;
    this.probeReal = data.batch(Math.min(PROBE_ROWS, config.training.batchSize * 4), new Rng(log.latentSeed + 4));
    // Samples come from their own generators so that logging never shifts the training stream.
    this.nFixed = isImageData(config.data) ? log.sampleGrid[0] * log.sampleGrid[1] : log.samplePoints;
    this.fixedZ = gan.latent(this.nFixed, new Rng(log.latentSeed));
    if (data.kind !== 'image') {
      const ref = data.denormalize(data.batch(log.samplePoints, new Rng(log.latentSeed + 1)));
      this.realReference = data.dim === 2 ? ref : project2d(ref, data.dim);
      this.bounds = boundsOf(this.realReference);
      const qrng = new Rng(log.latentSeed + 2);
      const other = data.denormalize(data.batch(log.samplePoints, qrng));
      const dirs = randomDirections(data.dim, SWD_DIRECTIONS, () => qrng.normal());
      this.qualityRef = { real: ref, floor: slicedWasserstein(ref, other, data.dim, dirs), realDiversity: meanPairwiseDistance(ref, data.dim), dirs };
    } else {
      // Images: distances in pixel space (0..1) for any image data, classifier features for MNIST.
      const qrng = new Rng(log.latentSeed + 2);
      const toUnit = (v: Float32Array) => v.map((p) => p / 255);
      const real = toUnit(data.denormalize(data.batch(IMAGE_METRIC_SAMPLES, qrng)));
      const other = toUnit(data.denormalize(data.batch(IMAGE_METRIC_SAMPLES, qrng)));
      const dirs = randomDirections(data.dim, SWD_DIRECTIONS, () => qrng.normal());
      this.metricZ = gan.latent(IMAGE_METRIC_SAMPLES, new Rng(log.latentSeed + 3));
      this.qualityRef = { real, floor: slicedWasserstein(real, other, data.dim, dirs), realDiversity: meanPairwiseDistance(real, data.dim), dirs };
      if (classifier) {
        const a = classifier.embed(data.denormalize(data.batch(IMAGE_METRIC_SAMPLES, qrng)), IMAGE_METRIC_SAMPLES);
        const b = classifier.embed(data.denormalize(data.batch(IMAGE_METRIC_SAMPLES, qrng)), IMAGE_METRIC_SAMPLES);
        this.features = { classifier, real: a.features, dim: a.dim, floor: frechetDistance(a.features, IMAGE_METRIC_SAMPLES, b.features, IMAGE_METRIC_SAMPLES, a.dim) };
      }
    }
  }

  private emit(msg: TrainerToHost): void {
    this.opts.emit(msg);
  }

  async run(startStep: number): Promise<TrainOutcome> {
    const { training, logging } = this.config;
    const total = training.steps;
    if (startStep === 0 || this.opts.fork) {
      this.writeReference();
      this.writeSamples(startStep);
    }
    let step = startStep;
    this.done = startStep;
    let stopped = false;
    while (step < total) {
      const between = await this.between();
      if (typeof between === 'object') return between;
      if (between === 'stop' || this.opts.shouldStop()) {
        stopped = true;
        break;
      }
      const next = step + 1;
      this.at = next;
      const isLast = next === total;
      const wantHist = next % logging.histogramsEvery === 0 || isLast || between === 'step';
      const wantMetrics = next % logging.metricsEvery === 0 || isLast || between === 'step';
      this.gan.setProgress(step);
      const t0 = performance.now();
      const result = await this.gan.step(() => this.data.batch(training.batchSize, this.rng), this.rng, wantHist, wantMetrics);
      const dt = performance.now() - t0;
      const bad = firstNonFinite(result);
      if (bad) return this.fail(next, bad);
      step = next;
      this.done = step;
      this.trainingMs += dt;
      this.speed.tick(step, performance.now());

      if (wantMetrics) this.logMetrics(step, result, dt);
      if (wantHist && result.outputs) this.logHistogram(step, result.outputs);
      if (step % logging.samplesEvery === 0 || isLast || between === 'step') this.writeSamples(step);
      if (step % logging.checkpointEvery === 0 || isLast) {
        const unfit = this.gan.unfit(this.fixedZ, this.nFixed);
        if (unfit) return this.fail(step, unfit);
        await this.checkpoint(step);
      }
      this.maybeProgress(step, result, between === 'step');
      // A step by hand is looked at at once: its records go out now, not with the next batch.
      if (between === 'step') this.flushMetrics(step);
      // Let IPC messages and signals in between steps.
      await new Promise((r) => setImmediate(r));
    }

    this.flushMetrics();
    if (this.writer.run.checkpointStep !== step) {
      const unfit = this.gan.unfit(this.fixedZ, this.nFixed);
      if (unfit) return this.fail(step, unfit);
      if (step % logging.samplesEvery !== 0) this.writeSamples(step);
      await this.checkpoint(step);
    }
    const status = stopped ? 'stopped' : 'completed';
    this.writer.finish(status, step, Math.round(this.trainingMs));
    this.emit({ type: 'finished', status, step });
    return { status, step, runDir: this.writer.dir };
  }

  /**
   * What happens between two training steps: the run's own events due now replay (a resume, a
   * fork), then the control's commands are carried out; while paused, this waits for them. Returns
   * 'stop' when a stop came, 'step' for one manual full step, an outcome when a manual update
   * diverged, or nothing to train on.
   */
  private async between(): Promise<'stop' | 'step' | TrainOutcome | undefined> {
    const failed = await this.replayDue();
    if (failed) return failed;
    const control = this.opts.control;
    if (!control) return undefined;
    for (;;) {
      if (this.opts.shouldStop()) return 'stop';
      const command = control.take(this.done);
      if (!command) {
        if (!this.paused) return undefined;
        await control.waitForCommand();
        continue;
      }
      const r = await this.carryOut(command);
      if (r) return r;
    }
  }

  /** Replays the events recorded for the steps done so far that the checkpoint did not hold. */
  private async replayDue(): Promise<TrainOutcome | undefined> {
    while (this.replayFrom < this.events.length && this.events[this.replayFrom].step <= this.done) {
      const e = this.events[this.replayFrom];
      this.replayFrom++;
      if (e.kind === 'edit') this.gan.setConfig(withValueAt(this.gan.config, e.pointer, e.value) as GanConfig);
      else if (e.kind === 'dStep' || e.kind === 'gStep') {
        const failed = await this.manualUpdate(e.kind, e.source, e);
        if (failed) return failed;
      }
    }
    return undefined;
  }

  private async carryOut(c: ControlCommand): Promise<'step' | TrainOutcome | undefined> {
    switch (c.type) {
      case 'pause':
        if (this.paused) return undefined;
        this.paused = true;
        this.record({ kind: 'pause', source: c.source });
        this.flushMetrics(this.done);
        this.emitPaused();
        return undefined;
      case 'continue':
        if (!this.paused) return undefined;
        this.paused = false;
        this.record({ kind: 'continue', source: c.source });
        this.emitPaused();
        return undefined;
      case 'edit': {
        let edit;
        try {
          edit = applyEdit(this.gan.config, c.pointer, c.value);
        } catch (err) {
          if (!(err instanceof EditError)) throw err;
          this.emit({ type: 'log', level: 'warn', message: `edit refused: ${err.message}` });
          this.emit({ type: 'controlRefused', command: 'edit', message: err.message });
          return undefined;
        }
        this.gan.setConfig(edit.config);
        this.record({ kind: 'edit', source: c.source, pointer: edit.pointer, old: edit.old, value: edit.value });
        this.emit({ type: 'log', level: 'info', message: `step ${this.done}: ${edit.pointer} ${edit.old} → ${edit.value}` });
        return undefined;
      }
      case 'manual': {
        if (!this.paused) {
          const message = `a manual ${manualName(c.kind)} needs the run paused first`;
          this.emit({ type: 'controlRefused', command: c.kind, message });
          return undefined;
        }
        if (c.kind === 'step') {
          this.record({ kind: 'step', source: c.source });
          return 'step';
        }
        return this.manualUpdate(c.kind, c.source);
      }
    }
  }

  /**
   * One D or one G update by hand, or the replay of one (`replayed`), then every view's picture
   * of the new state: D's outputs on a fixed real batch and on G's fixed latent batch, and the
   * samples with their arrows. A new one becomes an event with what it measured; one that
   * diverges fails the run without becoming one (the last good checkpoint stays).
   */
  private async manualUpdate(kind: 'dStep' | 'gStep', source: EventSource, replayed?: RunEvent): Promise<TrainOutcome | undefined> {
    const batch = () => this.data.batch(this.config.training.batchSize, this.rng);
    this.gan.setProgress(this.done);
    let measured: { dLoss: number; dReal: number; dFake: number } | { gLoss: number };
    if (kind === 'dStep') {
      const d = (await this.gan.dUpdate(batch, this.rng, false, false)).stats!;
      if (!Number.isFinite(d.dLoss) || !Number.isFinite(d.dGradNorm)) return this.fail(this.done + 1, `the manual D step made the discriminator loss ${d.dLoss}`);
      measured = { dLoss: d.dLoss, dReal: d.dReal, dFake: d.dFake };
    } else {
      const g = (await this.gan.gUpdate(this.rng, false)).stats;
      if (!Number.isFinite(g.gLoss) || !Number.isFinite(g.gGradNorm)) return this.fail(this.done + 1, `the manual G step made the generator loss ${g.gLoss}`);
      measured = { gLoss: g.gLoss };
    }
    const seq = replayed ? replayed.seq : this.record({ kind, source, ...measured } as RunEventFields);
    this.probeHistogram(seq);
    this.writeSamples(this.done, { seq, kind });
    return undefined;
  }

  /** Appends an event at the current step to events.jsonl and tells the host; returns its seq. */
  private record(fields: RunEventFields): number {
    const e = { ...fields, seq: this.events.length, step: this.done, time: Date.now() } as RunEvent;
    this.events.push(e);
    this.replayFrom = this.events.length;
    this.writer.appendEvent(e);
    this.emit({ type: 'event', event: e });
    return e.seq;
  }

  private emitPaused(): void {
    this.emit({ type: 'paused', paused: this.paused, step: this.done });
  }

  /** D's outputs on the fixed real batch and on G's fixed latent batch: the histogram after a manual step. */
  private probeHistogram(seq: number): void {
    const nReal = this.probeReal.length / this.data.dim;
    const real = this.gan.judge(this.probeReal, nReal);
    const fake = this.gan.judge(this.gan.generate(this.fixedZ, this.nFixed, this.gan.generator), this.nFixed);
    this.logHistogram(this.done, { real, fake }, seq);
  }

  private fail(step: number, what: string): TrainOutcome {
    this.flushMetrics();
    const ckpt = this.writer.run.checkpointStep;
    const keep = ckpt > 0 ? `the last good checkpoint (step ${ckpt}) is kept` : 'there is no checkpoint yet';
    const message = `step ${step}: ${what}; training stopped and ${keep}. Try a lower learning rate, a different loss, or gradient clipping.`;
    this.writer.fail({ kind: 'nan', message, step }, step - 1, Math.round(this.trainingMs));
    this.emit({ type: 'finished', status: 'failed', step: step - 1, error: message });
    return { status: 'failed', step: step - 1, runDir: this.writer.dir, error: message };
  }

  private logMetrics(step: number, r: StepResult, dt: number): void {
    const s = r.stats;
    const record: MetricRecord = {
      step,
      time: Date.now(),
      wallMs: Math.round(this.trainingMs),
      dLoss: s.dLoss,
      gLoss: s.gLoss,
      dLossReal: s.dLossReal,
      dLossFake: s.dLossFake,
      ...(s.gradientPenalty !== undefined ? { gradientPenalty: s.gradientPenalty } : {}),
      dReal: s.dReal,
      dFake: s.dFake,
      dAccuracy: s.dAccuracy,
      gGradNorm: s.gGradNorm,
      dGradNorm: s.dGradNorm,
      stepMs: round3(dt),
      examplesPerSec: Math.round((this.config.training.batchSize * this.gan.config.training.dStepsPerGStep * 1000) / dt),
      ...(r.norms ? layerNormFields(r.norms) : {}),
    };
    this.pendingMetrics.push(record);
    // Metrics are batched so that fast toy runs do not write and send a message per step.
    const now = performance.now();
    if (now - this.lastRunInfo > RUN_INFO_INTERVAL_MS || step === this.config.training.steps) this.flushMetrics(step);
    else if (now - this.lastMetricsFlush > METRICS_INTERVAL_MS) this.flushMetrics();
  }

  private flushMetrics(step?: number): void {
    this.lastMetricsFlush = performance.now();
    if (this.pendingMetrics.length > 0) {
      this.writer.appendMetrics(this.pendingMetrics);
      this.emit({ type: 'metrics', records: this.pendingMetrics });
      this.pendingMetrics = [];
    }
    if (step !== undefined) {
      this.writer.progress(step, Math.round(this.trainingMs), this.estimate());
      this.lastRunInfo = performance.now();
    }
  }

  private logHistogram(step: number, outputs: { real: Float32Array; fake: Float32Array }, manual?: number): void {
    const loss = this.config.loss.type;
    const bins = this.config.logging.histogramBins;
    // Probabilities live in [0, 1]; least-squares targets 0 and 1 with room either side; critics
    // have no fixed range, so theirs follows the scores.
    const [lo, hi] = lossUsesProbability(loss) ? [0, 1] : loss === 'least-squares' ? [-0.5, 1.5] : criticRange(outputs.real, outputs.fake);
    const record: HistogramRecord = { step, lo, hi, real: histogram(outputs.real, lo, hi, bins), fake: histogram(outputs.fake, lo, hi, bins), ...(manual !== undefined ? { manual } : {}) };
    this.writer.appendHistogram(record);
    this.emit({ type: 'histogram', record });
  }

  private writeReference(): void {
    if (this.data.kind === 'image') {
      const [rows, cols] = this.config.logging.sampleGrid;
      const real = this.data.denormalize(this.data.batch(rows * cols, new Rng(this.config.logging.latentSeed + 1)));
      this.writer.writeExtra('samples/real.png', imageGridPng(real, rows * cols, this.data.imageShape!, rows, cols, tileScale(this.data)));
    } else if (this.realReference && this.bounds) {
      const ref: SamplePoints2D = { step: 0, fake: [], real: roundPoints(this.realReference), heatmap: { nx: 0, ny: 0, values: [] }, bounds: this.bounds };
      this.writer.writeExtra('samples/real.json', JSON.stringify(ref));
    }
  }

  /**
   * The samples of the fixed latent batch at `step`, with their quality measures. After a manual
   * D or G step (`manual`), the picture goes to its own file beside the step's, and neither the
   * quality log nor TensorBoard gets it: they follow training steps.
   */
  private writeSamples(step: number, manual?: { seq: number; kind: 'dStep' | 'gStep' }): void {
    const { logging } = this.config;
    let record: SampleRecord;
    let content: Buffer | string;
    const normalised = this.gan.generate(this.fixedZ, this.nFixed);
    const generated = this.data.denormalize(normalised);
    const fileName = (ext: string) => (manual ? stepFileName(step, ext).replace(/\.[a-z]+$/, `-m${manual.seq}.${ext}`) : stepFileName(step, ext));
    if (this.data.kind === 'image') {
      const [rows, cols] = logging.sampleGrid;
      if (!manual) this.logImageQuality(step);
      content = imageGridPng(generated, this.nFixed, this.data.imageShape!, rows, cols, tileScale(this.data));
      record = { step, file: `samples/${fileName('png')}`, kind: 'image-grid', rows, cols, ...(manual ? { manual: manual.seq } : {}) };
    } else {
      const bounds = this.bounds!;
      const fake = this.data.dim === 2 ? generated : project2d(generated, this.data.dim);
      let heatmap: SamplePoints2D['heatmap'] = { nx: 0, ny: 0, values: [] };
      if (this.data.dim === 2) {
        const n = logging.heatmapSize;
        const grid = planeGrid(bounds, n, n);
        heatmap = { nx: n, ny: n, values: roundPoints(this.gan.judge(this.data.normalize(grid), n * n)) };
      }
      const points: SamplePoints2D = { step, fake: roundPoints(fake), real: roundPoints(this.realReference!), heatmap, bounds };
      if (this.data.dim === 2) Object.assign(points, this.gradientFields(normalised, bounds));
      if (manual) points.manual = manual;
      content = JSON.stringify(points);
      if (!manual) this.logQuality(step, generated);
      // A picture beside the data and in TensorBoard, for people who look at the run outside VS Code.
      const probability = lossUsesProbability(this.config.loss.type);
      const picture = pointsPng(points, 320, probability ? [0, 1] : undefined);
      this.writer.writeExtra(`samples/${fileName('png')}`, picture);
      if (!manual) this.writer.tbImage(step, picture);
      record = { step, file: `samples/${fileName('json')}`, kind: 'points2d', rows: 1, cols: 1, ...(manual ? { manual: manual.seq } : {}) };
    }
    this.writer.writeSample(record, content);
    this.emit({ type: 'samples', record });
  }

  /**
   * For 2-D data: where G's loss pushes each generated point (−∂L_G/∂x) and D's gradient on a
   * coarse grid over the plane, both in data units: the normalised gradient divided by the data's
   * scale per axis (x = x̂·scale + offset, so ∂/∂x = ∂/∂x̂ ÷ scale).
   */
  private gradientFields(normalised: Float32Array, bounds: SamplePoints2D['bounds']): Pick<SamplePoints2D, 'push' | 'field'> {
    const { scale } = this.data.affine();
    const toData = (g: Float32Array) => roundVectors(g.map((v, i) => v / scale[i % scale.length]));
    const push = toData(this.gan.generatorPush(normalised, this.nFixed));
    const grid = planeGrid(bounds, FIELD_SIZE, FIELD_SIZE);
    const field = toData(this.gan.discriminatorGradient(this.data.normalize(grid), FIELD_SIZE * FIELD_SIZE));
    return { push, field: { nx: FIELD_SIZE, ny: FIELD_SIZE, values: field } };
  }

  private logQuality(step: number, generated: Float32Array): void {
    const q = this.qualityRef;
    if (!q) return;
    const dim = this.data.dim;
    const record: QualityRecord = {
      step,
      swd: round3(slicedWasserstein(generated, q.real, dim, q.dirs)),
      swdFloor: round3(q.floor),
      diversity: round3(meanPairwiseDistance(generated, dim)),
      realDiversity: round3(q.realDiversity),
    };
    if (this.data.modes && this.data.modes.length > 0 && this.data.modeStd !== undefined) {
      const cov = modeCoverage(generated, this.data.modes, this.data.modeStd);
      record.modesCovered = cov.modesCovered;
      record.modes = cov.modes;
      record.highQuality = round3(cov.highQuality);
    }
    this.writer.appendQuality(record);
    this.emit({ type: 'quality', record });
  }

  private logImageQuality(step: number): void {
    const q = this.qualityRef;
    if (!q || !this.metricZ) return;
    const n = IMAGE_METRIC_SAMPLES;
    const pixels = new Float32Array(n * this.data.dim);
    // In chunks, so that a large image batch does not need one huge activation tensor.
    for (let i = 0; i < n; i += 128) {
      const m = Math.min(128, n - i);
      const z = this.metricZ.subarray(i * this.config.generator.latentDim, (i + m) * this.config.generator.latentDim);
      pixels.set(this.data.denormalize(this.gan.generate(z, m)), i * this.data.dim);
    }
    const unit = pixels.map((p) => p / 255);
    const record: QualityRecord = {
      step,
      swd: round3(slicedWasserstein(unit, q.real, this.data.dim, q.dirs)),
      swdFloor: round3(q.floor),
      diversity: round3(meanPairwiseDistance(unit, this.data.dim)),
      realDiversity: round3(q.realDiversity),
    };
    const f = this.features;
    if (f) {
      const fake = f.classifier.embed(pixels, n);
      record.fcd = round3(frechetDistance(fake.features, n, f.real, n, f.dim));
      record.fcdFloor = round3(f.floor);
      record.classes = classHistogram(fake.classes);
      const pr = precisionRecall(f.real, n, fake.features, n, f.dim);
      record.precision = round3(pr.precision);
      record.recall = round3(pr.recall);
    }
    this.writer.appendQuality(record);
    this.emit({ type: 'quality', record });
  }

  private async checkpoint(step: number): Promise<void> {
    // The logs up to the checkpoint reach the disk before it does: a resume keeps exactly what
    // was logged up to its checkpoint, so a kill just after the checkpoint must not lose any.
    this.flushMetrics();
    this.writer.flushEvents();
    await saveCheckpoint(
      this.writer.dir,
      this.gan,
      { step, rng: this.rng.getState(), trainingMs: Math.round(this.trainingMs), events: this.replayFrom },
      this.config.logging.keepCheckpoints,
    );
    this.writer.checkpointed(step, Math.round(this.trainingMs));
    this.lastRunInfo = performance.now();
    this.emit({ type: 'checkpoint', step });
  }

  private estimate(): { stepsPerSec?: number; etaSec?: number } {
    const stepsPerSec = this.speed.stepsPerSec;
    const etaSec = this.speed.etaSec(this.config.training.steps);
    return { ...(stepsPerSec !== undefined ? { stepsPerSec: round3(stepsPerSec) } : {}), ...(etaSec !== undefined ? { etaSec: Math.round(etaSec) } : {}) };
  }

  private maybeProgress(step: number, r: StepResult, force = false): void {
    const now = performance.now();
    if (!force && now - this.lastProgress < PROGRESS_INTERVAL_MS && step !== this.config.training.steps) return;
    this.lastProgress = now;
    const { stepsPerSec, etaSec } = this.estimate();
    this.emit({
      type: 'progress',
      step,
      totalSteps: this.config.training.steps,
      dLoss: r.stats.dLoss,
      gLoss: r.stats.gLoss,
      stepsPerSec: stepsPerSec ?? 0,
      ...(etaSec !== undefined ? { etaSec } : {}),
    });
    if (now - this.lastRunInfo > RUN_INFO_INTERVAL_MS) this.flushMetrics(step);
  }
}

/** An event as the loop makes it, before its position and time are set. */
type RunEventFields = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'seq' | 'step' | 'time'> : never) : never;

/** D's gradient field is measured on a FIELD_SIZE × FIELD_SIZE grid over the plane. */
const FIELD_SIZE = 15;

/** Gradient vectors keep 4 significant digits: arrows are drawn, not computed with. */
function roundVectors(v: Float32Array): number[] {
  return Array.from(v, (x) => (Number.isFinite(x) ? Number(x.toPrecision(4)) : NaN));
}

/** Rows of the fixed real batch D's outputs are shown on after a manual step. */
const PROBE_ROWS = 256;

function manualName(kind: ManualKind): string {
  return kind === 'dStep' ? 'D step' : kind === 'gStep' ? 'G step' : 'step';
}

/** The per-layer norms of a step as MetricRecord fields, rounded like the rest of the log. */
function layerNormFields(n: LayerNorms): Pick<MetricRecord, 'gLayerGradNorms' | 'dLayerGradNorms' | 'gLayerWeightNorms' | 'dLayerWeightNorms'> {
  const r = (a: number[]) => a.map((x) => Number(x.toPrecision(5)));
  return { gLayerGradNorms: r(n.gGrad), dLayerGradNorms: r(n.dGrad), gLayerWeightNorms: r(n.gWeight), dLayerWeightNorms: r(n.dWeight) };
}

function firstNonFinite(r: StepResult): string | undefined {
  const s = r.stats;
  if (!Number.isFinite(s.dLoss)) return `the discriminator loss is ${s.dLoss}`;
  if (!Number.isFinite(s.gLoss)) return `the generator loss is ${s.gLoss}`;
  if (!Number.isFinite(s.dGradNorm)) return `the discriminator's gradient norm is ${s.dGradNorm}`;
  if (!Number.isFinite(s.gGradNorm)) return `the generator's gradient norm is ${s.gGradNorm}`;
  return undefined;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Small images are drawn at 2× so that the grid is legible without zooming. */
function tileScale(d: Dataset): number {
  return d.imageShape && d.imageShape[0] <= 32 ? 2 : 1;
}

/** The first two coordinates of each vector: the plane the points view shows for n-D data. */
function project2d(v: Float32Array, dim: number): Float32Array {
  const n = v.length / dim;
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = v[i * dim];
    out[2 * i + 1] = v[i * dim + 1];
  }
  return out;
}
