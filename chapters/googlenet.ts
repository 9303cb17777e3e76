/**
 * # 5.9 Networks with parallel concatenations (GoogLeNet) (含并行连结的网络（GoogLeNet）)
 *
 * GoogLeNet's building block, the Inception block, runs four paths side by side: a 1x1
 * convolution; a 1x1 then a 3x3 convolution; a 1x1 then a 5x5 convolution; a 3x3 max pool then a
 * 1x1 convolution. All keep the height and width, and their outputs are concatenated on the
 * channel dimension. Five modules `b1`..`b5` (plain convolutions, then 2, 5 and 2 Inception blocks,
 * with 3x3 max pools of stride 2 between them and global average pooling at the end) and a Dense
 * layer make the model. The shape of each module's output on one 96x96 image (the book shrinks
 * the input from 224 to 96 to save computation); then training with `d2l.trainCh5` on
 * Fashion-MNIST resized to 96 (sgd lr 0.1, batch 128, 5 epochs).
 *
 * Run it: `d2l-ts run googlenet [--epochs 5 --lr 0.1 --batch-size 128 --resize 96 --limit N]`. The
 * book's run takes hours on a small CPU: the program prints the estimate and a shorter command first,
 * saves a checkpoint after each epoch (`--checkpoint-dir`, default `out/googlenet/checkpoint`), and
 * `--resume` continues after the last complete one.
 *
 * The names match the book's printout: the modules are created before the outer net, so they
 * print as `sequential0` to `sequential4`, and the output layer as `dense0`. Differences from
 * the book's printout: `cpu(0)` (the book ran on gpu(0)), the times, the trained numbers (a
 * different random run) and the peak memory line (ours).
 */
import { nd, gluon, type NDArray } from '../src/index.js';
import { ShapeError, ValueError } from '../src/core/errors.js';
import { pyShape } from './pyrepr.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { shapeWalk, trainBookCnn, oneExample, type CnnChapterResult } from './cnn-run.js';

const { nn } = gluon;

export const meta = {
  slug: 'googlenet',
  title: '5.9 含并行连结的网络（GoogLeNet） (GoogLeNet)',
  needsData: ['fashion-mnist'],
  resumable: true,
};

function checkChannels(what: string, v: unknown): void {
  if (!Number.isInteger(v) || (v as number) <= 0)
    throw new ValueError(`Inception: ${what} must be a positive integer number of channels, got ${JSON.stringify(v)}`);
}

// ## Inception blocks
/**
 * The book's `Inception(c1, c2, c3, c4)`, where c1..c4 are the output channels of each path's
 * layers: path 1 a 1x1 convolution (`c1`); path 2 a 1x1 convolution (`c2[0]`) then a 3x3 with
 * padding 1 (`c2[1]`); path 3 a 1x1 (`c3[0]`) then a 5x5 with padding 2 (`c3[1]`); path 4 a 3x3
 * max pool with stride 1 and padding 1, then a 1x1 convolution (`c4`). Every convolution has ReLU.
 * The output has `c1 + c2[1] + c3[1] + c4` channels and the input's height and width. The layers
 * are created outside a name scope, as the book's are, so they take the global names (conv0, ...).
 *
 * @example
 * const blk = new Inception(64, [96, 128], [16, 32], 32);
 * blk.initialize();
 * blk.forward(nd.random.uniform(0, 1, [1, 192, 12, 12])).shape; // [1, 256, 12, 12]
 */
export class Inception extends nn.Block {
  // Path 1: a single 1x1 convolution.
  p1_1: gluon.nn.Conv2D;
  // Path 2: a 1x1 convolution followed by a 3x3 convolution.
  p2_1: gluon.nn.Conv2D;
  p2_2: gluon.nn.Conv2D;
  // Path 3: a 1x1 convolution followed by a 5x5 convolution.
  p3_1: gluon.nn.Conv2D;
  p3_2: gluon.nn.Conv2D;
  // Path 4: a 3x3 max pool followed by a 1x1 convolution.
  p4_1: gluon.nn.MaxPool2D;
  p4_2: gluon.nn.Conv2D;

  constructor(c1: number, c2: readonly [number, number], c3: readonly [number, number], c4: number, opts: gluon.BlockOptions = {}) {
    checkChannels('c1', c1);
    for (const [what, pair] of [
      ['c2', c2],
      ['c3', c3],
    ] as const) {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw new ValueError(`Inception: ${what} must be a pair [1x1 channels, output channels], got ${JSON.stringify(pair)}`);
      checkChannels(`${what}[0]`, pair[0]);
      checkChannels(`${what}[1]`, pair[1]);
    }
    checkChannels('c4', c4);
    super(opts);
    this.p1_1 = new nn.Conv2D(c1, 1, { activation: 'relu' });
    this.p2_1 = new nn.Conv2D(c2[0], 1, { activation: 'relu' });
    this.p2_2 = new nn.Conv2D(c2[1], 3, { padding: 1, activation: 'relu' });
    this.p3_1 = new nn.Conv2D(c3[0], 1, { activation: 'relu' });
    this.p3_2 = new nn.Conv2D(c3[1], 5, { padding: 2, activation: 'relu' });
    this.p4_1 = new nn.MaxPool2D(3, { strides: 1, padding: 1 });
    this.p4_2 = new nn.Conv2D(c4, 1, { activation: 'relu' });
  }

  override forward(x: NDArray): NDArray {
    if (x.ndim !== 4)
      throw new ShapeError(`Inception '${this.name}': expected a 4-D (batch, channels, h, w) input, got shape ${pyShape(x.shape)}`);
    const p1 = this.p1_1.forward(x);
    const p2 = this.p2_2.forward(this.p2_1.forward(x));
    const p3 = this.p3_2.forward(this.p3_1.forward(x));
    const p4 = this.p4_2.forward(this.p4_1.forward(x));
    return nd.concat([p1, p2, p3, p4], { dim: 1 }); // concatenate the paths on the channel dimension
  }
}

// ## The GoogLeNet model
/**
 * The book's GoogLeNet: modules `b1`..`b5` and a 10-way Dense layer. Global average pooling at the
 * end of `b5` makes the Dense layer's input 1024 wide whatever the image size (at least 32x32).
 *
 * @example
 * const net = googlenet();
 * net.initialize();
 * net.forward(nd.random.uniform(0, 1, [1, 1, 96, 96])).shape; // [1, 10]
 */
export function googlenet(): gluon.Sequential {
  // b1: a 64-channel 7x7 convolution.
  const b1 = new nn.Sequential();
  b1.add(new nn.Conv2D(64, 7, { strides: 2, padding: 3, activation: 'relu' }), new nn.MaxPool2D(3, { strides: 2, padding: 1 }));

  // b2: a 64-channel 1x1 convolution, then a 3x3 one tripling the channels (Inception's path 2).
  const b2 = new nn.Sequential();
  b2.add(new nn.Conv2D(64, 1), new nn.Conv2D(192, 3, { padding: 1 }), new nn.MaxPool2D(3, { strides: 2, padding: 1 }));

  // b3: two Inception blocks, 64+128+32+32 = 256 and 128+192+96+64 = 480 output channels.
  const b3 = new nn.Sequential();
  b3.add(
    new Inception(64, [96, 128], [16, 32], 32),
    new Inception(128, [128, 192], [32, 96], 64),
    new nn.MaxPool2D(3, { strides: 2, padding: 1 }),
  );

  // b4: five Inception blocks, 512, 512, 512, 528 and 832 output channels.
  const b4 = new nn.Sequential();
  b4.add(
    new Inception(192, [96, 208], [16, 48], 64),
    new Inception(160, [112, 224], [24, 64], 64),
    new Inception(128, [128, 256], [24, 64], 64),
    new Inception(112, [144, 288], [32, 64], 64),
    new Inception(256, [160, 320], [32, 128], 128),
    new nn.MaxPool2D(3, { strides: 2, padding: 1 }),
  );

  // b5: two Inception blocks, 832 and 1024 output channels, then global average pooling as in NiN.
  const b5 = new nn.Sequential();
  b5.add(new Inception(256, [160, 320], [32, 128], 128), new Inception(384, [192, 384], [48, 128], 128), new nn.GlobalAvgPool2D());

  const net = new nn.Sequential();
  net.add(b1, b2, b3, b4, b5, new nn.Dense(10));
  return net;
}

/**
 * Runs 5.9: GoogLeNet's shape walk on (1, 1, 96, 96), then training on Fashion-MNIST.
 *
 * @example
 * const { shapes, history } = await run({ seed: 1, limit: 128, resize: 96, epochs: 1 });
 * shapes[0]; // { name: 'sequential0', shape: [1, 64, 24, 24] }
 */
export async function run(opts: ChapterOptions = {}): Promise<CnnChapterResult> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters(); // layer names as in a fresh notebook (sequential0, ..., dense0)

  const net = googlenet();

  // A single-channel 96x96 example through the modules, printing each output's shape.
  const shapes = shapeWalk(net, oneExample(96), print);

  // ## Getting the data and training
  // The book trains the same net again (force_reinit); after global average pooling no parameter
  // shape depends on the image size, so it also serves other resizes.
  const { history } = await trainBookCnn(net, opts, { slug: 'googlenet', lr: 0.1, batchSize: 128, epochs: 5, resize: 96 }, print);
  return { lines, shapes, history, net };
}

runIfMain(import.meta.url, run);
