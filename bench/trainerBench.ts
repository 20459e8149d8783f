/**
 * `gan-studio bench`: ms per training step of two reference GANs on each available TensorFlow.js
 * backend, side by side with PyTorch on the same machine when `/usr/bin/python3` has torch.
 *
 * The two steps are mirrored line for line in bench/torch_gan.py; change both or neither.
 *
 * Reference DCGAN (MNIST-sized, batch 64, z 64), `../shared/environment.md`:
 *   G: z[64] → dense 3136 (no bias) → BN → LeakyReLU(0.2) → reshape [7,7,64]
 *      → convT 32 5×5 s2 same (no bias) → BN → LeakyReLU(0.2) → [14,14,32]
 *      → convT 1 5×5 s2 same (bias) → tanh → [28,28,1]
 *   D: [28,28,1] → conv 32 5×5 s2 same → LeakyReLU(0.2) → [14,14,32]
 *      → conv 64 5×5 s2 same → LeakyReLU(0.2) → [7,7,64] → flatten → dense 1 (logit)
 *   Adam 2e-4, β1 0.5. BN momentum 0.9 (torch: 0.1), batch statistics in training.
 *
 * Ring MLP GAN (2-D points, batch 256, z 2):
 *   G: z[2] → dense 128 ReLU → dense 128 ReLU → dense 2
 *   D: [2] → dense 128 LeakyReLU(0.2) → dense 128 LeakyReLU(0.2) → dense 1 (logit)
 *   Adam 1e-3, β1 0.5.
 *
 * One step, both models, as the trainer (src/trainer/gan.ts) does it: one D update on a real batch
 * and a fake batch G(z), then one G update on fresh noise, G(z′) through the updated D. So G runs
 * forward twice per step, on both sides (PyTorch: the D half under no_grad). PyTorch's DCGAN
 * example instead keeps the graph of G(z) and reuses it for the G update (one G forward less);
 * tfjs cannot keep a tape across the D update, and the trainer draws fresh noise anyway. The peer's
 * time for that variant is printed as well, for reference. Non-saturating loss on logits:
 *   L_D = mean softplus(−D(x)) + mean softplus(D(G(z))),   L_G = mean softplus(−D(G(z′))).
 * Only the updated network's gradients are computed in each half (torch: requires_grad off for D
 * during the G half; tfjs: kernels/lazyFusedGradients.ts skips the gradients tfjs-core's fused
 * conv/matMul would compute and drop), and the losses are read back every step, as a trainer
 * that logs each step does.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { resolveConfig } from '../src/config/validateConfig';
import { defaultWasmDir, initBackend } from '../src/trainer/backend';
import { Gan } from '../src/trainer/gan';
import { FusedAdamOptimizer } from '../src/trainer/kernels/fusedAdam';
import type { DataShape } from '../src/trainer/models';
import { WorkerReplica } from '../src/trainer/replicas';
import { Rng } from '../src/trainer/rng';

export interface BenchOptions {
  /** Timed steps per round, model and backend, after the warm-up steps. */
  steps?: number;
  /** Rounds: the ratio to the peer is taken per round, and its median is the figure (spread beside it). */
  rounds?: number;
  /** Backends to measure. Default: every one available, with the cpu DCGAN skipped. */
  backends?: string[];
  log?: (line: string) => void;
  /** Folder with the tfjs-backend-wasm `.wasm` binaries; default: found by initBackend. */
  wasmDir?: string;
  /** The PyTorch peer script; default: bench/torch_gan.py next to the bundle or in the cwd. */
  torchScript?: string;
  /** Print this many of the most expensive kernels of the wasm DCGAN step. */
  profileTop?: number;
}

const WARMUP_STEPS = 2;
const DEFAULT_STEPS = 20;
/**
 * A ratio from one block of 20 steps swung by 1.7× from run to run on a shared machine: the load
 * moves both sides, differently. Several rounds give a median and a spread to judge it by.
 */
const DEFAULT_ROUNDS = 5;
/** The pure-JS cpu backend needs minutes for a few DCGAN steps; measured 138 s/step here. */
const CPU_DCGAN_SECONDS_PER_STEP = 138;
const CPU_STEPS = 3;
const TORCH_MISSING = 'PyTorch: missing (apt-get install python3-torch libopenblas0-pthread)';
const PYTHON = '/usr/bin/python3';
const LEAKY_ALPHA = 0.2;
const BN_MOMENTUM = 0.9;

interface GanStep {
  /** Runs one D update then one G update; returns [lossD, lossG] read back from the backend. */
  step(): [number, number] | Promise<[number, number]>;
  dispose(): void;
}

/** Non-saturating losses on logits: softplus(−l) is −log σ(l), softplus(l) is −log(1 − σ(l)). */
function dLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return tf.add(tf.mean(tf.softplus(tf.neg(realLogits))), tf.mean(tf.softplus(fakeLogits)));
}
function gLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.mean(tf.softplus(tf.neg(fakeLogits)));
}

function trainableVars(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** The shared D-then-G step over any pair of models; `real` and `noise` stay on the backend. */
function ganStep(g: tfl.Sequential, d: tfl.Sequential, lr: number, real: () => tf.Tensor, noise: () => tf.Tensor): GanStep {
  // The trainer's Adam (one fused kernel per variable on wasm and cpu, bit for bit tfjs's).
  const optD = new FusedAdamOptimizer(lr, 0.5, 0.999);
  const optG = new FusedAdamOptimizer(lr, 0.5, 0.999);
  const dVars = trainableVars(d);
  const gVars = trainableVars(g);
  const apply = (m: tfl.Sequential, x: tf.Tensor) => m.apply(x, { training: true }) as tf.Tensor;
  return {
    step() {
      const z = noise();
      const x = real();
      const ld = optD.minimize(() => dLoss(apply(d, x), apply(d, apply(g, z))), true, dVars)!;
      const z2 = noise();
      const lg = optG.minimize(() => gLoss(apply(d, apply(g, z2))), true, gVars)!;
      const out: [number, number] = [ld.dataSync()[0], lg.dataSync()[0]];
      tf.dispose([z, z2, x, ld, lg]);
      return out;
    },
    dispose() {
      optD.dispose();
      optG.dispose();
      g.dispose();
      d.dispose();
    },
  };
}

export function buildDcganStep(batch = 64, latent = 64): GanStep {
  const g = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [latent], units: 7 * 7 * 64, useBias: false }),
      tfl.layers.batchNormalization({ momentum: BN_MOMENTUM }),
      tfl.layers.leakyReLU({ alpha: LEAKY_ALPHA }),
      tfl.layers.reshape({ targetShape: [7, 7, 64] }),
      tfl.layers.conv2dTranspose({ filters: 32, kernelSize: 5, strides: 2, padding: 'same', useBias: false }),
      tfl.layers.batchNormalization({ momentum: BN_MOMENTUM }),
      tfl.layers.leakyReLU({ alpha: LEAKY_ALPHA }),
      tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 5, strides: 2, padding: 'same', activation: 'tanh' }),
    ],
  });
  const d = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 5, strides: 2, padding: 'same' }),
      tfl.layers.leakyReLU({ alpha: LEAKY_ALPHA }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 5, strides: 2, padding: 'same' }),
      tfl.layers.leakyReLU({ alpha: LEAKY_ALPHA }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 1 }),
    ],
  });
  // Timing does not depend on pixel values; a fixed batch in tanh's range keeps data loading out.
  const images = tf.randomUniform([batch, 28, 28, 1], -1, 1);
  return wrapData(ganStep(g, d, 2e-4, () => images.clone(), () => tf.randomNormal([batch, latent])), images);
}

export function buildRingStep(batch = 256, latent = 2): GanStep {
  const g = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [latent], units: 128, activation: 'relu' }),
      tfl.layers.dense({ units: 128, activation: 'relu' }),
      tfl.layers.dense({ units: 2 }),
    ],
  });
  const d = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [2], units: 128 }),
      tfl.layers.leakyReLU({ alpha: LEAKY_ALPHA }),
      tfl.layers.dense({ units: 128 }),
      tfl.layers.leakyReLU({ alpha: LEAKY_ALPHA }),
      tfl.layers.dense({ units: 1 }),
    ],
  });
  // Points on the unit circle with a little noise, sampled fresh each step as the ring example does.
  const real = () =>
    tf.tidy(() => {
      const angle = tf.randomUniform([batch, 1], 0, 2 * Math.PI);
      return tf.add(tf.concat([tf.cos(angle), tf.sin(angle)], 1), tf.randomNormal([batch, 2], 0, 0.05));
    });
  return ganStep(g, d, 1e-3, real, () => tf.randomNormal([batch, latent]));
}

/**
 * The same two GANs as the trainer runs them (src/trainer/gan.ts, with its statistics and
 * read-backs), optionally data-parallel over worker threads (src/trainer/replicas.ts).
 */
export async function buildTrainerStep(model: Model, workers: number, backend: BackendName, wasmDir?: string, batch = model === 'dcgan' ? 64 : 256): Promise<GanStep> {
  const adam = (learningRate: number) => ({ type: 'adam', learningRate, beta1: 0.5 });
  const raw =
    model === 'dcgan'
      ? {
          data: { type: 'mnist' },
          generator: { preset: 'dcgan', latentDim: 64, filters: 64, activation: 'leakyRelu', batchNorm: true, outputActivation: 'tanh' },
          discriminator: { preset: 'dcgan', filters: 32, activation: 'leakyRelu', batchNorm: false },
          training: { batchSize: batch, workers, generatorOptimizer: adam(2e-4), discriminatorOptimizer: adam(2e-4) },
        }
      : {
          data: { type: 'ring' },
          generator: { latentDim: 2, hidden: [128, 128], activation: 'relu', batchNorm: false, outputActivation: 'linear' },
          discriminator: { hidden: [128, 128], activation: 'leakyRelu' },
          training: { batchSize: batch, workers, generatorOptimizer: adam(1e-3), discriminatorOptimizer: adam(1e-3) },
        };
  const config = resolveConfig(raw as Parameters<typeof resolveConfig>[0]);
  const shape: DataShape = model === 'dcgan' ? { dim: 784, imageShape: [28, 28, 1] } : { dim: 2 };
  const rng = new Rng(1);
  const gan = new Gan(config, shape);
  if (workers > 1) await gan.startReplicas(workers - 1, (index) => WorkerReplica.start(index, { config, data: shape, backend, wasmDir }));
  // As in the standalone steps, a fixed real batch keeps data loading out of the timing.
  const real = rng.fillUniform(new Float32Array(config.training.batchSize * shape.dim), -1, 1);
  return {
    async step() {
      const r = await gan.step(() => real.slice(), rng, false);
      return [r.stats.dLoss, r.stats.gLoss];
    },
    dispose: () => gan.dispose(),
  };
}

function wrapData(step: GanStep, data: tf.Tensor): GanStep {
  return { step: () => step.step(), dispose: () => (step.dispose(), data.dispose()) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times `n` steps; losses are checked to be finite so that a broken kernel cannot look fast.
 * process.cpuUsage counts every thread of the process, worker replicas included.
 */
async function timeBlock(s: GanStep, n: number, cpuMs?: number[]): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const losses = await s.step();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs?.push((c.user + c.system) / 1000);
    if (!losses.every(Number.isFinite)) throw new Error(`bench: a loss became ${losses.join(', ')} on ${tf.getBackend()}`);
  }
  return times;
}

export interface KernelTime {
  name: string;
  ms: number;
  calls: number;
  /** Multiply-adds counted as 2 flops; 0 for kernels without a dense inner product. */
  flops: number;
}

const size = (shape: number[] | undefined) => tf.util.sizeFromShape(shape ?? []);

/**
 * The useful flops of one kernel call, from its shapes alone (tf.profile records no attributes):
 * a conv and both of its gradients are 2·N·Ho·Wo·Co·Kh·Kw·Ci (padding counted as the kernel does
 * the work), a matMul 2·b·m·n·k with k from the size of `a`, whichever operand was transposed.
 */
export function kernelFlops(name: string, inputShapes: (number[] | undefined)[], outputShapes: (number[] | undefined)[]): number {
  const out = outputShapes[0] ?? [];
  switch (name) {
    case 'Conv2D':
    case 'FusedConv2D': {
      const filter = inputShapes[1] ?? [];
      return 2 * size(out) * size(filter.slice(0, 3));
    }
    case 'Conv2DBackpropInput': {
      // inputs: dy [N,Ho,Wo,Co], filter [Kh,Kw,Ci,Co]
      const [dy, filter] = [inputShapes[0] ?? [], inputShapes[1] ?? []];
      return 2 * size(dy) * size(filter.slice(0, 3));
    }
    case 'Conv2DBackpropFilter': {
      // inputs: x, dy [N,Ho,Wo,Co]; output: dW [Kh,Kw,Ci,Co]
      const dy = inputShapes[1] ?? [];
      return 2 * size(dy) * size(out.slice(0, 3));
    }
    case 'BatchMatMul':
    case '_FusedMatMul': {
      if (out.length < 2) return 0;
      const rowsOfA = size(out.slice(0, -1));
      return 2 * size(out) * (size(inputShapes[0]) / rowsOfA);
    }
    default:
      return 0;
  }
}

/**
 * One core's peak in GFLOP/s for 128-bit wasm SIMD without FMA: 16 flops per cycle (two 4-wide
 * multiplies and two 4-wide adds), at the clock /proc/cpuinfo reports; undefined when unknown.
 */
export function wasmPeakGflops(): { gflops: number; ghz: number } | undefined {
  try {
    const mhz = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (!mhz) return undefined;
    const ghz = Number(mhz[1]) / 1000;
    return { gflops: 16 * ghz, ghz };
  } catch {
    return undefined;
  }
}

/** Kernel time of one step, summed per kernel name, most expensive first. */
export async function profileStep(build: () => GanStep, warmup = WARMUP_STEPS): Promise<{ totalMs: number; kernels: KernelTime[] }> {
  const s = build();
  try {
    for (let i = 0; i < warmup; i++) await s.step();
    const info = await tf.profile(async () => {
      await s.step();
    });
    const byName = new Map<string, KernelTime>();
    for (const k of info.kernels) {
      // `xyz__op` records are op scopes (custom-gradient ops) whose kernel is listed separately.
      if (k.name.endsWith('__op')) continue;
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      const e = byName.get(k.name) ?? { name: k.name, ms: 0, calls: 0, flops: 0 };
      e.ms += ms;
      e.calls += 1;
      e.flops += kernelFlops(k.name, k.inputShapes, k.outputShapes);
      byName.set(k.name, e);
    }
    const kernels = [...byName.values()].sort((a, b) => b.ms - a.ms);
    return { totalMs: kernels.reduce((a, k) => a + k.ms, 0), kernels };
  } finally {
    s.dispose();
  }
}

type Model = 'dcgan' | 'ring';

/**
 * The PyTorch peer as a long-lived child that times blocks of steps on request, so that its
 * blocks alternate with ours and both see the same background load (on a shared 2-core machine
 * a neighbour's job can double either side's time).
 */
class TorchPeer {
  private readonly pending: ((line: string) => void)[] = [];
  private exited: string | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams, readonly version: string) {}

  static async start(script: string): Promise<TorchPeer> {
    const child = spawn(PYTHON, [script, '--serve', '--warmup', String(WARMUP_STEPS)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const lines = createInterface({ input: child.stdout });
    const first = new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`bench: ${script} exited (${code}) before answering: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)));
    });
    const version = (JSON.parse(await first) as { torch: string }).torch;
    const p = new TorchPeer(child, version);
    lines.on('line', (line) => p.pending.shift()?.(line));
    child.on('exit', (code) => {
      p.exited = `exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
      for (const resolve of p.pending.splice(0)) resolve('');
    });
    return p;
  }

  /** `reuse`: the PyTorch-example variant that reuses G(z) for the G update (see the top comment). */
  async time(model: Model, threads: number, steps: number, reuse = false): Promise<number[]> {
    return (await this.timeWithCpu(model, threads, steps, reuse)).ms;
  }

  /** Wall and process CPU ms per step (the peer's process_time, all its threads). */
  async timeWithCpu(model: Model, threads: number, steps: number, reuse = false): Promise<{ ms: number[]; cpuMs: number[] }> {
    if (this.exited) throw new Error(`bench: the PyTorch peer ${this.exited}`);
    const line = await new Promise<string>((resolve) => {
      this.pending.push(resolve);
      this.child.stdin.write(`${JSON.stringify({ model, threads, steps, reuse })}\n`);
    });
    if (!line) throw new Error(`bench: the PyTorch peer ${this.exited ?? 'stopped answering'}`);
    const r = JSON.parse(line) as { ms: number[]; cpu_ms?: number[] };
    return { ms: r.ms, cpuMs: r.cpu_ms ?? [] };
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

function findTorchScript(explicit?: string): string | undefined {
  const candidates = explicit ? [explicit] : [join(__dirname, '..', 'bench', 'torch_gan.py'), join(process.cwd(), 'bench', 'torch_gan.py')];
  return candidates.find((p) => existsSync(p));
}

function hasTorch(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
  return r.status === 0;
}

function fmt(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

function fmtTimes(times: number[]): string {
  return `${fmt(median(times))}/step (median of ${times.length}; min ${fmt(Math.min(...times))}, max ${fmt(Math.max(...times))})`;
}

function tfjsNodeLoads(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

type BackendName = 'tensorflow' | 'wasm' | 'cpu';
const LABEL: Record<Model, string> = { dcgan: 'DCGAN', ring: 'ring-MLP' };
/** The per-round ratios of our step to the peer's: their median, min and max. */
interface RoundRatios {
  median: number;
  min: number;
  max: number;
  /** Median CPU-time ratio over the rounds. */
  cpu: number;
  /** Load average (1 min) at the start of each round. */
  load: number[];
}

function roundRatios(rounds: { ours: number[]; torch: number[]; oursCpu: number[]; torchCpu: number[]; load: number }[]): RoundRatios | undefined {
  const timed = rounds.filter((r) => r.ours.length > 0 && r.torch.length > 0);
  if (timed.length === 0) return undefined;
  const wall = timed.map((r) => median(r.ours) / median(r.torch));
  const cpu = timed.filter((r) => r.oursCpu.length && r.torchCpu.length).map((r) => median(r.oursCpu) / median(r.torchCpu));
  return { median: median(wall), min: Math.min(...wall), max: Math.max(...wall), cpu: cpu.length ? median(cpu) : NaN, load: timed.map((r) => r.load) };
}

function fmtRounds(r: RoundRatios): string {
  return `${r.median.toFixed(2)} (median of ${r.load.length} rounds, min ${r.min.toFixed(2)}, max ${r.max.toFixed(2)}; CPU-time ratio ${r.cpu.toFixed(2)}; load average ${Math.min(...r.load).toFixed(1)}–${Math.max(...r.load).toFixed(1)})`;
}

export async function runBench(opts: BenchOptions = {}): Promise<void> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const steps = Math.max(1, opts.steps ?? DEFAULT_STEPS);
  const roundCount = Math.max(1, opts.rounds ?? DEFAULT_ROUNDS);
  const explicit = opts.backends !== undefined;
  const wanted = (opts.backends ?? ['tensorflow', 'wasm', 'cpu']) as BackendName[];
  for (const b of wanted) {
    if (!['tensorflow', 'wasm', 'cpu'].includes(b)) throw new Error(`bench: unknown backend "${b}" (use tensorflow, wasm or cpu)`);
  }
  // EXPERIMENTAL knob: the multi-threaded wasm build (kernels/wasmThreads.ts), e.g. =2 on 2 cores.
  const wasmThreads = Number(process.env.GAN_STUDIO_WASM_THREADS ?? 0);
  if (wasmThreads > 0) {
    const { useThreadedWasm } = await import('../src/trainer/kernels/wasmThreads');
    useThreadedWasm(wasmThreads, opts.wasmDir ?? defaultWasmDir());
  }
  log(`GAN Studio bench: ${roundCount} rounds of ${steps} timed steps after ${WARMUP_STEPS} warm-ups, ours and PyTorch's alternating step by step, node ${process.version}, tfjs-core ${tf.version_core}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  let peer: TorchPeer | undefined;
  const script = findTorchScript(opts.torchScript);
  if (!hasTorch()) log(TORCH_MISSING);
  else if (!script) log('PyTorch: bench/torch_gan.py not found next to the bundle or in the current folder');
  else peer = await TorchPeer.start(script);

  try {
    // Per model: our best backend's samples, and the peer's 1-thread samples taken between them.
    const best: Partial<Record<Model, { backend: string; ours: number[]; torch1: number[]; oursCpu: number[]; torch1Cpu: number[]; rounds?: RoundRatios }>> = {};
    for (const backend of wanted) {
      if (backend === 'tensorflow' && !tfjsNodeLoads()) {
        log('tensorflow: not installed (@tensorflow/tfjs-node did not load)');
        continue;
      }
      const active = await initBackend(backend, opts.wasmDir);
      if (active === 'wasm' && wasmThreads > 0) {
        const { threadedWasmThreads } = await import('../src/trainer/kernels/wasmThreads');
        log(`wasm: EXPERIMENTAL multi-threaded build (GAN_STUDIO_WASM_THREADS=${wasmThreads}), XNNPACK threads: ${threadedWasmThreads()}`);
      }
      const cpu = active === 'cpu';
      for (const model of ['dcgan', 'ring'] as const) {
        if (cpu && model === 'dcgan' && !explicit) {
          log(`cpu DCGAN: skipped (≈${CPU_DCGAN_SECONDS_PER_STEP} s/step; ask for it with --backends cpu)`);
          continue;
        }
        const n = cpu ? Math.min(steps, CPU_STEPS) : steps;
        // The bare step on one thread; on wasm also the trainer's own step (gan.ts, with its
        // statistics), on one thread and data-parallel over two worker threads.
        const variants: { label: string; build: () => GanStep | Promise<GanStep> }[] = [
          { label: '', build: () => (model === 'dcgan' ? buildDcganStep() : buildRingStep()) },
        ];
        if (active === 'wasm') {
          variants.push({ label: ' (trainer step, 1 thread)', build: () => buildTrainerStep(model, 1, active, opts.wasmDir) });
          if (availableParallelism() >= 2) variants.push({ label: ' (trainer step, 2 threads: data-parallel workers)', build: () => buildTrainerStep(model, 2, active, opts.wasmDir) });
        }
        for (const variant of variants) {
          const s = await variant.build();
          const rounds: { ours: number[]; torch: number[]; oursCpu: number[]; torchCpu: number[]; load: number }[] = [];
          try {
            for (let i = 0; i < (cpu && model === 'dcgan' ? 1 : WARMUP_STEPS); i++) await s.step();
            // The slow cpu backend is not compared, so it runs one block of n steps. Otherwise each
            // round alternates one step of ours and one of the peer's: on a shared 2-core machine
            // the load changes within seconds, and only steps taken next to each other see the
            // same neighbours (the peer's round trip is ~1 ms).
            for (let r = 0; r < (cpu ? 1 : roundCount); r++) {
              const round = { ours: [] as number[], torch: [] as number[], oursCpu: [] as number[], torchCpu: [] as number[], load: loadavg()[0] };
              for (let i = 0; i < (cpu ? 1 : n); i++) {
                round.ours.push(...(await timeBlock(s, cpu ? n : 1, round.oursCpu)));
                if (peer && !cpu) {
                  const t = await peer.timeWithCpu(model, 1, 1);
                  round.torch.push(...t.ms);
                  round.torchCpu.push(...t.cpuMs);
                }
              }
              rounds.push(round);
            }
          } finally {
            s.dispose();
          }
          const ours = rounds.flatMap((r) => r.ours);
          const oursCpu = rounds.flatMap((r) => r.oursCpu);
          const ratios = roundRatios(rounds);
          log(`${active} ${LABEL[model]}${variant.label}: ${fmtTimes(ours)}${oursCpu.length ? `; CPU ${fmt(median(oursCpu))}/step` : ''}${ratios ? `; ours/PyTorch per round ${fmtRounds(ratios)}` : ''}`);
          const prev = best[model];
          if (!prev || median(ours) < median(prev.ours)) {
            best[model] = { backend: `${active}${variant.label}`, ours, torch1: rounds.flatMap((r) => r.torch), oursCpu, torch1Cpu: rounds.flatMap((r) => r.torchCpu), ...(ratios ? { rounds: ratios } : {}) };
          }
        }
      }

      if (active === 'wasm') {
        const top = opts.profileTop ?? 10;
        const peak = wasmPeakGflops();
        log(`wasm kernel profiles, one step on one thread; GFLOP/s against one core's peak for 128-bit SIMD without FMA (16 flops/cycle${peak ? ` at ${peak.ghz.toFixed(2)} GHz: ${peak.gflops.toFixed(1)} GFLOP/s` : ', clock unknown'}):`);
        for (const model of ['dcgan', 'ring'] as const) {
          const p = await profileStep(() => (model === 'dcgan' ? buildDcganStep() : buildRingStep()));
          const flops = p.kernels.reduce((a, k) => a + k.flops, 0);
          const calls = p.kernels.reduce((a, k) => a + k.calls, 0);
          log(`wasm ${LABEL[model]} profile: kernel time ${fmt(p.totalMs)} in ${calls} kernel calls, ${(flops / 1e9).toFixed(3)} GFLOP in inner products; top ${top}:`);
          for (const k of p.kernels.slice(0, top)) {
            const rate = k.flops > 0 && k.ms > 0 ? k.flops / 1e6 / k.ms : undefined;
            const vsPeak = rate !== undefined && peak ? ` = ${((100 * rate) / peak.gflops).toFixed(0)} % of peak` : '';
            log(`  ${k.name.padEnd(24)} ${fmt(k.ms).padStart(10)}  ${((100 * k.ms) / p.totalMs).toFixed(1).padStart(5)}%  ×${String(k.calls).padEnd(4)}${rate !== undefined ? `  ${(k.flops / 1e9).toFixed(3)} GFLOP, ${rate.toFixed(1)} GFLOP/s${vsPeak}` : ''}`);
          }
        }
      }
    }

    for (const model of ['dcgan', 'ring'] as const) {
      const ours = best[model];
      const label = LABEL[model];
      if (!ours) {
        log(`${label} ours/PyTorch ratio: not measured on any backend`);
        continue;
      }
      if (!peer) {
        log(`${label} ours/PyTorch ratio: n/a, ${TORCH_MISSING} (ours: ${ours.backend} ${fmt(median(ours.ours))})`);
        continue;
      }
      const torch1 = ours.torch1.length > 0 ? ours.torch1 : await peer.time(model, 1, steps);
      const torch2 = await peer.time(model, 2, steps);
      log(`PyTorch ${peer.version} ${label}, 1 thread (interleaved with ours): ${fmtTimes(torch1)}`);
      log(`PyTorch ${peer.version} ${label}, 2 threads: ${fmtTimes(torch2)}`);
      const theirs = Math.min(median(torch1), median(torch2));
      const threads = theirs === median(torch1) ? 1 : 2;
      // The best steps of each side are the least disturbed by neighbours: a second, load-robust view.
      const minRatio = Math.min(...ours.ours) / Math.min(...(threads === 1 ? torch1 : torch2));
      if (ours.rounds) log(`${label} ours/PyTorch, 1 torch thread, per round: ratio=${fmtRounds(ours.rounds)} (ours: ${ours.backend})`);
      log(`${label} ours/PyTorch ratio=${(median(ours.ours) / theirs).toFixed(2)} over all steps (ours: ${ours.backend} ${fmt(median(ours.ours))}; PyTorch, faster of 1/2 threads (${threads}): ${fmt(theirs)}; ratio of the fastest steps ${minRatio.toFixed(2)}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
      if (ours.torch1Cpu.length > 0) {
        // CPU time per step: what each side's step costs in processor time, whatever the neighbours
        // do to the wall clock (caches and memory bandwidth are still shared).
        const [oc, tc] = [median(ours.oursCpu), median(ours.torch1Cpu)];
        log(`  ${label} CPU time per step (medians, interleaved, 1 torch thread): ours ${fmt(oc)}, PyTorch ${fmt(tc)}; CPU-time ratio ${(oc / tc).toFixed(2)}`);
      }
      const reuse = await peer.time(model, 1, steps, true);
      log(`  for reference, PyTorch ${label} reusing G(z) for the G update (one G forward less, as its DCGAN example), 1 thread: ${fmtTimes(reuse)}; ours/that=${(median(ours.ours) / median(reuse)).toFixed(2)} (not interleaved)`);
    }
  } finally {
    peer?.close();
    if (wasmThreads > 0) (await import('../src/trainer/kernels/wasmThreads')).stopThreadedWasm();
  }
}
