/**
 * Validation of everything the host posts. The webview trusts nothing it did not check: a message
 * of unknown type or wrong shape is dropped with a reason (logged by the caller), never half-applied.
 * Large numeric columns are checked for shape here and coerced value by value when they are
 * copied into typed arrays (runData.ts), so one bad number becomes a gap rather than a rejection.
 */
import type { HostToWebview, RunSnapshot, SampleView } from '../../src/protocol/webviewProtocol';
import { METRIC_KEYS, RUN_STATUSES, type HistogramRecord, type MetricRecord, type QualityRecord, type RunInfo } from '../../src/protocol/runFormat';
import { ALARM_KINDS, type Alarm } from '../../src/protocol/alarms';

export type Parsed = { ok: true; message: HostToWebview } | { ok: false; reason: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/**
 * A metric column: an array, or a Float64Array (NaN = missing). Typed arrays cross postMessage
 * as one block instead of 100k separately cloned numbers, several times faster for long runs.
 */
const isColumn = (v: unknown): v is ArrayLike<unknown> => Array.isArray(v) || v instanceof Float64Array;

class Invalid extends Error {}
function need(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Invalid(what);
}

export function parseHostMessage(value: unknown): Parsed {
  try {
    need(isObj(value), 'not an object');
    const v = value;
    switch (v.type) {
      case 'snapshot':
        checkSnapshot(v.snapshot, 'snapshot');
        return ok(v);
      case 'append':
        need(isStr(v.runId), 'append.runId is not a string');
        if (v.run !== undefined) checkRunInfo(v.run, 'append.run');
        if (v.metrics !== undefined) {
          need(Array.isArray(v.metrics), 'append.metrics is not an array');
          v.metrics.forEach((m, i) => checkMetric(m, `append.metrics[${i}]`));
        }
        if (v.histograms !== undefined) {
          need(Array.isArray(v.histograms), 'append.histograms is not an array');
          v.histograms.forEach((h, i) => checkHistogram(h, `append.histograms[${i}]`));
        }
        if (v.samples !== undefined) {
          need(Array.isArray(v.samples), 'append.samples is not an array');
          v.samples.forEach((s, i) => checkSample(s, `append.samples[${i}]`));
        }
        if (v.quality !== undefined) {
          need(Array.isArray(v.quality), 'append.quality is not an array');
          v.quality.forEach((q, i) => checkQuality(q, `append.quality[${i}]`));
        }
        if (v.checkpoints !== undefined) checkSteps(v.checkpoints, 'append.checkpoints');
        return ok(v);
      case 'alarms':
        need(isStr(v.runId), 'alarms.runId is not a string');
        checkAlarms(v.alarms, 'alarms.alarms');
        return ok(v);
      case 'compare':
        need(Array.isArray(v.runs), 'compare.runs is not an array');
        v.runs.forEach((r, i) => checkSnapshot(r, `compare.runs[${i}]`));
        return ok(v);
      case 'latestSample':
        need(Array.isArray(v.runs), 'latestSample.runs is not an array');
        v.runs.forEach((r, i) => {
          need(isObj(r) && isStr(r.id) && isStr(r.name) && RUN_STATUSES.includes(r.status as RunInfo['status']), `latestSample.runs[${i}] is not {id, name, status}`);
        });
        need(v.selected === undefined || isStr(v.selected), 'latestSample.selected is not a string');
        if (v.run !== undefined) checkRunInfo(v.run, 'latestSample.run');
        if (v.sample !== undefined) checkSample(v.sample, 'latestSample.sample');
        return ok(v);
      case 'generated':
        need(Number.isInteger(v.requestId), 'generated.requestId is not an integer');
        need(Array.isArray(v.data) && v.data.every(isNum), 'generated.data is not an array of numbers');
        need(Array.isArray(v.shape) && v.shape.every((n) => Number.isInteger(n) && n >= 0), 'generated.shape is not an array of sizes');
        return ok(v);
      case 'error':
        need(isStr(v.message), 'error.message is not a string');
        need(v.requestId === undefined || Number.isInteger(v.requestId), 'error.requestId is not an integer');
        return ok(v);
      default:
        return { ok: false, reason: `unknown message type ${JSON.stringify(String(v.type)).slice(0, 60)}` };
    }
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: err.message };
    throw err;
  }
}

// The checks above establish the shape; the cast is the one place where that is asserted to the compiler.
const ok = (v: Obj): Parsed => ({ ok: true, message: v as unknown as HostToWebview });

function checkRunInfo(v: unknown, at: string): asserts v is RunInfo {
  need(isObj(v), `${at} is not an object`);
  need(isStr(v.id) && isStr(v.name), `${at}.id/name are not strings`);
  need(RUN_STATUSES.includes(v.status as RunInfo['status']), `${at}.status is not a run status`);
  need(isNum(v.step) && isNum(v.totalSteps), `${at}.step/totalSteps are not numbers`);
  need(v.dataKind === 'points2d' || v.dataKind === 'vector' || v.dataKind === 'image', `${at}.dataKind is not a data kind`);
}

function checkSnapshot(v: unknown, at: string): asserts v is RunSnapshot {
  need(isObj(v), `${at} is not an object`);
  checkRunInfo(v.run, `${at}.run`);
  const m = v.metrics;
  need(isObj(m) && isColumn(m.step) && isColumn(m.wallMs), `${at}.metrics has no step/wallMs columns`);
  const n = m.step.length;
  need(m.wallMs.length === n, `${at}.metrics.wallMs length differs from step`);
  for (const k of METRIC_KEYS) {
    const col = m[k];
    // Columns for metrics a loss does not produce may be absent entirely.
    need(col === undefined || (isColumn(col) && col.length === n), `${at}.metrics.${k} is not a column of ${n}`);
  }
  need(Array.isArray(v.histograms), `${at}.histograms is not an array`);
  v.histograms.forEach((h, i) => checkHistogram(h, `${at}.histograms[${i}]`));
  need(Array.isArray(v.samples), `${at}.samples is not an array`);
  v.samples.forEach((s, i) => checkSample(s, `${at}.samples[${i}]`));
  if (v.realSamples !== undefined) checkSample(v.realSamples, `${at}.realSamples`);
  if (v.quality !== undefined) {
    need(Array.isArray(v.quality), `${at}.quality is not an array`);
    v.quality.forEach((q, i) => checkQuality(q, `${at}.quality[${i}]`));
  }
  if (v.alarms !== undefined) checkAlarms(v.alarms, `${at}.alarms`);
  if (v.checkpoints !== undefined) checkSteps(v.checkpoints, `${at}.checkpoints`);
}

function checkQuality(v: unknown, at: string): asserts v is QualityRecord {
  need(isObj(v) && isNum(v.step), `${at}.step is not a number`);
  // Distances may be NaN-free but absent for some data kinds; present ones must be numbers.
  for (const k of ['swd', 'swdFloor', 'diversity', 'realDiversity', 'modesCovered', 'modes', 'highQuality', 'fcd', 'fcdFloor', 'precision', 'recall']) {
    need(v[k] === undefined || v[k] === null || typeof v[k] === 'number', `${at}.${k} is not a number`);
  }
  need(v.classes === undefined || (Array.isArray(v.classes) && v.classes.every(isNum)), `${at}.classes is not an array of counts`);
}

function checkAlarms(v: unknown, at: string): asserts v is Alarm[] {
  need(Array.isArray(v), `${at} is not an array`);
  v.forEach((a, i) => {
    need(isObj(a) && ALARM_KINDS.includes(a.kind as Alarm['kind']), `${at}[${i}].kind is not an alarm kind`);
    need(a.severity === 'warning' || a.severity === 'info', `${at}[${i}].severity is not warning or info`);
    need(isStr(a.title) && isStr(a.message), `${at}[${i}].title/message are not strings`);
    need(Array.isArray(a.ranges) && a.ranges.every((r) => Array.isArray(r) && r.length === 2 && isNum(r[0]) && isNum(r[1])), `${at}[${i}].ranges are not [first, last] steps`);
  });
}

function checkSteps(v: unknown, at: string): asserts v is number[] {
  need(Array.isArray(v) && v.every((n) => Number.isInteger(n) && (n as number) >= 0), `${at} is not an array of steps`);
}

function checkMetric(v: unknown, at: string): asserts v is MetricRecord {
  need(isObj(v) && isNum(v.step), `${at}.step is not a number`);
}

function checkHistogram(v: unknown, at: string): asserts v is HistogramRecord {
  need(isObj(v) && isNum(v.step) && isNum(v.lo) && isNum(v.hi) && v.hi > v.lo, `${at} has no step/lo<hi`);
  need(Array.isArray(v.real) && Array.isArray(v.fake) && v.real.length === v.fake.length && v.real.length > 0, `${at}.real/fake are not bin arrays of one length`);
  need(v.real.every(isNum) && v.fake.every(isNum), `${at} has a non-numeric count`);
}

function checkSample(v: unknown, at: string): asserts v is SampleView {
  need(isObj(v) && isNum(v.step), `${at}.step is not a number`);
  need(isStr(v.src) && isStr(v.file), `${at}.src/file are not strings`);
  need(v.kind === 'image-grid' || v.kind === 'points2d', `${at}.kind is not image-grid or points2d`);
  need(Number.isInteger(v.rows) && Number.isInteger(v.cols) && (v.rows as number) > 0 && (v.cols as number) > 0, `${at}.rows/cols are not positive integers`);
}
