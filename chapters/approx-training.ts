/**
 * # 10.2 Approximate training (近似训练)
 *
 * The book's section is text and formulas. The skip-gram model's softmax
 * P(w_o | w_c) = exp(u_oᵀv_c) / Σ_{i∈V} exp(u_iᵀv_c) costs a sum over the whole vocabulary for every
 * gradient; the section gives two cheaper objectives.
 *
 * Negative sampling (负采样) models the event "w_o appears in w_c's window" as
 * P(D=1 | w_c, w_o) = σ(u_oᵀv_c). Maximizing only the positive events has a trivial solution
 * (all σ → 1), so K noise words w_1..w_K are drawn from a noise distribution P(w) and
 *   P(w_o | w_c) ≈ P(D=1 | w_c, w_o) Π_{k=1}^{K} P(D=0 | w_c, w_k),
 *   −log P(w_o | w_c) ≈ −log σ(u_oᵀv_c) − Σ_k log σ(−u_{h_k}ᵀv_c),
 * which costs K + 1 dot products instead of |V|.
 *
 * Hierarchical softmax (层序softmax) puts the words at the leaves of a binary tree with a vector
 * u_n at every internal node, and multiplies the sigmoids along the word's path:
 *   P(w | w_c) = Π_{j=1}^{L(w)−1} σ([[n(w, j+1) = leftChild(n(w, j))]] · u_{n(w,j)}ᵀv_c),
 * e.g. P(w_3 | w_c) = σ(u_{n(w_3,1)}ᵀv_c) σ(−u_{n(w_3,2)}ᵀv_c) σ(u_{n(w_3,3)}ᵀv_c) in the book's
 * figure. Since σ(x) + σ(−x) = 1, Σ_{w∈V} P(w | w_c) = 1, and a word costs O(log |V|) terms.
 *
 * This program computes both on a vocabulary of 8 words with hand-set float64 vectors and checks
 * them: the negative-sampling loss against Gluon's SigmoidBinaryCrossEntropyLoss (what 10.3
 * trains with), the hierarchical probabilities summing to 1 on the book's complete tree and on a
 * Huffman tree, and the gradient of −log P(w_3 | w_c) against autograd.
 *
 * Run it: `d2l-ts run approx-training` or `node dist/chapters/approx-training.js`.
 */
import { nd, d2l, gluon, autograd, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'approx-training',
  title: '10.2 近似训练 (negative sampling and hierarchical softmax)',
};

export interface ApproxTrainingResult {
  lines: string[];
  /** The negative-sampling loss by the formula and by SigmoidBinaryCrossEntropyLoss × (K + 1). */
  negativeSamplingLoss: number;
  bceLoss: number;
  /** Σ_w P(w | w_c) on the complete tree and on the Huffman tree. */
  completeTreeSum: number;
  huffmanTreeSum: number;
  /** max |formula − autograd| of ∂(−log P(w_3 | w_c))/∂v_c. */
  gradientDiff: number;
}

const f64 = { dtype: 'float64' as const };
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Hand-set vectors: row i is (sin(a·i + b·j + c))_j, reproducible without a random generator. */
function handSet(rows: number, cols: number, a: number, b: number, c: number): NDArray {
  return nd.array(
    Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => Math.sin(a * i + b * j + c))),
    f64,
  );
}

function fixed(values: number[], digits = 4): string {
  return `[${values.map((v) => v.toFixed(digits)).join(', ')}]`;
}

/**
 * Runs 10.2: negative sampling and hierarchical softmax on 8 words, with their checks.
 *
 * @example
 * const { completeTreeSum } = await run();
 * Math.abs(completeTreeSum - 1) < 1e-12; // true
 */
export async function run(opts: ChapterOptions = {}): Promise<ApproxTrainingResult> {
  const { print, lines } = startRun(opts);
  nd.random.seed(opts.seed ?? 1);
  // Words w_1..w_8 (indices 0..7), their corpus counts, and 3-dimensional vectors.
  const words = Array.from({ length: 8 }, (_, i) => `w_${i + 1}`);
  const counts = [12, 9, 7, 5, 3, 2, 1, 1];
  const vc = nd.array([0.5, -0.3, 0.8], f64); // the center word's vector v_c
  const Uw = handSet(8, 3, 1.3, 0.7, 0.2); // the words' context vectors u_w
  const scores = nd.dot(Uw, vc).toArray() as number[]; // u_wᵀ v_c
  const o = 1; // the context word w_o = w_2
  const softmax = nd.softmax(nd.array(scores, f64), { axis: 0 }).toArray() as number[];
  print(`vocabulary ${words.length} words, counts ${JSON.stringify(counts)}, center vector v_c ${fixed(vc.toArray() as number[])}`);
  print(`full softmax over |V| = 8: P(${words[o]} | w_c) = ${softmax[o].toFixed(4)} (${words.length} dot products)`);

  // ## Negative sampling
  // K = 5 noise words from P(w) ∝ count^0.75 (the noise distribution of 10.3); the context word
  // itself is never drawn as noise.
  const K = 5;
  const noise = d2l.getNegatives(
    [[o]],
    counts.map((c) => c ** 0.75),
    K,
  )[0];
  print(`context word ${words[o]}, K = ${K} noise words ${JSON.stringify(noise.map((i) => words[i]))}`);
  // −log σ(u_oᵀv_c) − Σ_k log σ(−u_{h_k}ᵀv_c)
  const negativeSamplingLoss = -Math.log(sigmoid(scores[o])) - noise.reduce((s, k) => s + Math.log(sigmoid(-scores[k])), 0);
  print(`−log σ(u_oᵀv_c) − Σ_k log σ(−u_kᵀv_c) = ${negativeSamplingLoss.toFixed(6)} (${K + 1} dot products)`);
  // 10.3 trains the same objective as a binary classification: labels 1 for the context word and
  // 0 for the noise words; the loss averages over the K + 1 terms.
  const pred = nd.array([[o, ...noise].map((i) => scores[i])], f64);
  const label = nd.array([[1, ...Array<number>(K).fill(0)]], f64);
  const bceLoss = new gluon.loss.SigmoidBinaryCrossEntropyLoss().forward(pred, label).asScalar() * (K + 1);
  print(`SigmoidBinaryCrossEntropyLoss × (K + 1) = ${bceLoss.toFixed(6)}`);
  print(`P(D=1 | w_c, w_o) Π_k P(D=0 | w_c, w_k) = exp(−loss) = ${Math.exp(-negativeSamplingLoss).toFixed(6)}`);
  // Why the noise words are needed: with positive events only, v_c = λ u_o makes σ(u_oᵀv_c) → 1.
  const uo = Uw.get(o);
  const uoNorm2 = uo.square().sum().asScalar();
  print(
    `positive events only: σ(u_oᵀ(λ u_o)) for λ = 1, 2, 4: ${fixed(
      [1, 2, 4].map((l) => sigmoid(l * uoNorm2)),
      6,
    )}`,
  );

  // ## Hierarchical softmax on the book's complete binary tree: 7 internal nodes for 8 leaves.
  const Un = handSet(7, 3, 0.9, 1.7, -0.4); // the internal nodes' vectors u_n
  const complete = d2l.completeTreePaths(8);
  const w3 = complete[2];
  print(
    `w_3's path: nodes ${JSON.stringify(w3.nodes)}, ${w3.left.map((l) => (l ? 'left' : 'right')).join(', ')}, ` +
      `L(w_3) − 1 = ${w3.nodes.length} = log2 |V|`,
  );
  const u = (n: number) => nd.dot(Un.get(n), vc).asScalar();
  const byHand = sigmoid(u(0)) * sigmoid(-u(1)) * sigmoid(u(4));
  const p3 = d2l.hierarchicalSoftmaxProb(vc, Un, w3).asScalar();
  print(`P(w_3 | w_c) = σ(u_0ᵀv_c) σ(−u_1ᵀv_c) σ(u_4ᵀv_c) = ${byHand.toFixed(6)}, by the formula over the path ${p3.toFixed(6)}`);
  const completeProbs = complete.map((path) => d2l.hierarchicalSoftmaxProb(vc, Un, path).asScalar());
  const completeTreeSum = completeProbs.reduce((a, b) => a + b, 0);
  print(`P(w | w_c) for w_1..w_8: ${fixed(completeProbs)}, sum ${completeTreeSum.toFixed(6)}`);

  // The same on a Huffman tree built from the counts (as word2vec does): frequent words get short
  // paths, so the expected number of terms per word falls below log2 |V| = 3.
  const huffman = d2l.huffmanPaths(counts);
  const huffmanProbs = huffman.map((path) => d2l.hierarchicalSoftmaxProb(vc, Un, path).asScalar());
  const huffmanTreeSum = huffmanProbs.reduce((a, b) => a + b, 0);
  const total = counts.reduce((a, b) => a + b, 0);
  const expectedTerms = huffman.reduce((s, path, i) => s + (path.nodes.length * counts[i]) / total, 0);
  print(
    `Huffman tree: path lengths ${JSON.stringify(huffman.map((p) => p.nodes.length))}, expected ${expectedTerms.toFixed(4)} terms per word`,
  );
  print(`P(w | w_c) for w_1..w_8: ${fixed(huffmanProbs)}, sum ${huffmanTreeSum.toFixed(6)}`);

  // ## The gradient: ∂(−log P(w | w_c))/∂v_c = −Σ_j (1 − σ(s_j u_jᵀv_c)) s_j u_j, s_j = ±1, what
  // training reads instead of the softmax's sum over V.
  let formula = nd.zeros([3], f64);
  w3.nodes.forEach((n, j) => {
    const s = w3.left[j] ? 1 : -1;
    formula = formula.sub(Un.get(n).mul((1 - sigmoid(s * u(n))) * s));
  });
  const v = vc.copy();
  v.attachGrad();
  const nll = autograd.record(() => d2l.hierarchicalSoftmaxProb(v, Un, w3).log().neg());
  nll.backward();
  const gradientDiff = formula.sub(v.grad).abs().max().asScalar();
  print(`∂(−log P(w_3 | w_c))/∂v_c = ${fixed(formula.toArray() as number[], 6)}, autograd ${fixed(v.grad.toArray() as number[], 6)}`);
  return { lines, negativeSamplingLoss, bceLoss, completeTreeSum, huffmanTreeSum, gradientDiff };
}

runIfMain(import.meta.url, run);
