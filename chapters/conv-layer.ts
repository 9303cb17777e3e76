/**
 * # 5.1 Two-dimensional convolutional layers (二维卷积层)
 *
 * The 2-D cross-correlation `corr2d` (saved as `d2l.corr2d`), a convolutional layer built on it,
 * edge detection with the kernel [[1, -1]], and learning that kernel back from the input and the
 * edges with Gluon's `nn.Conv2D`.
 *
 * Run it: `d2l-ts run conv-layer [--seed 1]`.
 *
 * Differences from the book's printout: the learning loop starts from a random kernel, so its
 * losses and the learned kernel are near the book's (4.949 ... 0.004 and about [[0.99, -0.99]]),
 * not equal to them; every other line is the book's.
 */
import { nd, d2l, gluon, autograd, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

const { nn } = gluon;

export const meta = {
  slug: 'conv-layer',
  title: '5.1 二维卷积层 (2-D convolutional layers)',
};

// ## Two-dimensional convolutional layers
// A convolutional layer cross-correlates its input with its kernel and adds a scalar bias. This
// one is built on corr2d; since corr2d assigns elements one by one, autograd cannot differentiate
// it (the learning below uses Gluon's Conv2D).
class Conv2D extends nn.Block {
  weight: gluon.Parameter;
  bias: gluon.Parameter;
  constructor(kernelSize: [number, number], opts: gluon.BlockOptions = {}) {
    super(opts);
    this.weight = this.params.get('weight', { shape: kernelSize });
    this.bias = this.params.get('bias', { shape: [1] });
  }

  override forward(x: NDArray): NDArray {
    return d2l.corr2d(x, this.weight.data()).add(this.bias.data());
  }
}

export interface ConvLayerResult {
  lines: string[];
  /** corr2d of the figure's X and K: [[19, 25], [37, 43]]. */
  corr: NDArray;
  /** The 6x8 image and its edges (6x7). */
  image: NDArray;
  edges: NDArray;
  /** Our Conv2D block with its kernel set to [[1, -1]] and bias 0, applied to the image. */
  blockEdges: NDArray;
  /** The loss printed every second batch (batches 2, 4, ..., 10). */
  losses: number[];
  /** The learned (1, 2) kernel. */
  learned: NDArray;
}

/**
 * Runs 5.1: corr2d, edge detection, and learning the edge kernel.
 *
 * @example
 * const { corr } = await run({ seed: 1 });
 * corr.toArray(); // [[19, 25], [37, 43]]
 */
export async function run(opts: ChapterOptions = {}): Promise<ConvLayerResult> {
  const { print, lines } = startRun(opts);

  // ## Two-dimensional cross-correlation
  // The input and kernel of figure 5.1: the first output element is 0*0 + 1*1 + 3*2 + 4*3 = 19.
  let X = nd.array([
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 8],
  ]);
  let K = nd.array([
    [0, 1],
    [2, 3],
  ]);
  const corr = d2l.corr2d(X, K);
  print(corr);

  // ## Edge detection of objects in images
  // A 6x8 image whose middle four columns are black (0) and the rest white (1).
  X = nd.ones([6, 8]);
  X.set(':, 2:6', 0);
  const image = X;
  print(X);

  // A 1x2 kernel: the output is 0 where horizontally adjacent elements are equal, else not 0.
  K = nd.array([[1, -1]]);
  // White-to-black edges come out as 1, black-to-white edges as -1.
  let Y = d2l.corr2d(X, K);
  const edges = Y;
  print(Y);

  // The layer built on corr2d computes the same thing once its kernel is K and its bias 0.
  const layer = new Conv2D([1, 2]);
  layer.initialize();
  layer.weight.setData(K);
  layer.bias.setData(nd.zeros([1]));
  const blockEdges = layer.forward(X);

  // ## Learning a kernel array from data
  // A convolutional layer with 1 output channel and a (1, 2) kernel, initialised at random.
  const conv2d = new nn.Conv2D(1, [1, 2]);
  conv2d.initialize();

  // A 2-D convolutional layer takes 4-D input and output, (example, channel, height, width); here
  // the batch size and the number of channels are both 1.
  X = X.reshape([1, 1, 6, 8]);
  Y = Y.reshape([1, 1, 6, 7]);

  const losses: number[] = [];
  for (let i = 0; i < 10; i++) {
    const l = autograd.record(() => {
      const YHat = conv2d.forward(X);
      return YHat.sub(Y).square();
    });
    l.backward();
    // For simplicity the bias is ignored here.
    conv2d.weight.data().isub(conv2d.weight.grad().mul(3e-2));
    if ((i + 1) % 2 === 0) {
      const v = l.sum().asScalar();
      losses.push(v);
      print(`batch ${i + 1}, loss ${v.toFixed(3)}`);
    }
  }

  // The learned kernel is close to K.
  const learned = conv2d.weight.data().reshape([1, 2]);
  print(learned);
  return { lines, corr, image, edges, blockEdges, losses, learned };
}

runIfMain(import.meta.url, run);
