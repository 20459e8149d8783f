/**
 * The workspace's runs as the UI sees them: read from the run directories (the durable record),
 * refreshed when a run.json changes on disk or a session of this window changes state.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as vscode from 'vscode';
import { isInterrupted, listRuns, readLatestCheckpoint, readRunInfo } from '../../runDir/runReader';
import type { RunInfo } from '../../protocol/runFormat';
import type { SweepFile } from '../../protocol/sweepFormat';
import { listSweeps } from '../../runDir/sweepDir';
import type { SessionRegistry } from '../sessions/sessionRegistry';
import { workspaceRunsDirs } from './runsLocation';

export interface RunEntry {
  dir: string;
  info: RunInfo;
  /** run.json says running, but no process is behind it (the window or machine went down). */
  interrupted: boolean;
  /** Trained by a session of this window right now. */
  live: boolean;
  hasCheckpoint: boolean;
  /** The sweep this run is a trial of. */
  sweepId?: string;
}

export interface SweepEntry {
  dir: string;
  sweep: SweepFile;
  /** Its trials that have a run directory, in trial order. */
  trials: RunEntry[];
}

const REFRESH_DEBOUNCE_MS = 250;
/**
 * While any run trains (here or in another process), the store also rereads the runs this often.
 * File watchers may lag by seconds or drop events (code-server's did, and the Runs view then
 * showed step 400 of a run at step 3000); this bounds how stale the view can be.
 */
const POLL_WHILE_RUNNING_MS = 2000;

export class RunStore implements vscode.Disposable {
  private entries: RunEntry[] = [];
  private sweepEntries: SweepEntry[] = [];
  private watchers: vscode.Disposable[] = [];
  private disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  /** Runs dirs outside the workspace setting that sessions of this window wrote to. */
  private extraDirs = new Set<string>();
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly registry: SessionRegistry) {
    this.disposables.push(
      this._onDidChange,
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.rewatch()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('ganStudio.runsDir') && this.rewatch()),
      registry.onDidChange((s) => {
        if (s.runsDir) this.addRunsDir(s.runsDir);
        this.scheduleRefresh();
      }),
    );
    this.rewatch();
  }

  /** Every run, trials of sweeps included, newest first. */
  get runs(): readonly RunEntry[] {
    return this.entries;
  }

  get sweeps(): readonly SweepEntry[] {
    return this.sweepEntries;
  }

  sweepById(sweepId: string): SweepEntry | undefined {
    return this.sweepEntries.find((s) => s.sweep.id === sweepId);
  }

  sweepByDir(sweepDir: string): SweepEntry | undefined {
    const want = resolve(sweepDir);
    return this.sweepEntries.find((s) => resolve(s.dir) === want);
  }

  runsDirs(): string[] {
    return [...new Set([...workspaceRunsDirs(), ...this.extraDirs])];
  }

  byId(runId: string): RunEntry | undefined {
    return this.entries.find((e) => e.info.id === runId);
  }

  byDir(runDir: string): RunEntry | undefined {
    const want = resolve(runDir);
    return this.entries.find((e) => resolve(e.dir) === want) ?? this.readOne(runDir);
  }

  /** The newest run of a config file. */
  latestForConfig(configPath: string): RunEntry | undefined {
    const want = resolve(configPath);
    return this.entries.find((e) => resolve(e.info.configPath) === want);
  }

  addRunsDir(runsDir: string): void {
    if (this.runsDirs().some((d) => resolve(d) === resolve(runsDir))) return;
    this.extraDirs.add(runsDir);
    this.rewatch();
  }

  /** A run directory opened from elsewhere (Open Run… → Browse). */
  readOne(runDir: string): RunEntry | undefined {
    try {
      return this.entry(runDir, readRunInfo(runDir));
    } catch {
      return undefined;
    }
  }

  scheduleRefresh(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refresh();
    }, REFRESH_DEBOUNCE_MS);
  }

  refresh(): void {
    const seen = new Set<string>();
    const all: RunEntry[] = [];
    const sweeps: SweepEntry[] = [];
    for (const runsDir of this.runsDirs()) {
      for (const r of listRuns(runsDir)) {
        const key = resolve(r.dir);
        if (seen.has(key)) continue;
        seen.add(key);
        all.push(this.entry(r.dir, r.info));
      }
      for (const s of listSweeps(runsDir)) {
        if (seen.has(resolve(s.dir))) continue;
        seen.add(resolve(s.dir));
        const trials = s.sweep.trials
          .filter((t) => existsSync(join(s.dir, t.runId, 'run.json')))
          .map((t) => this.readOne(join(s.dir, t.runId)))
          .filter((e): e is RunEntry => e !== undefined)
          .map((e) => ({ ...e, sweepId: s.sweep.id }));
        all.push(...trials);
        sweeps.push({ ...s, trials });
      }
    }
    all.sort((a, b) => b.info.createdAt.localeCompare(a.info.createdAt));
    this.entries = all;
    this.sweepEntries = sweeps.sort((a, b) => b.sweep.createdAt.localeCompare(a.sweep.createdAt));
    void vscode.commands.executeCommand('setContext', 'ganStudio.hasRuns', all.length > 0);
    const training = all.some((e) => e.info.status === 'running' && !e.interrupted) || sweeps.some((sw) => sw.sweep.status === 'running');
    if (training && !this.poll) this.poll = setInterval(() => this.scheduleRefresh(), POLL_WHILE_RUNNING_MS);
    if (!training && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
    this._onDidChange.fire();
  }

  private entry(dir: string, info: RunInfo): RunEntry {
    const live = this.registry.byRunDir(dir) !== undefined;
    return {
      dir,
      info,
      live,
      interrupted: !live && isInterrupted(info),
      hasCheckpoint: readLatestCheckpoint(dir) !== undefined,
    };
  }

  private rewatch(): void {
    for (const w of this.watchers.splice(0)) w.dispose();
    for (const runsDir of this.runsDirs()) {
      // The runs dir may not exist until the first run creates it: watch from its nearest existing
      // ancestor so that first run still shows up.
      let base = runsDir;
      while (!existsSync(base) && dirname(base) !== base) base = dirname(base);
      // Runs, sweeps, and the runs of a sweep's trials one level down: one watcher each, since a
      // glob's braces do not span path segments.
      const rel = relative(base, runsDir).replace(/\\/g, '/');
      for (const file of ['*/run.json', '*/sweep.json', '*/*/run.json']) {
        const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(base), `${rel ? `${rel}/` : ''}${file}`));
        this.watchers.push(w, w.onDidCreate(() => this.scheduleRefresh()), w.onDidChange(() => this.scheduleRefresh()), w.onDidDelete(() => this.scheduleRefresh()));
      }
    }
    this.refresh();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
    for (const d of [...this.watchers.splice(0), ...this.disposables.splice(0)]) d.dispose();
  }
}
