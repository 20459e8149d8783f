/**
 * What a person sees of a training session: a status-bar item (step/total, losses, ETA; a click
 * opens the dashboard), a cancellable progress notification, the trainer's output in a log
 * channel, and one message at the end that says how it ended and what to do next.
 */
import { basename, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { AlarmMonitor } from '../alarms/alarmMonitor';
import type { SessionRegistry } from './sessionRegistry';
import { formatDuration, formatLoss, formatSpeed } from '../../analysis/progress';
import { backendNote } from '../../analysis/backendNote';
import { mdText } from '../markdown';
import { printable } from '../../config/printable';
import type { SessionResult, TrainingSession } from './trainingSession';

export const COMMAND_OPEN_DASHBOARD = 'ganStudio.openDashboard';
export const COMMAND_SHOW_LOG = 'ganStudio.showLog';
export const COMMAND_RESUME = 'ganStudio.resume';

export class TrainingUi implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  private disposables: vscode.Disposable[] = [];

  constructor(
    private readonly registry: SessionRegistry,
    private readonly alarms?: AlarmMonitor,
  ) {
    this.log = vscode.window.createOutputChannel('GAN Studio Trainer', { log: true });
    this.disposables.push(
      this.log,
      registry.onDidAdd((s) => this.track(s)),
      registry.onDidChange(() => this.updateContext()),
    );
    this.updateContext();
  }

  private updateContext(): void {
    const active = this.registry.active;
    void vscode.commands.executeCommand('setContext', 'ganStudio.isTraining', active.length > 0);
    void vscode.commands.executeCommand('setContext', 'ganStudio.isPaused', active.some((s) => s.paused));
    // `resourcePath in ganStudio.trainingConfigs` drives the editor-title Train/Stop buttons.
    void vscode.commands.executeCommand('setContext', 'ganStudio.trainingConfigs', active.map((s) => vscode.Uri.file(s.configPath).fsPath));
  }

  /** The run's name for the status bar: one line, and "$(…)" in a name is not an icon. */
  private label(session: TrainingSession): string {
    return printable(session.run?.name ?? basename(session.configPath), 40).replace(/\$\(/g, '$\u200b(');
  }

  private track(session: TrainingSession): void {
    const tag = () => `[${session.runId ?? basename(session.configPath)}]`;
    const subs: vscode.Disposable[] = [];
    this.log.info(`${tag()} starting the trainer (pid ${session.pid ?? '?'}) for ${session.configPath}`);

    const item = vscode.window.createStatusBarItem(`ganStudio.training.${session.id}`, vscode.StatusBarAlignment.Left, 50);
    item.name = 'GAN Studio Training';
    item.text = `$(loading~spin) GAN ${this.label(session)}: starting…`;
    item.tooltip = `Training ${session.configPath}`;
    item.command = { title: 'Show Trainer Log', command: COMMAND_SHOW_LOG };
    item.show();
    // Pause / Continue beside it, once the run exists: the game by hand from the status bar.
    const play = vscode.window.createStatusBarItem(`ganStudio.training.${session.id}.play`, vscode.StatusBarAlignment.Left, 49);
    play.name = 'GAN Studio Pause/Continue';
    const renderPlay = () => {
      const paused = session.paused;
      play.text = paused ? '$(debug-continue)' : '$(debug-pause)';
      play.tooltip = paused ? 'Continue training' : 'Pause training between steps (then step by hand from the palette or the dashboard)';
      play.command = { title: paused ? 'Continue Training' : 'Pause Training', command: paused ? 'ganStudio.continueTraining' : 'ganStudio.pauseTraining', arguments: [session.runDir] };
      if (session.state === 'running') play.show();
      else play.hide();
    };

    const render = () => {
      const p = session.progress;
      const name = this.label(session);
      if (!p) return;
      const eta = p.etaSec !== undefined ? ` · ETA ${formatDuration(p.etaSec)}` : '';
      // Warnings take the icon and the background, so a failing game shows without a click.
      const alarms = session.runDir ? (this.alarms?.alarmsFor(session.runDir) ?? []) : [];
      const warnings = alarms.filter((a) => a.severity === 'warning');
      const paused = session.paused;
      const icon = session.state === 'stopping' ? '$(debug-stop)' : paused ? '$(debug-pause)' : warnings.length ? '$(warning)' : '$(pulse)';
      item.text = `${icon} ${name} ${p.step}/${p.totalSteps}${paused ? ' paused' : ''} · D ${formatLoss(p.dLoss)} G ${formatLoss(p.gLoss)}${paused ? '' : eta}`;
      item.backgroundColor = warnings.length ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
      const md = new vscode.MarkdownString(undefined, true);
      md.appendMarkdown(`**GAN Studio: ${mdText(name)}**${session.state === 'stopping' ? ' (stopping…)' : paused ? ' (paused)' : ''}\n\n`);
      if (paused) md.appendMarkdown('Paused: take one D step, one G step or one training step from the palette or the dashboard, or continue.\n\n');
      md.appendMarkdown(`step ${p.step} of ${p.totalSteps}, ${formatSpeed(p.stepsPerSec)} steps/s${eta}\n\n`);
      md.appendMarkdown(`D loss ${formatLoss(p.dLoss)} · G loss ${formatLoss(p.gLoss)}\n\n`);
      for (const a of alarms) {
        const since = a.ranges[0] ? ` (since step ${a.ranges[0][0]})` : '';
        md.appendMarkdown(`${a.severity === 'warning' ? '$(warning)' : '$(info)'} **${a.title}**${since}\n\n`);
      }
      md.appendText(`backend ${session.run ? backendNote(session.run).short : '?'}`);
      md.appendMarkdown(' · click to open the dashboard');
      item.tooltip = md;
    };

    subs.push(
      session.onDidStart(() => renderPlay()),
      session.onDidStart((run) => {
        this.log.info(`${tag()} training ${run.name} on ${backendNote(run).detail.replace(/\n/g, '; ')}, run directory ${session.runDir}`);
        item.command = { title: 'Open Dashboard', command: COMMAND_OPEN_DASHBOARD, arguments: [session.runDir] };
        render();
      }),
      session.onDidProgress(render),
      session.onDidChangePaused((paused) => {
        this.log.info(`${tag()} ${paused ? 'paused' : 'continues'} at step ${session.progress?.step ?? '?'}`);
        this.updateContext();
        render();
        renderPlay();
      }),
      ...(this.alarms ? [this.alarms.onDidChange((c) => session.runDir && c.runDir === resolve(session.runDir) && render())] : []),
      session.onDidChangeState((s) => {
        renderPlay();
        if (s === 'stopping') {
          this.log.info(`${tag()} stopping…`);
          item.text = `$(debug-stop) ${this.label(session)}: stopping…`;
        }
      }),
      session.onDidLog(({ level, message }) => {
        const text = message.replace(/\s+$/, '');
        if (!text) return;
        for (const line of text.split('\n')) {
          if (level === 'error') this.log.error(`${tag()} ${line}`);
          else if (level === 'warn' || level === 'stderr') this.log.warn(`${tag()} ${line}`);
          else this.log.info(`${tag()} ${line}`);
        }
      }),
    );

    void vscode.window.withProgress(
      // The file name alone is always "gan.json"; its folder is what tells experiments apart.
      { location: vscode.ProgressLocation.Notification, title: `Training ${vscode.workspace.asRelativePath(session.configPath)}`, cancellable: true },
      (progress, token) => {
        let reported = 0;
        subs.push(
          token.onCancellationRequested(() => void session.stop()),
          session.onDidStart((run) => progress.report({ message: `${run.name} on ${run.backend}` })),
          session.onDidProgress((p) => {
            const pct = p.totalSteps > 0 ? (100 * p.step) / p.totalSteps : 0;
            const eta = p.etaSec !== undefined ? `, ETA ${formatDuration(p.etaSec)}` : '';
            progress.report({ increment: Math.max(0, pct - reported), message: `step ${p.step}/${p.totalSteps}${eta}` });
            reported = Math.max(reported, pct);
          }),
          session.onDidChangeState((s) => s === 'stopping' && progress.report({ message: 'stopping (finishing the step and writing a checkpoint)…' })),
          session.onDidChangePaused((paused) => {
            const p = session.progress;
            progress.report({ message: paused ? `paused at step ${p?.step ?? '?'}/${p?.totalSteps ?? '?'}: step by hand or continue` : `step ${p?.step ?? '?'}/${p?.totalSteps ?? '?'}, going on` });
          }),
        );
        return session.ended;
      },
    );

    void session.ended.then((result) => {
      for (const d of subs) d.dispose();
      item.dispose();
      play.dispose();
      this.reportEnd(session, result);
    });
  }

  private reportEnd(session: TrainingSession, r: SessionResult): void {
    const name = session.run?.name ?? basename(session.configPath);
    const exit = r.signal ? `signal ${r.signal}` : `exit code ${r.exitCode}`;
    const runDir = r.runDir;
    const open = (choice: string | undefined) => {
      if (choice === 'Open Dashboard' && runDir) void vscode.commands.executeCommand(COMMAND_OPEN_DASHBOARD, runDir);
      else if (choice === 'Show Log') this.log.show(true);
      else if (choice === 'Resume' && runDir) void vscode.commands.executeCommand(COMMAND_RESUME, runDir);
    };
    switch (r.status) {
      case 'completed':
        this.log.info(`[${r.runId}] completed at step ${r.step} (${exit})`);
        void vscode.window.showInformationMessage(`GAN Studio: ${name} finished training (step ${r.step}).`, 'Open Dashboard').then(open);
        break;
      case 'stopped':
        this.log.info(`[${r.runId}] stopped at step ${r.step} (${exit})${r.error ? `: ${r.error}` : ''}`);
        void vscode.window
          .showInformationMessage(`GAN Studio: ${name} stopped at step ${r.step ?? 0}.${r.error ? ` ${r.error}` : ''}`, 'Resume', 'Open Dashboard')
          .then(open);
        break;
      case 'running':
      case 'failed':
      case 'rejected': {
        this.log.error(`[${r.runId ?? basename(session.configPath)}] ${r.status === 'rejected' ? 'refused' : 'failed'} (${exit}): ${r.error ?? 'no reason given'}`);
        if (r.stderrTail) this.log.error(`last lines of the trainer's stderr:\n${r.stderrTail}`);
        const what = r.status === 'rejected' ? 'could not start training' : 'training failed';
        const actions = runDir ? ['Show Log', 'Open Dashboard'] : ['Show Log'];
        void vscode.window.showErrorMessage(`GAN Studio: ${name}: ${what} (${exit}). ${r.error ?? ''}`.trim(), ...actions).then(open);
        break;
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
