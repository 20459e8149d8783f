/**
 * How deep a gan.json may nest, checked before anything walks it recursively (jsonc-parser's
 * parseTree, Ajv, JSON.stringify, the locating of problems): a file of 20 000 nested arrays would
 * otherwise end in "Maximum call stack size exceeded". A real gan.json nests 5 levels at the most
 * (a sweep's list of optimizer objects); the limit leaves plenty of room above that.
 */
import { escapePointer } from './pointers';

export const MAX_NESTING = 64;

export interface TooDeep {
  /** Offset of the bracket that opens level MAX_NESTING + 1. */
  offset: number;
  /** Pointer of the top-level property the nesting is under ("" when the root itself is an array). */
  path: string;
}

/**
 * Scans JSON (or JSONC) text for brackets nested deeper than `max`, without recursion: strings
 * and comments are skipped, so brackets inside them do not count.
 */
export function tooDeepInText(text: string, max = MAX_NESTING): TooDeep | undefined {
  let depth = 0;
  // The first top-level key, for the problem's path: its string's start and end offsets.
  let topKey: [number, number] | undefined;
  let lastString: [number, number] | undefined;
  let rootIsObject = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x5c /* \ */) i++;
        else if (c === 0x22 || c === 0x0a) break;
      }
      lastString = [start, i];
    } else if (ch === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2f) {
      while (i < text.length && text.charCodeAt(i) !== 0x0a) i++;
    } else if (ch === 0x2f && text.charCodeAt(i + 1) === 0x2a /* * */) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (ch === 0x3a /* : */) {
      if (depth === 1 && lastString) topKey = lastString;
    } else if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
      depth++;
      if (depth === 1) {
        topKey = undefined;
        rootIsObject = ch === 0x7b;
      }
      if (depth > max) return { offset: i, path: topKey && rootIsObject ? pointerOfKey(text.slice(topKey[0], topKey[1] + 1)) : '' };
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

function pointerOfKey(quoted: string): string {
  try {
    return `/${escapePointer(String(JSON.parse(quoted)))}`;
  } catch {
    return '';
  }
}

/** Whether a parsed value nests deeper than `max` (an explicit stack: no recursion). */
export function tooDeepValue(value: unknown, max = MAX_NESTING): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
  }
  return false;
}
