/** Drawing images that a trainer generated for the latent views (never generated here). */

export interface GeneratedBatch {
  /** Row-major [n, h, w, c]. */
  data: ArrayLike<number>;
  shape: number[];
}

/**
 * Value range of the batch: the trainer sends pixels in 0..255, but tanh (−1..1) and unit (0..1)
 * outputs are recognised too. Judged over the whole batch, so a nearly black image is not mistaken
 * for a unit-range one.
 */
function valueRange(data: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi > 1.5 ? [0, 255] : lo < -0.01 ? [-1, 1] : [0, 1];
}

const ranges = new WeakMap<object, [number, number]>();

/** Draws image `index` of the batch scaled into a size×size square at (x, y), pixels kept sharp. */
export function drawGeneratedImage(ctx: CanvasRenderingContext2D, batch: GeneratedBatch, index: number, x: number, y: number, size: number): void {
  const [, h, w, c] = batch.shape;
  if (!h || !w || !c) return;
  let range = ranges.get(batch);
  if (!range) {
    range = valueRange(batch.data);
    ranges.set(batch, range);
  }
  const [a, b] = range;
  const per = h * w * c;
  const tile = document.createElement('canvas');
  tile.width = w;
  tile.height = h;
  const tctx = tile.getContext('2d');
  if (!tctx) return;
  const img = tctx.createImageData(w, h);
  for (let p = 0; p < h * w; p++) {
    for (let ch = 0; ch < 3; ch++) {
      const v = batch.data[index * per + p * c + (c === 3 ? ch : 0)];
      img.data[p * 4 + ch] = Math.max(0, Math.min(255, ((v - a) / (b - a)) * 255));
    }
    img.data[p * 4 + 3] = 255;
  }
  tctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tile, x, y, size, size);
}
