/**
 * "Open in TensorBoard": every run writes TensorBoard event files (tb/ in its folder), so the runs
 * folder is a TensorBoard log dir as it stands. With `tensorboard` on PATH (or the
 * ganStudio.tensorboard.path setting) GAN Studio starts it on that folder and opens it; with the
 * TensorBoard extension it hands over to that; otherwise it says what is missing.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { workspaceRunsDirs } from '../runs/runsLocation';
import { chooseTensorBoard, findOnPath, startTensorBoard, type TensorBoardProcess } from '../native/externalTools';
import { ensureTrusted, errorMessage, runFromArg, type Command, type Services } from './command';

const TB_EXTENSION = 'ms-toolsai.tensorboard';
const TB_EXTENSION_COMMAND = 'python.launchTensorBoard';

export class OpenTensorBoardCommand implements Command, vscode.Disposable {
  readonly id = 'ganStudio.openTensorBoard';
  private readonly servers = new Map<string, TensorBoardProcess>();
  private readonly status = vscode.window.createStatusBarItem('ganStudio.tensorboard', vscode.StatusBarAlignment.Left, 40);

  constructor(private readonly s: Services) {
    this.status.name = 'GAN Studio: TensorBoard';
  }

  /** The log dir: a run's folder when one was passed (Runs view), else the workspace's runs folder. */
  private async logdir(arg: unknown): Promise<string | undefined> {
    const entry = runFromArg(arg, this.s);
    if (entry) return entry.dir;
    const dirs = workspaceRunsDirs();
    if (dirs.length <= 1) return dirs[0];
    const pick = await vscode.window.showQuickPick(dirs.map((d) => ({ label: vscode.workspace.asRelativePath(d), description: d, dir: d })), { title: 'Open which runs folder in TensorBoard?' });
    return pick?.dir;
  }

  async execute(arg?: unknown): Promise<void> {
    const logdir = await this.logdir(arg);
    if (!logdir) {
      void vscode.window.showWarningMessage('GAN Studio: open a folder first; TensorBoard reads the runs folder of a workspace (ganStudio.runsDir).');
      return;
    }
    if (!existsSync(logdir)) {
      void vscode.window.showWarningMessage(`GAN Studio: ${logdir} does not exist yet; train a run first, then open it in TensorBoard.`);
      return;
    }
    const running = this.servers.get(logdir);
    if (running && running.process.exitCode === null) {
      await this.show(running);
      return;
    }
    const choice = chooseTensorBoard({
      setting: vscode.workspace.getConfiguration('ganStudio').get<string>('tensorboard.path', ''),
      exists: existsSync,
      onPath: findOnPath('tensorboard'),
      extensionInstalled: vscode.extensions.getExtension(TB_EXTENSION) !== undefined,
      extensionId: TB_EXTENSION,
      logdir,
    });
    if (choice.kind === 'program') {
      // TensorBoard is a program of the user's, but it reads the workspace's files on its behalf.
      if (!(await ensureTrusted('Starting TensorBoard'))) return;
      await this.startServer(choice.exe, logdir);
      return;
    }
    if (choice.kind === 'extension') {
      // The extension asks for the folder itself; say which one.
      void vscode.env.clipboard.writeText(logdir);
      void vscode.window.showInformationMessage(`GAN Studio: the TensorBoard extension asks for a log folder: choose ${logdir} (copied to the clipboard).`);
      await vscode.commands.executeCommand(TB_EXTENSION_COMMAND);
      return;
    }
    const answer = await vscode.window.showErrorMessage(`GAN Studio: ${choice.message}`, 'Install the Extension', 'Copy Command', 'Open Settings');
    if (answer === 'Install the Extension') void vscode.commands.executeCommand('workbench.extensions.search', TB_EXTENSION);
    else if (answer === 'Copy Command') void vscode.env.clipboard.writeText(`tensorboard --logdir "${logdir}"`);
    else if (answer === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'ganStudio.tensorboard.path');
  }

  private async startServer(exe: string, logdir: string): Promise<void> {
    const log = this.s.ui.log;
    try {
      const server = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'GAN Studio: starting TensorBoard…' }, () =>
        startTensorBoard(exe, logdir, { log: (l) => log.info(`[tensorboard] ${l}`) }),
      );
      this.servers.set(logdir, server);
      server.process.on('exit', () => {
        if (this.servers.get(logdir) === server) this.servers.delete(logdir);
        this.updateStatus();
      });
      this.updateStatus();
      await this.show(server);
    } catch (err) {
      const choice = await vscode.window.showErrorMessage(`GAN Studio: TensorBoard did not start: ${errorMessage(err)}`, 'Show Log');
      if (choice) log.show(true);
    }
  }

  private async show(server: TensorBoardProcess): Promise<void> {
    const uri = await vscode.env.asExternalUri(vscode.Uri.parse(server.url));
    // The Simple Browser keeps it beside the code; a browser tab when it is not there.
    const opened = await vscode.commands.executeCommand('simpleBrowser.show', uri.toString()).then(
      () => true,
      () => false,
    );
    if (!opened) await vscode.env.openExternal(uri);
  }

  private updateStatus(): void {
    const live = [...this.servers.values()];
    if (live.length === 0) {
      this.status.hide();
      return;
    }
    this.status.text = `$(graph-line) TensorBoard`;
    this.status.tooltip = live.map((s) => `${s.url} · ${s.logdir}`).join('\n');
    this.status.command = { command: this.id, title: 'Open TensorBoard' };
    this.status.show();
  }

  dispose(): void {
    for (const s of this.servers.values()) s.stop();
    this.servers.clear();
    this.status.dispose();
  }
}
