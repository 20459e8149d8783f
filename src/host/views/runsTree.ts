/** The "Runs" tree: every run of the workspace, newest first, with its status at a glance. */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { RunEntry, RunStore } from '../runs/runStore';
import type { SessionRegistry } from '../sessions/sessionRegistry';
import { formatDuration } from '../../analysis/progress';

export const RUNS_VIEW_ID = 'ganStudio.runs';

/** What the tree hands to commands; `dir` is the run directory. */
export interface RunNode {
  readonly dir: string;
  readonly runId: string;
}

export function isRunNode(v: unknown): v is RunNode {
  return typeof v === 'object' && v !== null && typeof (v as RunNode).dir === 'string' && typeof (v as RunNode).runId === 'string';
}

export class RunsTree implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this._onDidChange.event;
  private readonly disposables: vscode.Disposable[];
  readonly view: vscode.TreeView<RunNode>;

  constructor(
    private readonly runs: RunStore,
    private readonly registry: SessionRegistry,
  ) {
    this.view = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: this, canSelectMany: true, showCollapseAll: false });
    this.disposables = [
      this._onDidChange,
      this.view,
      runs.onDidChange(() => this._onDidChange.fire()),
      // Step counts move with progress, but the tree only needs the coarse picture: refresh on
      // state changes, not on every step.
      registry.onDidChange(() => this._onDidChange.fire()),
    ];
  }

  getChildren(element?: RunNode): RunNode[] {
    if (element) return [];
    return this.runs.runs.map((r) => ({ dir: r.dir, runId: r.info.id }));
  }

  getParent(): undefined {
    return undefined;
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    const entry = this.runs.byDir(node.dir);
    const item = new vscode.TreeItem(entry?.info.name ?? node.runId, vscode.TreeItemCollapsibleState.None);
    item.id = node.dir;
    if (!entry) {
      item.description = 'missing';
      return item;
    }
    const session = this.registry.byRunDir(entry.dir);
    const step = session?.progress?.step ?? entry.info.step;
    const status = statusOf(entry);
    item.description = `${status} · ${step}/${entry.info.totalSteps} · ${stamp(entry.info.createdAt)}`;
    item.iconPath = statusIcon(status);
    item.resourceUri = vscode.Uri.file(entry.dir);
    item.contextValue = [
      'ganRun',
      `status-${status}`,
      entry.hasCheckpoint ? 'checkpoint' : 'noCheckpoint',
      session ? 'live' : 'idle',
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
  md.appendMarkdown(`**${i.name}** — ${status}\n\n`);
  md.appendText(`${i.id}\nstep ${i.step} of ${i.totalSteps} · checkpoint ${i.checkpointStep || 'none'} · ${i.backend}\n`);
  md.appendText(`trained ${formatDuration(i.trainingMs / 1000)} · config ${basename(i.configPath)}\n`);
  if (i.resumedAt?.length) md.appendText(`resumed at step ${i.resumedAt.join(', ')}\n`);
  if (status === 'interrupted') md.appendText('\nNo trainer is behind this run any more (the window or machine went down); resume it from its checkpoint.\n');
  if (i.error) md.appendText(`\n${i.error.message}\n`);
  return md;
}
