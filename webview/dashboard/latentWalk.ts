/**
 * A walk through G's latent space: spherical interpolation between two latent vectors, generated
 * by the host's trainer (`generate` → `generated`). It shows that a trained G maps nearby z to
 * nearby samples, the smooth morphing that the GAN paper points out.
 */
import type { GeneratedBatch } from '../../src/protocol/generation';
import { button } from '../shared/controls';
import { requestDraw, type Drawable } from '../shared/frame';
import { Surface } from '../shared/charts/surface';
import type { LatentRequests } from '../shared/latentRequests';
import type { RunData } from '../shared/runData';
import { palette, withAlpha } from '../shared/theme';
import { sampleLatent, mulberry32, slerp } from '../shared/latentMath';
import { drawGeneratedImage } from '../shared/samples/generatedImage';
import { drawStrip, STRIP_STEPS, stripLatents } from './latentStrip';

export class LatentWalk implements Drawable {
  readonly el: HTMLElement;
  private readonly surface: Surface;
  private readonly status = document.createElement('p');
  private seed = 1;
  private pending: number | undefined;
  private result: GeneratedBatch | undefined;
  readonly target: Element;

  constructor(
    private readonly run: () => RunData,
    private readonly requests: LatentRequests,
  ) {
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

  /** The walk needs the latent size from the config; without it the panel stays hidden. */
  update(): void {
    this.el.hidden = this.run().latent.dim === 0;
    if (!this.result && !this.pending) this.status.textContent = 'Generates from the running trainer, or from the latest checkpoint of a finished run.';
  }

  /** A spherical path between two endpoints drawn from the latent distribution (seeded). */
  private request(): void {
    const { dim, distribution } = this.run().latent;
    if (dim === 0) return;
    const rnd = mulberry32(this.seed * 7919 + dim);
    const z = stripLatents(sampleLatent(dim, distribution, rnd), sampleLatent(dim, distribution, rnd), [slerp]);
    const { id, reply } = this.requests.generate(this.run().id, z, STRIP_STEPS);
    this.pending = id;
    this.status.textContent = 'Generating…';
    reply.then(
      (g) => {
        if (this.pending !== id) return;
        this.pending = undefined;
        if (g.shape[0] !== STRIP_STEPS || !(g.shape.length === 2 || g.shape.length === 4)) {
          this.status.textContent = `Unexpected generator output of shape [${g.shape.join(', ')}].`;
          return;
        }
        this.result = g;
        this.status.textContent = `${STRIP_STEPS} samples from z₁ to z₂.`;
        this.invalidate();
      },
      (err: Error) => {
        if (this.pending !== id) return;
        this.pending = undefined;
        this.status.textContent = `Not available now: ${err.message}`;
      },
    );
  }

  invalidate(): void {
    requestDraw(this);
  }

  draw(): void {
    const r = this.result;
    if (!r || r.shape.length === 4) {
      drawStrip(this.surface, r, [''], drawGeneratedImage);
      return;
    }
    const ctx = this.surface.begin();
    const W = this.surface.width;
    const H = this.surface.height;
    // 2-D data: the walk as a path of points in the plane, coloured from start to end.
    const p = palette();
    const xs: number[] = [];
    const ys: number[] = [];
    for (let k = 0; k < STRIP_STEPS; k++) {
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
      ctx.fillStyle = withAlpha(p.fake, 0.35 + (0.65 * k) / (STRIP_STEPS - 1));
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

