/**
 * A canvas line chart for long metric series. Each series is decimated per device-pixel column,
 * the data layer is redrawn only when data or options change, and the cursor/hover layer is a
 * second canvas so that moving the mouse never redraws 100k points.
 */
import { type Column, lastAtOrBefore } from '../runData';
import { requestDraw, type Drawable } from '../frame';
import { formatDuration } from '../../../src/analysis/progress';
import { formatStep, formatValue } from '../format';
import type { ChartMarker } from '../runEvents';
import { palette, themeVersion, withAlpha } from '../theme';
import { decimate, decimateColumns, STRIDE } from './decimate';
import { logTicks, niceTicks, snapDomain, yRange } from './scale';
import { chartFont, Surface } from './surface';

export interface LineSeries {
  label: string;
  color: string;
  /** Steps of each point, for the step cursor; `x` is what the axis shows (step or wall time). */
  step: Column;
  x: Column;
  y: Column;
  width: number;
  alpha: number;
  dash?: number[];
  /** Whether the series gets a legend entry (its faint raw companion does not). */
  legend: boolean;
  /** Raw values shown next to a smoothed series in the read-out. */
  raw?: Column;
  /** Legend toggles hide a whole group (smoothed and raw together). */
  group: string;
}

export interface StepLink {
  /** The global step cursor, or null when none is set. */
  step(): number | null;
  /** The pointer is over the chart at this step. */
  hover(step: number): void;
  /** Keyboard navigation: move the cursor by this many logged steps. */
  nudge(delta: number): void;
  /** Steps to mark with a vertical line (live edits, pauses, manual steps), when the link has any. */
  markers?(): readonly ChartMarker[];
}

export interface LineChartOptions {
  label: string;
  height: number;
  fixedY?: [number, number];
  refLines?: number[];
  xMode?: 'step' | 'wall';
  logY?: boolean;
  robust?: boolean;
  /** Called at draw time, before decimation, so derived series (smoothing) are computed lazily. */
  prepare?: () => void;
  link?: StepLink;
}

const M = { left: 50, right: 12, top: 8, bottom: 22 };

export class LineChart implements Drawable {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly legendEl: HTMLElement;
  private readonly axes: Surface;
  private readonly plot: Surface;
  private readonly overlay: Surface;
  private axesKey = '';
  private plotKey = '';
  /** Bumped when the drawn series set changes (new series, legend toggles). */
  private seriesVersion = 0;
  private readonly readout: HTMLElement;
  private series: LineSeries[] = [];
  private readonly hidden = new Set<string>();
  private buf = new Float64Array(0);
  private mins = new Float64Array(0);
  private maxs = new Float64Array(0);
  private view = { x0: 0, x1: 1, y0: 0, y1: 1, w: 1, h: 1 };
  private pointerInside = false;
  private focused = false;
  private readonly overlayDrawable: Drawable;

  constructor(
    parent: HTMLElement,
    readonly opts: LineChartOptions,
  ) {
    this.el = document.createElement('div');
    this.el.className = 'chart';
    this.legendEl = document.createElement('div');
    this.legendEl.className = 'chart-legend';
    this.legendEl.setAttribute('role', 'group');
    this.legendEl.setAttribute('aria-label', `${opts.label} series`);
    this.body = document.createElement('div');
    this.body.className = 'chart-body';
    this.body.tabIndex = 0;
    this.body.setAttribute('role', 'img');
    this.body.setAttribute('aria-label', `${opts.label}. Arrow keys move the step cursor.`);
    this.body.style.height = `${opts.height}px`;
    this.overlayDrawable = { draw: () => this.drawOverlay(), target: this.body };
    this.el.append(this.legendEl, this.body);
    parent.append(this.el);
    // Three layers: axes (redrawn only when the domain changes), data, and cursor/hover.
    this.axes = new Surface(this.body, 'chart-axes', () => this.invalidate());
    this.plot = new Surface(this.body, 'chart-plot', () => this.invalidate());
    this.overlay = new Surface(this.body, 'chart-overlay', () => this.invalidateOverlay());
    this.readout = document.createElement('div');
    this.readout.className = 'chart-readout';
    this.readout.hidden = true;
    this.body.append(this.readout);
    this.bindPointer();
  }

  get target(): Element {
    return this.body;
  }

  setSeries(series: LineSeries[]): void {
    this.series = series;
    this.seriesVersion++;
    this.renderLegend();
    this.invalidate();
  }

  set<K extends 'xMode' | 'logY' | 'robust'>(key: K, value: LineChartOptions[K]): void {
    this.opts[key] = value;
    this.invalidate();
  }

  invalidate(): void {
    requestDraw(this);
  }

  invalidateOverlay(): void {
    requestDraw(this.overlayDrawable);
  }

  private visible(): LineSeries[] {
    return this.series.filter((s) => !this.hidden.has(s.group) && s.x.n > 0);
  }

  draw(): void {
    this.opts.prepare?.();
    const W = this.plot.width;
    const H = this.plot.height;
    const w = Math.max(1, W - M.left - M.right);
    const h = Math.max(1, H - M.top - M.bottom);
    const log = this.opts.logY === true;
    const series = this.visible();

    let x0 = Infinity;
    let x1 = -Infinity;
    for (const s of series) {
      x0 = Math.min(x0, s.x.data[0]);
      x1 = Math.max(x1, s.x.data[s.x.n - 1]);
    }
    if (!Number.isFinite(x0)) {
      x0 = 0;
      x1 = 1;
    }
    if (x1 <= x0) x1 = x0 + 1;
    const xn = Math.max(2, Math.floor(w / 90));
    [x0, x1] = snapDomain(x0, x1, xn);

    const cols = Math.max(1, Math.floor(w * this.plot.dpr));
    const need = cols * STRIDE * series.length;
    if (this.buf.length < need) this.buf = new Float64Array(need);
    if (this.mins.length < cols * series.length) {
      this.mins = new Float64Array(cols * series.length);
      this.maxs = new Float64Array(cols * series.length);
    }
    let m = 0;
    let changedFrom = cols;
    series.forEach((s, k) => {
      const out = this.buf.subarray(k * cols * STRIDE, (k + 1) * cols * STRIDE);
      changedFrom = Math.min(changedFrom, decimateCached(s, x0, x1, cols, out, log));
      for (let c = 0; c < cols; c++) {
        const lo = out[c * STRIDE + 1];
        if (lo === lo) {
          this.mins[m] = lo;
          this.maxs[m] = out[c * STRIDE + 2];
          m++;
        }
      }
    });

    let [y0, y1] = this.opts.fixedY
      ? log
        ? [Math.log10(Math.max(1e-6, this.opts.fixedY[0])), Math.log10(this.opts.fixedY[1])]
        : this.opts.fixedY
      : yRange(this.mins, this.maxs, m, this.opts.robust !== false);
    if (!(y1 > y0)) [y0, y1] = [0, 1];
    if (this.opts.fixedY) {
      // A value at a fixed bound (a precision of 0, a share of 1) is a line on the plot's edge,
      // where the clip cut it in half: a little room either side keeps it whole.
      const pad = 0.03 * (y1 - y0);
      [y0, y1] = [y0 - pad, y1 + pad];
    }
    const yn = Math.max(4, Math.floor(h / 30));
    if (!this.opts.fixedY) [y0, y1] = log ? (y1 - y0 >= 1 ? [Math.floor(y0), Math.ceil(y1)] : [y0, y1]) : snapDomain(y0, y1, yn);
    this.view = { x0, x1, y0, y1, w, h };
    const Y = (v: number): number => M.top + (1 - (v - y0) / (y1 - y0)) * h;
    const key = `${x0}|${x1}|${y0}|${y1}|${W}|${H}|${this.plot.dpr}|${log}|${this.opts.xMode}|${themeVersion()}|${(this.opts.refLines ?? []).join()}`;
    if (key !== this.axesKey) {
      this.axesKey = key;
      this.drawAxes(yn, xn);
    }

    // The data layer is redrawn in full only when something other than new points changed;
    // a live append repaints just the columns it touched (software canvases rasterise on the
    // main thread, so repainted area is main-thread time).
    const bands = series.map((s) => s.alpha < 1 && s.y.n > cols * 1.5);
    const plotKey = `${key}|${this.seriesVersion}|${bands.join()}`;
    const full = plotKey !== this.plotKey;
    this.plotKey = plotKey;
    if (!full && changedFrom >= cols) {
      this.drawOverlay();
      return;
    }
    const dpr = this.plot.dpr;
    const c0 = full ? 0 : Math.max(0, changedFrom - 3);
    const ctx = full ? this.plot.begin() : this.plot.ctx;
    ctx.save();
    if (!full) ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const clipX = full ? M.left : M.left + (c0 + 1) / dpr;
    ctx.beginPath();
    ctx.rect(clipX, M.top - 1, M.left + w - clipX, h + 2);
    ctx.clip();
    if (!full) ctx.clearRect(clipX, M.top - 1, M.left + w - clipX, h + 2);
    series.forEach((s, k) => {
      const out = this.buf.subarray(k * cols * STRIDE, (k + 1) * cols * STRIDE);
      const color = s.alpha < 1 ? withAlpha(s.color, s.alpha) : s.color;
      // A faint raw series over many points per column is drawn as its min/max envelope: one
      // filled polygon of two vertices per column instead of four line vertices, and the same
      // picture of the noise band.
      // A partial repaint clears from c0, which also erases the segment joining the last point
      // before c0 to the first one after it: start from that earlier point (the clip keeps the
      // untouched part as it was).
      let from = c0;
      if (!full) {
        from = Math.max(0, c0 - 1);
        while (from > 0 && out[from * STRIDE] !== out[from * STRIDE]) from--;
      }
      if (bands[k]) drawBand(ctx, out, from, cols, dpr, Y, color);
      else drawLine(ctx, out, from, cols, dpr, Y, color, s.width, s.dash);
    });
    ctx.setLineDash([]);
    ctx.restore();
    this.drawOverlay();
  }

  private drawAxes(yn: number, xn: number): void {
    const ctx = this.axes.begin();
    const p = palette();
    const { x0, x1, y0, y1, w, h } = this.view;
    const log = this.opts.logY === true;
    const X = (v: number): number => M.left + ((v - x0) / (x1 - x0)) * w;
    const Y = (v: number): number => M.top + (1 - (v - y0) / (y1 - y0)) * h;
    // Axes and grid.
    ctx.font = chartFont();
    ctx.lineWidth = 1;
    ctx.strokeStyle = withAlpha(p.grid, p.highContrast ? 0.6 : 0.35);
    ctx.fillStyle = p.muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const yt = log ? logTicks(y0, y1, yn) : niceTicks(y0, y1, yn);
    ctx.beginPath();
    for (const t of yt) {
      const py = Math.round(Y(t)) + 0.5;
      ctx.moveTo(M.left, py);
      ctx.lineTo(M.left + w, py);
      ctx.fillText(formatValue(log ? 10 ** t : t), M.left - 6, py);
    }
    ctx.stroke();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const wall = this.opts.xMode === 'wall';
    const xt = niceTicks(x0, x1, xn);
    for (const t of xt) ctx.fillText(wall ? formatDuration(t / 1000) : formatStep(t), X(t), M.top + h + 5);
    ctx.strokeStyle = withAlpha(p.foreground, 0.45);
    ctx.beginPath();
    ctx.moveTo(M.left + 0.5, M.top);
    ctx.lineTo(M.left + 0.5, M.top + h + 0.5);
    ctx.lineTo(M.left + w, M.top + h + 0.5);
    ctx.stroke();

    for (const ref of this.opts.refLines ?? []) {
      const v = log ? Math.log10(ref) : ref;
      if (!(v > y0 && v < y1)) continue;
      ctx.setLineDash([4, 4]);
      ctx.strokeStyle = withAlpha(p.foreground, 0.5);
      ctx.beginPath();
      ctx.moveTo(M.left, Math.round(Y(v)) + 0.5);
      ctx.lineTo(M.left + w, Math.round(Y(v)) + 0.5);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  private stepToX(s: LineSeries, step: number): { i: number; x: number } | undefined {
    const i = lastAtOrBefore(s.step.data, s.step.n, step);
    if (i < 0) return undefined;
    return { i, x: s.x.data[i] };
  }

  /** Where a step's marker goes on the x axis: the step itself, or the wall time logged at it. */
  private markerX(step: number): number | undefined {
    const { x0, x1, w } = this.view;
    let xv = step;
    if (this.opts.xMode === 'wall') {
      const s = this.visible()[0];
      const at = s && this.stepToX(s, step);
      if (!at) return undefined;
      xv = at.x;
    }
    if (xv < x0 || xv > x1) return undefined;
    return M.left + ((xv - x0) / (x1 - x0)) * w;
  }

  /** Markers with their pixel x, edits last so that they draw over pauses and manual steps. */
  private placedMarkers(): { m: ChartMarker; px: number }[] {
    const out: { m: ChartMarker; px: number }[] = [];
    if (this.visible().length === 0) return out;
    for (const m of this.opts.link?.markers?.() ?? []) {
      const px = this.markerX(m.step);
      if (px !== undefined) out.push({ m, px: Math.round(px) + 0.5 });
    }
    return out;
  }

  private drawMarkers(ctx: CanvasRenderingContext2D, placed: { m: ChartMarker; px: number }[]): void {
    const p = palette();
    const { h } = this.view;
    for (const { m, px } of placed) {
      ctx.save();
      if (m.kind === 'edit') {
        ctx.strokeStyle = withAlpha(p.accent, p.highContrast ? 1 : 0.9);
        ctx.lineWidth = 1.5;
        ctx.setLineDash([]);
      } else {
        ctx.strokeStyle = withAlpha(p.muted, p.highContrast ? 0.9 : 0.55);
        ctx.lineWidth = 1;
        ctx.setLineDash(m.kind === 'pause' ? [2, 3] : [1, 2]);
      }
      ctx.beginPath();
      ctx.moveTo(px, M.top + (m.kind === 'edit' ? 6 : 0));
      ctx.lineTo(px, M.top + h);
      ctx.stroke();
      if (m.kind === 'edit') {
        // A flag at the top says "something changed here" even where lines cross it.
        ctx.fillStyle = p.accent;
        ctx.beginPath();
        ctx.moveTo(px - 4, M.top);
        ctx.lineTo(px + 4, M.top);
        ctx.lineTo(px, M.top + 7);
        ctx.closePath();
        ctx.fill();
      }
      ctx.restore();
    }
  }

  /** The markers within a few pixels of `px`, for the tooltip and the read-out. */
  private markersNear(px: number): ChartMarker[] {
    return this.placedMarkers()
      .filter((x) => Math.abs(x.px - px) <= 4)
      .map((x) => x.m);
  }

  private drawOverlay(): void {
    const step = this.opts.link?.step() ?? null;
    const series = this.visible();
    const placed = this.placedMarkers();
    this.body.dataset.markers = String(placed.length);
    if (step === null || series.length === 0) {
      this.readout.hidden = true;
      if (placed.length > 0) this.drawMarkers(this.overlay.begin(), placed);
      else this.overlay.blank();
      return;
    }
    const ctx = this.overlay.begin();
    this.drawMarkers(ctx, placed);
    const p = palette();
    const { x0, x1, y0, y1, w, h } = this.view;
    const log = this.opts.logY === true;
    const X = (v: number): number => M.left + ((v - x0) / (x1 - x0)) * w;
    const Y = (v: number): number => M.top + (1 - (v - y0) / (y1 - y0)) * h;
    const anchor = this.stepToX(series[0], step);
    if (!anchor) {
      this.readout.hidden = true;
      return;
    }
    const px = Math.round(X(anchor.x)) + 0.5;
    ctx.strokeStyle = withAlpha(p.foreground, 0.6);
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(px, M.top);
    ctx.lineTo(px, M.top + h);
    ctx.stroke();

    const rows: string[][] = [];
    for (const s of series) {
      const at = this.stepToX(s, step);
      if (!at) continue;
      const v = s.y.data[at.i];
      if (s.legend) rows.push([s.label, formatValue(v) + (s.raw ? ` (raw ${formatValue(s.raw.data[at.i])})` : ''), s.color]);
      const tv = log ? (v > 0 ? Math.log10(v) : NaN) : v;
      if (!(tv === tv) || !s.legend) continue;
      const py = Y(tv);
      if (py < M.top || py > M.top + h) continue;
      ctx.fillStyle = s.color;
      ctx.beginPath();
      ctx.arc(X(at.x), py, 3, 0, Math.PI * 2);
      ctx.fill();
    }
    if (!(this.pointerInside || this.focused)) {
      this.readout.hidden = true;
      return;
    }
    const first = series[0];
    const realStep = first.step.data[anchor.i];
    const title = this.opts.xMode === 'wall' ? `step ${realStep} · ${formatDuration(anchor.x / 1000)}` : `step ${realStep}`;
    const near = this.markersNear(px).flatMap((m) => m.lines.map((l) => line(`step ${m.step}: ${l}`, undefined, false, `readout-event readout-${m.kind}`)));
    this.readout.replaceChildren(line(title, undefined, true), ...rows.map(([label, value, color]) => line(`${label}: ${value}`, color)), ...near);
    this.readout.hidden = false;
    const rw = this.readout.offsetWidth;
    const left = px + 12 + rw > this.overlay.width ? px - 12 - rw : px + 12;
    this.readout.style.left = `${Math.max(0, left)}px`;
    this.readout.style.top = `${M.top + 4}px`;
  }

  private stepAtPixel(clientX: number): number | undefined {
    const s = this.visible()[0];
    if (!s) return undefined;
    const rect = this.body.getBoundingClientRect();
    const { x0, x1, w } = this.view;
    const xv = x0 + ((clientX - rect.left - M.left) / w) * (x1 - x0);
    let i = lastAtOrBefore(s.x.data, s.x.n, xv);
    if (i < 0) i = 0;
    if (i + 1 < s.x.n && s.x.data[i + 1] - xv < xv - s.x.data[i]) i++;
    return s.step.data[i];
  }

  private bindPointer(): void {
    const b = this.body;
    b.addEventListener('pointermove', (e) => {
      this.pointerInside = true;
      const step = this.stepAtPixel(e.clientX);
      if (step !== undefined) this.opts.link?.hover(step);
      // A marker under the pointer names what happened there (the read-out says it too).
      const near = this.markersNear(e.clientX - this.body.getBoundingClientRect().left);
      const tip = near.flatMap((m) => m.lines.map((l) => `Step ${m.step}: ${l}`)).join('\n');
      if (this.body.title !== tip) this.body.title = tip;
      this.invalidateOverlay();
    });
    b.addEventListener('pointerleave', () => {
      this.pointerInside = false;
      this.invalidateOverlay();
    });
    b.addEventListener('focus', () => {
      this.focused = true;
      this.invalidateOverlay();
    });
    b.addEventListener('blur', () => {
      this.focused = false;
      this.invalidateOverlay();
    });
    b.addEventListener('keydown', (e) => {
      const delta = e.key === 'ArrowLeft' ? -1 : e.key === 'ArrowRight' ? 1 : e.key === 'Home' ? -Infinity : e.key === 'End' ? Infinity : 0;
      if (delta === 0) return;
      e.preventDefault();
      this.opts.link?.nudge(delta);
    });
  }

  private renderLegend(): void {
    const items = this.series.filter((s) => s.legend);
    this.legendEl.replaceChildren(
      ...items.map((s) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'legend-item';
        b.setAttribute('aria-pressed', String(!this.hidden.has(s.group)));
        b.title = `Show or hide ${s.label}`;
        const sw = document.createElement('span');
        sw.className = 'swatch';
        if (s.dash) {
          sw.classList.add('dashed');
          sw.style.borderTopColor = s.color;
        } else sw.style.background = s.color;
        b.append(sw, document.createTextNode(s.label));
        b.addEventListener('click', () => {
          if (this.hidden.has(s.group)) this.hidden.delete(s.group);
          else this.hidden.add(s.group);
          b.setAttribute('aria-pressed', String(!this.hidden.has(s.group)));
          this.seriesVersion++;
          this.invalidate();
        });
        return b;
      }),
    );
  }
}

function line(text: string, color?: string, bold = false, className = ''): HTMLElement {
  const d = document.createElement('div');
  if (className) d.className = className;
  if (color) {
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = color;
    d.append(sw);
  }
  d.append(document.createTextNode(text));
  if (bold) d.className = 'readout-title';
  return d;
}

/** The decimated line; vertical runs shorter than a pixel collapse to one vertex. */
function drawLine(ctx: CanvasRenderingContext2D, out: Float64Array, from: number, cols: number, dpr: number, Y: (v: number) => number, color: string, width: number, dash?: number[]): void {
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.lineJoin = 'round';
  ctx.setLineDash(dash ?? []);
  ctx.beginPath();
  let started = false;
  for (let c = from; c < cols; c++) {
    const o = c * STRIDE;
    const first = out[o];
    if (first !== first) continue;
    const px = M.left + (c + 0.5) / dpr;
    const yHi = Y(out[o + 2]);
    const yLo = Y(out[o + 1]);
    if (yLo - yHi < 1) {
      const py = (yLo + yHi) / 2;
      if (started) ctx.lineTo(px, py);
      else {
        ctx.moveTo(px, py);
        started = true;
      }
      continue;
    }
    if (started) ctx.lineTo(px, Y(first));
    else {
      ctx.moveTo(px, Y(first));
      started = true;
    }
    ctx.lineTo(px, yLo);
    ctx.lineTo(px, yHi);
    ctx.lineTo(px, Y(out[o + 3]));
  }
  ctx.stroke();
}

/** The min/max envelope as one filled polygon (at least a pixel tall, so a flat run still shows). */
function drawBand(ctx: CanvasRenderingContext2D, out: Float64Array, from: number, cols: number, dpr: number, Y: (v: number) => number, color: string): void {
  ctx.fillStyle = color;
  ctx.beginPath();
  let runStart = -1;
  const close = (end: number): void => {
    for (let c = end; c >= runStart; c--) {
      const lo = out[c * STRIDE + 1];
      if (lo === lo) ctx.lineTo(M.left + (c + 1) / dpr, Y(lo) + 0.5);
    }
    ctx.closePath();
  };
  let lastValid = -1;
  for (let c = from; c < cols; c++) {
    const hi = out[c * STRIDE + 2];
    if (hi !== hi) continue;
    const px = M.left + c / dpr;
    if (runStart < 0) {
      runStart = c;
      ctx.moveTo(px, Y(hi) - 0.5);
    } else ctx.lineTo(px, Y(hi) - 0.5);
    lastValid = c;
  }
  if (runStart >= 0) close(lastValid);
  ctx.fill();
}

interface DecimationCache {
  key: string;
  n: number;
  out: Float64Array;
}
const decimations = new WeakMap<LineSeries, DecimationCache>();

/**
 * Decimation of a series, kept between draws. While the domain stays the same (it is snapped to
 * ticks), a live append changes only the columns from the previous last point on, so only those
 * are recomputed: a 100k-point chart then costs about as much to update as a 100-point one.
 */
function decimateCached(s: LineSeries, x0: number, x1: number, cols: number, out: Float64Array, log: boolean): number {
  const n = Math.min(s.x.n, s.y.n);
  const key = `${x0}|${x1}|${cols}|${log}|${s.x.epoch}|${s.y.epoch}`;
  const c = decimations.get(s);
  if (c && c.key === key && c.n <= n && c.out.length === cols * STRIDE) {
    let from = cols;
    if (c.n < n) {
      from = c.n === 0 ? 0 : Math.min(cols - 1, Math.max(0, Math.floor(((s.x.data[c.n - 1] - x0) * cols) / (x1 - x0))));
      decimate(s.x.data, s.y.data, n, x0, x1, cols, c.out, log, from);
      c.n = n;
    }
    out.set(c.out);
    return from;
  }
  const fresh = new Float64Array(cols * STRIDE);
  decimateColumns(s.x, s.y, x0, x1, cols, fresh, log);
  decimations.set(s, { key, n, out: fresh });
  out.set(fresh);
  return 0;
}
