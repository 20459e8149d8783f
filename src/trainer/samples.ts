/** Pictures of what G makes: PNG grids for images, point clouds with D's heatmap for 2-D data. */
import { PNG } from 'pngjs';
import type { SamplePoints2D } from '../protocol/runFormat';

/** Gap between tiles, in pixels, so that neighbouring samples read as separate images. */
const TILE_GAP = 2;

/**
 * Lays out n = rows·cols images ([n, h, w, c], values 0..255) as one PNG with a gap between tiles.
 * `scale` repeats pixels so that 28×28 digits are not postage stamps.
 */
export function imageGridPng(pixels: Float32Array, n: number, shape: [number, number, number], rows: number, cols: number, scale = 1): Buffer {
  const [h, w, c] = shape;
  const th = h * scale;
  const tw = w * scale;
  const width = cols * tw + (cols + 1) * TILE_GAP;
  const height = rows * th + (rows + 1) * TILE_GAP;
  const png = new PNG({ width, height });
  // A mid-grey gap reads on both light and dark themes.
  png.data.fill(96);
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
  for (let k = 0; k < Math.min(n, rows * cols); k++) {
    const r = Math.floor(k / cols);
    const col = k % cols;
    const x0 = TILE_GAP + col * (tw + TILE_GAP);
    const y0 = TILE_GAP + r * (th + TILE_GAP);
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const src = ((k * h + Math.floor(y / scale)) * w + Math.floor(x / scale)) * c;
        const dst = ((y0 + y) * width + x0 + x) * 4;
        const v0 = Math.round(pixels[src]);
        png.data[dst] = v0;
        png.data[dst + 1] = c === 3 ? Math.round(pixels[src + 1]) : v0;
        png.data[dst + 2] = c === 3 ? Math.round(pixels[src + 2]) : v0;
        png.data[dst + 3] = 255;
      }
    }
  }
  return PNG.sync.write(png);
}

/** A regular grid of points over the bounds, row-major from (xMin, yMin), flat [x, y, …]. */
export function planeGrid(bounds: SamplePoints2D['bounds'], nx: number, ny: number): Float32Array {
  const out = new Float32Array(nx * ny * 2);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const k = (j * nx + i) * 2;
      out[k] = bounds.xMin + ((i + 0.5) / nx) * (bounds.xMax - bounds.xMin);
      out[k + 1] = bounds.yMin + ((j + 0.5) / ny) * (bounds.yMax - bounds.yMin);
    }
  }
  return out;
}

/** A square window around flat 2-D points with a margin, so the heatmap shows D beyond the data. */
export function boundsOf(points: Float32Array): SamplePoints2D['bounds'] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of points) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const extent = Math.max(Math.abs(lo), Math.abs(hi)) * 1.25 || 1;
  const r = Math.ceil(extent * 10) / 10;
  return { xMin: -r, xMax: r, yMin: -r, yMax: r };
}

export function roundPoints(values: Float32Array, digits = 4): number[] {
  const f = 10 ** digits;
  return Array.from(values, (v) => Math.round(v * f) / f);
}

/** Counts values in `bins` equal bins over [lo, hi]; values outside land in the end bins. */
export function histogram(values: Float32Array, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  if (!(hi > lo)) return counts;
  const w = (hi - lo) / bins;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / w)));
    counts[b]++;
  }
  return counts;
}

/** A range for critic scores that covers both batches, rounded outward so it changes in steps. */
export function criticRange(a: Float32Array, b: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const arr of [a, b]) {
    for (const v of arr) {
      if (!Number.isFinite(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo)) return [-1, 1];
  const span = Math.max(hi - lo, 1e-3);
  const unit = 10 ** Math.floor(Math.log10(span));
  const from = Math.floor(lo / unit) * unit;
  const to = Math.ceil(hi / unit) * unit;
  // All scores equal (a constant critic) would give an empty range: widen it by one unit.
  return to > from ? [from, to] : [from - unit, to + unit];
}

type Rgb = [number, number, number];
/** D's heatmap runs from "fake" (purple) through neutral to "real" (green), as in GAN Lab. */
const FAKE_SIDE: Rgb = [124, 77, 160];
const NEUTRAL: Rgb = [240, 240, 240];
const REAL_SIDE: Rgb = [80, 160, 100];
const REAL_POINT: Rgb = [40, 40, 40];
const FAKE_POINT: Rgb = [230, 90, 20];

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/**
 * A picture of a 2-D sample for people outside VS Code (and the README): D's heatmap behind,
 * real points in dark grey, generated points in orange. `dRange` maps D's output to colour:
 * [0, 1] for probabilities, the heatmap's own range for critics.
 */
export function pointsPng(p: SamplePoints2D, size = 320, dRange?: [number, number]): Buffer {
  const png = new PNG({ width: size, height: size });
  const { xMin, xMax, yMin, yMax } = p.bounds;
  const { nx, ny, values } = p.heatmap;
  let [lo, hi] = dRange ?? [0, 1];
  if (!dRange && values.length > 0) {
    lo = Math.min(...values);
    hi = Math.max(...values);
  }
  const mid = (lo + hi) / 2;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let c: Rgb = NEUTRAL;
      if (nx > 0 && ny > 0) {
        // Image rows run top-down; the plane's y runs bottom-up.
        // Bilinear between grid cell centres, so the picture is smooth at any size.
        const fx = Math.max(0, Math.min(nx - 1, ((px + 0.5) / size) * nx - 0.5));
        const fy = Math.max(0, Math.min(ny - 1, ((size - py - 0.5) / size) * ny - 0.5));
        const i0 = Math.floor(fx);
        const j0 = Math.floor(fy);
        const i1 = Math.min(nx - 1, i0 + 1);
        const j1 = Math.min(ny - 1, j0 + 1);
        const tx = fx - i0;
        const ty = fy - j0;
        const v =
          (values[j0 * nx + i0] * (1 - tx) + values[j0 * nx + i1] * tx) * (1 - ty) +
          (values[j1 * nx + i0] * (1 - tx) + values[j1 * nx + i1] * tx) * ty;
        const t = hi > lo ? Math.max(-1, Math.min(1, (v - mid) / ((hi - lo) / 2))) : 0;
        c = t >= 0 ? mix(NEUTRAL, REAL_SIDE, t * 0.8) : mix(NEUTRAL, FAKE_SIDE, -t * 0.8);
      }
      const o = (py * size + px) * 4;
      png.data[o] = c[0];
      png.data[o + 1] = c[1];
      png.data[o + 2] = c[2];
      png.data[o + 3] = 255;
    }
  }
  const dot = (x: number, y: number, color: Rgb, r: number) => {
    const cx = ((x - xMin) / (xMax - xMin)) * size;
    const cy = size - ((y - yMin) / (yMax - yMin)) * size;
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        if (dx * dx + dy * dy > r * r) continue;
        const qx = Math.round(cx + dx);
        const qy = Math.round(cy + dy);
        if (qx < 0 || qy < 0 || qx >= size || qy >= size) continue;
        const o = (qy * size + qx) * 4;
        png.data[o] = color[0];
        png.data[o + 1] = color[1];
        png.data[o + 2] = color[2];
      }
    }
  };
  for (let i = 0; i + 1 < p.real.length; i += 2) dot(p.real[i], p.real[i + 1], REAL_POINT, 1);
  for (let i = 0; i + 1 < p.fake.length; i += 2) dot(p.fake[i], p.fake[i + 1], FAKE_POINT, 2);
  return PNG.sync.write(png);
}
