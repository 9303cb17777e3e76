/**
 * The `nd` namespace: MXNet's ndarray module in camelCase. Every operator is also a method of
 * NDArray; the functions here accept numbers where MXNet accepts scalars and take an optional
 * `{ out }` to write the result into an existing array in place.
 */
import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { ShapeError } from '../core/errors.js';
import { shapeStr, shapesEqual } from '../core/shape.js';
import * as E from '../ops/elementwise.js';
import * as R from '../ops/reduce.js';
import * as M from '../ops/movement.js';
import * as L from '../ops/linalg.js';
import * as I from '../ops/indexing.js';
import * as N from '../ops/nn.js';
import { NDArray, type ArrayOrScalar, type ReduceOptions } from './ndarray.js';
import { registeredBackends } from '../backend/registry.js';
import { liveArrayCount } from './memory.js';

export { NDArray } from './ndarray.js';
export type { ArrayOrScalar, ReduceOptions, GradReq } from './ndarray.js';
export { Context, cpu, gpu, currentContext } from './context.js';
export { array, zeros, ones, full, arange, linspace, eye, zerosLike, onesLike } from './creation.js';
export { tidy, keep } from './memory.js';
export * as random from './random.js';
export type { Index, IndexItem } from './index-parse.js';
export { save, saveAsync, load } from './io.js';
export type { SaveData, LoadedData, LoadOptions } from './io.js';
export { waitall } from './sync.js';

export interface OutOption {
  /** Write the result into this array (its identity kept), as MXNet's `out=`. */
  out?: NDArray;
}

function withOut(r: NDArray, opts?: OutOption): NDArray {
  const out = opts?.out;
  if (!out) return r;
  if (!shapesEqual(out.shape, r.shape))
    throw new ShapeError(`out: the result has shape ${shapeStr(r.shape)} but out has shape ${shapeStr(out.shape)}`);
  out._assignFrom(r);
  r.dispose(); // the primitive's result, copied into `out`: freed by hand around a primitive (no scope)
  return out;
}

const bin = (op: BinaryOp) => (a: ArrayOrScalar, b: ArrayOrScalar, opts?: OutOption) => withOut(E.binary(op, a, b), opts);
const un = (op: UnaryOp) => (x: NDArray, opts?: OutOption) => withOut(E.unary(op, x), opts);

/** Elementwise a + b with broadcasting. @example nd.add(X, Y); nd.add(X, Y, { out: Z }) */
export const add = bin('add');
/** MXNet's elemwise_add (the book's `nd.elemwise_add(X, Y, out=Z)`). @example nd.elemwiseAdd(X, Y, { out: Z }) */
export const elemwiseAdd = bin('add');
/** Elementwise a - b. @example nd.subtract(X, Y) */
export const subtract = bin('sub');
/** Elementwise a * b. @example nd.multiply(X, Y) */
export const multiply = bin('mul');
/** Elementwise a / b (true division). @example nd.divide(X, Y) */
export const divide = bin('div');
/** Elementwise a ** b. @example nd.power(X, 2) */
export const power = bin('pow');
/** Elementwise larger value. @example nd.maximum(X, 0) */
export const maximum = bin('maximum');
/** Elementwise smaller value. @example nd.minimum(X, 0) */
export const minimum = bin('minimum');
/** 0/1 where a == b. @example nd.equal(X, Y) */
export const equal = bin('equal');
/** 0/1 where a != b. @example nd.notEqual(X, Y) */
export const notEqual = bin('notEqual');
/** 0/1 where a > b. @example nd.greater(X, Y) */
export const greater = bin('greater');
/** 0/1 where a >= b. @example nd.greaterEqual(X, Y) */
export const greaterEqual = bin('greaterEqual');
/** 0/1 where a < b. @example nd.lesser(X, Y) */
export const lesser = bin('lesser');
/** 0/1 where a <= b. @example nd.lesserEqual(X, Y) */
export const lesserEqual = bin('lesserEqual');
/** Elementwise modulo (sign of the divisor). @example nd.mod(X, 3) */
export const mod = bin('mod');

/** @example nd.exp(Y) */
export const exp = un('exp');
/** @example nd.log(Y) */
export const log = un('log');
/** @example nd.sqrt(Y) */
export const sqrt = un('sqrt');
/** @example nd.square(Y) */
export const square = un('square');
/** @example nd.abs(Y) */
export const abs = un('abs');
/** @example nd.sign(Y) */
export const sign = un('sign');
/** @example nd.negative(Y) */
export const negative = un('neg');
/** @example nd.sin(Y) */
export const sin = un('sin');
/** @example nd.cos(Y) */
export const cos = un('cos');
/** @example nd.tanh(Y) */
export const tanh = un('tanh');
/** @example nd.sigmoid(Y) */
export const sigmoid = un('sigmoid');
/** max(x, 0). @example nd.relu(Y) */
export const relu = un('relu');
/** @example nd.floor(Y) */
export const floor = un('floor');
/** @example nd.ceil(Y) */
export const ceil = un('ceil');
/** Rounds halves away from zero (MXNet). @example nd.round(Y) */
export const round = un('round');
/** @example nd.reciprocal(Y) */
export const reciprocal = un('reciprocal');
/** @example nd.log1p(Y) */
export const log1p = un('log1p');
/** @example nd.expm1(Y) */
export const expm1 = un('expm1');

/** Elementwise clamp. @example nd.clip(X, 0, 1) */
export function clip(x: NDArray, lo: number, hi: number, opts?: OutOption): NDArray {
  return withOut(E.clip(x, lo, hi), opts);
}
/** `cond ? a : b` elementwise. @example nd.where(X.greater(0), X, 0) */
export function where(cond: NDArray, a: ArrayOrScalar, b: ArrayOrScalar): NDArray {
  return E.where(cond, a, b);
}

// The reductions take their axis as an option or, as MXNet's positional argument, alone: nd.sum(X, 1).
/** @example nd.sum(X, { axis: 0, keepdims: true }); nd.sum(X, 0) */
export const sum = (x: NDArray, opts?: R.ReduceArg) => R.reduce('sum', x, opts);
/** @example nd.mean(X) */
export const mean = (x: NDArray, opts?: R.ReduceArg) => R.mean(x, opts);
/** @example nd.prod(X) */
export const prod = (x: NDArray, opts?: R.ReduceArg) => R.reduce('prod', x, opts);
/** @example nd.max(X, { axis: 1 }) */
export const max = (x: NDArray, opts?: R.ReduceArg) => R.reduce('max', x, opts);
/** @example nd.min(X) */
export const min = (x: NDArray, opts?: R.ReduceArg) => R.reduce('min', x, opts);
/** @example nd.argmax(yHat, { axis: 1 }); nd.argmax(yHat, 1) */
export const argmax = (x: NDArray, opts?: R.ArgReduceArg) => R.argReduce('argmax', x, opts);
/** @example nd.argmin(X, { axis: 0 }) */
export const argmin = (x: NDArray, opts?: R.ArgReduceArg) => R.argReduce('argmin', x, opts);
/** The L2 norm; a number alone is `ord` (MXNet's norm(data, ord)). @example nd.norm(X); nd.norm(X, { axis: 1 }) */
export const norm = (x: NDArray, opts?: (ReduceOptions & { ord?: 1 | 2 }) | 1 | 2 | null) => R.norm(x, opts);

export const dot = L.dot;
export const batchDot = L.batchDot;
export const matmul = L.matmul;

/** @example nd.reshape(X, [3, 4]) */
export const reshape = (x: NDArray, shape: readonly number[]) => M.reshape(x, shape);
/** @example nd.transpose(X, [1, 0]) */
export const transpose = (x: NDArray, axes?: readonly number[]) => M.transpose(x, axes);
/** @example nd.swapaxes(X, 0, 1) */
export const swapaxes = M.swapaxes;
/** @example nd.expandDims(X, 0) */
export const expandDims = M.expandDims;
/** @example nd.squeeze(X) */
export const squeeze = M.squeeze;
/** @example nd.flatten(X) */
export const flatten = M.flatten;
/** @example nd.broadcastTo(A, [3, 2]) */
export const broadcastTo = M.broadcastTo;
/** @example nd.tile(X, [2, 1]) */
export const tile = M.tile;
/** @example nd.repeat(X, 2, { axis: 0 }) */
export const repeat = (x: NDArray, repeats: number, opts?: { axis?: number } | number) => x.repeat(repeats, opts);
/** @example nd.split(X, 2, { axis: 1 }) */
export const split = M.split;
/**
 * Joins arrays along `dim` (default 1, as MXNet).
 * @example nd.concat([X, Y], { dim: 0 })
 */
export const concat = M.concat;
/** @example nd.stack([X, Y], { axis: 0 }) */
export const stack = M.stack;
export const take = I.take;
export const pick = I.pick;
export const oneHot = I.oneHot;

/** softmax along `axis` (default -1), computed stably. @example nd.softmax(nd.array([[1, 2, 3]])) */
export const softmax = N.softmax;
/** log(softmax(x)) along `axis`, without overflow. @example nd.logSoftmax(nd.array([[1e4, 0]])) */
export const logSoftmax = N.logSoftmax;

/** One backend's share of `nd.memory()`. */
export interface DeviceMemory {
  /** The backend's name ('cpu', 'webgpu'). */
  backend: string;
  storages: number;
  bytes: number;
  reservedBytes: number;
  /** CPU: arrays moved out of the heap into garbage-collected memory so far, and their bytes. */
  evictions?: number;
  evictedBytes?: number;
  /** CPU: evicted arrays moved back in at their next use. */
  readmissions?: number;
}

/**
 * Live arrays and backend bytes, for finding leaks. They count what is in a device's memory:
 * `arrays` the handles not yet disposed or collected, except those whose storage was moved out of
 * the heap into garbage-collected memory (eviction: the book's loops without memory calls), which
 * stop counting then (nothing can count them without the records piling up in a loop that never
 * yields). `bytes`, `storages` and `reservedBytes` are summed over every device in use; `devices` has each device's share, keyed by context name
 * (`'cpu(0)'`, and `'gpu(0)'` once a GPU backend is initialised).
 *
 * @example
 * const { arrays, bytes } = nd.memory();
 * const gpuBytes = nd.memory().devices['gpu(0)']?.bytes ?? 0;
 */
export function memory(): {
  arrays: number;
  bytes: number;
  storages: number;
  reservedBytes: number;
  devices: Record<string, DeviceMemory>;
} {
  const devices: Record<string, DeviceMemory> = {};
  let bytes = 0;
  let storages = 0;
  let reservedBytes = 0;
  for (const [name, b] of registeredBackends()) {
    const m = b.memory();
    devices[name] = { backend: b.name, ...m };
    bytes += m.bytes;
    storages += m.storages;
    reservedBytes += m.reservedBytes;
  }
  return { arrays: liveArrayCount(), bytes, storages, reservedBytes, devices };
}

/** Seeds every random draw of the library. @example nd.seed(42) */
export { seed } from './random.js';

/** Whether `x` is an NDArray. @example nd.isNDArray(x) */
export function isNDArray(x: unknown): x is NDArray {
  return x instanceof NDArray;
}

// MXNet's topk, add_n, broadcast_axis and operator forms (src/ops/topk.ts, combine.ts, conv-ops.ts).
export { topk } from '../ops/topk.js';
export type { TopkOptions } from '../ops/topk.js';
export { addN, broadcastAxis, broadcastAxis as broadcastAxes } from '../ops/combine.js';
export type { BroadcastAxisOptions } from '../ops/combine.js';
export { Convolution, Pooling } from '../ops/conv-ops.js';
export type { ConvolutionArgs, PoolingArgs } from '../ops/conv-ops.js';
