import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nd from '../../src/ndarray/nd.js';
import * as autograd from '../../src/autograd/index.js';
import { clipGlobalNorm } from '../../src/gluon/utils.js';

const near = (a: ArrayLike<number>, b: number[], tol = 1e-6) =>
  Array.from(a).forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol * (1 + Math.abs(b[i])), `[${i}] ${v} vs ${b[i]}`));

test('clipGlobalNorm returns the total norm and scales every array by maxNorm / (norm + 1e-8) when above', () => {
  const a = nd.array([3, 0]);
  const b = nd.array([[0, 4]]);
  const norm = clipGlobalNorm([a, b], 1);
  assert.ok(Math.abs(norm - 5) < 1e-6);
  const s = 1 / (5 + 1e-8);
  near(a.dataSync(), [3 * s, 0]);
  near(b.dataSync(), [0, 4 * s]);
});

test('clipGlobalNorm leaves arrays alone when the norm is within maxNorm', () => {
  const a = nd.array([0.3, -0.4]);
  const n = clipGlobalNorm([a], 1);
  assert.ok(Math.abs(n - 0.5) < 1e-6);
  near(a.dataSync(), [Math.fround(0.3), Math.fround(-0.4)], 0);
});

test('clipGlobalNorm with checkIsfinite: false returns a 0-d NDArray and still clips', () => {
  const a = nd.array([6, 8], { dtype: 'float64' });
  const n = clipGlobalNorm([a], 5, { checkIsfinite: false });
  assert.deepEqual(n.shape, []);
  near([n.asScalar()], [10]);
  near(a.dataSync(), [3, 4], 1e-8);
});

test('clipGlobalNorm clips parameter gradients in place (the book grad_clipping), keeping their identity', () => {
  const w = nd.array([1, 2]);
  w.attachGrad();
  const l = autograd.record(() => w.mul(nd.array([30, 40])).sum());
  l.backward();
  const g = w.grad;
  const n = clipGlobalNorm([w.grad], 10);
  assert.ok(Math.abs(n - 50) < 1e-4);
  assert.equal(w.grad, g);
  near(w.grad.dataSync(), [6, 8], 1e-5);
});

test('clipGlobalNorm warns on a non-finite norm, errors on bad arguments, and frees its temporaries', () => {
  const warnings: string[] = [];
  const onWarn = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarn);
  const a = nd.array([Infinity, 1]);
  const n = clipGlobalNorm([a], 1);
  assert.equal(n, Infinity);
  assert.throws(() => clipGlobalNorm([], 1), /clipGlobalNorm: expected a non-empty list of arrays/);
  assert.throws(() => clipGlobalNorm([nd.array([1])], 0), /maxNorm must be a positive number, got 0/);
  assert.throws(() => clipGlobalNorm([nd.array([1], { dtype: 'int32' })], 1), /int32; only float arrays can be scaled/);
  const xs = [nd.random.normal(0, 1, [10, 10]), nd.random.normal(0, 1, [5])];
  clipGlobalNorm(xs, 0.1);
  const before = nd.memory();
  for (let i = 0; i < 20; i++) clipGlobalNorm(xs, 0.1);
  const after = nd.memory();
  assert.ok(after.arrays <= before.arrays);
  assert.equal(after.bytes, before.bytes);
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      process.off('warning', onWarn);
      assert.ok(
        warnings.some((w) => /nan or inf is detected/.test(w)),
        `warnings: ${warnings}`,
      );
      resolve();
    }),
  );
});
