/**
 * # 7.7 AdaDelta (AdaDelta算法)
 *
 * AdaDelta, like RMSProp, keeps a moving average of the squared gradients,
 * s = ρs + (1 - ρ) g ⊙ g, but has no learning rate: the step is g' = √((Δx + ε)/(s + ε)) ⊙ g,
 * scaled by a second moving average, that of the squared steps, Δx = ρΔx + (1 - ρ) g' ⊙ g'.
 *
 * Run it: `d2l-ts run adadelta [--seed 1]`. The loss plots go to `<outDir>/` (default
 * ./out/adadelta): `adadelta-rho-0.9.png` and `gluon-adadelta-rho-0.9.png`.
 */
import { join } from 'node:path';
import { nd, d2l, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import type { Ch7Run } from './minibatch-sgd.js';

export const meta = {
  slug: 'adadelta',
  title: '7.7 AdaDelta算法 (AdaDelta)',
  needsData: ['airfoil_self_noise.dat'],
};

export interface AdadeltaResult {
  lines: string[];
  runs: Ch7Run[];
}

type State = [NDArray, NDArray];

/**
 * Runs 7.7: AdaDelta (ρ 0.9) on the airfoil data from scratch and with Gluon's adadelta.
 *
 * @example
 * const { runs } = await run({ seed: 1, dataDir: '../shared/data' });
 * runs[0].losses.at(-1); // about 0.244
 */
export async function run(opts: ChapterOptions = {}): Promise<AdadeltaResult> {
  const { lines, dataOpts, io } = startRun(opts);
  const outDir = opts.outDir ?? join('out', meta.slug);
  const runs: Ch7Run[] = [];

  // ## Implementation from scratch
  // Each parameter has two states: s, the moving average of its squared gradients, and delta,
  // that of its squared steps. ε = 1e-5, as MXNet's.
  const [features, labels] = await d2l.getDataCh7(dataOpts);
  const initAdadeltaStates = (): [State, State] => [
    [nd.zeros([features.shape[1], 1]), nd.zeros([features.shape[1], 1])],
    [nd.zeros([1]), nd.zeros([1])],
  ];
  const adadelta = (params: NDArray[], states: [State, State], hyperparams: Record<string, number>) => {
    const rho = hyperparams.rho;
    const eps = 1e-5;
    params.forEach((p, i) => {
      const [s, delta] = states[i];
      s.set(':', s.mul(rho).add(p.grad.square().mul(1 - rho)));
      const g = delta.add(eps).sqrt().div(s.add(eps).sqrt()).mul(p.grad);
      p.isub(g);
      delta.set(':', delta.mul(rho).add(g.mul(g).mul(1 - rho)));
    });
  };
  let file = join(outDir, 'adadelta-rho-0.9.png');
  let r = await d2l.trainCh7(adadelta, initAdadeltaStates(), { rho: 0.9 }, features, labels, 10, 2, { ...io, file });
  runs.push({ name: 'adadelta rho 0.9', file, ...r });

  // ## Concise implementation
  file = join(outDir, 'gluon-adadelta-rho-0.9.png');
  r = await d2l.trainGluonCh7('adadelta', { rho: 0.9 }, features, labels, 10, 2, { ...io, file });
  runs.push({ name: 'gluon adadelta rho 0.9', file, ...r });
  return { lines, runs };
}

runIfMain(import.meta.url, run);
