// Helpers every op uses: fresh outputs, broadcast views for kernels, device and dtype checks, and
// `composite()`, the scope that composed ops run in.
import type { DType } from '../core/dtype.js';
import { ValueError, DTypeError } from '../core/errors.js';
import { broadcastStrides, shapeStr, shapesEqual, type Shape } from '../core/shape.js';
import type { View } from '../backend/backend.js';
import { NDArray } from '../ndarray/ndarray.js';
import type { Context } from '../ndarray/context.js';
import { scoped } from '../ndarray/memory.js';

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

/** What a composed op returns: an array, several of them, or nothing (an in-place write). */
export type Composed = NDArray | readonly (NDArray | null | undefined)[] | void;

/**
 * Runs a composed op (one written with other ops) in a scope that keeps only its result, as
 * tfjs's `op()`: every temporary made inside is freed on the way out, also when it throws. Arrays
 * made outside (the caller's inputs) are never disposed, so a result that is an input or a view of
 * one survives; the tape keeps its own handles of what a gradient needs, so recorded temporaries
 * may go. The scope is `nd.tidy`'s (memory.ts) and costs one Set per call: primitives (one
 * kernel, as add or matmul) must not take one.
 *
 * @example
 * const clip = (x: NDArray, lo: number, hi: number) => composite(() => x.maximum(lo).minimum(hi));
 */
export function composite<T extends Composed>(fn: () => T): T {
  return scoped(fn, true);
}

/** A bare strided View onto `x`'s storage (no handle to track or dispose), for a kernel's operand or destination. */
export function rawView(x: NDArray, shape: Shape, strides: readonly number[], offset: number): View {
  return { storage: x.storage, shape, strides, offset, dtype: x.dtype };
}
