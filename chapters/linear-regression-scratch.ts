/**
 * # 3.2 Linear regression from scratch (线性回归的从零开始实现)
 *
 * Having seen the model and its training in theory, we now implement linear regression using
 * only NDArray and autograd. Deep learning frameworks automate most of this; building it by hand
 * once shows what they do. (Section 3.3 then does the same with Gluon.)
 *
 * Run it: `d2l-ts run linear-regression-scratch` or `node dist/chapters/linear-regression-scratch.js`.
 */
import { join } from 'node:path';
import { nd, autograd, d2l, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'linear-regression-scratch',
  title: '3.2 线性回归的从零开始实现 (linear regression from scratch)',
};

export interface LinearRegressionResult {
  /** The mean training loss after each epoch. */
  losses: number[];
  /** The learned weight, as a flat list. */
  w: number[];
  /** The learned bias. */
  b: number;
  trueW: number[];
  trueB: number;
}

// ## Generating the data set
// We build an artificial training set: 1000 examples with 2 features drawn from the standard
// normal distribution, labels from the true weights w = [2, -3.4]^T and bias b = 4.2 plus a noise
// term ε ~ N(0, 0.01²) that stands for meaningless noise in the data:
//     y = X w + b + ε

// ## Reading the data
// Training reads random minibatches. `dataIter` shuffles the example indices and returns
// `batchSize` examples (features and labels) at a time; the last batch may be shorter.
// (Saved in the d2l package as `d2l.dataIter`.)
function* dataIter(batchSize: number, features: NDArray, labels: NDArray): Generator<[NDArray, NDArray]> {
  const numExamples = features.shape[0];
  const indices = Array.from(nd.random.globalRandom.permutation(numExamples)); // read examples in random order
  for (let i = 0; i < numExamples; i += batchSize) {
    const j = indices.slice(i, Math.min(i + batchSize, numExamples));
    yield [features.take(j), labels.take(j)]; // take returns the elements at the indices
  }
}

// ## Defining the model: the vectorised linear regression model (d2l.linreg)
function linreg(X: NDArray, w: NDArray, b: NDArray): NDArray {
  return nd.dot(X, w).add(b);
}

// ## Defining the loss: the squared loss. y is reshaped to the predictions' shape; the result has
// the shape of yHat (d2l.squaredLoss).
function squaredLoss(yHat: NDArray, y: NDArray): NDArray {
  return yHat.sub(y.reshape(yHat.shape)).square().div(2);
}

// ## Defining the optimisation algorithm: minibatch stochastic gradient descent. The gradient
// autograd computes is a sum over the batch, so we divide by the batch size. Parameters are
// updated in place (d2l.sgd).
function sgd(params: NDArray[], lr: number, batchSize: number): void {
  for (const param of params) param.isub(param.grad.mul(lr / batchSize));
}

/**
 * Runs 3.2: generates the data, trains linreg with minibatch SGD and prints `epoch 1, loss 0.040678`-style
 * lines and the learned w, b; returns the losses and parameters.
 *
 * @example
 * const { losses, w, b } = await run({ seed: 1 });
 */
export async function run(opts: ChapterOptions = {}): Promise<LinearRegressionResult> {
  const { print } = startRun(opts);
  const outDir = opts.outDir ?? join('out', meta.slug);

  const numInputs = 2;
  const numExamples = opts.limit ?? 1000;
  const trueW = [2, -3.4];
  const trueB = 4.2;
  const features = nd.random.normal(0, 1, [numExamples, numInputs]);
  let labels = features.get(':, 0').mul(trueW[0]).add(features.get(':, 1').mul(trueW[1])).add(trueB);
  labels = labels.add(nd.random.normal(0, 0.01, labels.shape));

  // Each row of `features` is a vector of length 2; each entry of `labels` a scalar.
  print(`features[0]:${features.get(0).toString()}`);
  print(`labels[0]:${labels.get(0).toString()}`);

  // A scatter plot of the second feature against the labels shows the linear relation.
  const fig = await d2l.scatter(features.get(':, 1'), labels, {
    xLabel: 'features[:, 1]',
    yLabel: 'labels',
    file: join(outDir, 'scatter.png'),
  });
  print(`scatter plot written to ${fig.file}`);

  const batchSize = 10;
  // Read and print the first minibatch: features of shape (batchSize, numInputs), labels of (batchSize,).
  for (const [X, y] of dataIter(batchSize, features, labels)) {
    print(X.toString());
    print(y.toString());
    break;
  }

  // ## Initialising the model parameters
  // Weights from N(0, 0.01²), bias 0. Training needs the gradients with respect to them, so we
  // attach gradient buffers.
  const w = nd.random.normal(0, 0.01, [numInputs, 1]);
  const b = nd.zeros([1]);
  w.attachGrad();
  b.attachGrad();

  // ## Training
  // In each epoch, dataIter visits every example once (assuming the number of examples is a
  // multiple of the batch size). For each minibatch we compute the loss inside autograd.record,
  // call backward for the gradient of the loss with respect to the parameters (l is not a scalar:
  // backward sums its elements first), and update the parameters with sgd.
  const lr = opts.lr ?? 0.03;
  const numEpochs = opts.epochs ?? 3;
  const net = linreg;
  const loss = squaredLoss;
  const losses: number[] = [];
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    for (const [X, y] of dataIter(batchSize, features, labels)) {
      const l = autograd.record(() => loss(net(X, w, b), y)); // l is the loss of the minibatch
      l.backward(); // gradients of the loss with respect to the parameters
      sgd([w, b], lr, batchSize); // update the parameters with minibatch SGD
    }
    const trainL = loss(net(features, w, b), labels)
      .mean()
      .asScalar();
    losses.push(trainL);
    print(`epoch ${epoch + 1}, loss ${trainL.toFixed(6)}`);
  }

  // Compare the learned parameters with the true ones: they should be close.
  print(`true_w: [${trueW.join(', ')}]`);
  print(`w:${w.toString()}`);
  print(`true_b: ${trueB}`);
  print(`b:${b.toString()}`);
  return { losses, w: Array.from(w.dataSync()), b: b.asScalar(), trueW, trueB };
}

runIfMain(import.meta.url, run);
