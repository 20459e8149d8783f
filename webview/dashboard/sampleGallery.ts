/**
 * Samples of the run at the cursor step: the fixed-latent image grid (or the 2-D plane for point
 * data), the scrubber over every logged step, a real-data grid for reference, and the history of
 * one tile (one latent vector) across all steps.
 */
import type { SampleView } from '../../src/protocol/runFormat';
import { button, checkbox } from '../shared/controls';
import { requestDraw, type Drawable } from '../shared/frame';
import { formatStep } from '../shared/format';
import { recordAtStep, type RunData } from '../shared/runData';
import { ImageGrid } from '../shared/samples/imageGrid';
import { PointsPlot } from '../shared/samples/pointsPlot';
import { gridGeometry, tileRect } from '../shared/samples/gridGeometry';
import { loadImage } from '../shared/samples/sampleStore';
import { Scrubber } from '../shared/scrubber';
import { chartFont, Surface } from '../shared/charts/surface';
import { palette } from '../shared/theme';
import { log } from '../shared/vscodeApi';
import type { CursorSource, StepCursor } from './stepCursor';

/** The 2-D view's arrow toggles, kept in the dashboard's state. */
export interface ArrowState {
  arrowsPush: boolean;
  arrowsField: boolean;
}

export class SampleGallery {
  readonly el: HTMLElement;
  readonly scrubber: Scrubber;
  private grid: ImageGrid | undefined;
  private plot: PointsPlot | undefined;
  private real: ImageGrid | undefined;
  private readonly realWrap = document.createElement('figure');
  private readonly display = document.createElement('div');
  private readonly empty = document.createElement('p');
  private history: TileHistory | undefined;

  constructor(
    private run: RunData,
    private readonly cursor: StepCursor,
    private readonly arrows: ArrowState,
    private readonly save: () => void,
  ) {
    this.el = document.createElement('section');
    this.el.className = 'panel samples';
    this.el.id = 'samples';
    const h = document.createElement('h2');
    this.el.append(h);
    this.scrubber = new Scrubber('Samples', (step, atEnd) => this.cursor.set(atEnd && this.run.info.status === 'running' ? null : step, 'scrubber'));
    this.display.className = 'sample-display';
    this.empty.className = 'empty-note';
    this.el.append(this.scrubber.el, this.display, this.empty);
    this.setRun(run);
  }

  private get isPoints(): boolean {
    return this.run.info.dataKind === 'points2d' || this.run.samples[0]?.kind === 'points2d';
  }

  setRun(run: RunData): void {
    this.run = run;
    (this.el.querySelector('h2') as HTMLElement).textContent = this.isPoints ? '2-D view: data, samples and D' : 'Samples (fixed latent batch)';
    this.display.replaceChildren();
    this.grid = this.plot = this.real = this.history = undefined;
    if (this.isPoints) {
      this.plot = new PointsPlot('Real points, generated points and D over the plane at the selected step', 360);
      this.plot.probability = run.dIsProbability;
      const plot = this.plot;
      const apply = (): void => plot.setArrows({ push: this.arrows.arrowsPush, field: this.arrows.arrowsField });
      const push = checkbox('Arrows: where G’s loss pushes each sample', this.arrows.arrowsPush, (c) => {
        this.arrows.arrowsPush = c;
        apply();
        this.save();
      });
      push.el.id = 'arrows-push';
      const field = checkbox('D’s gradient field', this.arrows.arrowsField, (c) => {
        this.arrows.arrowsField = c;
        apply();
        this.save();
      });
      field.el.id = 'arrows-field';
      field.el.title = 'Arrows over the whole plane along ∇ₓ of D’s output: the way D’s “real” score rises';
      const row = document.createElement('div');
      row.className = 'controls arrow-controls';
      row.append(push.el, field.el);
      apply();
      this.display.append(row, this.plot.el);
    } else {
      const gen = document.createElement('figure');
      this.grid = new ImageGrid('Generated samples at the selected step', () => this.run.info.imageShape, (r, c) => this.showHistory(r, c));
      const cap = document.createElement('figcaption');
      cap.textContent = 'Generated';
      gen.append(this.grid.el, cap);
      this.real = new ImageGrid('Real data for reference', () => this.run.info.imageShape);
      const rcap = document.createElement('figcaption');
      rcap.textContent = 'Real data';
      this.realWrap.replaceChildren(this.real.el, rcap);
      this.realWrap.className = 'real-grid';
      const pair = document.createElement('div');
      pair.className = 'grid-pair';
      pair.append(gen, this.realWrap);
      this.history = new TileHistory(() => this.run, this.cursor, () => this.grid?.clearSelection());
      this.display.append(pair, this.history.el);
    }
    this.dataChanged();
  }

  dataChanged(): void {
    const samples = this.run.samples;
    this.scrubber.setSteps(samples.map((s) => s.step));
    this.empty.hidden = samples.length > 0;
    this.empty.textContent = 'No samples logged yet: they appear every logging.samplesEvery steps.';
    const rs = this.run.realSamples;
    this.realWrap.hidden = !rs || rs.kind !== 'image-grid';
    if (rs && rs.kind === 'image-grid') void this.real?.show(rs).catch(report);
    this.showAt(this.cursor.step);
    this.history?.invalidate();
  }

  cursorMoved(step: number | null, source: CursorSource): void {
    if (source !== 'scrubber') this.scrubber.showStep(step);
    this.showAt(step);
    this.history?.invalidate();
  }

  private current(step: number | null): SampleView | undefined {
    const s = this.run.samples;
    if (s.length === 0) return undefined;
    return s[step === null ? s.length - 1 : recordAtStep(s, step)];
  }

  private showAt(step: number | null): void {
    const sample = this.current(step);
    if (this.plot) void this.plot.show(sample).catch(report);
    if (this.grid) void this.grid.show(sample).catch(report);
  }

  private showHistory(r: number, c: number): void {
    this.history?.showTile(r, c);
  }
}

function report(err: unknown): void {
  log('warn', err instanceof Error ? err.message : String(err));
}

/** One tile (one latent vector) at every logged step, drawn as cells on one canvas. */
class TileHistory implements Drawable {
  readonly el: HTMLElement;
  private readonly title = document.createElement('h3');
  private readonly scroll = document.createElement('div');
  private readonly surface: Surface;
  private tile: [number, number] | undefined;
  private readonly loaded = new Map<string, HTMLImageElement>();
  private cell = { w: 44, h: 58, perRow: 1 };

  constructor(
    private readonly run: () => RunData,
    private readonly cursor: StepCursor,
    onClose: () => void,
  ) {
    this.el = document.createElement('div');
    this.el.className = 'tile-history';
    this.el.hidden = true;
    const head = document.createElement('div');
    head.className = 'subhead';
    const close = button('Close', () => {
      this.el.hidden = true;
      this.tile = undefined;
      onClose();
    }, { secondary: true });
    head.append(this.title, close.el);
    this.scroll.className = 'tile-history-scroll';
    this.el.append(head, this.scroll);
    this.surface = new Surface(this.scroll, 'tile-history-canvas', () => this.invalidate());
    this.surface.canvas.tabIndex = 0;
    this.surface.canvas.setAttribute('role', 'img');
    this.surface.canvas.addEventListener('click', (e) => {
      const rect = this.surface.canvas.getBoundingClientRect();
      const i = Math.floor((e.clientY - rect.top) / this.cell.h) * this.cell.perRow + Math.floor((e.clientX - rect.left) / this.cell.w);
      const s = this.run().samples[i];
      if (s) this.cursor.set(s.step, 'chart');
    });
  }

  showTile(r: number, c: number): void {
    this.tile = [r, c];
    this.el.hidden = false;
    this.title.textContent = `Sample row ${r + 1}, column ${c + 1} across ${this.run().samples.length} steps`;
    this.surface.canvas.setAttribute('aria-label', this.title.textContent);
    this.invalidate();
  }

  invalidate(): void {
    if (this.tile) requestDraw(this);
  }

  draw(): void {
    if (!this.tile) return;
    const run = this.run();
    const samples = run.samples;
    const width = this.scroll.clientWidth || 400;
    const perRow = Math.max(1, Math.floor(width / this.cell.w));
    this.cell.perRow = perRow;
    const rows = Math.ceil(samples.length / perRow);
    const wantH = Math.max(1, rows * this.cell.h);
    if (Math.abs(this.surface.canvas.clientHeight - wantH) > 0.5) {
      this.surface.canvas.style.height = `${wantH}px`;
      return; // the resize observer schedules the real draw
    }
    const ctx = this.surface.begin();
    const p = palette();
    const [r, c] = this.tile;
    const cur = this.cursor.step;
    const curIdx = samples.length === 0 ? -1 : cur === null ? samples.length - 1 : recordAtStep(samples, cur);
    ctx.font = chartFont(9);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.imageSmoothingEnabled = false;
    const size = this.cell.w - 6;
    samples.forEach((s, i) => {
      const x = (i % perRow) * this.cell.w + 3;
      const y = Math.floor(i / perRow) * this.cell.h + 3;
      const img = this.loaded.get(s.src);
      if (img) {
        const g = gridGeometry(img.naturalWidth, img.naturalHeight, s.rows, s.cols, run.info.imageShape);
        const [sx, sy, sw, sh] = tileRect(g, r, c);
        ctx.drawImage(img, sx, sy, sw, sh, x, y, size, size);
      } else {
        loadImage(s.src).then((im) => {
          this.loaded.set(s.src, im);
          this.invalidate();
        }, report);
      }
      if (i === curIdx) {
        ctx.strokeStyle = p.foreground;
        ctx.lineWidth = 2;
        ctx.strokeRect(x - 2, y - 2, size + 4, size + 4);
      }
      ctx.fillStyle = p.muted;
      ctx.fillText(formatStep(s.step), x + size / 2, y + size + 2);
    });
  }
}
