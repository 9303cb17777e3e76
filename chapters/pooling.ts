/**
 * # 5.4 Pooling (池化层)
 *
 * Max and average pooling written as a loop (`pool2d`), then Gluon's `nn.MaxPool2D` with its
 * default stride, with padding and strides, and on two channels (one output channel per input
 * channel).
 *
 * Run it: `d2l-ts run pooling`. Every line is the book's.
 */
import { nd, gluon, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

const { nn } = gluon;

export const meta = {
  slug: 'pooling',
  title: '5.4 池化层 (pooling)',
};

// ## Two-dimensional max pooling and average pooling
// Like corr2d, a window slides over the input; each output element is the window's max or mean.
function pool2d(X: NDArray, poolSize: [number, number], mode: 'max' | 'avg' = 'max'): NDArray {
  const [ph, pw] = poolSize;
  const Y = nd.zeros([X.shape[0] - ph + 1, X.shape[1] - pw + 1]);
  for (let i = 0; i < Y.shape[0]; i++)
    for (let j = 0; j < Y.shape[1]; j++) {
      const window = X.get(`${i}:${i + ph}, ${j}:${j + pw}`);
      if (mode === 'max') Y.set([i, j], window.max());
      else if (mode === 'avg') Y.set([i, j], window.mean());
    }
  return Y;
}

export interface PoolingResult {
  lines: string[];
  /** pool2d of [[0..8]] (3x3) with a 2x2 window: max [[4, 5], [7, 8]], avg [[2, 3], [5, 6]]. */
  max: NDArray;
  avg: NDArray;
  /** The outputs of the four nn.MaxPool2D calls, in order. */
  gluonOutputs: NDArray[];
}

/**
 * Runs 5.4: pool2d, then nn.MaxPool2D with padding, strides and two channels.
 *
 * @example
 * const { max } = await run();
 * max.toArray(); // [[4, 5], [7, 8]]
 */
export async function run(opts: ChapterOptions = {}): Promise<PoolingResult> {
  const { print, lines } = startRun(opts);

  // ## Two-dimensional max pooling and average pooling
  let X = nd.array([
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 8],
  ]);
  const max = pool2d(X, [2, 2]);
  print(max);
  const avg = pool2d(X, [2, 2], 'avg');
  print(avg);

  // ## Padding and stride
  // A (1, 1, 4, 4) input: the batch size and the number of channels are 1.
  X = nd.arange(16).reshape([1, 1, 4, 4]);
  print(X);

  // By default the stride equals the window: a 3x3 window with stride 3.
  const gluonOutputs: NDArray[] = [];
  let pool = new nn.MaxPool2D(3);
  // A pooling layer has no model parameters, so it needs no initialisation.
  gluonOutputs.push(pool.forward(X));
  print(gluonOutputs.at(-1));

  // Padding and stride set by hand.
  pool = new nn.MaxPool2D(3, { padding: 1, strides: 2 });
  gluonOutputs.push(pool.forward(X));
  print(gluonOutputs.at(-1));

  // A non-square window, with its padding and strides per dimension.
  pool = new nn.MaxPool2D([2, 3], { padding: [1, 2], strides: [2, 3] });
  gluonOutputs.push(pool.forward(X));
  print(gluonOutputs.at(-1));

  // ## Multiple channels
  // Pooling works on each input channel separately: as many output channels as input channels.
  X = nd.concat([X, X.add(1)], { dim: 1 });
  print(X);
  pool = new nn.MaxPool2D(3, { padding: 1, strides: 2 });
  gluonOutputs.push(pool.forward(X));
  print(gluonOutputs.at(-1));
  return { lines, max, avg, gluonOutputs };
}

runIfMain(import.meta.url, run);
