/**
 * The shape walk and the training part shared by the book's CNN programs 5.6-5.9 (AlexNet, VGG,
 * NiN, GoogLeNet): each prints its layers' output shapes on one example, then loads Fashion-MNIST
 * with the book's `resize`, re-initialises with Xavier on the context, trains with sgd through
 * `d2l.trainCh5`, and prints the peak memory of the run. The book's settings take hours on a small
 * CPU, so `estimateRun` prints the estimate and a shorter command first.
 */
import { nd, d2l, gluon, init, destroyWebGpu, type NDArray } from '../src/index.js';
import { ValueError } from '../src/core/errors.js';
import type { ChapterOptions } from './common.js';
import { estimateRun } from './long-run.js';
import { pyShape } from './pyrepr.js';

/** One layer's name and the shape of its output in the shape walk. */
export interface LayerShape {
  name: string;
  shape: number[];
}

/**
 * Initialises `net` and passes `X` through its top-level layers, printing `name output shape:\t (..)`
 * for each as the book's loop does.
 *
 * @example
 * const shapes = shapeWalk(net, nd.random.uniform(0, 1, [1, 1, 224, 224]), console.log);
 * shapes[0]; // { name: 'conv0', shape: [1, 96, 54, 54] }
 */
export function shapeWalk(net: gluon.Sequential, X: NDArray, print: (line: string) => void): LayerShape[] {
  if (X.ndim !== 4) throw new ValueError(`shapeWalk: expected a 4-D NCHW input, got shape ${pyShape(X.shape)}`);
  net.initialize();
  const shapes: LayerShape[] = [];
  for (const layer of net) {
    X = layer.forward(X);
    shapes.push({ name: layer.name, shape: [...X.shape] });
    print(`${layer.name} output shape:\t ${pyShape(X.shape)}`);
  }
  return shapes;
}

/**
 * The peak resident memory of this process so far, in MiB (the kernel's high-water mark; it
 * includes the JavaScript heap and the arrays' buffers).
 *
 * @example
 * peakMemoryMiB(); // 412.3
 */
export function peakMemoryMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** What the CNN programs 5.6-5.9 return. */
export interface CnnChapterResult {
  lines: string[];
  /** The layer-by-layer output shapes on one example, with the layer names. */
  shapes: LayerShape[];
  history: d2l.EpochMetrics[];
  net: gluon.Sequential;
}

/** The book's hyperparameters of one CNN section. */
export interface CnnDefaults {
  slug: string;
  lr: number;
  batchSize: number;
  epochs: number;
  resize: number;
}

/**
 * The network to train: `net` itself when the images keep the shape walk's size (as in the book),
 * else a fresh one from `build`, since `net`'s dense layers took their input sizes from the walk.
 *
 * @example
 * const trained = netForResize(net, 224, opts.resize ?? 224, alexnet);
 */
export function netForResize(net: gluon.Sequential, walkSize: number, resize: number, build: () => gluon.Sequential): gluon.Sequential {
  return resize === walkSize ? net : build();
}

/**
 * Trains `net` as the book's 5.6-5.9 do: `loadDataFashionMnist(batchSize, resize)`, Xavier
 * re-initialisation on the context, sgd, `trainCh5`; options override the book's values. Prints
 * the context, the run estimate with a shorter command when it is long, the epoch lines and the
 * peak memory.
 *
 * @example
 * const history = await trainBookCnn(net, { limit: 256, resize: 32, epochs: 1 }, { slug: 'alexnet', lr: 0.01, batchSize: 128, epochs: 5, resize: 224 }, print);
 */
export async function trainBookCnn(
  net: gluon.Sequential,
  opts: ChapterOptions,
  book: CnnDefaults,
  print: (line: string) => void,
): Promise<{ history: d2l.EpochMetrics[]; peakMiB: number }> {
  const batchSize = opts.batchSize ?? book.batchSize;
  const resize = opts.resize ?? book.resize;
  const lr = opts.lr ?? book.lr;
  const numEpochs = opts.epochs ?? book.epochs;
  const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, {
    resize,
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
  });
  // A GPU when there is one (try_gpu), else the CPU.
  const ctx = opts.ctx ?? (await d2l.tryGpu());
  print(ctx.toString());
  try {
    net.initialize({ forceReinit: true, ctx, init: new init.Xavier() });
    const smaller = Math.min(resize, 96);
    await estimateRun(net, trainIter, {
      ctx,
      epochs: numEpochs,
      trainBatches: trainIter.length,
      testBatches: testIter.length,
      shorter: `d2l-ts run ${book.slug} --resize ${smaller} --limit ${Math.ceil((opts.limit ?? 60000) / 10)} --epochs 1 (smaller images, a tenth of the data, one epoch)`,
      print,
    });
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });
    const history = await d2l.trainCh5(net, trainIter, testIter, batchSize, trainer, ctx, numEpochs, { print });
    const peakMiB = peakMemoryMiB();
    print(`peak memory: ${peakMiB.toFixed(0)} MiB (resident set, batch ${batchSize}, resize ${resize})`);
    return { history, peakMiB };
  } finally {
    // Node exits only once Dawn's device is gone; a cpu-only run has nothing to release.
    if (ctx.deviceType === 'gpu' && !opts.ctx) await destroyWebGpu(ctx.deviceId);
  }
}

/** A uniform (1, 1, size, size) example, as the book's `nd.random.uniform(shape=(1, 1, size, size))`. */
export function oneExample(size: number): NDArray {
  return nd.random.uniform(0, 1, [1, 1, size, size]);
}
