/**
 * GAN Lab's core view for any 2-D run: D's output over the plane as a heatmap (green where D
 * says "real", purple where it says "generated"), the real points and the generated points, and
 * (where the owner asks and the file has them) an arrow per generated point along −∂L_G/∂x and
 * D's gradient field over the plane.
 */
import type { SamplePoints2D, SampleView } from '../../../src/protocol/runFormat';
import { requestDraw, type Drawable } from '../frame';
import { niceTicks } from '../charts/scale';
import { chartFont, Surface } from '../charts/surface';
import { formatStep, formatValue } from '../format';
import { palette, toRgba, withAlpha } from '../theme';
import { loadPoints } from './sampleStore';

export class PointsPlot implements Drawable {
  readonly el: HTMLElement;
  private readonly surface: Surface;
  private data: SamplePoints2D | undefined;
  private heat: HTMLCanvasElement | undefined;
  private heatFor: SamplePoints2D | undefined;
  private heatTheme = '';
  private token = 0;
  /** Set by the owner when the run's D is a critic: its scores are centred on their own median. */
  probability = true;
  /** Which arrows to draw; views without a legend for them (side view, compare) draw none. */
  private arrows: { push: boolean; field: boolean } | undefined;
  private readonly arrowLegend = document.createElement('p');

  constructor(label: string, height: number | undefined, legend = true) {
    this.el = document.createElement('div');
    this.el.className = 'points-plot';
    if (legend) {
      const lg = document.createElement('div');
      lg.className = 'chart-legend static';
      for (const [text, kind] of [
        ['real data', 'real'],
        ['generated', 'fake'],
        ['D says real / generated', 'heat'],
      ] as const) {
        const s = document.createElement('span');
        s.className = 'legend-item static';
        const sw = document.createElement('span');
        sw.className = `swatch swatch-${kind}`;
        s.append(sw, document.createTextNode(text));
        lg.append(s);
      }
      this.el.append(lg);
    }
    const body = document.createElement('div');
    body.className = 'points-body';
    body.setAttribute('role', 'img');
    body.setAttribute('aria-label', label);
    if (height) body.style.height = `${height}px`;
    this.arrowLegend.className = 'caption arrow-legend';
    this.arrowLegend.id = 'arrow-legend';
    this.arrowLegend.hidden = true;
    this.el.append(body, this.arrowLegend);
    this.surface = new Surface(body, 'points-canvas', () => this.invalidate());
  }

  /** Turns the arrows on or off; their legend below the plot says what they mean. */
  setArrows(arrows: { push: boolean; field: boolean } | undefined): void {
    this.arrows = arrows;
    this.invalidate();
  }

  async show(sample: SampleView | undefined): Promise<void> {
    const token = ++this.token;
    if (!sample) {
      this.data = undefined;
      this.invalidate();
      return;
    }
    const d = await loadPoints(sample.src);
    if (token !== this.token) return;
    this.data = d;
    this.surface.canvas.dataset.step = String(sample.step);
    this.invalidate();
  }

  invalidate(): void {
    requestDraw(this);
  }

  draw(): void {
    const ctx = this.surface.begin();
    const d = this.data;
    if (!d) return;
    const p = palette();
    const W = this.surface.width;
    const H = this.surface.height;
    const m = { l: 34, r: 8, t: 6, b: 20 };
    // Square plot area: the plane must not be stretched.
    const side = Math.max(10, Math.min(W - m.l - m.r, H - m.t - m.b));
    const ox = m.l + Math.max(0, (W - m.l - m.r - side) / 2);
    const oy = m.t;
    const { xMin, xMax, yMin, yMax } = d.bounds;
    const X = (v: number): number => ox + ((v - xMin) / (xMax - xMin)) * side;
    const Y = (v: number): number => oy + (1 - (v - yMin) / (yMax - yMin)) * side;

    if (d.heatmap && d.heatmap.nx > 0) {
      const theme = `${p.real}|${p.fake}|${p.background}`;
      if (this.heatFor !== d || this.heatTheme !== theme || !this.heat) {
        this.heat = buildHeat(d.heatmap, this.probability, toRgba(p.real), toRgba(p.fake), toRgba(p.background));
        this.heatFor = d;
        this.heatTheme = theme;
      }
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(this.heat, ox, oy, side, side);
    }
    ctx.strokeStyle = withAlpha(p.foreground, 0.35);
    ctx.lineWidth = 1;
    ctx.strokeRect(ox + 0.5, oy + 0.5, side - 1, side - 1);

    const r = side > 260 ? 2.6 : 2;
    const dot = (xs: number[], fill: string, stroke: string | undefined, r: number): void => {
      ctx.fillStyle = fill;
      ctx.strokeStyle = stroke ?? fill;
      ctx.lineWidth = 0.6;
      ctx.beginPath();
      for (let i = 0; i + 1 < xs.length; i += 2) {
        const px = X(xs[i]);
        const py = Y(xs[i + 1]);
        ctx.moveTo(px + r, py);
        ctx.arc(px, py, r, 0, Math.PI * 2);
      }
      ctx.fill();
      if (stroke) ctx.stroke();
    };
    // Real data last: it sits in tight clusters that generated points would otherwise bury.
    // Points outside the window (a diverging G) would spill over the axis labels.
    ctx.save();
    ctx.beginPath();
    ctx.rect(ox, oy, side, side);
    ctx.clip();
    const toPx = (vx: number, vy: number): [number, number] => [(vx / (xMax - xMin)) * side, (-vy / (yMax - yMin)) * side];
    const legend: string[] = [];
    if (this.arrows?.field && d.field && d.field.nx > 0 && d.field.ny > 0) {
      const { nx, ny, values } = d.field;
      // At most most of a cell long, so neighbouring arrows do not run into each other.
      const cell = Math.min(side / nx, side / ny);
      const k = drawArrows(ctx, values, (i) => [ox + (((i % nx) + 0.5) / nx) * side, oy + (1 - (Math.floor(i / nx) + 0.5) / ny) * side], toPx, cell * 0.75, withAlpha(p.foreground, p.highContrast ? 0.8 : 0.4), 1, 3);
      if (k > 0) legend.push(`Grey field arrows: ∇ₓ of D's output over the plane, the way D's "real" score rises (scaled ×${formatValue(k)}).`);
    }
    dot(d.fake, withAlpha(p.fake, 0.85), p.background, r);
    if (this.arrows?.push && d.push) {
      const k = drawArrows(ctx, d.push, (i) => [X(d.fake[2 * i]), Y(d.fake[2 * i + 1])], toPx, Math.max(14, side * 0.06), p.foreground, p.highContrast ? 1.6 : 1.2, 4.5);
      if (k > 0) legend.push(`Arrows on generated points: where G's loss pushes each sample, −∂L_G/∂x, scaled ×${formatValue(k)} (the 95th-percentile arrow drawn ${Math.round(Math.max(14, side * 0.06))} px long, longer ones clamped).`);
    }
    // Real points sit in dense clusters: outlines would turn each cluster into a tangle of rings.
    dot(d.real, p.real, undefined, r + 0.4);
    ctx.restore();
    if (this.arrows) {
      const manual = d.manual ? ` Drawn after a ${d.manual.kind === 'dStep' ? 'D step' : 'G step'} by hand at step ${formatStep(d.step)}.` : '';
      this.arrowLegend.textContent = legend.length ? legend.join(' ') + manual : d.push ? manual.trim() : 'This run’s samples carry no gradient arrows (they were written before the trainer measured them).';
      this.arrowLegend.hidden = this.arrowLegend.textContent === '';
    } else this.arrowLegend.hidden = true;
    this.surface.canvas.dataset.arrows = String(this.arrows?.push && d.push ? d.push.length / 2 : 0);

    ctx.font = chartFont(10);
    ctx.fillStyle = p.muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of niceTicks(xMin, xMax, 4)) ctx.fillText(formatValue(t), X(t), oy + side + 4);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of niceTicks(yMin, yMax, 4)) ctx.fillText(formatValue(t), ox - 4, Y(t));
  }
}

/** Length that the arrows' robust maximum is drawn at: the 95th percentile, so one outlier does not shrink the rest. */
const ROBUST_QUANTILE = 0.95;

/**
 * Arrows for flat [dx, dy, …] vectors (data units) starting at `origin(i)`: scaled so that the
 * 95th-percentile length is `target` px, each clamped at 1.5 × target. Returns the scale (drawn
 * length over true length, in data units), or 0 when nothing was drawn.
 */
function drawArrows(
  ctx: CanvasRenderingContext2D,
  vectors: readonly number[],
  origin: (i: number) => [number, number],
  toPx: (vx: number, vy: number) => [number, number],
  target: number,
  color: string,
  width: number,
  head: number,
): number {
  const n = vectors.length >> 1;
  const lengths: number[] = [];
  for (let i = 0; i < n; i++) {
    const [px, py] = toPx(vectors[2 * i], vectors[2 * i + 1]);
    const l = Math.hypot(px, py);
    if (Number.isFinite(l) && l > 0) lengths.push(l);
  }
  if (lengths.length === 0) return 0;
  lengths.sort((a, b) => a - b);
  const robust = lengths[Math.min(lengths.length - 1, Math.floor(ROBUST_QUANTILE * (lengths.length - 1)))];
  if (!(robust > 0)) return 0;
  const k = target / robust;
  const cap = target * 1.5;
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = width;
  ctx.lineCap = 'round';
  const heads = new Path2D();
  ctx.beginPath();
  for (let i = 0; i < n; i++) {
    let [dx, dy] = toPx(vectors[2 * i], vectors[2 * i + 1]);
    let l = Math.hypot(dx, dy) * k;
    if (!Number.isFinite(l) || l < 0.5) continue;
    const f = (l > cap ? cap / l : 1) * k;
    dx *= f;
    dy *= f;
    l = Math.min(l, cap);
    const [x0, y0] = origin(i);
    const x1 = x0 + dx;
    const y1 = y0 + dy;
    const ux = dx / l;
    const uy = dy / l;
    const h = Math.min(head, l * 0.6);
    // The shaft stops at the head's base, so the tip stays sharp.
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1 - ux * h * 0.8, y1 - uy * h * 0.8);
    heads.moveTo(x1, y1);
    heads.lineTo(x1 - ux * h - uy * h * 0.55, y1 - uy * h + ux * h * 0.55);
    heads.lineTo(x1 - ux * h + uy * h * 0.55, y1 - uy * h - ux * h * 0.55);
    heads.closePath();
  }
  ctx.stroke();
  ctx.fill(heads);
  return k;
}

/** D's grid into an image, row 0 at yMin (the bottom). Strength grows with distance from "can't tell". */
function buildHeat(h: SamplePoints2D['heatmap'], probability: boolean, real: number[], fake: number[], bg: number[]): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = h.nx;
  c.height = h.ny;
  const ctx = c.getContext('2d');
  if (!ctx) return c;
  let centre = 0.5;
  let span = 0.5;
  if (!probability) {
    const sorted = [...h.values].sort((a, b) => a - b);
    centre = sorted[sorted.length >> 1] ?? 0;
    span = Math.max(1e-9, Math.max(...sorted.map((v) => Math.abs(v - centre))));
  }
  const img = ctx.createImageData(h.nx, h.ny);
  const o = img.data;
  for (let row = 0; row < h.ny; row++) {
    for (let col = 0; col < h.nx; col++) {
      const v = h.values[row * h.nx + col];
      const t = Math.max(-1, Math.min(1, (v - centre) / span));
      const tint = t >= 0 ? real : fake;
      const a = Math.abs(t) * 0.55;
      const k = ((h.ny - 1 - row) * h.nx + col) * 4;
      for (let ch = 0; ch < 3; ch++) o[k + ch] = bg[ch] * (1 - a) + tint[ch] * a;
      o[k + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return c;
}
