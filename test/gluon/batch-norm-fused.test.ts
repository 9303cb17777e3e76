// nn.BatchNorm's training forward as one taped op (src/ops/batch-norm.ts) against the same
// normalisation composed from primitives and taped op by op: outputs, the three gradients, the
// running statistics and a second-order gradient, on the reference kernels and the Wasm path
// (where the CPU backend's fused kernels, kernels/channel.ts bn_fwd_f32 / bn_bwd_f32, run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, gluon, type NDArray } from '../../src/index.js';
import { batchNormTrain } from '../../src/ops/batch-norm.js';
import { ShapeError } from '../../src/core/errors.js';
import { assertClose, withKernels } from '../helpers.js';
import { getCpuBackend } from '../../src/backend/registry.js';

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
        [3, 1, 7, 5], // one channel, rows that are not a multiple of the 4-wide vectors
        [16, 24, 9, 9], // large enough to split the channels over the threads
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

/** Counts the calls of the backend's fused batch-norm kernels that ran (returned true) during fn. */
function countFused(fn: () => void): { forward: number; grad: number } {
  const be = getCpuBackend();
  const fwd = be.batchNorm;
  const bwd = be.batchNormGrad;
  const n = { forward: 0, grad: 0 };
  be.batchNorm = (...a) => {
    const ok = fwd.apply(be, a);
    n.forward += ok ? 1 : 0;
    return ok;
  };
  be.batchNormGrad = (...a) => {
    const ok = bwd.apply(be, a);
    n.grad += ok ? 1 : 0;
    return ok;
  };
  try {
    fn();
  } finally {
    be.batchNorm = fwd;
    be.batchNormGrad = bwd;
  }
  return n;
}

test('batchNormTrain: the Wasm path runs the fused kernels, and falls back where they do not apply', () => {
  withKernels('wasm', () => {
    nd.random.seed(8);
    const gamma = nd.random.normal(1, 0.5, [3]);
    const beta = nd.random.normal(0, 1, [3]);
    const train = (x: NDArray) => {
      x.attachGrad();
      autograd.record(() => batchNormTrain(x, gamma, beta, 1e-5).y.square().sum()).backward();
      return x.grad.dataSync();
    };
    // Dense float32: both kernels run.
    const x = nd.random.normal(0, 1, [4, 3, 5]);
    assert.deepEqual(
      countFused(() => train(x)),
      { forward: 1, grad: 1 },
    );
    // A transposed view (not contiguous) takes the composed path, with the same numbers.
    const xt = nd.random.normal(0, 1, [5, 3, 4]).transpose([2, 1, 0]);
    let viaView: ArrayLike<number> = [];
    assert.deepEqual(
      countFused(() => (viaView = train(xt))),
      { forward: 0, grad: 0 },
    );
    assertClose(viaView, train(xt.copy()), 2e-5, 'transposed view against its dense copy');
    // float64 has no fused kernel: the composed path.
    const x64 = nd.random.normal(0, 1, [4, 3, 5], { dtype: 'float64' });
    const g64 = gamma.astype('float64');
    const b64 = beta.astype('float64');
    assert.deepEqual(
      countFused(() => {
        x64.attachGrad();
        autograd.record(() => batchNormTrain(x64, g64, b64, 1e-5).y.sum()).backward();
      }),
      { forward: 0, grad: 0 },
    );
    // A recorded backward pass (createGraph) composes the gradient, so that it is differentiable.
    const x2 = nd.random.normal(0, 1, [4, 3, 5]);
    x2.attachGrad();
    const n = countFused(() => {
      autograd.grad([autograd.record(() => batchNormTrain(x2, gamma, beta, 1e-5).y.square().sum())], [x2], { createGraph: true });
    });
    assert.deepEqual(n, { forward: 1, grad: 0 });
  });
});
