/** The dashboard of one run: summary, losses, D outputs and samples, linked by one step cursor. */
import type { HostToWebview } from '../../src/protocol/webviewProtocol';
import { RunData } from '../shared/runData';
import { DiscriminatorView, type HistoryMode } from './discriminatorView';
import { stepLink } from './links';
import { chartControls, LossView, type ChartSettings } from './lossView';
import { LatentWalk } from './latentWalk';
import { SamplesView } from './samplesView';
import { StepCursor } from './stepCursor';
import { SummaryView } from './summaryView';

export interface DashboardState extends ChartSettings {
  histMode: HistoryMode;
  configOpen: boolean;
  cursor: number | null;
}

export class RunDashboard {
  readonly el: HTMLElement;
  readonly cursor = new StepCursor();
  private readonly summary: SummaryView;
  private readonly losses: LossView;
  private readonly disc: DiscriminatorView;
  private readonly samples: SamplesView;
  readonly walk: LatentWalk;

  constructor(
    public run: RunData,
    private readonly state: DashboardState,
    private readonly save: () => void,
  ) {
    this.el = document.createElement('div');
    this.el.className = 'dashboard';
    const link = stepLink(this.cursor, () => [this.run]);
    this.summary = new SummaryView(run, state.configOpen, (open) => {
      state.configOpen = open;
      save();
    });
    this.losses = new LossView(run, state, link);
    this.losses.el.insertBefore(chartControls(state, () => this.settingsChanged()), this.losses.el.children[1]);
    this.disc = new DiscriminatorView(run, state, link, state.histMode, (m) => {
      state.histMode = m;
      save();
    });
    this.samples = new SamplesView(run, this.cursor);
    this.walk = new LatentWalk(() => this.run);
    // Charts on the left, samples on the right and sticky, so the sample follows the cursor
    // while the charts scroll past.
    const grid = document.createElement('main');
    grid.className = 'panels two-col';
    const left = document.createElement('div');
    left.className = 'col col-charts';
    left.append(this.losses.el, this.disc.el);
    const right = document.createElement('div');
    right.className = 'col col-samples';
    right.append(this.samples.el, this.walk.el);
    grid.append(left, right);
    this.el.append(this.summary.el, grid);
    this.cursor.set(state.cursor, 'data');
    this.cursor.on((step, source) => {
      this.losses.cursorMoved();
      this.disc.cursorMoved();
      this.samples.cursorMoved(step, source);
      // Hover moves the cursor many times a second; saving on scrub and keys is enough.
      if (source !== 'chart') {
        this.state.cursor = step;
        this.save();
      }
    });
  }

  private settingsChanged(): void {
    this.losses.rebuild();
    this.disc.rebuild();
    this.save();
  }

  /** Theme changed: colours are baked into series and cached images. */
  rebuild(): void {
    this.losses.rebuild();
    this.disc.rebuild();
    this.samples.setRun(this.run);
  }

  /** A new snapshot of the same run replaces the data but keeps the view (and the cursor). */
  replace(run: RunData): void {
    this.run = run;
    this.summary.setRun(run);
    this.losses.setRun(run);
    this.disc.setRun(run);
    this.samples.setRun(run);
    this.walk.update();
  }

  append(msg: Extract<HostToWebview, { type: 'append' }>): void {
    const r = this.run;
    if (msg.run) r.setInfo(msg.run);
    if (msg.metrics?.length) r.appendMetrics(msg.metrics);
    if (msg.histograms?.length) r.appendHistograms(msg.histograms);
    if (msg.samples?.length) r.appendSamples(msg.samples);
    this.summary.update();
    if (msg.metrics?.length) this.losses.dataChanged();
    this.disc.dataChanged({ metrics: !!msg.metrics?.length, histograms: !!msg.histograms?.length });
    if (msg.samples?.length) this.samples.dataChanged();
  }
}
