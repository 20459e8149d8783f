/** Wires a chart's pointer and keys to the step cursor. */
import type { StepLink } from '../shared/charts/lineChart';
import type { RunData } from '../shared/runData';
import { lastAtOrBefore } from '../shared/runData';
import { eventMarkers, type ChartMarker } from '../shared/runEvents';
import { nudgeStops, type StepCursor } from './stepCursor';

/**
 * Arrow keys step through sample steps when there are some (so the samples move with the
 * cursor), else histogram steps, else single logged steps.
 */
export function stepLink(cursor: StepCursor, runs: () => RunData[], withMarkers = true): StepLink {
  // Overlays redraw on every hover: the markers are worked out once per change of the events.
  let markersOf: readonly unknown[] | undefined;
  let markers: ChartMarker[] = [];
  return {
    markers: () => {
      const events = (withMarkers && runs()[0]?.events) || [];
      if (events !== markersOf) {
        markersOf = events;
        markers = eventMarkers(events);
      }
      return markers;
    },
    step: () => cursor.step,
    hover: (s) => cursor.set(s, 'chart'),
    nudge: (delta) => {
      const r = runs()[0];
      if (!r) return;
      const stops = r.samples.length > 1 ? r.samples.map((s) => s.step) : r.histograms.length > 1 ? r.histograms.map((h) => h.step) : undefined;
      if (stops) {
        const s = nudgeStops(stops, cursor.step, delta);
        if (s !== undefined) cursor.set(s, 'key');
        return;
      }
      const n = r.length;
      if (n === 0) return;
      const at = cursor.step === null ? n - 1 : Math.max(0, lastAtOrBefore(r.step.data, n, cursor.step));
      const i = delta === -Infinity ? 0 : delta === Infinity ? n - 1 : Math.min(n - 1, Math.max(0, at + delta));
      cursor.set(r.step.data[i], 'key');
    },
  };
}
