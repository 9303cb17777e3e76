/**
 * # 3.12 Weight decay (权重衰减)
 *
 * Weight decay (L2 regularization) fights overfitting by adding λ/2 ||w||² to the loss, which
 * shrinks the weights at every step. Shown on a high-dimensional linear regression with only 20
 * training examples: first from scratch, then with the Trainer's `wd` option.
 *
 * Run it: `d2l-ts run weight-decay [--seed 1]`. The loss curves go to
 * `<outDir>/scratch-lambda-{0,3}.png` and `<outDir>/gluon-wd-{0,3}.png` (default ./out/weight-decay).
 */
import { join } from 'node:path';
import { nd, d2l, autograd, gluon, init, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyFloat32 } from './pyrepr.js';

const { data: gdata, nn } = gluon;

export const meta = {
  slug: 'weight-decay',
  title: '3.12 权重衰减 (weight decay)',
};

/** One run: the losses per epoch and the L2 norm of the learned weight. */
export interface DecayRun {
  lambd: number;
  trainLs: number[];
  testLs: number[];
  wNorm: number;
}

export interface WeightDecayResult {
  lines: string[];
  /** From scratch with λ = 0 and λ = 3, then Gluon with wd = 0 and wd = 3. */
  scratch: DecayRun[];
  gluon: DecayRun[];
}

/**
 * Runs 3.12: y = 0.05 + Σ 0.01 xᵢ + ε with 200 inputs and 20 training examples, fitted without
 * and with weight decay, from scratch and with Gluon.
 *
 * @example
 * const { scratch } = await run({ seed: 1 });
 * scratch[1].wNorm; // about 0.04 (λ = 3), against about 12 for λ = 0
 */
export async function run(opts: ChapterOptions = {}): Promise<WeightDecayResult> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters();
  const outDir = opts.outDir ?? join('out', meta.slug);

  // ## High-dimensional linear regression
  // y = 0.05 + Σᵢ 0.01 xᵢ + ε, ε ~ N(0, 0.01²), with p = 200 inputs, 20 training and 100 test
  // examples: few examples for many inputs, so overfitting is easy.
  const nTrain = 20;
  const nTest = 100;
  const numInputs = 200;
  const trueW = nd.ones([numInputs, 1]).mul(0.01);
  const trueB = 0.05;

  const features = nd.random.normal(0, 1, [nTrain + nTest, numInputs]);
  const labels = nd.dot(features, trueW).add(trueB);
  labels.iadd(nd.random.normal(0, 0.01, labels.shape));
  const trainFeatures = features.get(`:${nTrain}, :`);
  const testFeatures = features.get(`${nTrain}:, :`);
  const trainLabels = labels.get(`:${nTrain}`);
  const testLabels = labels.get(`${nTrain}:`);

  // ## Implementation from scratch
  // ### Initializing the model parameters (with gradients attached)
  function initParams(): NDArray[] {
    const w = nd.random.normal(0, 1, [numInputs, 1]);
    const b = nd.zeros([1]);
    w.attachGrad();
    b.attachGrad();
    return [w, b];
  }

  // ### The L2 norm penalty: λ times this is added to the loss.
  function l2Penalty(w: NDArray): NDArray {
    return w.pow(2).sum().div(2);
  }

  // ### Training and testing
  const batchSize = 1;
  const numEpochs = opts.epochs ?? 100;
  const lr = opts.lr ?? 0.003;
  const net = d2l.linreg;
  const loss = d2l.squaredLoss;
  const trainIter = new gdata.DataLoader(new gdata.ArrayDataset(trainFeatures, trainLabels), { batchSize, shuffle: true });
  const epochs = d2l.range(numEpochs).map((i) => i + 1);

  async function fitAndPlot(lambd: number): Promise<DecayRun> {
    const [w, b] = initParams();
    const trainLs: number[] = [];
    const testLs: number[] = [];
    for (let epoch = 0; epoch < numEpochs; epoch++) {
      for (const [X, y] of trainIter) {
        // The L2 norm penalty is added to the loss.
        const l = autograd.record(() => loss(net(X, w, b), y).add(l2Penalty(w).mul(lambd)));
        l.backward();
        d2l.sgd([w, b], lr, batchSize);
      }
      trainLs.push(
        loss(net(trainFeatures, w, b), trainLabels)
          .mean()
          .asScalar(),
      );
      testLs.push(
        loss(net(testFeatures, w, b), testLabels)
          .mean()
          .asScalar(),
      );
    }
    await d2l.semilogy(epochs, trainLs, 'epochs', 'loss', epochs, testLs, ['train', 'test'], {
      file: join(outDir, `scratch-lambda-${lambd}.png`),
    });
    const wNorm = w.norm().asScalar();
    print('L2 norm of w:', pyFloat32(wNorm));
    return { lambd, trainLs, testLs, wNorm };
  }

  // ### Watching overfitting: λ = 0, the training error falls far below the test error.
  const scratch = [await fitAndPlot(0)];
  // ### With weight decay: λ = 3, the test error falls and the weights shrink.
  scratch.push(await fitAndPlot(3));

  // ## Concise implementation
  // Gluon's Trainer decays the weights by its `wd` hyperparameter. We decay the weight only, so
  // two Trainers: one for the weight (with wd), one for the bias (without).
  async function fitAndPlotGluon(wd: number): Promise<DecayRun> {
    const net = new nn.Sequential();
    net.add(new nn.Dense(1));
    net.initialize(new init.Normal(1));
    // Decay the weight parameter; weight names end in 'weight'.
    const trainerW = new gluon.Trainer(net.collectParams('.*weight'), 'sgd', { learningRate: lr, wd });
    // Do not decay the bias; bias names end in 'bias'.
    const trainerB = new gluon.Trainer(net.collectParams('.*bias'), 'sgd', { learningRate: lr });
    const trainLs: number[] = [];
    const testLs: number[] = [];
    for (let epoch = 0; epoch < numEpochs; epoch++) {
      for (const [X, y] of trainIter) {
        const l = autograd.record(() => loss(net.forward(X), y));
        l.backward();
        // step on both Trainers, updating the weight and the bias separately.
        trainerW.step(batchSize);
        trainerB.step(batchSize);
      }
      trainLs.push(loss(net.forward(trainFeatures), trainLabels).mean().asScalar());
      testLs.push(loss(net.forward(testFeatures), testLabels).mean().asScalar());
    }
    await d2l.semilogy(epochs, trainLs, 'epochs', 'loss', epochs, testLs, ['train', 'test'], {
      file: join(outDir, `gluon-wd-${wd}.png`),
    });
    const wNorm = net.get<gluon.nn.Dense>(0).weight.data().norm().asScalar();
    print('L2 norm of w:', pyFloat32(wNorm));
    return { lambd: wd, trainLs, testLs, wNorm };
  }

  const gluonRuns = [await fitAndPlotGluon(0)];
  gluonRuns.push(await fitAndPlotGluon(3));
  return { lines, scratch, gluon: gluonRuns };
}

runIfMain(import.meta.url, run);
