// Issue 18's headline loop: the §3.10 MLP written as the book writes it (no tidy, no dispose),
// 20 epochs on the full Fashion-MNIST in one synchronous job (no await, no gc()). Before the
// eviction it grew the heap by about 208 MiB an epoch and died at epoch 19; now the heap's live
// and reserved bytes and the RSS stay where epoch 2 left them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nd, autograd, d2l, gluon, init } from '../../src/index.js';
import { requireResource } from '../helpers.js';

// scripts/run-tests.mjs runs this file without --expose-gc: nothing here can force a collection.
test('this file runs without an explicit garbage collector', () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'run by scripts/run-tests.mjs, without --expose-gc');
});

const DIR = '/usr/share/datasets/fashion-mnist';
const present = ['train-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte.gz'].every((f) => existsSync(join(DIR, f)));
const MiB = 1 << 20;

test('§3.10 MLP, 20 epochs on full Fashion-MNIST with no memory calls: live, reserved and RSS flat after epoch 2', async (t) => {
  if (!requireResource(t, present, `Fashion-MNIST in ${DIR} (bash ../shared/ci/install-data.sh)`)) return;
  nd.random.seed(1);
  const batchSize = 256;
  const [trainIter] = await d2l.loadDataFashionMnist(batchSize, { dataDir: DIR });
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Dense(256, { activation: 'relu' }), new gluon.nn.Dense(10));
  net.initialize(new init.Normal(0.01));
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5 });
  const after: { live: number; reserved: number; rss: number; loss: number }[] = [];
  // From here to the end of the epochs: one synchronous job.
  for (let epoch = 1; epoch <= 20; epoch++) {
    let trainLSum = 0;
    let n = 0;
    for (const [X, y] of trainIter) {
      const l = autograd.record(() => loss.forward(net.forward(X), y));
      l.backward();
      trainer.step(batchSize);
      trainLSum += l.sum().asScalar();
      n += y.size;
    }
    const m = nd.memory().devices['cpu(0)'];
    after.push({ live: m.bytes, reserved: m.reservedBytes, rss: process.memoryUsage().rss, loss: trainLSum / n });
  }
  const [e2, e20] = [after[1], after[19]];
  console.log(
    `# epoch 2: live ${(e2.live / MiB).toFixed(1)} MiB, reserved ${(e2.reserved / MiB).toFixed(1)} MiB, RSS ${(e2.rss / MiB).toFixed(0)} MiB; ` +
      `epoch 20: ${(e20.live / MiB).toFixed(1)}, ${(e20.reserved / MiB).toFixed(1)}, ${(e20.rss / MiB).toFixed(0)} MiB; loss ${e2.loss.toFixed(4)} -> ${e20.loss.toFixed(4)}`,
  );
  assert.ok(e20.loss < e2.loss && e20.loss < 0.35, `training loss ${e2.loss} -> ${e20.loss}`);
  assert.ok(e20.live <= e2.live + MiB, `live bytes: epoch 2 ${e2.live}, epoch 20 ${e20.live}`);
  assert.equal(e20.reserved, e2.reserved, 'reserved heap bytes');
  assert.ok(e20.rss <= e2.rss + 64 * MiB, `RSS: epoch 2 ${e2.rss}, epoch 20 ${e20.rss}`);
});
