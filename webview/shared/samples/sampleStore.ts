/**
 * Loading sample files: decoded images and parsed 2-D point files, cached by URL so that
 * scrubbing and playing back over hundreds of steps fetch each file once.
 */
import { check } from '../../../src/protocol/fields';
import { samplePoints2D, type SamplePoints2D } from '../../../src/protocol/runFormat';

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
      // The file comes from disk, so it is checked like any other input.
      const checked = check(samplePoints2D, v);
      if (!checked.ok) throw new Error(`${src}: ${checked.reason}`);
      return checked.value;
    });
  p.catch(() => points.delete(src));
  return remember(points, src, p);
}
