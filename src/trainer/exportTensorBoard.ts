/**
 * `gan-studio export-tb <runDir>`: the run's logs as one TensorBoard event file, for runs made
 * before the trainer wrote event files, or with logging.tensorboard off. It replaces whatever tb/
 * holds with a file of the same tags the trainer writes (src/runDir/tensorboard/runEvents.ts):
 * the scalars of metrics.jsonl and quality.jsonl, the histograms of histograms.jsonl, and the
 * sample pictures (image grids as they are; points2d samples drawn as the trainer draws them).
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as v from 'valibot';
import { lossUsesProbability } from '../config/ganConfig';
import { samplePoints2D, type RunInfo, type SampleRecord } from '../protocol/runFormat';
import { processAlive, readHistograms, readMetrics, readQuality, readRunConfig, readRunInfo, readSamples, RunReadError } from '../runDir/runReader';
import type { TbEvent, TbValue } from '../runDir/tensorboard/eventProto';
import { replaceEventFiles } from '../runDir/tensorboard/eventWriter';
import { histogramValues, metricValues, qualityValues, sampleValues } from '../runDir/tensorboard/runEvents';
import { InputError } from './inputError';
import { pointsPng } from './samples';

function parseRunDir(args: string[]): string {
  let parsed;
  try {
    parsed = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const option = /'([^']+)'/.exec(e.message)?.[1];
    const what = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option ? `unknown option "${option}"` : e.message.split('\n')[0];
    throw new InputError(`${what} (see "gan-studio export-tb --help")`);
  }
  if (parsed.positionals.length !== 1) throw new InputError('export-tb takes one run directory (see "gan-studio export-tb --help")');
  return resolve(parsed.positionals[0]);
}

function readRun(runDir: string): RunInfo {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) throw new InputError(`${runDir}: no such run directory`);
  let info: RunInfo;
  try {
    info = readRunInfo(runDir);
  } catch (err) {
    if (err instanceof RunReadError) throw new InputError(err.message);
    throw err;
  }
  // A training process appends to its own event file; replacing tb/ under it would lose that.
  if (info.status === 'running' && processAlive(info.pid)) {
    throw new InputError(`${runDir} is training (pid ${info.pid}) and writes its event file in tb/ as it goes; run export-tb after it has ended`);
  }
  return info;
}

/**
 * Epoch milliseconds of a step: the logged time of the first metric record at or after it (only
 * metrics carry times), else the last one's; the run's start for step 0 or a run without metrics.
 */
function wallClock(info: RunInfo, metricSteps: number[], metricTimes: number[]): (step: number) => number {
  const start = Date.parse(info.createdAt);
  return (step) => {
    if (step === 0 || metricSteps.length === 0) return Number.isFinite(start) ? start : Date.now();
    let lo = 0;
    let hi = metricSteps.length - 1;
    if (metricSteps[hi] < step) return metricTimes[hi];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (metricSteps[mid] < step) lo = mid + 1;
      else hi = mid;
    }
    return metricTimes[lo];
  };
}

/** The PNG picture of one sample, or undefined when its file cannot be read as what it says. */
async function samplePicture(runDir: string, s: SampleRecord, dRange: [number, number] | undefined): Promise<Uint8Array | undefined> {
  try {
    const bytes = await readFile(join(runDir, s.file));
    if (s.kind === 'image-grid') return bytes;
    const points = v.safeParse(samplePoints2D, JSON.parse(bytes.toString('utf8')));
    return points.success ? pointsPng(points.output, 320, dRange) : undefined;
  } catch {
    return undefined;
  }
}

export async function exportTbCommand(args: string[]): Promise<number> {
  const runDir = parseRunDir(args);
  const info = readRun(runDir);
  const config = readRunConfig(runDir);
  // The trainer's own choice for its pictures: probabilities on [0, 1], scores on their range.
  const dRange: [number, number] | undefined = config && lossUsesProbability(config.loss.type) ? [0, 1] : undefined;

  const metrics = readMetrics(runDir);
  const wallAt = wallClock(
    info,
    metrics.map((m) => m.step),
    metrics.map((m) => m.time),
  );
  // Grouped by step, in the order the trainer logs within one: metrics, histograms, quality, samples.
  const pending: { step: number; order: number; wallMs: number; values: TbValue[] }[] = [];
  const add = (step: number, wallMs: number, values: TbValue[]) => {
    if (values.length > 0) pending.push({ step, order: pending.length, wallMs, values });
  };
  let scalars = 0;
  let histograms = 0;
  let images = 0;
  let unreadable = 0;
  for (const m of metrics) add(m.step, m.time, metricValues(m));
  for (const h of readHistograms(runDir)) add(h.step, wallAt(h.step), histogramValues(h));
  for (const q of readQuality(runDir)) add(q.step, wallAt(q.step), qualityValues(q));
  for (const s of readSamples(runDir)) {
    const png = await samplePicture(runDir, s, dRange);
    const values = png ? sampleValues(png) : [];
    if (values.length === 0) unreadable++;
    add(s.step, wallAt(s.step), values);
  }
  pending.sort((a, b) => a.step - b.step || a.order - b.order);

  const events: TbEvent[] = pending.map((p) => ({ wallTime: p.wallMs / 1000, step: p.step, values: p.values }));
  const tags = new Set<string>();
  for (const p of pending) {
    for (const val of p.values) {
      tags.add(val.tag);
      if (val.simpleValue !== undefined) scalars++;
      else if (val.histo) histograms++;
      else if (val.image) images++;
    }
  }
  const path = replaceEventFiles(runDir, events);
  const steps = pending.length > 0 ? `, steps ${pending[0].step}–${pending[pending.length - 1].step}` : '';
  const skipped = unreadable > 0 ? `; ${unreadable} sample file${unreadable === 1 ? '' : 's'} could not be read and were left out` : '';
  process.stdout.write(
    `${info.id}: ${events.length} events, ${tags.size} tags: ${scalars} scalars, ${histograms} histograms, ${images} images${steps}${skipped}\n${path}\n`,
  );
  return 0;
}
