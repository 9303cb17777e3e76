/**
 * # 3.6 Softmax regression from scratch (softmax回归的从零开始实现)
 *
 * This section implements softmax regression by hand, the way 3.2 did linear regression, and
 * trains it to classify Fashion-MNIST images.
 *
 * Run it: `d2l-ts run softmax-regression-scratch [--epochs 5 --lr 0.1 --batch-size 256]`.
 */
import { join } from 'node:path';
import { nd, d2l, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'softmax-regression-scratch',
  title: '3.6 softmax回归的从零开始实现 (softmax regression from scratch)',
  needsData: ['fashion-mnist'],
};

export interface SoftmaxScratchResult {
  /** Test accuracy of the untrained model (about 0.1). */
  untrainedAcc: number;
  /** Metrics per epoch, as printed. */
  history: d2l.EpochMetrics[];
  predictions: d2l.Predictions;
}

// ## Implementing the softmax operation
// For a matrix X, sum over the same column (axis 0) or the same row (axis 1), keeping both
// dimensions in the result (keepdims). softmax exponentiates every element, sums each row to get
// its normaliser, and divides each row by it, so every row becomes a probability distribution:
// non-negative entries that sum to 1. (Like the book, no maximum is subtracted first.)
function softmax(X: NDArray): NDArray {
  const XExp = X.exp();
  const partition = XExp.sum({ axis: 1, keepdims: true });
  return XExp.div(partition); // broadcasting
}

// ## The loss function
// pick selects, for each example, the predicted probability of its true label; cross-entropy is
// minus its logarithm.
function crossEntropy(yHat: NDArray, y: NDArray): NDArray {
  return nd.pick(yHat, y).log().neg();
}

// ## Classification accuracy
// The fraction of correct predictions: argmax over the class axis gives the predicted class, which
// is compared with the label (the result is 1 where they agree).
function accuracy(yHat: NDArray, y: NDArray): number {
  return yHat.argmax({ axis: 1 }).equal(y.astype('float32')).mean().asScalar();
}

/**
 * Runs 3.6: softmax regression by hand on Fashion-MNIST (5 epochs, lr 0.1, batch 256 unless
 * overridden); prints the book's checks and epoch lines, and writes the prediction grid.
 *
 * @example
 * const { history } = await run({ seed: 1, epochs: 5 });
 * history[4].testAcc; // about 0.83
 */
export async function run(opts: ChapterOptions = {}): Promise<SoftmaxScratchResult> {
  const { print, io, dev, dataOpts } = startRun(opts);
  const outDir = opts.outDir ?? join('out', meta.slug);

  // ## Reading the data: Fashion-MNIST with batch size 256.
  const batchSize = opts.batchSize ?? 256;
  const limit = opts.limit; // examples of each split to use (the tests take fewer)
  const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, { limit, ...dataOpts });

  // ## Initialising the model parameters
  // Each example is a 28 x 28 image flattened to a vector of 784 inputs; there are 10 classes, so
  // the weights are a 784 x 10 matrix and the bias a 1 x 10 vector, initialised from N(0, 0.01²)
  // and zero. The model needs their gradients.
  const numInputs = 784;
  const numOutputs = 10;
  const W = nd.random.normal(0, 0.01, [numInputs, numOutputs], dev);
  const b = nd.zeros([numOutputs], dev);
  W.attachGrad();
  b.attachGrad();

  // Summing a matrix over rows and columns, keeping dimensions:
  const X = nd.array([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  print(`X.sum({ axis: 0, keepdims: true }):${X.sum({ axis: 0, keepdims: true })}`);
  print(`X.sum({ axis: 1, keepdims: true }):${X.sum({ axis: 1, keepdims: true })}`);

  // For random input, softmax turns every element non-negative and every row sums to 1:
  const XRand = nd.random.normal(0, 1, [2, 5]);
  const XProb = softmax(XRand);
  print(`XProb:${XProb}`);
  print(`XProb.sum({ axis: 1 }):${XProb.sum({ axis: 1 })}`);

  // ## Defining the model
  // reshape turns each original image into a vector of length numInputs.
  const net = (X: NDArray): NDArray => softmax(nd.dot(X.reshape([-1, numInputs]), W).add(b));

  // Two examples' predicted probabilities over 3 classes and their labels: pick gives the
  // probabilities of the true classes, [0.1 0.5].
  const yHat = nd.array([
    [0.1, 0.3, 0.6],
    [0.3, 0.2, 0.5],
  ]);
  const y = nd.array([0, 2], { dtype: 'int32' });
  print(`nd.pick(yHat, y):${nd.pick(yHat, y)}`);

  // The first example predicts class 2 (true class 0), the second class 2 (true class 2):
  // accuracy 0.5.
  print(`accuracy(yHat, y): ${accuracy(yHat, y)}`);

  // evaluateAccuracy computes the accuracy of `net` over a whole data set (saved in d2l). An
  // untrained model with random weights should be close to 1 / 10 = 0.1.
  const untrainedAcc = await d2l.evaluateAccuracy(testIter, net, dev);
  print(`evaluateAccuracy(testIter, net): ${untrainedAcc.toFixed(4)}`);

  // ## Training the model
  // d2l.trainCh3 runs minibatch SGD (d2l.sgd) for numEpochs epochs, prints the mean loss, the
  // training accuracy and the test accuracy after each, and returns them. lr and the number of
  // epochs are hyperparameters.
  const numEpochs = opts.epochs ?? 5;
  const lr = opts.lr ?? 0.1;
  const history = await d2l.trainCh3(net, trainIter, testIter, crossEntropy, numEpochs, batchSize, [W, b], lr, null, io);

  // ## Prediction
  // Given a few test images, compare the true labels (first line of each title) with the model's
  // predictions (second line).
  const predictions = await d2l.predictCh3(net, testIter, 9, join(outDir, 'predictions.png'), dev);
  print(`predictions written to ${predictions.figure.file}`);

  return { untrainedAcc, history, predictions };
}

runIfMain(import.meta.url, run);
