// Matrix products: the one batched matmul primitive (its gradient may write straight into `.grad`
// through the backward pass's GradSink) and dot/batchDot composed from it.
import { promoteTypes } from '../core/dtype.js';
import { ShapeError } from '../core/errors.js';
import { broadcastShapes, shapeStr, shapesEqual, sizeOf } from '../core/shape.js';
import { recordOp, shouldRecord } from '../autograd/tape.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { composite, empty, kernelView, sameContext } from './util.js';
import { unbroadcast } from './reduce.js';

/**
 * The one matmul primitive: x [..., m, k] · y [..., k, n] with broadcast batch dims. Transposed
 * operands arrive as strided views, so gradients (which multiply by transposes) never copy.
 */
function matmulCore(x: NDArray, y: NDArray, op: string): NDArray {
  x.checkAlive(op);
  y.checkAlive(op);
  const ctx = sameContext(op, x, y);
  const r = Math.max(x.ndim, y.ndim);
  const m = x.shape[x.ndim - 2];
  const k = x.shape[x.ndim - 1];
  const n = y.shape[y.ndim - 1];
  if (y.shape[y.ndim - 2] !== k)
    throw new ShapeError(`${op}: inner dimensions differ: ${shapeStr(x.shape)} · ${shapeStr(y.shape)} (${k} vs ${y.shape[y.ndim - 2]})`);
  const batch = r === 2 ? [] : broadcastShapes(x.shape.slice(0, -2), y.shape.slice(0, -2), op);
  const out = empty([...batch, m, n], promoteTypes(x.dtype, y.dtype), ctx);
  if (k === 0) ctx.backend.fill(out, 0);
  else if (sizeOf(out.shape) > 0) ctx.backend.matmul(kernelView(x, [...batch, m, k]), kernelView(y, [...batch, k, n]), out);
  if (shouldRecord(x, y)) {
    // Only the operands that need a gradient get one: a constant operand (e.g. the one-hot inputs
    // of 6.4's RNN) would otherwise cost a full product per backward pass, thrown away unused.
    const needX = x.requiresGrad;
    const needY = y.requiresGrad;
    recordOp(
      op,
      [x, y],
      out,
      (g, [xs, ys], _out, sink) => {
        // A weight gradient's GEMM writes straight into its running sum or `.grad` when offered one.
        const tx = needX ? sink?.target(0) : null;
        const ty = needY ? sink?.target(1) : null;
        const gx = !needX
          ? null
          : tx && matmulInto(g, swapLast(ys), tx.buffer, !tx.overwrite)
            ? tx.buffer
            : unbroadcast(matmulCore(g, swapLast(ys), 'matmul'), xs.shape);
        const gy = !needY
          ? null
          : ty && matmulInto(swapLast(xs), g, ty.buffer, !ty.overwrite)
            ? ty.buffer
            : unbroadcast(matmulCore(swapLast(xs), g, 'matmul'), ys.shape);
        return [gx, gy];
      },
      'inputs',
    );
  }
  return out;
}

/**
 * target += a · b (add) or target = a · b in one GEMM when the product has target's exact shape
 * and dtype (no batch to sum away) and, to add, the backend has an accumulating matmul; false,
 * leaving target untouched, otherwise.
 */
function matmulInto(a: NDArray, b: NDArray, target: NDArray, add: boolean): boolean {
  const backend = target.context.backend;
  if ((add && !backend.matmulAdd) || a.context !== target.context || b.context !== target.context) return false;
  const r = Math.max(a.ndim, b.ndim);
  if (target.ndim !== r || promoteTypes(a.dtype, b.dtype) !== target.dtype || a.dtype !== b.dtype) return false;
  const m = a.shape[a.ndim - 2];
  const k = a.shape[a.ndim - 1];
  const n = b.shape[b.ndim - 1];
  if (k === 0 || b.shape[b.ndim - 2] !== k) return false;
  const batch = r === 2 ? [] : broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul');
  if (!shapesEqual([...batch, m, n], target.shape) || sizeOf(target.shape) === 0) return false;
  const [av, bv] = [kernelView(a, [...batch, m, k]), kernelView(b, [...batch, k, n])];
  if (add) return backend.matmulAdd!(av, bv, target);
  backend.matmul(av, bv, target);
  return true;
}

/** The last two axes swapped, as a recorded view. */
function swapLast(x: NDArray): NDArray {
  const n = x.ndim;
  return x.swapaxes(n - 2, n - 1);
}

/**
 * numpy's matmul: 1-D operands are promoted to a matrix and the added axis removed afterwards;
 * batch dims broadcast.
 *
 * @example
 * nd.matmul(nd.ones([2, 3, 4]), nd.ones([4, 5])).shape; // [2, 3, 5]
 */
export function matmul(a: NDArray, b: NDArray): NDArray {
  if (a.ndim === 0 || b.ndim === 0)
    throw new ShapeError(`matmul: operands must be at least 1-D, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  if (a.ndim > 1 && b.ndim > 1) return matmulCore(a, b, 'matmul');
  return composite(() => {
    const out = matmulCore(a.ndim === 1 ? a.reshape([1, a.shape[0]]) : a, b.ndim === 1 ? b.reshape([b.shape[0], 1]) : b, 'matmul');
    const sh = out.shape.slice(0, -2);
    if (a.ndim !== 1) sh.push(out.shape[out.ndim - 2]);
    if (b.ndim !== 1) sh.push(out.shape[out.ndim - 1]);
    return out.reshape(sh);
  });
}

/**
 * MXNet's dot: 1-D·1-D is the inner product (a 0-d array), 2-D·2-D the matrix product, and in
 * general the last axis of `a` contracts with the first axis of `b`.
 *
 * @example
 * nd.dot(X, Y.T); // the book's 3x3 product
 */
export function dot(a: NDArray, b: NDArray, opts: { transposeA?: boolean; transposeB?: boolean } = {}): NDArray {
  const ta = opts.transposeA ?? false;
  const tb = opts.transposeB ?? false;
  // A matrix product (Dense's forward, the hot path) calls the primitive without a scope: its
  // transposed views are freed by hand.
  if (a.ndim === 2 && b.ndim === 2 && a.shape[ta ? 0 : 1] === b.shape[tb ? 1 : 0]) {
    const A = ta ? a.T : a;
    const B = tb ? b.T : b;
    try {
      return matmulCore(A, B, 'dot');
    } finally {
      if (A !== a) A.dispose();
      if (B !== b) B.dispose();
    }
  }
  return composite(() => {
    const A = ta ? a.T : a;
    const B = tb ? b.T : b;
    if (A.ndim === 0 || B.ndim === 0) return A.mul(B);
    const k = A.shape[A.ndim - 1];
    if (B.shape[0] !== k)
      throw new ShapeError(
        `dot: the last axis of ${shapeStr(A.shape)} (${k}) must match the first axis of ${shapeStr(B.shape)} (${B.shape[0]})`,
      );
    const m = matmulCore(A.reshape([sizeOf(A.shape.slice(0, -1)), k]), B.reshape([k, sizeOf(B.shape.slice(1))]), 'dot');
    return m.reshape([...A.shape.slice(0, -1), ...B.shape.slice(1)]);
  });
}

/**
 * Batched matrix product of 3-D arrays (B, m, k) · (B, k, n), as MXNet's batch_dot.
 *
 * @example
 * nd.batchDot(nd.ones([2, 1, 4]), nd.ones([2, 4, 6])).shape; // [2, 1, 6]
 */
export function batchDot(a: NDArray, b: NDArray, opts: { transposeA?: boolean; transposeB?: boolean } = {}): NDArray {
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0])
    throw new ShapeError(`batchDot: expected two 3-D arrays with the same batch size, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  return composite(() => matmulCore(opts.transposeA ? a.swapaxes(1, 2) : a, opts.transposeB ? b.swapaxes(1, 2) : b, 'batchDot'));
}
