/** The editor's diagnostics check the files a gan.json names as the trainer would find them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as vscode from 'vscode';
import { fileChecksFor } from '../../src/host/editor/ganFiles';
import { validateConfigText } from '../../src/config/validateConfig';
import { tmp } from '../helpers/cli';

test('a FIFO, a device, a link loop and a dangling link in data.path are diagnosed, a CSV is not', () => {
  const dir = tmp('editor-files');
  writeFileSync(join(dir, 'points.csv'), 'x,y\n1,2\n3,4\n');
  execFileSync('mkfifo', [join(dir, 'pipe.csv')]);
  symlinkSync('/dev/zero', join(dir, 'zero.csv'));
  symlinkSync(join(dir, 'loop-b.csv'), join(dir, 'loop-a.csv'));
  symlinkSync(join(dir, 'loop-a.csv'), join(dir, 'loop-b.csv'));
  symlinkSync(join(dir, 'gone.csv'), join(dir, 'dangling.csv'));
  mkdirSync(join(dir, 'folder.csv'));
  const uri = { scheme: 'file', fsPath: join(dir, 'gan.json') } as vscode.Uri;
  const problemFor = (file: string) => {
    const text = JSON.stringify({ data: { type: 'csv', path: file } });
    return validateConfigText(text, fileChecksFor(uri)).problems.filter((p) => p.severity === 'error' && p.path === '/data/path').map((p) => p.message)[0];
  };
  assert.equal(problemFor('points.csv'), undefined);
  assert.match(problemFor('pipe.csv') ?? '', /FIFO/i);
  assert.match(problemFor('zero.csv') ?? '', /device/i);
  assert.match(problemFor('loop-a.csv') ?? '', /loop/i);
  assert.match(problemFor('dangling.csv') ?? '', /link/i);
  assert.match(problemFor('folder.csv') ?? '', /folder|director/i);
  assert.match(problemFor('missing.csv') ?? '', /does not exist|not found|missing/i);
});
