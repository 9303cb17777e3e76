/**
 * The book's chapter-3 training helpers: `evaluateAccuracy` and `trainCh3` (3.6), written as the
 * book writes them (no memory calls: the library keeps a plain loop's memory flat). They are async
 * so the same code runs on a GPU: each batch's loss and correct count are read with
 * `asScalarAsync`, the book's per-batch `asscalar()`.
 */
import { ValueError } from '../core/errors.js';
import { record } from '../autograd/autograd.js';
import { Context } from '../ndarray/context.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { sgd } from './linreg.js';
import { correctCount, Timer } from './metrics.js';
import { ProgressBar, progressEnabled } from './progress.js';
import { getFashionMnistLabels } from './fashion-mnist.js';
import { showImages } from './images.js';
import type { Figure } from './plot.js';

/** A model: a function of the input or a Block (anything with `forward(X)`). */
export type Net = ((X: NDArray) => NDArray) | { forward(X: NDArray): NDArray };
/** A loss: a function of (yHat, y) or a Gluon loss (anything with `forward(yHat, y)`). */
export type LossLike = ((yHat: NDArray, y: NDArray) => NDArray) | { forward(yHat: NDArray, y: NDArray): NDArray };
/** What trainCh3 needs of a Gluon Trainer. */
export interface TrainerLike {
  step(batchSize: number): void;
}
/** Minibatches `[X, y]`: a DataLoader, `d2l.dataIter(...)`, or any iterable of pairs. */
export type BatchIterable = Iterable<readonly [NDArray, NDArray] | readonly NDArray[]>;

/** Applies a model given as a function or as a Block. @example d2l.applyNet(net, X) */
export function applyNet(net: Net, X: NDArray): NDArray {
  return typeof net === 'function' ? net(X) : net.forward(X);
}

/** Applies a loss given as a function or as a Gluon loss. @example d2l.applyLoss(loss, yHat, y) */
export function applyLoss(loss: LossLike, yHat: NDArray, y: NDArray): NDArray {
  return typeof loss === 'function' ? loss(yHat, y) : loss.forward(yHat, y);
}

function batchPair(batch: readonly NDArray[], where: string): [NDArray, NDArray] {
  if (!Array.isArray(batch) || batch.length < 2) throw new ValueError(`${where}: each batch must be a pair [X, y]`);
  return [batch[0], batch[1]];
}

/** The batch on `ctx` (the arrays themselves when they are already there, or no ctx is given). */
function onDevice(X: NDArray, y: NDArray, ctx: Context | undefined): [NDArray, NDArray] {
  return ctx ? [X.asInContext(ctx), y.asInContext(ctx)] : [X, y];
}

function countBatches(data: BatchIterable): number | undefined {
  const len = (data as { length?: unknown }).length;
  if (typeof len === 'number' && Number.isFinite(len)) return len;
  const size = (data as { size?: unknown }).size;
  return typeof size === 'number' && Number.isFinite(size) ? size : undefined;
}

/**
 * The fraction of examples in `dataIter` that `net` classifies correctly (argmax of its output
 * equals the label), the book's `evaluate_accuracy`; with `ctx`, each batch is copied there first.
 *
 * @example
 * const acc = await d2l.evaluateAccuracy(testIter, net); // about 0.1 for an untrained model
 * await d2l.evaluateAccuracy(testIter, net, ctx);        // 5.5's form: each batch copied to ctx
 */
export async function evaluateAccuracy(dataIter: BatchIterable, net: Net, opts: { ctx?: Context } | Context = {}): Promise<number> {
  const ctx = opts instanceof Context ? opts : opts.ctx; // the book's evaluate_accuracy(data_iter, net, ctx) (5.5)
  let accSum = 0;
  let n = 0;
  for (const batch of dataIter) {
    const [X, y] = onDevice(...batchPair(batch, 'evaluateAccuracy'), ctx);
    accSum += await correctCount(applyNet(net, X), y).asScalarAsync();
    n += y.size;
  }
  if (n === 0) throw new ValueError('evaluateAccuracy: the data iterator yielded no examples');
  return accSum / n;
}

/** The numbers of one epoch of trainCh3. */
export interface EpochMetrics {
  /** 1-based. */
  epoch: number;
  /** The mean training loss per example. */
  loss: number;
  trainAcc: number;
  testAcc: number;
  /** Wall-clock seconds of the training pass (without the test evaluation). */
  seconds: number;
  /** Training examples per second. */
  examplesPerSec: number;
}

export interface TrainCh3Options {
  /** Where the epoch lines go (default console.log). */
  print?: (line: string) => void;
  /** Show a progress bar per epoch (default: on a terminal). */
  progress?: boolean;
  /** Compute on this device: batches are copied there. */
  ctx?: Context;
  /** Called after each epoch with its metrics. */
  onEpoch?: (m: EpochMetrics) => void;
}

/**
 * The book's `train_ch3` (3.6): `numEpochs` passes over `trainIter`; each minibatch computes
 * `loss(net(X), y).sum()` under `autograd.record`, backpropagates, and updates with
 * `sgd(params, lr, batchSize)` or `trainer.step(batchSize)`. After each epoch it prints
 * `epoch 1, loss 0.7896, train acc 0.745, test acc 0.803` (loss and accuracy per example) and
 * returns every epoch's metrics.
 *
 * @example
 * // from scratch (3.6)
 * await d2l.trainCh3(net, trainIter, testIter, crossEntropy, 5, 256, [W, b], 0.1);
 * // with Gluon (3.7)
 * await d2l.trainCh3(net, trainIter, testIter, loss, 5, 256, null, null, trainer);
 */
export async function trainCh3(
  net: Net,
  trainIter: BatchIterable,
  testIter: BatchIterable,
  loss: LossLike,
  numEpochs: number,
  batchSize: number,
  params: readonly NDArray[] | null = null,
  lr: number | null = null,
  trainer: TrainerLike | null = null,
  opts: TrainCh3Options = {},
): Promise<EpochMetrics[]> {
  if (!Number.isInteger(numEpochs) || numEpochs < 0)
    throw new ValueError(`trainCh3: numEpochs must be a non-negative integer, got ${numEpochs}`);
  if (!trainer && (!params || lr === null)) throw new ValueError('trainCh3: pass either params and lr (from-scratch sgd) or a trainer');
  const print = opts.print ?? ((l: string) => console.log(l));
  const showBar = progressEnabled(opts.progress);
  const history: EpochMetrics[] = [];
  let knownBatches = countBatches(trainIter);
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    const bar = new ProgressBar(knownBatches ?? 0, { label: `epoch ${epoch + 1}`, enabled: showBar && knownBatches !== undefined });
    const timer = new Timer();
    let trainLSum = 0;
    let trainAccSum = 0;
    let n = 0;
    let batches = 0;
    try {
      for (const batch of trainIter) {
        const [X, y] = onDevice(...batchPair(batch, 'trainCh3'), opts.ctx);
        const [yHat, l] = record(() => {
          const out = applyNet(net, X);
          return [out, applyLoss(loss, out, y).sum()] as const;
        });
        l.backward();
        if (trainer) trainer.step(batchSize);
        else sgd(params as readonly NDArray[], lr as number, batchSize);
        // Both reads are in flight at once: one wait per batch on a GPU.
        const [lv, correct] = await Promise.all([l.asScalarAsync(), correctCount(yHat, y).asScalarAsync()]);
        trainLSum += lv;
        trainAccSum += correct;
        n += y.size;
        batches++;
        if (bar.enabled) bar.update(batches, { examples: y.shape[0] ?? 1, loss: trainLSum / n });
      }
      const seconds = timer.stop();
      bar.stop();
      if (n === 0) throw new ValueError('trainCh3: the training iterator yielded no examples');
      knownBatches ??= batches;
      const testAcc = await evaluateAccuracy(testIter, net, opts.ctx ? { ctx: opts.ctx } : {});
      const m: EpochMetrics = {
        epoch: epoch + 1,
        loss: trainLSum / n,
        trainAcc: trainAccSum / n,
        testAcc,
        seconds,
        examplesPerSec: n / seconds,
      };
      history.push(m);
      print(`epoch ${m.epoch}, loss ${m.loss.toFixed(4)}, train acc ${m.trainAcc.toFixed(3)}, test acc ${m.testAcc.toFixed(3)}`);
      opts.onEpoch?.(m);
    } finally {
      bar.stop();
    }
  }
  return history;
}

/** What predictCh3 shows. */
export interface Predictions {
  trueLabels: string[];
  predLabels: string[];
  /** `true + '\n' + predicted`, one per image, as the book's titles. */
  titles: string[];
  /** The rendered grid (written to the file given). */
  figure: Figure;
}

/**
 * The end of 3.6: takes the first test batch, predicts its labels, and shows the first `n` images
 * titled with the true label over the predicted one (written to `file`). With `ctx`, the batch is
 * copied there for the forward pass.
 *
 * @example
 * const { titles } = await d2l.predictCh3(net, testIter, 9, 'out/predictions.png');
 */
export async function predictCh3(
  net: Net,
  testIter: BatchIterable,
  n = 9,
  file?: string,
  opts: { numCols?: number; ctx?: Context } = {},
): Promise<Predictions> {
  let first: [NDArray, NDArray] | null = null;
  for (const batch of testIter) {
    first = batchPair(batch, 'predictCh3');
    break;
  }
  if (!first) throw new ValueError('predictCh3: the test iterator yielded no batches');
  const [X, y] = first;
  const k = Math.min(n, X.shape[0]);
  const predArr = applyNet(net, opts.ctx ? X.asInContext(opts.ctx) : X)
    .argmax({ axis: 1 })
    .get(`:${k}`);
  const trueLabels = getFashionMnistLabels(Array.from(await y.get(`:${k}`).data()));
  const predLabels = getFashionMnistLabels(Array.from(await predArr.data()));
  const titles = trueLabels.map((t, i) => `${t}\n${predLabels[i]}`);
  const numCols = opts.numCols ?? k;
  const figure = await showImages(X.get(`:${k}`), Math.ceil(k / numCols), numCols, { titles, scale: 2, ...(file ? { file } : {}) });
  return { trueLabels, predLabels, titles, figure };
}
