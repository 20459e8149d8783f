/**
 * Calling the wasm backend's own kernels from inside our kernels.
 *
 * A kernel must return a bare TensorInfo, and going through tf ops would add engine bookkeeping
 * per intermediate, so our kernels call the backend's registered kernel functions directly and
 * release each intermediate with `disposeData` (the wasm backend reference-counts data ids, so a
 * reshape shares its input's buffer and releasing both is correct).
 */
import { getKernel } from '@tensorflow/tfjs-core';
import type { backend_util, DataId, DataType, KernelBackend, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

export const WASM = 'wasm';

/** The part of tfjs-backend-wasm's BackendWasm that our kernels use. */
export interface WasmBackendLike extends KernelBackend {
  disposeData(dataId: DataId, force?: boolean): boolean;
  incRef(dataId: DataId): void;
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number, values?: backend_util.BackendValues): TensorInfo;
  /** A view on the wasm heap; invalid after the heap grows, so take it after the last allocation. */
  typedArrayFromHeap(info: TensorInfo): backend_util.TypedArray;
}

export type KernelArgs<I, A> = { inputs: I; backend: WasmBackendLike; attrs: A };

/** Runs a registered wasm kernel; the caller owns (and must release) the result. */
export function run(backend: WasmBackendLike, kernelName: string, inputs: Record<string, TensorInfo | null>, attrs: object = {}): TensorInfo {
  const kernel = getKernel(kernelName, WASM);
  if (kernel === undefined) {
    throw new Error(`GAN Studio wasm kernels: the wasm backend has no '${kernelName}' kernel to build on`);
  }
  return kernel.kernelFunc({ inputs: inputs as Record<string, TensorInfo>, backend, attrs: attrs as NamedAttrMap }) as TensorInfo;
}

/** Runs a kernel config captured before we replaced it (see `replaceKernel`). */
export function runConfig(config: KernelConfig, backend: WasmBackendLike, inputs: Record<string, TensorInfo | null>, attrs: object): TensorInfo {
  return config.kernelFunc({ inputs: inputs as Record<string, TensorInfo>, backend, attrs: attrs as NamedAttrMap }) as TensorInfo;
}

export function release(backend: WasmBackendLike, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export function reshape(backend: WasmBackendLike, x: TensorInfo, shape: number[]): TensorInfo {
  return run(backend, 'Reshape', { x }, { shape });
}

export function transpose(backend: WasmBackendLike, x: TensorInfo, perm: number[]): TensorInfo {
  return run(backend, 'Transpose', { x }, { perm });
}

/** A tensor's byte offset in the wasm heap (unlike a view, still valid after the heap grows). */
export function heapOffset(backend: WasmBackendLike, t: TensorInfo): number {
  return backend.typedArrayFromHeap(t).byteOffset;
}
