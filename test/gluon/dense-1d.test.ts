// nn.Dense on a 1-D input (book 4.6: `net(y)` with y = nd.array([1, 2, 3])): as MXNet's
// FullyConnected with flatten, n values are n samples of one feature; a 0-d input is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, gluon, ShapeError } from '../../src/index.js';

test('Dense on shape (n,) is n samples of one feature: output (n, units); a 0-d input is a ShapeError', () => {
  const dense = new gluon.nn.Dense(2);
  dense.initialize();
  const y = dense.forward(nd.array([1, 2, 3]));
  assert.deepEqual(y.shape, [3, 2]);
  assert.deepEqual(dense.weight.data().shape, [2, 1]);
  const w = dense.weight.data().dataSync();
  const out = y.dataSync();
  for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) assert.ok(Math.abs(out[i * 2 + j] - (i + 1) * w[j]) < 1e-6);
  assert.throws(
    () => dense.forward(nd.array(5)),
    (e: Error) => e instanceof ShapeError && /at least 1-D\), got shape \(\)/.test(e.message),
  );
});
