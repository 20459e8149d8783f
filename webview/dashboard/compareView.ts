/**
 * Several runs side by side: D loss, G loss and the D-output means overlaid with one colour per
 * run, and each run's samples at the same step.
 */
import type { HostToWebview } from '../../src/protocol/webviewProtocol';
import { LineChart } from '../shared/charts/lineChart';
import { dataGrid } from '../shared/controls';
import { formatStep, formatValue } from '../shared/format';
import { recordAtStep, type RunData } from '../shared/runData';
import { ImageGrid } from '../shared/samples/imageGrid';
import { PointsPlot } from '../shared/samples/pointsPlot';
import { Scrubber } from '../shared/scrubber';
import { palette } from '../shared/theme';
import { log } from '../shared/vscodeApi';
import { stepLink } from './links';
import { chartControls, SmoothedMetric, type ChartSettings } from './lossView';
import { StepCursor } from './stepCursor';

export class CompareView {
  readonly el: HTMLElement;
  private readonly cursor = new StepCursor();
  private readonly charts: { chart: LineChart; build: () => void }[] = [];
  private readonly metrics: SmoothedMetric[] = [];
  private readonly scrubber: Scrubber;
  private readonly cells: { run: RunData; show: (step: number | null) => void }[] = [];

  constructor(
    private readonly runs: RunData[],
    private readonly settings: ChartSettings,
    private readonly save: () => void,
  ) {
    this.el = document.createElement('div');
    this.el.className = 'dashboard compare';
    const h = document.createElement('h1');
    h.textContent = `Compare ${runs.length} runs`;
    const color = (i: number): string => palette().series[i % palette().series.length];
    const last = (r: RunData, k: 'dLoss' | 'gLoss'): string => {
      const c = r.metrics[k];
      return c.n > 0 ? formatValue(c.data[c.n - 1]) : '–';
    };
    const table = dataGrid(
      'Compared runs',
      [
        { key: 'name', title: 'Run' },
        { key: 'status', title: 'Status' },
        { key: 'step', title: 'Step' },
        { key: 'backend', title: 'Backend' },
        { key: 'dLoss', title: 'Last D loss' },
        { key: 'gLoss', title: 'Last G loss' },
      ],
      runs.map((r) => ({ name: r.info.name, status: r.info.status, step: `${formatStep(r.info.step)}/${formatStep(r.info.totalSteps)}`, backend: r.info.backend, dLoss: last(r, 'dLoss'), gLoss: last(r, 'gLoss') })),
    );
    const lossPanel = section('Losses', 'compare-losses');
    lossPanel.append(chartControls(settings, () => {
      this.rebuild();
      this.save();
    }));
    // One run's edits on charts of several would mislead: a compare draws no event markers.
    const link = stepLink(this.cursor, () => this.runs, false);
    const prepare = (): void => {
      for (const m of this.metrics) m.update(this.settings.smoothing);
    };
    const byRun = new Map<string, Record<string, SmoothedMetric>>();
    for (const r of runs) {
      const rec: Record<string, SmoothedMetric> = {};
      for (const k of ['dLoss', 'gLoss', 'dReal', 'dFake'] as const) {
        rec[k] = new SmoothedMetric(r, k);
        this.metrics.push(rec[k]);
      }
      byRun.set(r.id, rec);
    }
    const addChart = (parent: HTMLElement, title: string, label: string, height: number, build: (chart: LineChart) => void, fixed?: boolean): void => {
      const t = document.createElement('h3');
      t.textContent = title;
      parent.append(t);
      const chart = new LineChart(parent, { label, height, link, prepare, ...(fixed ? { fixedY: [0, 1] as [number, number], refLines: [0.5] } : {}) });
      this.charts.push({ chart, build: () => build(chart) });
    };
    // Runs get their colour by position; the legend entry is the run name.
    addChart(lossPanel, 'D loss', 'Discriminator loss per run', 190, (c) => c.setSeries(runs.flatMap((r, i) => byRun.get(r.id)!.dLoss.series(r.info.name, color(i), this.settings, { group: r.id }))));
    addChart(lossPanel, 'G loss', 'Generator loss per run', 190, (c) => c.setSeries(runs.flatMap((r, i) => byRun.get(r.id)!.gLoss.series(r.info.name, color(i), this.settings, { group: r.id }))));
    const dPanel = section('Discriminator outputs', 'compare-d');
    const allProb = runs.every((r) => r.dIsProbability);
    addChart(dPanel, 'Mean D(x) (solid) and mean D(G(z)) (dashed)', 'Mean discriminator outputs per run', 200, (c) =>
      c.setSeries(
        runs.flatMap((r, i) => [
          ...byRun.get(r.id)!.dReal.series(`${r.info.name} D(x)`, color(i), this.settings, { group: `${r.id}:real` }),
          ...byRun.get(r.id)!.dFake.series(`${r.info.name} D(G(z))`, color(i), this.settings, { dash: [6, 4], group: `${r.id}:fake` }),
        ]),
      ), allProb);

    const samplePanel = section('Samples at the same step', 'compare-samples');
    this.scrubber = new Scrubber('Compared samples', (step) => this.cursor.set(step, 'scrubber'));
    const strip = document.createElement('div');
    strip.className = 'compare-strip';
    runs.forEach((r, i) => {
      const fig = document.createElement('figure');
      fig.className = 'compare-cell';
      const cap = document.createElement('figcaption');
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = color(i);
      const stepText = document.createElement('span');
      cap.append(sw, document.createTextNode(r.info.name), stepText);
      const points = r.info.dataKind === 'points2d';
      const plot = points ? new PointsPlot(`${r.info.name} samples`, undefined, false) : undefined;
      plot?.el.classList.add('square');
      if (plot) plot.probability = r.dIsProbability;
      const grid = points ? undefined : new ImageGrid(`${r.info.name} samples`, () => r.info.imageShape);
      // Captions first, so that cells of different heights still line up by run name.
      fig.append(cap, (plot?.el ?? grid?.el) as HTMLElement);
      strip.append(fig);
      this.cells.push({
        run: r,
        show: (step) => {
          const s = r.samples;
          const sample = s.length === 0 ? undefined : s[step === null ? s.length - 1 : recordAtStep(s, step)];
          stepText.textContent = sample ? `· step ${formatStep(sample.step)}` : '· no samples';
          const done = plot ? plot.show(sample) : grid?.show(sample);
          done?.catch((err: unknown) => log('warn', err instanceof Error ? err.message : String(err)));
        },
      });
    });
    samplePanel.append(this.scrubber.el, strip);
    const union = [...new Set(runs.flatMap((r) => r.samples.map((s) => s.step)))].sort((a, b) => a - b);
    this.scrubber.setSteps(union);

    const grid = document.createElement('main');
    grid.className = 'panels';
    grid.append(lossPanel, samplePanel, dPanel);
    this.el.append(h, table, grid);
    this.cursor.on((step, source) => {
      for (const c of this.charts) c.chart.invalidateOverlay();
      if (source !== 'scrubber') this.scrubber.showStep(step);
      for (const c of this.cells) c.show(step);
    });
    this.rebuild();
    for (const c of this.cells) c.show(null);
  }

  /** Live data for one of the compared runs (the host may keep feeding a running one). */
  append(msg: Extract<HostToWebview, { type: 'append' }>): boolean {
    const r = this.runs.find((x) => x.id === msg.runId);
    if (!r) return false;
    if (msg.run) r.setInfo(msg.run);
    if (msg.metrics?.length) r.appendMetrics(msg.metrics);
    if (msg.histograms?.length) r.appendHistograms(msg.histograms);
    if (msg.samples?.length) {
      r.appendSamples(msg.samples);
      this.scrubber.setSteps([...new Set(this.runs.flatMap((x) => x.samples.map((s) => s.step)))].sort((a, b) => a - b));
      for (const c of this.cells) if (c.run === r) c.show(this.cursor.step);
    }
    for (const c of this.charts) c.chart.invalidate();
    return true;
  }

  rebuild(): void {
    // Sample cells cache pixels in theme colours (the 2-D heatmap): show them again.
    for (const c of this.cells) c.show(this.cursor.step);
    for (const c of this.charts) {
      c.build();
      c.chart.set('xMode', this.settings.xMode);
      c.chart.set('logY', c.chart.opts.fixedY ? false : this.settings.logY);
      c.chart.set('robust', this.settings.robust);
    }
  }
}

function section(title: string, id: string): HTMLElement {
  const s = document.createElement('section');
  s.className = 'panel';
  s.id = id;
  const h = document.createElement('h2');
  h.textContent = title;
  s.append(h);
  return s;
}
