/** What every command gets, and the shared ways to find the run or config a command is about. */
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import * as vscode from 'vscode';
import type { GanConfig } from '../../config/ganConfig';
import { printable } from '../../config/printable';
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
  /** This workspace's memory (e.g. data folders outside it that the person allowed). */
  state: vscode.Memento;
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

const ALLOWED_OUTSIDE_KEY = 'ganStudio.dataOutsideWorkspace.allowed';

/** The data file or folder a config trains on, absolute and with symlinks resolved, if it names one. */
export function dataLocation(configPath: string, config: Pick<GanConfig, 'data'>): string | undefined {
  const path = (config.data as { path?: unknown }).path;
  if (typeof path !== 'string') return undefined;
  const abs = resolve(dirname(configPath), path);
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
}

/**
 * Training reads the data on behalf of the workspace. When a config names data outside every
 * workspace folder (`"path": "../../etc/passwd"`), ask once per data location, unless the
 * ganStudio.data.allowOutsideWorkspace setting says yes.
 */
export async function confirmDataLocation(s: Services, configPath: string, config: Pick<GanConfig, 'data'>): Promise<boolean> {
  const data = dataLocation(configPath, config);
  if (!data) return true;
  const folders = (vscode.workspace.workspaceFolders ?? [])
    .filter((f) => f.uri.scheme === 'file')
    .map((f) => {
      try {
        return realpathSync(f.uri.fsPath);
      } catch {
        return f.uri.fsPath;
      }
    });
  if (folders.some((f) => data === f || data.startsWith(f.endsWith(sep) ? f : f + sep))) return true;
  if (vscode.workspace.getConfiguration('ganStudio').get<boolean>('data.allowOutsideWorkspace', false)) return true;
  const allowed = s.state.get<string[]>(ALLOWED_OUTSIDE_KEY, []);
  if (allowed.includes(data)) return true;
  const choice = await vscode.window.showWarningMessage(
    `${basename(configPath)} trains on data outside this workspace. Let GAN Studio read it?`,
    { modal: true, detail: `${printable(data, 300)}\n\nTraining reads this on behalf of the workspace. A config from someone else can name any file on this machine.` },
    'Allow Once',
    'Always Allow This Location',
  );
  if (choice === 'Always Allow This Location') await s.state.update(ALLOWED_OUTSIDE_KEY, [...allowed, data]);
  if (!choice) s.ui.log.info(`[data] not training ${configPath}: its data ${printable(data, 300)} is outside the workspace and was not allowed`);
  return choice !== undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
