/**
 * GAN Lab's core view for any 2-D run: D's output over the plane as a heatmap (green where D
 * says "real", purple where it says "generated"), the real points and the generated points.
 */
import type { SamplePoints2D, SampleView } from '../../../src/protocol/runFormat';
import { requestDraw, type Drawable } from '../frame';
import { niceTicks } from '../charts/scale';
import { chartFont, Surface } from '../charts/surface';
import { formatValue } from '../format';
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
    this.el.append(body);
    this.surface = new Surface(body, 'points-canvas', () => this.invalidate());
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
    dot(d.fake, withAlpha(p.fake, 0.85), p.background, r);
    // Real points sit in dense clusters: outlines would turn each cluster into a tangle of rings.
    dot(d.real, p.real, undefined, r + 0.4);
    ctx.restore();

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
