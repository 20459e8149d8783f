/** Opening runs: "Open Dashboard", "Open Run…" and "Compare Runs…". */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { RUN_FILES } from '../../protocol/runFormat';
import { isGanConfigPath } from '../editor/ganFiles';
import { errorMessage, pickRun, runFromArg, runPickItem, runsFromArgs, type Command, type Services } from './command';

export class OpenDashboardCommand implements Command {
  readonly id = 'ganStudio.openDashboard';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown): Promise<void> {
    const entry = runFromArg(arg, this.s) ?? this.current() ?? (await pickRun(this.s, { title: 'Open Dashboard', empty: 'GAN Studio: there are no runs yet; run Train GAN first.' }));
    if (!entry) return;
    openOrReport(this.s, entry.dir);
  }

  /** The run in focus: the one training (if only one), else the newest run of the active config. */
  private current() {
    const active = this.s.registry.active.filter((x) => x.runDir);
    if (active.length === 1 && active[0].runDir) return this.s.runs.byDir(active[0].runDir);
    const doc = vscode.window.activeTextEditor?.document;
    if (doc && doc.uri.scheme === 'file' && isGanConfigPath(doc.uri.fsPath)) return runFromArg(doc.uri, this.s);
    return undefined;
  }
}

export class OpenRunCommand implements Command {
  readonly id = 'ganStudio.openRun';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown): Promise<void> {
    const given = runFromArg(arg, this.s);
    if (given) return openOrReport(this.s, given.dir);
    this.s.runs.refresh();
    const browse = { label: '$(folder-opened) Browse for a run folder…', browse: true as const };
    const picked = await vscode.window.showQuickPick<vscode.QuickPickItem & { browse?: true; entry?: ReturnType<typeof runPickItem>['entry'] }>(
      [...this.s.runs.runs.map(runPickItem), browse],
      { title: 'Open Run…', placeHolder: 'Open the dashboard of a run', matchOnDescription: true, matchOnDetail: true },
    );
    if (!picked) return;
    if (picked.entry) return openOrReport(this.s, picked.entry.dir);
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Open Run', title: 'Open a GAN Studio run folder' });
    if (!folder?.[0]) return;
    if (!existsSync(join(folder[0].fsPath, RUN_FILES.run))) {
      void vscode.window.showErrorMessage(`GAN Studio: ${folder[0].fsPath} is not a run folder (it has no ${RUN_FILES.run}).`);
      return;
    }
    openOrReport(this.s, folder[0].fsPath);
  }
}

export class CompareRunsCommand implements Command {
  readonly id = 'ganStudio.compareRuns';
  constructor(private readonly s: Services) {}

  async execute(...args: unknown[]): Promise<void> {
    let entries = runsFromArgs(args, this.s);
    if (entries.length < 2) {
      this.s.runs.refresh();
      if (this.s.runs.runs.length < 2) {
        void vscode.window.showInformationMessage('GAN Studio: comparing needs at least two runs.');
        return;
      }
      const chosen = new Set(entries.map((e) => e.dir));
      const items = this.s.runs.runs.map((e) => ({ ...runPickItem(e), picked: chosen.has(e.dir) }));
      const picked = await vscode.window.showQuickPick(items, { title: 'Compare Runs…', placeHolder: 'Pick two or more runs', canPickMany: true, matchOnDescription: true });
      if (!picked) return;
      entries = picked.map((p) => p.entry);
      if (entries.length < 2) {
        void vscode.window.showInformationMessage('GAN Studio: pick at least two runs to compare.');
        return;
      }
    }
    try {
      this.s.panels.openCompare(entries.map((e) => e.dir));
    } catch (err) {
      void vscode.window.showErrorMessage(`GAN Studio: cannot compare these runs: ${errorMessage(err)}`);
    }
  }
}

function openOrReport(s: Services, runDir: string): void {
  try {
    s.panels.openRun(runDir);
  } catch (err) {
    void vscode.window.showErrorMessage(`GAN Studio: cannot open the run: ${errorMessage(err)}`);
  }
}
