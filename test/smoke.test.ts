import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd } from '../src/index.js';

test('README example: the gradient of 2 x^T x is 4x', () => {
  const x = nd.arange(4).reshape([4, 1]);
  x.attachGrad();
  const y = autograd.record(() => nd.dot(x.T, x).mul(2));
  y.backward();
  assert.deepEqual(x.grad.toArray(), [[0], [4], [8], [12]]);
});
