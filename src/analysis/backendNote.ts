/** How a run's backend reads for a person: one line for a summary, the reasons for a tooltip. */
import type { RunInfo } from '../protocol/runFormat';

export interface BackendNote {
  /** e.g. "wasm (native TensorFlow not installed)" or "tensorflow (native)". */
  short: string;
  /** Where the native backend came from, or why each better backend was passed over. */
  detail: string;
}

const NAMES: Record<RunInfo['backend'], string> = { tensorflow: 'native TensorFlow', wasm: 'WebAssembly', cpu: 'pure JavaScript' };

export function backendNote(info: Pick<RunInfo, 'backend' | 'backendDetail'>): BackendNote {
  const d = info.backendDetail;
  if (info.backend === 'tensorflow') {
    return { short: 'tensorflow (native)', detail: d?.nativeFrom ? `${NAMES.tensorflow}, @tensorflow/tfjs-node from ${d.nativeFrom}` : NAMES.tensorflow };
  }
  const skipped = d?.skipped ?? [];
  const native = skipped.find((s) => s.backend === 'tensorflow');
  const why = native ? (/not installed/.test(native.reason) ? 'native TensorFlow not installed' : 'native TensorFlow did not load') : undefined;
  return {
    short: why ? `${info.backend} (${why})` : info.backend,
    detail: [`${NAMES[info.backend]}`, ...skipped.map((s) => `${s.backend} not used: ${s.reason}`)].join('\n'),
  };
}
