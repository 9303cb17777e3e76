/**
 * Fused loss primitives: softmax cross-entropy with integer labels and sigmoid binary
 * cross-entropy on logits. Each forward runs as a short chain of backend kernels without taping
 * its intermediates, and the whole op is recorded as one node whose gradient is the closed form
 * (softmax(x) − onehot(y), sigmoid(x) − y). This is the hottest op of chapter 3 training: one
 * tape node instead of eight, and a backward pass of two kernels instead of a dozen. The closed
 * forms are also exact where a composed graph is not (the composed sigmoid loss has a kink at
 * x = 0 where relu and abs have zero subgradients).
 */
import { IndexError, ShapeError } from '../core/errors.js';
import { normalizeAxis, shapeStr, shapesEqual } from '../core/shape.js';
import { recordOp, shouldRecord } from '../autograd/tape.js';
import { state } from '../autograd/state.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { requireFloat, sameContext } from './util.js';

/** Runs `fn` with recording switched off (the op records itself as one node afterwards). */
function untaped<T>(fn: () => T): T {
  const prev = state.recording;
  state.recording = false;
  try {
    return fn();
  } finally {
    state.recording = prev;
  }
}

function disposeAll(xs: (NDArray | undefined)[]): void {
  for (const x of xs) x?.dispose();
}

/**
 * −log softmax(pred)[label] along `axis` (default -1), computed stably (the max is subtracted
 * before exp), for integer-valued labels (any dtype). `label` has pred's shape without `axis`
 * (or with 1 there); the result has pred's shape without `axis`. Differentiable with respect to
 * pred; the gradient is (softmax(pred) − onehot(label)) · g.
 *
 * @example
 * const l = softmaxCrossEntropy(nd.array([[1e4, 0, -1e4]]), nd.array([0])); // [0], finite
 */
export function softmaxCrossEntropy(pred: NDArray, label: NDArray, opts: { axis?: number } = {}): NDArray {
  const op = 'softmaxCrossEntropy';
  pred.checkAlive(op);
  label.checkAlive(op);
  requireFloat(op, pred);
  sameContext(op, pred, label);
  if (pred.ndim === 0) throw new ShapeError(`${op}: pred must have at least one axis (the classes), got a 0-d array`);
  const axis = normalizeAxis(opts.axis ?? -1, pred.ndim, op);
  const rest = pred.shape.filter((_, i) => i !== axis);
  const withOne = pred.shape.map((d, i) => (i === axis ? 1 : d));
  if (!shapesEqual(label.shape, rest) && !shapesEqual(label.shape, withOne))
    throw new ShapeError(
      `${op}: label of shape ${shapeStr(label.shape)} does not fit pred of shape ${shapeStr(pred.shape)}; ` +
        `expected ${shapeStr(rest)} (pred's shape without the class axis ${axis}) or ${shapeStr(withOne)}`,
    );
  const record = shouldRecord(pred);
  let loss!: NDArray;
  let prob: NDArray | undefined;
  untaped(() => {
    const m = pred.max({ axis, keepdims: true });
    const s = pred.sub(m);
    const e = s.exp();
    const z = e.sum({ axis, keepdims: true });
    const lz = z.log();
    let picked: NDArray;
    try {
      picked = s.pick(label, { axis, keepdims: true });
    } catch (err) {
      disposeAll([m, s, e, z, lz]);
      if (err instanceof IndexError)
        throw new IndexError(`${op}: a label is not a class index of pred of shape ${shapeStr(pred.shape)} along axis ${axis} (${err.message})`);
      throw err;
    }
    const lk = lz.sub(picked);
    loss = lk.reshape(rest);
    // The softmax is kept for the gradient only when one will be taken.
    if (record) prob = e.div(z);
    disposeAll([m, s, e, z, lz, picked, lk]);
  });
  if (record) {
    const p = prob!;
    // `p` rides along as a third (non-differentiable) input so the tape saves and frees it.
    recordOp(
      op,
      [pred, label, p],
      loss,
      (g, [xs, ys, ps]) => {
        const gk = g.reshape(withOne);
        const idx = shapesEqual(ys.shape, rest) ? ys : ys.reshape(rest);
        if (state.recording) {
          // A recorded backward (createGraph): (softmax(x) − onehot) · g from differentiable ops.
          const mask = untaped(() => xs.zerosLike());
          const ones = untaped(() => g.reshape(rest).onesLike());
          mask.context.backend.pickGrad(ones, idx, axis, mask);
          return [softmaxOf(xs, axis).sub(mask).mul(gk), null, null];
        }
        const gx = ps.mul(gk);
        const ng = g.reshape(rest).neg();
        // gx[..., y, ...] -= g
        gx.context.backend.pickGrad(ng, idx, axis, gx);
        return [gx, null, null];
      },
      'inputs',
    );
    p.dispose();
  }
  return loss;
}

/** A differentiable softmax (used only when the backward pass is itself recorded). */
function softmaxOf(x: NDArray, axis: number): NDArray {
  const m = untaped(() => x.max({ axis, keepdims: true }));
  const e = x.sub(m).exp();
  const r = e.div(e.sum({ axis, keepdims: true }));
  m.dispose();
  return r;
}

/**
 * Binary cross-entropy on logits, elementwise: relu(x) − x·y + log(1 + exp(−|x|)), which never
 * overflows. `label` must have pred's shape (or broadcast to it). Gradients:
 * d/dx = (sigmoid(x) − y) · g, d/dy = −x · g.
 *
 * @example
 * sigmoidBinaryCrossEntropy(nd.array([1.5, -1]), nd.array([1, 0])); // [0.2014, 0.3133]
 */
export function sigmoidBinaryCrossEntropy(pred: NDArray, label: NDArray): NDArray {
  const op = 'sigmoidBinaryCrossEntropy';
  pred.checkAlive(op);
  label.checkAlive(op);
  requireFloat(op, pred);
  sameContext(op, pred, label);
  if (!shapesEqual(pred.shape, label.shape))
    throw new ShapeError(`${op}: label of shape ${shapeStr(label.shape)} must have pred's shape ${shapeStr(pred.shape)}`);
  const loss = untaped(() => {
    const a = pred.abs();
    const na = a.neg();
    const ex = na.exp();
    const sp = ex.log1p();
    const r = pred.relu();
    const xy = pred.mul(label);
    const d = r.sub(xy);
    const out = d.add(sp);
    disposeAll([a, na, ex, sp, r, xy, d]);
    return out.dtype === pred.dtype ? out : castDisposing(out, pred);
  });
  const labelNeedsGrad = label.requiresGrad;
  if (shouldRecord(pred, label))
    recordOp(
      op,
      [pred, label],
      loss,
      (g, [xs, ys]) => {
        const sg = xs.sigmoid();
        const diff = sg.sub(ys);
        const gx = diff.mul(g);
        const gy = labelNeedsGrad ? xs.mul(g).neg() : null;
        return [gx, gy];
      },
      'inputs',
    );
  return loss;
}

function castDisposing(x: NDArray, like: NDArray): NDArray {
  const r = x.astype(like.dtype);
  x.dispose();
  return r;
}
