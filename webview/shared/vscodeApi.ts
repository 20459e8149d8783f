/**
 * The one place that touches `acquireVsCodeApi`. It may be called only once per page, so every
 * module goes through this wrapper; outbound messages are typed by the protocol.
 */
import type { WebviewToHost } from '../../src/protocol/webviewProtocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi =
  typeof acquireVsCodeApi === 'function'
    ? acquireVsCodeApi()
    : // Opened as a plain page (no host): keep working so the UI can still be inspected.
      { postMessage: () => undefined, getState: () => undefined, setState: () => undefined };

export function post(message: WebviewToHost): void {
  api.postMessage(message);
}

/** Logs locally and to the host's output channel, so a problem in the webview is not silent. */
export function log(level: 'info' | 'warn' | 'error', message: string): void {
  (level === 'error' ? console.error : level === 'warn' ? console.warn : console.info)(`[gan-studio] ${message}`);
  post({ type: 'log', level, message });
}

/** View state survives the panel being hidden; it is merged with defaults because old states may lack keys. */
export function loadState<T extends object>(defaults: T): T {
  const saved = api.getState();
  if (typeof saved !== 'object' || saved === null) return { ...defaults };
  const out = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof T)[]) {
    const v = (saved as Partial<T>)[key];
    if (v !== undefined && (typeof v === typeof defaults[key] || defaults[key] === null)) out[key] = v;
  }
  return out;
}

export function saveState(state: object): void {
  api.setState(state);
}
