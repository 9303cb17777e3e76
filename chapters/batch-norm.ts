/**
 * # 5.10 Batch normalization (批量归一化)
 *
 * Batch normalization from scratch (`batchNorm`: the minibatch's mean and variance in training,
 * the moving averages in prediction; a `BatchNorm` block holding gamma, beta and the moving
 * statistics), LeNet with a batch norm layer after every convolutional and fully connected layer
 * but the last, trained with `d2l.trainCh5` (lr 1.0, 5 epochs, batch 256); the first batch norm
 * layer's learned gamma and beta; then the same network with Gluon's `nn.BatchNorm`.
 *
 * Run it: `d2l-ts run batch-norm [--epochs 5 --lr 1.0 --batch-size 256 --limit N]`. On a CPU where
 * the book's two runs are estimated above ten minutes, the program says so and prints a shorter
 * command before it trains.
 *
 * Differences from the book's printout: `training on cpu(0)` (the book ran on gpu(0)) and the
 * times; the trained numbers and the learned gamma and beta are a different random run.
 */
import { nd, d2l, gluon, init, autograd, destroyWebGpu, ShapeError, type NDArray, type Context } from '../src/index.js';
import { printer, runIfMain, trainingContext, type ChapterOptions } from './common.js';
import { estimateRun } from './long-run.js';
import { pyName, pyTuple } from './pyrepr.js';

const { nn } = gluon;

export const meta = {
  slug: 'batch-norm',
  title: '5.10 批量归一化 (batch normalization)',
  needsData: ['fashion-mnist'],
};

// ## Implementation from scratch
function batchNorm(
  X: NDArray,
  gamma: NDArray,
  beta: NDArray,
  movingMean: NDArray,
  movingVar: NDArray,
  eps: number,
  momentum: number,
): [NDArray, NDArray, NDArray] {
  let XHat: NDArray;
  // autograd tells whether this is training mode or prediction mode.
  if (!autograd.isTraining()) {
    // In prediction mode, use the moving averages of the mean and variance passed in.
    XHat = X.sub(movingMean).div(nd.sqrt(movingVar.add(eps)));
  } else {
    if (X.ndim !== 2 && X.ndim !== 4)
      throw new ShapeError(`batchNorm: expected a 2-D (batch, features) or 4-D (batch, channels, h, w) input, got ${X.ndim}-D`);
    let mean: NDArray;
    let variance: NDArray;
    if (X.ndim === 2) {
      // After a fully connected layer: the mean and variance over the feature dimension.
      mean = X.mean({ axis: 0 });
      variance = X.sub(mean).square().mean({ axis: 0 });
    } else {
      // After a 2-D convolutional layer: the mean and variance per channel (axis 1), keeping X's
      // shape so that they broadcast below.
      mean = X.mean({ axis: [0, 2, 3], keepdims: true });
      variance = X.sub(mean)
        .square()
        .mean({ axis: [0, 2, 3], keepdims: true });
    }
    // In training mode, standardise with the minibatch's mean and variance.
    XHat = X.sub(mean).div(nd.sqrt(variance.add(eps)));
    // Update the moving averages of the mean and variance.
    movingMean = movingMean.mul(momentum).add(mean.mul(1.0 - momentum));
    movingVar = movingVar.mul(momentum).add(variance.mul(1.0 - momentum));
  }
  const Y = gamma.mul(XHat).add(beta); // scale and shift
  return [Y, movingMean, movingVar];
}

class BatchNorm extends nn.Block {
  gamma: gluon.Parameter;
  beta: gluon.Parameter;
  movingMean: NDArray;
  movingVar: NDArray;
  constructor(numFeatures: number, numDims: 2 | 4, opts: gluon.BlockOptions = {}) {
    super(opts);
    const shape = numDims === 2 ? [1, numFeatures] : [1, numFeatures, 1, 1];
    // The scale and shift parameters take part in gradients and updates; they start at 1 and 0.
    this.gamma = this.params.get('gamma', { shape, init: new init.One() });
    this.beta = this.params.get('beta', { shape, init: new init.Zero() });
    // The moving statistics take no part in gradients; they start at 0, in main memory.
    this.movingMean = nd.zeros(shape);
    this.movingVar = nd.zeros(shape);
  }

  override forward(X: NDArray): NDArray {
    // When X is not in main memory, copy the moving statistics to X's device.
    if (!this.movingMean.context.equals(X.context)) {
      this.movingMean = this.movingMean.copyto(X.context);
      this.movingVar = this.movingVar.copyto(X.context);
    }
    // Keep the updated moving statistics.
    const [Y, movingMean, movingVar] = batchNorm(X, this.gamma.data(), this.beta.data(), this.movingMean, this.movingVar, 1e-5, 0.9);
    this.movingMean = movingMean;
    this.movingVar = movingVar;
    return Y;
  }
}

export interface BatchNormResult {
  lines: string[];
  scratch: d2l.EpochMetrics[];
  gluon: d2l.EpochMetrics[];
  /** The first batch norm layer's learned gamma and beta (6 each) and moving statistics. */
  gamma: number[];
  beta: number[];
  movingMean: number[];
  movingVar: number[];
}

/**
 * Runs 5.10: LeNet with batch normalization, from scratch and with Gluon.
 *
 * @example
 * const { scratch, gluon } = await run({ seed: 1, limit: 2048, epochs: 1 });
 */
export async function run(opts: ChapterOptions = {}): Promise<BatchNormResult> {
  const lines: string[] = [];
  const out = printer(opts);
  const print = (line: string) => {
    lines.push(line);
    out(line);
  };
  if (opts.seed !== undefined) nd.random.seed(opts.seed);

  // ### LeNet with batch normalization layers
  // A batch norm layer after each convolutional and fully connected layer, before the activation.
  let net = new nn.Sequential();
  net.add(
    new nn.Conv2D(6, 5),
    new BatchNorm(6, 4),
    new nn.Activation('sigmoid'),
    new nn.MaxPool2D(2, { strides: 2 }),
    new nn.Conv2D(16, 5),
    new BatchNorm(16, 4),
    new nn.Activation('sigmoid'),
    new nn.MaxPool2D(2, { strides: 2 }),
    new nn.Dense(120),
    new BatchNorm(120, 2),
    new nn.Activation('sigmoid'),
    new nn.Dense(84),
    new BatchNorm(84, 2),
    new nn.Activation('sigmoid'),
    new nn.Dense(10),
  );

  // Train it as LeNet in 5.5, with a larger learning rate.
  const lr = opts.lr ?? 1.0;
  const numEpochs = opts.epochs ?? 5;
  const batchSize = opts.batchSize ?? 256;
  const ctx: Context = await trainingContext(opts);
  try {
    net.initialize({ ctx, init: new init.Xavier() });
    let trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });
    const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, {
      ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    });
    await estimateRun(net, trainIter, {
      ctx,
      epochs: numEpochs,
      trainBatches: trainIter.length,
      testBatches: testIter.length,
      nets: 2,
      // A tenth of the data in use (Fashion-MNIST has 60000 training examples), or one epoch.
      shorter: `d2l-ts run batch-norm --limit ${Math.ceil((opts.limit ?? 60000) / 10)} --epochs ${numEpochs} (a tenth of the data), or --epochs 1`,
      print,
    });
    const scratch = await d2l.trainCh5(net, trainIter, testIter, batchSize, trainer, ctx, numEpochs, { print });

    // The scale parameter gamma and shift parameter beta learned by the first batch norm layer.
    const first = net.get<BatchNorm>(1);
    const gammaArr = first.gamma.data().reshape([-1]);
    const betaArr = first.beta.data().reshape([-1]);
    print(pyTuple([pyName(await gammaArr.toStringAsync()), pyName(await betaArr.toStringAsync())]));
    const gamma = Array.from(await gammaArr.data());
    const beta = Array.from(await betaArr.data());
    const movingMean = Array.from(await first.movingMean.data());
    const movingVar = Array.from(await first.movingVar.data());

    // ## Concise implementation
    // Gluon's BatchNorm needs no numFeatures or numDims: it infers them from its input.
    net = new nn.Sequential();
    net.add(
      new nn.Conv2D(6, 5),
      new nn.BatchNorm(),
      new nn.Activation('sigmoid'),
      new nn.MaxPool2D(2, { strides: 2 }),
      new nn.Conv2D(16, 5),
      new nn.BatchNorm(),
      new nn.Activation('sigmoid'),
      new nn.MaxPool2D(2, { strides: 2 }),
      new nn.Dense(120),
      new nn.BatchNorm(),
      new nn.Activation('sigmoid'),
      new nn.Dense(84),
      new nn.BatchNorm(),
      new nn.Activation('sigmoid'),
      new nn.Dense(10),
    );
    net.initialize({ ctx, init: new init.Xavier() });
    trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });
    const gluonHistory = await d2l.trainCh5(net, trainIter, testIter, batchSize, trainer, ctx, numEpochs, { print });
    return { lines, scratch, gluon: gluonHistory, gamma, beta, movingMean, movingVar };
  } finally {
    // Node exits only once Dawn's device is gone; a cpu-only run has nothing to release.
    if (ctx.deviceType === 'gpu' && !opts.ctx) await destroyWebGpu(ctx.deviceId);
  }
}

runIfMain(import.meta.url, run);
