/**
 * The shape walk and the training part shared by the book's CNN programs 5.6-5.12 (AlexNet, VGG,
 * NiN, GoogLeNet, ResNet, DenseNet): each prints its layers' output shapes on one example, then loads Fashion-MNIST
 * with the book's `resize`, re-initialises with Xavier on the context, trains with sgd through
 * `d2l.trainCh5`, and prints the peak memory of the run. The book's settings take hours on a small
 * CPU, so `estimateRun` prints the estimate and a shorter command first, and a run saves a
 * checkpoint after each epoch and takes `--resume`.
 */
import { resolve } from 'node:path';
import { nd, d2l, gluon, init, destroyWebGpu, type NDArray } from '../src/index.js';
import { ValueError } from '../src/core/errors.js';
import { trainingContext, type ChapterOptions } from './common.js';
import { estimateRun } from './long-run.js';
import { checkCheckpoint, peekCheckpoint, readCheckpoint, resumeTraining } from './checkpoint.js';
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
  /** Print the context before training, as the book's `ctx = d2l.try_gpu()` cell shows it (default true). */
  printContext?: boolean;
  /** The smallest image side the network accepts, for the shorter command (default: it suggests no side below 96). */
  minResize?: number;
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
 * The image side the "shorter run" command suggests: 96 (the book's own size for 5.9-5.12) when
 * `resize` is larger, else half of `resize` but not below `minResize`; undefined when that is not
 * smaller than `resize` (or no `minResize` is known below 96), so the command keeps the size.
 *
 * @example
 * shorterResize(224); // 96
 * shorterResize(96, 48); // 48
 * shorterResize(96); // undefined: the net's smallest input is unknown
 */
export function shorterResize(resize: number, minResize?: number): number | undefined {
  if (!Number.isInteger(resize) || resize < 1)
    throw new ValueError(`shorterResize: resize must be a positive integer, got ${String(resize)}`);
  if (minResize !== undefined && !(Number.isInteger(minResize) && minResize >= 1))
    throw new ValueError(`shorterResize: minResize must be a positive integer, got ${String(minResize)}`);
  if (resize > 96) return Math.max(96, minResize ?? 1);
  if (minResize === undefined) return undefined;
  const half = Math.max(minResize, Math.floor(resize / 2));
  return half < resize ? half : undefined;
}

/**
 * Trains `net` as the book's 5.6-5.12 do: `loadDataFashionMnist(batchSize, resize)`, Xavier
 * re-initialisation on the context, sgd, `trainCh5`; options override the book's values. Prints
 * the context (unless `book.printContext` is false), the run estimate with a shorter command when
 * it is long, the epoch lines and the peak memory.
 *
 * With `opts.checkpointDir` it saves a checkpoint there after each epoch (parameters, trainer and
 * random generator state, the metrics; see checkpoint.ts), and with `opts.resume` it first loads
 * the checkpoint, prints the epoch it resumes at and trains only the remaining epochs: the epoch
 * lines are those of the uninterrupted run (times aside). The returned history holds every epoch,
 * the checkpoint's too.
 *
 * @example
 * const { history } = await trainBookCnn(net, { limit: 256, resize: 32, epochs: 1 }, { slug: 'alexnet', lr: 0.01, batchSize: 128, epochs: 5, resize: 224 }, print);
 * await trainBookCnn(net, { epochs: 5, checkpointDir: 'out/alexnet/checkpoint', resume: true }, book, print);
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
  if (opts.resume && !opts.checkpointDir)
    throw new ValueError(`trainBookCnn(${book.slug}): resume needs checkpointDir, the folder the earlier run saved its checkpoints to`);
  // What a resumed run must share with the checkpoint's run.
  const settings = { batchSize, lr, resize, limit: opts.limit ?? 'all' };
  const checkpoint = opts.resume ? readCheckpoint(opts.checkpointDir!) : null;
  if (opts.resume && !checkpoint)
    throw new ValueError(
      `${book.slug} --resume: no checkpoint in ${resolve(opts.checkpointDir!)} (a run saves one there after each epoch); run without --resume to start`,
    );
  // Before the data is loaded: a resume with other settings fails at once.
  if (checkpoint) checkCheckpoint(opts.checkpointDir!, checkpoint, { slug: book.slug, settings });
  // A run that starts over replaces the folder's checkpoint after its first epoch: say so, as the
  // user may have meant --resume (and refuse now a folder whose checkpoint.json is not one).
  const replaced = !opts.resume && opts.checkpointDir ? peekCheckpoint(opts.checkpointDir) : null;
  const done = Math.min(checkpoint?.epoch ?? 0, numEpochs);
  const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, {
    resize,
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
  });
  // A GPU when there is one (try_gpu), else the CPU.
  const ctx = await trainingContext(opts);
  if (book.printContext ?? true) print(ctx.toString());
  try {
    net.initialize({ forceReinit: true, ctx, init: new init.Xavier() });
    const smaller = shorterResize(resize, book.minResize);
    const estimate = await estimateRun(net, trainIter, {
      ctx,
      epochs: numEpochs - done,
      trainBatches: trainIter.length,
      testBatches: testIter.length,
      shorter:
        `d2l-ts run ${book.slug}${smaller !== undefined ? ` --resize ${smaller}` : ''} --limit ${Math.ceil((opts.limit ?? 60000) / 10)} ` +
        `--epochs 1 (${smaller !== undefined ? 'smaller images, ' : ''}a tenth of the data, one epoch)`,
      print,
    });
    // A shortened run (fewer images or epochs, at the book's image size and batch) says what one
    // epoch of the book's settings takes here, from the step it just measured.
    if ((opts.limit !== undefined || opts.epochs !== undefined) && resize === book.resize && batchSize === book.batchSize) {
      const perEpoch = estimate.stepSeconds * (Math.ceil(60000 / batchSize) + Math.ceil(10000 / batchSize) / 3);
      print(
        `one epoch at the book's settings (60000 images, batch ${batchSize}, resize ${resize}) would take about ${(perEpoch / 60).toFixed(1)} min here (one step ${estimate.stepSeconds.toFixed(2)} sec)`,
      );
    }
    if (estimate.warned && opts.checkpointDir)
      print(`a checkpoint is saved after each epoch in ${resolve(opts.checkpointDir)}; --resume continues from the last one`);
    if (replaced)
      print(
        `starting over: the checkpoint of epoch ${String(replaced.epoch)} in ${resolve(opts.checkpointDir!)} is replaced after epoch 1 (--resume continues it instead)`,
      );
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });
    // After the estimate, which draws from the random generator: the checkpoint restores it.
    const { history, onEpoch } = resumeTraining({
      dir: opts.checkpointDir,
      checkpoint,
      done,
      numEpochs,
      slug: book.slug,
      net,
      trainer,
      settings,
      print,
    });
    if (done < numEpochs) {
      await d2l.trainCh5(net, trainIter, testIter, batchSize, trainer, ctx, numEpochs, { print, startEpoch: done, onEpoch });
    }
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
