/**
 * JSON pointers (RFC 6901) into a gan.json: how problems name a place, how a sweep names what it
 * varies, and how an override is written into a copy of a config.
 */

export function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A JSON pointer ("/training/batchSize") → the path segments jsonc-parser takes. */
export function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** The segments as object keys (a sweep never indexes into arrays). */
function keysOf(pointer: string): string[] {
  return pointerSegments(pointer).map(String);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A copy of `value` with `pointer` set to `to`, creating the objects on the way ("/training/ema"
 * in a config without a training block). The original is left alone.
 */
export function withValueAt(value: unknown, pointer: string, to: unknown): unknown {
  const keys = keysOf(pointer);
  if (keys.length === 0) return to;
  const root = cloneJson(value ?? {}) as { [key: string]: Json };
  let node = root;
  for (const key of keys.slice(0, -1)) {
    const next = ownValue(node, key);
    if (typeof next !== 'object' || next === null || Array.isArray(next)) setOwn(node, key, {});
    node = ownValue(node, key) as { [key: string]: Json };
  }
  setOwn(node, keys[keys.length - 1], cloneJson(to ?? null));
  return root;
}

/**
 * A deep copy of a parsed JSON value. Unlike a trip through JSON.stringify, it keeps a number
 * too large for a double (1e400 parses as Infinity) as it is, for the checks to name it, rather
 * than turning it into null. Callers limit the depth first (nesting.ts).
 */
export function cloneJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneJson);
  const out = {};
  for (const [k, v] of Object.entries(value)) setOwn(out, k, cloneJson(v));
  return out;
}

// A pointer is text from the user: "/__proto__/x" names a key like any other, never the prototype.
function ownValue(node: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(node, key) ? (node as Record<string, unknown>)[key] : undefined;
}

function setOwn(node: object, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
}

/** The value at `pointer`, or undefined. */
export function valueAt(value: unknown, pointer: string): unknown {
  let node = value;
  for (const key of keysOf(pointer)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = ownValue(node, key);
  }
  return node;
}
