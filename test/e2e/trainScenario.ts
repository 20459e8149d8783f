// The "from Train GAN to samples" scenario of issue 6, as data and file-system checks that do not
// depend on how VS Code is driven. test/e2e/trainFromPalette.e2e.test.ts walks it in code-server
// through the browser (keys, palette, DOM, webview pixels); a runner inside a desktop VS Code
// (@vscode/test-electron) can walk the same steps through the API (executeCommand,
// getDiagnostics, executeCompletionItemProvider) and check the same run files with these helpers.
// No playwright and no vscode import here, so either side can load it.
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listRuns } from '../../src/runDir/runReader';
import { RUN_FILES, type RunInfo } from '../../src/protocol/runFormat';

/**
 * A workspace folder under test/fixtures with one gan.json. The default is the ring example with
 * enough steps to still be training when stopped; `e2e-alarms-workspace` is a ring run made to fail.
 */
export function workspaceFixture(root: string, fixture = 'e2e-workspace'): string {
  return join(root, 'test', 'fixtures', fixture);
}

/** Copies a fixture workspace to `dest` (a fresh temp folder) and returns the gan.json in it. */
export function copyWorkspace(root: string, dest: string, fixture?: string): string {
  cpSync(workspaceFixture(root, fixture), dest, { recursive: true });
  return join(dest, 'gan.json');
}

/** Where `Train GAN` writes runs with the default `ganStudio.runsDir`. */
export function runsDir(workspace: string): string {
  return join(workspace, '.gan', 'runs');
}

/** Step 1: this edit makes the file invalid; the extension's diagnostic says so at the value. */
export const INVALID_EDIT = {
  key: 'batchSize',
  /** What is in the fixture and comes back after the fix. */
  valid: '256',
  invalid: '-4',
  /**
   * How Problems reports it. Schema violations are left to VS Code's JSON language server (from the
   * schema the extension contributes with jsonValidation), which words it this way and, by VS Code's
   * default, as a warning; GAN Studio's own diagnostic (source "GAN Studio") words it the other way.
   */
  problem: /below the minimum of 1|batchSize must be ≥ 1 \(got -4\)/,
  /** What Train GAN says when asked to train the invalid file. */
  refusal: /cannot train: .*batchSize must be ≥ 1 \(got -4\)/,
};

/** Step 2: completion on a new line inside this object offers these schema properties. */
export const COMPLETION = {
  insideObject: 'training',
  expect: ['dStepsPerGStep', 'labelSmoothing', 'ema'],
};

/** Step 3: the run has logged enough for every dashboard view to have something to draw. */
export const MIN_STEP_FOR_DASHBOARD = 300;

/** 1-based line and column of the first `"key": ` value in a JSON text, as Go to Line takes them. */
export function valuePosition(text: string, key: string): { line: number; column: number } {
  const lines = text.split('\n');
  const needle = `"${key}": `;
  for (let i = 0; i < lines.length; i++) {
    const at = lines[i].indexOf(needle);
    if (at >= 0) return { line: i + 1, column: at + needle.length + 1 };
  }
  throw new Error(`no "${key}" in the fixture gan.json`);
}

/** 1-based position just after the `{` that opens `"key": {`. */
export function objectOpenPosition(text: string, key: string): { line: number; column: number } {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = new RegExp(`"${key}"\\s*:\\s*\\{\\s*$`).exec(lines[i]);
    if (m) return { line: i + 1, column: lines[i].length + 1 };
  }
  throw new Error(`no "${key}": { on a line of its own in the fixture gan.json`);
}

export interface RunState {
  dir: string;
  info: RunInfo;
}

/** The runs in the workspace, oldest first; listRuns skips unreadable ones. */
export function runs(workspace: string): RunState[] {
  const dir = runsDir(workspace);
  if (!existsSync(dir)) return [];
  return listRuns(dir).sort((a, b) => a.info.createdAt.localeCompare(b.info.createdAt));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls the workspace's only run until `accept` holds. On timeout the error says what the run
 * looked like last, which is what tells "never started" from "started but stuck".
 */
export async function waitForRun(workspace: string, what: string, timeoutMs: number, accept: (info: RunInfo) => boolean): Promise<RunState> {
  const deadline = Date.now() + timeoutMs;
  let last: RunState[] = [];
  for (;;) {
    try {
      last = runs(workspace);
    } catch {
      /* a run folder appearing while listed */
    }
    if (last.length > 1) throw new Error(`expected one run in ${runsDir(workspace)}, found ${last.map((r) => r.info.id).join(', ')}`);
    if (last.length === 1 && accept(last[0].info)) return last[0];
    if (Date.now() > deadline) {
      const seen = last[0] ? JSON.stringify({ id: last[0].info.id, status: last[0].info.status, step: last[0].info.step, resumedAt: last[0].info.resumedAt, error: last[0].info.error }) : 'no run folder';
      throw new Error(`run: ${what}: timed out after ${Math.round(timeoutMs / 1000)} s; last seen ${seen}`);
    }
    await sleep(250);
  }
}

/** The config the run resolved and kept (config.json in the run folder), for checking the fix took. */
export function runConfig(runDir: string): Record<string, any> {
  return JSON.parse(readFileSync(join(runDir, RUN_FILES.config), 'utf8')) as Record<string, any>;
}
