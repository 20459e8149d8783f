/**
 * Latent-space arithmetic for the explorer and the walk: seeded draws from the generator's latent
 * distribution, linear and spherical interpolation, and a random 2-D plane through latent space.
 * Pure functions, tested in Node (test/webview/logic.test.ts).
 */

import { mulberry32 } from '../../src/analysis/random';

export { mulberry32 };

export function gaussian(n: number, rnd: () => number): number[] {
  const out: number[] = [];
  while (out.length < n) {
    const u = Math.max(1e-12, rnd());
    const v = rnd();
    const r = Math.sqrt(-2 * Math.log(u));
    out.push(r * Math.cos(2 * Math.PI * v), r * Math.sin(2 * Math.PI * v));
  }
  return out.slice(0, n);
}

/** A draw from the generator's latent distribution (config generator.latentDistribution). */
export function sampleLatent(n: number, distribution: 'normal' | 'uniform', rnd: () => number): number[] {
  return distribution === 'uniform' ? Array.from({ length: n }, () => rnd() * 2 - 1) : gaussian(n, rnd);
}

/** How far sliders reach: ±3σ for a normal latent, the whole [-1, 1] for a uniform one. */
export function latentRange(distribution: 'normal' | 'uniform'): number {
  return distribution === 'uniform' ? 1 : 3;
}

export function lerp(a: number[], b: number[], t: number): number[] {
  return a.map((v, i) => v + (b[i] - v) * t);
}

/**
 * Spherical interpolation. Gaussian latents in many dimensions live near a sphere of radius √d,
 * and the straight line between two of them cuts through its inside, where the generator saw
 * few inputs; slerp follows the sphere (and interpolates the norm too, when the norms differ).
 */
export function slerp(a: number[], b: number[], t: number): number[] {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const omega = Math.acos(Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb || 1))));
  if (omega < 1e-6) return lerp(a, b, t);
  const s = Math.sin(omega);
  const ka = Math.sin((1 - t) * omega) / s;
  const kb = Math.sin(t * omega) / s;
  return a.map((v, i) => ka * v + kb * b[i]);
}

/** Two orthonormal directions (Gram–Schmidt of two Gaussian draws) spanning a random plane. */
export function randomPlane(dim: number, rnd: () => number): [number[], number[]] {
  const norm = (v: number[]): number[] => {
    const n = Math.hypot(...v) || 1;
    return v.map((x) => x / n);
  };
  const u = norm(gaussian(dim, rnd));
  let v = gaussian(dim, rnd);
  const d = v.reduce((s, x, i) => s + x * u[i], 0);
  v = norm(v.map((x, i) => x - d * u[i]));
  return [u, v];
}

/** origin + a·u + b·v */
export function onPlane(origin: number[], u: number[], v: number[], a: number, b: number): number[] {
  return origin.map((o, i) => o + a * u[i] + b * (v[i] ?? 0));
}

/** A k×k grid over [-r, r]² of the plane, row-major with b (the second coordinate) outer. */
export function planeGrid(origin: number[], u: number[], v: number[], r: number, k: number): number[] {
  const z: number[] = [];
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < k; i++) {
      const a = -r + (2 * r * i) / (k - 1);
      const b = -r + (2 * r * j) / (k - 1);
      z.push(...onPlane(origin, u, v, a, b));
    }
  }
  return z;
}
