/**
 * Batch normalisation in training mode as one taped op: nn.BatchNorm's forward over the batch's
 * statistics. Composed from primitives and taped op by op, it kept two full-size intermediates per
 * layer alive for the backward pass (x - mean and the normalised x) and ran ~20 passes over the
 * activations; here the forward runs untaped (6 passes: the per-channel sums and broadcasts run on
 * the CPU fast paths), only x is saved, and the gradient is the closed form, written in public ops
 * (so it is itself differentiable, as every rule is).
 *
 * Backends with fused kernels (Backend.batchNorm / batchNormGrad: the CPU's Wasm kernels) run the
 * forward and, when the backward pass is not itself recorded, the gradient with no intermediate
 * arrays: the composed forms held 4 (forward) and 7 (gradient) full-size temporaries at once, which
 * made batch norm's gradient the peak of a ResNet step's memory.
 */
import { ShapeError } from '../core/errors.js';
import { shapeStr } from '../core/shape.js';
import { recordOp, shouldRecord } from '../autograd/tape.js';
import { state } from '../autograd/state.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { composite, empty } from './util.js';

/** The statistics of x over every axis but 1, with keepdims: [1, C, 1, ...]. */
function stats(x: NDArray, red: number[], eps: number): { mean: NDArray; xc: NDArray; variance: NDArray; invstd: NDArray } {
  const mean = x.mean({ axis: red, keepdims: true });
  const xc = x.sub(mean);
  const variance = xc.square().mean({ axis: red, keepdims: true });
  const invstd = variance.add(eps).sqrt().reciprocal();
  return { mean, xc, variance, invstd };
}

/**
 * y = gamma · (x − mean) / sqrt(var + eps) + beta with the mean and (biased) variance of x over
 * every axis but the channel axis 1; gamma and beta have shape (C). Returns y and the batch's
 * mean and variance, shape (C), detached (for the running statistics). Differentiable in x, gamma
 * and beta.
 *
 * @example
 * const x = nd.random.normal(0, 1, [4, 3, 2, 2]);
 * const { y, mean, variance } = batchNormTrain(x, nd.ones([3]), nd.zeros([3]), 1e-5);
 * y.mean({ axis: [0, 2, 3] }).toArray(); // ~[0, 0, 0]
 */
export function batchNormTrain(x: NDArray, gamma: NDArray, beta: NDArray, eps: number): { y: NDArray; mean: NDArray; variance: NDArray } {
  const op = 'batchNorm';
  for (const a of [x, gamma, beta]) a.checkAlive(op);
  const C = x.shape[1];
  if (x.ndim < 2 || gamma.ndim !== 1 || beta.ndim !== 1 || gamma.shape[0] !== C || beta.shape[0] !== C)
    throw new ShapeError(
      `${op}: expected x (N, C, ...) with gamma and beta of shape (C), got x ${shapeStr(x.shape)}, gamma ${shapeStr(gamma.shape)}, beta ${shapeStr(beta.shape)}`,
    );
  const red = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const [y, mean, variance] =
    fusedForward(x, gamma, beta, eps) ??
    composite(() => {
      const s = stats(x.detach(), red, eps);
      const scale = gamma.detach().reshape(bshape).mul(s.invstd);
      const y = s.xc.mul(scale).add(beta.detach().reshape(bshape));
      return [y, s.mean.reshape([C]), s.variance.reshape([C])];
    });
  if (shouldRecord(x, gamma, beta)) {
    const M = x.size / C;
    recordOp(
      op,
      [x, gamma, beta],
      y,
      (g, [xs, gs]) =>
        (state.recording ? null : fusedGrad(g, xs, gs, eps)) ??
        composite(() => {
          // dx = gamma·invstd·(g − Σg/M − x̂·Σ(g·x̂)/M), dgamma = Σ(g·x̂), dbeta = Σg (sums over all but axis 1).
          const s = stats(xs, red, eps);
          const xhat = s.xc.mul(s.invstd);
          const dbeta = g.sum({ axis: red, keepdims: true });
          const dgamma = g.mul(xhat).sum({ axis: red, keepdims: true });
          const k = gs.reshape(bshape).mul(s.invstd);
          const dx = g
            .sub(dbeta.div(M))
            .sub(xhat.mul(dgamma.div(M)))
            .mul(k);
          return [dx, dgamma.reshape([C]), dbeta.reshape([C])];
        }),
      'inputs',
    );
  }
  return { y, mean, variance };
}

/** [y, mean, variance] from the backend's fused kernel, or null where it has none for these arrays. */
function fusedForward(x: NDArray, gamma: NDArray, beta: NDArray, eps: number): [NDArray, NDArray, NDArray] | null {
  const backend = x.context.backend;
  if (!backend.batchNorm || !x.isContiguous || gamma.dtype !== x.dtype || beta.dtype !== x.dtype) return null;
  if (gamma.context !== x.context || beta.context !== x.context) return null;
  const C = x.shape[1];
  const y = empty(x.shape, x.dtype, x.context);
  const mean = empty([C], x.dtype, x.context);
  const variance = empty([C], x.dtype, x.context);
  if (backend.batchNorm(x, gamma, beta, eps, y, mean, variance)) return [y, mean, variance];
  for (const a of [y, mean, variance]) a.dispose();
  return null;
}

/** [dx, dgamma, dbeta] from the backend's fused gradient kernel, or null where it has none. */
function fusedGrad(g: NDArray, x: NDArray, gamma: NDArray, eps: number): [NDArray, NDArray, NDArray] | null {
  const backend = x.context.backend;
  if (!backend.batchNormGrad || !x.isContiguous || !g.isContiguous || g.dtype !== x.dtype || gamma.dtype !== x.dtype) return null;
  const C = x.shape[1];
  const dx = empty(x.shape, x.dtype, x.context);
  const dgamma = empty([C], x.dtype, x.context);
  const dbeta = empty([C], x.dtype, x.context);
  if (backend.batchNormGrad(g, x, gamma, eps, dx, dgamma, dbeta)) return [dx, dgamma, dbeta];
  for (const a of [dx, dgamma, dbeta]) a.dispose();
  return null;
}
