// Writes src/config/ganSchema.ts from schemas/gan.schema.json: the same schema as a TypeScript
// constant, so that the config's types can be derived from it (json-schema-to-ts needs the
// literal types, which a JSON import loses). The JSON file stays the one that people and VS Code
// read; test/unit/configSchema.test.ts fails when this copy is stale. Run: npm run gen:schema
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schema = JSON.parse(readFileSync(join(root, 'schemas/gan.schema.json'), 'utf8'));
const out = `// Generated from schemas/gan.schema.json by scripts/gen-schema.mjs (npm run gen:schema). Do not edit.
export const ganSchema = ${JSON.stringify(schema, null, 2)} as const;
`;
writeFileSync(join(root, 'src/config/ganSchema.ts'), out);
console.log('wrote src/config/ganSchema.ts');
