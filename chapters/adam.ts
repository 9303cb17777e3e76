/**
 * # 7.8 Adam (Adam算法)
 *
 * Adam combines momentum and RMSProp: moving averages of the gradients, v = β1 v + (1 - β1) g,
 * and of their squares, s = β2 s + (1 - β2) g ⊙ g (β1 = 0.9, β2 = 0.999), both corrected for
 * their start at zero (v̂ = v/(1 - β1^t), ŝ = s/(1 - β2^t)), and the step x = x - η v̂/(√ŝ + ε).
 *
 * Run it: `d2l-ts run adam [--seed 1]`. The loss plots go to `<outDir>/` (default ./out/adam):
 * `adam-lr-0.01.png` and `gluon-adam-lr-0.01.png`.
 */
import { join } from 'node:path';
import { nd, d2l, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import type { Ch7Run } from './minibatch-sgd.js';

export const meta = {
  slug: 'adam',
  title: '7.8 Adam算法 (Adam)',
  needsData: ['airfoil_self_noise.dat'],
};

export interface AdamResult {
  lines: string[];
  runs: Ch7Run[];
}

type State = [NDArray, NDArray];

/**
 * Runs 7.8: Adam (lr 0.01) on the airfoil data from scratch and with Gluon's adam.
 *
 * @example
 * const { runs } = await run({ seed: 1, dataDir: '../shared/data' });
 * runs[1].losses.at(-1); // about 0.244
 */
export async function run(opts: ChapterOptions = {}): Promise<AdamResult> {
  const { lines, dataOpts, io } = startRun(opts);
  const outDir = opts.outDir ?? join('out', meta.slug);
  const runs: Ch7Run[] = [];

  // ## Implementation from scratch
  // The states of each parameter are v and s; the step count t lives in the hyperparameters, as
  // in the book, and the optimizer advances it after each step.
  const [features, labels] = await d2l.getDataCh7(dataOpts);
  const initAdamStates = (): [State, State] => [
    [nd.zeros([features.shape[1], 1]), nd.zeros([features.shape[1], 1])],
    [nd.zeros([1]), nd.zeros([1])],
  ];
  const adam = (params: NDArray[], states: [State, State], hyperparams: Record<string, number>) => {
    const beta1 = 0.9;
    const beta2 = 0.999;
    const eps = 1e-6;
    params.forEach((p, i) => {
      const [v, s] = states[i];
      v.set(':', v.mul(beta1).add(p.grad.mul(1 - beta1)));
      s.set(':', s.mul(beta2).add(p.grad.square().mul(1 - beta2)));
      const vBiasCorr = v.div(1 - beta1 ** hyperparams.t);
      const sBiasCorr = s.div(1 - beta2 ** hyperparams.t);
      p.set(':', p.sub(vBiasCorr.mul(hyperparams.lr).div(sBiasCorr.sqrt().add(eps))));
    });
    hyperparams.t += 1;
  };
  let file = join(outDir, 'adam-lr-0.01.png');
  let r = await d2l.trainCh7(adam, initAdamStates(), { lr: 0.01, t: 1 }, features, labels, 10, 2, { ...io, file });
  runs.push({ name: 'adam lr 0.01', file, ...r });

  // ## Concise implementation
  file = join(outDir, 'gluon-adam-lr-0.01.png');
  r = await d2l.trainGluonCh7('adam', { learningRate: 0.01 }, features, labels, 10, 2, { ...io, file });
  runs.push({ name: 'gluon adam lr 0.01', file, ...r });
  return { lines, runs };
}

runIfMain(import.meta.url, run);
