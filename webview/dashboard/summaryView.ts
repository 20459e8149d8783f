/**
 * The run summary: identity, status, backend, speed, elapsed/ETA, the collapsible resolved
 * config and the Stop/Resume buttons. The buttons only post typed messages; the host decides.
 */
import type { RunData } from '../shared/runData';
import { badge, button, collapsible, progressRing, setAttr, setHidden, setText, type ButtonControl } from '../shared/controls';
import { formatDuration, formatSpeed, paceOf } from '../../src/analysis/progress';
import { backendNote } from '../../src/analysis/backendNote';
import { formatStep } from '../shared/format';
import { post } from '../shared/vscodeApi';

export class SummaryView {
  readonly el: HTMLElement;
  private readonly title = document.createElement('h1');
  private readonly statusSlot = document.createElement('span');
  private readonly facts = document.createElement('dl');
  private readonly error = document.createElement('p');
  private readonly bar = document.createElement('div');
  private readonly stop: ButtonControl;
  private readonly resume: ButtonControl;
  /** A fork's line: the run and step it continues from, and the overlay of both. */
  private readonly lineage = document.createElement('div');
  private readonly lineageText = document.createElement('span');
  private readonly configPre = document.createElement('pre');
  private shownConfig: unknown = undefined;
  private factKeys = '';
  private shownStatus = '';

  constructor(
    private run: RunData,
    configOpen: boolean,
    onConfigToggle: (open: boolean) => void,
  ) {
    this.el = document.createElement('header');
    this.el.className = 'summary';
    const top = document.createElement('div');
    top.className = 'summary-top';
    this.statusSlot.className = 'status-slot';
    this.stop = button('Stop', () => post({ type: 'stop', runId: this.run.id }), { title: 'Stop training after the current step (a checkpoint is written)', id: 'stop-button' });
    this.resume = button('Resume', () => post({ type: 'resume', runId: this.run.id }), { secondary: true, title: 'Resume from the last checkpoint', id: 'resume-button' });
    const actions = document.createElement('div');
    actions.className = 'actions';
    actions.append(this.stop.el, this.resume.el);
    top.append(this.title, this.statusSlot, actions);
    this.bar.className = 'progress';
    this.bar.setAttribute('role', 'progressbar');
    this.bar.append(document.createElement('div'));
    this.facts.className = 'facts';
    this.error.className = 'run-error';
    this.lineage.className = 'lineage';
    this.lineage.id = 'lineage';
    const compare = button('Compare with parent', () => {
      const parent = this.run.info.parent;
      if (parent) post({ type: 'compareRuns', runIds: [parent.runId, this.run.info.id] });
    }, { secondary: true, title: 'Overlay this fork and the run it came from in a compare panel', id: 'compare-parent' });
    this.lineage.append(this.lineageText, compare.el);
    this.error.setAttribute('role', 'alert');
    const cfg = collapsible('Config', configOpen, onConfigToggle);
    cfg.el.className = 'config';
    this.configPre.tabIndex = 0;
    cfg.body.append(this.configPre);
    this.el.append(top, this.bar, this.facts, this.lineage, this.error, cfg.el);
    this.update();
  }

  setRun(run: RunData): void {
    this.run = run;
    this.update();
  }

  update(): void {
    const r = this.run;
    const info = r.info;
    setText(this.title, info.name);
    setAttr(this.title, 'title', `${info.id}\n${info.configPath ?? ''}`);
    if (info.status !== this.shownStatus) {
      this.shownStatus = info.status;
      const status = badge(info.status, `status status-${info.status}`);
      status.id = 'run-status';
      this.statusSlot.replaceChildren(status, ...(info.status === 'running' ? [progressRing()] : []));
    }

    // The trainer's own estimate, as the status bar and the terminal show it.
    const pace = paceOf(info);
    const lastWall = r.length > 0 ? r.wallMs.data[r.length - 1] : 0;
    const elapsed = Math.max(info.trainingMs, Number.isFinite(lastWall) ? lastWall : 0);
    const eta = info.status === 'running' ? (r.paused ? 'paused' : formatDuration(pace.etaSec)) : info.status === 'completed' ? 'done' : '–';
    const workers = r.config?.training.workers;
    const facts: [string, string][] = [
      ['Step', `${formatStep(info.step)} / ${formatStep(info.totalSteps)}`],
      ['Backend', backendNote(info).short + (typeof workers === 'number' && workers > 1 ? ` · ${workers} threads` : '')],
      ['Steps/s', formatSpeed(pace.stepsPerSec)],
      ['Elapsed', formatDuration(elapsed / 1000)],
      ['ETA', eta],
      ['Data', info.dataKind + (info.imageShape ? ` ${info.imageShape.join('×')}` : '')],
      ['Seed', String(info.seed ?? '–')],
    ];
    if (info.resumedAt?.length) facts.push(['Resumed at', info.resumedAt.map(formatStep).join(', ')]);
    // Live updates arrive ten times a second: only changed text is touched.
    const key = facts.map(([k]) => k).join('|');
    if (key !== this.factKeys) {
      this.factKeys = key;
      this.facts.replaceChildren(
        ...facts.flatMap(([k]) => {
          const dt = document.createElement('dt');
          dt.textContent = k;
          const dd = document.createElement('dd');
          dd.dataset.fact = k;
          return [dt, dd];
        }),
      );
    }
    facts.forEach(([, v], i) => {
      const dd = this.facts.children[i * 2 + 1] as HTMLElement;
      setText(dd, v);
    });
    // Why this backend and not a better one, on hover.
    const backendDd = this.facts.querySelector<HTMLElement>('dd[data-fact="Backend"]');
    const why = backendNote(info).detail;
    if (backendDd && backendDd.title !== why) backendDd.title = why;
    const frac = info.totalSteps > 0 ? Math.min(1, info.step / info.totalSteps) : 0;
    setAttr(this.bar, 'aria-valuenow', String(Math.round(frac * 100)));
    setAttr(this.bar, 'aria-label', `Training progress ${Math.round(frac * 100)}%`);
    // In steps of 0.1 %, a pixel of a wide panel: the bar is not re-laid out for every step.
    const width = `${Math.round(frac * 1000) / 10}%`;
    const fill = this.bar.firstElementChild as HTMLElement;
    if (fill.style.width !== width) fill.style.width = width;

    setHidden(this.lineage, !info.parent);
    setText(this.lineageText, info.parent ? `Fork of ${info.parent.runId} at step ${formatStep(info.parent.step)}` : '');
    setHidden(this.error, !info.error);
    setText(this.error, info.error ? `Failed${info.error.step ? ` at step ${info.error.step}` : ''}: ${info.error.message}` : '');
    this.stop.setDisabled(info.status !== 'running');
    this.resume.setDisabled(info.status === 'running' || info.status === 'completed' || !(info.checkpointStep > 0));
    if (r.config !== this.shownConfig) {
      this.shownConfig = r.config;
      this.configPre.textContent = r.config === null || r.config === undefined ? 'config.json is missing or unreadable' : JSON.stringify(r.config, null, 2);
    }
  }
}
