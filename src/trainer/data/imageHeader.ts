/**
 * What an image file says about itself before a decoder sees it: its format from its first bytes
 * (not its name), and the width and height of its PNG IHDR or JPEG SOF header. The decoders
 * allocate what the header claims; a 69-byte PNG that claims 30000×30000 pixels would make
 * pngjs allocate 3.6 GB. Problems come back as the end of a sentence about the file.
 */
import { inflateSync } from 'node:zlib';
import * as CRC32 from 'crc-32';

/** The longest side GAN Studio decodes. Images are resized to /data/size (at most 256) anyway. */
export const MAX_IMAGE_SIDE = 16384;
/** The most pixels one image may have: 40 megapixels are 160 MB decoded as RGBA. */
export const MAX_IMAGE_PIXELS = 40_000_000;

export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

/** Thrown with the reason, worded to follow the file's name ("… declares 0×0 pixels"), and what would fix it. */
export class BadImageError extends Error {
  constructor(
    reason: string,
    readonly fix = 'replace it or remove it from the image folder',
  ) {
    super(reason);
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Reads and checks the header; throws BadImageError. */
export function imageHeader(buf: Buffer): ImageHeader {
  if (buf.length >= 8 && PNG_SIGNATURE.every((b, i) => buf[i] === b)) return pngHeader(buf);
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return jpegHeader(buf);
  if (buf.length === 0) throw new BadImageError('is empty (0 bytes), not an image');
  throw new BadImageError('is neither a PNG nor a JPEG (its first bytes are not a PNG signature or a JPEG start marker)');
}

function checkSize(format: string, width: number, height: number): void {
  if (width === 0 || height === 0) throw new BadImageError(`is a ${format} whose header declares ${width}×${height} pixels; an image needs at least one pixel`);
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    throw new BadImageError(
      `is a ${format} whose header declares ${width}×${height} pixels, more than GAN Studio decodes (${MAX_IMAGE_SIDE} a side, ${MAX_IMAGE_PIXELS / 1e6} megapixels)`,
      'shrink it (it is resized to /data/size anyway), or remove it from the image folder',
    );
  }
}

// PNG (RFC 2083): the signature, then chunks of length, type, data and CRC; IHDR comes first.
const PNG_COLOR_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function pngHeader(buf: Buffer): ImageHeader {
  if (buf.length < 33 || buf.readUInt32BE(8) !== 13 || buf.toString('latin1', 12, 16) !== 'IHDR') {
    throw new BadImageError('is a PNG without its IHDR header (the file is truncated or damaged)');
  }
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  const depth = buf[24];
  const color = buf[25];
  const interlace = buf[28];
  checkSize('PNG', width, height);
  if (!PNG_COLOR_DEPTHS[color]?.includes(depth)) throw new BadImageError(`is a PNG with colour type ${color} and bit depth ${depth}, a combination PNG does not have (the header is damaged)`);
  if (interlace > 1) throw new BadImageError(`is a PNG with interlace method ${interlace}, which PNG does not have (the header is damaged)`);
  checkImageData(pngChunks(buf), width, height, depth * PNG_CHANNELS[color], interlace === 1);
  return { format: 'png', width, height };
}

/**
 * Walks the chunks: each within the file and passing its CRC, up to IEND. pngjs checks CRCs
 * too, but its synchronous reader then reports "unrecognised content at end of stream" instead.
 * Returns the IDAT data.
 */
function pngChunks(buf: Buffer): Buffer[] {
  const idat: Buffer[] = [];
  for (let at = 8; ; ) {
    if (at + 12 > buf.length) throw new BadImageError('is a PNG that ends before its IEND chunk (the file is truncated)');
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (length > buf.length - at - 12) throw new BadImageError(`is a PNG whose ${printableType(type)} chunk runs past the end of the file (the file is truncated or damaged)`);
    const crc = buf.readInt32BE(at + 8 + length);
    if (CRC32.buf(buf.subarray(at + 4, at + 8 + length)) !== crc) throw new BadImageError(`is a PNG whose ${printableType(type)} chunk fails its CRC check (the file is damaged)`);
    if (type === 'IDAT') idat.push(buf.subarray(at + 8, at + 8 + length));
    if (type === 'IEND') return idat;
    at += 12 + length;
  }
}

function printableType(type: string): string {
  return /^[A-Za-z]{4}$/.test(type) ? type : 'damaged';
}

/** Adam7's passes: where each starts and how far it steps, across and down. */
const ADAM7: [number, number, number, number][] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** Bytes of filtered image data a PNG of this size must inflate to: each row and its filter byte. */
function pngDataBytes(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (w: number, h: number) => (w > 0 && h > 0 ? (Math.ceil((w * bitsPerPixel) / 8) + 1) * h : 0);
  if (!interlaced) return rows(width, height);
  return ADAM7.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)), 0);
}

/**
 * Inflates the image data, bounded by what the declared size needs, and checks it has exactly
 * that: pngjs inflates an interlaced PNG without a limit (a small file could inflate to
 * gigabytes), and decodes one whose data is short into an image with rows made up.
 */
function checkImageData(parts: Buffer[], width: number, height: number, bitsPerPixel: number, interlaced: boolean): void {
  const need = pngDataBytes(width, height, bitsPerPixel, interlaced);
  let got: number;
  try {
    got = inflateSync(Buffer.concat(parts), { maxOutputLength: need }).length;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new BadImageError(`is a PNG whose data inflates to more than its ${width}×${height} pixels need (a decompression bomb, or a damaged file)`);
    throw new BadImageError('is a PNG whose image data is not valid compressed data (the file is damaged)');
  }
  if (got < need) throw new BadImageError(`is a PNG whose image data holds ${got} of the ${need} bytes its ${width}×${height} pixels need (the file is truncated or damaged)`);
}

// JPEG (ITU T.81): markers 0xFF xx; the frame header (SOF0–SOF15 but DHT, JPG, DAC) has the size.
const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegHeader(buf: Buffer): ImageHeader {
  let at = 2;
  while (at < buf.length) {
    if (buf[at] !== 0xff) throw new BadImageError(`is a JPEG with damaged markers (byte ${at} is not a marker)`);
    while (at < buf.length && buf[at] === 0xff) at++;
    const marker = buf[at++];
    if (marker === undefined) break;
    // Markers without a length: RSTn, TEM.
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (marker === 0xd9 || marker === 0xda) throw new BadImageError('is a JPEG without a frame header (SOF) before its image data');
    if (at + 2 > buf.length) break;
    const length = buf.readUInt16BE(at);
    if (length < 2) throw new BadImageError(`is a JPEG with a damaged segment (length ${length} at byte ${at})`);
    if (SOF_MARKERS.has(marker)) {
      if (at + 8 > buf.length) break;
      const height = buf.readUInt16BE(at + 3);
      const width = buf.readUInt16BE(at + 5);
      const components = buf[at + 7];
      checkSize('JPEG', width, height);
      if (![1, 3, 4].includes(components)) throw new BadImageError(`is a JPEG with ${components} colour components; GAN Studio reads gray (1), colour (3) and CMYK (4) JPEGs`, 're-save it as a gray or colour JPEG, or remove it from the image folder');
      if (marker >= 0xc9) throw new BadImageError('is a JPEG with arithmetic coding, which GAN Studio cannot decode', 're-save it as a baseline or progressive JPEG, or remove it from the image folder');
      if (marker === 0xc3 || marker === 0xc7) throw new BadImageError('is a lossless JPEG, which GAN Studio cannot decode', 'save it as a PNG, or remove it from the image folder');
      return { format: 'jpeg', width, height };
    }
    at += length;
  }
  throw new BadImageError('is a JPEG that ends before its frame header (the file is truncated)');
}
