/**
 * gluon.utils: helpers around training loops (MXNet's mxnet.gluon.utils).
 */
import { ValueError } from '../core/errors.js';
import { shapeStr } from '../core/shape.js';
import { tidy } from '../ndarray/memory.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { withoutRecording } from './optimizer/optimizer.js';

/** Options of clipGlobalNorm. */
export interface ClipGlobalNormOptions {
  /**
   * Read the norm back and warn when it is NaN or infinite (default true, as MXNet). With false
   * the norm is returned as a 0-d NDArray and nothing is read back (no synchronisation).
   */
  checkIsfinite?: boolean;
}

/**
 * Rescales `arrays` (usually gradients) in place so that the L2 norm of all of them together is
 * at most `maxNorm`, and returns that norm before clipping (MXNet's clip_global_norm): every array
 * is multiplied by min(1, maxNorm / (norm + 1e-8)).
 *
 * @example
 * const grads = [...net.collectParams().values()].map((p) => p.grad());
 * const norm = gluon.utils.clipGlobalNorm(grads, 1); // a number
 */
export function clipGlobalNorm(arrays: readonly NDArray[], maxNorm: number, opts?: { checkIsfinite?: true }): number;
export function clipGlobalNorm(arrays: readonly NDArray[], maxNorm: number, opts: { checkIsfinite: false }): NDArray;
export function clipGlobalNorm(arrays: readonly NDArray[], maxNorm: number, opts: ClipGlobalNormOptions = {}): number | NDArray {
  const op = 'clipGlobalNorm';
  checkArrays(op, arrays, maxNorm);
  const check = opts.checkIsfinite ?? true;
  if (check && arrays[0].context.deviceType !== 'cpu')
    throw new ValueError(
      `${op}: the arrays live on ${arrays[0].context}, where returning the norm as a number needs an asynchronous read: ` +
        'use `await gluon.utils.clipGlobalNormAsync(arrays, maxNorm)`, or `{ checkIsfinite: false }` to clip on the device and get the norm as an array',
    );
  return withoutRecording(() =>
    tidy(() => {
      const norm = globalNorm(arrays);
      if (check) {
        const n = norm.asScalar();
        warnIfNotFinite(n);
        const scale = maxNorm / (n + 1e-8);
        // Multiplying by 1 changes nothing, so it is skipped.
        if (scale < 1) for (const a of arrays) a.imul(scale);
        return n;
      }
      scaleOnDevice(arrays, norm, maxNorm);
      return norm;
    }),
  );
}

/**
 * `clipGlobalNorm` for every device: the arrays are rescaled on their device (nothing waits for
 * the norm), then the norm is read asynchronously, returned, and checked as MXNet does (a
 * warning when it is NaN or infinite).
 *
 * @example
 * const grads = net.collectParams().values().map((p) => p.grad()); // on gpu(0)
 * const norm = await gluon.utils.clipGlobalNormAsync(grads, 1);
 */
export async function clipGlobalNormAsync(arrays: readonly NDArray[], maxNorm: number): Promise<number> {
  checkArrays('clipGlobalNormAsync', arrays, maxNorm);
  const norm = withoutRecording(() =>
    tidy(() => {
      const nrm = globalNorm(arrays);
      scaleOnDevice(arrays, nrm, maxNorm);
      return nrm;
    }),
  );
  try {
    const n = (await norm.data())[0];
    warnIfNotFinite(n);
    return n;
  } finally {
    norm.dispose();
  }
}

function warnIfNotFinite(n: number): void {
  if (!Number.isFinite(n))
    process.emitWarning('clipGlobalNorm: nan or inf is detected. Clipping results will be undefined.', 'UserWarning');
}

/** sqrt(Σ ‖a‖²) over every array, as a 0-d array on their device. */
function globalNorm(arrays: readonly NDArray[]): NDArray {
  let total: NDArray | null = null;
  for (const a of arrays) {
    const sq = a.square().sum();
    total = total ? total.add(sq) : sq;
  }
  return total!.sqrt();
}

/** Multiplies every array by min(1, maxNorm / (norm + 1e-8)) without reading the norm. */
function scaleOnDevice(arrays: readonly NDArray[], norm: NDArray, maxNorm: number): void {
  const scale = norm.add(1e-8).rdiv(maxNorm).minimum(1);
  for (const a of arrays) a.imul(scale.astype(a.dtype));
}

function checkArrays(op: string, arrays: readonly NDArray[], maxNorm: number): void {
  if (!Array.isArray(arrays) || arrays.length === 0) throw new ValueError(`${op}: expected a non-empty list of arrays`);
  if (!(typeof maxNorm === 'number' && maxNorm > 0)) throw new ValueError(`${op}: maxNorm must be a positive number, got ${maxNorm}`);
  const ctx = arrays[0].context;
  arrays.forEach((a, i) => {
    if (!a || !(a as { __isNDArray?: boolean }).__isNDArray) throw new ValueError(`${op}: element ${i} is not an NDArray`);
    if (a.dtype !== 'float32' && a.dtype !== 'float64')
      throw new ValueError(`${op}: element ${i} (shape ${shapeStr(a.shape)}) is ${a.dtype}; only float arrays can be scaled`);
    if (!a.context.equals(ctx))
      throw new ValueError(`${op}: element ${i} lives on ${a.context} but element 0 on ${ctx}; move them to one device`);
  });
}
