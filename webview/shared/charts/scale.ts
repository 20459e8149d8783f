/** Axis arithmetic: nice ticks, log ticks and outlier-robust ranges. */

/** The round step (1, 2 or 5 × 10^k) that splits [lo, hi] into about maxTicks intervals. */
export function niceStep(lo: number, hi: number, maxTicks: number): number {
  const raw = (hi - lo) / Math.max(1, maxTicks);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  // Nearest nice step on a log scale (d3's thresholds), so the count stays close to maxTicks.
  return (norm >= Math.SQRT2 * 5 ? 10 : norm >= Math.sqrt(10) ? 5 : norm >= Math.SQRT2 ? 2 : 1) * mag;
}

export function niceTicks(lo: number, hi: number, maxTicks: number): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceStep(lo, hi, maxTicks);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/**
 * Widens [lo, hi] to whole tick steps. The domain then changes only when data crosses a tick, so
 * the axis layer is redrawn rarely during a live run and the axis ends on labelled values.
 */
export function snapDomain(lo: number, hi: number, maxTicks: number): [number, number] {
  if (!(hi > lo)) return [lo, hi];
  const step = niceStep(lo, hi, maxTicks);
  return [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
}

/** Ticks for a log10 axis given in exponent units; falls back to linear ticks over a narrow range. */
export function logTicks(lo: number, hi: number, maxTicks: number): number[] {
  if (hi - lo < 1) return niceTicks(10 ** lo, 10 ** hi, maxTicks).filter((v) => v > 0).map(Math.log10);
  const every = Math.max(1, Math.ceil((hi - lo) / maxTicks));
  const out: number[] = [];
  for (let e = Math.ceil(lo); e <= hi; e += every) out.push(e);
  return out;
}

/** Quantile of the first n entries of a scratch array (reordered in place), by quickselect. */
export function quantileInPlace(a: Float64Array, n: number, q: number): number {
  if (n === 0) return NaN;
  const k = Math.min(n - 1, Math.max(0, Math.round(q * (n - 1))));
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}

/**
 * The y range for a set of per-column extremes. Robust mode drops the few columns that hold
 * spikes (GAN losses start with one), unless clipping would hide little: then the full range
 * is clearer.
 */
export function yRange(mins: Float64Array, maxs: Float64Array, n: number, robust: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    if (mins[i] < lo) lo = mins[i];
    if (maxs[i] > hi) hi = maxs[i];
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (robust && n > 20) {
    // A strided subset of at most ~1k extremes estimates the percentiles well and sorts fast.
    const stride = Math.max(1, Math.floor(n / 1024));
    let k = 0;
    for (let i = 0; i < n; i += stride, k++) {
      mins[k] = mins[i];
      maxs[k] = maxs[i];
    }
    const rlo = quantileInPlace(mins, k, 0.01);
    const rhi = quantileInPlace(maxs, k, 0.99);
    const full = hi - lo;
    if (rhi > rlo && (rhi - rlo) < 0.8 * full) {
      lo = rlo;
      hi = rhi;
    }
  }
  // Data that is never negative (a distance, a diversity, a share) gets no negative axis: the
  // padding stops at zero.
  const floor = (v: number): number => (lo >= 0 ? Math.max(0, v) : v);
  if (hi - lo < 1e-12) {
    const pad = Math.abs(hi) * 0.1 || 0.5;
    return [floor(lo - pad), hi + pad];
  }
  const pad = (hi - lo) * 0.06;
  return [floor(lo - pad), hi + pad];
}
