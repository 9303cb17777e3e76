/**
 * # 7.6 RMSProp (RMSProp算法)
 *
 * RMSProp fixes AdaGrad's ever-falling learning rate: instead of the sum of squared gradients it
 * keeps their exponentially weighted moving average, s = γs + (1 - γ) g ⊙ g, and steps
 * x = x - η/√(s + ε) ⊙ g, so each coordinate's learning rate need not only fall.
 *
 * Run it: `d2l-ts run rmsprop [--seed 1]`. The figures go to `<outDir>/` (default ./out/rmsprop):
 * `rmsprop-eta-0.4.png` (the 2-D path) and one loss plot per airfoil run.
 */
import { join } from 'node:path';
import { nd, d2l, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import type { Ch7Run } from './minibatch-sgd.js';

export const meta = {
  slug: 'rmsprop',
  title: '7.6 RMSProp算法 (RMSProp)',
  needsData: ['airfoil_self_noise.dat'],
};

export interface RmspropResult {
  lines: string[];
  /** The 2-D path at η = 0.4, γ = 0.9. */
  path: [number, number][];
  runs: Ch7Run[];
  files: string[];
}

/**
 * Runs 7.6: RMSProp on 0.1 x1² + 2 x2² (η 0.4, γ 0.9), then on the airfoil data from scratch
 * (lr 0.01, γ 0.9) and with Gluon's rmsprop (gamma1 0.9).
 *
 * @example
 * const { lines } = await run({ seed: 1, dataDir: '../shared/data' });
 * lines[0]; // 'epoch 20, x1 -0.010599, x2 0.000000'
 */
export async function run(opts: ChapterOptions = {}): Promise<RmspropResult> {
  const { lines, dataOpts, io } = startRun(opts);
  const outDir = opts.outDir ?? join('out', meta.slug);
  const files: string[] = [];
  const runs: Ch7Run[] = [];

  // ## The algorithm
  // The states of train2d are the moving averages s1, s2 of the squared gradients.
  const rmsprop2d: d2l.Trainer2d = (x1, x2, s1, s2) => {
    const g1 = 0.2 * x1;
    const g2 = 4 * x2;
    const eps = 1e-6;
    s1 = gamma * s1 + (1 - gamma) * g1 ** 2;
    s2 = gamma * s2 + (1 - gamma) * g2 ** 2;
    x1 -= (eta / Math.sqrt(s1 + eps)) * g1;
    x2 -= (eta / Math.sqrt(s2 + eps)) * g2;
    return [x1, x2, s1, s2];
  };
  const f2d = (x1: number, x2: number) => 0.1 * x1 ** 2 + 2 * x2 ** 2;
  // With the same η = 0.4 at which AdaGrad stalled, RMSProp gets close to the minimum.
  const eta = 0.4;
  const gamma = 0.9;
  const path = d2l.train2d(rmsprop2d, io);
  files.push(join(outDir, 'rmsprop-eta-0.4.png'));
  await d2l.showTrace2d(f2d, path, { file: files[0] });

  // ## Implementation from scratch
  const [features, labels] = await d2l.getDataCh7(dataOpts);
  const initRmspropStates = (): [NDArray, NDArray] => [nd.zeros([features.shape[1], 1]), nd.zeros([1])];
  const rmsprop = (params: NDArray[], states: [NDArray, NDArray], hyperparams: Record<string, number>) => {
    const g = hyperparams.gamma;
    const eps = 1e-6;
    params.forEach((p, i) => {
      const s = states[i];
      s.set(':', s.mul(g).add(p.grad.square().mul(1 - g)));
      p.set(':', p.sub(p.grad.mul(hyperparams.lr).div(s.add(eps).sqrt())));
    });
  };
  // γ = 0.9: the moving average spans about the last 1/(1 - γ) = 10 squared gradients.
  let file = join(outDir, 'rmsprop-lr-0.01-gamma-0.9.png');
  let r = await d2l.trainCh7(rmsprop, initRmspropStates(), { lr: 0.01, gamma: 0.9 }, features, labels, 10, 2, { ...io, file });
  runs.push({ name: 'rmsprop lr 0.01 gamma 0.9', file, ...r });

  // ## Concise implementation
  // Gluon's 'rmsprop' calls γ `gamma1`.
  file = join(outDir, 'gluon-rmsprop-lr-0.01-gamma1-0.9.png');
  r = await d2l.trainGluonCh7('rmsprop', { learningRate: 0.01, gamma1: 0.9 }, features, labels, 10, 2, { ...io, file });
  runs.push({ name: 'gluon rmsprop lr 0.01 gamma1 0.9', file, ...r });
  return { lines, path, runs, files };
}

runIfMain(import.meta.url, run);
