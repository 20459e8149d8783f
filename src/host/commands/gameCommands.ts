/**
 * Playing the game by hand from the palette, the status bar and keys: pause and continue a live
 * run, and while it is paused take one D step, one G step or one full step; change a setting of
 * the live run; fork a run from one of its checkpoints, with edits, into a new run.
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { EditError, applyEdit, effectiveConfig } from '../../analysis/liveEdits';
import { valueAt } from '../../config/pointers';
import type { GanConfig } from '../../config/ganConfig';
import { EDITABLE_POINTERS, type EditablePointer } from '../../protocol/runFormat';
import { listCheckpoints, loadRunConfig, readEvents } from '../../runDir/runReader';
import type { TrainingSession } from '../sessions/trainingSession';
import { confirmDataLocation, ensureTrusted, errorMessage, pickRun, runFromArg, type Command, type Services } from './command';
import { pickSession, sessionFromArg } from './stopCommand';

type GameAction = 'pause' | 'continue' | 'dStep' | 'gStep' | 'step';

const GAME_COMMANDS: Record<GameAction, { id: string; title: string; needsPaused?: boolean; needsRunning?: boolean }> = {
  pause: { id: 'ganStudio.pauseTraining', title: 'Pause Training', needsRunning: true },
  continue: { id: 'ganStudio.continueTraining', title: 'Continue Training', needsPaused: true },
  dStep: { id: 'ganStudio.discriminatorStep', title: 'Take One D Step', needsPaused: true },
  gStep: { id: 'ganStudio.generatorStep', title: 'Take One G Step', needsPaused: true },
  step: { id: 'ganStudio.trainingStep', title: 'Take One Training Step', needsPaused: true },
};

/** One command per action; each picks the live run it acts on (the only one, or a pick). */
export class GameControlCommand implements Command {
  readonly id: string;
  constructor(
    private readonly s: Services,
    private readonly action: GameAction,
  ) {
    this.id = GAME_COMMANDS[action].id;
  }

  async execute(arg?: unknown): Promise<void> {
    const spec = GAME_COMMANDS[this.action];
    const fits = (t: TrainingSession) => t.state === 'running' && (spec.needsPaused ? t.paused : spec.needsRunning ? !t.paused : true);
    const session = sessionFromArg(this.s, arg) ?? (await pickSession(this.s, spec.title, fits));
    if (!session) return;
    if (spec.needsPaused && !session.paused) {
      const choice = await vscode.window.showInformationMessage(`GAN Studio: ${spec.title} needs the run paused first.`, 'Pause Training');
      if (choice) this.send(session, 'pause');
      return;
    }
    this.send(session, this.action);
  }

  private send(session: TrainingSession, action: GameAction): void {
    try {
      session.control(action, 'command');
    } catch (err) {
      void vscode.window.showWarningMessage(`GAN Studio: ${errorMessage(err)}`);
    }
  }
}

export const GAME_ACTIONS = Object.keys(GAME_COMMANDS) as GameAction[];

/** The config a run has in effect now: its config.json with the edits of its events.jsonl. */
export function currentConfig(runDir: string): GanConfig {
  return effectiveConfig(loadRunConfig(runDir), readEvents(runDir));
}

/** "Change a Setting of the Live Run…": pick a setting, type a value, checked before it is sent. */
export class EditSettingCommand implements Command {
  readonly id = 'ganStudio.editSetting';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown, pointer?: unknown, value?: unknown): Promise<void> {
    const session = sessionFromArg(this.s, arg) ?? (await pickSession(this.s, 'Change a Setting of the Live Run', (t) => t.state === 'running'));
    if (!session?.runDir) return;
    let config: GanConfig;
    try {
      config = currentConfig(session.runDir);
    } catch (err) {
      void vscode.window.showErrorMessage(`GAN Studio: cannot read the run's settings: ${errorMessage(err)}`);
      return;
    }
    const edit = await askEdit(config, typeof pointer === 'string' ? pointer : undefined, typeof value === 'number' ? value : undefined);
    if (!edit) return;
    try {
      session.edit(edit.pointer, edit.value, 'command');
    } catch (err) {
      void vscode.window.showWarningMessage(`GAN Studio: ${errorMessage(err)}`);
    }
  }
}

/** Asks for one edit of `config` (or checks the given one); undefined when cancelled or refused. */
async function askEdit(config: GanConfig, pointer?: string, value?: number): Promise<{ pointer: EditablePointer; value: number } | undefined> {
  if (pointer !== undefined && value !== undefined) {
    try {
      const e = applyEdit(config, pointer, value);
      return { pointer: e.pointer, value: e.value };
    } catch (err) {
      void vscode.window.showErrorMessage(`GAN Studio: ${errorMessage(err)}`);
      return undefined;
    }
  }
  const items = EDITABLE_POINTERS.map((p) => ({ label: p, description: String(valueAt(config, p)), pointer: p }));
  const picked = pointer ? items.find((i) => i.pointer === pointer) : await vscode.window.showQuickPick(items, { title: 'Change a Setting', placeHolder: 'Which setting? (current value on the right)' });
  if (!picked) return undefined;
  const text = await vscode.window.showInputBox({
    title: `Change ${picked.pointer}`,
    value: picked.description,
    prompt: `Now ${picked.description}. The new value applies from the next update and is recorded in events.jsonl.`,
    validateInput: (t) => {
      const n = Number(t);
      if (t.trim() === '' || !Number.isFinite(n)) return 'Enter a number.';
      try {
        applyEdit(config, picked.pointer, n);
        return undefined;
      } catch (err) {
        return err instanceof EditError ? err.message : errorMessage(err);
      }
    },
  });
  if (text === undefined) return undefined;
  return { pointer: picked.pointer, value: Number(text) };
}

interface ForkArgs {
  step?: number;
  sets?: { pointer: string; value: number }[];
}

/** "Fork Run from Checkpoint…": a new run from a checkpoint of this one, with edits, which trains. */
export class ForkRunCommand implements Command {
  readonly id = 'ganStudio.forkRun';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown, given?: ForkArgs): Promise<void> {
    if (!(await ensureTrusted('Forking a run'))) return;
    const entry =
      runFromArg(arg, this.s) ??
      (await pickRun(this.s, { title: 'Fork Run from Checkpoint…', filter: (e) => e.hasCheckpoint, empty: 'GAN Studio: no run has a checkpoint to fork from.' }));
    if (!entry) return;
    const checkpoints = listCheckpoints(entry.dir);
    if (checkpoints.length === 0) {
      void vscode.window.showWarningMessage(`GAN Studio: ${entry.info.id} has no checkpoint to fork from.`);
      return;
    }
    let step = given?.step;
    if (step === undefined) {
      const picked = await vscode.window.showQuickPick(
        [...checkpoints].reverse().map((c) => ({ label: `step ${c}`, step: c })),
        { title: `Fork ${entry.info.id}`, placeHolder: 'From which checkpoint?' },
      );
      if (!picked) return;
      step = picked.step;
    }
    if (!checkpoints.includes(step)) {
      void vscode.window.showErrorMessage(`GAN Studio: ${entry.info.id} has no checkpoint at step ${step} (it has ${checkpoints.join(', ')}).`);
      return;
    }
    let config: GanConfig;
    try {
      config = effectiveConfig(loadRunConfig(entry.dir), readEvents(entry.dir));
    } catch (err) {
      void vscode.window.showErrorMessage(`GAN Studio: cannot read ${entry.info.id}: ${errorMessage(err)}`);
      return;
    }
    const sets: { pointer: string; value: number }[] = [...(given?.sets ?? [])];
    if (!given) {
      // Edits one at a time, until "Fork now".
      for (;;) {
        const choice = await vscode.window.showQuickPick(
          [
            { label: '$(repo-forked) Fork now', detail: sets.length ? sets.map((e) => `${e.pointer} = ${e.value}`).join(', ') : 'with the settings the checkpoint was trained with', fork: true },
            { label: '$(edit) Change a setting first…', fork: false },
          ],
          { title: `Fork ${entry.info.id} at step ${step}` },
        );
        if (!choice) return;
        if (choice.fork) break;
        const edit = await askEdit(config);
        if (edit) {
          sets.push(edit);
          config = applyEdit(config, edit.pointer, edit.value).config;
        }
      }
    }
    if (!(await confirmDataLocation(this.s, entry.info.configPath, config))) return;
    try {
      const session = this.s.launcher.start({ configPath: entry.info.configPath, runsDir: dirname(entry.dir), fork: { parentDir: entry.dir, step, sets } });
      // The fork's folder is known once its trainer says so.
      if (vscode.workspace.getConfiguration('ganStudio').get<boolean>('openDashboardOnTrain', true)) {
        session.onDidStart(() => session.runDir && this.s.panels.openRun(session.runDir));
      }
      this.s.ui.log.info(`[${entry.info.id}] forking at step ${step}${sets.length ? ` with ${sets.map((e) => `${e.pointer}=${e.value}`).join(', ')}` : ''}`);
    } catch (err) {
      void vscode.window.showErrorMessage(`GAN Studio: ${errorMessage(err)}`);
    }
  }
}

/** "Compare with Parent Run": the fork and the run it came from, overlaid in a compare panel. */
export class CompareWithParentCommand implements Command {
  readonly id = 'ganStudio.compareWithParent';
  constructor(private readonly s: Services) {}

  async execute(arg?: unknown): Promise<void> {
    const entry = runFromArg(arg, this.s) ?? (await pickRun(this.s, { title: 'Compare with Parent Run', filter: (e) => e.info.parent !== undefined, empty: 'GAN Studio: no run is a fork.' }));
    if (!entry) return;
    const parent = entry.info.parent;
    const parentEntry = parent ? (this.s.runs.byDir(parent.runDir) ?? this.s.runs.byId(parent.runId)) : undefined;
    if (!parent || !parentEntry) {
      void vscode.window.showWarningMessage(parent ? `GAN Studio: the parent run ${parent.runId} is gone.` : `GAN Studio: ${entry.info.id} is not a fork.`);
      return;
    }
    this.s.panels.openCompare([parentEntry.dir, entry.dir]);
  }
}
