/**
 * Messages between the extension host and a trainer process on the IPC channel: a training
 * (`cli.js train … --ipc`) or a generator server (`cli.js serve <runDir> --ipc`). Each message is
 * a named schema; each direction is one union with one parser, which every receiver uses.
 */
import * as v from 'valibot';
import { checkMessage, count, finite, integer, measure, positive, text, type Checked } from './fields';
import { generatedFields, latentFields, shapeHoldsData, zHoldsCount } from './generation';
import { backendName, eventSource, histogramRecord, metricRecord, qualityRecord, runEvent, runInfo, runStatus, sampleRecord } from './runFormat';

// ---- Host → trainer

export const stopRequest = v.object({ type: v.literal('stop') });
export interface StopRequest extends v.InferOutput<typeof stopRequest> {}

/** Generate from the current generator (a training) or the loaded one (a server). */
export const generateRequest = v.pipe(v.object({ type: v.literal('generate'), requestId: integer, ...latentFields }), zHoldsCount());
export interface GenerateRequest extends v.InferOutput<typeof generateRequest> {}

/** Hold the training between steps (its state stays in memory), or let it go on. */
export const pauseRequest = v.object({ type: v.literal('pause'), source: eventSource });
export interface PauseRequest extends v.InferOutput<typeof pauseRequest> {}
export const continueRequest = v.object({ type: v.literal('continue'), source: eventSource });
export interface ContinueRequest extends v.InferOutput<typeof continueRequest> {}

/** While paused: one D update (dStep), one G update (gStep), or one full training step (step). */
export const manualStepRequest = v.object({ type: v.literal('manualStep'), kind: v.picklist(['dStep', 'gStep', 'step']), source: eventSource });
export interface ManualStepRequest extends v.InferOutput<typeof manualStepRequest> {}

/** Change one setting from the next update on (src/config/liveEdits.ts checks pointer and value). */
export const editRequest = v.object({ type: v.literal('edit'), pointer: v.pipe(text, v.maxLength(200)), value: finite, source: eventSource });
export interface EditRequest extends v.InferOutput<typeof editRequest> {}

export const hostToTrainer = v.variant('type', [stopRequest, generateRequest, pauseRequest, continueRequest, manualStepRequest, editRequest]);
export type HostToTrainer = StopRequest | GenerateRequest | PauseRequest | ContinueRequest | ManualStepRequest | EditRequest;

// ---- Trainer → host

/** The run exists (new, or reopened to resume) and training begins. */
export const startedMessage = v.object({
  type: v.literal('started'),
  runId: text,
  runDir: text,
  backend: backendName,
  totalSteps: count,
  startStep: count,
  run: runInfo,
  /** Threads that train (data-parallel workers, 1 without). */
  workers: v.optional(positive, 1),
  /** What the data set is, in words ("MNIST train, 60000 images"). */
  data: v.optional(text, ''),
});
export interface StartedMessage extends v.InferOutput<typeof startedMessage> {}

/** At most ten a second: the step, the latest losses and the one speed estimate. */
export const progressMessage = v.object({
  type: v.literal('progress'),
  step: count,
  totalSteps: count,
  dLoss: measure,
  gLoss: measure,
  stepsPerSec: finite,
  /** Seconds left at that speed (src/analysis/progress.ts). */
  etaSec: v.optional(finite),
});
export interface ProgressMessage extends v.InferOutput<typeof progressMessage> {}

export const metricsMessage = v.object({ type: v.literal('metrics'), records: v.array(metricRecord) });
export interface MetricsMessage extends v.InferOutput<typeof metricsMessage> {}

export const histogramMessage = v.object({ type: v.literal('histogram'), record: histogramRecord });
export interface HistogramMessage extends v.InferOutput<typeof histogramMessage> {}

export const samplesMessage = v.object({ type: v.literal('samples'), record: sampleRecord });
export interface SamplesMessage extends v.InferOutput<typeof samplesMessage> {}

export const qualityMessage = v.object({ type: v.literal('quality'), record: qualityRecord });
export interface QualityMessage extends v.InferOutput<typeof qualityMessage> {}

export const checkpointMessage = v.object({ type: v.literal('checkpoint'), step: count });
export interface CheckpointMessage extends v.InferOutput<typeof checkpointMessage> {}

/** The training was paused or goes on again (after the event that says so). */
export const pausedMessage = v.object({ type: v.literal('paused'), paused: v.boolean(), step: count });
export interface PausedMessage extends v.InferOutput<typeof pausedMessage> {}

/** A line the trainer appended to events.jsonl. */
export const eventMessage = v.object({ type: v.literal('event'), event: runEvent });
export interface EventMessage extends v.InferOutput<typeof eventMessage> {}

/** A control request the trainer did not carry out, and why (a bad edit, a D step while running). */
export const controlRefusedMessage = v.object({ type: v.literal('controlRefused'), command: v.picklist(['edit', 'dStep', 'gStep', 'step']), message: text });
export interface ControlRefusedMessage extends v.InferOutput<typeof controlRefusedMessage> {}

/** Free text for the trainer log (the output channel); nothing reads facts out of it. */
export const logMessage = v.object({ type: v.literal('log'), level: v.picklist(['info', 'warn', 'error']), message: text });
export interface LogMessage extends v.InferOutput<typeof logMessage> {}

/** The answer to a generate request. */
export const generatedMessage = v.pipe(v.object({ type: v.literal('generated'), requestId: integer, ...generatedFields }), shapeHoldsData());
export interface GeneratedMessage extends v.InferOutput<typeof generatedMessage> {}

/** A generate request that could not be answered, and why. */
export const generateFailedMessage = v.object({ type: v.literal('generateFailed'), requestId: integer, message: text });
export interface GenerateFailedMessage extends v.InferOutput<typeof generateFailedMessage> {}

/** A generator server loaded its checkpoint and takes requests. */
export const servingMessage = v.object({ type: v.literal('serving'), step: count, latentDim: positive });
export interface ServingMessage extends v.InferOutput<typeof servingMessage> {}

/** The last message of a training: how it ended. The process exits after it. */
export const finishedMessage = v.object({ type: v.literal('finished'), status: runStatus, step: count, error: v.optional(text) });
export interface FinishedMessage extends v.InferOutput<typeof finishedMessage> {}

/** A sweep controller (`cli.js sweep … --ipc`) planned its sweep and starts its trials. */
export const sweepStartedMessage = v.object({ type: v.literal('sweepStarted'), sweepId: text, sweepDir: text, trials: count, executor: v.picklist(['local', 'slurm']) });
export interface SweepStartedMessage extends v.InferOutput<typeof sweepStartedMessage> {}

/** The sweep controller's last message: how its trials ended. */
export const sweepFinishedMessage = v.object({
  type: v.literal('sweepFinished'),
  status: v.picklist(['completed', 'stopped', 'failed']),
  completed: count,
  stopped: count,
  failed: count,
});
export interface SweepFinishedMessage extends v.InferOutput<typeof sweepFinishedMessage> {}

export const trainerToHost = v.variant('type', [
  startedMessage,
  progressMessage,
  metricsMessage,
  histogramMessage,
  samplesMessage,
  qualityMessage,
  checkpointMessage,
  pausedMessage,
  eventMessage,
  controlRefusedMessage,
  logMessage,
  generatedMessage,
  generateFailedMessage,
  servingMessage,
  finishedMessage,
  sweepStartedMessage,
  sweepFinishedMessage,
]);
export type TrainerToHost = v.InferOutput<typeof trainerToHost>;

/** The one check of what a trainer process says: our own code, but maybe another version or half-written. */
export function parseTrainerMessage(value: unknown): Checked<TrainerToHost> {
  return checkMessage(trainerToHost, value);
}

/** The one check of what the host asks of a trainer process. */
export function parseHostToTrainer(value: unknown): Checked<HostToTrainer> {
  return checkMessage(hostToTrainer, value);
}
