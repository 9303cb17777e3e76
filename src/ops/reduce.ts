// Reductions (sum, prod, max, min, argmax, argmin) and the compositions on them (mean, norm), with
// `sumTo`/`unbroadcast`, the adjoint of broadcasting.
import type { ReduceOp, View } from '../backend/backend.js';
import { isFloat, type DType } from '../core/dtype.js';
import { ShapeError, ValueError } from '../core/errors.js';
import { contiguousStrides, normalizeAxes, normalizeAxis, shapeStr, shapesEqual, sizeOf, unbroadcastAxes } from '../core/shape.js';
import { recordOp, shouldRecord } from '../autograd/tape.js';
import type { NDArray, ReduceOptions } from '../ndarray/ndarray.js';
import { composite, empty, rawView } from './util.js';
import { positional } from '../core/options.js';

const REDUCE_KEYS = ['axis', 'keepdims'];
const NORM_KEYS = ['axis', 'keepdims', 'ord'];

/** What a reduction takes for its options: an object, or the axis (a number or list) as MXNet's positional argument. */
export type ReduceArg = ReduceOptions | number | readonly number[] | null;
/** What argmax/argmin take: an object, or the axis as MXNet's positional argument. */
export type ArgReduceArg = { axis?: number | null; keepdims?: boolean } | number | null;

function keptShape(shape: readonly number[], axes: number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

function reduceDType(op: ReduceOp, d: DType): DType {
  if (op === 'sum' || op === 'prod') return d === 'bool' || d === 'uint8' ? 'int32' : d;
  return d;
}

/**
 * sum / prod / max / min over `axis` (a number, a list, or all axes when omitted; negative axes
 * count from the end). Reducing every axis gives a 0-d array.
 */
export function reduce(op: 'sum' | 'prod' | 'max' | 'min', x: NDArray, arg?: ReduceArg): NDArray {
  x.checkAlive(op);
  const opts = positional<ReduceOptions>(op, arg, 'axis', REDUCE_KEYS, true);
  const axes = normalizeAxes(opts.axis, x.ndim, op);
  const keepdims = opts.keepdims ?? false;
  if ((op === 'max' || op === 'min') && axes.some((a) => x.shape[a] === 0))
    throw new ValueError(`${op}: cannot reduce over an empty axis of an array of shape ${shapeStr(x.shape)} (no identity)`);
  const res = empty(keptShape(x.shape, axes, keepdims), reduceDType(op, x.dtype), x.context);
  x.context.backend.reduce(op, x, axes, keepdims ? droppedView(res, keptShape(x.shape, axes, false)) : res);
  if (isFloat(x.dtype) && shouldRecord(x)) {
    const keep = keptShape(x.shape, axes, true);
    recordOp(
      op,
      [x],
      res,
      (g, [xs], y) => {
        const gk = g.reshape(keep);
        if (op === 'sum') return [gk.broadcastTo(xs.shape)];
        const yk = y.reshape(keep);
        if (op === 'prod') return [gk.mul(yk).div(xs)];
        // max/min: split the gradient evenly among the elements that attain the extreme.
        const mask = xs.equal(yk);
        return [mask.mul(gk).div(mask.sum({ axis: axes, keepdims: true }))];
      },
      op === 'sum' ? 'none' : 'both',
    );
  }
  return res;
}

/** A fresh keepdims result seen without its unit axes (`shape`), as the kernels write it: a bare View, no handle. */
function droppedView(x: NDArray, shape: number[]): View {
  return rawView(x, shape, contiguousStrides(shape), x.offset);
}

/** The mean over `axis` (all elements by default). */
export function mean(x: NDArray, arg?: ReduceArg): NDArray {
  const opts = positional<ReduceOptions>('mean', arg, 'axis', REDUCE_KEYS, true);
  const axes = normalizeAxes(opts.axis, x.ndim, 'mean');
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  return composite(() => reduce('sum', isFloat(x.dtype) ? x : x.astype('float32'), opts).div(count));
}

/** argmax/argmin along one axis, or over the flattened array; float32 indices as in MXNet. */
export function argReduce(op: 'argmax' | 'argmin', x: NDArray, arg?: ArgReduceArg): NDArray {
  x.checkAlive(op);
  const opts = positional<{ axis?: number | null; keepdims?: boolean }>(op, arg, 'axis', REDUCE_KEYS);
  if (opts.axis === undefined || opts.axis === null) return composite(() => argReduce(op, x.reshape([x.size]), { axis: 0 }));
  const axis = normalizeAxis(opts.axis, x.ndim, op);
  if (x.shape[axis] === 0) throw new ShapeError(`${op}: axis ${axis} of the array of shape ${shapeStr(x.shape)} is empty`);
  const out = empty(keptShape(x.shape, [axis], opts.keepdims ?? false), 'float32', x.context);
  x.context.backend.reduce(op, x, [axis], opts.keepdims ? droppedView(out, keptShape(x.shape, [axis], false)) : out);
  return out;
}

/** Vector norm over `axis` (all elements by default): ord 2 (default) or 1; a number alone is `ord`, as MXNet's `norm(data, ord)`. */
export function norm(x: NDArray, arg?: (ReduceOptions & { ord?: 1 | 2 }) | 1 | 2 | null): NDArray {
  const opts = positional<ReduceOptions & { ord?: 1 | 2 }>('norm', arg, 'ord', NORM_KEYS);
  const ord = opts.ord ?? 2;
  if (ord !== 1 && ord !== 2) throw new ValueError(`norm: ord must be 1 or 2, got ${ord}`);
  return composite(() => {
    const xf = isFloat(x.dtype) ? x : x.astype('float32');
    const r = { axis: opts.axis, keepdims: opts.keepdims };
    return ord === 1 ? reduce('sum', xf.abs(), r) : reduce('sum', xf.square(), r).sqrt();
  });
}

/** Sums `g` down to `shape` (the adjoint of broadcasting to g's shape). */
export function sumTo(g: NDArray, shape: readonly number[]): NDArray {
  const axes = unbroadcastAxes(g.shape, shape);
  if (axes.length === 0) return g.reshape(shape);
  const s = reduce('sum', g, { axis: axes, keepdims: true });
  if (sizeOf(s.shape) !== sizeOf(shape)) throw new ShapeError(`sumTo: cannot sum ${shapeStr(g.shape)} to ${shapeStr(shape)}`);
  // The backward pass's hot path (every broadcast bias): one temporary freed by hand, no scope.
  const r = s.reshape(shape);
  s.dispose();
  return r;
}

/** A broadcast gradient summed back to `shape` (`g` itself when the shapes agree). */
export function unbroadcast(g: NDArray, shape: readonly number[]): NDArray {
  return shapesEqual(g.shape, shape) ? g : sumTo(g, shape);
}
