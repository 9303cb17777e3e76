import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, d2l } from '../../src/index.js';
import { assertClose } from '../helpers.js';

// Deterministic checks of 3.6 (reference §7).
const yHat = () =>
  nd.array([
    [0.1, 0.3, 0.6],
    [0.3, 0.2, 0.5],
  ]);

test('3.6: nd.pick(y_hat, [0, 2]) gives [0.1 0.5]', () => {
  const p = nd.pick(yHat(), nd.array([0, 2], { dtype: 'int32' }));
  assertClose(p, [0.1, 0.5]);
  assert.match(p.toString(), /\[0\.1 0\.5\]\n<NDArray 2 @cpu\(0\)>/);
});

test('3.6: accuracy(y_hat, y) is 0.5', () => {
  assert.equal(d2l.accuracy(yHat(), nd.array([0, 2], { dtype: 'int32' })), 0.5);
  assert.equal(d2l.accuracy(yHat(), nd.array([0, 2])), 0.5, 'float labels too');
  assert.equal(d2l.accuracy(yHat(), nd.array([2, 2])), 1);
  const c = d2l.correctCount(yHat(), nd.array([0, 2]));
  assert.deepEqual(c.shape, []);
  assert.equal(c.asScalar(), 1);
});

test('3.6: sums over axes keep dims as in the book', () => {
  const X = nd.array([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const s0 = X.sum({ axis: 0, keepdims: true });
  const s1 = X.sum({ axis: 1, keepdims: true });
  assert.deepEqual(s0.toArray(), [[5, 7, 9]]);
  assert.deepEqual(s1.toArray(), [[6], [15]]);
  assert.match(s0.toString(), /\[\[5\. 7\. 9\.\]\]/);
});

test('3.6: rows of the book softmax sum to 1', () => {
  nd.random.seed(2);
  const X = nd.random.normal(0, 1, [2, 5]);
  const e = X.exp();
  const p = e.div(e.sum({ axis: 1, keepdims: true }));
  assertClose(p.sum({ axis: 1 }), [1, 1], 1e-6);
  assert.ok(Array.from(p.dataSync()).every((v) => v > 0));
});

test('Accumulator sums on the device and reads once', async () => {
  const acc = new d2l.Accumulator(2);
  acc.add(nd.array([1, 2, 3]), 4);
  acc.add(nd.array(5), nd.array([1]));
  assert.deepEqual(await acc.read(), [11, 5]);
  assert.deepEqual(acc.readSync(), [11, 5]);
  acc.reset();
  assert.deepEqual(await acc.read(), [0, 0]);
  assert.throws(() => acc.add(1), /expected 2 values, got 1/);
  acc.dispose();
  const empty = new d2l.Accumulator(1);
  assert.deepEqual(await empty.read(), [0]);
});

test('Accumulator does not grow memory per add', () => {
  const acc = new d2l.Accumulator(1);
  acc.add(nd.ones([3]));
  const before = nd.memory().arrays;
  for (let i = 0; i < 50; i++) nd.tidy(() => acc.add(nd.ones([3])));
  assert.equal(nd.memory().arrays, before);
  assert.equal(acc.readSync()[0], 153);
  acc.dispose();
});

test('Timer measures and records', async () => {
  const t = new d2l.Timer();
  await new Promise((r) => setTimeout(r, 20));
  const s = t.stop();
  assert.ok(s >= 0.015 && s < 5, `${s}`);
  assert.equal(t.all.length, 1);
  assert.equal(t.avg(), s);
  t.restart();
  assert.ok(t.elapsed() < s);
});
