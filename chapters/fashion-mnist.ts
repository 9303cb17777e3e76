/**
 * # 3.5 The image classification data set (Fashion-MNIST) (图像分类数据集（Fashion-MNIST）)
 *
 * Before implementing softmax regression we introduce a multi-class image classification data
 * set, used throughout the following sections to compare algorithms: Fashion-MNIST. Its images
 * are more varied than the handwritten digits of MNIST, so accuracy differences between models
 * are easier to see.
 *
 * Run it: `d2l-ts run fashion-mnist` (the image grid goes to ./out/fashion-mnist/).
 */
import { join } from 'node:path';
import { nd, d2l, gluon, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

// The book's `from mxnet.gluon import data as gdata`.
const gdata = gluon.data;

export const meta = {
  slug: 'fashion-mnist',
  title: '3.5 图像分类数据集（Fashion-MNIST） (the Fashion-MNIST data set)',
  needsData: ['fashion-mnist'],
};

export interface FashionMnistResult {
  numTrain: number;
  numTest: number;
  featureShape: number[];
  featureDType: string;
  label: number;
  /** The text labels of the first images, as shown in the grid. */
  textLabels: string[];
  /** Seconds to read one epoch of training batches. */
  readSeconds: number;
  /** Batches read in that epoch. */
  batches: number;
  imageFile: string;
}

/**
 * Runs 3.5: loads Fashion-MNIST, prints its sizes, one example's shape and dtype, draws the first 9
 * images with their labels to `<outDir>/fashion-mnist.png`, and times one epoch of reading.
 *
 * @example
 * const { numTrain, readSeconds } = await run({ outDir: 'out/fashion-mnist' });
 */
export async function run(opts: ChapterOptions = {}): Promise<FashionMnistResult> {
  const { print, dataOpts } = startRun(opts);
  const outDir = opts.outDir ?? join('out', meta.slug);

  // ## Getting the data set
  // Gluon's data package downloads the data set the first time (here the project's data resolver
  // finds it locally first: --data-dir, D2L_DATA_DIR, the cache, Debian's dataset-fashion-mnist).
  // `train` selects the training or the test set. The test set is only for evaluating a model.
  const mnistTrain = await gdata.vision.FashionMNIST.create({ ...dataOpts, train: true });
  const mnistTest = await gdata.vision.FashionMNIST.create({ ...dataOpts, train: false });
  // The training set has 6000 images per class and the test set 1000: 10 classes in all.
  print(`(len(mnist_train), len(mnist_test)): (${mnistTrain.length}, ${mnistTest.length})`);

  // We can read any example by index. Each image is 28 pixels high and wide, with one channel
  // (grey levels), stored as unsigned 8-bit integers; the label is an integer.
  const [feature, label] = mnistTrain.get(0) as [NDArray, number];
  print(`feature.shape, feature.dtype: (${feature.shape.join(', ')}), ${feature.dtype}`);
  print(`label: ${label}`);

  // There are 10 classes: t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag
  // and ankle boot. `d2l.getFashionMnistLabels` turns numeric labels into these names, and
  // `d2l.showFashionMnist` draws images with their labels in one row (here: into a PNG file).
  // The first 9 training examples:
  const [images, labels] = mnistTrain.arrays();
  const X = images.get(':9');
  const y = labels.get(':9');
  const textLabels = d2l.getFashionMnistLabels(y);
  const imageFile = join(outDir, 'fashion-mnist.png');
  await d2l.showFashionMnist(X, textLabels, imageFile);
  print(`labels of the first 9 images: ${textLabels.join(', ')}`);
  print(`images written to ${imageFile}`);

  // ## Reading minibatches (the data of softmax regression in 3.6 and 3.7)
  // DataLoader reads minibatches of batchSize examples, shuffling the training set each epoch;
  // d2l.loadDataFashionMnist wraps these steps for the softmax regression sections that follow.
  // ToTensor turns images from uint8 (height, width, channel) into float32 (channel, height,
  // width) in [0, 1]; transformFirst applies it to the image of each (image, label) example.
  // (The book reads with 4 worker processes; here whole batches are gathered at once instead.)
  const batchSize = opts.batchSize ?? 256;
  const transformer = new gdata.vision.transforms.ToTensor();
  const limit = opts.limit; // training examples to read (the tests take fewer)
  const trainSet = limit !== undefined ? mnistTrain.take(limit) : mnistTrain;
  const trainIter = new gdata.DataLoader(trainSet.transformFirst(transformer), { batchSize, shuffle: true });
  const testIter = new gdata.DataLoader(mnistTest.transformFirst(transformer), { batchSize, shuffle: false });
  void testIter; // the test loader is built the same way; the next sections use both

  // The time it takes to read the training data once:
  const start = performance.now();
  let batches = 0;
  for (const [X, y] of trainIter) batches++; // the book: `for X, y in train_iter: continue` (X, y unused)
  const readSeconds = (performance.now() - start) / 1000;
  print(`${readSeconds.toFixed(2)} sec`);

  return {
    numTrain: mnistTrain.length,
    numTest: mnistTest.length,
    featureShape: [...feature.shape],
    featureDType: feature.dtype,
    label,
    textLabels,
    readSeconds,
    batches,
    imageFile,
  };
}

runIfMain(import.meta.url, run);
