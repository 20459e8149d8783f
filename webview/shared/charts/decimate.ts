/**
 * Min/max decimation per pixel column (the uPlot approach): whatever the number of points, a
 * series becomes at most four vertices per column (first, min, max, last), so drawing costs
 * follow the pixels and the shape of every spike survives.
 */
import type { Column } from '../runData';
import { LEVELS, MinMaxPyramid, pyramidOf } from './pyramid';

export const STRIDE = 4;
export const FIRST = 0;
export const MIN = 1;
export const MAX = 2;
export const LAST = 3;

/**
 * Buckets points with x in [x0, x1] into `cols` columns. `out` receives STRIDE values per
 * column, NaN where the column is empty. `x` must be increasing (binary-searched for the start).
 * With `log`, values are log10'd and non-positive ones dropped.
 */
export function decimate(x: Float64Array, y: Float64Array, n: number, x0: number, x1: number, cols: number, out: Float64Array, log: boolean, fromCol = 0): void {
  out.fill(NaN, fromCol * STRIDE, cols * STRIDE);
  if (n === 0 || !(x1 > x0)) return;
  const scale = cols / (x1 - x0);
  // With fromCol, only columns from there on are recomputed (a live append touches the tail).
  let i = firstAtOrAfter(x, n, x0 + (fromCol - 1) / scale);
  while (i < n && (((x[i] - x0) * scale) | 0) < fromCol) i++;
  let col = -1;
  let first = NaN;
  let min = Infinity;
  let max = -Infinity;
  let last = NaN;
  for (; i < n; i++) {
    const xi = x[i];
    if (xi > x1) break;
    let v = y[i];
    if (v !== v) continue; // NaN: a missing value
    if (log) {
      if (v <= 0) continue;
      v = Math.log10(v);
    }
    let c = ((xi - x0) * scale) | 0;
    if (c >= cols) c = cols - 1;
    if (c !== col) {
      if (col >= 0) {
        const o = col * STRIDE;
        out[o] = first;
        out[o + 1] = min;
        out[o + 2] = max;
        out[o + 3] = last;
      }
      col = c;
      first = v;
      min = v;
      max = v;
    } else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    last = v;
  }
  if (col >= 0) {
    const o = col * STRIDE;
    out[o] = first;
    out[o + 1] = min;
    out[o + 2] = max;
    out[o + 3] = last;
  }
}

export function firstAtOrAfter(x: ArrayLike<number>, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The same result as `decimate`, read from the column's min/max pyramid. A block that falls inside
 * one pixel column is taken whole; one that straddles two is read as its 8-point blocks, and an
 * 8-point block that straddles is read point by point. The cost is about one block per pixel
 * column plus a few points at each column edge, instead of every point.
 */
export function decimateColumns(xc: Column, yc: Column, x0: number, x1: number, cols: number, out: Float64Array, log: boolean): void {
  const n = Math.min(xc.n, yc.n);
  const x = xc.data;
  const y = yc.data;
  const start = firstAtOrAfter(x, n, x0);
  const perCol = (n - start) / cols;
  let top = -1;
  for (let l = LEVELS - 1; l >= 1; l--) {
    if (1 << MinMaxPyramid.shift(l) <= perCol / 2) {
      top = l;
      break;
    }
  }
  // Log scale reads points: a block's minimum may be non-positive, which has no logarithm.
  if (top < 0 || log || !(x1 > x0)) {
    decimate(x, y, n, x0, x1, cols, out, log);
    return;
  }
  out.fill(NaN, 0, cols * STRIDE);
  const pyr = pyramidOf(yc);
  const scale = cols / (x1 - x0);
  const st = state.fill(NaN);
  st[0] = -1;
  const shift = MinMaxPyramid.shift(top);
  const shift0 = MinMaxPyramid.shift(0);
  const B = 1 << shift;
  const B0 = 1 << shift0;
  const tmins = pyr.mins[top];
  const tmaxs = pyr.maxs[top];
  const mins0 = pyr.mins[0];
  const maxs0 = pyr.maxs[0];
  let i = start;
  for (; i < n && (i & (B - 1)) !== 0; i++) addPoint(out, st, x, y, i, x0, x1, scale, cols);
  for (; i + B <= n && x[i + B - 1] <= x1; i += B) {
    const b = i >> shift;
    if (tmins[b] === Infinity) continue; // every value missing
    const c = colOf(x[i], x0, scale, cols);
    if (colOf(x[i + B - 1], x0, scale, cols) === c) {
      add(out, st, c, boundary(y, i, 1, tmins[b]), tmins[b], tmaxs[b], boundary(y, i + B - 1, -1, tmaxs[b]));
      continue;
    }
    for (let k = i; k < i + B; k += B0) {
      const b0 = k >> shift0;
      if (mins0[b0] === Infinity) continue;
      const c0 = colOf(x[k], x0, scale, cols);
      if (colOf(x[k + B0 - 1], x0, scale, cols) === c0) {
        add(out, st, c0, boundary(y, k, 1, mins0[b0]), mins0[b0], maxs0[b0], boundary(y, k + B0 - 1, -1, maxs0[b0]));
      } else {
        for (let j = k; j < k + B0; j++) addPoint(out, st, x, y, j, x0, x1, scale, cols);
      }
    }
  }
  for (; i < n; i++) addPoint(out, st, x, y, i, x0, x1, scale, cols);
  flushState(out, st);
}

/** Running state of the column being filled: [column, first, min, max, last]. */
const state = new Float64Array(5);

function colOf(xi: number, x0: number, scale: number, cols: number): number {
  const c = ((xi - x0) * scale) | 0;
  return c >= cols ? cols - 1 : c;
}

/** The first (dir 1) or last (dir -1) present value of a block, starting at i. */
function boundary(y: Float64Array, i: number, dir: 1 | -1, fallback: number): number {
  for (let k = 0; k < 4096; k++, i += dir) {
    const v = y[i];
    if (v === v) return v;
  }
  return fallback;
}

function flushState(out: Float64Array, st: Float64Array): void {
  if (st[0] < 0) return;
  const o = st[0] * STRIDE;
  out[o] = st[1];
  out[o + 1] = st[2];
  out[o + 2] = st[3];
  out[o + 3] = st[4];
}

function add(out: Float64Array, st: Float64Array, c: number, f: number, lo: number, hi: number, l: number): void {
  if (c !== st[0]) {
    flushState(out, st);
    st[0] = c;
    st[1] = f;
    st[2] = lo;
    st[3] = hi;
  } else {
    if (lo < st[2]) st[2] = lo;
    if (hi > st[3]) st[3] = hi;
  }
  st[4] = l;
}

function addPoint(out: Float64Array, st: Float64Array, x: Float64Array, y: Float64Array, i: number, x0: number, x1: number, scale: number, cols: number): void {
  const v = y[i];
  if (v === v && x[i] <= x1) add(out, st, colOf(x[i], x0, scale, cols), v, v, v, v);
}
