// The frame of a code-server scenario: named stages, each bounded and logged, numbered screenshots
// into an artifacts folder (a failed stage leaves one of what was on screen), and a tear-down that
// keeps the logs and run files and removes everything else. The scenarios differ in their steps,
// not in this.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureCodeServer, launchChromium, openWorkbench, repoRoot, screenshot, startCodeServer, withTimeout, type CodeServer } from './codeServer';
import { runsDir } from './trainScenario';

export class Stages {
  /** Set once the workbench is open; screenshots are skipped before that. */
  page: Page | undefined;
  server: CodeServer | undefined;
  browser: Browser | undefined;
  private readonly t0 = Date.now();
  private shots = 0;

  /** Empties `artifacts` (the previous run's screenshots would mislead). */
  constructor(
    private readonly label: string,
    readonly artifacts: string,
  ) {
    rmSync(artifacts, { recursive: true, force: true });
    mkdirSync(artifacts, { recursive: true });
  }

  elapsed(): string {
    return `${((Date.now() - this.t0) / 1000).toFixed(1)} s`;
  }

  say(msg: string): void {
    console.log(`[${this.label} ${this.elapsed()}] ${msg}`);
  }

  /** Saves `NN-name.png` of the whole page and returns its path (undefined before there is a page). */
  async shot(name: string): Promise<string | undefined> {
    if (!this.page) return undefined;
    const file = await screenshot(this.page, this.artifacts, `${String(++this.shots).padStart(2, '0')}-${name}`);
    this.say(`screenshot ${file}`);
    return file;
  }

  /** One stage: bounded, logged, and on failure a screenshot and an error that names the stage. */
  async run<T>(name: string, ms: number, fn: () => Promise<T>): Promise<T> {
    const s0 = Date.now();
    this.say(`${name}…`);
    try {
      const r = await withTimeout(name, ms, fn);
      this.say(`✔ ${name} (${((Date.now() - s0) / 1000).toFixed(1)} s)`);
      return r;
    } catch (err) {
      await this.shot(`FAILED-${name}`).catch(() => {});
      const e = err instanceof Error ? err : new Error(String(err));
      e.message = `stage "${name}" failed after ${((Date.now() - s0) / 1000).toFixed(1)} s: ${e.message}`;
      throw e;
    }
  }

  /**
   * Starts code-server on `workspace`, launches Chromium and opens the workbench in it, as three
   * stages; their logs (code-server's, the browser console's) go to the artifacts.
   */
  async openWorkbench(opts: { workspace: string; extensionsDir: string; userDataDir: string; settings?: Record<string, unknown>; env?: NodeJS.ProcessEnv; workspaceTrust?: boolean }): Promise<Page> {
    const server = await this.run('start code-server', 90_000, () =>
      startCodeServer({ ...opts, logFile: join(this.artifacts, 'code-server.log'), startTimeoutMs: 80_000 }),
    );
    this.server = server;
    const browser = await this.run('launch chromium', 60_000, () => launchChromium());
    this.browser = browser;
    this.page = await this.run('open the workbench', 120_000, () =>
      openWorkbench(browser, server.url, { consoleLog: join(this.artifacts, 'browser-console.log'), viewport: { width: 1600, height: 1000 } }),
    );
    return this.page;
  }

  /**
   * Closes the browser and stops code-server (each bounded), keeps VS Code's logs (the extension
   * host's and the trainer's output are where a failure explains itself) and the run files
   * without checkpoints, then removes `tmp`.
   */
  async tearDown(opts: { tmp: string; userDataDir: string; runsDir: string; what: string }): Promise<void> {
    await withTimeout('close chromium', 15_000, async () => this.browser?.close()).catch(() => {});
    await withTimeout('stop code-server', 20_000, async () => this.server?.stop()).catch(() => {});
    try {
      if (existsSync(join(opts.userDataDir, 'logs'))) cpSync(join(opts.userDataDir, 'logs'), join(this.artifacts, 'vscode-logs'), { recursive: true });
      if (existsSync(opts.runsDir)) cpSync(opts.runsDir, join(this.artifacts, 'runs'), { recursive: true, filter: (src) => !src.includes('checkpoints') });
    } catch {
      /* best effort */
    }
    rmSync(opts.tmp, { recursive: true, force: true });
    writeFileSync(join(this.artifacts, 'README.txt'), `Screenshots and logs of ${opts.what}, ${new Date().toISOString()}\n`);
    console.log(`${this.label} artifacts (screenshots, logs): ${this.artifacts} (${this.elapsed()})`);
  }
}

/** code-server's folder, or undefined when the test was skipped because it cannot run here (the skip says why). */
export async function codeServerOrSkip(t: TestContext): Promise<string | undefined> {
  const codeServerDir = await ensureCodeServer();
  if (typeof codeServerDir === 'string') return codeServerDir;
  t.skip(codeServerDir.skip);
  return undefined;
}

/** What a scenario's body gets: fresh folders under one temp folder, and its stages. */
export interface Scenario {
  codeServerDir: string;
  root: string;
  stages: Stages;
  tmp: string;
  userDataDir: string;
  /** Empty until the body copies a fixture there. */
  workspace: string;
  /** Empty until the body installs the extension there. */
  extensionsDir: string;
}

/**
 * The frame every GAN Studio scenario shares: code-server or a skip, stages logging to
 * .test-artifacts/e2e/<name>/, a temp folder for user data, workspace and extensions, the body
 * bounded by `budgetMs`, and the tear-down (logs and run files kept, the rest removed) whatever
 * happened. `file` names the test in the artifacts' README.
 */
export async function runScenario(t: TestContext, opts: { name: string; file: string; budgetMs: number }, body: (s: Scenario) => Promise<void>): Promise<void> {
  const codeServerDir = await codeServerOrSkip(t);
  if (codeServerDir === undefined) return;
  const root = repoRoot();
  const stages = new Stages(`${opts.name} e2e`, join(root, '.test-artifacts', 'e2e', opts.name));
  const tmp = mkdtempSync(join(tmpdir(), `gan-e2e-${opts.name}-`));
  const scenario: Scenario = {
    codeServerDir,
    root,
    stages,
    tmp,
    userDataDir: join(tmp, 'user-data'),
    workspace: join(tmp, 'workspace'),
    extensionsDir: join(tmp, 'extensions'),
  };
  try {
    await withTimeout(`${opts.name} e2e scenario`, opts.budgetMs, () => body(scenario));
  } finally {
    await stages.tearDown({ tmp, userDataDir: scenario.userDataDir, runsDir: runsDir(scenario.workspace), what: opts.file });
  }
}
