/**
 * The programs GAN Studio may start besides its trainer: npm (to install the native TensorFlow
 * backend) and TensorBoard. No vscode import here, so unit tests run these against real
 * processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** An executable on PATH (with Windows' extensions), or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? '').split(delimiter).filter((d) => d !== '');
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').map((e) => e.toLowerCase()) : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      try {
        if (!statSync(candidate).isFile()) continue;
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Where the install command puts tfjs-node: a folder whose node_modules the trainer searches. */
export function nativePackageDir(nativeRoot: string): string {
  return join(nativeRoot, 'node_modules', '@tensorflow', 'tfjs-node');
}

export interface NativeInstallOptions {
  npm: string;
  /** The folder to install into (the extension's global storage/native). */
  root: string;
  /** The @tensorflow/tfjs-core version of the trainer bundle: tfjs-node must match it. */
  version: string;
  log: (line: string) => void;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export type NativeInstallResult = { ok: true; packageDir: string } | { ok: false; reason: string; cancelled?: boolean };

/**
 * npm's output is long; the reason a person needs is the last error of the install script (the
 * libtensorflow download) or npm's own summary line.
 */
export function npmFailureReason(output: string, version: string): string {
  const lines = output.split(/\r?\n/).map((l) => l.replace(/^npm (error|ERR!)\s?/, '').trim()).filter((l) => l !== '');
  const what = `npm could not install @tensorflow/tfjs-node@${version}`;
  const downloading = lines.some((l) => /Downloading libtensorflow/i.test(l));
  const url = lines.find((l) => /^https?:\/\/\S*libtensorflow\S*$/.test(l));
  const err = [...lines].reverse().find((l) => /^(Error|[A-Za-z]*Error):/.test(l));
  if (downloading) {
    return `${what}: its install script downloads libtensorflow${url ? ` from ${url}` : ''}, and that failed${err ? ` (${err.replace(/^Error:\s*/, '')})` : ''}. This happens offline, behind some proxies and on platforms without a prebuilt TensorFlow`;
  }
  const summary = [...lines].reverse().find((l) => /^(code|E[A-Z0-9]+|404|403|notarget|network)\b/i.test(l)) ?? err ?? lines[lines.length - 1];
  return `${what}${summary ? `: ${summary}` : ''}`;
}

/**
 * `npm install @tensorflow/tfjs-node@version` into root. A failed or cancelled install leaves no
 * half-installed package behind, so the trainer never tries to load one.
 */
export function installNative(o: NativeInstallOptions): Promise<NativeInstallResult> {
  mkdirSync(o.root, { recursive: true });
  const manifest = join(o.root, 'package.json');
  if (!existsSync(manifest)) writeFileSync(manifest, `${JSON.stringify({ name: 'gan-studio-native-backend', private: true, description: 'tfjs-node for GAN Studio' }, null, 2)}\n`);
  const args = ['install', '--no-audit', '--no-fund', '--no-save', '--omit=dev', '--prefix', o.root, `@tensorflow/tfjs-node@${o.version}`];
  o.log(`$ ${o.npm} ${args.join(' ')}`);
  return new Promise((resolvePromise) => {
    let output = '';
    let child: ChildProcess;
    try {
      child = spawn(o.npm, args, { cwd: o.root, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    } catch (err) {
      resolvePromise({ ok: false, reason: `could not start npm (${o.npm}): ${(err as Error).message}` });
      return;
    }
    const take = (d: Buffer) => {
      const text = d.toString('utf8');
      output += text;
      for (const line of text.split(/\r?\n/)) if (line.trim() !== '') o.log(line);
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    const onAbort = () => child.kill('SIGTERM');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => resolvePromise({ ok: false, reason: `could not start npm (${o.npm}): ${err.message}` }));
    child.on('close', (code) => {
      o.signal?.removeEventListener('abort', onAbort);
      const pkg = nativePackageDir(o.root);
      if (code === 0 && existsSync(join(pkg, 'package.json')) && !o.signal?.aborted) {
        resolvePromise({ ok: true, packageDir: pkg });
        return;
      }
      rmSync(pkg, { recursive: true, force: true });
      if (o.signal?.aborted) resolvePromise({ ok: false, cancelled: true, reason: 'the install was cancelled' });
      else resolvePromise({ ok: false, reason: code === 0 ? `npm finished but ${pkg} is missing` : npmFailureReason(output, o.version) });
    });
  });
}

export type TensorBoardChoice = { kind: 'program'; exe: string } | { kind: 'extension' } | { kind: 'missing'; message: string };

/**
 * Which TensorBoard "Open in TensorBoard" uses: the ganStudio.tensorboard.path setting when set
 * (a wrong one is reported, not silently replaced), else `tensorboard` on PATH, else the
 * TensorBoard extension; otherwise a message that says what is missing and how to get it.
 */
export function chooseTensorBoard(o: { setting: string; exists: (p: string) => boolean; onPath: string | undefined; extensionInstalled: boolean; extensionId: string; logdir: string }): TensorBoardChoice {
  const setting = o.setting.trim();
  if (setting) {
    if (o.exists(setting)) return { kind: 'program', exe: setting };
    return { kind: 'missing', message: `ganStudio.tensorboard.path names "${setting}", which does not exist; fix the setting, or clear it to use tensorboard from PATH or the TensorBoard extension` };
  }
  if (o.onPath) return { kind: 'program', exe: o.onPath };
  if (o.extensionInstalled) return { kind: 'extension' };
  return {
    kind: 'missing',
    message: `TensorBoard is not available: no "tensorboard" on PATH (set ganStudio.tensorboard.path if it is elsewhere) and the TensorBoard extension (${o.extensionId}) is not installed. Install one (pip install tensorboard), or run: tensorboard --logdir "${o.logdir}"`,
  };
}

export interface TensorBoardProcess {
  readonly url: string;
  readonly logdir: string;
  readonly process: ChildProcess;
  stop(): void;
}

/**
 * Starts `tensorboard --logdir DIR` and resolves with the address it prints ("TensorBoard
 * 2.x at http://localhost:PORT/ (Press CTRL+C to quit)"), or rejects with its last words.
 */
export function startTensorBoard(exe: string, logdir: string, opts: { timeoutMs?: number; log?: (line: string) => void } = {}): Promise<TensorBoardProcess> {
  // TensorBoard takes 6006, or the next free port, and prints the address it serves.
  const args = ['--logdir', logdir, '--host', '127.0.0.1'];
  opts.log?.(`$ ${exe} ${args.join(' ')}`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGTERM');
      reject(new Error(`TensorBoard printed no address within ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s${output ? `: ${lastLine(output)}` : ''}`));
    }, opts.timeoutMs ?? 60_000);
    const take = (d: Buffer) => {
      const text = d.toString('utf8');
      output += text;
      for (const line of text.split(/\r?\n/)) if (line.trim() !== '') opts.log?.(line);
      const m = /(https?:\/\/[^\s]+:\d+\/?)/.exec(output);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        resolvePromise({ url: m[1], logdir, process: child, stop: () => child.kill('SIGTERM') });
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`could not start ${exe}: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`TensorBoard exited (${signal ?? `code ${code}`}) before it served${output ? `: ${lastLine(output)}` : ''}`));
    });
  });
}

/** The line that says what went wrong: the last error line (a stack ends in others), else the last. */
function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  return [...lines].reverse().find((l) => /^[\w.]*(Error|Exception)\b|\berror\b/i.test(l) && !/^at /.test(l)) ?? lines[lines.length - 1] ?? '';
}
