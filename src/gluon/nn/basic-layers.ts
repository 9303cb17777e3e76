/**
 * Gluon's basic layers: Dense, Dropout, Flatten, Embedding, BatchNorm, Lambda.
 * Each layer disposes its intermediate arrays and returns a new array.
 */
import type { DType } from '../../core/dtype.js';
import { isIntegral } from '../../core/dtype.js';
import { D2LError, ShapeError, ValueError } from '../../core/errors.js';
import { normalizeAxis, shapeStr, sizeOf } from '../../core/shape.js';
import { isTraining } from '../../autograd/autograd.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { dot } from '../../ops/linalg.js';
import { take } from '../../ops/indexing.js';
import { batchNormTrain } from '../../ops/batch-norm.js';
import { dropout } from '../../ops/nn.js';
import { HybridBlock, type BlockOptions } from '../block.js';
import type { Namespace } from '../../compile/namespace.js';
import { create as createInit, type InitializerName } from '../init.js';
import type { Initializer, Parameter } from '../parameter.js';
import { activate, checkActivation, type ActivationType } from './activations.js';

/** An initializer object or one of Gluon's names ('zeros', 'ones', 'uniform', 'normal', 'xavier'). */
export type InitSpec = Initializer | InitializerName;

/** Python's repr of a float: 1e-05, 0.9, 1.0. @example pyFloat(1e-5) // '1e-05' */
export function pyFloat(v: number): string {
  if (Number.isInteger(v)) return v.toFixed(1);
  if (v !== 0 && Math.abs(v) < 1e-4) {
    const [m, e] = v.toExponential().split('e');
    const sign = e[0] === '-' ? '-' : '+';
    const digits = e.replace(/^[-+]/, '').padStart(2, '0');
    return `${m}e${sign}${digits}`;
  }
  return String(v);
}

/** An identity that is still a new handle (so callers may dispose the result), recorded for autograd. @example const y = identity(x); y.dispose(); // x lives on */
export function identity(x: NDArray): NDArray {
  return x.reshape(x.shape);
}

/** Throws unless `v` is an integer >= `min`. @example checkInt(units, 'units', 'nn.Dense', 1) */
export function checkInt(v: unknown, what: string, where: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new ValueError(`${where}: ${what} must be an integer >= ${min}, got ${String(v)}`);
  return v;
}

/** Options of Dense. */
export interface DenseOptions extends BlockOptions {
  /** Applied to the output (default none: linear). */
  activation?: ActivationType | null;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
  /** Flatten every input axis after the first into one (default true); false applies to the last axis. */
  flatten?: boolean;
  dtype?: DType;
  /** The weight's own initializer (default: the one given to initialize()). */
  weightInitializer?: InitSpec | null;
  /** The bias's initializer (default 'zeros'). */
  biasInitializer?: InitSpec;
  /** The input size; 0 (default) infers it at the first forward pass. */
  inUnits?: number;
}

/**
 * A fully connected layer y = activation(x Wᵀ + b) with weight (units, inUnits) and bias (units),
 * as Gluon's nn.Dense. `inUnits` is inferred at the first forward pass unless given.
 *
 * @example
 * const dense = new nn.Dense(10, { activation: 'relu' });
 * dense.initialize();
 * dense.forward(nd.ones([2, 5])).shape; // [2, 10]
 * dense.weight.data().shape;            // [10, 5]
 */
export class Dense extends HybridBlock {
  readonly units: number;
  readonly act: ActivationType | null;
  readonly flatten: boolean;
  weight: Parameter;
  bias: Parameter | null;

  constructor(units: number, opts: DenseOptions = {}) {
    super(opts);
    const where = `nn.Dense(${units})`;
    this.units = checkInt(units, 'units', where, 1);
    this.act = opts.activation ? checkActivation(opts.activation, where) : null;
    this.flatten = opts.flatten ?? true;
    const inUnits = checkInt(opts.inUnits ?? 0, 'inUnits', where, 0);
    const dtype = opts.dtype ?? 'float32';
    this.weight = this.params.get('weight', { shape: [units, inUnits], dtype, init: createInit(opts.weightInitializer) });
    this.bias =
      opts.useBias === false ? null : this.params.get('bias', { shape: [units], dtype, init: createInit(opts.biasInitializer ?? 'zeros') });
  }

  protected override alias(): string {
    return 'dense';
  }

  /** x Wᵀ + b, then the activation. @example dense.forward(X) */
  override forward(x: NDArray): NDArray {
    // A 1-D input of n values is n samples of one feature when flattening (MXNet's FullyConnected; book 4.6).
    if (x.ndim < 1)
      throw new ShapeError(`Dense '${this.name}': expected an input with a batch axis (at least 1-D), got shape ${shapeStr(x.shape)}`);
    const inUnits = this.flatten ? sizeOf(x.shape.slice(1)) : x.shape[x.ndim - 1];
    if (!this.weight.isInitialized) this.weight.finishDeferredInit([this.units, inUnits]);
    const W = this.weight.data(x.context);
    if (W.shape[1] !== inUnits)
      throw new ShapeError(
        `Dense '${this.name}': the input of shape ${shapeStr(x.shape)} has ${inUnits} features${this.flatten ? ' (after flattening)' : ' (last axis)'} ` +
          `but the weight of shape ${shapeStr(W.shape)} expects ${W.shape[1]}`,
      );
    const x2 = this.flatten && x.ndim !== 2 ? x.reshape([x.shape[0], inUnits]) : x;
    let y = dot(x2, W, { transposeB: true });
    if (x2 !== x) x2.dispose();
    if (this.bias) {
      const yb = y.add(this.bias.data(x.context));
      y.dispose();
      y = yb;
    }
    if (this.act) {
      const ya = activate(this.act, y);
      y.dispose();
      y = ya;
    }
    return y;
  }

  /**
   * The traced form (after hybridize()): MXNet's FullyConnected, then the activation, so the
   * compiler fuses the bias add and the activation into one epilogue of the product.
   *
   * @example
   * net.hybridize(); net.forward(X); // traces dense.hybridForward(sym, x, weight, bias)
   */
  hybridForward(F: Namespace, x: any, weight: any, bias?: any): any {
    const y = F.FullyConnected(x, weight, this.bias ? bias : null, {
      numHidden: this.units,
      noBias: !this.bias,
      flatten: this.flatten,
      name: 'fwd',
    });
    return this.act ? F.Activation(y, { actType: this.act }) : y;
  }

  override toString(): string {
    const inU = this.weight.shape[1];
    return `Dense(${inU ? inU : 'None'} -> ${this.units}, ${this.act ? `Activation(${this.act})` : 'linear'})`;
  }
}

/**
 * Inverted dropout, as Gluon's nn.Dropout: in training mode (`autograd.isTraining()`, on inside
 * `autograd.record()`) each element is zeroed with probability `rate` and the rest scaled by
 * 1 / (1 - rate); in predict mode it is the identity. `axes` shares one mask along those axes.
 * Masks come from the seeded global generator (`nd.random.seed`).
 *
 * @example
 * const drop = new nn.Dropout(0.5);
 * autograd.record(() => drop.forward(nd.ones([2, 4]))); // entries 0 or 2
 */
export class Dropout extends HybridBlock {
  readonly rate: number;
  readonly axes: readonly number[];
  constructor(rate: number, opts: BlockOptions & { axes?: readonly number[] } = {}) {
    super(opts);
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))
      throw new ValueError(`nn.Dropout: rate must be in [0, 1], got ${String(rate)}`);
    this.rate = rate;
    this.axes = [...(opts.axes ?? [])];
  }

  /** Applies dropout in training mode; identity otherwise. @example drop.forward(h) */
  override forward(x: NDArray): NDArray {
    if (!isTraining() || this.rate === 0) return identity(x);
    return dropout(x, this.rate, this.axes, `Dropout '${this.name}'`);
  }

  /** The traced form: MXNet's Dropout (the identity outside training). @example net.hybridize() */
  hybridForward(F: Namespace, x: any): any {
    return F.Dropout(x, { p: this.rate, axes: [...this.axes] });
  }

  override toString(): string {
    return `Dropout(p = ${this.rate}, axes=(${this.axes.join(', ')}${this.axes.length === 1 ? ',' : ''}))`;
  }
}

/**
 * Flattens every axis after the first: (N, d1, d2, ...) -> (N, d1 * d2 * ...), as Gluon's
 * nn.Flatten (a view when possible).
 *
 * @example
 * new nn.Flatten().forward(nd.ones([2, 3, 4])).shape; // [2, 12]
 */
export class Flatten extends HybridBlock {
  /** @example flat.forward(x) */
  override forward(x: NDArray): NDArray {
    if (x.ndim === 0) throw new ShapeError(`Flatten '${this.name}': cannot flatten a 0-d array`);
    return x.reshape([x.shape[0], sizeOf(x.shape.slice(1))]);
  }
  /** The traced form: MXNet's Flatten. @example net.hybridize() */
  hybridForward(F: Namespace, x: any): any {
    return F.Flatten(x);
  }
  override toString(): string {
    return 'Flatten';
  }
}

/** Options of Embedding. */
export interface EmbeddingOptions extends BlockOptions {
  dtype?: DType;
  weightInitializer?: InitSpec | null;
}

/**
 * A lookup table: integer (or integral float) indices of any shape -> their rows of the weight
 * (inputDim, outputDim); the output has shape indices.shape + [outputDim]. As Gluon's
 * nn.Embedding; the weight's gradient is dense.
 *
 * @example
 * const embed = new nn.Embedding(20, 4);
 * embed.initialize();
 * embed.forward(nd.array([[1, 2, 3], [4, 5, 6]])).shape; // [2, 3, 4]
 */
export class Embedding extends HybridBlock {
  readonly inputDim: number;
  readonly outputDim: number;
  weight: Parameter;
  constructor(inputDim: number, outputDim: number, opts: EmbeddingOptions = {}) {
    super(opts);
    const where = `nn.Embedding(${inputDim}, ${outputDim})`;
    this.inputDim = checkInt(inputDim, 'inputDim', where, 1);
    this.outputDim = checkInt(outputDim, 'outputDim', where, 1);
    this.weight = this.params.get('weight', {
      shape: [inputDim, outputDim],
      dtype: opts.dtype ?? 'float32',
      init: createInit(opts.weightInitializer),
    });
  }

  /** The rows of the weight at `x`. @example embed.forward(idx) */
  override forward(x: NDArray): NDArray {
    const idx = isIntegral(x.dtype) ? x : x.astype('int32');
    try {
      return take(this.weight.data(x.context), idx, { axis: 0 });
    } catch (e) {
      if (e instanceof D2LError)
        throw new (e.constructor as new (m: string) => Error)(
          `Embedding '${this.name}' (inputDim ${this.inputDim}) on indices of shape ${shapeStr(x.shape)}: ${e.message}`,
        );
      throw e;
    } finally {
      if (idx !== x) idx.dispose();
    }
  }

  override toString(): string {
    return `Embedding(${this.inputDim} -> ${this.outputDim}, ${this.weight.dtype})`;
  }
}

/** Options of BatchNorm. */
export interface BatchNormOptions extends BlockOptions {
  /** The channel axis (default 1, NCHW). */
  axis?: number;
  /** Running statistics: running = momentum * running + (1 - momentum) * batch (default 0.9). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  epsilon?: number;
  /** Add beta (default true). */
  center?: boolean;
  /** Multiply by gamma (default true; false fixes gamma at 1). */
  scale?: boolean;
  /** Use the running statistics in training mode too (default false). */
  useGlobalStats?: boolean;
  betaInitializer?: InitSpec;
  gammaInitializer?: InitSpec;
  runningMeanInitializer?: InitSpec;
  runningVarianceInitializer?: InitSpec;
  /** The number of channels; 0 (default) infers it at the first forward pass. */
  inChannels?: number;
}

/**
 * Batch normalisation, as Gluon's nn.BatchNorm: in training mode it normalises with the batch's
 * mean and (biased) variance over every axis but `axis` and updates the running statistics
 * (momentum 0.9); in predict mode it uses the running statistics. y = gamma * (x - mean) /
 * sqrt(var + eps) + beta. The running statistics are Parameters with gradReq 'null'
 * (`running_mean`, `running_var`), saved and loaded with the others.
 *
 * @example
 * const bn = new nn.BatchNorm();
 * bn.initialize();
 * const y = autograd.record(() => bn.forward(nd.random.normal(0, 1, [4, 3, 2, 2])));
 */
export class BatchNorm extends HybridBlock {
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly useGlobalStats: boolean;
  gamma: Parameter;
  beta: Parameter;
  runningMean: Parameter;
  runningVar: Parameter;

  constructor(opts: BatchNormOptions = {}) {
    super(opts);
    this.axis = opts.axis ?? 1;
    this.momentum = opts.momentum ?? 0.9;
    this.epsilon = opts.epsilon ?? 1e-5;
    this.center = opts.center ?? true;
    this.scale = opts.scale ?? true;
    this.useGlobalStats = opts.useGlobalStats ?? false;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new ValueError(`nn.BatchNorm: momentum must be in [0, 1], got ${this.momentum}`);
    if (!(this.epsilon > 0)) throw new ValueError(`nn.BatchNorm: epsilon must be > 0, got ${this.epsilon}`);
    const c = checkInt(opts.inChannels ?? 0, 'inChannels', 'nn.BatchNorm', 0);
    const shape = [c];
    this.gamma = this.registerParameter(
      'gamma',
      this.params.get('gamma', {
        shape,
        init: createInit(opts.gammaInitializer ?? 'ones'),
        gradReq: this.scale ? 'write' : 'null',
        differentiable: this.scale,
      }),
    );
    this.beta = this.registerParameter(
      'beta',
      this.params.get('beta', {
        shape,
        init: createInit(opts.betaInitializer ?? 'zeros'),
        gradReq: this.center ? 'write' : 'null',
        differentiable: this.center,
      }),
    );
    this.runningMean = this.registerParameter(
      'running_mean',
      this.params.get('running_mean', { shape, init: createInit(opts.runningMeanInitializer ?? 'zeros'), differentiable: false }),
    );
    this.runningVar = this.registerParameter(
      'running_var',
      this.params.get('running_var', { shape, init: createInit(opts.runningVarianceInitializer ?? 'ones'), differentiable: false }),
    );
  }

  protected override alias(): string {
    return 'batchnorm';
  }

  /**
   * The traced form in predict mode (or with useGlobalStats): the normalisation with the running
   * statistics as elementwise ops on broadcast parameters, which the compiler fuses into one
   * kernel with what follows (a ReLU). In training mode the trace keeps the layer as one opaque
   * node (its eager code updates the running statistics); see `traceAsLayer`.
   *
   * @example
   * net.hybridize(); net.forward(X); // predict mode: fused normalisation
   */
  hybridForward(F: Namespace, x: any, gamma: any, beta: any, runningMean: any, runningVar: any): any {
    const axis = normalizeAxis(this.axis, x.ndim, `BatchNorm '${this.name}'`);
    const bshape = (x.shape as number[]).map((d, i) => (i === axis ? d : 1));
    const b = (p: any) => F.reshape(p, bshape);
    let y = x.sub(b(runningMean)).div(F.sqrt(b(runningVar).add(this.epsilon)));
    if (this.scale) y = y.mul(b(gamma));
    if (this.center) y = y.add(b(beta));
    return y;
  }

  /** Whether a trace keeps this layer as one opaque node: in training mode (batch statistics, running-statistics updates). */
  traceAsLayer(): boolean {
    return isTraining() && !this.useGlobalStats;
  }

  /** Normalises `x` (batch statistics in training mode, running ones in predict mode). @example bn.forward(X) */
  override forward(x: NDArray): NDArray {
    const where = `BatchNorm '${this.name}'`;
    if (x.ndim < 2) throw new ShapeError(`${where}: expected at least a 2-D input (batch, channels, ...), got shape ${shapeStr(x.shape)}`);
    const axis = normalizeAxis(this.axis, x.ndim, where);
    const C = x.shape[axis];
    for (const p of [this.gamma, this.beta, this.runningMean, this.runningVar]) {
      if (!p.isInitialized) p.finishDeferredInit([C]);
      if (p.data(x.context).shape[0] !== C)
        throw new ShapeError(
          `${where}: the input of shape ${shapeStr(x.shape)} has ${C} channels on axis ${axis} but the layer has ${p.data(x.context).shape[0]}`,
        );
    }
    const red = x.shape.map((_, i) => i).filter((i) => i !== axis);
    const bshape = x.shape.map((d, i) => (i === axis ? d : 1));
    const temps: NDArray[] = [];
    const t = (a: NDArray) => {
      temps.push(a);
      return a;
    };
    try {
      let mean: NDArray;
      let variance: NDArray;
      let xc: NDArray;
      if (isTraining() && !this.useGlobalStats && axis === 1 && this.scale && this.center) {
        // One taped op (ops/batch-norm.ts): saves only x for the backward pass.
        const r = batchNormTrain(x, this.gamma.data(x.context), this.beta.data(x.context), this.epsilon);
        t(r.mean);
        t(r.variance);
        this.updateRunning(r.mean, r.variance, C);
        return r.y;
      }
      if (isTraining() && !this.useGlobalStats) {
        mean = t(x.mean({ axis: red, keepdims: true }));
        xc = t(x.sub(mean));
        variance = t(t(xc.square()).mean({ axis: red, keepdims: true }));
        this.updateRunning(mean, variance, C);
      } else {
        mean = t(this.runningMean.data(x.context).reshape(bshape));
        variance = t(this.runningVar.data(x.context).reshape(bshape));
        xc = t(x.sub(mean));
      }
      const std = t(t(variance.add(this.epsilon)).sqrt());
      let y = t(xc.div(std));
      if (this.scale) y = t(y.mul(t(this.gamma.data(x.context).reshape(bshape))));
      const out = y.add(t(this.beta.data(x.context).reshape(bshape)));
      return out;
    } finally {
      for (const a of temps) a.dispose();
    }
  }

  private updateRunning(mean: NDArray, variance: NDArray, C: number): void {
    const m = this.momentum;
    for (const [p, v] of [
      [this.runningMean, mean],
      [this.runningVar, variance],
    ] as const) {
      const d = v.detach();
      const flat = d.reshape([C]);
      const scaled = flat.mul(1 - m);
      const arr = p.data(v.context);
      arr.imul(m);
      arr.iadd(scaled);
      for (const a of [d, flat, scaled]) a.dispose();
    }
  }

  override toString(): string {
    const c = this.gamma.shape[0];
    return (
      `BatchNorm(axis=${this.axis}, eps=${pyFloat(this.epsilon)}, momentum=${pyFloat(this.momentum)}, fix_gamma=${this.scale ? 'False' : 'True'}, ` +
      `use_global_stats=${this.useGlobalStats ? 'True' : 'False'}, in_channels=${c ? c : 'None'})`
    );
  }
}

/**
 * Wraps a function as a block (Gluon's nn.Lambda / HybridLambda).
 *
 * @example
 * const double = new nn.Lambda((x) => x.mul(2));
 * double.forward(nd.array([1, 2])).toArray(); // [2, 4]
 */
export class Lambda extends HybridBlock {
  constructor(
    readonly fn: (x: NDArray, ...args: any[]) => any,
    opts: BlockOptions = {},
  ) {
    super(opts);
    if (typeof fn !== 'function') throw new ValueError(`nn.Lambda: expected a function, got ${String(fn)}`);
  }
  /** Calls the function. @example lambda.forward(x) */
  override forward(x: NDArray, ...args: any[]): any {
    return this.fn(x, ...args);
  }
  override toString(): string {
    return `Lambda(${this.fn.name || '<lambda>'})`;
  }
}
