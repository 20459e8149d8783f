/**
 * A walk through G's latent space: spherical interpolation between two latent vectors, generated
 * by the host's trainer (`generate` → `generated`). It shows that a trained G maps nearby z to
 * nearby samples, the smooth morphing that the GAN paper points out.
 */
import type { HostToWebview } from '../../src/protocol/webviewProtocol';
import { button } from '../shared/controls';
import { requestDraw, type Drawable } from '../shared/frame';
import { Surface } from '../shared/charts/surface';
import type { RunData } from '../shared/runData';
import { palette, withAlpha } from '../shared/theme';
import { gaussian, mulberry32, slerp } from '../shared/latentMath';
import { drawGeneratedImage } from '../shared/samples/generatedImage';
import { post } from '../shared/vscodeApi';

const STEPS = 9;

export class LatentWalk implements Drawable {
  readonly el: HTMLElement;
  private readonly surface: Surface;
  private readonly status = document.createElement('p');
  private seed = 1;
  private nextId = 1;
  private pending: number | undefined;
  private result: { data: number[]; shape: number[] } | undefined;
  readonly target: Element;

  constructor(private readonly run: () => RunData) {
    this.el = document.createElement('section');
    this.el.className = 'panel latent-walk';
    this.el.id = 'latent-walk';
    const h = document.createElement('h2');
    h.textContent = 'Latent walk';
    const row = document.createElement('div');
    row.className = 'controls';
    const walk = button('Walk', () => this.request(), { id: 'walk-button', title: 'Generate samples along a path between two latent vectors' });
    const again = button('New endpoints', () => {
      this.seed++;
      this.request();
    }, { secondary: true });
    this.status.className = 'caption';
    this.status.setAttribute('aria-live', 'polite');
    row.append(walk.el, again.el, this.status);
    const body = document.createElement('div');
    body.className = 'walk-body';
    body.setAttribute('role', 'img');
    body.setAttribute('aria-label', 'Samples generated along the latent path');
    this.target = body;
    this.el.append(h, row, body);
    this.surface = new Surface(body, 'walk-canvas', () => this.invalidate());
    this.update();
  }

  private get latentDim(): number {
    const d = (this.run().config as { generator?: { latentDim?: unknown } } | null)?.generator?.latentDim;
    return typeof d === 'number' && Number.isInteger(d) && d > 0 ? d : 0;
  }

  /** The walk needs the latent size from the config; without it the panel stays hidden. */
  update(): void {
    this.el.hidden = this.latentDim === 0;
    if (!this.result && !this.pending) this.status.textContent = 'Generates from the running trainer, or from the latest checkpoint of a finished run.';
  }

  private request(): void {
    const dim = this.latentDim;
    if (dim === 0) return;
    const rnd = mulberry32(this.seed * 7919 + dim);
    const a = gaussian(dim, rnd);
    const b = gaussian(dim, rnd);
    const z: number[] = [];
    for (let i = 0; i < STEPS; i++) z.push(...slerp(a, b, i / (STEPS - 1)));
    this.pending = this.nextId++;
    this.status.textContent = 'Generating…';
    post({ type: 'generate', requestId: this.pending, runId: this.run().id, z, count: STEPS });
  }

  generated(msg: Extract<HostToWebview, { type: 'generated' }>): boolean {
    if (msg.requestId !== this.pending) return false;
    this.pending = undefined;
    const [n] = msg.shape;
    const per = msg.shape.slice(1).reduce((p, v) => p * v, 1);
    if (n !== STEPS || msg.data.length !== n * per || !(msg.shape.length === 2 || msg.shape.length === 4)) {
      this.status.textContent = `Unexpected generator output of shape [${msg.shape.join(', ')}].`;
      return true;
    }
    this.result = { data: msg.data, shape: msg.shape };
    this.status.textContent = `${STEPS} samples from z₁ to z₂.`;
    this.invalidate();
    return true;
  }

  /** The host answered with an error instead: stop waiting. */
  failed(): void {
    if (this.pending === undefined) return;
    this.pending = undefined;
    this.status.textContent = 'Not available now (see the message above).';
  }

  invalidate(): void {
    requestDraw(this);
  }

  draw(): void {
    const ctx = this.surface.begin();
    const r = this.result;
    if (!r) return;
    const W = this.surface.width;
    const H = this.surface.height;
    const cell = Math.min(H - 4, (W - 4) / STEPS);
    if (r.shape.length === 4) {
      for (let k = 0; k < STEPS; k++) drawGeneratedImage(ctx, r, k, 2 + k * cell, 2, cell - 4);
      return;
    }
    // 2-D data: the walk as a path of points in the plane, coloured from start to end.
    const p = palette();
    const xs: number[] = [];
    const ys: number[] = [];
    for (let k = 0; k < STEPS; k++) {
      xs.push(r.data[k * 2]);
      ys.push(r.data[k * 2 + 1]);
    }
    const pad = 0.15;
    const [x0, x1] = span(xs, pad);
    const [y0, y1] = span(ys, pad);
    const X = (v: number): number => 8 + ((v - x0) / (x1 - x0)) * (W - 16);
    const Y = (v: number): number => H - 8 - ((v - y0) / (y1 - y0)) * (H - 16);
    ctx.strokeStyle = withAlpha(p.foreground, 0.5);
    ctx.beginPath();
    xs.forEach((x, k) => (k === 0 ? ctx.moveTo(X(x), Y(ys[k])) : ctx.lineTo(X(x), Y(ys[k]))));
    ctx.stroke();
    xs.forEach((x, k) => {
      ctx.fillStyle = withAlpha(p.fake, 0.35 + (0.65 * k) / (STEPS - 1));
      ctx.beginPath();
      ctx.arc(X(x), Y(ys[k]), 4, 0, Math.PI * 2);
      ctx.fill();
    });
  }
}

function span(v: number[], pad: number): [number, number] {
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const d = hi - lo || 1;
  return [lo - d * pad, hi + d * pad];
}

