/**
 * Reading run directories: the one reader of run.json, config.json, the JSONL logs, the sample
 * index and the checkpoints, for the trainer (resume, sample, serve) and the host (runs view,
 * dashboards, alarms) alike. Every file is checked against its schema (src/protocol/runFormat.ts);
 * a run that is being written, or was killed mid-write, still reads.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as v from 'valibot';
import type { GanConfig } from '../config/ganConfig';
import { formatProblem, validateConfigValue, type ValidateOptions } from '../config/validateConfig';
import { describeIssues } from '../protocol/fields';
import {
  checkpointPointer,
  histogramRecord,
  METRIC_KEYS,
  metricRecord,
  qualityRecord,
  RUN_FILES,
  runEvent,
  runInfo,
  sampleRecord,
  type CheckpointPointer,
  type HistogramRecord,
  type RunEvent,
  type MetricRecord,
  type QualityRecord,
  type RunInfo,
  type SampleRecord,
  type SampleView,
} from '../protocol/runFormat';
import type { LayerNormColumns, MetricColumns, RunSnapshot } from '../protocol/webviewProtocol';
import { readJsonl } from './durableFiles';

/** A run directory (or one of its files) that cannot be read; the message names the file. */
export class RunReadError extends Error {}

/** The run id is the run's folder name (the trainer names the folder after it). */
export function runIdOf(runDir: string): string {
  return basename(runDir.replace(/[\\/]+$/, ''));
}

function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new RunReadError(`${path}: not found; is ${join(path, '..')} a GAN Studio ${what}?`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RunReadError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

export function readRunInfo(runDir: string): RunInfo {
  const path = join(runDir, RUN_FILES.run);
  const r = v.safeParse(runInfo, readJsonFile(path, 'run directory'));
  if (!r.success) throw new RunReadError(`${path}: not a GAN Studio run.json (${describeIssues(r.issues)})`);
  return r.output;
}

/**
 * The run's resolved config, checked by the same validator as a gan.json. `options` adds the
 * file checks (the trainer resuming needs its data). Throws RunReadError naming the file.
 */
export function loadRunConfig(runDir: string, options: ValidateOptions = {}): GanConfig {
  const path = join(runDir, RUN_FILES.config);
  const raw = readJsonFile(path, 'run directory');
  const { config, problems } = validateConfigValue(raw, options);
  if (!config) throw new RunReadError(problems.filter((p) => p.severity === 'error').map((p) => formatProblem(path, p)).join('\n'));
  // Runs from before training.workers existed trained on one thread; they continue on one.
  const training = (raw as { training?: { workers?: unknown } }).training;
  return training?.workers === undefined ? { ...config, training: { ...config.training, workers: 1 } } : config;
}

/** The run's config for display and judgement, or null when config.json is missing or invalid. */
export function readRunConfig(runDir: string): GanConfig | null {
  try {
    return loadRunConfig(runDir);
  } catch {
    return null;
  }
}

export function readMetrics(runDir: string): MetricRecord[] {
  return readJsonl(join(runDir, RUN_FILES.metrics), metricRecord);
}
export function readHistograms(runDir: string): HistogramRecord[] {
  return readJsonl(join(runDir, RUN_FILES.histograms), histogramRecord);
}
/** The run's events (live edits, pauses, manual steps) in the order they were applied. */
export function readEvents(runDir: string): RunEvent[] {
  return readJsonl(join(runDir, RUN_FILES.events), runEvent);
}

export function readQuality(runDir: string): QualityRecord[] {
  return readJsonl(join(runDir, RUN_FILES.quality), qualityRecord);
}
/** The sample index, without entries whose file did not make it to disk. */
export function readSamples(runDir: string): SampleRecord[] {
  return readJsonl(join(runDir, RUN_FILES.samples), sampleRecord).filter((s) => existsSync(join(runDir, s.file)));
}

function checkpointComplete(runDir: string, dir: string): boolean {
  return existsSync(join(runDir, RUN_FILES.checkpointsDir, dir, 'state.json'));
}

/** The checkpoint latest.json points to, when it is complete. */
export function readLatestCheckpoint(runDir: string): CheckpointPointer | undefined {
  try {
    const r = v.safeParse(checkpointPointer, JSON.parse(readFileSync(join(runDir, RUN_FILES.checkpointsDir, RUN_FILES.latestCheckpoint), 'utf8')));
    if (r.success && checkpointComplete(runDir, r.output.dir)) return r.output;
  } catch {
    // no checkpoint yet
  }
  return undefined;
}

/** Every complete checkpoint in the run, oldest first. */
export function listCheckpoints(runDir: string): number[] {
  const dir = join(runDir, RUN_FILES.checkpointsDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => /^step-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null && checkpointComplete(runDir, m[0]))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Whether a process is alive (EPERM: alive, but not ours to signal). */
export function processAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** run.json says running, but no process is behind it (the window or the machine went down). */
export function isInterrupted(info: RunInfo): boolean {
  return info.status === 'running' && !processAlive(info.pid);
}

/** Metric records as columns for the dashboard: one Float64Array per key, NaN for a missing value. */
export function toColumns(records: readonly MetricRecord[]): MetricColumns {
  const n = records.length;
  const cols = { step: new Float64Array(n), wallMs: new Float64Array(n) } as MetricColumns;
  for (const k of METRIC_KEYS) cols[k] = new Float64Array(n);
  records.forEach((r, i) => {
    cols.step[i] = r.step;
    cols.wallMs[i] = r.wallMs;
    for (const k of METRIC_KEYS) cols[k][i] = r[k] ?? NaN;
  });
  return cols;
}

/** The per-layer norms of the records as columns by layer, or undefined when the run logged none. */
export function toLayerColumns(records: readonly MetricRecord[], layers: RunInfo['layers']): LayerNormColumns | undefined {
  if (!layers || !records.some((r) => r.gLayerGradNorms)) return undefined;
  const make = (count: number, pick: (r: MetricRecord) => number[] | undefined) => Array.from({ length: count }, (_, layer) => Float64Array.from(records, (r) => pick(r)?.[layer] ?? NaN));
  return {
    gGrad: make(layers.generator.length, (r) => r.gLayerGradNorms),
    dGrad: make(layers.discriminator.length, (r) => r.dLayerGradNorms),
    gWeight: make(layers.generator.length, (r) => r.gLayerWeightNorms),
    dWeight: make(layers.discriminator.length, (r) => r.dLayerWeightNorms),
  };
}

/** Run directories below runsDir, newest first, skipping anything unreadable. */
export function listRuns(runsDir: string): { dir: string; info: RunInfo }[] {
  if (!existsSync(runsDir)) return [];
  const out: { dir: string; info: RunInfo }[] = [];
  for (const name of readdirSync(runsDir)) {
    const dir = join(runsDir, name);
    try {
      if (!statSync(dir).isDirectory()) continue;
      out.push({ dir, info: readRunInfo(dir) });
    } catch {
      // not a run
    }
  }
  return out.sort((a, b) => b.info.createdAt.localeCompare(a.info.createdAt));
}

/**
 * Everything a dashboard needs of one run, from disk. `toSrc` turns an absolute file path into a
 * URL the webview may load. Alarms are the host's to add (they are judged, not read).
 */
export function readSnapshot(runDir: string, toSrc: (absPath: string) => string): RunSnapshot {
  const run = readRunInfo(runDir);
  const config = readRunConfig(runDir);
  const samples: SampleView[] = readSamples(runDir).map((s) => ({ ...s, src: toSrc(join(runDir, s.file)) }));
  const realFile = join(runDir, RUN_FILES.samplesDir, 'real.png');
  const realPoints = join(runDir, RUN_FILES.samplesDir, 'real.json');
  let realSamples: SampleView | undefined;
  if (existsSync(realFile)) {
    const [rows, cols] = config?.logging.sampleGrid ?? [8, 8];
    realSamples = { step: 0, file: 'samples/real.png', kind: 'image-grid', rows, cols, src: toSrc(realFile) };
  } else if (existsSync(realPoints)) {
    realSamples = { step: 0, file: 'samples/real.json', kind: 'points2d', rows: 1, cols: 1, src: toSrc(realPoints) };
  }
  const metrics = readMetrics(runDir);
  const layerNorms = toLayerColumns(metrics, run.layers);
  let events: RunEvent[] = [];
  try {
    events = readEvents(runDir);
  } catch {
    // A damaged events.jsonl costs the markers, not the dashboard.
  }
  return {
    run,
    config,
    metrics: toColumns(metrics),
    ...(layerNorms ? { layerNorms } : {}),
    events,
    histograms: readHistograms(runDir),
    quality: readQuality(runDir),
    samples,
    ...(realSamples ? { realSamples } : {}),
    alarms: [],
    checkpoints: listCheckpoints(runDir),
  };
}
