/**
 * Live edits: the settings a run may change while it trains or is paused, checked by the same
 * rules as a gan.json, and the effective config at any point of a run, derived from its
 * config.json (the starting config) and its events.jsonl.
 */
import { EDITABLE_POINTERS, type EditablePointer, type RunEvent } from '../protocol/runFormat';
import type { GanConfig } from '../config/ganConfig';
import { valueAt, withValueAt } from '../config/pointers';
import { printableLine } from '../config/quote';
import { validateConfigValue } from '../config/validateConfig';

export class EditError extends Error {}

export function isEditablePointer(pointer: string): pointer is EditablePointer {
  return (EDITABLE_POINTERS as readonly string[]).includes(pointer);
}

/** The settings an edit may name, for messages and completion. */
export function editableList(): string {
  return EDITABLE_POINTERS.join(', ');
}

export interface AppliedEdit {
  config: GanConfig;
  pointer: EditablePointer;
  old: number;
  value: number;
}

/**
 * `config` with one setting changed, checked as a gan.json would be. Throws EditError with one
 * line naming the pointer and the rule it breaks. The original is left alone.
 */
export function applyEdit(config: GanConfig, pointer: string, value: unknown): AppliedEdit {
  if (!isEditablePointer(pointer)) throw new EditError(`${pointer || '(empty pointer)'} cannot change during a run; what can: ${editableList()}`);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new EditError(`${pointer}: expected a finite number, got ${JSON.stringify(value) ?? String(value)}`);
  const optimizer = /^\/training\/(generator|discriminator)Optimizer\/beta[12]$/.exec(pointer);
  if (optimizer) {
    const type = config.training[`${optimizer[1] as 'generator' | 'discriminator'}Optimizer`].type;
    if (type !== 'adam') throw new EditError(`${pointer}: Adam's betas do nothing for the ${type} optimizer this run uses`);
  }
  if (pointer === '/loss/gradientPenalty' && config.loss.type !== 'wasserstein-gp') {
    throw new EditError(`${pointer}: the gradient penalty applies to wasserstein-gp only; this run's loss is ${config.loss.type}`);
  }
  const old = valueAt(config, pointer);
  const edited = withValueAt(config, pointer, value);
  const { config: checked, problems } = validateConfigValue(edited);
  const error = problems.find((p) => p.severity === 'error');
  if (!checked || error) {
    throw new EditError(printableLine(error ? `${error.path || pointer} ${error.message}` : `${pointer} is not valid`));
  }
  // The resolved config keeps what the run resolved (workers, auto choices); only the one value moves.
  return { config: edited as GanConfig, pointer, old: typeof old === 'number' ? old : NaN, value };
}

/**
 * The config in effect after the events before position `upTo` (all of them by default), starting
 * from the run's config.json. Events other than edits leave it alone.
 */
export function effectiveConfig(start: GanConfig, events: readonly RunEvent[], upTo = events.length): GanConfig {
  let config = start;
  for (const e of events.slice(0, upTo)) {
    if (e.kind === 'edit') config = withValueAt(config, e.pointer, e.value) as GanConfig;
  }
  return config;
}

/** The config in effect when `step` training steps were done (edits at that step included). */
export function configAtStep(start: GanConfig, events: readonly RunEvent[], step: number): GanConfig {
  const upTo = events.findIndex((e) => e.step > step);
  return effectiveConfig(start, events, upTo < 0 ? events.length : upTo);
}
