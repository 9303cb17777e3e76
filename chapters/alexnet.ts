/**
 * # 5.6 Deep convolutional neural networks (AlexNet) (深度卷积神经网络（AlexNet）)
 *
 * AlexNet, simplified for Fashion-MNIST as the book does: an 11x11 convolution with stride 4, a
 * 5x5 and three 3x3 convolutions with ReLU, three 3x3 max pools with stride 2, and two 4096-wide
 * dense layers with dropout 0.5. The shape of each layer's output on one 224x224 image, then
 * training with `d2l.trainCh5` on Fashion-MNIST resized to 224 (sgd lr 0.01, batch 128, 5 epochs).
 *
 * Run it: `d2l-ts run alexnet [--epochs 5 --lr 0.01 --batch-size 128 --resize 224 --limit N]`. The
 * book's run takes hours on a small CPU: the program prints the estimate and a shorter command first,
 * saves a checkpoint after each epoch (`--checkpoint-dir`, default `out/alexnet/checkpoint`), and
 * `--resume` continues after the last complete one.
 *
 * Differences from the book's printout: `cpu(0)` (the book ran on gpu(0)), the times, the trained
 * numbers (a different random run) and the peak memory line (ours).
 */
import { gluon } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { shapeWalk, trainBookCnn, oneExample, netForResize, type CnnChapterResult } from './cnn-run.js';

const { nn } = gluon;

export const meta = {
  slug: 'alexnet',
  title: '5.6 深度卷积神经网络（AlexNet） (AlexNet)',
  needsData: ['fashion-mnist'],
  resumable: true,
};

// ## The AlexNet model
function alexnet(): gluon.Sequential {
  const net = new nn.Sequential();
  // A larger 11x11 window to capture objects, with stride 4 to cut the output's height and width
  // sharply; many more output channels than LeNet.
  net.add(
    new nn.Conv2D(96, 11, { strides: 4, activation: 'relu' }),
    new nn.MaxPool2D(3, { strides: 2 }),
    // A smaller window, padding 2 to keep height and width, and more output channels.
    new nn.Conv2D(256, 5, { padding: 2, activation: 'relu' }),
    new nn.MaxPool2D(3, { strides: 2 }),
    // Three consecutive convolutions with a still smaller window; only the last of them is followed
    // by pooling, which cuts height and width.
    new nn.Conv2D(384, 3, { padding: 1, activation: 'relu' }),
    new nn.Conv2D(384, 3, { padding: 1, activation: 'relu' }),
    new nn.Conv2D(256, 3, { padding: 1, activation: 'relu' }),
    new nn.MaxPool2D(3, { strides: 2 }),
    // Dense layers many times wider than LeNet's, with dropout against overfitting.
    new nn.Dense(4096, { activation: 'relu' }),
    new nn.Dropout(0.5),
    new nn.Dense(4096, { activation: 'relu' }),
    new nn.Dropout(0.5),
    // The output layer: Fashion-MNIST has 10 classes, not the paper's 1000.
    new nn.Dense(10),
  );
  return net;
}

/**
 * Runs 5.6: AlexNet's shape walk on (1, 1, 224, 224), then training on Fashion-MNIST.
 *
 * @example
 * const { shapes, history } = await run({ seed: 1, limit: 256, resize: 96, epochs: 1 });
 * shapes[0]; // { name: 'conv0', shape: [1, 96, 54, 54] }
 */
export async function run(opts: ChapterOptions = {}): Promise<CnnChapterResult> {
  const { print, lines } = startRun(opts);
  gluon.resetNameCounters(); // layer names as in a fresh notebook (conv0, pool0, ...)

  const net = alexnet();

  // A single-channel 224x224 example through the layers, printing each output's shape.
  const shapes = shapeWalk(net, oneExample(224), print);

  // ## Reading the data (resized to 224) and training
  const trained = netForResize(net, 224, opts.resize ?? 224, alexnet);
  // 67x67 is the smallest input that leaves the last pooling window a 3x3 feature map.
  const { history } = await trainBookCnn(
    trained,
    opts,
    { slug: 'alexnet', lr: 0.01, batchSize: 128, epochs: 5, resize: 224, minResize: 67 },
    print,
  );
  return { lines, shapes, history, net: trained };
}

runIfMain(import.meta.url, run);
