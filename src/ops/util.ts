import type { DType } from '../core/dtype.js';
import { ValueError, DTypeError } from '../core/errors.js';
import { broadcastStrides, shapeStr, shapesEqual, type Shape } from '../core/shape.js';
import type { View } from '../backend/backend.js';
import { NDArray } from '../ndarray/ndarray.js';
import type { Context } from '../ndarray/context.js';

/** A fresh contiguous array on `ctx` (contents undefined until a kernel writes them). */
export function empty(shape: Shape, dtype: DType, ctx: Context): NDArray {
  return NDArray._alloc(shape, dtype, ctx);
}

/**
 * A broadcast view of `x` with `shape`, for handing to kernels (zero strides on broadcast dims).
 * Not recorded: callers tape the op that consumes it.
 */
export function broadcastView(x: NDArray, shape: Shape): NDArray {
  return x._viewOf(shape, broadcastStrides(x.shape, x.strides, shape), x.offset);
}

/**
 * A broadcast of `x` to `shape` as a bare View (no NDArray handle: nothing to track, count or
 * dispose), for handing straight to a kernel while `x` is alive. Returns `x` itself when the
 * shapes already agree.
 */
export function kernelView(x: NDArray, shape: Shape): View {
  if (shapesEqual(x.shape, shape)) return x;
  return { storage: x.storage, shape, strides: broadcastStrides(x.shape, x.strides, shape), offset: x.offset, dtype: x.dtype };
}

/** Throws unless all arrays live on one context; returns it. */
export function sameContext(op: string, ...xs: NDArray[]): Context {
  const c = xs[0].context;
  for (const x of xs)
    if (x.context !== c && !x.context.equals(c))
      throw new ValueError(`${op}: arrays live on different devices (${c} and ${x.context}); move one with copyto()/asInContext()`);
  return c;
}

export function requireFloat(op: string, x: NDArray): void {
  if (x.dtype !== 'float32' && x.dtype !== 'float64')
    throw new DTypeError(`${op}: expected a float32 or float64 array, got ${x.dtype} of shape ${shapeStr(x.shape)}`);
}

/** Runs fn with a set of temporaries and disposes them afterwards. */
export function withTemps<T>(temps: NDArray[], fn: () => T): T {
  try {
    return fn();
  } finally {
    for (const t of temps) t.dispose();
  }
}
