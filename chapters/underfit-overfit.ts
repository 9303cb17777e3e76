/**
 * # 3.11 Model selection, underfitting and overfitting (模型选择、欠拟合和过拟合)
 *
 * Training error and generalization error, model selection with a validation set or K-fold
 * cross-validation, and what goes wrong when a model is too simple (underfitting) or has too
 * little data for its complexity (overfitting), shown by fitting polynomials.
 *
 * Run it: `d2l-ts run underfit-overfit [--seed 1]`. The three loss curves go to
 * `<outDir>/{third-order,linear,few-samples}.png` (default ./out/underfit-overfit).
 */
import { join } from 'node:path';
import { nd, d2l, autograd, gluon, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { numpyStr, pyFloat32, pyTuple } from './pyrepr.js';

const { data: gdata, loss: gloss, nn } = gluon;

export const meta = {
  slug: 'underfit-overfit',
  title: '3.11 模型选择、欠拟合和过拟合 (underfitting and overfitting)',
};

/** One fit's result: the loss per epoch and the learned parameters. */
export interface Fit {
  trainLs: number[];
  testLs: number[];
  weight: number[];
  bias: number;
  /** The loss plot. */
  file: string;
}

export interface UnderfitOverfitResult {
  lines: string[];
  trueW: number[];
  trueB: number;
  /** Third-order polynomial (normal), linear (underfitting), two training samples (overfitting). */
  thirdOrder: Fit;
  linear: Fit;
  fewSamples: Fit;
}

/**
 * Runs 3.11: fits y = 1.2x - 3.4x² + 5.6x³ + 5 + noise with a third-order polynomial, a linear
 * function, and a third-order polynomial from two samples.
 *
 * @example
 * const { thirdOrder } = await run({ seed: 1 });
 * thirdOrder.testLs[99]; // about 0.01
 */
export async function run(opts: ChapterOptions = {}): Promise<UnderfitOverfitResult> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters();
  const outDir = opts.outDir ?? join('out', meta.slug);

  // ## Polynomial fitting experiments
  // ### Generating the data set
  // y = 1.2x - 3.4x² + 5.6x³ + 5 + ε with noise ε ~ N(0, 0.1²); 100 training and 100 test examples.
  const nTrain = 100;
  const nTest = 100;
  const trueW = [1.2, -3.4, 5.6];
  const trueB = 5;
  const features = nd.random.normal(0, 1, [nTrain + nTest, 1]);
  const polyFeatures = nd.concat([features, nd.power(features, 2), nd.power(features, 3)]);
  const labels = polyFeatures
    .get(':, 0')
    .mul(trueW[0])
    .add(polyFeatures.get(':, 1').mul(trueW[1]))
    .add(polyFeatures.get(':, 2').mul(trueW[2]))
    .add(trueB);
  labels.iadd(nd.random.normal(0, 0.1, labels.shape));
  // The first two examples.
  print(pyTuple([features.get(':2'), polyFeatures.get(':2'), labels.get(':2')]));

  // ### Defining, training and testing the model
  // d2l.semilogy plots the losses on a logarithmic y axis. The model is a Dense(1) trained with
  // the squared loss (L2Loss) and minibatch SGD.
  const numEpochs = opts.epochs ?? 100;
  const lr = opts.lr ?? 0.01;
  const loss = new gloss.L2Loss();

  async function fitAndPlot(
    trainFeatures: NDArray,
    testFeatures: NDArray,
    trainLabels: NDArray,
    testLabels: NDArray,
    file: string,
  ): Promise<Fit> {
    const net = new nn.Sequential();
    net.add(new nn.Dense(1));
    net.initialize();
    const batchSize = Math.min(10, trainLabels.shape[0]);
    const trainIter = new gdata.DataLoader(new gdata.ArrayDataset(trainFeatures, trainLabels), { batchSize, shuffle: true });
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });
    const trainLs: number[] = [];
    const testLs: number[] = [];
    for (let epoch = 0; epoch < numEpochs; epoch++) {
      for (const [X, y] of trainIter) {
        const l = autograd.record(() => loss.forward(net.forward(X), y));
        l.backward();
        trainer.step(batchSize);
      }
      trainLs.push(loss.forward(net.forward(trainFeatures), trainLabels).mean().asScalar());
      testLs.push(loss.forward(net.forward(testFeatures), testLabels).mean().asScalar());
    }
    print('final epoch: train loss', pyFloat32(trainLs[trainLs.length - 1]), 'test loss', pyFloat32(testLs[testLs.length - 1]));
    const epochs = d2l.range(numEpochs).map((i) => i + 1);
    const fig = await d2l.semilogy(epochs, trainLs, 'epochs', 'loss', epochs, testLs, ['train', 'test'], { file: join(outDir, file) });
    const dense = net.get<gluon.nn.Dense>(0);
    print('weight:', numpyStr(dense.weight.data()), '\nbias:', numpyStr(dense.bias!.data()));
    return {
      trainLs,
      testLs,
      weight: Array.from(dense.weight.data().dataSync()),
      bias: dense.bias!.data().dataSync()[0],
      file: fig.file ?? join(outDir, file),
    };
  }

  // ### Third-order polynomial fitting (normal)
  // The same model as the one that generated the data: low training and test error, and learned
  // parameters close to the true ones.
  const thirdOrder = await fitAndPlot(
    polyFeatures.get(`:${nTrain}, :`),
    polyFeatures.get(`${nTrain}:, :`),
    labels.get(`:${nTrain}`),
    labels.get(`${nTrain}:`),
    'third-order.png',
  );

  // ### Linear function fitting (underfitting)
  // A linear model cannot follow the cubic: the training error stays high.
  const linear = await fitAndPlot(
    features.get(`:${nTrain}, :`),
    features.get(`${nTrain}:, :`),
    labels.get(`:${nTrain}`),
    labels.get(`${nTrain}:`),
    'linear.png',
  );

  // ### Too few training samples (overfitting)
  // Two training examples for the third-order model: a low training error, a high test error.
  const fewSamples = await fitAndPlot(
    polyFeatures.get('0:2, :'),
    polyFeatures.get(`${nTrain}:, :`),
    labels.get('0:2'),
    labels.get(`${nTrain}:`),
    'few-samples.png',
  );
  return { lines, trueW, trueB, thirdOrder, linear, fewSamples };
}

runIfMain(import.meta.url, run);
