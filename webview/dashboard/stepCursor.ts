/**
 * The global step cursor. Hovering a chart, scrubbing the samples or pressing arrow keys all set
 * it, and every view that shows something "at a step" follows it. `null` means "follow the latest".
 */
export type CursorSource = 'chart' | 'scrubber' | 'key' | 'data';

export class StepCursor {
  private current: number | null = null;
  private readonly listeners = new Set<(step: number | null, source: CursorSource) => void>();

  get step(): number | null {
    return this.current;
  }

  set(step: number | null, source: CursorSource): void {
    if (step === this.current) return;
    this.current = step;
    for (const l of this.listeners) l(step, source);
  }

  on(listener: (step: number | null, source: CursorSource) => void): void {
    this.listeners.add(listener);
  }
}

/** Index of the stop nearest to `step` moved by `delta` (±Infinity jumps to the ends). */
export function nudgeStops(stops: readonly number[], step: number | null, delta: number): number | undefined {
  if (stops.length === 0) return undefined;
  if (delta === -Infinity) return stops[0];
  if (delta === Infinity || step === null) return stops[stops.length - 1];
  let i = stops.findIndex((s) => s >= step);
  if (i < 0) i = stops.length - 1;
  else if (stops[i] !== step && delta > 0) i--;
  return stops[Math.min(stops.length - 1, Math.max(0, i + delta))];
}
