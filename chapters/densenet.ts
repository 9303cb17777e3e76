/**
 * # 5.12 Densely connected networks (DenseNet) (稠密连接网络（DenseNet）)
 *
 * The dense block (`DenseBlock`: convolution blocks whose outputs are concatenated with their
 * inputs on the channel dimension) and the transition block (1x1 convolution and 2x2 average
 * pooling, to cut the channels and halve the height and width), with the output shapes the book
 * shows; the DenseNet model (four dense blocks of four convolution blocks, growth rate 32,
 * transition blocks halving the channels); then training on Fashion-MNIST resized to 96x96 with
 * `d2l.trainCh5` (Xavier, sgd lr 0.1, batch 256, 5 epochs).
 *
 * Run it: `d2l-ts run densenet [--epochs 5 --lr 0.1 --batch-size 256 --resize 96 --limit N]`. On
 * a CPU where the book's run is estimated above ten minutes, the program says so and prints a
 * shorter command before it trains; it saves a checkpoint after each epoch (`--checkpoint-dir`,
 * default `out/densenet/checkpoint`) and `--resume` continues after the last complete one.
 *
 * Differences from the book's printout: `training on cpu(0)` (the book ran on gpu(0)), the times,
 * the trained numbers (a different random run) and the peak memory line (ours).
 */
import { nd, d2l, gluon, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { trainBookCnn } from './cnn-run.js';
import { pyShape } from './pyrepr.js';

const { nn } = gluon;

export const meta = {
  slug: 'densenet',
  title: '5.12 稠密连接网络（DenseNet） (DenseNet)',
  needsData: ['fashion-mnist'],
  resumable: true,
};

export interface DensenetResult {
  lines: string[];
  /** The dense block's output shape on a (4, 3, 8, 8) input, and the transition block's on that. */
  blockShapes: number[][];
  history: d2l.EpochMetrics[];
  net: gluon.Sequential;
}

// ## Dense blocks
// ResNet's improved "batch norm, activation, convolution" structure.
function convBlock(numChannels: number): gluon.Sequential {
  const blk = new nn.Sequential();
  blk.add(new nn.BatchNorm(), new nn.Activation('relu'), new nn.Conv2D(numChannels, 3, { padding: 1 }));
  return blk;
}

class DenseBlock extends nn.Block {
  net: gluon.Sequential;
  constructor(numConvs: number, numChannels: number, opts: gluon.BlockOptions = {}) {
    super(opts);
    this.net = new nn.Sequential();
    for (let i = 0; i < numConvs; i++) this.net.add(convBlock(numChannels));
  }

  override forward(X: NDArray): NDArray {
    for (const blk of this.net) {
      const Y = blk.forward(X);
      X = nd.concat([X, Y], { dim: 1 }); // concatenate input and output on the channel dimension
    }
    return X;
  }
}

// ## Transition blocks
// A 1x1 convolution cuts the channels, average pooling with stride 2 halves the height and width.
function transitionBlock(numChannels: number): gluon.Sequential {
  const blk = new nn.Sequential();
  blk.add(new nn.BatchNorm(), new nn.Activation('relu'), new nn.Conv2D(numChannels, 1), new nn.AvgPool2D(2, { strides: 2 }));
  return blk;
}

/**
 * Runs 5.12: the dense and transition blocks' shapes, the DenseNet model, then training on
 * Fashion-MNIST.
 *
 * @example
 * const { blockShapes, history } = await run({ seed: 1, limit: 128, resize: 32, epochs: 1 });
 * blockShapes[0]; // [4, 23, 8, 8]
 */
export async function run(opts: ChapterOptions = {}): Promise<DensenetResult> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters(); // layer names as in a fresh notebook

  // A dense block of 2 convolution blocks with 10 output channels each: 3 + 2 * 10 = 23 channels.
  let blk: gluon.Block = new DenseBlock(2, 10);
  blk.initialize();
  const X = nd.random.uniform(0, 1, [4, 3, 8, 8]);
  const Y = blk.forward(X);
  const blockShapes: number[][] = [[...Y.shape]];
  print(pyShape(Y.shape));
  // A transition block with 10 channels on that output.
  blk = transitionBlock(10);
  blk.initialize();
  blockShapes.push([...blk.forward(Y).shape]);
  print(pyShape(blockShapes[1]!));

  // ## The DenseNet model
  // The same single convolution layer and max pooling layer as ResNet.
  const net = new nn.Sequential();
  net.add(
    new nn.Conv2D(64, 7, { strides: 2, padding: 3 }),
    new nn.BatchNorm(),
    new nn.Activation('relu'),
    new nn.MaxPool2D(3, { strides: 2, padding: 1 }),
  );
  let numChannels = 64; // the current number of channels
  const growthRate = 32;
  const numConvsInDenseBlocks = [4, 4, 4, 4];
  numConvsInDenseBlocks.forEach((numConvs, i) => {
    net.add(new DenseBlock(numConvs, growthRate));
    // The previous dense block's output channels.
    numChannels += numConvs * growthRate;
    // A transition layer halving the channels between dense blocks.
    if (i !== numConvsInDenseBlocks.length - 1) {
      numChannels = Math.floor(numChannels / 2);
      net.add(transitionBlock(numChannels));
    }
  });
  // Global pooling and a Dense layer for the output, as ResNet.
  net.add(new nn.BatchNorm(), new nn.Activation('relu'), new nn.GlobalAvgPool2D(), new nn.Dense(10));

  // ## Getting the data and training the model
  // 48x48 images (a quarter of the cost) are the shorter run.
  const { history } = await trainBookCnn(
    net,
    opts,
    { slug: 'densenet', lr: 0.1, batchSize: 256, epochs: 5, resize: 96, printContext: false, minResize: 48 },
    print,
  );
  return { lines, blockShapes, history, net };
}

runIfMain(import.meta.url, run);
