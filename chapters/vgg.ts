/**
 * # 5.7 Networks using blocks (VGG) (使用重复元素的网络（VGG）)
 *
 * VGG builds a deep network from one repeated block: `vggBlock(numConvs, numChannels)` is
 * `numConvs` 3x3 convolutions with padding 1 (they keep height and width) and a 2x2 max pool with
 * stride 2 (it halves them). VGG-11 chains five such blocks, `convArch = ((1, 64), (1, 128),
 * (2, 256), (2, 512), (2, 512))`, then AlexNet's dense part. The shape of each block's output on
 * one 224x224 image; then, as VGG-11 is heavier than AlexNet, a net with a quarter of the
 * channels (`ratio = 4`, `smallConvArch`) trained with `d2l.trainCh5` on Fashion-MNIST resized to
 * 224 (sgd lr 0.05, batch 128, 5 epochs).
 *
 * Run it: `d2l-ts run vgg [--epochs 5 --lr 0.05 --batch-size 128 --resize 224 --limit N]`. The
 * book's run takes hours on a small CPU: the program prints the estimate and a shorter command first,
 * saves a checkpoint after each epoch (`--checkpoint-dir`, default `out/vgg/checkpoint`), and
 * `--resume` continues after the last complete one.
 *
 * The names match the book's printout: `vgg()` creates its outer `nn.Sequential` before the
 * blocks, so the outer net is `sequential0` and the five blocks print as `sequential1` to
 * `sequential5`. Differences from the book's printout: `cpu(0)` (the book ran on gpu(0)), the
 * times, the trained numbers (a different random run) and the peak memory line (ours).
 */
import { gluon } from '../src/index.js';
import { ValueError } from '../src/core/errors.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { shapeWalk, trainBookCnn, oneExample, type CnnChapterResult } from './cnn-run.js';

const { nn } = gluon;

export const meta = {
  slug: 'vgg',
  title: '5.7 使用重复元素的网络（VGG） (VGG)',
  needsData: ['fashion-mnist'],
  resumable: true,
};

/** One VGG block's shape: how many convolutions and their output channels. */
export type VggBlockArch = readonly [numConvs: number, numChannels: number];

// ## VGG blocks
/**
 * The book's `vgg_block(num_convs, num_channels)`: `numConvs` 3x3 convolutions with padding 1 and
 * ReLU, then a 2x2 max pool with stride 2, so that the block halves the height and width.
 *
 * @example
 * const blk = vggBlock(2, 128);
 * blk.initialize();
 * blk.forward(nd.random.uniform(0, 1, [1, 64, 56, 56])).shape; // [1, 128, 28, 28]
 */
export function vggBlock(numConvs: number, numChannels: number): gluon.Sequential {
  if (!Number.isInteger(numConvs) || numConvs <= 0)
    throw new ValueError(`vggBlock: numConvs must be a positive integer, got ${String(numConvs)}`);
  if (!Number.isInteger(numChannels) || numChannels <= 0)
    throw new ValueError(`vggBlock: numChannels must be a positive integer, got ${String(numChannels)}`);
  const blk = new nn.Sequential();
  for (let i = 0; i < numConvs; i++) blk.add(new nn.Conv2D(numChannels, 3, { padding: 1, activation: 'relu' }));
  blk.add(new nn.MaxPool2D(2, { strides: 2 }));
  return blk;
}

// ## The VGG network
// Five blocks: the first two with one convolution each, the last three with two; the channels
// start at 64 and double up to 512. Eight convolutions and three dense layers: VGG-11.
export const convArch: readonly VggBlockArch[] = [
  [1, 64],
  [1, 128],
  [2, 256],
  [2, 512],
  [2, 512],
];

/**
 * The book's `vgg(conv_arch)`: one `vggBlock` per entry of `arch`, then the dense part of AlexNet
 * (two 4096-wide layers with dropout 0.5 and a 10-way output).
 *
 * @example
 * const net = vgg(convArch);
 * net.initialize();
 * net.forward(nd.random.uniform(0, 1, [1, 1, 224, 224])).shape; // [1, 10]
 */
export function vgg(arch: readonly VggBlockArch[]): gluon.Sequential {
  if (!Array.isArray(arch) || arch.length === 0)
    throw new ValueError(`vgg: expected a non-empty list of [numConvs, numChannels] pairs, got ${JSON.stringify(arch)}`);
  const net = new nn.Sequential();
  // The convolutional part.
  for (const [numConvs, numChannels] of arch) net.add(vggBlock(numConvs, numChannels));
  // The dense part.
  net.add(
    new nn.Dense(4096, { activation: 'relu' }),
    new nn.Dropout(0.5),
    new nn.Dense(4096, { activation: 'relu' }),
    new nn.Dropout(0.5),
    new nn.Dense(10),
  );
  return net;
}

/**
 * Runs 5.7: VGG-11's shape walk on (1, 1, 224, 224), then training the narrower VGG on Fashion-MNIST.
 *
 * @example
 * const { shapes, history } = await run({ seed: 1, limit: 256, resize: 32, epochs: 1 });
 * shapes[0]; // { name: 'sequential1', shape: [1, 64, 112, 112] }
 */
export async function run(opts: ChapterOptions = {}): Promise<CnnChapterResult> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters(); // layer names as in a fresh notebook (sequential0, sequential1, ...)

  const net = vgg(convArch);

  // A single-channel 224x224 example through the blocks, printing each output's shape: the height
  // and width halve at every block until 7, while the channels double until 512.
  const shapes = shapeWalk(net, oneExample(224), print);

  // ## Training
  // VGG-11 costs more than AlexNet, so the book trains a narrower net: a quarter of the channels.
  const ratio = 4;
  const smallConvArch: VggBlockArch[] = convArch.map(([numConvs, numChannels]) => [numConvs, Math.floor(numChannels / ratio)]);
  // A fresh net, as in the book, so its dense layers take their input size from the training images.
  const small = vgg(smallConvArch);
  const { history } = await trainBookCnn(small, opts, { slug: 'vgg', lr: 0.05, batchSize: 128, epochs: 5, resize: 224 }, print);
  return { lines, shapes, history, net: small };
}

runIfMain(import.meta.url, run);
