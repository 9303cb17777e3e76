/**
 * # 10.11 Attention mechanisms (注意力机制)
 *
 * The book's section is text and formulas. The decoder of 10.9 gets one context vector c for the
 * whole input; with attention it gets a new one at every time step t′, a weighted average of the
 * encoder's hidden states h_1..h_T:
 *   c_{t′} = Σ_t α_{t′t} h_t,   α_{t′t} = exp(e_{t′t}) / Σ_k exp(e_{t′k}),   e_{t′t} = a(s_{t′−1}, h_t),
 * so the weights α_{t′·} are a softmax: positive and summing to 1. The score function a can be
 * the dot product a(s, h) = sᵀh or a one-hidden-layer MLP a(s, h) = vᵀ tanh(W_s s + W_h h). In
 * vectorized form (矢量化计算) the decoder states are queries Q, the encoder states are keys K and
 * values V, and all context vectors at once are softmax(Q Kᵀ) V for the dot-product score.
 *
 * This program computes each formula on small hand-set tensors and checks it: the weights sum to
 * 1, the context vector equals the weighted sum, the vectorized form equals the per-query loop,
 * and the book's `attention_model`/`attention_forward` (10.12, here `d2l.attentionModel` and
 * `d2l.attentionForward`) compute the MLP score when given W_h, W_s and v as their weights.
 *
 * Run it: `d2l-ts run attention` or `node dist/chapters/attention.js`.
 */
import { nd, d2l, gluon, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyShape } from './pyrepr.js';

export const meta = {
  slug: 'attention',
  title: '10.11 注意力机制 (attention mechanisms)',
};

export interface AttentionResult {
  lines: string[];
  /** The attention weights of the dot-product and MLP scores, (T,) each. */
  alphaDot: number[];
  alphaMlp: number[];
  /** The largest |difference| of each check: Σα vs 1, Σ α h vs the context, vectorized vs loop, d2l vs formula. */
  errors: { weightSums: number; contextSum: number; vectorized: number; attentionForward: number };
}

function row(values: number[]): string {
  return `[${values.map((v) => v.toFixed(4)).join(', ')}]`;
}

function maxAbsDiff(a: NDArray, b: NDArray): number {
  return a.sub(b).abs().max().asScalar();
}

/** The context vector Σ_t α_t h_t of one query, written as the sum it is. */
function weightedSum(alpha: number[], H: NDArray): NDArray {
  let c = nd.zeros([H.shape[1]]);
  alpha.forEach((a, t) => (c = c.add(H.get(t).mul(a))));
  return c;
}

/**
 * Runs 10.11: the dot-product and MLP attention of one decoder state over four encoder states,
 * the vectorized form, and the book's batched attention on the same numbers.
 *
 * @example
 * const { errors } = await run();
 * errors.weightSums < 1e-6; // true
 */
export async function run(opts: ChapterOptions = {}): Promise<AttentionResult> {
  const { print, lines } = startRun(opts);

  // ## Computing the context vector: T = 4 encoder states h_t and a decoder state s_{t′−1}, h = 3.
  const H = nd.array([
    [0.1, 0.5, -0.3],
    [0.8, -0.2, 0.4],
    [-0.5, 0.3, 0.9],
    [0.2, 0.7, 0.1],
  ]);
  const s = nd.array([0.6, -0.4, 0.2]);
  const T = H.shape[0];
  print(`encoder states H ${pyShape(H.shape)}, decoder state s ${pyShape(s.shape)}`);

  // The dot-product score e_t = sᵀ h_t, its softmax over the T steps, and the context vector.
  const eDot = nd.dot(H, s);
  const alphaDot = nd.softmax(eDot, { axis: 0 }).toArray() as number[];
  const cDot = weightedSum(alphaDot, H);
  print(`dot-product scores e = ${row(eDot.toArray() as number[])}`);
  print(`α = softmax(e) = ${row(alphaDot)}, Σα = ${alphaDot.reduce((x, y) => x + y, 0).toFixed(6)}`);
  print(`c = Σ_t α_t h_t = ${row(cDot.toArray() as number[])}`);

  // The MLP score a(s, h_t) = vᵀ tanh(W_s s + W_h h_t), attention size 2.
  const Ws = nd.array([
    [0.5, -0.1, 0.3],
    [-0.4, 0.6, 0.2],
  ]);
  const Wh = nd.array([
    [0.2, 0.7, -0.5],
    [0.9, -0.3, 0.1],
  ]);
  const v = nd.array([1.5, -0.8]);
  const eMlp = nd.array(
    Array.from({ length: T }, (_, t) =>
      nd
        .dot(
          v,
          nd
            .dot(Ws, s)
            .add(nd.dot(Wh, H.get(t)))
            .tanh(),
        )
        .asScalar(),
    ),
  );
  const alphaMlp = nd.softmax(eMlp, { axis: 0 }).toArray() as number[];
  const cMlp = weightedSum(alphaMlp, H);
  print(`MLP scores e = ${row(eMlp.toArray() as number[])}`);
  print(`α = softmax(e) = ${row(alphaMlp)}, Σα = ${alphaMlp.reduce((x, y) => x + y, 0).toFixed(6)}`);
  print(`c = Σ_t α_t h_t = ${row(cMlp.toArray() as number[])}`);
  const weightSums = Math.max(...[alphaDot, alphaMlp].map((a) => Math.abs(a.reduce((x, y) => x + y, 0) - 1)));
  // The context vector is a convex combination: it equals αᵀ H as one product.
  const contextSum = Math.max(maxAbsDiff(nd.dot(nd.array(alphaDot), H), cDot), maxAbsDiff(nd.dot(nd.array(alphaMlp), H), cMlp));

  // ## Vectorized computation: two queries (s and a second decoder state) at once,
  // softmax(Q Kᵀ) V with K = V = H, against the per-query computation above.
  const Q = nd.stack([s, nd.array([-0.2, 0.9, 0.4])]);
  const C = nd.dot(nd.softmax(nd.dot(Q, H.T), { axis: 1 }), H);
  print(`Q ${pyShape(Q.shape)}, K = V = H ${pyShape(H.shape)}: softmax(Q Kᵀ) V ${pyShape(C.shape)}`);
  const second = weightedSum(nd.softmax(nd.dot(H, Q.get(1)), { axis: 0 }).toArray() as number[], H);
  const vectorized = Math.max(maxAbsDiff(C.get(0), cDot), maxAbsDiff(C.get(1), second));
  print(`row 0 = ${row(C.get(0).toArray() as number[])}, row 1 = ${row(C.get(1).toArray() as number[])}`);

  // ## The book's attention model (10.12): Dense(2, tanh, no bias) on [h_t, s] then Dense(1),
  // i.e. W = [W_h, W_s] and v. On a batch of 2 (the second example: the states reversed in time
  // and the second query), attention_forward gives each example's MLP context vector.
  const model = d2l.attentionModel(2);
  model.initialize();
  const encStates = nd.stack([H, H.get('::-1')], { axis: 1 }); // (T, batch, h)
  const decStates = Q; // (batch, h)
  d2l.attentionForward(model, encStates, decStates); // shapes the deferred parameters
  model.get<gluon.nn.Dense>(0).weight.setData(nd.concat([Wh, Ws], { dim: 1 }));
  model.get<gluon.nn.Dense>(1).weight.setData(v.reshape([1, 2]));
  const batched = d2l.attentionForward(model, encStates, decStates);
  print(
    `attention_forward: encoder states ${pyShape(encStates.shape)}, decoder states ${pyShape(decStates.shape)} -> ${pyShape(batched.shape)}`,
  );
  const H2 = encStates.get(':, 1');
  const q2 = Q.get(1);
  const e2 = Array.from({ length: T }, (_, t) =>
    nd
      .dot(
        v,
        nd
          .dot(Ws, q2)
          .add(nd.dot(Wh, H2.get(t)))
          .tanh(),
      )
      .asScalar(),
  );
  const c2 = weightedSum(nd.softmax(nd.array(e2), { axis: 0 }).toArray() as number[], H2);
  const attentionForward = Math.max(maxAbsDiff(batched.get(0), cMlp), maxAbsDiff(batched.get(1), c2));
  print(
    `example 0 = ${row(batched.get(0).toArray() as number[])} (the MLP c above), example 1 = ${row(batched.get(1).toArray() as number[])}`,
  );

  const errors = { weightSums, contextSum, vectorized, attentionForward };
  print(
    `checks: |Σα − 1| ${weightSums.toExponential(1)}, |αᵀH − c| ${contextSum.toExponential(1)}, ` +
      `|vectorized − loop| ${vectorized.toExponential(1)}, |attention_forward − formula| ${attentionForward.toExponential(1)}`,
  );
  return { lines, alphaDot, alphaMlp, errors };
}

runIfMain(import.meta.url, run);
