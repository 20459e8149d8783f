/** "Resume Run…": continues a stopped, failed or interrupted run from its last checkpoint. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { RUN_FILES } from '../../protocol/runFormat';
import type { RunEntry } from '../runs/runStore';
import { TooManyTrainingsError } from '../sessions/sessionRegistry';
import { loadRunConfig } from '../../runDir/runReader';
import { confirmDataLocation, errorMessage, ensureTrusted, pickRun, runFromArg, type Command, type Services } from './command';

export class ResumeCommand implements Command {
  readonly id = 'ganStudio.resume';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown): Promise<void> {
    if (!(await ensureTrusted('Resuming a run'))) return;
    const chosen =
      runFromArg(arg, this.s) ??
      (await pickRun(this.s, {
        title: 'Resume Run…',
        filter: (e) => !e.live && e.hasCheckpoint && (e.info.status !== 'running' || e.interrupted),
        empty: 'GAN Studio: no run can be resumed (a run needs a checkpoint and must not be training).',
      }));
    if (!chosen) return;
    // The store's entries are refreshed after a short debounce: the "stopped" toast's Resume can
    // arrive while the run's entry still says it trains. Judge the run as it is now.
    const entry = this.s.runs.readOne(chosen.dir) ?? chosen;
    if (entry.live || this.s.registry.byRunDir(entry.dir)) {
      void vscode.window.showInformationMessage(`GAN Studio: ${entry.info.id} is already training.`);
      return;
    }
    if (entry.info.status === 'running' && !entry.interrupted) {
      void vscode.window.showWarningMessage(`GAN Studio: ${entry.info.id} is being trained by another process (pid ${entry.info.pid ?? '?'}).`);
      return;
    }
    if (!entry.hasCheckpoint) {
      void vscode.window.showWarningMessage(`GAN Studio: ${entry.info.id} has no checkpoint yet, so it cannot be resumed; train it again instead.`);
      return;
    }
    const steps = await this.totalSteps(entry);
    if (steps === null) return;

    // The run keeps its own resolved config; the original gan.json may have moved or changed.
    const configPath = existsSync(entry.info.configPath) ? entry.info.configPath : join(entry.dir, RUN_FILES.config);
    // The trainer resumes with the run's own config and reads its data beside the original gan.json.
    let config;
    try {
      config = loadRunConfig(entry.dir);
    } catch (err) {
      void vscode.window.showErrorMessage(`GAN Studio: cannot resume ${entry.info.id}: ${errorMessage(err)}`);
      return;
    }
    if (!(await confirmDataLocation(this.s, entry.info.configPath, config))) return;
    try {
      this.s.launcher.start({ configPath, runsDir: dirname(entry.dir), resumeDir: entry.dir, ...(steps ? { steps } : {}) });
      if (vscode.workspace.getConfiguration('ganStudio').get<boolean>('openDashboardOnTrain', true)) this.s.panels.openRun(entry.dir);
    } catch (err) {
      const tooMany = err instanceof TooManyTrainingsError;
      const choice = await vscode.window.showErrorMessage(`GAN Studio: ${errorMessage(err)}`, ...(tooMany ? ['Stop Training'] : ['Show Log']));
      if (choice === 'Stop Training') void vscode.commands.executeCommand('ganStudio.stop');
      if (choice === 'Show Log') this.s.ui.log.show(true);
    }
  }

  /** A completed run only goes on with a larger total; undefined keeps it, null cancels. */
  private async totalSteps(entry: RunEntry): Promise<number | undefined | null> {
    if (entry.info.status !== 'completed' && entry.info.step < entry.info.totalSteps) return undefined;
    const current = entry.info.totalSteps;
    const answer = await vscode.window.showInputBox({
      title: `Resume ${entry.info.id}`,
      prompt: `The run finished its ${current} steps. Train up to how many steps in total?`,
      value: String(current * 2),
      validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) > entry.info.step ? undefined : `A whole number larger than ${entry.info.step}`),
    });
    return answer === undefined ? null : Number(answer.trim());
  }
}
