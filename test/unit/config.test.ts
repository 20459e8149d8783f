/** gan.json parsing, schema checks, locations, defaults and semantic checks (no CLI, no files). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import schema from '../../schemas/gan.schema.json';
import {
  MAX_LISTED_PROBLEMS,
  formatProblem,
  formatProblems,
  sizeProblems,
  resolveConfig,
  validateConfigText,
  validateConfigValue,
  type ConfigProblem,
  type ValidateOptions,
  serializeResolvedConfig,
} from '../../src/config/validateConfig';
import type { GanConfig, GanJson, ToyData } from '../../src/config/ganConfig';
import { toyModes } from '../../src/trainer/data/toy2d';
import { MAX_NESTING, tooDeepInText, tooDeepValue } from '../../src/config/nesting';
import { valueAt, withValueAt } from '../../src/config/pointers';
import { printableText, quote } from '../../src/config/quote';

const ROOT = process.env.GAN_STUDIO_ROOT ?? resolve(__dirname, '../../..');

function errorsOf(text: string, options?: ValidateOptions): ConfigProblem[] {
  return validateConfigText(text, options).problems.filter((p) => p.severity === 'error');
}

/** The single problem of a text that must have exactly one. */
function onlyProblem(text: string, options?: ValidateOptions): ConfigProblem {
  const { problems } = validateConfigText(text, options);
  assert.equal(problems.length, 1, JSON.stringify(problems, null, 2));
  return problems[0];
}

/** 1-based line/column of the first occurrence of `needle` in `text`. */
function lineColOf(text: string, needle: string, nth = 0): { line: number; column: number; offset: number } {
  let offset = -1;
  for (let i = 0; i <= nth; i++) offset = text.indexOf(needle, offset + 1);
  assert.ok(offset >= 0, `${needle} not in text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1, offset };
}

// ------------------------------------------------------------------------------------------
// Locations

test('a schema error is located at the offending value, 1-based line and column', () => {
  const text = '{\n  "data": { "type": "ring" },\n  "training": {\n    "batchSize": -4\n  }\n}\n';
  const p = onlyProblem(text);
  assert.equal(p.path, '/training/batchSize');
  assert.equal(p.message, 'must be ≥ 1 (got -4)');
  assert.equal(p.severity, 'error');
  const at = lineColOf(text, '-4');
  assert.deepEqual([p.line, p.column, p.offset, p.length], [4, 18, at.offset, 2]);
  assert.equal(at.line, 4);
  assert.equal(at.column, 18);
});

test('an unknown key is located at the key itself, not its value, with a did-you-mean', () => {
  const text = '{\n  "data": {\n    "type": "ring",\n    "nosie": 0.1\n  }\n}';
  const p = onlyProblem(text);
  assert.equal(p.path, '/data/nosie');
  assert.equal(p.message, 'is not a known property of /data; did you mean "noise"?');
  assert.equal(text.slice(p.offset, p.offset! + p.length!), '"nosie"');
  assert.deepEqual([p.line, p.column], [4, 5]);
});

test('unknown keys are found at every level, each pointing at its own key', () => {
  const cases: [string, string, string][] = [
    ['{"data":{"type":"ring"},"trainig":{}}', '/trainig', 'is not a known property; did you mean "training"?'],
    ['{"data":{"type":"ring"},"generator":{"latentDims":2}}', '/generator/latentDims', 'is not a known property of /generator; did you mean "latentDim"?'],
    ['{"data":{"type":"ring"},"discriminator":{"dropOut":0.1}}', '/discriminator/dropOut', 'is not a known property of /discriminator; did you mean "dropout"?'],
    ['{"data":{"type":"ring"},"loss":{"typ":"hinge"}}', '/loss/typ', 'is not a known property of /loss; did you mean "type"?'],
    [
      '{"data":{"type":"ring"},"training":{"generatorOptimizer":{"lr":0.1}}}',
      '/training/generatorOptimizer/lr',
      'is not a known property of /training/generatorOptimizer; allowed: type, learningRate, beta1, beta2, momentum',
    ],
    ['{"data":{"type":"ring"},"logging":{"metricEvery":5}}', '/logging/metricEvery', 'is not a known property of /logging; did you mean "metricsEvery"?'],
    ['{"data":{"type":"csv","path":"a.csv","colums":[0]}}', '/data/colums', 'is not a known property of /data; did you mean "columns"?'],
    ['{"data":{"type":"mnist","split":"test","size":28}}', '/data/size', 'is not a known property of /data; allowed: type, digits, split, limit, normalize'],
  ];
  for (const [text, path, message] of cases) {
    const p = onlyProblem(text);
    assert.equal(p.path, path, text);
    assert.equal(p.message, message, text);
    const key = path.split('/').pop()!;
    assert.equal(text.slice(p.offset, p.offset! + p.length!), `"${key}"`, text);
    assert.equal(p.column, text.indexOf(`"${key}"`) + 1, text);
  }
});

test('a key with a slash is escaped in the JSON pointer and still located', () => {
  const text = '{"data":{"type":"ring"},"a/b~c":1}';
  const p = onlyProblem(text);
  assert.equal(p.path, '/a~1b~0c');
  assert.equal(text.slice(p.offset, p.offset! + p.length!), '"a/b~c"');
});

test('a missing required property is located at the object that lacks it', () => {
  const text = '{\n  "data": { "type": "csv" }\n}';
  const p = onlyProblem(text);
  assert.equal(p.path, '/data');
  assert.equal(p.message, 'is missing the required property "path"');
  assert.deepEqual([p.line, p.column], [2, 11]);
  const root = onlyProblem('{ "seed": 1 }');
  assert.deepEqual([root.path, root.message, root.line, root.column], ['', 'is missing the required property "data"', 1, 1]);
});

test('a data object without a type gives the one missing-type problem', () => {
  // Not also "path is missing" and "noise is not allowed" from every data branch at once.
  const text = '{"data": {"noise": 0.1}}';
  const p = onlyProblem(text);
  assert.deepEqual([p.path, p.message, p.column], ['/data', 'is missing the required property "type"', 10]);
});

test('an array item error points at the item', () => {
  const text = '{"data":{"type":"mnist","digits":[1, 2, 12]}}';
  const p = onlyProblem(text);
  assert.equal(p.path, '/data/digits/2');
  assert.equal(p.message, 'must be ≤ 9 (got 12)');
  assert.equal(p.column, text.indexOf('12') + 1);
});

test('several independent errors are all reported', () => {
  const text = '{"seed": -1, "data": {"type": "ring"}, "training": {"steps": "many"}, "backend": "gpu"}';
  const paths = errorsOf(text).map((p) => p.path).sort();
  assert.deepEqual(paths, ['/backend', '/seed', '/training/steps']);
});

test('messages say what is wrong and show the value', () => {
  const cases: [string, string, string][] = [
    ['{"data":{"type":"ring"},"seed":"7"}', '/seed', 'must be an integer (got "7")'],
    ['{"data":{"type":"ring"},"generator":{"batchNorm":1}}', '/generator/batchNorm', 'must be a boolean (got 1)'],
    ['{"data":{"type":"ring"},"training":{"ema":1}}', '/training/ema', 'must be < 1 (got 1)'],
    ['{"data":{"type":"ring"},"training":{"generatorOptimizer":{"learningRate":0}}}', '/training/generatorOptimizer/learningRate', 'must be > 0 (got 0)'],
    ['{"data":{"type":"ring"},"logging":{"sampleGrid":[8]}}', '/logging/sampleGrid', 'must have at least 2 item(s) (got [8])'],
    ['{"data":{"type":"mnist","digits":[3,3]}}', '/data/digits', 'must not repeat items (got [3,3])'],
    ['{"data":{"type":"ring"},"name":""}', '/name', 'must not be empty (got "")'],
    ['{"data":{"type":"ring"},"loss":{"type":"wgan"}}', '/loss/type', 'must be one of "non-saturating", "minimax", "wasserstein-gp", "least-squares", "hinge" (got "wgan")'],
    ['{"data":{"type":"csv","path":"a.csv","columns":[true]}}', '/data/columns/0', 'must be a string or integer (got true)'],
    ['[]', '', 'must be an object (got [])'],
  ];
  for (const [text, path, message] of cases) {
    const p = onlyProblem(text);
    assert.deepEqual([p.path, p.message], [path, message], text);
  }
});

test('long values are shortened in messages', () => {
  const long = 'x'.repeat(100);
  const p = onlyProblem(`{"data":{"type":"ring"},"backend":"${long}"}`);
  assert.match(p.message, /\(got "x{36}…\)$/);
});

// ------------------------------------------------------------------------------------------
// Syntax errors: one problem, at the first mistake

test('syntax errors give one problem at the first mistake', () => {
  const cases: [string, string, number, number][] = [
    ['{\n  "data": { "type": "ring" }\n  "seed": 1\n}', 'is not valid JSON: expected a comma', 3, 3],
    ['{\n  "data": { "type": "ring", },\n  "seed": 1\n}', 'is not valid JSON: trailing comma before "}"; remove it', 2, 27],
    ['{"seed": [1, 2,]}', 'is not valid JSON: trailing comma before "]"; remove it', 1, 15],
    ['{\n  // hi\n  "data": {}\n}', 'is not valid JSON: comments are not allowed', 2, 3],
    ['{\n  "name": "oops,\n  "data": {"type": "ring"}\n}', 'is not valid JSON: unterminated string', 2, 11],
    ["{ 'data': 1 }", 'is not valid JSON: unexpected character "\'"; names and strings take double quotes', 1, 3],
    ['', 'is not valid JSON: the file is empty; expected an object such as {"data": {"type": "ring"}}', 1, 1],
    ['  \n ', 'is not valid JSON: the file is empty; expected an object such as {"data": {"type": "ring"}}', 1, 1],
    ['{"data": {"type": "ring"}', 'is not valid JSON: expected "}"', 1, 26],
    ['{"data": {"type": "ring"}} {}', 'is not valid JSON: expected the end of the file', 1, 28],
  ];
  for (const [text, message, line, column] of cases) {
    const r = validateConfigText(text);
    assert.equal(r.config, undefined, text);
    assert.equal(r.problems.length, 1, `${text}: ${JSON.stringify(r.problems)}`);
    const p = r.problems[0];
    assert.deepEqual([p.path, p.message, p.severity, p.line, p.column], ['', message, 'error', line, column], text);
  }
});

// ------------------------------------------------------------------------------------------
// Defaults

test('a minimal 2-D config resolves to every default', () => {
  const r = validateConfigText('{"data": {"type": "ring"}}');
  assert.deepEqual(r.problems, []);
  const adam = { type: 'adam', learningRate: 0.0002, beta1: 0.5, beta2: 0.999, momentum: 0 };
  const want: GanConfig = {
    name: 'experiment',
    seed: 42,
    backend: 'auto',
    data: { type: 'ring', noise: 0.05, scale: 2, normalize: 'none' },
    generator: {
      preset: 'mlp',
      latentDim: 64,
      latentDistribution: 'normal',
      hidden: [128, 128],
      filters: 64,
      activation: 'relu',
      batchNorm: true,
      dropout: 0,
      outputActivation: 'linear',
    },
    discriminator: { preset: 'mlp', hidden: [128, 128], filters: 64, activation: 'leakyRelu', batchNorm: false, dropout: 0, outputActivation: 'sigmoid' },
    loss: { type: 'non-saturating', gradientPenalty: 10, r1: 0 },
    training: { steps: 2000, batchSize: 64, dStepsPerGStep: 1, labelSmoothing: 0, generatorOptimizer: adam, discriminatorOptimizer: adam, ema: 0, learningRateSchedule: { type: 'constant', decayFrom: 0, final: 0 }, workers: 'auto' },
    logging: {
      metricsEvery: 10,
      histogramsEvery: 50,
      samplesEvery: 100,
      checkpointEvery: 500,
      keepCheckpoints: 3,
      histogramBins: 40,
      sampleGrid: [8, 8],
      samplePoints: 512,
      heatmapSize: 48,
      latentSeed: 1234,
      tensorboard: true,
    },
  } as GanConfig;
  assert.deepEqual(r.config, want);
});

test('data defaults per type', () => {
  const data = (text: string) => validateConfigText(text).config!.data;
  assert.deepEqual(data('{"data":{"type":"mnist"}}'), { type: 'mnist', split: 'train', normalize: 'tanh' });
  assert.deepEqual(data('{"data":{"type":"imageFolder","path":"imgs","size":32}}'), {
    type: 'imageFolder',
    path: 'imgs',
    size: 32,
    channels: 1,
    normalize: 'tanh',
  });
  assert.deepEqual(data('{"data":{"type":"csv","path":"p.csv"}}'), { type: 'csv', path: 'p.csv', header: true, normalize: 'standardize' });
  assert.deepEqual(data('{"data":{"type":"spiral","scale":1}}'), { type: 'spiral', noise: 0.05, scale: 1, normalize: 'none' });
});

test('auto presets and output activations follow the data and the loss', () => {
  const pick = (text: string) => {
    const c = validateConfigText(text).config;
    assert.ok(c, text);
    return [c.generator.preset, c.discriminator.preset, c.generator.outputActivation, c.discriminator.outputActivation].join(' ');
  };
  assert.equal(pick('{"data":{"type":"grid"}}'), 'mlp mlp linear sigmoid');
  assert.equal(pick('{"data":{"type":"csv","path":"x.csv"}}'), 'mlp mlp linear sigmoid');
  assert.equal(pick('{"data":{"type":"mnist"}}'), 'dcgan dcgan tanh sigmoid');
  assert.equal(pick('{"data":{"type":"mnist","normalize":"unit"}}'), 'dcgan dcgan sigmoid sigmoid');
  assert.equal(pick('{"data":{"type":"imageFolder","path":"i","size":16},"generator":{"preset":"auto"},"discriminator":{"preset":"auto"}}'), 'dcgan dcgan tanh sigmoid');
  assert.equal(pick('{"data":{"type":"mnist"},"generator":{"preset":"mlp"}}'), 'mlp dcgan tanh sigmoid');
  assert.equal(pick('{"data":{"type":"ring"},"loss":{"type":"minimax"}}'), 'mlp mlp linear sigmoid');
  assert.equal(pick('{"data":{"type":"ring"},"loss":{"type":"wasserstein-gp"}}'), 'mlp mlp linear linear');
  assert.equal(pick('{"data":{"type":"ring"},"loss":{"type":"hinge"}}'), 'mlp mlp linear linear');
  assert.equal(pick('{"data":{"type":"ring"},"loss":{"type":"least-squares"}}'), 'mlp mlp linear linear');
  assert.equal(pick('{"data":{"type":"ring"},"discriminator":{"outputActivation":"auto"},"generator":{"outputActivation":"auto"}}'), 'mlp mlp linear sigmoid');
});

test('explicit values win over defaults, and optimizers default field by field', () => {
  const c = validateConfigText(
    '{"data":{"type":"ring"},"seed":0,"generator":{"batchNorm":false,"dropout":0},"training":{"generatorOptimizer":{"type":"sgd","learningRate":0.1}}}',
  ).config!;
  assert.equal(c.seed, 0);
  assert.equal(c.generator.batchNorm, false);
  assert.deepEqual(c.training.generatorOptimizer, { type: 'sgd', learningRate: 0.1, beta1: 0.5, beta2: 0.999, momentum: 0 });
  assert.deepEqual(c.training.discriminatorOptimizer, { type: 'adam', learningRate: 0.0002, beta1: 0.5, beta2: 0.999, momentum: 0 });
});

test('a resolved config (what a run stores in config.json) validates again and resolves to itself: resume relies on it', () => {
  for (const text of ['{"data":{"type":"ring"}}', '{"data":{"type":"mnist"}}', '{"data":{"type":"csv","path":"p.csv"}}', '{"data":{"type":"imageFolder","path":"i","size":8}}']) {
    const c = validateConfigText(text).config!;
    const again = validateConfigValue(JSON.parse(serializeResolvedConfig(c)));
    // Warnings are fine (a resolved config always spells out gradientPenalty); errors are not.
    assert.deepEqual(again.problems.filter((p) => p.severity === 'error'), [], text);
    assert.deepEqual(again.config, c, text);
  }
  const c = validateConfigText('{"data":{"type":"mnist","digits":[3]},"loss":{"type":"hinge"}}').config!;
  const again = validateConfigValue(JSON.parse(serializeResolvedConfig(c)));
  assert.deepEqual(again.problems.filter((p) => p.severity === 'error'), []);
  assert.deepEqual(again.config, c);
  assert.deepEqual(resolveConfig(JSON.parse(serializeResolvedConfig(c)) as GanJson), c);
});

type SchemaNode = { $ref?: string; default?: unknown; description?: string; markdownDescription?: string; properties?: Record<string, SchemaNode | boolean> };
const defs = (schema as unknown as { definitions: Record<string, SchemaNode & { allOf?: { then: SchemaNode }[] }> }).definitions;

test('the schema defaults are the defaults resolveConfig fills in', () => {
  const c = validateConfigText('{"data":{"type":"ring"}}').config! as unknown as Record<string, Record<string, unknown>>;
  let checked = 0;
  for (const section of ['generator', 'discriminator', 'loss', 'training', 'logging']) {
    for (const [key, prop] of Object.entries(defs[section].properties ?? {})) {
      // An object's default ({}) only makes room for its own fields' defaults, checked below.
      const container = typeof prop !== 'boolean' && typeof prop.default === 'object' && prop.default !== null;
      if (typeof prop === 'boolean' || prop.default === undefined || prop.default === 'auto' || container) continue;
      assert.deepEqual(c[section][key], prop.default, `/${section}/${key}`);
      checked++;
    }
  }
  for (const [key, prop] of Object.entries(defs.optimizer.properties ?? {})) {
    if (typeof prop === 'boolean' || prop.default === undefined) continue;
    const resolved = c as unknown as GanConfig;
    for (const opt of [resolved.training.generatorOptimizer, resolved.training.discriminatorOptimizer]) {
      assert.deepEqual(opt[key as keyof typeof opt], prop.default, `/optimizer/${key}`);
      checked++;
    }
  }
  const top = schema as unknown as SchemaNode;
  for (const key of ['name', 'seed', 'backend']) {
    assert.deepEqual((c as unknown as Record<string, unknown>)[key], (top.properties![key] as SchemaNode).default, key);
    checked++;
  }
  // Data defaults, per branch of the data schema.
  const samples: Record<string, string> = {
    ring: '{"type":"ring"}',
    mnist: '{"type":"mnist"}',
    imageFolder: '{"type":"imageFolder","path":"x","size":8}',
    csv: '{"type":"csv","path":"x.csv"}',
  };
  const branches = defs.data.allOf!.map((b) => b.then.properties ?? {});
  for (const [i, text] of Object.values(samples).entries()) {
    const data = validateConfigText(`{"data":${text}}`).config!.data as unknown as Record<string, unknown>;
    for (const [key, prop] of Object.entries(branches[i])) {
      if (typeof prop === 'boolean' || prop.default === undefined) continue;
      assert.deepEqual(data[key], prop.default, `${text} /data/${key}`);
      checked++;
    }
  }
  assert.ok(checked >= 40, `only ${checked} defaults checked`);
});

test('every property in the schema has a description', () => {
  const missing: string[] = [];
  const walk = (node: SchemaNode, where: string) => {
    for (const [key, prop] of Object.entries(node.properties ?? {})) {
      if (typeof prop === 'boolean') continue;
      const target = prop.$ref ? { ...defs[prop.$ref.split('/').pop()!], ...prop } : prop;
      if (!target.description && !target.markdownDescription) missing.push(`${where}/${key}`);
    }
  };
  walk(schema, '');
  for (const [name, def] of Object.entries(defs)) {
    walk(def, `#${name}`);
    for (const branch of def.allOf ?? []) walk(branch.then, `#${name}`);
  }
  assert.deepEqual(missing, []);
});

test('the shipped examples validate without problems', () => {
  for (const name of ['ring', 'grid', 'mnist', 'ring-benchmark', 'grid-benchmark']) {
    const text = readFileSync(join(ROOT, 'examples', name, 'gan.json'), 'utf8');
    const r = validateConfigText(text, { fileExists: () => 'file' });
    assert.deepEqual(r.problems, [], name);
    assert.ok(r.config, name);
  }
});

test("the benchmark recipes train on exactly the VEEGAN/PacGAN mixtures", () => {
  const dataOf = (name: string) => validateConfigText(readFileSync(join(ROOT, 'examples', name, 'gan.json'), 'utf8')).config!.data as ToyData;
  const close = (a: [number, number][], b: [number, number][]) => a.length === b.length && a.every(([x, y], i) => Math.abs(x - b[i][0]) < 1e-12 && Math.abs(y - b[i][1]) < 1e-12);
  // Ring: 8 Gaussians on a circle of radius 1, std 0.01.
  const ring = dataOf('ring-benchmark');
  assert.equal(ring.type, 'ring');
  assert.equal(ring.noise, 0.01);
  assert.ok(close(toyModes(ring), Array.from({ length: 8 }, (_, i): [number, number] => [Math.cos((2 * Math.PI * i) / 8), Math.sin((2 * Math.PI * i) / 8)])));
  // Grid: 25 Gaussians at {−4, −2, 0, 2, 4}², std 0.05.
  const grid = dataOf('grid-benchmark');
  assert.equal(grid.type, 'grid');
  assert.equal(grid.noise, 0.05);
  const axis = [-4, -2, 0, 2, 4];
  assert.ok(close(toyModes(grid), axis.flatMap((x) => axis.map((y): [number, number] => [x, y]))));
});

// ------------------------------------------------------------------------------------------
// Semantic checks: errors with fixes, warnings that keep the config

test('semantic errors carry a fix that really fixes them', () => {
  const cases: [string, string, unknown][] = [
    ['{"data":{"type":"ring"},"generator":{"preset":"dcgan"}}', '/generator/preset', 'mlp'],
    ['{"data":{"type":"moons"},"discriminator":{"preset":"dcgan"}}', '/discriminator/preset', 'mlp'],
    ['{"data":{"type":"imageFolder","path":"i","size":30}}', '/data/size', 32],
    ['{"data":{"type":"imageFolder","path":"i","size":5}}', '/data/size', 4],
    ['{"data":{"type":"ring"},"loss":{"type":"wasserstein-gp"},"discriminator":{"outputActivation":"sigmoid"}}', '/discriminator/outputActivation', 'linear'],
    ['{"data":{"type":"ring"},"loss":{"type":"hinge"},"discriminator":{"outputActivation":"sigmoid"}}', '/discriminator/outputActivation', 'linear'],
    ['{"data":{"type":"ring"},"loss":{"type":"minimax"},"discriminator":{"outputActivation":"linear"}}', '/discriminator/outputActivation', 'sigmoid'],
    ['{"data":{"type":"ring"},"loss":{"type":"wasserstein-gp"},"discriminator":{"batchNorm":true}}', '/discriminator/batchNorm', false],
    ['{"data":{"type":"mnist","normalize":"unit"},"generator":{"outputActivation":"tanh"}}', '/generator/outputActivation', 'sigmoid'],
    ['{"data":{"type":"mnist"},"generator":{"outputActivation":"sigmoid"}}', '/generator/outputActivation', 'tanh'],
  ];
  for (const [text, path, value] of cases) {
    const r = validateConfigText(text);
    assert.equal(r.config, undefined, text);
    const errors = r.problems.filter((p) => p.severity === 'error');
    assert.equal(errors.length, 1, `${text}: ${JSON.stringify(errors)}`);
    const p = errors[0];
    assert.equal(p.path, path, text);
    assert.ok(p.line !== undefined && p.column !== undefined, text);
    assert.deepEqual(p.fix && [p.fix.path, p.fix.value], [path, value], text);
    assert.ok(p.fix!.title.length > 0);
    // Apply the fix and the error is gone.
    const raw = JSON.parse(text) as Record<string, Record<string, unknown>>;
    const [, section, key] = path.split('/');
    raw[section][key] = value;
    const after = validateConfigValue(raw);
    assert.deepEqual(after.problems.filter((q) => q.severity === 'error'), [], `${text} after the fix`);
    assert.ok(after.config);
  }
});

test('a semantic error points at the value that causes it', () => {
  const text = '{\n  "data": {"type": "ring"},\n  "loss": {"type": "wasserstein-gp"},\n  "discriminator": {"batchNorm": true}\n}';
  const p = errorsOf(text)[0];
  assert.equal(p.path, '/discriminator/batchNorm');
  assert.deepEqual([p.line, p.column], [4, 34]);
  const implicit = errorsOf('{"data": {"type": "imageFolder", "path": "i", "size": 30}}')[0];
  assert.equal(implicit.path, '/data/size');
  assert.equal(implicit.column, '{"data": {"type": "imageFolder", "path": "i", "size": '.length + 1);
});

test('warnings keep the config valid', () => {
  const cases: [string, string, RegExp][] = [
    ['{"data":{"type":"ring"},"loss":{"type":"hinge","gradientPenalty":5}}', '/loss/gradientPenalty', /only used by the wasserstein-gp loss; it has no effect with "hinge"/],
    ['{"data":{"type":"ring"},"loss":{"type":"wasserstein-gp"},"training":{"labelSmoothing":0.1}}', '/training/labelSmoothing', /no effect with the wasserstein-gp loss/],
    ['{"data":{"type":"ring"},"training":{"steps":5}}', '/logging/metricsEvery', /larger than \/training\/steps \(5\)/],
    ['{"data":{"type":"ring","scale":2},"generator":{"outputActivation":"tanh"}}', '/generator/outputActivation', /"tanh" bounds G's output, but the data reaches ±2/],
  ];
  for (const [text, path, message] of cases) {
    const r = validateConfigText(text);
    assert.ok(r.config, text);
    assert.equal(r.problems.length, 1, `${text}: ${JSON.stringify(r.problems)}`);
    assert.equal(r.problems[0].severity, 'warning', text);
    assert.equal(r.problems[0].path, path, text);
    assert.match(r.problems[0].message, message, text);
  }
  const bounded = validateConfigText('{"data":{"type":"ring","scale":2},"generator":{"outputActivation":"tanh"}}').problems[0];
  assert.deepEqual(bounded.fix?.value, 'linear');
  // The same output is fine once the data is normalised or fits in [-1, 1].
  assert.deepEqual(validateConfigText('{"data":{"type":"ring","scale":2,"normalize":"minmax"},"generator":{"outputActivation":"tanh"}}').problems, []);
  assert.deepEqual(validateConfigText('{"data":{"type":"ring","scale":1},"generator":{"outputActivation":"tanh"}}').problems, []);
});

test('a warning does not hide an error, and an error drops the config', () => {
  const r = validateConfigText('{"data":{"type":"ring"},"loss":{"type":"hinge","gradientPenalty":5},"generator":{"preset":"dcgan"}}');
  assert.equal(r.config, undefined);
  assert.deepEqual(r.problems.map((p) => `${p.severity} ${p.path}`).sort(), ['error /generator/preset', 'warning /loss/gradientPenalty']);
});

test('the mnist limit must cover one batch', () => {
  const p = onlyProblem('{"data":{"type":"mnist","digits":[1],"limit":10},"training":{"batchSize":32}}');
  assert.deepEqual([p.path, p.message], ['/data/limit', 'must be at least /training/batchSize (32) (got 10)']);
  assert.deepEqual(validateConfigText('{"data":{"type":"mnist","digits":[1],"limit":32},"training":{"batchSize":32}}').problems, []);
});

test('file checks use the callback, relative paths as written, and need the right kind', () => {
  const asked: string[] = [];
  const fs = (kinds: Record<string, 'file' | 'directory'>): ValidateOptions => ({
    fileExists: (rel) => {
      asked.push(rel);
      return kinds[rel] ?? 'missing';
    },
  });
  const csv = '{"data":{"type":"csv","path":"data/points.csv"}}';
  const folder = '{"data":{"type":"imageFolder","path":"imgs","size":8}}';
  assert.deepEqual(validateConfigText(csv, fs({ 'data/points.csv': 'file' })).problems, []);
  assert.deepEqual(validateConfigText(folder, fs({ imgs: 'directory' })).problems, []);
  assert.deepEqual(asked, ['data/points.csv', 'imgs']);

  const missing = onlyProblem(csv, fs({}));
  assert.equal(missing.path, '/data/path');
  assert.equal(missing.message, '"data/points.csv" does not exist (paths are relative to the gan.json); create it or point to an existing CSV file');
  assert.equal(missing.column, csv.indexOf('"data/points.csv"') + 1);
  assert.equal(onlyProblem(folder, fs({})).message, '"imgs" does not exist (paths are relative to the gan.json); create it or point to an existing folder of images');
  assert.equal(onlyProblem(csv, fs({ 'data/points.csv': 'directory' })).message, '"data/points.csv" is a directory, but csv needs a file');
  assert.equal(onlyProblem(folder, fs({ imgs: 'file' })).message, '"imgs" is a file, but imageFolder needs a folder');
  // Without the callback there are no file checks at all (the editor's pure mode).
  assert.deepEqual(validateConfigText(csv).problems, []);
  // Toy data never asks.
  asked.length = 0;
  validateConfigText('{"data":{"type":"ring"}}', fs({}));
  assert.deepEqual(asked, []);
});

test('validateConfigValue checks parsed values without locations', () => {
  const r = validateConfigValue({ data: { type: 'ring' }, training: { batchSize: 0 } });
  assert.equal(r.config, undefined);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].path, '/training/batchSize');
  assert.equal(r.problems[0].line, undefined);
  assert.equal(validateConfigValue(null).problems[0].message, 'must be an object (got null)');
  assert.equal(validateConfigValue({ data: { type: 'ring' } }).config?.data.type, 'ring');
});

// ------------------------------------------------------------------------------------------
// One-line format

test('formatProblem prints file:line:col: /path message', () => {
  const base: ConfigProblem = { path: '/training/batchSize', message: 'must be ≥ 1 (got -4)', severity: 'error', stage: 'schema', line: 3, column: 30 };
  assert.equal(formatProblem('gan.json', base), 'gan.json:3:30: /training/batchSize must be ≥ 1 (got -4)');
  assert.equal(formatProblem('gan.json', { ...base, severity: 'warning' }), 'gan.json:3:30: warning: /training/batchSize must be ≥ 1 (got -4)');
  assert.equal(formatProblem('a/gan.json', { ...base, path: '', message: 'is not valid JSON: expected a comma' }), 'a/gan.json:3:30: is not valid JSON: expected a comma');
  assert.equal(formatProblem('gan.json', { path: '/seed', message: 'must be an integer (got "1")', severity: 'error', stage: 'schema' }), 'gan.json: /seed must be an integer (got "1")');
  const [p] = validateConfigText('{\n"data": {"type": "ring"},\n"seed": -1}').problems;
  assert.equal(formatProblem('x.json', p), 'x.json:3:9: /seed must be ≥ 0 (got -1)');
});

test('each problem says which check found it, so the editor can leave syntax and schema to VS Code', () => {
  assert.equal(validateConfigText('{"data": ').problems[0].stage, 'syntax');
  assert.equal(validateConfigText('{"data": {"type": "rings"}}').problems[0].stage, 'schema');
  const semantic = validateConfigText('{"data": {"type": "ring"}, "generator": {"preset": "dcgan"}}').problems;
  assert.ok(semantic.length > 0 && semantic.every((p) => p.stage === 'semantic'));
});

// ------------------------------------------------------------------------------------------
// Hostile text: nesting, duplicates, numbers JSON cannot hold, quotes that could break a line

test('nesting deeper than MAX_NESTING is one located problem, before any recursive walk', () => {
  const deep = `{\n  "data": ${'['.repeat(20000)}${']'.repeat(20000)}\n}`;
  const p = onlyProblem(deep);
  assert.deepEqual([p.path, p.line, p.column, p.stage, p.severity], ['/data', 2, 11 + MAX_NESTING - 1, 'semantic', 'error']);
  assert.match(p.message, /^nests arrays and objects more than 64 levels deep/);
  assert.equal(onlyProblem(`{"x": ${'{"a": '.repeat(12000)}1${'}'.repeat(12000)}}`).path, '/x');
  assert.equal(onlyProblem('['.repeat(100000)).path, '');
  // Brackets in strings are text.
  assert.equal(tooDeepInText(`{"$schema": "${'['.repeat(500)}", "data": {"type": "ring"}}`), undefined);
  assert.ok(validateConfigText(`{"$schema": "${'['.repeat(500)}", "data": {"type": "ring"}}`).config);
  // Exactly the limit is fine as far as nesting goes.
  assert.equal(tooDeepInText(`${'['.repeat(MAX_NESTING)}${']'.repeat(MAX_NESTING)}`), undefined);
  assert.ok(tooDeepInText(`${'['.repeat(MAX_NESTING + 1)}`));
  assert.equal(tooDeepValue(JSON.parse('['.repeat(100000) + ']'.repeat(100000))), true);
  assert.equal(validateConfigValue(JSON.parse('['.repeat(100) + ']'.repeat(100))).problems[0].message.startsWith('nests'), true);
});

test('a key given twice is an error at the second one', () => {
  const text = '{\n  "data": {"type": "ring"},\n  "training": {"steps": 10, "steps": 20}\n}';
  const p = onlyProblem(text);
  assert.deepEqual([p.path, p.line, p.column], ['/training/steps', 3, 29]);
  assert.match(p.message, /^is given twice in \/training/);
});

test('a byte order mark is read past, and offsets stay where they were', () => {
  const text = '\ufeff{"data": {"type": "ring"}, "seed": -1}';
  const p = onlyProblem(text);
  assert.equal(p.offset, text.indexOf('-1'));
  assert.ok(validateConfigText('\ufeff{"data": {"type": "ring"}}').config);
});

test('numbers too large for a double are named, not turned into null', () => {
  const p = onlyProblem('{"data": {"type": "ring"}, "logging": {"metricsEvery": 1e400}}');
  assert.deepEqual([p.path, p.message], ['/logging/metricsEvery', 'is a number too large for a double (it reads as Infinity); use a finite number']);
  assert.equal(validateConfigValue({ data: { type: 'ring' }, training: { ema: -Infinity } }).problems[0].path, '/training/ema');
});

test('messages quote user text printably: no control, bidi or line-breaking character gets through', () => {
  const lines = [
    '{"data": {"type": "ring"}, "bad\\nkey\\u001b[2J": 1}',
    '{"data": {"type": "ring"}, "name": "a\\u202eb"}',
    '{"data": {"type": "ring"}, "seed": "\\u001b]0;x\\u0007"}',
    '{"data": {"type": "ring"}, "backend": "wasm\\u009b"}',
    '{"data": {"type": "ring"}, "x\\u2028y": 1}',
    '{"data": {"type": "csv", "path": "a\\nb\\u0000.csv"}}',
    '{"data": {"type": "ring"}, "sweep": {"parameters": {"/no\\u001bpe": [1]}}}',
  ].map((t) => validateConfigText(t, { fileExists: () => 'missing' }).problems.map((p) => formatProblem('gan.json', p)));
  for (const [line] of lines) {
    assert.ok(line, 'a problem');
    // eslint-disable-next-line no-control-regex
    assert.ok(!/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(line), JSON.stringify(line));
  }
  assert.match(lines[0][0], /^gan\.json:1:28: \/bad\\nkey\\x1b\[2J is not a known property; allowed: /);
  assert.match(lines[1][0], /"a\\u202eb" holds a control or text-direction character/);
  assert.equal(printableText('a\u202eb\u200bc\u0000'), 'a\\u202eb\\u200bc\\x00');
  assert.equal(quote('say "hi"\n', 40), '"say \\"hi\\"\\n"');
  assert.equal(quote('x'.repeat(100), 10), `"${'x'.repeat(9)}…"`);
});

test('pointers are keys, never the prototype', () => {
  const out = withValueAt({ data: { type: 'ring' } }, '/__proto__/polluted', 1) as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.keys(out), ['data', '__proto__']);
  assert.equal(validateConfigValue(out).problems[0].path, '/__proto__');
  assert.equal(valueAt({}, '/constructor'), undefined);
});

test('the dcgan generator needs an even filter count; csv columns need a header to be named', () => {
  const p = onlyProblem('{"data": {"type": "mnist"}, "generator": {"filters": 65}}');
  assert.deepEqual([p.path, p.fix?.value], ['/generator/filters', 66]);
  assert.ok(validateConfigText('{"data": {"type": "mnist"}, "generator": {"filters": 1}}').config, 'one filter halves to one');
  assert.equal(onlyProblem('{"data": {"type": "csv", "path": "p.csv", "header": false, "columns": [0, "x"]}}').path, '/data/columns/1');
  assert.equal(onlyProblem('{"data": {"type": "csv", "path": "p.csv", "columns": [-1]}}').path, '/data/columns/0');
});

test('networks too large to train are refused with the field to change', () => {
  assert.equal(onlyProblem(`{"data": {"type": "ring"}, "generator": {"hidden": [${Array(16).fill(8192).join(',')}]}}`).path, '/generator/hidden');
  const batch = onlyProblem('{"data": {"type": "imageFolder", "path": "i", "size": 256, "channels": 3}, "training": {"batchSize": 4096}}');
  assert.equal(batch.path, '/training/batchSize');
  assert.ok(typeof batch.fix?.value === 'number' && batch.fix.value < 4096);
  const resolved = resolveConfig({ data: { type: 'imageFolder', path: 'i', size: 256, channels: 3 }, training: { batchSize: batch.fix.value } });
  assert.deepEqual(sizeProblems(resolved, { dim: 256 * 256 * 3, imageShape: [256, 256, 3] }), []);
  // The shipped examples are far from the limits.
  for (const name of ['ring', 'grid', 'mnist']) assert.ok(validateConfigText(readFileSync(join(ROOT, 'examples', name, 'gan.json'), 'utf8')).config, name);
});

test('a sweep too large for a grid answers at once, without checking a billion trials', () => {
  const values = Array.from({ length: 1000 }, (_, i) => i + 1);
  const t0 = Date.now();
  const r = validateConfigValue({ data: { type: 'ring' }, sweep: { parameters: { '/seed': values, '/logging/latentSeed': values, '/training/steps': values } } });
  assert.ok(Date.now() - t0 < 2000, `${Date.now() - t0} ms`);
  assert.equal(r.problems[0].message, 'make 1000000000 trials, more than 1000; use fewer values or the random method');
});

test('formatProblems lists at most MAX_LISTED_PROBLEMS, then how many more', () => {
  const problems = Array.from({ length: 25 }, (_, i): ConfigProblem => ({ path: `/k${i}`, message: 'is not a known property', severity: 'error', stage: 'schema' }));
  const lines = formatProblems('gan.json', problems);
  assert.equal(lines.length, MAX_LISTED_PROBLEMS + 1);
  assert.equal(lines.at(-1), 'gan.json: … and 5 more problems');
});
