/**
 * The dashboard's latent generate requests to the host: one id space for the explorer and the
 * walk (the protocol's request/reply helper), answered by `generated` or `error` messages with the
 * request's id. The host has its own time limits; this one only ends a request that nobody
 * answers at all.
 */
import type { GeneratedBatch } from '../../src/protocol/generation';
import { PendingRequests, type Timers } from '../../src/protocol/requests';
import type { ErrorMessage, GeneratedReply } from '../../src/protocol/webviewProtocol';
import { post } from './vscodeApi';

const browserTimers: Timers = {
  set: (fire, ms) => window.setTimeout(fire, ms),
  clear: (handle) => window.clearTimeout(handle as number),
};

/** Longer than any of the host's own limits (a generator process may take two minutes to load). */
const NO_ANSWER_MS = 180_000;

export class LatentRequests {
  private readonly pending = new PendingRequests<GeneratedBatch>(browserTimers, {
    timeoutMs: NO_ANSWER_MS,
    timeoutMessage: () => 'GAN Studio did not answer the request; try again.',
  });

  /** Asks for G(z): the live generator, or the one saved at `checkpoint`. */
  generate(runId: string, z: number[], count: number, checkpoint?: number): { id: number; reply: Promise<GeneratedBatch> } {
    const request = this.pending.start();
    post({ type: 'generate', requestId: request.id, runId, z, count, ...(checkpoint !== undefined ? { checkpoint } : {}) });
    return request;
  }

  /** A `generated` answer; false when no request of this page waits for it. */
  answered(msg: GeneratedReply): boolean {
    return this.pending.resolve(msg.requestId, { data: msg.data, shape: msg.shape });
  }

  /** An `error` answer to a request; false when it answers none of ours. */
  failed(msg: ErrorMessage): boolean {
    return msg.requestId !== undefined && this.pending.reject(msg.requestId, new Error(msg.message));
  }
}
