/**
 * word2vec (the book's 10.3) seconds per epoch: skip-gram with negative sampling on the PTB
 * training set, as chapters/word2vec-gluon.ts trains it (vocabulary of words seen >= 5 times,
 * subsampling t = 1e-4, windows up to 5, K = 5 noise words, batches of 512, two Embedding(V, 100)
 * layers, masked sigmoid BCE, Adam lr 0.005). Data preparation is not timed; each epoch (batching
 * included) is. No peer script defines this workload, so it has no column in bench:compare.
 *
 *   node dist/bench/word2vec.js [--epochs=2] [--limit=N centers] [--data-dir=DIR] [--peer=LABEL]
 *   D2L_CPU_KERNELS=wasm node dist/bench/word2vec.js   # peer d2l-ts-portable
 */
import { d2l, gluon, nd } from '../src/index.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { baseRecord, emit, median, now, parseArgs, repoRoot, runIfMain, startKernelThreads } from './w3-w5-harness.js';

export async function word2vec(argv = process.argv.slice(2)): Promise<number> {
  const args = parseArgs(argv);
  startKernelThreads();
  const base = baseRecord(args);
  const epochs = typeof args.epochs === 'string' ? Number(args.epochs) : 2;
  nd.random.seed(0);
  const t0 = now();
  // ptb.zip: --data-dir, else ../shared/data when it holds it, else the library's resolver.
  const shared = join(repoRoot(), '..', 'shared', 'data');
  const dataDir = typeof args['data-dir'] === 'string' ? args['data-dir'] : existsSync(join(shared, 'ptb.zip')) ? shared : undefined;
  const raw = await d2l.readPtb(dataDir ? { dataDir } : {});
  const vocab = d2l.buildPtbVocab(raw);
  const subsampled = d2l.subsample(vocab);
  const [allCenters, allContexts] = d2l.getCentersAndContexts(subsampled, 5);
  const weights = vocab.idxToToken.map((w) => vocab.counter.get(w)! ** 0.75);
  const allNegatives = d2l.getNegatives(allContexts, weights, 5);
  const limit = typeof args.limit === 'string' ? Number(args.limit) : allCenters.length;
  const [centers, contexts, negatives] = [allCenters.slice(0, limit), allContexts.slice(0, limit), allNegatives.slice(0, limit)];
  const prepS = (now() - t0) / 1e3;
  const batchSize = 512;
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Embedding(vocab.idxToToken.length, 100), new gluon.nn.Embedding(vocab.idxToToken.length, 100));
  const log = await d2l.trainWord2vec(net, 0.005, epochs, () => d2l.skipGramBatches(centers, contexts, negatives, batchSize), batchSize, {
    print: (l) => console.error(`  ${l}`),
  });
  const value = median(log.map((e) => e.seconds));
  emit({
    ...base,
    workload: 'word2vec',
    case: 'skip-gram PTB',
    metric: 'sec_per_epoch',
    unit: 's/epoch',
    value,
    epochs: log,
    centers: centers.length,
    batches_per_epoch: Math.ceil(centers.length / batchSize),
    prep_s: prepS,
    note: `median of ${log.length} epoch times; batch 512, embed 100, Adam lr 0.005`,
  });
  return value;
}

runIfMain(import.meta.url, () => word2vec().then(() => undefined));
