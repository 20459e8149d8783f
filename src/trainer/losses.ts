/**
 * The adversarial objectives over D's raw outputs: logits for the probability losses, scores for
 * the critics. r = D(x) on a real batch [B, 1], f = D(G(z)) on a fake batch [B, 1].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LossType } from '../config/ganConfig';

/** Binary cross-entropy with logits against a constant target t: t·softplus(−x) + (1−t)·softplus(x). */
function bceWithLogits(x: tf.Tensor, target: number): tf.Scalar {
  return tf.tidy(() => {
    const pos = tf.mul(tf.softplus(tf.neg(x)), target);
    return (target === 1 ? tf.mean(pos) : tf.mean(tf.add(pos, tf.mul(tf.softplus(x), 1 - target))));
  });
}

export interface DLossTerms {
  real: tf.Scalar;
  fake: tf.Scalar;
}

/** D's loss on real and on fake data; their sum is what D minimises (plus any penalty). */
export function discriminatorLoss(loss: LossType, r: tf.Tensor, f: tf.Tensor, labelSmoothing: number): DLossTerms {
  switch (loss) {
    case 'non-saturating':
    case 'minimax':
      // One-sided smoothing: only the real target moves (Salimans et al., 2016).
      return { real: bceWithLogits(r, 1 - labelSmoothing), fake: bceWithLogits(f, 0) };
    case 'least-squares':
      return {
        real: tf.tidy(() => tf.mul(tf.mean(tf.square(tf.sub(r, 1 - labelSmoothing))), 0.5)),
        fake: tf.tidy(() => tf.mul(tf.mean(tf.square(f)), 0.5)),
      };
    case 'wasserstein-gp':
      return { real: tf.neg(tf.mean<tf.Scalar>(r)), fake: tf.mean<tf.Scalar>(f) };
    case 'hinge':
      return {
        real: tf.tidy(() => tf.mean<tf.Scalar>(tf.relu(tf.sub(1, r)))),
        fake: tf.tidy(() => tf.mean<tf.Scalar>(tf.relu(tf.add(1, f)))),
      };
  }
}

/** G's loss on D's outputs for its samples. */
export function generatorLoss(loss: LossType, f: tf.Tensor): tf.Scalar {
  switch (loss) {
    case 'non-saturating':
      // maximise log D(G(z))
      return bceWithLogits(f, 1);
    case 'minimax':
      // minimise log(1 − D(G(z))) = −softplus(f): the original objective, which saturates.
      return tf.tidy(() => tf.neg(tf.mean<tf.Scalar>(tf.softplus(f))));
    case 'least-squares':
      return tf.tidy(() => tf.mul<tf.Scalar>(tf.mean(tf.square(tf.sub(f, 1))), 0.5));
    case 'wasserstein-gp':
    case 'hinge':
      return tf.neg(tf.mean(f)) as tf.Scalar;
  }
}

/** What the dashboard shows as "D's output": a probability for the probability losses, else the raw score. */
export function displayedOutput(loss: LossType, raw: tf.Tensor): tf.Tensor {
  return loss === 'non-saturating' || loss === 'minimax' ? tf.sigmoid(raw) : tf.clone(raw);
}

/** The threshold that separates "called real" from "called fake" in displayed units. */
export function decisionThreshold(loss: LossType): number {
  return loss === 'wasserstein-gp' || loss === 'hinge' ? 0 : 0.5;
}
