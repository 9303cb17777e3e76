/**
 * # 7.3 Minibatch stochastic gradient descent (小批量随机梯度下降)
 *
 * Each step takes the gradient over a random minibatch of |B| examples: an unbiased estimate of
 * the full gradient whose variance falls as the batch grows. Batch size n is gradient descent,
 * batch size 1 is SGD; in between, each step costs more than SGD's, each epoch fewer steps (and
 * vectorised work) than SGD's. The experiments train a linear regression on NASA's airfoil
 * self-noise data (1500 examples, 5 features) with the book's `trainCh7` and `trainGluonCh7`.
 *
 * Run it: `d2l-ts run minibatch-sgd [--seed 1]`. Each run's loss plot goes to `<outDir>/`
 * (default ./out/minibatch-sgd): `sgd-lr-1-batch-1500.png`, `sgd-lr-0.005-batch-1.png`,
 * `sgd-lr-0.05-batch-10.png` and `gluon-sgd-lr-0.05-batch-10.png`.
 */
import { join } from 'node:path';
import { d2l, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyShape } from './pyrepr.js';

export const meta = {
  slug: 'minibatch-sgd',
  title: '7.3 小批量随机梯度下降 (minibatch stochastic gradient descent)',
  needsData: ['airfoil_self_noise.dat'],
};

/** One training run: its settings and what trainCh7 / trainGluonCh7 returned. */
export interface Ch7Run extends d2l.TrainCh7Result {
  name: string;
  file: string;
}

export interface MinibatchSgdResult {
  lines: string[];
  runs: Ch7Run[];
}

/**
 * Runs 7.3: reads the airfoil data, then trains with gradient descent (batch 1500, lr 1, 6
 * epochs), SGD (batch 1, lr 0.005), minibatch SGD (batch 10, lr 0.05) and Gluon's sgd (batch 10).
 *
 * @example
 * const { runs } = await run({ seed: 1, dataDir: '../shared/data' });
 * runs[0].losses.at(-1); // about 0.245
 */
export async function run(opts: ChapterOptions = {}): Promise<MinibatchSgdResult> {
  const { print, lines, dataOpts, io } = startRun(opts);
  const outDir = opts.outDir ?? join('out', meta.slug);
  const runs: Ch7Run[] = [];

  // ## Reading the data
  // `d2l.getDataCh7` standardises every column over all 1503 rows, then keeps the first 1500.
  const [features, labels] = await d2l.getDataCh7(dataOpts);
  print(pyShape(features.shape));

  // ## Implementation from scratch
  // The optimizer of the scratch sections takes the parameters, their states (none here) and
  // the hyperparameters; trainCh7 has already averaged the loss over the batch.
  const sgd = (params: NDArray[], _states: null, hyperparams: Record<string, number>) => {
    for (const p of params) p.set(':', p.sub(p.grad.mul(hyperparams.lr)));
  };
  async function trainSgd(lr: number, batchSize: number, numEpochs = 2): Promise<void> {
    const file = join(outDir, `sgd-lr-${lr}-batch-${batchSize}.png`);
    const r = await d2l.trainCh7(sgd, null, { lr }, features, labels, batchSize, numEpochs, { ...io, file });
    runs.push({ name: `sgd lr ${lr} batch ${batchSize}`, file, ...r });
  }
  // Batch size 1500 is gradient descent: one step per epoch, the loss flattens after 6 steps.
  await trainSgd(1, 1500, 6);
  // Batch size 1 is SGD: 1500 steps per epoch, each on one example, at a smaller learning rate;
  // an epoch takes much longer, as every step is a round of small operations.
  await trainSgd(0.005, 1);
  // Batch size 10: an epoch costs between the two, and the loss falls about as fast per epoch.
  await trainSgd(0.05, 10);

  // ## Concise implementation
  // A `gluon.Trainer` with the named optimizer; `trainer.step(batchSize)` does the averaging.
  const file = join(outDir, 'gluon-sgd-lr-0.05-batch-10.png');
  const r = await d2l.trainGluonCh7('sgd', { learningRate: 0.05 }, features, labels, 10, 2, { ...io, file });
  runs.push({ name: 'gluon sgd lr 0.05 batch 10', file, ...r });
  return { lines, runs };
}

runIfMain(import.meta.url, run);
