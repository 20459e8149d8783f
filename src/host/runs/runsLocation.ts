/** Where runs live: the ganStudio.runsDir setting, resolved per workspace folder. */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import * as vscode from 'vscode';

export const DEFAULT_RUNS_DIR = '.gan/runs';

function expand(setting: string, base: string): string {
  const s = setting.trim() || DEFAULT_RUNS_DIR;
  if (s === '~' || s.startsWith('~/')) return join(homedir(), s.slice(1));
  return isAbsolute(s) ? s : resolve(base, s);
}

/** The runs directory for a config file: its workspace folder's setting, else beside the file. */
export function runsDirForConfig(configUri: vscode.Uri): string {
  const folder = vscode.workspace.getWorkspaceFolder(configUri);
  const setting = vscode.workspace.getConfiguration('ganStudio', folder ?? configUri).get<string>('runsDir', DEFAULT_RUNS_DIR);
  return expand(setting, folder ? folder.uri.fsPath : dirname(configUri.fsPath));
}

/** Every runs directory of the workspace, without duplicates (folders may share an absolute one). */
export function workspaceRunsDirs(): string[] {
  const dirs = new Set<string>();
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (folder.uri.scheme !== 'file') continue;
    const setting = vscode.workspace.getConfiguration('ganStudio', folder).get<string>('runsDir', DEFAULT_RUNS_DIR);
    dirs.add(expand(setting, folder.uri.fsPath));
  }
  return [...dirs];
}
