/**
 * The webview's own small controls. Only this file knows about @vscode/webview-ui-toolkit (which
 * is deprecated upstream), so replacing it means rewriting these functions and nothing else.
 * Views get plain objects with the few operations they need.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDataGrid,
  vsCodeDataGridCell,
  vsCodeDataGridRow,
  vsCodeDropdown,
  vsCodeOption,
} from '@vscode/webview-ui-toolkit';

let registered = false;

/**
 * DOM writes that happen only when the value changes. Live updates arrive ten times a second, and
 * even an unchanged `textContent` assignment replaces the text node, which costs a style, layout
 * and paint pass of its box in the frame that follows.
 */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
export function setAttr(el: HTMLElement, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}
export function setHidden(el: HTMLElement, hidden: boolean): void {
  if (el.hidden !== hidden) el.hidden = hidden;
}

export function registerControls(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodeCheckbox(),
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodeDataGrid(),
    vsCodeDataGridRow(),
    vsCodeDataGridCell(),
  );
}

export interface ButtonControl {
  el: HTMLElement;
  setDisabled(disabled: boolean): void;
  setLabel(label: string): void;
}

export function button(label: string, onClick: () => void, opts: { secondary?: boolean; title?: string; id?: string } = {}): ButtonControl {
  const el = document.createElement('vscode-button');
  el.textContent = label;
  if (opts.secondary) el.setAttribute('appearance', 'secondary');
  if (opts.title) el.title = opts.title;
  if (opts.id) el.id = opts.id;
  el.addEventListener('click', () => {
    if (!el.hasAttribute('disabled')) onClick();
  });
  return {
    el,
    setDisabled: (d) => el.toggleAttribute('disabled', d),
    setLabel: (l) => setText(el, l),
  };
}

export interface CheckboxControl {
  el: HTMLElement;
  set(checked: boolean): void;
}

export function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void): CheckboxControl {
  const el = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
  el.textContent = label;
  el.checked = checked;
  if (checked) el.setAttribute('checked', '');
  el.addEventListener('change', () => onChange(el.checked));
  return {
    el,
    set: (c) => {
      el.checked = c;
    },
  };
}

export interface DropdownControl<T extends string> {
  el: HTMLElement;
  set(value: T): void;
  /** The value chosen now. */
  value(): T;
  setOptions(options: { value: T; label: string }[], value: T | undefined): void;
}

export function dropdown<T extends string>(label: string, options: { value: T; label: string }[], value: T | undefined, onChange: (value: T) => void): DropdownControl<T> {
  const wrap = document.createElement('label');
  wrap.className = 'control';
  const text = document.createElement('span');
  text.textContent = label;
  const el = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
  el.setAttribute('aria-label', label);
  wrap.append(text, el);
  let silent = false;
  el.addEventListener('change', () => {
    if (!silent) onChange(el.value as T);
  });
  const setOptions = (opts: { value: T; label: string }[], v: T | undefined): void => {
    silent = true;
    el.replaceChildren(
      ...opts.map((o) => {
        const opt = document.createElement('vscode-option') as HTMLElement & { value: string };
        opt.setAttribute('value', o.value);
        opt.textContent = o.label;
        if (o.value === v) opt.setAttribute('selected', '');
        return opt;
      }),
    );
    // The component picks up new options asynchronously; the value is applied after it did.
    queueMicrotask(() => {
      if (v !== undefined) el.value = v;
      silent = false;
    });
  };
  setOptions(options, value);
  return {
    el: wrap,
    set: (v) => {
      silent = true;
      el.value = v;
      silent = false;
    },
    value: () => el.value as T,
    setOptions,
  };
}

export interface SliderControl {
  el: HTMLElement;
  input: HTMLInputElement;
  set(value: number): void;
}

/** The toolkit has no slider; a native range input is accessible and themed by our CSS. */
export function slider(label: string, min: number, max: number, step: number, value: number, onInput: (value: number) => void, format: (v: number) => string = String): SliderControl {
  const wrap = document.createElement('label');
  wrap.className = 'control slider';
  const text = document.createElement('span');
  text.textContent = label;
  const input = document.createElement('input');
  input.type = 'range';
  input.min = String(min);
  input.max = String(max);
  input.step = String(step);
  input.value = String(value);
  const out = document.createElement('output');
  out.textContent = format(value);
  input.addEventListener('input', () => {
    const v = Number(input.value);
    out.textContent = format(v);
    onInput(v);
  });
  wrap.append(text, input, out);
  return {
    el: wrap,
    input,
    set: (v) => {
      input.value = String(v);
      out.textContent = format(v);
    },
  };
}

/*
 * The toolkit's badge and progress ring put `style="…"` attributes in their templates, which a
 * style-src without 'unsafe-inline' blocks (a CSP violation on every page). Both are a few lines
 * of CSS, so they are our own elements and the CSP stays strict.
 */
export function progressRing(label = 'Training'): HTMLElement {
  const el = document.createElement('span');
  el.className = 'spinner';
  el.setAttribute('role', 'progressbar');
  el.setAttribute('aria-label', label);
  return el;
}

export function badge(text: string, className = ''): HTMLElement {
  const el = document.createElement('span');
  el.className = `badge ${className}`.trim();
  el.textContent = text;
  return el;
}

export interface GridColumn {
  title: string;
  key: string;
}

/** A read-only table. Rows are plain string records. */
export function dataGrid(label: string, columns: GridColumn[], rows: Record<string, string>[]): HTMLElement {
  const grid = document.createElement('vscode-data-grid') as HTMLElement & {
    rowsData: Record<string, string>[];
    columnDefinitions: { columnDataKey: string; title: string }[];
  };
  grid.setAttribute('aria-label', label);
  grid.setAttribute('generate-header', 'sticky');
  grid.columnDefinitions = columns.map((c) => ({ columnDataKey: c.key, title: c.title }));
  grid.rowsData = rows;
  return grid;
}

/** A collapsible section, native so it works with the keyboard and screen readers unchanged. */
export function collapsible(summary: string, open: boolean, onToggle: (open: boolean) => void): { el: HTMLDetailsElement; body: HTMLElement } {
  const el = document.createElement('details');
  el.open = open;
  const s = document.createElement('summary');
  s.textContent = summary;
  const body = document.createElement('div');
  el.append(s, body);
  el.addEventListener('toggle', () => onToggle(el.open));
  return { el, body };
}

/** A segmented choice (radio-like) built from buttons with aria-pressed, for two or three modes. */
export function segmented<T extends string>(label: string, options: { value: T; label: string }[], value: T, onChange: (v: T) => void): { el: HTMLElement; set(v: T): void } {
  const el = document.createElement('div');
  el.className = 'segmented';
  el.setAttribute('role', 'group');
  el.setAttribute('aria-label', label);
  const buttons = options.map((o) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = o.label;
    b.addEventListener('click', () => {
      set(o.value);
      onChange(o.value);
    });
    return { b, v: o.value };
  });
  const set = (v: T): void => {
    for (const { b, v: bv } of buttons) b.setAttribute('aria-pressed', String(bv === v));
  };
  set(value);
  el.append(...buttons.map((x) => x.b));
  return { el, set };
}

export interface NumberFieldControl {
  el: HTMLElement;
  input: HTMLInputElement;
  /** The value typed, or undefined when the field is empty or not a finite number. */
  value(): number | undefined;
  set(value: number | undefined): void;
  setDisabled(disabled: boolean): void;
}

/**
 * The toolkit's text field takes no type="number"; a native number input is keyboard- and
 * screen-reader-friendly as it is, and themed by base.css.
 */
export function numberField(label: string, value: number | undefined, opts: { id?: string; placeholder?: string; step?: string } = {}): NumberFieldControl {
  const input = document.createElement('input');
  input.type = 'number';
  input.className = 'number-field';
  input.step = opts.step ?? 'any';
  input.setAttribute('aria-label', label);
  if (opts.id) input.id = opts.id;
  if (opts.placeholder) input.placeholder = opts.placeholder;
  const set = (v: number | undefined): void => {
    input.value = v === undefined || !Number.isFinite(v) ? '' : String(v);
  };
  set(value);
  return {
    el: input,
    input,
    value: () => {
      const t = input.value.trim();
      if (t === '') return undefined;
      const v = Number(t);
      return Number.isFinite(v) ? v : undefined;
    },
    set,
    setDisabled: (d) => {
      input.disabled = d;
    },
  };
}
