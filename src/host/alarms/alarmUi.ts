/**
 * Connects the alarm monitor to VS Code: it feeds the monitor what the trainers of this window
 * say, reads the `ganStudio.alarms.*` settings, and announces each alarm once per run (and kind)
 * with a notification that opens the dashboard. A warning is a warning message; "equilibrium
 * reached" (info) is one calm information message. The dashboard banner and the status bar read
 * the same monitor.
 */
import * as vscode from 'vscode';
import { DEFAULT_ALARM_THRESHOLDS, type AlarmThresholds } from '../../analysis/alarms';
import type { LiveFeed } from '../sessions/liveFeed';
import { AlarmMonitor, thresholdsFrom, type AnnouncedStore } from './alarmMonitor';
import type { RunStore } from '../runs/runStore';

const ANNOUNCED_KEY = 'ganStudio.announcedAlarms';
/** Announcements remembered per workspace; the oldest are forgotten past this many. */
const MAX_ANNOUNCED = 500;

/** The settings, keyed as AlarmThresholds (each read by its literal name, see hostManifest.test). */
export function readAlarmSettings(): AlarmThresholds | undefined {
  const c = vscode.workspace.getConfiguration('ganStudio');
  if (!c.get<boolean>('alarms.enabled', true)) return undefined;
  const values: Record<keyof AlarmThresholds, unknown> = {
    window: c.get('alarms.window'),
    dWinsConfidence: c.get('alarms.dWinsConfidence'),
    vanishingGradientRatio: c.get('alarms.vanishingGradientRatio'),
    collapseDiversityRatio: c.get('alarms.collapseDiversityRatio'),
    collapseModeShare: c.get('alarms.collapseModeShare'),
    divergenceGrowth: c.get('alarms.divergenceGrowth'),
    divergenceFloor: c.get('alarms.divergenceFloor'),
    equilibriumTolerance: c.get('alarms.equilibriumTolerance'),
    equilibriumHighQuality: c.get('alarms.equilibriumHighQuality'),
    equilibriumSwdFactor: c.get('alarms.equilibriumSwdFactor'),
    equilibriumFcdFactor: c.get('alarms.equilibriumFcdFactor'),
    equilibriumMapShare: c.get('alarms.equilibriumMapShare'),
  };
  return thresholdsFrom((k) => values[k], DEFAULT_ALARM_THRESHOLDS);
}

function mementoStore(memento: vscode.Memento): AnnouncedStore {
  const list = (): string[] => memento.get<string[]>(ANNOUNCED_KEY, []);
  return {
    has: (key) => list().includes(key),
    add: (key) => void memento.update(ANNOUNCED_KEY, [...list(), key].slice(-MAX_ANNOUNCED)),
  };
}

export class AlarmUi implements vscode.Disposable {
  readonly monitor: AlarmMonitor;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(feed: LiveFeed, runs: RunStore, memento: vscode.Memento, log: () => vscode.LogOutputChannel | undefined) {
    this.monitor = new AlarmMonitor(readAlarmSettings, mementoStore(memento));
    this.disposables.push(
      this.monitor,
      feed.onMessage(({ session, message }) => {
        const dir = session.runDir;
        if (message.type === 'started') this.monitor.started(message.runDir, message.runId);
        else if (!dir) return;
        else if (message.type === 'metrics') this.monitor.records(dir, { metrics: message.records });
        else if (message.type === 'quality') this.monitor.records(dir, { quality: [message.record] });
        else if (message.type === 'samples') this.monitor.records(dir, { samples: [message.record] });
      }),
      feed.onEnded(({ session }) => session.runDir && this.monitor.ended(session.runDir)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('ganStudio.alarms')) this.monitor.thresholdsChanged();
      }),
      this.monitor.onDidRaise(({ runDir, runId, alarm }) => {
        const name = runs.byDir(runDir)?.info.name ?? runId;
        const at = alarm.ranges[0] ? ` (from step ${alarm.ranges[0][0]})` : '';
        log()?.[alarm.severity === 'warning' ? 'warn' : 'info'](`[${runId}] ${alarm.title}${at}: ${alarm.message}`);
        const text = `GAN Studio: ${name}: ${alarm.title}${at}. ${firstSentence(alarm.message)}`;
        const shown = alarm.severity === 'warning' ? vscode.window.showWarningMessage(text, 'Open Dashboard') : vscode.window.showInformationMessage(text, 'Open Dashboard');
        void shown.then((choice) => {
          if (choice === 'Open Dashboard') void vscode.commands.executeCommand('ganStudio.openDashboard', runDir);
        });
      }),
    );
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/**
 * The message's first sentence, for the toast: up to the first full stop outside parentheses.
 * A colon does not end it ("(latest: 0/8 modes …)" and "its recent level: the game is diverging"
 * would be cut mid-thought), nor does a decimal point ("about 0.5").
 */
function firstSentence(text: string): string {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === '.' && depth === 0 && (i + 1 === text.length || /\s/.test(text[i + 1]))) return text.slice(0, i + 1);
  }
  return text.trim();
}
