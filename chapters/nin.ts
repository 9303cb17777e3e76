/**
 * # 5.8 Network in network (NiN) (网络中的网络（NiN）)
 *
 * NiN chains small networks of a convolution and two 1x1 convolutions that act as dense layers
 * on every pixel (`ninBlock`), with AlexNet's window sizes (11x11, 5x5, 3x3) and output channels,
 * each block followed by a 3x3 max pool with stride 2. Instead of AlexNet's dense layers, a last
 * NiN block with 10 channels (one per class) and global average pooling give the scores. The
 * shape of each layer's output on one 224x224 image; then training with `d2l.trainCh5` on
 * Fashion-MNIST resized to 224 (sgd lr 0.1, batch 128, 5 epochs).
 *
 * Run it: `d2l-ts run nin [--epochs 5 --lr 0.1 --batch-size 128 --resize 224 --limit N]`. The
 * book's run takes hours on a small CPU: the program prints the estimate and a shorter command
 * first, saves a checkpoint after each epoch (`--checkpoint-dir`, default `out/nin/checkpoint`),
 * and `--resume` continues after the last complete one. The three max pools need images of at
 * least 67x67.
 *
 * The names match the book's printout: the outer `nn.Sequential` is created before the blocks, so
 * it is `sequential0` and the blocks are `sequential1` to `sequential4`; the global average pool is
 * `pool3`, as Gluon names every pooling layer `pool`. Differences from the book's printout:
 * `cpu(0)` (the book ran on gpu(0)), the times, the trained numbers (a different random run) and
 * the peak memory line (ours).
 */
import { gluon } from '../src/index.js';
import { ValueError } from '../src/core/errors.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { shapeWalk, trainBookCnn, oneExample, type CnnChapterResult } from './cnn-run.js';

const { nn } = gluon;

export const meta = {
  slug: 'nin',
  title: '5.8 网络中的网络（NiN） (NiN)',
  needsData: ['fashion-mnist'],
  resumable: true,
};

// ## NiN blocks
/**
 * The book's `nin_block(num_channels, kernel_size, strides, padding)`: a convolution with the
 * given window, stride and padding, then two 1x1 convolutions, all with `numChannels` outputs
 * and ReLU.
 *
 * @example
 * const blk = ninBlock(96, 11, 4, 0);
 * blk.initialize();
 * blk.forward(nd.random.uniform(0, 1, [1, 1, 224, 224])).shape; // [1, 96, 54, 54]
 */
export function ninBlock(numChannels: number, kernelSize: number, strides: number, padding: number): gluon.Sequential {
  for (const [what, v, min] of [
    ['numChannels', numChannels, 1],
    ['kernelSize', kernelSize, 1],
    ['strides', strides, 1],
    ['padding', padding, 0],
  ] as const)
    if (!Number.isInteger(v) || v < min) throw new ValueError(`ninBlock: ${what} must be an integer >= ${min}, got ${String(v)}`);
  const blk = new nn.Sequential();
  blk.add(
    new nn.Conv2D(numChannels, kernelSize, { strides, padding, activation: 'relu' }),
    new nn.Conv2D(numChannels, 1, { activation: 'relu' }),
    new nn.Conv2D(numChannels, 1, { activation: 'relu' }),
  );
  return blk;
}

// ## The NiN model
/**
 * The book's NiN: four NiN blocks with max pools between them and dropout 0.5 before the last,
 * which has one channel per class; global average pooling and a flatten give (batch, 10).
 *
 * @example
 * const net = nin();
 * net.initialize();
 * net.forward(nd.random.uniform(0, 1, [1, 1, 224, 224])).shape; // [1, 10]
 */
export function nin(): gluon.Sequential {
  const net = new nn.Sequential();
  net.add(
    ninBlock(96, 11, 4, 0),
    new nn.MaxPool2D(3, { strides: 2 }),
    ninBlock(256, 5, 1, 2),
    new nn.MaxPool2D(3, { strides: 2 }),
    ninBlock(384, 3, 1, 1),
    new nn.MaxPool2D(3, { strides: 2 }),
    new nn.Dropout(0.5),
    // Fashion-MNIST has 10 classes.
    ninBlock(10, 3, 1, 1),
    // Global average pooling sets its window to the input's height and width.
    new nn.GlobalAvgPool2D(),
    // From the 4-D output to a 2-D one of shape (batch size, 10).
    new nn.Flatten(),
  );
  return net;
}

/**
 * Runs 5.8: NiN's shape walk on (1, 1, 224, 224), then training on Fashion-MNIST.
 *
 * @example
 * const { shapes, history } = await run({ seed: 1, limit: 256, resize: 96, epochs: 1 });
 * shapes[0]; // { name: 'sequential1', shape: [1, 96, 54, 54] }
 */
export async function run(opts: ChapterOptions = {}): Promise<CnnChapterResult> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters(); // layer names as in a fresh notebook (sequential0, pool0, ...)

  const net = nin();

  // A single-channel 224x224 example through the layers, printing each output's shape.
  const shapes = shapeWalk(net, oneExample(224), print);

  // ## Getting the data and training
  // The book trains the same net again (force_reinit): without dense layers none of its parameter
  // shapes depends on the image size, so it also serves other resizes.
  const { history } = await trainBookCnn(net, opts, { slug: 'nin', lr: 0.1, batchSize: 128, epochs: 5, resize: 224 }, print);
  return { lines, shapes, history, net };
}

runIfMain(import.meta.url, run);
