/**
 * The fields of latent generation, shared by both boundaries: a webview asks the host, the host
 * asks a trainer process, and the answer travels back the same way.
 */
import * as v from 'valibot';
import { finite, positive } from './fields';

/** The largest batch a generate request may ask for, so one request cannot stall training. */
export const MAX_GENERATE_COUNT = 1024;

/** Latent vectors, row-major [count, latentDim]. */
export const latentFields = {
  z: v.pipe(v.array(finite), v.maxLength(MAX_GENERATE_COUNT * 1024)),
  count: v.pipe(positive, v.maxValue(MAX_GENERATE_COUNT)),
};
export const zHoldsCount = <T extends { z: number[]; count: number }>() => v.check<T, string>((m) => m.z.length % m.count === 0, 'z must hold count vectors of one size');

/** Generated samples in the data's units (pixels 0..255 for images): [count, …sample shape]. */
export const generatedFields = { data: v.array(finite), shape: v.pipe(v.array(positive), v.minLength(2)) };
export const shapeHoldsData = <T extends { data: number[]; shape: number[] }>() =>
  v.check<T, string>((g) => g.data.length === g.shape.reduce((a, b) => a * b, 1), 'data must hold as many values as the shape says');
export const generatedBatch = v.pipe(v.object(generatedFields), shapeHoldsData());
export interface GeneratedBatch extends v.InferOutput<typeof generatedBatch> {}
