/**
 * # 3.7 Concise implementation of softmax regression (softmax回归的简洁实现)
 *
 * Gluon makes softmax regression, like linear regression in 3.3, much shorter to implement. We
 * again train on Fashion-MNIST with the hyperparameters of 3.6.
 *
 * Run it: `d2l-ts run softmax-regression-gluon [--epochs 5 --lr 0.1 --batch-size 256]`.
 */
import { join } from 'node:path';
import { nd, d2l, gluon, init } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

const { loss: gloss, nn } = gluon;

export const meta = {
  slug: 'softmax-regression-gluon',
  title: '3.7 softmax回归的简洁实现 (concise softmax regression)',
  needsData: ['fashion-mnist'],
};

export interface SoftmaxGluonResult {
  history: d2l.EpochMetrics[];
  net: gluon.Sequential;
  predictions: d2l.Predictions;
}

/**
 * Runs 3.7: softmax regression with Gluon on Fashion-MNIST; prints the epoch lines and writes the
 * prediction grid.
 *
 * @example
 * const { history, net } = await run({ seed: 1 });
 */
export async function run(opts: ChapterOptions = {}): Promise<SoftmaxGluonResult> {
  const { print, io, dev, dataOpts } = startRun(opts);
  const outDir = opts.outDir ?? join('out', meta.slug);

  // ## Reading the data: Fashion-MNIST with batch size 256, as in the previous section.
  const batchSize = opts.batchSize ?? 256;
  const limit = opts.limit; // examples of each split to use (the tests take fewer)
  const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, { limit, ...dataOpts });

  // ## Defining and initialising the model
  // The output layer of softmax regression is a fully connected layer with 10 outputs. Its
  // weights are drawn from N(0, 0.01²); Dense flattens each image into a vector by itself.
  const net = new nn.Sequential();
  net.add(new nn.Dense(10));
  net.initialize(new init.Normal(0.01), dev);

  // ## Softmax and the cross-entropy loss
  // Computing softmax and cross-entropy separately can be numerically unstable; Gluon's
  // SoftmaxCrossEntropyLoss computes them together, stably.
  const loss = new gloss.SoftmaxCrossEntropyLoss();

  // ## The optimisation algorithm: minibatch SGD with learning rate 0.1.
  const lr = opts.lr ?? 0.1;
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });

  // ## Training: d2l.trainCh3 from the previous section, with the trainer doing the update.
  const numEpochs = opts.epochs ?? 5;
  const history = await d2l.trainCh3(net, trainIter, testIter, loss, numEpochs, batchSize, null, null, trainer, io);

  // As in 3.6, compare true and predicted labels of the first test images.
  const predictions = await d2l.predictCh3(net, testIter, 9, join(outDir, 'predictions.png'), dev);
  print(`predictions written to ${predictions.figure.file}`);
  return { history, net, predictions };
}

runIfMain(import.meta.url, run);
