// nn.BatchNorm's training forward as one taped op (src/ops/batch-norm.ts) against the same
// normalisation composed from primitives and taped op by op: outputs, the three gradients, the
// running statistics and a second-order gradient, on the reference kernels and the Wasm path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, gluon, type NDArray } from '../../src/index.js';
import { batchNormTrain } from '../../src/ops/batch-norm.js';
import { ShapeError } from '../../src/core/errors.js';
import { assertClose, withKernels } from '../helpers.js';

/** The composed training-mode batch norm (the layer's formula, taped op by op). */
function composed(x: NDArray, gamma: NDArray, beta: NDArray, eps: number): NDArray {
  const red = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const b = x.shape.map((d, i) => (i === 1 ? d : 1));
  const mean = x.mean({ axis: red, keepdims: true });
  const xc = x.sub(mean);
  const variance = xc.square().mean({ axis: red, keepdims: true });
  return xc.div(variance.add(eps).sqrt()).mul(gamma.reshape(b)).add(beta.reshape(b));
}

function run(fused: boolean, shape: number[]): Float32Array[] {
  nd.random.seed(5);
  const x = nd.random.normal(1, 2, shape);
  const C = shape[1];
  const gamma = nd.random.normal(1, 0.5, [C]);
  const beta = nd.random.normal(0, 1, [C]);
  const head = nd.random.normal(0, 1, shape);
  for (const p of [x, gamma, beta]) p.attachGrad();
  const y = autograd.record(() => (fused ? batchNormTrain(x, gamma, beta, 1e-5).y : composed(x, gamma, beta, 1e-5)));
  autograd.backward([y], { headGrads: [head] });
  return [y, x.grad, gamma.grad, beta.grad].map((a) => a.dataSync() as Float32Array);
}

for (const mode of ['ts', 'wasm'] as const)
  test(`batchNormTrain = the composed batch norm, forward and gradients (${mode})`, () => {
    withKernels(mode, () => {
      for (const shape of [
        [4, 3, 5, 6],
        [2, 5, 3],
        [7, 4],
      ]) {
        const f = run(true, shape);
        const c = run(false, shape);
        f.forEach((a, i) => assertClose(a, c[i], 2e-4, `${shape.join('x')} result ${i}`));
      }
    });
  });

test('nn.BatchNorm: the fused training path keeps the running statistics of the composed one', () => {
  nd.random.seed(6);
  const x = nd.random.normal(2, 3, [6, 4, 3, 3]);
  const fused = new gluon.nn.BatchNorm();
  const plain = new gluon.nn.BatchNorm({ axis: -3 }); // axis -3 is 1 here, but takes the composed path
  fused.initialize();
  plain.initialize();
  autograd.record(() => fused.forward(x));
  autograd.record(() => plain.forward(x));
  assertClose(fused.runningMean.data(), plain.runningMean.data(), 1e-5, 'running mean');
  assertClose(fused.runningVar.data(), plain.runningVar.data(), 1e-5, 'running var');
});

test('batchNormTrain: the gradient is itself differentiable (second order, against finite differences)', () => {
  // f(x) = |d(y·w)/dx|², its gradient by a recorded backward pass and by central differences of f
  // (float64). The scale invariance of batch norm makes f ∝ 1/|x|², so the gradient is not zero.
  nd.random.seed(7);
  const shape = [3, 2, 4];
  const x0 = Float64Array.from(nd.random.normal(0, 1, shape).dataSync());
  const w = nd.random.normal(0, 1, shape, { dtype: 'float64' });
  const gamma = nd.ones([2], { dtype: 'float64' });
  const beta = nd.zeros([2], { dtype: 'float64' });
  const f = (xv: Float64Array): number => {
    const x = nd.array(xv, { shape, dtype: 'float64' });
    x.attachGrad();
    autograd.record(() => batchNormTrain(x, gamma, beta, 1e-5).y.mul(w).sum()).backward();
    let s = 0;
    for (const v of x.grad.dataSync()) s += v * v;
    return s;
  };
  const x = nd.array(x0, { shape, dtype: 'float64' });
  x.attachGrad();
  autograd
    .record(() => {
      const [g] = autograd.grad([batchNormTrain(x, gamma, beta, 1e-5).y.mul(w).sum()], [x], { createGraph: true });
      return g.square().sum();
    })
    .backward();
  const analytic = x.grad.dataSync();
  const h = 1e-5;
  for (const i of [0, 5, 13, 23]) {
    const a = x0.slice();
    const b = x0.slice();
    a[i] += h;
    b[i] -= h;
    const fd = (f(a) - f(b)) / (2 * h);
    assert.ok(Math.abs(analytic[i] - fd) <= 1e-5 * (1 + Math.abs(fd)), `element ${i}: ${analytic[i]} vs finite differences ${fd}`);
  }
});

test('batchNormTrain: bad shapes name the op and the shapes', () => {
  assert.throws(
    () => batchNormTrain(nd.ones([2, 3, 4]), nd.ones([2]), nd.ones([3]), 1e-5),
    (e: unknown) => {
      assert.ok(e instanceof ShapeError);
      assert.match((e as Error).message, /batchNorm: .*x \(2, 3, 4\), gamma \(2,\), beta \(3,\)/);
      return true;
    },
  );
});
