// `d2l-ts start` replaces its outputs as one whole run: an interrupted run leaves the previous
// run's files (cli/run-outputs.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDataFileSync } from '../../src/data/resolver.js';
import { requireResource } from '../helpers.js';
import { RunOutputs } from '../../cli/run-outputs.js';
import { startJob } from '../../cli/start.js';
import { main } from '../../cli/main.js';

const FILES = ['training-curves.png', 'predictions.png', 'mlp.safetensors', 'metrics.json'];
const quiet = { out: () => {}, err: () => {} };

function haveFashionMnist(): boolean {
  try {
    for (const f of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'])
      resolveDataFileSync(`fashion-mnist/${f}`, { verify: false });
    return true;
  } catch {
    return false;
  }
}

test('RunOutputs: a run that fails midway leaves the previous run; a commit replaces all files and keeps the others', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'd2l-outputs-'));
  for (const f of ['a.png', 'b.json']) writeFileSync(join(dir, f), 'old');
  writeFileSync(join(dir, 'notes.txt'), 'the user keeps this');
  mkdirSync(join(dir, '.staging-999999999')); // left by a run that died
  const run = new RunOutputs(dir);
  assert.equal(existsSync(join(dir, '.staging-999999999')), false, 'stale staging folder removed');
  writeFileSync(run.path('a.png'), 'new');
  run.path('b.json'); // never written: the run was interrupted
  await assert.rejects(run.commit(), /outputs are incomplete \(b\.json not written\); .* still holds the previous run/);
  run.abort();
  assert.deepEqual(
    ['a.png', 'b.json'].map((f) => readFileSync(join(dir, f), 'utf8')),
    ['old', 'old'],
  );
  assert.deepEqual(readdirSync(dir).sort(), ['a.png', 'b.json', 'notes.txt']);

  const ok = new RunOutputs(dir);
  writeFileSync(ok.path('a.png'), 'new');
  writeFileSync(ok.path('b.json'), 'new');
  assert.equal(readFileSync(join(dir, 'a.png'), 'utf8'), 'old', 'nothing visible before the commit');
  await ok.commit();
  assert.deepEqual(
    ['a.png', 'b.json', 'notes.txt'].map((f) => readFileSync(join(dir, f), 'utf8')),
    ['new', 'new', 'the user keeps this'],
  );
  assert.deepEqual(readdirSync(dir).sort(), ['a.png', 'b.json', 'notes.txt']);
});

test('d2l-ts start interrupted after its first file: out/ still holds the previous whole run', async (t) => {
  if (!requireResource(t, haveFashionMnist(), 'Fashion-MNIST')) return;
  const dir = mkdtempSync(join(tmpdir(), 'd2l-start-'));
  const opts = { epochs: 1, limit: 256, batchSize: 64, seed: 3, outDir: dir, progress: false };
  await startJob(opts, quiet);
  const before = Object.fromEntries(FILES.map((f) => [f, readFileSync(join(dir, f))]));
  assert.equal(JSON.parse(before['metrics.json'].toString()).seed, 3);
  const written: string[] = [];
  await assert.rejects(
    startJob({ ...opts, seed: 4 }, quiet, {
      afterFile: (name) => {
        written.push(name);
        throw new Error('interrupted');
      },
    }),
    /interrupted/,
  );
  assert.deepEqual(written, ['training-curves.png']);
  for (const f of FILES) assert.ok(readFileSync(join(dir, f)).equals(before[f]), `${f} is the previous run's`);
  assert.deepEqual(readdirSync(dir).sort(), [...FILES].sort(), 'no staging folder left');
  // An uninterrupted run replaces all four.
  await startJob({ ...opts, seed: 4 }, quiet);
  assert.equal(JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')).seed, 4);
  assert.ok(!readFileSync(join(dir, 'mlp.safetensors')).equals(before['mlp.safetensors']));
});

test('d2l-ts start --batch-size larger than the training set is refused with a clear message', async (t) => {
  if (!requireResource(t, haveFashionMnist(), 'Fashion-MNIST')) return;
  const err: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'd2l-start-'));
  const argv = ['start', '--epochs', '1', '--limit', '200', '--batch-size', '500', '--seed', '1', '--out-dir', dir, '--no-progress'];
  const code = await main(argv, { out: () => {}, err: (l) => err.push(l) });
  assert.equal(code, 2);
  assert.match(err.join('\n'), /--batch-size 500: DataLoader: batchSize 500 is larger than the data set \(200 samples\)/);
  assert.deepEqual(readdirSync(dir), [], 'nothing written');
});
