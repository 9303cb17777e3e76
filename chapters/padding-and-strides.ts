/**
 * # 5.2 Padding and strides (填充和步幅)
 *
 * How padding and strides change a convolutional layer's output shape, on an 8x8 input: padding
 * 1 on each side keeps a 3x3 kernel's output 8x8, as does padding (2, 1) for a 5x3 kernel; stride
 * 2 halves the height and width; a (3, 5) kernel with padding (0, 1) and strides (3, 4) gives 2x2.
 *
 * Run it: `d2l-ts run padding-and-strides`. Every line is the book's.
 */
import { nd, gluon, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyShape } from './pyrepr.js';

const { nn } = gluon;

export const meta = {
  slug: 'padding-and-strides',
  title: '5.2 填充和步幅 (padding and strides)',
};

// A convenience function for computing a convolutional layer: it initialises the layer's weight
// and adds and removes the input's and output's leading dimensions.
function compConv2d(conv2d: gluon.nn.Conv2D, X: NDArray): NDArray {
  conv2d.initialize();
  // (1, 1): the batch size and the number of channels (later sections) are both 1.
  X = X.reshape([1, 1, ...X.shape]);
  const Y = conv2d.forward(X);
  return Y.reshape(Y.shape.slice(2)); // drop the first two dimensions: batch and channel
}

export interface PaddingAndStridesResult {
  lines: string[];
  /** The four output shapes: (8, 8), (8, 8), (4, 4), (2, 2). */
  shapes: number[][];
}

/**
 * Runs 5.2: four convolutional layers on an 8x8 input, printing each output shape.
 *
 * @example
 * const { shapes } = await run();
 * shapes; // [[8, 8], [8, 8], [4, 4], [2, 2]]
 */
export async function run(opts: ChapterOptions = {}): Promise<PaddingAndStridesResult> {
  const { print, lines } = startRun(opts);
  const shapes: number[][] = [];
  const show = (Y: NDArray) => {
    shapes.push([...Y.shape]);
    print(pyShape(Y.shape));
  };

  // ## Padding
  // Note that 1 row or column is padded on each side, so 2 rows or columns in all.
  let conv2d = new nn.Conv2D(1, 3, { padding: 1 });
  const X = nd.random.uniform(0, 1, [8, 8]);
  show(compConv2d(conv2d, X));

  // A kernel of height 5 and width 3, padded by 2 on each side of the height and 1 of the width.
  conv2d = new nn.Conv2D(1, [5, 3], { padding: [2, 1] });
  show(compConv2d(conv2d, X));

  // ## Stride
  // Stride 2 halves the input's height and width.
  conv2d = new nn.Conv2D(1, 3, { padding: 1, strides: 2 });
  show(compConv2d(conv2d, X));

  // A more complicated example.
  conv2d = new nn.Conv2D(1, [3, 5], { padding: [0, 1], strides: [3, 4] });
  show(compConv2d(conv2d, X));
  return { lines, shapes };
}

runIfMain(import.meta.url, run);
