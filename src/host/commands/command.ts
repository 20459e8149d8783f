/** What every command gets, and the shared ways to find the run or config a command is about. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { RUN_FILES } from '../../protocol/runFormat';
import type { RunPanels } from '../panels/runPanels';
import type { SweepPanels } from '../panels/sweepPanels';
import type { SweepSessions } from '../sessions/sweepSession';
import type { RunEntry, RunStore } from '../runs/runStore';
import type { SessionRegistry } from '../sessions/sessionRegistry';
import type { TrainerLauncher } from '../sessions/trainerLauncher';
import type { TrainingUi } from '../sessions/trainingUi';
import { isRunNode, statusOf } from '../views/runsTree';
import type { ConfigDiagnostics } from '../editor/configDiagnostics';

export interface Command {
  readonly id: string;
  execute(...args: unknown[]): unknown;
}

export interface Services {
  extensionUri: vscode.Uri;
  registry: SessionRegistry;
  runs: RunStore;
  launcher: TrainerLauncher;
  ui: TrainingUi;
  panels: RunPanels;
  diagnostics: ConfigDiagnostics;
  sweeps: SweepSessions;
  sweepPanels: SweepPanels;
}

/** A run from whatever the caller passed: a tree node, a run directory, a run id or a URI. */
export function runFromArg(arg: unknown, s: Services): RunEntry | undefined {
  if (isRunNode(arg)) return s.runs.byDir(arg.dir);
  if (typeof arg === 'string') return s.runs.byId(arg) ?? (existsSync(join(arg, RUN_FILES.run)) ? s.runs.byDir(arg) : undefined);
  if (arg instanceof vscode.Uri && arg.scheme === 'file') {
    if (existsSync(join(arg.fsPath, RUN_FILES.run))) return s.runs.byDir(arg.fsPath);
    // A config file: its running session, else its newest run.
    const session = s.registry.byConfig(arg.fsPath).find((x) => x.runDir);
    return session?.runDir ? s.runs.byDir(session.runDir) : s.runs.latestForConfig(arg.fsPath);
  }
  return undefined;
}

/** Tree multi-selection arrives as (clicked, allSelected). */
export function runsFromArgs(args: unknown[], s: Services): RunEntry[] {
  const [first, second] = args;
  const list = Array.isArray(second) && second.length > 0 ? second : first !== undefined ? [first] : [];
  return list.map((a) => runFromArg(a, s)).filter((e): e is RunEntry => e !== undefined);
}

export interface RunPickItem extends vscode.QuickPickItem {
  entry: RunEntry;
}

export function runPickItem(e: RunEntry): RunPickItem {
  const status = statusOf(e);
  return {
    label: e.info.name,
    description: `${status} · step ${e.info.step}/${e.info.totalSteps}`,
    detail: `${e.info.id} · ${e.info.backend}${e.info.error ? ` · ${e.info.error.message}` : ''}`,
    entry: e,
  };
}

export async function pickRun(s: Services, options: { title: string; filter?: (e: RunEntry) => boolean; empty: string }): Promise<RunEntry | undefined> {
  s.runs.refresh();
  const candidates = s.runs.runs.filter(options.filter ?? (() => true));
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(options.empty);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(candidates.map(runPickItem), { title: options.title, matchOnDescription: true, matchOnDetail: true });
  return picked?.entry;
}

/** Training executes code and reads data on behalf of the workspace: only when it is trusted. */
export async function ensureTrusted(what: string): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const choice = await vscode.window.showWarningMessage(
    `GAN Studio: ${what} is disabled in Restricted Mode. Training runs a trainer process that loads data and writes files on behalf of this workspace, so it needs a trusted workspace. Editing, completion and validation of gan.json still work.`,
    'Manage Workspace Trust',
  );
  if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
