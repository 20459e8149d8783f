/**
 * The "Samples" side view: the latest sample grid of the selected run, its step and a run picker.
 * It is small on purpose; the dashboard button opens everything else.
 */
import '../shared/base.css';
import './samples.css';
import type { HostToWebview } from '../../src/protocol/webviewProtocol';
import { badge, button, dropdown, registerControls } from '../shared/controls';
import { formatStep } from '../shared/format';
import { parseHostMessage } from '../../src/protocol/webviewProtocol';
import { ImageGrid } from '../shared/samples/imageGrid';
import { PointsPlot } from '../shared/samples/pointsPlot';
import { onThemeChange, watchTheme } from '../shared/theme';
import { loadState, log, post, saveState } from '../shared/vscodeApi';

registerControls();
watchTheme();

const state = loadState<{ selected: string }>({ selected: '' });
const root = document.getElementById('app') ?? document.body;

const picker = dropdown<string>('Run', [], undefined, (id) => {
  state.selected = id;
  saveState(state);
  post({ type: 'selectRun', runId: id });
});
picker.el.id = 'run-picker';
const head = document.createElement('div');
head.className = 'side-head';
const statusSlot = document.createElement('span');
const stepText = document.createElement('span');
stepText.id = 'sample-step';
stepText.className = 'side-step';
const open = button('Open dashboard', () => {
  if (current) post({ type: 'openDashboard', runId: current });
}, { secondary: true, id: 'open-dashboard' });
head.append(statusSlot, stepText);
const display = document.createElement('div');
display.className = 'side-display';
const empty = document.createElement('p');
empty.className = 'empty-note';
empty.textContent = 'No runs yet. Run "GAN Studio: Train GAN" on a gan.json.';
root.replaceChildren(picker.el, head, display, empty, open.el);

let current: string | undefined;
let grid: ImageGrid | undefined;
let plot: PointsPlot | undefined;
let imageShape: [number, number, number] | undefined;

let restored = false;

function render(msg: Extract<HostToWebview, { type: 'latestSample' }>): void {
  // After a reload the host may not know which run this view showed; ask for it back once.
  if (!restored) {
    restored = true;
    if (msg.selected === undefined && state.selected && state.selected !== msg.run?.id && msg.runs.some((r) => r.id === state.selected)) {
      post({ type: 'selectRun', runId: state.selected });
    }
  }
  const selected = msg.selected ?? msg.run?.id ?? msg.runs[0]?.id;
  current = selected;
  picker.setOptions(msg.runs.map((r) => ({ value: r.id, label: `${r.name} (${r.status})` })), selected);
  empty.hidden = msg.runs.length > 0;
  open.setDisabled(!selected);
  statusSlot.replaceChildren(...(msg.run ? [badge(msg.run.status, `status status-${msg.run.status}`)] : []));
  imageShape = msg.run?.imageShape;
  const s = msg.sample;
  stepText.textContent = s ? `step ${formatStep(s.step)}${msg.run ? ` of ${formatStep(msg.run.totalSteps)}` : ''}` : msg.runs.length ? 'no samples yet' : '';
  stepText.dataset.step = s ? String(s.step) : '';
  if (!s) {
    display.replaceChildren();
    grid = undefined;
    plot = undefined;
    return;
  }
  if (s.kind === 'points2d') {
    if (!plot) {
      plot = new PointsPlot('Latest generated points, real points and D over the plane', undefined);
      plot.el.classList.add('square');
      grid = undefined;
      display.replaceChildren(plot.el);
    }
    void plot.show(s).catch(report);
  } else {
    if (!grid) {
      grid = new ImageGrid('Latest generated samples', () => imageShape);
      plot = undefined;
      display.replaceChildren(grid.el);
    }
    void grid.show(s).catch(report);
  }
}

function report(err: unknown): void {
  log('warn', err instanceof Error ? err.message : String(err));
}

window.addEventListener('message', (event: MessageEvent) => {
  const parsed = parseHostMessage(event.data);
  if (!parsed.ok) {
    log('warn', `samples view ignored a message: ${parsed.reason}`);
    return;
  }
  const msg = parsed.value;
  if (msg.type === 'latestSample') render(msg);
  else if (msg.type === 'error') {
    stepText.textContent = msg.message;
  } else log('info', `samples view ignored a '${msg.type}' message meant for another view`);
});

onThemeChange(() => plot?.invalidate());

post({ type: 'ready' });
