/**
 * Messages between the extension host and a forked trainer process (IPC channel).
 * The trainer is started as `cli.js train <gan.json> --ipc [...]`; everything after that is here.
 */
import type { BackendName, HistogramRecord, MetricRecord, QualityRecord, RunInfo, RunStatus, SampleRecord } from './runFormat';

/** Host → trainer. */
export type HostToTrainer =
  | { type: 'stop' }
  /** Generate from the current generator, for the latent explorer. `z` is row-major [count, latentDim]. */
  | { type: 'generate'; requestId: number; z: number[]; count: number };

/** Trainer → host. */
export type TrainerToHost =
  | {
      type: 'started';
      runId: string;
      runDir: string;
      backend: BackendName;
      totalSteps: number;
      startStep: number;
      run: RunInfo;
    }
  | { type: 'progress'; step: number; totalSteps: number; dLoss: number; gLoss: number; stepsPerSec: number }
  | { type: 'metrics'; records: MetricRecord[] }
  | { type: 'histogram'; record: HistogramRecord }
  | { type: 'samples'; record: SampleRecord }
  | { type: 'quality'; record: QualityRecord }
  | { type: 'checkpoint'; step: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'generated'; requestId: number; data: number[]; shape: number[] }
  | { type: 'finished'; status: RunStatus; step: number; error?: string };

const TRAINER_TYPES = new Set([
  'started',
  'progress',
  'metrics',
  'histogram',
  'samples',
  'quality',
  'checkpoint',
  'log',
  'generated',
  'finished',
]);

/** Structural check for messages that arrive from the child process. */
export function isTrainerMessage(value: unknown): value is TrainerToHost {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    TRAINER_TYPES.has((value as { type: string }).type)
  );
}

export function isHostToTrainer(value: unknown): value is HostToTrainer {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  switch (v.type) {
    case 'stop':
      return true;
    case 'generate':
      return (
        typeof v.requestId === 'number' &&
        typeof v.count === 'number' &&
        Array.isArray(v.z) &&
        v.z.every((n) => typeof n === 'number')
      );
    default:
      return false;
  }
}
