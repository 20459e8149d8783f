/**
 * How messages quote what came from a user's files: through printable() (control characters
 * escaped, long text cut), and with the invisible characters that reorder or hide text on a
 * terminal (bidi overrides, zero-width characters) escaped too, so that a quoted name reads as
 * what it is.
 */
import { printable } from './printable';

// Bidi embeddings, overrides and isolates, zero-width characters, the BOM.
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** Escapes the invisible formatting characters as \uXXXX. */
function visible(text: string): string {
  return text.replace(INVISIBLE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A piece of user text on one printable line of at most `max` characters. */
export function printableText(text: string, max = 200): string {
  return printable(visible(String(text)), max);
}

/**
 * A user string in double quotes: JSON-escaped (quotes, backslashes, control characters), then
 * made printable and cut inside the quotes to at most `max` characters.
 */
export function quote(text: string, max = 60): string {
  return `"${printableText(JSON.stringify(String(text)).slice(1, -1), max)}"`;
}

/** A whole message line, as a last defence: nothing in it can break the line or drive the terminal. */
export function printableLine(line: string, max = 2000): string {
  return printableText(line, max);
}
