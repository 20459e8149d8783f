/**
 * TensorBoard's smoothing: an exponential moving average whose early values are divided by
 * (1 - w^k), so the curve starts at the data instead of being dragged toward zero. It is kept
 * incremental because live appends arrive ten times a second onto 100k-point series.
 */
import { Column } from '../runData';

export class EmaSeries {
  readonly out = new Column(16);
  private weight = -1;
  private acc = 0;
  private count = 0;
  private source: Column | undefined;
  private epoch = -1;

  /** Brings the smoothed column up to date with `src`; recomputes only when the weight or source changed. */
  update(src: Column, weight: number): Column {
    if (weight !== this.weight || src !== this.source || src.epoch !== this.epoch || src.n < this.out.n) {
      this.epoch = src.epoch;
      this.weight = weight;
      this.source = src;
      this.acc = 0;
      this.count = 0;
      this.out.truncate(0);
    }
    const w = this.weight;
    const d = src.data;
    for (let i = this.out.n; i < src.n; i++) {
      const v = d[i];
      if (v !== v) {
        this.out.push(NaN);
        continue;
      }
      this.acc = this.acc * w + (1 - w) * v;
      this.count++;
      this.out.push(w === 0 ? v : this.acc / (1 - w ** this.count));
    }
    return this.out;
  }
}

/** Pure form, for tests and one-off use. */
export function emaDebiased(values: readonly number[], weight: number): number[] {
  const s = new EmaSeries();
  const c = new Column(values.length);
  for (const v of values) c.push(v);
  return Array.from(s.update(c, weight).data.subarray(0, values.length));
}
