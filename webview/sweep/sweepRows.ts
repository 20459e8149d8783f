/**
 * The sweep table's rows, as pure data: trials, or (when seeds fold) one row per setting with its
 * trials under it, filtered and sorted. Tested in Node (test/webview/sweepPanel.test.ts).
 */
import { SEED_POINTER } from '../../src/analysis/sweepPlan';
import { SWEEP_MEASURES, spreadOf, type Spread, type SweepMeasure } from '../../src/analysis/sweepSummary';
import type { SweepView, TrialRow } from '../../src/protocol/sweepFormat';

export interface Column {
  key: string;
  label: string;
  kind: 'param' | 'status' | 'step' | 'measure';
  measure?: SweepMeasure;
}

export interface SettingRow {
  kind: 'setting';
  setting: string;
  trials: TrialRow[];
  spreads: Record<string, Spread>;
}
export interface TrialLine {
  kind: 'trial';
  trial: TrialRow;
}
export type Row = SettingRow | TrialLine;

export interface RowOptions {
  /** Repeats of one setting (trials that differ only in /seed) as one row. */
  fold: boolean;
  sortKey: string;
  sortDescending: boolean;
  /** Rows whose text does not contain it are left out. */
  filter: string;
}

/** Whether folding means anything: some setting has more than one trial. */
export function canFold(view: SweepView): boolean {
  return view.parameters.includes(SEED_POINTER) && new Set(view.trials.map((t) => t.setting)).size < view.trials.length;
}

/** A parameter's short name for a header: the pointer's last part ("learningRate"), or "seed". */
export function paramLabel(pointer: string): string {
  return pointer.split('/').filter(Boolean).at(-1) ?? pointer;
}

export function columnsOf(view: SweepView, fold: boolean): Column[] {
  const params = view.parameters.filter((p) => !(fold && p === SEED_POINTER)).map((p): Column => ({ key: `param:${p}`, label: paramLabel(p), kind: 'param' }));
  const measures = SWEEP_MEASURES.filter((m) => view.trials.some((t) => t.measures[m.key])).map((m): Column => ({ key: `measure:${m.key}`, label: m.label, kind: 'measure', measure: m }));
  return [...params, { key: 'status', label: fold ? 'trials' : 'status', kind: 'status' }, { key: 'step', label: 'step', kind: 'step' }, ...measures];
}

export function formatParam(v: unknown): string {
  if (typeof v === 'number') return String(Number(v.toPrecision(4)));
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The value a row sorts by in a column: numbers as numbers, the rest as text. */
function sortValue(row: Row, col: string): number | string {
  const trial = row.kind === 'trial' ? row.trial : row.trials[0];
  if (col.startsWith('param:')) {
    const v = trial.overrides[col.slice(6)];
    return typeof v === 'number' ? v : formatParam(v);
  }
  if (col.startsWith('measure:')) {
    const key = col.slice(8);
    const v = row.kind === 'trial' ? row.trial.measures[key]?.final : row.spreads[key]?.mean;
    return v ?? Number.NaN;
  }
  if (col === 'step') return row.kind === 'trial' ? row.trial.step : Math.min(...row.trials.map((t) => t.step));
  if (col === 'status') return row.kind === 'trial' ? row.trial.status : row.trials.filter((t) => t.status === 'completed').length;
  return row.kind === 'trial' ? row.trial.index : row.trials[0].index;
}

function rowText(row: Row): string {
  const trials = row.kind === 'trial' ? [row.trial] : row.trials;
  return trials.map((t) => `${t.runId} ${t.status} ${Object.entries(t.overrides).map(([k, v]) => `${paramLabel(k)}=${formatParam(v)}`).join(' ')}`).join(' ').toLowerCase();
}

export function buildRows(view: SweepView, o: RowOptions): Row[] {
  let rows: Row[];
  if (o.fold) {
    const bySetting = new Map<string, TrialRow[]>();
    for (const t of view.trials) bySetting.set(t.setting, [...(bySetting.get(t.setting) ?? []), t]);
    rows = [...bySetting].map(([setting, trials]): SettingRow => {
      const spreads: Record<string, Spread> = {};
      for (const m of SWEEP_MEASURES) {
        const s = spreadOf(trials.map((t) => t.measures[m.key]?.final ?? Number.NaN), m.better);
        if (s) spreads[m.key] = s;
      }
      return { kind: 'setting', setting, trials, spreads };
    });
  } else rows = view.trials.map((trial): TrialLine => ({ kind: 'trial', trial }));
  const f = o.filter.trim().toLowerCase();
  if (f) rows = rows.filter((r) => f.split(/\s+/).every((w) => rowText(r).includes(w)));
  const dir = o.sortDescending ? -1 : 1;
  return rows
    .map((r, i) => ({ r, i, v: sortValue(r, o.sortKey) }))
    .sort((a, b) => {
      // Missing values last, whichever the direction.
      const an = typeof a.v === 'number' && Number.isNaN(a.v);
      const bn = typeof b.v === 'number' && Number.isNaN(b.v);
      if (an !== bn) return an ? 1 : -1;
      const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
      return c !== 0 ? dir * c : a.i - b.i;
    })
    .map((x) => x.r);
}

/** The chart's points: per trial (x, y), and per setting the mean, in x order. */
export function chartSeries(view: SweepView, param: string, measure: string): { points: { x: unknown; y: number; runId: string }[]; means: { x: unknown; y: number }[] } {
  const points = view.trials.flatMap((t) => {
    const y = t.measures[measure]?.final;
    return y === undefined || !Number.isFinite(y) ? [] : [{ x: t.overrides[param], y, runId: t.runId }];
  });
  const byX = new Map<string, { x: unknown; ys: number[] }>();
  for (const p of points) {
    const k = JSON.stringify(p.x);
    byX.set(k, { x: p.x, ys: [...(byX.get(k)?.ys ?? []), p.y] });
  }
  const means = [...byX.values()].map((g) => ({ x: g.x, y: g.ys.reduce((a, b) => a + b, 0) / g.ys.length }));
  return { points, means };
}
