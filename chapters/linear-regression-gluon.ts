/**
 * # 3.3 Concise implementation of linear regression (线性回归的简洁实现)
 *
 * Gluon, MXNet's high-level interface, makes models like linear regression much shorter to write.
 * This section trains the same model as 3.2 with Gluon's data loading, layers, losses, initialisers
 * and optimisers.
 *
 * Run it: `d2l-ts run linear-regression-gluon`.
 */
import { nd, autograd, gluon, init } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

// The book imports Gluon's modules under short names: `from mxnet.gluon import data as gdata,
// loss as gloss, nn`.
const { data: gdata, loss: gloss, nn } = gluon;

export const meta = {
  slug: 'linear-regression-gluon',
  title: '3.3 线性回归的简洁实现 (concise linear regression)',
};

export interface LinearRegressionGluonResult {
  losses: number[];
  w: number[];
  b: number;
  trueW: number[];
  trueB: number;
}

/**
 * Runs 3.3: the same model with Gluon (ArrayDataset, DataLoader, Dense(1), L2Loss, Trainer); prints
 * `epoch 1, loss: 0.040749`-style lines and the layer's weight and bias.
 *
 * @example
 * const { losses } = await run({ seed: 1, epochs: 3 });
 */
export async function run(opts: ChapterOptions = {}): Promise<LinearRegressionGluonResult> {
  const { print } = startRun(opts);

  // ## Generating the data set: the same as in 3.2.
  const numInputs = 2;
  const numExamples = opts.limit ?? 1000;
  const trueW = [2, -3.4];
  const trueB = 4.2;
  const features = nd.random.normal(0, 1, [numExamples, numInputs]);
  let labels = features.get(':, 0').mul(trueW[0]).add(features.get(':, 1').mul(trueW[1])).add(trueB);
  labels = labels.add(nd.random.normal(0, 0.01, labels.shape));

  // ## Reading the data
  // Gluon's data module replaces our dataIter: ArrayDataset combines features and labels, and
  // DataLoader reads random minibatches from it.
  const batchSize = opts.batchSize ?? 10;
  const dataset = new gdata.ArrayDataset(features, labels); // combine the training features and labels
  const dataIter = new gdata.DataLoader(dataset, { batchSize, shuffle: true }); // read random minibatches

  // Read and print the first minibatch.
  for (const [X, y] of dataIter) {
    print(X.toString());
    print(y.toString());
    break;
  }

  // ## Defining the model
  // Sequential is a container that chains layers: given input, each layer's output is the next
  // layer's input. Linear regression is a single fully connected (Dense) layer with one output.
  // Gluon infers the number of inputs from the data, so we need not give it.
  const net = new nn.Sequential();
  net.add(new nn.Dense(1));

  // ## Initialising the model parameters
  // Weights from N(0, 0.01²); the bias is initialised to zero by default.
  net.initialize(new init.Normal(0.01));

  // ## The loss function: the squared loss, Gluon's L2Loss.
  const loss = new gloss.L2Loss(); // the squared loss is also called the L2-norm loss

  // ## The optimisation algorithm: minibatch SGD over all of net's parameters, learning rate 0.03.
  const lr = opts.lr ?? 0.03;
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });

  // ## Training
  // trainer.step updates the parameters; its argument batchSize averages the gradient over the
  // examples of the batch.
  const numEpochs = opts.epochs ?? 3;
  const losses: number[] = [];
  for (let epoch = 1; epoch <= numEpochs; epoch++) {
    for (const [X, y] of dataIter) {
      const l = autograd.record(() => loss.forward(net.forward(X), y));
      l.backward();
      trainer.step(batchSize);
    }
    const l = loss.forward(net.forward(features), labels).mean().asScalar();
    losses.push(l);
    print(`epoch ${epoch}, loss: ${l.toFixed(6)}`);
  }

  // Compare the learned parameters with the true ones: the Dense layer's weight and bias.
  const dense = net.get<gluon.nn.Dense>(0);
  print(`true_w: [${trueW.join(', ')}]`);
  print(`dense.weight.data():${dense.weight.data().toString()}`);
  print(`true_b: ${trueB}`);
  print(`dense.bias.data():${dense.bias!.data().toString()}`);
  return { losses, w: Array.from(dense.weight.data().dataSync()), b: dense.bias!.data().asScalar(), trueW, trueB };
}

runIfMain(import.meta.url, run);
