// One process of the dist_sync tests (test/kvstore/dist-sync.test.ts), run under
// `mpirun -np 2` (or alone, for the one-process reference). Not a test file itself.
//
//   node dist-worker.js train <mode> <steps> <out.json>
//     mode 'dist':   each rank trains on its 128 rows of every 256-row block through dist_sync
//     mode 'single': one process trains on all 256 rows of each block ('device' store)
//     rank 0 (or the single process) writes the parameters to out.json.
//   node dist-worker.js extra <steps>     rank 1 runs one step more than rank 0
//   node dist-worker.js mismatch          rank 1 builds a wider hidden layer: init fails on both
import { writeFileSync } from 'node:fs';
import { autograd, gluon, init, kv, nd, type NDArray } from '../../src/index.js';

const { nn, loss: gloss } = gluon;
const PER_RANK = 128;
const FEATURES = 20;

/** The same data on every process: 256 * steps rows, a noisy nonlinear target. */
function data(steps: number): { X: NDArray; y: NDArray } {
  nd.random.seed(11);
  const X = nd.random.normal(0, 1, [2 * PER_RANK * steps, FEATURES]);
  const w = nd.random.normal(0, 1, [FEATURES, 1]);
  const y = nd.tanh(nd.dot(X, w)).add(nd.random.normal(0, 0.1, [2 * PER_RANK * steps, 1]));
  return { X, y };
}

function model(hidden: number): gluon.Sequential {
  nd.random.seed(5);
  const net = new nn.Sequential();
  net.add(new nn.Dense(hidden, { activation: 'relu', inUnits: FEATURES }), new nn.Dense(1, { inUnits: hidden }));
  net.initialize(new init.Normal(0.1));
  return net;
}

function train(mode: string, steps: number, out: string): void {
  const { X, y } = data(steps);
  const store = mode === 'dist' ? kv.create('dist_sync') : kv.create('device');
  // Rank 1 starts from other weights: the Trainer must replace them by rank 0's.
  if (store.rank === 1) nd.random.seed(99);
  const net = model(16);
  if (store.rank === 1) for (const p of net.collectParams().values()) p.setData(nd.random.normal(0, 1, p.data().shape));
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.05 }, store);
  const loss = new gloss.L2Loss();
  const rows = mode === 'dist' ? PER_RANK : 2 * PER_RANK;
  for (let s = 0; s < steps; s++) {
    const start = 2 * PER_RANK * s + (mode === 'dist' ? store.rank * PER_RANK : 0);
    const Xb = X.get(`${start}:${start + rows}`);
    const yb = y.get(`${start}:${start + rows}`);
    const l = autograd.record(() => loss.forward(net.forward(Xb), yb));
    l.backward();
    trainer.step(rows);
  }
  if (store.rank === 0) {
    const params = Object.fromEntries([...net.collectParams().values()].map((p, i) => [String(i), Array.from(p.data().dataSync())]));
    writeFileSync(out, JSON.stringify({ numWorkers: store.numWorkers, params }));
  }
}

function extra(steps: number): void {
  const { X, y } = data(steps + 1);
  const store = kv.create('dist_sync');
  const net = model(8);
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.05 }, store);
  const loss = new gloss.L2Loss();
  const mine = store.rank === 1 ? steps + 1 : steps;
  for (let s = 0; s < mine; s++) {
    const Xb = X.get(`${PER_RANK * s}:${PER_RANK * (s + 1)}`);
    const yb = y.get(`${PER_RANK * s}:${PER_RANK * (s + 1)}`);
    const l = autograd.record(() => loss.forward(net.forward(Xb), yb));
    l.backward();
    trainer.step(PER_RANK);
  }
  console.log(`rank ${store.rank} finished ${mine} steps`);
}

function mismatch(): void {
  const store = kv.create('dist_sync');
  const net = model(store.rank === 1 ? 12 : 8);
  try {
    new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.05 }, store);
    console.log(`rank ${store.rank}: no error`);
  } catch (e) {
    console.log(`rank ${store.rank}: ${(e as Error).constructor.name}: ${(e as Error).message}`);
  }
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'train') train(args[0], Number(args[1]), args[2]);
else if (cmd === 'extra') extra(Number(args[0]));
else if (cmd === 'mismatch') mismatch();
else throw new Error(`dist-worker: unknown command ${cmd}`);
