/**
 * # 3.13 Dropout (丢弃法)
 *
 * Inverted dropout: during training each hidden unit is zeroed with probability p and the rest
 * are scaled by 1 / (1 - p), so the expectation is unchanged; no unit can be relied on alone,
 * which regularizes the network. At test time dropout is off. First from scratch, then with
 * `nn.Dropout`, on an MLP with two hidden layers of 256 units on Fashion-MNIST.
 *
 * Run it: `d2l-ts run dropout [--epochs 5 --lr 0.5 --batch-size 256]`.
 */
import { nd, d2l, autograd, gluon, init, ValueError, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

const { loss: gloss, nn } = gluon;

export const meta = {
  slug: 'dropout',
  title: '3.13 丢弃法 (dropout)',
  needsData: ['fashion-mnist'],
};

export interface DropoutResult {
  lines: string[];
  /** dropout(X, 0), dropout(X, 0.5), dropout(X, 1) on X = arange(16).reshape(2, 8). */
  demo: NDArray[];
  /** The epochs of the scratch and the Gluon versions. */
  scratch: d2l.EpochMetrics[];
  gluon: d2l.EpochMetrics[];
}

// ## Implementation from scratch
// dropout drops the elements of X with probability dropProb and stretches the rest by 1 / keepProb.
function dropout(X: NDArray, dropProb: number): NDArray {
  if (!(dropProb >= 0 && dropProb <= 1)) throw new ValueError(`dropout: dropProb must be in [0, 1], got ${dropProb}`);
  const keepProb = 1 - dropProb;
  // Here every element is dropped.
  if (keepProb === 0) return X.zerosLike();
  const mask = nd.random.uniform(0, 1, X.shape).lesser(keepProb);
  return mask.mul(X).div(keepProb);
}

/**
 * Runs 3.13: dropout from scratch on a 784-256-256-10 MLP (drop probabilities 0.2 and 0.5), then
 * the same with nn.Dropout, 5 epochs each with lr 0.5 and batch 256.
 *
 * @example
 * const { scratch, gluon } = await run({ seed: 1 });
 * scratch[4].testAcc; // about 0.86
 */
export async function run(opts: ChapterOptions = {}): Promise<DropoutResult> {
  const { print, lines, io, dev, dataOpts } = startRun(opts);
  gluon.resetNameCounters();

  // Try the function on a small array with drop probabilities 0, 0.5 and 1.
  const X = nd.arange(16).reshape([2, 8]);
  const demo = [dropout(X, 0), dropout(X, 0.5), dropout(X, 1)];
  for (const d of demo) print(d);

  // ### Defining the model parameters: two hidden layers of 256 units each.
  const numInputs = 784;
  const numOutputs = 10;
  const numHiddens1 = 256;
  const numHiddens2 = 256;

  const W1 = nd.random.normal(0, 0.01, [numInputs, numHiddens1], dev);
  const b1 = nd.zeros([numHiddens1], dev);
  const W2 = nd.random.normal(0, 0.01, [numHiddens1, numHiddens2], dev);
  const b2 = nd.zeros([numHiddens2], dev);
  const W3 = nd.random.normal(0, 0.01, [numHiddens2, numOutputs], dev);
  const b3 = nd.zeros([numOutputs], dev);

  const params = [W1, b1, W2, b2, W3, b3];
  for (const param of params) param.attachGrad();

  // ### Defining the model
  // Dropout after each fully connected hidden layer, only while training; a common choice is a
  // smaller drop probability near the input.
  const dropProb1 = 0.2;
  const dropProb2 = 0.5;

  const net = (X: NDArray): NDArray => {
    X = X.reshape([-1, numInputs]);
    let H1 = nd.dot(X, W1).add(b1).relu();
    // Dropout only when training the model: after the first fully connected layer...
    if (autograd.isTraining()) H1 = dropout(H1, dropProb1);
    let H2 = nd.dot(H1, W2).add(b2).relu();
    // ... and after the second.
    if (autograd.isTraining()) H2 = dropout(H2, dropProb2);
    return nd.dot(H2, W3).add(b3);
  };

  // ### Training and testing the model, as for the MLP of 3.9.
  const numEpochs = opts.epochs ?? 5;
  const lr = opts.lr ?? 0.5;
  const batchSize = opts.batchSize ?? 256;
  const loss = new gloss.SoftmaxCrossEntropyLoss();
  const limit = opts.limit; // examples of each split to use (the tests take fewer)
  const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, { limit, ...dataOpts });
  const scratch = await d2l.trainCh3(net, trainIter, testIter, loss, numEpochs, batchSize, params, lr, null, io);

  // ## Concise implementation
  // nn.Dropout after each fully connected layer: active in training mode (inside
  // autograd.record), the identity in predict mode.
  const gnet = new nn.Sequential();
  gnet.add(
    new nn.Dense(256, { activation: 'relu' }),
    new nn.Dropout(dropProb1), // dropout after the first fully connected layer
    new nn.Dense(256, { activation: 'relu' }),
    new nn.Dropout(dropProb2), // dropout after the second fully connected layer
    new nn.Dense(10),
  );
  gnet.initialize(new init.Normal(0.01), dev);

  // Training and testing the model.
  const trainer = new gluon.Trainer(gnet.collectParams(), 'sgd', { learningRate: lr });
  const gluonRun = await d2l.trainCh3(gnet, trainIter, testIter, loss, numEpochs, batchSize, null, null, trainer, io);
  return { lines, demo, scratch, gluon: gluonRun };
}

runIfMain(import.meta.url, run);
