/**
 * The field kinds every record and message is built from, with the one rule for numbers that
 * all receivers share (the trainer's IPC, the host's file readers and the webview used to
 * disagree on NaN):
 *
 * - identity numbers (steps, sizes, counts, ids) are integers, never NaN;
 * - a measure (a loss, a mean output, a speed) is a number, and a measure that was not finite when
 *   it was taken travels as `null` (JSON, which Node's IPC uses, has no NaN or Infinity) and is read
 *   back as NaN, so every receiver sees a gap the same way;
 * - other numbers (bounds, times) are finite.
 *
 * Validation is valibot: each schema is the one source of its type (`v.InferOutput`) and of its
 * check, and it runs under the webview's CSP (no eval).
 */
import * as v from 'valibot';

/** An integer ≥ 0: a step, a size, a count. */
export const count = v.custom<number>((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0, 'expected an integer ≥ 0');
/** An integer ≥ 1. */
export const positive = v.custom<number>((x) => typeof x === 'number' && Number.isInteger(x) && x >= 1, 'expected an integer ≥ 1');
/** Any integer (request ids). */
export const integer = v.custom<number>((x) => typeof x === 'number' && Number.isInteger(x), 'expected an integer');
/** A finite number. */
export const finite = v.custom<number>((x) => typeof x === 'number' && Number.isFinite(x), 'expected a finite number');
/** A measure: a number, NaN or null in, a number (NaN when it was not finite) out. */
export const measure = v.pipe(
  v.custom<number | null>((x) => x === null || typeof x === 'number', 'expected a number or null'),
  v.transform((x): number => (x === null ? NaN : x)),
);
export const text = v.string();

/** Run ids are folder names made by the trainer: a conservative set, so they are safe in paths and URLs. */
export const runId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,200}$/, 'expected a run id'));

/** Where an issue is, as code would write it: "runs[0].status". */
function pathOf(issue: v.BaseIssue<unknown>): string {
  return (issue.path ?? []).map((item, i) => (typeof item.key === 'number' ? `[${item.key}]` : `${i > 0 ? '.' : ''}${String(item.key)}`)).join('');
}

/** Problems found by a schema, as one line: "metrics[3].step: expected an integer ≥ 0". */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[], prefix = ''): string {
  // A value that is there but wrong says more than a field that is missing.
  const first = issues.find((i) => i.received !== 'undefined') ?? issues[0];
  if (!first) return 'invalid';
  let message = first.message;
  if (first.expected === 'Object') message = `not an object (got ${first.received})`;
  const path = pathOf(first);
  if (first.type === 'variant' && path === 'type') {
    if (Array.isArray(first.path?.[0]?.input)) return 'not an object (got an array)';
    return first.input === undefined ? 'no message type' : `unknown message type ${String(JSON.stringify(first.input)).slice(0, 60)}`;
  }
  const where = [prefix, path].filter(Boolean).join('.');
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${where ? `${where}: ` : ''}${message}${more}`;
}

/** The result every validator of this folder returns: the checked value, or why it was refused. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Runs a schema and words its verdict. */
export function check<S extends v.GenericSchema>(schema: S, value: unknown): Checked<v.InferOutput<S>> {
  const r = v.safeParse(schema, value);
  return r.success ? { ok: true, value: r.output } : { ok: false, reason: describeIssues(r.issues) };
}

/** Runs a message union's schema; a refusal names the message type first ("append.metrics[2].step: …"). */
export function checkMessage<S extends v.GenericSchema>(schema: S, value: unknown): Checked<v.InferOutput<S>> {
  const r = v.safeParse(schema, value);
  if (r.success) return { ok: true, value: r.output };
  const type = (value as { type?: unknown } | null)?.type;
  return { ok: false, reason: describeIssues(r.issues, typeof type === 'string' ? type.slice(0, 40) : '') };
}
