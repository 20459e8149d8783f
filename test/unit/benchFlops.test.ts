/**
 * The bench's flop count per kernel call, which its GFLOP/s against the wasm peak rests on: the
 * reference DCGAN's layers and an MLP layer, counted by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelFlops } from '../../bench/trainerBench';

test('a conv and both of its gradients cost the same flops: 2·N·Ho·Wo·Co·Kh·Kw·Ci', () => {
  // D's first conv: [64,28,28,1] → 32 filters 5×5, stride 2, same → [64,14,14,32].
  const flops = 2 * 64 * 14 * 14 * 32 * 5 * 5 * 1;
  assert.equal(kernelFlops('Conv2D', [[64, 28, 28, 1], [5, 5, 1, 32]], [[64, 14, 14, 32]]), flops);
  assert.equal(kernelFlops('FusedConv2D', [[64, 28, 28, 1], [5, 5, 1, 32], [32]], [[64, 14, 14, 32]]), flops);
  assert.equal(kernelFlops('Conv2DBackpropInput', [[64, 14, 14, 32], [5, 5, 1, 32]], [[64, 28, 28, 1]]), flops);
  assert.equal(kernelFlops('Conv2DBackpropFilter', [[64, 28, 28, 1], [64, 14, 14, 32]], [[5, 5, 1, 32]]), flops);
});

test('a matMul is 2·b·m·n·k whichever operand is transposed; other kernels count 0', () => {
  // A 128×128 dense layer on 256 rows, forward, and its weight gradient xᵀ·dy ([128,256]·[256,128]).
  assert.equal(kernelFlops('_FusedMatMul', [[1, 256, 128], [1, 128, 128], [128]], [[1, 256, 128]]), 2 * 256 * 128 * 128);
  assert.equal(kernelFlops('BatchMatMul', [[1, 256, 128], [1, 256, 128]], [[1, 128, 128]]), 2 * 128 * 128 * 256);
  assert.equal(kernelFlops('Add', [[256, 128], [256, 128]], [[256, 128]]), 0);
});
