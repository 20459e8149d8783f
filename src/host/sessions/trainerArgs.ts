/** The trainer's command line, written once for Train GAN, Resume Run… and the tests. vscode-free. */
import type { BackendName } from '../../protocol/runFormat';

export interface TrainArgsOptions {
  /** The gan.json of a new run (unused when resuming). */
  configPath: string;
  runsDir: string;
  resumeDir?: string;
  /** New total number of steps (resuming a completed run to train further). */
  steps?: number;
  /** Overrides the config's backend; `auto`/undefined leaves the choice to the config. */
  backend?: BackendName | 'auto';
  /** A fork of parentDir at a checkpoint (default the latest), with edits at that step. */
  fork?: { parentDir: string; step?: number; sets: readonly { pointer: string; value: number }[] };
}

export function trainArgs(o: TrainArgsOptions): string[] {
  if (o.fork) {
    // A fork trains with its parent's backend choice, from the config its folder gets.
    const f = o.fork;
    return ['fork', f.parentDir, '--ipc', '--runs-dir', o.runsDir, ...(f.step !== undefined ? ['--step', String(f.step)] : []), ...f.sets.flatMap((e) => ['--set', `${e.pointer}=${e.value}`]), ...(o.steps !== undefined ? ['--steps', String(o.steps)] : []), ...(o.backend && o.backend !== 'auto' ? ['--backend', o.backend] : [])];
  }
  // A resumed run trains from its own config.json in its own directory: the CLI takes either a
  // gan.json or --resume, never both.
  const args = o.resumeDir ? ['train', '--resume', o.resumeDir, '--ipc'] : ['train', o.configPath, '--ipc', '--runs-dir', o.runsDir];
  if (o.steps !== undefined) args.push('--steps', String(o.steps));
  if (o.backend && o.backend !== 'auto') args.push('--backend', o.backend);
  return args;
}
