/**
 * The hostile-input corpus (test/fixtures/hostile/cases.json) through the real CLI: every case
 * is copied to a temporary folder, finished by its generator when it needs what git cannot store
 * (FIFOs, sockets, symbolic links, huge or deeply nested files, crafted images), and run with
 * `validate` and, where the case says, `train --steps 2`. Each must end with its exit code and,
 * for bad input, exactly one printable line on stderr that names the gan.json and the JSON
 * pointer, matching its message; a run that hangs is killed and fails. Runs `node dist/cli.js`
 * (build first).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import * as CRC32 from 'crc-32';

const ROOT = process.env.GAN_STUDIO_ROOT ?? resolve(__dirname, '../../..');
const CLI = join(ROOT, 'dist/cli.js');
const CORPUS = join(ROOT, 'test/fixtures/hostile');
/** Two at a time: a train start loads tfjs, and these machines have two cores. */
const CONCURRENCY = 2;
/** A run that takes longer is hung: killed, and the case fails. */
const TIMEOUT_MS = 60_000;
/** A FIFO case still running after this is blocked on the FIFO: it gets SIGTERM, and fails. */
const FIFO_PROBE_MS = 15_000;
/** …and must end within this after the SIGTERM, or it is deaf to it too. */
const SIGTERM_GRACE_MS = 5_000;

interface Expect {
  exit: number;
  /** A regex the one line on stderr must match. */
  message?: string;
  /** The JSON pointer the line names right after `gan.json[:line:col]: `; "" for the whole document. */
  pointer?: string;
  /** false: no line:column (the value came from the command line). Default: located when a pointer is given. */
  located?: boolean;
  /** false: the line need not start with the gan.json (a command-line problem). */
  names?: boolean;
  /** Arguments of train after `train gan.json --runs-dir DIR` (default --steps 2). */
  args?: string[];
}

interface Case {
  id: string;
  class: string;
  about: string;
  /** A generator below, run in the case's temporary copy. */
  make?: string;
  validate?: Expect;
  train?: Expect;
  /** The case involves a FIFO: also check that SIGTERM would end a blocked run. */
  fifo?: boolean;
  /** Root reads any file: a permission case means nothing then. */
  skipAsRoot?: boolean;
  /** A data file of which no more than 40 characters in a row may reach the message. */
  leak?: string;
  /** Lines on stderr (default 1), and a regex for the last when there are more. */
  lines?: number;
  last?: string;
}

const { cases } = JSON.parse(readFileSync(join(CORPUS, 'cases.json'), 'utf8')) as { cases: Case[] };

// ------------------------------------------------------------------------------------------
// Running the CLI

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why the run was killed, if it was. */
  hung?: string;
}

function runCli(args: string[], cwd: string, fifo: boolean): Promise<Result> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, GAN_STUDIO_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let hung: string | undefined;
    const timers: NodeJS.Timeout[] = [];
    if (fifo) {
      timers.push(
        setTimeout(() => {
          hung = `still running after ${FIFO_PROBE_MS} ms (blocked on the FIFO?); SIGTERM ended it`;
          child.kill('SIGTERM');
          timers.push(
            setTimeout(() => {
              hung = `blocked on the FIFO and deaf to SIGTERM for ${SIGTERM_GRACE_MS} ms`;
              child.kill('SIGKILL');
            }, SIGTERM_GRACE_MS),
          );
        }, FIFO_PROBE_MS),
      );
    }
    timers.push(
      setTimeout(() => {
        hung = `hung: killed after ${TIMEOUT_MS} ms`;
        child.kill('SIGKILL');
      }, TIMEOUT_MS),
    );
    child.on('close', (code) => {
      for (const t of timers) clearTimeout(t);
      done({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ...(hung ? { hung } : {}) });
    });
  });
}

// Control characters a message must never carry: C0 but the newline, DEL, C1, and the bidi controls.
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function checkResult(r: Result, e: Expect, c: Case, what: string): void {
  assert.equal(r.hung, undefined, `${what}: ${r.hung}\nstderr: ${r.stderr}`);
  assert.equal(r.code, e.exit, `${what}: exit code (stderr: ${JSON.stringify(r.stderr)})`);
  assert.ok(!RAW_CONTROL.test(r.stderr), `${what}: a raw control character on stderr: ${JSON.stringify(r.stderr)}`);
  // The progress bar's own carriage returns and erase-line codes are GAN Studio's, not quoted text.
  assert.ok(!RAW_CONTROL.test(r.stdout.replaceAll('\r', '').replaceAll('\u001b[K', '')), `${what}: a raw control character on stdout: ${JSON.stringify(r.stdout)}`);
  if (e.exit === 0) return;
  assert.equal(r.stdout, '', `${what}: printed to stdout`);
  assert.ok(r.stderr.endsWith('\n'), `${what}: stderr must end its line: ${JSON.stringify(r.stderr)}`);
  const lines = r.stderr.slice(0, -1).split('\n');
  assert.equal(lines.length, c.lines ?? 1, `${what}: expected ${c.lines ?? 1} line(s) on stderr, got ${JSON.stringify(r.stderr)}`);
  const line = lines[0];
  if (e.names !== false) assert.match(line, /^gan\.json[:]/, `${what}: the line must name the gan.json`);
  if (e.pointer !== undefined) {
    const at = e.located === false ? '' : ':\\d+:\\d+';
    const where = e.pointer === '' ? new RegExp(`^gan\\.json${at}: (?!/)`) : new RegExp(`^gan\\.json${at}: (warning: )?${escapeRegex(e.pointer)} `);
    assert.match(line, where, `${what}: the line must name ${e.pointer === '' ? 'the document' : e.pointer}${e.located === false ? '' : ' at a line and column'}`);
  }
  if (e.message) assert.match(line, new RegExp(e.message), `${what}: message`);
  if (c.last) assert.match(lines[lines.length - 1], new RegExp(c.last), `${what}: last line`);
  if (c.leak) {
    const text = readFileSync(c.leak, 'utf8');
    for (let i = 0; i + 41 <= text.length; i++) assert.ok(!r.stderr.includes(text.slice(i, i + 41)), `${what}: quotes more than 40 characters of ${c.leak}`);
    // All the quotes but the file's name: 40 characters at the most, together.
    const quoted = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).filter((q) => q !== c.leak);
    assert.ok(quoted.join('').length <= 40, `${what}: quotes ${quoted.join('').length} characters of ${c.leak}: ${JSON.stringify(quoted)}`);
  }
}

// ------------------------------------------------------------------------------------------
// Generators: what a case needs that git cannot store. Each writes into the case's folder.

function pngChunk(type: string, data: Buffer, badCrc = false): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeInt32BE(CRC32.buf(Buffer.concat([head.subarray(4), data])) ^ (badCrc ? 1 : 0), 0);
  return Buffer.concat([head, data, crc]);
}

function ihdr(width: number, height: number, depth = 8, colorType = 2, interlace = 0): Buffer {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(width, 0);
  d.writeUInt32BE(height, 4);
  d.set([depth, colorType, 0, 0, interlace], 8);
  return pngChunk('IHDR', d);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function goodPng(width: number, height: number, color: number[], colorType: 0 | 2 | 6 = 6): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([...color, 255], i * 4);
  return PNG.sync.write(png, { colorType });
}

/** A 16-bit gray PNG, chunk by chunk (pngjs writes 16 bits only from 16-bit input). */
function gray16Png(width: number, height: number, level: number): Buffer {
  const raw = Buffer.alloc((1 + 2 * width) * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw.writeUInt16BE(level, y * (1 + 2 * width) + 1 + 2 * x);
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height, 16, 0), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]);
}

function goodJpeg(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) & 0xff;
  return Buffer.from(jpeg.encode({ width, height, data }, 90).data);
}

/** The offset of a JPEG's SOF0 segment's length field. */
function sofAt(buf: Buffer): number {
  for (let i = 2; i + 1 < buf.length; i++) if (buf[i] === 0xff && buf[i + 1] === 0xc0) return i + 2;
  throw new Error('no SOF0');
}

/** Two good images and an 8×8 JPEG whose frame header claims size × size. */
function lyingJpeg(dir: string, size: number): void {
  twoGoodImages(dir);
  const j = goodJpeg(8, 8);
  const at = sofAt(j);
  j.writeUInt16BE(size, at + 3);
  j.writeUInt16BE(size, at + 5);
  writeIn(dir, 'imgs/lie.jpg', j);
}

function writeIn(dir: string, name: string, content: string | Buffer): void {
  mkdirSync(join(dir, name, '..'), { recursive: true });
  writeFileSync(join(dir, name), content);
}

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

function twoGoodImages(dir: string): void {
  writeIn(dir, 'imgs/a.png', goodPng(4, 4, [255, 255, 255]));
  writeIn(dir, 'imgs/b.png', goodPng(6, 6, [0, 0, 0]));
}

type Generator = (dir: string) => void | (() => void) | Promise<() => void>;

const generators: Record<string, Generator> = {
  deepArrays: (dir) => writeIn(dir, 'gan.json', `{"data": ${nested(20000)}}\n`),
  deepObjects: (dir) => writeIn(dir, 'gan.json', `{"data": {"type": "ring"}, "x": ${'{"a": '.repeat(12000)}1${'}'.repeat(12000)}}\n`),
  deepRootArray: (dir) => writeIn(dir, 'gan.json', nested(100000)),
  deepSweepValue: (dir) => writeIn(dir, 'gan.json', JSON.stringify({ data: { type: 'ring' }, sweep: { parameters: { '/seed': [JSON.parse(nested(70)) as unknown] } } }, null, 2)),
  fifoCsv: (dir) => mkfifo(join(dir, 'data.csv')),
  fifoImage: (dir) => {
    twoGoodImages(dir);
    mkfifo(join(dir, 'imgs', 'x.png'));
  },
  fifoImageFolder: (dir) => mkfifo(join(dir, 'imgs')),
  fifoConfig: (dir) => mkfifo(join(dir, 'gan.json')),
  loopCsv: (dir) => symlinkSync('data.csv', join(dir, 'data.csv')),
  danglingCsv: (dir) => symlinkSync('nowhere.csv', join(dir, 'data.csv')),
  loopImage: (dir) => {
    twoGoodImages(dir);
    symlinkSync('loop.png', join(dir, 'imgs', 'loop.png'));
  },
  danglingImage: (dir) => {
    twoGoodImages(dir);
    symlinkSync('nowhere.png', join(dir, 'imgs', 'gone.png'));
  },
  deviceImage: (dir) => {
    twoGoodImages(dir);
    symlinkSync('/dev/null', join(dir, 'imgs', 'null.png'));
  },
  socketImage: async (dir) => {
    twoGoodImages(dir);
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(join(dir, 'imgs', 's.png'), r));
    return () => server.close();
  },
  cycleFolder: (dir) => {
    twoGoodImages(dir);
    symlinkSync('.', join(dir, 'imgs', 'again'));
  },
  dirNamedPng: (dir) => {
    mkdirSync(join(dir, 'imgs', 'x.png'), { recursive: true });
  },
  dirNamedPngWithImages: (dir) => {
    writeIn(dir, 'imgs/x.png/a.png', goodPng(4, 4, [255, 0, 0]));
    writeIn(dir, 'imgs/x.png/b.png', goodPng(4, 4, [0, 0, 255]));
  },
  unreadableCsv: (dir) => {
    writeIn(dir, 'secret.csv', 'x,y\n1,2\n3,4\n');
    chmodSync(join(dir, 'secret.csv'), 0o000);
  },
  hugeCsv: (dir) => writeIn(dir, 'big.csv', Buffer.alloc(70 * 2 ** 20, '1,2\n')),
  configDirectory: (dir) => mkdirSync(join(dir, 'gan.json')),
  loopConfig: (dir) => symlinkSync('gan.json', join(dir, 'gan.json')),
  danglingConfig: (dir) => symlinkSync('missing.json', join(dir, 'gan.json')),
  devZeroConfig: (dir) => symlinkSync('/dev/zero', join(dir, 'gan.json')),
  hugeConfig: (dir) => writeIn(dir, 'gan.json', Buffer.concat([Buffer.from('{"data": {"type": "ring"}}'), Buffer.alloc(20 * 2 ** 20, ' ')])),
  // 69 bytes: signature, an IHDR of 30000×30000, a 12-byte IDAT and IEND.
  pngHugeHeader: (dir) => {
    twoGoodImages(dir);
    const png = Buffer.concat([PNG_SIGNATURE, ihdr(30000, 30000), pngChunk('IDAT', deflateSync(Buffer.alloc(4))), pngChunk('IEND', Buffer.alloc(0))]);
    assert.equal(png.length, 69);
    writeIn(dir, 'imgs/huge.png', png);
  },
  pngZeroWidth: (dir) => {
    twoGoodImages(dir);
    writeIn(dir, 'imgs/zero.png', Buffer.concat([PNG_SIGNATURE, ihdr(0, 16), pngChunk('IEND', Buffer.alloc(0))]));
  },
  pngCrcError: (dir) => {
    twoGoodImages(dir);
    const raw = Buffer.alloc(4 * (1 + 4 * 3), 0x40);
    for (let y = 0; y < 4; y++) raw[y * 13] = 0;
    writeIn(dir, 'imgs/bad.png', Buffer.concat([PNG_SIGNATURE, ihdr(4, 4), pngChunk('IDAT', deflateSync(raw), true), pngChunk('IEND', Buffer.alloc(0))]));
  },
  pngShortData: (dir) => {
    twoGoodImages(dir);
    const raw = Buffer.alloc(2 * (1 + 8 * 3), 0x20);
    for (let y = 0; y < 2; y++) raw[y * 25] = 0;
    writeIn(dir, 'imgs/short.png', Buffer.concat([PNG_SIGNATURE, ihdr(8, 8), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]));
  },
  pngBadFilter: (dir) => {
    twoGoodImages(dir);
    const raw = Buffer.alloc(4 * (1 + 4 * 3), 0x20);
    for (let y = 0; y < 4; y++) raw[y * 13] = 9;
    writeIn(dir, 'imgs/filter.png', Buffer.concat([PNG_SIGNATURE, ihdr(4, 4), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]));
  },
  pngPaletteMissing: (dir) => {
    twoGoodImages(dir);
    const raw = Buffer.alloc(4 * (1 + 4), 3);
    for (let y = 0; y < 4; y++) raw[y * 5] = 0;
    writeIn(dir, 'imgs/palette.png', Buffer.concat([PNG_SIGNATURE, ihdr(4, 4, 8, 3), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]));
  },
  pngTruncated: (dir) => {
    twoGoodImages(dir);
    writeIn(dir, 'imgs/cut.png', goodPng(8, 8, [1, 2, 3]).subarray(0, 40));
  },
  pngBadColorType: (dir) => {
    twoGoodImages(dir);
    writeIn(dir, 'imgs/odd.png', Buffer.concat([PNG_SIGNATURE, ihdr(4, 4, 8, 5), pngChunk('IEND', Buffer.alloc(0))]));
  },
  // An interlaced 64×64 RGB PNG needs ~25 kB of filtered data; this IDAT inflates to 200 MB.
  pngInterlacedBomb: (dir) => {
    twoGoodImages(dir);
    const bomb = deflateSync(Buffer.alloc(200 * 2 ** 20), { level: 9 });
    writeIn(dir, 'imgs/bomb.png', Buffer.concat([PNG_SIGNATURE, ihdr(64, 64, 8, 2, 1), pngChunk('IDAT', bomb), pngChunk('IEND', Buffer.alloc(0))]));
  },
  png16BitGray: (dir) => {
    writeIn(dir, 'imgs/a.png', gray16Png(5, 5, 50000));
    writeIn(dir, 'imgs/b.png', gray16Png(3, 7, 1000));
  },
  jpegLyingSof: (dir) => lyingJpeg(dir, 60000),
  jpegSmallLie: (dir) => lyingJpeg(dir, 16),
  jpegTwoComponents: (dir) => {
    twoGoodImages(dir);
    const j = goodJpeg(8, 8);
    j[sofAt(j) + 7] = 2;
    writeIn(dir, 'imgs/two.jpg', j);
  },
  jpegNoSof: (dir) => {
    twoGoodImages(dir);
    writeIn(dir, 'imgs/empty.jpg', Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
  },
  jpegCorruptScan: (dir) => {
    twoGoodImages(dir);
    const j = goodJpeg(16, 16);
    // Everything after the start of scan's header becomes noise (no markers), then the end.
    let sos = j.length - 2;
    for (let i = 2; i + 1 < j.length; i++) if (j[i] === 0xff && j[i + 1] === 0xda) sos = i + 2 + j.readUInt16BE(i + 2);
    for (let i = sos; i < j.length - 2; i++) j[i] = (i * 73) & 0xfe;
    writeIn(dir, 'imgs/noise.jpg', j.subarray(0, Math.min(j.length, sos + 40)));
  },
  jpegNamedPng: (dir) => {
    writeIn(dir, 'imgs/a.png', goodJpeg(8, 8));
    writeIn(dir, 'imgs/b.jpg', goodJpeg(5, 9));
  },
  mixedChannels: (dir) => {
    writeIn(dir, 'imgs/gray.png', goodPng(4, 4, [100, 100, 100], 0));
    writeIn(dir, 'imgs/rgb.png', goodPng(4, 4, [10, 200, 30], 2));
    writeIn(dir, 'imgs/rgba.png', goodPng(4, 4, [250, 20, 20], 6));
  },
  twoImages: twoGoodImages,
  csvMillionColumns: (dir) => writeIn(dir, 'wide.csv', `${Array.from({ length: 1_000_000 }, (_, i) => i % 10).join(',')}\n`),
  csvWide: (dir) => {
    const row = Array.from({ length: 40000 }, (_, i) => i % 7).join(',');
    writeIn(dir, 'wide.csv', `${row}\n${row}\n${row}\n`);
  },
  csvNewlineName: (dir) => writeIn(dir, 'bad\nname\u001b[31m.csv', 'x,y\nnot,numbers\n'),
  imageNewlineName: (dir) => {
    twoGoodImages(dir);
    writeIn(dir, 'imgs/bad\nname\u001b[31m.png', 'text, not an image');
  },
  manyProblems: (dir) => writeIn(dir, 'gan.json', JSON.stringify({ data: { type: 'ring' }, ...Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i])) }, null, 2)),
  sweepBillionTrials: (dir) => {
    const values = Array.from({ length: 1000 }, (_, i) => i);
    writeIn(dir, 'gan.json', JSON.stringify({ data: { type: 'ring' }, sweep: { parameters: { '/seed': values, '/logging/latentSeed': values, '/training/steps': values.map((v) => v + 1) } } }, null, 2));
  },
};

// ------------------------------------------------------------------------------------------

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

test('dist/cli.js is built', () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: run node scripts/build.mjs`);
});

test('the corpus: 60+ cases, unique ids, every generator exists, every stored folder is a case', () => {
  assert.ok(cases.length >= 60, `only ${cases.length} cases`);
  const ids = cases.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length, 'duplicate ids');
  for (const c of cases) {
    assert.ok(c.validate || c.train, `${c.id}: expects nothing`);
    if (c.make) assert.ok(c.make in generators, `${c.id}: no generator ${c.make}`);
    assert.ok(c.make || existsSync(join(CORPUS, c.id)), `${c.id}: neither files nor a generator`);
    // A config that validates must be trained: that is where validate and train could disagree.
    if (c.validate?.exit === 0 && !c.train && !c.id.startsWith('config-') && !c.id.startsWith('parser-')) assert.fail(`${c.id}: valid, but not trained`);
    for (const message of [c.validate?.message, c.train?.message]) if (message) assert.doesNotThrow(() => new RegExp(message), c.id);
  }
  const folders = readdirSync(CORPUS).filter((f) => f !== 'cases.json');
  assert.deepEqual(folders.filter((f) => !ids.includes(f)), [], 'folders that are no case');
});

describe('hostile inputs through the CLI', { concurrency: CONCURRENCY }, () => {
  for (const c of cases) {
    const skip = c.skipAsRoot && isRoot ? 'root reads any file, so a permission case proves nothing here' : false;
    test(`${c.class}: ${c.id}: ${c.about}`, { skip }, async () => {
      const dir = mkdtempSync(join(tmpdir(), `gan-hostile-${c.id}-`));
      const runs = mkdtempSync(join(tmpdir(), 'gan-hostile-runs-'));
      let cleanup: void | (() => void) = undefined;
      try {
        if (existsSync(join(CORPUS, c.id))) cpSync(join(CORPUS, c.id), dir, { recursive: true });
        if (c.make) cleanup = await generators[c.make](dir);
        if (c.validate) checkResult(await runCli(['validate', 'gan.json'], dir, Boolean(c.fifo)), c.validate, c, 'validate');
        if (c.train) {
          const runsDir = join(runs, 'runs');
          const r = await runCli(['train', 'gan.json', '--runs-dir', runsDir, ...(c.train.args ?? ['--steps', '2'])], dir, Boolean(c.fifo));
          checkResult(r, c.train, c, 'train');
          if (c.train.exit === 0) assert.match(r.stdout, /^completed at step 2: /m, 'train: the run completes');
          else assert.ok(!existsSync(runsDir), 'train: bad input, but a runs folder was written');
        }
      } finally {
        if (typeof cleanup === 'function') cleanup();
        rmSync(dir, { recursive: true, force: true });
        rmSync(runs, { recursive: true, force: true });
      }
    });
  }
});
