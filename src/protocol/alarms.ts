/**
 * Failure alarms: what a run's metrics say about the game, in words a person can act on.
 * Pure code over the run format, so the host (notifications, status bar), the dashboard (banner)
 * and tests all judge a run the same way, live or from disk.
 */
import type { MetricRecord, QualityRecord } from './runFormat';

export type AlarmKind = 'mode-collapse' | 'discriminator-wins' | 'divergence' | 'equilibrium';
export const ALARM_KINDS: readonly AlarmKind[] = ['mode-collapse', 'discriminator-wins', 'divergence', 'equilibrium'];

export interface Alarm {
  kind: AlarmKind;
  severity: 'warning' | 'info';
  /** Logged steps where the condition held, as [first, last] ranges. */
  ranges: [number, number][];
  title: string;
  message: string;
}

export interface AlarmThresholds {
  /** Logged records a condition is judged over (a moving window). */
  window: number;
  /** Discriminator wins: mean D(x) above this and mean D(G(z)) below 1 − this. */
  dWinsConfidence: number;
  /** …and G's gradient norm below this share of its median over the first windows. */
  vanishingGradientRatio: number;
  /** Mode collapse: diversity below this share of the real data's. */
  collapseDiversityRatio: number;
  /** Mode collapse: fewer than this share of the mixture's modes (or MNIST classes) covered. */
  collapseModeShare: number;
  /** Divergence: a loss this many times its running median (and above 1 in size). */
  divergenceFactor: number;
  /** Equilibrium: mean D(x) and D(G(z)) within this of 0.5. */
  equilibriumTolerance: number;
}

export const DEFAULT_ALARM_THRESHOLDS: AlarmThresholds = {
  window: 20,
  dWinsConfidence: 0.95,
  vanishingGradientRatio: 0.1,
  collapseDiversityRatio: 0.35,
  collapseModeShare: 0.5,
  divergenceFactor: 20,
  equilibriumTolerance: 0.05,
};

/** What detectAlarms needs to know of a run's resolved config (config.json). */
export function alarmOptionsOf(config: unknown): { probability: boolean; loss: string } {
  const loss = (config as { loss?: { type?: unknown } } | null)?.loss?.type;
  const type = typeof loss === 'string' ? loss : 'non-saturating';
  return { probability: type === 'non-saturating' || type === 'minimax', loss: type };
}

/** Windows of records before equilibrium is judged (D starts out unable to tell anything apart). */
const EQUILIBRIUM_GRACE_WINDOWS = 3;

/** Quality measurements (after step 0) before mode collapse is judged. */
const COLLAPSE_GRACE = 3;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Steps where `hit` holds, merged into ranges. */
function ranges(steps: number[], hit: boolean[]): [number, number][] {
  const out: [number, number][] = [];
  hit.forEach((h, i) => {
    if (!h) return;
    const last = out[out.length - 1];
    if (last && i > 0 && hit[i - 1]) last[1] = steps[i];
    else out.push([steps[i], steps[i]]);
  });
  return out;
}

/**
 * Judges a run. `probability` says whether D's outputs are probabilities (non-saturating and
 * minimax losses); the D-based alarms only make sense then. `loss` picks the advice.
 */
export function detectAlarms(
  metrics: MetricRecord[],
  quality: QualityRecord[],
  opts: { probability: boolean; loss: string },
  t: AlarmThresholds = DEFAULT_ALARM_THRESHOLDS,
): Alarm[] {
  const alarms: Alarm[] = [];
  const steps = metrics.map((m) => m.step);
  const w = Math.max(1, t.window);
  const windowed = (f: (m: MetricRecord) => number) =>
    metrics.map((_, i) => (i + 1 >= w ? mean(metrics.slice(i + 1 - w, i + 1).map(f)) : NaN));

  if (opts.probability && metrics.length >= w) {
    const dx = windowed((m) => m.dReal);
    const dgz = windowed((m) => m.dFake);
    const g = windowed((m) => m.gGradNorm);
    const early = median(metrics.slice(0, Math.min(metrics.length, 3 * w)).map((m) => m.gGradNorm));
    const wins = metrics.map((_, i) => dx[i] > t.dWinsConfidence && dgz[i] < 1 - t.dWinsConfidence && g[i] < t.vanishingGradientRatio * early);
    const r = ranges(steps, wins);
    if (r.length > 0) {
      const advice =
        opts.loss === 'minimax'
          ? ' With the minimax loss, G minimises log(1 − D(G(z))), which is flat exactly when D rejects its samples confidently, so G stops learning. The original GAN paper recommends the non-saturating form for this reason: G maximises log D(G(z)), whose gradient is strong in the same situation. Set "loss": {"type": "non-saturating"}.'
          : ' Try a lower discriminator learning rate, fewer D steps per G step, label smoothing, or dropout in D.';
      alarms.push({
        kind: 'discriminator-wins',
        severity: 'warning',
        ranges: r,
        title: 'The discriminator wins',
        message: `D calls real data real (D(x) ≈ 1) and generated data fake (D(G(z)) ≈ 0), and G's gradient has nearly vanished.${advice}`,
      });
    }
    // An untrained D also says 0.5 to everything: equilibrium is judged only after the first
    // EQUILIBRIUM_GRACE_WINDOWS windows, as mode collapse is only after a few measurements.
    const eq = metrics.map((_, i) => i + 1 >= EQUILIBRIUM_GRACE_WINDOWS * w && Math.abs(dx[i] - 0.5) < t.equilibriumTolerance && Math.abs(dgz[i] - 0.5) < t.equilibriumTolerance);
    const re = ranges(steps, eq);
    if (re.length > 0) {
      alarms.push({
        kind: 'equilibrium',
        severity: 'info',
        ranges: re,
        title: 'Equilibrium reached',
        message: 'D says about 0.5 to both real and generated data: it can no longer tell them apart, the theoretical optimum of the game. Check the samples; longer training may not help much more.',
      });
    }
  }

  if (metrics.length >= w) {
    const bad = metrics.map((m, i) => {
      if (!Number.isFinite(m.dLoss) || !Number.isFinite(m.gLoss)) return true;
      if (i < w) return false;
      const prev = metrics.slice(Math.max(0, i - 5 * w), i);
      const md = median(prev.map((p) => Math.abs(p.dLoss)));
      const mg = median(prev.map((p) => Math.abs(p.gLoss)));
      return (Math.abs(m.dLoss) > Math.max(1, t.divergenceFactor * md)) || (Math.abs(m.gLoss) > Math.max(1, t.divergenceFactor * mg));
    });
    const r = ranges(steps, bad);
    if (r.length > 0) {
      alarms.push({
        kind: 'divergence',
        severity: 'warning',
        ranges: r,
        title: 'Losses blow up',
        message: `A loss jumped to more than ${t.divergenceFactor}× its recent level: the game is diverging or oscillating. Lower the learning rates, use Adam with β1 = 0.5, or switch to wasserstein-gp.`,
      });
    }
  }

  // Mode collapse is judged from the fourth measurement on (an untrained generator is "collapsed"
  // by construction) and must hold at two measurements in a row, so one unlucky batch is no alarm.
  const later = quality.filter((q) => q.step > 0);
  const isCollapsed = (q: QualityRecord) => {
    const lowDiversity = q.realDiversity > 0 && q.diversity < t.collapseDiversityRatio * q.realDiversity;
    const lostModes = q.modes !== undefined && q.modesCovered !== undefined && q.modesCovered < t.collapseModeShare * q.modes;
    const total = q.classes?.reduce((a, b) => a + b, 0) ?? 0;
    const lostClasses = q.classes !== undefined && q.classes.filter((c) => c >= 0.01 * total).length < t.collapseModeShare * q.classes.length;
    return lowDiversity || lostModes || lostClasses;
  };
  const raw = later.map((q, i) => i >= COLLAPSE_GRACE && isCollapsed(q));
  const persistent = raw.map((h, i) => h && ((i > 0 && raw[i - 1]) || (i + 1 < raw.length && raw[i + 1])));
  const r = ranges(later.map((q) => q.step), persistent);
  if (r.length > 0) {
    const latest = later[later.length - 1];
    const what: string[] = [];
    if (latest.modes !== undefined) what.push(`${latest.modesCovered}/${latest.modes} modes covered`);
    if (latest.classes) what.push(`${latest.classes.filter((c) => c > 0).length}/10 digit classes generated`);
    what.push(`diversity ${latest.diversity} against ${latest.realDiversity} in real data`);
    alarms.push({
      kind: 'mode-collapse',
      severity: 'warning',
      ranges: r,
      title: 'Mode collapse',
      message: `The generator produces too little variety (latest: ${what.join(', ')}). Try the wasserstein-gp loss, a lower G learning rate, more D steps per G step, or a larger latent size.`,
    });
  }
  return alarms;
}
