// The accumulating matmul (Backend.matmulAdd: out += x·y, GEMM with beta = 1) on every CPU path,
// and its use by backward: a weight multiplied at many time steps (an RNN) sums its gradient
// inside the GEMMs instead of adding a new product per step. Results must equal the TS reference.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, gluon, type NDArray } from '../../src/index.js';
import { getCpuBackend } from '../../src/backend/registry.js';
import type { CpuKernelMode } from '../../src/backend/cpu/cpu-backend.js';
import { blasAvailable } from '../../src/backend/cpu/blas/index.js';
import { assertClose, requireResource, withKernels } from '../helpers.js';

const be = getCpuBackend();
const ADDON = 'the OpenBLAS addon build/Release/d2l_blas.node (npm run build:blas)';

/** The fast paths to check: wasm always (Node 20 has SIMD), blas when the addon is built. */
function fastModes(t: TestContext): CpuKernelMode[] {
  const modes: CpuKernelMode[] = ['wasm'];
  if (requireResource(t, blasAvailable(), ADDON)) modes.push('blas');
  return modes;
}

test('matmulAdd adds x·y into out on the wasm and blas paths, for every layout', (t) => {
  nd.random.seed(3);
  const cases: [number, number, number][] = [
    [5, 7, 3],
    [33, 70, 17],
    [64, 300, 129],
    [256, 32, 300],
    [300, 50, 10],
    [784, 256, 10],
  ];
  for (const mode of fastModes(t)) {
    for (const [m, k, n] of cases) {
      for (const [ta, tb] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ]) {
        const a = ta ? nd.random.normal(0, 1, [k, m]).T : nd.random.normal(0, 1, [m, k]);
        const b = tb ? nd.random.normal(0, 1, [n, k]).T : nd.random.normal(0, 1, [k, n]);
        const c0 = nd.random.normal(0, 1, [m, n]);
        const want = withKernels('ts', () => c0.add(nd.dot(a, b)));
        const c = c0.copy();
        const ok = withKernels(mode, () => be.matmulAdd(a, b, c));
        assert.ok(ok, `${mode} ${m}x${k}x${n} ta=${ta} tb=${tb} was declined`);
        assertClose(c, want, 5e-5, `${mode} ${m}x${k}x${n} ta=${ta} tb=${tb}`);
        for (const z of [a, b, c0, want, c]) z.dispose();
      }
    }
  }
  // The reference path declines (the caller then adds a separate product), leaving out untouched.
  const o = nd.ones([2, 2]);
  assert.equal(
    withKernels('ts', () => be.matmulAdd(o, o, o)),
    false,
  );
  assert.deepEqual(o.toArray(), [
    [1, 1],
    [1, 1],
  ]);
  o.dispose();
});

test('a weight used at 35 time steps gets the reference gradient through accumulating GEMMs', (t) => {
  nd.random.seed(4);
  const T = 35;
  const Wx = nd.random.normal(0, 0.1, [40, 24]);
  const Wh = nd.random.normal(0, 0.1, [24, 24]);
  const Wq = nd.random.normal(0, 0.1, [24, 40]);
  const xs = Array.from({ length: T }, () => nd.random.normal(0, 1, [8, 40]));
  const run = (mode: CpuKernelMode): NDArray[] =>
    withKernels(mode, () => {
      const ps = [Wx, Wh, Wq].map((p) => p.copy());
      for (const p of ps) p.attachGrad();
      const [wx, wh, wq] = ps;
      const l = autograd.record(() => {
        let H = nd.zeros([8, 24]);
        let total = nd.zeros([]);
        for (const x of xs) {
          H = nd.tanh(nd.dot(x, wx).add(nd.dot(H, wh)));
          total = total.add(nd.dot(H, wq).square().mean());
        }
        return total;
      });
      l.backward();
      const grads = ps.map((p) => p.grad.copy());
      for (const p of ps) p.dispose();
      return grads;
    });
  const ref = run('ts');
  for (const mode of fastModes(t)) {
    const got = run(mode);
    got.forEach((g, i) => assertClose(g, ref[i], 2e-4, `${mode} gradient ${i}`));
    for (const g of got) g.dispose();
  }
  for (const a of [Wx, Wh, Wq, ...xs, ...ref]) a.dispose();
});

test('a weight gradient Xᵀ·G with a narrow C, split over k across the threads, equals the reference', (t) => {
  // Large enough to be split over the worker threads even when they are asleep (skinny: 4M, BLAS:
  // 192³ multiply-adds): each chunk sums its own rows of X, and the partial sums are added after.
  nd.random.seed(5);
  for (const mode of fastModes(t)) {
    for (const [rows, m, n] of [
      [1030, 1000, 10],
      [2048, 784, 16],
      [777, 1500, 7],
    ]) {
      const X = nd.random.normal(0, 1, [rows, m]);
      const G = nd.random.normal(0, 1, [rows, n]);
      const c0 = nd.random.normal(0, 1, [m, n]);
      const want = withKernels('ts', () => nd.dot(X.T, G));
      const wantAdd = withKernels('ts', () => c0.add(want));
      const got = withKernels(mode, () => nd.dot(X.T, G));
      assertClose(got, want, 2e-4, `${mode} ${rows}x${m}ᵀ·${rows}x${n}`);
      const c = c0.copy();
      assert.ok(
        withKernels(mode, () => be.matmulAdd(X.T, G, c)),
        `${mode} matmulAdd declined`,
      );
      assertClose(c, wantAdd, 2e-4, `${mode} += ${rows}x${m}ᵀ·${rows}x${n}`);
      for (const z of [X, G, c0, want, wantAdd, got, c]) z.dispose();
    }
  }
});

test('backward writes a weight gradient straight into .grad: same buffer, reference values, grad_req add', (t) => {
  nd.random.seed(6);
  const X = nd.random.normal(0, 1, [64, 30]);
  for (const mode of [...fastModes(t), 'ts' as CpuKernelMode]) {
    withKernels(mode, () => {
      const W = nd.random.normal(0, 0.1, [30, 20]);
      const V = nd.random.normal(0, 0.1, [20, 20]);
      W.attachGrad();
      V.attachGrad();
      const gW = W.grad;
      const loss = () => autograd.record(() => nd.dot(nd.dot(X, W), V).mul(nd.dot(X, W)).sum()); // W feeds two products
      loss().backward();
      assert.equal(W.grad, gW, `${mode}: .grad is the same array after backward`);
      assert.ok(gW.storage.version > 0, `${mode}: the write into .grad is marked (a Trainer checks it)`);
      // d/dW sum((XW)V ∘ XW) = Xᵀ(1·Vᵀ ∘ XW) + Xᵀ((XW)V) with 1 = ones, computed by hand
      const ref = withKernels('ts', () => {
        const H = nd.dot(X, W);
        const dH = nd.dot(H, V.T.add(V)); // ∂/∂H of sum((HV) ∘ H) = H Vᵀ + H V
        return nd.dot(X.T, dH);
      });
      assertClose(W.grad, ref, 1e-4, `${mode} W.grad`);
      // A second backward overwrites (grad_req write) ...
      loss().backward();
      assertClose(W.grad, ref, 1e-4, `${mode} W.grad after a second backward`);
      // ... and with grad_req add it accumulates into the same buffer.
      W.attachGrad({ gradReq: 'add' });
      const gA = W.grad;
      loss().backward();
      loss().backward();
      assert.equal(W.grad, gA);
      assertClose(W.grad, ref.mul(2), 2e-4, `${mode} W.grad accumulated twice`);
      for (const z of [W, V, ref]) z.dispose();
    });
  }
  X.dispose();
});

test('a backward that fails its version check leaves every .grad untouched', () => {
  // The failing node (c·d, whose inputs mul saved) comes after the matmul in backward order, so
  // W's gradient would already have been written straight into W.grad without the check up front.
  const c = nd.ones([4, 3]);
  const d = nd.ones([4, 3]);
  const W = nd.ones([3, 2]);
  for (const p of [c, W]) p.attachGrad();
  W.grad.set(':', 7);
  c.grad.set(':', 7);
  const l = autograd.record(() => nd.dot(c.mul(d), W).relu().sum());
  d.iadd(1);
  assert.throws(() => l.backward(), /modified in place/);
  assert.deepEqual(W.grad.toArray(), [
    [7, 7],
    [7, 7],
    [7, 7],
  ]);
  assert.deepEqual(
    c.grad.toArray(),
    Array.from({ length: 4 }, () => [7, 7, 7]),
  );
  for (const z of [c, d, W]) z.dispose();
});

test('a Trainer takes a weight gradient that backward wrote straight into .grad as fresh', () => {
  const p = new gluon.Parameter('w', { shape: [3, 2] });
  p.setData(nd.ones([3, 2]));
  const trainer = new gluon.Trainer([p], 'sgd', { learningRate: 0.5 });
  const X = nd.ones([4, 3]);
  for (let step = 0; step < 2; step++) {
    autograd.record(() => nd.dot(X, p.data()).sum()).backward(); // d/dw = Xᵀ·1 = 4 everywhere
    trainer.step(1);
  }
  assertClose(
    p.data(),
    Array.from({ length: 3 }, () => [-3, -3]),
    1e-6,
    'two SGD steps of 0.5 · 4',
  );
  // Without a new backward the gradient is stale, as before.
  assert.throws(() => trainer.step(1), /has not been updated by backward/);
  X.dispose();
});
