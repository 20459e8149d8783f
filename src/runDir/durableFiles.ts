/**
 * Files that survive a kill at any instant: whole files are written to a temporary name, synced
 * and renamed over the old one, so readers see the old or the new content and never a mix; JSONL
 * logs are appended a line at a time, and their readers drop a torn last line.
 *
 * An I/O fault (a full disk, a read-only file system, permissions changed) becomes a RunIoError
 * here, naming the file; a failed write first undoes what it can (its temporary file, the part of
 * a line it appended), so the run directory stays as it was and a full disk gets its space back.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as v from 'valibot';

// ------------------------------------------------------------------------------------------
// I/O faults: a full disk, a read-only file system, permissions changed, a file in the way

/** What was being done to the path. */
export type IoOp = 'create' | 'write' | 'read' | 'remove';

/** Each errno code a run directory meets, in words, and what a person can do about it. */
const IO_CODES: Record<string, { reason: string; remedy: string }> = {
  ENOSPC: { reason: 'the disk is full', remedy: 'free space' },
  EDQUOT: { reason: 'the disk quota is used up', remedy: 'free space' },
  EFBIG: { reason: 'the file is larger than the file system allows', remedy: 'free space or choose another file system' },
  EROFS: { reason: 'the file system is read-only', remedy: 'make it writable' },
  EACCES: { reason: 'permission denied', remedy: 'give this user write access' },
  EPERM: { reason: 'the operation is not permitted', remedy: 'give this user write access' },
  EEXIST: { reason: 'a file of that name is in the way', remedy: 'move that file away' },
  ENOTDIR: { reason: 'a part of the path is a file, not a folder', remedy: 'move that file away' },
  EISDIR: { reason: 'a folder of that name is in the way', remedy: 'move that folder away' },
  ENOENT: { reason: 'it or its folder is gone', remedy: 'put the run folder back' },
  EIO: { reason: 'the disk reported an I/O error', remedy: 'check the disk' },
  EMFILE: { reason: 'too many open files', remedy: 'close other programs' },
  ENFILE: { reason: 'too many open files', remedy: 'close other programs' },
  ENAMETOOLONG: { reason: 'the path is too long', remedy: 'choose a shorter runs folder' },
  EBUSY: { reason: 'it is busy', remedy: 'close what holds it' },
};

/**
 * A file of a run directory that could not be written (or created, read, removed): the one typed
 * error every write of src/runDir/ (and the trainer's checkpoints) turns an errno error into.
 * The message is one line: `cannot write <path>: the disk is full (ENOSPC)`.
 */
export class RunIoError extends Error {
  /** The errno code, e.g. ENOSPC. */
  readonly code: string;
  /** The code in words: "the disk is full". */
  readonly reason: string;
  /** What a person can do, as a verb phrase: "free space". */
  readonly remedy: string;

  constructor(
    readonly op: IoOp,
    readonly path: string,
    code: string,
    options?: { cause?: unknown },
  ) {
    const known = IO_CODES[code];
    const reason = known?.reason ?? ((options?.cause as Error | undefined)?.message.replace(/^E[A-Z0-9]+: /, '').replace(/, \w+( '.*')?$/, '') || 'an I/O error');
    super(`cannot ${op} ${path}: ${reason} (${code})`, options);
    this.code = code;
    this.reason = reason;
    this.remedy = known?.remedy ?? 'fix the cause';
  }

  /** Out of space: deleting something may let a last small write through. */
  get diskFull(): boolean {
    return this.code === 'ENOSPC' || this.code === 'EDQUOT';
  }
}

/** An errno error from node:fs (or any error carrying such a code). */
export function isErrnoError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && /^E[A-Z0-9]+$/.test((err as NodeJS.ErrnoException).code!);
}

/**
 * The error as a RunIoError: as it is when it is one, made from an errno error (naming `path`,
 * else the error's own path), undefined for anything else.
 */
export function toRunIoError(err: unknown, op: IoOp = 'write', path?: string): RunIoError | undefined {
  if (err instanceof RunIoError) return err;
  if (!isErrnoError(err)) return undefined;
  return new RunIoError(op, path ?? err.path ?? `(${err.syscall ?? 'a file'})`, err.code, { cause: err });
}

/** Runs `fn`, which works on `path`; an errno error becomes a RunIoError naming `path`. */
export function io<T>(op: IoOp, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toRunIoError(err, op, path) ?? err;
  }
}

/**
 * mkdir -p that names the real fault: Node's recursive mkdir reports ENOENT when it could not
 * make a missing parent (on a read-only file system, say), so the missing folders are then made
 * one by one for the error that stopped them.
 */
export function makeDirs(path: string): void {
  io('create', path, () => {
    try {
      mkdirSync(path, { recursive: true });
    } catch (err) {
      if (!isErrnoError(err) || err.code !== 'ENOENT') throw err;
      const missing: string[] = [];
      for (let p = path; !existsSync(p) && dirname(p) !== p; p = dirname(p)) missing.unshift(p);
      for (const p of missing) mkdirSync(p);
    }
  });
}

/** Runs `fn` and ignores any error: cleaning up after a fault, where a second fault changes nothing. */
export function bestEffort(fn: () => void): void {
  try {
    fn();
  } catch {
    // already failing; the first error is the one reported
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
}

// ------------------------------------------------------------------------------------------
// Atomic files and JSONL

let tmpCounter = 0;
/** Temporary files of atomic writes: `<name>.tmp-<pid>-<n>`. */
const TEMP_NAME = /\.tmp-\d+-\d+$/;

/**
 * Writes a file so that readers see the old or the new content, never a mix. A failed write
 * removes its temporary file (on a full disk that is space back) and throws RunIoError naming
 * `path`. The temporary is `<path>.tmp-<pid>-<n>`, or `<dir>/<tempBase>.tmp-<pid>-<n>` when the
 * file's own name must not show in it (a TensorBoard event file's "tfevents"); either way
 * removeStaleTemps knows it.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, tempBase?: string): void {
  const tmp = `${tempBase !== undefined ? join(dirname(path), tempBase) : path}.tmp-${process.pid}-${tmpCounter++}`;
  io('write', path, () => {
    try {
      const fd = openSync(tmp, 'w');
      try {
        writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (err) {
      bestEffort(() => rmSync(tmp, { force: true }));
      throw err;
    }
  });
}

/**
 * Overwrites an existing file in place, without a temporary file: the last resort for a small
 * file (run.json marked failed) when the disk is too full for the atomic write. Only done when the
 * content fits in the blocks the file already has, so the write needs no new space and cannot
 * stop half-way for lack of it; returns false (having changed nothing) when it does not fit.
 */
export function overwriteInPlace(path: string, data: string): boolean {
  const bytes = Buffer.from(data);
  return io('write', path, () => {
    const fd = openSync(path, 'r+');
    try {
      const st = fstatSync(fd);
      if (bytes.length > st.blocks * 512) return false;
      writeAll(fd, bytes);
      ftruncateSync(fd, bytes.length);
      fsyncSync(fd);
      return true;
    } finally {
      closeSync(fd);
    }
  });
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Appends one JSON line per record. A failed append cuts the file back to where it was, so it
 * leaves no torn line (and gives back what it took of a full disk), and throws RunIoError.
 */
export function appendJsonl(path: string, records: readonly unknown[]): void {
  if (records.length === 0) return;
  const data = Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  io('write', path, () => {
    const fd = openSync(path, 'a');
    try {
      const size = fstatSync(fd).size;
      try {
        writeAll(fd, data);
      } catch (err) {
        bestEffort(() => ftruncateSync(fd, size));
        throw err;
      }
    } finally {
      closeSync(fd);
    }
  });
}

/** Reads a JSONL file; a torn line (a kill mid-append) or a record the schema refuses is skipped. */
export function readJsonl<S extends v.GenericSchema>(path: string, schema: S): v.InferOutput<S>[] {
  if (!existsSync(path)) return [];
  const out: v.InferOutput<S>[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue; // torn line
    }
    const r = v.safeParse(schema, value);
    if (r.success) out.push(r.output);
  }
  return out;
}

/**
 * Rewrites a JSONL file keeping only the lines `keep` accepts (a resume drops what was logged
 * after its checkpoint), atomically.
 */
export function filterJsonl(path: string, keep: (value: unknown) => boolean): void {
  if (!existsSync(path)) return;
  const kept = io('read', path, () => readFileSync(path, 'utf8'))
    .split('\n')
    .filter((line) => {
      try {
        return keep(JSON.parse(line));
      } catch {
        return false;
      }
    });
  writeFileAtomic(path, kept.length ? `${kept.join('\n')}\n` : '');
}

/** Removes temporary files that a killed (or failed) writer left in `dir`. */
export function removeStaleTemps(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of io('read', dir, () => readdirSync(dir))) if (TEMP_NAME.test(name)) io('remove', join(dir, name), () => rmSync(join(dir, name), { force: true }));
}

/** Whether a name is an atomic write's temporary file. */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}
