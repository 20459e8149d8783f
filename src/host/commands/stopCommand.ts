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
    const session = sessionFromArg(this.s, arg) ?? (await pickSession(this.s, 'Stop Training'));
    if (!session) return;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Stopping ${session.run?.name ?? basename(session.configPath)}…` },
      () => session.stop(),
    );
  }
}

/** The session a command argument names: a Runs view node, a run id or folder, a gan.json. */
export function sessionFromArg(s: Services, arg: unknown): TrainingSession | undefined {
  if (isRunNode(arg)) return s.registry.byRunDir(arg.dir);
  if (typeof arg === 'string') return s.registry.byRunId(arg) ?? s.registry.byRunDir(arg);
  if (arg instanceof vscode.Uri) return s.registry.byConfig(arg.fsPath)[0] ?? s.registry.byRunDir(arg.fsPath);
  return undefined;
}

/** The only training, or the one picked; undefined (after saying so) when nothing trains. */
export async function pickSession(s: Services, title: string, filter: (t: TrainingSession) => boolean = () => true): Promise<TrainingSession | undefined> {
  const active = s.registry.active.filter(filter);
  if (active.length === 0) {
    void vscode.window.showInformationMessage(s.registry.active.length === 0 ? 'GAN Studio: nothing is training.' : `GAN Studio: no training fits "${title}".`);
    return undefined;
  }
  if (active.length === 1) return active[0];
  const picked = await vscode.window.showQuickPick(
    active.map((session) => ({
      label: session.run?.name ?? basename(session.configPath),
      description: `${session.progress ? `step ${session.progress.step}/${session.progress.totalSteps}` : session.state}${session.paused ? ' · paused' : ''}`,
      detail: session.runId,
      session,
    })),
    { title, placeHolder: 'Which training?' },
  );
  return picked?.session;
}
