/**
 * Files that survive a kill at any instant: whole files are written to a temporary name, synced
 * and renamed over the old one, so readers see the old or the new content and never a mix; JSONL
 * logs are appended a line at a time, and their readers drop a torn last line.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';

let tmpCounter = 0;
/** Temporary files of atomic writes: `<name>.tmp-<pid>-<n>`. */
const TEMP_NAME = /\.tmp-\d+-\d+$/;

/** Writes a file so that readers see the old or the new content, never a mix. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${tmpCounter++}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Appends one JSON line per record. */
export function appendJsonl(path: string, records: readonly unknown[]): void {
  if (records.length === 0) return;
  appendFileSync(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
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
  const kept = readFileSync(path, 'utf8')
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

/** Removes temporary files that a killed writer left in `dir`. */
export function removeStaleTemps(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) if (TEMP_NAME.test(name)) rmSync(join(dir, name), { force: true });
}
