/**
 * The config's types and the schema agree: the types are derived from the schema
 * (src/config/ganConfig.ts), the defaults are the schema's own (Ajv), and here
 *  - the TypeScript copy of the schema is the JSON file, so the derived types are current;
 *  - resolved configs, checked by the compiler against GanConfig (no cast: a missing or an extra
 *    field fails `npm test`'s type check), equal what the validator fills in at run time;
 *  - what the schema refuses, the types refuse too (each @ts-expect-error must stay an error);
 *  - every shipped gan.json resolves to a config that holds every field of the type and is itself
 *    a valid gan.json.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DataConfig, GanConfig, GanJson } from '../../src/config/ganConfig';
import { ganSchema } from '../../src/config/ganSchema';
import { resolveConfig, serializeResolvedConfig, validateConfigText, validateConfigValue } from '../../src/config/validateConfig';
import { repoRoot } from '../helpers/root';

const root = repoRoot();

test('src/config/ganSchema.ts is schemas/gan.schema.json (run "npm run gen:schema" when it is not)', () => {
  const json: unknown = JSON.parse(readFileSync(join(root, 'schemas/gan.schema.json'), 'utf8'));
  assert.deepEqual(ganSchema, json);
});

test('each data variant resolves to exactly the fields its type has', () => {
  const data = (text: string): DataConfig => validateConfigText(`{"data": ${text}}`).config!.data;
  const ring: DataConfig = { type: 'ring', noise: 0.05, scale: 2, normalize: 'none' };
  const mnist: DataConfig = { type: 'mnist', split: 'test', normalize: 'unit', digits: [3], limit: 100 };
  const folder: DataConfig = { type: 'imageFolder', path: 'imgs', size: 32, channels: 3, normalize: 'tanh' };
  const csv: DataConfig = { type: 'csv', path: 'p.csv', header: false, columns: [0, 2], normalize: 'minmax' };
  assert.deepEqual(data('{"type": "ring"}'), ring);
  assert.deepEqual(data('{"type": "mnist", "split": "test", "normalize": "unit", "digits": [3], "limit": 100}'), mnist);
  assert.deepEqual(data('{"type": "imageFolder", "path": "imgs", "size": 32, "channels": 3}'), folder);
  assert.deepEqual(data('{"type": "csv", "path": "p.csv", "header": false, "columns": [0, 2], "normalize": "minmax"}'), csv);
});

test('a resolved config has every section the type requires, with "auto" decided', () => {
  const c: GanConfig = resolveConfig({ data: { type: 'mnist' }, loss: { type: 'hinge' } });
  assert.equal(c.generator.preset, 'dcgan');
  assert.equal(c.generator.outputActivation, 'tanh');
  assert.equal(c.discriminator.outputActivation, 'linear');
  assert.equal(c.training.workers, 'auto', 'workers stay "auto" until a run starts');
  assert.deepEqual(Object.keys(c).sort(), ['backend', 'data', 'discriminator', 'generator', 'logging', 'loss', 'name', 'seed', 'training']);
});

test('what the schema refuses, the types refuse', () => {
  // These lines are checked by tsc (npm test); each must remain a type error.
  // @ts-expect-error: csv data has no size
  const badData: GanJson = { data: { type: 'csv', path: 'x.csv', size: 3 } };
  // @ts-expect-error: not a loss of the schema
  const badLoss: GanJson = { data: { type: 'ring' }, loss: { type: 'wgan' } };
  // @ts-expect-error: a resolved preset is never "auto"
  const auto: GanConfig['generator']['preset'] = 'auto';
  // @ts-expect-error: steps is a number
  const steps: GanConfig['training']['steps'] = '100';
  // The schema refuses them too.
  for (const v of [badData, badLoss]) assert.equal(validateConfigValue(v).config, undefined, JSON.stringify(v));
  assert.ok([auto, steps]);
});

/** Every property the schema knows at this level of a resolved config: its defaulted fields. */
function defaultedKeys(schema: { properties?: Record<string, unknown> }): string[] {
  return Object.entries(schema.properties ?? {})
    .filter(([, p]) => typeof p === 'object' && p !== null && 'default' in p)
    .map(([k]) => k);
}

test('every shipped gan.json resolves to a full config that is itself a valid gan.json', () => {
  const files = [
    ...readdirSync(join(root, 'examples')).map((d) => join(root, 'examples', d, 'gan.json')),
    ...readdirSync(join(root, 'templates')).map((f) => join(root, 'templates', f)),
  ];
  assert.ok(files.length >= 7, files.join(', '));
  const sections = { generator: ganSchema.definitions.generator, discriminator: ganSchema.definitions.discriminator, loss: ganSchema.definitions.loss, training: ganSchema.definitions.training, logging: ganSchema.definitions.logging };
  for (const file of files) {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as GanJson;
    const c = resolveConfig(raw);
    for (const [name, schema] of Object.entries(sections)) {
      const section = c[name as keyof typeof sections] as unknown as Record<string, unknown>;
      for (const key of defaultedKeys(schema)) assert.notEqual(section[key], undefined, `${file}: /${name}/${key} has no value`);
    }
    const again = validateConfigValue(JSON.parse(serializeResolvedConfig(c)));
    assert.deepEqual(again.problems.filter((p) => p.severity === 'error'), [], file);
    assert.deepEqual(again.config, c, `${file}: config.json resolves to itself`);
  }
});
