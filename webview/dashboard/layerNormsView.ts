/**
 * Per-layer norms of G and D over the steps, on a log scale: the gradient each layer's last
 * update applied (vanishing gradients sink decades below the others, exploding ones climb), or
 * the layers' weight norms. G's layers in G's colour, D's in D's, told apart by dash pattern.
 */
import { LineChart, type LineSeries, type StepLink } from '../shared/charts/lineChart';
import { segmented } from '../shared/controls';
import type { LayerNormKey, RunData } from '../shared/runData';
import { palette } from '../shared/theme';
import type { ChartSettings } from './lossView';

export type NormMode = 'grad' | 'weight';

export interface NormState {
  normMode: NormMode;
}

/** Dash patterns by layer depth: solid first, then ever sparser, so eight layers stay apart. */
const DASHES: number[][] = [[], [7, 3], [2, 2], [9, 3, 2, 3], [4, 4], [1, 3], [12, 4], [6, 2, 1, 2]];

export class LayerNormsView {
  readonly el: HTMLElement;
  private readonly chart: LineChart;
  private readonly note = document.createElement('p');

  constructor(
    private run: RunData,
    private readonly settings: ChartSettings,
    private readonly state: NormState,
    link: StepLink,
    save: () => void,
  ) {
    this.el = document.createElement('section');
    this.el.className = 'panel layer-norms';
    this.el.id = 'layer-norms';
    const head = document.createElement('div');
    head.className = 'subhead';
    const h = document.createElement('h2');
    h.textContent = 'Per-layer norms';
    const modes = segmented<NormMode>('Norms shown', [
      { value: 'grad', label: 'Gradients' },
      { value: 'weight', label: 'Weights' },
    ], state.normMode, (m) => {
      state.normMode = m;
      this.rebuild();
      save();
    });
    modes.el.id = 'norm-mode';
    head.append(h, modes.el);
    this.note.className = 'caption quality-note';
    this.el.append(head);
    this.chart = new LineChart(this.el, { label: 'Per-layer L2 norms of G and D by step, log scale', height: 200, link, logY: true });
    this.el.append(this.note);
    this.setRun(run);
  }

  setRun(run: RunData): void {
    this.run = run;
    this.rebuild();
  }

  rebuild(): void {
    const r = this.run;
    const p = palette();
    const grad = this.state.normMode === 'grad';
    const x = this.settings.xMode === 'wall' ? r.wallMs : r.step;
    const series: LineSeries[] = [];
    const add = (key: LayerNormKey, names: readonly string[] | undefined, net: 'G' | 'D', color: string): void => {
      r.layerNorms[key].forEach((y, i) => {
        const label = `${net} ${names?.[i] ?? `layer ${i + 1}`}`;
        series.push({ label, color, step: r.step, x, y, width: p.highContrast ? 2 : 1.5, alpha: 1, legend: true, group: `${r.id}:${key}:${i}`, dash: DASHES[i % DASHES.length] });
      });
    };
    add(grad ? 'gGrad' : 'gWeight', r.info.layers?.generator, 'G', p.gLoss);
    add(grad ? 'dGrad' : 'dWeight', r.info.layers?.discriminator, 'D', p.dLoss);
    this.chart.setSeries(series);
    this.chart.set('xMode', this.settings.xMode);
    this.chart.set('robust', this.settings.robust);
    const has = r.hasLayerNorms;
    this.el.hidden = !has;
    this.note.textContent = grad
      ? 'L2 norm of the gradient each layer’s last update applied. A layer decades below the rest is not learning (vanishing gradients); one climbing away is exploding.'
      : 'L2 norm of each layer’s weights after the step: steady growth without bound is a warning sign.';
  }

  dataChanged(): void {
    if (this.el.hidden && this.run.hasLayerNorms) this.rebuild();
    this.chart.invalidate();
  }

  cursorMoved(): void {
    this.chart.invalidateOverlay();
  }
}
