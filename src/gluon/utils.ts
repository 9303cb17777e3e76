/**
 * gluon.utils: helpers around training loops (MXNet's mxnet.gluon.utils).
 */
import { ValueError } from '../core/errors.js';
import { shapeStr } from '../core/shape.js';
import { tidy } from '../ndarray/memory.js';
import { NDArray } from '../ndarray/ndarray.js';
import { Context } from '../ndarray/context.js';
import { array, type NestedNumbers } from '../ndarray/creation.js';
import { checkOptions } from '../core/options.js';
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

/** Options of splitData and splitAndLoad. */
export interface SplitOptions {
  /** The axis along which the batch is split (default 0). */
  batchAxis?: number;
  /** Refuse a batch that does not split into equal parts (default true, as MXNet). */
  evenSplit?: boolean;
}

const SPLIT_KEYS = ['batchAxis', 'evenSplit'];

/**
 * Splits `data` along `batchAxis` into `numSlice` consecutive slices (MXNet's split_data). With
 * `evenSplit: false` the first `size % numSlice` slices take one row more.
 *
 * @example
 * gluon.utils.splitData(nd.arange(24).reshape([6, 4]), 2).map((s) => s.shape); // [[3, 4], [3, 4]]
 */
export function splitData(data: NDArray, numSlice: number, opts: SplitOptions = {}): NDArray[] {
  const op = 'splitData';
  if (!(data instanceof NDArray)) throw new ValueError(`${op}: data must be an NDArray, got ${data === null ? 'null' : typeof data}`);
  checkOptions(op, opts, SPLIT_KEYS);
  if (!(Number.isInteger(numSlice) && numSlice >= 1)) throw new ValueError(`${op}: numSlice must be a positive integer, got ${numSlice}`);
  const axis = opts.batchAxis ?? 0;
  if (!(Number.isInteger(axis) && axis >= 0 && axis < data.ndim))
    throw new ValueError(`${op}: batchAxis ${axis} is out of range for data of shape ${shapeStr(data.shape)}`);
  const size = data.shape[axis];
  if (size < numSlice)
    throw new ValueError(
      `${op}: too many slices for data with shape ${shapeStr(data.shape)}: arguments are numSlice=${numSlice} and batchAxis=${axis}`,
    );
  if ((opts.evenSplit ?? true) && size % numSlice !== 0)
    throw new ValueError(
      `${op}: data with shape ${shapeStr(data.shape)} cannot be evenly split into ${numSlice} slices along axis ${axis}. ` +
        `Use a batch size that's multiple of ${numSlice} or set { evenSplit: false } to allow uneven partitioning of data.`,
    );
  const each = Math.floor(size / numSlice);
  const extras = size % numSlice;
  const slices: NDArray[] = [];
  let start = 0;
  for (let i = 0; i < numSlice; i++) {
    const end = start + each + (i < extras ? 1 : 0);
    slices.push(numSlice === 1 ? data : data.get([...new Array<string>(axis).fill(':'), `${start}:${end}`]));
    start = end;
  }
  return slices;
}

/**
 * Splits `data` along the batch axis into one slice per context and copies each slice to its
 * context (MXNet's split_and_load, what data-parallel training feeds each device with).
 *
 * @example
 * const ctx = [nd.cpu(0), nd.cpu(1)];
 * const [x0, x1] = gluon.utils.splitAndLoad(nd.arange(24).reshape([6, 4]), ctx);
 * x1.context.toString(); // 'cpu(1)'
 */
export function splitAndLoad(data: NDArray | NestedNumbers, ctxList: readonly Context[], opts: SplitOptions = {}): NDArray[] {
  const op = 'splitAndLoad';
  if (!Array.isArray(ctxList) || ctxList.length === 0 || !ctxList.every((c) => c instanceof Context))
    throw new ValueError(`${op}: ctxList must be a non-empty list of contexts such as [cpu(0), gpu(0)]`);
  const arr = data instanceof NDArray ? data : array(data as NestedNumbers, { ctx: ctxList[0] });
  if (ctxList.length === 1) return [arr.asInContext(ctxList[0])];
  return splitData(arr, ctxList.length, opts).map((s, i) => {
    const moved = s.asInContext(ctxList[i]);
    // The slice was only the way to the copy: freed now, not left to the garbage collector.
    if (moved !== s) s.dispose();
    return moved;
  });
}
