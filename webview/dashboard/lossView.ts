/**
 * Losses: D and G in one chart and D's terms (real, fake, gradient penalty) in a second, each as a
 * faint raw line under a bold EMA-smoothed one. The controls (smoothing, log scale, outlier-robust
 * scaling, x axis) are shared with the D-output means chart through ChartSettings.
 */
import type { MetricKey } from '../../src/protocol/runFormat';
import { LineChart, type LineSeries, type StepLink } from '../shared/charts/lineChart';
import { EmaSeries } from '../shared/charts/smoothing';
import { checkbox, dropdown, slider } from '../shared/controls';
import type { RunData } from '../shared/runData';
import { palette } from '../shared/theme';

export interface ChartSettings {
  smoothing: number;
  logY: boolean;
  robust: boolean;
  xMode: 'step' | 'wall';
}

/** A smoothed metric plus its raw companion, with the smoothing kept incremental. */
export class SmoothedMetric {
  private readonly ema = new EmaSeries();
  constructor(
    readonly run: RunData,
    readonly key: MetricKey,
  ) {}
  update(weight: number): void {
    this.ema.update(this.run.metrics[this.key], weight);
  }
  series(label: string, color: string, settings: ChartSettings, opts: { dash?: number[]; group?: string } = {}): LineSeries[] {
    const r = this.run;
    const x = settings.xMode === 'wall' ? r.wallMs : r.step;
    const raw = r.metrics[this.key];
    const group = opts.group ?? `${r.id}:${this.key}`;
    const hc = palette().highContrast;
    const out: LineSeries[] = [];
    if (settings.smoothing > 0) out.push({ label, color, step: r.step, x, y: raw, width: 1, alpha: hc ? 0.45 : 0.25, legend: false, group, ...(opts.dash ? { dash: opts.dash } : {}) });
    out.push({ label, color, step: r.step, x, y: settings.smoothing > 0 ? this.ema.update(raw, settings.smoothing) : raw, width: hc ? 2.5 : 1.75, alpha: 1, legend: true, group, ...(settings.smoothing > 0 ? { raw } : {}), ...(opts.dash ? { dash: opts.dash } : {}) });
    return out;
  }
}

/** The row of chart controls; every change goes through `onChange` so the caller can save state. */
export function chartControls(settings: ChartSettings, onChange: () => void): HTMLElement {
  const row = document.createElement('div');
  row.className = 'controls';
  const smooth = slider('Smoothing', 0, 0.99, 0.01, settings.smoothing, (v) => {
    settings.smoothing = v;
    onChange();
  }, (v) => v.toFixed(2));
  smooth.input.id = 'smoothing';
  const log = checkbox('Log scale', settings.logY, (c) => {
    settings.logY = c;
    onChange();
  });
  log.el.id = 'log-scale';
  const robust = checkbox('Ignore outliers', settings.robust, (c) => {
    settings.robust = c;
    onChange();
  });
  robust.el.title = 'Scale the y axis to the 1st–99th percentile, so early spikes do not flatten the curves';
  const x = dropdown<'step' | 'wall'>('X axis', [
    { value: 'step', label: 'Step' },
    { value: 'wall', label: 'Wall time' },
  ], settings.xMode, (v) => {
    settings.xMode = v;
    onChange();
  });
  x.el.id = 'x-axis';
  row.append(smooth.el, log.el, robust.el, x.el);
  return row;
}

export class LossView {
  readonly el: HTMLElement;
  private readonly losses: LineChart;
  private readonly terms: LineChart;
  private metrics: Record<string, SmoothedMetric> = {};

  constructor(
    private run: RunData,
    private readonly settings: ChartSettings,
    link: StepLink,
  ) {
    this.el = document.createElement('section');
    this.el.className = 'panel losses';
    this.el.id = 'losses';
    const h = document.createElement('h2');
    h.textContent = 'Losses';
    this.el.append(h);
    const prepare = (): void => {
      for (const m of Object.values(this.metrics)) m.update(this.settings.smoothing);
    };
    this.losses = new LineChart(this.el, { label: 'Discriminator and generator loss', height: 220, link, prepare });
    const sub = document.createElement('h3');
    sub.textContent = 'Discriminator loss terms';
    this.el.append(sub);
    this.terms = new LineChart(this.el, { label: 'Discriminator loss terms', height: 150, link, prepare });
    this.setRun(run);
  }

  setRun(run: RunData): void {
    this.run = run;
    this.metrics = {};
    for (const k of ['dLoss', 'gLoss', 'dLossReal', 'dLossFake', 'gradientPenalty'] as const) this.metrics[k] = new SmoothedMetric(run, k);
    this.rebuild();
  }

  /** Series depend on settings and theme colours, so both rebuild them. */
  rebuild(): void {
    const p = palette();
    const s = this.settings;
    const m = this.metrics;
    this.losses.setSeries([...m.dLoss.series('D loss', p.dLoss, s), ...m.gLoss.series('G loss', p.gLoss, s)]);
    const terms = [...m.dLossReal.series('D loss on real', p.real, s), ...m.dLossFake.series('D loss on fake', p.fake, s)];
    if (this.run.has('gradientPenalty')) terms.push(...m.gradientPenalty.series('Gradient penalty', p.accent, s));
    this.terms.setSeries(terms);
    for (const c of [this.losses, this.terms]) {
      c.set('xMode', s.xMode);
      c.set('logY', s.logY);
      c.set('robust', s.robust);
    }
  }

  dataChanged(): void {
    this.losses.invalidate();
    this.terms.invalidate();
  }

  cursorMoved(): void {
    this.losses.invalidateOverlay();
    this.terms.invalidateOverlay();
  }
}
