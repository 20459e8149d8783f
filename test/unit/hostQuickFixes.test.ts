/** gan.json quick fixes: each edit is minimal, keeps the rest of the file, and fixes the problem. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfigText, type ConfigProblem } from '../../src/config/validateConfig';
import { applyFix, fixesFor, pointerToPath } from '../../src/host/editor/configFixEdits';

const FMT = { tabSize: 2, insertSpaces: true, eol: '\n' };

function problems(text: string): ConfigProblem[] {
  return validateConfigText(text).problems;
}

describe('gan.json quick fixes', () => {
  it('applies the validator\u2019s own fix and the problem goes away', () => {
    const text = `{
  "name": "ring",
  "data": { "type": "ring" },
  "generator": { "preset": "dcgan" }
}
`;
    const [p] = problems(text);
    assert.equal(p.path, '/generator/preset');
    const fixes = fixesFor(text, p, FMT);
    assert.equal(fixes.length, 1);
    assert.equal(fixes[0].title, 'Use the mlp preset');
    assert.equal(fixes[0].preferred, true);
    const fixed = applyFix(text, fixes[0]);
    assert.equal(fixed, text.replace('"dcgan"', '"mlp"'), 'only the value changes');
    assert.deepEqual(problems(fixed).filter((q) => q.severity === 'error'), []);
  });

  it('renames a misspelt property to the suggestion, or removes it', () => {
    const text = '{\n  "data": { "type": "ring" },\n  "trainig": { "steps": 10 }\n}\n';
    const p = problems(text).find((q) => q.path === '/trainig');
    assert.ok(p, 'the unknown key is reported');
    assert.match(p.message, /did you mean "training"\?/);
    const fixes = fixesFor(text, p, FMT);
    assert.deepEqual(fixes.map((f) => f.title), ['Rename to "training"', 'Remove "trainig"']);
    const renamed = applyFix(text, fixes[0]);
    assert.equal(renamed, text.replace('"trainig"', '"training"'));
    assert.deepEqual(problems(renamed), []);
    const removed = applyFix(text, fixes[1]);
    assert.deepEqual(JSON.parse(removed), { data: { type: 'ring' } });
  });

  it('offers nothing when there is no obvious fix', () => {
    const text = '{ "data": { "type": "ring" }, "training": { "batchSize": -4 } }';
    const p = problems(text).find((q) => q.path === '/training/batchSize');
    assert.ok(p);
    assert.deepEqual(fixesFor(text, p, FMT), []);
  });

  it('reads JSON pointers, escapes and array indexes included', () => {
    assert.deepEqual(pointerToPath(''), []);
    assert.deepEqual(pointerToPath('/a~1b/c~0d/3'), ['a/b', 'c~d', 3]);
  });
});
