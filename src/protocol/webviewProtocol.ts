/**
 * Messages between the extension host and its webviews (the dashboard panel, compare panels and
 * the Samples side view). The host owns history: a webview posts `ready`, then receives a full
 * `snapshot`, then `append`s. Each direction is one union with one parser, used by its receiver.
 */
import * as v from 'valibot';
import type { GanConfig } from '../config/ganConfig';
import { alarm } from './alarms';
import { checkMessage, count, finite, integer, runId, text, type Checked } from './fields';
import { editablePointer, histogramRecord, METRIC_KEYS, metricRecord, qualityRecord, runEvent, runInfo, runStatus, sampleView, type MetricKey } from './runFormat';
import { generatedFields, latentFields, shapeHoldsData, zHoldsCount } from './generation';
import { sweepView } from './sweepFormat';

/**
 * Metrics in columns, aligned with `step`: typed arrays, NaN where a record had no value. They
 * cross postMessage as blocks of memory rather than as 100 000 separately cloned numbers.
 */
export type MetricColumns = { step: Float64Array; wallMs: Float64Array } & Record<MetricKey, Float64Array>;

/** Per-layer norms by layer (run.json `layers`), each column aligned with the metrics' steps. */
export interface LayerNormColumns {
  gGrad: Float64Array[];
  dGrad: Float64Array[];
  gWeight: Float64Array[];
  dWeight: Float64Array[];
}

const COLUMN_KEYS = ['step', 'wallMs', ...METRIC_KEYS] as const;

/** The first column that is not a Float64Array as long as `step`, or undefined. */
function badColumn(x: unknown): string | undefined {
  if (typeof x !== 'object' || x === null) return 'the columns are not an object';
  const cols = x as Record<string, unknown>;
  const n = cols.step instanceof Float64Array ? cols.step.length : -1;
  const bad = COLUMN_KEYS.find((k) => !(cols[k] instanceof Float64Array && cols[k].length === n));
  return bad && `${bad} is not a Float64Array column of ${n}`;
}
const metricColumns = v.custom<MetricColumns>(
  (x) => badColumn(x) === undefined,
  (issue) => badColumn(issue.input) ?? 'invalid columns',
);

/**
 * The run's resolved config. The host read it through the config schema (src/runDir); the webview
 * cannot run that validator under its CSP (it compiles code), and takes the host's word for it.
 */
const resolvedConfig = v.custom<GanConfig | null>((x) => x === null || (typeof x === 'object' && !Array.isArray(x)), 'expected a config object or null');

const steps = v.array(count);

export const runSnapshot = v.object({
  run: runInfo,
  config: resolvedConfig,
  metrics: metricColumns,
  histograms: v.array(histogramRecord),
  /** Sample-quality measures; empty for runs that have none. */
  quality: v.array(qualityRecord),
  samples: v.array(sampleView),
  /** A grid of real data for reference, when the run has one. */
  realSamples: v.optional(sampleView),
  /** What the host's alarm monitor says about the run: the one source. */
  alarms: v.array(alarm),
  /** Steps of the complete checkpoints in checkpoints/, oldest first (the latent explorer loads them). */
  checkpoints: steps,
  /** events.jsonl: live edits, pauses and manual steps, in order (the charts' markers). */
  events: v.optional(v.array(runEvent)),
  /** Whether the run's trainer is paused now (live runs only). */
  paused: v.optional(v.boolean()),
  /**
   * The per-layer norm columns, aligned with `metrics.step`: one Float64Array per layer for each of
   * the four norms (NaN where a record had none). Absent when the run logged none.
   */
  layerNorms: v.optional(v.custom<LayerNormColumns>((x) => typeof x === 'object' && x !== null, 'expected layer norm columns')),
});
export interface RunSnapshot extends v.InferOutput<typeof runSnapshot> {}

// ---- Host → webview

export const snapshotMessage = v.object({ type: v.literal('snapshot'), snapshot: runSnapshot });
export interface SnapshotMessage extends v.InferOutput<typeof snapshotMessage> {}

/** What one run added since the snapshot. */
export const appendMessage = v.object({
  type: v.literal('append'),
  runId: text,
  run: v.optional(runInfo),
  metrics: v.optional(v.array(metricRecord)),
  histograms: v.optional(v.array(histogramRecord)),
  quality: v.optional(v.array(qualityRecord)),
  samples: v.optional(v.array(sampleView)),
  /** Checkpoints written since the snapshot. */
  checkpoints: v.optional(steps),
  /** Events the trainer recorded since. */
  events: v.optional(v.array(runEvent)),
  /** The trainer paused or went on. */
  paused: v.optional(v.boolean()),
});
export interface AppendMessage extends v.InferOutput<typeof appendMessage> {}

/** The run's alarms changed (live training, or the thresholds in the settings). Replaces the list. */
export const alarmsMessage = v.object({ type: v.literal('alarms'), runId: text, alarms: v.array(alarm) });
export interface AlarmsMessage extends v.InferOutput<typeof alarmsMessage> {}

export const compareMessage = v.object({ type: v.literal('compare'), runs: v.array(runSnapshot) });
export interface CompareMessage extends v.InferOutput<typeof compareMessage> {}

export const runChoice = v.object({ id: text, name: text, status: runStatus });
export interface RunChoice extends v.InferOutput<typeof runChoice> {}

/** Samples side view: the runs to pick from and the latest sample of the selected one. */
export const latestSampleMessage = v.object({
  type: v.literal('latestSample'),
  runs: v.array(runChoice),
  selected: v.optional(text),
  run: v.optional(runInfo),
  sample: v.optional(sampleView),
});
export interface LatestSampleMessage extends v.InferOutput<typeof latestSampleMessage> {}

/** The answer to a webview's generate request. */
export const generatedReply = v.pipe(v.object({ type: v.literal('generated'), requestId: integer, ...generatedFields }), shapeHoldsData());
export interface GeneratedReply extends v.InferOutput<typeof generatedReply> {}

/** Something went wrong; `requestId` is set when it answers a generate request. */
export const errorMessage = v.object({ type: v.literal('error'), message: text, requestId: v.optional(integer) });
export interface ErrorMessage extends v.InferOutput<typeof errorMessage> {}

/** The sweep panel: the whole sweep, again whenever a trial moves on (at most once a second). */
export const sweepSnapshotMessage = v.object({ type: v.literal('sweepSnapshot'), sweep: sweepView });
export interface SweepSnapshotMessage extends v.InferOutput<typeof sweepSnapshotMessage> {}

export const hostToWebview = v.variant('type', [snapshotMessage, appendMessage, alarmsMessage, compareMessage, latestSampleMessage, generatedReply, errorMessage, sweepSnapshotMessage]);
export type HostToWebview = v.InferOutput<typeof hostToWebview>;

// ---- Webview → host

export const readyMessage = v.object({ type: v.literal('ready') });
export const stopRunMessage = v.object({ type: v.literal('stop'), runId });
export const resumeRunMessage = v.object({ type: v.literal('resume'), runId });
export const selectRunMessage = v.object({ type: v.literal('selectRun'), runId });
export const openDashboardMessage = v.object({ type: v.literal('openDashboard'), runId });
export interface ReadyMessage extends v.InferOutput<typeof readyMessage> {}
export interface StopRunMessage extends v.InferOutput<typeof stopRunMessage> {}
export interface ResumeRunMessage extends v.InferOutput<typeof resumeRunMessage> {}
export interface SelectRunMessage extends v.InferOutput<typeof selectRunMessage> {}
export interface OpenDashboardMessage extends v.InferOutput<typeof openDashboardMessage> {}

/**
 * Latent generation. Without `checkpoint`: the running trainer's current generator, or the
 * latest checkpoint of a finished run; with it: that checkpoint, served by a short-lived process.
 */
export const generateSamplesRequest = v.pipe(v.object({ type: v.literal('generate'), requestId: integer, runId, ...latentFields, checkpoint: v.optional(count) }), zHoldsCount());
export interface GenerateSamplesRequest extends v.InferOutput<typeof generateSamplesRequest> {}

/** A webview's own log line, for the output channel (cut to 2000 characters). */
export const webviewLogMessage = v.object({
  type: v.literal('log'),
  level: v.picklist(['info', 'warn', 'error']),
  message: v.pipe(v.string(), v.transform((s) => s.slice(0, 2000))),
});
export interface WebviewLogMessage extends v.InferOutput<typeof webviewLogMessage> {}

/** The sweep panel's "Compare selected". */
export const compareRunsMessage = v.object({ type: v.literal('compareRuns'), runIds: v.pipe(v.array(runId), v.minLength(2), v.maxLength(50)) });
export interface CompareRunsMessage extends v.InferOutput<typeof compareRunsMessage> {}

/** Cancel a whole sweep, or one of its trials (`runId`). */
export const cancelSweepMessage = v.object({ type: v.literal('cancelSweep'), sweepId: runId, runId: v.optional(runId) });
export interface CancelSweepMessage extends v.InferOutput<typeof cancelSweepMessage> {}

/** Playing by hand: pause, continue, and while paused one D step, one G step or one full step. */
export const controlRunMessage = v.object({ type: v.literal('control'), runId, action: v.picklist(['pause', 'continue', 'dStep', 'gStep', 'step']) });
export interface ControlRunMessage extends v.InferOutput<typeof controlRunMessage> {}

/** A live edit of one setting of the live run (the trainer checks the value and may refuse it). */
export const editRunMessage = v.object({ type: v.literal('edit'), runId, pointer: editablePointer, value: finite });
export interface EditRunMessage extends v.InferOutput<typeof editRunMessage> {}

/** Fork the run at one of its checkpoints, with edits, into a new run that trains. */
export const forkRunMessage = v.object({
  type: v.literal('fork'),
  runId,
  step: count,
  sets: v.pipe(v.array(v.object({ pointer: editablePointer, value: finite })), v.maxLength(20)),
});
export interface ForkRunMessage extends v.InferOutput<typeof forkRunMessage> {}

export const webviewToHost = v.variant('type', [
  readyMessage,
  stopRunMessage,
  resumeRunMessage,
  selectRunMessage,
  openDashboardMessage,
  generateSamplesRequest,
  webviewLogMessage,
  compareRunsMessage,
  cancelSweepMessage,
  controlRunMessage,
  editRunMessage,
  forkRunMessage,
]);
export type WebviewToHost = v.InferOutput<typeof webviewToHost>;

/** The one check of what a webview says: it is not trusted with anything but these shapes. */
export function parseWebviewMessage(value: unknown): Checked<WebviewToHost> {
  return checkMessage(webviewToHost, value);
}

/** The one check of what the host posts, run by every webview before it touches a message. */
export function parseHostMessage(value: unknown): Checked<HostToWebview> {
  return checkMessage(hostToWebview, value);
}
