/**
 * # 5.5 Convolutional neural networks (LeNet) (卷积神经网络（LeNet）)
 *
 * LeNet: two convolutional blocks (5x5 convolution, sigmoid, 2x2 max pooling) and three fully
 * connected layers; the shape of each layer's output on one 28x28 image; then training on
 * Fashion-MNIST with `d2l.trainCh5` (Xavier initialisation, sgd lr 0.9, batch 256, 5 epochs).
 *
 * Run it: `d2l-ts run lenet [--epochs 5 --lr 0.9 --batch-size 256 --limit N]`. On a CPU where the
 * book's run is estimated above ten minutes, the program says so and prints a shorter command
 * before it trains.
 *
 * Differences from the book's printout: `cpu(0)` and `training on cpu(0)` (the book ran on gpu(0)) and the
 * times; the trained numbers are a different random run (bands in test/chapters/ch5-train.test.ts).
 */
import { nd, d2l, gluon, init, destroyWebGpu } from '../src/index.js';
import { printer, runIfMain, trainingContext, type ChapterOptions } from './common.js';
import { estimateRun } from './long-run.js';
import { pyShape } from './pyrepr.js';

const { nn } = gluon;

export const meta = {
  slug: 'lenet',
  title: '5.5 卷积神经网络（LeNet） (LeNet)',
  needsData: ['fashion-mnist'],
};

export interface LenetResult {
  lines: string[];
  /** The layer-by-layer output shapes on a (1, 1, 28, 28) input, with the layer names. */
  shapes: { name: string; shape: number[] }[];
  history: d2l.EpochMetrics[];
  net: gluon.Sequential;
}

/**
 * Runs 5.5: LeNet's shape walk, then training on Fashion-MNIST.
 *
 * @example
 * const { shapes, history } = await run({ seed: 1, limit: 1024, epochs: 1 });
 * shapes[0]; // { name: 'conv0', shape: [1, 6, 24, 24] }
 */
export async function run(opts: ChapterOptions = {}): Promise<LenetResult> {
  const lines: string[] = [];
  const out = printer(opts);
  const print = (line: string) => {
    lines.push(line);
    out(line);
  };
  if (opts.seed !== undefined) nd.random.seed(opts.seed);
  gluon.resetNameCounters(); // layer names as in a fresh notebook (conv0, pool0, ...)

  // ## The LeNet model
  const net = new nn.Sequential();
  net.add(
    new nn.Conv2D(6, 5, { activation: 'sigmoid' }),
    new nn.MaxPool2D(2, { strides: 2 }),
    new nn.Conv2D(16, 5, { activation: 'sigmoid' }),
    new nn.MaxPool2D(2, { strides: 2 }),
    // Dense turns the (batch, channel, height, width) input into (batch, channel * height * width).
    new nn.Dense(120, { activation: 'sigmoid' }),
    new nn.Dense(84, { activation: 'sigmoid' }),
    new nn.Dense(10),
  );

  // One 28x28 single-channel example through the layers, printing each output's shape.
  let X = nd.random.uniform(0, 1, [1, 1, 28, 28]);
  net.initialize();
  const shapes: { name: string; shape: number[] }[] = [];
  for (const layer of net) {
    X = layer.forward(X);
    shapes.push({ name: layer.name, shape: [...X.shape] });
    print(`${layer.name} output shape:\t ${pyShape(X.shape)}`);
  }

  // ## Getting the data and training the model
  const batchSize = opts.batchSize ?? 256;
  const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, {
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
  });

  // A GPU when there is one (try_gpu), else the CPU.
  const ctx = await trainingContext(opts);
  print(ctx.toString());

  // Re-initialise the parameters on ctx with Xavier, and train with sgd.
  const lr = opts.lr ?? 0.9;
  const numEpochs = opts.epochs ?? 5;
  try {
    net.initialize({ forceReinit: true, ctx, init: new init.Xavier() });
    await estimateRun(net, trainIter, {
      ctx,
      epochs: numEpochs,
      trainBatches: trainIter.length,
      testBatches: testIter.length,
      // A tenth of the data in use (Fashion-MNIST has 60000 training examples), or one epoch.
      shorter: `d2l-ts run lenet --limit ${Math.ceil((opts.limit ?? 60000) / 10)} --epochs ${numEpochs} (a tenth of the data), or --epochs 1`,
      print,
    });
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });
    const history = await d2l.trainCh5(net, trainIter, testIter, batchSize, trainer, ctx, numEpochs, { print });
    return { lines, shapes, history, net };
  } finally {
    // Node exits only once Dawn's device is gone; a cpu-only run has nothing to release.
    if (ctx.deviceType === 'gpu' && !opts.ctx) await destroyWebGpu(ctx.deviceId);
  }
}

runIfMain(import.meta.url, run);
