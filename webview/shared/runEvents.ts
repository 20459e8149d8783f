/**
 * What the dashboard makes of a run's events (events.jsonl): the markers every chart draws, the
 * names of the settings a run can change, and their values in effect now (config.json plus the
 * edits so far, as src/analysis/liveEdits.ts `effectiveConfig` derives them).
 */
import { EDITABLE_POINTERS, type EditablePointer, type RunEvent } from '../../src/protocol/runFormat';
import { valueAt } from '../../src/config/pointers';
import type { GanConfig } from '../../src/config/ganConfig';
import { formatValue } from './format';

/** A vertical marker on a step chart: an edit, or (subtler) a pause or a manual step. */
export interface ChartMarker {
  step: number;
  kind: 'edit' | 'pause' | 'manual';
  /** One line per event at that step, for the tooltip and the read-out. */
  lines: string[];
}

const LABELS: Record<EditablePointer, string> = {
  '/training/generatorOptimizer/learningRate': 'G learning rate',
  '/training/discriminatorOptimizer/learningRate': 'D learning rate',
  '/training/generatorOptimizer/beta1': 'G Adam β₁',
  '/training/generatorOptimizer/beta2': 'G Adam β₂',
  '/training/discriminatorOptimizer/beta1': 'D Adam β₁',
  '/training/discriminatorOptimizer/beta2': 'D Adam β₂',
  '/training/dStepsPerGStep': 'D steps per G step',
  '/training/labelSmoothing': 'label smoothing',
  '/loss/gradientPenalty': 'gradient penalty weight',
  '/loss/r1': 'R1 penalty weight',
};

export function pointerLabel(pointer: EditablePointer): string {
  return LABELS[pointer];
}

/** One line for an event, as a marker's tooltip says it. */
export function describeEvent(e: RunEvent): string {
  switch (e.kind) {
    case 'edit':
      return `${pointerLabel(e.pointer)} ${formatValue(e.old)} → ${formatValue(e.value)} (${e.pointer}, ${e.source})`;
    case 'pause':
      return `paused (${e.source})`;
    case 'continue':
      return `continued (${e.source})`;
    case 'step':
      return `one full step by hand (${e.source})`;
    case 'dStep':
      return `one D step by hand: D loss ${formatValue(e.dLoss)} (${e.source})`;
    case 'gStep':
      return `one G step by hand: G loss ${formatValue(e.gLoss)} (${e.source})`;
  }
}

/**
 * Markers by step and kind: events at one step share one marker of each kind. Edits win the
 * drawing order (they are drawn last, over the subtler ones).
 */
export function eventMarkers(events: readonly RunEvent[]): ChartMarker[] {
  const byKey = new Map<string, ChartMarker>();
  for (const e of events) {
    const kind = e.kind === 'edit' ? 'edit' : e.kind === 'pause' || e.kind === 'continue' ? 'pause' : 'manual';
    const key = `${e.step}:${kind}`;
    let m = byKey.get(key);
    if (!m) {
      m = { step: e.step, kind, lines: [] };
      byKey.set(key, m);
    }
    m.lines.push(describeEvent(e));
  }
  const order = { pause: 0, manual: 1, edit: 2 };
  return [...byKey.values()].sort((a, b) => order[a.kind] - order[b.kind] || a.step - b.step);
}

/** Each editable setting's value now: config.json's, then every edit in order. NaN when the config has none. */
export function effectiveValues(config: GanConfig | null, events: readonly RunEvent[]): Map<EditablePointer, number> {
  const out = new Map<EditablePointer, number>();
  for (const p of EDITABLE_POINTERS) {
    const v = config ? valueAt(config, p) : undefined;
    out.set(p, typeof v === 'number' ? v : NaN);
  }
  for (const e of events) if (e.kind === 'edit') out.set(e.pointer, e.value);
  return out;
}

/** The settings that mean something for this run (betas need Adam, the penalty WGAN-GP). */
export function applicablePointers(config: GanConfig | null): EditablePointer[] {
  return EDITABLE_POINTERS.filter((p) => {
    if (!config) return true;
    const opt = /^\/training\/(generator|discriminator)Optimizer\/beta[12]$/.exec(p);
    if (opt) return config.training[`${opt[1] as 'generator' | 'discriminator'}Optimizer`].type === 'adam';
    if (p === '/loss/gradientPenalty') return config.loss.type === 'wasserstein-gp';
    return true;
  });
}
