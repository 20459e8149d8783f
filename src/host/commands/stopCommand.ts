/** "Stop Training": the session of the given run or config, the only one running, or a pick. */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { isRunNode } from '../views/runsTree';
import type { TrainingSession } from '../sessions/trainingSession';
import type { Command, Services } from './command';

export class StopCommand implements Command {
  readonly id = 'ganStudio.stop';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown): Promise<void> {
    const session = this.fromArg(arg) ?? (await this.pick());
    if (!session) return;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Stopping ${session.run?.name ?? basename(session.configPath)}…` },
      () => session.stop(),
    );
  }

  private fromArg(arg: unknown): TrainingSession | undefined {
    if (isRunNode(arg)) return this.s.registry.byRunDir(arg.dir);
    if (typeof arg === 'string') return this.s.registry.byRunId(arg) ?? this.s.registry.byRunDir(arg);
    if (arg instanceof vscode.Uri) return this.s.registry.byConfig(arg.fsPath)[0] ?? this.s.registry.byRunDir(arg.fsPath);
    return undefined;
  }

  private async pick(): Promise<TrainingSession | undefined> {
    const active = this.s.registry.active;
    if (active.length === 0) {
      void vscode.window.showInformationMessage('GAN Studio: nothing is training.');
      return undefined;
    }
    if (active.length === 1) return active[0];
    const picked = await vscode.window.showQuickPick(
      active.map((session) => ({
        label: session.run?.name ?? basename(session.configPath),
        description: session.progress ? `step ${session.progress.step}/${session.progress.totalSteps}` : session.state,
        detail: session.runId,
        session,
      })),
      { title: 'Stop Training', placeHolder: 'Which training?' },
    );
    return picked?.session;
  }
}
