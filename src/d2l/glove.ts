/**
 * GloVe (the book's 10.5, 全局向量的词嵌入): the co-occurrence counts x_ij of a corpus, the weight
 * function h, the weighted squared loss h(x_ij)(u_jᵀv_i + b_i + c_j − log x_ij)² over the nonzero
 * counts, and its training by minibatches (Pennington et al. 2014).
 */
import { record } from '../autograd/autograd.js';
import { ValueError } from '../core/errors.js';
import type { Context } from '../ndarray/context.js';
import type { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';
import { globalRandom } from '../ndarray/random.js';
import { Embedding } from '../gluon/nn/basic-layers.js';
import { Block } from '../gluon/block.js';
import { Trainer } from '../gluon/trainer.js';

/** The nonzero co-occurrence counts of a corpus, as three parallel arrays (pairs i < j and i > j both listed). */
export interface Cooccurrences {
  /** Center word indices. */
  i: Int32Array;
  /** Context word indices. */
  j: Int32Array;
  /** x_ij: how often word j is in a window around word i. */
  x: Float64Array;
}

/**
 * Counts x_ij, the number of times word j appears within `windowSize` words of word i, over
 * every sentence (the multiset C_i of the book, summed over the corpus). The window is symmetric,
 * so x_ij = x_ji. Pairs come sorted by (i, j).
 *
 * @example
 * const { i, j, x } = cooccurrenceCounts([[0, 1, 2]], 1); // (0,1) 1, (1,0) 1, (1,2) 1, (2,1) 1
 */
export function cooccurrenceCounts(dataset: readonly (readonly number[])[], windowSize: number): Cooccurrences {
  if (!Number.isInteger(windowSize) || windowSize < 1)
    throw new ValueError(`cooccurrenceCounts: windowSize must be a positive integer, got ${windowSize}`);
  const counts = new Map<number, number>();
  let maxIdx = 0;
  for (const st of dataset)
    for (const w of st)
      if (!Number.isInteger(w) || w < 0) throw new ValueError(`cooccurrenceCounts: word indices must be non-negative integers, got ${w}`);
  for (const st of dataset) for (const w of st) maxIdx = Math.max(maxIdx, w);
  const n = maxIdx + 1;
  for (const st of dataset)
    for (let c = 0; c < st.length; c++)
      for (let k = Math.max(0, c - windowSize); k < Math.min(st.length, c + windowSize + 1); k++) {
        if (k === c) continue;
        const key = st[c] * n + st[k];
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
  const keys = [...counts.keys()].sort((a, b) => a - b);
  const out: Cooccurrences = { i: new Int32Array(keys.length), j: new Int32Array(keys.length), x: new Float64Array(keys.length) };
  keys.forEach((key, p) => {
    out.i[p] = Math.floor(key / n);
    out.j[p] = key % n;
    out.x[p] = counts.get(key)!;
  });
  return out;
}

/**
 * GloVe's weight function: h(x) = (x / c)^α for x < c, else 1 (the book's c = 100, α = 0.75), so
 * h(0) = 0 and pairs that never co-occur drop out.
 *
 * @example
 * gloveWeight(10); // 0.1778 = 0.1^0.75
 */
export function gloveWeight(x: number, c = 100, alpha = 0.75): number {
  if (!(x >= 0) || !(c > 0) || !(alpha > 0))
    throw new ValueError(`gloveWeight: need x >= 0, c > 0 and alpha > 0, got x ${x}, c ${c}, alpha ${alpha}`);
  return x < c ? (x / c) ** alpha : 1;
}

/** GloVe's parameters: center vectors v and biases b, context vectors u and biases c. */
export class GloveModel extends Block {
  readonly v: Embedding;
  readonly u: Embedding;
  readonly b: Embedding;
  readonly c: Embedding;

  /** @example const net = new GloveModel(vocabSize, 50); net.initialize(); */
  constructor(vocabSize: number, embedSize: number) {
    super();
    if (!Number.isInteger(vocabSize) || vocabSize < 1 || !Number.isInteger(embedSize) || embedSize < 1)
      throw new ValueError(`GloveModel: vocabSize and embedSize must be positive integers, got ${vocabSize} and ${embedSize}`);
    this.v = this.registerChild(new Embedding(vocabSize, embedSize), 'v');
    this.u = this.registerChild(new Embedding(vocabSize, embedSize), 'u');
    this.b = this.registerChild(new Embedding(vocabSize, 1), 'b');
    this.c = this.registerChild(new Embedding(vocabSize, 1), 'c');
  }

  /** u_jᵀv_i + b_i + c_j for index arrays i and j of shape (B,): shape (B,). @example net.forward(i, j) */
  forward(i: NDArray, j: NDArray): NDArray {
    return this.v
      .forward(i)
      .mul(this.u.forward(j))
      .sum({ axis: 1 })
      .add(this.b.forward(i).reshape([-1]))
      .add(this.c.forward(j).reshape([-1]));
  }

  /** The final word vectors of GloVe: v + u, shape (vocabSize, embedSize). @example net.wordVectors() */
  wordVectors(): NDArray {
    return this.v.weight.data().add(this.u.weight.data());
  }
}

/**
 * GloVe's loss on a minibatch of nonzero counts: Σ h(x)(u_jᵀv_i + b_i + c_j − log x)².
 *
 * @example
 * const l = gloveLoss(net, nd.array([0, 1]), nd.array([1, 0]), nd.array([3, 3]));
 */
export function gloveLoss(net: GloveModel, i: NDArray, j: NDArray, x: NDArray, c = 100, alpha = 0.75): NDArray {
  const h = x.div(c).pow(alpha).minimum(1);
  return h.mul(net.forward(i, j).sub(x.log()).square()).sum();
}

/** One epoch of `trainGlove`: the mean weighted squared error per nonzero count. */
export interface GloveEpoch {
  epoch: number;
  loss: number;
  seconds: number;
}

/**
 * Trains `net` with AdaGrad (the paper's optimizer, lr 0.05) on shuffled minibatches of the
 * nonzero counts, printing `epoch N, loss L, time Ts`.
 *
 * @example
 * const log = await trainGlove(net, cooccurrenceCounts(dataset, 5), { epochs: 10 });
 */
export async function trainGlove(
  net: GloveModel,
  counts: Cooccurrences,
  opts: { epochs?: number; lr?: number; batchSize?: number; ctx?: Context; print?: (l: string) => void } = {},
): Promise<GloveEpoch[]> {
  const n = counts.x.length;
  if (n === 0) throw new ValueError('trainGlove: no co-occurrences to train on');
  const epochs = opts.epochs ?? 10;
  const batchSize = opts.batchSize ?? 1024;
  const print = opts.print ?? ((l: string) => console.log(l));
  net.initialize({ ctx: opts.ctx, forceReinit: true });
  const trainer = new Trainer(net.collectParams(), 'adagrad', { learningRate: opts.lr ?? 0.05 });
  const log: GloveEpoch[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const start = performance.now();
    const order = globalRandom.permutation(n);
    let total = 0;
    for (let s = 0; s < n; s += batchSize) {
      const idx = order.subarray(s, Math.min(n, s + batchSize));
      const i = nd.array(
        Float32Array.from(idx, (p) => counts.i[p]),
        { ctx: opts.ctx },
      );
      const j = nd.array(
        Float32Array.from(idx, (p) => counts.j[p]),
        { ctx: opts.ctx },
      );
      const x = nd.array(
        Float32Array.from(idx, (p) => counts.x[p]),
        { ctx: opts.ctx },
      );
      const l = record(() => gloveLoss(net, i, j, x));
      l.backward();
      trainer.step(idx.length);
      total += await l.asScalarAsync();
    }
    const rec = { epoch, loss: total / n, seconds: (performance.now() - start) / 1000 };
    print(`epoch ${epoch}, loss ${rec.loss.toFixed(4)}, time ${rec.seconds.toFixed(2)}s`);
    log.push(rec);
  }
  return log;
}
