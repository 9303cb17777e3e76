/**
 * The book's chapter-5 helpers (d2lzh's `corr2d` from 5.1 and `train_ch5` from 5.5), written as
 * the book writes them: `corr2d` is the loop of element assignments, and `trainCh5` reads the loss
 * and the correct count of every batch (the book's per-batch `asscalar`), with no memory calls.
 */
import { ShapeError, ValueError } from '../core/errors.js';
import { record } from '../autograd/autograd.js';
import { Context } from '../ndarray/context.js';
import { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';
import { SoftmaxCrossEntropyLoss } from '../gluon/loss.js';
import { shapeStr } from '../core/shape.js';
import { applyNet, evaluateAccuracy, type BatchIterable, type EpochMetrics, type Net, type TrainerLike } from './train.js';
import { correctCount, Timer } from './metrics.js';

/**
 * The 2-D cross-correlation of `X` (h, w) with the kernel `K` (kh, kw), the book's `corr2d` (5.1):
 * output (h - kh + 1, w - kw + 1), element (i, j) the sum of `X[i:i+kh, j:j+kw] * K`. It is the
 * book's loop of element assignments, so autograd cannot differentiate it (use `nn.Conv2D`).
 *
 * @example
 * const X = nd.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
 * d2l.corr2d(X, nd.array([[0, 1], [2, 3]])).toArray(); // [[19, 25], [37, 43]]
 */
export function corr2d(X: NDArray, K: NDArray): NDArray {
  if (!(X instanceof NDArray) || !(K instanceof NDArray)) throw new ValueError('d2l.corr2d: X and K must be NDArrays');
  if (X.ndim !== 2 || K.ndim !== 2)
    throw new ShapeError(`d2l.corr2d: expected a 2-D input X and a 2-D kernel K, got X ${shapeStr(X.shape)} and K ${shapeStr(K.shape)}`);
  const [h, w] = K.shape;
  if (h < 1 || w < 1 || h > X.shape[0] || w > X.shape[1])
    throw new ShapeError(`d2l.corr2d: the kernel K ${shapeStr(K.shape)} must be non-empty and fit inside the input X ${shapeStr(X.shape)}`);
  const Y = nd.zeros([X.shape[0] - h + 1, X.shape[1] - w + 1], { ctx: X.context });
  for (let i = 0; i < Y.shape[0]; i++)
    for (let j = 0; j < Y.shape[1]; j++)
      Y.set(
        [i, j],
        X.get(`${i}:${i + h}, ${j}:${j + w}`)
          .mul(K)
          .sum(),
      );
  return Y;
}

/** Options of trainCh5 beyond the book's arguments. */
export interface TrainCh5Options {
  /** Where the lines go (default console.log). */
  print?: (line: string) => void;
  /**
   * Called after each epoch (its line printed, the test accuracy measured) with its metrics; a
   * returned promise is awaited before the next epoch starts, so this is where a checkpoint is
   * saved: the parameters, the trainer and the random generator are then exactly as the next
   * epoch will find them.
   */
  onEpoch?: (m: EpochMetrics) => void | Promise<void>;
  /**
   * The epochs already trained, for a run resumed from a checkpoint (default 0): trains epochs
   * `startEpoch + 1` to `numEpochs`, printed and numbered as in the uninterrupted run. An integer
   * from 0 to `numEpochs`.
   */
  startEpoch?: number;
}

/**
 * The book's `train_ch5` (5.5): prints `training on cpu(0)`, then trains `net` for `numEpochs`
 * with `SoftmaxCrossEntropyLoss`, copying each batch to `ctx`, stepping `trainer` by `batchSize`
 * and reading every batch's loss and correct count (the book's `asscalar`); after each epoch it
 * prints `epoch 1, loss 2.3202, train acc 0.102, test acc 0.100, time 2.1 sec` (the test accuracy
 * from `evaluateAccuracy(testIter, net, ctx)`; the time, as the book's, includes that evaluation)
 * and returns the metrics of the epochs it trained (`seconds` likewise).
 *
 * Beyond the book: `opts.onEpoch` runs after each epoch (and is awaited), and `opts.startEpoch`
 * continues a run whose first epochs are done, with the parameters, the trainer state and the
 * random generator restored from the end of that epoch (`net.loadParameters`,
 * `trainer.loadStates`): the epochs that follow print what the uninterrupted run printed.
 *
 * @example
 * const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.9 });
 * await d2l.trainCh5(net, trainIter, testIter, 256, trainer, ctx, 5);
 * // Save after each epoch; later, resume after epoch 2 of 5 (prints epochs 3 to 5).
 * await d2l.trainCh5(net, trainIter, testIter, 256, trainer, ctx, 5, { onEpoch: async () => net.saveParametersAsync('net.params') });
 * await d2l.trainCh5(net, trainIter, testIter, 256, trainer, ctx, 5, { startEpoch: 2 });
 */
export async function trainCh5(
  net: Net,
  trainIter: BatchIterable,
  testIter: BatchIterable,
  batchSize: number,
  trainer: TrainerLike,
  ctx: Context,
  numEpochs: number,
  opts: TrainCh5Options = {},
): Promise<EpochMetrics[]> {
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw new ValueError(`d2l.trainCh5: batchSize must be a positive integer, got ${String(batchSize)}`);
  if (!Number.isInteger(numEpochs) || numEpochs < 0)
    throw new ValueError(`d2l.trainCh5: numEpochs must be a non-negative integer, got ${String(numEpochs)}`);
  if (!(ctx instanceof Context)) throw new ValueError(`d2l.trainCh5: ctx must be a Context (cpu() or gpu(0)), got ${String(ctx)}`);
  if (!trainer || typeof trainer.step !== 'function')
    throw new ValueError('d2l.trainCh5: trainer must be a gluon.Trainer (something with step(batchSize))');
  const startEpoch = opts.startEpoch ?? 0;
  if (!Number.isInteger(startEpoch) || startEpoch < 0 || startEpoch > numEpochs)
    throw new ValueError(
      `d2l.trainCh5: startEpoch (the epochs already trained) must be an integer from 0 to numEpochs = ${numEpochs}, got ${String(opts.startEpoch)}`,
    );
  if (opts.onEpoch !== undefined && typeof opts.onEpoch !== 'function')
    throw new ValueError(`d2l.trainCh5: onEpoch must be a function (metrics) => void, got ${typeof opts.onEpoch}`);
  const print = opts.print ?? ((l: string) => console.log(l));
  print(`training on ${ctx.toString()}`);
  const loss = new SoftmaxCrossEntropyLoss();
  const history: EpochMetrics[] = [];
  for (let epoch = startEpoch; epoch < numEpochs; epoch++) {
    let trainLSum = 0;
    let trainAccSum = 0;
    let n = 0;
    const timer = new Timer();
    for (const batch of trainIter) {
      if (!Array.isArray(batch) || batch.length < 2) throw new ValueError('d2l.trainCh5: each batch must be a pair [X, y]');
      const X = (batch[0] as NDArray).asInContext(ctx);
      const y = (batch[1] as NDArray).asInContext(ctx);
      const [yHat, l] = record(() => {
        const out = applyNet(net, X);
        return [out, loss.forward(out, y).sum()] as const;
      });
      l.backward();
      trainer.step(batchSize);
      trainLSum += await l.asScalarAsync();
      trainAccSum += await correctCount(yHat, y).asScalarAsync();
      n += y.size;
    }
    if (n === 0) throw new ValueError('d2l.trainCh5: the training iterator yielded no examples');
    const testAcc = await evaluateAccuracy(testIter, net, ctx);
    const seconds = timer.stop();
    const m: EpochMetrics = {
      epoch: epoch + 1,
      loss: trainLSum / n,
      trainAcc: trainAccSum / n,
      testAcc,
      seconds,
      examplesPerSec: n / seconds,
    };
    history.push(m);
    print(
      `epoch ${m.epoch}, loss ${m.loss.toFixed(4)}, train acc ${m.trainAcc.toFixed(3)}, test acc ${m.testAcc.toFixed(3)}, time ${seconds.toFixed(1)} sec`,
    );
    await opts.onEpoch?.(m);
  }
  return history;
}
