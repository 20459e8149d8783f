/**
 * A run's TensorBoard event files, tb/events.out.tfevents.<unix seconds>.<host>.gan-studio: the
 * writer the trainer appends to while it trains, the reader, the rewrite a resume makes so that
 * curves join at the checkpoint, and the whole-file replacement of `gan-studio export-tb`.
 *
 * A file is a file_version event followed by summary events, each one TFRecord. The writer keeps
 * events in memory and appends them in one write per flush, so a kill leaves at worst one torn
 * record at the end, which TensorBoard (and readEventFile) ignores. Several files in tb/ are read
 * by TensorBoard in name order, which is time order: a resumed run adds a file after the old ones.
 * A write that fails (a full disk, a read-only file system) throws RunIoError naming the file,
 * like every write of the run directory, after cutting the file back to its last whole record.
 */
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RUN_FILES } from '../../protocol/runFormat';
import { bestEffort, io, removeStaleTemps, writeFileAtomic } from '../durableFiles';
import { decodeEvent, encodeEvent, FILE_VERSION, type TbEvent, type TbHistogram, type TbImage, type TbValue } from './eventProto';
import { frameRecord, scanRecords } from './tfRecord';

/** `events.out.tfevents.<seconds>.<host>.gan-studio`, the name TensorBoard looks for ("tfevents"). */
const EVENT_FILE = /^events\.out\.tfevents\.(\d+)\..*\.gan-studio$/;
/** Buffered events are written out once they reach this size, even between flushes… */
const MAX_BUFFER_BYTES = 1 << 20;
/** …or once the oldest of them is this old, so a slow run's curves still move in TensorBoard. */
const MAX_BUFFER_AGE_MS = 30_000;


export function tbDirOf(runDir: string): string {
  return join(runDir, RUN_FILES.tbDir);
}

export function eventFileName(seconds: number, host = hostname()): string {
  return `events.out.tfevents.${seconds}.${host.replace(/[^A-Za-z0-9_-]+/g, '_') || 'localhost'}.gan-studio`;
}

/** The event files in a tb/ folder, in the order TensorBoard reads them (by name). */
export function listEventFiles(tbDir: string): string[] {
  if (!existsSync(tbDir)) return [];
  return readdirSync(tbDir)
    .filter((name) => EVENT_FILE.test(name))
    .sort();
}

/**
 * Replaces `path` with `data` atomically. The temporary file is named without "tfevents" (so a
 * TensorBoard listing the folder meanwhile does not read it as a second copy).
 */
function replaceFile(path: string, data: Uint8Array): void {
  writeFileAtomic(path, data, '.events-rewrite');
}

function writeAll(fd: number, data: Uint8Array): void {
  for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Appends events to a new event file of a run. Create with TbWriter.open. */
export class TbWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private oldestPending = 0;
  private fd: number | undefined;
  /** Bytes in the file: where a failed write cuts it back to. */
  private size = 0;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Creates a new event file in the run's tb/ folder and writes its file_version event. Its
   * name's seconds are later than every file already there, so it sorts (and is read) last.
   */
  static open(runDir: string, nowMs = Date.now()): TbWriter {
    const dir = tbDirOf(runDir);
    io('create', dir, () => mkdirSync(dir, { recursive: true }));
    let seconds = Math.floor(nowMs / 1000);
    for (const name of listEventFiles(dir)) seconds = Math.max(seconds, Number(EVENT_FILE.exec(name)![1]) + 1);
    let path = join(dir, eventFileName(seconds));
    while (existsSync(path)) path = join(dir, eventFileName(++seconds));
    const writer = new TbWriter(path, io('create', path, () => openSync(path, 'wx')));
    writer.event({ wallTime: nowMs / 1000, step: 0, fileVersion: FILE_VERSION });
    writer.flush();
    return writer;
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  /** Bytes waiting for the next flush. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Buffers one event. */
  event(e: TbEvent): void {
    if (this.fd === undefined) return;
    const record = frameRecord(encodeEvent(e));
    if (this.pending.length === 0) this.oldestPending = Date.now();
    this.pending.push(record);
    this.pendingBytes += record.length;
  }

  /** Buffers one summary event holding `values`; nothing when there are none. */
  values(step: number, values: readonly TbValue[], wallTimeMs = Date.now()): void {
    if (values.length > 0) this.event({ wallTime: wallTimeMs / 1000, step, values: [...values] });
  }

  scalar(step: number, tag: string, value: number, wallTimeMs?: number): void {
    this.values(step, [{ tag, simpleValue: value }], wallTimeMs);
  }

  histogram(step: number, tag: string, histo: TbHistogram, wallTimeMs?: number): void {
    this.values(step, [{ tag, histo }], wallTimeMs);
  }

  image(step: number, tag: string, image: TbImage, wallTimeMs?: number): void {
    this.values(step, [{ tag, image }], wallTimeMs);
  }

  /** Flushes when the buffer is large or old; the run's own flush points come on top. */
  maybeFlush(): void {
    if (this.pendingBytes >= MAX_BUFFER_BYTES || (this.pending.length > 0 && Date.now() - this.oldestPending >= MAX_BUFFER_AGE_MS)) this.flush();
  }

  /**
   * Appends everything buffered in one write. When that fails, the file is cut back to its last
   * whole record (no torn record, and a full disk gets its space back) and RunIoError is thrown;
   * the events of that write are dropped.
   */
  flush(): void {
    const fd = this.fd;
    if (fd === undefined || this.pending.length === 0) return;
    const data = this.pending.length === 1 ? this.pending[0] : concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    io('write', this.path, () => {
      try {
        writeAll(fd, data);
      } catch (err) {
        bestEffort(() => ftruncateSync(fd, this.size));
        throw err;
      }
    });
    this.size += data.length;
  }

  /** Flushes and closes the file; later calls do nothing. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    try {
      this.flush();
    } finally {
      this.fd = undefined;
      io('write', this.path, () => closeSync(fd));
    }
  }
}

/** What one event file holds, as TensorBoard would read it. */
export interface EventFileRead {
  events: TbEvent[];
  /** Records skipped: their data failed its CRC, or it is not an Event. */
  corrupt: number;
  /** Bytes of a torn last record, ignored. */
  truncatedBytes: number;
  /** A length that fails its CRC: reading stopped there. */
  badLengthAt?: number;
}

/** Reads an event file's bytes: whole records only, each checked against both its CRCs. */
export function readEvents(bytes: Uint8Array): EventFileRead {
  const scan = scanRecords(bytes);
  const events: TbEvent[] = [];
  let corrupt = 0;
  for (const r of scan.records) {
    if (!r.dataCrcOk) {
      corrupt++;
      continue;
    }
    try {
      events.push(decodeEvent(r.data));
    } catch {
      corrupt++;
    }
  }
  return { events, corrupt, truncatedBytes: scan.truncatedBytes, ...(scan.badLengthAt !== undefined ? { badLengthAt: scan.badLengthAt } : {}) };
}

export function readEventFile(path: string): EventFileRead {
  return readEvents(readFileSync(path));
}

/**
 * A resume from the checkpoint of `fromStep`: every event file in tb/ keeps only its
 * file_version event and the events of steps up to `fromStep` (what the run logged after its
 * checkpoint belongs to an abandoned future, as in the JSONL logs), rewritten atomically. A torn
 * or corrupt record goes too; a file left without any summary is removed, and so are the
 * temporary files of a rewrite that a kill interrupted.
 */
export function truncateEventFiles(runDir: string, fromStep: number): void {
  const dir = tbDirOf(runDir);
  if (!existsSync(dir)) return;
  removeStaleTemps(dir);
  for (const name of listEventFiles(dir)) {
    const path = join(dir, name);
    const bytes = io('read', path, () => readFileSync(path));
    const scan = scanRecords(bytes);
    let changed = scan.truncatedBytes > 0 || scan.badLengthAt !== undefined;
    const kept: Uint8Array[] = [];
    let keptBytes = 0;
    let summaries = 0;
    for (const r of scan.records) {
      let e: TbEvent | undefined;
      try {
        e = r.dataCrcOk ? decodeEvent(r.data) : undefined;
      } catch {
        e = undefined;
      }
      if (e && (e.fileVersion !== undefined || e.step <= fromStep)) {
        // The record as it was framed: a copy of its bytes, CRCs and all.
        kept.push(bytes.subarray(r.offset, r.end));
        keptBytes += r.end - r.offset;
        if (e.fileVersion === undefined) summaries++;
      } else changed = true;
    }
    if (!changed) continue;
    if (summaries === 0) io('remove', path, () => rmSync(path, { force: true }));
    else replaceFile(path, concat(kept, keptBytes));
  }
}

/**
 * Replaces a run's event files with one new file holding `events` (after its file_version
 * event), written atomically, and returns its path. What `gan-studio export-tb` writes.
 */
export function replaceEventFiles(runDir: string, events: readonly TbEvent[], nowMs = Date.now()): string {
  const dir = tbDirOf(runDir);
  mkdirSync(dir, { recursive: true });
  removeStaleTemps(dir);
  const records = [frameRecord(encodeEvent({ wallTime: nowMs / 1000, step: 0, fileVersion: FILE_VERSION })), ...events.map((e) => frameRecord(encodeEvent(e)))];
  const path = join(dir, eventFileName(Math.floor(nowMs / 1000)));
  replaceFile(path, concat(records, records.reduce((n, r) => n + r.length, 0)));
  for (const name of listEventFiles(dir)) if (join(dir, name) !== path) rmSync(join(dir, name), { force: true });
  return path;
}
