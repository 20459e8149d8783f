/**
 * The step scrubber: every logged sample step is a stop (no cap), with play, previous/next and a
 * keyboard-accessible range input. While it sits on the last stop it follows new samples.
 */
import { button, type ButtonControl } from './controls';
import { formatStep } from './format';

const PLAY_MS = 140;

export class Scrubber {
  readonly el: HTMLElement;
  readonly input = document.createElement('input');
  private readonly label = document.createElement('span');
  private readonly play: ButtonControl;
  private steps: number[] = [];
  private index = -1;
  private timer: number | undefined;

  constructor(
    name: string,
    private readonly onChange: (step: number, atEnd: boolean) => void,
  ) {
    this.el = document.createElement('div');
    this.el.className = 'scrubber';
    this.play = button('Play', () => this.toggle(), { secondary: true, title: 'Animate the samples over training' });
    this.play.el.classList.add('play');
    const prev = button('‹', () => this.move(-1), { secondary: true, title: 'Previous step' });
    const next = button('›', () => this.move(1), { secondary: true, title: 'Next step' });
    prev.el.setAttribute('aria-label', 'Previous step');
    next.el.setAttribute('aria-label', 'Next step');
    this.input.type = 'range';
    this.input.min = '0';
    this.input.step = '1';
    this.input.className = 'scrub';
    this.input.setAttribute('aria-label', `${name} step`);
    this.input.addEventListener('input', () => this.go(Number(this.input.value), true));
    this.label.className = 'scrub-label';
    this.label.setAttribute('aria-live', 'polite');
    this.el.append(this.play.el, prev.el, this.input, next.el, this.label);
    this.render();
  }

  get step(): number | undefined {
    return this.steps[this.index];
  }

  /** New stops; keeps the current step, or the end when it was following the end. */
  setSteps(steps: number[]): void {
    const following = this.index < 0 || this.index >= this.steps.length - 1;
    const keep = this.step;
    this.steps = steps;
    this.input.max = String(Math.max(0, steps.length - 1));
    if (following) this.index = steps.length - 1;
    else if (keep !== undefined) this.index = Math.max(0, steps.findIndex((s) => s >= keep));
    this.render();
  }

  /** Moves to the stop at or before `step` without telling the owner (it asked). */
  showStep(step: number | null): void {
    if (this.steps.length === 0) return;
    if (step === null) this.index = this.steps.length - 1;
    else {
      let i = 0;
      while (i + 1 < this.steps.length && this.steps[i + 1] <= step) i++;
      this.index = i;
    }
    this.render();
  }

  private go(i: number, notify: boolean): void {
    if (this.steps.length === 0) return;
    this.index = Math.min(this.steps.length - 1, Math.max(0, i));
    this.render();
    if (notify) this.onChange(this.steps[this.index], this.index === this.steps.length - 1);
  }

  private move(d: number): void {
    this.stop();
    this.go(this.index + d, true);
  }

  toggle(): void {
    if (this.timer !== undefined) {
      this.stop();
      return;
    }
    if (this.steps.length < 2) return;
    if (this.index >= this.steps.length - 1) this.go(0, true);
    this.play.setLabel('Pause');
    this.timer = window.setInterval(() => {
      if (this.index >= this.steps.length - 1) this.stop();
      else this.go(this.index + 1, true);
    }, PLAY_MS);
  }

  stop(): void {
    if (this.timer === undefined) return;
    window.clearInterval(this.timer);
    this.timer = undefined;
    this.play.setLabel('Play');
  }

  private render(): void {
    const n = this.steps.length;
    this.input.disabled = n < 2;
    this.input.value = String(Math.max(0, this.index));
    const s = this.step;
    this.label.textContent = s === undefined ? 'no samples yet' : `step ${formatStep(s)} · ${this.index + 1}/${n}`;
    this.label.dataset.step = s === undefined ? '' : String(s);
    this.input.setAttribute('aria-valuetext', s === undefined ? 'no samples' : `step ${s}`);
  }
}
