/**
 * A strip of samples along paths through latent space, from z_A to z_B: the explorer's linear and
 * spherical rows, and the Training tab's latent walk (one spherical row). One way to build the
 * latent batch and one way to draw it.
 */
import type { GeneratedBatch } from '../../src/protocol/generation';
import { chartFont, type Surface } from '../shared/charts/surface';
import { palette } from '../shared/theme';

/** Samples per row. */
export const STRIP_STEPS = 9;

export type Path = (a: number[], b: number[], t: number) => number[];

/** The latent batch of a strip: each path's row of STRIP_STEPS points, rows one after the other. */
export function stripLatents(a: number[], b: number[], paths: readonly Path[]): number[] {
  const z: number[] = [];
  for (const f of paths) for (let i = 0; i < STRIP_STEPS; i++) z.push(...f(a, b, i / (STRIP_STEPS - 1)));
  return z;
}

/** Draws one cell: sample `index` of the batch in a square at (x, y). */
export type CellPainter = (ctx: CanvasRenderingContext2D, r: GeneratedBatch, index: number, x: number, y: number, size: number) => void;

/** Draws the strip: one row per label (labels may be empty), cells as large as the surface allows. */
export function drawStrip(surface: Surface, r: GeneratedBatch | undefined, labels: readonly string[], cell: CellPainter): void {
  const ctx = surface.begin();
  if (!r) return;
  const labelWidth = labels.some((l) => l !== '') ? 70 : 0;
  const gap = 6;
  const size = Math.min((surface.height - gap * (labels.length - 1)) / labels.length, (surface.width - labelWidth - 4) / STRIP_STEPS);
  const p = palette();
  ctx.font = chartFont();
  ctx.textBaseline = 'middle';
  labels.forEach((name, row) => {
    const y = row * (size + gap);
    ctx.fillStyle = p.muted;
    if (name) ctx.fillText(name, 0, y + size / 2);
    for (let i = 0; i < STRIP_STEPS; i++) cell(ctx, r, row * STRIP_STEPS + i, labelWidth + i * size + 1, y + 1, size - 2);
  });
}
