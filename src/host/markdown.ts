/** Names from gan.json and run folders in Markdown tooltips: shown as text, never as markup or links. */
import { printable } from '../config/printable';

/** Escapes Markdown syntax, theme icons ("$(…)") and HTML, on one line. */
export function mdText(text: string, max = 120): string {
  return printable(text, max).replace(/[\\`*_{}[\]()#+\-.!|<>~$&]/g, '\\$&');
}
