/**
 * The only way the trainer opens a file the user named (a gan.json, a CSV, an image): what the
 * path is is decided first (a FIFO would block the read forever, deaf to signals; a device never
 * ends; a symbolic link loop or a dangling link is said as such), only regular files are opened,
 * without blocking, and read up to a limit.
 */
import { closeSync, constants, fstatSync, openSync, readSync, readlinkSync } from 'node:fs';
import { fileKindAt, kindOfStats, statKind } from '../../runDir/fileKinds';
import type { FileKind } from '../../config/validateConfig';
import { printableLine } from '../../config/quote';
import { InputError } from '../inputError';

export { fileKindAt, statKind };

/** What fileKindAt says, as the end of a sentence about the path ("… is a FIFO, not a regular file"). */
export function describeKind(path: string, kind: FileKind): string {
  return reasonFor(path, kind);
}

/** Why a file cannot be read, as the end of a sentence about it ("… is a FIFO, not a regular file"). */
export class UnreadableFileError extends Error {
  constructor(
    readonly kind: FileKind | 'too-large' | 'read-error',
    reason: string,
  ) {
    super(reason);
  }
}

function reasonFor(path: string, kind: FileKind): string {
  switch (kind) {
    case 'missing':
      return 'does not exist';
    case 'directory':
      return 'is a folder, not a file';
    case 'dangling-link': {
      let target = '';
      try {
        target = readlinkSync(path);
      } catch {
        // said without the target
      }
      return target ? `is a symbolic link to ${JSON.stringify(target)}, which does not exist` : 'is a symbolic link to something that does not exist';
    }
    case 'link-loop':
      return 'is a symbolic link loop (following it never ends)';
    case 'fifo':
      return 'is a FIFO (named pipe), not a regular file';
    case 'socket':
      return 'is a socket, not a regular file';
    case 'device':
      return 'is a device, not a regular file';
    case 'unreadable':
      return 'cannot be read (permission denied)';
    case 'file':
      return 'is a file';
  }
}

function megabytes(n: number): string {
  return `${Math.round(n / 2 ** 20)} MB`;
}

/**
 * The bytes of a regular file of at most maxBytes; throws UnreadableFileError for anything else.
 * The open does not block (O_NONBLOCK) and the opened file is checked again, so a path swapped
 * for a FIFO after the check cannot hang the read either.
 */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  const kind = fileKindAt(path);
  if (kind !== 'file') throw new UnreadableFileError(kind, reasonFor(path, kind));
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0));
  } catch (err) {
    throw readError(path, err);
  }
  try {
    const st = fstatSync(fd);
    const opened = kindOfStats(st);
    if (opened !== 'file') throw new UnreadableFileError(opened, reasonFor(path, opened));
    if (st.size > maxBytes) throw new UnreadableFileError('too-large', `is ${megabytes(st.size)}, more than the ${megabytes(maxBytes)} GAN Studio reads`);
    // Files of /proc say size 0 and have content: read to the end, never past the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (err) {
        throw readError(path, err);
      }
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) throw new UnreadableFileError('too-large', `is more than the ${megabytes(maxBytes)} GAN Studio reads`);
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

function readError(path: string, err: unknown): UnreadableFileError {
  if (err instanceof UnreadableFileError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM') return new UnreadableFileError('unreadable', reasonFor(path, 'unreadable'));
  if (e.code === 'ELOOP') return new UnreadableFileError('link-loop', reasonFor(path, 'link-loop'));
  if (e.code === 'ENOENT') return new UnreadableFileError('missing', reasonFor(path, 'missing'));
  return new UnreadableFileError('read-error', `cannot be read (${e.code ?? e.message})`);
}

/** A gan.json larger than this is not one (a sweep of 64 lists of 1000 values is 1 MB). */
export const MAX_CONFIG_BYTES = 16 * 2 ** 20;

/**
 * A gan.json's text; throws InputError with one line that names the file (as the person gave
 * it) and says what is wrong with it.
 */
export function readConfigFile(path: string, shown: string): string {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(path, MAX_CONFIG_BYTES);
  } catch (err) {
    if (!(err instanceof UnreadableFileError)) throw err;
    const fix = err.kind === 'too-large' ? '; a gan.json is a few kilobytes' : err.kind === 'directory' ? '; give the gan.json inside it' : err.kind === 'missing' ? '' : '; give a regular gan.json file';
    throw new InputError(`${printableLine(shown)}: ${err.kind === 'missing' ? 'file not found' : `${err.message}${fix}`}`);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new InputError(`${printableLine(shown)}:1:1: is not valid JSON: the file is UTF-16; save it as UTF-8`);
  }
  return bytes.toString('utf8');
}
