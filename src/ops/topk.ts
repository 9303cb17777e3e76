/**
 * `topk`, MXNet's `nd.topk`: the k largest (or smallest) entries along an axis, as indices,
 * values, both, or a 0/1 mask. Composed of primitives (max, equal, argmax, oneHot, pick, stack),
 * so every backend runs it: k selection rounds, each taking the first maximum of what is left,
 * which orders ties by index as a stable sort does. Values come from `pick` on the input, so
 * they are differentiable; indices and masks are not (MXNet gives them no gradient).
 */
import type { DType } from '../core/dtype.js';
import { isFloat } from '../core/dtype.js';
import { DTypeError, ShapeError, ValueError } from '../core/errors.js';
import { normalizeAxis, shapeStr } from '../core/shape.js';
import { checkOptions } from '../core/options.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { composite } from './util.js';
import { stack } from './movement.js';
import { where } from './elementwise.js';

/** Options of topk (MXNet's keyword arguments in camelCase). */
export interface TopkOptions {
  /** The axis to select along (default -1); null selects over the flattened array. */
  axis?: number | null;
  /** How many entries (default 1); k < 1 sorts the whole axis, as MXNet. */
  k?: number;
  /** What to return (default 'indices'): 'value', 'both' ([value, indices]) or 'mask' (0/1, x's shape and dtype). */
  retTyp?: 'indices' | 'value' | 'both' | 'mask';
  /** Select the smallest entries instead (default false). */
  isAscend?: boolean;
  /** The dtype of returned indices (default 'float32', as MXNet). */
  dtype?: DType;
}

const TOPK_KEYS = ['axis', 'k', 'retTyp', 'isAscend', 'dtype'];
const RET_TYPES = ['indices', 'value', 'both', 'mask'];
const INDEX_DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'uint8'];

/**
 * The top `k` entries of `x` along `axis`, MXNet's `topk(data, axis=-1, k=1, ret_typ='indices',
 * is_ascend=False, dtype='float32')`. The result has x's shape with the axis of size k (or, with
 * `axis: null`, shape [k] over the flattened array); 'mask' returns x's shape with 1 at the
 * selected entries. Ties go to the smaller index; NaN ranks as +Infinity. Integer arrays are compared
 * in float64 (float32 on a backend without float64, exact below 2^24). It costs k passes over x.
 *
 * @example
 * const x = nd.array([[0.3, 0.2, 0.4], [0.1, 0.3, 0.2]]);
 * nd.topk(x).toArray();                                  // [[2], [1]]
 * nd.topk(x, { k: 2, retTyp: 'value' }).toArray();       // [[0.4, 0.3], [0.3, 0.2]]
 * nd.topk(x, { axis: 0, isAscend: true }).toArray();     // [[1, 0, 1]]
 * const [v, i] = nd.topk(x, { k: 2, retTyp: 'both' });
 * nd.topk(x, { k: 1, retTyp: 'mask' }).toArray();        // [[0, 0, 1], [0, 1, 0]]
 */
export function topk(x: NDArray, opts: TopkOptions & { retTyp: 'both' }): [NDArray, NDArray];
export function topk(x: NDArray, opts?: TopkOptions): NDArray;
export function topk(x: NDArray, opts: TopkOptions = {}): NDArray | [NDArray, NDArray] {
  const op = 'topk';
  if (!x || !(x as { __isNDArray?: boolean }).__isNDArray) throw new ValueError(`${op}: expected an NDArray, got ${String(x)}`);
  x.checkAlive(op);
  checkOptions(op, opts, TOPK_KEYS);
  const retTyp = opts.retTyp ?? 'indices';
  if (!RET_TYPES.includes(retTyp))
    throw new ValueError(`${op}: retTyp must be one of ${RET_TYPES.map((r) => `'${r}'`).join(', ')}, got ${JSON.stringify(retTyp)}`);
  const dtype = opts.dtype ?? 'float32';
  if (!INDEX_DTYPES.includes(dtype))
    throw new DTypeError(`${op}: the index dtype must be one of ${INDEX_DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`);
  const isAscend = opts.isAscend ?? false;
  if (typeof isAscend !== 'boolean') throw new ValueError(`${op}: isAscend must be a boolean, got ${JSON.stringify(isAscend)}`);
  const flat = opts.axis === null;
  if (!flat && opts.axis !== undefined && !Number.isInteger(opts.axis))
    throw new ValueError(`${op}: axis must be an integer or null, got ${JSON.stringify(opts.axis)}`);
  if (!flat && x.ndim === 0) throw new ShapeError(`${op}: a 0-d array has no axis to select along (use { axis: null })`);
  const shape = flat ? [x.size] : [...x.shape];
  const axis = flat ? 0 : normalizeAxis(opts.axis ?? -1, x.ndim, op);
  const n = shape[axis];
  const kArg = opts.k ?? 1;
  if (!Number.isInteger(kArg)) throw new ValueError(`${op}: k must be an integer, got ${JSON.stringify(kArg)}`);
  if (kArg > n)
    throw new ValueError(
      `${op}: k = ${kArg} exceeds the ${n} elements along axis ${axis} of the ${flat ? 'flattened ' : ''}array of shape ${shapeStr(x.shape)}`,
    );
  const k = kArg < 1 ? n : kArg;
  if (dtype === 'uint8' && n > 256) throw new DTypeError(`${op}: uint8 cannot hold the indices of an axis of ${n} elements`);
  const keyDtype: DType =
    x.dtype === 'float64' || (!isFloat(x.dtype) && x.context.backend.supportsDType('float64')) ? 'float64' : 'float32';

  return composite(() => {
    // Work with the selection axis last: a transposed view, moved back at the end.
    const base = flat ? x.reshape(shape) : x;
    const last = shape.length - 1;
    const perm = [...Array(shape.length).keys()].filter((a) => a !== axis).concat(axis);
    const back = [...Array(shape.length).keys()].map((a) => (a < axis ? a : a === axis ? last : a - 1));
    const moved = axis === last ? base : base.transpose(perm);
    // The selection key, largest first; NaN ranks as +Infinity.
    const xd = moved.detach();
    const xf = xd.dtype === keyDtype ? xd : xd.astype(keyDtype);
    const signed = isAscend ? xf.neg() : xf;
    const key = nanAs(signed, isAscend ? -Infinity : Infinity);
    let taken = key.zerosLike();
    const picks: NDArray[] = [];
    for (let j = 0; j < k; j++) {
      // One round's temporaries are x-sized: freed at once (not at the end of the scope), so a
      // full sort holds a few arrays, not k of them. None is recorded (the key is detached).
      const masked = where(taken, -Infinity, key);
      const m = masked.max({ axis: -1, keepdims: true });
      // The first entry equal to the maximum among those not taken (a row of -Infinity included).
      const eq = masked.equal(m);
      const free = taken.rsub(1);
      const cand = eq.mul(free);
      const idx = cand.argmax({ axis: -1 });
      const hot = idx.oneHot(n, { dtype: keyDtype });
      const next = taken.add(hot);
      for (const a of [masked, m, eq, free, cand, hot, taken]) a.dispose();
      taken = next;
      picks.push(idx);
    }
    const restore = (a: NDArray) => (axis === last ? a : a.transpose(back));
    if (retTyp === 'mask') {
      const mask = restore(taken.astype(x.dtype));
      return flat ? mask.reshape(x.shape) : mask;
    }
    const indices = () => {
      const i = k === 0 ? emptyLike(key, dtype) : stack(picks, { axis: -1 });
      return restore(i.dtype === dtype ? i : i.astype(dtype));
    };
    const values = () => {
      if (k === 0) return restore(emptyLike(moved, x.dtype));
      const v = picks.map((i) => moved.pick(i, { axis: -1 }));
      return restore(stack(v, { axis: -1 }));
    };
    if (retTyp === 'indices') return indices();
    if (retTyp === 'value') return values();
    return [values(), indices()];
  }) as NDArray | [NDArray, NDArray];
}

/** `a` with NaN replaced by `v` (NaN is the one value not equal to itself). */
function nanAs(a: NDArray, v: number): NDArray {
  return isFloat(a.dtype) ? where(a.notEqual(a), v, a) : a;
}

/** A [..., 0] array shaped like `a` without its last axis, for k = 0 over an empty axis. */
function emptyLike(a: NDArray, dtype: DType): NDArray {
  return a.reshape([...a.shape.slice(0, -1), 0]).astype(dtype);
}
