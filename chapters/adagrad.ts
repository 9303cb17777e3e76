/**
 * # 7.5 AdaGrad (AdaGrad算法)
 *
 * AdaGrad gives every coordinate its own learning rate: it sums the squares of that coordinate's
 * gradients, s = s + g ⊙ g, and steps x = x - η/√(s + ε) ⊙ g. Coordinates with large gradients
 * slow down quickly. Since s only grows, the learning rate only falls: if the solution is still far
 * when it has become small, AdaGrad may never get there.
 *
 * Run it: `d2l-ts run adagrad [--seed 1]`. The figures go to `<outDir>/` (default ./out/adagrad):
 * `adagrad-eta-0.4.png`, `adagrad-eta-2.png` (2-D paths) and one loss plot per airfoil run.
 */
import { join } from 'node:path';
import { nd, d2l, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import type { Ch7Run } from './minibatch-sgd.js';

export const meta = {
  slug: 'adagrad',
  title: '7.5 AdaGrad算法 (AdaGrad)',
  needsData: ['airfoil_self_noise.dat'],
};

export interface AdagradResult {
  lines: string[];
  /** The 2-D paths, by name ('adagrad eta 0.4', 'adagrad eta 2'). */
  paths: Record<string, [number, number][]>;
  runs: Ch7Run[];
  files: string[];
}

/**
 * Runs 7.5: AdaGrad on 0.1 x1² + 2 x2² at η = 0.4 and 2, then on the airfoil data from scratch
 * (lr 0.1) and with Gluon's adagrad.
 *
 * @example
 * const { lines } = await run({ seed: 1, dataDir: '../shared/data' });
 * lines[0]; // 'epoch 20, x1 -2.382563, x2 -0.158591'
 */
export async function run(opts: ChapterOptions = {}): Promise<AdagradResult> {
  const { lines, dataOpts, io } = startRun(opts);
  const outDir = opts.outDir ?? join('out', meta.slug);
  const paths: Record<string, [number, number][]> = {};
  const files: string[] = [];
  const runs: Ch7Run[] = [];

  // ## Features
  // The two states of train2d are the sums of squared gradients s1, s2.
  let eta = 0.4;
  const adagrad2d: d2l.Trainer2d = (x1, x2, s1, s2) => {
    const g1 = 0.2 * x1; // the gradient of f
    const g2 = 4 * x2;
    const eps = 1e-6;
    s1 += g1 ** 2;
    s2 += g2 ** 2;
    x1 -= (eta / Math.sqrt(s1 + eps)) * g1;
    x2 -= (eta / Math.sqrt(s2 + eps)) * g2;
    return [x1, x2, s1, s2];
  };
  const f2d = (x1: number, x2: number) => 0.1 * x1 ** 2 + 2 * x2 ** 2;
  async function trace2d(name: string): Promise<void> {
    paths[name] = d2l.train2d(adagrad2d, io);
    const file = join(outDir, `${name.replace(/ /g, '-')}.png`);
    await d2l.showTrace2d(f2d, paths[name], { file });
    files.push(file);
  }
  // At η = 0.4 the path is smoother than gradient descent's, but the falling learning rate
  // leaves x1 far from the minimum after 20 steps.
  await trace2d('adagrad eta 0.4');
  // A larger η = 2 gets there quickly.
  eta = 2;
  await trace2d('adagrad eta 2');

  // ## Implementation from scratch
  // The state of each parameter is its running sum of squared gradients.
  const [features, labels] = await d2l.getDataCh7(dataOpts);
  const initAdagradStates = (): [NDArray, NDArray] => [nd.zeros([features.shape[1], 1]), nd.zeros([1])];
  const adagrad = (params: NDArray[], states: [NDArray, NDArray], hyperparams: Record<string, number>) => {
    const eps = 1e-6;
    params.forEach((p, i) => {
      const s = states[i];
      s.set(':', s.add(p.grad.square()));
      p.set(':', p.sub(p.grad.mul(hyperparams.lr).div(s.add(eps).sqrt())));
    });
  };
  let file = join(outDir, 'adagrad-lr-0.1.png');
  let r = await d2l.trainCh7(adagrad, initAdagradStates(), { lr: 0.1 }, features, labels, 10, 2, { ...io, file });
  runs.push({ name: 'adagrad lr 0.1', file, ...r });

  // ## Concise implementation
  file = join(outDir, 'gluon-adagrad-lr-0.1.png');
  r = await d2l.trainGluonCh7('adagrad', { learningRate: 0.1 }, features, labels, 10, 2, { ...io, file });
  runs.push({ name: 'gluon adagrad lr 0.1', file, ...r });
  return { lines, paths, runs, files };
}

runIfMain(import.meta.url, run);
