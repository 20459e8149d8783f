// `npm test`: every check that runs on a machine with no GPU and no network.
// 1. type-check each area with its own globals (scripts/typecheck.mjs), 2. lint (ESLint with the
// type-checked rules and the areas' import boundaries), 3. bundle the sources and the tests,
// 4. run the tests with node's test runner.
// `npm test -- unit webview` runs only those folders of test/ (unit, webview, e2e, electron).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);

function run(cmd, args, label) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n${label} failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status ?? 1);
  }
  console.log(`${label}: ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

// Chromium, code-server and a one-node Slurm come from Debian and a cache, not npm; the setup is
// idempotent and fast when they are there. GAN_STUDIO_SKIP_SETUP=1 skips it (the tests that need
// them then skip themselves, saying why).
if (!process.env.GAN_STUDIO_SKIP_SETUP) run('bash', ['scripts/install-test-deps.sh'], 'test dependencies');

run(process.execPath, ['scripts/typecheck.mjs'], 'typecheck');
run(process.execPath, [join(root, 'node_modules/eslint/bin/eslint.js'), '--max-warnings', '0', '.'], 'lint');
run(process.execPath, ['scripts/build.mjs', '--tests'], 'build');

const suites = ['unit', 'webview', 'e2e', 'electron'].filter((s) => (only.length === 0 || only.includes(s)) && existsSync(join(root, 'out/test', s)));
// One process per file, one file at a time: the trainer tests and the browser tests each want
// both cores, and running them side by side on a 2-core machine makes them slow and flaky.
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', '--test-reporter=spec', ...suites.map((s) => join('out/test', s))],
  { cwd: root, stdio: 'inherit', env: { ...process.env, GAN_STUDIO_ROOT: root } },
);
process.exit(r.status ?? 1);
