/**
 * Parsing, schema validation, defaults and semantic checks for gan.json. Pure code: the editor's
 * diagnostics and `gan-studio validate` call the same functions, so a problem reads the same in both.
 */
import Ajv, { type ErrorObject } from 'ajv';
import { parseTree, findNodeAtLocation, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { isImageData, isToyData, lossUsesProbability, type GanConfig, type GanJson, type GanJsonWithDefaults, type SweepConfig } from './ganConfig';
import { ganSchema } from './ganSchema';
import { cloneJson, escapePointer, pointerSegments, withValueAt } from './pointers';
import { MAX_NESTING, tooDeepInText, tooDeepValue } from './nesting';
import { printableLine, printableText, quote } from './quote';

export { pointerSegments };

export interface ConfigProblem {
  /** JSON pointer of the offending value ("" for the whole document). */
  path: string;
  /** Text after the path: "must be ≥ 1 (got -4)". */
  message: string;
  severity: 'error' | 'warning';
  /**
   * Which check found it. The editor shows only `semantic` ones: VS Code's JSON service already
   * reports syntax and schema problems from the same schema (jsonValidation).
   */
  stage: 'syntax' | 'schema' | 'semantic';
  /** Character offset and length in the source text, when known. */
  offset?: number;
  length?: number;
  /** 1-based line and column, when known. */
  line?: number;
  column?: number;
  /** A replacement value that fixes the problem, for quick fixes. */
  fix?: { path: string; value: unknown; title: string };
}

export interface ValidationResult {
  config?: GanConfig;
  /** The sweep block with its defaults, when the gan.json has one and is valid. */
  sweep?: SweepConfig;
  problems: ConfigProblem[];
}

/**
 * What a path names, after following symbolic links: a regular file, a folder, nothing, or
 * something GAN Studio never opens (a FIFO would block the read forever, a device never ends).
 */
export type FileKind = 'file' | 'directory' | 'missing' | 'dangling-link' | 'link-loop' | 'fifo' | 'socket' | 'device' | 'unreadable';

export interface ValidateOptions {
  /** Resolves a path relative to the gan.json and tells what it is; default: no file checks. */
  fileExists?: (relativePath: string) => FileKind;
}

/** What a FileKind is, in words that fit "… is <this>". */
export function describeFileKind(kind: FileKind): string {
  switch (kind) {
    case 'file':
      return 'a file';
    case 'directory':
      return 'a folder';
    case 'missing':
      return 'missing';
    case 'dangling-link':
      return 'a symbolic link to something that does not exist';
    case 'link-loop':
      return 'a symbolic link loop (following it never ends)';
    case 'fifo':
      return 'a FIFO (named pipe), not a regular file';
    case 'socket':
      return 'a socket, not a regular file';
    case 'device':
      return 'a device, not a regular file';
    case 'unreadable':
      return 'not readable (permission denied)';
  }
}

let compiled: ReturnType<Ajv['compile']> | undefined;
/** One validator for the checks and the defaults: it fills them into the value it checks. */
function schemaValidator(): ReturnType<Ajv['compile']> {
  if (!compiled) {
    // strictNumbers: 1e400 parses as Infinity, which is no number a config can hold.
    const ajv = new Ajv({ allErrors: true, strict: false, strictNumbers: true, verbose: true, useDefaults: true });
    compiled = ajv.compile(ganSchema);
  }
  return compiled;
}

/**
 * One line per problem: `file:line:col: /json/path message`. The path and the message are made
 * printable here too: a key or a quote with a newline or an escape sequence cannot break the line.
 */
export function formatProblem(file: string, p: ConfigProblem): string {
  const where = p.line !== undefined ? `${file}:${p.line}:${p.column ?? 1}` : file;
  const path = p.path === '' ? '' : `${printableText(p.path, 120)} `;
  const prefix = p.severity === 'warning' ? 'warning: ' : '';
  return printableLine(`${where}: ${prefix}${path}${p.message}`);
}

/** At most this many problems are listed, then how many more there are. */
export const MAX_LISTED_PROBLEMS = 20;

/** The lines of formatProblem for a list of problems, cut after MAX_LISTED_PROBLEMS. */
export function formatProblems(file: string, problems: readonly ConfigProblem[], suffix = ''): string[] {
  const lines = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `${formatProblem(file, p)}${suffix}`);
  const more = problems.length - MAX_LISTED_PROBLEMS;
  if (more > 0) lines.push(`${printableLine(file)}: … and ${more} more problem${more === 1 ? '' : 's'}`);
  return lines;
}

/** Parses, validates, fills defaults and runs the semantic checks. */
export function validateConfigText(text: string, options: ValidateOptions = {}): ValidationResult {
  // A byte order mark is no mistake: read past it (a space keeps every offset where it was).
  if (text.charCodeAt(0) === 0xfeff) text = ` ${text.slice(1)}`;
  // Before anything walks the text recursively.
  const deep = tooDeepInText(text);
  if (deep) return { problems: locate(text, undefined, [nestingProblem(deep.path, deep.offset)]) };
  const parseErrors: ParseError[] = [];
  const tree = parseTree(text, parseErrors, { allowTrailingComma: false, disallowComments: true });
  if (parseErrors.length > 0 || !tree) {
    // Only the first error: the parser's recovery after it produces follow-on errors that are
    // not separate mistakes (a trailing comma reports both a missing name and a missing value).
    const problems: ConfigProblem[] = parseErrors.slice(0, 1).map((e) => syntaxProblem(text, e));
    if (problems.length === 0) problems.push({ path: '', message: 'is not valid JSON: expected an object', severity: 'error', stage: 'syntax', offset: 0, length: 1 });
    return { problems: locate(text, tree, problems) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { problems: [{ path: '', message: `is not valid JSON: ${(err as Error).message}`, severity: 'error', stage: 'syntax', line: 1, column: 1 }] };
  }
  const duplicates = duplicateKeys(tree);
  if (duplicates.length > 0) return { problems: locate(text, tree, duplicates) };
  const result = validateConfigValue(value, options);
  return { ...result, problems: locate(text, tree, result.problems) };
}

/**
 * Numbers too large for a double: JSON.parse reads 1e400 as Infinity, which no field can hold and
 * which JSON would write back as null. The value is at most MAX_NESTING deep here.
 */
function nonFiniteNumbers(value: unknown, path = '', out: ConfigProblem[] = []): ConfigProblem[] {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    out.push({ path, message: `is a number too large for a double (it reads as ${value}); use a finite number`, severity: 'error', stage: 'schema' });
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) nonFiniteNumbers(v, `${path}/${escapePointer(k)}`, out);
  }
  return out;
}

function nestingProblem(path: string, offset?: number): ConfigProblem {
  return {
    path,
    message: `nests arrays and objects more than ${MAX_NESTING} levels deep; a gan.json needs 5 at the most, so remove the extra brackets`,
    severity: 'error',
    // The editor shows it too: the JSON language server has no such limit to report.
    stage: 'semantic',
    ...(offset !== undefined ? { offset, length: 1 } : {}),
  };
}

/**
 * A key given twice in one object: JSON keeps the last silently, and a second "steps" far below
 * the first would train something the file does not seem to say. The tree is at most MAX_NESTING
 * deep here, so the walk may recurse.
 */
function duplicateKeys(tree: Node): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const walk = (node: Node, path: string) => {
    if (node.type === 'object') {
      const seen = new Map<string, Node>();
      for (const prop of node.children ?? []) {
        const [keyNode, valueNode] = prop.children ?? [];
        if (!keyNode) continue;
        const key = String(keyNode.value);
        const at = `${path}/${escapePointer(key)}`;
        const first = seen.get(key);
        if (first) {
          out.push({
            path: at,
            message: `is given twice in ${path === '' ? 'the file' : path} (JSON would keep only this one, silently); remove one of them`,
            severity: 'error',
            stage: 'syntax',
            offset: keyNode.offset,
            length: keyNode.length,
          });
        } else seen.set(key, keyNode);
        if (valueNode) walk(valueNode, at);
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((child, i) => walk(child, `${path}/${i}`));
    }
  };
  walk(tree, '');
  return out;
}

/**
 * Attaches line and column to problems found outside the parsing (a data file's, found when the
 * trainer reads it), from the gan.json's text: the same places validate points at.
 */
export function locateProblems(text: string, problems: ConfigProblem[]): ConfigProblem[] {
  if (text.charCodeAt(0) === 0xfeff) text = ` ${text.slice(1)}`;
  if (tooDeepInText(text)) return problems;
  return locate(text, parseTree(text, [], { allowTrailingComma: false, disallowComments: true }), problems);
}

/** Validation of an already parsed value (no source positions). */
export function validateConfigValue(value: unknown, options: ValidateOptions = {}): ValidationResult {
  // A value from --set or a sweep never went through the text's check.
  if (tooDeepValue(value)) return { problems: [nestingProblem('')] };
  const huge = nonFiniteNumbers(value);
  if (huge.length > 0) return { problems: huge };
  const filled = withDefaults(value);
  if (!filled) {
    const errors = schemaValidator().errors ?? [];
    const problems = dedupe(withoutBranchErrors(errors).filter((e) => e.keyword !== 'if' && e.keyword !== 'propertyNames').map((e) => ({ ...schemaProblem(e), stage: 'schema' as const })));
    return { problems };
  }
  const config = decideAuto(filled);
  const raw = value as GanJson;
  const problems = [...semanticProblems(config, raw, options), ...(raw.sweep ? sweepProblems(raw, options) : [])];
  if (problems.some((p) => p.severity === 'error')) return { problems };
  return { config, ...(filled.sweep ? { sweep: filled.sweep } : {}), problems };
}

function syntaxProblem(text: string, e: ParseError): ConfigProblem {
  const problem = (message: string, offset: number, length: number): ConfigProblem => ({
    stage: 'syntax',
    path: '',
    message: `is not valid JSON: ${message}`,
    severity: 'error',
    offset,
    length: Math.max(1, length),
  });
  if (text.trim() === '') return problem('the file is empty; expected an object such as {"data": {"type": "ring"}}', 0, 1);
  const code = printParseErrorCode(e.error);
  if ((code === 'PropertyNameExpected' || code === 'ValueExpected') && (text[e.offset] === '}' || text[e.offset] === ']')) {
    let i = e.offset - 1;
    while (i >= 0 && /\s/.test(text[i])) i--;
    if (text[i] === ',') return problem(`trailing comma before "${text[e.offset]}"; remove it`, i, 1);
  }
  if (code === 'InvalidSymbol' && text[e.offset] !== undefined) {
    const ch = text[e.offset];
    const hint = ch === "'" ? '; names and strings take double quotes' : '';
    return problem(`unexpected character ${quote(ch)}${hint}`, e.offset, e.length);
  }
  return problem(describeParseError(code), e.offset, e.length);
}

function describeParseError(code: string): string {
  const words: Record<string, string> = {
    InvalidSymbol: 'unexpected character',
    InvalidNumberFormat: 'invalid number',
    PropertyNameExpected: 'expected a property name in double quotes',
    ValueExpected: 'expected a value',
    ColonExpected: 'expected a colon',
    CommaExpected: 'expected a comma',
    CloseBraceExpected: 'expected "}"',
    CloseBracketExpected: 'expected "]"',
    EndOfFileExpected: 'expected the end of the file',
    InvalidCommentToken: 'comments are not allowed',
    UnexpectedEndOfComment: 'unterminated comment',
    UnexpectedEndOfString: 'unterminated string',
    UnexpectedEndOfNumber: 'unterminated number',
    InvalidUnicode: 'invalid unicode escape',
    InvalidEscapeCharacter: 'invalid escape character',
    InvalidCharacter: 'invalid character in string',
  };
  return words[code] ?? code;
}

/** A value quoted from the config in a message: JSON, printable, at most 40 characters. */
function show(value: unknown): string {
  // JSON would print a number too large for a double (1e400 reads as Infinity) as null.
  const s = typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
  if (s === undefined) return String(value);
  const safe = printableText(s, Infinity);
  return safe.length > 40 ? `${safe.slice(0, 37)}…` : safe;
}

/**
 * A value that fails every alternative of a oneOf/anyOf gets one error per alternative and one for
 * the choice; only the choice is kept, and schemaProblem words it from the alternatives.
 */
function withoutBranchErrors(errors: ErrorObject[]): ErrorObject[] {
  const choices = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.schemaPath);
  return errors.filter((e) => !choices.some((c) => e.schemaPath !== c && e.schemaPath.startsWith(`${c}/`)));
}

/** One alternative of a choice in words: "auto", an integer from 1 to 8. */
function describeAlternative(s: Record<string, unknown>): string {
  if ('const' in s) return show(s.const);
  if (Array.isArray(s.enum)) return s.enum.map(show).join(' or ');
  const type = typeof s.type === 'string' ? s.type : 'value';
  const article = /^[aeiou]/.test(type) ? 'an' : 'a';
  if (typeof s.minimum === 'number' && typeof s.maximum === 'number') return `${article} ${type} from ${s.minimum} to ${s.maximum}`;
  if (typeof s.minimum === 'number') return `${article} ${type} ≥ ${s.minimum}`;
  if (typeof s.maximum === 'number') return `${article} ${type} ≤ ${s.maximum}`;
  if (type === 'array' && typeof s.minItems === 'number') return `a list of at least ${s.minItems} value${s.minItems === 1 ? '' : 's'}`;
  if (type === 'object' && Array.isArray(s.required)) return `an object with ${s.required.map((k) => `"${String(k)}"`).join(' and ')}`;
  return `${article} ${type}`;
}

function schemaProblem(e: ErrorObject): Omit<ConfigProblem, 'stage'> {
  const path = e.instancePath;
  const got = ` (got ${show(e.data)})`;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path, message: `is missing the required property "${String(p.missingProperty)}"`, severity: 'error' };
    case 'additionalProperties': {
      const name = String(p.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      const near = closest(name, allowed);
      const hint = near ? `; did you mean "${near}"?` : allowed.length ? `; allowed: ${allowed.join(', ')}` : '';
      return {
        path: `${path}/${escapePointer(name)}`,
        message: `is not a known property${path ? ` of ${path}` : ''}${hint}`,
        severity: 'error',
      };
    }
    case 'type': {
      const t = String(p.type).replace(',', ' or ');
      const article = /^[aeiou]/.test(t) ? 'an' : 'a';
      return { path, message: `must be ${article} ${t}${got}`, severity: 'error' };
    }
    case 'enum':
      return {
        path,
        message: `must be one of ${(p.allowedValues as unknown[]).map(show).join(', ')}${got}`,
        severity: 'error',
      };
    case 'const':
      return { path, message: `must be ${show(p.allowedValue)}${got}`, severity: 'error' };
    case 'minimum':
      return { path, message: `must be ≥ ${String(p.limit)}${got}`, severity: 'error' };
    case 'maximum':
      return { path, message: `must be ≤ ${String(p.limit)}${got}`, severity: 'error' };
    case 'exclusiveMinimum':
      return { path, message: `must be > ${String(p.limit)}${got}`, severity: 'error' };
    case 'exclusiveMaximum':
      return { path, message: `must be < ${String(p.limit)}${got}`, severity: 'error' };
    case 'pattern': {
      // A property name that fails `propertyNames` (a sweep parameter that is not a pointer).
      const name = (e as { propertyName?: unknown }).propertyName;
      if (typeof name === 'string') return { path, message: `has ${quote(name)}, which is not a JSON pointer; write ${quote(`/${name}`)}`, severity: 'error' };
      const examples = (e.parentSchema as { examples?: unknown[] } | undefined)?.examples;
      return { path, message: examples?.length ? `must look like ${examples.map(show).join(' or ')}${got}` : `must match ${String(p.pattern)}${got}`, severity: 'error' };
    }
    case 'minProperties':
      return { path, message: `must have at least ${String(p.limit)} entr${p.limit === 1 ? 'y' : 'ies'}${got}`, severity: 'error' };
    case 'maxProperties':
      return { path, message: `must have at most ${String(p.limit)} entries (got ${Object.keys(e.data as object).length})`, severity: 'error' };
    case 'minItems':
      return { path, message: `must have at least ${String(p.limit)} item(s)${got}`, severity: 'error' };
    case 'maxItems':
      return { path, message: `must have at most ${String(p.limit)} item(s)${got}`, severity: 'error' };
    case 'uniqueItems':
      return { path, message: `must not repeat items${got}`, severity: 'error' };
    case 'minLength':
      return { path, message: `must not be empty${got}`, severity: 'error' };
    case 'maxLength':
      return { path, message: `must be at most ${String(p.limit)} characters long`, severity: 'error' };
    case 'oneOf':
    case 'anyOf': {
      const alternatives = (e.schema as Record<string, unknown>[] | undefined) ?? [];
      return { path, message: `must be ${alternatives.map(describeAlternative).join(' or ')}${got}`, severity: 'error' };
    }
    default:
      return { path, message: `${e.message ?? 'is invalid'}${got}`, severity: 'error' };
  }
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Attaches offsets and line/column from the syntax tree (the property key for unknown keys). */
function locate(text: string, tree: Node | undefined, problems: ConfigProblem[]): ConfigProblem[] {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const toLineCol = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo] + 1 };
  };
  return problems.map((p) => {
    let offset = p.offset;
    let length = p.length;
    if (offset === undefined && tree) {
      const segments = pointerSegments(p.path);
      let node = findNodeAtLocation(tree, segments);
      // An unknown property: point at its key. A missing one: fall back to the nearest parent.
      if (node?.parent?.type === 'property' && node.parent.children?.[0]) {
        const isKeyProblem = p.message.startsWith('is not a known property') || p.message.startsWith(NO_SUCH_FIELD);
        if (isKeyProblem) node = node.parent.children[0];
      }
      for (let n = segments.length; !node && n >= 0; n--) node = findNodeAtLocation(tree, segments.slice(0, n));
      node ??= tree;
      offset = node.offset;
      length = node.length;
    }
    if (offset === undefined) return p;
    return { ...p, offset, length, ...toLineCol(offset) };
  });
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return bestDist <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

// ---------------------------------------------------------------------------------------------
// Defaults: the schema's own, filled in by Ajv (useDefaults); code decides only what "auto" means.

/** Fills every default and decides every "auto" of the networks. Input must satisfy the schema. */
export function resolveConfig(raw: GanJson): GanConfig {
  const filled = withDefaults(raw);
  if (!filled) throw new Error('resolveConfig: the config does not satisfy the schema; validate it first');
  return decideAuto(filled);
}

/** A copy of a config with the schema's defaults filled in, or undefined when it fails the schema. */
function withDefaults(value: unknown): GanJsonWithDefaults | undefined {
  const copy: unknown = value === undefined ? undefined : cloneJson(value);
  return schemaValidator()(copy) ? (copy as GanJsonWithDefaults) : undefined;
}

/** "auto" presets follow the data; "auto" outputs follow the data's normalisation and the loss. */
function decideAuto(c: GanJsonWithDefaults): GanConfig {
  const { $schema: _schema, sweep: _sweep, ...rest } = c;
  const image = isImageData(c.data);
  const preset = (p: 'auto' | 'mlp' | 'dcgan') => (p === 'auto' ? (image ? 'dcgan' : 'mlp') : p);
  const g = c.generator;
  const d = c.discriminator;
  const imageOut = c.data.normalize === 'unit' ? 'sigmoid' : 'tanh';
  return {
    ...rest,
    generator: { ...g, preset: preset(g.preset), outputActivation: g.outputActivation === 'auto' ? (image ? imageOut : 'linear') : g.outputActivation },
    discriminator: { ...d, preset: preset(d.preset), outputActivation: d.outputActivation === 'auto' ? (lossUsesProbability(c.loss.type) ? 'sigmoid' : 'linear') : d.outputActivation },
  };
}

/** The resolved config as a run stores it (config.json): itself a valid gan.json that resolves to the same config. */
export function serializeResolvedConfig(config: GanConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Semantic checks: what the schema cannot say.

/** Control and text-direction characters: a name holding one prints as something else. */
// Matching control characters is the point here.
// eslint-disable-next-line no-control-regex
const GARBLING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * The most weights one network may have: 2^26 float32s are 256 MB, and training holds as much
 * again for the gradients and for each of Adam's two moments.
 */
export const MAX_NETWORK_WEIGHTS = 2 ** 26;
/** The most values the layers of G and D may hold in one training step (batch × per sample): 2 GB. */
export const MAX_STEP_ACTIVATIONS = 2 ** 29;

/** What the networks see of the data: the length of a sample, and its image shape. */
export interface DataShape {
  dim: number;
  imageShape?: [number, number, number];
}

/** The data's shape as the config alone tells it; undefined for a CSV without "columns". */
function dataShapeOf(c: GanConfig): DataShape | undefined {
  if (isToyData(c.data)) return { dim: 2 };
  if (c.data.type === 'mnist') return { dim: 784, imageShape: [28, 28, 1] };
  if (c.data.type === 'imageFolder') return { dim: c.data.size * c.data.size * c.data.channels, imageShape: [c.data.size, c.data.size, c.data.channels] };
  return c.data.columns ? { dim: c.data.columns.length } : undefined;
}

/** Weights and per-sample layer outputs of a stack of dense layers. */
function denseStack(input: number, hidden: readonly number[], output: number): { weights: number; activations: number } {
  let weights = 0;
  let prev = input;
  for (const units of [...hidden, output]) {
    weights += prev * units + units;
    prev = units;
  }
  // A hidden layer's output, its batch norm's and its activation's.
  return { weights, activations: input + 3 * hidden.reduce((a, b) => a + b, 0) + output };
}

/** The sizes of the two networks models.ts builds for this config and data (estimates within a few %). */
function networkSizes(c: GanConfig, shape: DataShape): { g: { weights: number; activations: number }; d: { weights: number; activations: number } } {
  const [h, w, ch] = shape.imageShape ?? [0, 0, 0];
  const g = c.generator;
  const d = c.discriminator;
  const gSize =
    g.preset === 'dcgan' && shape.imageShape
      ? {
          weights: g.latentDim * (h / 4) * (w / 4) * g.filters + 25 * g.filters * Math.ceil(g.filters / 2) + 25 * Math.ceil(g.filters / 2) * ch,
          activations: 3 * ((h / 4) * (w / 4) * g.filters + (h / 2) * (w / 2) * Math.ceil(g.filters / 2)) + h * w * ch,
        }
      : denseStack(g.latentDim, g.hidden, shape.dim);
  const dSize =
    d.preset === 'dcgan' && shape.imageShape
      ? {
          weights: 25 * ch * d.filters + 25 * d.filters * 2 * d.filters + Math.ceil(h / 4) * Math.ceil(w / 4) * 2 * d.filters + 1,
          activations: h * w * ch + 3 * (Math.ceil(h / 2) * Math.ceil(w / 2) * d.filters + Math.ceil(h / 4) * Math.ceil(w / 4) * 2 * d.filters),
        }
      : denseStack(shape.dim, d.hidden, 1);
  return { g: gSize, d: dSize };
}

function inWords(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} billion`;
  if (n >= 1e6) return `${Math.round(n / 1e6)} million`;
  return String(Math.round(n));
}

/**
 * Networks too large to train here: rejected before the trainer would run out of memory. The
 * trainer checks a CSV's networks again once it knows how many columns the file has.
 */
export function sizeProblems(c: GanConfig, shape: DataShape): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const { g, d } = networkSizes(c, shape);
  const across = shape.imageShape ? `${shape.imageShape.join('×')} images` : `data of ${shape.dim} value${shape.dim === 1 ? '' : 's'} per sample`;
  for (const [net, size] of [['generator', g], ['discriminator', d]] as const) {
    if (size.weights <= MAX_NETWORK_WEIGHTS) continue;
    const field = c[net].preset === 'dcgan' ? 'filters' : 'hidden';
    out.push({
      path: `/${net}/${field}`,
      message: `makes a ${net} of ${inWords(size.weights)} weights for ${across}, more than the ${inWords(MAX_NETWORK_WEIGHTS)} GAN Studio trains; use ${field === 'filters' ? 'fewer filters' : 'fewer or narrower hidden layers'}${shape.imageShape ? ' or a smaller image size' : ''}`,
      severity: 'error',
      stage: 'semantic',
    });
  }
  if (out.length > 0) return out;
  // D sees a real and a generated batch each step.
  const perSample = g.activations + 2 * d.activations;
  const batch = c.training.batchSize;
  if (batch * perSample > MAX_STEP_ACTIVATIONS) {
    const fits = Math.floor(MAX_STEP_ACTIVATIONS / perSample);
    out.push({
      path: '/training/batchSize',
      message: `is ${batch}, so one step would hold about ${inWords(batch * perSample)} values in the layers of G and D (${inWords(perSample)} per sample), more than the ${inWords(MAX_STEP_ACTIVATIONS)} GAN Studio allows; ${fits >= 1 ? `use a batchSize of at most ${fits}` : 'use smaller networks or images'}`,
      severity: 'error',
      stage: 'semantic',
      ...(fits >= 1 ? { fix: { path: '/training/batchSize', value: fits, title: `Use batch size ${fits}` } } : {}),
    });
  }
  return out;
}

function semanticProblems(c: GanConfig, raw: GanJson, options: ValidateOptions): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const err = (path: string, message: string, fix?: ConfigProblem['fix']) => out.push({ path, message, severity: 'error', stage: 'semantic', fix });
  const warn = (path: string, message: string, fix?: ConfigProblem['fix']) => out.push({ path, message, severity: 'warning', stage: 'semantic', fix });
  const image = isImageData(c.data);
  const critic = !lossUsesProbability(c.loss.type);

  if (!image) {
    for (const net of ['generator', 'discriminator'] as const) {
      if (c[net].preset === 'dcgan') {
        err(`/${net}/preset`, `"dcgan" needs image data, but /data/type is "${c.data.type}"; use "mlp"`, {
          path: `/${net}/preset`,
          value: 'mlp',
          title: 'Use the mlp preset',
        });
      }
    }
  }
  if (c.data.type === 'imageFolder' && (c.generator.preset === 'dcgan' || c.discriminator.preset === 'dcgan') && c.data.size % 4 !== 0) {
    const fixed = Math.max(4, Math.round(c.data.size / 4) * 4);
    err('/data/size', `must be a multiple of 4 for the dcgan preset, which upsamples twice by 2 (got ${c.data.size}); try ${fixed}`, {
      path: '/data/size',
      value: fixed,
      title: `Use size ${fixed}`,
    });
  }
  if ((c.loss.type === 'wasserstein-gp' || c.loss.type === 'hinge') && c.discriminator.outputActivation === 'sigmoid') {
    err('/discriminator/outputActivation', `must be "linear" for the ${c.loss.type} loss: a critic's score is unbounded, a sigmoid squashes it`, {
      path: '/discriminator/outputActivation',
      value: 'linear',
      title: 'Use a linear critic output',
    });
  }
  if (lossUsesProbability(c.loss.type) && c.discriminator.outputActivation === 'linear') {
    err('/discriminator/outputActivation', `must be "sigmoid" for the ${c.loss.type} loss, which reads D's output as a probability`, {
      path: '/discriminator/outputActivation',
      value: 'sigmoid',
      title: 'Use a sigmoid output',
    });
  }
  if (c.loss.type === 'wasserstein-gp' && c.discriminator.batchNorm) {
    err('/discriminator/batchNorm', 'must be false with wasserstein-gp: the gradient penalty is per sample and batch norm mixes samples', {
      path: '/discriminator/batchNorm',
      value: false,
      title: 'Turn off batch norm in the critic',
    });
  }
  if (raw.loss?.gradientPenalty !== undefined && c.loss.type !== 'wasserstein-gp') {
    warn('/loss/gradientPenalty', `is only used by the wasserstein-gp loss; it has no effect with "${c.loss.type}"`);
  }
  const schedule = raw.training?.learningRateSchedule;
  if (c.training.learningRateSchedule.type === 'constant') {
    for (const key of ['decayFrom', 'final'] as const) {
      if (schedule?.[key] !== undefined) warn(`/training/learningRateSchedule/${key}`, 'has no effect with the "constant" schedule; set "type" to "linear" or "cosine"');
    }
  }
  if (c.training.labelSmoothing > 0 && critic) {
    warn('/training/labelSmoothing', `has no effect with the ${c.loss.type} loss, which has no labels`);
  }
  if (image) {
    const norm = c.data.normalize;
    const out = c.generator.outputActivation;
    if ((norm === 'tanh' && out === 'sigmoid') || (norm === 'unit' && out === 'tanh')) {
      const want = norm === 'tanh' ? 'tanh' : 'sigmoid';
      err('/generator/outputActivation', `"${out}" cannot produce pixels normalised as "${norm}" ([${norm === 'tanh' ? '-1, 1' : '0, 1'}]); use "${want}"`, {
        path: '/generator/outputActivation',
        value: want,
        title: `Use ${want}`,
      });
    }
  }
  if (c.logging.metricsEvery > c.training.steps) {
    warn('/logging/metricsEvery', `is larger than /training/steps (${c.training.steps}), so no metrics would be logged before the end`);
  }
  if ((c.data.type === 'mnist' || c.data.type === 'imageFolder') && c.data.limit !== undefined && c.data.limit < c.training.batchSize) {
    err('/data/limit', `must be at least /training/batchSize (${c.training.batchSize}) (got ${c.data.limit})`);
  }
  if ((c.data.type === 'imageFolder' || c.data.type === 'csv') && options.fileExists) {
    const kind = options.fileExists(c.data.path);
    const want = c.data.type === 'imageFolder' ? 'directory' : 'file';
    const wanted = want === 'directory' ? 'folder of images' : 'CSV file';
    const path = quote(c.data.path);
    if (kind === 'missing') {
      err('/data/path', `${path} does not exist (paths are relative to the gan.json); create it or point to an existing ${wanted}`);
    } else if (kind === 'directory' || kind === 'file') {
      if (kind !== want) err('/data/path', `${path} is a ${kind === 'directory' ? 'directory' : 'file'}, but ${c.data.type} needs a ${want === 'directory' ? 'folder' : 'file'}`);
    } else {
      const fix = kind === 'dangling-link' || kind === 'link-loop' ? 'fix the link, or point to' : kind === 'unreadable' ? 'make it readable, or point to' : 'point to';
      err('/data/path', `${path} is ${describeFileKind(kind)}; ${fix} a ${wanted}`);
    }
  }
  if (c.data.type === 'csv' && !c.data.header) {
    c.data.columns?.forEach((col, i) => {
      if (typeof col === 'string') err(`/data/columns/${i}`, `names a column (${quote(col)}), but /data/header is false, so the columns have no names; use its 0-based index, or set /data/header to true`);
    });
  }
  if (GARBLING.test(c.name)) {
    err('/name', `${quote(c.name)} holds a control or text-direction character, which would garble it in titles and listings; use visible characters only`);
  }
  // The dcgan generator halves its filters once (models.ts): an odd count has no half.
  if (image && c.generator.preset === 'dcgan' && c.generator.filters > 1 && c.generator.filters % 2 !== 0) {
    const fixed = c.generator.filters + 1 <= 1024 ? c.generator.filters + 1 : c.generator.filters - 1;
    err('/generator/filters', `must be even for the dcgan generator, which halves it once (got ${c.generator.filters}); try ${fixed}`, {
      path: '/generator/filters',
      value: fixed,
      title: `Use ${fixed} filters`,
    });
  }
  const shape = dataShapeOf(c);
  if (shape) out.push(...sizeProblems(c, shape));
  if (isToyData(c.data) && c.generator.outputActivation !== 'linear' && c.data.scale > 1 && c.data.normalize === 'none') {
    warn('/generator/outputActivation', `"${c.generator.outputActivation}" bounds G's output, but the data reaches ±${c.data.scale}; use "linear" or normalize the data`, {
      path: '/generator/outputActivation',
      value: 'linear',
      title: 'Use a linear output',
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The sweep block: what the schema cannot say about it.

const NO_SUCH_FIELD = 'names no config field';
/** Trials of one grid at the most: beyond that, a sweep is a mistake more often than a plan. */
export const MAX_GRID_TRIALS = 1000;

type SchemaNode = { $ref?: string; properties?: Record<string, unknown>; allOf?: { then?: SchemaNode }[] };

/** The schema of the config field a pointer names, or undefined when it names none. */
function schemaAt(pointer: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = ganSchema;
  const defs = (ganSchema as unknown as { definitions: Record<string, SchemaNode> }).definitions;
  for (const key of pointerSegments(pointer).map(String)) {
    if (!node) return undefined;
    if (node.$ref) node = defs[node.$ref.split('/').pop()!];
    const here: Record<string, unknown> = { ...(node?.properties ?? {}) };
    // Data fields live in the branches of the data schema, one per data type.
    for (const branch of node?.allOf ?? []) Object.assign(here, branch.then?.properties ?? {});
    // Own keys only: "/constructor" or "/__proto__" name no field.
    const next = Object.prototype.hasOwnProperty.call(here, key) ? here[key] : undefined;
    node = typeof next === 'object' && next !== null ? (next) : next === true ? {} : undefined;
  }
  return node;
}

/** The fields a pointer could have meant: the known keys under its parent. */
function fieldsNear(pointer: string): string[] {
  const parent = pointer.slice(0, pointer.lastIndexOf('/'));
  const node = parent === '' ? (ganSchema as unknown as SchemaNode) : schemaAt(parent);
  if (!node) return [];
  const defs = (ganSchema as unknown as { definitions: Record<string, SchemaNode> }).definitions;
  const target = node.$ref ? defs[node.$ref.split('/').pop()!] : node;
  const keys = new Set(Object.keys(target?.properties ?? {}));
  for (const branch of target?.allOf ?? []) for (const k of Object.keys(branch.then?.properties ?? {})) keys.add(k);
  return [...keys].map((k) => `${parent}/${escapePointer(k)}`);
}

/** The config a trial trains: the gan.json without its sweep block, with the trial's values set. */
export function trialConfig(raw: GanJson, overrides: Readonly<Record<string, unknown>>): GanJson {
  const { sweep: _sweep, ...base } = raw;
  let out: unknown = base;
  for (const [pointer, value] of Object.entries(overrides)) out = withValueAt(out, pointer, value);
  return out as GanJson;
}

/** Checks that the sweep names real fields, and that each value it gives them makes a valid config. */
function sweepProblems(raw: GanJson, options: ValidateOptions): ConfigProblem[] {
  const sweep = raw.sweep!;
  const out: ConfigProblem[] = [];
  const err = (path: string, message: string) => out.push({ path, message, severity: 'error', stage: 'semantic' });
  const method = sweep.method ?? 'grid';
  if (method === 'random' && sweep.count === undefined) err('/sweep', 'needs "count" with the random method: how many trials to draw');
  if (method === 'grid' && sweep.count !== undefined) out.push({ path: '/sweep/count', message: 'is only used by the random method; a grid trains every combination', severity: 'warning', stage: 'semantic' });
  let combinations = 1;
  for (const values of Object.values(sweep.parameters)) if (Array.isArray(values)) combinations *= values.length;
  // A grid that is too large anyway is not worth checking value by value (64 lists of 1000).
  const checkValues = method !== 'grid' || combinations <= MAX_GRID_TRIALS;
  for (const [pointer, values] of Object.entries(sweep.parameters)) {
    const at = `/sweep/parameters/${escapePointer(pointer)}`;
    if (pointer === '/sweep' || pointer.startsWith('/sweep/') || pointer === '/$schema' || !schemaAt(pointer)) {
      const near = closest(pointer, fieldsNear(pointer));
      err(at, `${NO_SUCH_FIELD}: ${quote(pointer)} is not a field of a gan.json${near ? `; did you mean ${quote(near)}?` : ''}`);
      continue;
    }
    // Each value on its own, on top of the rest of the config, must make a config that trains.
    const checked = new Set<string>();
    const check = (value: unknown, where: string) => {
      const key = JSON.stringify(value) ?? 'undefined';
      if (!checkValues || checked.has(key)) return;
      checked.add(key);
      const r = validateConfigValue(trialConfig(raw, { [pointer]: value }), options);
      const first = r.problems.find((p) => p.severity === 'error');
      if (first) err(where, `${show(value)} does not make a valid config: ${first.path ? `${first.path} ` : ''}${first.message}`);
    };
    if (Array.isArray(values)) {
      values.forEach((value, i) => check(value, `${at}/${i}`));
    } else {
      if (method === 'grid') {
        err(at, 'is a range, which only the random method can draw from; give a list of values, or set "method": "random"');
        continue;
      }
      if (!(values.min < values.max)) err(`${at}/max`, `must be above min (${values.min}) (got ${values.max})`);
      else if (values.log && values.min <= 0) err(`${at}/min`, `must be > 0 for a log range (got ${values.min})`);
      else for (const end of ['min', 'max'] as const) check(values.integer ? Math.round(values[end]) : values[end], `${at}/${end}`);
    }
  }
  if (method === 'grid' && combinations > MAX_GRID_TRIALS) err('/sweep/parameters', `make ${combinations} trials, more than ${MAX_GRID_TRIALS}; use fewer values or the random method`);
  return out;
}
