/**
 * Trials on this machine: a bounded queue of `gan-studio trial <sweepDir> <index>` processes,
 * each writing its output to logs/<runId>.log in the sweep folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepFile, SweepTrial } from '../../protocol/sweepFormat';
import type { Executor, ExecutorState } from './executor';

export interface LocalOptions {
  sweepDir: string;
  /** Trials at once. */
  parallel: number;
  /** The CLI bundle the trials run (this one). */
  cliPath: string;
}

export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;
  private queue: SweepTrial[] = [];
  private readonly running = new Map<number, ChildProcess>();
  private readonly gone = new Set<number>();
  private stopping = false;

  constructor(private readonly opts: LocalOptions) {}

  start(_sweep: SweepFile, trials: readonly SweepTrial[]): ReturnType<Executor['start']> {
    this.queue = [...trials];
    this.fill();
    return Promise.resolve({ executor: { kind: 'local', parallel: this.opts.parallel, pid: process.pid }, trials: new Map() });
  }

  private fill(): void {
    while (!this.stopping && this.running.size < this.opts.parallel && this.queue.length > 0) {
      const trial = this.queue.shift()!;
      const logs = join(this.opts.sweepDir, 'logs');
      mkdirSync(logs, { recursive: true });
      const fd = openSync(join(logs, `${trial.runId}.log`), 'a');
      // The same runtime as this process (Node, or VS Code's with ELECTRON_RUN_AS_NODE inherited).
      const child = spawn(process.execPath, [this.opts.cliPath, 'trial', this.opts.sweepDir, String(trial.index)], { stdio: ['ignore', fd, fd], env: process.env });
      closeSync(fd);
      this.running.set(trial.index, child);
      const done = () => {
        this.running.delete(trial.index);
        this.gone.add(trial.index);
        this.fill();
      };
      child.once('exit', done);
      child.once('error', done);
    }
  }

  poll(): Promise<Map<number, ExecutorState>> {
    const out = new Map<number, ExecutorState>();
    for (const t of this.queue) out.set(t.index, 'waiting');
    for (const i of this.running.keys()) out.set(i, 'running');
    for (const i of this.gone) out.set(i, 'gone');
    return Promise.resolve(out);
  }

  stop(index?: number): Promise<void> {
    if (index === undefined) {
      this.stopping = true;
      for (const t of this.queue) this.gone.add(t.index);
      this.queue = [];
      for (const child of this.running.values()) child.kill('SIGTERM');
    } else {
      const waiting = this.queue.findIndex((t) => t.index === index);
      if (waiting >= 0) {
        this.queue.splice(waiting, 1);
        this.gone.add(index);
      }
      this.running.get(index)?.kill('SIGTERM');
    }
    return Promise.resolve();
  }
}
