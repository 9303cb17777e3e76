/**
 * Initializers (MXNet's `mx.init`): fill a parameter's array in place. Random ones draw from the
 * library's seeded generator, so `nd.random.seed(n)` makes initialisation reproducible.
 */
import { ValueError } from '../core/errors.js';
import { shapeStr } from '../core/shape.js';
import type { NDArray } from '../ndarray/ndarray.js';
import * as random from '../ndarray/random.js';

/** Writes `v` (a number or a temporary array, disposed here) into `arr` in place. */
function fillWith(arr: NDArray, v: number | NDArray): void {
  arr._assignFrom(v);
  if (typeof v !== 'number') v.dispose();
}

/**
 * The base class of initializers, as Gluon's `init.Initializer`. `initArray(name, arr)`
 * dispatches on the parameter's name: `...weight` (and any other name) goes to `initWeight`,
 * `...bias`, `...beta`, `...running_mean`/`moving_mean` get zeros, `...gamma`,
 * `...running_var`/`moving_var` ones. Subclasses override `initWeight` (and may override
 * `initBias` and friends).
 *
 * @example
 * class MyInit extends init.Initializer {
 *   override initWeight(name: string, data: NDArray) {
 *     data._assignFrom(nd.random.uniform(-10, 10, data.shape));
 *   }
 * }
 * net.initialize(new MyInit(), { forceReinit: true });
 */
export abstract class Initializer {
  /** Fills `arr` for the parameter `name`, choosing the rule by the name's suffix. */
  initArray(name: string, arr: NDArray): void {
    if (name.endsWith('weight')) this.initWeight(name, arr);
    else if (name.endsWith('bias')) this.initBias(name, arr);
    else if (name.endsWith('gamma')) this.initGamma(name, arr);
    else if (name.endsWith('beta')) this.initBeta(name, arr);
    else if (name.endsWith('running_mean') || name.endsWith('moving_mean')) this.initZero(name, arr);
    else if (name.endsWith('running_var') || name.endsWith('moving_var')) this.initOne(name, arr);
    else this.initDefault(name, arr);
  }
  /** The rule for weights (and, through initDefault, for names with no known suffix). */
  abstract initWeight(name: string, arr: NDArray): void;
  /** Biases start at zero. */
  initBias(_name: string, arr: NDArray): void {
    fillWith(arr, 0);
  }
  /** Scales (BatchNorm gamma) start at one. */
  initGamma(_name: string, arr: NDArray): void {
    fillWith(arr, 1);
  }
  /** Shifts (BatchNorm beta) start at zero. */
  initBeta(_name: string, arr: NDArray): void {
    fillWith(arr, 0);
  }
  protected initZero(_name: string, arr: NDArray): void {
    fillWith(arr, 0);
  }
  protected initOne(_name: string, arr: NDArray): void {
    fillWith(arr, 1);
  }
  /** Names with no known suffix are initialised as weights (Gluon raises here; we are lenient). */
  initDefault(name: string, arr: NDArray): void {
    this.initWeight(name, arr);
  }
  /**
   * A short description, e.g. `Normal(sigma=0.01)`; by default the class name, e.g. `MyInit()`,
   * so a subclass need only define `initWeight`, as the book's MyInit (4.2) does.
   */
  toString(): string {
    return `${this.constructor.name}()`;
  }
}

/**
 * Weights from N(0, sigma²) (default sigma 0.01, as MXNet).
 *
 * @example
 * net.initialize(new init.Normal(0.01));
 */
export class Normal extends Initializer {
  constructor(readonly sigma = 0.01) {
    super();
    if (!(sigma >= 0)) throw new ValueError(`init.Normal: sigma must be >= 0, got ${sigma}`);
  }
  initWeight(_name: string, arr: NDArray): void {
    fillWith(arr, random.normal(0, this.sigma, arr.shape, { dtype: arr.dtype, ctx: arr.context }));
  }
  override toString(): string {
    return `Normal(sigma=${this.sigma})`;
  }
}

/**
 * Weights from U(-scale, scale) (default scale 0.07: Gluon's default initializer).
 *
 * @example
 * net.initialize(new init.Uniform(0.1));
 */
export class Uniform extends Initializer {
  constructor(readonly scale = 0.07) {
    super();
    if (!(scale >= 0)) throw new ValueError(`init.Uniform: scale must be >= 0, got ${scale}`);
  }
  initWeight(_name: string, arr: NDArray): void {
    fillWith(arr, random.uniform(-this.scale, this.scale, arr.shape, { dtype: arr.dtype, ctx: arr.context }));
  }
  override toString(): string {
    return `Uniform(scale=${this.scale})`;
  }
}

/**
 * Weights set to one value (biases still get zeros when used through `net.initialize`; as a
 * parameter's own initializer it fills any parameter).
 *
 * @example
 * net.initialize(new init.Constant(1));
 * new nn.Dense(3, { biasInitializer: new init.Constant(0.5) });
 */
export class Constant extends Initializer {
  constructor(readonly value: number) {
    super();
    if (typeof value !== 'number') throw new ValueError(`init.Constant: expected a number, got ${String(value)}`);
  }
  initWeight(_name: string, arr: NDArray): void {
    fillWith(arr, this.value);
  }
  override toString(): string {
    return `Constant(value=${this.value})`;
  }
}

/**
 * All zeros.
 *
 * @example
 * net.initialize(new init.Zero());
 */
export class Zero extends Constant {
  constructor() {
    super(0);
  }
  override toString(): string {
    return 'Zero()';
  }
}

/**
 * All ones (biases still get zeros through `net.initialize`).
 *
 * @example
 * net.initialize(new init.One());
 */
export class One extends Constant {
  constructor() {
    super(1);
  }
  override toString(): string {
    return 'One()';
  }
}

/** Options of Xavier. */
export interface XavierOptions {
  /** 'uniform' (default): U(-s, s); 'gaussian': N(0, s²). */
  rndType?: 'uniform' | 'gaussian';
  /** The fan used: the average of fan in and fan out (default), fan in, or fan out. */
  factorType?: 'avg' | 'in' | 'out';
  /** Default 3. */
  magnitude?: number;
}

/**
 * Xavier/Glorot initialisation with MXNet's formulas: for a weight of shape (out, in, k...),
 * fan_in = in * prod(k), fan_out = out * prod(k), factor = (fan_in + fan_out) / 2 (or fan_in, or
 * fan_out), s = sqrt(magnitude / factor); values from U(-s, s) or N(0, s²).
 *
 * @example
 * net.initialize(new init.Xavier());
 * net.initialize(new init.Xavier({ rndType: 'gaussian', factorType: 'in', magnitude: 2 }));
 */
export class Xavier extends Initializer {
  readonly rndType: 'uniform' | 'gaussian';
  readonly factorType: 'avg' | 'in' | 'out';
  readonly magnitude: number;
  constructor(opts: XavierOptions = {}) {
    super();
    this.rndType = opts.rndType ?? 'uniform';
    this.factorType = opts.factorType ?? 'avg';
    this.magnitude = opts.magnitude ?? 3;
    if (this.rndType !== 'uniform' && this.rndType !== 'gaussian')
      throw new ValueError(`init.Xavier: rndType must be 'uniform' or 'gaussian', got '${String(this.rndType)}'`);
    if (!['avg', 'in', 'out'].includes(this.factorType))
      throw new ValueError(`init.Xavier: factorType must be 'avg', 'in' or 'out', got '${String(this.factorType)}'`);
    if (!(this.magnitude >= 0)) throw new ValueError(`init.Xavier: magnitude must be >= 0, got ${this.magnitude}`);
  }
  /** The scale s for a weight of `shape`. */
  scaleFor(name: string, shape: readonly number[]): number {
    if (shape.length < 2)
      throw new ValueError(
        `init.Xavier: cannot initialize '${name}' of shape ${shapeStr(shape)}; Xavier needs an array with at least 2 dims`,
      );
    const hw = shape.slice(2).reduce((a, b) => a * b, 1);
    const fanIn = shape[1] * hw;
    const fanOut = shape[0] * hw;
    const factor = this.factorType === 'avg' ? (fanIn + fanOut) / 2 : this.factorType === 'in' ? fanIn : fanOut;
    return Math.sqrt(this.magnitude / Math.max(factor, 1e-12));
  }
  initWeight(name: string, arr: NDArray): void {
    const s = this.scaleFor(name, arr.shape);
    const opts = { dtype: arr.dtype, ctx: arr.context };
    fillWith(arr, this.rndType === 'uniform' ? random.uniform(-s, s, arr.shape, opts) : random.normal(0, s, arr.shape, opts));
  }
  override toString(): string {
    return `Xavier(rnd_type=${this.rndType}, factor_type=${this.factorType}, magnitude=${this.magnitude})`;
  }
}

/** Names accepted where an initializer is expected, as Gluon's strings ('zeros', 'ones', ...). */
export type InitializerName = 'zeros' | 'ones' | 'uniform' | 'normal' | 'xavier';

/** Anything with the initializer interface (see gluon's Parameter). */
export interface InitializerLike {
  initArray(name: string, arr: NDArray): void;
  initWeight?(name: string, arr: NDArray): void;
}

/**
 * An initializer from a name ('zeros', 'ones', 'uniform', 'normal', 'xavier') or itself.
 *
 * @example
 * init.create('zeros').toString(); // 'Zero()'
 */
export function create(spec: InitializerLike | InitializerName): InitializerLike;
/** The same, passing `undefined`/`null` through. @example init.create(undefined) // undefined */
export function create(spec: InitializerLike | InitializerName | undefined | null): InitializerLike | undefined;
/** Implementation of the overloads above. @example init.create('ones') */
export function create(spec: InitializerLike | InitializerName | undefined | null): InitializerLike | undefined {
  if (spec === undefined || spec === null) return undefined;
  if (typeof spec !== 'string') {
    if (typeof (spec as InitializerLike).initArray !== 'function')
      throw new ValueError(`init.create: expected an initializer (an object with initArray(name, arr)) or a name, got ${String(spec)}`);
    return spec;
  }
  switch (spec) {
    case 'zeros':
      return new Zero();
    case 'ones':
      return new One();
    case 'uniform':
      return new Uniform();
    case 'normal':
      return new Normal();
    case 'xavier':
      return new Xavier();
    default:
      throw new ValueError(`init.create: unknown initializer '${String(spec)}'; expected zeros, ones, uniform, normal or xavier`);
  }
}
