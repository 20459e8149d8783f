/**
 * The run's alarms as banners above the views: a title, what to do, and the step ranges where the
 * condition held, each a link that moves the step cursor there. Warnings stand out; "equilibrium
 * reached" (info) is calm. The host judges the run (src/training/alarmMonitor.ts); this only shows it.
 */
import type { Alarm } from '../../src/protocol/alarms';
import { formatStep } from '../shared/format';

/** Ranges listed per alarm; the rest are summarised ("and 4 more"). */
const MAX_RANGES = 6;

export class AlarmBanner {
  readonly el: HTMLElement;
  private shown = '';

  constructor(private readonly onStep: (step: number) => void) {
    this.el = document.createElement('div');
    this.el.className = 'alarms';
    this.el.id = 'alarms';
    this.el.hidden = true;
  }

  set(alarms: Alarm[]): void {
    const key = JSON.stringify(alarms);
    if (key === this.shown) return;
    this.shown = key;
    // Warnings first: they need action, the info does not.
    const sorted = [...alarms].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'warning' ? -1 : 1));
    this.el.replaceChildren(...sorted.map((a) => this.banner(a)));
    this.el.hidden = alarms.length === 0;
  }

  private banner(a: Alarm): HTMLElement {
    const box = document.createElement('section');
    box.className = `alarm alarm-${a.severity}`;
    box.dataset.kind = a.kind;
    // A warning interrupts a screen reader; the calm info only joins the page.
    box.setAttribute('role', a.severity === 'warning' ? 'alert' : 'status');
    const icon = document.createElement('span');
    icon.className = 'alarm-icon';
    icon.setAttribute('aria-hidden', 'true');
    icon.textContent = a.severity === 'warning' ? '⚠' : 'ℹ';
    const body = document.createElement('div');
    body.className = 'alarm-body';
    const title = document.createElement('strong');
    title.className = 'alarm-title';
    title.textContent = a.title;
    const msg = document.createElement('p');
    msg.className = 'alarm-message';
    msg.textContent = a.message;
    const steps = document.createElement('p');
    steps.className = 'alarm-steps';
    steps.append(document.createTextNode(a.ranges.length === 1 ? 'Steps ' : 'At steps '));
    a.ranges.slice(0, MAX_RANGES).forEach(([first, last], i) => {
      if (i > 0) steps.append(document.createTextNode(', '));
      const link = document.createElement('button');
      link.type = 'button';
      link.className = 'step-link';
      link.dataset.step = String(first);
      link.textContent = first === last ? formatStep(first) : `${formatStep(first)}–${formatStep(last)}`;
      link.title = `Move the step cursor to step ${first}`;
      link.addEventListener('click', () => this.onStep(first));
      steps.append(link);
    });
    if (a.ranges.length > MAX_RANGES) steps.append(document.createTextNode(` and ${a.ranges.length - MAX_RANGES} more`));
    body.append(title, msg, steps);
    box.append(icon, body);
    return box;
  }
}
