/**
 * Lazy gradients for tfjs-core's fused conv2d and matMul, which every tfjs-layers Conv2D and Dense
 * layer calls (`fused.conv2d` / `fused.matMul` with a linear activation, also under a gradient tape).
 *
 * Those ops differentiate through `customGrad`, whose gradient function computes the input, the
 * weight AND the bias gradient eagerly, and the engine then keeps only the ones on the path to the
 * requested variables. In a GAN that is a lot of thrown-away work: the G update computes all of
 * D's filter gradients (two Conv2DBackpropFilter), and the D update computes conv1's input
 * gradient for the real and the fake batch. A gradient registered under a kernel name is only
 * looked up by that name, and the customGrad node is named after the op's scope
 * (`fusedConv2d__op`), which has no attributes to work from.
 *
 * So this hooks two engine methods, once, process-wide:
 * - `runKernel` notes the attributes of each `FusedConv2D` / `_FusedMatMul` run while a tape is
 *   recording, keyed by the output's data id (a WeakMap: nothing is kept alive);
 * - `addTapeNode`, for the customGrad node of those two ops, swaps the eager gradient function for
 *   one that returns a thunk per input, so the engine computes only the gradients it needs.
 *
 * The thunks run exactly the ops of tfjs-core 4.22's own gradient (same kernels, same inputs, same
 * attributes), so every gradient that is computed is bit-identical to before; only unused ones are
 * skipped. Anything unusual (a non-linear fused activation, NCHW, dilations, a rank-3 input, an
 * unknown op layout) keeps tfjs-core's gradient unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';

const CONV_SCOPE = 'fusedConv2d__op';
const MATMUL_SCOPE = 'fusedMatMul__op';

type GradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs?: unknown) => Record<string, () => tf.Tensor>;

interface FusedConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: string;
  dilations?: [number, number] | number;
  activation?: string;
}

interface FusedMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
}

type Recorded = { kernel: 'FusedConv2D'; attrs: FusedConvAttrs } | { kernel: '_FusedMatMul'; attrs: FusedMatMulAttrs };

/** The two Engine methods we wrap (public in the class, untyped in tfjs-core's `engine()` type). */
interface HookableEngine {
  state: { gradientDepth: number };
  runKernel(kernelName: string, inputs: Record<string, tf.Tensor>, attrs?: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  addTapeNode(
    kernelName: string,
    inputs: Record<string, tf.Tensor>,
    outputs: tf.Tensor[],
    gradientsFunc: GradFunc | null,
    saved: tf.Tensor[],
    attrs: unknown,
  ): void;
}

const recorded = new WeakMap<object, Recorded>();
let hooked: { engine: HookableEngine; runKernel: HookableEngine['runKernel']; addTapeNode: HookableEngine['addTapeNode'] } | undefined;
let enabled = false;
/** How many customGrad nodes got the lazy gradient (for tests and the bench's report). */
let lazyNodes = 0;

const isLinear = (a: string | undefined) => a == null || a === 'linear';
const allOnes = (v: number | number[] | undefined) => v == null || (Array.isArray(v) ? v.every((d) => d === 1) : v === 1);

/** tfjs-core's getFusedBiasGradient: sum dy over the broadcast axes, shaped like the bias. */
function biasGradient(bias: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(bias.shape, dy.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, bias.shape);
}

function lazyConvGradient(attrs: FusedConvAttrs, inputs: Record<string, tf.Tensor>): GradFunc | undefined {
  if (!isLinear(attrs.activation) || (attrs.dataFormat ?? 'NHWC') !== 'NHWC' || !allOnes(attrs.dilations)) return undefined;
  if (inputs['0']?.rank !== 4) return undefined;
  const { strides, pad } = attrs;
  return (dy, saved) => {
    const [filter, x4D, , bias] = saved;
    const d = dy as tf.Tensor4D;
    const grads: Record<string, () => tf.Tensor> = {
      // = conv2DBackpropInput(x4D.shape, dy, filter, strides, pad), as tfjs-core's gradient calls it.
      0: () => tf.conv2dTranspose(d, filter as tf.Tensor4D, x4D.shape as [number, number, number, number], strides, pad),
      1: () =>
        tf.engine().runKernel<tf.Tensor>(
          tf.Conv2DBackpropFilter,
          { x: x4D, dy: d },
          { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: filter.shape } as never,
        ),
    };
    if (bias != null) grads[2] = () => biasGradient(bias, d);
    return grads;
  };
}

function lazyMatMulGradient(attrs: FusedMatMulAttrs): GradFunc | undefined {
  if (!isLinear(attrs.activation)) return undefined;
  const { transposeA: tA, transposeB: tB } = attrs;
  return (dy, saved) => {
    const [a, b, y, bias] = saved;
    const d = () => tf.reshape(dy as tf.Tensor, y.shape);
    // tfjs-core's table, term by term.
    const grads: Record<string, () => tf.Tensor> = {
      0: () => (!tA ? tf.matMul(d(), b, false, !tB) : tB ? tf.matMul(b, d(), true, true) : tf.matMul(b, d(), false, true)),
      1: () => (!tB ? tf.matMul(a, d(), !tA, false) : tA ? tf.matMul(d(), a, true, true) : tf.matMul(d(), a, true, false)),
    };
    if (bias != null) grads[2] = () => biasGradient(bias, d());
    return grads;
  };
}

/**
 * Installs the hooks (once per process) and turns them on. Safe to call repeatedly; calling
 * `setLazyFusedGradients(false)` restores tfjs-core's eager gradients for new tape nodes.
 */
export function installLazyFusedGradients(): void {
  if (!hooked) {
    const engine = tf.engine() as unknown as HookableEngine;
    // The engine's own methods, called back with the engine as `this` by the hooks below.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const runKernel = engine.runKernel;
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const addTapeNode = engine.addTapeNode;
    hooked = { engine, runKernel, addTapeNode };
    engine.runKernel = function (this: HookableEngine, kernelName, inputs, attrs) {
      const out = runKernel.call(this, kernelName, inputs, attrs);
      if (enabled && this.state.gradientDepth > 0 && (kernelName === 'FusedConv2D' || kernelName === '_FusedMatMul') && !Array.isArray(out)) {
        recorded.set(out.dataId, { kernel: kernelName, attrs } as unknown as Recorded);
      }
      return out;
    };
    engine.addTapeNode = function (this: HookableEngine, kernelName, inputs, outputs, gradientsFunc, saved, attrs) {
      if (enabled && gradientsFunc && (kernelName === CONV_SCOPE || kernelName === MATMUL_SCOPE) && outputs.length === 1 && '1' in inputs) {
        const rec = recorded.get(outputs[0].dataId);
        const lazy =
          rec?.kernel === 'FusedConv2D' && kernelName === CONV_SCOPE
            ? lazyConvGradient(rec.attrs, inputs)
            : rec?.kernel === '_FusedMatMul' && kernelName === MATMUL_SCOPE
              ? lazyMatMulGradient(rec.attrs)
              : undefined;
        if (lazy) {
          gradientsFunc = lazy;
          lazyNodes++;
        }
      }
      return addTapeNode.call(this, kernelName, inputs, outputs, gradientsFunc, saved, attrs);
    };
  }
  enabled = true;
}

/** Turns the lazy gradients on or off (tests compare both); off is tfjs-core's own behaviour. */
export function setLazyFusedGradients(on: boolean): void {
  if (on) installLazyFusedGradients();
  else enabled = false;
}

/** Customgrad nodes that received a lazy gradient so far. */
export function lazyFusedNodeCount(): number {
  return lazyNodes;
}
