import type { DType } from '../core/dtype.js';
import { ShapeError, ValueError } from '../core/errors.js';
import { shapeStr } from '../core/shape.js';
import { type Context, cpu } from '../ndarray/context.js';
import { keep } from '../ndarray/memory.js';
import type { GradReq, NDArray } from '../ndarray/ndarray.js';
import { zeros } from '../ndarray/creation.js';

/** Fills a parameter's array; implemented by the classes of `init` (Normal, Xavier, ...). */
export interface Initializer {
  /** Writes initial values into `arr` (in place) for the parameter called `name`. */
  initArray(name: string, arr: NDArray): void;
}

export interface ParameterOptions {
  shape?: readonly number[];
  dtype?: DType;
  init?: Initializer;
  gradReq?: GradReq;
  lrMult?: number;
  wdMult?: number;
  /** Whether the optimizer may update it (false for e.g. BatchNorm running statistics). */
  differentiable?: boolean;
}

/**
 * A learnable array of a Block, as Gluon's Parameter. Its shape may hold 0 for dims unknown until
 * the first forward pass (deferred initialisation).
 *
 * @example
 * const w = new Parameter('weight', { shape: [10, 0] });
 * w.initialize(new init.Normal(0.01)); // deferred until the input size is known
 */
export class Parameter {
  shape: number[];
  readonly dtype: DType;
  gradReq: GradReq;
  lrMult: number;
  wdMult: number;
  init: Initializer | undefined;
  readonly differentiable: boolean;
  private _data: NDArray | null = null;
  private deferred: { init: Initializer | undefined; ctx: Context } | null = null;

  constructor(
    public name: string,
    opts: ParameterOptions = {},
  ) {
    this.shape = [...(opts.shape ?? [])];
    this.dtype = opts.dtype ?? 'float32';
    this.gradReq = opts.differentiable === false ? 'null' : (opts.gradReq ?? 'write');
    this.lrMult = opts.lrMult ?? 1;
    this.wdMult = opts.wdMult ?? 1;
    this.init = opts.init;
    this.differentiable = opts.differentiable ?? true;
  }

  /** Whether every dim of the shape is known. */
  get shapeKnown(): boolean {
    return this.shape.length > 0 ? this.shape.every((d) => d > 0) : this._data !== null;
  }

  get isInitialized(): boolean {
    return this._data !== null;
  }

  /**
   * Allocates and fills the array with `init` (the parameter's own init wins, as in Gluon), or
   * defers until the shape is known.
   */
  initialize(init?: Initializer, opts: { ctx?: Context; forceReinit?: boolean } = {}): void {
    if (this._data && !opts.forceReinit) return;
    const ctx = opts.ctx ?? cpu();
    if (!this.shapeKnown) {
      this.deferred = { init, ctx };
      return;
    }
    this.allocate(this.init ?? init, ctx);
  }

  private allocate(init: Initializer | undefined, ctx: Context): void {
    const arr = keep(zeros(this.shape, { dtype: this.dtype, ctx }));
    if (!init) throw new ValueError(`Parameter '${this.name}': no initializer given; call initialize(init) on the block`);
    init.initArray(this.name, arr);
    this.setArray(arr);
  }

  /** Completes a deferred initialisation once a layer has inferred the full shape. */
  finishDeferredInit(shape: readonly number[]): void {
    if (this._data) return;
    if (this.shape.length && this.shape.some((d, i) => d > 0 && d !== shape[i]))
      throw new ShapeError(`Parameter '${this.name}': inferred shape ${shapeStr(shape)} conflicts with the declared ${shapeStr(this.shape)}`);
    this.shape = [...shape];
    if (!this.deferred)
      throw new ValueError(`Parameter '${this.name}' has not been initialized; call net.initialize() before the first forward pass`);
    const { init, ctx } = this.deferred;
    this.deferred = null;
    this.allocate(this.init ?? init, ctx);
  }

  /** Whether initialize() was called and only waits for the shape. */
  get isDeferred(): boolean {
    return this.deferred !== null;
  }

  private setArray(arr: NDArray): void {
    if (this._data) {
      this._data._grad?.dispose();
      this._data.dispose();
    }
    this._data = arr;
    if (this.gradReq !== 'null') arr.attachGrad({ gradReq: this.gradReq });
  }

  /** The parameter's array (the same object across steps: optimizers update it in place). */
  data(): NDArray {
    if (!this._data)
      throw new ValueError(
        `Parameter '${this.name}' has not been initialized${this.deferred ? ' (its shape is still unknown: run a forward pass first)' : '; call net.initialize()'}`,
      );
    return this._data;
  }

  /** The gradient array written by backward(). */
  grad(): NDArray {
    const d = this.data();
    if (this.gradReq === 'null') throw new ValueError(`Parameter '${this.name}' has gradReq 'null' and no gradient`);
    return d.grad;
  }

  /** Replaces the values (copied into the existing array, so references stay valid). */
  setData(value: NDArray): void {
    if (!this._data) {
      if (this.shape.length && this.shape.some((d, i) => d > 0 && d !== value.shape[i]))
        throw new ShapeError(`Parameter '${this.name}': cannot set data of shape ${shapeStr(value.shape)}, expected ${shapeStr(this.shape)}`);
      this.shape = [...value.shape];
      this.deferred = null;
      this.setArray(keep(value.astype(this.dtype)));
      return;
    }
    if (value.shape.length !== this._data.shape.length || value.shape.some((d, i) => d !== this._data!.shape[i]))
      throw new ShapeError(`Parameter '${this.name}': cannot set data of shape ${shapeStr(value.shape)}, expected ${shapeStr(this._data.shape)}`);
    this._data._assignFrom(value);
  }

  /** Sets the gradient to zero. */
  zeroGrad(): void {
    if (this._data && this.gradReq !== 'null') this._data.grad._assignFrom(0);
  }

  /** Changes how backward() writes the gradient ('write', 'add' or 'null'). */
  setGradReq(req: GradReq): void {
    this.gradReq = req;
    if (this._data) {
      this._data._grad?.dispose();
      this._data.attachGrad({ gradReq: req });
    }
  }

  /** The parameter's context. */
  get context(): Context {
    return this.data().context;
  }

  toString(): string {
    return `Parameter ${this.name} (shape=${shapeStr(this.shape)}, dtype=${this.dtype})`;
  }
}

/**
 * An ordered name -> Parameter map, as Gluon's ParameterDict (what collectParams() returns).
 *
 * @example
 * const params = net.collectParams('.*weight');
 * for (const [name, p] of params) console.log(name, p.shape);
 */
export class ParameterDict implements Iterable<[string, Parameter]> {
  private readonly map = new Map<string, Parameter>();

  set(name: string, p: Parameter): void {
    this.map.set(name, p);
  }
  get(name: string): Parameter {
    const p = this.map.get(name);
    if (!p) throw new ValueError(`ParameterDict: no parameter named '${name}' (have: ${[...this.map.keys()].join(', ')})`);
    return p;
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  keys(): string[] {
    return [...this.map.keys()];
  }
  values(): Parameter[] {
    return [...this.map.values()];
  }
  get size(): number {
    return this.map.size;
  }
  [Symbol.iterator](): Iterator<[string, Parameter]> {
    return this.map.entries();
  }
  /** Initializes every parameter (see Parameter.initialize). */
  initialize(init?: Initializer, opts: { ctx?: Context; forceReinit?: boolean } = {}): void {
    for (const p of this.map.values()) p.initialize(init, opts);
  }
  zeroGrad(): void {
    for (const p of this.map.values()) p.zeroGrad();
  }
  setattr(key: 'gradReq' | 'lrMult' | 'wdMult', value: GradReq | number): void {
    for (const p of this.map.values()) {
      if (key === 'gradReq') p.setGradReq(value as GradReq);
      else p[key] = value as number;
    }
  }
}
