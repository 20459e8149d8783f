/**
 * The native backend from the VSIX: where the trainer looks for @tensorflow/tfjs-node, what it
 * records when it finds it or not, and the install command's npm step, run for real.
 *
 * libtensorflow cannot be downloaded on our machines, so a real tfjs-node never loads here. What
 * stands in for it below is a package folder laid out like tfjs-node's whose module registers a
 * backend named "tensorflow" (with the cpu kernels) through its own copy of tfjs-core, as the real
 * one does; it tests the resolution and the registration, not the native binary.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, test } from 'node:test';
import * as v from 'valibot';
import { backendProbe } from '../../src/protocol/backendProbe';
import { readRunInfo } from '../../src/runDir/runReader';
import { chooseTensorBoard, findOnPath, installNative, nativePackageDir, npmFailureReason, startTensorBoard } from '../../src/host/native/externalTools';
import { CLI, ROOT, onlyRun, tinyRingConfig, tmp, writeConfig } from '../helpers/cli';

function cli(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function probe(env: NodeJS.ProcessEnv, cwd = ROOT) {
  const r = cli(['backends', '--json'], env, cwd);
  assert.equal(r.code, 0, r.stderr);
  return v.parse(backendProbe, JSON.parse(r.stdout.trim().split('\n').pop() ?? ''));
}

/** <root>/node_modules/@tensorflow/tfjs-node, whose index.js is `body`. */
function fakeTfjsNode(root: string, body: string): string {
  const pkg = nativePackageDir(root);
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0', main: 'index.js' }));
  writeFileSync(join(pkg, 'index.js'), body);
  return pkg;
}

const registersTensorflow = `// Stand-in for tfjs-node: its own tfjs-core copy, a backend named "tensorflow".
const tf = require(${JSON.stringify(join(ROOT, 'node_modules/@tensorflow/tfjs-core'))});
const cpu = require(${JSON.stringify(join(ROOT, 'node_modules/@tensorflow/tfjs-backend-cpu'))});
tf.registerBackend('tensorflow', () => new cpu.MathBackendCPU(), 3);
for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
`;

const missingBinding = `throw new Error("The specified module could not be found.\\n${'\\\\'}lib${'\\\\'}napi-v8${'\\\\'}tfjs_binding.node");\n`;

describe('where the trainer finds @tensorflow/tfjs-node', () => {
  // On a machine where `npm ci` could install the optional tfjs-node, it is found beside the trainer.
  const besideTrainer = existsSync(join(ROOT, 'node_modules/@tensorflow/tfjs-node')) ? 'tfjs-node is installed in node_modules here' : false;

  test('none anywhere: auto trains on wasm and run.json says where it looked and what to do', { timeout: 300_000, skip: besideTrainer }, () => {
    const root = tmp('native-none');
    const p = probe({ GAN_STUDIO_NATIVE_PATHS: root, GAN_STUDIO_NATIVE_PATHS_ONLY: '1' });
    assert.equal(p.auto, 'wasm');
    assert.deepEqual(p.nativeSearchPaths, [root]);
    const tfNode = p.backends.find((b) => b.backend === 'tensorflow');
    assert.equal(tfNode?.ok, false);
    assert.match(tfNode?.reason ?? '', new RegExp(`not installed \\(looked in ${join(root, 'node_modules').replace(/[/\\\\]/g, '.')}`));
    assert.match(tfNode?.reason ?? '', /Install Native TensorFlow Backend/);

    const dir = tmp('native-none-run');
    const config = writeConfig(dir, tinyRingConfig({ training: { ...(tinyRingConfig().training as object), steps: 10 } }));
    const r = cli(['train', config, '--runs-dir', join(dir, 'runs'), '-q'], { GAN_STUDIO_NATIVE_PATHS: root, GAN_STUDIO_NATIVE_PATHS_ONLY: '1' });
    assert.equal(r.code, 0, r.stderr);
    const info = readRunInfo(onlyRun(join(dir, 'runs')));
    assert.equal(info.backend, 'wasm');
    assert.equal(info.backendDetail?.nativeFrom, undefined);
    assert.equal(info.backendDetail?.skipped[0]?.backend, 'tensorflow');
    assert.match(info.backendDetail?.skipped[0]?.reason ?? '', /not installed/);
  });

  test('a package in a listed folder registers "tensorflow": auto trains on it and run.json names the folder', { timeout: 300_000 }, () => {
    const root = tmp('native-fake');
    const pkg = fakeTfjsNode(root, registersTensorflow);
    const env = { GAN_STUDIO_NATIVE_PATHS: [tmp('native-empty'), root].join(delimiter), GAN_STUDIO_NATIVE_PATHS_ONLY: '1' };
    const p = probe(env);
    assert.equal(p.auto, 'tensorflow');
    assert.deepEqual(p.backends.find((b) => b.backend === 'tensorflow'), { backend: 'tensorflow', ok: true, from: pkg });
    assert.equal(p.backends.find((b) => b.backend === 'wasm')?.ok, true);

    const dir = tmp('native-fake-run');
    const config = writeConfig(dir, tinyRingConfig({ training: { ...(tinyRingConfig().training as object), steps: 10 } }));
    const r = cli(['train', config, '--runs-dir', join(dir, 'runs')], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`native TensorFlow from ${pkg.replace(/[/\\\\]/g, '.')}`));
    const info = readRunInfo(onlyRun(join(dir, 'runs')));
    assert.equal(info.status, 'completed');
    assert.equal(info.backend, 'tensorflow');
    assert.deepEqual(info.backendDetail, { nativeFrom: pkg, skipped: [] });
  });

  test('a half-installed package (no binding) is reported with its error, and training falls back', { timeout: 300_000 }, () => {
    const root = tmp('native-broken');
    const pkg = fakeTfjsNode(root, missingBinding);
    const env = { GAN_STUDIO_NATIVE_PATHS: root, GAN_STUDIO_NATIVE_PATHS_ONLY: '1' };
    const p = probe(env);
    assert.equal(p.auto, 'wasm');
    const reason = p.backends.find((b) => b.backend === 'tensorflow')?.reason ?? '';
    assert.match(reason, new RegExp(`in ${pkg.replace(/[/\\\\]/g, '.')} did not load: The specified module could not be found\\.$`));
    // An explicit choice of the native backend is an input error that says the same.
    const dir = tmp('native-broken-run');
    const config = writeConfig(dir, tinyRingConfig());
    const r = cli(['train', config, '--runs-dir', join(dir, 'runs'), '--backend', 'tensorflow'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /backend "tensorflow" needs the native TensorFlow: .*did not load/);
  });

  test('the current folder is searched from the command line, but not when the extension lists the folders', { timeout: 120_000 }, () => {
    const cwd = tmp('native-cwd');
    fakeTfjsNode(cwd, registersTensorflow);
    assert.equal(probe({ GAN_STUDIO_NATIVE_PATHS: '' }, cwd).auto, 'tensorflow');
    assert.equal(probe({ GAN_STUDIO_NATIVE_PATHS: tmp('native-listed'), GAN_STUDIO_NATIVE_PATHS_ONLY: '1' }, cwd).auto, 'wasm');
  });
});

describe('Install Native TensorFlow Backend: the npm step', () => {
  test('installs the bundled version with the real npm; offline it fails plainly, leaves nothing, and training falls back', { timeout: 900_000 }, async () => {
    const npm = findOnPath('npm');
    assert.ok(npm, 'npm is on PATH on our machines');
    const root = tmp('native-install');
    const version = probe({}).tfjsVersion;
    const lines: string[] = [];
    const result = await installNative({ npm, root, version, log: (l) => lines.push(l) });
    assert.match(lines[0], new RegExp(`^\\$ .*npm install .*--prefix ${root.replace(/[/\\\\]/g, '.')} @tensorflow/tfjs-node@${version.replace(/\./g, '\\.')}$`));
    const env = { GAN_STUDIO_NATIVE_PATHS: root, GAN_STUDIO_NATIVE_PATHS_ONLY: '1' };
    if (result.ok) {
      // A machine that can download libtensorflow: the real native backend, end to end.
      console.log(`tfjs-node installed into ${result.packageDir}`);
      assert.equal(probe(env).auto, 'tensorflow');
      return;
    }
    console.log(`install failed as expected here: ${result.reason}`);
    assert.match(result.reason, new RegExp(`^npm could not install @tensorflow/tfjs-node@${version.replace(/\./g, '\\.')}: `));
    assert.doesNotMatch(result.reason, /\n/);
    assert.ok(lines.length > 3, 'npm output reaches the log');
    assert.equal(existsSync(nativePackageDir(root)), false, 'no half-installed package is left to load');
    const p = probe(env);
    assert.equal(p.auto, 'wasm');
    assert.match(p.backends[0].reason ?? '', /not installed/);
  });

  test('npm output is reduced to the reason a person needs', () => {
    const offline = [
      'npm error code 1',
      'npm error path /x/node_modules/@tensorflow/tfjs-node',
      'npm error command failed',
      'npm error command sh -c node scripts/install.js',
      'npm error https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz',
      'npm error * Downloading libtensorflow',
      'npm error Error: getaddrinfo ENOTFOUND storage.googleapis.com',
    ].join('\n');
    assert.equal(
      npmFailureReason(offline, '4.22.0'),
      'npm could not install @tensorflow/tfjs-node@4.22.0: its install script downloads libtensorflow from https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz, and that failed (getaddrinfo ENOTFOUND storage.googleapis.com). This happens offline, behind some proxies and on platforms without a prebuilt TensorFlow',
    );
    assert.equal(npmFailureReason('npm error code ETARGET\nnpm error notarget No matching version found for @tensorflow/tfjs-node@9.9.9.', '9.9.9'), 'npm could not install @tensorflow/tfjs-node@9.9.9: notarget No matching version found for @tensorflow/tfjs-node@9.9.9.');
  });
});

describe('Open in TensorBoard: starting the program', () => {
  // TensorBoard is not installable here (no pip, not in Debian). These stand-ins are executables
  // that behave as its startup does (print the address, or fail): they test our process handling.
  function script(name: string, body: string): string {
    const dir = tmp('tb-bin');
    const path = join(dir, name);
    writeFileSync(path, `#!${process.execPath}\n${body}`);
    chmodSync(path, 0o755);
    return path;
  }

  test('chooses the setting, then PATH, then the extension, and otherwise says what is missing', () => {
    const base = { setting: '', exists: (p: string) => p === '/opt/tb', onPath: undefined, extensionInstalled: false, extensionId: 'ms-toolsai.tensorboard', logdir: '/w/.gan/runs' };
    assert.deepEqual(chooseTensorBoard({ ...base, setting: '/opt/tb', onPath: '/usr/bin/tensorboard' }), { kind: 'program', exe: '/opt/tb' });
    assert.deepEqual(chooseTensorBoard({ ...base, onPath: '/usr/bin/tensorboard', extensionInstalled: true }), { kind: 'program', exe: '/usr/bin/tensorboard' });
    assert.deepEqual(chooseTensorBoard({ ...base, extensionInstalled: true }), { kind: 'extension' });
    const wrong = chooseTensorBoard({ ...base, setting: '/nope/tensorboard', onPath: '/usr/bin/tensorboard' });
    assert.equal(wrong.kind, 'missing');
    assert.match(wrong.kind === 'missing' ? wrong.message : '', /^ganStudio\.tensorboard\.path names "\/nope\/tensorboard", which does not exist; fix the setting, or clear it/);
    const none = chooseTensorBoard(base);
    assert.equal(
      none.kind === 'missing' ? none.message : '',
      'TensorBoard is not available: no "tensorboard" on PATH (set ganStudio.tensorboard.path if it is elsewhere) and the TensorBoard extension (ms-toolsai.tensorboard) is not installed. Install one (pip install tensorboard), or run: tensorboard --logdir "/w/.gan/runs"',
    );
  });

  test('finds executables on PATH only when they are executable files', () => {
    const exe = script('tensorboard', '');
    const dir = join(exe, '..');
    assert.equal(findOnPath('tensorboard', { PATH: dir }), exe);
    chmodSync(exe, 0o644);
    assert.equal(findOnPath('tensorboard', { PATH: dir }), undefined);
    assert.equal(findOnPath('tensorboard', { PATH: '' }), undefined);
  });

  test('resolves with the address the program prints, and passes --logdir', async () => {
    const exe = script(
      'tensorboard',
      `const http = require('node:http');
const logdir = process.argv[process.argv.indexOf('--logdir') + 1];
const s = http.createServer((q, r) => r.end(logdir)).listen(0, '127.0.0.1', () => {
  process.stderr.write('TensorFlow installation not found - running with reduced feature set.\\n');
  process.stderr.write('TensorBoard 2.18.0 at http://127.0.0.1:' + s.address().port + '/ (Press CTRL+C to quit)\\n');
});`,
    );
    const logdir = tmp('tb-logdir');
    const tb = await startTensorBoard(exe, logdir);
    try {
      assert.match(tb.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal(await (await fetch(tb.url)).text(), logdir);
    } finally {
      tb.stop();
    }
  });

  test('rejects with the last words of a program that exits before serving', async () => {
    const exe = script('tensorboard', `process.stderr.write("ModuleNotFoundError: No module named 'tensorboard'\\n"); process.exit(1);`);
    await assert.rejects(startTensorBoard(exe, tmp('tb-logdir')), /TensorBoard exited \(code 1\) before it served: ModuleNotFoundError: No module named 'tensorboard'/);
  });
});
