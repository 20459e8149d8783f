/**
 * Sweeps from VS Code: "Run Sweep" starts the sweep controller on a gan.json with a sweep block
 * (on this machine, or on Slurm when sbatch is on PATH), "Open Sweep" shows its table, and
 * "Cancel Sweep" stops its trials, checkpointed, whoever started it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { planTrials } from '../../analysis/sweepPlan';
import { validateConfigText } from '../../config/validateConfig';
import { fileChecksFor } from '../editor/ganFiles';
import { runsDirForConfig } from '../runs/runsLocation';
import type { SweepEntry } from '../runs/runStore';
import { SweepSession } from '../sessions/sweepSession';
import { isSweepNode } from '../views/runsTree';
import { checkConfig, findConfig } from './trainCommand';
import { confirmDataLocation, ensureTrusted, errorMessage, type Command, type Services } from './command';

/** Whether a gan.json's text has a sweep block (read as it is on disk or in its editor). */
export function hasSweepBlock(uri: vscode.Uri): boolean {
  try {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const text = doc ? doc.getText() : readFileSync(uri.fsPath, 'utf8');
    return /"sweep"\s*:/.test(text);
  } catch {
    return false;
  }
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, cmd)));
}

/** The ganStudio.slurm.* settings as sweep flags, for what the sweep block does not set itself. */
export function slurmFlags(config: vscode.WorkspaceConfiguration, block: Record<string, unknown> = {}): string[] {
  const flags: string[] = [];
  const partition = config.get<string>('slurm.partition', '').trim();
  const time = config.get<string>('slurm.timeLimit', '').trim();
  const cpus = config.get<number>('slurm.cpusPerTask', 0);
  const gpus = config.get<number>('slurm.gpus', 0);
  if (partition && block.partition === undefined) flags.push('--slurm-partition', partition);
  if (time && block.time === undefined) flags.push('--slurm-time', time);
  if (cpus > 0 && block.cpusPerTask === undefined) flags.push('--slurm-cpus', String(cpus));
  if (gpus > 0 && block.gpus === undefined) flags.push('--slurm-gpus', String(gpus));
  for (const extra of config.get<string[]>('slurm.extraArgs', [])) if (typeof extra === 'string' && extra.trim()) flags.push('--slurm-arg', extra.trim());
  return flags;
}

export class RunSweepCommand implements Command {
  readonly id = 'ganStudio.runSweep';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown): Promise<void> {
    if (!(await ensureTrusted('Running a sweep'))) return;
    const uri = arg instanceof vscode.Uri ? arg : await findConfig({ title: 'Run Sweep', accept: hasSweepBlock, none: 'GAN Studio: no gan.json in this workspace has a "sweep" block. Add one to vary settings and seeds (see the README, "Sweeps").' });
    if (!uri) return;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open?.isDirty && !(await open.save())) return;
    const config = checkConfig(uri, this.s);
    if (!config) return;
    if (!(await confirmDataLocation(this.s, uri.fsPath, config))) return;
    const checked = validateConfigText(readFileSync(uri.fsPath, 'utf8'), fileChecksFor(uri));
    if (!checked.sweep) {
      void vscode.window.showInformationMessage(`GAN Studio: ${vscode.workspace.asRelativePath(uri)} has no "sweep" block; Train GAN trains it once.`, 'Train GAN').then((c) => c && vscode.commands.executeCommand('ganStudio.train', uri));
      return;
    }
    const running = this.s.sweeps.byConfig(uri.fsPath);
    if (running?.sweepDir) {
      this.s.sweepPanels.show(running.sweepDir);
      return;
    }
    const trials = planTrials(checked.sweep).length;
    const settings = vscode.workspace.getConfiguration('ganStudio', uri);
    let executor = settings.get<'ask' | 'local' | 'slurm'>('sweep.executor', 'ask');
    if (executor === 'ask') {
      if (!onPath('sbatch')) executor = 'local';
      else {
        const picked = await vscode.window.showQuickPick(
          [
            { label: '$(vm) This machine', description: `${trials} trials, as many at once as the cores allow`, executor: 'local' as const },
            { label: '$(server-environment) Slurm cluster', description: `one job array of ${trials} tasks (sbatch)`, executor: 'slurm' as const },
          ],
          { title: `Run Sweep: ${vscode.workspace.asRelativePath(uri)}`, placeHolder: 'Where should the trials run?' },
        );
        if (!picked) return;
        executor = picked.executor;
      }
    }
    const extra = ['--executor', executor, ...(executor === 'slurm' ? slurmFlags(settings, checked.sweep.slurm) : [])];
    let session: SweepSession;
    try {
      session = this.s.sweeps.add(new SweepSession(this.s.launcher.sweep(uri.fsPath, runsDirForConfig(uri), extra), uri.fsPath, executor));
    } catch (err) {
      void vscode.window.showErrorMessage(`GAN Studio: ${errorMessage(err)}`);
      return;
    }
    const name = `${checked.config?.name ?? 'experiment'} (${vscode.workspace.asRelativePath(uri)})`;
    const log = this.s.ui.log;
    session.onDidLog(({ level, message }) => log[level](`[sweep ${name}] ${message}`));
    session.onDidStart((m) => {
      this.s.runs.addRunsDir(join(m.sweepDir, '..'));
      this.s.runs.refresh();
      this.s.sweepPanels.show(m.sweepDir);
    });
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Sweep ${name}: ${trials} trials on ${executor === 'local' ? 'this machine' : 'Slurm'}`, cancellable: true }, (progress, token): Promise<void> => {
      token.onCancellationRequested(() => void session.stop());
      // The notification follows the trials' files through the run store, which polls them while
      // the sweep runs (RunStore, from the refresh at the sweep's start).
      const sub = this.s.runs.onDidChange(() => {
        const entry = session.sweepDir ? this.s.runs.sweepByDir(session.sweepDir) : undefined;
        if (entry) progress.report({ message: `${entry.trials.filter((t) => t.info.status === 'completed').length}/${trials} done` });
      });
      return session.ended.then(() => {
        sub.dispose();
      });
    });
    void session.ended.then(async (r) => {
      this.s.runs.refresh();
      const open = (c: string | undefined) => {
        if (c === 'Open Sweep' && r.sweepDir) this.s.sweepPanels.show(r.sweepDir);
        if (c === 'Show Log') log.show(true);
      };
      if (r.status === 'completed') open(await vscode.window.showInformationMessage(`GAN Studio: sweep ${name} finished: ${r.finished?.completed ?? trials} trials completed.`, 'Open Sweep'));
      else if (r.status === 'stopped') open(await vscode.window.showInformationMessage(`GAN Studio: sweep ${name} stopped (${r.finished?.completed ?? 0} completed, ${r.finished?.stopped ?? 0} stopped). Run Sweep again to continue it.`, 'Open Sweep'));
      else {
        log.error(`[sweep ${name}] ${r.error ?? `${r.finished?.failed ?? '?'} trials failed`}`);
        open(await vscode.window.showErrorMessage(`GAN Studio: sweep ${name} ${r.status === 'rejected' ? 'could not start' : 'failed'}: ${r.error ?? `${r.finished?.failed} trials failed; their dashboards say why`}`, ...(r.sweepDir ? ['Open Sweep'] : []), 'Show Log'));
      }
    });
  }
}

function sweepFromArg(arg: unknown, s: Services): SweepEntry | undefined {
  if (isSweepNode(arg)) return s.runs.sweepByDir(arg.sweepDir);
  if (typeof arg === 'string') return s.runs.sweepById(arg) ?? s.runs.sweepByDir(arg);
  return undefined;
}

async function pickSweep(s: Services, title: string, filter: (e: SweepEntry) => boolean = () => true): Promise<SweepEntry | undefined> {
  s.runs.refresh();
  const candidates = s.runs.sweeps.filter(filter);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage('GAN Studio: there is no such sweep; Run Sweep starts one from a gan.json with a "sweep" block.');
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((e) => ({ label: `${e.sweep.name} sweep`, description: `${e.sweep.status} · ${e.sweep.trials.length} trials · ${e.sweep.executor.kind}`, detail: e.sweep.id, e })),
    { title },
  );
  return picked?.e;
}

export class OpenSweepCommand implements Command {
  readonly id = 'ganStudio.openSweep';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown): Promise<void> {
    const entry = sweepFromArg(arg, this.s) ?? (await pickSweep(this.s, 'Open Sweep'));
    if (entry) this.s.sweepPanels.show(entry.dir);
  }
}

export class CancelSweepCommand implements Command {
  readonly id = 'ganStudio.cancelSweep';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown, runId?: unknown): Promise<void> {
    const entry = sweepFromArg(arg, this.s) ?? (await pickSweep(this.s, 'Cancel Sweep', (e) => e.sweep.status === 'running'));
    if (!entry) return;
    await cancelSweep(this.s, entry.dir, typeof runId === 'string' ? runId : undefined);
  }
}

/** Stops a sweep (or one trial of it): through its controller when it runs in this window, else through the CLI. */
export async function cancelSweep(s: Services, sweepDir: string, runId?: string): Promise<void> {
  const entry = s.runs.sweepByDir(sweepDir);
  const index = runId === undefined ? undefined : entry?.sweep.trials.find((t) => t.runId === runId)?.index;
  const session = s.sweeps.bySweepDir(sweepDir);
  if (session && index === undefined) {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Stopping the sweep…' }, () => session.stop());
    return;
  }
  const r = await s.launcher.runCli(['sweep', '--cancel', sweepDir, ...(index !== undefined ? ['--trial', String(index)] : [])], sweepDir);
  if (r.stdout.trim()) s.ui.log.info(`[sweep] ${r.stdout.trim()}`);
  if (r.code !== 0) void vscode.window.showErrorMessage(`GAN Studio: could not cancel the sweep: ${r.stderr.trim().split('\n').at(-1) ?? `exit code ${r.code}`}`);
  s.runs.refresh();
}
