// Creating arrays: nd.array from nested lists or typed arrays, zeros, ones, full, arange, eye, linspace.
import { checkDType, checkValuesFit, dtypeOfTypedArray, type DType } from '../core/dtype.js';
import { ShapeError, ValueError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { checkShape, shapeStr, sizeOf, type Shape } from '../core/shape.js';
import { full as fullOp } from '../ops/movement.js';
import { Context, currentContext } from './context.js';
import { NDArray } from './ndarray.js';

export interface CreateOptions {
  dtype?: DType;
  ctx?: Context;
}

const CREATE_KEYS = ['dtype', 'ctx'];
const ARRAY_KEYS = ['dtype', 'ctx', 'shape'];
const LINSPACE_KEYS = ['dtype', 'ctx', 'endpoint'];

/**
 * The options argument of a creation function, checked; a Context alone stands for `{ ctx }`, as
 * MXNet's positional `ctx` (`nd.zeros(shape, ctx)`).
 */
function createOpts<T extends CreateOptions>(op: string, opts: T | Context | undefined, keys: readonly string[]): T {
  if (opts instanceof Context) return { ctx: opts } as T;
  checkOptions(op, opts, keys);
  return opts ?? ({} as T);
}

/** @internal A new array holding a copy of `data` (already in row-major order). */
export function fromData(data: ArrayLike<number>, shape: Shape, dtype: DType, ctx: Context): NDArray {
  return NDArray._fromData(data, shape, dtype, ctx);
}

/** The most elements one array may have (2^31 - 1: typed-array lengths and int32 indices). */
const MAX_ELEMENTS = 2147483647;

export type NestedNumbers = number | boolean | readonly NestedNumbers[];

/**
 * An array from nested JS arrays, a typed array, a number or another NDArray (copied).
 * The dtype defaults to float32 (MXNet's default), or the typed array's own dtype.
 *
 * @example
 * const Y = nd.array([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]]);
 * nd.array(new Int32Array([1, 2]), { shape: [2, 1] });
 */
export function array(
  data: NestedNumbers | ArrayLike<number> | NDArray,
  options?: (CreateOptions & { shape?: number[] }) | Context,
): NDArray {
  const opts = createOpts('array', options, ARRAY_KEYS);
  const ctx = opts.ctx ?? currentContext();
  if (data instanceof NDArray) {
    const c = data.copyto(ctx);
    if (opts.dtype && opts.dtype !== c.dtype) {
      const r = c.astype(opts.dtype);
      c.dispose();
      return r;
    }
    return c;
  }
  const dtype = checkDType(
    opts.dtype ?? (ArrayBuffer.isView(data) ? dtypeOfTypedArray(data as ArrayLike<number>) : undefined) ?? 'float32',
    'array',
  );
  if (ArrayBuffer.isView(data)) {
    const flat = data as ArrayLike<number>;
    const shape = opts.shape ? checkShape(opts.shape, 'array') : [flat.length];
    if (sizeOf(shape) !== flat.length) throw new ShapeError(`array: ${flat.length} values do not fill the shape ${shapeStr(shape)}`);
    if (dtype === 'bool' || dtype !== dtypeOfTypedArray(flat)) checkValuesFit('array', flat, dtype);
    return fromData(flat, shape, dtype, ctx);
  }
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat: number[] = [];
  const walk = (v: unknown, d: number): void => {
    if (d === shape.length) {
      if (typeof v === 'boolean') flat.push(v ? 1 : 0);
      else if (typeof v === 'number') flat.push(v);
      else throw new ValueError(`array: expected numbers in nested arrays, found ${Array.isArray(v) ? 'a list' : typeof v} at depth ${d}`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d])
      throw new ShapeError(
        `array: ragged nested arrays: expected a list of length ${shape[d]} at depth ${d}, got ${Array.isArray(v) ? `length ${v.length}` : typeof v}`,
      );
    for (const x of v) walk(x, d + 1);
  };
  walk(data, 0);
  const finalShape = opts.shape ? checkShape(opts.shape, 'array') : shape;
  if (sizeOf(finalShape) !== flat.length)
    throw new ShapeError(`array: ${flat.length} values do not fill the shape ${shapeStr(finalShape)}`);
  checkValuesFit('array', flat, dtype);
  return fromData(flat, finalShape, dtype, ctx);
}

/**
 * An array of `shape` filled with `value`.
 * @example nd.full([2, 3], 7).toArray(); // [[7, 7, 7], [7, 7, 7]]
 */
export function full(shape: number | readonly number[], value: number, options?: CreateOptions | Context): NDArray {
  return fillWith('full', shape, value, options);
}
/** Zeros. @example nd.zeros([2, 3, 4]) */
export function zeros(shape: number | readonly number[], opts?: CreateOptions | Context): NDArray {
  return fillWith('zeros', shape, 0, opts);
}
/** Ones. @example nd.ones([3, 4]) */
export function ones(shape: number | readonly number[], opts?: CreateOptions | Context): NDArray {
  return fillWith('ones', shape, 1, opts);
}
function fillWith(op: string, shape: number | readonly number[], value: number, options?: CreateOptions | Context): NDArray {
  const opts = createOpts(op, options, CREATE_KEYS);
  const dtype = checkDType(opts.dtype ?? 'float32', op);
  if (typeof value !== 'number' && typeof value !== 'boolean')
    throw new ValueError(`${op}: the fill value must be a number, got ${typeof value} ${String(value)}`);
  checkValuesFit(op, [Number(value)], dtype);
  return fullOp(checkShape(shape, op), Number(value), dtype, opts.ctx ?? currentContext());
}
/** Zeros with x's shape, dtype and context. @example nd.zerosLike(x) */
export function zerosLike(x: NDArray): NDArray {
  return x.zerosLike();
}
/** Ones with x's shape, dtype and context. @example nd.onesLike(x) */
export function onesLike(x: NDArray): NDArray {
  return x.onesLike();
}

/**
 * Evenly spaced values in [start, stop) (`arange(n)` counts from 0); float32 by default as MXNet.
 * @example nd.arange(12).reshape([3, 4]); nd.arange(-8, 8, 0.1)
 */
export function arange(start: number, stop?: number | null, step = 1, options?: CreateOptions | Context): NDArray {
  const opts = createOpts('arange', options, CREATE_KEYS);
  if (stop === undefined || stop === null) [start, stop] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new ValueError(`arange: step must be a non-zero finite number, got ${step}`);
  if (!Number.isFinite(start) || !Number.isFinite(stop))
    throw new ValueError(`arange: start and stop must be finite numbers, got start=${start}, stop=${stop}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  if (n > MAX_ELEMENTS)
    throw new ValueError(`arange: [${start}, ${stop}) with step ${step} has ${n} elements, more than an array can hold (${MAX_ELEMENTS})`);
  const dtype = checkDType(opts.dtype ?? 'float32', 'arange');
  const vals = new Float64Array(n);
  for (let i = 0; i < n; i++) vals[i] = start + i * step;
  checkValuesFit('arange', vals, dtype);
  return fromData(vals, [n], dtype, opts.ctx ?? currentContext());
}

/**
 * `num` evenly spaced values from start to stop (inclusive unless `endpoint: false`).
 * @example nd.linspace(0, 1, 5).toArray(); // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number, stop: number, num: number, options?: (CreateOptions & { endpoint?: boolean }) | Context): NDArray {
  const opts = createOpts('linspace', options, LINSPACE_KEYS);
  if (!Number.isFinite(start) || !Number.isFinite(stop))
    throw new ValueError(`linspace: start and stop must be finite numbers, got start=${start}, stop=${stop}`);
  if (!Number.isInteger(num) || num < 0) throw new ValueError(`linspace: num must be a non-negative integer, got ${num}`);
  const endpoint = opts.endpoint ?? true;
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  const vals = new Float64Array(num);
  for (let i = 0; i < num; i++) vals[i] = start + i * step;
  if (endpoint && num > 1) vals[num - 1] = stop;
  const dtype = checkDType(opts.dtype ?? 'float32', 'linspace');
  checkValuesFit('linspace', vals, dtype);
  return fromData(vals, [num], dtype, opts.ctx ?? currentContext());
}

/**
 * An N x M matrix with ones on the k-th diagonal.
 * @example nd.eye(3).toArray(); // [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
 */
export function eye(N: number, M?: number | null, k = 0, options?: CreateOptions | Context): NDArray {
  const opts = createOpts('eye', options, CREATE_KEYS);
  const m = M ?? N;
  checkShape([N, m], 'eye');
  const vals = new Float64Array(N * m);
  for (let i = 0; i < N; i++) {
    const j = i + k;
    if (j >= 0 && j < m) vals[i * m + j] = 1;
  }
  return fromData(vals, [N, m], checkDType(opts.dtype ?? 'float32', 'eye'), opts.ctx ?? currentContext());
}
