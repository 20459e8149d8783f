/**
 * What D says about real and generated data: the histogram at the cursor step against the 0.5
 * equilibrium line, its history (ridgeline or density heatmap), and the mean D(x), D(G(z)) and
 * accuracy curves. At equilibrium D answers 0.5 to everything; these views show how far off it is.
 */
import type { HistogramRecord } from '../../src/protocol/runFormat';
import { LineChart, type StepLink } from '../shared/charts/lineChart';
import { niceTicks } from '../shared/charts/scale';
import { chartFont, Surface } from '../shared/charts/surface';
import { segmented } from '../shared/controls';
import { requestDraw, type Drawable } from '../shared/frame';
import { formatStep, formatValue } from '../shared/format';
import { recordAtStep, type RunData } from '../shared/runData';
import type { ChartMarker } from '../shared/runEvents';
import { palette, themeVersion, toRgba, withAlpha } from '../shared/theme';
import { SmoothedMetric, type ChartSettings } from './lossView';

export type HistoryMode = 'ridgeline' | 'heatmap';

export class DiscriminatorView {
  readonly el: HTMLElement;
  private readonly current: HistogramChart;
  private readonly history: HistoryChart;
  private readonly means: LineChart;
  private metrics: SmoothedMetric[] = [];

  constructor(
    private run: RunData,
    private readonly settings: ChartSettings,
    private readonly link: StepLink,
    mode: HistoryMode,
    onMode: (m: HistoryMode) => void,
  ) {
    this.el = document.createElement('section');
    this.el.className = 'panel discriminator';
    this.el.id = 'discriminator';
    const h = document.createElement('h2');
    h.textContent = 'Discriminator outputs';
    this.el.append(h);
    this.current = new HistogramChart(this.el, () => this.run, () => this.link.step());
    const hh = document.createElement('div');
    hh.className = 'subhead';
    const h3 = document.createElement('h3');
    h3.textContent = 'History';
    const modes = segmented<HistoryMode>('History view', [
      { value: 'ridgeline', label: 'Ridgeline' },
      { value: 'heatmap', label: 'Heatmap' },
    ], mode, (m) => {
      this.history.mode = m;
      this.history.invalidate();
      onMode(m);
    });
    modes.el.id = 'history-mode';
    hh.append(h3, modes.el);
    this.el.append(hh);
    this.history = new HistoryChart(this.el, () => this.run, link, mode);
    const h4 = document.createElement('h3');
    h4.textContent = 'Mean D(x), mean D(G(z)) and accuracy';
    this.el.append(h4);
    this.means = new LineChart(this.el, {
      label: 'Mean discriminator output on real and generated data, and its accuracy',
      height: 170,
      link,
      prepare: () => {
        for (const m of this.metrics) m.update(this.settings.smoothing);
      },
    });
    this.setRun(run);
  }

  setRun(run: RunData): void {
    this.run = run;
    this.metrics = (['dReal', 'dFake', 'dAccuracy'] as const).map((k) => new SmoothedMetric(run, k));
    this.rebuild();
  }

  rebuild(): void {
    const p = palette();
    const s = this.settings;
    const prob = this.run.dIsProbability;
    const [real, fake, acc] = this.metrics;
    const series = [...real.series('mean D(x)', p.real, s), ...fake.series('mean D(G(z))', p.fake, s)];
    if (prob) series.push(...acc.series('accuracy', p.accent, s, { dash: [5, 3] }));
    this.means.opts.fixedY = prob ? [0, 1] : undefined;
    this.means.opts.refLines = prob ? [0.5] : [];
    this.means.setSeries(series);
    this.means.set('xMode', s.xMode);
    this.means.set('robust', s.robust);
    this.dataChanged();
  }

  /** Metrics feed only the means chart; histograms feed the other two. */
  dataChanged(what: { metrics?: boolean; histograms?: boolean } = { metrics: true, histograms: true }): void {
    if (what.histograms) {
      this.current.invalidate();
      this.history.invalidate();
    }
    if (what.metrics) this.means.invalidate();
  }

  cursorMoved(): void {
    this.current.invalidate();
    this.history.invalidateOverlay();
    this.means.invalidateOverlay();
  }
}

/** Bar histogram of D on real and fake at one step, with the 0.5 line and the two means. */
class HistogramChart implements Drawable {
  private readonly surface: Surface;
  readonly target: Element;
  private readonly caption = document.createElement('p');

  constructor(
    parent: HTMLElement,
    private readonly run: () => RunData,
    private readonly step: () => number | null,
  ) {
    const wrap = document.createElement('div');
    wrap.className = 'hist-current';
    const legend = document.createElement('div');
    legend.className = 'chart-legend static';
    legend.append(legendItem('D(x): real data', 'real'), legendItem('D(G(z)): generated', 'fake'), legendItem('0.5: D cannot tell', 'equilibrium'));
    const body = document.createElement('div');
    body.className = 'chart-body';
    body.style.height = '170px';
    body.setAttribute('role', 'img');
    wrap.append(legend, body);
    this.caption.className = 'caption';
    this.caption.id = 'hist-caption';
    this.caption.setAttribute('aria-live', 'polite');
    parent.append(wrap, this.caption);
    this.target = body;
    this.surface = new Surface(body, 'hist-canvas', () => this.invalidate());
    body.setAttribute('aria-label', 'Histogram of D outputs on real and generated data at the selected step');
  }

  invalidate(): void {
    requestDraw(this);
  }

  draw(): void {
    const run = this.run();
    const ctx = this.surface.begin();
    const hs = run.histograms;
    if (hs.length === 0) {
      this.caption.textContent = 'No histograms logged yet.';
      return;
    }
    const cursor = this.step();
    const h = hs[cursor === null ? hs.length - 1 : recordAtStep(hs, cursor)];
    const p = palette();
    const W = this.surface.width;
    const H = this.surface.height;
    const m = { l: 36, r: 10, t: 8, b: 20 };
    const w = W - m.l - m.r;
    const ht = H - m.t - m.b;
    const bins = h.real.length;
    const nReal = sum(h.real) || 1;
    const nFake = sum(h.fake) || 1;
    let peak = 0;
    for (let i = 0; i < bins; i++) peak = Math.max(peak, h.real[i] / nReal, h.fake[i] / nFake);
    peak = peak || 1;
    const X = (v: number): number => m.l + ((v - h.lo) / (h.hi - h.lo)) * w;
    const bw = w / bins;
    ctx.font = chartFont();
    // Share of samples per bin, so real and fake batches of different sizes compare.
    ctx.fillStyle = p.muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.strokeStyle = withAlpha(p.grid, 0.35);
    ctx.beginPath();
    for (const t of niceTicks(0, peak, 3)) {
      const y = Math.round(m.t + ht - (t / peak) * ht) + 0.5;
      ctx.moveTo(m.l, y);
      ctx.lineTo(m.l + w, y);
      ctx.fillText(`${Math.round(t * 100)}%`, m.l - 4, y);
    }
    ctx.stroke();
    for (const [counts, total, color] of [
      [h.real, nReal, p.real],
      [h.fake, nFake, p.fake],
    ] as const) {
      ctx.fillStyle = withAlpha(color, p.highContrast ? 0.35 : 0.45);
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(m.l, m.t + ht);
      for (let i = 0; i < bins; i++) {
        const y = m.t + ht - (counts[i] / total / peak) * ht;
        ctx.lineTo(m.l + i * bw, y);
        ctx.lineTo(m.l + (i + 1) * bw, y);
      }
      ctx.lineTo(m.l + w, m.t + ht);
      ctx.fill();
      ctx.stroke();
    }
    const prob = run.dIsProbability;
    if (prob && h.lo < 0.5 && h.hi > 0.5) {
      ctx.setLineDash([4, 4]);
      ctx.strokeStyle = p.foreground;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(Math.round(X(0.5)) + 0.5, m.t);
      ctx.lineTo(Math.round(X(0.5)) + 0.5, m.t + ht);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    const meanReal = histMean(h.real, h.lo, h.hi);
    const meanFake = histMean(h.fake, h.lo, h.hi);
    for (const [v, color] of [
      [meanReal, p.real],
      [meanFake, p.fake],
    ] as const) {
      const x = X(v);
      ctx.fillStyle = color;
      ctx.beginPath();
      ctx.moveTo(x, m.t + ht);
      ctx.lineTo(x - 5, m.t + ht + 7);
      ctx.lineTo(x + 5, m.t + ht + 7);
      ctx.closePath();
      ctx.fill();
    }
    ctx.fillStyle = p.muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of niceTicks(h.lo, h.hi, Math.max(2, Math.floor(w / 70)))) ctx.fillText(formatValue(t), X(t), m.t + ht + 8);

    this.caption.textContent = prob
      ? `Step ${formatStep(h.step)}: mean D(x) ${meanReal.toFixed(2)}, mean D(G(z)) ${meanFake.toFixed(2)}. ${standing(meanReal, meanFake)}`
      : `Step ${formatStep(h.step)}: mean critic score on real ${formatValue(meanReal)}, on generated ${formatValue(meanFake)} (gap ${formatValue(meanReal - meanFake)}).`;
  }
}

/** One sentence on where the game stands relative to the equilibrium at 0.5. */
function standing(real: number, fake: number): string {
  const gap = real - fake;
  if (Math.abs(real - 0.5) < 0.1 && Math.abs(fake - 0.5) < 0.1) return 'Near equilibrium: D can barely tell real from generated.';
  if (gap > 0.6) return `D separates them easily (gap ${gap.toFixed(2)}); G is losing.`;
  if (gap > 0.2) return `D still tells them apart (gap ${gap.toFixed(2)}).`;
  if (gap < -0.1) return 'D rates generated data above real data: G is fooling it.';
  return `D is unsure (gap ${gap.toFixed(2)}), but not centred on 0.5.`;
}

/**
 * History of the histograms. Ridgeline: up to ~40 snapshots at a power-of-two stride, drawn as offset
 * outlines, oldest at the back. Heatmap: step on x, D output on y, real and fake densities mixed
 * into one colour per cell, built once into an offscreen image and scaled.
 */
class HistoryChart implements Drawable {
  private readonly surface: Surface;
  readonly target: Element;
  private readonly overlay: Surface;
  private heat: HTMLCanvasElement | undefined;
  private heatKey = '';
  /** The ridgeline's older rows, drawn once per set of picks (see picks). */
  private ridgeCache: HTMLCanvasElement | undefined;
  private ridgeKey = '';
  private ridgeRun: RunData | undefined;
  private readonly overlayDrawable: Drawable;
  private layout = { l: 36, r: 10, t: 8, b: 20 };

  constructor(
    parent: HTMLElement,
    private readonly run: () => RunData,
    private readonly link: StepLink,
    public mode: HistoryMode,
  ) {
    const body = document.createElement('div');
    body.className = 'chart-body';
    body.style.height = '190px';
    body.tabIndex = 0;
    body.setAttribute('role', 'img');
    body.setAttribute('aria-label', 'History of D output histograms over training. Arrow keys move the step cursor.');
    parent.append(body);
    this.target = body;
    this.overlayDrawable = { draw: () => this.drawOverlay(), target: body };
    this.surface = new Surface(body, 'history-canvas', () => this.invalidate());
    this.overlay = new Surface(body, 'chart-overlay', () => this.invalidateOverlay());
    body.addEventListener('pointermove', (e) => {
      const step = this.stepAt(e.clientX - body.getBoundingClientRect().left, e.clientY - body.getBoundingClientRect().top);
      if (step !== undefined) link.hover(step);
    });
    body.addEventListener('keydown', (e) => {
      const d = e.key === 'ArrowLeft' ? -1 : e.key === 'ArrowRight' ? 1 : 0;
      if (d !== 0) {
        e.preventDefault();
        link.nudge(d);
      }
    });
  }

  invalidate(): void {
    requestDraw(this);
  }
  invalidateOverlay(): void {
    requestDraw(this.overlayDrawable);
  }

  /**
   * Ridgeline rows: every s-th snapshot from the first, s the smallest power of two that keeps the
   * rows within what fits, and the newest. A new snapshot then moves only the newest row until the
   * next multiple of s: the older rows stay where they are as the run grows (evenly spaced picks
   * shifted every row at every snapshot), and are drawn once into a cached image.
   */
  private picks(hs: HistogramRecord[]): number[] {
    const maxRows = Math.max(4, Math.min(40, Math.floor(this.surface.height / 5)));
    const n = hs.length;
    if (n <= maxRows) return hs.map((_, i) => i);
    let stride = 1;
    while (Math.ceil((n - 1) / stride) + 1 > maxRows) stride *= 2;
    const out: number[] = [];
    for (let i = 0; i < n - 1; i += stride) out.push(i);
    out.push(n - 1);
    return out;
  }

  private stepAt(x: number, y: number): number | undefined {
    const hs = this.run().histograms;
    if (hs.length === 0) return undefined;
    const { l, r, t, b } = this.layout;
    if (this.mode === 'heatmap') {
      const w = this.surface.width - l - r;
      const i = Math.min(hs.length - 1, Math.max(0, Math.floor(((x - l) / w) * hs.length)));
      return hs[i].step;
    }
    const picks = this.picks(hs);
    const ht = this.surface.height - t - b;
    const k = Math.round((1 - (y - t) / ht) * (picks.length - 1));
    return hs[picks[Math.min(picks.length - 1, Math.max(0, k))]].step;
  }

  draw(): void {
    const ctx = this.surface.begin();
    const hs = this.run().histograms;
    if (hs.length === 0) return;
    if (this.mode === 'heatmap') this.drawHeatmap(ctx, hs);
    else this.drawRidgeline(ctx, hs);
    this.drawOverlay();
  }

  private drawRidgeline(ctx: CanvasRenderingContext2D, hs: HistogramRecord[]): void {
    const W = this.surface.width;
    const H = this.surface.height;
    const picks = this.picks(hs);
    // Ridges overlap their neighbours by design; the top margin leaves room for the oldest one.
    const approxGap = (H - 40) / Math.max(1, picks.length - 1);
    const ridgeH = Math.min(50, Math.max(16, approxGap * 2.5), H * 0.4);
    const m = (this.layout = { l: 52, r: 10, t: Math.ceil(ridgeH) + 4, b: 20 });
    const w = W - m.l - m.r;
    const ht = H - m.t - m.b;
    const rowGap = picks.length > 1 ? ht / (picks.length - 1) : 0;
    const geometry = { m, w, ridgeH, rowGap, labelEvery: Math.ceil(picks.length / 5), last: picks.length - 1 };
    // Oldest at the top (back), newest at the bottom (front), as TensorBoard's offset view. All
    // but the newest come from the cache, which a live update leaves alone.
    const dpr = this.surface.dpr;
    // Appends add records and keep the old ones; a replaced run (a new snapshot) starts over.
    const key = `${W}|${H}|${dpr}|${themeVersion()}|${picks.slice(0, -1).map((i) => hs[i].step).join()}`;
    if (key !== this.ridgeKey || this.ridgeRun !== this.run()) {
      this.ridgeKey = key;
      this.ridgeRun = this.run();
      const cache = (this.ridgeCache ??= document.createElement('canvas'));
      cache.width = Math.round(W * dpr);
      cache.height = Math.round(H * dpr);
      const c = cache.getContext('2d');
      if (c) {
        c.setTransform(dpr, 0, 0, dpr, 0, 0);
        c.font = chartFont();
        for (let k = 0; k < picks.length - 1; k++) this.drawRidge(c, hs[picks[k]], k, geometry);
      }
    }
    if (this.ridgeCache) ctx.drawImage(this.ridgeCache, 0, 0, W, H);
    ctx.font = chartFont();
    this.drawRidge(ctx, hs[picks[picks.length - 1]], picks.length - 1, geometry);
    this.drawXAxis(ctx, hs[0], m, w, H);
  }

  private drawRidge(
    ctx: CanvasRenderingContext2D,
    h: HistogramRecord,
    k: number,
    g: { m: { l: number; t: number }; w: number; ridgeH: number; rowGap: number; labelEvery: number; last: number },
  ): void {
    const p = palette();
    const { m, w, ridgeH } = g;
    const base = m.t + k * g.rowGap;
    const nR = sum(h.real) || 1;
    const nF = sum(h.fake) || 1;
    const peak = Math.max(max(h.real) / nR, max(h.fake) / nF) || 1;
    const bins = h.real.length;
    for (const [counts, total, color] of [
      [h.real, nR, p.real],
      [h.fake, nF, p.fake],
    ] as const) {
      ctx.beginPath();
      ctx.moveTo(m.l, base);
      for (let i = 0; i < bins; i++) ctx.lineTo(m.l + ((i + 0.5) / bins) * w, base - (counts[i] / total / peak) * ridgeH);
      ctx.lineTo(m.l + w, base);
      ctx.fillStyle = withAlpha(color, 0.22);
      ctx.fill();
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.2;
      ctx.stroke();
    }
    if (k === 0 || k === g.last || k % g.labelEvery === 0) {
      ctx.fillStyle = p.muted;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      ctx.fillText(formatStep(h.step), m.l - 6, base);
    }
  }

  private drawXAxis(ctx: CanvasRenderingContext2D, h: HistogramRecord, m: { l: number; b: number }, w: number, H: number): void {
    const p = palette();
    ctx.fillStyle = p.muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of niceTicks(h.lo, h.hi, Math.max(2, Math.floor(w / 70)))) ctx.fillText(formatValue(t), m.l + ((t - h.lo) / (h.hi - h.lo)) * w, H - m.b + 5);
    if (this.run().dIsProbability && h.lo < 0.5 && h.hi > 0.5) {
      const x = Math.round(m.l + ((0.5 - h.lo) / (h.hi - h.lo)) * w) + 0.5;
      ctx.lineWidth = 1;
      ctx.setLineDash([4, 4]);
      ctx.strokeStyle = withAlpha(p.foreground, 0.6);
      ctx.beginPath();
      ctx.moveTo(x, 4);
      ctx.lineTo(x, H - m.b);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  private drawHeatmap(ctx: CanvasRenderingContext2D, hs: HistogramRecord[]): void {
    const p = palette();
    const W = this.surface.width;
    const H = this.surface.height;
    const m = (this.layout = { l: 36, r: 10, t: 8, b: 20 });
    const w = W - m.l - m.r;
    const ht = H - m.t - m.b;
    const bins = hs[0].real.length;
    const key = `${hs.length}:${hs[hs.length - 1].step}:${bins}:${p.real}:${p.fake}:${p.background}`;
    if (key !== this.heatKey || !this.heat) {
      this.heatKey = key;
      this.heat = buildHeatmap(hs, bins, toRgba(p.real), toRgba(p.fake), toRgba(p.background));
    }
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.heat, m.l, m.t, w, ht);
    const h0 = hs[0];
    ctx.font = chartFont();
    ctx.fillStyle = p.muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of niceTicks(h0.lo, h0.hi, 4)) ctx.fillText(formatValue(t), m.l - 4, m.t + ht - ((t - h0.lo) / (h0.hi - h0.lo)) * ht);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const first = hs[0].step;
    const last = hs[hs.length - 1].step;
    for (const t of niceTicks(first, last, Math.max(2, Math.floor(w / 90)))) ctx.fillText(formatStep(t), m.l + ((t - first) / Math.max(1, last - first)) * w, m.t + ht + 5);
    if (this.run().dIsProbability && h0.lo < 0.5 && h0.hi > 0.5) {
      const y = Math.round(m.t + ht - ((0.5 - h0.lo) / (h0.hi - h0.lo)) * ht) + 0.5;
      ctx.setLineDash([4, 4]);
      ctx.strokeStyle = withAlpha(p.foreground, 0.6);
      ctx.beginPath();
      ctx.moveTo(m.l, y);
      ctx.lineTo(m.l + w, y);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  private drawOverlay(): void {
    const hs = this.run().histograms;
    const step = this.link.step();
    const markers = this.link.markers?.() ?? [];
    (this.target as HTMLElement).dataset.markers = String(markers.length);
    if (hs.length === 0 || (step === null && markers.length === 0)) {
      this.overlay.blank();
      return;
    }
    const ctx = this.overlay.begin();
    this.drawMarkers(ctx, hs, markers);
    if (step === null) return;
    const p = palette();
    const i = recordAtStep(hs, step);
    const { l, r, t, b } = this.layout;
    const w = this.surface.width - l - r;
    const ht = this.surface.height - t - b;
    ctx.strokeStyle = p.foreground;
    ctx.lineWidth = 1;
    if (this.mode === 'heatmap') {
      const x = Math.round(l + ((i + 0.5) / hs.length) * w) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, t);
      ctx.lineTo(x, t + ht);
      ctx.stroke();
    } else {
      const picks = this.picks(hs);
      let k = picks.findIndex((pi) => pi >= i);
      if (k < 0) k = picks.length - 1;
      const y = t + (picks.length > 1 ? (k * ht) / (picks.length - 1) : 0) + 0.5;
      ctx.beginPath();
      ctx.moveTo(l - 2, y);
      ctx.lineTo(l + w, y);
      ctx.stroke();
    }
  }

  /**
   * The run's events, as on every step chart: an edit is a solid accent line, a pause or a manual
   * step a dotted one, at the snapshot of its step (a column of the heatmap; in the ridgeline, a
   * tick at the left of its row, where the rows run by step from the top).
   */
  private drawMarkers(ctx: CanvasRenderingContext2D, hs: HistogramRecord[], markers: readonly ChartMarker[]): void {
    if (markers.length === 0) return;
    const p = palette();
    const { l, r, t, b } = this.layout;
    const w = this.surface.width - l - r;
    const ht = this.surface.height - t - b;
    const picks = this.mode === 'heatmap' ? [] : this.picks(hs);
    for (const m of markers) {
      const i = recordAtStep(hs, m.step);
      ctx.save();
      ctx.strokeStyle = m.kind === 'edit' ? withAlpha(p.accent, 0.9) : withAlpha(p.muted, 0.6);
      ctx.lineWidth = m.kind === 'edit' ? 1.5 : 1;
      ctx.setLineDash(m.kind === 'edit' ? [] : [2, 3]);
      ctx.beginPath();
      if (this.mode === 'heatmap') {
        const x = Math.round(l + ((i + 0.5) / hs.length) * w) + 0.5;
        ctx.moveTo(x, t);
        ctx.lineTo(x, t + ht);
      } else {
        let k = picks.findIndex((pi) => pi >= i);
        if (k < 0) k = picks.length - 1;
        const y = Math.round(t + (picks.length > 1 ? (k * ht) / (picks.length - 1) : 0)) + 0.5;
        ctx.moveTo(l - 8, y);
        ctx.lineTo(l - 1, y);
      }
      ctx.stroke();
      ctx.restore();
    }
  }
}

/** One pixel per (snapshot, bin); density is shown as sqrt so that thin tails stay visible. */
function buildHeatmap(hs: HistogramRecord[], bins: number, real: number[], fake: number[], bg: number[]): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = hs.length;
  c.height = bins;
  const ctx = c.getContext('2d');
  if (!ctx) return c;
  const img = ctx.createImageData(hs.length, bins);
  const d = img.data;
  for (let x = 0; x < hs.length; x++) {
    const h = hs[x];
    const nR = sum(h.real) || 1;
    const nF = sum(h.fake) || 1;
    const pk = Math.sqrt(Math.max(max(h.real) / nR, max(h.fake) / nF)) || 1;
    for (let b = 0; b < bins && b < h.real.length; b++) {
      const ar = Math.sqrt(h.real[b] / nR) / pk;
      const af = Math.sqrt(h.fake[b] / nF) / pk;
      const tot = ar + af;
      const scale = tot > 1 ? 1 / tot : 1;
      const wr = ar * scale;
      const wf = af * scale;
      const o = ((bins - 1 - b) * hs.length + x) * 4;
      for (let ch = 0; ch < 3; ch++) d[o + ch] = bg[ch] * (1 - wr - wf) + real[ch] * wr + fake[ch] * wf;
      d[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

function legendItem(text: string, kind: 'real' | 'fake' | 'equilibrium'): HTMLElement {
  const s = document.createElement('span');
  s.className = 'legend-item static';
  const sw = document.createElement('span');
  sw.className = `swatch swatch-${kind}`;
  s.append(sw, document.createTextNode(text));
  return s;
}

function sum(a: readonly number[]): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}
function max(a: readonly number[]): number {
  let m = 0;
  for (const v of a) if (v > m) m = v;
  return m;
}
/** Mean from bin centres: the metrics carry exact means, but the histogram's step may have none. */
function histMean(counts: readonly number[], lo: number, hi: number): number {
  const n = sum(counts) || 1;
  const bw = (hi - lo) / counts.length;
  let s = 0;
  for (let i = 0; i < counts.length; i++) s += counts[i] * (lo + (i + 0.5) * bw);
  return s / n;
}
