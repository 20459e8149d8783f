/**
 * Min/max summaries of a column in blocks of 8, 32, 128, 512 and 2048 points, kept up to date as
 * points are appended. Decimating 100k points into 800 pixel columns then reads a few thousand
 * blocks instead of every point, which is what keeps a live update within its frame budget.
 */
import type { Column } from '../runData';

/** log2 of the finest block size, and log2 of the fan-out between levels. */
const BASE_SHIFT = 3;
const FAN_SHIFT = 2;
export const LEVELS = 5;

export class MinMaxPyramid {
  readonly mins: Float64Array[] = [];
  readonly maxs: Float64Array[] = [];
  /** Points folded in so far; block b of level L is complete when (b + 1) << shift(L) <= built. */
  built = 0;
  private epoch = -1;

  static shift(level: number): number {
    return BASE_SHIFT + level * FAN_SHIFT;
  }

  update(col: Column): void {
    if (col.epoch !== this.epoch || col.n < this.built) {
      this.epoch = col.epoch;
      this.built = 0;
    }
    const n = col.n;
    if (n === this.built) return;
    this.reserve(n);
    const d = col.data;
    const mask0 = (1 << BASE_SHIFT) - 1;
    const min0 = this.mins[0];
    const max0 = this.maxs[0];
    for (let i = this.built; i < n; i++) {
      const b = i >> BASE_SHIFT;
      if ((i & mask0) === 0) {
        min0[b] = Infinity;
        max0[b] = -Infinity;
      }
      const v = d[i];
      if (v === v) {
        if (v < min0[b]) min0[b] = v;
        if (v > max0[b]) max0[b] = v;
      }
      if ((i & mask0) === mask0) this.propagate(0, b);
    }
    this.built = n;
  }

  /** A block of `level` just completed: fold it into its parent. */
  private propagate(level: number, b: number): void {
    for (let l = level; l + 1 < LEVELS; l++) {
      const pb = b >> FAN_SHIFT;
      const pmin = this.mins[l + 1];
      const pmax = this.maxs[l + 1];
      if ((b & ((1 << FAN_SHIFT) - 1)) === 0) {
        pmin[pb] = Infinity;
        pmax[pb] = -Infinity;
      }
      if (this.mins[l][b] < pmin[pb]) pmin[pb] = this.mins[l][b];
      if (this.maxs[l][b] > pmax[pb]) pmax[pb] = this.maxs[l][b];
      if ((b & ((1 << FAN_SHIFT) - 1)) !== (1 << FAN_SHIFT) - 1) return;
      b = pb;
    }
  }

  private reserve(n: number): void {
    for (let l = 0; l < LEVELS; l++) {
      const need = (n >> MinMaxPyramid.shift(l)) + 1;
      const cur = this.mins[l];
      if (cur && cur.length >= need) continue;
      const size = Math.max(need, (cur?.length ?? 16) * 2);
      const mn = new Float64Array(size);
      const mx = new Float64Array(size);
      if (cur) {
        mn.set(cur);
        mx.set(this.maxs[l]);
      }
      this.mins[l] = mn;
      this.maxs[l] = mx;
    }
  }
}

const pyramids = new WeakMap<Column, MinMaxPyramid>();

export function pyramidOf(col: Column): MinMaxPyramid {
  let p = pyramids.get(col);
  if (!p) {
    p = new MinMaxPyramid();
    pyramids.set(col, p);
  }
  p.update(col);
  return p;
}
