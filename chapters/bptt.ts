/**
 * # 6.6 Back-propagation through time (通过时间反向传播)
 *
 * The book's section is text, formulas and the computational graph of a small RNN with no
 * biases and the identity as activation, written with column vectors:
 *   h_t = W_hx x_t + W_hh h_{t−1},  o_t = W_qh h_t,  L = (1/T) Σ_t ℓ(o_t, y_t),
 * with W_hx ∈ R^{h×d}, W_hh ∈ R^{h×h}, W_qh ∈ R^{q×h} and h_0 = 0. Back-propagation walks that
 * graph backwards in time:
 *   ∂L/∂o_t  = ∂ℓ(o_t, y_t) / (T ∂o_t)
 *   ∂L/∂W_qh = Σ_t ∂L/∂o_t h_tᵀ
 *   ∂L/∂h_T  = W_qhᵀ ∂L/∂o_T,   ∂L/∂h_t = W_hhᵀ ∂L/∂h_{t+1} + W_qhᵀ ∂L/∂o_t
 *            = Σ_{i=t}^{T} (W_hhᵀ)^{T−i} W_qhᵀ ∂L/∂o_{T+t−i}
 *   ∂L/∂W_hx = Σ_t ∂L/∂h_t x_tᵀ,   ∂L/∂W_hh = Σ_t ∂L/∂h_t h_{t−1}ᵀ
 * This program takes a tiny RNN with hand-set float64 weights and ℓ(o, y) = ½‖o − y‖², computes
 * every gradient with these formulas (the recursion and the closed form with powers of W_hhᵀ),
 * and checks them against autograd, which back-propagates through the same graph. The powers
 * (W_hhᵀ)^k are the section's point about long sequences: their norms grow or shrink
 * geometrically with k, so gradients explode or vanish.
 *
 * Run it: `d2l-ts run bptt` or `node dist/chapters/bptt.js`.
 */
import { nd, autograd, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyShape } from './pyrepr.js';

export const meta = {
  slug: 'bptt',
  title: '6.6 通过时间反向传播 (back-propagation through time)',
};

export interface BpttResult {
  lines: string[];
  /** max |formula − autograd| over ∂L/∂W_hx, ∂L/∂W_hh and ∂L/∂W_qh. */
  autogradDiff: number;
  /** max |recursion − closed form| over every ∂L/∂h_t. */
  closedFormDiff: number;
  /** ‖(W_hhᵀ)^k‖_F for each scale γ of the orthogonal W_hh = γ Q and each k of `powers`. */
  powerNorms: { gamma: number; norms: number[] }[];
  powers: number[];
}

const f64 = { dtype: 'float64' as const };

/** A matrix as rows of numbers with 6 decimals, e.g. `[[0.100000, -0.200000], [...]]`. */
function formatMatrix(m: NDArray): string {
  const rows = m.toArray() as number[][];
  return `[${rows.map((r) => `[${r.map((v) => (Object.is(v, -0) ? 0 : v).toFixed(6)).join(', ')}]`).join(', ')}]`;
}

function maxAbsDiff(a: NDArray, b: NDArray): number {
  return a.sub(b).abs().max().asScalar();
}

/** M^k for a square matrix, by repeated products (k ≥ 0). */
function matrixPower(m: NDArray, k: number): NDArray {
  let p = nd.eye(m.shape[0], null, 0, f64);
  for (let i = 0; i < k; i++) p = nd.dot(p, m);
  return p;
}

/**
 * Runs 6.6: the forward pass of the tiny RNN, the book's BPTT gradients, the autograd check, and
 * the norms of the powers of W_hhᵀ.
 *
 * @example
 * const { autogradDiff } = await run();
 * autogradDiff < 1e-12; // true
 */
export async function run(opts: ChapterOptions = {}): Promise<BpttResult> {
  const { print, lines } = startRun(opts);

  // ## Defining the model: d = 2 inputs, h = 3 hidden units, q = 2 outputs, T = 4 time steps.
  const T = 4;
  const Whx = nd.array(
    [
      [0.5, -0.3],
      [0.2, 0.8],
      [-0.6, 0.1],
    ],
    f64,
  );
  const Whh = nd.array(
    [
      [0.4, -0.2, 0.1],
      [0.3, 0.5, -0.4],
      [-0.1, 0.2, 0.6],
    ],
    f64,
  );
  const Wqh = nd.array(
    [
      [0.7, -0.5, 0.2],
      [-0.3, 0.4, 0.9],
    ],
    f64,
  );
  // The inputs x_1..x_T and labels y_1..y_T, each a column vector.
  const xs = [
    [1, 0],
    [0, 1],
    [-1, 2],
    [0.5, -0.5],
  ].map((v) => nd.array(v, f64).reshape([2, 1]));
  const ys = [
    [1, 0],
    [0, 1],
    [1, 1],
    [-1, 0],
  ].map((v) => nd.array(v, f64).reshape([2, 1]));
  const [h, d] = Whx.shape;
  const q = Wqh.shape[0];
  print(`W_hx ${pyShape(Whx.shape)}, W_hh ${pyShape(Whh.shape)}, W_qh ${pyShape(Wqh.shape)}, T = ${T}`);

  // The forward pass keeps h_0..h_T and o_1..o_T: the backward pass reads them.
  const forward = (wHx: NDArray, wHh: NDArray, wQh: NDArray) => {
    const hs = [nd.zeros([h, 1], f64)];
    const os: NDArray[] = [];
    let L = nd.zeros([1], f64);
    for (let t = 1; t <= T; t++) {
      hs.push(nd.dot(wHx, xs[t - 1]).add(nd.dot(wHh, hs[t - 1])));
      os.push(nd.dot(wQh, hs[t]));
      L = L.add(
        os[t - 1]
          .sub(ys[t - 1])
          .square()
          .sum()
          .mul(0.5),
      );
    }
    return { hs, os, L: L.div(T) };
  };
  const fw = forward(Whx, Whh, Wqh);
  print(`L = (1/T) Σ_t ½‖o_t − y_t‖² = ${fw.L.asScalar().toFixed(6)}`);

  // ## Back-propagation through time, with the section's formulas.
  // ∂L/∂o_t = (o_t − y_t) / T for the squared loss; index t − 1 holds step t.
  const dLdo = fw.os.map((o, i) => o.sub(ys[i]).div(T));
  // ∂L/∂h_t by the recursion, from t = T down to 1.
  const dLdh: NDArray[] = new Array<NDArray>(T + 1);
  dLdh[T] = nd.dot(Wqh.T, dLdo[T - 1]);
  for (let t = T - 1; t >= 1; t--) dLdh[t] = nd.dot(Whh.T, dLdh[t + 1]).add(nd.dot(Wqh.T, dLdo[t - 1]));
  // The closed form: ∂L/∂h_t = Σ_{i=t}^{T} (W_hhᵀ)^{T−i} W_qhᵀ ∂L/∂o_{T+t−i}.
  let closedFormDiff = 0;
  for (let t = 1; t <= T; t++) {
    let sum = nd.zeros([h, 1], f64);
    for (let i = t; i <= T; i++) sum = sum.add(nd.dot(matrixPower(Whh.T, T - i), nd.dot(Wqh.T, dLdo[T + t - i - 1])));
    closedFormDiff = Math.max(closedFormDiff, maxAbsDiff(sum, dLdh[t]));
  }
  print(`max |recursion − closed form| over ∂L/∂h_1..∂L/∂h_T = ${closedFormDiff.toExponential(2)}`);
  let dLdWqh = nd.zeros([q, h], f64);
  let dLdWhx = nd.zeros([h, d], f64);
  let dLdWhh = nd.zeros([h, h], f64);
  for (let t = 1; t <= T; t++) {
    dLdWqh = dLdWqh.add(nd.dot(dLdo[t - 1], fw.hs[t].T));
    dLdWhx = dLdWhx.add(nd.dot(dLdh[t], xs[t - 1].T));
    dLdWhh = dLdWhh.add(nd.dot(dLdh[t], fw.hs[t - 1].T));
  }

  // ## The check: autograd records the same graph and walks it back.
  for (const W of [Whx, Whh, Wqh]) W.attachGrad();
  const L = autograd.record(() => forward(Whx, Whh, Wqh).L);
  L.backward();
  const pairs: [string, NDArray, NDArray][] = [
    ['∂L/∂W_hx', dLdWhx, Whx.grad],
    ['∂L/∂W_hh', dLdWhh, Whh.grad],
    ['∂L/∂W_qh', dLdWqh, Wqh.grad],
  ];
  let autogradDiff = 0;
  for (const [name, formula, auto] of pairs) {
    print(`${name} (formula)  ${formatMatrix(formula)}`);
    print(`${name} (autograd) ${formatMatrix(auto)}`);
    autogradDiff = Math.max(autogradDiff, maxAbsDiff(formula, auto));
  }
  print(`max |formula − autograd| = ${autogradDiff.toExponential(2)}`);

  // ## Powers of W_hhᵀ: why long sequences explode or vanish.
  // ∂L/∂h_t holds (W_hhᵀ)^{T−t}: for W_hh = γ Q with Q orthogonal (a rotation), ‖(W_hhᵀ)^k‖_F =
  // γ^k ‖Q‖_F = γ^k √h, which explodes for γ > 1 and vanishes for γ < 1.
  const [c, s] = [Math.cos(0.5), Math.sin(0.5)];
  const Q = nd.array(
    [
      [c, -s, 0],
      [s, c, 0],
      [0, 0, 1],
    ],
    f64,
  );
  const powers = [1, 5, 10, 20, 50];
  const powerNorms: { gamma: number; norms: number[] }[] = [];
  for (const gamma of [0.9, 1, 1.1]) {
    const norms = powers.map((k) => matrixPower(Q.T.mul(gamma), k).norm().asScalar());
    powerNorms.push({ gamma, norms });
    print(`W_hh = ${gamma} Q: ‖(W_hhᵀ)^k‖_F for k = ${powers.join(', ')}: ${norms.map((n) => n.toExponential(3)).join(', ')}`);
  }
  // The hand-set W_hh above: its powers shrink, so the early steps' gradients get little of the
  // late losses.
  const handSet = powers.map((k) => matrixPower(Whh.T, k).norm().asScalar());
  print(`the model's W_hh: ‖(W_hhᵀ)^k‖_F for k = ${powers.join(', ')}: ${handSet.map((n) => n.toExponential(3)).join(', ')}`);
  return { lines, autogradDiff, closedFormDiff, powerNorms, powers };
}

runIfMain(import.meta.url, run);
