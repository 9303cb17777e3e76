/** Finite-difference gradient checks in float64 for the recurrent tests. */
import assert from 'node:assert/strict';
import { nd, autograd, type NDArray } from '../../src/index.js';

/**
 * Compares the gradient of the scalar `loss()` with respect to each of `params` (float64, with
 * attached gradients) against central differences at `samples` random coordinates per parameter.
 */
export function checkGradients(
  params: NDArray[],
  loss: () => NDArray,
  opts: { samples?: number; eps?: number; tol?: number; names?: string[] } = {},
): void {
  const { samples = 6, eps = 1e-6, tol = 1e-6 } = opts;
  const l = autograd.record(loss);
  l.backward();
  l.dispose();
  params.forEach((p, pi) => {
    assert.equal(p.dtype, 'float64', 'gradient checks run in float64');
    const analytic = Float64Array.from(p.grad.dataSync());
    const base = Float64Array.from(p.dataSync());
    const n = base.length;
    const idx = new Set<number>();
    while (idx.size < Math.min(samples, n)) idx.add(nd.random.globalRandom.randint(0, n));
    for (const i of idx) {
      const f = (v: number) => {
        const w = Float64Array.from(base);
        w[i] = v;
        const a = nd.array(w, { shape: [...p.shape], dtype: 'float64' });
        p._assignFrom(a);
        a.dispose();
        return nd.tidy(() => loss().asScalar());
      };
      const num = (f(base[i] + eps) - f(base[i] - eps)) / (2 * eps);
      const a = nd.array(base, { shape: [...p.shape], dtype: 'float64' });
      p._assignFrom(a);
      a.dispose();
      const err = Math.abs(num - analytic[i]) / Math.max(1, Math.abs(num) + Math.abs(analytic[i]));
      assert.ok(err < tol, `${opts.names?.[pi] ?? `param ${pi}`}[${i}]: analytic ${analytic[i]} vs numeric ${num} (rel err ${err})`);
    }
  });
}
