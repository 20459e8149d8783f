/**
 * Image metrics in the feature space of a small MNIST classifier that GAN Studio trains once
 * (scripts/train-classifier.ts) and ships. FID proper needs Inception weights from the internet;
 * this is the same Fréchet distance between Gaussian fits of features, in a 64-dimensional space
 * learned on MNIST only, so its numbers are comparable between MNIST runs and not with published
 * FIDs. We call it the Fréchet classifier distance (FCD).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadLayersModel } from './checkpoint';

export const CLASSIFIER_FEATURE_LAYER = 'features';
export const CLASSIFIER_CLASSES = 10;

/** Pixels (0..255, flat [n, 784]) → the classifier's input [n, 28, 28, 1] in [-1, 1]. */
export function classifierInput(pixels01to255OrTanh: Float32Array, n: number, alreadyTanh = true): tf.Tensor4D {
  return tf.tidy(() => {
    const t = tf.tensor4d(pixels01to255OrTanh, [n, 28, 28, 1]);
    return alreadyTanh ? t : tf.sub<tf.Tensor4D>(tf.div(t, 127.5), 1);
  });
}

export function classifierDir(): string | undefined {
  const candidates = [join(__dirname, 'assets/mnist-classifier'), join(__dirname, '../assets/mnist-classifier'), join(process.cwd(), 'assets/mnist-classifier')];
  return candidates.find((d) => existsSync(join(d, 'model.json')));
}

export interface Classifier {
  /** Features [n, dim] and predicted classes for pixels in 0..255. */
  embed(pixels: Float32Array, n: number): { features: Float32Array; classes: Int32Array; dim: number };
  dispose(): void;
}

export async function loadClassifier(dir = classifierDir()): Promise<Classifier | undefined> {
  if (!dir) return undefined;
  const base = await loadLayersModel(dir);
  const both = tfl.model({ inputs: base.inputs, outputs: [base.getLayer(CLASSIFIER_FEATURE_LAYER).output as tfl.SymbolicTensor, base.outputs[0]] });
  return {
    embed(pixels, n) {
      return tf.tidy(() => {
        const [f, logits] = both.predict(classifierInput(pixels, n, false)) as tf.Tensor[];
        return { features: f.dataSync() as Float32Array, classes: tf.argMax(logits, 1).dataSync() as Int32Array, dim: f.shape[1] as number };
      });
    },
    dispose() {
      base.dispose();
    },
  };
}

// ------------------------------------------------------------------------------------------
// Linear algebra for the Fréchet distance (dimensions are small: 64).

function meanAndCov(x: ArrayLike<number>, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const va = x[i * d + a] - mean[a];
      if (va === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += va * (x[i * d + b] - mean[b]);
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov[a * d + b] /= Math.max(1, n - 1);
      cov[b * d + a] = cov[a * d + b];
    }
  }
  return { mean, cov };
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: values and column vectors. */
export function symmetricEigen(m: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(m);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  return { values, vectors: v };
}

function matmul(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) {
    const aik = a[i * d + k];
    if (aik === 0) continue;
    for (let j = 0; j < d; j++) out[i * d + j] += aik * b[k * d + j];
  }
  return out;
}

/** Square root of a symmetric positive semi-definite matrix. */
function sqrtPsd(m: Float64Array, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(m, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(Math.max(0, values[k]));
    if (s === 0) continue;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j] += s * vectors[i * d + k] * vectors[j * d + k];
  }
  return out;
}

/**
 * Fréchet distance between Gaussians fitted to two feature sets:
 * ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½). The inner matrix is symmetric PSD, so its square
 * root's trace is the sum of the square roots of its eigenvalues.
 */
export function frechetDistance(a: ArrayLike<number>, na: number, b: ArrayLike<number>, nb: number, d: number): number {
  const A = meanAndCov(a, na, d);
  const B = meanAndCov(b, nb, d);
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (A.mean[j] - B.mean[j]) ** 2;
  const s1 = sqrtPsd(A.cov, d);
  const inner = matmul(matmul(s1, B.cov, d), s1, d);
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) inner[i * d + j] = inner[j * d + i] = (inner[i * d + j] + inner[j * d + i]) / 2;
  const { values } = symmetricEigen(inner, d);
  let traceSqrt = 0;
  for (const v of values) traceSqrt += Math.sqrt(Math.max(0, v));
  let trace = 0;
  for (let i = 0; i < d; i++) trace += A.cov[i * d + i] + B.cov[i * d + i];
  return Math.max(0, meanTerm + trace - 2 * traceSqrt);
}

function sqDist(x: ArrayLike<number>, i: number, y: ArrayLike<number>, j: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += (x[i * d + k] - y[j * d + k]) ** 2;
  return s;
}

/** Squared distance from each point to its k-th nearest neighbour within its own set. */
function kthRadii(x: ArrayLike<number>, n: number, d: number, k: number): Float64Array {
  const out = new Float64Array(n);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) row[j] = i === j ? Infinity : sqDist(x, i, x, j, d);
    out[i] = Float64Array.from(row).sort()[k - 1];
  }
  return out;
}

/**
 * Improved precision and recall (Kynkäänniemi et al., 2019): precision is the share of generated
 * samples inside some real sample's k-NN ball (are they realistic?); recall is the share of real
 * samples inside some generated sample's ball (is all of the data covered?).
 */
export function precisionRecall(real: ArrayLike<number>, nr: number, fake: ArrayLike<number>, nf: number, d: number, k = 3): { precision: number; recall: number } {
  const rr = kthRadii(real, nr, d, k);
  const rf = kthRadii(fake, nf, d, k);
  const inside = (x: ArrayLike<number>, nx: number, y: ArrayLike<number>, ny: number, radii: Float64Array) => {
    let count = 0;
    for (let i = 0; i < nx; i++) {
      for (let j = 0; j < ny; j++) {
        if (sqDist(x, i, y, j, d) <= radii[j]) {
          count++;
          break;
        }
      }
    }
    return count / nx;
  };
  return { precision: inside(fake, nf, real, nr, rr), recall: inside(real, nr, fake, nf, rf) };
}

export function classHistogram(classes: ArrayLike<number>, k = CLASSIFIER_CLASSES): number[] {
  const out = new Array<number>(k).fill(0);
  for (let i = 0; i < classes.length; i++) out[classes[i]]++;
  return out;
}
