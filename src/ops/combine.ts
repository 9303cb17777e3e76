/**
 * MXNet's `add_n` (ElementWiseSum) and `broadcast_axis`, composed of the add and broadcast
 * primitives, so they run on every backend and take their gradients from those primitives.
 */
import { ShapeError, ValueError } from '../core/errors.js';
import { normalizeAxis, shapeStr, shapesEqual } from '../core/shape.js';
import { checkOptions } from '../core/options.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { composite, sameContext } from './util.js';
import { broadcastTo } from './movement.js';

function isArray(v: unknown): v is NDArray {
  return !!v && typeof v === 'object' && !!(v as { __isNDArray?: boolean }).__isNDArray;
}

/**
 * The elementwise sum of arrays of one shape, MXNet's `add_n(*args)` (no broadcasting, as
 * MXNet). Takes the arrays as arguments or as one list; the result is a new array (also for one
 * input). Differentiable in every input.
 *
 * @example
 * nd.addN(nd.array([1, 2]), nd.array([10, 20]), nd.array([100, 200])).toArray(); // [111, 222]
 * nd.addN([a, b]);
 */
export function addN(...args: (NDArray | readonly NDArray[])[]): NDArray {
  const op = 'addN';
  const arrays = (args.length === 1 && Array.isArray(args[0]) ? args[0] : args) as unknown[];
  if (arrays.length === 0) throw new ValueError(`${op}: expected at least one array, got none`);
  arrays.forEach((a, i) => {
    if (!isArray(a)) throw new ValueError(`${op}: argument ${i} must be an NDArray, got ${Array.isArray(a) ? 'a list' : String(a)}`);
    a.checkAlive(op);
  });
  const xs = arrays as NDArray[];
  sameContext(op, ...xs);
  for (let i = 1; i < xs.length; i++)
    if (!shapesEqual(xs[i].shape, xs[0].shape))
      throw new ShapeError(
        `${op}: every array must have the same shape (add_n does not broadcast): argument 0 has shape ${shapeStr(xs[0].shape)}, ` +
          `argument ${i} has ${shapeStr(xs[i].shape)}`,
      );
  return composite(() => {
    if (xs.length === 1) return xs[0].copy();
    let acc = xs[0].add(xs[1]);
    for (let i = 2; i < xs.length; i++) acc = acc.add(xs[i]);
    return acc;
  });
}

/** Options of broadcastAxis. */
export interface BroadcastAxisOptions {
  /** The axis or axes to broadcast along; each must have size 1 in the input. */
  axis: number | readonly number[];
  /** The target size along each axis (one number per axis). */
  size: number | readonly number[];
}

/**
 * Broadcasts `x` along axes of size 1 to the given sizes, MXNet's `broadcast_axis(data, axis,
 * size)` (alias `broadcast_axes`). Like `nd.broadcastTo`, the result is a view without a copy;
 * its gradient sums over the broadcast axes.
 *
 * @example
 * const x = nd.array([[[1], [2]]]);                       // shape [1, 2, 1]
 * nd.broadcastAxis(x, { axis: 2, size: 3 }).shape;        // [1, 2, 3]
 * nd.broadcastAxis(x, { axis: [0, 2], size: [2, 3] }).shape; // [2, 2, 3]
 */
export function broadcastAxis(x: NDArray, opts: BroadcastAxisOptions): NDArray {
  const op = 'broadcastAxis';
  if (!isArray(x)) throw new ValueError(`${op}: expected an NDArray, got ${String(x)}`);
  x.checkAlive(op);
  checkOptions(op, opts, ['axis', 'size']);
  if (!opts || opts.axis === undefined || opts.size === undefined)
    throw new ValueError(`${op}: axis and size are required, e.g. { axis: 1, size: 3 }`);
  const axes = typeof opts.axis === 'number' ? [opts.axis] : Array.isArray(opts.axis) ? [...opts.axis] : null;
  const sizes = typeof opts.size === 'number' ? [opts.size] : Array.isArray(opts.size) ? [...opts.size] : null;
  if (!axes || axes.some((a) => !Number.isInteger(a)))
    throw new ValueError(`${op}: axis must be an integer or a list of integers, got ${JSON.stringify(opts.axis)}`);
  if (!sizes || sizes.some((s) => !Number.isInteger(s) || s < 0))
    throw new ValueError(`${op}: size must be a non-negative integer or a list of them, got ${JSON.stringify(opts.size)}`);
  if (axes.length !== sizes.length)
    throw new ValueError(`${op}: axis ${JSON.stringify(opts.axis)} and size ${JSON.stringify(opts.size)} must have the same length`);
  const shape = [...x.shape];
  const seen = new Set<number>();
  axes.forEach((a, i) => {
    const ax = normalizeAxis(a, x.ndim, op);
    if (seen.has(ax)) throw new ValueError(`${op}: axis ${ax} is given twice in ${JSON.stringify(opts.axis)}`);
    seen.add(ax);
    if (x.shape[ax] !== 1)
      throw new ShapeError(
        `${op}: axis ${ax} of the array of shape ${shapeStr(x.shape)} has size ${x.shape[ax]}; only axes of size 1 can be broadcast`,
      );
    shape[ax] = sizes[i];
  });
  return broadcastTo(x, shape);
}
