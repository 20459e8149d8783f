/** What `gan-studio backends --json` prints: which backends load here, and why the others do not. */
import * as v from 'valibot';
import { backendName } from './runFormat';

export const backendProbe = v.object({
  /** The bundled @tensorflow/tfjs-core version: the tfjs-node to install must match it. */
  tfjsVersion: v.pipe(v.string(), v.regex(/^\d+\.\d+\.\d+/)),
  /** The folders whose node_modules the trainer searches for @tensorflow/tfjs-node, in order. */
  nativeSearchPaths: v.array(v.string()),
  backends: v.array(v.object({ backend: backendName, ok: v.boolean(), from: v.optional(v.string()), reason: v.optional(v.string()) })),
  /** What `auto` picks here. */
  auto: backendName,
});
export interface BackendProbe extends v.InferOutput<typeof backendProbe> {}
