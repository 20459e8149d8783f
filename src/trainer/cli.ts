/**
 * `gan-studio`: the trainer as a command-line program. The extension forks this same program
 * with `--ipc`, so what a person sees in the terminal and in VS Code comes from one code path.
 */
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatDuration, formatSpeed } from '../analysis/progress';
import { formatProblems, validateConfigText } from '../config/validateConfig';
import { printableLine, printableText } from '../config/quote';
import { MAX_NESTING, tooDeepValue } from '../config/nesting';
import { parseHostToTrainer, type GenerateRequest, type MetricsMessage, type ProgressMessage, type TrainerToHost } from '../protocol/trainerProtocol';
// The trainer (and with it tfjs) loads only for the commands that train or sample, so that
// `validate` and `--help` start in a fraction of the time.
import type { GenerateFn, TrainOutcome } from './trainer';
import { TrainerControl } from './control';
import { InputError } from './inputError';
// Only node:fs: validate stays fast.
import { fileKindAt, readConfigFile } from './data/safeFiles';
import type { BackendChoice } from '../config/ganConfig';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_BAD_INPUT = 2;
/** The schema's range of "seed" (an unsigned 32-bit integer). */
const MAX_SEED = 4294967295;

const HELP: Record<string, string> = {
  main: `gan-studio: train and inspect GANs described by a gan.json

Usage:
  gan-studio train <gan.json> [--steps N] [--seed N] [--runs-dir DIR] [--backend B] [--set /ptr=value ...]
  gan-studio train --resume <runDir> [--steps N]
  gan-studio fork <runDir> [--step N] [--set /ptr=value ...] [--steps N] [--runs-dir DIR]
  gan-studio sweep <gan.json> [--executor local|slurm] [--parallel N] [--runs-dir DIR] [--dry-run]
  gan-studio sweep --resume <sweepDir> | --cancel <sweepDir> [--trial N]
  gan-studio validate <gan.json>
  gan-studio sample <runDir> --count N --out FILE [--checkpoint STEP] [--seed S] [--raw]
  gan-studio export <runDir> --out DIR [--checkpoint STEP] [--raw]
  gan-studio export-tb <runDir>
  gan-studio eval <gan.json> [--seeds N|S1,S2,...] [--steps N] [--parallel N] [--runs-dir DIR]
  gan-studio bench [--steps N] [--rounds R] [--backends wasm,cpu]
  gan-studio backends [--json]

Run "gan-studio <command> --help" for details.
Exit codes: 0 success (or stopped), 1 training failed, 2 bad input.`,
  train: `gan-studio train <gan.json> [options]
gan-studio train --resume <runDir> [options]

Trains the GAN described by gan.json and writes a run directory
(<runs-dir>/<name>-<date>-<time>/): run.json, config.json, metrics.jsonl,
histograms.jsonl, samples/ and checkpoints/. Ctrl+C stops after the current
step, saves a checkpoint and marks the run "stopped"; --resume continues it.

Options:
  --steps N        train to step N (overrides training.steps; with --resume, the new total)
  --seed N         the run's seed (overrides the config's "seed"; recorded in run.json and
                   config.json): one gan.json, many seeds. Not with --resume
  --runs-dir DIR   where runs are written (default: .gan/runs under the current directory)
  --resume RUN     continue the run in directory RUN from its latest checkpoint
  --backend B      auto | tensorflow | wasm | cpu (overrides the config's backend)
  --set /ptr=value set a field on top of the gan.json (repeatable); the value is JSON
                   when it parses as JSON: --set /seed=7 --set /loss/type='"hinge"'
  --run-id ID      name the run folder ID instead of <name>-<date>-<time>
  --ipc            speak the GAN Studio protocol on the IPC channel (used by the extension)
  -q, --quiet      print only the final summary`,
  fork: `gan-studio fork <runDir> [options]

Makes a new run that continues from a checkpoint of runDir, with edits, and
trains it. Its config.json is the parent's effective config at that checkpoint
(config.json with the events up to it), its run.json names the parent and the
step, and each --set is an edit event at the fork step in its events.jsonl. A
fork without --set continues exactly as the parent did. The last line printed
names the new run folder.

Options:
  --step N         fork from the checkpoint of step N (default: the latest)
  --set /ptr=value change a setting at the fork step (repeatable): the learning
                   rates and Adam betas under /training/generatorOptimizer and
                   /training/discriminatorOptimizer, /training/dStepsPerGStep,
                   /training/labelSmoothing, /loss/gradientPenalty, /loss/r1
  --steps N        train the fork to step N (default: the parent's total)
  --runs-dir DIR   where the fork's folder goes (default: beside the parent)
  --backend B      auto | tensorflow | wasm | cpu
  --ipc            speak the GAN Studio protocol on the IPC channel (used by the extension)
  -q, --quiet      print only the final summary`,
  validate: `gan-studio validate <gan.json>

Checks gan.json against the schema and the semantic rules. Prints one line per
problem as file:line:column: /json/path message. Exit 0 when valid, 2 when not.`,
  sample: `gan-studio sample <runDir> --count N --out FILE [options]

Generates N samples from a run's generator: a PNG grid for image data, a CSV
(x,y header) for 2-D data, a CSV of vectors otherwise.

Options:
  --count N          how many samples (default 64)
  --out FILE         output file (.png for images, .csv for vectors)
  --checkpoint STEP  use the checkpoint of that step (default: latest)
  --seed S           seed of the latent vectors (default 0)
  --raw              the generator as trained, not its moving average (EMA), for
                     runs with training.ema; the same generator for runs without`,
  export: `gan-studio export <runDir> --out DIR [options]

Writes a run's generator for use elsewhere: model.json and its weight files in
the TensorFlow.js layers format (tf.loadLayersModel), and gan-generator.json with
the latent size and distribution, the output shape and the affine map that turns
the model's outputs into the data's units. The last line names the folder.

Options:
  --out DIR          the folder to write (created; existing files are replaced)
  --checkpoint STEP  use the checkpoint of that step (default: latest)
  --raw              the generator as trained, not its moving average (EMA)`,
  'export-tb': `gan-studio export-tb <runDir>

Writes the run's logs as a TensorBoard event file, tb/events.out.tfevents.*,
replacing the ones there: scalars (losses, D's outputs, quality, step time),
histograms of D's outputs on real and generated data, and the sample pictures.
For runs made before GAN Studio wrote event files while training, or with
logging.tensorboard off. Then: tensorboard --logdir <runs-dir>`,
  serve: `gan-studio serve <runDir> --ipc [--checkpoint STEP]

Loads a run's generator and answers "generate" requests on the IPC channel until
the parent disconnects. The extension uses it for the latent explorer of
finished runs; it is not meant to be run by hand.`,
  sweep: `gan-studio sweep <gan.json> [options]
gan-studio sweep --resume <sweepDir> [options]
gan-studio sweep --cancel <sweepDir> [--trial N]

Trains the gan.json once per trial of its "sweep" block: every combination of the
listed values (method "grid") or "count" random draws (method "random"). Every
trial's config is checked before anything starts. The sweep is a folder
<runs-dir>/<name>-sweep-<hash>/ with sweep.json and one run directory per trial;
running the same command again (or --resume) continues it: completed trials stay,
stopped or killed ones resume from their checkpoints. Ctrl+C stops every trial
after its step, checkpointed. The last line printed names the sweep folder.

Options:
  --executor E          local (this machine, the default) or slurm (one job array)
  --parallel N          at most N trials at once (default: as the cores allow; Slurm: all)
  --runs-dir DIR        where the sweep folder goes (default: .gan/runs)
  --dry-run             list the trials and their values, and start nothing
  --slurm-partition P   sbatch --partition (also "sweep.slurm" in the gan.json)
  --slurm-time T        sbatch --time of one trial
  --slurm-cpus N        sbatch --cpus-per-task
  --slurm-gpus N        sbatch --gres=gpu:N
  --slurm-arg X         one more sbatch option (repeatable)
  --ipc                 speak the GAN Studio protocol on the IPC channel (used by the extension)

Slurm: the sweep folder must be on a filesystem the compute nodes share, and
this Node and this CLI must be at the same paths there.`,
  trial: `gan-studio trial <sweepDir> <index>

Trains one trial of a sweep: what an executor (a local process, a Slurm array
task) runs. A trial that has a checkpoint resumes from it; one that completed
does nothing.`,
  backends: `gan-studio backends [--json]

Says which TensorFlow.js backends load on this machine and why the others do
not, and where the trainer looks for the native one (@tensorflow/tfjs-node): the
folders in GAN_STUDIO_NATIVE_PATHS, the current folder, then beside the trainer.
--json prints the same as one JSON object (used by the extension).`,
  eval: `gan-studio eval <gan.json> [options]

The 2-D mixture benchmark of the VEEGAN and PacGAN papers, for a gan.json with
ring or grid data: trains it once per seed as a sweep over /seed (as many at a
time as the cores allow), draws 2500 samples from each run's generator (the EMA
one when training.ema is on), and prints per seed the modes covered and the
share of high-quality samples, then the mean, the worst seed and the papers'
rows. A sample is high quality when it lies within 3 std of its nearest mode; a
mode is covered when at least one high-quality sample is nearest to it (the
trainer's own quality log asks for 1 % of the samples). The sweep folder
(<runs-dir>/<name>-eval-<date>-<time>/, shown in VS Code's Runs view like any
sweep) holds the runs and eval.json, every number printed; the last line names
it. Ctrl+C stops the seeds, checkpointed. Exit 1 when a seed's run failed.

Options:
  --seeds N|LIST   N seeds (1..N, default 5) or a comma-separated list: 3,77,4096
  --steps N        train each seed to step N (default: training.steps)
  --samples N      samples per run (default 2500, the papers' count)
  --parallel N     at most N runs at once (default: the cores over each run's
                   training.workers)
  --runs-dir DIR   where the sweep folder goes (default: .gan/runs)
  --backend B      auto | tensorflow | wasm | cpu`,
  bench: `gan-studio bench [--steps N] [--rounds R] [--backends wasm,cpu,tensorflow]

Measures ms/step of the reference DCGAN (MNIST 28x28, batch 64) and the ring MLP
GAN on each available backend, and of the same steps in PyTorch when
/usr/bin/python3 can import torch, one step of each in turn. Prints ours/PyTorch
ratios: per round of N steps (default 5 rounds of 20), their median with its
min and max, the CPU-time ratio and the load average.`,
};

class UsageError extends Error {}

/**
 * The last word of a failed command. Every line is made printable once more, whatever made it:
 * a message that quotes a user's file without printable() still cannot break its line, drive
 * the terminal or put a NUL on stderr. An InputError may hold one line per problem.
 */
function fail(message: string, code: number, multiline = false): never {
  const lines = multiline ? message.split('\n') : [message];
  process.stderr.write(`${lines.map((l) => printableLine(l)).join('\n')}\n`);
  process.exit(code);
}

function intArg(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--${name} must be a positive integer (got "${v}")`);
  return Number(v);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${HELP.main}\n`);
    return command ? EXIT_OK : EXIT_BAD_INPUT;
  }
  if (!(command in HELP) || command === 'main') throw new UsageError(`unknown command "${command}"; run "gan-studio --help" for the commands`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${HELP[command]}\n`);
    return EXIT_OK;
  }
  switch (command) {
    case 'train':
      return trainCommand(rest);
    case 'fork':
      return forkCommand(rest);
    case 'validate':
      return validateCommand(rest);
    case 'sample':
      return sampleCommand(rest);
    case 'bench':
      return benchCommand(rest);
    case 'serve':
      return serveCommand(rest);
    case 'sweep':
      return sweepCommandLine(rest);
    case 'trial':
      return trialCommand(rest);
    case 'backends':
      return backendsCommand(rest);
    case 'eval':
      return (await import('./evalCommand')).evalCommand(rest, __filename, (message) => new UsageError(message));
    case 'export':
      return (await import('./exportGenerator')).exportCommand(rest);
    case 'export-tb':
      return (await import('./exportTensorBoard')).exportTbCommand(rest);
  }
  return EXIT_BAD_INPUT;
}

function parse(args: string[], options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>, command: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const option = /'([^']+)'/.exec(e.message)?.[1];
    const what = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option ? `unknown option "${option}"` : e.message.split('\n')[0].replace(/\. To specify.*$/, '');
    throw new UsageError(`${what} (see "gan-studio ${command} --help")`);
  }
}

function validateCommand(args: string[]): number {
  const { positionals } = parse(args, {}, 'validate');
  if (positionals.length !== 1) throw new UsageError('validate takes one gan.json (see "gan-studio validate --help")');
  const file = resolve(positionals[0]);
  const text = readConfigFile(file, positionals[0]);
  const base = dirname(file);
  const { config, problems } = validateConfigText(text, { fileExists: (rel) => fileKindAt(resolve(base, rel)) });
  const shown = relative(process.cwd(), file) || file;
  for (const line of formatProblems(shown, problems)) process.stderr.write(`${line}\n`);
  if (!config) return EXIT_BAD_INPUT;
  process.stdout.write(`${printableLine(shown)}: valid (${config.data.type} data, ${config.generator.preset}/${config.discriminator.preset}, ${config.loss.type} loss, ${config.training.steps} steps)\n`);
  return EXIT_OK;
}

async function forkCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { step: { type: 'string' }, set: { type: 'string', multiple: true }, steps: { type: 'string' }, 'runs-dir': { type: 'string' }, backend: { type: 'string' }, ipc: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } },
    'fork',
  );
  if (positionals.length !== 1) throw new UsageError('fork takes one run directory (see "gan-studio fork --help")');
  const { createFork } = await import('./fork');
  const steps = intArg('steps', values.steps as string | undefined);
  const forkDir = createFork(positionals[0], {
    ...(values.step !== undefined ? { step: intArg('step', values.step as string) } : {}),
    ...(values.set ? { sets: parseSets(values.set as string[]) } : {}),
    ...(steps !== undefined ? { steps } : {}),
    ...(values['runs-dir'] !== undefined ? { runsDir: values['runs-dir'] as string } : {}),
  });
  const pass = [...(values.backend !== undefined ? ['--backend', values.backend as string] : []), ...(values.ipc ? ['--ipc'] : []), ...(values.quiet ? ['--quiet'] : [])];
  const code = await trainCommand(['--resume', forkDir, ...pass], { fork: true });
  process.stdout.write(`${relative(process.cwd(), forkDir) || forkDir}\n`);
  return code;
}

async function trainCommand(args: string[], internal: { fork?: boolean } = {}): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      steps: { type: 'string' },
      'runs-dir': { type: 'string' },
      resume: { type: 'string' },
      backend: { type: 'string' },
      ipc: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      set: { type: 'string', multiple: true },
      'run-id': { type: 'string' },
      seed: { type: 'string' },
    },
    'train',
  );
  let overrides = parseSets(values.set as string[] | undefined);
  const seedText = values.seed as string | undefined;
  if (seedText !== undefined) {
    if (!/^\d{1,10}$/.test(seedText) || Number(seedText) > MAX_SEED) throw new UsageError(`--seed must be a whole number from 0 to ${MAX_SEED} (got "${printableText(seedText, 40)}")`);
    if (overrides && '/seed' in overrides) throw new UsageError('--seed and --set /seed both set the seed; give one of them');
    overrides = { ...overrides, '/seed': Number(seedText) };
  }
  const runId = values['run-id'] as string | undefined;
  if (runId !== undefined && !/^[A-Za-z0-9._-]{1,200}$/.test(runId)) throw new UsageError(`--run-id must be a folder name of letters, digits, ".", "_" and "-" (got "${runId}")`);
  if ((overrides || runId !== undefined) && values.resume) throw new UsageError('--set, --seed and --run-id start a new run; a resumed run keeps its own config.json');
  const resumeDir = values.resume as string | undefined;
  if (!resumeDir && positionals.length !== 1) throw new UsageError('train takes one gan.json, or --resume <runDir> (see "gan-studio train --help")');
  if (resumeDir && positionals.length > 0) throw new UsageError('give either a gan.json or --resume <runDir>, not both');
  const backend = values.backend as string | undefined;
  if (backend !== undefined && !['auto', 'tensorflow', 'wasm', 'cpu'].includes(backend)) {
    throw new UsageError(`--backend must be one of auto, tensorflow, wasm, cpu (got "${backend}")`);
  }
  const steps = intArg('steps', values.steps as string | undefined);
  const ipc = Boolean(values.ipc) && typeof process.send === 'function';
  const quiet = Boolean(values.quiet);

  let stopRequested = false;
  const control = new TrainerControl();
  const requestStop = () => {
    control.interrupt();
    if (stopRequested) {
      // A second Ctrl+C means now: the last checkpoint is on disk and run.json stays readable.
      process.stderr.write('\nstopping immediately\n');
      process.exit(130);
    }
    stopRequested = true;
    if (!ipc && !quiet) process.stderr.write('\nstopping after this step (Ctrl+C again to quit at once)…\n');
  };
  process.on('SIGINT', requestStop);
  process.on('SIGTERM', () => {
    stopRequested = true;
    control.interrupt();
  });
  let generate: GenerateFn | undefined;
  if (ipc) {
    process.on('message', (raw: unknown) => {
      const m = parseHostToTrainer(raw);
      if (!m.ok) return refuse(raw, m.reason);
      const r = m.value;
      if (r.type === 'stop') {
        stopRequested = true;
        control.interrupt();
      } else if (r.type === 'generate') answerGenerate(r, generate);
      else if (r.type === 'manualStep') control.push({ type: 'manual', kind: r.kind, source: r.source });
      else control.push(r);
    });
    // The host went away: finish cleanly rather than train for nobody.
    process.on('disconnect', () => {
      stopRequested = true;
      control.interrupt();
    });
  }

  const display = new ProgressDisplay(quiet || ipc);
  const emit = (msg: TrainerToHost) => {
    if (ipc && process.connected) process.send!(msg);
    display.handle(msg);
  };
  const { train } = await import('./trainer');
  const outcome: TrainOutcome = await train({
    configPath: positionals[0],
    resumeDir,
    runsDir: (values['runs-dir'] as string | undefined) ?? join(process.cwd(), '.gan', 'runs'),
    steps,
    backend: backend as BackendChoice | undefined,
    ...(overrides ? { overrides } : {}),
    ...(runId !== undefined ? { runId } : {}),
    emit,
    shouldStop: () => stopRequested,
    control,
    ...(internal.fork ? { fork: true } : {}),
    onGenerator: (g) => {
      generate = g;
    },
  });
  display.summary(outcome);
  if (ipc && process.connected) await new Promise<void>((r) => process.disconnect === undefined ? r() : (process.disconnect(), r()));
  return outcome.status === 'failed' ? EXIT_FAILED : EXIT_OK;
}

/** `--set /json/pointer=value` (repeatable): the value is JSON when it parses as JSON, else a string. */
export function parseSets(sets: string[] | undefined): Record<string, unknown> | undefined {
  if (!sets || sets.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (!s.startsWith('/') || eq < 2) throw new UsageError(`--set takes /json/pointer=value, e.g. --set /training/steps=500 (got "${s}")`);
    const raw = s.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    // Before anything copies or prints it recursively (JSON.stringify has no depth limit).
    if (tooDeepValue(value)) throw new UsageError(`--set ${printableText(s.slice(0, eq), 80)}: the value nests arrays and objects more than ${MAX_NESTING} levels deep; a config value needs a few at the most`);
    // JSON reads 1e400 as Infinity, and would print it back as null.
    if (typeof value === 'number' && !Number.isFinite(value)) throw new UsageError(`--set ${printableText(s, 80)}: the number is too large for a double (it reads as ${value}); use a finite number`);
    out[s.slice(0, eq)] = value;
  }
  return out;
}

/** Terminal output: a live bar on a TTY, a plain line every few seconds otherwise. */
class ProgressDisplay {
  private readonly tty = Boolean(process.stdout.isTTY);
  private lastLine = 0;
  private lastMetrics?: MetricsMessage['records'][number];

  constructor(private readonly silent: boolean) {}

  handle(msg: TrainerToHost): void {
    switch (msg.type) {
      case 'started':
        if (!this.silent) {
          const verb = msg.startStep > 0 ? `resuming ${msg.runId} at step ${msg.startStep}` : `training ${msg.runId}`;
          process.stdout.write(`${verb} → ${relative(process.cwd(), msg.runDir) || msg.runDir} (backend: ${msg.backend})\n`);
        }
        break;
      case 'log':
        if (!this.silent || msg.level !== 'info') process.stderr.write(`${printableLine(`${msg.level === 'info' ? '' : `${msg.level}: `}${msg.message}`)}\n`);
        break;
      case 'metrics':
        this.lastMetrics = msg.records[msg.records.length - 1];
        break;
      case 'progress':
        this.progress(msg);
        break;
      default:
        break;
    }
  }

  private progress(msg: ProgressMessage): void {
    if (this.silent) return;
    const m = this.lastMetrics;
    const dx = m ? `  D(x) ${m.dReal.toFixed(2)}  D(G(z)) ${m.dFake.toFixed(2)}` : '';
    const text = `${msg.step}/${msg.totalSteps}  D ${msg.dLoss.toFixed(3)}  G ${msg.gLoss.toFixed(3)}${dx}  ${formatSpeed(msg.stepsPerSec)} steps/s  ETA ${formatDuration(msg.etaSec)}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round((msg.step / msg.totalSteps) * width);
      process.stdout.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
    } else if (Date.now() - this.lastLine > 2000 || msg.step === msg.totalSteps) {
      this.lastLine = Date.now();
      process.stdout.write(`step ${text}\n`);
    }
  }

  summary(o: TrainOutcome): void {
    if (this.tty && !this.silent) process.stdout.write('\n');
    const where = relative(process.cwd(), o.runDir) || o.runDir;
    if (o.status === 'failed') {
      process.stderr.write(`${printableLine(`${where}: ${o.error ?? 'training failed'}`)}\n`);
      return;
    }
    process.stdout.write(`${o.status} at step ${o.step}: ${where}\n`);
    process.stdout.write(`  samples:     ${join(where, 'samples')}\n`);
    process.stdout.write(`  checkpoints: ${join(where, 'checkpoints')}\n`);
    if (o.status === 'stopped') process.stdout.write(`  resume with: gan-studio train --resume ${where}\n`);
  }
}

/** A request the protocol refuses: one that still has an id gets an answer, so nobody waits for it. */
function refuse(raw: unknown, reason: string): void {
  const requestId = (raw as { requestId?: unknown } | null)?.requestId;
  if (typeof requestId === 'number' && Number.isInteger(requestId) && process.connected) {
    process.send!({ type: 'generateFailed', requestId, message: `invalid request: ${reason}` } satisfies TrainerToHost);
  }
}

/** Answers a latent generate request (already checked by parseHostToTrainer). */
function answerGenerate(m: GenerateRequest, generate: GenerateFn | undefined): void {
  const reply = (msg: TrainerToHost) => process.connected && process.send!(msg);
  if (!generate) {
    reply({ type: 'generateFailed', requestId: m.requestId, message: 'the generator is not ready yet' });
    return;
  }
  try {
    const { data, shape } = generate(Float32Array.from(m.z), m.count);
    reply({ type: 'generated', requestId: m.requestId, data, shape });
  } catch (err) {
    reply({ type: 'generateFailed', requestId: m.requestId, message: (err as Error).message });
  }
}

/** `serve`: answer generate requests from a saved run until the host disconnects. */
async function serveCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { checkpoint: { type: 'string' }, backend: { type: 'string' }, ipc: { type: 'boolean' } }, 'serve');
  if (positionals.length !== 1) throw new UsageError('serve takes one run directory (see "gan-studio serve --help")');
  if (typeof process.send !== 'function') throw new UsageError('serve needs an IPC channel: it is started by the extension');
  const { loadRunGenerator } = await import('./runGenerator');
  const g = await loadRunGenerator(resolve(positionals[0]), intArg('checkpoint', values.checkpoint as string | undefined), (values.backend as BackendChoice | undefined) ?? 'auto');
  process.send({ type: 'serving', step: g.step, latentDim: g.latentDim } satisfies TrainerToHost);
  process.on('message', (raw: unknown) => {
    const m = parseHostToTrainer(raw);
    if (!m.ok) refuse(raw, m.reason);
    else if (m.value.type === 'generate') answerGenerate(m.value, g.generate);
    else if (m.value.type === 'stop') process.exit(EXIT_OK);
  });
  await new Promise<void>((r) => process.on('disconnect', () => r()));
  return EXIT_OK;
}

async function sampleCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { count: { type: 'string' }, out: { type: 'string' }, checkpoint: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' }, raw: { type: 'boolean' } },
    'sample',
  );
  if (positionals.length !== 1) throw new UsageError('sample takes one run directory (see "gan-studio sample --help")');
  const out = values.out as string | undefined;
  if (!out) throw new UsageError('sample needs --out FILE (see "gan-studio sample --help")');
  const count = intArg('count', values.count as string | undefined) ?? 64;
  const seedText = values.seed as string | undefined;
  if (seedText !== undefined && !/^\d+$/.test(seedText)) throw new UsageError(`--seed must be a non-negative integer (got "${seedText}")`);
  const { sampleFromRun } = await import('./sampleFromRun');
  const result = await sampleFromRun({
    runDir: resolve(positionals[0]),
    count,
    checkpoint: intArg('checkpoint', values.checkpoint as string | undefined),
    seed: seedText === undefined ? 0 : Number(seedText),
    out: resolve(out),
    backend: (values.backend as BackendChoice | undefined) ?? 'auto',
    raw: Boolean(values.raw),
  });
  mkdirSync(dirname(resolve(out)), { recursive: true });
  writeFileSync(resolve(out), result.content);
  process.stdout.write(`${count} samples from step ${result.step}${result.ema ? ' (EMA generator)' : values.raw ? ' (raw generator)' : ''} → ${out}\n`);
  return EXIT_OK;
}

async function sweepCommandLine(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      executor: { type: 'string' },
      parallel: { type: 'string' },
      'runs-dir': { type: 'string' },
      'dry-run': { type: 'boolean' },
      resume: { type: 'string' },
      cancel: { type: 'string' },
      trial: { type: 'string' },
      ipc: { type: 'boolean' },
      'slurm-partition': { type: 'string' },
      'slurm-time': { type: 'string' },
      'slurm-cpus': { type: 'string' },
      'slurm-gpus': { type: 'string' },
      'slurm-arg': { type: 'string', multiple: true },
    },
    'sweep',
  );
  const sweeps = await import('./sweep/sweepCommand');
  const print = (line: string) => process.stdout.write(`${line}\n`);
  if (values.cancel !== undefined) {
    const trialText = values.trial as string | undefined;
    if (trialText !== undefined && !/^\d+$/.test(trialText)) throw new UsageError(`--trial must be a trial index (got "${trialText}")`);
    return sweeps.cancelSweep(values.cancel as string, trialText === undefined ? undefined : Number(trialText), print);
  }
  const resumeDir = values.resume as string | undefined;
  if (!resumeDir && positionals.length !== 1) throw new UsageError('sweep takes one gan.json, or --resume <sweepDir> (see "gan-studio sweep --help")');
  if (resumeDir && positionals.length > 0) throw new UsageError('give either a gan.json or --resume <sweepDir>, not both');
  const executor = values.executor as string | undefined;
  if (executor !== undefined && executor !== 'local' && executor !== 'slurm') throw new UsageError(`--executor must be local or slurm (got "${executor}")`);
  const cpus = intArg('slurm-cpus', values['slurm-cpus'] as string | undefined);
  const gpusText = values['slurm-gpus'] as string | undefined;
  if (gpusText !== undefined && !/^\d+$/.test(gpusText)) throw new UsageError(`--slurm-gpus must be a whole number (got "${gpusText}")`);
  const ipc = Boolean(values.ipc) && typeof process.send === 'function';
  let stopRequested = false;
  const stop = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    if (!ipc) process.stderr.write('\nstopping every trial after its step (Ctrl+C again to quit at once)…\n');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', () => (stopRequested = true));
  if (ipc) {
    process.on('message', (raw: unknown) => {
      const m = parseHostToTrainer(raw);
      if (m.ok && m.value.type === 'stop') stopRequested = true;
    });
    process.on('disconnect', () => (hostGone = true));
  }
  let hostGone = false;
  const code = await sweeps.sweepCommand({
    ...(resumeDir ? { resumeDir } : { configPath: positionals[0] }),
    runsDir: (values['runs-dir'] as string | undefined) ?? join(process.cwd(), '.gan', 'runs'),
    ...(executor ? { executor } : {}),
    ...(values.parallel !== undefined ? { parallel: intArg('parallel', values.parallel as string) } : {}),
    dryRun: Boolean(values['dry-run']),
    slurm: {
      ...(values['slurm-partition'] ? { partition: values['slurm-partition'] as string } : {}),
      ...(values['slurm-time'] ? { time: values['slurm-time'] as string } : {}),
      ...(cpus ? { cpusPerTask: cpus } : {}),
      ...(gpusText !== undefined ? { gpus: Number(gpusText) } : {}),
      ...(values['slurm-arg'] ? { extra: values['slurm-arg'] as string[] } : {}),
    },
    cliPath: __filename,
    emit: (msg) => ipc && process.connected && process.send!(msg),
    // Through the extension, the lines go to its trainer log.
    print: ipc ? (message) => process.connected && process.send!({ type: 'log', level: 'info', message } satisfies TrainerToHost) : print,
    shouldStop: () => stopRequested,
    hostGone: () => hostGone,
  });
  if (ipc && process.connected) process.disconnect();
  return code;
}

/** `trial <sweepDir> <index>`: one trial of a sweep, as an executor starts it. */
async function trialCommand(args: string[]): Promise<number> {
  const { positionals } = parse(args, {}, 'trial');
  if (positionals.length !== 2 || !/^\d+$/.test(positionals[1])) throw new UsageError('trial takes a sweep folder and a trial index (see "gan-studio trial --help")');
  const { trialTrainArgs } = await import('./sweep/sweepCommand');
  const what = trialTrainArgs(positionals[0], Number(positionals[1]));
  if ('done' in what) {
    process.stdout.write(`${what.done}\n`);
    return EXIT_OK;
  }
  // A local sweep's controller that goes away takes its trials with it, checkpointed: a trial
  // checks that its parent is still the process that started it.
  const parent = process.ppid;
  if (!process.env.SLURM_JOB_ID) {
    setInterval(() => process.ppid !== parent && process.kill(process.pid, 'SIGTERM'), 1000).unref();
  }
  return trainCommand(what.args);
}

async function backendsCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' } }, 'backends');
  const { probeBackends } = await import('./backend');
  const probe = await probeBackends();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(probe)}\n`);
    return EXIT_OK;
  }
  const lines = [`TensorFlow.js ${probe.tfjsVersion}; "auto" picks ${probe.auto}`];
  for (const b of probe.backends) lines.push(`  ${b.backend.padEnd(10)} ${b.ok ? `yes${b.from ? ` (from ${b.from})` : ''}` : `no: ${b.reason ?? '?'}`}`);
  lines.push(`native search path: ${probe.nativeSearchPaths.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

async function benchCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { steps: { type: 'string' }, rounds: { type: 'string' }, backends: { type: 'string' } }, 'bench');
  // The benchmark lives in bench/ and is built beside this bundle; the trainer does not import it.
  const benchPath = join(__dirname, 'bench.js');
  if (!existsSync(benchPath)) throw new UsageError(`the benchmark is not built (${benchPath} is missing); run "npm run build"`);
  const { runBench } = (await import(pathToFileURL(benchPath).href)) as { runBench: (o: { steps?: number; rounds?: number; backends?: string[]; log: (line: string) => void }) => Promise<void> };
  await runBench({
    steps: intArg('steps', values.steps as string | undefined),
    rounds: intArg('rounds', values.rounds as string | undefined),
    backends: (values.backends as string | undefined)?.split(',').map((s) => s.trim()),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  return EXIT_OK;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // tfjs keeps no handles, but the IPC channel would keep a forked trainer alive.
    setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    // Bad data (DataError) is an InputError too: exit 2, whoever let it through.
    if (err instanceof UsageError || err instanceof InputError) fail(err.message, EXIT_BAD_INPUT, true);
    const e = err instanceof Error ? err : new Error(String(err));
    if (process.env.GAN_STUDIO_DEBUG) process.stderr.write(`${e.stack}\n`);
    fail(`gan-studio: ${e.message}`, EXIT_FAILED);
  },
);
