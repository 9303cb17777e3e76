/**
 * # 10.5 Word embedding with global vectors (全局向量的词嵌入（GloVe）)
 *
 * The book's section is text and formulas. Write the skip-gram's softmax P(w_j | w_i) as
 * q_ij = exp(u_jᵀv_i) / Σ_k exp(u_kᵀv_i). Collect, over the whole corpus, the context words of
 * every occurrence of w_i into a multiset C_i; the multiplicity x_ij of j in C_i counts how often
 * w_j is in a window around w_i. The skip-gram's loss is then
 *   −Σ_i Σ_j x_ij log q_ij = −Σ_i x_i Σ_j p_ij log q_ij,  x_i = |C_i|, p_ij = x_ij / x_i:
 * a cross-entropy per center word, weighted by x_i. GloVe (Pennington et al. 2014) replaces it
 * with a squared loss on the logarithms of the counts, adds a center bias b_i and a context bias
 * c_j, and weighs each term by h(x_ij):
 *   Σ_i Σ_j h(x_ij) (u_jᵀv_i + b_i + c_j − log x_ij)²,  h(x) = (x/c)^α if x < c else 1,
 * with c = 100 and α = 0.75. Since h(0) = 0 only the nonzero counts matter; they are computed
 * once from the whole corpus (the "global" statistics), then sampled in minibatches. x_ij = x_ji,
 * so u and v play the same role; GloVe's word vector is v + u. The ratio of conditional
 * probabilities p_ik / p_jk tells related words apart, as in the book's table for "ice" and
 * "steam", and exp(u_jᵀv_i) ≈ α p_ij gives u_jᵀv_i + b_i + c_j ≈ log x_ij.
 *
 * This program checks the text's numbers (the multiset example, the two forms of the skip-gram
 * loss, h, the table's ratios) and trains GloVe on PTB: counts with a window of 5 over the first
 * `--limit` sentences (default 10000), 50 dimensions, AdaGrad with learning rate 0.05 (the
 * paper's), then the nearest words by the cosine of v + u.
 *
 * Run it: `d2l-ts run glove [--epochs 10] [--limit 10000]`.
 */
import { nd, d2l } from '../src/index.js';
import * as G from '../src/d2l/glove.js';
import * as W from '../src/d2l/word2vec.js';
import { knn } from '../src/d2l/similarity.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'glove',
  title: '10.5 全局向量的词嵌入（GloVe） (GloVe)',
  needsData: ['ptb.zip'],
};

export interface GloveResult {
  lines: string[];
  /** −Σ_j x_ij log q_ij and −x_i Σ_j p_ij log q_ij on the example. */
  skipGramLoss: [number, number];
  /** Pairs (i, j) with x_ij ≠ x_ji in the PTB counts (0). */
  asymmetric: number;
  numPairs: number;
  log: G.GloveEpoch[];
  neighbours: Record<string, string[]>;
}

const f64 = { dtype: 'float64' as const };

export async function run(opts: ChapterOptions = {}): Promise<GloveResult> {
  const { print, lines } = startRun(opts);
  nd.random.seed(opts.seed ?? 1);

  // ## The multiset C_i: w_i occurs twice, with contexts 2, 1, 5, 2 and 2, 3, 2, 1.
  const Ci = [2, 1, 5, 2, 2, 3, 2, 1];
  const mult = new Map<number, number>();
  for (const j of [...Ci].sort((a, b) => a - b)) mult.set(j, (mult.get(j) ?? 0) + 1);
  print(
    `C_i = {${[...Ci].sort((a, b) => a - b).join(', ')}}; multiplicities ${[...mult].map(([j, x]) => `x_i${j} = ${x}`).join(', ')}; x_i = ${Ci.length}`,
  );

  // ## The skip-gram loss over the multiset, two ways: −Σ_j x_ij log q_ij = −x_i Σ_j p_ij log q_ij.
  const V = 6;
  const v = nd.random.normal(0, 1, [V, 4], f64);
  const u = nd.random.normal(0, 1, [V, 4], f64);
  const i = 0;
  const q = nd.softmax(nd.dot(u, v.get(i))).toArray() as number[];
  const xij = Array.from({ length: V }, (_, j) => mult.get(j) ?? 0);
  const xi = xij.reduce((a, b) => a + b, 0);
  const byCounts = -xij.reduce((s, x, j) => s + x * Math.log(q[j]), 0);
  const byCrossEntropy = -xi * xij.reduce((s, x, j) => s + (x / xi) * Math.log(q[j]), 0);
  print(`with random u, v: −Σ_j x_ij log q_ij = ${byCounts.toFixed(6)}, −x_i Σ_j p_ij log q_ij = ${byCrossEntropy.toFixed(6)}`);

  // ## The weight function h(x) = (x/100)^0.75 below 100, else 1.
  const xs = [0, 1, 10, 50, 100, 1000];
  print(`h(x) for x = ${xs.join(', ')}: ${xs.map((x) => G.gloveWeight(x).toFixed(4)).join(', ')}`);

  // ## Ratios of conditional probabilities (the book's table, from the GloVe paper).
  const table: [string, number, number, number][] = [
    ['solid', 0.00019, 0.000022, 8.9],
    ['gas', 0.000066, 0.00078, 0.085],
    ['water', 0.003, 0.0022, 1.36],
    ['fashion', 0.000017, 0.000018, 0.96],
  ];
  print(
    `p1/p2 from the table's rounded probabilities: ${table.map(([w, p1, p2]) => `${w} ${(p1 / p2).toPrecision(3)}`).join(', ')} ` +
      `(the table: ${table.map(([w, , , r]) => `${w} ${r}`).join(', ')}, from unrounded counts)`,
  );

  // ## GloVe on PTB: the counts x_ij of the first sentences, window 5.
  const raw = await d2l.readPtb({ dataDir: opts.dataDir });
  const sentences = raw.slice(0, opts.limit ?? 10000);
  const vocab = W.buildPtbVocab(sentences);
  const counts = G.cooccurrenceCounts(vocab.dataset, 5);
  const key = new Map<string, number>();
  counts.x.forEach((x, p) => key.set(`${counts.i[p]},${counts.j[p]}`, x));
  let asymmetric = 0;
  counts.x.forEach((x, p) => {
    if (key.get(`${counts.j[p]},${counts.i[p]}`) !== x) asymmetric++;
  });
  print(
    `${sentences.length} sentences, ${vocab.idxToToken.length} words seen at least 5 times: ${counts.x.length} nonzero x_ij, ${asymmetric} with x_ij ≠ x_ji`,
  );

  // ## Training: minibatches of nonzero counts, AdaGrad.
  const net = new G.GloveModel(vocab.idxToToken.length, 50);
  const log = await G.trainGlove(net, counts, {
    epochs: opts.epochs ?? 10,
    lr: opts.lr ?? 0.05,
    batchSize: opts.batchSize ?? 1024,
    ctx: opts.ctx,
    print: (l) => print(l),
  });

  // ## GloVe's word vectors v + u: the nearest words by cosine.
  const vectors = net.wordVectors();
  const neighbours: Record<string, string[]> = {};
  for (const w of ['president', 'stock', 'japan', 'billion']) {
    const idx = vocab.tokenToIdx.get(w);
    if (idx === undefined) {
      print(`('${w}' is not in this vocabulary)`);
      continue;
    }
    const [topk, cos] = await knn(vectors, vectors.get(idx), 4);
    neighbours[w] = topk.slice(1).map((t) => vocab.idxToToken[t]);
    print(
      `${w}: ${topk
        .slice(1)
        .map((t, k) => `${vocab.idxToToken[t]} ${cos[k + 1].toFixed(3)}`)
        .join(', ')}`,
    );
  }
  return { lines, skipGramLoss: [byCounts, byCrossEntropy], asymmetric, numPairs: counts.x.length, log, neighbours };
}

runIfMain(import.meta.url, run);
