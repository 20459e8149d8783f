/**
 * Pure builders for the two networks. Both take and give tensors in the data's natural shape:
 * [batch, dim] for vectors, [batch, h, w, c] for images. D always ends in one linear unit:
 * its output is a logit for the probability losses (the loss applies the sigmoid, which is
 * numerically safer) and a score for the critic losses.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { Activation, DiscriminatorConfig, GeneratorConfig } from '../config/ganConfig';

/** LeakyReLU's slope for negative inputs, the DCGAN paper's value. */
const LEAKY_ALPHA = 0.2;
/** Batch norm momentum as in the DCGAN reference implementations (Keras default 0.99 lags too much). */
const BN_MOMENTUM = 0.9;

export interface DataShape {
  dim: number;
  imageShape?: [number, number, number];
}

function activationLayer(a: Activation): tfl.layers.Layer {
  return a === 'leakyRelu' ? tfl.layers.leakyReLU({ alpha: LEAKY_ALPHA }) : tfl.layers.activation({ activation: a });
}

function hiddenBlock(model: tfl.Sequential, opts: { activation: Activation; batchNorm: boolean; dropout: number }): void {
  if (opts.batchNorm) model.add(tfl.layers.batchNormalization({ momentum: BN_MOMENTUM }));
  model.add(activationLayer(opts.activation));
  if (opts.dropout > 0) model.add(tfl.layers.dropout({ rate: opts.dropout }));
}

export function buildGenerator(cfg: GeneratorConfig, data: DataShape): tfl.Sequential {
  const model = tfl.sequential({ name: 'generator' });
  const out = cfg.outputActivation;
  if (cfg.preset === 'dcgan') {
    if (!data.imageShape) throw new Error('the dcgan generator needs image data');
    const [h, w, c] = data.imageShape;
    const f = cfg.filters;
    // z [B, latent] → [B, h/4·w/4·f] → [B, h/4, w/4, f]
    model.add(tfl.layers.dense({ inputShape: [cfg.latentDim], units: (h / 4) * (w / 4) * f, useBias: !cfg.batchNorm }));
    hiddenBlock(model, cfg);
    model.add(tfl.layers.reshape({ targetShape: [h / 4, w / 4, f] }));
    // → [B, h/2, w/2, f/2]
    model.add(
      tfl.layers.conv2dTranspose({ filters: Math.max(1, f / 2), kernelSize: 5, strides: 2, padding: 'same', useBias: !cfg.batchNorm }),
    );
    hiddenBlock(model, cfg);
    // → [B, h, w, c]
    model.add(tfl.layers.conv2dTranspose({ filters: c, kernelSize: 5, strides: 2, padding: 'same', activation: out }));
    return model;
  }
  // mlp: z [B, latent] → hidden… → [B, dim] (→ [B, h, w, c] for images)
  cfg.hidden.forEach((units, i) => {
    model.add(tfl.layers.dense({ ...(i === 0 ? { inputShape: [cfg.latentDim] } : {}), units, useBias: !cfg.batchNorm }));
    hiddenBlock(model, cfg);
  });
  model.add(tfl.layers.dense({ units: data.dim, activation: out }));
  if (data.imageShape) model.add(tfl.layers.reshape({ targetShape: data.imageShape }));
  return model;
}

export function buildDiscriminator(cfg: DiscriminatorConfig, data: DataShape): tfl.Sequential {
  const model = tfl.sequential({ name: 'discriminator' });
  if (cfg.preset === 'dcgan') {
    if (!data.imageShape) throw new Error('the dcgan discriminator needs image data');
    const f = cfg.filters;
    // [B, h, w, c] → [B, h/2, w/2, f]
    model.add(tfl.layers.conv2d({ inputShape: data.imageShape, filters: f, kernelSize: 5, strides: 2, padding: 'same' }));
    hiddenBlock(model, { ...cfg, batchNorm: false });
    // → [B, h/4, w/4, 2f]
    model.add(tfl.layers.conv2d({ filters: 2 * f, kernelSize: 5, strides: 2, padding: 'same' }));
    hiddenBlock(model, cfg);
    // → [B, h/4·w/4·2f] → [B, 1]
    model.add(tfl.layers.flatten());
    model.add(tfl.layers.dense({ units: 1 }));
    return model;
  }
  // mlp: [B, dim] (or an image, flattened) → hidden… → [B, 1]
  if (data.imageShape) model.add(tfl.layers.flatten({ inputShape: data.imageShape }));
  cfg.hidden.forEach((units, i) => {
    model.add(tfl.layers.dense({ ...(i === 0 && !data.imageShape ? { inputShape: [data.dim] } : {}), units }));
    hiddenBlock(model, cfg);
  });
  model.add(tfl.layers.dense({ units: 1 }));
  return model;
}
