/**
 * For the chapter programs whose book settings take long on a CPU (5.5 LeNet, 5.10 batch norm):
 * measure one training step on the first batch, estimate the whole run from it, and when the
 * estimate exceeds ten minutes print it with the command for a shorter run, before training.
 */
import { autograd, gluon, type NDArray, type Context } from '../src/index.js';
import { ValueError } from '../src/core/errors.js';

/** What estimateRun measured and concluded. */
export interface RunEstimate {
  /** Seconds of one training step (forward, backward) on the first batch, after one warm-up step. */
  stepSeconds: number;
  /** The estimated seconds of the whole run. */
  seconds: number;
  /** Whether the estimate exceeded `warnAbove` and the lines were printed. */
  warned: boolean;
}

async function onePass(net: gluon.Block, loss: gluon.loss.SoftmaxCrossEntropyLoss, X: NDArray, y: NDArray): Promise<void> {
  // Predict mode: a batch norm layer's moving statistics stay as they are.
  const l = autograd.record(() => loss.forward(net.forward(X), y).sum(), { trainMode: false });
  l.backward();
  await l.asScalarAsync(); // wait for the work, on a GPU too
}

/**
 * Times one training step of `net` (forward and backward with softmax cross-entropy, after a
 * warm-up step; the parameters are not updated) on the first batch of `trainIter`, and estimates
 * `epochs` passes over `trainBatches` training batches and `testBatches` test batches (a test
 * batch is counted as a third of a step: forward only) for `nets` such networks. When the estimate
 * is above `warnAbove` seconds (default 600), prints it and `shorter`, the command for a shorter run.
 *
 * @example
 * await estimateRun(net, trainIter, { ctx, epochs: 5, trainBatches: 235, testBatches: 40, shorter: 'd2l-ts run lenet --limit 6000', print });
 */
export async function estimateRun(
  net: gluon.Block,
  trainIter: Iterable<readonly NDArray[]>,
  opts: {
    ctx: Context;
    epochs: number;
    trainBatches: number;
    testBatches: number;
    nets?: number;
    shorter: string;
    print: (line: string) => void;
    warnAbove?: number;
  },
): Promise<RunEstimate> {
  if (!(opts.epochs >= 0 && opts.trainBatches >= 0 && opts.testBatches >= 0))
    throw new ValueError(
      `estimateRun: epochs and batch counts must be non-negative, got ${opts.epochs}, ${opts.trainBatches}, ${opts.testBatches}`,
    );
  let first: readonly NDArray[] | undefined;
  for (const batch of trainIter) {
    first = batch;
    break;
  }
  if (!first) throw new ValueError('estimateRun: the training iterator yielded no batches');
  const X = first[0].asInContext(opts.ctx);
  const y = first[1].asInContext(opts.ctx);
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  await onePass(net, loss, X, y);
  const t0 = performance.now();
  await onePass(net, loss, X, y);
  const stepSeconds = (performance.now() - t0) / 1000;
  const seconds = stepSeconds * (opts.trainBatches + opts.testBatches / 3) * opts.epochs * (opts.nets ?? 1);
  const warned = seconds > (opts.warnAbove ?? 600);
  if (warned) {
    opts.print(
      `estimated time: ${(seconds / 60).toFixed(0)} min here (one training step ${stepSeconds.toFixed(2)} sec, ` +
        `${opts.trainBatches} training batches, ${opts.epochs} epochs${(opts.nets ?? 1) > 1 ? `, ${opts.nets} networks` : ''})`,
    );
    opts.print(`for a shorter run: ${opts.shorter}`);
  }
  return { stepSeconds, seconds, warned };
}
