/**
 * Checkpoints: G, D (and the EMA generator) in the standard tfjs layers format, both optimizers'
 * state, the step and the RNG state. A checkpoint is written into a temporary folder and renamed
 * into place, then `latest.json` is replaced atomically: a kill at any instant leaves the
 * previous checkpoint intact and pointed to. A write that fails (a full disk, a read-only file
 * system) throws RunIoError naming the file, removes what it had written and leaves latest.json
 * as it was: the last good checkpoint stays the one a resume loads.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunIoError, bestEffort, io, isTempName, toRunIoError, writeJsonAtomic } from '../runDir/durableFiles';
import { listCheckpoints, readLatestCheckpoint } from '../runDir/runReader';
import { check } from '../protocol/fields';
import { RUN_FILES, RUN_FORMAT_VERSION, checkpointDirName, checkpointState, type CheckpointState } from '../protocol/runFormat';

/** A file of a checkpoint being written; an I/O error becomes RunIoError naming it. */
function writeFile(path: string, data: string | Uint8Array): void {
  io('write', path, () => writeFileSync(path, data));
}

function toBuffer(data: tf.io.WeightData | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  const single = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
  return Buffer.from(single);
}

/** Saves a layers model as model.json + weights.bin, the layout tf.loadLayersModel reads. */
export async function saveLayersModel(model: tfl.LayersModel, dir: string): Promise<void> {
  io('create', dir, () => mkdirSync(dir, { recursive: true }));
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      writeFile(join(dir, 'weights.bin'), toBuffer(artifacts.weightData));
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
    }),
  );
}

/** An IO handler that reads a saved layers model from disk (tfjs-node's file:// without tfjs-node). */
export function fileModelHandler(dir: string): tf.io.IOHandler {
  return {
    load: () => {
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
      const specs = json.weightsManifest.flatMap((g) => g.weights);
      const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))));
      const all = Buffer.concat(buffers);
      return Promise.resolve({
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      });
    },
  };
}

export async function loadLayersModel(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(fileModelHandler(dir));
}

/** Weights of a saved model in save order (the order of model.weights), without rebuilding it. */
function readModelWeights(dir: string): tf.Tensor[] {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const data = readFileSync(join(dir, 'weights.bin'));
  const map = tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), specs);
  return specs.map((s) => map[s.name]);
}

/**
 * Adam keeps β1^t and β2^t as running products, but its setWeights recomputes them with pow(),
 * which differs in the last float32 bits. They are saved beside the slots and put back after
 * setWeights so that a resumed run continues bit for bit.
 */
type AdamInternals = { accBeta1?: tf.Variable; accBeta2?: tf.Variable };

async function saveOptimizer(opt: tf.Optimizer, dir: string, name: string): Promise<string> {
  const weights = await opt.getWeights();
  const { data, specs } = await tf.io.encodeWeights(weights);
  writeFile(join(dir, `${name}.bin`), toBuffer(data));
  const adam = opt as unknown as AdamInternals;
  const extra = adam.accBeta1 && adam.accBeta2 ? { accBeta1: adam.accBeta1.dataSync()[0], accBeta2: adam.accBeta2.dataSync()[0] } : {};
  writeFile(join(dir, `${name}.json`), JSON.stringify({ specs, ...extra }));
  return name;
}

async function loadOptimizer(opt: tf.Optimizer, dir: string, name: string): Promise<void> {
  const saved = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as {
    specs: tf.io.WeightsManifestEntry[];
    accBeta1?: number;
    accBeta2?: number;
  };
  const specs = saved.specs;
  if (specs.length === 0) return;
  const data = readFileSync(join(dir, `${name}.bin`));
  const map = tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), specs);
  // Optimizers restore their slots by position, so the spec order is what matters.
  await opt.setWeights(specs.map((s) => ({ name: s.name, tensor: map[s.name] })));
  const adam = opt as unknown as AdamInternals;
  if (saved.accBeta1 !== undefined && saved.accBeta2 !== undefined && adam.accBeta1 && adam.accBeta2) {
    tf.tidy(() => {
      adam.accBeta1!.assign(tf.scalar(saved.accBeta1!));
      adam.accBeta2!.assign(tf.scalar(saved.accBeta2!));
    });
  }
}

export interface Checkpointable {
  generator: tfl.LayersModel;
  discriminator: tfl.LayersModel;
  emaGenerator?: tfl.LayersModel;
  gOptimizer: tf.Optimizer;
  dOptimizer: tf.Optimizer;
}

function checkpointsDir(runDir: string): string {
  return join(runDir, RUN_FILES.checkpointsDir);
}

/**
 * Removes what a kill (or a failed write) left in checkpoints/: temporary checkpoint folders and
 * latest.json's temporary files.
 */
export function cleanStaleCheckpoints(runDir: string): void {
  const dir = checkpointsDir(runDir);
  if (!existsSync(dir)) return;
  for (const name of io('read', dir, () => readdirSync(dir))) {
    if (name.startsWith('.tmp-') || isTempName(name)) io('remove', join(dir, name), () => rmSync(join(dir, name), { recursive: true, force: true }));
  }
}

export async function saveCheckpoint(
  runDir: string,
  gan: Checkpointable,
  state: Omit<CheckpointState, 'formatVersion' | 'optimizers' | 'hasEma'>,
  keep: number,
): Promise<void> {
  const root = checkpointsDir(runDir);
  const name = checkpointDirName(state.step);
  const tmp = join(root, `.tmp-${name}-${process.pid}`);
  const final = join(root, name);
  let placed = false;
  let committed = false;
  try {
    await writeCheckpoint(tmp, gan, state);
    io('remove', final, () => rmSync(final, { recursive: true, force: true }));
    io('write', final, () => renameSync(tmp, final));
    placed = true;
    writeJsonAtomic(join(root, RUN_FILES.latestCheckpoint), { step: state.step, dir: name, time: new Date().toISOString() });
    committed = true;
  } catch (err) {
    // A file of the temporary folder is named as the checkpoint's, where a person would look.
    const fault = toRunIoError(err);
    if (fault && fault.path.startsWith(tmp)) throw new RunIoError(fault.op, final + fault.path.slice(tmp.length), fault.code, { cause: err });
    throw err;
  } finally {
    if (!committed) {
      // latest.json still names the previous checkpoint; what was written of this one only takes
      // space (on a full disk, the space run.json needs to say the run failed).
      bestEffort(() => rmSync(tmp, { recursive: true, force: true }));
      if (placed) bestEffort(() => rmSync(final, { recursive: true, force: true }));
    }
  }
  for (const step of listCheckpoints(runDir).slice(0, -keep)) {
    const old = join(root, checkpointDirName(step));
    if (step !== state.step) io('remove', old, () => rmSync(old, { recursive: true, force: true }));
  }
}

/** A checkpoint's files into the folder `tmp`, state.json last. */
async function writeCheckpoint(tmp: string, gan: Checkpointable, state: Omit<CheckpointState, 'formatVersion' | 'optimizers' | 'hasEma'>): Promise<void> {
  io('remove', tmp, () => rmSync(tmp, { recursive: true, force: true }));
  io('create', tmp, () => mkdirSync(tmp, { recursive: true }));
  await saveLayersModel(gan.generator, join(tmp, 'generator'));
  await saveLayersModel(gan.discriminator, join(tmp, 'discriminator'));
  if (gan.emaGenerator) await saveLayersModel(gan.emaGenerator, join(tmp, 'generator-ema'));
  const full: CheckpointState = {
    formatVersion: RUN_FORMAT_VERSION,
    ...state,
    optimizers: { generator: await saveOptimizer(gan.gOptimizer, tmp, 'optimizer-generator'), discriminator: await saveOptimizer(gan.dOptimizer, tmp, 'optimizer-discriminator') },
    hasEma: gan.emaGenerator !== undefined,
  };
  // state.json last: a checkpoint folder is complete exactly when it has one.
  writeFile(join(tmp, 'state.json'), JSON.stringify(full, null, 2));
}

export class CheckpointError extends Error {}

/** The checkpoint folder for a step, or the latest complete one. */
export function checkpointPath(runDir: string, step?: number): { dir: string; step: number } {
  if (step !== undefined) {
    const dir = join(checkpointsDir(runDir), checkpointDirName(step));
    if (!existsSync(join(dir, 'state.json'))) {
      const have = listCheckpoints(runDir);
      throw new CheckpointError(`${runDir}: no checkpoint at step ${step} (available: ${have.length ? have.join(', ') : 'none'})`);
    }
    return { dir, step };
  }
  const latest = readLatestCheckpoint(runDir);
  if (latest) return { dir: join(checkpointsDir(runDir), latest.dir), step: latest.step };
  // latest.json may be missing if a kill came between the rename and its update.
  const all = listCheckpoints(runDir);
  if (all.length === 0) throw new CheckpointError(`${runDir}: the run has no checkpoint yet`);
  const last = all[all.length - 1];
  return { dir: join(checkpointsDir(runDir), checkpointDirName(last)), step: last };
}

export async function loadCheckpoint(runDir: string, gan: Checkpointable, step?: number): Promise<CheckpointState> {
  const { dir } = checkpointPath(runDir, step);
  const statePath = join(dir, 'state.json');
  const parsed = check(checkpointState, JSON.parse(readFileSync(statePath, 'utf8')));
  if (!parsed.ok) throw new CheckpointError(`${statePath}: not a GAN Studio checkpoint state (${parsed.reason})`);
  const state = parsed.value;
  const restore = (model: tfl.LayersModel, sub: string) => {
    const weights = readModelWeights(join(dir, sub));
    if (weights.length !== model.weights.length) {
      throw new CheckpointError(`${join(dir, sub)}: has ${weights.length} weights but the configured model has ${model.weights.length}; was config.json edited?`);
    }
    model.setWeights(weights);
    tf.dispose(weights);
  };
  restore(gan.generator, 'generator');
  restore(gan.discriminator, 'discriminator');
  if (gan.emaGenerator) restore(gan.emaGenerator, state.hasEma ? 'generator-ema' : 'generator');
  await loadOptimizer(gan.gOptimizer, dir, state.optimizers.generator);
  await loadOptimizer(gan.dOptimizer, dir, state.optimizers.discriminator);
  return state;
}
