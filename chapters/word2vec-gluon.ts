/**
 * # 10.3 Implementing word2vec (word2vec的实现)
 *
 * We train a skip-gram model with negative sampling on the Penn Treebank sample: frequent words
 * are subsampled, every word predicts the words in a random window around it, and each context
 * word comes with K = 5 noise words, so training is binary classification of (center, word) pairs.
 *
 * Run it: `d2l-ts run word2vec-gluon` or `node dist/chapters/word2vec-gluon.js`.
 */
import { nd, gluon, d2l } from '../src/index.js';
import * as W from '../src/d2l/word2vec.js';
import { printer, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'word2vec-gluon',
  title: '10.3 word2vec的实现 (word2vec, skip-gram with negative sampling)',
  needsData: ['ptb.zip'],
};

export interface Word2vecResult {
  numTokens: number;
  subsampledTokens: number;
  log: W.Word2vecEpoch[];
  similar: [string, number][];
}

export async function run(opts: ChapterOptions = {}): Promise<Word2vecResult> {
  const print = printer(opts);
  nd.random.seed(opts.seed ?? 0);
  const ctx = opts.ctx;

  // ## Processing the data set
  // PTB's training set: one sentence per line, words separated by spaces; rare words are <unk>
  // already and numbers are N.
  const rawDataset = await d2l.readPtb({ dataDir: opts.dataDir });
  print(`# sentences: ${rawDataset.length}`);
  for (const st of rawDataset.slice(0, 3)) print(`# tokens: ${st.length} ${JSON.stringify(st.slice(0, 5))}`);

  // ### Building the index: only words that occur at least 5 times.
  const vocab = W.buildPtbVocab(rawDataset);
  print(`# tokens: ${vocab.numTokens}`);

  // ### Subsampling: each occurrence of w is dropped with probability 1 − sqrt(t / f(w)), t = 1e-4.
  const subsampled = W.subsample(vocab);
  const subsampledTokens = subsampled.reduce((a, s) => a + s.length, 0);
  print(`# tokens: ${subsampledTokens}`);
  print(W.compareCounts('the', vocab, subsampled));
  print(W.compareCounts('join', vocab, subsampled));

  // ### Center words and context words: windows of a random size between 1 and maxWindowSize.
  const tiny = [d2l.range(7), d2l.range(10).slice(7)];
  print(`dataset ${JSON.stringify(tiny)}`);
  const [tc, tx] = W.getCentersAndContexts(tiny, 2);
  tc.forEach((c, i) => print(`center ${c} has contexts ${JSON.stringify(tx[i]).replace(/,/g, ', ')}`));
  const [allCenters, allContexts] = W.getCentersAndContexts(subsampled, 5);

  // ## Negative sampling: K = 5 noise words per context word, with weights count^0.75.
  const samplingWeights = vocab.idxToToken.map((w) => vocab.counter.get(w)! ** 0.75);
  const allNegatives = W.getNegatives(allContexts, samplingWeights, 5);

  // ## Reading minibatches: padded, with masks (real entries) and labels (contexts = 1).
  const batchSize = opts.batchSize ?? 512;
  const limit = opts.limit ?? allCenters.length;
  const [centers, contexts, negatives] = [allCenters.slice(0, limit), allContexts.slice(0, limit), allNegatives.slice(0, limit)];
  const batches = () => W.skipGramBatches(centers, contexts, negatives, batchSize, { ctx });
  for (const batch of batches()) {
    ['centers', 'contexts_negatives', 'masks', 'labels'].forEach((name, i) => print(`${name} shape: [${batch[i].shape.join(', ')}]`));
    break;
  }

  // ## The skip-gram model
  // An embedding layer maps indices to vectors: Embedding(20, 4) on (2, 3) indices gives (2, 3, 4).
  const embed = new gluon.nn.Embedding(20, 4);
  embed.initialize();
  print(
    `[${embed
      .forward(
        nd.array([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      )
      .shape.join(', ')}]`,
  );
  // batchDot multiplies matrices pairwise: (2, 1, 4) · (2, 4, 6) → (2, 1, 6).
  print(`[${nd.batchDot(nd.ones([2, 1, 4]), nd.ones([2, 4, 6])).shape.join(', ')}]`);

  // ### The binary cross-entropy loss with a mask: padded entries do not count.
  const pred = nd.array([
    [1.5, 0.3, -1, 2],
    [1.1, -0.6, 2.2, 0.4],
  ]);
  const label = nd.array([
    [1, 0, 0, 0],
    [1, 1, 0, 0],
  ]);
  const mask = nd.array([
    [1, 1, 1, 1],
    [1, 1, 1, 0],
  ]);
  print(W.maskedSigmoidBCE(pred, label, mask).toString());

  // ### Two embedding layers: center-word vectors v and context-word vectors u, 100 dimensions.
  const embedSize = 100;
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Embedding(vocab.idxToToken.length, embedSize), new gluon.nn.Embedding(vocab.idxToToken.length, embedSize));

  // ## Training: Adam, learning rate 0.005, 5 epochs.
  const log = await W.trainWord2vec(net, opts.lr ?? 0.005, opts.epochs ?? 5, batches, batchSize, { ctx, print });

  // ## Applying the model: the nearest words to 'chip' by cosine similarity of the center vectors.
  const similar = await W.getSimilarTokens('chip', 3, net.get(0) as gluon.nn.Embedding, vocab.tokenToIdx, vocab.idxToToken);
  for (const [tok, sim] of similar) print(`cosine sim=${sim.toFixed(3)}: ${tok}`);
  const more = await W.getSimilarTokens('chip', 5, net.get(0) as gluon.nn.Embedding, vocab.tokenToIdx, vocab.idxToToken);
  print(`5 nearest: ${more.map(([t]) => t).join(', ')}`);
  return { numTokens: vocab.numTokens, subsampledTokens, log, similar: more };
}

runIfMain(import.meta.url, run);
