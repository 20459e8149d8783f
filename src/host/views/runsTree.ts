/**
 * The "Runs" tree: every sweep (its trials under it) and every run of the workspace, newest
 * first, with its status at a glance.
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { RunEntry, RunStore } from '../runs/runStore';
import type { SessionRegistry } from '../sessions/sessionRegistry';
import type { TrainingSession } from '../sessions/trainingSession';
import { formatDuration } from '../../analysis/progress';
import { backendNote } from '../../analysis/backendNote';
import { mdText } from '../markdown';

export const RUNS_VIEW_ID = 'ganStudio.runs';

/** What the tree hands to commands; `dir` is the run directory. */
export interface RunNode {
  readonly dir: string;
  readonly runId: string;
}

export function isRunNode(v: unknown): v is RunNode {
  return typeof v === 'object' && v !== null && typeof (v as RunNode).dir === 'string' && typeof (v as RunNode).runId === 'string';
}

/** A sweep: what the tree hands to the sweep commands. */
export interface SweepNode {
  readonly kind: 'sweep';
  readonly sweepDir: string;
  readonly sweepId: string;
}

export function isSweepNode(v: unknown): v is SweepNode {
  return typeof v === 'object' && v !== null && (v as SweepNode).kind === 'sweep' && typeof (v as SweepNode).sweepDir === 'string';
}

/** A trial of a sweep that has no run yet. */
interface PendingTrialNode {
  readonly kind: 'pending';
  readonly sweepDir: string;
  readonly sweepId: string;
  readonly index: number;
  readonly label: string;
}

type TreeNode = RunNode | SweepNode | PendingTrialNode;

/** How often the tree redraws for a live run's progress. */
const LIVE_REDRAW_MS = 1000;

export class RunsTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this._onDidChange.event;
  private readonly disposables: vscode.Disposable[];
  readonly view: vscode.TreeView<TreeNode>;

  constructor(
    private readonly runs: RunStore,
    private readonly registry: SessionRegistry,
  ) {
    this.view = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: this, canSelectMany: true, showCollapseAll: false });
    this.disposables = [
      this._onDidChange,
      this.view,
      runs.onDidChange(() => this._onDidChange.fire()),
      registry.onDidChange((session) => {
        this._onDidChange.fire();
        // A live run's step comes from its session, which reports ten times a second: redraw at
        // most once a second, whatever the file watcher does.
        if (!this.followed.has(session)) {
          this.followed.add(session);
          session.onDidProgress(() => this.throttledRedraw());
          session.onDidChangePaused(() => this._onDidChange.fire());
          void session.ended.then(() => this.followed.delete(session));
        }
      }),
      { dispose: () => this.redrawTimer && clearTimeout(this.redrawTimer) },
    ];
  }

  private readonly followed = new WeakSet<TrainingSession>();
  private redrawTimer: NodeJS.Timeout | undefined;

  private throttledRedraw(): void {
    if (this.redrawTimer) return;
    this.redrawTimer = setTimeout(() => {
      this.redrawTimer = undefined;
      this._onDidChange.fire();
    }, LIVE_REDRAW_MS);
  }

  getChildren(element?: TreeNode): TreeNode[] {
    if (!element) {
      const sweeps: TreeNode[] = this.runs.sweeps.map((s) => ({ kind: 'sweep', sweepDir: s.dir, sweepId: s.sweep.id }));
      // A fork sits under its parent while the parent is in the store: the lineage, as a tree.
      const roots = this.runs.runs.filter((r) => !r.sweepId && !(r.info.parent && this.parentOf(r)));
      return [...sweeps, ...roots.map((r) => ({ dir: r.dir, runId: r.info.id }))];
    }
    if (!isSweepNode(element)) {
      if (!('dir' in element)) return [];
      return this.forksOf(element.dir).map((r) => ({ dir: r.dir, runId: r.info.id }));
    }
    const entry = this.runs.sweepByDir(element.sweepDir);
    if (!entry) return [];
    return entry.sweep.trials.map((t): TreeNode => {
      const run = entry.trials.find((r) => r.info.id === t.runId);
      return run ? { dir: run.dir, runId: run.info.id } : { kind: 'pending', sweepDir: entry.dir, sweepId: entry.sweep.id, index: t.index, label: t.runId };
    });
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if ('kind' in node) return node.kind === 'pending' ? { kind: 'sweep', sweepDir: node.sweepDir, sweepId: node.sweepId } : undefined;
    const sweepId = this.runs.byDir(node.dir)?.sweepId;
    const sweep = sweepId ? this.runs.sweepById(sweepId) : undefined;
    return sweep ? { kind: 'sweep', sweepDir: sweep.dir, sweepId: sweep.sweep.id } : undefined;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    if (!('kind' in node)) return this.runItem(node);
    if (node.kind === 'sweep') return this.sweepItem(node);
    {
      const trial = this.runs.sweepByDir(node.sweepDir)?.sweep.trials.find((t) => t.index === node.index);
      const values = Object.entries(trial?.overrides ?? {}).map(([k, v]) => `${k.split('/').pop()}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      const item = new vscode.TreeItem(`t${String(node.index).padStart(3, '0')} ${values.join(' ')}`, vscode.TreeItemCollapsibleState.None);
      item.tooltip = node.label;
      item.id = `${node.sweepDir}#${node.index}`;
      item.description = 'pending';
      item.iconPath = new vscode.ThemeIcon('circle-outline');
      item.contextValue = 'ganPendingTrial';
      return item;
    }
  }

  private sweepItem(node: SweepNode): vscode.TreeItem {
    const entry = this.runs.sweepByDir(node.sweepDir);
    const item = new vscode.TreeItem(entry?.sweep.name ? `${entry.sweep.name} sweep` : node.sweepId, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.sweepDir;
    if (!entry) return item;
    const s = entry.sweep;
    const done = entry.trials.filter((t) => t.info.status === 'completed').length;
    const running = entry.trials.filter((t) => t.info.status === 'running' && !t.interrupted).length;
    item.description = `${s.status} · ${done}/${s.trials.length} done${running ? ` · ${running} training` : ''} · ${s.executor.kind}`;
    item.iconPath = s.status === 'running' ? new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')) : new vscode.ThemeIcon('beaker', new vscode.ThemeColor(s.status === 'completed' ? 'testing.iconPassed' : s.status === 'failed' ? 'testing.iconFailed' : 'charts.yellow'));
    item.resourceUri = vscode.Uri.file(entry.dir);
    item.contextValue = ['ganSweep', `status-${s.status}`].join(' ');
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${mdText(s.name)}** sweep — ${s.status}\n\n`);
    md.appendText(`${s.id}\n${s.trials.length} trials (${s.method}) over ${s.parameters.join(', ')}\n${s.executor.kind}${s.executor.kind === 'slurm' && s.executor.jobId ? ` job ${s.executor.jobId}` : ''} · config ${basename(s.configPath)}\n`);
    item.tooltip = md;
    item.command = { title: 'Open Sweep', command: 'ganStudio.openSweep', arguments: [node] };
    return item;
  }

  /** A trial is named by its number and what it sets: "t002 learningRate=0.002 seed=1". */
  private trialLabel(entry: RunEntry): string | undefined {
    const trial = entry.sweepId ? this.runs.sweepById(entry.sweepId)?.sweep.trials.find((t) => t.runId === entry.info.id) : undefined;
    if (!trial) return undefined;
    const values = Object.entries(trial.overrides).map(([k, v]) => `${k.split('/').pop()}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    return `t${String(trial.index).padStart(3, '0')} ${values.join(' ')}`;
  }

  private parentOf(entry: RunEntry): RunEntry | undefined {
    const p = entry.info.parent;
    return p ? (this.runs.byDir(p.runDir) ?? this.runs.byId(p.runId)) : undefined;
  }

  private forksOf(dir: string): RunEntry[] {
    return this.runs.runs.filter((r) => r.info.parent && this.parentOf(r)?.dir === dir);
  }

  private runItem(node: RunNode): vscode.TreeItem {
    const entry = this.runs.byDir(node.dir);
    const forks = entry ? this.forksOf(entry.dir).length : 0;
    const item = new vscode.TreeItem((entry && this.trialLabel(entry)) ?? entry?.info.name ?? node.runId, forks ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    item.id = node.dir;
    if (!entry) {
      item.description = 'missing';
      return item;
    }
    const session = this.registry.byRunDir(entry.dir);
    const step = session?.progress?.step ?? entry.info.step;
    const status = statusOf(entry);
    const paused = session?.paused ?? false;
    const lineage = entry.info.parent ? `fork @${entry.info.parent.step} · ` : '';
    item.description = `${lineage}${paused ? 'paused' : status} · ${step}/${entry.info.totalSteps} · ${stamp(entry.info.createdAt)}`;
    item.iconPath = paused ? new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('charts.blue')) : statusIcon(status);
    item.resourceUri = vscode.Uri.file(entry.dir);
    item.contextValue = [
      'ganRun',
      `status-${status}`,
      entry.hasCheckpoint ? 'checkpoint' : 'noCheckpoint',
      session ? 'live' : 'idle',
      ...(paused ? ['paused'] : []),
      ...(entry.info.parent ? ['fork'] : []),
    ].join(' ');
    item.tooltip = tooltip(entry, status);
    item.command = { title: 'Open Dashboard', command: 'ganStudio.openDashboard', arguments: [node] };
    return item;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

export type DisplayStatus = RunEntry['info']['status'] | 'interrupted';

export function statusOf(entry: RunEntry): DisplayStatus {
  return entry.interrupted ? 'interrupted' : entry.info.status;
}

function statusIcon(status: DisplayStatus): vscode.ThemeIcon {
  switch (status) {
    case 'running':
      return new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue'));
    case 'completed':
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'stopped':
      return new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('charts.yellow'));
    case 'failed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'interrupted':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('charts.orange'));
  }
}

function stamp(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

function tooltip(entry: RunEntry, status: DisplayStatus): vscode.MarkdownString {
  const i = entry.info;
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${mdText(i.name)}** — ${status}\n\n`);
  md.appendText(`${i.id}\nstep ${i.step} of ${i.totalSteps} · checkpoint ${i.checkpointStep || 'none'} · ${i.backend}\n`);
  md.appendText(`trained ${formatDuration(i.trainingMs / 1000)} · config ${basename(i.configPath)}\n`);
  if (i.resumedAt?.length) md.appendText(`resumed at step ${i.resumedAt.join(', ')}\n`);
  if (i.parent) md.appendText(`forked from ${i.parent.runId} at step ${i.parent.step}\n`);
  if (i.backendDetail) md.appendText(`backend: ${backendNote(i).detail.replace(/\n/g, '; ')}\n`);
  if (status === 'interrupted') md.appendText('\nNo trainer is behind this run any more (the window or machine went down); resume it from its checkpoint.\n');
  if (i.error) md.appendText(`\n${i.error.message}\n`);
  return md;
}
