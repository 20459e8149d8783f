/**
 * Every training session of this window: the concurrency limit, lookups for commands and views,
 * and the one promise that `deactivate()` returns so no trainer outlives the window. vscode-free.
 */
import { resolve } from 'node:path';
import { Emitter, type Disposable } from '../events';
import type { TrainerProcess } from './trainerProcess';
import { TrainingSession, type SessionOptions } from './trainingSession';

export class TooManyTrainingsError extends Error {
  constructor(readonly limit: number) {
    super(
      `${limit} training${limit === 1 ? ' is' : 's are'} already running (the ganStudio.maxConcurrentTrainings setting); stop one or raise the limit.`,
    );
  }
}

export class SessionRegistry implements Disposable {
  private readonly sessions = new Set<TrainingSession>();
  private readonly _onDidChange = new Emitter<TrainingSession>();
  /** A session started, changed state, started its run or ended. */
  readonly onDidChange = this._onDidChange.event;
  private readonly _onDidAdd = new Emitter<TrainingSession>();
  readonly onDidAdd = this._onDidAdd.event;

  constructor(private readonly maxConcurrent: () => number) {}

  get active(): TrainingSession[] {
    return [...this.sessions].filter((s) => s.isActive);
  }

  /** Checks the limit before `spawn` runs, so a refused training never forks a process. */
  start(options: Omit<SessionOptions, 'process'>, spawn: () => TrainerProcess): TrainingSession {
    const limit = Math.max(1, Math.floor(this.maxConcurrent()));
    if (this.active.length >= limit) throw new TooManyTrainingsError(limit);
    const session = new TrainingSession({ ...options, process: spawn() });
    this.sessions.add(session);
    const subs = [
      session.onDidChangeState(() => this._onDidChange.fire(session)),
      session.onDidStart(() => this._onDidChange.fire(session)),
    ];
    void session.ended.then(() => {
      for (const d of subs) d.dispose();
      this.sessions.delete(session);
      this._onDidChange.fire(session);
    });
    this._onDidAdd.fire(session);
    this._onDidChange.fire(session);
    return session;
  }

  /** Whether a new training may start now (checked before forking). */
  canStart(): boolean {
    return this.active.length < Math.max(1, Math.floor(this.maxConcurrent()));
  }

  byRunId(runId: string): TrainingSession | undefined {
    return this.active.find((s) => s.runId === runId);
  }

  byRunDir(runDir: string): TrainingSession | undefined {
    const want = resolve(runDir);
    return this.active.find((s) => s.runDir !== undefined && resolve(s.runDir) === want);
  }

  byConfig(configPath: string): TrainingSession[] {
    const want = resolve(configPath);
    return this.active.filter((s) => resolve(s.configPath) === want);
  }

  /** Stops every trainer; resolves when all have exited (or been killed). */
  async stopAll(options: { urgent?: boolean } = {}): Promise<void> {
    await Promise.all(this.active.map((s) => s.stop(options)));
  }

  dispose(): void {
    for (const s of this.active) s.dispose();
    this._onDidChange.dispose();
    this._onDidAdd.dispose();
  }
}
