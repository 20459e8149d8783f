/**
 * The "Samples" side view: the latest sample grid of one run, with its step and a run picker.
 * It follows the run being trained (or the dashboard in front) unless the person picked one.
 * Like every webview here it keeps no history: on `ready` (also after being hidden) it gets
 * the current state again.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { readSamples } from '../../runDir/runReader';
import { parseWebviewMessage, type HostToWebview } from '../../protocol/webviewProtocol';
import type { LiveFeed } from '../sessions/liveFeed';
import { MAX_UPDATES_PER_SECOND } from '../panels/updateCoalescer';
import { webviewHtml, webviewOptions } from '../panels/webviewContent';
import type { RunEntry, RunStore } from '../runs/runStore';
import type { SessionRegistry } from '../sessions/sessionRegistry';
import { printable } from '../../config/printable';

export const SAMPLES_VIEW_ID = 'ganStudio.samples';
const PICKER_LIMIT = 50;
/**
 * How long the view may be on screen before its page has said `ready` without the log saying so.
 * In a browser (code-server, Codespaces) every webview registers a service worker on one shared
 * scope, and Chromium runs the queued registrations only once it considers its own start-up done
 * (a minute after launch when the first page never goes idle): a view opened meanwhile stays blank
 * until then, with nothing of ours running yet. Setting the page again cannot help (it waits for
 * the same worker), so the log says what is happening instead of leaving a silent blank view.
 */
const READY_WATCHDOG_MS = 10_000;

export class SamplesSideView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  /** Chosen in the picker or the Runs view; otherwise the view follows training. */
  private pinned: string | undefined;
  private followed: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** When the current view was resolved, and whether the watchdog has reported it. */
  private resolvedAt = 0;
  private reportedSlowStart = false;
  private lastPost = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private viewDisposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: RunStore,
    private readonly registry: SessionRegistry,
    feed: LiveFeed,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      feed.onMessage(({ session, message }) => {
        if (message.type === 'started' && session.runId && !this.pinned) this.followed = session.runId;
        if ((message.type === 'samples' || message.type === 'started' || message.type === 'finished') && session.runId === this.selectedId()) this.schedule();
      }),
      runs.onDidChange(() => {
        this.updateRoots();
        this.schedule();
      }),
    );
  }

  static register(view: SamplesSideView): vscode.Disposable {
    return vscode.Disposable.from(view, vscode.window.registerWebviewViewProvider(SAMPLES_VIEW_ID, view));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    for (const d of this.viewDisposables.splice(0)) d.dispose();
    this.view = view;
    this.ready = false;
    this.roots = this.runs.runsDirs().join('\n');
    view.webview.options = webviewOptions(this.extensionUri, this.runs.runsDirs());
    view.webview.html = webviewHtml(view.webview, this.extensionUri, 'samples', 'GAN Samples', 'samples-view');
    this.resolvedAt = Date.now();
    this.reportedSlowStart = false;
    this.viewDisposables.push(
      view.webview.onDidReceiveMessage((raw) => this.receive(raw)),
      view.onDidChangeVisibility(() => this.armWatchdog()),
      view.onDidDispose(() => {
        this.view = undefined;
        this.ready = false;
        this.disarmWatchdog();
      }),
    );
    this.armWatchdog();
  }

  /** Reports a view that is visible but whose page has not started; see READY_WATCHDOG_MS. */
  private armWatchdog(): void {
    this.disarmWatchdog();
    if (!this.view?.visible || this.ready || this.reportedSlowStart) return;
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined;
      if (!this.view?.visible || this.ready) return;
      this.reportedSlowStart = true;
      this.log.warn(
        `[webview Samples] the view has been open ${Math.round((Date.now() - this.resolvedAt) / 1000)} s and its page has not started yet: ` +
          'VS Code has not finished preparing the webview (in a browser, its service worker). It shows by itself once that is done.',
      );
    }, READY_WATCHDOG_MS);
  }

  private disarmWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private roots = '';
  /** A session may write to a runs directory outside the setting; its images must stay loadable. */
  private updateRoots(): void {
    const dirs = this.runs.runsDirs();
    if (!this.view || dirs.join('\n') === this.roots) return;
    this.roots = dirs.join('\n');
    this.view.webview.options = webviewOptions(this.extensionUri, dirs);
  }

  /** Shows a run (from the Runs view selection or a dashboard coming to the front). */
  select(runId: string, pin = false): void {
    if (pin) this.pinned = runId;
    else this.followed = runId;
    this.schedule();
  }

  private receive(raw: unknown): void {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.log.warn(`[webview Samples] ignored an invalid message: ${parsed.reason}`);
      return;
    }
    const msg = parsed.value;
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.disarmWatchdog();
        if (this.reportedSlowStart) this.log.info(`[webview Samples] the page started ${Math.round((Date.now() - this.resolvedAt) / 1000)} s after the view opened`);
        this.reportedSlowStart = false;
        this.post();
        break;
      case 'selectRun':
        this.pinned = msg.runId;
        this.post();
        break;
      case 'openDashboard': {
        const entry = this.runs.byId(msg.runId);
        if (entry) void vscode.commands.executeCommand('ganStudio.openDashboard', entry.dir);
        break;
      }
      case 'stop':
        void this.registry.byRunId(msg.runId)?.stop();
        break;
      case 'resume': {
        const entry = this.runs.byId(msg.runId);
        if (entry) void vscode.commands.executeCommand('ganStudio.resume', entry.dir);
        break;
      }
      case 'log':
        this.log[msg.level](`[webview Samples] ${printable(msg.message, 2000)}`);
        break;
      case 'generate':
      case 'compareRuns':
      case 'cancelSweep':
      case 'control':
      case 'edit':
      case 'fork':
        break;
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  private selectedId(): string | undefined {
    const ids = new Set(this.runs.runs.map((r) => r.info.id));
    for (const id of [this.pinned, this.followed, this.registry.active.find((s) => s.runId)?.runId]) if (id && ids.has(id)) return id;
    return this.runs.runs[0]?.info.id;
  }

  /** Coalesced like the dashboards: at most 10 posts a second. */
  private schedule(): void {
    if (!this.ready || this.timer) return;
    const wait = Math.max(0, this.lastPost + 1000 / MAX_UPDATES_PER_SECOND - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.post();
    }, wait);
  }

  private post(): void {
    if (!this.view || !this.ready) return;
    this.lastPost = Date.now();
    const webview = this.view.webview;
    const selected = this.selectedId();
    const entry: RunEntry | undefined = selected ? this.runs.byId(selected) : undefined;
    const live = selected ? this.registry.byRunId(selected)?.run : undefined;
    const last = entry ? readSamples(entry.dir).at(-1) : undefined;
    const message: HostToWebview = {
      type: 'latestSample',
      runs: this.runs.runs.slice(0, PICKER_LIMIT).map((r) => ({ id: r.info.id, name: r.info.name, status: r.info.status })),
      ...(selected ? { selected } : {}),
      ...(entry ? { run: live ?? entry.info } : {}),
      ...(entry && last ? { sample: { ...last, src: webview.asWebviewUri(vscode.Uri.file(join(entry.dir, last.file))).toString() } } : {}),
    };
    void webview.postMessage(message);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.disarmWatchdog();
    for (const d of [...this.viewDisposables.splice(0), ...this.disposables.splice(0)]) d.dispose();
  }
}
