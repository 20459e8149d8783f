/**
 * WGAN-GP differentiates D's input gradient again. LeakyReLU's gradient contains greater(x, 0),
 * and tfjs registers no gradient for comparisons, so the second derivative stops with
 * "gradient function not found for Greater". A comparison is piecewise constant: its derivative
 * is zero almost everywhere, which is what these give.
 */
import { getGradient, registerGradient, zerosLike, type Tensor } from '@tensorflow/tfjs-core';

const COMPARISONS = ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual'];

export function registerComparisonGradients(): void {
  for (const kernelName of COMPARISONS) {
    if (getGradient(kernelName)) continue;
    registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy: Tensor | Tensor[], saved: Tensor[]) => ({ a: () => zerosLike(saved[0]), b: () => zerosLike(saved[1]) }),
    });
  }
}
