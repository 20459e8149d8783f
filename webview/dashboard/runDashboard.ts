/**
 * The dashboard of one run: the summary and the alarm banners on top, then three tabs linked by
 * one step cursor: Training (losses, D outputs, samples), Quality (quality.jsonl) and the
 * latent-space explorer.
 */
import type { HostToWebview } from '../../src/protocol/webviewProtocol';
import type { Alarm } from '../../src/protocol/alarms';
import { type RunData } from '../shared/runData';
import { AlarmBanner } from './alarmBanner';
import { DiscriminatorView, type HistoryMode } from './discriminatorView';
import { GameControls, type GameState } from './gameControls';
import { LayerNormsView, type NormState } from './layerNormsView';
import { LatentExplorer, type ExplorerState } from './latentExplorer';
import { stepLink } from './links';
import { chartControls, LossView, type ChartSettings } from './lossView';
import { LatentWalk } from './latentWalk';
import { LatentRequests } from '../shared/latentRequests';
import { QualityView } from './qualityView';
import { SampleGallery, type ArrowState } from './sampleGallery';
import { StepCursor } from './stepCursor';
import { SummaryView } from './summaryView';

export type DashboardTab = 'training' | 'quality' | 'explorer';

export interface DashboardState extends ChartSettings, ExplorerState, GameState, ArrowState, NormState {
  histMode: HistoryMode;
  configOpen: boolean;
  cursor: number | null;
  tab: DashboardTab;
}

const TABS: { id: DashboardTab; label: string }[] = [
  { id: 'training', label: 'Training' },
  { id: 'quality', label: 'Quality' },
  { id: 'explorer', label: 'Latent explorer' },
];

export class RunDashboard {
  readonly el: HTMLElement;
  readonly cursor = new StepCursor();
  /** Latent generate requests of the explorer and the walk, answered by the host. */
  readonly requests = new LatentRequests();
  private readonly summary: SummaryView;
  private readonly alarms: AlarmBanner;
  readonly game: GameControls;
  private readonly losses: LossView;
  private readonly disc: DiscriminatorView;
  private readonly norms: LayerNormsView;
  private readonly samples: SampleGallery;
  private readonly quality: QualityView;
  readonly explorer: LatentExplorer;
  readonly walk: LatentWalk;
  private readonly tabButtons = new Map<DashboardTab, HTMLButtonElement>();
  private readonly tabPanels = new Map<DashboardTab, HTMLElement>();

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
    this.alarms = new AlarmBanner((step) => this.goToStep(step));
    this.game = new GameControls(run, state, save);
    this.losses = new LossView(run, state, link);
    this.losses.el.insertBefore(chartControls(state, () => this.settingsChanged()), this.losses.el.children[1]);
    this.disc = new DiscriminatorView(run, state, link, state.histMode, (m) => {
      state.histMode = m;
      save();
    });
    this.norms = new LayerNormsView(run, state, state, link, save);
    this.samples = new SampleGallery(run, this.cursor, state, save);
    this.walk = new LatentWalk(() => this.run, this.requests);
    this.quality = new QualityView(run, this.cursor, link);
    this.explorer = new LatentExplorer(() => this.run, this.requests, state, save);
    // Charts on the left, samples on the right and sticky, so the sample follows the cursor
    // while the charts scroll past.
    const grid = document.createElement('main');
    grid.className = 'panels two-col';
    const left = document.createElement('div');
    left.className = 'col col-charts';
    left.append(this.losses.el, this.disc.el, this.norms.el);
    const right = document.createElement('div');
    right.className = 'col col-samples';
    right.append(this.samples.el, this.walk.el);
    grid.append(left, right);

    const qualityGrid = document.createElement('div');
    qualityGrid.className = 'panels';
    qualityGrid.append(this.quality.el);

    const tablist = document.createElement('div');
    tablist.className = 'tabs';
    tablist.setAttribute('role', 'tablist');
    tablist.setAttribute('aria-label', 'Dashboard views');
    const panels: Record<DashboardTab, HTMLElement> = { training: grid, quality: qualityGrid, explorer: this.explorer.el };
    for (const t of TABS) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'tab';
      b.id = `tab-${t.id}`;
      b.textContent = t.label;
      b.setAttribute('role', 'tab');
      b.setAttribute('aria-controls', `tabpanel-${t.id}`);
      b.addEventListener('click', () => this.showTab(t.id));
      b.addEventListener('keydown', (e) => {
        const i = TABS.findIndex((x) => x.id === t.id);
        const next = e.key === 'ArrowRight' ? TABS[(i + 1) % TABS.length] : e.key === 'ArrowLeft' ? TABS[(i + TABS.length - 1) % TABS.length] : undefined;
        if (!next) return;
        e.preventDefault();
        this.showTab(next.id);
        this.tabButtons.get(next.id)?.focus();
      });
      tablist.append(b);
      this.tabButtons.set(t.id, b);
      const panel = document.createElement('div');
      panel.className = 'tabpanel';
      panel.id = `tabpanel-${t.id}`;
      panel.setAttribute('role', 'tabpanel');
      panel.setAttribute('aria-labelledby', b.id);
      panel.append(panels[t.id]);
      this.tabPanels.set(t.id, panel);
    }
    this.el.append(this.summary.el, this.game.el, this.alarms.el, tablist, ...this.tabPanels.values());
    this.alarms.set(run.alarms);
    this.showTab(TABS.some((t) => t.id === state.tab) ? state.tab : 'training');
    this.cursor.set(state.cursor, 'data');
    this.cursor.on((step, source) => {
      this.cursorMoved();
      this.samples.cursorMoved(step, source);
      // Hover moves the cursor many times a second; saving on scrub and keys is enough.
      if (source !== 'chart') {
        this.state.cursor = step;
        this.save();
      }
    });
  }

  /** The charts' overlays (cursor and event markers) redraw. */
  private cursorMoved(): void {
    this.losses.cursorMoved();
    this.disc.cursorMoved();
    this.norms.cursorMoved();
    this.quality.cursorMoved();
  }

  showTab(tab: DashboardTab): void {
    for (const [id, b] of this.tabButtons) {
      const on = id === tab;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      this.tabPanels.get(id)!.hidden = !on;
    }
    if (this.state.tab !== tab) {
      this.state.tab = tab;
      this.save();
    }
    if (tab === 'explorer') this.explorer.activate();
  }

  /** An alarm's step link: the cursor moves there, on a tab that shows steps. */
  private goToStep(step: number): void {
    if (this.state.tab === 'explorer') this.showTab('training');
    this.cursor.set(step, 'key');
  }

  setAlarms(alarms: Alarm[]): void {
    this.run.alarms = alarms;
    this.alarms.set(alarms);
    // The Quality tab's verdict box follows live, not only at the next cursor move or record.
    this.quality.alarmsChanged();
  }

  private settingsChanged(): void {
    this.losses.rebuild();
    this.disc.rebuild();
    this.norms.rebuild();
    this.save();
  }

  /** Theme changed: colours are baked into series and cached images. */
  rebuild(): void {
    this.losses.rebuild();
    this.disc.rebuild();
    this.norms.rebuild();
    this.samples.setRun(this.run);
    this.quality.rebuild();
    this.explorer.invalidate();
  }

  /** A new snapshot of the same run replaces the data but keeps the view (and the cursor). */
  replace(run: RunData): void {
    this.run = run;
    this.summary.setRun(run);
    this.game.setRun(run);
    this.alarms.set(run.alarms);
    this.losses.setRun(run);
    this.disc.setRun(run);
    this.norms.setRun(run);
    this.samples.setRun(run);
    this.quality.setRun(run);
    this.walk.update();
    this.explorer.update();
  }

  append(msg: Extract<HostToWebview, { type: 'append' }>): void {
    const r = this.run;
    if (msg.run) r.setInfo(msg.run);
    if (msg.metrics?.length) r.appendMetrics(msg.metrics);
    if (msg.histograms?.length) r.appendHistograms(msg.histograms);
    if (msg.samples?.length) r.appendSamples(msg.samples);
    if (msg.quality?.length) r.appendQuality(msg.quality);
    if (msg.checkpoints?.length) r.addCheckpoints(msg.checkpoints);
    if (msg.events?.length) r.appendEvents(msg.events);
    if (msg.paused !== undefined) r.setPaused(msg.paused);
    this.summary.update();
    this.game.update();
    // New events are new markers: every chart's overlay draws them.
    if (msg.events?.length) this.cursorMoved();
    if (msg.metrics?.length) {
      this.losses.dataChanged();
      this.norms.dataChanged();
    }
    this.disc.dataChanged({ metrics: !!msg.metrics?.length, histograms: !!msg.histograms?.length });
    if (msg.samples?.length) this.samples.dataChanged();
    if (msg.quality?.length) this.quality.dataChanged();
    if (msg.checkpoints?.length || msg.run) this.explorer.update();
  }
}
