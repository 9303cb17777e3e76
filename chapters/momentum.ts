/**
 * # 7.4 Momentum (动量法)
 *
 * On f(x) = 0.1 x1² + 2 x2² the gradient is much steeper along x2 than along x1: a learning rate
 * small enough for x2 crawls along x1, and a larger one makes x2 diverge. Momentum keeps a
 * velocity v = γv + η g and steps x = x - v: an exponentially weighted moving average of the last
 * ~1/(1-γ) steps, which cancels the oscillation along x2 and adds up the steady steps along x1.
 *
 * Run it: `d2l-ts run momentum [--seed 1]`. The figures go to `<outDir>/` (default
 * ./out/momentum): `gd-eta-0.4.png`, `gd-eta-0.6.png`, `momentum-eta-0.4.png`,
 * `momentum-eta-0.6.png` (2-D paths) and one loss plot per airfoil run.
 */
import { join } from 'node:path';
import { nd, d2l, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import type { Ch7Run } from './minibatch-sgd.js';

export const meta = {
  slug: 'momentum',
  title: '7.4 动量法 (momentum)',
  needsData: ['airfoil_self_noise.dat'],
};

export interface MomentumResult {
  lines: string[];
  /** The 2-D paths, by name ('gd eta 0.4', 'momentum eta 0.6', ...). */
  paths: Record<string, [number, number][]>;
  runs: Ch7Run[];
  files: string[];
}

/**
 * Runs 7.4: gradient descent and momentum on 0.1 x1² + 2 x2² at η = 0.4 and 0.6, then momentum
 * SGD on the airfoil data from scratch (γ 0.5 and 0.9) and with Gluon's sgd.
 *
 * @example
 * const { lines } = await run({ seed: 1, dataDir: '../shared/data' });
 * lines[0]; // 'epoch 20, x1 -0.943467, x2 -0.000073'
 */
export async function run(opts: ChapterOptions = {}): Promise<MomentumResult> {
  const { lines, dataOpts, io } = startRun(opts);
  const outDir = opts.outDir ?? join('out', meta.slug);
  const paths: Record<string, [number, number][]> = {};
  const files: string[] = [];
  const runs: Ch7Run[] = [];
  async function trace2d(name: string, f: (x1: number, x2: number) => number, step: d2l.Trainer2d): Promise<void> {
    paths[name] = d2l.train2d(step, io);
    const file = join(outDir, `${name.replace(/ /g, '-')}.png`);
    await d2l.showTrace2d(f, paths[name], { file });
    files.push(file);
  }

  // ## Problems of gradient descent
  // f(x) = 0.1 x1² + 2 x2², gradient (0.2 x1, 4 x2). At η = 0.4, x2 converges fast but x1 slowly.
  let eta = 0.4;
  const f2d = (x1: number, x2: number) => 0.1 * x1 ** 2 + 2 * x2 ** 2;
  const gd2d: d2l.Trainer2d = (x1, x2) => [x1 - eta * 0.2 * x1, x2 - eta * 4 * x2, 0, 0];
  await trace2d('gd eta 0.4', f2d, gd2d);
  // At η = 0.6, x1 gets closer, but |1 - 0.6·4| > 1 and x2 diverges.
  eta = 0.6;
  await trace2d('gd eta 0.6', f2d, gd2d);

  // ## Momentum
  // v = γv + η∇f(x), x = x - v: the two states of train2d are the velocities.
  let gamma = 0.5;
  const momentum2d: d2l.Trainer2d = (x1, x2, v1, v2) => {
    v1 = gamma * v1 + eta * 0.2 * x1;
    v2 = gamma * v2 + eta * 4 * x2;
    return [x1 - v1, x2 - v2, v1, v2];
  };
  eta = 0.4;
  gamma = 0.5;
  await trace2d('momentum eta 0.4', f2d, momentum2d);
  // Even at η = 0.6, where gradient descent diverged, momentum converges.
  eta = 0.6;
  await trace2d('momentum eta 0.6', f2d, momentum2d);

  // ### Exponentially weighted moving averages
  // y_t = γ y_{t-1} + (1 - γ) x_t weighs x_{t-i} by (1 - γ)γ^i: with γ = 0.95 the last
  // 1/(1 - γ) = 20 values carry most of the weight, since (1 - 1/n)^n ≈ e^-1. Momentum's velocity
  // is such an average of η g/(1 - γ): it moves by the recent gradients, not the current one.

  // ## Implementation from scratch
  // The velocities of the parameters w (5, 1) and b (1,) are the optimizer's states.
  const [features, labels] = await d2l.getDataCh7(dataOpts);
  const initMomentumStates = (): [NDArray, NDArray] => [nd.zeros([features.shape[1], 1]), nd.zeros([1])];
  const sgdMomentum = (params: NDArray[], states: [NDArray, NDArray], hyperparams: Record<string, number>) => {
    params.forEach((p, i) => {
      const v = states[i];
      v.set(':', v.mul(hyperparams.momentum).add(p.grad.mul(hyperparams.lr)));
      p.isub(v);
    });
  };
  async function trainMomentum(lr: number, momentum: number): Promise<void> {
    const file = join(outDir, `sgd-momentum-lr-${lr}-momentum-${momentum}.png`);
    const r = await d2l.trainCh7(sgdMomentum, initMomentumStates(), { lr, momentum }, features, labels, 10, 2, { ...io, file });
    runs.push({ name: `momentum lr ${lr} momentum ${momentum}`, file, ...r });
  }
  await trainMomentum(0.02, 0.5);
  // γ = 0.9 makes the steps ~10 times η·g instead of 2 times: the loss is noisier late in training.
  await trainMomentum(0.02, 0.9);
  // Dividing the learning rate by 5 brings the step size back to that of γ = 0.5: a smooth curve.
  await trainMomentum(0.004, 0.9);

  // ## Concise implementation
  // Gluon's 'sgd' takes the momentum as an option.
  const file = join(outDir, 'gluon-sgd-lr-0.004-momentum-0.9.png');
  const r = await d2l.trainGluonCh7('sgd', { learningRate: 0.004, momentum: 0.9 }, features, labels, 10, 2, { ...io, file });
  runs.push({ name: 'gluon sgd lr 0.004 momentum 0.9', file, ...r });
  return { lines, paths, runs, files };
}

runIfMain(import.meta.url, run);
