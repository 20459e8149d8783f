/**
 * tfjs-backend-wasm runs BatchMatMul through XNNPACK only when neither operand is transposed;
 * with transposeA or transposeB it falls back to a scalar loop that is 10–15× slower (measured
 * here: 256×128·128×128 took 0.35 ms plain, 4.4 ms with transposeA). Every dense layer's backward
 * pass multiplies by a transpose, so this override transposes explicitly (cheap) and calls the fast
 * path.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: { disposeData(dataId: object): void };
  attrs?: Record<string, unknown>;
}

let registered = false;

export function registerWasmMatMul(): void {
  if (registered) return;
  const original = getKernel('BatchMatMul', 'wasm');
  const transpose = getKernel('Transpose', 'wasm');
  if (!original || !transpose) return;
  registered = true;
  const run = (k: NonNullable<typeof original>, args: KernelArgs) =>
    (k.kernelFunc as unknown as (a: KernelArgs) => TensorInfo)(args);
  const swapLast = (x: TensorInfo, backend: KernelArgs['backend']): TensorInfo => {
    const perm = x.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return run(transpose!, { inputs: { x }, backend, attrs: { perm } });
  };
  const config: KernelConfig = {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    kernelFunc: ((args: KernelArgs) => {
      const { a, b } = args.inputs;
      const tA = Boolean(args.attrs?.transposeA);
      const tB = Boolean(args.attrs?.transposeB);
      if (!tA && !tB) return run(original, args);
      const a2 = tA ? swapLast(a, args.backend) : a;
      const b2 = tB ? swapLast(b, args.backend) : b;
      const out = run(original, { ...args, inputs: { a: a2, b: b2 }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
      if (tA) args.backend.disposeData(a2.dataId);
      if (tB) args.backend.disposeData(b2.dataId);
      return out;
    }) as unknown as KernelConfig['kernelFunc'],
  };
  unregisterKernel('BatchMatMul', 'wasm');
  registerKernel(config);
}
