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
