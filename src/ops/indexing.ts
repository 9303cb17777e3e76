import type { DType } from '../core/dtype.js';
import { isIntegral } from '../core/dtype.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../core/errors.js';
import { broadcastShapes, normalizeAxis, shapeStr, shapesEqual } from '../core/shape.js';
import { recordOp, shouldRecord } from '../autograd/tape.js';
import { NDArray, type ArrayOrScalar } from '../ndarray/ndarray.js';
import { parseIndex, type Index } from '../ndarray/index-parse.js';
import { broadcastView, empty, sameContext } from './util.js';
import { full, select } from './movement.js';
import { where } from './elementwise.js';

/** Writes `src` (a number, or an array broadcast to dst's shape) into `dst` in place. */
export function assign(dst: NDArray, src: ArrayOrScalar): void {
  dst._beforeInplace('set');
  if (typeof src === 'number') {
    dst.context.backend.fill(dst, src);
    return;
  }
  src.checkAlive('set');
  let s = src;
  if (!s.context.equals(dst.context)) s = s.copyto(dst.context);
  const shape = broadcastShapes(dst.shape, s.shape, 'set');
  if (!shapesEqual(shape, dst.shape))
    throw new ShapeError(`set: a value of shape ${shapeStr(src.shape)} cannot be written into a selection of shape ${shapeStr(dst.shape)}`);
  // A value that aliases the destination is read completely before anything is written.
  const safe = s.storage === dst.storage ? s.copy() : s;
  const v = shapesEqual(safe.shape, dst.shape) ? safe : broadcastView(safe, dst.shape);
  dst.context.backend.copy(v, dst);
  for (const t of new Set([v, safe, s])) if (t !== src) t.dispose();
}

function isMask(x: NDArray, idx: NDArray): boolean {
  return idx.dtype === 'bool';
}

/** Flat positions of the true elements of a mask whose shape is a prefix of x's shape. */
function maskPositions(x: NDArray, mask: NDArray, op: string): NDArray {
  if (mask.ndim > x.ndim || !shapesEqual(mask.shape, x.shape.slice(0, mask.ndim)))
    throw new IndexError(`${op}: a boolean mask of shape ${shapeStr(mask.shape)} must match the leading axes of the array's shape ${shapeStr(x.shape)}`);
  const m = mask.dataSync();
  const pos: number[] = [];
  for (let i = 0; i < m.length; i++) if (m[i]) pos.push(i);
  return NDArray._fromData(Int32Array.from(pos), [pos.length], 'int32', x.context);
}

/**
 * `x.get(index)`: basic indexing gives a view; a boolean mask or an integer array selects rows
 * (a copy, differentiable through take).
 */
export function getItem(x: NDArray, index: Index | NDArray): NDArray {
  x.checkAlive('get');
  if (index instanceof NDArray) {
    if (isMask(x, index)) {
      const pos = maskPositions(x, index, 'get');
      const flat = x.reshape([index.size, ...x.shape.slice(index.ndim)]);
      const r = take(flat, pos, { axis: 0 });
      pos.dispose();
      flat.dispose();
      return r;
    }
    return take(x, index, { axis: 0 });
  }
  return select(x, parseIndex(index, x.shape), 'get');
}

/** `x.set(index, value)`: writes into the selection in place (x keeps its identity). */
export function setItem(x: NDArray, index: Index | NDArray, value: ArrayOrScalar): void {
  x.checkAlive('set');
  if (index instanceof NDArray) {
    if (isMask(x, index)) {
      // x[mask] = v  ==  x <- where(mask, v, x), with the mask padded to x's rank.
      if (index.ndim > x.ndim || !shapesEqual(index.shape, x.shape.slice(0, index.ndim)))
        throw new IndexError(`set: a boolean mask of shape ${shapeStr(index.shape)} must match the leading axes of the array's shape ${shapeStr(x.shape)}`);
      const m = index.reshape([...index.shape, ...x.shape.slice(index.ndim).map(() => 1)]);
      const merged = where(m, value, x);
      assign(x, merged);
      merged.dispose();
      m.dispose();
      return;
    }
    const rows = Array.from(index.dataSync());
    const vals = typeof value === 'number' || value.ndim < x.ndim ? null : value;
    if (vals && vals.shape[0] !== rows.length)
      throw new ShapeError(`set: value of shape ${shapeStr(vals.shape)} does not fit ${rows.length} selected rows of shape ${shapeStr(x.shape.slice(1))}`);
    rows.forEach((r, i) => {
      const dst = getItem(x, r);
      const v = vals ? vals.get(i) : value;
      assign(dst, v);
      if (v !== value) (v as NDArray).dispose();
      dst.dispose();
    });
    return;
  }
  const sel = parseIndex(index, x.shape);
  const v = x._viewOf(x.shape, x.strides, x.offset);
  const dst = select(v, sel, 'set');
  try {
    x._beforeInplace('set');
    assign(dst, value);
  } finally {
    dst.dispose();
    v.dispose();
  }
}

function toIndexArray(indices: NDArray | readonly number[], ctx: NDArray['context'], op: string): NDArray {
  if (indices instanceof NDArray) return indices;
  if (!Array.isArray(indices)) throw new IndexError(`${op}: indices must be an NDArray or an array of integers`);
  return NDArray._fromData(Int32Array.from(indices), [indices.length], 'int32', ctx);
}

/**
 * Elements at integer `indices` along `axis` (default 0); the result has shape
 * x.shape[:axis] + indices.shape + x.shape[axis+1:]. Differentiable with respect to x.
 *
 * @example
 * nd.take(nd.arange(6).reshape([3, 2]), nd.array([2, 0])).toArray(); // [[4, 5], [0, 1]]
 */
export function take(x: NDArray, indices: NDArray | readonly number[], opts: { axis?: number } = {}): NDArray {
  x.checkAlive('take');
  const idx = toIndexArray(indices, x.context, 'take');
  sameContext('take', x, idx);
  if (x.ndim === 0) throw new ShapeError('take: cannot take from a 0-d array');
  const axis = normalizeAxis(opts.axis ?? 0, x.ndim, 'take');
  const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  const out = empty(shape, x.dtype, x.context);
  x.context.backend.take(x, idx, axis, out);
  if (shouldRecord(x))
    recordOp('take', [x, idx], out, (g, [xs, is]) => {
      const gx = full(xs.shape, 0, g.dtype, g.context);
      g.context.backend.takeGrad(g, is, axis, gx);
      return [gx, null];
    }, 'inputs');
  if (idx !== indices) idx.dispose();
  return out;
}

/**
 * Picks one element along `axis` (default -1) per position of `index`: for 2-D x and 1-D index,
 * out[i] = x[i, index[i]] (the book's `nd.pick(y_hat, y)`).
 *
 * @example
 * nd.pick(nd.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]]), nd.array([0, 2])).toArray(); // [0.1, 0.5]
 */
export function pick(x: NDArray, index: NDArray, opts: { axis?: number; keepdims?: boolean } = {}): NDArray {
  x.checkAlive('pick');
  index.checkAlive('pick');
  sameContext('pick', x, index);
  const axis = normalizeAxis(opts.axis ?? -1, x.ndim, 'pick');
  const rest = x.shape.filter((_, i) => i !== axis);
  const withOne = x.shape.map((d, i) => (i === axis ? 1 : d));
  let idx = index;
  if (shapesEqual(index.shape, withOne)) idx = index.reshape(rest);
  else if (!shapesEqual(index.shape, rest))
    throw new ShapeError(`pick: index of shape ${shapeStr(index.shape)} must have the data's shape without axis ${axis}: ${shapeStr(rest)}`);
  const out = empty(rest, x.dtype, x.context);
  x.context.backend.pick(x, idx, axis, out);
  let res = out;
  if (opts.keepdims) {
    res = out.reshape(withOne);
    out.dispose();
  }
  if (shouldRecord(x)) {
    const src = res;
    recordOp('pick', [x, idx], src, (g, [xs, is]) => {
      const gx = full(xs.shape, 0, g.dtype, g.context);
      const gr = g.reshape(rest);
      g.context.backend.pickGrad(gr, is, axis, gx);
      return [gx, null];
    }, 'inputs');
  }
  if (idx !== index) idx.dispose();
  return res;
}

/**
 * One-hot encoding: a new last axis of size `depth` with `onValue` at each index.
 *
 * @example
 * nd.oneHot(nd.array([0, 2]), 3).toArray(); // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(indices: NDArray, depth: number, opts: { onValue?: number; offValue?: number; dtype?: DType } = {}): NDArray {
  indices.checkAlive('oneHot');
  if (!Number.isInteger(depth) || depth < 0) throw new ValueError(`oneHot: depth must be a non-negative integer, got ${depth}`);
  const dtype = opts.dtype ?? 'float32';
  const out = empty([...indices.shape, depth], dtype, indices.context);
  indices.context.backend.oneHot(indices, depth, opts.onValue ?? 1, opts.offValue ?? 0, out);
  return out;
}

export function checkIntegral(op: string, x: NDArray): void {
  if (!isIntegral(x.dtype)) throw new DTypeError(`${op}: expected an integer array, got ${x.dtype}`);
}
