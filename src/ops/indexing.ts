// Reading and writing by index: get/set with numpy-style indices, take, pick, one-hot, masks, and whole-array assignment.
import type { DType } from '../core/dtype.js';
import { IndexError, ShapeError, ValueError } from '../core/errors.js';
import { checkOptions, positional } from '../core/options.js';
import { broadcastShapes, contiguousStrides, normalizeAxis, shapeStr, shapesEqual } from '../core/shape.js';
import { recordOp, shouldRecord } from '../autograd/tape.js';
import { NDArray, type ArrayOrScalar } from '../ndarray/ndarray.js';
import { parseIndex, type Index } from '../ndarray/index-parse.js';
import { composite, empty, kernelView, rawView, sameContext } from './util.js';
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
  if (src.context.equals(dst.context)) copyInto(dst, src, src.shape);
  else composite(() => copyInto(dst, src.copyto(dst.context), src.shape));
}

/** The copy kernel of assign: `src` (on dst's device) broadcast into dst. */
function copyInto(dst: NDArray, src: NDArray, srcShape: readonly number[]): void {
  const shape = broadcastShapes(dst.shape, src.shape, 'set');
  if (!shapesEqual(shape, dst.shape))
    throw new ShapeError(`set: a value of shape ${shapeStr(srcShape)} cannot be written into a selection of shape ${shapeStr(dst.shape)}`);
  // A value that aliases the destination is read completely before anything is written.
  if (src.storage === dst.storage) composite(() => dst.context.backend.copy(kernelView(src.copy(), dst.shape), dst));
  else dst.context.backend.copy(kernelView(src, dst.shape), dst);
}

function isMask(x: NDArray, idx: NDArray): boolean {
  return idx.dtype === 'bool';
}

function checkMaskShape(x: NDArray, mask: NDArray, op: string): void {
  if (mask.ndim > x.ndim || !shapesEqual(mask.shape, x.shape.slice(0, mask.ndim)))
    throw new IndexError(
      `${op}: a boolean mask of shape ${shapeStr(mask.shape)} must match the leading axes of the array's shape ${shapeStr(x.shape)}`,
    );
}

/** Flat positions (int32, on x's device) of the true elements of the mask values `m`. */
function positionsOf(x: NDArray, m: ArrayLike<number>): NDArray {
  const pos: number[] = [];
  for (let i = 0; i < m.length; i++) if (m[i]) pos.push(i);
  return NDArray._fromData(Int32Array.from(pos), [pos.length], 'int32', x.context);
}

/**
 * Flat positions of the true elements of a mask whose shape is a prefix of x's shape. The mask
 * decides the result's shape, so it is read: synchronously on the CPU; a mask on a GPU must go
 * through `getAsync`.
 */
function maskPositions(x: NDArray, mask: NDArray, op: string): NDArray {
  checkMaskShape(x, mask, op);
  if (mask.context.deviceType !== 'cpu')
    throw new ValueError(
      `${op}: a boolean mask on ${mask.context} decides the shape of the result, so its values must be read first, ` +
        'which a GPU does only asynchronously: use `await x.getAsync(mask)` (or a mask on the CPU)',
    );
  return positionsOf(x, mask.dataSync());
}

/** Rows selected by a mask, given (a function making) the positions of its true elements. */
function maskedRows(x: NDArray, mask: NDArray, positions: () => NDArray): NDArray {
  return composite(() => {
    const pos = positions(); // checks the mask first
    return take(x.reshape([mask.size, ...x.shape.slice(mask.ndim)]), pos, { axis: 0 });
  });
}

/**
 * `x.getAsync(index)`: `getItem` for every device. A boolean mask on a GPU is read
 * asynchronously (it decides the result's shape); every other index is as `x.get(index)`.
 *
 * @example
 * const pos = await x.getAsync(x.greater(0).astype('bool')); // the positive elements of a GPU array
 */
export async function getItemAsync(x: NDArray, index: Index | NDArray): Promise<NDArray> {
  x.checkAlive('getAsync');
  if (index instanceof NDArray && isMask(x, index) && index.context.deviceType !== 'cpu') {
    checkMaskShape(x, index, 'getAsync');
    const m = await index.data();
    x.checkAlive('getAsync');
    return maskedRows(x, index, () => positionsOf(x, m));
  }
  return getItem(x, index);
}

/**
 * `x.get(index)`: basic indexing gives a view; a boolean mask or an integer array selects rows
 * (a copy, differentiable through take).
 */
export function getItem(x: NDArray, index: Index | NDArray): NDArray {
  x.checkAlive('get');
  if (index instanceof NDArray) {
    if (isMask(x, index)) return maskedRows(x, index, () => maskPositions(x, index, 'get'));
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
        throw new IndexError(
          `set: a boolean mask of shape ${shapeStr(index.shape)} must match the leading axes of the array's shape ${shapeStr(x.shape)}`,
        );
      composite(() => {
        // A host mask for a device array is copied to the device.
        const onDev = index.context.equals(x.context) || index.context.deviceType !== 'cpu' ? index : index.copyto(x.context);
        assign(x, where(onDev.reshape([...index.shape, ...x.shape.slice(index.ndim).map(() => 1)]), value, x));
      });
      return;
    }
    if (x.context.deviceType !== 'cpu' && index.context.equals(x.context)) {
      setRowsOnDevice(x, index, value);
      return;
    }
    const rows = Array.from(index.dataSync());
    const vals = typeof value === 'number' || value.ndim < x.ndim ? null : value;
    if (vals && vals.shape[0] !== rows.length)
      throw new ShapeError(
        `set: value of shape ${shapeStr(vals.shape)} does not fit ${rows.length} selected rows of shape ${shapeStr(x.shape.slice(1))}`,
      );
    // Row by row, each in its own scope (a row's views are freed before the next).
    rows.forEach((r, i) => composite(() => assign(getItem(x, r), vals ? vals.get(i) : value)));
    return;
  }
  const sel = parseIndex(index, x.shape);
  composite(() => {
    const dst = select(x._viewOf(x.shape, x.strides, x.offset), sel, 'set');
    x._beforeInplace('set');
    assign(dst, value);
  });
}

/**
 * `x[rows] = value` on a GPU with the row indices on the same GPU, without reading them: each row
 * takes the value of the last position naming it (as the CPU's in-order writes), negative rows
 * count from the end, and rows out of range are ignored (a kernel cannot raise an error).
 */
function setRowsOnDevice(x: NDArray, index: NDArray, value: ArrayOrScalar): void {
  if (x.ndim === 0) throw new IndexError('set: cannot index a 0-d array with an index array');
  const n = x.shape[0];
  const k = index.size;
  const vals = typeof value === 'number' || value.ndim < x.ndim ? null : value;
  if (vals && vals.shape[0] !== k)
    throw new ShapeError(
      `set: value of shape ${shapeStr(vals.shape)} does not fit ${k} selected rows of shape ${shapeStr(x.shape.slice(1))}`,
    );
  if (k === 0 || n === 0) return;
  composite(() => {
    const i32 = index.reshape([k]).astype('int32');
    const rows = where(i32.lesser(0), i32.add(n), i32);
    // last[r] = 1 + the last position naming row r (0: none), from one-hot blocks of bounded size.
    let last = full([n], 0, 'int32', x.context);
    const chunk = Math.max(1, Math.floor((1 << 22) / Math.max(n, 1)));
    for (let base = 0; base < k; base += chunk) {
      const c = Math.min(chunk, k - base);
      const oh = oneHot(rows.get(`${base}:${base + c}`), n, { dtype: 'int32' });
      const w = NDArray._fromData(
        Int32Array.from({ length: c }, (_, j) => base + j + 1),
        [c, 1],
        'int32',
        x.context,
      );
      last = last.maximum(oh.mul(w).max({ axis: 0 }));
    }
    const hit = last.greater(0).reshape([n, ...x.shape.slice(1).map(() => 1)]);
    let src: ArrayOrScalar = value;
    if (vals) src = take(vals.context.equals(x.context) ? vals : vals.copyto(x.context), last.sub(1).maximum(0), { axis: 0 });
    else if (typeof value !== 'number' && !value.context.equals(x.context)) src = value.copyto(x.context);
    assign(x, where(hit, src, x));
  });
}

/** Throws the CPU kernels' IndexError for a host index outside 0..len-1 (or not an integer). */
function checkHostIndices(values: ArrayLike<number>, len: number, op: string): void {
  for (let j = 0; j < values.length; j++) {
    const k = values[j];
    if (!(k >= 0 && k < len && Number.isInteger(k)))
      throw new IndexError(`${op}: index ${k} is out of range for an axis of size ${len} (valid integers: 0..${len - 1})`);
  }
}

/**
 * The index array for a kernel on x's device. Host indices (a JS array, or a CPU array for a GPU
 * `x`) are checked on the host, where an error can still be thrown as on the CPU, and copied to
 * the device; index arrays already on a GPU are clipped there (MXNet's mode='clip').
 */
function toIndexArray(indices: NDArray | readonly number[], x: NDArray, len: number, op: string): NDArray {
  const onDevice = x.context.deviceType !== 'cpu';
  if (indices instanceof NDArray) {
    if (!onDevice || indices.context.deviceType !== 'cpu') return indices;
    checkHostIndices(indices.dataSync(), len, op);
    return indices.copyto(x.context);
  }
  if (!Array.isArray(indices)) throw new IndexError(`${op}: indices must be an NDArray or an array of integers`);
  const values = Int32Array.from(indices);
  if (onDevice) checkHostIndices(values, len, op);
  return NDArray._fromData(values, [indices.length], 'int32', x.context);
}

/**
 * Elements at integer `indices` along `axis` (default 0); the result has shape
 * x.shape[:axis] + indices.shape + x.shape[axis+1:]. Differentiable with respect to x.
 *
 * @example
 * nd.take(nd.arange(6).reshape([3, 2]), nd.array([2, 0])).toArray(); // [[4, 5], [0, 1]]
 */
export function take(x: NDArray, indices: NDArray | readonly number[], arg?: { axis?: number } | number): NDArray {
  x.checkAlive('take');
  // MXNet's take(a, indices, axis, mode): the axis may come alone.
  const opts = positional<{ axis?: number }>('take', arg, 'axis', ['axis']);
  if (x.ndim === 0) throw new ShapeError('take: cannot take from a 0-d array');
  const axis = normalizeAxis(opts.axis ?? 0, x.ndim, 'take');
  const idx = toIndexArray(indices, x, x.shape[axis], 'take');
  sameContext('take', x, idx);
  const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  const out = empty(shape, x.dtype, x.context);
  x.context.backend.take(x, idx, axis, out);
  if (shouldRecord(x))
    recordOp(
      'take',
      [x, idx],
      out,
      (g, [xs, is]) => {
        const gx = full(xs.shape, 0, g.dtype, g.context);
        g.context.backend.takeGrad(g, is, axis, gx);
        return [gx, null];
      },
      'inputs',
    );
  if (idx !== indices) idx.dispose(); // a primitive frees the index array it made itself: no scope
  return out;
}

/**
 * Picks one element along `axis` (default -1) per position of `index`: for 2-D x and 1-D index,
 * out[i] = x[i, index[i]] (the book's `nd.pick(y_hat, y)`).
 *
 * @example
 * nd.pick(nd.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]]), nd.array([0, 2])).toArray(); // [0.1, 0.5]
 */
export function pick(x: NDArray, index: NDArray, arg?: { axis?: number; keepdims?: boolean } | number): NDArray {
  x.checkAlive('pick');
  // MXNet's pick(data, index, axis, keepdims): the axis may come alone.
  const opts = positional<{ axis?: number; keepdims?: boolean }>('pick', arg, 'axis', ['axis', 'keepdims']);
  index.checkAlive('pick');
  const axis = normalizeAxis(opts.axis ?? -1, x.ndim, 'pick');
  const rest = x.shape.filter((_, i) => i !== axis);
  const withOne = x.shape.map((d, i) => (i === axis ? 1 : d));
  if (!shapesEqual(index.shape, withOne) && !shapesEqual(index.shape, rest))
    throw new ShapeError(
      `pick: index of shape ${shapeStr(index.shape)} must have the data's shape without axis ${axis}: ${shapeStr(rest)}`,
    );
  // A host index for a GPU array is checked on the host and copied (see toIndexArray).
  const moved = toIndexArray(index, x, x.shape[axis], 'pick');
  sameContext('pick', x, moved);
  let idx = moved;
  if (shapesEqual(moved.shape, withOne) && !shapesEqual(moved.shape, rest)) idx = moved.reshape(rest);
  const res = empty(opts.keepdims ? withOne : rest, x.dtype, x.context);
  x.context.backend.pick(x, idx, axis, opts.keepdims ? rawView(res, rest, contiguousStrides(rest), 0) : res);
  if (shouldRecord(x)) {
    recordOp(
      'pick',
      [x, idx],
      res,
      (g, [xs, is]) => {
        const gx = full(xs.shape, 0, g.dtype, g.context);
        const gr = g.reshape(rest);
        g.context.backend.pickGrad(gr, is, axis, gx);
        return [gx, null];
      },
      'inputs',
    );
  }
  // A primitive frees the index handles it made (a reshape, a copy to the device) itself: no scope.
  if (idx !== moved) idx.dispose();
  if (moved !== index) moved.dispose();
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
  checkOptions('oneHot', opts, ['onValue', 'offValue', 'dtype']);
  if (!Number.isInteger(depth) || depth < 0) throw new ValueError(`oneHot: depth must be a non-negative integer, got ${depth}`);
  const dtype = opts.dtype ?? 'float32';
  const out = empty([...indices.shape, depth], dtype, indices.context);
  indices.context.backend.oneHot(indices, depth, opts.onValue ?? 1, opts.offValue ?? 0, out);
  return out;
}
