/**
 * # 7.2 Gradient descent and stochastic gradient descent (梯度下降和随机梯度下降)
 *
 * Gradient descent in one dimension: for a small enough learning rate η, moving x to
 * x - η f'(x) lowers f(x), since f(x - η f'(x)) ≈ f(x) - η f'(x)². In several dimensions it moves
 * against the gradient, the direction in which f falls fastest. Stochastic gradient descent
 * replaces the gradient by that of one random example, an unbiased estimate at 1/n of the cost.
 *
 * Run it: `d2l-ts run gd-sgd [--seed 1]`. The figures go to `<outDir>/` (default ./out/gd-sgd):
 * `gd-eta-0.2.png`, `gd-eta-0.05.png`, `gd-eta-1.1.png` (1-D) and `gd-2d.png`, `sgd-2d.png`.
 */
import { join } from 'node:path';
import { nd, d2l } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'gd-sgd',
  title: '7.2 梯度下降和随机梯度下降 (gradient descent and stochastic gradient descent)',
};

export interface GdSgdResult {
  lines: string[];
  /** The 1-D iterates of gradient descent on f(x) = x², by learning rate. */
  gd1d: Record<string, number[]>;
  /** The 2-D paths of gradient descent and of SGD on f(x) = x1² + 2 x2². */
  gd2d: [number, number][];
  sgd2d: [number, number][];
  /** Every figure written. */
  files: string[];
}

/**
 * Runs 7.2: gradient descent on x² at three learning rates, then gradient descent and SGD (with
 * the book's N(0.1, 1) gradient noise) on x1² + 2 x2², each plotted.
 *
 * @example
 * const { lines } = await run({ seed: 1 });
 * lines[0]; // 'epoch 10, x: 0.06046617599999997'
 */
export async function run(opts: ChapterOptions = {}): Promise<GdSgdResult> {
  const { print, lines, io } = startRun(opts);
  const outDir = opts.outDir ?? join('out', meta.slug);
  const files: string[] = [];
  const gd1d: Record<string, number[]> = {};

  // ## One-dimensional gradient descent
  // f(x) = x², whose derivative is f'(x) = 2x, from x = 10 for 10 steps. The iterates are plain
  // numbers, as the book's Python floats, so they print exactly as the book's.
  function gd(eta: number): number[] {
    let x = 10;
    const results = [x];
    for (let i = 0; i < 10; i++) {
      x -= eta * 2 * x; // f'(x) = 2x
      results.push(x);
    }
    print('epoch 10, x:', x);
    return results;
  }
  async function showTrace(res: number[], eta: number): Promise<void> {
    const file = join(outDir, `gd-eta-${eta}.png`);
    await d2l.showTrace(res, { file });
    files.push(file);
  }
  gd1d['0.2'] = gd(0.2);
  await showTrace(gd1d['0.2'], 0.2);

  // ## Learning rate
  // Too small a learning rate (0.05) makes slow progress: after 10 steps x is still far from 0.
  gd1d['0.05'] = gd(0.05);
  await showTrace(gd1d['0.05'], 0.05);
  // Too large a one (1.1) overshoots: |x - 2·1.1·x| > |x|, and x keeps growing.
  gd1d['1.1'] = gd(1.1);
  await showTrace(gd1d['1.1'], 1.1);

  // ## Multidimensional gradient descent
  // The objective f(x) = x1² + 2 x2², with gradient (2 x1, 4 x2), from (-5, -2) for 20 steps
  // (`d2l.train2d`), drawn over the contour lines of f (`d2l.showTrace2d`).
  const eta = 0.1;
  const f2d = (x1: number, x2: number) => x1 ** 2 + 2 * x2 ** 2; // the objective
  const gd2dStep: d2l.Trainer2d = (x1, x2) => [x1 - eta * 2 * x1, x2 - eta * 4 * x2, 0, 0];
  const gd2d = d2l.train2d(gd2dStep, io);
  files.push(join(outDir, 'gd-2d.png'));
  await d2l.showTrace2d(f2d, gd2d, { file: files[files.length - 1] });

  // ## Stochastic gradient descent
  // The gradient plus random noise, the book's `np.random.normal(0.1)` (mean 0.1, standard
  // deviation 1) in each coordinate, simulates the gradient of one random example: the path is
  // much noisier, and with a constant learning rate it does not settle at the minimum.
  const rng = nd.random.globalRandom;
  const sgd2dStep: d2l.Trainer2d = (x1, x2) => [
    x1 - eta * (2 * x1 + (0.1 + rng.normal())),
    x2 - eta * (4 * x2 + (0.1 + rng.normal())),
    0,
    0,
  ];
  const sgd2d = d2l.train2d(sgd2dStep, io);
  files.push(join(outDir, 'sgd-2d.png'));
  await d2l.showTrace2d(f2d, sgd2d, { file: files[files.length - 1] });
  return { lines, gd1d, gd2d, sgd2d, files };
}

runIfMain(import.meta.url, run);
