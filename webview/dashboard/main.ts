/**
 * Entry point of the dashboard panel (and of compare panels). It validates every message from the
 * host, keeps only view state (the host owns history and replays it after `ready`), and routes
 * data to the one view on screen.
 */
import './dashboard.css';
import { registerControls } from '../shared/controls';
import { parseHostMessage } from '../../src/protocol/webviewProtocol';
import { RunData } from '../shared/runData';
import { onThemeChange, watchTheme } from '../shared/theme';
import { loadState, log, post, saveState } from '../shared/vscodeApi';
import { CompareView } from './compareView';
import { RunDashboard, type DashboardState } from './runDashboard';

registerControls();
watchTheme();

const state = loadState<DashboardState>({
  smoothing: 0.6,
  logY: false,
  robust: true,
  xMode: 'step',
  histMode: 'ridgeline',
  configOpen: false,
  cursor: null,
  tab: 'training',
  explorerMode: 'plane',
  explorerSeed: 1,
  editsOpen: false,
  arrowsPush: true,
  arrowsField: false,
  normMode: 'grad',
  forkOpen: false,
});
const save = (): void => saveState(state);

const root = document.getElementById('app') ?? document.body;
const banner = document.createElement('div');
banner.className = 'banner';
banner.setAttribute('role', 'alert');
banner.hidden = true;
const placeholder = document.createElement('p');
placeholder.className = 'empty-note';
placeholder.textContent = 'Waiting for run data…';
root.replaceChildren(banner, placeholder);

let dashboard: RunDashboard | undefined;
let compare: CompareView | undefined;

function mount(el: HTMLElement): void {
  root.replaceChildren(banner, el);
}

window.addEventListener('message', (event: MessageEvent) => {
  const parsed = parseHostMessage(event.data);
  if (!parsed.ok) {
    log('warn', `dashboard ignored a message: ${parsed.reason}`);
    return;
  }
  const msg = parsed.value;
  switch (msg.type) {
    case 'snapshot': {
      const run = new RunData(msg.snapshot);
      banner.hidden = true;
      if (dashboard && dashboard.run.id === run.id) dashboard.replace(run);
      else {
        // A different run: the cursor of the previous one means nothing here.
        if (dashboard) state.cursor = null;
        dashboard = new RunDashboard(run, state, save);
        compare = undefined;
        mount(dashboard.el);
      }
      return;
    }
    case 'append':
      if (dashboard?.run.id === msg.runId) dashboard.append(msg);
      else if (!compare?.append(msg)) log('info', `dashboard ignored an append for run ${msg.runId}, which it is not showing`);
      return;
    case 'compare':
      dashboard = undefined;
      compare = new CompareView(msg.runs.map((r) => new RunData(r)), state, save);
      mount(compare.el);
      return;
    case 'error':
      // A latent request that failed is its view's to explain; anything else is a banner.
      if (dashboard?.requests.failed(msg)) return;
      if (dashboard?.game.failed(msg.message)) return;
      banner.textContent = msg.message;
      banner.hidden = false;
      return;
    case 'alarms':
      if (dashboard?.run.id === msg.runId) dashboard.setAlarms(msg.alarms);
      else log('info', `dashboard ignored alarms for run ${msg.runId}, which it is not showing`);
      return;
    case 'generated':
      if (!dashboard?.requests.answered(msg)) log('info', `dashboard ignored a 'generated' answer to request ${msg.requestId}, which it is not waiting for`);
      return;
    case 'latestSample':
    case 'sweepSnapshot':
      log('info', `dashboard ignored a '${msg.type}' message meant for another view`);
      return;
    default: {
      const never: never = msg;
      return never;
    }
  }
});

onThemeChange(() => {
  dashboard?.rebuild();
  compare?.rebuild();
});

post({ type: 'ready' });
