// One process of the dist_sync tests (test/kvstore/dist-sync.test.ts), run under
// `mpirun -np 2` (or alone, for the one-process reference). Not a test file itself.
//
//   node dist-worker.js train <mode> <steps> <out.json>
//     mode 'dist':   each rank trains on its 128 rows of every 256-row block through dist_sync
//     mode 'single': one process trains on all 256 rows of each block ('device' store)
//     mode 'gpu':    as 'dist' with the model on gpu(0) (WebGPU) and `await trainer.stepAsync`,
//                    every rank from the same initial weights (rank 0's reach the others only at
//                    the first step, as in MXNet); rank 0 first checks that `trainer.step` refuses it
//     mode 'gpu-other-init': as 'gpu' with rank 1 starting from other weights
//     (gpu modes: rank 1 also writes its parameters, to out.json.rank1)
//     rank 0 (or the single process) writes the parameters to out.json.
//   node dist-worker.js extra <steps>     rank 1 runs one step more than rank 0
//   node dist-worker.js mismatch          rank 1 builds a wider hidden layer: init fails on both
import { writeFileSync } from 'node:fs';
import { autograd, destroyWebGpu, gluon, init, initWebGpu, kv, nd, type Context, type NDArray } from '../../src/index.js';

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

function model(hidden: number, ctx?: Context): gluon.Sequential {
  nd.random.seed(5);
  const net = new nn.Sequential();
  net.add(new nn.Dense(hidden, { activation: 'relu', inUnits: FEATURES }), new nn.Dense(1, { inUnits: hidden }));
  net.initialize(new init.Normal(0.1), ctx ? { ctx } : {});
  return net;
}

async function train(mode: string, steps: number, out: string): Promise<void> {
  const { X, y } = data(steps);
  const gpu = mode.startsWith('gpu');
  const ctx = gpu ? (await initWebGpu(), nd.gpu(0)) : nd.cpu();
  const split = mode !== 'single';
  const store = split ? kv.create('dist_sync') : kv.create('device');
  // Rank 1 starts from other weights: the Trainer must replace them by rank 0's.
  const otherInit = store.rank === 1 && mode !== 'gpu';
  if (otherInit) nd.random.seed(99);
  const net = model(16, ctx);
  if (otherInit) for (const p of net.collectParams().values()) p.setData(nd.random.normal(0, 1, p.data().shape, { ctx }));
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.05 }, store);
  const loss = new gloss.L2Loss();
  const rows = split ? PER_RANK : 2 * PER_RANK;
  for (let s = 0; s < steps; s++) {
    const start = 2 * PER_RANK * s + (split ? store.rank * PER_RANK : 0);
    const Xb = X.get(`${start}:${start + rows}`).copyto(ctx);
    const yb = y.get(`${start}:${start + rows}`).copyto(ctx);
    const l = autograd.record(() => loss.forward(net.forward(Xb), yb));
    l.backward();
    if (gpu && s === 0 && store.rank === 0) {
      try {
        trainer.step(rows);
        console.log('step on gpu: no error');
      } catch (e) {
        console.log(`step on gpu: ${(e as Error).constructor.name}: ${(e as Error).message}`);
      }
    }
    if (gpu) await trainer.stepAsync(rows);
    else trainer.step(rows);
  }
  if (store.rank === 0 || gpu) {
    const params: Record<string, number[]> = {};
    let i = 0;
    for (const p of net.collectParams().values()) params[String(i++)] = Array.from(await p.data().data());
    writeFileSync(store.rank === 0 ? out : `${out}.rank1`, JSON.stringify({ numWorkers: store.numWorkers, params }));
  }
  if (gpu) await destroyWebGpu();
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
if (cmd === 'train') await train(args[0], Number(args[1]), args[2]);
else if (cmd === 'extra') extra(Number(args[0]));
else if (cmd === 'mismatch') mismatch();
else throw new Error(`dist-worker: unknown command ${cmd}`);
