/**
 * The playground's training run (the book's concise MLP, 3.10, on Fashion-MNIST), written once for
 * the page and for Node (its tests compare the two): the data comes over fetch from `url` in a page
 * or through the data resolver in Node, the model trains on the Wasm kernels (cpu) or on WebGPU,
 * and every value is read asynchronously, as a GPU requires.
 *
 * @example
 * const run = await train(lib, { backend: 'wasm', epochs: 1, limit: 10000, url: 'data/fashion-mnist/' });
 * run.epochs[0].testAcc; // about 0.8
 */
import type * as Lib from '../src/index.js';

/** What the page (or a test) asks for. */
export interface TrainOptions {
  /** 'wasm': the CPU backend's portable kernels; 'webgpu': gpu(0) through navigator.gpu (or Dawn). */
  backend: 'wasm' | 'webgpu';
  /** 'softmax': the book's 3.7 softmax regression (lr 0.1); 'mlp': its 3.10 MLP (lr 0.5). */
  model?: 'softmax' | 'mlp';
  epochs: number;
  /** Train and test on the first `limit` images of each split. */
  limit: number;
  lr?: number;
  batchSize?: number;
  /** The folder URL serving the four IDX files (a page); absent: the data resolver (Node). */
  url?: string;
  seed?: number;
  /** Called after each epoch (the page's live chart). */
  onEpoch?: (e: EpochResult, all: readonly EpochResult[]) => void | Promise<void>;
  /** Called as the data files arrive. */
  onProgress?: (p: { file: string; loaded: number; total: number | null }) => void;
}

/** One epoch's numbers, as the book prints them. */
export interface EpochResult {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  testAcc: number;
  seconds: number;
}

/** A finished run: the epochs, the device, the CPU threads, and the first test images' predictions. */
export interface TrainResult {
  device: string;
  adapter: string | null;
  /** The CPU kernels' threads, and the worker threads among them that took work. */
  threads: number;
  readyWorkers: number;
  /** Whether the CPU heap is a shared memory (false in a page without cross-origin isolation). */
  sharedHeap: boolean;
  epochs: EpochResult[];
  predictions: { pixels: number[]; label: string; predicted: string }[];
}

function check(opts: TrainOptions): Required<Pick<TrainOptions, 'lr' | 'batchSize' | 'seed' | 'model'>> {
  if (opts.backend !== 'wasm' && opts.backend !== 'webgpu')
    throw new Error(`playground train: backend must be 'wasm' or 'webgpu', got ${JSON.stringify(opts.backend)}`);
  for (const [k, v] of Object.entries({ epochs: opts.epochs, limit: opts.limit }))
    if (!Number.isInteger(v) || (v as number) <= 0)
      throw new Error(`playground train: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
  const model = opts.model ?? 'mlp';
  if (model !== 'softmax' && model !== 'mlp')
    throw new Error(`playground train: model must be 'softmax' or 'mlp', got ${JSON.stringify(opts.model)}`);
  const lr = opts.lr ?? (model === 'mlp' ? 0.5 : 0.1);
  const batchSize = opts.batchSize ?? 256;
  if (!(lr > 0)) throw new Error(`playground train: lr must be a positive number, got ${JSON.stringify(opts.lr)}`);
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw new Error(`playground train: batchSize must be a positive integer, got ${JSON.stringify(opts.batchSize)}`);
  return { lr, batchSize, seed: opts.seed ?? 1, model };
}

/**
 * Trains the book's concise MLP (Dense(256, relu), Dense(10), Normal(0.01), sgd lr 0.5) or its
 * softmax regression (Dense(10), sgd lr 0.1) and returns the per-epoch numbers and ten test
 * predictions.
 *
 * @example
 * const r = await train(await import('../src/index.js'), { backend: 'wasm', epochs: 1, limit: 2000 });
 */
export async function train(lib: typeof Lib, opts: TrainOptions): Promise<TrainResult> {
  const { lr, batchSize, seed, model } = check(opts);
  const { nd, autograd, gluon, init, d2l } = lib;
  let adapter: string | null = null;
  let ctx = nd.cpu();
  if (opts.backend === 'webgpu') {
    adapter = (await lib.initWebGpu()).adapterDescription;
    ctx = nd.gpu(0);
  }
  nd.random.seed(seed);
  const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, {
    limit: opts.limit,
    ...(opts.url ? { url: opts.url, onProgress: opts.onProgress } : {}),
  });
  const net = new gluon.nn.Sequential();
  if (model === 'mlp') net.add(new gluon.nn.Dense(256, { activation: 'relu' }), new gluon.nn.Dense(10));
  else net.add(new gluon.nn.Dense(10));
  net.initialize(new init.Normal(0.01), { ctx });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });
  const correct = (yHat: Lib.NDArray, y: Lib.NDArray) => yHat.argmax({ axis: 1 }).astype('int32').equal(y).sum();
  const epochs: EpochResult[] = [];
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const t0 = performance.now();
    // Sums stay on the device and are read once an epoch (a GPU is read asynchronously).
    let lossSum = nd.zeros([1], { ctx });
    let rightSum = nd.zeros([1], { ctx, dtype: 'int32' });
    let n = 0;
    for (const [Xc, yc] of trainIter) {
      const X = Xc.copyto(ctx);
      const y = yc.copyto(ctx);
      const yHat = autograd.record(() => net.forward(X));
      const l = autograd.record(() => loss.forward(yHat, y));
      l.backward();
      trainer.step(X.shape[0]);
      lossSum = lossSum.add(l.sum());
      rightSum = rightSum.add(correct(yHat, y));
      n += X.shape[0];
    }
    let testRight = nd.zeros([1], { ctx, dtype: 'int32' });
    let testN = 0;
    for (const [Xc, yc] of testIter) {
      testRight = testRight.add(correct(net.forward(Xc.copyto(ctx)), yc.copyto(ctx)));
      testN += Xc.shape[0];
    }
    const result: EpochResult = {
      epoch,
      trainLoss: (await lossSum.asScalarAsync()) / n,
      trainAcc: (await rightSum.asScalarAsync()) / n,
      testAcc: (await testRight.asScalarAsync()) / testN,
      seconds: (performance.now() - t0) / 1000,
    };
    epochs.push(result);
    await opts.onEpoch?.(result, epochs);
  }
  const [X10, y10] = testIter[Symbol.iterator]().next().value as [Lib.NDArray, Lib.NDArray];
  const pred = await net.forward(X10.get(':10').copyto(ctx)).argmax({ axis: 1 }).data();
  const pixels = await X10.get(':10').data();
  const labels = d2l.getFashionMnistLabels(y10.get(':10'));
  const predicted = d2l.getFashionMnistLabels(Array.from(pred, Number));
  return {
    device: String(ctx),
    adapter,
    ...threadInfo(nd.cpu().backend as unknown as { kernelInfo(): { threads: number; readyWorkers: number; sharedHeap: boolean } }),
    epochs,
    predictions: labels.map((label, i) => ({
      pixels: Array.from(pixels.subarray(i * 784, (i + 1) * 784)),
      label,
      predicted: predicted[i],
    })),
  };
}

function threadInfo(b: { kernelInfo(): { threads: number; readyWorkers: number; sharedHeap: boolean } }): {
  threads: number;
  readyWorkers: number;
  sharedHeap: boolean;
} {
  const { threads, readyWorkers, sharedHeap } = b.kernelInfo();
  return { threads, readyWorkers, sharedHeap };
}
