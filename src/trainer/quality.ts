/** Sample-quality measures that need no learned features. */

export interface ModeCoverage {
  /** Modes that hold at least `minShare` of the samples (within `radius` std of the mode). */
  modesCovered: number;
  modes: number;
  /** Share of samples within `radius` std of some mode: the "high-quality" samples. */
  highQuality: number;
  /** Share of samples per mode, in the order of `modes`. */
  perMode: number[];
}

/**
 * Mode coverage for a 2-D mixture: a sample belongs to its nearest mode when it lies within
 * radius·std of it (3σ holds 98.9 % of a 2-D Gaussian's mass); a mode counts as covered when it
 * holds at least minShare of all samples (1 % by default, the usual choice since Srivastava et
 * al.'s VEEGAN and Unrolled GAN evaluations).
 */
export function modeCoverage(points: ArrayLike<number>, modes: [number, number][], std: number, radius = 3, minShare = 0.01): ModeCoverage {
  const n = points.length / 2;
  const counts = new Array<number>(modes.length).fill(0);
  let good = 0;
  const r2 = (radius * std) ** 2;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    let best = -1;
    let bestD = Infinity;
    modes.forEach(([mx, my], k) => {
      const d = (x - mx) ** 2 + (y - my) ** 2;
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    });
    if (best >= 0 && bestD <= r2) {
      counts[best]++;
      good++;
    }
  }
  const perMode = counts.map((c) => (n > 0 ? c / n : 0));
  return {
    modesCovered: perMode.filter((s) => s >= minShare).length,
    modes: modes.length,
    highQuality: n > 0 ? good / n : 0,
    perMode,
  };
}

/** Unit directions in `dim` dimensions, drawn from a fixed seed so every step uses the same slices. */
export function randomDirections(dim: number, count: number, normal: () => number): Float64Array {
  const out = new Float64Array(dim * count);
  for (let k = 0; k < count; k++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = normal();
      out[k * dim + j] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < dim; j++) out[k * dim + j] /= norm;
  }
  return out;
}

function project(x: ArrayLike<number>, dim: number, dirs: Float64Array, k: number): Float64Array {
  const n = Math.floor(x.length / dim);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += x[i * dim + j] * dirs[k * dim + j];
    out[i] = s;
  }
  return out.sort();
}

/**
 * Sliced Wasserstein distance: the 1-D Wasserstein-2 distance between the two samples projected on
 * each direction (sorted projections, matched by quantile), root of the mean square over
 * directions. It is 0 for identical samples and grows with any difference in distribution,
 * including a lost mode. Samples of different sizes are compared at matched quantiles.
 */
export function slicedWasserstein(a: ArrayLike<number>, b: ArrayLike<number>, dim: number, dirs: Float64Array): number {
  const count = dirs.length / dim;
  let total = 0;
  for (let k = 0; k < count; k++) {
    const pa = project(a, dim, dirs, k);
    const pb = project(b, dim, dirs, k);
    const n = Math.min(pa.length, pb.length);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const qa = pa[Math.floor(((i + 0.5) / n) * pa.length)];
      const qb = pb[Math.floor(((i + 0.5) / n) * pb.length)];
      s += (qa - qb) ** 2;
    }
    total += s / n;
  }
  return Math.sqrt(total / count);
}

/**
 * Mean Euclidean distance between pairs of samples: a collapsed generator's samples sit close
 * together, so its diversity falls below the real data's. At most `maxPairs` pairs (consecutive
 * pairs of a fixed order), so the cost stays linear.
 */
export function meanPairwiseDistance(x: ArrayLike<number>, dim: number, maxPairs = 2048): number {
  const n = Math.floor(x.length / dim);
  if (n < 2) return 0;
  let sum = 0;
  let pairs = 0;
  // Stride through pairs (i, i + offset) for a few offsets: cheap and order-independent enough.
  for (let offset = 1; offset < n && pairs < maxPairs; offset = offset * 2 + 1) {
    for (let i = 0; i + offset < n && pairs < maxPairs; i++) {
      let d = 0;
      for (let j = 0; j < dim; j++) d += (x[i * dim + j] - x[(i + offset) * dim + j]) ** 2;
      sum += Math.sqrt(d);
      pairs++;
    }
  }
  return sum / pairs;
}

/**
 * The 2-D mixture benchmark of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018): a
 * sample is high quality when it lies within 3 std of its nearest mode, and a mode is covered when
 * at least one high-quality sample is nearest to it. This is looser than modeCoverage's 1 % share,
 * which the trainer's own quality log uses; published tables use this one.
 */
export function mixtureBenchmark(points: ArrayLike<number>, modes: [number, number][], std: number): ModeCoverage {
  return modeCoverage(points, modes, std, 3, Number.MIN_VALUE);
}
