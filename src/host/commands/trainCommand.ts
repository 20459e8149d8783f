/** "Train GAN": the active gan.json (or one picked from the workspace), checked, then trained. */
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { formatProblem, validateConfigText } from '../../config/validateConfig';
import { fileChecksFor, GAN_CONFIG_EXCLUDE, GAN_CONFIG_GLOB, isGanConfigPath } from '../editor/ganFiles';
import { runsDirForConfig } from '../runs/runsLocation';
import { TooManyTrainingsError } from '../sessions/sessionRegistry';
import type { GanConfig } from '../../config/ganConfig';
import { confirmDataLocation, ensureTrusted, errorMessage, type Command, type Services } from './command';

export class TrainCommand implements Command {
  readonly id = 'ganStudio.train';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown): Promise<void> {
    if (!(await ensureTrusted('Training'))) return;
    const uri = arg instanceof vscode.Uri ? arg : await findConfig();
    if (!uri) return;
    const configPath = uri.fsPath;

    // Train what is on screen: unsaved edits would otherwise be silently ignored by the trainer.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open?.isDirty && !(await open.save())) {
      void vscode.window.showWarningMessage(`GAN Studio: ${vscode.workspace.asRelativePath(uri)} has unsaved changes that could not be saved; training was not started.`);
      return;
    }
    const config = checkConfig(uri, this.s);
    if (!config) return;
    if (!(await confirmDataLocation(this.s, configPath, config))) return;

    const running = this.s.registry.byConfig(configPath);
    if (running.length > 0) {
      const choice = await vscode.window.showInformationMessage(
        `GAN Studio: ${vscode.workspace.asRelativePath(uri)} is already training. Start another run of it?`,
        'Start Another Run',
        'Open Dashboard',
      );
      if (choice === 'Open Dashboard' && running[0].runDir) this.s.panels.openRun(running[0].runDir);
      if (choice !== 'Start Another Run') return;
    }

    let session;
    try {
      session = this.s.launcher.start({ configPath, runsDir: runsDirForConfig(uri) });
    } catch (err) {
      const actions = err instanceof TooManyTrainingsError ? ['Stop Training', 'Open Settings'] : ['Show Log'];
      const choice = await vscode.window.showErrorMessage(`GAN Studio: ${errorMessage(err)}`, ...actions);
      if (choice === 'Stop Training') void vscode.commands.executeCommand('ganStudio.stop');
      if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'ganStudio.maxConcurrentTrainings');
      if (choice === 'Show Log') this.s.ui.log.show(true);
      return;
    }
    if (vscode.workspace.getConfiguration('ganStudio', uri).get<boolean>('openDashboardOnTrain', true)) {
      const sub = session.onDidStart(() => {
        sub.dispose();
        if (session.runDir) this.s.panels.openRun(session.runDir);
      });
      void session.ended.then(() => sub.dispose());
    }
  }
}

/**
 * The config when it is valid; otherwise shows its problems and returns undefined (the trainer
 * would refuse it anyway).
 */
export function checkConfig(uri: vscode.Uri, s: Services): GanConfig | undefined {
  let text: string;
  try {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    text = doc ? doc.getText() : readFileSync(uri.fsPath, 'utf8');
  } catch (err) {
    void vscode.window.showErrorMessage(`GAN Studio: cannot read ${uri.fsPath}: ${errorMessage(err)}`);
    return undefined;
  }
  const checked = validateConfigText(text, fileChecksFor(uri));
  const errors = checked.problems.filter((p) => p.severity === 'error');
  if (errors.length === 0 && checked.config) return checked.config;
  const file = vscode.workspace.asRelativePath(uri);
  for (const p of errors) s.ui.log.error(formatProblem(file, p));
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : '';
  void vscode.window.showErrorMessage(`GAN Studio: cannot train: ${formatProblem(file, errors[0])}${more}`, 'Show Problems').then(async (choice) => {
    if (choice !== 'Show Problems') return;
    const doc = await vscode.workspace.openTextDocument(uri);
    s.diagnostics.check(doc);
    const editor = await vscode.window.showTextDocument(doc);
    const first = errors[0];
    if (first.offset !== undefined) {
      const pos = doc.positionAt(first.offset);
      editor.selection = new vscode.Selection(pos, pos);
      editor.revealRange(new vscode.Range(pos, pos));
    }
    void vscode.commands.executeCommand('workbench.actions.view.problems');
  });
  return undefined;
}

/** The active editor's gan.json, the only one in the workspace, or one the person picks. */
export async function findConfig(opts: { title: string; accept?: (uri: vscode.Uri) => boolean; none?: string } = { title: 'Train GAN' }): Promise<vscode.Uri | undefined> {
  const accept = opts.accept ?? (() => true);
  const active = vscode.window.activeTextEditor?.document;
  if (active && active.uri.scheme === 'file' && isGanConfigPath(active.uri.fsPath) && accept(active.uri)) return active.uri;
  const found = (await vscode.workspace.findFiles(GAN_CONFIG_GLOB, GAN_CONFIG_EXCLUDE, 200)).filter(accept);
  if (found.length === 1) return found[0];
  if (found.length === 0) {
    const choice = await vscode.window.showInformationMessage(opts.none ?? 'GAN Studio: there is no gan.json in this workspace yet.', 'New GAN Experiment…');
    if (choice) void vscode.commands.executeCommand('ganStudio.newExperiment');
    return undefined;
  }
  found.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  const picked = await vscode.window.showQuickPick(
    found.map((uri) => {
      const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
      return { label: vscode.workspace.asRelativePath(uri, false), description: multiRoot ? vscode.workspace.getWorkspaceFolder(uri)?.name : undefined, uri };
    }),
    { title: opts.title, placeHolder: 'Which experiment?' },
  );
  return picked?.uri;
}
