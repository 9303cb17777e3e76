/**
 * # 8.2 Asynchronous computation (异步计算)
 *
 * MXNet runs operators asynchronously: the Python front end hands each operator to a back-end
 * engine and returns at once, and only a read of the values (`print`, `asnumpy`, `asscalar`,
 * `wait_to_read`, `nd.waitall`) waits for it. d2l-ts does the same on a GPU: WebGPU queues its
 * kernels, and a read (`await x.data()`, `await x.waitToRead()`, `await nd.waitall()`) waits for
 * them. On the CPU, d2l-ts's kernels run synchronously: an operator has finished when it returns,
 * so on cpu(0) the "queued" and the "finished" times below add up to the same work, and the
 * synchronous and asynchronous loops differ only by the cost of waiting. Run it with
 * `--ctx gpu(0)` where WebGPU has an adapter to see the queue.
 *
 * Run it: `d2l-ts run async-computation [--ctx gpu(0)]`. `--limit N` shrinks the work for tests:
 * N-by-N matrices (the book: 2000) and N-row batches (the book: 1024), N/10 loop iterations (the
 * book: 1000) and 4 batches per pass (the book: 100).
 */
import { nd, autograd, gluon, d2l, type Context, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

const { nn } = gluon;

export const meta = {
  slug: 'async-computation',
  title: '8.2 异步计算 (asynchronous computation)',
};

export interface AsyncComputationResult {
  lines: string[];
  ctx: Context;
  /** The seconds each Benchmark block took, in the order printed. */
  times: number[];
  /** The RSS increase of the two training passes, in MB (synchronised by asScalar, and not). */
  increasedMemory: [number, number];
}

/**
 * Runs 8.2: the Benchmark blocks of the book (queued vs finished work, the synchronising calls, a
 * synchronous and an asynchronous loop) and the memory of training with and without a read per
 * batch.
 *
 * @example
 * const { lines } = await run({ limit: 200 });
 */
export async function run(opts: ChapterOptions = {}): Promise<AsyncComputationResult> {
  const { print, lines } = startRun(opts);
  const ctx = opts.ctx ?? nd.cpu();
  const n = opts.limit ?? 2000;
  const loops = opts.limit === undefined ? 1000 : Math.max(10, Math.round(n / 10));
  const times: number[] = [];
  // Every Benchmark prints through the program's print, and its time is kept for the result.
  const bench = <T>(prefix: string | null, body: () => T): T =>
    d2l.benchmark(prefix, body, {
      print: (line) => {
        times.push(Number(/time: ([\d.]+) sec/.exec(line)![1]));
        print(line);
      },
    });

  // ## Asynchronous computation in MXNet
  // The book's first block only queues its work; the second prints the result, so it waits for it.
  let x!: NDArray;
  let y!: NDArray;
  bench('Workloads are queued.', () => {
    x = nd.random.uniform(0, 1, [n, n], { ctx });
    y = nd.dot(x, x).sum();
  });
  await bench('Workloads are finished.', async () => {
    print('sum =', await y.toStringAsync());
  });

  // ## Synchronising the front end and the back end
  // wait_to_read waits for one array, waitall for everything queued; reading values (asnumpy,
  // asscalar: here toArray/data and asScalar) waits too.
  await bench(null, async () => {
    y = nd.dot(x, x);
    await y.waitToRead();
  });
  await bench(null, async () => {
    y = nd.dot(x, x);
    const z = nd.dot(x, x);
    await nd.waitall();
    return z;
  });
  await bench(null, async () => {
    y = nd.dot(x, x);
    return y.toArrayAsync();
  });
  await bench(null, async () => {
    y = nd.dot(x, x);
    return y.norm().asScalarAsync();
  });

  // ## Using asynchronous computation for performance
  // Waiting after every operation pays the round trip every time; waiting once at the end lets the
  // front end run ahead.
  await bench('synchronous.', async () => {
    for (let i = 0; i < loops; i++) {
      y = x.add(1);
      await y.waitToRead();
    }
  });
  await bench('asynchronous.', async () => {
    for (let i = 0; i < loops; i++) y = x.add(1);
    await nd.waitall();
  });

  // ## The effect of asynchronous computation on memory
  // A training loop that never reads a value lets the front end queue batch after batch; with a
  // read per batch (asScalar) at most one batch is in flight.
  const numBatches = opts.limit === undefined ? 100 : 4;
  const batchSize = opts.limit === undefined ? 1024 : n;
  function* dataIter(): Generator<[NDArray, NDArray]> {
    const start = performance.now();
    for (let i = 0; i < numBatches; i++) {
      const X = nd.random.normal(0, 1, [batchSize, 512], { ctx });
      const y = nd.ones([batchSize], { ctx });
      yield [X, y];
      if ((i + 1) % (numBatches / 2) === 0) print(`batch ${i + 1}, time ${((performance.now() - start) / 1000).toFixed(6)} sec`);
    }
  }

  const net = new nn.Sequential();
  net.add(new nn.Dense(2048, { activation: 'relu' }), new nn.Dense(512, { activation: 'relu' }), new nn.Dense(1));
  net.initialize(undefined, { ctx });
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.005 });
  const loss = new gluon.loss.L2Loss();

  // Instead of the book's `ps u -p <pid>`: the process's resident memory, in MB.
  const getMem = (): number => process.memoryUsage().rss / 1e6;

  // One batch first, so that the parameters exist before memory is measured (deferred init).
  for (const [X, y] of dataIter()) {
    await loss.forward(y, net.forward(X)).waitToRead();
    break;
  }

  let lSum = 0;
  let mem = getMem();
  for (const [X, y] of dataIter()) {
    const l = autograd.record(() => loss.forward(y, net.forward(X)));
    lSum += await l.mean().asScalarAsync(); // a synchronising read per batch
    l.backward();
    trainer.step(X.shape[0]);
  }
  await nd.waitall();
  const first = getMem() - mem;
  print(`increased memory: ${first.toFixed(6)} MB`);

  mem = getMem();
  for (const [X, y] of dataIter()) {
    const l = autograd.record(() => loss.forward(y, net.forward(X)));
    l.backward();
    trainer.step(X.shape[0]);
  }
  await nd.waitall();
  const second = getMem() - mem;
  print(`increased memory: ${second.toFixed(6)} MB`);
  if (!Number.isFinite(lSum)) throw new Error(`async-computation: the training loss is not finite (${lSum})`);
  return { lines, ctx, times, increasedMemory: [first, second] };
}

runIfMain(import.meta.url, run);
