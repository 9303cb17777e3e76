/**
 * # 5.3 Multiple input and output channels (多输入通道和多输出通道)
 *
 * Cross-correlation with several input channels (one kernel per channel, the results summed with
 * `nd.addN`), with several output channels (one such kernel per output channel, stacked), and the
 * 1x1 convolution as a fully connected layer over the channels (`nd.dot`).
 *
 * Run it: `d2l-ts run channels [--seed 1]`. Every line is the book's (the last one compares two
 * computations on random data and prints True).
 */
import { nd, d2l, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyBool, pyShape } from './pyrepr.js';

export const meta = {
  slug: 'channels',
  title: '5.3 多输入通道和多输出通道 (multiple input and output channels)',
};

/** The sub-arrays along the first axis, as Python's iteration over an NDArray gives them. */
function along0(X: NDArray): NDArray[] {
  return Array.from({ length: X.shape[0] }, (_, i) => X.get(i));
}

// ## Multiple input channels
// Go over the channel dimension (axis 0) of X and K together, and add the results up with add_n.
function corr2dMultiIn(X: NDArray, K: NDArray): NDArray {
  const ks = along0(K);
  return nd.addN(along0(X).map((x, i) => d2l.corr2d(x, ks[i])));
}

// ## Multiple output channels
// Go over axis 0 of K, cross-correlating X with each kernel, and stack the results.
function corr2dMultiInOut(X: NDArray, K: NDArray): NDArray {
  return nd.stack(along0(K).map((k) => corr2dMultiIn(X, k)));
}

// ## 1x1 convolutional layer
// The same as a fully connected layer applied at every pixel: a matrix product over channels.
function corr2dMultiInOut1x1(X: NDArray, K: NDArray): NDArray {
  const [ci, h, w] = X.shape;
  const co = K.shape[0];
  X = X.reshape([ci, h * w]);
  K = K.reshape([co, ci]);
  const Y = nd.dot(K, X); // the matrix product of a fully connected layer
  return Y.reshape([co, h, w]);
}

export interface ChannelsResult {
  lines: string[];
  /** corr2dMultiIn of the figure's X and K: [[56, 72], [104, 120]]. */
  multiIn: NDArray;
  /** corr2dMultiInOut with K, K + 1, K + 2: (3, 2, 2). */
  multiInOut: NDArray;
  /** ||Y1 - Y2|| of the 1x1 check (below 1e-6). */
  diff1x1: number;
}

/**
 * Runs 5.3: multi-input and multi-output cross-correlation, and the 1x1 convolution check.
 *
 * @example
 * const { multiIn } = await run({ seed: 1 });
 * multiIn.toArray(); // [[56, 72], [104, 120]]
 */
export async function run(opts: ChapterOptions = {}): Promise<ChannelsResult> {
  const { print, lines } = startRun(opts);

  // ## Multiple input channels
  // The two-channel input and kernel of figure 5.4.
  let X = nd.array([
    [
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
    ],
    [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ],
  ]);
  let K = nd.array([
    [
      [0, 1],
      [2, 3],
    ],
    [
      [1, 2],
      [3, 4],
    ],
  ]);
  const multiIn = corr2dMultiIn(X, K);
  print(multiIn);

  // ## Multiple output channels
  // A kernel with 3 output channels: K, K + 1 and K + 2.
  K = nd.stack([K, K.add(1), K.add(2)]);
  print(pyShape(K.shape));
  const multiInOut = corr2dMultiInOut(X, K);
  print(multiInOut);

  // ## 1x1 convolutional layer
  // The 1x1 cross-correlation as a matrix product gives what corr2dMultiInOut gives.
  X = nd.random.uniform(0, 1, [3, 3, 3]);
  K = nd.random.uniform(0, 1, [2, 3, 1, 1]);
  const Y1 = corr2dMultiInOut1x1(X, K);
  const Y2 = corr2dMultiInOut(X, K);
  const diff1x1 = Y1.sub(Y2).norm().asScalar();
  print(pyBool(diff1x1 < 1e-6));
  return { lines, multiIn, multiInOut, diff1x1 };
}

runIfMain(import.meta.url, run);
