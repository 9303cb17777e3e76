// NDArray: a handle on reference-counted storage (shape, strides, offset, dtype, context), with
// the book's methods delegating to src/ops.
import type { GcToken, Storage, View } from '../backend/backend.js';
import type { DType, TypedArray } from '../core/dtype.js';
import { checkDType, isFloat, typedArrayCtor } from '../core/dtype.js';
import { AutogradError, DisposedError, ValueError } from '../core/errors.js';
import { contiguousStrides, isContiguous, shapeStr, sizeOf, type Shape } from '../core/shape.js';
import type { TapeNode } from '../autograd/tape.js';
import { state } from '../autograd/state.js';
import { backward as runBackward } from '../autograd/autograd.js';
import { Context, cpu } from './context.js';
import { keep, releaseStorage, trackArray, untrackArray } from './memory.js';
import { array2string, formatNDArray } from './format.js';
import * as E from '../ops/elementwise.js';
import * as R from '../ops/reduce.js';
import * as M from '../ops/movement.js';
import * as L from '../ops/linalg.js';
import * as I from '../ops/indexing.js';
import { topk, type TopkOptions } from '../ops/topk.js';
import type { Index } from './index-parse.js';
import { checkOptions, positional } from '../core/options.js';

const REPEAT_KEYS = ['axis'];
const ATTACH_KEYS = ['gradReq'];
const BACKWARD_KEYS = ['retainGraph', 'createGraph', 'trainMode'];

export type GradReq = 'write' | 'add' | 'null';

/** Throws unless `req` is a GradReq ('write', 'add' or 'null'); returns it. @example checkGradReq('attachGrad', 'add') */
export function checkGradReq(op: string, req: unknown): GradReq {
  if (req === 'write' || req === 'add' || req === 'null') return req;
  throw new ValueError(`${op}: gradReq must be 'write', 'add' or 'null', got ${typeof req === 'string' ? `'${req}'` : String(req)}`);
}
export type Scalar = number;
export type ArrayOrScalar = NDArray | number;
export interface ReduceOptions {
  axis?: number | number[] | null;
  keepdims?: boolean;
}

/**
 * An n-dimensional array on a device: a strided view onto reference-counted storage.
 * Operators are methods (`a.add(b)`) and `nd.*` functions (`nd.add(a, b)`); options go in a trailing
 * object (`x.sum({ axis: 1, keepdims: true })`).
 *
 * @example
 * const X = nd.arange(12).reshape([3, 4]);
 * X.get('1:3').toString(); // rows 1 and 2, a view (no copy)
 * X.set('1:2, :', 12);     // X[1:2, :] = 12, in place
 */
export class NDArray implements View, Disposable {
  /** @internal */ readonly __isNDArray = true;
  /** @internal */ _node: TapeNode | null = null;
  /** @internal */ _grad: NDArray | null = null;
  /** @internal */ _gradReq: GradReq = 'null';
  /** @internal Whether a backward pass without retainGraph freed the graph this array was computed by. */
  _graphFreed = false;
  private _disposed = false;
  /** @internal The tidy scope holding this handle (memory.ts), if any. */
  _scope: Set<NDArray> | null = null;
  /** @internal The garbage collector's safety-net registration of this handle (memory.ts), if any. */
  _gcToken: GcToken | null = null;

  /** @internal Use nd.* creation functions instead. */
  constructor(
    /** @internal */ readonly _storage: Storage,
    readonly shape: Shape,
    readonly strides: readonly number[],
    readonly offset: number,
    readonly dtype: DType,
    readonly context: Context,
    /** @internal false: an internal handle its owner disposes (no tidy scope, no GC watch). */
    tracked = true,
  ) {
    trackArray(this, tracked);
  }

  /** @internal A fresh contiguous array (contents undefined). */
  static _alloc(shape: Shape, dtype: DType, ctx: Context = cpu()): NDArray {
    const backend = ctx.backend;
    if (!backend.supportsDType(dtype)) throw new ValueError(`${ctx}: the ${backend.name} backend cannot store ${dtype} arrays`);
    const s = backend.alloc(dtype, sizeOf(shape));
    return new NDArray(s, [...shape], contiguousStrides(shape), 0, dtype, ctx);
  }

  /** @internal A new array holding a copy of `data` (row-major). */
  static _fromData(data: ArrayLike<number>, shape: Shape, dtype: DType, ctx: Context): NDArray {
    const out = NDArray._alloc(shape, dtype, ctx);
    const C = typedArrayCtor(dtype);
    ctx.backend.write(out, data instanceof C ? (data as TypedArray) : C.from(data));
    return out;
  }

  /** @internal A new handle onto this array's storage with another shape/strides/offset. */
  _viewOf(shape: Shape, strides: readonly number[], offset: number): NDArray {
    this.checkAlive('view');
    this._storage.refs++;
    return new NDArray(this._storage, shape, strides, offset, this.dtype, this.context);
  }

  /** @internal A handle on the same values that outlives every tidy scope (watched by the GC). */
  _valueHandle(): NDArray {
    return keep(this._viewOf(this.shape, this.strides, this.offset));
  }

  /**
   * @internal A handle on the same values in no tidy scope and not watched by the garbage
   * collector: its owner (a tape node, the backward pass) must dispose it.
   */
  _ownedHandle(): NDArray {
    this.checkAlive('view');
    this._storage.refs++;
    return new NDArray(this._storage, this.shape, this.strides, this.offset, this.dtype, this.context, false);
  }

  /** The storage block this array views. */
  get storage(): Storage {
    this.checkAlive('storage');
    return this._storage;
  }

  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return sizeOf(this.shape);
  }
  /** Whether the elements sit in row-major order with no gaps. */
  get isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** @internal */
  checkAlive(op: string): void {
    if (this._disposed) throw new DisposedError(`${op}: the array of shape ${shapeStr(this.shape)} was disposed`);
  }

  /** Releases this handle's storage now (storage shared with views lives on until they go too). */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    untrackArray(this);
    releaseStorage(this._storage);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---------------------------------------------------------------- reading values
  /**
   * MXNet's `wait_to_read`: resolves once the computation that writes this array has run. CPU
   * kernels run synchronously, so there it resolves at once; a GPU waits for its queued kernels
   * and rejects with any error the device reported.
   *
   * @example
   * const y = nd.dot(x, x.T);
   * await y.waitToRead();
   */
  async waitToRead(): Promise<void> {
    this.checkAlive('waitToRead');
    await this.context.backend.sync?.();
  }
  /** The elements as a new typed array in row-major order; works on every device. */
  async data(): Promise<TypedArray> {
    this.checkAlive('data');
    return this.context.backend.read(this);
  }
  /** Synchronous `data()`: CPU arrays only (a GPU can be read only asynchronously). */
  dataSync(): TypedArray {
    this.checkAlive('dataSync');
    if (this.context.deviceType !== 'cpu')
      throw new ValueError(`dataSync: the array is on ${this.context}; GPU arrays are read asynchronously with \`await x.data()\``);
    return this.context.backend.readSync(this);
  }
  /** The elements as nested JS arrays (CPU arrays; use `await x.data()` on a GPU). */
  toArray(): any {
    if (this.context.deviceType !== 'cpu') {
      this.checkAlive('toArray');
      throw new ValueError(`toArray: the array is on ${this.context}; GPU arrays are read asynchronously with \`await x.toArrayAsync()\``);
    }
    return nestRows(Array.from(this.dataSync()), this.shape);
  }
  /** The value of a one-element array. @example nd.array([3]).asScalar() // 3 */
  asScalar(): number {
    if (this.size !== 1)
      throw new ValueError(`asScalar: the array has shape ${shapeStr(this.shape)}; only one-element arrays convert to a scalar`);
    if (this.context.deviceType !== 'cpu') {
      this.checkAlive('asScalar');
      throw new ValueError(
        `asScalar: the array is on ${this.context}; GPU arrays are read asynchronously with \`await x.asScalarAsync()\``,
      );
    }
    return this.dataSync()[0];
  }
  /**
   * `toArray()` for every device: the elements as nested JS arrays, read asynchronously.
   *
   * @example
   * await nd.ones([2, 2], { ctx: nd.gpu() }).toArrayAsync(); // [[1, 1], [1, 1]]
   */
  async toArrayAsync(): Promise<any> {
    this.checkAlive('toArrayAsync');
    return nestRows(Array.from(await this.data()), this.shape);
  }
  /**
   * `asScalar()` for every device: the value of a one-element array, read asynchronously.
   *
   * @example
   * await x.sum().asScalarAsync(); // a number, whether x is on cpu(0) or gpu(0)
   */
  async asScalarAsync(): Promise<number> {
    this.checkAlive('asScalarAsync');
    if (this.size !== 1)
      throw new ValueError(`asScalarAsync: the array has shape ${shapeStr(this.shape)}; only one-element arrays convert to a scalar`);
    return (await this.data())[0];
  }
  /**
   * `toString()` for every device: numpy-style text and MXNet's footer, with the values read
   * asynchronously (a GPU array's `toString()` can only print a placeholder).
   *
   * @example
   * console.log(await nd.arange(4, { ctx: nd.gpu() }).toStringAsync()); // [0. 1. 2. 3.]\n<NDArray 4 @gpu(0)>
   */
  async toStringAsync(): Promise<string> {
    this.checkAlive('toStringAsync');
    if (this.context.deviceType === 'cpu') return formatNDArray(this);
    return `\n${array2string(await this.data(), this.shape, this.dtype)}\n<NDArray ${this.shape.join('x')} @${this.context}>`;
  }
  /** numpy-style text followed by MXNet's footer, e.g. `[[0. 1.]\n [2. 3.]]\n<NDArray 2x2 @cpu(0)>`. */
  toString(): string {
    this.checkAlive('toString');
    return formatNDArray(this);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this._disposed ? `<NDArray ${this.shape.join('x')} (disposed)>` : this.toString();
  }

  // ---------------------------------------------------------------- autograd
  /**
   * Allocates a gradient buffer (`x.grad`) and marks this array as a variable to differentiate.
   * `gradReq: 'add'` accumulates across backward passes instead of overwriting.
   */
  attachGrad(opts: { gradReq?: GradReq } = {}): void {
    this.checkAlive('attachGrad');
    checkOptions('attachGrad', opts, ATTACH_KEYS);
    const req = checkGradReq('attachGrad', opts.gradReq ?? 'write');
    if (req !== 'null' && !isFloat(this.dtype))
      throw new AutogradError(`attachGrad: ${this.dtype} arrays cannot have gradients; convert first with astype('float32')`);
    this._gradReq = req;
    this._node = null; // a variable is a leaf of the graph
    if (this._grad) this._grad.dispose();
    this._grad = req === 'null' ? null : keep(this.zerosLike());
  }
  /** The gradient buffer from `attachGrad()`. */
  get grad(): NDArray {
    if (!this._grad)
      throw new AutogradError(`grad: no gradient is attached to this array of shape ${shapeStr(this.shape)}; call attachGrad() first`);
    return this._grad;
  }
  get gradReq(): GradReq {
    return this._gradReq;
  }
  /** Whether gradients flow into this array (a variable, or computed from one while recording). */
  get requiresGrad(): boolean {
    return this._gradReq !== 'null' || this._node !== null;
  }
  /**
   * Backpropagates from this array into the `.grad` of the variables it was computed from.
   * A non-scalar array is summed first (as MXNet does).
   */
  backward(headGrad?: NDArray | null, opts: { retainGraph?: boolean; createGraph?: boolean; trainMode?: boolean } = {}): void {
    this.checkAlive('backward');
    if (headGrad !== undefined && headGrad !== null && !(headGrad instanceof NDArray))
      throw new ValueError(
        `backward: the first argument is the head gradient (an NDArray or null), got ${typeof headGrad}; ` +
          `pass options second: y.backward(null, { retainGraph: true })`,
      );
    checkOptions('backward', opts, BACKWARD_KEYS);
    runBackward([this], { headGrads: [headGrad ?? null], ...opts });
  }
  /** The same values, cut off from the graph (no gradient flows back through it). */
  detach(): NDArray {
    return this._viewOf(this.shape, this.strides, this.offset);
  }

  // ---------------------------------------------------------------- conversion
  /** A copy converted to `dtype` (a new array even when the dtype is unchanged, as MXNet's astype). */
  astype(dtype: DType): NDArray {
    return E.cast(this, checkDType(dtype, 'astype'));
  }
  /** A contiguous copy. */
  copy(): NDArray {
    return M.copy(this);
  }
  /**
   * Copies into `other`: an NDArray (written in place, its identity kept) or a Context (a new array
   * there, as MXNet's copyto).
   */
  copyto(other: NDArray | Context): NDArray {
    if (other instanceof Context) return M.toContext(this, other);
    other._assignFrom(this);
    return other;
  }
  /**
   * `copyto` for every pair of devices, GPU -> CPU included (a GPU is read asynchronously).
   * @example const h = await x.copytoAsync(nd.cpu());
   */
  async copytoAsync(other: NDArray | Context): Promise<NDArray> {
    if (other instanceof Context) return M.toContextAsync(this, other);
    if (other.context.equals(this.context)) {
      other._assignFrom(this);
      return other;
    }
    const moved = await M.toContextAsync(this, other.context);
    other._assignFrom(moved);
    moved.dispose();
    return other;
  }
  /** `asInContext` for every pair of devices (asynchronous, see copytoAsync). */
  async asInContextAsync(ctx: Context): Promise<NDArray> {
    return this.context.equals(ctx) ? this : M.toContextAsync(this, ctx);
  }
  /** This array on `ctx` (itself when already there). */
  asInContext(ctx: Context): NDArray {
    return this.context.equals(ctx) ? this : M.toContext(this, ctx);
  }
  /** @internal Writes `src` (broadcast) into this array in place. */
  _assignFrom(src: ArrayOrScalar): void {
    I.assign(this, src);
  }

  // ---------------------------------------------------------------- elementwise
  add(b: ArrayOrScalar): NDArray {
    return E.binary('add', this, b);
  }
  sub(b: ArrayOrScalar): NDArray {
    return E.binary('sub', this, b);
  }
  mul(b: ArrayOrScalar): NDArray {
    return E.binary('mul', this, b);
  }
  div(b: ArrayOrScalar): NDArray {
    return E.binary('div', this, b);
  }
  pow(b: ArrayOrScalar): NDArray {
    return E.binary('pow', this, b);
  }
  mod(b: ArrayOrScalar): NDArray {
    return E.binary('mod', this, b);
  }
  /** `s - x`, for a scalar on the left. */
  rsub(s: number): NDArray {
    return E.binary('sub', s, this);
  }
  /** `s / x`, for a scalar on the left. */
  rdiv(s: number): NDArray {
    return E.binary('div', s, this);
  }
  maximum(b: ArrayOrScalar): NDArray {
    return E.binary('maximum', this, b);
  }
  minimum(b: ArrayOrScalar): NDArray {
    return E.binary('minimum', this, b);
  }
  equal(b: ArrayOrScalar): NDArray {
    return E.binary('equal', this, b);
  }
  notEqual(b: ArrayOrScalar): NDArray {
    return E.binary('notEqual', this, b);
  }
  greater(b: ArrayOrScalar): NDArray {
    return E.binary('greater', this, b);
  }
  greaterEqual(b: ArrayOrScalar): NDArray {
    return E.binary('greaterEqual', this, b);
  }
  lesser(b: ArrayOrScalar): NDArray {
    return E.binary('lesser', this, b);
  }
  lesserEqual(b: ArrayOrScalar): NDArray {
    return E.binary('lesserEqual', this, b);
  }
  neg(): NDArray {
    return E.unary('neg', this);
  }
  abs(): NDArray {
    return E.unary('abs', this);
  }
  sign(): NDArray {
    return E.unary('sign', this);
  }
  exp(): NDArray {
    return E.unary('exp', this);
  }
  log(): NDArray {
    return E.unary('log', this);
  }
  sqrt(): NDArray {
    return E.unary('sqrt', this);
  }
  square(): NDArray {
    return E.unary('square', this);
  }
  sin(): NDArray {
    return E.unary('sin', this);
  }
  cos(): NDArray {
    return E.unary('cos', this);
  }
  tanh(): NDArray {
    return E.unary('tanh', this);
  }
  sigmoid(): NDArray {
    return E.unary('sigmoid', this);
  }
  relu(): NDArray {
    return E.unary('relu', this);
  }
  floor(): NDArray {
    return E.unary('floor', this);
  }
  ceil(): NDArray {
    return E.unary('ceil', this);
  }
  round(): NDArray {
    return E.unary('round', this);
  }
  reciprocal(): NDArray {
    return E.unary('reciprocal', this);
  }
  log1p(): NDArray {
    return E.unary('log1p', this);
  }
  expm1(): NDArray {
    return E.unary('expm1', this);
  }
  /** Elementwise clamp into [lo, hi]. */
  clip(lo: number, hi: number): NDArray {
    return E.clip(this, lo, hi);
  }

  /** In place `x += b`, keeping this array's identity (the book's `X += Y`). */
  iadd(b: ArrayOrScalar): this {
    return E.inplace('add', this, b);
  }
  /** In place `x -= b`. */
  isub(b: ArrayOrScalar): this {
    return E.inplace('sub', this, b);
  }
  /** In place `x *= b`. */
  imul(b: ArrayOrScalar): this {
    return E.inplace('mul', this, b);
  }
  /** In place `x /= b`. */
  idiv(b: ArrayOrScalar): this {
    return E.inplace('div', this, b);
  }

  // ---------------------------------------------------------------- reductions
  sum(opts?: R.ReduceArg): NDArray {
    return R.reduce('sum', this, opts);
  }
  mean(opts?: R.ReduceArg): NDArray {
    return R.mean(this, opts);
  }
  prod(opts?: R.ReduceArg): NDArray {
    return R.reduce('prod', this, opts);
  }
  max(opts?: R.ReduceArg): NDArray {
    return R.reduce('max', this, opts);
  }
  min(opts?: R.ReduceArg): NDArray {
    return R.reduce('min', this, opts);
  }
  /** Index of the largest element along `axis` (float32, as MXNet); the whole array flattened when axis is omitted. */
  argmax(opts?: R.ArgReduceArg): NDArray {
    return R.argReduce('argmax', this, opts);
  }
  argmin(opts?: R.ArgReduceArg): NDArray {
    return R.argReduce('argmin', this, opts);
  }
  /** The L2 norm (or `ord: 1`) over `axis` (all elements by default). */
  norm(opts?: (ReduceOptions & { ord?: 1 | 2 }) | 1 | 2 | null): NDArray {
    return R.norm(this, opts);
  }

  // ---------------------------------------------------------------- shape
  /** A view with a new shape (one dim may be -1); copies only when the strides make a view impossible. */
  reshape(shape: readonly number[]): NDArray {
    return M.reshape(this, shape);
  }
  /** Reverses the axes, or permutes them as given. */
  transpose(axes?: readonly number[]): NDArray {
    return M.transpose(this, axes);
  }
  /** The transpose (a view). */
  get T(): NDArray {
    return M.transpose(this);
  }
  swapaxes(a: number, b: number): NDArray {
    return M.swapaxes(this, a, b);
  }
  expandDims(axis: number): NDArray {
    return M.expandDims(this, axis);
  }
  squeeze(axis?: number | number[]): NDArray {
    return M.squeeze(this, axis);
  }
  /** Collapses all but the first axis (MXNet's flatten): (N, a, b) -> (N, a*b). */
  flatten(): NDArray {
    return M.flatten(this);
  }
  broadcastTo(shape: readonly number[]): NDArray {
    return M.broadcastTo(this, shape);
  }
  tile(reps: number | readonly number[]): NDArray {
    return M.tile(this, reps);
  }
  repeat(repeats: number, opts?: { axis?: number } | number): NDArray {
    return M.repeat(this, repeats, positional<{ axis?: number }>('repeat', opts, 'axis', REPEAT_KEYS).axis);
  }
  split(numOutputs: number, opts?: { axis?: number; squeezeAxis?: boolean } | number): NDArray[] {
    return M.split(this, numOutputs, opts);
  }

  // ---------------------------------------------------------------- linear algebra
  /** MXNet's dot: matrix product for 2-D, inner product for 1-D, last-axis by first-axis contraction otherwise. */
  dot(b: NDArray): NDArray {
    return L.dot(this, b);
  }
  matmul(b: NDArray): NDArray {
    return L.matmul(this, b);
  }

  // ---------------------------------------------------------------- indexing
  /**
   * Basic indexing as a view: `x.get('1:3')`, `x.get('1, ::2')`, `x.get([0, '1:'])`, `x.get(-1)`.
   * An integer or boolean NDArray selects (copies): `x.get(mask)`, `x.get(indices)`.
   */
  get(index: Index | NDArray): NDArray {
    return I.getItem(this, index);
  }
  /**
   * `get` for every device: a boolean mask on a GPU decides the result's shape, so it is read
   * asynchronously first; any other index gives what `get` gives.
   *
   * @example
   * const positive = await x.getAsync(x.greater(0).astype('bool')); // x on gpu(0): its positive elements
   */
  getAsync(index: Index | NDArray): Promise<NDArray> {
    return I.getItemAsync(this, index);
  }
  /** Writes `value` into the indexed part of this array, in place (the book's `X[1:2, :] = 12`). */
  set(index: Index | NDArray, value: ArrayOrScalar): this {
    I.setItem(this, index, value);
    return this;
  }
  /** Elements along `axis` at integer `indices`. */
  take(indices: NDArray | number[], opts?: { axis?: number } | number): NDArray {
    return I.take(this, indices, opts);
  }
  /** One element per row: `x.pick(y)` gives x[i, y[i]] (along `axis`, default -1). */
  pick(index: NDArray, opts?: { axis?: number; keepdims?: boolean } | number): NDArray {
    return I.pick(this, index, opts);
  }
  oneHot(depth: number, opts: { onValue?: number; offValue?: number; dtype?: DType } = {}): NDArray {
    return I.oneHot(this, depth, opts);
  }
  /** MXNet's topk as a method: `x.topk({ k: 2, retTyp: 'value' })` is `nd.topk(x, ...)` (src/ops/topk.ts). */
  topk(opts: TopkOptions & { retTyp: 'both' }): [NDArray, NDArray];
  topk(opts?: TopkOptions): NDArray;
  topk(opts?: TopkOptions): NDArray | [NDArray, NDArray] {
    return topk(this, opts);
  }

  // ---------------------------------------------------------------- creation helpers
  zerosLike(): NDArray {
    return M.full(this.shape, 0, this.dtype, this.context);
  }
  onesLike(): NDArray {
    return M.full(this.shape, 1, this.dtype, this.context);
  }

  /** @internal Marks an in-place write; refuses writes into arrays the tape needs for gradients. */
  _beforeInplace(op: string): void {
    this.checkAlive(op);
    if (state.recording && this.requiresGrad)
      throw new AutogradError(
        `${op}: in-place write to an array of shape ${shapeStr(this.shape)} that is part of the recorded graph; ` +
          `compute a new array instead (y = x.add(1)), or write outside autograd.record()`,
      );
    this._storage.version++;
  }
}

/** Row-major `flat` values as nested arrays of `shape` (a number for a 0-d shape). */
function nestRows(flat: number[], shape: Shape): any {
  const build = (dim: number, off: number): unknown => {
    if (dim === shape.length) return flat[off];
    const n = shape[dim];
    const step = sizeOf(shape.slice(dim + 1));
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = build(dim + 1, off + i * step);
    return out;
  };
  return build(0, 0);
}
