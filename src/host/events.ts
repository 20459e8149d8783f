/**
 * A tiny event emitter with VS Code's `Event` shape, so the vscode-free training code can be
 * subscribed to exactly like a VS Code event and unit-tested in plain Node.
 */
import type { Timers } from '../protocol/requests';

/** Node's timers, for the protocol's request/reply helper. */
export const nodeTimers: Timers = {
  set: (fire, ms) => setTimeout(fire, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface Disposable {
  dispose(): void;
}

export type Event<T> = (listener: (value: T) => void) => Disposable;

export class Emitter<T> {
  private listeners = new Set<(value: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  };

  fire(value: T): void {
    // Copy first: a listener may dispose itself (or another) while we iterate.
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch (err) {
        // One faulty listener must not stop the others or the state machine that fired.
        console.error('GAN Studio: event listener failed:', err);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
