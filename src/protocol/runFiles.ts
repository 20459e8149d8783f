/**
 * Reading and writing run directories (Node only: the webview never imports this file).
 * Writers are crash-safe: whole files go through a temp file and a rename; JSONL files are
 * appended line by line, and readers drop a torn last line.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  METRIC_KEYS,
  RUN_FILES,
  RUN_STATUSES,
  type CheckpointPointer,
  type HistogramRecord,
  type MetricRecord,
  type QualityRecord,
  type RunInfo,
  type SampleRecord,
} from './runFormat';
import type { MetricColumns, RunSnapshot, SampleView } from './webviewProtocol';

let tmpCounter = 0;

/** Writes a file so that readers see the old or the new content, never a mix. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${tmpCounter++}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Reads a JSONL file; a torn or corrupt line (a kill mid-append) is skipped. */
export function readJsonl<T>(path: string, accept: (v: unknown) => v is T): T[] {
  if (!existsSync(path)) return [];
  const out: T[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const v: unknown = JSON.parse(line);
      if (accept(v)) out.push(v);
    } catch {
      // torn line: ignore
    }
  }
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number';

export function isMetricRecord(v: unknown): v is MetricRecord {
  return isObj(v) && isNum(v.step) && isNum(v.dLoss) && isNum(v.gLoss);
}
export function isHistogramRecord(v: unknown): v is HistogramRecord {
  return isObj(v) && isNum(v.step) && isNum(v.lo) && isNum(v.hi) && Array.isArray(v.real) && Array.isArray(v.fake);
}
export function isSampleRecord(v: unknown): v is SampleRecord {
  return isObj(v) && isNum(v.step) && typeof v.file === 'string' && (v.kind === 'image-grid' || v.kind === 'points2d');
}
export function isQualityRecord(v: unknown): v is QualityRecord {
  return isObj(v) && isNum(v.step) && isNum(v.swd) && isNum(v.diversity);
}
export function isRunInfo(v: unknown): v is RunInfo {
  return (
    isObj(v) &&
    typeof v.id === 'string' &&
    typeof v.name === 'string' &&
    RUN_STATUSES.includes(v.status as RunInfo['status']) &&
    isNum(v.step) &&
    isNum(v.totalSteps)
  );
}

export class RunReadError extends Error {}

export function readRunInfo(runDir: string): RunInfo {
  const path = join(runDir, RUN_FILES.run);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new RunReadError(`${path}: not found; is ${runDir} a GAN Studio run directory?`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new RunReadError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (!isRunInfo(v)) throw new RunReadError(`${path}: not a GAN Studio run.json`);
  return v;
}

export function readMetrics(runDir: string): MetricRecord[] {
  return readJsonl(join(runDir, RUN_FILES.metrics), isMetricRecord);
}
export function readHistograms(runDir: string): HistogramRecord[] {
  return readJsonl(join(runDir, RUN_FILES.histograms), isHistogramRecord);
}
export function readQuality(runDir: string): QualityRecord[] {
  return readJsonl(join(runDir, RUN_FILES.quality), isQualityRecord);
}
export function readSamples(runDir: string): SampleRecord[] {
  // Only samples whose file made it to disk.
  return readJsonl(join(runDir, RUN_FILES.samples), isSampleRecord).filter((s) => existsSync(join(runDir, s.file)));
}

export function readLatestCheckpoint(runDir: string): CheckpointPointer | undefined {
  const path = join(runDir, RUN_FILES.checkpointsDir, RUN_FILES.latestCheckpoint);
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as CheckpointPointer;
    if (isNum(v.step) && typeof v.dir === 'string' && existsSync(join(runDir, RUN_FILES.checkpointsDir, v.dir, 'state.json'))) return v;
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
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join(dir, m[0], 'state.json')))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

export function toColumns(records: MetricRecord[]): MetricColumns {
  const cols = { step: [], wallMs: [] } as unknown as MetricColumns;
  for (const k of METRIC_KEYS) cols[k] = [];
  for (const r of records) {
    cols.step.push(r.step);
    cols.wallMs.push(r.wallMs ?? 0);
    for (const k of METRIC_KEYS) {
      const v = r[k];
      cols[k].push(typeof v === 'number' && Number.isFinite(v) ? v : null);
    }
  }
  return cols;
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

/** Everything the dashboard needs for one run. `toSrc` turns an absolute file path into a URL. */
export function readSnapshot(runDir: string, toSrc: (absPath: string) => string): RunSnapshot {
  const run = readRunInfo(runDir);
  let config: unknown = null;
  try {
    config = JSON.parse(readFileSync(join(runDir, RUN_FILES.config), 'utf8'));
  } catch {
    // shown as missing
  }
  const samples: SampleView[] = readSamples(runDir).map((s) => ({ ...s, src: toSrc(join(runDir, s.file)) }));
  const realFile = join(runDir, RUN_FILES.samplesDir, 'real.png');
  const realPoints = join(runDir, RUN_FILES.samplesDir, 'real.json');
  let realSamples: SampleView | undefined;
  if (existsSync(realFile)) {
    const grid = run.imageShape ? gridOf(config) : [8, 8];
    realSamples = { step: 0, file: 'samples/real.png', kind: 'image-grid', rows: grid[0], cols: grid[1], src: toSrc(realFile) };
  } else if (existsSync(realPoints)) {
    realSamples = { step: 0, file: 'samples/real.json', kind: 'points2d', rows: 1, cols: 1, src: toSrc(realPoints) };
  }
  return {
    run,
    config,
    metrics: toColumns(readMetrics(runDir)),
    histograms: readHistograms(runDir),
    quality: readQuality(runDir),
    samples,
    ...(realSamples ? { realSamples } : {}),
  };
}

function gridOf(config: unknown): [number, number] {
  const g = (config as { logging?: { sampleGrid?: unknown } } | null)?.logging?.sampleGrid;
  return Array.isArray(g) && g.length === 2 && g.every(isNum) ? [g[0], g[1]] : [8, 8];
}
