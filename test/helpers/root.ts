/** The repository root, for tests wherever their bundle runs from (out/test/…, a VS Code host). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** GAN_STUDIO_ROOT, else the nearest folder above this bundle or the cwd whose package.json is gan-studio. */
export function repoRoot(): string {
  if (process.env.GAN_STUDIO_ROOT) return process.env.GAN_STUDIO_ROOT;
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = dirname(dir)) {
      const pkg = join(dir, 'package.json');
      if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'gan-studio') return dir;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error('cannot find the gan-studio repo root (set GAN_STUDIO_ROOT)');
}
