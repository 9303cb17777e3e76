/**
 * # 3.4 Softmax regression (softmax回归)
 *
 * Linear regression predicts a continuous value; for a discrete class, such as which of cat, dog
 * or chicken an image shows, softmax regression has one output per class, o_i = x W_i + b_i, all
 * computed from the same inputs (a single fully connected layer). The book's section is text and
 * equations; this program computes its examples with NDArray, so each claim can be checked.
 *
 * Run it: `d2l-ts run softmax-regression`.
 */
import { nd, type NDArray } from '../src/index.js';
import { pyFloat32 } from './pyrepr.js';
import { runIfMain, startRun, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'softmax-regression',
  title: '3.4 softmax回归 (softmax regression)',
};

/** The softmax operator over the last axis: exp(o_i) / Σ_j exp(o_j). */
function softmax(O: NDArray): NDArray {
  const E = O.exp();
  return E.div(E.sum({ axis: -1, keepdims: true }));
}

const fmt = (xs: ArrayLike<number>) => `[${Array.from(xs, (v) => pyFloat32(v)).join(', ')}]`;

export async function run(opts: ChapterOptions = {}): Promise<{ lines: string[] }> {
  const { print, lines } = startRun(opts);

  // ## Outputs as classes
  // With outputs o1, o2, o3 = 0.1, 10, 0.1 the largest, o2, names the predicted class. But the raw
  // outputs are hard to read as confidences: 10 means "very likely" here, and "very unlikely" when
  // the other two are 1000.
  const o = nd.array([0.1, 10, 0.1]);
  print('outputs', fmt(o.dataSync()), '-> predicted class', o.argmax().asScalar() + 1);

  // ## The softmax operator
  // softmax turns the outputs into a probability distribution: positive, summing to 1, and with
  // the same argmax, so the predicted class does not change.
  const yHat = softmax(o);
  print('softmax', fmt(yHat.dataSync()), 'sum', pyFloat32(yHat.sum().asScalar()));
  print('argmax unchanged:', yHat.argmax().asScalar() === o.argmax().asScalar() ? 'True' : 'False');
  // Shifting every output by the same constant leaves softmax unchanged (it cancels in the
  // ratio), which is why an implementation may subtract the largest output first.
  print('softmax of o - 10', fmt(softmax(o.sub(10)).dataSync()));

  // ## Vectorised over a minibatch
  // For a minibatch X of n examples, O = XW + b is n x q and softmax works row by row.
  const O = nd.array([
    [0.1, 10, 0.1],
    [2, 1, 0.1],
  ]);
  const Y = softmax(O);
  print('row sums', fmt(Y.sum({ axis: 1 }).dataSync()));

  // ## The cross-entropy loss
  // With a one-hot label vector y, the cross-entropy -Σ_j y_j log ŷ_j keeps only the predicted
  // probability of the true class: -log ŷ_y. It is small when that probability is near 1.
  const labels = [1, 0];
  const losses = labels.map((y, i) => -Math.log(Y.get(`${i}, ${y}`).asScalar()));
  print('cross-entropy per example', fmt(losses));
  print('mean loss', pyFloat32(losses.reduce((a, b) => a + b, 0) / losses.length));

  // ## Classification accuracy
  // The fraction of examples whose predicted class (the argmax) is the true one.
  const predicted = Y.argmax({ axis: 1 }).toArray() as number[];
  const acc = predicted.filter((p, i) => p === labels[i]).length / labels.length;
  print('predicted', `[${predicted.join(', ')}]`, 'labels', `[${labels.join(', ')}]`, 'accuracy', acc);
  return { lines };
}

runIfMain(import.meta.url, run);
