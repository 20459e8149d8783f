// Type-checks every area with its own tsconfig, so each compiles with only the globals it has at
// run time (see tsconfig.base.json). `npm run typecheck`; `npm test` runs it first.
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const AREAS = ['src/config', 'src/protocol', 'src/analysis', 'src/runDir', 'src/trainer', 'src/host', 'webview', 'bench', '.'];
const tsc = join(root, 'node_modules/typescript/bin/tsc');

function check(area) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [tsc, '--noEmit', '-p', area], { cwd: root });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ area, code, out, ms: Date.now() - t0 }));
  });
}

// Two at a time: these machines have two cores.
const queue = [...AREAS];
const results = [];
await Promise.all(
  [0, 1].map(async () => {
    while (queue.length) results.push(await check(queue.shift()));
  }),
);
let failed = 0;
for (const r of results.sort((a, b) => AREAS.indexOf(a.area) - AREAS.indexOf(b.area))) {
  const name = r.area === '.' ? 'tests and scripts' : r.area;
  if (r.code === 0) console.log(`tsc ${name}: ok (${(r.ms / 1000).toFixed(1)} s)`);
  else {
    failed++;
    console.error(`tsc ${name}: failed\n${r.out}`);
  }
}
process.exit(failed ? 1 : 0);
