/**
 * Text quoted from a user's files, made safe to print on one line: control characters (newlines,
 * ANSI escapes, NUL…) become visible escapes, and long quotes are cut. Every message that quotes a
 * config value, a file name or a piece of a data file goes through this.
 */
// Matching control characters is the point here.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function escapeOne(ch: string): string {
  switch (ch) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
}

/** One printable line of at most `max` characters (an ellipsis marks a cut). */
export function printable(text: string, max = 200): string {
  const s = String(text).replace(CONTROL, escapeOne);
  return s.length > max ? `${s.slice(0, Math.max(1, max - 1))}…` : s;
}
