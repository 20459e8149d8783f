/** ▶ Train / ■ Stop / Open Dashboard above a gan.json, following the sessions of this window. */
import * as vscode from 'vscode';
import type { RunStore } from '../runs/runStore';
import type { SessionRegistry } from '../sessions/sessionRegistry';
import { planTrials } from '../../analysis/sweepPlan';
import { validateConfigText } from '../../config/validateConfig';
import { GAN_CONFIG_SELECTOR } from './ganFiles';

export class ConfigCodeLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this._onDidChange.event;
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly registry: SessionRegistry,
    private readonly runs: RunStore,
  ) {
    // State changes only: a lens that re-rendered on every progress message would flicker.
    this.disposables = [this._onDidChange, registry.onDidChange(() => this._onDidChange.fire()), runs.onDidChange(() => this._onDidChange.fire())];
  }

  static register(registry: SessionRegistry, runs: RunStore): vscode.Disposable {
    const provider = new ConfigCodeLens(registry, runs);
    return vscode.Disposable.from(provider, vscode.languages.registerCodeLensProvider(GAN_CONFIG_SELECTOR, provider));
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (doc.uri.scheme !== 'file') return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const sessions = this.registry.byConfig(doc.uri.fsPath);
    const lenses: vscode.CodeLens[] = [];
    if (sessions.length > 0) {
      const s = sessions[0];
      const stopping = s.state === 'stopping';
      lenses.push(new vscode.CodeLens(top, { title: stopping ? '■ Stopping…' : '■ Stop', command: stopping ? '' : 'ganStudio.stop', arguments: [doc.uri] }));
      if (s.runDir) lenses.push(new vscode.CodeLens(top, { title: 'Open Dashboard', command: 'ganStudio.openDashboard', arguments: [s.runDir] }));
    } else {
      lenses.push(new vscode.CodeLens(top, { title: '▶ Train', command: 'ganStudio.train', arguments: [doc.uri] }));
      const last = this.runs.latestForConfig(doc.uri.fsPath);
      if (last) lenses.push(new vscode.CodeLens(top, { title: 'Open Dashboard', tooltip: `Open the dashboard of ${last.info.id}`, command: 'ganStudio.openDashboard', arguments: [last.dir] }));
    }
    // A sweep block: its own lens, on the line of the block, with the number of trials it plans.
    const text = doc.getText();
    const at = text.search(/"sweep"\s*:/);
    if (at >= 0) {
      const sweep = validateConfigText(text).sweep;
      const line = new vscode.Range(doc.positionAt(at), doc.positionAt(at));
      if (sweep) {
        const n = planTrials(sweep).length;
        lenses.push(new vscode.CodeLens(line, { title: `▶ Run Sweep (${n} trial${n === 1 ? '' : 's'})`, tooltip: 'Train every trial of this sweep, here or on Slurm', command: 'ganStudio.runSweep', arguments: [doc.uri] }));
      }
      const sweeps = this.runs.sweeps.filter((e) => e.sweep.configPath === doc.uri.fsPath);
      if (sweeps[0]) lenses.push(new vscode.CodeLens(line, { title: 'Open Sweep', tooltip: `Open the table of ${sweeps[0].sweep.id}`, command: 'ganStudio.openSweep', arguments: [sweeps[0].sweep.id] }));
    }
    return lenses;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
