/**
 * Forks: a new run that continues from a checkpoint of another, with edits. The fork's folder
 * gets the parent's effective config at that checkpoint as its config.json, a copy of the
 * checkpoint, the parent's real reference sample, and events.jsonl with one edit per `--set`
 * (source "fork") at the fork step; run.json names the parent. Training it is a resume: the
 * edits replay at the fork step, and a fork without edits continues exactly as its parent did.
 * The folder is put together under a temporary name and renamed into place, so a kill leaves no
 * half fork behind.
 */
import { copyFileSync, cpSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EditError, applyEdit, effectiveConfig } from '../analysis/liveEdits';
import { serializeResolvedConfig } from '../config/validateConfig';
import { RUN_FILES, RUN_FORMAT_VERSION, checkpointDirName, type RunEvent, type RunInfo } from '../protocol/runFormat';
import { appendJsonl, bestEffort, io, makeDirs, writeFileAtomic, writeJsonAtomic } from '../runDir/durableFiles';
import { loadRunConfig, readEvents, readRunInfo } from '../runDir/runReader';
import { CheckpointError, checkpointPath } from './checkpoint';
import { InputError } from './inputError';

export interface ForkOptions {
  /** The checkpoint to fork from; default the latest. */
  step?: number;
  /** Edits (JSON pointer → value) applied at the fork step, in order. */
  sets?: Readonly<Record<string, unknown>>;
  /** The fork's total steps; default the parent's. */
  steps?: number;
  /** Where the fork's folder goes; default beside the parent. */
  runsDir?: string;
}

/** Creates the fork's folder (not yet trained) and returns its path. Bad input throws InputError. */
export function createFork(parentDir: string, opts: ForkOptions = {}): string {
  const parent = resolve(parentDir);
  let info: RunInfo;
  let checkpoint: { dir: string; step: number };
  try {
    info = readRunInfo(parent);
    checkpoint = checkpointPath(parent, opts.step);
  } catch (err) {
    if (err instanceof CheckpointError || (err as Error).name === 'RunReadError') throw new InputError((err as Error).message);
    throw err;
  }
  const step = checkpoint.step;
  let config;
  let events: RunEvent[];
  try {
    config = loadRunConfig(parent);
    events = readEvents(parent);
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  const statePath = join(checkpoint.dir, 'state.json');
  const state = JSON.parse(io('read', statePath, () => readFileSync(statePath, 'utf8'))) as { events?: number } & Record<string, unknown>;
  // What was in effect at the checkpoint: the starting config with the events it holds.
  let effective = effectiveConfig(config, events, Math.min(state.events ?? 0, events.length));
  const totalSteps = opts.steps ?? info.totalSteps;
  if (totalSteps <= step) throw new InputError(`--steps ${totalSteps}: the fork starts at step ${step}; pass --steps N with N > ${step}`);
  effective = { ...effective, training: { ...effective.training, steps: totalSteps } };
  const start = effective;

  const now = Date.now();
  const forkEvents: RunEvent[] = [];
  for (const [pointer, value] of Object.entries(opts.sets ?? {})) {
    try {
      const edit = applyEdit(effective, pointer, value);
      effective = edit.config;
      forkEvents.push({ kind: 'edit', seq: forkEvents.length, step, time: now, source: 'fork', pointer: edit.pointer, old: edit.old, value: edit.value });
    } catch (err) {
      if (err instanceof EditError) throw new InputError(`--set ${err.message}`);
      throw err;
    }
  }

  const runsDir = resolve(opts.runsDir ?? dirname(parent));
  makeDirs(runsDir);
  const base = `${info.id}-fork${step}`;
  let id = base;
  for (let i = 2; existsSync(join(runsDir, id)); i++) id = `${base}-${i}`;
  const final = join(runsDir, id);
  const tmp = join(runsDir, `.tmp-fork-${id}-${process.pid}`);
  try {
    makeDirs(join(tmp, RUN_FILES.samplesDir));
    const ckptDir = join(tmp, RUN_FILES.checkpointsDir, checkpointDirName(step));
    io('write', ckptDir, () => cpSync(checkpoint.dir, ckptDir, { recursive: true }));
    // The fork's own events start from none applied.
    writeFileAtomic(join(ckptDir, 'state.json'), JSON.stringify({ ...state, events: 0 }, null, 2));
    writeJsonAtomic(join(tmp, RUN_FILES.checkpointsDir, RUN_FILES.latestCheckpoint), { step, dir: checkpointDirName(step), time: new Date(now).toISOString() });
    for (const name of ['real.json', 'real.png']) {
      const from = join(parent, RUN_FILES.samplesDir, name);
      if (existsSync(from)) io('write', join(tmp, RUN_FILES.samplesDir, name), () => copyFileSync(from, join(tmp, RUN_FILES.samplesDir, name)));
    }
    writeFileAtomic(join(tmp, RUN_FILES.config), serializeResolvedConfig(start));
    if (forkEvents.length > 0) appendJsonl(join(tmp, RUN_FILES.events), forkEvents);
    const stamp = new Date(now).toISOString();
    const run: RunInfo = {
      formatVersion: RUN_FORMAT_VERSION,
      id,
      name: info.name,
      status: 'stopped',
      configPath: info.configPath,
      backend: info.backend,
      seed: info.seed,
      dataKind: info.dataKind,
      dataDim: info.dataDim,
      ...(info.imageShape ? { imageShape: info.imageShape } : {}),
      ...(info.output ? { output: info.output } : {}),
      ...(info.layers ? { layers: info.layers } : {}),
      step,
      totalSteps,
      checkpointStep: step,
      createdAt: stamp,
      updatedAt: stamp,
      endedAt: stamp,
      trainingMs: typeof state.trainingMs === 'number' ? state.trainingMs : 0,
      parent: { runId: info.id, runDir: parent, step },
    };
    writeJsonAtomic(join(tmp, RUN_FILES.run), run);
    io('write', final, () => renameSync(tmp, final));
  } catch (err) {
    bestEffort(() => rmSync(tmp, { recursive: true, force: true }));
    throw err;
  }
  return final;
}
