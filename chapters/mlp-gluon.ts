/**
 * # 3.10 Concise implementation of the multilayer perceptron (多层感知机的简洁实现)
 *
 * The multilayer perceptron of 3.9, written with Gluon.
 *
 * Run it: `d2l-ts run mlp-gluon [--epochs 5 --lr 0.5 --batch-size 256]`. `npm start` trains the
 * same model with progress bars and writes curves, predictions and the parameters.
 *
 * Across processes (docs/DISTRIBUTED.md): `mpirun -np 2 --bind-to none npx d2l-ts run mlp-gluon
 * --kvstore dist_sync`. Each process then reads its half of the training data, 128 examples a
 * step, and the Trainer averages the gradients over both, so a step still counts 256 examples.
 */
import { nd, d2l, gluon, init, kv, ValueError } from '../src/index.js';
import { printer, runIfMain, type ChapterOptions } from './common.js';

const { loss: gloss, nn } = gluon;

export const meta = {
  slug: 'mlp-gluon',
  title: '3.10 多层感知机的简洁实现 (concise MLP)',
  needsData: ['fashion-mnist'],
  dataParallel: true,
};

export interface MlpGluonResult {
  history: d2l.EpochMetrics[];
  /** The trained network. */
  net: gluon.Sequential;
  /** The test data, for predictions after training. */
  testIter: gluon.data.DataLoader;
}

/**
 * Runs 3.10: the MLP with Gluon on Fashion-MNIST; returns the trained net and the test loader too
 * (used by `d2l-ts start`).
 *
 * @example
 * const { history, net, testIter } = await run({ seed: 1, epochs: 5 });
 */
export async function run(opts: ChapterOptions = {}): Promise<MlpGluonResult> {
  const print = printer(opts);
  if (opts.seed !== undefined) nd.random.seed(opts.seed);
  const ctx = opts.ctx;

  // ## Defining the model
  // Compared with softmax regression there is one more fully connected layer: the hidden layer,
  // with 256 units and the ReLU activation.
  const net = new nn.Sequential();
  net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
  net.initialize(new init.Normal(0.01), ctx ? { ctx } : {});

  // ## Reading the data and training the model
  // Almost the same steps as when training softmax regression in 3.7. (Not in the book: with a
  // dist_sync store each process reads its own part of the data, its share of the batch a step.)
  const store = typeof opts.kvstore === 'string' ? kv.create(opts.kvstore) : (opts.kvstore ?? 'device');
  const workers = typeof store === 'string' ? 1 : store.numWorkers;
  if ((opts.batchSize ?? 256) % workers !== 0)
    throw new ValueError(`mlp-gluon: the batch size ${opts.batchSize ?? 256} must divide among the ${workers} processes`);
  const batchSize = (opts.batchSize ?? 256) / workers;
  const [trainIter, testIter] = await d2l.loadDataFashionMnist(batchSize, {
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    ...(workers > 1 ? { shardBy: store as { rank: number; numWorkers: number } } : {}),
  });

  const loss = new gloss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: opts.lr ?? 0.5 }, store);
  const numEpochs = opts.epochs ?? 5;
  const history = await d2l.trainCh3(net, trainIter, testIter, loss, numEpochs, batchSize, null, null, trainer, {
    print,
    ...(opts.progress !== undefined ? { progress: opts.progress } : {}),
    ...(ctx ? { ctx } : {}),
  });
  return { history, net, testIter };
}

runIfMain(import.meta.url, run);
