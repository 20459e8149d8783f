/** Sample-quality measures on constructed cases, and the trainer recording them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Rng } from '../../src/trainer/rng';
import { sampleToy, toyModes } from '../../src/trainer/data/toy2d';
import { meanPairwiseDistance, modeCoverage, randomDirections, slicedWasserstein } from '../../src/trainer/quality';
import type { QualityRecord } from '../../src/protocol/runFormat';
import { onlyRun, readJsonlFile, runCli, tinyRingConfig, tmp, writeConfig } from '../helpers/cli';

const ring = { type: 'ring' as const, noise: 0.05, scale: 2 };
const dirs = randomDirections(2, 64, (() => {
  const r = new Rng(9);
  return () => r.normal();
})());

test('sliced Wasserstein: real against real is near zero, a collapsed or shifted generator is far', () => {
  const a = sampleToy(ring, 512, new Rng(1));
  const b = sampleToy(ring, 512, new Rng(2));
  const collapsed = new Float32Array(1024);
  for (let i = 0; i < 512; i++) {
    collapsed[2 * i] = 2 + 0.05 * Math.sin(i);
    collapsed[2 * i + 1] = 0.05 * Math.cos(i);
  }
  const shifted = a.map((v, i) => (i % 2 === 0 ? v + 1 : v));
  const same = slicedWasserstein(a, b, 2, dirs);
  const far = slicedWasserstein(a, collapsed, 2, dirs);
  const moved = slicedWasserstein(a, shifted, 2, dirs);
  assert.ok(same < 0.3, `real vs real ${same}`); // sampling noise of 512 points over 8 modes
  assert.ok(far > 1, `real vs collapsed ${far}`);
  assert.ok(moved > 0.5 && moved < 1.05, `shifted by 1 along x: ${moved}`);
  assert.equal(slicedWasserstein(a, a, 2, dirs), 0);
});

test('diversity: a collapsed batch is far less varied than the data; coverage counts one mode', () => {
  const real = sampleToy(ring, 512, new Rng(3));
  const oneMode = sampleToy({ ...ring, scale: 2 }, 512, new Rng(4)).map((v, i) => (i % 2 === 0 ? 2 + (v - Math.round(v)) * 0.02 : v * 0.01));
  assert.ok(meanPairwiseDistance(oneMode, 2) < 0.1 * meanPairwiseDistance(real, 2));
  assert.equal(modeCoverage(oneMode, toyModes(ring), 0.05).modesCovered, 1);
  assert.equal(modeCoverage(real, toyModes(ring), 0.05).modesCovered, 8);
});

test('the trainer records quality at each sample step of a 2-D run', { timeout: 120_000 }, () => {
  const dir = tmp('quality');
  const config = writeConfig(dir, tinyRingConfig({ training: { steps: 40, batchSize: 64 } }));
  assert.equal(runCli(['train', config, '--runs-dir', join(dir, 'runs'), '-q']).code, 0);
  const q = readJsonlFile<QualityRecord>(join(onlyRun(join(dir, 'runs')), 'quality.jsonl'));
  assert.deepEqual(q.map((r) => r.step), [0, 20, 40]);
  for (const r of q) {
    assert.equal(r.modes, 8);
    assert.ok(r.swd > r.swdFloor, 'a barely trained generator is further from the data than the data from itself');
    assert.ok(r.realDiversity > 1 && r.diversity >= 0);
  }
});
