/**
 * Playing the game by hand: the toolbar (Pause / Continue, D step, G step, Step) of a live run,
 * its live-edit form, and forking from a checkpoint. Every control only posts a typed message;
 * the host and the trainer decide, and what they did comes back as events, `paused` and new
 * records, which every view then shows.
 */
import type { EditablePointer } from '../../src/protocol/runFormat';
import type { ControlRunMessage } from '../../src/protocol/webviewProtocol';
import { button, collapsible, dropdown, numberField, setAttr, setHidden, setText, type ButtonControl, type DropdownControl, type NumberFieldControl } from '../shared/controls';
import { formatStep, formatValue } from '../shared/format';
import { applicablePointers, describeEvent, effectiveValues, pointerLabel } from '../shared/runEvents';
import type { RunData } from '../shared/runData';
import { post } from '../shared/vscodeApi';

type Action = ControlRunMessage['action'];

/** A host error shortly after one of our requests is taken to be its answer. */
const ANSWER_WINDOW_MS = 10_000;

export interface GameState {
  editsOpen: boolean;
  forkOpen: boolean;
}

interface EditRow {
  pointer: EditablePointer;
  current: HTMLElement;
  field: NumberFieldControl;
  apply: ButtonControl;
  row: HTMLElement;
}

const SHORTCUTS: Record<string, Action | 'toggle'> = { ' ': 'toggle', d: 'dStep', g: 'gStep', s: 'step' };

export class GameControls {
  readonly el: HTMLElement;
  private readonly pause: ButtonControl;
  private readonly dStep: ButtonControl;
  private readonly gStep: ButtonControl;
  private readonly step: ButtonControl;
  private readonly stateText = document.createElement('span');
  private readonly lastText = document.createElement('span');
  private readonly message = document.createElement('p');
  private readonly editRows: EditRow[] = [];
  private readonly editsBody: HTMLElement;
  private readonly editsNote = document.createElement('p');
  private readonly forkBody: HTMLElement;
  private readonly forkNote = document.createElement('p');
  private forkStep: DropdownControl<string> | undefined;
  private readonly forkFields = new Map<EditablePointer, NumberFieldControl>();
  private forkButton: ButtonControl | undefined;
  private lastRequest = -Infinity;
  private formFor = '';
  private valuesFor: { form: string; config: unknown; events: readonly unknown[]; count: number; live: boolean } | undefined;

  constructor(
    private run: RunData,
    state: GameState,
    save: () => void,
  ) {
    this.el = document.createElement('section');
    this.el.className = 'panel game';
    this.el.id = 'game';
    this.el.setAttribute('aria-label', 'Play the game by hand');
    const bar = document.createElement('div');
    bar.className = 'game-bar';
    bar.setAttribute('role', 'toolbar');
    bar.setAttribute('aria-label', 'Training controls');
    this.pause = this.control('Pause', 'toggle', 'game-pause', 'Space', 'Pause training between steps (its state stays in memory)');
    this.dStep = this.control('D step', 'dStep', 'game-dstep', 'D', 'One discriminator update, G unchanged');
    this.gStep = this.control('G step', 'gStep', 'game-gstep', 'G', 'One generator update, D unchanged');
    this.step = this.control('Step', 'step', 'game-step', 'S', 'One full training step: k D updates, then one G update');
    this.stateText.className = 'game-state';
    this.stateText.id = 'game-state';
    this.stateText.setAttribute('role', 'status');
    this.lastText.className = 'game-last';
    this.lastText.id = 'game-last';
    const keys = document.createElement('span');
    keys.className = 'game-keys';
    keys.append(kbd('Space'), ' pause/continue · ', kbd('D'), ' ', kbd('G'), ' ', kbd('S'), ' steps');
    bar.append(this.pause.el, this.dStep.el, this.gStep.el, this.step.el, this.stateText, this.lastText, keys);
    this.message.className = 'game-message';
    this.message.id = 'game-message';
    this.message.setAttribute('role', 'alert');
    this.message.hidden = true;

    // The two forms fold away; whether each is open is view state, kept across reloads.
    const section = (summary: string, key: keyof GameState, id: string): ReturnType<typeof collapsible> => {
      const c = collapsible(summary, state[key], (open) => {
        state[key] = open;
        save();
      });
      c.el.className = id;
      c.el.id = id;
      return c;
    };
    const edits = section('Live edits', 'editsOpen', 'game-edits');
    const fork = section('Fork from a checkpoint', 'forkOpen', 'game-fork');
    this.editsBody = edits.body;
    this.forkBody = fork.body;
    this.editsNote.className = 'game-note';
    this.forkNote.className = 'game-note';
    const forms = document.createElement('div');
    forms.className = 'game-forms';
    forms.append(edits.el, fork.el);
    this.el.append(bar, this.message, forms);
    document.addEventListener('keydown', (e) => this.onKey(e));
    this.update();
  }

  private control(label: string, action: Action | 'toggle', id: string, key: string, title: string): ButtonControl {
    const b = button(label, () => this.press(action), { secondary: action !== 'toggle', title: `${title} (${key})`, id });
    b.el.setAttribute('aria-keyshortcuts', key === 'Space' ? 'Space' : key);
    return b;
  }

  get live(): boolean {
    return this.run.info.status === 'running';
  }

  private press(action: Action | 'toggle'): void {
    if (!this.live) return;
    const a: Action = action === 'toggle' ? (this.run.paused ? 'continue' : 'pause') : action;
    if (a !== 'pause' && a !== 'continue' && !this.run.paused) return;
    this.request({ type: 'control', runId: this.run.id, action: a });
  }

  private request(msg: Parameters<typeof post>[0]): void {
    this.lastRequest = Date.now();
    this.message.hidden = true;
    post(msg);
  }

  /** Shortcuts work anywhere in the dashboard, except while typing or on a control that takes the key. */
  private onKey(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || !this.el.isConnected) return;
    const action = SHORTCUTS[e.key.length === 1 ? e.key.toLowerCase() : e.key];
    if (!action) return;
    const t = e.target as HTMLElement | null;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON|SUMMARY|VSCODE-BUTTON|VSCODE-DROPDOWN|VSCODE-CHECKBOX|VSCODE-OPTION)$/.test(t.tagName) || t.getAttribute('role') === 'tab')) {
      return;
    }
    if (!this.live) return;
    e.preventDefault();
    this.press(action);
  }

  setRun(run: RunData): void {
    this.run = run;
    this.update();
  }

  /** The host refused something: shown here when we just asked, else the banner's. */
  failed(message: string): boolean {
    if (Date.now() - this.lastRequest > ANSWER_WINDOW_MS) return false;
    this.message.textContent = message;
    this.message.hidden = false;
    return true;
  }

  update(): void {
    const r = this.run;
    const live = this.live;
    const paused = live && r.paused;
    this.el.classList.toggle('paused', paused);
    this.pause.setLabel(paused ? 'Continue' : 'Pause');
    setAttr(this.pause.el, 'title', paused ? 'Continue training (Space)' : 'Pause training between steps; its state stays in memory (Space)');
    this.pause.setDisabled(!live);
    for (const b of [this.dStep, this.gStep, this.step]) b.setDisabled(!paused);
    const done = Math.max(r.info.step, r.length > 0 ? r.step.data[r.length - 1] : 0);
    setText(this.stateText, !live ? `Not training (${r.info.status}): the controls work on a live run` : paused ? `Paused at step ${formatStep(done)}` : `Training, step ${formatStep(done)}`);
    setAttr(this.stateText, 'data-state', !live ? 'idle' : paused ? 'paused' : 'training');
    const last = r.events.at(-1);
    setText(this.lastText, last ? `Last: step ${formatStep(last.step)}, ${describeEvent(last)}` : '');
    setHidden(this.lastText, !last);
    this.updateEdits();
    this.updateFork();
  }

  private updateEdits(): void {
    const r = this.run;
    const pointers = applicablePointers(r.config);
    const key = `${r.id}|${pointers.join()}`;
    if (key !== this.formFor) {
      this.formFor = key;
      this.buildForms(pointers);
    }
    // The values in effect change only with the config, an edit or the run going live or not.
    const shown = this.valuesFor;
    if (shown && shown.form === key && shown.config === r.config && shown.events === r.events && shown.count === r.events.length && shown.live === this.live) return;
    this.valuesFor = { form: key, config: r.config, events: r.events, count: r.events.length, live: this.live };
    const values = effectiveValues(r.config, r.events);
    for (const row of this.editRows) {
      const v = values.get(row.pointer) ?? NaN;
      row.current.textContent = formatValue(v);
      row.current.dataset.value = String(v);
      row.field.setDisabled(!this.live);
      row.apply.setDisabled(!this.live);
      // An empty field shows the current value as a hint; what was typed stays.
      row.field.input.placeholder = Number.isFinite(v) ? String(v) : '';
    }
    this.editsNote.textContent = this.live
      ? 'Values in effect now (config.json and the edits so far). The trainer checks each edit as a gan.json would, and applies it from the next update.'
      : 'Live edits need a live run. To change settings of this one, fork it from a checkpoint.';
  }

  private buildForms(pointers: EditablePointer[]): void {
    this.editRows.length = 0;
    const table = document.createElement('div');
    table.className = 'edit-table';
    table.setAttribute('role', 'group');
    table.setAttribute('aria-label', 'Editable settings');
    for (const head of ['Setting', 'Now', 'New value', '']) {
      const h = document.createElement('span');
      h.className = 'edit-head';
      h.textContent = head;
      table.append(h);
    }
    for (const pointer of pointers) {
      const id = `edit-${pointer.split('/').slice(-2).join('-')}`;
      const name = document.createElement('label');
      name.textContent = pointerLabel(pointer);
      name.title = pointer;
      name.htmlFor = id;
      const current = document.createElement('span');
      current.className = 'edit-current';
      const field = numberField(`New ${pointerLabel(pointer)}`, undefined, { id });
      field.input.dataset.pointer = pointer;
      const apply = button('Apply', () => this.applyEdit(row), { secondary: true, title: `Set ${pointer} from the next update on` });
      apply.el.classList.add('edit-apply');
      field.input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          this.applyEdit(row);
        }
      });
      const row: EditRow = { pointer, current, field, apply, row: name };
      this.editRows.push(row);
      table.append(name, current, field.el, apply.el);
    }
    this.editsBody.replaceChildren(this.editsNote, table);

    this.forkFields.clear();
    this.forkStep = dropdown<string>('Checkpoint', [], undefined, () => undefined);
    this.forkStep.el.id = 'fork-step';
    const sets = document.createElement('div');
    sets.className = 'edit-table fork-table';
    sets.setAttribute('role', 'group');
    sets.setAttribute('aria-label', 'Settings of the fork');
    for (const pointer of pointers) {
      const id = `fork-${pointer.split('/').slice(-2).join('-')}`;
      const name = document.createElement('label');
      name.textContent = pointerLabel(pointer);
      name.title = pointer;
      name.htmlFor = id;
      const field = numberField(`${pointerLabel(pointer)} of the fork`, undefined, { id, placeholder: 'unchanged' });
      field.input.dataset.pointer = pointer;
      this.forkFields.set(pointer, field);
      sets.append(name, field.el);
    }
    this.forkButton = button('Fork', () => this.fork(), { id: 'fork-button', title: 'Make a new run that continues from the checkpoint with these settings, and train it' });
    const row = document.createElement('div');
    row.className = 'controls';
    row.append(this.forkStep.el, this.forkButton.el);
    this.forkBody.replaceChildren(this.forkNote, row, sets);
  }

  private shownCheckpoints = '';

  private updateFork(): void {
    const cps = this.run.checkpoints;
    const key = `${this.run.id}|${cps.join()}`;
    if (key !== this.shownCheckpoints && this.forkStep) {
      this.shownCheckpoints = key;
      this.forkStep.setOptions(
        [...cps].reverse().map((s) => ({ value: String(s), label: `step ${formatStep(s)}` })),
        cps.length ? String(cps[cps.length - 1]) : undefined,
      );
    }
    this.forkButton?.setDisabled(cps.length === 0);
    setText(this.forkNote, cps.length
      ? 'The fork starts from the checkpoint with its parent’s settings there; fill in only what should differ.'
      : 'This run has no checkpoint yet to fork from.');
  }

  private applyEdit(row: EditRow): void {
    if (!this.live) return;
    const value = row.field.value();
    if (value === undefined) {
      this.showMessage(`${pointerLabel(row.pointer)}: type a number first.`);
      row.field.input.focus();
      return;
    }
    this.request({ type: 'edit', runId: this.run.id, pointer: row.pointer, value });
    row.field.set(undefined);
  }

  private fork(): void {
    const cps = this.run.checkpoints;
    const step = Number(this.forkStep?.value());
    if (!cps.includes(step)) {
      this.showMessage('Pick one of the run’s checkpoints to fork from.');
      return;
    }
    const sets: { pointer: EditablePointer; value: number }[] = [];
    for (const [pointer, field] of this.forkFields) {
      if (field.input.value.trim() === '') continue;
      const value = field.value();
      if (value === undefined) {
        this.showMessage(`${pointerLabel(pointer)}: ${JSON.stringify(field.input.value)} is not a number.`);
        field.input.focus();
        return;
      }
      sets.push({ pointer, value });
    }
    this.request({ type: 'fork', runId: this.run.id, step, sets });
    this.showMessage(`Asked for a fork at step ${formatStep(step)}${sets.length ? ` with ${sets.map((s) => `${pointerLabel(s.pointer)} = ${formatValue(s.value)}`).join(', ')}` : ''}.`, 'info');
  }

  private showMessage(text: string, kind: 'error' | 'info' = 'error'): void {
    this.message.textContent = text;
    this.message.dataset.kind = kind;
    this.message.hidden = false;
  }
}

function kbd(text: string): HTMLElement {
  const k = document.createElement('kbd');
  k.textContent = text;
  return k;
}
