/**
 * Writes one run directory. Whole files are replaced atomically; the JSONL logs are appended a
 * line at a time and rewritten atomically when a resume drops what came after its checkpoint.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { GanConfig } from '../config/ganConfig';
import { serializeResolvedConfig } from '../config/validateConfig';
import { readRunInfo, writeFileAtomic, writeJsonAtomic } from '../protocol/runFiles';
import {
  RUN_FILES,
  RUN_FORMAT_VERSION,
  type BackendName,
  type DataKind,
  type HistogramRecord,
  type MetricRecord,
  type QualityRecord,
  type RunInfo,
  type SampleRecord,
} from '../protocol/runFormat';

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'run';
}

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export class RunWriter {
  private info: RunInfo;

  private constructor(
    readonly dir: string,
    info: RunInfo,
  ) {
    this.info = info;
  }

  get run(): RunInfo {
    return this.info;
  }

  static create(opts: {
    runsDir: string;
    config: GanConfig;
    configPath: string;
    backend: BackendName;
    dataKind: DataKind;
    dataDim: number;
    imageShape?: [number, number, number];
  }): RunWriter {
    mkdirSync(opts.runsDir, { recursive: true });
    const base = `${slug(opts.config.name)}-${timestamp(new Date())}`;
    let id = base;
    for (let i = 2; existsSync(join(opts.runsDir, id)); i++) id = `${base}-${i}`;
    const dir = join(opts.runsDir, id);
    mkdirSync(join(dir, RUN_FILES.samplesDir), { recursive: true });
    mkdirSync(join(dir, RUN_FILES.checkpointsDir), { recursive: true });
    const now = new Date().toISOString();
    const info: RunInfo = {
      formatVersion: RUN_FORMAT_VERSION,
      id,
      name: opts.config.name,
      status: 'running',
      configPath: opts.configPath,
      backend: opts.backend,
      seed: opts.config.seed,
      dataKind: opts.dataKind,
      dataDim: opts.dataDim,
      ...(opts.imageShape ? { imageShape: opts.imageShape } : {}),
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
    writer.update({});
    return writer;
  }

  /** Re-opens a run to resume it; everything logged after `fromStep` is dropped so curves join. */
  static reopen(dir: string, fromStep: number, patch: Partial<RunInfo>): RunWriter {
    const info = readRunInfo(dir);
    const writer = new RunWriter(dir, info);
    for (const file of [RUN_FILES.metrics, RUN_FILES.histograms, RUN_FILES.samples, RUN_FILES.quality]) writer.truncateLog(file, fromStep);
    // Sample files past the checkpoint belong to the abandoned future.
    const samplesDir = join(dir, RUN_FILES.samplesDir);
    if (existsSync(samplesDir)) {
      for (const name of readdirSync(samplesDir)) {
        const m = /^step-(\d+)\./.exec(name);
        if (m && Number(m[1]) > fromStep) rmSync(join(samplesDir, name), { force: true });
      }
    }
    const { error: _dropped, endedAt: _ended, ...rest } = info;
    writer.info = rest as RunInfo;
    writer.update({ ...patch, step: fromStep, status: 'running', pid: process.pid });
    return writer;
  }

  private truncateLog(file: string, maxStep: number): void {
    const path = join(this.dir, file);
    if (!existsSync(path)) return;
    const kept = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => {
        try {
          const v = JSON.parse(line) as { step?: unknown };
          return typeof v.step === 'number' && v.step <= maxStep;
        } catch {
          return false;
        }
      });
    writeFileAtomic(path, kept.length ? `${kept.join('\n')}\n` : '');
  }

  update(patch: Partial<RunInfo>): void {
    this.info = { ...this.info, ...patch, updatedAt: new Date().toISOString() };
    writeJsonAtomic(join(this.dir, RUN_FILES.run), this.info);
  }

  private append(file: string, records: unknown[]): void {
    if (records.length === 0) return;
    appendFileSync(join(this.dir, file), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  appendMetrics(records: MetricRecord[]): void {
    this.append(RUN_FILES.metrics, records);
  }

  appendHistogram(record: HistogramRecord): void {
    this.append(RUN_FILES.histograms, [record]);
  }

  appendQuality(record: QualityRecord): void {
    this.append(RUN_FILES.quality, [record]);
  }

  /** Writes the sample file first, then indexes it, so the index never names a missing file. */
  writeSample(record: SampleRecord, content: Uint8Array | string): void {
    writeFileAtomic(join(this.dir, record.file), content);
    this.append(RUN_FILES.samples, [record]);
  }

  writeExtra(relPath: string, content: Uint8Array | string): void {
    writeFileAtomic(join(this.dir, relPath), content);
  }
}
