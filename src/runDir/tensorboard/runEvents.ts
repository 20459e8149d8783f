/**
 * What a run's records become in TensorBoard: the tag of each measure, the histograms of D's
 * outputs, and the sample pictures. Used while training (RunWriter) and by `gan-studio export-tb`,
 * so both write the same tags.
 */
import type { HistogramRecord, MetricKey, MetricRecord, QualityRecord } from '../../protocol/runFormat';
import type { TbHistogram, TbImage, TbValue } from './eventProto';

/** Scalars of a MetricRecord, by field. */
export const METRIC_TAGS: Readonly<Record<MetricKey, string>> = {
  dLoss: 'loss/d',
  gLoss: 'loss/g',
  dLossReal: 'loss/d_real',
  dLossFake: 'loss/d_fake',
  gradientPenalty: 'loss/gradient_penalty',
  dReal: 'd/real',
  dFake: 'd/fake',
  dAccuracy: 'd/accuracy',
  gGradNorm: 'grad_norm/g',
  dGradNorm: 'grad_norm/d',
  stepMs: 'perf/step_ms',
  examplesPerSec: 'perf/examples_per_sec',
};

type QualityScalar = 'swd' | 'swdFloor' | 'diversity' | 'realDiversity' | 'modesCovered' | 'highQuality' | 'fcd' | 'fcdFloor' | 'precision' | 'recall';

/** Scalars of a QualityRecord, by field. `modes` (a constant of the data) is left out. */
export const QUALITY_TAGS: Readonly<Record<QualityScalar, string>> = {
  swd: 'quality/swd',
  swdFloor: 'quality/swd_floor',
  diversity: 'quality/diversity',
  realDiversity: 'quality/real_diversity',
  modesCovered: 'quality/modes_covered',
  highQuality: 'quality/high_quality',
  fcd: 'quality/fcd',
  fcdFloor: 'quality/fcd_floor',
  precision: 'quality/precision',
  recall: 'quality/recall',
};

/** The classifier's class counts of the generated images, as a histogram over the labels 0–9. */
export const CLASSES_TAG = 'quality/classes';
export const HISTOGRAM_TAGS = { real: 'd_output/real', fake: 'd_output/fake' } as const;
export const SAMPLES_TAG = 'samples';

function scalars<K extends string>(record: Partial<Record<K, number | undefined>>, tags: Readonly<Record<K, string>>): TbValue[] {
  const out: TbValue[] = [];
  for (const key of Object.keys(tags) as K[]) {
    const x = record[key];
    // A measure that was not finite (NaN in the logs) or not measured is left out, not plotted.
    if (typeof x === 'number' && Number.isFinite(x)) out.push({ tag: tags[key], simpleValue: x });
  }
  return out;
}

export function metricValues(r: MetricRecord): TbValue[] {
  return scalars(r, METRIC_TAGS);
}

export function qualityValues(r: QualityRecord): TbValue[] {
  const out = scalars(r, QUALITY_TAGS);
  if (r.classes && r.classes.length > 0) out.push({ tag: CLASSES_TAG, histo: binnedHistogram(r.classes, -0.5, r.classes.length - 0.5) });
  return out;
}

/**
 * Counts on `counts.length` equal bins over [lo, hi] as a HistogramProto: bucket_limit holds the
 * bins' right edges and bucket their counts. The run keeps counts only, so the statistics are
 * estimates: num is exact, sum and sum_squares take every value to be its bin's centre, and
 * min/max are the outer edges of the first and last non-empty bins. (TensorBoard draws the first
 * non-empty bucket from min and the last one to max, so bin centres there would halve those two
 * bins; the edges are the tightest bounds the counts give.)
 */
export function binnedHistogram(counts: readonly number[], lo: number, hi: number): TbHistogram {
  const n = counts.length;
  const width = (hi - lo) / n;
  const bucketLimit = counts.map((_, i) => (i === n - 1 ? hi : lo + (i + 1) * width));
  let first = -1;
  let last = -1;
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  counts.forEach((c, i) => {
    if (c <= 0) return;
    if (first < 0) first = i;
    last = i;
    const centre = lo + (i + 0.5) * width;
    num += c;
    sum += c * centre;
    sumSquares += c * centre * centre;
  });
  const min = first < 0 ? lo : lo + first * width;
  const max = last < 0 ? lo : bucketLimit[last];
  return { min, max, num, sum, sumSquares, bucketLimit, bucket: [...counts] };
}

export function histogramValues(r: HistogramRecord): TbValue[] {
  return [
    { tag: HISTOGRAM_TAGS.real, histo: binnedHistogram(r.real, r.lo, r.hi) },
    { tag: HISTOGRAM_TAGS.fake, histo: binnedHistogram(r.fake, r.lo, r.hi) },
  ];
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** PNG colour type → Image.colorspace (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA). */
const COLORSPACE: Record<number, number> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };

/**
 * A PNG file as an Image, its size and colours read from its IHDR chunk; undefined when the bytes
 * are not a PNG.
 */
export function pngImage(png: Uint8Array): TbImage | undefined {
  if (png.length < 33 || PNG_SIGNATURE.some((b, i) => png[i] !== b)) return undefined;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  // The first chunk is IHDR: length (13), "IHDR", width, height, bit depth, colour type, …
  if (String.fromCharCode(png[12], png[13], png[14], png[15]) !== 'IHDR') return undefined;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  return { width, height, colorspace: COLORSPACE[png[25]] ?? 3, encoded: png };
}

/** A sample picture as the `samples` image; none when the bytes are not a PNG. */
export function sampleValues(png: Uint8Array): TbValue[] {
  const image = pngImage(png);
  return image ? [{ tag: SAMPLES_TAG, image }] : [];
}
