/**
 * Browser harness for the webview tests: serves pages built by renderWebviewHtml (the same shell
 * the extension uses, with its CSP) from a local HTTP server, fakes `acquireVsCodeApi`, and
 * drives Debian's Chromium through playwright-core. It also produces real run directories with
 * the real trainer, cached by the trainer bundle's hash so that repeated test runs stay fast.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, relative, resolve, sep } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readSnapshot } from '../../src/runDir/runReader';
import type { RunSnapshot } from '../../src/protocol/webviewProtocol';
import { makeNonce, renderWebviewHtml } from '../../src/host/panels/webviewHtml';

// Functions passed to page.evaluate run in the browser. These module-local declarations type them
// without adding the DOM library to the Node program (where `window` must stay an error).
declare const window: any;
declare const document: any;
declare function requestAnimationFrame(callback: () => void): number;

export const ROOT = process.env.GAN_STUDIO_ROOT ?? resolve(__dirname, '../../..');
export const ARTIFACTS = join(ROOT, '.test-artifacts/webview');
const CHROMIUM = '/usr/bin/chromium';

export type Theme = 'light' | 'dark' | 'high-contrast';
export type Entry = 'dashboard' | 'samples' | 'sweep';

/** Why the browser tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found (apt-get install -y chromium)`;
  if (!existsSync(join(ROOT, 'dist/webview/dashboard.js'))) return 'dist/webview/dashboard.js not built (node scripts/build.mjs)';
  return undefined;
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** VS Code's theme variables for the three kinds of theme (values from Default Light+/Dark+/HC). */
const THEMES: Record<Theme, Record<string, string>> = {
  light: {
    'editor-background': '#ffffff', foreground: '#3b3b3b', descriptionForeground: '#717171', 'charts-lines': 'rgba(97,97,97,0.5)',
    'charts-red': '#e51400', 'charts-blue': '#1a85ff', 'charts-yellow': '#bf8803', 'charts-orange': '#d18616', 'charts-green': '#388a34', 'charts-purple': '#652d90',
    focusBorder: '#005fb8', 'button-background': '#005fb8', 'button-foreground': '#ffffff', 'panel-border': '#e5e5e5', errorForeground: '#f85149',
    'font-family': 'sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace',
    'button-hoverBackground': '#0258a8', 'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b', 'button-secondaryHoverBackground': '#cccccc',
    'checkbox-background': '#f8f8f8', 'checkbox-border': '#cecece', 'checkbox-foreground': '#3b3b3b',
    'dropdown-background': '#ffffff', 'dropdown-border': '#cecece', 'dropdown-foreground': '#3b3b3b', 'list-activeSelectionBackground': '#e8e8e8', 'list-activeSelectionForeground': '#000000', 'list-hoverBackground': '#f2f2f2',
    'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b', 'progressBar-background': '#005fb8', 'editorHoverWidget-background': '#f8f8f8', 'editorHoverWidget-border': '#c8c8c8', 'textCodeBlock-background': '#f8f8f8',
  },
  dark: {
    'editor-background': '#1f1f1f', foreground: '#cccccc', descriptionForeground: '#9d9d9d', 'charts-lines': 'rgba(191,191,191,0.5)',
    'charts-red': '#f14c4c', 'charts-blue': '#3794ff', 'charts-yellow': '#cca700', 'charts-orange': '#d18616', 'charts-green': '#89d185', 'charts-purple': '#b180d7',
    focusBorder: '#0078d4', 'button-background': '#0078d4', 'button-foreground': '#ffffff', 'panel-border': '#2b2b2b', errorForeground: '#f85149',
    'font-family': 'sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace',
    'button-hoverBackground': '#026ec1', 'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc', 'button-secondaryHoverBackground': '#3c3c3c',
    'checkbox-background': '#313131', 'checkbox-border': '#3c3c3c', 'checkbox-foreground': '#cccccc',
    'dropdown-background': '#313131', 'dropdown-border': '#3c3c3c', 'dropdown-foreground': '#cccccc', 'list-activeSelectionBackground': '#04395e', 'list-activeSelectionForeground': '#ffffff', 'list-hoverBackground': '#2a2d2e',
    'badge-background': '#616161', 'badge-foreground': '#f8f8f8', 'progressBar-background': '#0078d4', 'editorHoverWidget-background': '#202020', 'editorHoverWidget-border': '#454545', 'textCodeBlock-background': '#2b2b2b',
  },
  'high-contrast': {
    'editor-background': '#000000', foreground: '#ffffff', descriptionForeground: '#ffffff', 'charts-lines': 'rgba(255,255,255,0.5)',
    'charts-red': '#f14c4c', 'charts-blue': '#3794ff', 'charts-yellow': '#ffff00', 'charts-orange': '#d18616', 'charts-green': '#89d185', 'charts-purple': '#b180d7',
    focusBorder: '#f38518', 'button-background': '#000000', 'button-foreground': '#ffffff', 'panel-border': '#6fc3df', contrastBorder: '#6fc3df', errorForeground: '#f48771',
    'font-family': 'sans-serif', 'font-size': '13px', 'editor-font-family': 'monospace',
    'button-border': '#6fc3df', 'button-secondaryBackground': '#000000', 'button-secondaryForeground': '#ffffff', contrastActiveBorder: '#f38518',
    'checkbox-background': '#000000', 'checkbox-border': '#6fc3df', 'checkbox-foreground': '#ffffff',
    'dropdown-background': '#000000', 'dropdown-border': '#6fc3df', 'dropdown-foreground': '#ffffff', 'list-hoverBackground': '#000000',
    'badge-background': '#000000', 'badge-foreground': '#ffffff', 'progressBar-background': '#6fc3df', 'editorHoverWidget-background': '#0c141f', 'editorHoverWidget-border': '#6fc3df', 'textCodeBlock-background': '#000000',
  },
};

export function themeColor(theme: Theme, name: string): string {
  return THEMES[theme][name];
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.json': 'application/json',
  '.png': 'image/png',
  '.html': 'text/html',
};

export interface PageOptions {
  /** Overrides the CSP in the rendered page (the CSP test checks what the toolkit needs). */
  csp?: (csp: string) => string;
}

export class TestServer {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
    private readonly runsDir: string,
    private readonly pageOptions: Map<string, PageOptions>,
  ) {}

  static async start(runsDir: string): Promise<TestServer> {
    const pageOptions = new Map<string, PageOptions>();
    let origin = '';
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = decodeURIComponent(url.pathname);
      const send = (status: number, type: string, body: string | Buffer): void => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      const page = /^\/page\/(dashboard|samples|sweep)-(light|dark|high-contrast)\.html$/.exec(path);
      if (page) {
        const [, entry, theme] = page as unknown as [string, Entry, Theme];
        let html = renderWebviewHtml({
          title: `GAN Studio ${entry}`,
          scriptUri: `${origin}/dist/webview/${entry}.js`,
          styleUri: `${origin}/dist/webview/${entry}.css`,
          cspSource: origin,
          nonce: makeNonce(),
          bodyClass: `vscode-${theme}`,
        });
        // VS Code puts the theme's variables on <html>; a served stylesheet stands in for that here.
        html = html.replace('<title>', `<link rel="stylesheet" href="${origin}/theme/${theme}.css">\n    <title>`);
        const opts = pageOptions.get(url.searchParams.get('opts') ?? '');
        if (opts?.csp) html = html.replace(/content="(default-src[^"]*)"/, (_, csp: string) => `content="${opts.csp!(csp)}"`);
        return send(200, TYPES['.html'], html);
      }
      const theme = /^\/theme\/(light|dark|high-contrast)\.css$/.exec(path);
      if (theme) {
        const vars = THEMES[theme[1] as Theme];
        return send(200, TYPES['.css'], `html {\n${Object.entries(vars).map(([k, v]) => `  --vscode-${k}: ${v};`).join('\n')}\n}\n`);
      }
      const file = resolveUnder(path, '/dist/webview/', join(ROOT, 'dist/webview')) ?? resolveUnder(path, '/runs/', runsDir);
      if (!file || !existsSync(file) || !statSync(file).isFile()) return send(404, 'text/plain', 'not found');
      send(200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return new TestServer(server, origin, runsDir, pageOptions);
  }

  pageUrl(entry: Entry, theme: Theme, opts?: PageOptions): string {
    let q = '';
    if (opts) {
      const key = String(this.pageOptions.size + 1);
      this.pageOptions.set(key, opts);
      q = `?opts=${key}`;
    }
    return `${this.origin}/page/${entry}-${theme}.html${q}`;
  }

  /** The snapshot the host would post, with sample URLs served by this server. */
  snapshot(runDir: string): RunSnapshot {
    return readSnapshot(runDir, (abs) => `${this.origin}/runs/${relative(this.runsDir, abs).split(sep).map(encodeURIComponent).join('/')}`);
  }

  close(): Promise<void> {
    return new Promise((ok) => this.server.close(() => ok()));
  }
}

function resolveUnder(path: string, prefix: string, base: string): string | undefined {
  if (!path.startsWith(prefix)) return undefined;
  const file = normalize(join(base, path.slice(prefix.length)));
  return file.startsWith(base + sep) ? file : undefined;
}

/** What the fake VS Code API saw, read back from the page. */
export interface Recorded {
  posted: unknown[];
  logs: { level: string; message: string }[];
  csp: string[];
}

export class View {
  readonly pageErrors: string[] = [];
  readonly console: string[] = [];

  private constructor(readonly page: Page) {
    page.on('pageerror', (e) => this.pageErrors.push(e.message));
    page.on('console', (m) => this.console.push(`${m.type()}: ${m.text()}`));
  }

  // Tall enough that the whole dashboard is on screen: views out of sight defer their redraws,
  // and a full-page screenshot would show them as they were when last visible.
  static async open(browser: Browser, url: string, size = { width: 1280, height: 1500 }): Promise<View> {
    const page = await browser.newPage({ viewport: size, deviceScaleFactor: 1 });
    const view = new View(page);
    await page.addInitScript(() => {
      const w = window as unknown as Record<string, unknown>;
      const posted: unknown[] = [];
      const csp: string[] = [];
      let state: unknown;
      let acquired = false;
      w.__posted = posted;
      w.__csp = csp;
      w.__getState = () => state;
      w.__setState = (s: unknown) => {
        state = s;
      };
      // VS Code allows one call per page; the fake enforces it so a second call fails the test.
      w.acquireVsCodeApi = () => {
        if (acquired) throw new Error('acquireVsCodeApi called twice');
        acquired = true;
        return {
          postMessage: (m: unknown) => posted.push(JSON.parse(JSON.stringify(m))),
          getState: () => state,
          setState: (s: unknown) => {
            state = JSON.parse(JSON.stringify(s));
          },
        };
      };
      document.addEventListener('securitypolicyviolation', (e: any) => csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
    });
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    return view;
  }

  async recorded(): Promise<Recorded> {
    return this.page.evaluate(() => {
      const w = window as unknown as { __posted: { type: string; level?: string; message?: string }[]; __csp: string[] };
      return {
        posted: w.__posted,
        logs: w.__posted.filter((m) => m.type === 'log').map((m) => ({ level: String(m.level), message: String(m.message) })),
        csp: w.__csp,
      };
    });
  }

  /** Posts as the host does (window.postMessage), then waits two frames for batched redraws. */
  async post(msg: unknown): Promise<void> {
    await this.page.evaluate((m) => window.postMessage(m, '*'), msg as object);
    await this.frames();
  }

  async frames(n = 2): Promise<void> {
    await this.page.evaluate(
      (k) =>
        new Promise<void>((done) => {
          let left = k;
          const tick = (): void => {
            if (--left <= 0) done();
            else requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
        }),
      n,
    );
  }

  /**
   * Pixels of a canvas whose colour is within `tol` of `rgb` (per channel). Counting pixels of the
   * series' own colour proves that data was drawn, not just axes.
   */
  async colorPixels(selector: string, rgb: [number, number, number], tol = 40): Promise<number> {
    return this.page.$eval(
      selector,
      (el, [r, g, b, t]) => {
        const c = el as any;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3] > 200 && Math.abs(d[i] - r) <= t && Math.abs(d[i + 1] - g) <= t && Math.abs(d[i + 2] - b) <= t) n++;
        }
        return n;
      },
      [...rgb, tol] as [number, number, number, number],
    );
  }

  /** Painted (non-transparent) pixels of a canvas, and how many of them differ from `bg`. */
  async ink(selector: string, bg: [number, number, number]): Promise<{ painted: number; differing: number; width: number; height: number }> {
    return this.page.$eval(
      selector,
      (el, [r, g, b]) => {
        const c = el as any;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        let differing = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3] === 0) continue;
          painted++;
          if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) > 30) differing++;
        }
        return { painted, differing, width: c.width, height: c.height };
      },
      bg,
    );
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, `${name}.png`);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  close(): Promise<void> {
    return this.page.close();
  }
}

export function hexToRgb(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}

/**
 * A run directory made by the real trainer (`node dist/cli.js train …`). Runs are cached under
 * .test-artifacts keyed by the trainer bundle, the config and the arguments: a changed trainer
 * makes fresh runs, an unchanged one costs nothing.
 */
export async function realRun(name: string, configPath: string, args: string[]): Promise<string> {
  const cli = join(ROOT, 'dist/cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} not built: run node scripts/build.mjs`);
  const key = createHash('sha256').update(readFileSync(cli)).update(readFileSync(configPath)).update(args.join(' ')).digest('hex').slice(0, 16);
  const runsDir = join(ARTIFACTS, 'runs', `${name}-${key}`);
  mkdirSync(join(ARTIFACTS, 'runs'), { recursive: true });
  if (!existsSync(runsDir)) {
    // Runs of an older trainer are of no further use.
    for (const old of readdirSync(join(ARTIFACTS, 'runs'), { withFileTypes: true })) {
      if (old.isDirectory() && old.name.startsWith(`${name}-`) && !old.name.includes('.tmp-')) rmSync(join(ARTIFACTS, 'runs', old.name), { recursive: true, force: true });
    }
    // Written aside and renamed into place, so that a test file running at the same time never
    // reads a half-written run, and whichever finishes first wins.
    const tmp = `${runsDir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const child = spawn(process.execPath, [cli, 'train', configPath, '--runs-dir', tmp, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill(), 240_000);
    const code = await new Promise<number | null>((ok) => child.on('close', ok));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`trainer failed for ${configPath} (exit ${code}): ${output.slice(-800)}`);
    try {
      renameSync(tmp, runsDir);
    } catch {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const runs = readdirSync(runsDir).filter((d) => existsSync(join(runsDir, d, 'run.json')));
  if (runs.length !== 1) throw new Error(`${runsDir}: expected one run, found ${runs.length}`);
  return join(runsDir, runs[0]);
}
