/**
 * How good and how varied the samples are, over training (quality.jsonl): the sliced Wasserstein
 * distance against its real-vs-real floor, diversity against the real data's, modes covered and
 * the share of high-quality samples (mixtures), the Fréchet classifier distance with its floor,
 * precision and recall (MNIST), and the class histogram of generated digits at the cursor step,
 * where a missing class is a lost mode. Every chart follows the global step cursor. On top, the
 * verdict on D ≈ 0.5 at the cursor step (equilibrium, or D cannot tell but G is not there yet),
 * with the measure that decided it and every check it read; the host judged it (alarms.ts).
 */
import type { Alarm, VerdictEvidence, VerdictMeasure } from '../../src/protocol/alarms';
import type { QualityRecord } from '../../src/protocol/runFormat';
import { LineChart, type LineSeries, type StepLink } from '../shared/charts/lineChart';
import { chartFont, Surface } from '../shared/charts/surface';
import { requestDraw, type Drawable } from '../shared/frame';
import { Column, recordAtStep, type RunData } from '../shared/runData';
import { palette, withAlpha } from '../shared/theme';
import { formatStep } from '../shared/format';
import type { StepCursor } from './stepCursor';

type QualityKey = Exclude<keyof QualityRecord, 'step' | 'classes'>;

/** A class holding less than this share of the samples counts as missing (as in alarms.ts). */
export const MISSING_CLASS_SHARE = 0.01;

interface ChartSpec {
  id: string;
  /** The verdict measures this chart shows: it is marked when one of them decided. */
  measures?: VerdictMeasure[];
  title: string;
  note: string;
  /** [key, label, role]: `gen` in the generated colour, `real` for the real-data reference (dashed). */
  series: [QualityKey, string, 'gen' | 'real' | 'other'][];
  logY?: boolean;
  fixedY?: (r: QualityRecord[]) => [number, number] | undefined;
}

const CHARTS: ChartSpec[] = [
  {
    id: 'quality-swd',
    measures: ['swd'],
    title: 'Sliced Wasserstein distance',
    note: 'Generated vs real samples; the dashed floor is the same distance between two real samples, so reaching it is as good as it gets.',
    series: [['swd', 'SWD (generated vs real)', 'gen'], ['swdFloor', 'floor (real vs real)', 'real']],
    logY: true,
  },
  {
    id: 'quality-diversity',
    title: 'Diversity',
    note: 'Mean pairwise distance within the fixed-latent batch, against the same within real batches. A generated line far below the real one is mode collapse.',
    series: [['diversity', 'generated', 'gen'], ['realDiversity', 'real data', 'real']],
  },
  {
    id: 'quality-modes',
    measures: ['modes'],
    title: 'Modes covered',
    note: 'Mixture modes holding at least 1 % of the samples within 3σ; the dashed line is every mode.',
    series: [['modesCovered', 'modes covered', 'gen'], ['modes', 'modes in the data', 'real']],
    fixedY: (r) => {
      const m = r.find((q) => typeof q.modes === 'number')?.modes;
      return m ? [0, m + 0.5] : undefined;
    },
  },
  {
    id: 'quality-high',
    measures: ['high-quality'],
    title: 'High-quality share',
    note: 'Share of generated samples within 3σ of some mode.',
    series: [['highQuality', 'within 3σ of a mode', 'gen']],
    fixedY: () => [0, 1],
  },
  {
    id: 'quality-fcd',
    measures: ['fcd'],
    title: 'Fréchet classifier distance',
    note: 'Fréchet distance in the feature space of the small MNIST classifier GAN Studio ships (not FID: no Inception network). The dashed floor is real against real.',
    series: [['fcd', 'FCD (generated vs real)', 'gen'], ['fcdFloor', 'floor (real vs real)', 'real']],
    logY: true,
  },
  {
    id: 'quality-pr',
    title: 'Precision and recall',
    note: 'k-NN estimates in the classifier’s feature space: precision is the share of realistic samples, recall the share of the data they cover.',
    series: [['precision', 'precision', 'gen'], ['recall', 'recall', 'other']],
    fixedY: () => [0, 1],
  },
];

export class QualityView {
  readonly el: HTMLElement;
  private readonly charts: { spec: ChartSpec; chart: LineChart; wrap: HTMLElement; badge: HTMLElement }[] = [];
  private readonly verdict: VerdictBox;
  private readonly empty = document.createElement('p');
  private readonly classes: ClassHistogram;
  private shownCount = -1;

  private readonly cursor: StepCursor;

  constructor(
    private run: RunData,
    cursor: StepCursor,
    link: StepLink,
  ) {
    this.el = document.createElement('section');
    this.el.className = 'panel quality';
    this.el.id = 'quality';
    const h = document.createElement('h2');
    h.textContent = 'Sample quality';
    this.empty.className = 'empty-note';
    this.verdict = new VerdictBox();
    this.el.append(h, this.verdict.el, this.empty);
    const grid = document.createElement('div');
    grid.className = 'quality-grid';
    for (const spec of CHARTS) {
      const wrap = document.createElement('div');
      wrap.className = 'quality-chart';
      wrap.id = spec.id;
      const t = document.createElement('h3');
      t.textContent = spec.title;
      const badge = document.createElement('span');
      badge.className = 'verdict-badge';
      badge.hidden = true;
      t.append(badge);
      wrap.append(t);
      const chart = new LineChart(wrap, { label: spec.title, height: 170, link, logY: spec.logY === true, robust: false });
      const note = document.createElement('p');
      note.className = 'caption quality-note';
      note.textContent = spec.note;
      wrap.append(note);
      grid.append(wrap);
      this.charts.push({ spec, chart, wrap, badge });
    }
    this.cursor = cursor;
    this.classes = new ClassHistogram(() => this.run, cursor);
    grid.append(this.classes.el);
    this.el.append(grid);
    this.setRun(run);
  }

  setRun(run: RunData): void {
    this.run = run;
    this.shownCount = -1;
    this.rebuild();
  }

  /** Columns are rebuilt from the records: there is one per sample step, a few hundred at most. */
  rebuild(): void {
    const q = this.run.quality;
    this.shownCount = q.length;
    const p = palette();
    const step = column(q.map((r) => r.step));
    const colors = { gen: p.fake, real: p.real, other: p.dLoss };
    let any = false;
    for (const { spec, chart, wrap } of this.charts) {
      const series: LineSeries[] = [];
      for (const [key, label, role] of spec.series) {
        const values = q.map((r) => (typeof r[key] === 'number' && Number.isFinite(r[key]) ? (r[key]) : NaN));
        if (!values.some((v) => !Number.isNaN(v))) continue;
        const y = column(values);
        series.push({ label, color: colors[role], step, x: step, y, width: role === 'real' ? 1.5 : 2, alpha: 1, legend: true, group: `${spec.id}:${key}`, ...(role === 'real' ? { dash: [5, 4] } : {}) });
      }
      // A chart whose main measure the run does not have (FCD of a 2-D run) is left out.
      wrap.hidden = series.length === 0 || series[0].label !== spec.series[0][1];
      if (!wrap.hidden) any = true;
      const fixed = spec.fixedY?.(q);
      chart.opts.fixedY = fixed;
      chart.setSeries(wrap.hidden ? [] : series);
    }
    this.empty.hidden = any;
    this.empty.textContent =
      q.length === 0
        ? 'No quality measurements yet: the trainer records them at every sample step (logging.samplesEvery) in quality.jsonl.'
        : 'This run records no quality measure that can be charted.';
    this.classes.invalidate();
    this.alarmsChanged();
  }

  dataChanged(): void {
    if (this.run.quality.length !== this.shownCount) this.rebuild();
    else this.alarmsChanged();
  }

  cursorMoved(): void {
    for (const { chart } of this.charts) chart.invalidateOverlay();
    this.classes.invalidate();
    this.alarmsChanged();
  }

  /** The run's alarms changed (or the cursor moved): the verdict box and the decisive chart follow. */
  alarmsChanged(): void {
    const shown = this.verdict.show(this.run.alarms, this.cursor.step);
    for (const { spec, badge, wrap } of this.charts) {
      const decided = shown !== undefined && (spec.measures ?? []).includes(shown.evidence.decidedBy);
      badge.hidden = !decided;
      badge.textContent = decided ? ' · decided the verdict' : '';
      wrap.classList.toggle('verdict-decisive', decided);
    }
    this.classes.el.classList.toggle('verdict-decisive', shown?.evidence.decidedBy === 'classes');
  }
}

/** What the verdict box shows: the verdict holding at the cursor and the measurement it read. */
interface ShownVerdict {
  alarm: Alarm;
  evidence: VerdictEvidence;
}

/** Ranges listed in the verdict box, as in the banners. */
const MAX_RANGES = 6;

const VERDICT_KINDS = new Set<Alarm['kind']>(['equilibrium', 'weak-discriminator']);

/**
 * The verdict at the cursor step (the latest when the cursor follows the run): which verdict's
 * ranges hold the step, and its latest measurement at or before it.
 */
export function verdictAt(alarms: readonly Alarm[], step: number | null): ShownVerdict | { none: number } | undefined {
  const verdicts = alarms.filter((a) => VERDICT_KINDS.has(a.kind) && a.evidence?.length);
  if (verdicts.length === 0) return undefined;
  const at = step ?? Math.max(...verdicts.flatMap((a) => a.ranges.map((r) => r[1])));
  const alarm = verdicts.find((a) => a.ranges.some(([x, y]) => at >= x && at <= y));
  if (!alarm) return { none: at };
  const ev = alarm.evidence!;
  const i = recordAtStep(ev, at);
  return { alarm, evidence: ev[Math.max(0, i)] };
}

/** The verdict on D ≈ 0.5 at the cursor: what was decided, by which measure, and every check read. */
class VerdictBox {
  readonly el = document.createElement('section');
  private readonly title = document.createElement('strong');
  private readonly decided = document.createElement('p');
  private readonly checks = document.createElement('ul');
  private readonly where = document.createElement('p');
  private shown = '';

  constructor() {
    this.el.id = 'quality-verdict';
    this.el.className = 'alarm alarm-info verdict';
    this.el.setAttribute('role', 'status');
    this.el.setAttribute('aria-live', 'polite');
    this.el.hidden = true;
    const body = document.createElement('div');
    body.className = 'alarm-body';
    this.title.className = 'alarm-title verdict-title';
    this.decided.className = 'alarm-message verdict-decided';
    this.checks.className = 'verdict-checks';
    this.where.className = 'alarm-steps verdict-where';
    body.append(this.title, this.decided, this.checks, this.where);
    this.el.append(body);
  }

  show(alarms: readonly Alarm[], step: number | null): ShownVerdict | undefined {
    const v = verdictAt(alarms, step);
    const key = JSON.stringify(v === undefined ? null : 'none' in v ? v : [v.alarm.kind, v.alarm.ranges, v.evidence]);
    if (key === this.shown) return v && !('none' in v) ? v : undefined;
    this.shown = key;
    this.el.hidden = v === undefined;
    if (v === undefined) return undefined;
    if ('none' in v) {
      delete this.el.dataset.kind;
      delete this.el.dataset.decidedBy;
      this.title.textContent = `No verdict at step ${formatStep(v.none)}`;
      this.decided.textContent = 'D does not say about 0.5 to both real and generated data here (or the warm-up is not over), so there is no equilibrium to judge.';
      this.checks.replaceChildren();
      this.where.textContent = '';
      return undefined;
    }
    const { alarm, evidence } = v;
    const decisive = evidence.checks.find((c) => c.measure === evidence.decidedBy)!;
    const reached = alarm.kind === 'equilibrium';
    this.el.dataset.kind = alarm.kind;
    this.el.dataset.decidedBy = evidence.decidedBy;
    this.title.textContent = `Verdict: ${alarm.title}`;
    this.decided.replaceChildren(
      document.createTextNode(reached ? 'Every measure passed; the one that sees most: ' : 'Decided by '),
      Object.assign(document.createElement('strong'), { className: 'verdict-measure', textContent: decisive.label }),
      document.createTextNode(`: ${decisive.text}.`),
    );
    this.checks.replaceChildren(
      ...evidence.checks.map((c) => {
        const li = document.createElement('li');
        li.dataset.measure = c.measure;
        li.dataset.pass = String(c.pass);
        li.textContent = `${c.pass ? '✓' : '✗'} ${c.label}: ${c.text}`;
        li.setAttribute('aria-label', `${c.label} ${c.pass ? 'passes' : 'fails'}: ${c.text}`);
        return li;
      }),
    );
    this.where.textContent = `Read at the quality measurement of step ${formatStep(evidence.step)}; D says about 0.5 to both at steps ${alarm.ranges
      .slice(0, MAX_RANGES)
      .map(([a, b]) => (a === b ? formatStep(a) : `${formatStep(a)}–${formatStep(b)}`))
      .join(', ')}${alarm.ranges.length > MAX_RANGES ? ` and ${alarm.ranges.length - MAX_RANGES} more ranges` : ''} with this verdict.`;
    return v;
  }
}

function column(values: number[]): Column {
  const c = new Column(values.length);
  for (const v of values) c.push(v);
  return c;
}

/** Counts of generated digits per class at the cursor step; missing classes are marked. */
class ClassHistogram implements Drawable {
  readonly el: HTMLElement;
  private readonly surface: Surface;
  private readonly caption = document.createElement('p');
  readonly target: Element;

  constructor(
    private readonly run: () => RunData,
    private readonly cursor: StepCursor,
  ) {
    this.el = document.createElement('div');
    this.el.className = 'quality-chart class-histogram';
    this.el.id = 'quality-classes';
    const t = document.createElement('h3');
    t.textContent = 'Generated digits by class';
    const body = document.createElement('div');
    body.className = 'classes-body';
    body.setAttribute('role', 'img');
    body.setAttribute('aria-label', 'How many generated samples the classifier puts in each digit class at the selected step');
    this.target = body;
    this.caption.className = 'caption';
    this.caption.id = 'classes-caption';
    this.caption.setAttribute('aria-live', 'polite');
    this.el.append(t, body, this.caption);
    this.surface = new Surface(body, 'classes-canvas', () => this.invalidate());
  }

  invalidate(): void {
    const has = this.run().quality.some((q) => Array.isArray(q.classes));
    this.el.hidden = !has;
    if (has) requestDraw(this);
  }

  draw(): void {
    const ctx = this.surface.begin();
    const q = this.run().quality.filter((r) => Array.isArray(r.classes));
    if (q.length === 0) return;
    const step = this.cursor.step;
    const rec = q[step === null ? q.length - 1 : recordAtStep(q, step)];
    const counts = rec.classes ?? [];
    const total = counts.reduce((a, b) => a + b, 0);
    const missing = counts.map((c, i) => (c < MISSING_CLASS_SHARE * total ? i : -1)).filter((i) => i >= 0);
    this.surface.canvas.dataset.step = String(rec.step);
    this.surface.canvas.dataset.missing = missing.join(',');
    const p = palette();
    const W = this.surface.width;
    const H = this.surface.height;
    const m = { l: 34, r: 8, t: 16, b: 20 };
    const w = W - m.l - m.r;
    const h = H - m.t - m.b;
    const max = Math.max(1, ...counts);
    const bw = w / Math.max(1, counts.length);
    ctx.font = chartFont();
    ctx.strokeStyle = withAlpha(p.foreground, 0.45);
    ctx.beginPath();
    ctx.moveTo(m.l + 0.5, m.t);
    ctx.lineTo(m.l + 0.5, m.t + h + 0.5);
    ctx.lineTo(m.l + w, m.t + h + 0.5);
    ctx.stroke();
    // Where each class would be if all ten were equally likely.
    const even = total / Math.max(1, counts.length);
    const ey = m.t + h - (even / max) * h;
    ctx.setLineDash([4, 4]);
    ctx.strokeStyle = withAlpha(p.real, 0.9);
    ctx.beginPath();
    ctx.moveTo(m.l, Math.round(ey) + 0.5);
    ctx.lineTo(m.l + w, Math.round(ey) + 0.5);
    ctx.stroke();
    ctx.setLineDash([]);
    const missingColor = paletteRed();
    counts.forEach((c, i) => {
      const x = m.l + i * bw + bw * 0.15;
      const bh = (c / max) * h;
      const isMissing = missing.includes(i);
      ctx.fillStyle = isMissing ? missingColor : p.fake;
      ctx.fillRect(x, m.t + h - bh, bw * 0.7, bh);
      // A missing class has (almost) no bar: a red outline marks where it should be.
      const top = isMissing ? m.t + h - Math.max(bh, h * 0.25) : m.t + h - bh;
      if (isMissing) {
        ctx.strokeStyle = missingColor;
        ctx.lineWidth = 2;
        ctx.strokeRect(x + 1, top + 1, bw * 0.7 - 2, m.t + h - top - 2);
        ctx.lineWidth = 1;
      }
      ctx.fillStyle = isMissing ? missingColor : p.muted;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      ctx.fillText(String(i), m.l + (i + 0.5) * bw, m.t + h + 4);
      ctx.textBaseline = 'bottom';
      ctx.fillStyle = p.muted;
      ctx.fillText(String(c), m.l + (i + 0.5) * bw, top - 1);
    });
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = p.muted;
    ctx.fillText(String(max), m.l - 4, m.t);
    ctx.fillText('0', m.l - 4, m.t + h);
    const present = counts.length - missing.length;
    const text = `Step ${rec.step}: ${present}/${counts.length} classes generated${missing.length ? `; missing: ${missing.join(', ')} (${missing.length === 1 ? 'a lost mode' : 'lost modes'})` : ''}. The dashed line is an even share.`;
    if (this.caption.textContent !== text) this.caption.textContent = text;
  }
}

function paletteRed(): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue('--vscode-charts-red').trim();
  return v || '#f14c4c';
}
