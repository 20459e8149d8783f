/**
 * The text edits behind gan.json quick fixes, computed with jsonc-parser so the rest of the file
 * (formatting, key order) is untouched. vscode-free, so the fixes are unit-tested on plain text.
 */
import { applyEdits, modify, type FormattingOptions } from 'jsonc-parser';
import { pointerSegments } from '../../config/pointers';
import type { ConfigProblem } from '../../config/validateConfig';

export interface TextEditSpec {
  offset: number;
  length: number;
  content: string;
}

export interface ConfigFix {
  title: string;
  edits: TextEditSpec[];
  /** The one fix a person most likely wants (bound to Ctrl+. → Enter / "Fix all"). */
  preferred: boolean;
}

export const pointerToPath = pointerSegments;

const UNKNOWN_PROPERTY = /^is not a known property/;
const DID_YOU_MEAN = /did you mean "([^"]+)"\?/;

export function fixesFor(text: string, problem: ConfigProblem, formatting: FormattingOptions): ConfigFix[] {
  const fixes: ConfigFix[] = [];
  if (problem.fix) {
    const edits = modify(text, pointerToPath(problem.fix.path), problem.fix.value, { formattingOptions: formatting });
    if (edits.length) fixes.push({ title: problem.fix.title, edits, preferred: true });
  }
  if (UNKNOWN_PROPERTY.test(problem.message)) {
    const near = DID_YOU_MEAN.exec(problem.message)?.[1];
    // The problem's range is the key itself (quotes included), so a rename is one replacement.
    if (near && problem.offset !== undefined && problem.length !== undefined && text[problem.offset] === '"') {
      fixes.push({ title: `Rename to "${near}"`, edits: [{ offset: problem.offset, length: problem.length, content: JSON.stringify(near) }], preferred: true });
    }
    const edits = modify(text, pointerToPath(problem.path), undefined, { formattingOptions: formatting });
    if (edits.length) fixes.push({ title: `Remove "${pointerToPath(problem.path).at(-1)}"`, edits, preferred: false });
  }
  return fixes;
}

/** For tests and previews: the text after a fix. */
export function applyFix(text: string, fix: ConfigFix): string {
  return applyEdits(text, fix.edits);
}
