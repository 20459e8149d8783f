/** Number formatting for axes and read-outs. Durations and speeds: src/analysis/progress.ts. */

export function formatStep(step: number): string {
  if (Math.abs(step) >= 1e6) return `${trim(step / 1e6)}M`;
  if (Math.abs(step) >= 1e4) return `${trim(step / 1e3)}k`;
  return String(Math.round(step));
}

function trim(v: number): string {
  return v.toFixed(v >= 100 ? 0 : 1).replace(/\.0$/, '');
}

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return v.toPrecision(4).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}
