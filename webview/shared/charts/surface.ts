import { onThemeChange } from '../theme';

/**
 * A canvas that tracks its element's size and the device pixel ratio, so every chart resizes
 * cleanly and stays sharp. Drawing code works in CSS pixels; the transform handles the ratio.
 */
export class Surface {
  readonly canvas: HTMLCanvasElement;
  readonly ctx: CanvasRenderingContext2D;
  width = 0;
  height = 0;
  dpr = 1;

  constructor(parent: HTMLElement, className: string, onResize: () => void, fixedHeight?: number) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = className;
    parent.append(this.canvas);
    const ctx = this.canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2d context unavailable');
    this.ctx = ctx;
    const measure = (): void => {
      const w = Math.max(1, Math.floor(this.canvas.clientWidth || parent.clientWidth));
      const h = Math.max(1, Math.floor(fixedHeight ?? (this.canvas.clientHeight || parent.clientHeight)));
      const dpr = window.devicePixelRatio || 1;
      if (w === this.width && h === this.height && dpr === this.dpr) return;
      this.width = w;
      this.height = h;
      this.dpr = dpr;
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
      onResize();
    };
    new ResizeObserver(measure).observe(this.canvas);
    measure();
  }

  /** Clears and resets the transform to CSS pixels, and shows the canvas if it was blanked. */
  begin(): CanvasRenderingContext2D {
    const { ctx } = this;
    if (this.blanked) {
      this.blanked = false;
      this.canvas.style.display = '';
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    return ctx;
  }

  private blanked = false;

  /**
   * Nothing to draw: the canvas is cleared and taken out of the page until the next `begin`.
   * Chromium hands every canvas on screen to the compositor at every frame, drawn or not (about
   * 0.1 ms each for a chart-sized one in software); an empty overlay need not be one of them.
   */
  blank(): void {
    if (this.blanked) return;
    this.blanked = true;
    const { ctx } = this;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.canvas.style.display = 'none';
  }
}

let family: string | undefined;
onThemeChange(() => {
  family = undefined;
});

/** Canvas cannot resolve CSS variables in `font`, so the family is read from the page once per theme. */
export function chartFont(size = 11): string {
  family ??= getComputedStyle(document.body).fontFamily || 'sans-serif';
  return `${size}px ${family}`;
}
