/**
 * # 3.9 Multilayer perceptron from scratch (多层感知机的从零开始实现)
 *
 * Having seen how a multilayer perceptron works (3.8), we implement one ourselves and train it on
 * Fashion-MNIST.
 *
 * Run it: `d2l-ts run mlp-scratch [--epochs 5 --lr 0.5 --batch-size 256]`.
 */
import { nd, d2l, gluon, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'mlp-scratch',
  title: '3.9 多层感知机的从零开始实现 (MLP from scratch)',
  needsData: ['fashion-mnist'],
};

export interface MlpScratchResult {
  history: d2l.EpochMetrics[];
}

// ## The activation function: ReLU with the elementwise maximum, rather than calling relu.
function relu(X: NDArray): NDArray {
  return nd.maximum(X, 0);
}

/**
 * Runs 3.9: a one-hidden-layer MLP by hand on Fashion-MNIST (256 hidden units, lr 0.5, 5 epochs).
 *
 * @example
 * const { history } = await run({ seed: 1 });
 * history[4].loss; // about 0.37
 */
export async function run(opts: ChapterOptions = {}): Promise<MlpScratchResult> {
  const { io, dev, dataOpts } = startRun(opts);

  // ## Reading the data: Fashion-MNIST again.
  const batchSize = opts.batchSize ?? 256;
  const limit = opts.limit; // examples of each split to use (the tests take fewer)
  const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, { limit, ...dataOpts });

  // ## Defining the model parameters
  // Images have 28 x 28 = 784 inputs and there are 10 classes. One hidden layer of 256 units
  // (a hyperparameter) sits between them.
  const numInputs = 784;
  const numOutputs = 10;
  const numHiddens = 256;
  const W1 = nd.random.normal(0, 0.01, [numInputs, numHiddens], dev);
  const b1 = nd.zeros([numHiddens], dev);
  const W2 = nd.random.normal(0, 0.01, [numHiddens, numOutputs], dev);
  const b2 = nd.zeros([numOutputs], dev);
  const params = [W1, b1, W2, b2];
  for (const param of params) param.attachGrad();

  // ## Defining the model
  // reshape turns each image into a vector of length numInputs; then the hidden layer with ReLU
  // and the output layer.
  const net = (X: NDArray): NDArray => {
    X = X.reshape([-1, numInputs]);
    const H = relu(nd.dot(X, W1).add(b1));
    return nd.dot(H, W2).add(b2);
  };

  // ## The loss function: for numerical stability, Gluon's combined softmax and cross-entropy.
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();

  // ## Training: as softmax regression in 3.6, with 5 epochs and learning rate 0.5.
  const numEpochs = opts.epochs ?? 5;
  const lr = opts.lr ?? 0.5;
  const history = await d2l.trainCh3(net, trainIter, testIter, loss, numEpochs, batchSize, params, lr, null, io);
  return { history };
}

runIfMain(import.meta.url, run);
