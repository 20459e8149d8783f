/**
 * Dashboard panels (one per run) and compare panels. Each panel gets its history from the run
 * directory after the webview says `ready`, then live updates from the session coalesced to
 * ≤ 10/s. Panels survive a reload through a WebviewPanelSerializer.
 */
import { dirname, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { RunInfo } from '../../protocol/runFormat';
import { parseWebviewMessage, type GenerateSamplesRequest, type HostToWebview, type RunSnapshot } from '../../protocol/webviewProtocol';
import { listCheckpoints, readRunInfo, readSnapshot, runIdOf } from '../../runDir/runReader';
import type { AlarmMonitor } from '../alarms/alarmMonitor';
import type { GeneratorServers } from '../sessions/generatorServers';
import type { RunStore } from '../runs/runStore';
import type { SessionRegistry } from '../sessions/sessionRegistry';
import type { LiveFeed, LiveMessage } from '../sessions/liveFeed';
import { UpdateCoalescer } from './updateCoalescer';
import { webviewHtml, webviewOptions } from './webviewContent';
import { messageHtml } from './webviewHtml';
import { printable } from '../../config/printable';

export const DASHBOARD_VIEW_TYPE = 'ganStudio.dashboard';
export const COMPARE_VIEW_TYPE = 'ganStudio.compare';
const PANEL_RUNS_KEY = 'ganStudio.panelRuns';
/** Runs trained elsewhere (the CLI in a terminal) only change on disk; re-read at most this often. */
const EXTERNAL_REFRESH_MS = 1000;

type PanelKind = 'dashboard' | 'compare';

export interface PanelContext {
  extensionUri: vscode.Uri;
  runs: RunStore;
  registry: SessionRegistry;
  feed: LiveFeed;
  log: vscode.LogOutputChannel;
  state: vscode.Memento;
  alarms: AlarmMonitor;
  /** `serve` processes for the latent explorer of runs that are not training. */
  generators: GeneratorServers;
}

export class RunPanels implements vscode.Disposable {
  private readonly panels = new Set<RunPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly _onDidFocusRun = new vscode.EventEmitter<string>();
  /** A dashboard came to the front (the Samples view follows it). */
  readonly onDidFocusRun = this._onDidFocusRun.event;

  constructor(private readonly ctx: PanelContext) {
    this.disposables.push(
      this._onDidFocusRun,
      vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, { deserializeWebviewPanel: (p, s) => Promise.resolve(this.revive(p, s, 'dashboard')) }),
      vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, { deserializeWebviewPanel: (p, s) => Promise.resolve(this.revive(p, s, 'compare')) }),
      ctx.alarms.onDidChange((c) => {
        for (const p of this.panels) if (p.kind === 'dashboard' && p.shows(c.runDir)) p.post({ type: 'alarms', runId: c.runId, alarms: c.alarms });
      }),
      ctx.alarms.onDidReset(() => {
        for (const p of this.panels) if (p.kind === 'dashboard') p.postAlarms();
      }),
    );
  }

  /** Opens (or reveals) the dashboard of one run. */
  openRun(runDir: string): void {
    const existing = [...this.panels].find((p) => p.kind === 'dashboard' && p.shows(runDir));
    if (existing) {
      existing.panel.reveal();
      return;
    }
    const info = readRunInfo(runDir);
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, dashboardTitle(info), vscode.ViewColumn.Active, this.options([runDir]));
    this.attach(panel, 'dashboard', [runDir]);
  }

  openCompare(runDirs: string[]): void {
    const infos = runDirs.map((d) => readRunInfo(d));
    const title = `GAN Compare: ${infos.map((i) => i.name).join(' · ')}`.slice(0, 80);
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, title, vscode.ViewColumn.Active, this.options(runDirs));
    this.attach(panel, 'compare', runDirs);
  }

  /** Closes the panels that show a run (before it is deleted). */
  closeRun(runDir: string): void {
    for (const p of [...this.panels]) if (p.shows(runDir)) p.panel.dispose();
  }

  private options(runDirs: string[]): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    // Only the runs directories these runs live in, not every folder of the workspace.
    const roots = [...new Set(runDirs.map((d) => dirname(resolve(d))))];
    return { ...webviewOptions(this.ctx.extensionUri, roots), enableFindWidget: false };
  }

  private attach(panel: vscode.WebviewPanel, kind: PanelKind, runDirs: string[]): RunPanel {
    const p = new RunPanel(panel, kind, runDirs, this.ctx, (panel, msg) => this.generate(panel, msg));
    this.panels.add(p);
    void this.remember();
    p.onDidDispose(() => {
      this.panels.delete(p);
      // A generator process serves the explorer of a panel; none is kept for a run nobody shows.
      for (const dir of p.runDirs) if (![...this.panels].some((o) => o.shows(dir))) void this.ctx.generators.stopRun(dir);
      void this.remember();
    });
    panel.onDidChangeViewState((e) => e.webviewPanel.active && kind === 'dashboard' && this._onDidFocusRun.fire(runDirs[0]));
    if (kind === 'dashboard') this._onDidFocusRun.fire(runDirs[0]);
    return p;
  }

  /**
   * The webview keeps only its view state, so the run a restored panel showed is found from the
   * panel title, remembered per workspace when the panel was opened.
   */
  private revive(panel: vscode.WebviewPanel, state: unknown, kind: PanelKind): void {
    const remembered = this.ctx.state.get<Record<string, string[]>>(PANEL_RUNS_KEY, {});
    const fromState = runIdsFromState(state);
    let dirs: string[] = [];
    if (fromState.length) dirs = fromState.map((id) => this.ctx.runs.byId(id)?.dir).filter((d): d is string => d !== undefined);
    if (!dirs.length) dirs = (remembered[`${kind}:${panel.title}`] ?? []).filter((d) => this.ctx.runs.byDir(d) !== undefined);
    if (!dirs.length) {
      panel.webview.options = { enableScripts: false };
      panel.webview.html = messageHtml(`GAN Studio: the run shown in "${panel.title}" no longer exists.`);
      return;
    }
    panel.webview.options = this.options(dirs);
    this.attach(panel, kind, dirs);
  }

  private async remember(): Promise<void> {
    const map: Record<string, string[]> = {};
    for (const p of this.panels) map[`${p.kind}:${p.panel.title}`] = p.runDirs;
    await this.ctx.state.update(PANEL_RUNS_KEY, map);
  }

  /**
   * Latent generation for the explorer: the running trainer when the webview asks for the live
   * generator, else a `serve` process for the checkpoint (the latest one by default). The answer
   * goes back under the webview's own request id.
   */
  private generate(panel: RunPanel, msg: GenerateSamplesRequest): void {
    // A panel asks only for the runs it shows, whatever its webview says.
    const dir = panel.dirOf(msg.runId);
    const session = dir ? this.ctx.registry.byRunDir(dir) : undefined;
    let answer: Promise<{ data: number[]; shape: number[] }>;
    if (!dir) {
      answer = Promise.reject(new Error(`${msg.runId} is not a run this panel shows.`));
      this.ctx.log.warn(`[webview ${panel.panel.title}] refused to generate for ${JSON.stringify(msg.runId)}, which the panel does not show`);
    } else if (msg.checkpoint === undefined && session) {
      answer = session.generate(msg.z, msg.count);
    } else {
      const checkpoints = listCheckpoints(dir);
      const step = msg.checkpoint ?? checkpoints.at(-1);
      if (!vscode.workspace.isTrusted) {
        // A checkpoint's generator runs in a `serve` process, which loads the run's data: no
        // process of ours starts for an untrusted workspace.
        answer = Promise.reject(new Error('The latent explorer of a saved checkpoint runs a GAN Studio process, which is disabled in Restricted Mode. Trust this workspace to explore it.'));
      } else if (step === undefined) answer = Promise.reject(new Error('This run has no checkpoint yet, so there is no generator to explore.'));
      else if (!checkpoints.includes(step)) answer = Promise.reject(new Error(`This run has no checkpoint at step ${step}.`));
      else {
        answer = this.ctx.generators.generate(dir, step, msg.z, msg.count).catch((err: Error) => {
          this.ctx.log.warn(`[explorer] ${msg.runId} step ${step}: ${err.message}`);
          throw new Error(`Latent explorer: ${err.message}`);
        });
      }
    }
    answer.then(
      (g) => panel.post({ type: 'generated', requestId: msg.requestId, data: g.data, shape: g.shape }),
      (err: Error) => panel.post({ type: 'error', message: err.message, requestId: msg.requestId }),
    );
  }

  dispose(): void {
    for (const p of [...this.panels]) p.panel.dispose();
    void this.ctx.generators.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function dashboardTitle(info: RunInfo): string {
  return `GAN: ${info.id}`;
}

function runIdsFromState(state: unknown): string[] {
  if (typeof state !== 'object' || state === null) return [];
  const s = state as Record<string, unknown>;
  if (typeof s.runId === 'string') return [s.runId];
  if (Array.isArray(s.runIds)) return s.runIds.filter((x): x is string => typeof x === 'string');
  return [];
}

class RunPanel {
  private ready = false;
  private readonly coalescer: UpdateCoalescer;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly _onDidDispose = new vscode.EventEmitter<void>();
  readonly onDidDispose = this._onDidDispose.event;
  /** run.json's updatedAt of each run as last sent, to notice changes made by other processes. */
  private readonly sentStamp = new Map<string, string>();
  private externalTimer: NodeJS.Timeout | undefined;
  readonly runDirs: string[];

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly kind: PanelKind,
    runDirs: string[],
    private readonly ctx: PanelContext,
    private readonly onGenerate: (panel: RunPanel, msg: GenerateSamplesRequest) => void,
  ) {
    this.runDirs = runDirs.map((d) => resolve(d));
    this.coalescer = new UpdateCoalescer((m) => this.post(m));
    panel.iconPath = vscode.Uri.joinPath(ctx.extensionUri, 'media', 'gan-studio.svg');
    panel.webview.html = webviewHtml(panel.webview, ctx.extensionUri, 'dashboard', panel.title, kind);
    this.disposables.push(
      this._onDidDispose,
      panel.webview.onDidReceiveMessage((raw) => this.receive(raw)),
      panel.onDidDispose(() => this.dispose()),
      ctx.feed.onMessage((m) => this.live(m)),
      ctx.feed.onEnded(({ session }) => {
        if (session.runDir && this.shows(session.runDir)) this.pushRunFromDisk(session.runDir);
      }),
      ctx.runs.onDidChange(() => this.scheduleExternalRefresh()),
    );
  }

  shows(runDir: string): boolean {
    return this.runDirs.includes(resolve(runDir));
  }

  /** Sends the current alarms of the panel's run (after the thresholds changed). */
  postAlarms(): void {
    const dir = this.runDirs[0];
    if (!this.ready || !dir) return;
    this.post({ type: 'alarms', runId: this.ctx.runs.byDir(dir)?.info.id ?? runIdOf(dir), alarms: this.ctx.alarms.alarmsFor(dir) });
  }

  post(message: HostToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private toSrc = (absPath: string): string => this.panel.webview.asWebviewUri(vscode.Uri.file(absPath)).toString();

  private receive(raw: unknown): void {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.ctx.log.warn(`[webview] ignored an invalid message from ${this.panel.title}: ${parsed.reason}`);
      return;
    }
    const msg = parsed.value;
    switch (msg.type) {
      case 'ready':
        // Also after the webview was hidden and re-created: it has nothing but its view state.
        this.ready = true;
        this.coalescer.reset();
        this.sendHistory();
        break;
      case 'stop': {
        const own = this.dirOf(msg.runId);
        const session = own ? this.ctx.registry.byRunDir(own) : undefined;
        if (session) void session.stop();
        else this.post({ type: 'error', message: `${msg.runId} is not training in this window.` });
        break;
      }
      case 'resume':
      case 'openDashboard': {
        const dir = this.dirOf(msg.runId);
        if (dir) void vscode.commands.executeCommand(msg.type === 'resume' ? 'ganStudio.resume' : 'ganStudio.openDashboard', dir);
        else this.ctx.log.warn(`[webview ${this.panel.title}] ignored '${msg.type}' for ${JSON.stringify(msg.runId)}, which the panel does not show`);
        break;
      }
      case 'selectRun':
        break;
      case 'generate':
        this.onGenerate(this, msg);
        break;
      case 'compareRuns': {
        // A fork's dashboard overlays the fork and its parent, and nothing else.
        const own = this.runDirs[0] ? this.ctx.runs.byDir(this.runDirs[0]) : undefined;
        const parent = own?.info.parent;
        if (this.kind === 'dashboard' && own && parent && msg.runIds.length === 2 && msg.runIds[0] === parent.runId && msg.runIds[1] === own.info.id) {
          void vscode.commands.executeCommand('ganStudio.compareWithParent', own.dir);
        } else this.ctx.log.warn(`[webview ${this.panel.title}] ignored 'compareRuns' for ${JSON.stringify(msg.runIds)}: a dashboard compares only its fork with the parent`);
        break;
      }
      case 'cancelSweep':
        // The sweep panel's message; a dashboard has no such button.
        this.ctx.log.warn(`[webview ${this.panel.title}] ignored '${msg.type}', which a dashboard does not send`);
        break;
      case 'log':
        this.ctx.log[msg.level](`[webview ${this.panel.title}] ${printable(msg.message, 2000)}`);
        break;
      case 'control':
      case 'edit': {
        const own = this.dirOf(msg.runId);
        const session = own ? this.ctx.registry.byRunDir(own) : undefined;
        if (!session) {
          this.post({ type: 'error', message: `${msg.runId} is not training in this window.` });
          break;
        }
        try {
          if (msg.type === 'control') session.control(msg.action, 'dashboard');
          else session.edit(msg.pointer, msg.value, 'dashboard');
        } catch (err) {
          this.post({ type: 'error', message: (err as Error).message });
        }
        break;
      }
      case 'fork': {
        const dir = this.dirOf(msg.runId);
        if (dir) void vscode.commands.executeCommand('ganStudio.forkRun', dir, { step: msg.step, sets: msg.sets });
        else this.ctx.log.warn(`[webview ${this.panel.title}] ignored 'fork' for ${JSON.stringify(msg.runId)}, which the panel does not show`);
        break;
      }
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  /** The directory of one of this panel's own runs; any other run id gets undefined. */
  dirOf(runId: string): string | undefined {
    return this.runDirs.find((d) => runIdOf(d) === runId || this.ctx.runs.byDir(d)?.info.id === runId);
  }

  private sendHistory(): void {
    const snapshots: RunSnapshot[] = [];
    for (const dir of this.runDirs) {
      try {
        const s = readSnapshot(dir, this.toSrc);
        if (this.kind === 'dashboard') s.alarms = this.ctx.alarms.alarmsFor(dir);
        // The session knows the current step before run.json does (it is rewritten once a second).
        const session = this.ctx.registry.byRunDir(dir);
        const live = session?.run;
        if (live) s.run = { ...s.run, ...live, step: Math.max(s.run.step, live.step) };
        if (session?.paused) s.paused = true;
        snapshots.push(s);
        this.sentStamp.set(dir, s.run.updatedAt);
      } catch (err) {
        this.post({ type: 'error', message: `Cannot read the run in ${dir}: ${(err as Error).message}` });
      }
    }
    if (this.kind === 'dashboard') {
      if (snapshots[0]) this.post({ type: 'snapshot', snapshot: snapshots[0] });
    } else {
      this.post({ type: 'compare', runs: snapshots });
    }
    for (const s of snapshots) this.coalescer.snapshotSent(s);
  }

  private live({ session, message }: LiveMessage): void {
    if (!this.ready || !session.runDir || !this.shows(session.runDir)) return;
    const runId = session.runId ?? runIdOf(session.runDir);
    switch (message.type) {
      case 'started':
        // A resume rewinds the logs to its checkpoint: the old history is no longer the truth.
        this.coalescer.reset();
        this.sendHistory();
        break;
      case 'metrics':
        this.coalescer.push({ runId, metrics: message.records });
        break;
      case 'histogram':
        this.coalescer.push({ runId, histograms: [message.record] });
        break;
      case 'quality':
        this.coalescer.push({ runId, quality: [message.record] });
        break;
      case 'samples':
        this.coalescer.push({ runId, samples: [{ ...message.record, src: this.toSrc(join(session.runDir, message.record.file)) }] });
        break;
      case 'checkpoint':
        this.coalescer.push({ runId, checkpoints: [message.step], ...(session.run ? { run: session.run } : {}) });
        break;
      case 'progress':
      case 'finished':
        if (session.run) this.coalescer.push({ runId, run: session.run });
        break;
      case 'event':
        this.coalescer.push({ runId, events: [message.event] });
        break;
      case 'paused':
        this.coalescer.push({ runId, paused: message.paused, ...(session.run ? { run: session.run } : {}) });
        break;
      case 'controlRefused':
        this.post({ type: 'error', message: message.message });
        break;
      case 'log':
      case 'generated':
      case 'generateFailed':
      case 'serving':
        break;
    }
  }

  private pushRunFromDisk(runDir: string): void {
    try {
      const run = readRunInfo(runDir);
      this.sentStamp.set(resolve(runDir), run.updatedAt);
      if (this.ready) {
        this.coalescer.push({ runId: run.id, run });
        this.coalescer.flush();
      }
    } catch {
      // deleted meanwhile: the next refresh reports it
    }
  }

  /** For runs not trained by this window: re-send the history when run.json moved on. */
  private scheduleExternalRefresh(): void {
    if (!this.ready || this.externalTimer) return;
    this.externalTimer = setTimeout(() => {
      this.externalTimer = undefined;
      if (!this.ready) return;
      const changed = this.runDirs.some((dir) => {
        if (this.ctx.registry.byRunDir(dir)) return false;
        const entry = this.ctx.runs.byDir(dir);
        return entry !== undefined && entry.info.updatedAt !== this.sentStamp.get(dir);
      });
      if (changed) {
        this.coalescer.reset();
        this.sendHistory();
      }
    }, EXTERNAL_REFRESH_MS);
  }

  dispose(): void {
    if (this.externalTimer) clearTimeout(this.externalTimer);
    this.coalescer.dispose();
    this._onDidDispose.fire();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
