/** The built-in 2-D distributions (GAN Lab's toys and the usual mixture benchmarks). */
import type { ToyDataType } from '../../config/ganConfig';
import type { Rng } from '../rng';

export interface ToySpec {
  type: ToyDataType;
  noise: number;
  scale: number;
}

/** Mode centres of the mixtures; curves have none. */
export function toyModes(spec: ToySpec): [number, number][] {
  if (spec.type === 'ring') {
    return Array.from({ length: 8 }, (_, i) => {
      const a = (2 * Math.PI * i) / 8;
      return [spec.scale * Math.cos(a), spec.scale * Math.sin(a)];
    });
  }
  if (spec.type === 'grid') {
    const out: [number, number][] = [];
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) out.push([((i - 2) / 2) * spec.scale, ((j - 2) / 2) * spec.scale]);
    return out;
  }
  return [];
}

/** Draws n points into a flat [x0, y0, x1, y1, …] array. */
export function sampleToy(spec: ToySpec, n: number, rng: Rng, out = new Float32Array(2 * n)): Float32Array {
  const { scale, noise } = spec;
  const modes = toyModes(spec);
  for (let i = 0; i < n; i++) {
    let x: number;
    let y: number;
    switch (spec.type) {
      case 'ring':
      case 'grid': {
        const m = modes[rng.int(modes.length)];
        x = m[0];
        y = m[1];
        break;
      }
      case 'circle': {
        const a = 2 * Math.PI * rng.next();
        x = scale * Math.cos(a);
        y = scale * Math.sin(a);
        break;
      }
      case 'spiral': {
        // Two turns, radius growing linearly with the angle.
        const t = Math.sqrt(rng.next());
        const a = 4 * Math.PI * t;
        x = scale * t * Math.cos(a);
        y = scale * t * Math.sin(a);
        break;
      }
      case 'moons': {
        const a = Math.PI * rng.next();
        if (rng.next() < 0.5) {
          x = Math.cos(a);
          y = Math.sin(a);
        } else {
          x = 1 - Math.cos(a);
          y = 0.5 - Math.sin(a);
        }
        // Centre the pair of moons on the origin and scale it to ±scale.
        x = ((x - 0.5) * scale) / 1.5;
        y = ((y - 0.25) * scale) / 1.5;
        break;
      }
    }
    out[2 * i] = x + noise * rng.normal();
    out[2 * i + 1] = y + noise * rng.normal();
  }
  return out;
}
