/**
 * A measure against a parameter: one point per trial (each seed), and the mean over the trials of
 * each value as a line. Numbers sit on a linear axis, or a log one when they span more than ten
 * times and are positive (learning rates); anything else is a category.
 */
import { chartFont, Surface } from '../shared/charts/surface';
import { niceTicks } from '../shared/charts/scale';
import { requestDraw, type Drawable } from '../shared/frame';
import { formatValue } from '../shared/format';
import { palette, withAlpha } from '../shared/theme';
import { chartSeries, formatParam } from './sweepRows';
import type { SweepView } from '../../src/protocol/sweepFormat';

export class SweepChart implements Drawable {
  readonly el: HTMLElement;
  readonly target: Element;
  private readonly surface: Surface;
  private view: SweepView | undefined;
  private param = '';
  private measure = '';

  constructor() {
    this.el = document.createElement('div');
    this.el.className = 'sweep-chart';
    this.el.setAttribute('role', 'img');
    this.target = this.el;
    this.surface = new Surface(this.el, 'sweep-canvas', () => requestDraw(this));
  }

  show(view: SweepView, param: string, measure: string): void {
    this.view = view;
    this.param = param;
    this.measure = measure;
    this.el.setAttribute('aria-label', `${measure} against ${param}: one point per trial, the line through the means`);
    requestDraw(this);
  }

  draw(): void {
    const ctx = this.surface.begin();
    const view = this.view;
    if (!view || !this.param || !this.measure) return;
    const p = palette();
    const { points, means } = chartSeries(view, this.param, this.measure);
    this.surface.canvas.dataset.points = String(points.length);
    const W = this.surface.width;
    const H = this.surface.height;
    const M = { left: 56, right: 16, top: 12, bottom: 34 };
    ctx.font = chartFont();
    if (points.length === 0) {
      ctx.fillStyle = p.muted;
      ctx.fillText('No trial has recorded this measure yet.', M.left, H / 2);
      return;
    }
    const numeric = points.every((q) => typeof q.x === 'number');
    const xs = numeric ? points.map((q) => q.x as number) : [];
    const log = numeric && Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) > 10;
    const cats = numeric ? [] : [...new Set(points.map((q) => formatParam(q.x)))];
    const tx = (x: unknown): number => (numeric ? (log ? Math.log10(x as number) : (x as number)) : cats.indexOf(formatParam(x)));
    const xsT = points.map((q) => tx(q.x));
    let [x0, x1] = [Math.min(...xsT), Math.max(...xsT)];
    if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
    const padX = (x1 - x0) * 0.06;
    [x0, x1] = [x0 - padX, x1 + padX];
    const ys = points.map((q) => q.y);
    let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    if (y0 === y1) [y0, y1] = [y0 - Math.abs(y0 || 1) * 0.1, y1 + Math.abs(y1 || 1) * 0.1];
    const padY = (y1 - y0) * 0.08;
    [y0, y1] = [y0 - padY, y1 + padY];
    const X = (v: number) => M.left + ((v - x0) / (x1 - x0)) * (W - M.left - M.right);
    const Y = (v: number) => M.top + (1 - (v - y0) / (y1 - y0)) * (H - M.top - M.bottom);

    // Axes and ticks.
    ctx.strokeStyle = p.grid;
    ctx.fillStyle = p.muted;
    ctx.lineWidth = 1;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    for (const t of niceTicks(y0, y1, 5)) {
      ctx.beginPath();
      ctx.moveTo(M.left, Math.round(Y(t)) + 0.5);
      ctx.lineTo(W - M.right, Math.round(Y(t)) + 0.5);
      ctx.stroke();
      ctx.fillText(formatValue(t), M.left - 6, Y(t));
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const xticks = numeric ? [...new Set(xs)].sort((a, b) => a - b) : cats;
    for (const t of xticks) ctx.fillText(numeric ? formatParam(t) : String(t), X(tx(t)), H - M.bottom + 6);
    ctx.fillText(`${this.param}${log ? ' (log scale)' : ''}`, (M.left + W - M.right) / 2, H - 14);

    // The means, then every trial.
    const sorted = [...means].sort((a, b) => tx(a.x) - tx(b.x));
    ctx.strokeStyle = p.gLoss;
    ctx.lineWidth = 2;
    ctx.beginPath();
    sorted.forEach((m, i) => (i === 0 ? ctx.moveTo(X(tx(m.x)), Y(m.y)) : ctx.lineTo(X(tx(m.x)), Y(m.y))));
    ctx.stroke();
    for (const m of sorted) {
      ctx.fillStyle = p.gLoss;
      ctx.fillRect(X(tx(m.x)) - 4, Y(m.y) - 4, 8, 8);
    }
    ctx.fillStyle = withAlpha(p.dLoss, 0.8);
    for (const q of points) {
      ctx.beginPath();
      ctx.arc(X(tx(q.x)), Y(q.y), 4, 0, Math.PI * 2);
      ctx.fill();
    }
  }
}
