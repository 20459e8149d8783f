/**
 * A data-parallel replica in a worker thread (the other side of replicas.ts): its own backend
 * instance and copy of both networks. It computes gradients on the shares of batches it is sent
 * and takes the weights the training process sends after each update; it keeps no other state,
 * so a resumed run's workers need nothing from the checkpoint.
 */
import { parentPort } from 'node:worker_threads';
import { initBackend } from './backend';
import { Gan, disposePart, flatten, type Part, type RemotePart } from './gan';
import { Rng, installAsMathRandom } from './rng';
import type { FromReplica, ToReplica } from './replicas';

const port = parentPort;
if (!port) throw new Error('replicaWorker.js runs as a worker thread of the trainer');

let gan: Gan | undefined;

/** The part's tensors as arrays; every one is disposed. */
function read(part: Part): RemotePart {
  const out: RemotePart = { grads: flatten(part.grads), sums: part.sums.dataSync() as Float32Array };
  if (part.outputs) out.outputs = { real: part.outputs.real.dataSync() as Float32Array, fake: part.outputs.fake.dataSync() as Float32Array };
  disposePart(part);
  return out;
}

function reply(part: RemotePart): void {
  const transfer = [part.grads.buffer, part.sums.buffer, ...(part.outputs ? [part.outputs.real.buffer, part.outputs.fake.buffer] : [])] as ArrayBuffer[];
  port!.postMessage({ type: 'part', part } satisfies FromReplica, transfer);
}

async function handle(msg: ToReplica): Promise<void> {
  if (msg.type === 'init') {
    await initBackend(msg.backend, msg.wasmDir);
    gan = new Gan(msg.config, msg.data, true);
    port!.postMessage({ type: 'ready' } satisfies FromReplica);
    return;
  }
  if (!gan) throw new Error(`"${msg.type}" before "init"`);
  const g = gan;
  switch (msg.type) {
    case 'weights':
      g.setFlatWeights(msg.which, msg.flat);
      return;
    case 'config':
      g.setConfig(msg.config);
      return;
    case 'd': {
      // What this share's networks draw themselves (dropout masks, the penalty's mix) comes from
      // a seed the training process drew, so runs repeat and resume exactly.
      installAsMathRandom(new Rng(msg.seed));
      reply(read(g.discriminatorPart(msg.real, msg.z, msg.n, msg.wantOutputs)));
      return;
    }
    case 'g': {
      installAsMathRandom(new Rng(msg.seed));
      reply(read(g.generatorPart(msg.z, msg.n)));
      return;
    }
  }
}

// Messages are handled strictly in order, also across the asynchronous init.
let queue = Promise.resolve();
port.on('message', (msg: ToReplica) => {
  queue = queue.then(() => handle(msg)).catch((err: Error) => {
    port.postMessage({ type: 'error', message: err.message } satisfies FromReplica);
  });
});
