/**
 * The sweep panel: one row per trial (or per setting, its seeds folded into mean ± std with worst
 * and best), sortable, filterable and usable from the keyboard; a chart of a measure against a
 * parameter; "Compare selected" and Cancel. It keeps only view state: the host posts the whole
 * sweep after `ready` and again whenever a trial moves on.
 */
import '../shared/base.css';
import './sweep.css';
import { formatDuration } from '../../src/analysis/progress';
import type { SweepView, TrialRow } from '../../src/protocol/sweepFormat';
import { parseHostMessage } from '../../src/protocol/webviewProtocol';
import { badge, button, checkbox, dropdown, registerControls, type ButtonControl, type DropdownControl } from '../shared/controls';
import { formatStep, formatValue } from '../shared/format';
import { onThemeChange, watchTheme } from '../shared/theme';
import { loadState, log, post, saveState } from '../shared/vscodeApi';
import { SweepChart } from './sweepChart';
import { buildRows, canFold, columnsOf, formatParam, paramLabel, type Column, type Row } from './sweepRows';

registerControls();
watchTheme();

const state = loadState({ fold: true, sortKey: 'index', sortDescending: false, filter: '', chartParam: '', chartMeasure: 'swd', expanded: [] as string[], selected: [] as string[] });
const save = () => saveState(state);

const root = document.getElementById('app') ?? document.body;
const title = document.createElement('h1');
const statusSlot = document.createElement('span');
const facts = document.createElement('p');
facts.className = 'caption sweep-facts';
const head = document.createElement('header');
head.className = 'sweep-head';
const compare: ButtonControl = button('Compare selected', () => {
  if (state.selected.length >= 2) post({ type: 'compareRuns', runIds: state.selected.slice(0, 50) });
}, { id: 'compare-selected', title: 'Open the selected trials side by side (select with the checkboxes or Space)' });
const cancel: ButtonControl = button('Cancel sweep', () => view && post({ type: 'cancelSweep', sweepId: view.id }), { secondary: true, id: 'cancel-sweep', title: 'Stop every trial after its step, checkpointed; running the sweep again continues it' });
const actions = document.createElement('div');
actions.className = 'actions';
actions.append(compare.el, cancel.el);
const top = document.createElement('div');
top.className = 'summary-top';
top.append(title, statusSlot, actions);
head.append(top, facts);

const controls = document.createElement('div');
controls.className = 'controls';
const filter = document.createElement('input');
filter.type = 'search';
filter.id = 'sweep-filter';
filter.placeholder = 'Filter trials (values, status, id)';
filter.setAttribute('aria-label', 'Filter trials');
filter.value = state.filter;
filter.addEventListener('input', () => {
  state.filter = filter.value;
  save();
  render();
});
const fold = checkbox('Fold seeds', state.fold, (on) => {
  state.fold = on;
  save();
  render();
});
fold.el.id = 'fold-seeds';
controls.append(filter, fold.el);

const tableWrap = document.createElement('div');
tableWrap.className = 'sweep-table-wrap';
const table = document.createElement('table');
table.id = 'sweep-table';
table.className = 'sweep-table';
tableWrap.append(table);

const chartHead = document.createElement('div');
chartHead.className = 'controls chart-controls';
const chartTitle = document.createElement('h2');
chartTitle.textContent = 'Measure against parameter';
let measurePick: DropdownControl<string> = dropdown<string>('Measure', [], undefined, () => undefined);
let paramPick: DropdownControl<string> = dropdown<string>('Parameter', [], undefined, () => undefined);
const chart = new SweepChart();
const chartSection = document.createElement('section');
chartSection.className = 'panel sweep-chart-panel';
chartSection.append(chartTitle, chartHead, chart.el);

const empty = document.createElement('p');
empty.className = 'empty-note';
empty.textContent = 'Waiting for the sweep…';
root.replaceChildren(head, controls, tableWrap, chartSection, empty);

let view: SweepView | undefined;
let chartKey = '';

function fmtMeasure(v: number | undefined): string {
  return v === undefined ? '–' : short(v);
}

/** Three significant digits: enough to rank trials, short enough for a table. */
function short(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}

function cell(text: string, cls = '', titleText = ''): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  if (titleText) td.title = titleText;
  return td;
}

function trialCells(t: TrialRow, cols: Column[]): HTMLTableCellElement[] {
  return cols.map((c) => keyed(c, trialCell(t, c)));
}

function keyed(c: Column, td: HTMLTableCellElement): HTMLTableCellElement {
  td.dataset.key = c.key;
  return td;
}

function trialCell(t: TrialRow, c: Column): HTMLTableCellElement {
  {
    if (c.kind === 'param') return cell(formatParam(t.overrides[c.key.slice(6)]), 'num');
    if (c.kind === 'status') return cell(t.status, `status-cell status-${t.status}`, t.error ?? '');
    if (c.kind === 'step') return cell(t.totalSteps ? `${formatStep(t.step)}/${formatStep(t.totalSteps)}` : '–', 'num');
    const m = t.measures[c.measure!.key];
    return cell(fmtMeasure(m?.final), 'num', m ? `final ${formatValue(m.final)} · best ${formatValue(m.best)} (${c.measure!.better} is better)` : '');
  }
}

function select(runId: string, on: boolean): void {
  state.selected = on ? [...new Set([...state.selected, runId])] : state.selected.filter((x) => x !== runId);
  save();
  compare.setDisabled(state.selected.length < 2);
}

function trialRowEl(t: TrialRow, cols: Column[], nested: boolean): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.className = `trial-row${nested ? ' nested' : ''}`;
  tr.tabIndex = 0;
  tr.dataset.runId = t.runId;
  const pick = document.createElement('input');
  pick.type = 'checkbox';
  pick.tabIndex = -1;
  pick.checked = state.selected.includes(t.runId);
  pick.setAttribute('aria-label', `Select ${t.runId} to compare`);
  pick.addEventListener('change', () => select(t.runId, pick.checked));
  const first = document.createElement('td');
  first.className = 'pick';
  first.append(pick);
  const name = cell(`t${String(t.index).padStart(3, '0')}`, 'trial-id', t.runId);
  tr.append(first, name, ...trialCells(t, cols));
  tr.setAttribute('aria-selected', String(pick.checked));
  const open = () => post({ type: 'openDashboard', runId: t.runId });
  tr.addEventListener('dblclick', open);
  tr.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') open();
    else if (e.key === ' ') {
      e.preventDefault();
      pick.checked = !pick.checked;
      select(t.runId, pick.checked);
    } else moveFocus(e, tr);
  });
  return tr;
}

function moveFocus(e: KeyboardEvent, tr: HTMLTableRowElement): void {
  const rows = [...table.querySelectorAll<HTMLTableRowElement>('tbody tr')];
  const i = rows.indexOf(tr);
  const next = e.key === 'ArrowDown' ? rows[i + 1] : e.key === 'ArrowUp' ? rows[i - 1] : e.key === 'Home' ? rows[0] : e.key === 'End' ? rows.at(-1) : undefined;
  if (next) {
    e.preventDefault();
    next.focus();
  }
}

function settingRowEl(r: Extract<Row, { kind: 'setting' }>, cols: Column[]): HTMLTableRowElement[] {
  const open = state.expanded.includes(r.setting);
  const tr = document.createElement('tr');
  tr.className = 'setting-row';
  tr.tabIndex = 0;
  tr.setAttribute('aria-expanded', String(open));
  const toggle = (to = !open) => {
    state.expanded = to ? [...state.expanded, r.setting] : state.expanded.filter((s) => s !== r.setting);
    save();
    render();
    table.querySelector<HTMLElement>(`tr.setting-row[data-setting="${CSS.escape(r.setting)}"]`)?.focus();
  };
  tr.dataset.setting = r.setting;
  const first = document.createElement('td');
  first.className = 'pick';
  const twisty = document.createElement('span');
  twisty.className = `codicon-like twisty${open ? ' open' : ''}`;
  twisty.textContent = open ? '▾' : '▸';
  first.append(twisty);
  const done = r.trials.filter((t) => t.status === 'completed').length;
  const name = cell(`${r.trials.length} seed${r.trials.length > 1 ? 's' : ''}`, 'trial-id');
  const cells = cols.map((c) => {
    if (c.kind === 'param') return cell(formatParam(r.trials[0].overrides[c.key.slice(6)]), 'num');
    if (c.kind === 'status') return cell(`${done}/${r.trials.length} done`, `status-cell${done === r.trials.length ? ' status-completed' : ''}`);
    if (c.kind === 'step') {
      const steps = r.trials.map((t) => t.step);
      const lo = Math.min(...steps);
      return cell(lo === Math.max(...steps) ? formatStep(lo) : `${formatStep(lo)}–${formatStep(Math.max(...steps))}`, 'num');
    }
    const s = r.spreads[c.measure!.key];
    if (!s) return cell('–', 'num');
    const td = cell(`${short(s.mean)} ± ${short(s.std)}`, 'num spread', `mean ± std over ${s.n} seed${s.n > 1 ? 's' : ''} · worst ${formatValue(s.worst)} · best ${formatValue(s.best)}`);
    const range = document.createElement('small');
    range.textContent = ` ${short(Math.min(s.worst, s.best))}–${short(Math.max(s.worst, s.best))}`;
    td.append(range);
    return td;
  });
  tr.append(first, name, ...cells);
  tr.addEventListener('click', () => toggle());
  tr.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      toggle();
    } else if (e.key === 'ArrowRight' && !open) toggle(true);
    else if (e.key === 'ArrowLeft' && open) toggle(false);
    else moveFocus(e, tr);
  });
  return [tr, ...(open ? r.trials.map((t) => trialRowEl(t, cols, true)) : [])];
}

function header(cols: Column[]): HTMLTableSectionElement {
  const thead = document.createElement('thead');
  const tr = document.createElement('tr');
  const th0 = document.createElement('th');
  th0.className = 'pick';
  const th1 = document.createElement('th');
  th1.textContent = state.fold ? 'setting' : 'trial';
  tr.append(th0, th1);
  for (const c of cols) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.tabIndex = 0;
    th.dataset.key = c.key;
    th.textContent = c.label;
    if (c.kind === 'param') th.title = c.key.slice(6);
    if (c.measure) th.title = `${c.measure.label}: final value (${c.measure.better} is better); the tooltip of a cell gives the best`;
    const sorted = state.sortKey === c.key;
    th.setAttribute('aria-sort', sorted ? (state.sortDescending ? 'descending' : 'ascending') : 'none');
    if (sorted) th.append(state.sortDescending ? ' ↓' : ' ↑');
    const sort = () => {
      if (state.sortKey === c.key) state.sortDescending = !state.sortDescending;
      else {
        state.sortKey = c.key;
        state.sortDescending = c.measure?.better === 'higher';
      }
      save();
      render();
      table.querySelector<HTMLElement>(`th[data-key="${CSS.escape(c.key)}"]`)?.focus();
    };
    th.addEventListener('click', sort);
    th.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        sort();
      }
    });
    tr.append(th);
  }
  thead.append(tr);
  return thead;
}

function renderChart(v: SweepView): void {
  const measures = columnsOf(v, false).filter((c) => c.measure).map((c) => ({ value: c.measure!.key, label: c.measure!.label }));
  const params = v.parameters.map((p) => ({ value: p, label: paramLabel(p) }));
  const nonSeed = v.parameters.find((p) => p !== '/seed');
  if (!params.some((p) => p.value === state.chartParam)) state.chartParam = nonSeed ?? v.parameters[0] ?? '';
  if (!measures.some((m) => m.value === state.chartMeasure)) state.chartMeasure = measures[0]?.value ?? '';
  const key = `${measures.map((m) => m.value).join()}|${params.map((p) => p.value).join()}`;
  if (key !== chartKey) {
    chartKey = key;
    measurePick = dropdown<string>('Measure', measures, state.chartMeasure, (m) => {
      state.chartMeasure = m;
      save();
      chart.show(view!, state.chartParam, state.chartMeasure);
    });
    measurePick.el.id = 'chart-measure';
    paramPick = dropdown<string>('Parameter', params, state.chartParam, (p) => {
      state.chartParam = p;
      save();
      chart.show(view!, state.chartParam, state.chartMeasure);
    });
    paramPick.el.id = 'chart-param';
    chartHead.replaceChildren(measurePick.el, paramPick.el);
  }
  chartSection.hidden = measures.length === 0;
  chart.show(v, state.chartParam, state.chartMeasure);
}

function render(): void {
  const v = view;
  if (!v) return;
  empty.hidden = true;
  title.textContent = `${v.name} sweep`;
  title.title = `${v.id}\n${v.dir}`;
  statusSlot.replaceChildren(badge(v.status, `status status-${v.status === 'stopped' ? 'stopped' : v.status}`));
  statusSlot.firstElementChild!.id = 'sweep-status';
  const done = v.trials.filter((t) => t.status === 'completed').length;
  const running = v.trials.filter((t) => t.status === 'running').length;
  const age = (Date.now() - Date.parse(v.createdAt)) / 1000;
  facts.textContent = `${v.trials.length} trials over ${v.parameters.map(paramLabel).join(', ')} · ${done} done, ${running} training · ${v.executor === 'slurm' ? `Slurm${v.jobId ? ` job ${v.jobId}` : ''}` : 'this machine'} · started ${formatDuration(age)} ago`;
  facts.id = 'sweep-facts';
  cancel.setDisabled(v.status !== 'running');
  compare.setDisabled(state.selected.length < 2);
  const foldable = canFold(v);
  fold.el.hidden = !foldable;
  const folded = foldable && state.fold;
  const cols = columnsOf(v, folded);
  const rows = buildRows(v, { fold: folded, sortKey: state.sortKey, sortDescending: state.sortDescending, filter: state.filter });
  const tbody = document.createElement('tbody');
  for (const r of rows) tbody.append(...(r.kind === 'setting' ? settingRowEl(r, cols) : [trialRowEl(r.trial, cols, false)]));
  const caption = document.createElement('caption');
  caption.textContent = `${rows.length} ${folded ? 'settings' : 'trials'}${state.filter ? ` matching "${state.filter}"` : ''}. Enter opens a trial's dashboard, Space selects it; Enter or → expands a setting; headers sort.`;
  table.replaceChildren(caption, header(cols), tbody);
  renderChart(v);
}

window.addEventListener('message', (event: MessageEvent) => {
  const parsed = parseHostMessage(event.data);
  if (!parsed.ok) {
    log('warn', `sweep panel ignored a message: ${parsed.reason}`);
    return;
  }
  const msg = parsed.value;
  if (msg.type === 'sweepSnapshot') {
    view = msg.sweep;
    saveState({ ...state, sweepId: view.id });
    render();
  } else if (msg.type === 'error') {
    empty.hidden = false;
    empty.textContent = msg.message;
  } else log('info', `sweep panel ignored a '${msg.type}' message meant for another view`);
});

onThemeChange(() => view && chart.show(view, state.chartParam, state.chartMeasure));

post({ type: 'ready' });
