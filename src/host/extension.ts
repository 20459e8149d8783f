/**
 * GAN Studio's extension entry point. It only wires the parts together; each part owns its
 * behaviour and its disposables. Nothing here imports tfjs: training happens in a forked trainer.
 */
import { CompareWithParentCommand, EditSettingCommand, ForkRunCommand, GAME_ACTIONS, GameControlCommand } from './commands/gameCommands';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Command, Services } from './commands/command';
import { CompareRunsCommand, OpenDashboardCommand, OpenRunCommand } from './commands/dashboardCommands';
import { ExportGeneratorCommand } from './commands/exportGeneratorCommand';
import { InstallNativeBackendCommand } from './commands/nativeBackendCommand';
import { NewExperimentCommand } from './commands/newExperimentCommand';
import { ResumeCommand } from './commands/resumeCommand';
import { DeleteRunCommand, RefreshRunsCommand, RevealRunCommand, ShowLogCommand } from './commands/runFolderCommands';
import { SampleCommand } from './commands/sampleCommand';
import { StopCommand } from './commands/stopCommand';
import { OpenTensorBoardCommand } from './commands/tensorBoardCommand';
import { TrainCommand } from './commands/trainCommand';
import { CancelSweepCommand, cancelSweep, OpenSweepCommand, RunSweepCommand } from './commands/sweepCommands';
import { ConfigCodeLens } from './editor/configCodeLens';
import { SweepPanels } from './panels/sweepPanels';
import { SweepSessions } from './sessions/sweepSession';
import { ConfigDiagnostics } from './editor/configDiagnostics';
import { ConfigQuickFixes } from './editor/configQuickFixes';
import { LiveFeed } from './sessions/liveFeed';
import { RunPanels } from './panels/runPanels';
import { AlarmUi } from './alarms/alarmUi';
import { GeneratorServers } from './sessions/generatorServers';
import { RunStore } from './runs/runStore';
import { SessionRegistry } from './sessions/sessionRegistry';
import { TrainerLauncher } from './sessions/trainerLauncher';
import { TrainingUi } from './sessions/trainingUi';
import { isRunNode, RunsTree } from './views/runsTree';
import { SamplesSideView } from './views/samplesSideView';

let registry: SessionRegistry | undefined;
let generators: GeneratorServers | undefined;
let sweepSessions: SweepSessions | undefined;

/** For tests in a real VS Code: what the extension exposes (not a public API). */
export interface GanStudioApi {
  registry: SessionRegistry;
  runs: RunStore;
  runsTree: RunsTree;
  sweeps: SweepSessions;
}

export function activate(context: vscode.ExtensionContext): GanStudioApi {
  const maxConcurrent = () => vscode.workspace.getConfiguration('ganStudio').get<number>('maxConcurrentTrainings', 2);
  registry = new SessionRegistry(maxConcurrent);
  const runs = new RunStore(registry);
  const feed = new LiveFeed(registry);
  // The alarm notifications log to the trainer's channel, which TrainingUi creates right after.
  const alarms = new AlarmUi(feed, runs, context.workspaceState, (): vscode.LogOutputChannel => ui.log);
  const ui = new TrainingUi(registry, alarms.monitor);
  const diagnostics = new ConfigDiagnostics();
  const launcher = new TrainerLauncher(context.extensionUri, registry, join(context.globalStorageUri.fsPath, 'native'));
  const servers = new GeneratorServers((runDir, checkpoint) => launcher.serve(runDir, checkpoint));
  generators = servers;
  const panels = new RunPanels({
    extensionUri: context.extensionUri,
    runs,
    registry,
    feed,
    log: ui.log,
    state: context.workspaceState,
    alarms: alarms.monitor,
    generators: servers,
  });
  const samples = new SamplesSideView(context.extensionUri, runs, registry, feed, ui.log);
  const tree = new RunsTree(runs, registry);
  const sweeps = new SweepSessions();
  sweepSessions = sweeps;
  // The panel's Cancel goes through the same function as the command (set once services exist).
  let cancel: (dir: string, runId?: string) => void = () => undefined;
  const sweepPanels = new SweepPanels({ extensionUri: context.extensionUri, runs, panels, log: ui.log, cancel: (dir, runId) => cancel(dir, runId) });

  const services: Services = { extensionUri: context.extensionUri, state: context.workspaceState, registry, runs, launcher, ui, panels, diagnostics, sweeps, sweepPanels };
  cancel = (dir, runId) => void cancelSweep(services, dir, runId);
  const commands: Command[] = [
    new TrainCommand(services),
    new StopCommand(services),
    new ResumeCommand(services),
    new OpenDashboardCommand(services),
    new OpenRunCommand(services),
    new CompareRunsCommand(services),
    new SampleCommand(services),
    new ExportGeneratorCommand(services),
    new NewExperimentCommand(services),
    new ShowLogCommand(services),
    new DeleteRunCommand(services),
    new RevealRunCommand(services),
    new RefreshRunsCommand(services),
    new RunSweepCommand(services),
    new OpenSweepCommand(services),
    new CancelSweepCommand(services),
    new InstallNativeBackendCommand(services),
    ...GAME_ACTIONS.map((a) => new GameControlCommand(services, a)),
    new EditSettingCommand(services),
    new ForkRunCommand(services),
    new CompareWithParentCommand(services),
  ];
  const tensorBoard = new OpenTensorBoardCommand(services);
  commands.push(tensorBoard);

  // Disposed in reverse order: views and panels first, the sessions (which stop trainers) last.
  context.subscriptions.push(
    registry,
    ui,
    runs,
    feed,
    alarms,
    diagnostics,
    panels,
    tree,
    SamplesSideView.register(samples),
    ConfigQuickFixes.register(diagnostics),
    ConfigCodeLens.register(registry, runs),
    sweeps,
    sweepPanels,
    tensorBoard,
    ...commands.map((c) => vscode.commands.registerCommand(c.id, (...args: unknown[]) => c.execute(...args))),
    // The Samples view follows what the person looks at.
    tree.view.onDidChangeSelection((e) => {
      const first = e.selection[0];
      if (isRunNode(first)) samples.select(first.runId, true);
    }),
    panels.onDidFocusRun((dir) => {
      const id = runs.byDir(dir)?.info.id;
      if (id) samples.select(id);
    }),
  );
  return { registry, runs, runsTree: tree, sweeps };
}

/** VS Code waits for this promise: every trainer is stopped (or killed) before the host exits. */
export function deactivate(): Promise<void> | undefined {
  const r = registry;
  const g = generators;
  const sw = sweepSessions;
  registry = undefined;
  generators = undefined;
  sweepSessions = undefined;
  if (!r && !g && !sw) return undefined;
  // A local sweep's trials stop with the window, checkpointed; a Slurm sweep goes on on the cluster.
  return Promise.all([r?.stopAll({ urgent: true }), g?.dispose(), sw?.stopLocal()]).then(() => undefined);
}
