/**
 * The Fashion-MNIST classifier protocol shared by W3 (softmax regression) and W4 (MLP), as
 * ../shared/bench/WORKLOADS.md defines it and torch_bench.py runs it:
 *
 * - data: the official IDX .gz files read by gluon.data.vision.FashionMNIST, pixels / 255,
 *   flattened to 784 (load + parse not timed);
 * - each epoch: a fresh permutation of the 60,000 training indices from a seeded RNG; batches of
 *   256 in that order (the last has 96 rows), each copied into a batch tensor (`take`, a row
 *   gather as torch's `X[idx]`);
 * - step: logits, mean softmax cross-entropy through gluon.loss.SoftmaxCrossEntropyLoss, autograd
 *   backward, SGD in place (`p -= lr * grad`);
 * - per batch, loss·m and #correct are read back to the host and summed there (the book's
 *   Accumulator);
 * - timed: the training loop of each epoch; not timed: the test-set evaluation after it.
 */
import { autograd, gluon, nd, type NDArray } from '../src/index.js';
import {
  baseRecord,
  emit,
  memoryMode,
  median,
  mulberry32,
  now,
  parseArgs,
  permutation,
  startKernelThreads,
  workloads,
  type W3Config,
} from './w3-w5-harness.js';

export interface EpochRecord {
  epoch: number;
  sec: number;
  train_loss: number;
  train_acc: number;
  test_acc: number;
}

export interface FashionMnistArrays {
  trainX: NDArray;
  trainY: NDArray;
  testX: NDArray;
  testY: NDArray;
  nTrain: number;
  nTest: number;
  loadS: number;
}

/** A Fashion-MNIST split as float32 [n, 784] in [0, 1] and int32 labels (the dataset is disposed). */
function splitArrays(ds: InstanceType<typeof gluon.data.vision.FashionMNIST>): [NDArray, NDArray] {
  const [img, lab] = ds.arrays();
  const n = img.shape[0];
  // Scaled in place: one float32 copy of the images at a time (the peak RSS counts every copy).
  const flat = img.reshape([n, 784]);
  const x = flat.astype('float32').idiv(255);
  flat.dispose();
  const y = lab.copy();
  img.dispose();
  lab.dispose();
  ds.dispose();
  return [x, y];
}

/** Fashion-MNIST as float32 [n, 784] in [0, 1] and int32 labels, from the IDX files. */
export function loadFashionMnist(dir: string): FashionMnistArrays {
  const t0 = now();
  const [trainX, trainY] = splitArrays(new gluon.data.vision.FashionMNIST({ root: dir, train: true }));
  const [testX, testY] = splitArrays(new gluon.data.vision.FashionMNIST({ root: dir, train: false }));
  return { trainX, trainY, testX, testY, nTrain: trainX.shape[0], nTest: testX.shape[0], loadS: (now() - t0) / 1e3 };
}

/**
 * The same arrays from the IDX files under a folder URL (a web page's fetch and checksums;
 * bench/browser/d2l-entry.ts), for runClassifier's `data`.
 *
 * @example
 * const d = await fetchFashionMnist('fmnist/');
 */
export async function fetchFashionMnist(url: string): Promise<FashionMnistArrays> {
  if (typeof url !== 'string' || url === '') throw new Error(`fetchFashionMnist: expected a folder URL (got ${String(url)})`);
  const t0 = now();
  const [trainX, trainY] = splitArrays(await gluon.data.vision.FashionMNIST.create({ url, train: true }));
  const [testX, testY] = splitArrays(await gluon.data.vision.FashionMNIST.create({ url, train: false }));
  return { trainX, trainY, testX, testY, nTrain: trainX.shape[0], nTest: testX.shape[0], loadS: (now() - t0) / 1e3 };
}

/**
 * Trains `params` (attached gradients) with `forward` for cfg.epochs epochs, emits the RESULT
 * line of `workload` and returns the per-epoch records. `data`: Fashion-MNIST already loaded (a
 * page fetches it, fetchFashionMnist), else it is read from the workloads' folder.
 */
export function runClassifier(
  workload: string,
  cfg: W3Config,
  params: NDArray[],
  forward: (X: NDArray) => NDArray,
  argv = process.argv.slice(2),
  data?: FashionMnistArrays,
): EpochRecord[] {
  const args = parseArgs(argv);
  startKernelThreads();
  const base = baseRecord(args);
  const d = data ?? loadFashionMnist(workloads().fashion_mnist_dir);
  const bs = cfg.batch_size;
  const lr = cfg.lr;
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const rng = mulberry32(42);
  const epochsToRun = typeof args.epochs === 'string' ? Number(args.epochs) : cfg.epochs;
  const memory = memoryMode(args);

  const trainStep = (idx: NDArray, m: number): [number, number] =>
    memory.scope(() => {
      const X = d.trainX.take(idx); // the batch: the shuffled rows copied into one tensor
      const y = d.trainY.take(idx);
      let logits!: NDArray;
      const l = autograd.record(() => {
        logits = forward(X);
        return loss.forward(logits, y).mean();
      });
      l.backward();
      for (const p of params) p.isub(p.grad.mul(lr));
      const correct = logits.argmax({ axis: 1 }).equal(y).sum();
      return [l.asScalar() * m, correct.asScalar()];
    });

  const trainEpoch = (): { lossSum: number; correct: number; n: number } => {
    const perm = nd.array(permutation(d.nTrain, rng), { dtype: 'int32' });
    let lossSum = 0;
    let correct = 0;
    let n = 0;
    for (let start = 0; start < d.nTrain; start += bs) {
      const m = Math.min(bs, d.nTrain - start);
      const idx = perm.get(`${start}:${start + m}`);
      const [l, c] = trainStep(idx, m);
      memory.release(idx);
      lossSum += l;
      correct += c;
      n += m;
    }
    memory.release(perm);
    return { lossSum, correct, n };
  };

  const evalTest = (): number =>
    memory.scope(() => autograd.predictMode(() => forward(d.testX).argmax({ axis: 1 }).equal(d.testY).sum().asScalar() / d.nTest));

  const epochs: EpochRecord[] = [];
  for (let e = 1; e <= epochsToRun; e++) {
    const t = now();
    const { lossSum, correct, n } = trainEpoch();
    const sec = (now() - t) / 1e3;
    const testAcc = evalTest();
    const rec = {
      epoch: e,
      sec: +sec.toFixed(4),
      train_loss: +(lossSum / n).toFixed(4),
      train_acc: +(correct / n).toFixed(4),
      test_acc: +testAcc.toFixed(4),
    };
    epochs.push(rec);
    console.error(`  epoch ${e}: ${rec.sec}s loss ${rec.train_loss} train_acc ${rec.train_acc} test_acc ${rec.test_acc}`);
  }
  emit({
    ...base,
    workload,
    case: 'train',
    metric: 'sec_per_epoch',
    unit: 's/epoch',
    value: median(epochs.map((e) => e.sec)),
    epochs,
    load_s: d.loadS,
    arrays_alive: nd.memory().arrays,
    memory: memory.mode,
    cpu_memory: nd.memory().devices['cpu(0)'],
    note: `median of ${epochs.length} epoch times`,
  });
  for (const a of [d.trainX, d.trainY, d.testX, d.testY]) a.dispose();
  return epochs;
}

/** Parameters ~ N(0, std²) (weights) or 0 (biases), with gradients attached. */
export function normalParam(shape: number[], std: number): NDArray {
  const p = nd.random.normal(0, std, shape);
  p.attachGrad();
  return p;
}
export function zeroParam(n: number): NDArray {
  const p = nd.zeros([n]);
  p.attachGrad();
  return p;
}
