// The book's loops as a reader runs them in a notebook: each cell is its own task (the event loop
// turns between cells, as between two executions in a Jupyter kernel), the cells share one
// namespace, and cells are run again. Memory stays flat across the cells with no memory calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, gluon, init, type NDArray } from '../../src/index.js';

// scripts/run-tests.mjs runs this file without --expose-gc: nothing here can force a collection.
test('this file runs without an explicit garbage collector', () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'run by scripts/run-tests.mjs, without --expose-gc');
});

const MiB = 1 << 20;

/** What a notebook's globals hold. */
type Namespace = Record<string, any>;

/** Runs each cell in a task of its own, like a kernel executing cells one request at a time; returns the CPU heap after each. */
async function runCells(ns: Namespace, cells: ((ns: Namespace) => void)[]): Promise<{ live: number; reserved: number }[]> {
  const after: { live: number; reserved: number }[] = [];
  for (const cell of cells) {
    await new Promise<void>((resolve, reject) =>
      setTimeout(() => {
        try {
          cell(ns);
          resolve();
        } catch (e) {
          reject(e);
        }
      }, 0),
    );
    const m = nd.memory().devices['cpu(0)'];
    after.push({ live: m.bytes, reserved: m.reservedBytes });
  }
  return after;
}

const peak = (ms: { live: number; reserved: number }[]) => ({
  live: Math.max(...ms.map((m) => m.live)),
  reserved: Math.max(...ms.map((m) => m.reserved)),
});

test('notebook cells: the Gluon MLP training cell run 20 times keeps the heap flat', async () => {
  const define = (ns: Namespace) => {
    nd.random.seed(4);
    ns.X = nd.random.normal(0, 1, [1024, 32]);
    ns.y = nd.random.randint(0, 10, [1024]);
    ns.net = new gluon.nn.Sequential();
    ns.net.add(new gluon.nn.Dense(64, { activation: 'relu' }), new gluon.nn.Dense(10));
    ns.net.initialize(new init.Normal(0.01));
    ns.loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    ns.trainer = new gluon.Trainer(ns.net.collectParams(), 'sgd', { learningRate: 0.1 });
    ns.trainIter = new gluon.data.DataLoader(new gluon.data.ArrayDataset(ns.X, ns.y), { batchSize: 32, shuffle: true });
    ns.losses = [];
  };
  const trainEpoch = (ns: Namespace) => {
    let trainLSum = 0;
    for (const [X, y] of ns.trainIter) {
      const l = autograd.record(() => ns.loss.forward(ns.net.forward(X), y));
      l.backward();
      ns.trainer.step(32);
      trainLSum += l.sum().asScalar();
    }
    ns.losses.push(trainLSum / 1024);
  };
  const ns: Namespace = {};
  const after = await runCells(ns, [define, ...Array.from({ length: 20 }, () => trainEpoch)]);
  assert.equal(ns.losses.length, 20);
  assert.ok(ns.losses[19] < ns.losses[0], `losses ${ns.losses[0]} -> ${ns.losses[19]}`);
  const [early, late] = [peak(after.slice(1, 11)), peak(after.slice(11))];
  assert.ok(late.live <= early.live + MiB, `live: cells 2-11 at most ${early.live}, cells 12-21 ${late.live}`);
  assert.ok(late.reserved <= early.reserved + MiB, `reserved: cells 2-11 at most ${early.reserved}, cells 12-21 ${late.reserved}`);
});

test("notebook cells: 8.2's loop, kept predictions and a batch taken with break, each in its own cell", async () => {
  const ns: Namespace = {};
  const after = await runCells(ns, [
    (ns) => {
      ns.x = nd.ones([1000, 100]);
      ns.net = new gluon.nn.Dense(4);
      ns.net.initialize(new init.Normal(0.1));
      ns.data = new gluon.data.DataLoader(new gluon.data.ArrayDataset(nd.random.normal(0, 1, [800, 16]), nd.zeros([800])), {
        batchSize: 8,
      });
    },
    ...Array.from({ length: 6 }, () => (ns: Namespace) => {
      for (let i = 0; i < 500; i++) ns.y = ns.x.add(1);
    }),
    (ns) => {
      ns.preds = [] as NDArray[];
      for (const [X] of ns.data) ns.preds.push(ns.net.forward(X));
    },
    (ns) => {
      for (const [X] of ns.data) {
        ns.first = X;
        break;
      }
    },
    ...Array.from({ length: 4 }, () => (ns: Namespace) => {
      for (let i = 0; i < 500; i++) ns.y = ns.x.add(1);
    }),
    (ns) => {
      ns.all = nd.concat(ns.preds, { dim: 0 });
    },
  ]);
  assert.deepEqual(ns.all.shape, [800, 4]);
  assert.deepEqual(ns.first.shape, [8, 16]);
  assert.equal(ns.y.get([0, 0]).asScalar(), 2);
  // 5,000 results of 400 KB (2 GB) went through the heap: it holds a few passes' worth at most.
  const [early, late] = [peak(after.slice(1, 7)), peak(after.slice(7))];
  assert.ok(late.reserved <= early.reserved + 16 * MiB, `reserved: the first loop cells at most ${early.reserved}, later ${late.reserved}`);
});
