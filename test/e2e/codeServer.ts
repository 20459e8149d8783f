// Harness for end-to-end tests in a real VS Code: code-server 4.100.3 (VS Code 1.100.3) served on
// 127.0.0.1 and driven by Debian's Chromium through playwright-core. Microsoft's VS Code download
// is unreachable on the dev/CI machines, so @vscode/test-electron cannot run here; code-server
// installs from npm (scripts/install-code-server.sh) and has the same workbench and a Node
// extension host.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, normalize, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { repoRoot } from '../helpers/root';

export const CODE_SERVER_VERSION = '4.100.3';
export const CHROMIUM_PATH = process.env.GAN_STUDIO_CHROMIUM ?? '/usr/bin/chromium';

/** The repo root: set by scripts/test.mjs, otherwise found from the bundle's location or cwd. */
export { repoRoot };

/** Same default as scripts/install-code-server.sh. */
export function codeServerInstallDir(): string {
  const cache = process.env.GAN_STUDIO_CACHE ?? join(homedir(), '.cache', 'gan-studio');
  return join(cache, `code-server-${CODE_SERVER_VERSION}`);
}

function entryJs(codeServerDir: string): string {
  return join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

/** Rejects with a message that names the step, so a stuck step fails instead of hanging the run. */
export async function withTimeout<T>(what: string, ms: number, work: Promise<T> | (() => Promise<T>)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([typeof work === 'function' ? work() : work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** spawn, not spawnSync: a synchronous child would also block the test runner's own timeouts. */
export function run(cmd: string, args: string[], opts: { timeoutMs: number; echoStderr?: boolean; cwd?: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (opts.echoStderr) process.stderr.write(d);
    });
    const timer = setTimeout(() => {
      killTree(child, 'SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: timed out after ${Math.round(opts.timeoutMs / 1000)} s\n${stderr.slice(-2000)}`));
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Children are spawned detached, so each leads its own process group: this reaches the
    // extension host, its forks and the watchers that code-server starts, not just the node we ran.
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Installs code-server when it is missing (about 2–7 minutes, once per machine) and returns its
 * folder. Returns a skip reason when it cannot be installed here, unless GAN_STUDIO_E2E_REQUIRED=1,
 * where that is an error instead (for a machine that is known to be able to).
 */
export async function ensureCodeServer(opts: { timeoutMs?: number } = {}): Promise<string | { skip: string }> {
  const skipOrThrow = (reason: string): { skip: string } => {
    if (process.env.GAN_STUDIO_E2E_REQUIRED === '1') throw new Error(`code-server is required but: ${reason}`);
    return { skip: reason };
  };
  if (process.platform !== 'linux') return skipOrThrow(`code-server e2e runs on Debian/Linux only (this is ${process.platform})`);
  const script = join(repoRoot(), 'scripts', 'install-code-server.sh');
  const r = await run('bash', [script], { timeoutMs: opts.timeoutMs ?? 20 * 60_000, echoStderr: true });
  if (r.code !== 0) {
    const failed = r.stderr.split('\n').find((l) => l.includes('FAILED:')) ?? r.stderr.trim().split('\n').at(-1) ?? '';
    return skipOrThrow(`code-server ${CODE_SERVER_VERSION} cannot be installed here: ${failed.replace(/^install-code-server: /, '')} (exit ${r.code ?? r.signal})`);
  }
  const dir = / is in (.+?) \(start:/.exec(r.stdout)?.[1] ?? codeServerInstallDir();
  if (!existsSync(entryJs(dir))) throw new Error(`install-code-server.sh succeeded but ${entryJs(dir)} is missing`);
  if (!existsSync(CHROMIUM_PATH)) return skipOrThrow(`no Chromium at ${CHROMIUM_PATH}`);
  return dir;
}

/** Settings that keep first-run UI (trust dialog, welcome page, tips, surveys) out of the way. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  // Headless Chromium trips VS Code's screen-reader detection, which then asks about it.
  'editor.accessibilitySupport': 'off',
  // Schemas from the internet cannot load here; without this the JSON language server reports it.
  'json.schemaDownload.enable': false,
  'git.openRepositoryInParentFolders': 'never',
  'git.autoRepositoryDetection': false,
  'window.restoreWindows': 'none',
  'chat.commandCenter.enabled': false,
  // Toasts and panels slide in; without motion a screenshot shows them where they end up.
  'workbench.reduceMotion': 'on',
};

export function writeUserSettings(userDataDir: string, extra: Record<string, unknown> = {}): void {
  const file = join(userDataDir, 'User', 'settings.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ ...QUIET_SETTINGS, ...extra }, null, 2));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

export interface CodeServer {
  /** Opens `workspace` in the workbench. */
  url: string;
  port: number;
  logFile: string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // If a test dies without reaching its cleanup, code-server must not outlive the test process.
  process.on('exit', () => {
    for (const c of running) killTree(c, 'SIGKILL');
  });
}

export interface StartOptions {
  workspace: string;
  extensionsDir: string;
  userDataDir: string;
  port?: number;
  codeServerDir?: string;
  /** Defaults to <userDataDir>/../code-server.log. */
  logFile?: string;
  settings?: Record<string, unknown>;
  startTimeoutMs?: number;
  /** Variables for code-server and so for the extension host and what it starts (e.g. PATH). */
  env?: NodeJS.ProcessEnv;
  /** Keep VS Code's workspace trust (off by default: no trust dialog in the way). */
  workspaceTrust?: boolean;
}

export async function startCodeServer(opts: StartOptions): Promise<CodeServer> {
  const dir = opts.codeServerDir ?? codeServerInstallDir();
  const entry = entryJs(dir);
  if (!existsSync(entry)) throw new Error(`code-server is not installed at ${dir}; call ensureCodeServer() first`);
  const port = opts.port ?? (await freePort());
  const logFile = opts.logFile ?? join(dirname(opts.userDataDir), 'code-server.log');
  mkdirSync(opts.extensionsDir, { recursive: true });
  mkdirSync(dirname(logFile), { recursive: true });
  writeUserSettings(opts.userDataDir, opts.settings);

  const log = createWriteStream(logFile);
  const args = [
    entry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    // Its own config file: otherwise it writes ~/.config/code-server/config.yaml with a password.
    '--config', join(opts.userDataDir, 'code-server.yaml'),
    '--extensions-dir', opts.extensionsDir,
    '--user-data-dir', opts.userDataDir,
    '--disable-telemetry',
    '--disable-update-check',
    ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    opts.workspace,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...opts.env } });
  running.add(child);
  installExitHook();
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = `code-server exited (${code ?? signal})`;
      running.delete(child);
      resolve();
    }),
  );

  const stop = async (): Promise<void> => {
    if (exited === undefined) {
      killTree(child, 'SIGTERM');
      const forced = setTimeout(() => killTree(child, 'SIGKILL'), 5_000);
      await exitedPromise;
      clearTimeout(forced);
    }
    // The group may outlive its leader (extension host shutting down): make sure it is gone.
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* group already empty */
      }
    }
    await new Promise<void>((resolve) => log.end(resolve));
  };

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`${exited} before it answered on ${base}; log ${logFile}:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on ${base} within ${opts.startTimeoutMs ?? 60_000} ms; log ${logFile}:\n${tail(logFile)}`);
    }
    await sleep(250);
  }
  return { url: `${base}/?folder=${encodeURIComponent(opts.workspace)}`, port, logFile, stop };
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- .vsix ----

interface ZipEntry {
  name: string;
  data(): Buffer;
}

/** A .vsix is a zip; Node has inflate but no zip reader, and this avoids a dependency for it. */
export function readZip(buf: Buffer): ZipEntry[] {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = buf.readUInt16LE(p + 10);
    const compressedSize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    entries.push({
      name,
      data() {
        if (buf.readUInt32LE(localOffset) !== 0x04034b50) throw new Error(`corrupt zip local header for ${name}`);
        const start = localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
        const raw = buf.subarray(start, start + compressedSize);
        if (method === 0) return Buffer.from(raw);
        if (method === 8) return inflateRawSync(raw);
        throw new Error(`zip entry ${name}: unsupported compression method ${method}`);
      },
    });
  }
  return entries;
}

export interface VsixManifest {
  publisher: string;
  name: string;
  version: string;
  /** `<publisher>.<name>`, lower case, as VS Code names it. */
  id: string;
}

export function readVsixManifest(vsixPath: string): VsixManifest {
  const pkg = readZip(readFileSync(vsixPath)).find((e) => e.name === 'extension/package.json');
  if (!pkg) throw new Error(`${vsixPath} has no extension/package.json`);
  const { publisher, name, version } = JSON.parse(pkg.data().toString('utf8')) as Record<string, string>;
  if (!publisher || !name || !version) throw new Error(`${vsixPath}: package.json lacks publisher/name/version`);
  return { publisher, name, version, id: `${publisher}.${name}`.toLowerCase() };
}

function installedFolder(extensionsDir: string, m: VsixManifest): string | undefined {
  if (!existsSync(extensionsDir)) return undefined;
  const want = `${m.id}-${m.version}`;
  const hit = readdirSync(extensionsDir).find((d) => d.toLowerCase() === want || d.toLowerCase().startsWith(`${want}-`));
  return hit && existsSync(join(extensionsDir, hit, 'package.json')) ? join(extensionsDir, hit) : undefined;
}

/**
 * Installs a .vsix the way a user would (`code-server --install-extension`), so that what
 * `npm run package` put in the vsix is what gets tested. Falls back to unpacking the zip's
 * `extension/` folder, which VS Code also picks up, if the CLI install fails.
 * Returns the installed extension folder and how it got there.
 */
export async function installVsix(
  codeServerDir: string,
  vsixPath: string,
  extensionsDir: string,
  opts: { userDataDir?: string; timeoutMs?: number } = {},
): Promise<{ dir: string; via: 'cli' | 'unzip'; manifest: VsixManifest; cliError?: string }> {
  const manifest = readVsixManifest(vsixPath);
  mkdirSync(extensionsDir, { recursive: true });
  const args = [entryJs(codeServerDir), '--install-extension', vsixPath, '--force', '--extensions-dir', extensionsDir];
  // The CLI keeps state in a user-data dir; a throwaway one keeps it out of ~/.local/share.
  const userDataDir = opts.userDataDir ?? join(extensionsDir, '..', 'cli-user-data');
  args.push('--user-data-dir', userDataDir, '--config', join(userDataDir, 'code-server.yaml'));
  let cliError: string | undefined;
  try {
    const r = await run(process.execPath, args, { timeoutMs: opts.timeoutMs ?? 120_000 });
    const dir = installedFolder(extensionsDir, manifest);
    if (r.code === 0 && dir) return { dir, via: 'cli', manifest };
    cliError = `exit ${r.code ?? r.signal}, folder ${dir ? 'present' : 'missing'}: ${(r.stderr + r.stdout).trim().split('\n').slice(-5).join(' | ')}`;
  } catch (err) {
    cliError = err instanceof Error ? err.message : String(err);
  }
  const dir = join(extensionsDir, `${manifest.id}-${manifest.version}`);
  const root = normalize(dir) + sep;
  for (const e of readZip(readFileSync(vsixPath))) {
    if (!e.name.startsWith('extension/') || e.name.endsWith('/')) continue;
    const target = normalize(join(dir, e.name.slice('extension/'.length)));
    if (!target.startsWith(root)) throw new Error(`${vsixPath}: entry ${e.name} escapes the extension folder`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, e.data());
  }
  return { dir, via: 'unzip', manifest, cliError };
}

/**
 * Installs the working tree's build as an unpacked extension folder, which VS Code picks up from
 * the extensions dir like an installed vsix: the files that .vscodeignore lets into the vsix,
 * copied (not linked, so that a rebuild of dist/ while the test runs does not change what it
 * tests). For scenarios about the extension's behaviour; the packaging itself is checked by
 * trainFromPalette.e2e.test.ts, through `npm run package` and installVsix.
 */
export function installUnpacked(root: string, extensionsDir: string): { dir: string; files: number } {
  const { publisher, name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, string>;
  const shipped = readFileSync(join(root, '.vscodeignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('!'))
    .map((l) => globToRegExp(l.slice(1)));
  const dir = join(extensionsDir, `${publisher}.${name}-${version}`.toLowerCase());
  let files = 0;
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(path);
      } else if (shipped.some((re) => re.test(path))) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), readFileSync(join(root, path)));
        files++;
      }
    }
  };
  walk('');
  for (const f of ['package.json', 'dist/extension.js', 'dist/cli.js']) {
    if (!existsSync(join(dir, f))) throw new Error(`${f} is missing from the build: run \`node scripts/build.mjs\` first`);
  }
  return { dir, files };
}

/** A .vscodeignore pattern (`dist/*.js`, `media/**`) as a RegExp over paths relative to the root. */
function globToRegExp(glob: string): RegExp {
  const re = glob
    .split(/(\*\*\/?|\*)/)
    .map((part) => (part.startsWith('**') ? '(?:.*/)?' + (part.endsWith('/') ? '' : '.*') : part === '*' ? '[^/]*' : reEscape(part)))
    .join('');
  return new RegExp(`^${re}$`);
}

// ---- browser ----

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}

/**
 * Opens the workbench and waits until it has rendered and the extension host is up. Browser
 * console errors go to `consoleLog` when given (they are the first place to look when a webview
 * stays blank).
 */
export async function openWorkbench(
  browser: Browser,
  url: string,
  opts: { timeoutMs?: number; consoleLog?: string; viewport?: { width: number; height: number } } = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1600, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  if (opts.consoleLog) {
    mkdirSync(dirname(opts.consoleLog), { recursive: true });
    const out = createWriteStream(opts.consoleLog);
    const t0 = Date.now();
    const at = () => `+${((Date.now() - t0) / 1000).toFixed(1)}s`;
    page.on('console', (m) => out.write(`${at()} [${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => out.write(`${at()} [pageerror] ${e.message}\n`));
    page.on('close', () => out.end());
    const short = (url: string) => url.replace(/^https?:\/\/[^/]+/, '').replace(/\?.*?\bid=([^&]+).*$/, '?id=$1').slice(-120);
    page.on('frameattached', (f) => out.write(`${at()} [frame] attached ${short(f.url())}\n`));
    page.on('framenavigated', (f) => out.write(`${at()} [frame] navigated ${short(f.url())}\n`));
    // Every webview registers its own service worker on one shared scope here, so a blank webview
    // is explained by this lifecycle: which version installed, waited, activated or went redundant.
    const cdp = await context.newCDPSession(page);
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      for (const v of versions) out.write(`${at()} [service worker] version ${v.versionId} ${v.status}/${v.runningStatus} ${swName(v.scriptURL)}\n`);
    });
    await cdp.send('ServiceWorker.enable').catch(() => {});
    // Webview resources (scripts, sample files) are answered by that worker: how long each took.
    const pending = new Map<string, { url: string; t: number }>();
    cdp.on('Network.requestWillBeSent', ({ requestId, request }) => {
      if (/vscode-resource|service-worker\.js|pre\/index\.html/.test(request.url)) pending.set(requestId, { url: request.url, t: Date.now() });
    });
    const done = (requestId: string, how: string) => {
      const r = pending.get(requestId);
      if (!r) return;
      pending.delete(requestId);
      out.write(`${at()} [request] ${how} after ${Date.now() - r.t} ms ${short(r.url.replace(/^.*vscode-cdn\.net/, ''))}\n`);
    };
    cdp.on('Network.loadingFinished', ({ requestId }) => done(requestId, 'finished'));
    cdp.on('Network.loadingFailed', ({ requestId, errorText }) => done(requestId, `failed (${errorText})`));
    await cdp.send('Network.enable').catch(() => {});
  }
  const timeout = opts.timeoutMs ?? 90_000;
  // Chromium holds back its BEST_EFFORT browser tasks until a first visible page has loaded and
  // gone idle, or a minute has passed. Service-worker update jobs are among them, and every
  // webview's worker registration queues behind them (one scope for all webviews here), so on a
  // busy machine a webview opened in that minute stayed blank until it ended (the Samples view, in
  // half the runs). The workbench never goes idle while it trains; a quiet page first ends the
  // start-up, as the long-open browser of a person would have.
  await page.goto('data:text/html,<title>GAN Studio e2e</title><p>starting</p>', { timeout });
  await sleep(3_000);
  await page.goto(url, { timeout });
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout });
  // The activity bar's explorer shows once the workspace is restored; before that, keybindings
  // may land in a workbench that is not ready to take them.
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout });
  return page;
}

/** A webview service worker's script URL is long; its webview id is what tells them apart. */
function swName(url: string): string {
  const id = /[?&]id=([^&]+)/.exec(url)?.[1];
  return id ? `webview ${id}` : url;
}

/** Escapes a string for use inside a RegExp. */
export function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * F1, type the title, pick the row whose label is exactly `title` (e.g. "GAN: Train GAN"), run it.
 * Picking the exact row matters: Enter alone runs the first fuzzy match, which may be another
 * command that shares words with the title.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  const row = widget
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${reEscape(title)}\\s*$`) }) })
    .first();
  const deadline = Date.now() + timeoutMs;
  let seen: string[];
  let typed: string;
  for (;;) {
    const left = () => Math.max(1_000, deadline - Date.now());
    try {
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: Math.min(5_000, left()) });
      // F1 opens it with ">"; filling keeps that prefix explicit and replaces whatever was there.
      await input.fill(`>${title}`);
      await row.waitFor({ state: 'visible', timeout: Math.min(3_000, left()) });
    } catch {
      // The palette lists the commands known when it filters. Right after the workbench shows,
      // the extension host may not have registered an extension's commands yet, and the list
      // does not refresh by itself: close it and ask again.
      // What the box held tells a list that was never filtered (the text did not land) from a
      // command that is not there.
      typed = await input.inputValue({ timeout: 1_000 }).catch(() => '(no input box)');
      seen = await widget.locator('.quick-input-list .monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) {
        throw new Error(`command palette: no command "${title}" within ${Math.round(timeoutMs / 1000)} s; the box held ${JSON.stringify(typed)} and it listed ${JSON.stringify(seen.slice(0, 8))}`);
      }
      await sleep(500);
      continue;
    }
    // Outside the retry: once clicked, the command has run, and running it again would be a
    // second run. The widget is not awaited to close either, since the command may reuse it for
    // a quick pick of its own.
    await row.click({ timeout: left() });
    return;
  }
}

/** Runs a palette command that only exists in some states (e.g. Hide Panel when one is shown). */
export async function tryCommand(page: Page, title: string): Promise<boolean> {
  try {
    await runCommand(page, title, 6_000);
    return true;
  } catch {
    await page.keyboard.press('Escape');
    return false;
  }
}

/** Waits for a toast whose message matches and returns its text. */
export async function waitForNotification(page: Page, text: RegExp, timeoutMs = 30_000): Promise<string> {
  const toast = page.locator('.notification-toast .notification-list-item-message').filter({ hasText: text }).first();
  try {
    await toast.waitFor({ state: 'visible', timeout: timeoutMs });
  } catch {
    const seen = await page.locator('.notification-list-item-message').allInnerTexts().catch(() => []);
    throw new Error(`no notification matching ${text} within ${timeoutMs} ms; visible: ${JSON.stringify(seen)}`);
  }
  return (await toast.innerText()).trim();
}

/** Saves `<dir>/<name>.png` and returns its path. */
export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, timeout: 30_000, animations: 'disabled' });
  return file;
}

/**
 * Webview content lives two iframes deep (the workbench's host frame, then the content frame), and
 * frames come and go as panels open. Searching every frame for an element the webview is known to
 * have is more robust than walking a fixed frame path.
 */
export async function findWebviewFrame(page: Page, selector: string, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame() || frame.isDetached()) continue;
      try {
        if (await frame.$(selector)) return frame;
      } catch {
        /* frame navigated or detached while we looked */
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`no webview frame contains ${selector} within ${timeoutMs} ms (frames: ${page.frames().map((f) => f.url()).join(', ')})`);
    }
    await sleep(250);
  }
}

/**
 * For each webview host frame (VS Code's pre/index.html, one per webview): which webview it is,
 * which service worker controls it and what its registration holds. In code-server every webview
 * shares one origin and so one service-worker scope; this is what to look at when one stays blank.
 */
export async function webviewWorkers(page: Page): Promise<string[]> {
  interface Worker {
    scriptURL: string;
    state: string;
  }
  interface Container {
    controller: Worker | null;
    getRegistration(): Promise<{ active: Worker | null; waiting: Worker | null; installing: Worker | null } | undefined>;
  }
  const out: string[] = [];
  for (const frame of page.frames()) {
    const url = frame.url();
    if (!/\/webview\/browser\/pre\/index(-no-csp)?\.html/.test(url) || frame.isDetached()) continue;
    const params = new URL(url).searchParams;
    const state = await frame
      .evaluate(async () => {
        const sw = (globalThis as unknown as { navigator: { serviceWorker: Container } }).navigator.serviceWorker;
        const name = (w: Worker | null | undefined) => (w ? `${/[?&]id=([^&]+)/.exec(w.scriptURL)?.[1] ?? w.scriptURL} (${w.state})` : '-');
        const reg = await sw.getRegistration();
        const perf = (globalThis as unknown as { performance: { now(): number; getEntriesByType(t: string): Record<string, number>[] } }).performance;
        const nav = perf.getEntriesByType('navigation')[0] ?? {};
        const ms = (k: string) => `${k} ${Math.round(nav[k] ?? NaN)}`;
        const doc = (globalThis as unknown as { document: { readyState: string } }).document;
        const age = `age ${Math.round(perf.now())} ms, ${doc.readyState}, ${['workerStart', 'fetchStart', 'responseStart', 'responseEnd', 'domInteractive', 'domContentLoadedEventEnd', 'loadEventEnd'].map(ms).join(', ')}`;
        return `${age}; controller ${name(sw.controller)}; registration active ${name(reg?.active)}, waiting ${name(reg?.waiting)}, installing ${name(reg?.installing)}`;
      })
      .catch((err: unknown) => `(not readable: ${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    out.push(`${params.get('purpose') ?? '?'} ${params.get('extensionId') ?? ''} ${params.get('id')}: ${state}`);
  }
  return out;
}

/** Opens a workspace file with quick open (Ctrl+P) and waits for its editor tab to be active. */
export async function openFile(page: Page, relPath: string, timeoutMs = 30_000): Promise<void> {
  const base = relPath.split('/').at(-1) ?? relPath;
  await withTimeout(`open ${relPath}`, timeoutMs, async () => {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await input.fill(relPath);
    // Results come from the file search (ripgrep) a moment later; Enter before that opens nothing.
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: base }).first();
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
    await page.keyboard.press('Enter');
    await page
      .locator('.tabs-container .tab.active', { has: page.locator('.label-name', { hasText: new RegExp(`^${reEscape(base)}$`) }) })
      .waitFor({ state: 'visible', timeout: timeoutMs });
  });
}

export interface Problem {
  severity: 'error' | 'warning' | 'info' | 'unknown';
  /** The row's accessible label, which has message, position and source in one line. */
  label: string;
  message: string;
}

/**
 * Opens the Problems panel and returns its marker rows (file rows left out). Uses the palette
 * rather than Ctrl+Shift+M, which toggles: it would close a panel that is already open.
 */
export async function readProblems(page: Page, timeoutMs = 30_000): Promise<Problem[]> {
  await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)', timeoutMs).catch(async () => {
    // Title varies across VS Code versions; the view's generic focus command always exists.
    await page.keyboard.press('Escape');
    await runCommand(page, 'Problems: Focus on Problems View', timeoutMs);
  });
  const panel = page.locator('.markers-panel');
  await panel.waitFor({ state: 'visible', timeout: timeoutMs });
  // The tree fills asynchronously after the panel shows.
  await sleep(500);
  const rows = panel.locator('.monaco-list-row');
  const out: Problem[] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    if ((await row.locator('.marker-message-details, .marker-icon, .codicon-error, .codicon-warning, .codicon-info').count()) === 0) continue;
    const label = (await row.getAttribute('aria-label')) ?? '';
    const message = ((await row.locator('.marker-message').first().innerText().catch(() => '')) || label).trim();
    // The accessible label starts with the severity ("Warning: msg at line 1 ..."); the icon's
    // class is the fallback should that wording change.
    const icon = (await row.locator('.marker-icon, .codicon').first().getAttribute('class').catch(() => '')) ?? '';
    const kind = (/^(error|warning|info)\b/i.exec(label)?.[1] ?? /codicon-(error|warning|info)\b/.exec(icon)?.[1] ?? 'unknown').toLowerCase();
    const severity = kind as Problem['severity'];
    out.push({ severity, label, message });
  }
  return out;
}

/** For checking artifacts the extension writes (sample grids, checkpoints). */
export function nonEmptyFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile() && statSync(path).size > 0;
}

/** Polls `probe` until it returns something other than undefined/false; the error names `what` and the last value seen. */
export async function poll<T>(what: string, timeoutMs: number, probe: () => T | undefined | false | Promise<T | undefined | false>, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message.split('\n')[0]})` : '';
      throw new Error(`${what}: timed out after ${Math.round(timeoutMs / 1000)} s${why}`);
    }
    await sleep(intervalMs);
  }
}

export interface CanvasInk {
  /** The canvas's backing-store size. */
  width: number;
  height: number;
  /** Pixels with any alpha: a cleared canvas has none. */
  inked: number;
  /** Distinct colours among them, quantised to 4 bits per channel: a line is 1–3, a chart is more. */
  colours: number;
  /** The canvas's data-* attributes, where views note what they drew (e.g. data-step). */
  data: Record<string, string>;
  /**
   * Columns without any ink between the first and the last inked column, as [from, to] ranges in
   * canvas pixels: a line chart whose curves are continuous has none.
   */
  gaps: [number, number][];
}

/**
 * What a canvas inside a webview frame has drawn, read back with getImageData. Canvases that are
 * cleared to transparent before each draw (all of GAN Studio's) count only what was drawn; an
 * opaque background shows up as one dominant colour, so `colours` is the better test there.
 * Returns undefined when no element matches.
 */
export async function canvasInk(frame: Frame, selector: string): Promise<CanvasInk | undefined> {
  // The root tsconfig has no DOM lib (this runs in Node); these are the few DOM shapes used in the page.
  interface Ctx2D {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  }
  interface CanvasLike {
    tagName: string;
    width: number;
    height: number;
    dataset: Record<string, string>;
    getContext(kind: '2d'): Ctx2D | null;
    scrollIntoView(opts: { block: 'nearest' }): void;
  }
  return frame.evaluate(async (sel) => {
    const g = globalThis as unknown as { document: { querySelector(s: string): CanvasLike | null }; requestAnimationFrame(cb: () => void): void };
    const c = g.document.querySelector(sel);
    if (!c || c.tagName !== 'CANVAS') return undefined;
    // Read it as a person would see it: on screen. The dashboard defers redraws of views scrolled
    // out of sight (webview/shared/frame.ts), and a canvas resized meanwhile (a banner or a
    // scroll bar came) stays blank until it scrolls back in; bring it in and let it draw.
    c.scrollIntoView({ block: 'nearest' });
    for (let i = 0; i < 3; i++) await new Promise<void>((r) => g.requestAnimationFrame(r));
    const out = { width: c.width, height: c.height, inked: 0, colours: 0, data: { ...c.dataset } as Record<string, string>, gaps: [] as [number, number][] };
    const ctx = c.getContext('2d');
    if (!ctx || c.width === 0 || c.height === 0) return out;
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    const columnInk = new Uint32Array(c.width);
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3] === 0) continue;
      out.inked++;
      columnInk[(i >> 2) % c.width]++;
      seen.add(((px[i] >> 4) << 8) | ((px[i + 1] >> 4) << 4) | (px[i + 2] >> 4));
    }
    out.colours = seen.size;
    let first = 0;
    while (first < c.width && columnInk[first] === 0) first++;
    let last = c.width - 1;
    while (last > first && columnInk[last] === 0) last--;
    for (let x = first; x <= last; x++) {
      if (columnInk[x] !== 0) continue;
      const from = x;
      while (x <= last && columnInk[x] === 0) x++;
      out.gaps.push([from, x - 1]);
    }
    return out;
  }, selector);
}
