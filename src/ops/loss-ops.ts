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
import { composite, empty, requireFloat, sameContext } from './util.js';
import type { View } from '../backend/backend.js';

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

/** Frees a fused kernel's fresh outputs when it declines or throws (the hot path: no scope). */
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
  const fused = axis === pred.ndim - 1 && pred.isContiguous ? fusedForward(pred, label, rest, record) : null;
  if (fused) [loss, prob] = fused;
  else
    [loss, prob] = untaped(() =>
      composite(() => {
        const s = pred.sub(pred.max({ axis, keepdims: true }));
        const e = s.exp();
        const z = e.sum({ axis, keepdims: true });
        let picked: NDArray;
        try {
          picked = s.pick(label, { axis, keepdims: true });
        } catch (err) {
          if (err instanceof IndexError)
            throw new IndexError(
              `${op}: a label is not a class index of pred of shape ${shapeStr(pred.shape)} along axis ${axis} (${err.message})`,
            );
          throw err;
        }
        // The softmax is kept for the gradient only when one will be taken.
        return [z.log().sub(picked).reshape(rest), record ? e.div(z) : undefined] as [NDArray, NDArray | undefined];
      }),
    );
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
        const fast = axis === xs.ndim - 1 ? fusedGrad(ps, ys, g) : null;
        if (fast) return [fast, null, null];
        const gx = ps.mul(gk);
        const ng = g.reshape(rest).neg();
        // gx[..., y, ...] -= g
        gx.context.backend.pickGrad(ng, idx, axis, gx);
        return [gx, null, null];
      },
      'inputs',
    );
    p.dispose(); // the tape holds its own handle; freed by hand on the training hot path (no scope)
  }
  return loss;
}

/** [rows, C] and [rows] bare views of contiguous arrays, for the fused kernels. */
function rowsView(x: NDArray, C: number): View {
  const rows = C === 0 ? 0 : x.size / C;
  return { storage: x.storage, shape: [rows, C], strides: [C, 1], offset: x.offset, dtype: x.dtype };
}
/** x as a 1-D bare view: contiguous, or with one non-unit axis of any stride (a broadcast g). */
function flatView(x: NDArray): View | null {
  let stride = 1;
  let dims = 0;
  for (let i = 0; i < x.ndim; i++)
    if (x.shape[i] !== 1) {
      dims++;
      stride = x.strides[i];
    }
  if (dims > 1 && !x.isContiguous) return null;
  return { storage: x.storage, shape: [x.size], strides: [dims > 1 ? 1 : stride], offset: x.offset, dtype: x.dtype };
}

/**
 * The forward pass in one backend kernel when the backend has one for these arrays (class axis
 * last, contiguous): [loss shaped `rest`, softmax or undefined]. Null: compose it instead.
 */
function fusedForward(pred: NDArray, label: NDArray, rest: number[], withProb: boolean): [NDArray, NDArray | undefined] | null {
  const backend = pred.context.backend;
  const lv = flatView(label);
  if (!backend.softmaxCrossEntropy || !lv) return null;
  const C = pred.shape[pred.ndim - 1];
  const loss = empty(rest, pred.dtype, pred.context);
  const prob = withProb ? empty(pred.shape, pred.dtype, pred.context) : undefined;
  let ok = false;
  try {
    ok = backend.softmaxCrossEntropy(rowsView(pred, C), lv, flatView(loss)!, prob ? rowsView(prob, C) : null);
  } catch (err) {
    disposeAll([loss, prob]);
    if (err instanceof IndexError)
      throw new IndexError(
        `softmaxCrossEntropy: a label is not a class index of pred of shape ${shapeStr(pred.shape)} along axis ${pred.ndim - 1} (${err.message})`,
      );
    throw err;
  }
  if (ok) return [loss, prob];
  disposeAll([loss, prob]);
  return null;
}

/** (softmax − onehot(label)) · g in one backend kernel, or null where the backend has none. */
function fusedGrad(prob: NDArray, label: NDArray, g: NDArray): NDArray | null {
  const backend = prob.context.backend;
  const lv = flatView(label);
  const gv = flatView(g);
  if (!backend.softmaxCrossEntropyGrad || !prob.isContiguous || !lv || !gv || g.dtype !== prob.dtype) return null;
  const C = prob.shape[prob.ndim - 1];
  const out = empty(prob.shape, prob.dtype, prob.context);
  if (backend.softmaxCrossEntropyGrad(rowsView(prob, C), lv, gv, rowsView(out, C))) return out;
  out.dispose(); // the kernel declined: the hot backward path frees its output by hand (no scope)
  return null;
}

/** A differentiable softmax (used only when the backward pass is itself recorded). */
function softmaxOf(x: NDArray, axis: number): NDArray {
  return composite(() => {
    const e = x.sub(untaped(() => x.max({ axis, keepdims: true }))).exp();
    return e.div(e.sum({ axis, keepdims: true }));
  });
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
  const loss = untaped(() =>
    composite(() => {
      const out = pred.relu().sub(pred.mul(label)).add(pred.abs().neg().exp().log1p());
      return out.dtype === pred.dtype ? out : out.astype(pred.dtype);
    }),
  );
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
