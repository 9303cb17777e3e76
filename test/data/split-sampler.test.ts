// gluon.data.SplitSampler (MXNet's, from its distributed-training example) and the DataLoader's
// sharding options: equal contiguous parts with the remainder dropped, so every process of a
// dist_sync job sees the same number of batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd } from '../../src/index.js';
import { ArrayDataset, DataLoader, SplitSampler } from '../../src/gluon/data/index.js';

test('SplitSampler: equal contiguous parts, the remainder dropped, shuffled within the part', () => {
  assert.deepEqual([...new SplitSampler(10, 3, 0, { shuffle: false })], [0, 1, 2]);
  assert.deepEqual([...new SplitSampler(10, 3, 2, { shuffle: false })], [6, 7, 8]);
  assert.equal(new SplitSampler(10, 3, 1).length, 3);
  nd.random.seed(4);
  const a = [...new SplitSampler(100, 2, 1)];
  assert.equal(a.length, 50);
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => 50 + i),
  );
  assert.notDeepEqual(
    a,
    Array.from({ length: 50 }, (_, i) => 50 + i),
    'shuffled by default',
  );
  // Every part of every split covers disjoint samples.
  const seen = new Set<number>();
  for (let p = 0; p < 4; p++) for (const i of new SplitSampler(23, 4, p)) assert.ok(!seen.has(i) && seen.add(i));
  assert.equal(seen.size, 20);
  assert.throws(() => new SplitSampler(10, 0, 0), /numParts must be a positive integer, got 0/);
  assert.throws(() => new SplitSampler(10, 2, 2), /partIndex must be an integer in \[0, 1\] \(numParts 2\), got 2/);
  assert.throws(() => new SplitSampler(-1, 2, 0), /length must be a non-negative integer/);
});

test('DataLoader numParts/partIndex and shardBy: the same number of batches on every part', () => {
  const ds = new ArrayDataset(nd.arange(1030).reshape([1030, 1]), nd.arange(1030));
  const lens = [0, 1, 2].map((r) => new DataLoader(ds, { batchSize: 100, numParts: 3, partIndex: r }).length);
  assert.deepEqual(lens, [4, 4, 4]); // 343 samples each (1 dropped): 3 full batches and one of 43
  const first = [...new DataLoader(ds, { batchSize: 200, shardBy: { rank: 1, numWorkers: 2 } })];
  assert.equal(first.length, 3);
  assert.deepEqual(Array.from(first[0][1].dataSync()).slice(0, 3), [515, 516, 517]);
  const shuffled = [...new DataLoader(ds, { batchSize: 515, shuffle: true, shardBy: { rank: 0, numWorkers: 2 } })];
  assert.ok(Array.from(shuffled[0][1].dataSync()).every((v) => Number(v) < 515));
  assert.throws(() => new DataLoader(ds, { batchSize: 10, numParts: 2 }), /numParts and partIndex go together/);
  assert.throws(
    () => new DataLoader(ds, { batchSize: 10, shardBy: { rank: 0, numWorkers: 2 }, numParts: 2, partIndex: 0 }),
    /either shardBy or numParts\/partIndex/,
  );
  assert.throws(
    () => new DataLoader(ds, { batchSize: 10, numParts: 2, partIndex: 0, sampler: new SplitSampler(10) }),
    /sampler must not be given together with numParts/,
  );
});
