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
 * shorter command before it trains; it saves a checkpoint after each epoch (`--checkpoint-dir`,
 * default `out/resnet/checkpoint`) and `--resume` continues after the last complete one.
 *
 * Differences from the book's printout: `training on cpu(0)` (the book ran on gpu(0)), the times,
 * the trained numbers (a different random run) and the peak memory line (ours).
 */
import { nd, d2l, gluon } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { shapeWalk, trainBookCnn, oneExample, type CnnChapterResult } from './cnn-run.js';
import { pyShape } from './pyrepr.js';

const { nn } = gluon;

export const meta = {
  slug: 'resnet',
  title: '5.11 残差网络（ResNet） (ResNet)',
  needsData: ['fashion-mnist'],
  resumable: true,
};

/** What 5.11 returns: the CNN programs' result and the residual blocks' shapes. */
export interface ResnetResult extends CnnChapterResult {
  /** The two residual blocks' output shapes on a (4, 3, 6, 6) input. */
  blockShapes: number[][];
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

/**
 * Runs 5.11: the residual block's shapes, ResNet-18's shape walk, then training on Fashion-MNIST.
 *
 * @example
 * const { shapes, history } = await run({ seed: 1, limit: 128, resize: 32, epochs: 1 });
 * shapes[0]; // { name: 'conv5', shape: [1, 64, 112, 112] }
 */
export async function run(opts: ChapterOptions = {}): Promise<ResnetResult> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters(); // layer names as in a fresh notebook (conv0, batchnorm0, ...)

  // ## Residual blocks
  // Input and output of the same shape.
  let blk = new d2l.Residual(3);
  blk.initialize();
  const X = nd.random.uniform(0, 1, [4, 3, 6, 6]);
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
  const shapes = shapeWalk(net, oneExample(224), print);

  // ## Getting the data and training the model
  // Global average pooling makes the Dense layer's input 512 at any image size, so the walked
  // net trains on 96x96 images as it is. 48x48 images (a quarter of the cost) are the shorter run.
  const { history } = await trainBookCnn(
    net,
    opts,
    { slug: 'resnet', lr: 0.05, batchSize: 256, epochs: 5, resize: 96, printContext: false, minResize: 48 },
    print,
  );
  return { lines, blockShapes, shapes, history, net };
}

runIfMain(import.meta.url, run);
