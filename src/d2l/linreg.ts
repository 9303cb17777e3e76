/**
 * The book's 3.2 helpers (d2lzh `data_iter`, `linreg`, `squared_loss`, `sgd`), in camelCase.
 */
import { ValueError } from '../core/errors.js';
import { globalRandom } from '../ndarray/random.js';
import type { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';

/**
 * Yields shuffled minibatches `[features.take(j), labels.take(j)]` of `batchSize` examples; the last
 * batch may be short (d2lzh `data_iter`). The shuffle draws from the library's seeded generator
 * (`nd.random.seed`). Each batch is a new pair of arrays, which need no freeing: as in the book,
 * the loop just drops them.
 *
 * @example
 * for (const [X, y] of d2l.dataIter(10, features, labels)) {
 *   console.log(X.toString(), y.toString());
 *   break;
 * }
 */
export function* dataIter(batchSize: number, features: NDArray, labels: NDArray): Generator<[NDArray, NDArray]> {
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw new ValueError(`dataIter: batchSize must be a positive integer, got ${batchSize}`);
  const numExamples = features.shape[0];
  if (labels.shape[0] !== numExamples)
    throw new ValueError(`dataIter: features have ${numExamples} examples but labels have ${labels.shape[0]}`);
  const indices = Array.from(globalRandom.permutation(numExamples));
  for (let i = 0; i < numExamples; i += batchSize) {
    const j = indices.slice(i, Math.min(i + batchSize, numExamples));
    yield [features.take(j), labels.take(j)];
  }
}

/**
 * The linear regression model `X w + b` (d2lzh `linreg`).
 *
 * @example
 * const yHat = d2l.linreg(nd.ones([4, 2]), nd.array([[2], [-3.4]]), nd.array([4.2]));
 */
export function linreg(X: NDArray, w: NDArray, b: NDArray): NDArray {
  return nd.dot(X, w).add(b);
}

/**
 * Half the squared error, elementwise and not averaged: `(yHat - y.reshape(yHat.shape))^2 / 2`
 * (d2lzh `squared_loss`).
 *
 * @example
 * d2l.squaredLoss(nd.array([[1], [2]]), nd.array([0, 0])); // [[0.5], [2.]]
 */
export function squaredLoss(yHat: NDArray, y: NDArray): NDArray {
  return yHat.sub(y.reshape(yHat.shape)).square().div(2);
}

/**
 * Minibatch stochastic gradient descent, in place: `param[:] = param - lr * param.grad / batchSize`
 * for every parameter (d2lzh `sgd`). Call it outside `autograd.record()`.
 *
 * @example
 * const l = autograd.record(() => d2l.squaredLoss(d2l.linreg(X, w, b), y));
 * l.backward();
 * d2l.sgd([w, b], 0.03, 10);
 */
export function sgd(params: readonly NDArray[], lr: number, batchSize: number): void {
  if (!(batchSize > 0)) throw new ValueError(`sgd: batchSize must be positive, got ${batchSize}`);
  for (const param of params) param.isub(param.grad.mul(lr / batchSize));
}

/**
 * Synthetic linear-regression data as in 3.2: features ~ N(0, 1) of shape (numExamples, w.length),
 * labels = X w + b plus N(0, noise) noise (the book uses noise 0.01).
 *
 * @example
 * const [features, labels] = d2l.syntheticData([2, -3.4], 4.2, 1000);
 */
export function syntheticData(trueW: readonly number[], trueB: number, numExamples: number, noise = 0.01): [NDArray, NDArray] {
  const features = nd.random.normal(0, 1, [numExamples, trueW.length]);
  const w = nd.array([...trueW]);
  let labels = nd.dot(features, w).add(trueB);
  labels = labels.add(nd.random.normal(0, noise, labels.shape));
  return [features, labels];
}
