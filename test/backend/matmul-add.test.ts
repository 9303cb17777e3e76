// The accumulating matmul (Backend.matmulAdd: out += x·y, GEMM with beta = 1) on every CPU path,
// and its use by backward: a weight multiplied at many time steps (an RNN) sums its gradient
// inside the GEMMs instead of adding a new product per step. Results must equal the TS reference.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, type NDArray } from '../../src/index.js';
import { getCpuBackend } from '../../src/ndarray/context.js';
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
  const cases: [number, number, number][] = [[5, 7, 3], [33, 70, 17], [64, 300, 129], [256, 32, 300], [300, 50, 10], [784, 256, 10]];
  for (const mode of fastModes(t)) {
    for (const [m, k, n] of cases) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
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
  assert.equal(withKernels('ts', () => be.matmulAdd(o, o, o)), false);
  assert.deepEqual(o.toArray(), [[1, 1], [1, 1]]);
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
