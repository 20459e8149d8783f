/**
 * Loading sample files: decoded images and parsed 2-D point files, cached by URL so that
 * scrubbing and playing back over hundreds of steps fetch each file once.
 */
import type { SamplePoints2D } from '../../../src/protocol/runFormat';

const LIMIT = 800;
const images = new Map<string, Promise<HTMLImageElement>>();
const points = new Map<string, Promise<SamplePoints2D>>();

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, value);
  return value;
}

export function loadImage(src: string): Promise<HTMLImageElement> {
  const hit = images.get(src);
  if (hit) return hit;
  const img = new Image();
  img.decoding = 'async';
  img.src = src;
  const p = img.decode().then(
    () => img,
    () => {
      images.delete(src);
      throw new Error(`could not load sample image ${src}`);
    },
  );
  return remember(images, src, p);
}

export function loadPoints(src: string): Promise<SamplePoints2D> {
  const hit = points.get(src);
  if (hit) return hit;
  const p = fetch(src)
    .then((r) => {
      if (!r.ok) throw new Error(`${src}: HTTP ${r.status}`);
      return r.json() as Promise<unknown>;
    })
    .then((v) => {
      const why = checkPoints(v);
      if (why) throw new Error(`${src}: ${why}`);
      return v as SamplePoints2D;
    });
  p.catch(() => points.delete(src));
  return remember(points, src, p);
}

/** The file comes from disk, so it is checked like any other input; returns the problem or ''. */
export function checkPoints(v: unknown): string {
  if (typeof v !== 'object' || v === null) return 'not an object';
  const o = v as Record<string, unknown>;
  const nums = (a: unknown): boolean => Array.isArray(a) && a.length % 2 === 0 && a.every((x) => typeof x === 'number');
  if (!nums(o.fake)) return 'fake is not a flat [x, y, …] array';
  if (!nums(o.real)) return 'real is not a flat [x, y, …] array';
  const b = o.bounds as Record<string, unknown> | undefined;
  if (!b || !['xMin', 'xMax', 'yMin', 'yMax'].every((k) => typeof b[k] === 'number')) return 'bounds are missing';
  const h = o.heatmap as Record<string, unknown> | undefined;
  if (h !== undefined) {
    if (!Number.isInteger(h.nx) || !Number.isInteger(h.ny) || !Array.isArray(h.values) || h.values.length !== (h.nx as number) * (h.ny as number)) return 'heatmap is not nx × ny values';
  }
  return '';
}
