// Gluon's Parameter (deferred shape, per-context data and gradient, lrMult/wdMult) and
// ParameterDict (naming, prefixes, initialize, save/load by name).
import type { DType } from '../core/dtype.js';
import { ShapeError, ValueError } from '../core/errors.js';
import { shapeStr } from '../core/shape.js';
import { Context, currentContext } from '../ndarray/context.js';
import { keep } from '../ndarray/memory.js';
import { checkGradReq, NDArray, type GradReq } from '../ndarray/ndarray.js';
import { checkOptions } from '../core/options.js';
import { array, zeros, type NestedNumbers } from '../ndarray/creation.js';
import { Uniform } from './init.js';

/**
 * Fills a parameter's array; implemented by the classes of `init` (Normal, Xavier, ...), whose base
 * class `init.Initializer` dispatches on the parameter's name as Gluon does (names ending in
 * `bias`/`beta`/`running_mean` get zeros, `gamma`/`running_var` ones, the rest `initWeight`).
 *
 * @example
 * const constant3: Initializer = { initArray: (_name, arr) => arr._assignFrom(3) };
 * net.initialize(constant3);
 */
export interface Initializer {
  /** Writes initial values into `arr` (in place) for the parameter called `name`. */
  initArray(name: string, arr: NDArray): void;
  /**
   * Writes values as for a weight whatever the name: used when the initializer is a parameter's
   * own (`weightInitializer`, `Parameter.initialize(init)`), as Gluon's `__init__` attribute.
   */
  initWeight?(name: string, arr: NDArray): void;
}

/** Options of the Parameter constructor (and of `ParameterDict.get` when it creates one). */
export interface ParameterOptions {
  /** The shape; 0 marks a dim unknown until the first forward pass (deferred initialisation). */
  shape?: readonly number[];
  dtype?: DType;
  /** The parameter's own initializer: it wins over the one given to `net.initialize()`. */
  init?: Initializer;
  gradReq?: GradReq;
  /** Multiplier of the learning rate for this parameter (Trainer). */
  lrMult?: number;
  /** Multiplier of the weight decay for this parameter (Trainer). */
  wdMult?: number;
  /** Whether the optimizer may update it (false for e.g. BatchNorm running statistics). */
  differentiable?: boolean;
}

const PARAMETER_KEYS = ['shape', 'dtype', 'init', 'gradReq', 'lrMult', 'wdMult', 'differentiable'];

/** Options of `Parameter.initialize` and `Block.initialize`. */
export interface InitializeOptions {
  /**
   * The device the arrays are created on (default the current context, cpu()), or a list of
   * devices for data-parallel training: one copy per device, the same values on each.
   */
  ctx?: Context | readonly Context[];
  /** Re-initialise parameters that already hold values. */
  forceReinit?: boolean;
  /**
   * The initializer for parameters with none of their own when `init` is not given (default
   * `init.Uniform(0.07)`, as Gluon); applied through its name dispatch (biases get zeros).
   */
  defaultInit?: Initializer;
}

function applyInit(init: Initializer, name: string, arr: NDArray, asWeight: boolean): void {
  if (asWeight && init.initWeight) init.initWeight(name, arr);
  else init.initArray(name, arr);
}

/** `ctx` as a non-empty list of distinct contexts (one device or several). */
function contextList(op: string, ctx: Context | readonly Context[]): Context[] {
  const list = ctx instanceof Context ? [ctx] : Array.isArray(ctx) ? [...(ctx as Context[])] : null;
  if (!list || list.length === 0 || !list.every((c) => c instanceof Context))
    throw new ValueError(
      `${op}: ctx must be a Context such as cpu(0) or a non-empty list of them, got ${ctx === null ? 'null' : typeof ctx}`,
    );
  list.forEach((c, i) => {
    if (list.findIndex((o) => o.equals(c)) !== i) throw new ValueError(`${op}: ctx lists ${c} twice ([${list.join(', ')}])`);
  });
  return list;
}

function sameContexts(a: readonly Context[], b: readonly Context[]): boolean {
  return a.length === b.length && a.every((c, i) => c.equals(b[i]));
}

function compatible(declared: readonly number[], actual: readonly number[]): boolean {
  if (declared.length === 0) return true;
  return declared.length === actual.length && declared.every((d, i) => d <= 0 || d === actual[i]);
}

/**
 * A learnable array of a Block, as Gluon's Parameter. Its shape may hold 0 for dims unknown until
 * the first forward pass (deferred initialisation). The array keeps its identity for the whole
 * life of the parameter (optimizers update it in place; `setData` copies into it).
 *
 * @example
 * const w = new Parameter('weight', { shape: [10, 0] });
 * w.initialize(new init.Normal(0.01)); // deferred until the input size is known
 * w.finishDeferredInit([10, 5]);       // what a layer does at its first forward pass
 * w.data().shape;                      // [10, 5]
 */
export class Parameter {
  shape: number[];
  dtype: DType;
  gradReq: GradReq;
  lrMult: number;
  wdMult: number;
  init: Initializer | undefined;
  readonly differentiable: boolean;
  private _data: NDArray | null = null;
  /** Copies on the further devices of a data-parallel parameter (`initialize({ ctx: [c0, c1] })`). */
  private replicas: NDArray[] = [];
  private deferred: { init: Initializer; asWeight: boolean; ctx: Context; more: Context[] } | null = null;

  constructor(
    public name: string,
    opts: ParameterOptions = {},
  ) {
    checkOptions(`Parameter '${name}'`, opts, PARAMETER_KEYS);
    this.shape = [...(opts.shape ?? [])];
    this.dtype = opts.dtype ?? 'float32';
    this.gradReq = opts.differentiable === false ? 'null' : checkGradReq(`Parameter '${name}'`, opts.gradReq ?? 'write');
    this.lrMult = opts.lrMult ?? 1;
    this.wdMult = opts.wdMult ?? 1;
    this.init = opts.init;
    this.differentiable = opts.differentiable ?? true;
  }

  /** Whether every dim of the shape is known. @example new Parameter('w', { shape: [3, 0] }).shapeKnown // false */
  get shapeKnown(): boolean {
    return this.shape.length > 0 ? this.shape.every((d) => d > 0) : this._data !== null;
  }

  /** Whether the parameter holds an array. @example p.isInitialized */
  get isInitialized(): boolean {
    return this._data !== null;
  }

  /** Whether initialize() was called and only waits for the shape. @example net.get<nn.Dense>(0).weight.isDeferred */
  get isDeferred(): boolean {
    return this.deferred !== null;
  }

  /**
   * Allocates and fills the array, or defers until the shape is known. As in Gluon, an explicit
   * `init` wins, then the parameter's own initializer (both applied as to a weight), then
   * `opts.defaultInit` (default Uniform(0.07), applied by name: a bias gets zeros). Does nothing
   * for an initialised parameter unless `forceReinit` (which refills the same array in place).
   *
   * @example
   * net.get(0).weight.initialize(new init.Xavier(), { forceReinit: true });
   */
  initialize(init?: Initializer, opts: InitializeOptions = {}): void {
    if (this._data && !opts.forceReinit) return;
    const chosen = init ?? this.init;
    const how = { init: chosen ?? opts.defaultInit ?? new Uniform(), asWeight: chosen !== undefined };
    const wanted = opts.ctx === undefined ? null : contextList(`Parameter '${this.name}'.initialize`, opts.ctx);
    if (this._data && (!wanted || sameContexts(wanted, this.listCtx()))) {
      applyInit(how.init, this.name, this._data, how.asWeight);
      this.copyToReplicas();
      this.zeroGrad();
      return;
    }
    const [ctx, ...more] = wanted ?? (this._data ? this.listCtx() : [currentContext()]);
    if (!this.shapeKnown) {
      this.deferred = { ...how, ctx, more };
      return;
    }
    this.allocate(how.init, how.asWeight, ctx, more);
  }

  private allocate(init: Initializer, asWeight: boolean, ctx: Context, more: readonly Context[]): void {
    const arr = keep(zeros(this.shape, { dtype: this.dtype, ctx }));
    try {
      applyInit(init, this.name, arr, asWeight);
    } catch (e) {
      arr.dispose();
      throw e;
    }
    this.setArray(arr, more);
  }

  /**
   * Completes a deferred initialisation once a layer has inferred the full shape (layers call it
   * at their first forward pass). Does nothing when the array exists already.
   *
   * @example
   * if (!this.weight.isInitialized) this.weight.finishDeferredInit([units, x.shape[1]]);
   */
  finishDeferredInit(shape: readonly number[]): void {
    if (this._data) return;
    if (!compatible(this.shape, shape))
      throw new ShapeError(
        `Parameter '${this.name}': inferred shape ${shapeStr(shape)} conflicts with the declared ${shapeStr(this.shape)}`,
      );
    if (!this.deferred)
      throw new ValueError(
        `Parameter '${this.name}' has not been initialized; call net.initialize() before the first forward pass ` +
          `(and create the Trainer from net.collectParams(), which includes the parameters of child blocks)`,
      );
    this.shape = [...shape];
    const { init, asWeight, ctx, more } = this.deferred;
    this.deferred = null;
    this.allocate(init, asWeight, ctx, more);
  }

  /** Makes `arr` the array (on the first device), with copies of it on `more` devices. */
  private setArray(arr: NDArray, more: readonly Context[] = []): void {
    for (const old of [this._data, ...this.replicas]) {
      if (!old) continue;
      old._grad?.dispose();
      old.dispose();
    }
    this._data = arr;
    if (this.gradReq !== 'null') arr.attachGrad({ gradReq: this.gradReq });
    this.replicas = more.map((c) => {
      const d = arr.detach();
      const r = keep(d.copyto(c));
      d.dispose();
      if (this.gradReq !== 'null') r.attachGrad({ gradReq: this.gradReq });
      return r;
    });
  }

  /**
   * The parameter's array (the same object across steps: optimizers update it in place). A
   * parameter on several devices has one copy per device: `ctx` picks it (as the built-in layers
   * do with their input's device); without `ctx`, the copy on the first device.
   *
   * @example
   * net.get<nn.Dense>(0).weight.data().shape; // [256, 784]
   * weight.data(nd.cpu(1)); // the copy on cpu(1) of a parameter initialised on [cpu(0), cpu(1)]
   */
  data(ctx?: Context): NDArray {
    if (!this._data)
      throw new ValueError(
        `Parameter '${this.name}' has not been initialized${this.deferred ? ' (its shape is still unknown: run a forward pass first)' : '; call net.initialize()'}`,
      );
    if (ctx === undefined || ctx.equals(this._data.context)) return this._data;
    if (!(ctx instanceof Context))
      throw new ValueError(`Parameter '${this.name}'.data: ctx must be a Context such as cpu(0), got ${typeof ctx}`);
    const r = this.replicas.find((a) => a.context.equals(ctx));
    if (r) return r;
    // One device: the op that uses the array names the mismatch (as it always did).
    if (this.replicas.length === 0) return this._data;
    throw new ValueError(
      `Parameter '${this.name}' was not initialized on context ${ctx}. It was only initialized on [${this.listCtx().join(', ')}].`,
    );
  }

  /**
   * The gradient array written by backward() (of the copy on `ctx`, for a parameter on several
   * devices).
   *
   * @example
   * net.get<nn.Dense>(0).weight.grad();
   */
  grad(ctx?: Context): NDArray {
    const d = this.data(ctx);
    if (this.gradReq === 'null') throw new ValueError(`Parameter '${this.name}' has gradReq 'null' and no gradient`);
    return d.grad;
  }

  /**
   * The copies of the array, one per device, in the order of `listCtx()` (MXNet's list_data).
   *
   * @example
   * p.listData().map((a) => a.context.toString()); // ['cpu(0)', 'cpu(1)']
   */
  listData(): NDArray[] {
    return [this.data(), ...this.replicas];
  }

  /** The gradients of the copies, in the order of `listCtx()`. @example p.listGrad().length // 2 */
  listGrad(): NDArray[] {
    return this.listData().map((a, i) => (i === 0 ? this.grad() : a.grad));
  }

  /**
   * The devices the parameter lives on (the first is where the optimizer's state lives).
   *
   * @example
   * p.listCtx(); // [cpu(0), cpu(1)]
   */
  listCtx(): Context[] {
    if (this.deferred) return [this.deferred.ctx, ...this.deferred.more];
    if (!this._data) return [];
    return [this._data.context, ...this.replicas.map((r) => r.context)];
  }

  /**
   * Copies the values of the first device's array into the other devices' copies (what the
   * Trainer does after an update, so every device computes with the same weights).
   *
   * @example
   * w.data().imul(0.5); // changed on the first device only
   * w.copyToReplicas(); // now on every device
   */
  copyToReplicas(): void {
    if (!this._data || this.replicas.length === 0) return;
    const src = this._data.detach();
    for (const r of this.replicas) {
      if (r.context.deviceType === src.context.deviceType) r._assignFrom(src);
      else {
        const moved = src.copyto(r.context);
        r._assignFrom(moved);
        moved.dispose();
      }
    }
    src.dispose();
  }

  /**
   * Replaces the values (copied into the existing array, so references stay valid). On a
   * parameter without an array yet, the value's shape completes the shape and becomes its array.
   *
   * @example
   * dense.weight.setData(dense.weight.data().mul(2));
   */
  setData(value: NDArray): void {
    if (!this._data) {
      if (!compatible(this.shape, value.shape))
        throw new ShapeError(
          `Parameter '${this.name}': cannot set data of shape ${shapeStr(value.shape)}, expected ${shapeStr(this.shape)}`,
        );
      const ctx = this.deferred?.ctx;
      const more = this.deferred?.more ?? [];
      this.shape = [...value.shape];
      this.deferred = null;
      const src = ctx && !ctx.equals(value.context) ? value.copyto(ctx) : value;
      const d = src.detach();
      const arr = keep(d.astype(this.dtype));
      d.dispose();
      if (src !== value) src.dispose();
      this.setArray(arr, more);
      return;
    }
    if (value.shape.length !== this._data.shape.length || value.shape.some((d, i) => d !== this._data!.shape[i]))
      throw new ShapeError(
        `Parameter '${this.name}': cannot set data of shape ${shapeStr(value.shape)}, expected ${shapeStr(this._data.shape)}`,
      );
    this._data._assignFrom(value);
    this.copyToReplicas();
  }

  /** Sets the gradient to zero (on every device). @example p.zeroGrad() */
  zeroGrad(): void {
    if (this._data && this.gradReq !== 'null') for (const a of this.listData()) a.grad._assignFrom(0);
  }

  /** Changes how backward() writes the gradient ('write', 'add' or 'null'). @example p.setGradReq('add') */
  setGradReq(req: GradReq): void {
    checkGradReq(`Parameter '${this.name}'.setGradReq`, req);
    if (req !== 'null' && !this.differentiable)
      throw new ValueError(`Parameter '${this.name}' is not differentiable (e.g. a running statistic) and cannot take gradReq '${req}'`);
    this.gradReq = req;
    if (this._data)
      for (const a of this.listData()) {
        a._grad?.dispose();
        a._grad = null;
        a.attachGrad({ gradReq: req });
      }
  }

  /** The parameter's context. @example p.context.toString() // 'cpu(0)' */
  get context(): Context {
    return this.data().context;
  }

  /**
   * Moves the array to `ctx` (a new array there; the gradient is reset), as Gluon's reset_ctx.
   *
   * @example
   * net.collectParams().resetCtx(nd.gpu(0));
   */
  resetCtx(ctx: Context | readonly Context[]): void {
    const [first, ...more] = contextList(`Parameter '${this.name}'.resetCtx`, ctx);
    if (this.deferred) {
      this.deferred.ctx = first;
      this.deferred.more = more;
      return;
    }
    if (!this._data || sameContexts([first, ...more], this.listCtx())) return;
    if (this._data.context.deviceType !== 'cpu')
      throw new ValueError(
        `Parameter '${this.name}'.resetCtx(${ctx}): the values live on ${this._data.context}, which is read only asynchronously: ` +
          'use `await p.resetCtxAsync(ctx)` (or `await net.collectParams().resetCtxAsync(ctx)`)',
      );
    const d = this._data.detach();
    const moved = keep(first.equals(d.context) ? d.copy() : d.copyto(first));
    d.dispose();
    this.setArray(moved, more);
  }

  /**
   * `resetCtx` between any pair of devices (a GPU is read asynchronously, so moving values off
   * it is async). The gradient is reset.
   *
   * @example
   * await net.collectParams().resetCtxAsync(nd.cpu()); // bring a GPU-trained model home
   */
  async resetCtxAsync(ctx: Context | readonly Context[]): Promise<void> {
    const [first, ...more] = contextList(`Parameter '${this.name}'.resetCtxAsync`, ctx);
    if (this.deferred || !this._data || this._data.context.equals(first) || this._data.context.deviceType === 'cpu') {
      this.resetCtx(ctx);
      return;
    }
    if (more.length > 0)
      throw new ValueError(
        `Parameter '${this.name}'.resetCtxAsync: moving values from ${this._data.context} onto several devices at once is not supported; ` +
          `move them to one device first (await p.resetCtxAsync(${first})), then p.resetCtx([${[first, ...more].join(', ')}])`,
      );
    const src = this._data;
    const d = src.detach();
    let moved: NDArray;
    try {
      moved = keep(await d.copytoAsync(first));
    } finally {
      d.dispose();
    }
    // The array may have been replaced while the values were read: keep the newer one.
    if (this._data !== src) {
      moved.dispose();
      return;
    }
    this.setArray(moved);
  }

  /**
   * Converts the array (and future allocations) to `dtype`, as Gluon's Parameter.cast.
   *
   * @example
   * p.cast('float64');
   */
  cast(dtype: DType): void {
    this.dtype = dtype;
    if (!this._data || this._data.dtype === dtype) return;
    const more = this.replicas.map((r) => r.context);
    const d = this._data.detach();
    const arr = keep(d.astype(dtype));
    d.dispose();
    this.setArray(arr, more);
  }

  toString(): string {
    return `Parameter ${this.name} (shape=${shapeStr(this.shape)}, dtype=${this.dtype})`;
  }
  /** What console.log shows under Node and in Deno's kernel: the repr above (as Python's print). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/**
 * A parameter that holds a fixed value and is never trained, as Gluon's Constant (what
 * `ParameterDict.getConstant` creates): gradReq 'null', not differentiable, its shape and dtype
 * those of the value, and its initializer copies the value in (so `net.initialize()` fills it on
 * the parameters' device, and `forceReinit` restores it).
 *
 * @example
 * const c = new Constant('rand_weight', nd.random.uniform(0, 1, [20, 20]));
 * c.initialize();
 * c.data().shape; // [20, 20]
 * String(c);      // 'Constant rand_weight (shape=(20, 20), dtype=float32)'
 */
export class Constant extends Parameter {
  /** The value (the library's own handle on it, so a tidy scope around the caller cannot free it). */
  readonly value: NDArray;

  constructor(name: string, value: NDArray | NestedNumbers) {
    if (typeof name !== 'string') throw new ValueError(`Constant: the name must be a string, got ${String(name)}`);
    // A scalar becomes shape (1,), as MXNet's nd.array(3) (an empty shape would mean "unknown").
    let v: NDArray;
    if (value instanceof NDArray) {
      value.checkAlive(`Constant '${name}'`);
      const d = value.detach();
      v = keep(d.ndim === 0 ? d.reshape([1]) : d);
      if (v !== d) d.dispose();
    } else if (typeof value === 'number') v = keep(array([value]));
    else if (Array.isArray(value)) v = keep(array(value as NestedNumbers));
    else
      throw new ValueError(
        `Constant '${name}': the value must be an NDArray or (nested) numbers, got ${value === null ? 'null' : typeof value}`,
      );
    const copyIn = (_n: string, arr: NDArray) => arr._assignFrom(v);
    super(name, { shape: [...v.shape], dtype: v.dtype, differentiable: false, init: { initArray: copyIn, initWeight: copyIn } });
    this.value = v;
  }

  override toString(): string {
    return `Constant ${this.name} (shape=${shapeStr(this.shape)}, dtype=${this.dtype})`;
  }
}

/** Whether two arrays hold the same values (CPU values compared; other devices by shape and dtype). */
function sameValue(a: NDArray, b: NDArray): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  if (a.context.deviceType !== 'cpu' || b.context.deviceType !== 'cpu') return true;
  const x = a.dataSync();
  const y = b.dataSync();
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) return false;
  return true;
}

/**
 * An ordered name -> Parameter map, as Gluon's ParameterDict (what collectParams() returns). A
 * dict has a name prefix; `get(name, opts)` looks up (or, given options, creates) `prefix + name`,
 * first in itself and then in the dict it shares parameters with.
 *
 * @example
 * const params = net.collectParams('.*weight');
 * for (const [name, p] of params) console.log(name, p.shape);
 * const own = new ParameterDict('block_');
 * own.get('weight', { shape: [2, 3] }).name; // 'block_weight'
 */
export class ParameterDict implements Iterable<[string, Parameter]> {
  private readonly map = new Map<string, Parameter>();

  constructor(
    readonly prefix = '',
    readonly shared: ParameterDict | null = null,
  ) {}

  /** Adds (or replaces) a parameter under `name` (the full name, no prefix added). @example d.set(p.name, p) */
  set(name: string, p: Parameter): void {
    this.map.set(name, p);
  }

  private lookup(full: string): Parameter | undefined {
    let p = this.map.get(full);
    if (!p && this.shared) {
      p = this.shared.lookup(full);
      if (p) this.map.set(full, p);
    }
    return p;
  }

  /**
   * The parameter called `prefix + name` (or exactly `name`). With `opts`, a missing one is
   * created (and an existing one's unknown dims are completed from `opts.shape`), as Gluon's
   * `params.get('weight', shape=...)`.
   *
   * @example
   * this.weight = this.params.get('weight', { shape: [inUnits, units] });
   */
  get(name: string, opts?: ParameterOptions): Parameter {
    const full = this.prefix + name;
    const p = this.lookup(full) ?? (opts ? undefined : this.lookup(name));
    if (p) {
      if (opts?.shape) {
        if (!compatible(p.shape, opts.shape) && !compatible(opts.shape, p.shape))
          throw new ShapeError(
            `ParameterDict: parameter '${full}' has shape ${shapeStr(p.shape)}, which conflicts with the requested ${shapeStr(opts.shape)}`,
          );
        if (!p.isInitialized && opts.shape.length === p.shape.length) p.shape = p.shape.map((d, i) => (d > 0 ? d : opts.shape![i]));
        else if (!p.isInitialized && p.shape.length === 0) p.shape = [...opts.shape];
      }
      return p;
    }
    if (!opts) throw new ValueError(`ParameterDict: no parameter named '${full}' (have: ${[...this.map.keys()].join(', ') || 'none'})`);
    const created = new Parameter(full, opts);
    this.map.set(full, created);
    return created;
  }

  /**
   * The constant called `prefix + name`, created from `value` when it does not exist yet, as
   * Gluon's `params.get_constant`: a parameter that `initialize()` fills with the value and no
   * optimizer updates (see `Constant`). Without `value`, an existing constant is looked up; with
   * it, an existing one must hold the same value.
   *
   * @example
   * this.randWeight = this.params.getConstant('rand_weight', nd.random.uniform(0, 1, [20, 20]));
   * // in forward: nd.dot(x, this.randWeight.data())
   */
  getConstant(name: string, value?: NDArray | NestedNumbers): Constant {
    if (typeof name !== 'string') throw new ValueError(`ParameterDict.getConstant: the name must be a string, got ${String(name)}`);
    const full = this.prefix + name;
    const p = this.lookup(full);
    if (!p) {
      if (value === undefined || value === null)
        throw new ValueError(
          `ParameterDict.getConstant: no constant named '${full}'; pass a value to create it ` +
            `(have: ${[...this.map.keys()].join(', ') || 'none'})`,
        );
      const c = new Constant(full, value);
      this.map.set(full, c);
      return c;
    }
    if (!(p instanceof Constant))
      throw new ValueError(`ParameterDict.getConstant: '${full}' already exists and is a Parameter, not a Constant (${p})`);
    if (value !== undefined && value !== null) {
      const v = value instanceof NDArray ? value : array(value as NestedNumbers);
      if (!sameValue(p.value, v))
        throw new ValueError(
          `ParameterDict.getConstant: the constant '${full}' already exists (${p}) with a different value than the one given ` +
            `(shape ${shapeStr(v.shape)}, dtype ${v.dtype})`,
        );
    }
    return p;
  }

  /** Whether a parameter called `name` (or `prefix + name`) is here. @example params.has('dense0_weight') */
  has(name: string): boolean {
    return this.lookup(name) !== undefined || this.lookup(this.prefix + name) !== undefined;
  }
  /** The full names, in insertion order. @example params.keys() // ['dense0_weight', 'dense0_bias'] */
  keys(): string[] {
    return [...this.map.keys()];
  }
  /** The parameters, in insertion order. @example params.values().length */
  values(): Parameter[] {
    return [...this.map.values()];
  }
  /** [name, parameter] pairs, in insertion order. @example for (const [n, p] of params.entries()) ... */
  entries(): [string, Parameter][] {
    return [...this.map.entries()];
  }
  /** The number of parameters. @example net.collectParams().size */
  get size(): number {
    return this.map.size;
  }
  [Symbol.iterator](): Iterator<[string, Parameter]> {
    return this.map.entries();
  }

  /**
   * Copies every entry of `other` into this dict; a different Parameter under a name already
   * here is an error (as Gluon's update).
   *
   * @example
   * all.update(net.collectParams());
   */
  update(other: ParameterDict): void {
    for (const [k, p] of other) {
      const mine = this.map.get(k);
      if (mine && mine !== p)
        throw new ValueError(`ParameterDict.update: cannot update with '${k}': a different Parameter with that name is already here`);
      this.map.set(k, p);
    }
  }

  /**
   * Initializes every parameter: `init` is the default for those with no initializer of their
   * own (see Parameter.initialize). Default Uniform(0.07).
   *
   * @example
   * net.collectParams().initialize(new init.Normal(0.01));
   */
  initialize(init?: Initializer, opts: InitializeOptions = {}): void {
    const defaultInit = init ?? opts.defaultInit ?? new Uniform();
    for (const p of this.map.values()) p.initialize(undefined, { ...opts, defaultInit });
  }
  /** Zeroes every gradient. @example params.zeroGrad() */
  zeroGrad(): void {
    for (const p of this.map.values()) p.zeroGrad();
  }
  /** Moves every parameter to `ctx`. @example params.resetCtx(nd.cpu()) */
  resetCtx(ctx: Context | readonly Context[]): void {
    for (const p of this.map.values()) p.resetCtx(ctx);
  }
  /**
   * Moves every parameter to `ctx`, from any device (GPU values are read asynchronously).
   * @example await net.collectParams().resetCtxAsync(nd.cpu())
   */
  async resetCtxAsync(ctx: Context | readonly Context[]): Promise<void> {
    for (const p of this.map.values()) await p.resetCtxAsync(ctx);
  }
  /**
   * Sets one attribute on every parameter, as Gluon's setattr.
   *
   * @example
   * net.collectParams('.*bias').setattr('wdMult', 0);
   */
  setattr(key: 'gradReq' | 'lrMult' | 'wdMult', value: GradReq | number): void {
    for (const p of this.map.values()) {
      if (key === 'gradReq') {
        if (p.differentiable || value === 'null') p.setGradReq(value as GradReq);
      } else p[key] = value as number;
    }
  }

  /** Gluon's repr: the prefix, then one line per parameter. @example console.log(String(net.collectParams())) */
  toString(): string {
    const lines = [...this.map.values()].map((p) => `  ${p}`);
    return `${this.prefix ? this.prefix + ' ' : ''}(\n${lines.join('\n')}\n)`;
  }
  /** What console.log shows under Node and in Deno's kernel: the repr above (as Python's print). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
