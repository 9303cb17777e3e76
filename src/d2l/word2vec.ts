/**
 * word2vec on the Penn Treebank sample (the book's 10.3): the vocabulary of tokens seen at least
 * 5 times, subsampling of frequent words, context windows, negative sampling, minibatches with
 * masks and labels, the skip-gram model with two embedding layers, training, and nearest
 * neighbours by cosine similarity. Random draws use the library's seeded generator.
 */
import { record } from '../autograd/autograd.js';
import { ValueError } from '../core/errors.js';
import type { Context } from '../ndarray/context.js';
import type { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';
import { globalRandom } from '../ndarray/random.js';
import type { Sequential } from '../gluon/block.js';
import type { Embedding } from '../gluon/nn/basic-layers.js';
import { SigmoidBinaryCrossEntropyLoss } from '../gluon/loss.js';
import { Trainer } from '../gluon/trainer.js';
import { TokenEmbedding } from '../contrib/text/embedding.js';
import { similarTokensInEmbedding } from './similarity.js';

/** The PTB vocabulary of 10.3: tokens seen at least `minCount` times, in first-occurrence order. */
export interface PtbVocab {
  idxToToken: string[];
  tokenToIdx: Map<string, number>;
  /** Count of every kept token. */
  counter: Map<string, number>;
  /** The sentences as indices, unknown tokens dropped. */
  dataset: number[][];
  /** Tokens in `dataset`. */
  numTokens: number;
}

/**
 * Keeps the tokens that occur at least `minCount` (5) times, indexes them in order of first
 * occurrence (Python's Counter order) and maps the sentences to indices: 887100 tokens for PTB.
 *
 * @example
 * const { idxToToken, dataset, numTokens } = buildPtbVocab(await readPtb());
 */
export function buildPtbVocab(rawDataset: readonly (readonly string[])[], minCount = 5): PtbVocab {
  const all = new Map<string, number>();
  for (const st of rawDataset) for (const tk of st) all.set(tk, (all.get(tk) ?? 0) + 1);
  const counter = new Map([...all].filter(([, c]) => c >= minCount));
  const idxToToken = [...counter.keys()];
  const tokenToIdx = new Map(idxToToken.map((t, i) => [t, i]));
  const dataset = rawDataset.map((st) => st.filter((tk) => tokenToIdx.has(tk)).map((tk) => tokenToIdx.get(tk)!));
  return { idxToToken, tokenToIdx, counter, dataset, numTokens: dataset.reduce((a, s) => a + s.length, 0) };
}

/**
 * Subsampling: drops each occurrence of word w with probability max(0, 1 − sqrt(t / f(w))), f the
 * relative frequency (t = 1e-4), so very frequent words ('the') lose most occurrences and rare ones none.
 *
 * @example
 * const subsampled = subsample(vocab);
 */
export function subsample(vocab: PtbVocab, t = 1e-4): number[][] {
  const counts = vocab.idxToToken.map((tk) => vocab.counter.get(tk)!);
  const discard = (idx: number) => globalRandom.random() < 1 - Math.sqrt((t / counts[idx]) * vocab.numTokens);
  return vocab.dataset.map((st) => st.filter((tk) => !discard(tk)));
}

/**
 * The book's `compare_counts`: occurrences of `token` before and after subsampling.
 *
 * @example
 * compareCounts('the', vocab, subsampled); // '# the: before=50770, after=2045'
 */
export function compareCounts(token: string, vocab: PtbVocab, subsampled: readonly (readonly number[])[]): string {
  const i = vocab.tokenToIdx.get(token);
  if (i === undefined) throw new ValueError(`compareCounts: '${token}' is not in the vocabulary`);
  const count = (ds: readonly (readonly number[])[]) => ds.reduce((a, st) => a + st.filter((x) => x === i).length, 0);
  return `# ${token}: before=${count(vocab.dataset)}, after=${count(subsampled)}`;
}

/**
 * Every word of every sentence (of 2 or more words) as a center word, with the words within a
 * random window of 1..maxWindowSize on each side as its contexts.
 *
 * @example
 * const [centers, contexts] = getCentersAndContexts([[0, 1, 2, 3, 4, 5, 6], [7, 8, 9]], 2);
 */
export function getCentersAndContexts(dataset: readonly (readonly number[])[], maxWindowSize: number): [number[], number[][]] {
  if (!Number.isInteger(maxWindowSize) || maxWindowSize < 1)
    throw new ValueError(`getCentersAndContexts: maxWindowSize must be a positive integer, got ${maxWindowSize}`);
  const centers: number[] = [];
  const contexts: number[][] = [];
  for (const st of dataset) {
    if (st.length < 2) continue;
    centers.push(...st);
    for (let c = 0; c < st.length; c++) {
      const w = globalRandom.randint(1, maxWindowSize + 1);
      const ctx: number[] = [];
      for (let j = Math.max(0, c - w); j < Math.min(st.length, c + 1 + w); j++) if (j !== c) ctx.push(st[j]);
      contexts.push(ctx);
    }
  }
  return [centers, contexts];
}

/**
 * Negative sampling: K noise words per context word, drawn with probability proportional to
 * `samplingWeights` (the book: count^0.75), in batches of 1e5 draws, skipping the center's
 * context words.
 *
 * @example
 * const allNegatives = getNegatives(allContexts, vocab.idxToToken.map((w) => vocab.counter.get(w)! ** 0.75), 5);
 */
export function getNegatives(allContexts: readonly (readonly number[])[], samplingWeights: readonly number[], K: number): number[][] {
  const cum = new Float64Array(samplingWeights.length);
  let acc = 0;
  samplingWeights.forEach((w, i) => {
    if (!(w >= 0)) throw new ValueError(`getNegatives: sampling weight ${i} is ${w}; weights must be >= 0`);
    cum[i] = acc += w;
  });
  if (!(acc > 0)) throw new ValueError('getNegatives: the sampling weights sum to 0');
  // random.choices: bisect the cumulative weights at random() * total.
  const draw = () => {
    const x = globalRandom.random() * acc;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const candidates = new Int32Array(100000);
  let i = candidates.length;
  const all: number[][] = [];
  for (const contexts of allContexts) {
    const ctx = new Set(contexts);
    const negatives: number[] = [];
    while (negatives.length < contexts.length * K) {
      if (i === candidates.length) {
        for (let j = 0; j < candidates.length; j++) candidates[j] = draw();
        i = 0;
      }
      const neg = candidates[i++];
      if (!ctx.has(neg)) negatives.push(neg);
    }
    all.push(negatives);
  }
  return all;
}

/** A skip-gram minibatch: centers (B, 1), contexts and negatives (B, L), masks (B, L), labels (B, L). */
export type SkipGramBatch = [NDArray, NDArray, NDArray, NDArray];

/**
 * The book's `batchify`: pads every example's contexts + negatives with 0 to the longest in the
 * batch; the mask marks real entries and the label the contexts.
 *
 * @example
 * const [centers, contextsNegatives, masks, labels] = batchify([[1, [2, 3], [4, 5, 6, 7]]]);
 */
export function batchify(data: readonly (readonly [number, readonly number[], readonly number[]])[], ctx?: Context): SkipGramBatch {
  if (data.length === 0) throw new ValueError('batchify: empty batch');
  const maxLen = Math.max(...data.map(([, c, n]) => c.length + n.length));
  const B = data.length;
  const centers = new Float32Array(B);
  const cn = new Float32Array(B * maxLen);
  const masks = new Float32Array(B * maxLen);
  const labels = new Float32Array(B * maxLen);
  data.forEach(([center, context, negative], b) => {
    centers[b] = center;
    const row = b * maxLen;
    context.forEach((w, j) => {
      cn[row + j] = w;
      labels[row + j] = 1;
    });
    negative.forEach((w, j) => (cn[row + context.length + j] = w));
    masks.fill(1, row, row + context.length + negative.length);
  });
  return [
    nd.array(centers, { shape: [B, 1], ctx }),
    nd.array(cn, { shape: [B, maxLen], ctx }),
    nd.array(masks, { shape: [B, maxLen], ctx }),
    nd.array(labels, { shape: [B, maxLen], ctx }),
  ];
}

/**
 * Shuffled minibatches of `batchSize` examples (the last one may be short), batchified; the
 * caller owns the arrays.
 *
 * @example
 * for (const [center, contextNegative, mask, label] of skipGramBatches(centers, contexts, negatives, 512)) { ... }
 */
export function* skipGramBatches(
  centers: readonly number[],
  contexts: readonly (readonly number[])[],
  negatives: readonly (readonly number[])[],
  batchSize: number,
  opts: { shuffle?: boolean; ctx?: Context } = {},
): Generator<SkipGramBatch> {
  const n = centers.length;
  if (contexts.length !== n || negatives.length !== n)
    throw new ValueError(
      `skipGramBatches: ${n} centers, ${contexts.length} context lists and ${negatives.length} negative lists must match`,
    );
  const order = opts.shuffle === false ? Int32Array.from({ length: n }, (_, i) => i) : globalRandom.permutation(n);
  for (let i = 0; i < n; i += batchSize) {
    const idx = order.subarray(i, Math.min(n, i + batchSize));
    yield batchify(
      Array.from(idx, (j) => [centers[j], contexts[j], negatives[j]] as const),
      opts.ctx,
    );
  }
}

/**
 * The skip-gram model: the inner products of each center word's vector (from `embedV`) with the
 * vectors of its contexts and negatives (from `embedU`), shape (B, 1, L), by `nd.batchDot`.
 *
 * @example
 * const pred = skipGram(center, contextsAndNegatives, net.get(0), net.get(1));
 */
export function skipGram(center: NDArray, contextsAndNegatives: NDArray, embedV: Embedding, embedU: Embedding): NDArray {
  const v = embedV.forward(center);
  const u = embedU.forward(contextsAndNegatives);
  return nd.batchDot(v, u.swapaxes(1, 2));
}

/**
 * The masked binary cross-entropy of 10.3, one value per example:
 * `loss(pred, label, mask) * mask.shape[1] / mask.sum(axis=1)`.
 *
 * @example
 * maskedSigmoidBCE(pred, label, mask).toString(); // [0.8739896 1.2099689] for the book's example
 */
export function maskedSigmoidBCE(pred: NDArray, label: NDArray, mask: NDArray): NDArray {
  return bce
    .forward(pred.reshape(label.shape), label, mask)
    .mul(mask.shape[1])
    .div(mask.sum({ axis: 1 }));
}
const bce = new SigmoidBinaryCrossEntropyLoss();

/** One epoch of a word2vec log. */
export interface Word2vecEpoch {
  epoch: number;
  loss: number;
  seconds: number;
}

/**
 * The book's `train`: initialises the two embeddings (Uniform(0.07)), trains with Adam
 * (`trainer.step(batchSize)`), and prints `epoch N, loss L, time Ts` with the mean loss per example.
 *
 * @example
 * await trainWord2vec(net, 0.005, 5, () => skipGramBatches(centers, contexts, negatives, 512), 512);
 */
export async function trainWord2vec(
  net: Sequential,
  lr: number,
  numEpochs: number,
  batches: () => Iterable<SkipGramBatch>,
  batchSize: number,
  opts: { ctx?: Context; print?: (l: string) => void; onBatch?: (i: number) => void } = {},
): Promise<Word2vecEpoch[]> {
  const print = opts.print ?? ((l: string) => console.log(l));
  net.initialize({ ctx: opts.ctx, forceReinit: true });
  const trainer = new Trainer(net.collectParams(), 'adam', { learningRate: lr });
  const embedV = net.get(0) as Embedding;
  const embedU = net.get(1) as Embedding;
  const log: Word2vecEpoch[] = [];
  for (let epoch = 1; epoch <= numEpochs; epoch++) {
    const start = performance.now();
    let lSum = 0;
    let n = 0;
    let i = 0;
    for (const [center, contextNegative, mask, label] of batches()) {
      const l = record(() => maskedSigmoidBCE(skipGram(center, contextNegative, embedV, embedU), label, mask));
      l.backward();
      trainer.step(batchSize);
      lSum += await l.sum().asScalarAsync();
      n += center.shape[0];
      opts.onBatch?.(i++);
    }
    const rec = { epoch, loss: lSum / n, seconds: (performance.now() - start) / 1000 };
    print(`epoch ${epoch}, loss ${rec.loss.toFixed(2)}, time ${rec.seconds.toFixed(2)}s`);
    log.push(rec);
  }
  return log;
}

/**
 * The `k` tokens most similar to `queryToken` by cosine similarity, the query itself left out,
 * as `[token, similarity]` pairs, most similar first. Two forms, as the book's two sections:
 *
 * - 10.3: `getSimilarTokens(token, k, embed, tokenToIdx, idxToToken)` over the rows of a Gluon
 *   `Embedding`'s weight, with 10.3's stabiliser `sqrt(Σ W² · Σ x² + 1e-9)`;
 * - 10.6: `getSimilarTokens(token, k, tokenEmbedding)` over a `text.embedding` TokenEmbedding,
 *   through `knn` (10.6's `sqrt(Σ W² + 1e-9) · sqrt(Σ x²)`).
 *
 * The similarities are computed on the vectors' device and read once (asynchronously, so a GPU
 * model works too).
 *
 * @example
 * await getSimilarTokens('chip', 3, net.get(0), vocab.tokenToIdx, vocab.idxToToken); // [['intel', 0.53], ...]
 * await getSimilarTokens('chip', 3, glove6b50d); // [['chips', 0.856], ['intel', 0.749], ['electronics', 0.749]]
 */
export async function getSimilarTokens(queryToken: string, k: number, embed: TokenEmbedding): Promise<[string, number][]>;
export async function getSimilarTokens(
  queryToken: string,
  k: number,
  embed: Embedding,
  tokenToIdx: Map<string, number>,
  idxToToken: readonly string[],
): Promise<[string, number][]>;
export async function getSimilarTokens(
  queryToken: string,
  k: number,
  embed: Embedding | TokenEmbedding,
  tokenToIdx?: Map<string, number>,
  idxToToken?: readonly string[],
): Promise<[string, number][]> {
  if (embed instanceof TokenEmbedding) return similarTokensInEmbedding(queryToken, k, embed);
  if (!tokenToIdx || !idxToToken)
    throw new ValueError(
      'getSimilarTokens: with a Gluon Embedding, pass its tokenToIdx and idxToToken too (or pass a text.embedding TokenEmbedding)',
    );
  const q = tokenToIdx.get(queryToken);
  if (q === undefined) throw new ValueError(`getSimilarTokens: '${queryToken}' is not in the vocabulary`);
  const W = embed.weight.data();
  const x = W.get(q);
  const cos = nd.dot(W, x).div(W.mul(W).sum({ axis: 1 }).mul(x.mul(x).sum()).add(1e-9).sqrt());
  const values = Array.from(await cos.data());
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a]);
  return order
    .filter((i) => i !== q)
    .slice(0, k)
    .map((i) => [idxToToken[i], values[i]]);
}
