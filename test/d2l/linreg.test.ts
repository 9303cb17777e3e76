import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, d2l } from '../../src/index.js';
import { assertClose } from '../helpers.js';

test('dataIter: shuffled minibatches covering every example once, the last one short', () => {
  nd.random.seed(3);
  const features = nd.arange(23).reshape([23, 1]);
  const labels = nd.arange(23);
  const seen: number[] = [];
  const sizes: number[] = [];
  for (const [X, y] of d2l.dataIter(5, features, labels)) {
    assert.deepEqual(X.shape.slice(1), [1]);
    assert.deepEqual(Array.from(X.dataSync()), Array.from(y.dataSync()), 'features and labels stay paired');
    seen.push(...Array.from(y.dataSync()));
    sizes.push(y.shape[0]);
    X.dispose();
    y.dispose();
  }
  assert.deepEqual(sizes, [5, 5, 5, 5, 3]);
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    Array.from({ length: 23 }, (_, i) => i),
  );
  assert.notDeepEqual(
    seen,
    Array.from({ length: 23 }, (_, i) => i),
    'order is shuffled',
  );
});

test('dataIter: the same seed gives the same order; bad arguments are clear errors', () => {
  const f = nd.arange(10).reshape([10, 1]);
  const l = nd.arange(10);
  const order = (): number[] => {
    nd.random.seed(11);
    return [...d2l.dataIter(4, f, l)].flatMap(([, y]) => Array.from(y.dataSync()));
  };
  assert.deepEqual(order(), order());
  assert.throws(() => [...d2l.dataIter(0, f, l)], /batchSize must be a positive integer/);
  assert.throws(() => [...d2l.dataIter(2, f, nd.arange(3))], /10 examples but labels have 3/);
});

test('linreg, squaredLoss and sgd compute the book formulas', () => {
  const X = nd.array([
    [1, 2],
    [3, 4],
  ]);
  const w = nd.array([[2], [-3.4]]);
  const b = nd.array([4.2]);
  assertClose(d2l.linreg(X, w, b), [[2 - 6.8 + 4.2], [6 - 13.6 + 4.2]]);
  // squared loss: half the squared error, y reshaped to yHat's shape, not averaged
  assertClose(d2l.squaredLoss(nd.array([[1], [2]]), nd.array([0, 0])), [[0.5], [2]]);
  // sgd: param -= lr * grad / batchSize, in place
  const p = nd.array([1, 2]);
  p.attachGrad();
  const before = p;
  autograd.record(() => p.square().sum()).backward(); // grad = 2p = [2, 4]
  d2l.sgd([p], 0.5, 2);
  assert.equal(p, before);
  assertClose(p, [1 - 0.5, 2 - 1]);
  assert.throws(() => d2l.sgd([p], 0.1, 0), /batchSize must be positive/);
});

test('syntheticData: shapes and the true relation', () => {
  nd.random.seed(1);
  const [features, labels] = d2l.syntheticData([2, -3.4], 4.2, 500, 0);
  assert.deepEqual(features.shape, [500, 2]);
  assert.deepEqual(labels.shape, [500]);
  const f = features.toArray() as number[][];
  const l = labels.dataSync();
  for (let i = 0; i < 5; i++) assert.ok(Math.abs(l[i] - (2 * f[i][0] - 3.4 * f[i][1] + 4.2)) < 1e-4);
});

test('linear regression with the d2l helpers reaches the book band in 3 epochs (3.2)', () => {
  nd.random.seed(42);
  const [features, labels] = d2l.syntheticData([2, -3.4], 4.2, 1000);
  const w = nd.random.normal(0, 0.01, [2, 1]);
  const b = nd.zeros([1]);
  w.attachGrad();
  b.attachGrad();
  const before = nd.memory().arrays;
  let loss = Infinity;
  for (let epoch = 0; epoch < 3; epoch++) {
    for (const [X, y] of d2l.dataIter(10, features, labels)) {
      nd.tidy(() => {
        const l = autograd.record(() => d2l.squaredLoss(d2l.linreg(X, w, b), y));
        l.backward();
        d2l.sgd([w, b], 0.03, 10);
      });
      X.dispose();
      y.dispose();
    }
    loss = nd.tidy(() =>
      d2l
        .squaredLoss(d2l.linreg(features, w, b), labels)
        .mean()
        .asScalar(),
    );
  }
  assert.ok(nd.memory().arrays - before <= 2, 'training leaves no arrays behind');
  assert.ok(loss < 1e-4, `epoch-3 loss ${loss}`);
  assertClose(w, [[2], [-3.4]], 1e-2);
  assertClose(b, [4.2], 1e-2);
});
