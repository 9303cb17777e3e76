/**
 * # 3.14 Forward propagation, back-propagation and computational graphs (正向传播、反向传播和计算图)
 *
 * The book's section is text and equations: the forward pass of a one-hidden-layer MLP with L2
 * regularization, its computational graph, and the back-propagation of the objective's gradient
 * through that graph with the chain rule. This program computes every quantity of the text on a
 * small example, in float64, and checks the chain-rule gradients twice: against autograd (which
 * walks the same graph) and against finite differences (which knows nothing of graphs).
 *
 * The model, as in the text: an input x ∈ R^d and label y, no biases, an elementwise activation
 * φ (here tanh: smooth, so finite differences are accurate everywhere), and
 *   z = W1 x,  h = φ(z),  o = W2 h,  L = ℓ(o, y),  s = λ/2 (‖W1‖²_F + ‖W2‖²_F),  J = L + s,
 * with ℓ the softmax cross-entropy loss over q classes.
 *
 * Run it: `d2l-ts run backprop [--seed 1]`.
 */
import { nd, autograd, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyShape } from './pyrepr.js';

export const meta = {
  slug: 'backprop',
  title: '3.14 正向传播、反向传播和计算图 (back-propagation)',
};

export interface BackpropResult {
  lines: string[];
  /** max |chain rule − autograd| over both weight gradients. */
  autogradDiff: number;
  /** max |chain rule − central finite difference| over every weight entry. */
  finiteDiff: number;
  /** The objective J = L + s at the example. */
  J: number;
}

/** The largest absolute elementwise difference of two arrays. */
function maxAbsDiff(a: NDArray, b: NDArray): number {
  return a.sub(b).abs().max().asScalar();
}

/**
 * Runs 3.14: the forward pass, the chain-rule backward pass of the text, and the two checks.
 *
 * @example
 * const { autogradDiff, finiteDiff } = await run({ seed: 1 });
 * autogradDiff < 1e-12 && finiteDiff < 1e-7; // true
 */
export async function run(opts: ChapterOptions = {}): Promise<BackpropResult> {
  const { print, lines } = startRun(opts);
  const f64 = { dtype: 'float64' as const };

  // ## Forward propagation
  // Sizes: d inputs, h hidden units, q outputs (classes); the regularization hyperparameter λ.
  const d = 4;
  const h = 5;
  const q = 3;
  const lambd = 0.1;
  const x = nd.random.normal(0, 1, [d, 1], f64);
  const y = 1; // the example's class
  const W1 = nd.random.normal(0, 1, [h, d], f64);
  const W2 = nd.random.normal(0, 1, [q, h], f64);
  const phi = (v: NDArray) => v.tanh();
  const dphi = (v: NDArray) => v.tanh().square().rsub(1); // φ'(z) = 1 − tanh²(z)
  // ℓ(o, y) = −log softmax(o)_y, computed stably.
  const ell = (o: NDArray) =>
    nd
      .logSoftmax(o.reshape([1, q]))
      .get(`0, ${y}`)
      .neg();

  // The forward pass stores every intermediate variable: back-propagation needs them.
  const forward = (w1: NDArray, w2: NDArray) => {
    const z = nd.dot(w1, x); // the hidden layer's input
    const hv = phi(z); // the hidden layer's variable
    const o = nd.dot(w2, hv); // the output layer's variable
    const L = ell(o); // the loss term
    const s = w1
      .square()
      .sum()
      .add(w2.square().sum())
      .mul(lambd / 2); // the regularization term
    return { z, h: hv, o, L, s, J: L.add(s) }; // J: the objective function
  };
  const fw = forward(W1, W2);
  print(`x ${pyShape(x.shape)}, W1 ${pyShape(W1.shape)}, W2 ${pyShape(W2.shape)}, label y = ${y}, λ = ${lambd}`);
  print(`z = W1 x ${pyShape(fw.z.shape)}, h = φ(z) ${pyShape(fw.h.shape)}, o = W2 h ${pyShape(fw.o.shape)}`);
  print(`L = ℓ(o, y) = ${fw.L.asScalar().toFixed(6)}, s = ${fw.s.asScalar().toFixed(6)}, J = L + s = ${fw.J.asScalar().toFixed(6)}`);

  // ## Back-propagation
  // The chain rule from the objective back to the parameters, in the reverse order of the
  // forward pass: ∂J/∂L = 1 and ∂J/∂s = 1, so
  //   ∂J/∂o  = ∂L/∂o                 (for softmax cross-entropy: softmax(o) − onehot(y))
  //   ∂J/∂W2 = (∂J/∂o) hᵀ + λ W2
  //   ∂J/∂h  = W2ᵀ (∂J/∂o)
  //   ∂J/∂z  = (∂J/∂h) ⊙ φ'(z)
  //   ∂J/∂W1 = (∂J/∂z) xᵀ + λ W1
  const dJdo = nd
    .softmax(fw.o.reshape([1, q]))
    .reshape([q, 1])
    .sub(nd.oneHot(nd.array([y]), q, f64).reshape([q, 1]));
  const dJdW2 = nd.dot(dJdo, fw.h.T).add(W2.mul(lambd));
  const dJdh = nd.dot(W2.T, dJdo);
  const dJdz = dJdh.mul(dphi(fw.z));
  const dJdW1 = nd.dot(dJdz, x.T).add(W1.mul(lambd));
  print(
    `∂J/∂o ${pyShape(dJdo.shape)}, ∂J/∂W2 ${pyShape(dJdW2.shape)}, ∂J/∂h ${pyShape(dJdh.shape)}, ∂J/∂z ${pyShape(dJdz.shape)}, ∂J/∂W1 ${pyShape(dJdW1.shape)}`,
  );
  print('∂J/∂W1 by the chain rule:', dJdW1);
  print('∂J/∂W2 by the chain rule:', dJdW2);

  // ## Checking the gradients
  // autograd records the same computational graph during the forward pass and back-propagates
  // through it: it must agree with the hand-derived formulas to rounding error.
  W1.attachGrad();
  W2.attachGrad();
  const J = autograd.record(() => forward(W1, W2).J);
  J.backward();
  const autogradDiff = Math.max(maxAbsDiff(W1.grad, dJdW1), maxAbsDiff(W2.grad, dJdW2));
  print(`max |chain rule − autograd| = ${autogradDiff.toExponential(2)}`);

  // Central finite differences (J(w + ε) − J(w − ε)) / 2ε perturb one weight at a time and know
  // nothing of the graph: they agree up to O(ε²).
  const eps = 1e-6;
  let finiteDiff = 0;
  for (const [W, G] of [
    [W1, dJdW1],
    [W2, dJdW2],
  ] as const) {
    const g = G.dataSync();
    for (let i = 0; i < W.size; i++) {
      const at = (delta: number) => {
        const Wp = W.copy();
        const flat = Wp.reshape([-1]);
        flat.set(i, flat.get(i).asScalar() + delta);
        const r = W === W1 ? forward(Wp, W2) : forward(W1, Wp);
        return r.J.asScalar();
      };
      const num = (at(eps) - at(-eps)) / (2 * eps);
      finiteDiff = Math.max(finiteDiff, Math.abs(num - g[i]));
    }
  }
  print(`max |chain rule − finite differences| = ${finiteDiff.toExponential(2)} (over all ${W1.size + W2.size} weights, ε = ${eps})`);

  // ## Training a deep learning model
  // Forward and backward passes depend on each other: the forward pass uses the current
  // parameters, which the optimizer updated from the last backward pass; the backward pass uses
  // the intermediate values (h, z, ...) the forward pass stored. Those stored values are why
  // training needs more memory than prediction.
  print("intermediate values the backward pass reads: z, h (for ∂J/∂W2 = (∂J/∂o) hᵀ + λ W2 and φ'(z)), o (for ∂L/∂o)");
  return { lines, autogradDiff, finiteDiff, J: fw.J.asScalar() };
}

runIfMain(import.meta.url, run);
