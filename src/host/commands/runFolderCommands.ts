/** Run housekeeping from the Runs view: delete, reveal, refresh; and "Show Trainer Log". */
import { relative } from 'node:path';
import * as vscode from 'vscode';
import { errorMessage, runsFromArgs, type Command, type Services } from './command';

export class DeleteRunCommand implements Command {
  readonly id = 'ganStudio.runs.delete';
  constructor(private readonly s: Services) {}

  async execute(...args: unknown[]): Promise<void> {
    const entries = runsFromArgs(args, this.s);
    if (entries.length === 0) return;
    const live = entries.filter((e) => this.s.registry.byRunDir(e.dir));
    if (live.length) {
      void vscode.window.showWarningMessage(`GAN Studio: stop ${live.map((e) => e.info.id).join(', ')} before deleting it.`);
      return;
    }
    const what = entries.length === 1 ? `the run ${entries[0].info.id}` : `${entries.length} runs`;
    const ok = await vscode.window.showWarningMessage(
      `Delete ${what}? Its metrics, samples and checkpoints are removed.`,
      { modal: true, detail: entries.map((e) => e.dir).join('\n') },
      'Delete',
    );
    if (ok !== 'Delete') return;
    for (const e of entries) {
      this.s.panels.closeRun(e.dir);
      const uri = vscode.Uri.file(e.dir);
      try {
        await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: true });
      } catch {
        // No trash on this system (e.g. a container): the modal above already asked.
        try {
          await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false });
        } catch (err) {
          void vscode.window.showErrorMessage(`GAN Studio: could not delete ${e.dir}: ${errorMessage(err)}`);
        }
      }
    }
    this.s.runs.refresh();
  }
}

export class RevealRunCommand implements Command {
  readonly id = 'ganStudio.runs.reveal';
  constructor(private readonly s: Services) {}

  async execute(...args: unknown[]): Promise<void> {
    const entry = runsFromArgs(args, this.s)[0];
    if (!entry) return;
    const uri = vscode.Uri.file(entry.dir);
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    // Inside the workspace the Explorer is the natural place (and works remotely); elsewhere
    // only the OS file manager can show it.
    if (folder && !relative(folder.uri.fsPath, entry.dir).startsWith('..')) await vscode.commands.executeCommand('revealInExplorer', uri);
    else await vscode.commands.executeCommand('revealFileInOS', uri);
  }
}

export class RefreshRunsCommand implements Command {
  readonly id = 'ganStudio.runs.refresh';
  constructor(private readonly s: Services) {}

  execute(): void {
    this.s.runs.refresh();
  }
}

export class ShowLogCommand implements Command {
  readonly id = 'ganStudio.showLog';
  constructor(private readonly s: Services) {}

  execute(): void {
    this.s.ui.log.show(true);
  }
}
