/**
 * Messages between the extension host and its webviews (the dashboard panel, compare panels and
 * the Samples side view). The host owns history: a webview posts `ready`, then receives a full
 * `snapshot`, then `append`s. Both directions are validated by the receiver.
 */
import type { Alarm } from './alarms';
import type { HistogramRecord, MetricKey, MetricRecord, QualityRecord, RunInfo, SampleRecord } from './runFormat';

/** Metrics in columns: one array per key, aligned with `step`. Missing values are null. */
export type MetricColumns = { step: number[]; wallMs: number[] } & { [K in MetricKey]: (number | null)[] };

/** A sample record with a URL the webview can load (asWebviewUri in VS Code). */
export interface SampleView extends SampleRecord {
  src: string;
}

export interface RunSnapshot {
  run: RunInfo;
  /** The resolved config, shown collapsible in the run summary. */
  config: unknown;
  metrics: MetricColumns;
  histograms: HistogramRecord[];
  /** Sample-quality measures (vector data); absent or empty for runs that have none. */
  quality?: QualityRecord[];
  samples: SampleView[];
  /** A grid of real data for reference (image runs), when the run has one. */
  realSamples?: SampleView;
  /** What the host's alarm monitor says about the run (src/protocol/alarms.ts); the one source. */
  alarms?: Alarm[];
  /** Steps of the complete checkpoints in checkpoints/, oldest first (the latent explorer loads them). */
  checkpoints?: number[];
}

export type HostToWebview =
  | { type: 'snapshot'; snapshot: RunSnapshot }
  | {
      type: 'append';
      runId: string;
      run?: RunInfo;
      metrics?: MetricRecord[];
      histograms?: HistogramRecord[];
      quality?: QualityRecord[];
      samples?: SampleView[];
      /** Checkpoints written since the snapshot. */
      checkpoints?: number[];
    }
  /** The run's alarms changed (live training, or the thresholds in the settings). Replaces the list. */
  | { type: 'alarms'; runId: string; alarms: Alarm[] }
  | { type: 'compare'; runs: RunSnapshot[] }
  /** Samples side view: the runs to pick from and the latest sample of the selected one. */
  | { type: 'latestSample'; runs: { id: string; name: string; status: RunInfo['status'] }[]; selected?: string; run?: RunInfo; sample?: SampleView }
  | { type: 'generated'; requestId: number; data: number[]; shape: number[] }
  /** `requestId` is set when the error answers a generate request. */
  | { type: 'error'; message: string; requestId?: number };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'stop'; runId: string }
  | { type: 'resume'; runId: string }
  | { type: 'selectRun'; runId: string }
  | { type: 'openDashboard'; runId: string }
  /**
   * Latent generation. Without `checkpoint`: the running trainer's current generator, or the
   * latest checkpoint of a finished run; with it: that checkpoint, served by a short-lived process.
   */
  | { type: 'generate'; requestId: number; runId: string; z: number[]; count: number; checkpoint?: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

const RUN_ID = /^[A-Za-z0-9._-]{1,200}$/;

function isRunId(v: unknown): v is string {
  return typeof v === 'string' && RUN_ID.test(v);
}

/** Validates a message from a webview. Anything not exactly of a known shape is rejected. */
export function parseWebviewMessage(value: unknown): WebviewToHost | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  switch (v.type) {
    case 'ready':
      return { type: 'ready' };
    case 'stop':
    case 'resume':
    case 'selectRun':
    case 'openDashboard':
      return isRunId(v.runId) ? { type: v.type, runId: v.runId } : undefined;
    case 'generate': {
      const { requestId, runId, z, count, checkpoint } = v;
      if (
        typeof requestId !== 'number' ||
        !Number.isInteger(requestId) ||
        !isRunId(runId) ||
        typeof count !== 'number' ||
        !Number.isInteger(count) ||
        count < 1 ||
        count > 1024 ||
        !Array.isArray(z) ||
        z.length > 1024 * 1024 ||
        !z.every((n) => typeof n === 'number' && Number.isFinite(n)) ||
        (checkpoint !== undefined && (typeof checkpoint !== 'number' || !Number.isInteger(checkpoint) || checkpoint < 0))
      ) {
        return undefined;
      }
      return { type: 'generate', requestId, runId, z: z as number[], count, ...(checkpoint !== undefined ? { checkpoint: checkpoint as number } : {}) };
    }
    case 'log':
      return (v.level === 'info' || v.level === 'warn' || v.level === 'error') && typeof v.message === 'string'
        ? { type: 'log', level: v.level, message: v.message.slice(0, 2000) }
        : undefined;
    default:
      return undefined;
  }
}
