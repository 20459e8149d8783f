/** A real ring run played by hand, for the game tests (its own file: it loads the trainer, which the other suites do not need). */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrainerControl } from '../../src/trainer/control';
import { train } from '../../src/trainer/trainer';
import { ROOT } from './harness';
import { RUNS_DIR } from './runs';

/**
 * The ring example played by hand, through the trainer's own API with a control schedule (as the
 * host's commands would arrive): a D learning-rate edit at step 150; a pause at 250 with D, G, D,
 * G steps by hand and a G learning-rate edit; a continue; dStepsPerGStep = 2 at 320. Cached like
 * realRun, keyed by the trainer bundle and this schedule.
 */
export async function gameRun(): Promise<string> {
  const config = JSON.parse(readFileSync(join(ROOT, 'examples/ring/gan.json'), 'utf8')) as Record<string, any>;
  config.training.steps = 400;
  config.logging = { ...config.logging, samplesEvery: 50, checkpointEvery: 200, samplePoints: 256 };
  const key = createHash('sha256').update(readFileSync(join(ROOT, 'dist/cli.js'))).update(JSON.stringify(config)).update(GAME_SCHEDULE_VERSION).digest('hex').slice(0, 16);
  const runsDir = join(RUNS_DIR, `game-${key}`);
  if (!existsSync(runsDir)) {
    for (const old of existsSync(RUNS_DIR) ? readdirSync(RUNS_DIR) : []) if (old.startsWith('game-')) rmSync(join(RUNS_DIR, old), { recursive: true, force: true });
    const tmp = `${runsDir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const configPath = join(tmp, 'gan.json');
    writeFileSync(configPath, JSON.stringify(config));
    const control = new TrainerControl();
    const edit = (pointer: string, value: number) => ({ type: 'edit' as const, pointer, value, source: 'dashboard' as const });
    control.at(150, edit('/training/discriminatorOptimizer/learningRate', 0.0005));
    control.at(250, { type: 'pause', source: 'dashboard' });
    for (const kind of ['dStep', 'gStep', 'dStep', 'gStep'] as const) control.at(250, { type: 'manual', kind, source: 'dashboard' });
    control.at(250, edit('/training/generatorOptimizer/learningRate', 0.002));
    control.at(250, { type: 'continue', source: 'dashboard' });
    control.at(320, edit('/training/dStepsPerGStep', 2));
    const out = await train({ configPath, runsDir: join(tmp, 'runs'), emit: () => {}, shouldStop: () => false, control, backend: 'wasm' });
    if (out.status !== 'completed') throw new Error(`the game run ended ${out.status}: ${out.error ?? ''}`);
    rmSync(configPath);
    try {
      renameSync(tmp, runsDir);
    } catch {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const dir = join(runsDir, 'runs');
  const runs = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'run.json')));
  if (runs.length !== 1) throw new Error(`${dir}: expected one run, found ${runs.length}`);
  return join(dir, runs[0]);
}
const GAME_SCHEDULE_VERSION = '1';
