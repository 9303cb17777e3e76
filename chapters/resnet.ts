/**
 * # 5.11 Residual networks (ResNet) (残差网络（ResNet）)
 *
 * The residual block (`d2l.Residual`: two 3x3 convolutions with batch norm, the input added back,
 * through a 1x1 convolution when the channels or the stride change) and its output shapes; the
 * ResNet-18 model (a 7x7 convolution and 3x3 max pooling, four modules of two residual blocks,
 * global average pooling and a Dense layer), the shape of each layer's output on one 224x224
 * image; then training on Fashion-MNIST resized to 96x96 with `d2l.trainCh5` (Xavier, sgd lr 0.05,
 * batch 256, 5 epochs).
 *
 * Run it: `d2l-ts run resnet [--epochs 5 --lr 0.05 --batch-size 256 --resize 96 --limit N]`. On a
 * CPU where the book's run is estimated above ten minutes, the program says so and prints a
 * shorter command before it trains.
 *
 * Differences from the book's printout: `cpu(0)` / `training on cpu(0)` (the book ran on gpu(0))
 * and the times; the trained numbers are a different random run.
 */
import { nd, d2l, gluon, init, destroyWebGpu } from '../src/index.js';
import { printer, runIfMain, type ChapterOptions } from './common.js';
import { estimateRun } from './long-run.js';
import { pyShape } from './pyrepr.js';

const { nn } = gluon;

export const meta = {
  slug: 'resnet',
  title: '5.11 残差网络（ResNet） (ResNet)',
  needsData: ['fashion-mnist'],
};

/** The options of 5.11: the chapter options and the images' side after resizing (default 96). */
export type ResnetOptions = ChapterOptions & { resize?: number };

export interface ResnetResult {
  lines: string[];
  /** The two residual blocks' output shapes on a (4, 3, 6, 6) input. */
  blockShapes: number[][];
  /** ResNet-18's layer-by-layer output shapes on a (1, 1, 224, 224) input, with the layer names. */
  shapes: { name: string; shape: number[] }[];
  history: d2l.EpochMetrics[];
  net: gluon.Sequential;
}

// ## The ResNet model
// A module of `numResiduals` residual blocks with `numChannels` channels; the first block of
// every module but the first halves the height and width and changes the channels.
function resnetBlock(numChannels: number, numResiduals: number, firstBlock = false): gluon.Sequential {
  const blk = new nn.Sequential();
  for (let i = 0; i < numResiduals; i++) {
    if (i === 0 && !firstBlock) blk.add(new d2l.Residual(numChannels, true, 2));
    else blk.add(new d2l.Residual(numChannels));
  }
  return blk;
}

/** The images' side after resizing: `opts.resize` when the CLI or the caller gave one, else the book's 96. */
function resizeOf(opts: ResnetOptions): number {
  const r = (opts as { resize?: unknown }).resize;
  return typeof r === 'number' ? r : 96;
}

/**
 * Runs 5.11: the residual block's shapes, ResNet-18's shape walk, then training on Fashion-MNIST.
 *
 * @example
 * const { shapes, history } = await run({ seed: 1, limit: 128, resize: 32, epochs: 1 });
 * shapes[0]; // { name: 'conv5', shape: [1, 64, 112, 112] }
 */
export async function run(opts: ResnetOptions = {}): Promise<ResnetResult> {
  const lines: string[] = [];
  const out = printer(opts);
  const print = (line: string) => {
    lines.push(line);
    out(line);
  };
  if (opts.seed !== undefined) nd.random.seed(opts.seed);
  gluon.resetNameCounters(); // layer names as in a fresh notebook (conv0, batchnorm0, ...)

  // ## Residual blocks
  // Input and output of the same shape.
  let blk = new d2l.Residual(3);
  blk.initialize();
  let X = nd.random.uniform(0, 1, [4, 3, 6, 6]);
  const blockShapes: number[][] = [];
  blockShapes.push([...blk.forward(X).shape]);
  print(pyShape(blockShapes[0]!));
  // More output channels and half the height and width.
  blk = new d2l.Residual(6, true, 2);
  blk.initialize();
  blockShapes.push([...blk.forward(X).shape]);
  print(pyShape(blockShapes[1]!));

  // ResNet's first two layers are GoogLeNet's, with batch norm after the convolution.
  const net = new nn.Sequential();
  net.add(
    new nn.Conv2D(64, 7, { strides: 2, padding: 3 }),
    new nn.BatchNorm(),
    new nn.Activation('relu'),
    new nn.MaxPool2D(3, { strides: 2, padding: 1 }),
  );
  net.add(resnetBlock(64, 2, true), resnetBlock(128, 2), resnetBlock(256, 2), resnetBlock(512, 2));
  net.add(new nn.GlobalAvgPool2D(), new nn.Dense(10));

  // One 224x224 single-channel example through the layers, printing each output's shape.
  X = nd.random.uniform(0, 1, [1, 1, 224, 224]);
  net.initialize();
  const shapes: { name: string; shape: number[] }[] = [];
  for (const layer of net) {
    X = layer.forward(X);
    shapes.push({ name: layer.name, shape: [...X.shape] });
    print(`${layer.name} output shape:\t ${pyShape(X.shape)}`);
  }

  // ## Getting the data and training the model
  const lr = opts.lr ?? 0.05;
  const numEpochs = opts.epochs ?? 5;
  const batchSize = opts.batchSize ?? 256;
  const resize = resizeOf(opts);
  const ctx = opts.ctx ?? (await d2l.tryGpu());
  try {
    net.initialize({ forceReinit: true, ctx, init: new init.Xavier() });
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });
    const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, {
      resize,
      ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    });
    await estimateRun(net, trainIter, {
      ctx,
      epochs: numEpochs,
      trainBatches: trainIter.length,
      testBatches: testIter.length,
      // Smaller images (a 48x48 step costs about a quarter of a 96x96 one) on a tenth of the data, or one epoch.
      shorter: `d2l-ts run resnet --resize 48 --limit ${Math.ceil((opts.limit ?? 60000) / 10)} --epochs ${numEpochs}, or --epochs 1`,
      print,
    });
    const history = await d2l.trainCh5(net, trainIter, testIter, batchSize, trainer, ctx, numEpochs, { print });
    return { lines, blockShapes, shapes, history, net };
  } finally {
    // Node exits only once Dawn's device is gone; a cpu-only run has nothing to release.
    if (ctx.deviceType === 'gpu' && !opts.ctx) await destroyWebGpu(ctx.deviceId);
  }
}

runIfMain(import.meta.url, run);
