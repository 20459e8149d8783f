/**
 * The alarm judge: what a run's metrics say about the game, in words a person can act on. Pure
 * code over the run format, so the host (notifications, status bar, dashboard banners) and the
 * tests judge a run the same way, live or from disk. The alarms' shape is src/protocol/alarms.ts.
 */
import { lossUsesProbability, type GanConfig, type LossType } from '../config/ganConfig';
import type { Alarm, VerdictCheck, VerdictEvidence, VerdictMeasure } from '../protocol/alarms';
import type { MetricRecord, QualityRecord, SamplePoints2D } from '../protocol/runFormat';

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
  /**
   * Divergence: a loss's size over a window (its median magnitude, or its median swing from one
   * logged step to the next) grows to this many times its calmest size since the warm-up.
   */
  divergenceGrowth: number;
  /** …where sizes below this count as this: a many-fold change among small losses is the game. */
  divergenceFloor: number;
  /** Equilibrium: mean D(x) and D(G(z)) within this of 0.5… */
  equilibriumTolerance: number;
  /** …and at least this share of the samples within 3σ of a mode (2-D mixtures; real data: 98.9 %)… */
  equilibriumHighQuality: number;
  /** …and the sliced Wasserstein distance at most this many times its real-vs-real floor… */
  equilibriumSwdFactor: number;
  /** …and the Fréchet classifier distance at most this many times its floor (MNIST)… */
  equilibriumFcdFactor: number;
  /** …and D's map off 0.5 by more than 0.15 at no more than this share of the real and generated points (2-D). */
  equilibriumMapShare: number;
}

export const DEFAULT_ALARM_THRESHOLDS: AlarmThresholds = {
  window: 20,
  dWinsConfidence: 0.95,
  vanishingGradientRatio: 0.1,
  collapseDiversityRatio: 0.35,
  collapseModeShare: 0.5,
  divergenceGrowth: 5,
  divergenceFloor: 1,
  equilibriumTolerance: 0.05,
  equilibriumHighQuality: 0.9,
  equilibriumSwdFactor: 1.5,
  equilibriumFcdFactor: 3,
  equilibriumMapShare: 0.05,
};

/** What detectAlarms needs to know of a run's resolved config (config.json). */
export interface AlarmOptions {
  /** D's outputs are probabilities (non-saturating and minimax losses); the D-based alarms need that. */
  probability: boolean;
  /** The loss type: it picks the advice, and says which losses have a meaningful level. */
  loss: LossType;
  /** wasserstein-gp's λ when the config gives it: 0 leaves the critic unbounded. */
  gradientPenalty?: number;
}

/** A run without a readable config is judged as the default loss. */
export function alarmOptionsOf(config: GanConfig | null): AlarmOptions {
  const type: LossType = config?.loss.type ?? 'non-saturating';
  const opts: AlarmOptions = { probability: lossUsesProbability(type), loss: type };
  if (config) opts.gradientPenalty = config.loss.gradientPenalty;
  return opts;
}

/**
 * Windows of records before equilibrium and divergence are judged: an untrained D says 0.5 to
 * everything, and the losses of the first steps move fast from their initial values.
 */
const WARM_UP_WINDOWS = 3;

/**
 * Losses whose generator loss is −mean D(G(z)) on an unbounded critic score. Adding a constant to
 * every score changes nothing in the game, so that loss drifts freely and only its swings mean
 * anything.
 */
const CRITIC_LOSSES = new Set<LossType>(['wasserstein-gp', 'hinge']);

/** Quality measurements (after step 0) before mode collapse is judged. */
const COLLAPSE_GRACE = 3;

/**
 * Modes or digit classes count as lost only while at least this share of the generated samples
 * looks like data: lies on some mode (highQuality), or for images within the real features' k-NN
 * balls (precision). A generator that is still learning covers few modes without having
 * collapsed: a mode counts as covered when it holds 1 % of all points, and the grid example keeps
 * most of its points between modes for its first 2000 steps; an untrained MNIST generator draws
 * blobs that the classifier calls all one digit. A collapsed generator draws good samples of the
 * few modes it has; one that draws the same poor sample is caught by its diversity.
 */
const LOOKS_REAL_SHARE = 0.5;

/** A reused buffer for `median`: the judge takes a few per logged record. */
let scratch = new Float64Array(64);

/**
 * The median of xs (the upper one of an even count), NaN for none. Finite values are sorted in a
 * reused buffer, without a comparator or copies (20 000 records took the judge 200 ms with
 * Array.sort, most of it here and in the garbage it left). Anything non-finite takes the plain
 * path, whose order for NaN is what the judge has always used.
 */
function median(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n === 0) return NaN;
  if (scratch.length < n) scratch = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(xs[i])) return Array.prototype.slice.call(xs).sort((a: number, b: number) => a - b)[Math.floor(n / 2)] as number;
    scratch[i] = xs[i];
  }
  return n > 64 ? scratch.subarray(0, n).sort()[Math.floor(n / 2)] : sortedMedian(scratch, n);
}

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

/** The median of finite a[0, n) as `median` takes it, sorting a[0, n) in place by insertion (n is a window: a few dozen). */
function sortedMedian(a: Float64Array, n: number): number {
  for (let i = 1; i < n; i++) {
    const x = a[i];
    let j = i - 1;
    for (; j >= 0 && a[j] > x; j--) a[j + 1] = a[j];
    a[j + 1] = x;
  }
  return a[Math.floor(n / 2)];
}

/** Where a loss grew most against its calmest size, for the message. */
interface Growth {
  /** Index of the record that ends the window. */
  at: number;
  ratio: number;
  size: number;
  calm: number;
  /** The size was the loss's swing from one logged step to the next, not its level. */
  swing: boolean;
}

/**
 * Judges one loss for divergence at each record. The loss's size over the window that ends there
 * is the larger of its level (median |loss|) and its swing (median |change| from one logged step
 * to the next), so both a loss that climbs and one that oscillates ever wider count, while a slow
 * drift does not. From the warm-up on, each size is compared with the calmest size seen since,
 * never taken below `divergenceFloor`. Medians let a single odd batch pass; non-finite values are
 * left out here and judged on their own.
 */
function lossGrowth(xs: number[], w: number, levelCounts: boolean, t: AlarmThresholds): { hit: boolean[]; worst?: Growth } {
  const hit = xs.map(() => false);
  let calm = Infinity;
  let worst: Growth | undefined;
  // The window's finite values, then their magnitudes or swings, in two reused buffers.
  const win = new Float64Array(w);
  const sizes = new Float64Array(w);
  for (let i = WARM_UP_WINDOWS * w - 1; i < xs.length; i++) {
    let n = 0;
    for (let j = i + 1 - w; j <= i; j++) if (Number.isFinite(xs[j])) win[n++] = xs[j];
    if (n < 2) continue;
    for (let j = 0; j < n; j++) sizes[j] = Math.abs(win[j]);
    const level = levelCounts ? sortedMedian(sizes, n) : 0;
    for (let j = 1; j < n; j++) sizes[j - 1] = Math.abs(win[j] - win[j - 1]);
    const swing = sortedMedian(sizes, n - 1);
    const size = Math.max(level, swing);
    calm = Math.min(calm, size);
    const ratio = size / Math.max(t.divergenceFloor, calm);
    hit[i] = ratio > t.divergenceGrowth;
    if (!worst || ratio > worst.ratio) worst = { at: i, ratio, size, calm, swing: swing > level };
  }
  return { hit, worst };
}

/**
 * Whether G's gradient has nearly vanished at each record: its windowed norm below `ratio` of its
 * early median. With per-layer norms (metrics' gLayerGradNorms) each layer is held to its own early
 * size and the median layer decides, so a healthy output layer cannot hide layers that get
 * nothing (the total is dominated by the largest layer); without them, the total decides.
 * `layers(step)` names the layers that had vanished at a step, for the message.
 */
function vanishedGradient(metrics: MetricRecord[], w: number, ratio: number): { at: boolean[]; layers: (step: number) => string } {
  const n = metrics.length;
  const earlyEnd = Math.min(n, 3 * w);
  const windowedOf = (f: (m: MetricRecord) => number): number[] => {
    // Running sums keep this linear in the number of records.
    const out = new Array<number>(n).fill(NaN);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += f(metrics[i]);
      if (i >= w) sum -= f(metrics[i - w]);
      if (i + 1 >= w) out[i] = sum / w;
    }
    return out;
  };
  const layerCount = metrics[0]?.gLayerGradNorms?.length ?? 0;
  const layered = layerCount > 0 && metrics.every((m) => m.gLayerGradNorms?.length === layerCount);
  if (!layered) {
    const g = windowedOf((m) => m.gGradNorm);
    const early = median(metrics.slice(0, earlyEnd).map((m) => m.gGradNorm));
    return { at: g.map((x) => x < ratio * early), layers: () => '' };
  }
  const rel = Array.from({ length: layerCount }, (_, l) => {
    const g = windowedOf((m) => m.gLayerGradNorms![l]);
    const early = median(metrics.slice(0, earlyEnd).map((m) => m.gLayerGradNorms![l]));
    return g.map((x) => (early > 0 ? x / early : NaN));
  });
  const at = metrics.map((_, i) => median(rel.map((r) => r[i])) < ratio);
  const layers = (step: number) => {
    const i = metrics.findIndex((m) => m.step === step);
    const gone = i < 0 ? [] : rel.map((r, l) => (r[i] < ratio ? l + 1 : 0)).filter((l) => l > 0);
    return gone.length ? ` in ${gone.length} of its ${layerCount} layers (${gone.join(', ')}, counted from the latent input)` : '';
  };
  return { at, layers };
}

/** A number for a message: three significant digits, no exponent for everyday sizes. */
const fmt = (x: number) => (Math.abs(x) >= 1000 ? x.toExponential(2) : String(Number(x.toPrecision(3))));

/**
 * Judges a run. `maps` are D's maps at sample steps of 2-D data (discriminatorMapOf), when the
 * caller has read them: they add one check to the equilibrium verdict. `probability` says whether D's outputs are probabilities (non-saturating and
 * minimax losses); the D-based alarms only make sense then. `loss` picks the advice.
 */
export function detectAlarms(
  metrics: MetricRecord[],
  quality: QualityRecord[],
  opts: AlarmOptions,
  t: AlarmThresholds = DEFAULT_ALARM_THRESHOLDS,
  maps: DiscriminatorMap[] = [],
): Alarm[] {
  const alarms: Alarm[] = [];
  const steps = metrics.map((m) => m.step);
  const w = Math.max(1, t.window);
  // The mean over each window, summed in the window's order (no running sum: the same roundings
  // as a mean of the slice, so a threshold is crossed at the same record).
  const windowed = (f: (m: MetricRecord) => number) => {
    const v = metrics.map(f);
    return v.map((_, i) => {
      if (i + 1 < w) return NaN;
      let sum = 0;
      for (let j = i + 1 - w; j <= i; j++) sum += v[j];
      return sum / w;
    });
  };

  if (opts.probability && metrics.length >= w) {
    const dx = windowed((m) => m.dReal);
    const dgz = windowed((m) => m.dFake);
    const vanished = vanishedGradient(metrics, w, t.vanishingGradientRatio);
    const wins = metrics.map((_, i) => dx[i] > t.dWinsConfidence && dgz[i] < 1 - t.dWinsConfidence && vanished.at[i]);
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
        message: `D calls real data real (D(x) ≈ 1) and generated data fake (D(G(z)) ≈ 0), and G's gradient has nearly vanished${vanished.layers(r[r.length - 1][1])}.${advice}`,
      });
    }
    // An untrained D also says 0.5 to everything: D ≈ 0.5 is judged only after the warm-up, as
    // mode collapse is only after a few measurements.
    const calm = metrics.map((_, i) => i + 1 >= WARM_UP_WINDOWS * w && Math.abs(dx[i] - 0.5) < t.equilibriumTolerance && Math.abs(dgz[i] - 0.5) < t.equilibriumTolerance);
    alarms.push(...judgeBalance(metrics, calm, quality, maps, t));
  }

  const divergence = judgeDivergence(metrics, w, opts, t);
  if (divergence) alarms.push(divergence);

  // Mode collapse is judged from the fourth measurement on (an untrained generator is "collapsed"
  // by construction) and must hold at two measurements in a row, so one unlucky batch is no alarm.
  const later = quality.filter((q) => q.step > 0);
  const isCollapsed = (q: QualityRecord) => {
    const lowDiversity = q.realDiversity > 0 && q.diversity < t.collapseDiversityRatio * q.realDiversity;
    const lostModes = q.modes !== undefined && q.modesCovered !== undefined && q.modesCovered < t.collapseModeShare * q.modes && (q.highQuality ?? 1) >= LOOKS_REAL_SHARE;
    const total = q.classes?.reduce((a, b) => a + b, 0) ?? 0;
    const lostClasses = q.classes !== undefined && q.classes.filter((c) => c >= 0.01 * total).length < t.collapseModeShare * q.classes.length && (q.precision ?? 1) >= LOOKS_REAL_SHARE;
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

const LOSS_NAMES = { dLoss: "D's loss", gLoss: "G's loss" } as const;

/** Divergence or oscillation: a loss grows many-fold after the warm-up, or is NaN or infinite. */
function judgeDivergence(metrics: MetricRecord[], w: number, opts: AlarmOptions, t: AlarmThresholds): Alarm | undefined {
  const grown = (['dLoss', 'gLoss'] as const).map((key) => ({ key, ...lossGrowth(metrics.map((m) => m[key]), w, key === 'dLoss' || !CRITIC_LOSSES.has(opts.loss), t) }));
  const nonFinite = (m: MetricRecord) => !Number.isFinite(m.dLoss) || !Number.isFinite(m.gLoss);
  const r = ranges(metrics.map((m) => m.step), metrics.map((m, i) => nonFinite(m) || grown.some((g) => g.hit[i])));
  if (r.length === 0) return undefined;

  const found: string[] = [];
  const broken = metrics.find(nonFinite);
  if (broken) {
    const key = Number.isFinite(broken.dLoss) ? 'gLoss' : 'dLoss';
    found.push(`${LOSS_NAMES[key]} was ${broken[key]} at step ${broken.step}.`);
  }
  let most: { key: keyof typeof LOSS_NAMES; g: Growth } | undefined;
  for (const { key, worst } of grown) if (worst && worst.ratio > t.divergenceGrowth && (!most || worst.ratio > most.g.ratio)) most = { key, g: worst };
  if (most) {
    const { key, g } = most;
    const [verdict, what] = g.swing
      ? ['The game oscillates ever wider', `swung by a median ${fmt(g.size)} from one logged step to the next`]
      : ['The game is diverging', `reached a median size of ${fmt(g.size)}`];
    const calm = g.calm < t.divergenceFloor ? `${fmt(g.calm)}, counted as ${fmt(t.divergenceFloor)}` : fmt(g.calm);
    found.push(`${verdict}: over the ${w} logged steps up to step ${metrics[g.at].step}, ${LOSS_NAMES[key]} ${what}, ${fmt(g.ratio)}× its calmest since the warm-up (${calm}).`);
  }
  let advice: string;
  if (opts.loss === 'wasserstein-gp' && opts.gradientPenalty === 0)
    advice = 'Without its gradient penalty nothing bounds the critic, so its scores and both losses can grow without limit: set "loss": {"type": "wasserstein-gp", "gradientPenalty": 10}. If the losses still swing, lower the learning rates.';
  else if (CRITIC_LOSSES.has(opts.loss))
    advice = 'Lower both learning rates (ten times is a good first try), use Adam with β1 = 0.5 and β2 = 0.9, or train the critic more often ("training": {"dStepsPerGStep": 5}).';
  else advice = 'Lower both learning rates (ten times is a good first try), use Adam with β1 = 0.5, or switch to "loss": {"type": "wasserstein-gp"}, whose gradient penalty keeps the critic in check.';
  return { kind: 'divergence', severity: 'warning', ranges: r, title: 'Losses diverge', message: `${found.join(' ')} ${advice}` };
}

/** D's map at one sample step of 2-D data. */
export interface DiscriminatorMap {
  step: number;
  /** Share of the real reference and generated points where D's heatmap is off 0.5 by more than MAP_DEVIATION. */
  offShare: number;
}

/** How far from 0.5 D's map may be at a point and still count as "cannot tell" (the heatmap's own noise is about 0.05). */
const MAP_DEVIATION = 0.15;

/**
 * D's map at the points where the game is played: the real reference and the generated samples,
 * each looked up in the heatmap cell that holds it. At the optimum D(x) = p_data / (p_data + p_g),
 * which is 0.5 wherever either density is; where neither is, D was never trained toward anything,
 * so the plane as a whole is not flat even at the end of a good run (the ring example's map says
 * about 0.23 on average over the plane at step 3000, with 91 % of its samples on a mode). Null
 * for a run without a heatmap (more than two dimensions) or a manual step's picture.
 */
export function discriminatorMapOf(p: SamplePoints2D): DiscriminatorMap | null {
  const { nx, ny, values } = p.heatmap;
  const { xMin, xMax, yMin, yMax } = p.bounds;
  if (p.manual || nx === 0 || ny === 0 || xMax <= xMin || yMax <= yMin) return null;
  let off = 0;
  let n = 0;
  for (const pts of [p.real, p.fake]) {
    for (let k = 0; k + 1 < pts.length; k += 2) {
      // Row-major from (xMin, yMin), as the trainer's planeGrid lays it out; points beyond the
      // bounds count in the edge cell.
      const i = Math.min(nx - 1, Math.max(0, Math.floor(((pts[k] - xMin) / (xMax - xMin)) * nx)));
      const j = Math.min(ny - 1, Math.max(0, Math.floor(((pts[k + 1] - yMin) / (yMax - yMin)) * ny)));
      if (!Number.isFinite(pts[k]) || !Number.isFinite(pts[k + 1])) continue;
      n++;
      // A NaN in the map (D broke) counts as off.
      if (!(Math.abs(values[j * nx + i] - 0.5) <= MAP_DEVIATION)) off++;
    }
  }
  return n > 0 ? { step: p.step, offShare: off / n } : null;
}

/** Evidence kept per verdict: the latest measurements, so a long run's alarm stays small. */
const MAX_EVIDENCE = 200;

/** A digit class counts for equilibrium when it holds at least this share of an even split (5 % of ten). */
const EVEN_CLASS_SHARE = 0.5;

/** A share in per cent, to a tenth where that matters: 89.5 % must not read as the 90 % it missed. */
const pct = (x: number) => `${Number((x * 100).toFixed(1))} %`;

/**
 * What equilibrium needs of the samples at one quality measurement, most telling first: on
 * mixtures the high-quality share and the modes, read together (a generator that puts everything
 * near the grid's centre scores 92–100 % high quality with one mode; one that trails between the
 * ring's modes covers all eight with 65 %); D's map where the data and the samples lie; FCD and the
 * digit classes on MNIST; last the sliced Wasserstein distance, which with 512 samples cannot see a
 * trail between modes (0.142 against its floor of 0.206 at 65 % high quality). A measure the run
 * does not record, or that was not finite, is left out.
 */
function verdictChecks(q: QualityRecord, map: DiscriminatorMap | undefined, t: AlarmThresholds): VerdictCheck[] {
  const checks: VerdictCheck[] = [];
  const add = (measure: VerdictMeasure, label: string, value: number | undefined, limit: number, atLeast: boolean, text: (pass: boolean) => string) => {
    if (value === undefined || !Number.isFinite(value) || !Number.isFinite(limit)) return;
    const pass = atLeast ? value >= limit : value <= limit;
    checks.push({ measure, label, value, limit, atLeast, pass, text: text(pass) });
  };
  if (q.modes !== undefined && q.modes > 0) {
    add('high-quality', 'High-quality share', q.highQuality, t.equilibriumHighQuality, true, () => `${pct(q.highQuality!)} of the samples lie within 3σ of a mode (equilibrium needs ≥ ${pct(t.equilibriumHighQuality)})`);
    add('modes', 'Modes covered', q.modesCovered, q.modes, true, () => `${q.modesCovered}/${q.modes} modes covered (equilibrium needs all)`);
  }
  if (map) add('d-map', "D's map", map.offShare, t.equilibriumMapShare, false, () => `D's map is off 0.5 by more than ${MAP_DEVIATION} at ${pct(map.offShare)} of the real and generated points (equilibrium needs ≤ ${pct(t.equilibriumMapShare)})`);
  if (q.fcd !== undefined && q.fcdFloor !== undefined && q.fcdFloor > 0) {
    const limit = t.equilibriumFcdFactor * q.fcdFloor;
    add('fcd', 'Fréchet classifier distance', q.fcd, limit, false, () => `FCD ${fmt(q.fcd!)}, ${fmt(q.fcd! / q.fcdFloor!)}× its real-vs-real floor of ${fmt(q.fcdFloor!)} (equilibrium needs ≤ ${fmt(t.equilibriumFcdFactor)}×)`);
  }
  if (q.classes !== undefined && q.classes.length > 0) {
    const total = q.classes.reduce((a, b) => a + b, 0);
    const enough = q.classes.filter((c) => c >= (EVEN_CLASS_SHARE * total) / q.classes!.length).length;
    add('classes', 'Digit classes', enough, q.classes.length, true, () => `${enough}/${q.classes!.length} digit classes hold at least ${pct(EVEN_CLASS_SHARE / q.classes!.length)} of the samples (equilibrium needs all)`);
  }
  if (q.swdFloor > 0) {
    const limit = t.equilibriumSwdFactor * q.swdFloor;
    add('swd', 'Sliced Wasserstein distance', q.swd, limit, false, () => `SWD ${fmt(q.swd)}, ${fmt(q.swd / q.swdFloor)}× its real-vs-real floor of ${fmt(q.swdFloor)} (equilibrium needs ≤ ${fmt(t.equilibriumSwdFactor)}×)`);
  }
  return checks;
}

/**
 * D ≈ 0.5 read against the samples: an equilibrium where every measure the run records says the
 * samples are close to the data, else a D that cannot tell although G is not there yet. Each
 * logged step reads the latest quality measurement at or before it (and D's map of that sample
 * step); both lists are in step order, so one pass over each keeps this linear.
 */
function judgeBalance(metrics: MetricRecord[], calm: boolean[], quality: QualityRecord[], maps: DiscriminatorMap[], t: AlarmThresholds): Alarm[] {
  const measured = quality.filter((q) => q.step > 0);
  const mapAt = new Map(maps.map((m) => [m.step, m]));
  const evidence: (VerdictEvidence | undefined)[] = measured.map(() => undefined);
  const evidenceOf = (k: number): VerdictEvidence | undefined => {
    if (evidence[k]) return evidence[k];
    const checks = verdictChecks(measured[k], mapAt.get(measured[k].step), t);
    if (checks.length === 0) return undefined;
    const decidedBy = (checks.find((c) => !c.pass) ?? checks[0]).measure;
    return (evidence[k] = { step: measured[k].step, checks, decidedBy });
  };
  const steps = metrics.map((m) => m.step);
  const eq = metrics.map(() => false);
  const weak = metrics.map(() => false);
  const used = { eq: new Set<number>(), weak: new Set<number>() };
  let k = -1;
  metrics.forEach((m, i) => {
    while (k + 1 < measured.length && measured[k + 1].step <= m.step) k++;
    if (!calm[i] || k < 0) return;
    const e = evidenceOf(k);
    if (!e) return;
    const reached = e.checks.every((c) => c.pass);
    (reached ? eq : weak)[i] = true;
    used[reached ? 'eq' : 'weak'].add(k);
  });
  const kept = (s: Set<number>) => [...s].sort((a, b) => a - b).slice(-MAX_EVIDENCE).map((j) => evidence[j]!);
  const out: Alarm[] = [];
  const re = ranges(steps, eq);
  if (re.length > 0) {
    const ev = kept(used.eq);
    const last = ev[ev.length - 1];
    out.push({
      kind: 'equilibrium',
      severity: 'info',
      ranges: re,
      title: 'Equilibrium reached',
      message: `D says about 0.5 to both real and generated data, and the samples are close to the data by this run's own measures (at step ${last.step}: ${last.checks.map((c) => c.text).join('; ')}). D cannot tell them apart because G's samples look like the data: the theoretical optimum of the game. Longer training may not help much more.`,
      evidence: ev,
    });
  }
  const rw = ranges(steps, weak);
  if (rw.length > 0) {
    const ev = kept(used.weak);
    const last = ev[ev.length - 1];
    const decisive = last.checks.find((c) => c.measure === last.decidedBy)!;
    out.push({
      kind: 'weak-discriminator',
      severity: 'info',
      ranges: rw,
      title: 'D cannot tell, but G is not there yet',
      message: `D says about 0.5 to both real and generated data, yet the samples are not close to the data (at step ${last.step}: ${decisive.text}). This is not an equilibrium: D is too weak or confused to tell them apart, so G gets little direction from it. Give D more say: more D steps per G step ("training": {"dStepsPerGStep": 2}), a higher D learning rate than G's, a wider or deeper D, or less dropout and label smoothing in D. If the measure still improves, training longer may be enough.`,
      evidence: ev,
    });
  }
  return out;
}
