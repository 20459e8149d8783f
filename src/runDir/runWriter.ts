/**
 * Writing one run directory, and the only code that writes run.json: the trainer through a
 * RunWriter, and the host through markRunEnded when a trainer died before it could say how its
 * run ended. Whole files are replaced atomically; the JSONL logs are appended a line at a time
 * and rewritten atomically when a resume drops what came after its checkpoint. The same logs also
 * go to a TensorBoard event file in tb/ (logging.tensorboard), flushed at every sample step, at
 * checkpoints and at the end.
 *
 * Every write that fails for I/O reasons throws RunIoError (durableFiles.ts) naming the file; the
 * trainer turns it into the run's failure and one line for the person (src/trainer/trainer.ts).
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import type { GanConfig } from '../config/ganConfig';
import { serializeResolvedConfig } from '../config/validateConfig';
import {
  RUN_FILES,
  RUN_FORMAT_VERSION,
  runOutput,
  type BackendDetail,
  type BackendName,
  type DataKind,
  type HistogramRecord,
  type RunEvent,
  type MetricRecord,
  type QualityRecord,
  type RunError,
  type RunInfo,
  type RunOutput,
  type RunStatus,
  type SampleRecord,
} from '../protocol/runFormat';
import { appendJsonl, bestEffort, filterJsonl, io, makeDirs, overwriteInPlace, removeStaleTemps, toRunIoError, writeFileAtomic, writeJsonAtomic } from './durableFiles';
import { readRunConfig, readRunInfo } from './runReader';
import { TbWriter, truncateEventFiles } from './tensorboard/eventWriter';
import { histogramValues, metricValues, qualityValues, sampleValues } from './tensorboard/runEvents';

/** A name as a folder name: lower case, dashes, at most 60 characters. */
export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'run';
}

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** The trainer's speed estimate as run.json keeps it (src/analysis/progress.ts). */
export interface SpeedEstimate {
  stepsPerSec?: number;
  etaSec?: number;
}

function withSpeed(info: RunInfo, speed: SpeedEstimate | undefined): RunInfo {
  if (!speed) return info;
  const { stepsPerSec: _s, etaSec: _e, ...rest } = info;
  return { ...rest, ...(speed.stepsPerSec !== undefined ? { stepsPerSec: speed.stepsPerSec } : {}), ...(speed.etaSec !== undefined ? { etaSec: speed.etaSec } : {}) };
}

/** The fields of a run that has ended: no trainer behind it, and nothing left to estimate. */
function ended(info: RunInfo, status: RunStatus, step: number, error: RunError | undefined): RunInfo {
  const { pid: _pid, etaSec: _eta, error: _old, ...rest } = info;
  const now = new Date().toISOString();
  return { ...rest, status, step, updatedAt: now, endedAt: now, ...(error ? { error } : {}) };
}

export class RunWriter {
  /** The run's TensorBoard event file, unless logging.tensorboard is false. */
  private tb: TbWriter | undefined;

  private constructor(
    readonly dir: string,
    private info: RunInfo,
  ) {}

  get run(): RunInfo {
    return this.info;
  }

  static create(opts: {
    runsDir: string;
    config: GanConfig;
    configPath: string;
    backend: BackendName;
    backendDetail?: BackendDetail;
    dataKind: DataKind;
    dataDim: number;
    imageShape?: [number, number, number];
    /** What sampling needs (the output shape and the map to data units), kept in run.json. */
    output?: RunOutput;
    /** The run's folder name; default <name>-<date>-<time>, made unique. */
    id?: string;
    /** The layers the per-layer norms of metrics.jsonl name. */
    layers?: RunInfo['layers'];
  }): RunWriter {
    makeDirs(opts.runsDir);
    const base = opts.id ?? `${slug(opts.config.name)}-${timestamp(new Date())}`;
    let id = base;
    if (opts.id === undefined) for (let i = 2; existsSync(join(opts.runsDir, id)); i++) id = `${base}-${i}`;
    else if (existsSync(join(opts.runsDir, id))) throw new Error(`${join(opts.runsDir, id)} exists already`);
    const dir = join(opts.runsDir, id);
    io('create', dir, () => mkdirSync(dir));
    try {
      return RunWriter.fill(dir, id, opts);
    } catch (err) {
      // Half a run is no run: without its run.json nothing would ever read or clean it up.
      if (toRunIoError(err)) bestEffort(() => rmSync(dir, { recursive: true, force: true }));
      throw err;
    }
  }

  private static fill(dir: string, id: string, opts: Parameters<typeof RunWriter.create>[0]): RunWriter {
    for (const sub of [RUN_FILES.samplesDir, RUN_FILES.checkpointsDir]) io('create', join(dir, sub), () => mkdirSync(join(dir, sub), { recursive: true }));
    // Only a map that can be written down (finite numbers) is kept; sampling falls back to the data.
    const output = opts.output && v.safeParse(runOutput, opts.output).success ? opts.output : undefined;
    const now = new Date().toISOString();
    const info: RunInfo = {
      formatVersion: RUN_FORMAT_VERSION,
      id,
      name: opts.config.name,
      status: 'running',
      configPath: opts.configPath,
      backend: opts.backend,
      ...(opts.backendDetail ? { backendDetail: opts.backendDetail } : {}),
      seed: opts.config.seed,
      dataKind: opts.dataKind,
      dataDim: opts.dataDim,
      ...(opts.imageShape ? { imageShape: opts.imageShape } : {}),
      ...(output ? { output } : {}),
      ...(opts.layers ? { layers: opts.layers } : {}),
      step: 0,
      totalSteps: opts.config.training.steps,
      checkpointStep: 0,
      createdAt: now,
      updatedAt: now,
      trainingMs: 0,
      pid: process.pid,
    };
    writeFileAtomic(join(dir, RUN_FILES.config), serializeResolvedConfig(opts.config));
    const writer = new RunWriter(dir, info);
    writer.write(info);
    if (opts.config.logging.tensorboard) writer.tb = TbWriter.open(dir);
    return writer;
  }

  /** Re-opens a run to resume it; everything logged after `fromStep` is dropped so curves join. */
  static reopen(dir: string, fromStep: number, patch: Pick<RunInfo, 'backend' | 'backendDetail' | 'totalSteps' | 'trainingMs' | 'checkpointStep' | 'resumedAt' | 'layers'>): RunWriter {
    // What a kill (or a failed write) left half-written; tb/ is cleaned with its event files.
    for (const sub of ['', RUN_FILES.samplesDir, RUN_FILES.checkpointsDir]) removeStaleTemps(join(dir, sub));
    const info = readRunInfo(dir);
    const writer = new RunWriter(dir, info);
    const upToCheckpoint = (v: unknown) => typeof (v as { step?: unknown } | null)?.step === 'number' && (v as { step: number }).step <= fromStep;
    for (const file of [RUN_FILES.metrics, RUN_FILES.histograms, RUN_FILES.samples, RUN_FILES.quality]) filterJsonl(join(dir, file), upToCheckpoint);
    // Sample files past the checkpoint belong to the abandoned future.
    const samplesDir = join(dir, RUN_FILES.samplesDir);
    if (existsSync(samplesDir)) {
      for (const name of readdirSync(samplesDir)) {
        const m = /^step-(\d+)[.-]/.exec(name);
        if (m && Number(m[1]) > fromStep) io('remove', join(samplesDir, name), () => rmSync(join(samplesDir, name), { force: true }));
      }
    }
    // The event files too; this session's events go to a new file read after them.
    truncateEventFiles(dir, fromStep);
    const { error: _error, endedAt: _ended, etaSec: _eta, ...rest } = info;
    writer.write({ ...rest, ...patch, step: fromStep, status: 'running', pid: process.pid });
    if (readRunConfig(dir)?.logging.tensorboard ?? true) writer.tb = TbWriter.open(dir);
    return writer;
  }

  private write(info: RunInfo): void {
    this.info = { ...info, updatedAt: new Date().toISOString() };
    writeJsonAtomic(join(this.dir, RUN_FILES.run), this.info);
  }

  /** The run moved on (rewritten about once a second while it trains). */
  progress(step: number, trainingMs: number, speed?: SpeedEstimate): void {
    this.write(withSpeed({ ...this.info, step, trainingMs }, speed));
  }

  /** Writes out the buffered TensorBoard events (before a checkpoint, so that it has them). */
  flushEvents(): void {
    this.tb?.flush();
  }

  /** A checkpoint of `step` is complete on disk. */
  checkpointed(step: number, trainingMs: number): void {
    this.tb?.flush();
    this.write({ ...this.info, step, checkpointStep: step, trainingMs });
  }

  /** Training ended on its own terms: all steps done, or stopped on request. */
  finish(status: 'completed' | 'stopped', step: number, trainingMs: number): void {
    this.tb?.close();
    this.write(ended({ ...this.info, trainingMs }, status, step, undefined));
  }

  /**
   * Training failed; the error says what and where, and the last good checkpoint stays. Works
   * after an I/O fault too: the event file is closed as well as it can be, and when the disk is
   * too full for run.json's atomic write, run.json is overwritten in place where it fits. Throws
   * RunIoError when run.json could not be written at all.
   */
  fail(error: RunError, step: number, trainingMs?: number): void {
    bestEffort(() => this.tb?.close());
    this.tb = undefined;
    const info = { ...ended({ ...this.info, ...(trainingMs !== undefined ? { trainingMs } : {}) }, 'failed', step, error), updatedAt: new Date().toISOString() };
    try {
      this.write(info);
    } catch (err) {
      if (!toRunIoError(err)?.diskFull) throw err;
      let placed = false;
      bestEffort(() => (placed = overwriteInPlace(join(this.dir, RUN_FILES.run), `${JSON.stringify(info)}\n`)));
      if (!placed) throw err;
      this.info = info;
    }
  }

  appendMetrics(records: MetricRecord[]): void {
    appendJsonl(join(this.dir, RUN_FILES.metrics), records);
    if (!this.tb) return;
    for (const r of records) this.tb.values(r.step, metricValues(r), r.time);
    this.tb.maybeFlush();
  }

  /** One line of events.jsonl (live edits, pauses, manual steps); not part of TensorBoard's log. */
  appendEvent(event: RunEvent): void {
    appendJsonl(join(this.dir, RUN_FILES.events), [event]);
  }

  appendHistogram(record: HistogramRecord): void {
    appendJsonl(join(this.dir, RUN_FILES.histograms), [record]);
    this.tb?.values(record.step, histogramValues(record));
    this.tb?.maybeFlush();
  }

  appendQuality(record: QualityRecord): void {
    appendJsonl(join(this.dir, RUN_FILES.quality), [record]);
    this.tb?.values(record.step, qualityValues(record));
    this.tb?.maybeFlush();
  }

  /**
   * Writes the sample file first, then indexes it, so the index never names a missing file. An
   * image grid (a PNG) is also TensorBoard's `samples` image; a points2d sample's picture comes
   * through tbImage. A sample step flushes the event file.
   */
  writeSample(record: SampleRecord, content: Uint8Array | string): void {
    writeFileAtomic(join(this.dir, record.file), content);
    try {
      appendJsonl(join(this.dir, RUN_FILES.samples), [record]);
    } catch (err) {
      // Unindexed, the file is only taking space (on a full disk, the space run.json needs).
      bestEffort(() => rmSync(join(this.dir, record.file), { force: true }));
      throw err;
    }
    if (record.kind === 'image-grid' && typeof content !== 'string') this.tb?.values(record.step, sampleValues(content));
    this.tb?.flush();
  }

  /** A PNG picture of the samples of `step` for TensorBoard (points2d data: the plot). */
  tbImage(step: number, png: Uint8Array): void {
    this.tb?.values(step, sampleValues(png));
  }

  writeExtra(relPath: string, content: Uint8Array | string): void {
    writeFileAtomic(join(this.dir, relPath), content);
  }
}

/**
 * Marks a run whose trainer is gone without having said how it ended (a crash, a kill, a lost
 * IPC channel): the host's one way to change run.json. Returns the run as written.
 */
export function markRunEnded(runDir: string, status: RunStatus, step: number, error: RunError): RunInfo {
  const info = ended(readRunInfo(runDir), status, step, error);
  writeJsonAtomic(join(runDir, RUN_FILES.run), info);
  return info;
}
