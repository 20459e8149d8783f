/**
 * Playing the game by hand: what the host (or a test, or the CLI) asks of a training while it runs.
 * Commands queue up and the training loop takes them between steps, in order: a pause holds the
 * loop (its state stays in memory) until a continue; while paused, a D step, a G step or a full
 * step each make exactly that update; an edit changes a setting from the next update on. Each one
 * the loop carries out becomes a line of events.jsonl.
 */
import type { EventSource } from '../protocol/runFormat';

export type ManualKind = 'dStep' | 'gStep' | 'step';

export type ControlCommand =
  | { type: 'pause'; source: EventSource }
  | { type: 'continue'; source: EventSource }
  | { type: 'manual'; kind: ManualKind; source: EventSource }
  | { type: 'edit'; pointer: string; value: unknown; source: EventSource };

export class TrainerControl {
  private readonly queue: ControlCommand[] = [];
  /** Commands due when a given number of steps is done (tests, and `train --pause-at`). */
  private readonly scheduled: { step: number; command: ControlCommand }[] = [];
  private wake: (() => void) | undefined;

  push(command: ControlCommand): void {
    this.queue.push(command);
    this.interrupt();
  }

  /** Queues `command` for when `step` training steps are done (before step `step + 1`). */
  at(step: number, command: ControlCommand): void {
    this.scheduled.push({ step, command });
    this.scheduled.sort((a, b) => a.step - b.step);
  }

  /** The next command, once `done` steps are done: scheduled ones first, then the queue. */
  take(done: number): ControlCommand | undefined {
    if (this.scheduled.length > 0 && this.scheduled[0].step <= done) return this.scheduled.shift()!.command;
    return this.queue.shift();
  }

  /** Resolves at the next push or interrupt (a stop, a signal). */
  waitForCommand(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** Wakes a paused loop so that it looks at its stop flag. */
  interrupt(): void {
    this.wake?.();
  }
}
