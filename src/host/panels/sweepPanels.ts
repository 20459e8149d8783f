/**
 * Sweep panels, one per sweep: the table and chart of webview/sweep/, fed from the sweep folder
 * (sweep.json and its trials' run directories) after `ready`, and again, at most once a second,
 * whenever a file of the workspace's runs changes. Restored after a reload by a serializer.
 */
import { resolve, sep } from 'node:path';
import * as vscode from 'vscode';
import { parseWebviewMessage, type HostToWebview } from '../../protocol/webviewProtocol';
import { readSweepView } from '../../runDir/sweepDir';
import type { RunStore } from '../runs/runStore';
import { webviewHtml, webviewOptions } from './webviewContent';
import { messageHtml } from './webviewHtml';
import type { RunPanels } from './runPanels';
import { printable } from '../../config/printable';

export const SWEEP_VIEW_TYPE = 'ganStudio.sweep';
const REFRESH_MS = 1000;

export interface SweepPanelContext {
  extensionUri: vscode.Uri;
  runs: RunStore;
  panels: RunPanels;
  log: vscode.LogOutputChannel;
  /** Cancel a sweep, or one trial of it (the command does the work). */
  cancel: (sweepDir: string, runId?: string) => void;
}

export class SweepPanels implements vscode.Disposable {
  private readonly open = new Map<string, SweepPanel>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: SweepPanelContext) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(SWEEP_VIEW_TYPE, {
        deserializeWebviewPanel: (panel, state) => {
          const id = typeof state === 'object' && state !== null ? (state as { sweepId?: unknown }).sweepId : undefined;
          const entry = typeof id === 'string' ? ctx.runs.sweepById(id) : undefined;
          if (!entry) {
            panel.webview.options = { enableScripts: false };
            panel.webview.html = messageHtml(`GAN Studio: the sweep shown in "${panel.title}" no longer exists.`);
          } else this.attach(panel, entry.dir);
          return Promise.resolve();
        },
      }),
    );
  }

  show(sweepDir: string): void {
    const dir = resolve(sweepDir);
    const existing = this.open.get(dir);
    if (existing) {
      existing.panel.reveal();
      return;
    }
    const name = this.ctx.runs.sweepByDir(dir)?.sweep.name ?? 'sweep';
    const panel = vscode.window.createWebviewPanel(SWEEP_VIEW_TYPE, `GAN Sweep: ${name}`, vscode.ViewColumn.Active, { ...webviewOptions(this.ctx.extensionUri, []), enableFindWidget: true });
    this.attach(panel, dir);
  }

  private attach(panel: vscode.WebviewPanel, dir: string): void {
    const p = new SweepPanel(panel, dir, this.ctx);
    this.open.set(dir, p);
    panel.onDidDispose(() => {
      this.open.delete(dir);
      p.dispose();
    });
  }

  dispose(): void {
    for (const p of [...this.open.values()]) p.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

class SweepPanel {
  private ready = false;
  private timer: NodeJS.Timeout | undefined;
  private lastPost = 0;
  /** While the sweep runs its files are read again every second: file events alone can lag or stall. */
  private poll: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly dir: string,
    private readonly ctx: SweepPanelContext,
  ) {
    panel.iconPath = vscode.Uri.joinPath(ctx.extensionUri, 'media', 'gan-studio.svg');
    panel.webview.options = webviewOptions(ctx.extensionUri, []);
    panel.webview.html = webviewHtml(panel.webview, ctx.extensionUri, 'sweep', panel.title, 'sweep');
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw) => this.receive(raw)),
      ctx.runs.onDidChange(() => this.schedule()),
    );
  }

  /** A trial of this panel's sweep (its run folder lies in the sweep folder); other runs are not its to open. */
  private trialDir(runId: string): string | undefined {
    const dir = this.ctx.runs.byId(runId)?.dir;
    if (dir && resolve(dir).startsWith(resolve(this.dir) + sep)) return dir;
    this.ctx.log.warn(`[webview ${this.panel.title}] ignored a request for ${JSON.stringify(printable(runId, 80))}, which is not a trial of this sweep`);
    return undefined;
  }

  private receive(raw: unknown): void {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.ctx.log.warn(`[webview ${this.panel.title}] ignored an invalid message: ${parsed.reason}`);
      return;
    }
    const msg = parsed.value;
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.post();
        break;
      case 'openDashboard': {
        const dir = this.trialDir(msg.runId);
        if (dir) this.ctx.panels.openRun(dir);
        else void this.panel.webview.postMessage({ type: 'error', message: `${msg.runId} has not started yet, so it has no dashboard.` });
        break;
      }
      case 'compareRuns': {
        const dirs = msg.runIds.map((id) => this.trialDir(id)).filter((d): d is string => d !== undefined);
        if (dirs.length >= 2) this.ctx.panels.openCompare(dirs);
        break;
      }
      case 'cancelSweep':
        this.ctx.cancel(this.dir, msg.runId);
        break;
      case 'log':
        this.ctx.log[msg.level](`[webview ${this.panel.title}] ${printable(msg.message, 2000)}`);
        break;
      case 'stop':
      case 'resume':
      case 'selectRun':
      case 'generate':
      case 'control':
      case 'edit':
      case 'fork':
        this.ctx.log.warn(`[webview ${this.panel.title}] ignored '${msg.type}', which the sweep panel does not send`);
        break;
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  private schedule(): void {
    if (!this.ready || this.timer) return;
    const wait = Math.max(0, this.lastPost + REFRESH_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.post();
    }, wait);
  }

  private post(): void {
    if (!this.ready) return;
    this.lastPost = Date.now();
    try {
      const sweep = readSweepView(this.dir);
      const message: HostToWebview = { type: 'sweepSnapshot', sweep };
      void this.panel.webview.postMessage(message);
      if (sweep.status === 'running' && !this.poll) this.poll = setInterval(() => this.post(), REFRESH_MS);
      else if (sweep.status !== 'running' && this.poll) {
        clearInterval(this.poll);
        this.poll = undefined;
      }
    } catch (err) {
      const message: HostToWebview = { type: 'error', message: `Cannot read the sweep in ${this.dir}: ${(err as Error).message}` };
      void this.panel.webview.postMessage(message);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
