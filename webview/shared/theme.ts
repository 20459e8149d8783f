/**
 * Chart colours come from VS Code's theme variables, read once per theme. VS Code swaps the body
 * class and the variables on <html> when the theme changes, so both are watched.
 */
export interface Palette {
  background: string;
  foreground: string;
  muted: string;
  grid: string;
  /** GAN Lab's convention, kept here: green is real data, purple is generated data. */
  real: string;
  fake: string;
  dLoss: string;
  gLoss: string;
  accent: string;
  series: string[];
  highContrast: boolean;
}

const FALLBACK: Record<string, string> = {
  '--vscode-editor-background': '#1e1e1e',
  '--vscode-foreground': '#cccccc',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-charts-lines': '#80808080',
  '--vscode-charts-red': '#f14c4c',
  '--vscode-charts-blue': '#3794ff',
  '--vscode-charts-yellow': '#cca700',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#89d185',
  '--vscode-charts-purple': '#b180d7',
};

function cssVar(style: CSSStyleDeclaration, name: string): string {
  return style.getPropertyValue(name).trim() || FALLBACK[name] || '#888888';
}

let current: Palette | undefined;
let version = 0;

/** Changes whenever the theme does; caches of drawn pixels key on it. */
export function themeVersion(): number {
  return version;
}
const listeners = new Set<() => void>();

export function palette(): Palette {
  if (current) return current;
  const s = getComputedStyle(document.documentElement);
  const v = (name: string): string => cssVar(s, name);
  const hc = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  current = {
    background: v('--vscode-editor-background'),
    foreground: v('--vscode-foreground'),
    muted: v('--vscode-descriptionForeground'),
    grid: v('--vscode-charts-lines'),
    real: v('--vscode-charts-green'),
    fake: v('--vscode-charts-purple'),
    dLoss: v('--vscode-charts-blue'),
    gLoss: v('--vscode-charts-orange'),
    accent: v('--vscode-charts-yellow'),
    series: ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'].map(v),
    highContrast: hc,
  };
  return current;
}

export function onThemeChange(listener: () => void): void {
  listeners.add(listener);
}

export function watchTheme(): void {
  const changed = (): void => {
    current = undefined;
    version++;
    for (const l of listeners) l();
  };
  const mo = new MutationObserver(changed);
  mo.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}

const rgbCache = new Map<string, [number, number, number, number]>();
let probe: CanvasRenderingContext2D | null = null;

/** Any CSS colour as [r, g, b, a] (0-255), for pixel work such as heatmaps. */
export function toRgba(color: string): [number, number, number, number] {
  const hit = rgbCache.get(color);
  if (hit) return hit;
  probe ??= document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  let out: [number, number, number, number] = [128, 128, 128, 255];
  if (probe) {
    probe.clearRect(0, 0, 1, 1);
    probe.fillStyle = color;
    probe.fillRect(0, 0, 1, 1);
    const d = probe.getImageData(0, 0, 1, 1).data;
    out = [d[0], d[1], d[2], d[3]];
  }
  rgbCache.set(color, out);
  return out;
}

export function withAlpha(color: string, alpha: number): string {
  const [r, g, b] = toRgba(color);
  return `rgba(${r},${g},${b},${alpha})`;
}
