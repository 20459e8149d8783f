/**
 * What a path names, following symbolic links: a regular file, a folder, nothing, a dangling link,
 * a link loop, a FIFO, a socket, a device, or something we may not read. The trainer decides this
 * before it opens anything (src/trainer/data/safeFiles.ts), and the editor's diagnostics say the
 * same about the paths in a gan.json.
 */
import { lstatSync, statSync, type Stats } from 'node:fs';
import type { FileKind } from '../config/validateConfig';

/** What a path names, following symbolic links. */
export function fileKindAt(path: string): FileKind {
  return statKind(path).kind;
}

/** What a path names, following symbolic links, with its stats when it exists. */
export function statKind(path: string): { kind: FileKind; stats?: Stats } {
  try {
    const stats = statSync(path);
    return { kind: kindOfStats(stats), stats };
  } catch (err) {
    return { kind: kindOfError(path, err) };
  }
}

export function kindOfStats(st: Stats): FileKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'device';
}

function kindOfError(path: string, err: unknown): FileKind {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return 'link-loop';
  if (code === 'EACCES' || code === 'EPERM') return 'unreadable';
  if (code === 'ENOENT') {
    // The path is there, but as a link to nothing.
    try {
      if (lstatSync(path).isSymbolicLink()) return 'dangling-link';
    } catch {
      // not there at all
    }
  }
  // ENOENT, ENOTDIR (a file where a folder should be), ENAMETOOLONG, a NUL byte in the path…
  return 'missing';
}

