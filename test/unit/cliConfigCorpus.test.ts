/**
 * The bad-config corpus through the real CLI: every file in test/fixtures/configs/bad has one
 * defect, and `validate` and `train` must both reject it with exit 2, exactly the one line in
 * expected.json, and no run directory. Runs `node dist/cli.js` (build first).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = process.env.GAN_STUDIO_ROOT ?? resolve(__dirname, '../../..');
const CLI = join(ROOT, 'dist/cli.js');
const BAD_DIR = 'test/fixtures/configs/bad';
const GOOD_DIR = 'test/fixtures/configs/good';
/** Two at a time: each CLI start loads tfjs (~0.3 s of CPU) and these machines have two cores. */
const CONCURRENCY = 2;

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, GAN_STUDIO_DEBUG: '' } },
      (err, stdout, stderr) => {
        const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        done({ status, stdout, stderr });
      },
    );
  });
}

const expected = JSON.parse(readFileSync(join(ROOT, BAD_DIR, 'expected.json'), 'utf8')) as Record<string, string>;
const badFiles = readdirSync(join(ROOT, BAD_DIR))
  .filter((f) => f.endsWith('.json') && f !== 'expected.json')
  .sort();
const goodFiles = readdirSync(join(ROOT, GOOD_DIR))
  .filter((f) => f.endsWith('.json'))
  .sort();

test('dist/cli.js is built', () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: run node scripts/build.mjs`);
});

test('the corpus has at least 30 bad configs and expected.json lists exactly them', () => {
  assert.ok(badFiles.length >= 30, `only ${badFiles.length} bad configs`);
  assert.deepEqual(Object.keys(expected).sort(), badFiles);
  for (const [name, line] of Object.entries(expected)) {
    // file:line:col: message, with the path exactly as given on the command line.
    assert.match(line, new RegExp(`^${BAD_DIR}/${name.replace(/\./g, '\\.')}:\\d+:\\d+: \\S`), name);
    assert.ok(!line.includes('\n'), `${name}: expected a single line`);
  }
});

describe('bad configs: validate and train both exit 2 with the one expected line', { concurrency: CONCURRENCY }, () => {
  for (const name of badFiles) {
    test(name, async () => {
      const file = `${BAD_DIR}/${name}`;
      const want = `${expected[name]}\n`;

      const v = await runCli(['validate', file]);
      assert.equal(v.stderr, want, 'validate stderr');
      assert.equal(v.status, 2, 'validate exit code');
      assert.equal(v.stdout, '', 'validate printed to stdout');

      const tmp = mkdtempSync(join(tmpdir(), 'gan-corpus-'));
      const runsDir = join(tmp, 'runs');
      try {
        const t = await runCli(['train', file, '--runs-dir', runsDir]);
        assert.equal(t.stderr, want, 'train stderr');
        assert.equal(t.status, 2, 'train exit code');
        assert.equal(t.stdout, '', 'train printed to stdout');
        assert.ok(!existsSync(runsDir), `train created ${runsDir}`);
        assert.deepEqual(readdirSync(tmp), []);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});

describe('good configs validate with exit 0', { concurrency: CONCURRENCY }, () => {
  for (const name of goodFiles) {
    test(name, async () => {
      const file = `${GOOD_DIR}/${name}`;
      const r = await runCli(['validate', file]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^${GOOD_DIR}/${name.replace(/\./g, '\\.')}: valid \\(`));
      if (name.startsWith('warning-')) {
        assert.equal(
          r.stderr,
          `${file}:3:49: warning: /loss/gradientPenalty is only used by the wasserstein-gp loss; it has no effect with "hinge"\n`,
        );
      } else {
        assert.equal(r.stderr, '');
      }
    });
  }
});

describe('usage', { concurrency: CONCURRENCY }, () => {
  for (const command of ['train', 'validate', 'sample']) {
    test(`${command} --help prints its usage and exits 0`, async () => {
      const r = await runCli([command, '--help']);
      assert.equal(r.status, 0);
      assert.match(r.stdout, new RegExp(`^gan-studio ${command} `));
      assert.equal(r.stderr, '');
    });
  }

  test('--help lists every command', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.status, 0);
    for (const command of ['train', 'validate', 'sample']) assert.match(r.stdout, new RegExp(`gan-studio ${command} `));
    assert.match(r.stdout, /Exit codes: 0 .*1 .*2 /);
  });

  const oneLine: [string[], RegExp][] = [
    [['frobnicate'], /^unknown command "frobnicate"/],
    [['validate', '--bogus', `${GOOD_DIR}/ring.json`], /--bogus/],
    [['validate'], /^validate takes one gan\.json/],
    [['validate', `${GOOD_DIR}/ring.json`, `${GOOD_DIR}/full.json`], /^validate takes one gan\.json/],
    [['validate', 'no/such/gan.json'], /^no\/such\/gan\.json: file not found$/],
    [['train', `${GOOD_DIR}/ring.json`, '--steps', '0'], /^--steps must be a positive integer \(got "0"\)$/],
    [['train', `${GOOD_DIR}/ring.json`, '--steps', 'many'], /^--steps must be a positive integer \(got "many"\)$/],
    [['train', `${GOOD_DIR}/ring.json`, '--backend', 'gpu'], /^--backend must be one of auto, tensorflow, wasm, cpu \(got "gpu"\)$/],
    [['train', `${GOOD_DIR}/ring.json`, '--resume', 'some-run'], /^give either a gan\.json or --resume <runDir>, not both$/],
    [['train', 'no/such/gan.json'], /^no\/such\/gan\.json: file not found$/],
    [['sample', 'some-run'], /^sample needs --out FILE/],
  ];
  for (const [args, first] of oneLine) {
    test(`${args.join(' ')} exits 2 with one line`, async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'gan-usage-'));
      const runsDir = join(tmp, 'runs');
      try {
        const r = await runCli(args[0] === 'train' ? [...args, '--runs-dir', runsDir] : args);
        assert.equal(r.status, 2, r.stderr);
        assert.equal(r.stdout, '');
        const lines = r.stderr.trimEnd().split('\n');
        assert.match(lines[0], first);
        assert.deepEqual(lines, [lines[0]], 'stderr should be exactly one line');
        assert.ok(!existsSync(runsDir));
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});
