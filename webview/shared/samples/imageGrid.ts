/**
 * A sample grid image with one focusable button per tile laid over it, so a tile can be picked
 * by mouse or keyboard without cutting the image into rows × cols elements.
 */
import type { SampleView } from '../../../src/protocol/runFormat';
import { gridGeometry, tileRect, type GridGeometry } from './gridGeometry';
import { loadImage } from './sampleStore';

export class ImageGrid {
  readonly el: HTMLElement;
  private readonly img = document.createElement('img');
  private readonly tiles = document.createElement('div');
  private shown: SampleView | undefined;
  private token = 0;
  geometry: GridGeometry | undefined;
  private selected: [number, number] | undefined;

  constructor(
    label: string,
    private readonly imageShape: () => [number, number, number] | undefined,
    private readonly onTile?: (r: number, c: number) => void,
  ) {
    this.el = document.createElement('div');
    this.el.className = 'image-grid';
    this.img.alt = label;
    this.img.className = 'grid-image';
    this.tiles.className = 'tiles';
    this.el.append(this.img, this.tiles);
  }

  /** Shows a sample; the image is decoded before the swap so scrubbing never flashes empty. */
  async show(sample: SampleView | undefined): Promise<void> {
    const token = ++this.token;
    if (!sample) {
      this.shown = undefined;
      this.img.removeAttribute('src');
      this.tiles.replaceChildren();
      this.el.classList.add('empty');
      return;
    }
    this.el.classList.remove('empty');
    let image: HTMLImageElement;
    try {
      image = await loadImage(sample.src);
    } catch (err) {
      if (token === this.token) this.el.classList.add('broken');
      throw err;
    }
    if (token !== this.token) return;
    this.el.classList.remove('broken');
    this.img.src = image.src;
    this.img.dataset.step = String(sample.step);
    // MNIST tiles are 28 px: crisp upscaling reads better than blur.
    const g = gridGeometry(image.naturalWidth, image.naturalHeight, sample.rows, sample.cols, this.imageShape());
    this.img.classList.toggle('pixelated', g.tileW < 64);
    const prev = this.shown;
    this.shown = sample;
    const sameLayout = prev && prev.rows === sample.rows && prev.cols === sample.cols && this.geometry && this.geometry.tileW === g.tileW && this.geometry.pad === g.pad;
    this.geometry = g;
    if (!sameLayout) this.layoutTiles(image.naturalWidth, image.naturalHeight, sample.rows, sample.cols, g);
  }

  private layoutTiles(W: number, H: number, rows: number, cols: number, g: GridGeometry): void {
    if (!this.onTile) {
      this.tiles.replaceChildren();
      return;
    }
    const buttons: HTMLElement[] = [];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'tile';
        b.setAttribute('aria-label', `Sample row ${r + 1}, column ${c + 1}: show its history`);
        const [x, y, w, h] = tileRect(g, r, c);
        b.style.left = `${(x / W) * 100}%`;
        b.style.top = `${(y / H) * 100}%`;
        b.style.width = `${(w / W) * 100}%`;
        b.style.height = `${(h / H) * 100}%`;
        b.addEventListener('click', () => {
          this.select(r, c);
          this.onTile?.(r, c);
        });
        buttons.push(b);
      }
    }
    this.tiles.replaceChildren(...buttons);
    if (this.selected) this.select(...this.selected);
  }

  select(r: number, c: number): void {
    this.selected = [r, c];
    const cols = this.shown?.cols ?? 0;
    this.tiles.querySelectorAll('.tile').forEach((t, i) => t.classList.toggle('selected', Math.floor(i / cols) === r && i % cols === c));
  }

  clearSelection(): void {
    this.selected = undefined;
    this.tiles.querySelectorAll('.tile.selected').forEach((t) => t.classList.remove('selected'));
  }
}
