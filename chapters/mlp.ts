/**
 * # 3.8 Multilayer perceptrons (多层感知机)
 *
 * A multilayer perceptron adds one or more hidden layers between the input and output layers.
 * Stacking affine maps alone gives another affine map, however many layers there are; what makes
 * the hidden layer useful is a nonlinear *activation function* applied to its outputs. This section
 * plots the three common ones, ReLU, sigmoid and tanh, and their derivatives computed by autograd,
 * over x = -8, -7.9, ..., 7.9. The figures are written as PNG files.
 *
 * Run it: `d2l-ts run mlp` (images go to ./out/mlp/).
 */
import { join } from 'node:path';
import { nd, autograd, d2l, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'mlp',
  title: '3.8 多层感知机 (multilayer perceptrons)',
};

export interface MlpPlotsResult {
  /** The image files written, by name (relu, grad of relu, ...). */
  files: Record<string, string>;
  /** The values plotted, for checks: x and each function and gradient. */
  values: Record<string, number[]>;
}

/**
 * Runs 3.8: plots relu, sigmoid and tanh and their autograd gradients over [-8, 8) into PNG files
 * under `outDir` (default ./out/mlp).
 *
 * @example
 * const { files } = await run({ outDir: 'out/mlp' });
 * files['grad of sigmoid']; // 'out/mlp/grad-of-sigmoid.png'
 */
export async function run(opts: ChapterOptions = {}): Promise<MlpPlotsResult> {
  const { print } = startRun(opts);
  const outDir = opts.outDir ?? join('out', meta.slug);
  const files: Record<string, string> = {};
  const values: Record<string, number[]> = {};

  // The book's plotting helper for this section: y against x, with the y axis labelled name(x).
  async function xyplot(xVals: NDArray, yVals: NDArray, name: string): Promise<void> {
    const file = join(outDir, `${name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}.png`);
    await d2l.plot(xVals, yVals, { xLabel: 'x', yLabel: `${name}(x)`, figsize: [5, 2.5], file });
    files[name] = file;
    values[name] = Array.from(await yVals.data());
    print(`${name}(x) plotted to ${file}`);
  }

  // The points where we evaluate each function; attachGrad lets autograd differentiate at them.
  const x = nd.arange(-8.0, 8.0, 0.1);
  x.attachGrad();
  values.x = Array.from(await x.data());

  // ## The ReLU function
  // ReLU(x) = max(x, 0) keeps positive elements and zeroes negative ones: a piecewise linear map.
  let y = autograd.record(() => x.relu());
  await xyplot(x, y, 'relu');
  // Its derivative is 0 for negative inputs and 1 for positive ones. At x = 0 ReLU is not
  // differentiable; we take the derivative there to be 0.
  y.backward();
  await xyplot(x, x.grad, 'grad of relu');

  // ## The sigmoid function
  // sigmoid(x) = 1 / (1 + exp(-x)) squashes any input into (0, 1). It approaches a linear
  // function near 0.
  y = autograd.record(() => x.sigmoid());
  await xyplot(x, y, 'sigmoid');
  // Its derivative sigmoid(x)(1 - sigmoid(x)) peaks at 0.25 at x = 0 and vanishes away from 0.
  y.backward();
  await xyplot(x, x.grad, 'grad of sigmoid');

  // ## The tanh function
  // tanh(x) = (1 - exp(-2x)) / (1 + exp(-2x)) maps into (-1, 1), symmetric about the origin.
  y = autograd.record(() => x.tanh());
  await xyplot(x, y, 'tanh');
  // Its derivative 1 - tanh²(x) peaks at 1 at x = 0.
  y.backward();
  await xyplot(x, x.grad, 'grad of tanh');

  return { files, values };
}

runIfMain(import.meta.url, run);
