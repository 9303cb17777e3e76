/**
 * The optimizer base class with MXNet 1.x semantics: per-parameter update counts (the first
 * update is number 1), learning rate from a schedule or a constant, per-parameter lrMult/wdMult,
 * `rescaleGrad` (set by the Trainer to 1/batchSize) and `clipGradient`.
 */
import { ValueError } from '../../core/errors.js';
import { checkOptions } from '../../core/options.js';
import { state as autogradState } from '../../autograd/state.js';
import { keep, tidy } from '../../ndarray/memory.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import type { LRScheduler } from '../lr-scheduler.js';

/** What an optimizer reads from a parameter (a gluon Parameter satisfies it). */
export interface ParamAttrs {
  name?: string;
  lrMult: number;
  wdMult: number;
}

/** Options every optimizer takes (MXNet's Optimizer arguments in camelCase). */
export interface OptimizerOptions {
  /** The learning rate (each optimizer has its own default: 0.01, Adam 0.001...). */
  learningRate?: number;
  /** Weight decay (L2) coefficient, default 0. */
  wd?: number;
  /** Multiplies every gradient before use (the Trainer sets it to rescaleGrad / batchSize). */
  rescaleGrad?: number;
  /** Clips the rescaled gradient into [−clipGradient, clipGradient]; off when null/undefined or <= 0. */
  clipGradient?: number | null;
  /** A schedule giving the learning rate from the update count. */
  lrScheduler?: LRScheduler | null;
  /** The update count to start from (default 0). */
  beginNumUpdate?: number;
  /** Accepted for MXNet compatibility; float16 weights do not exist here, so it changes nothing. */
  multiPrecision?: boolean;
  /** Index -> parameter, for lrMult/wdMult (the Trainer fills it). */
  paramDict?: Map<number, ParamAttrs> | Record<number, ParamAttrs>;
}

/** The mutable bookkeeping of an optimizer, as saved by Trainer.saveStates. */
export interface OptimizerBookkeeping {
  numUpdate: number;
  indexUpdateCount: Record<string, number>;
  lr: number;
  wd: number;
  scheduler?: Record<string, number>;
}

const BASE_KEYS = [
  'learningRate',
  'wd',
  'rescaleGrad',
  'clipGradient',
  'lrScheduler',
  'beginNumUpdate',
  'multiPrecision',
  'paramDict',
] as const;

/**
 * Throws unless `epsilon` (the term that keeps a denominator away from zero) is a finite number
 * > 0: with 0 the first update divides 0 by 0 wherever a gradient is 0, and the weights turn NaN.
 * @example checkEpsilon('Adam', 1e-8)
 */
export function checkEpsilon(name: string, epsilon: number): number {
  if (!(typeof epsilon === 'number' && Number.isFinite(epsilon) && epsilon > 0))
    throw new ValueError(`${name}: epsilon must be a positive finite number (it keeps the update's denominator above 0), got ${epsilon}`);
  return epsilon;
}

/** Runs `fn` outside autograd recording (optimizer updates are never part of a graph). @example withoutRecording(() => w.isub(g.mul(lr))) */
export function withoutRecording<T>(fn: () => T): T {
  const prev = autogradState.recording;
  autogradState.recording = false;
  try {
    return fn();
  } finally {
    autogradState.recording = prev;
  }
}

/**
 * The base class of every optimizer. Subclasses define `createState` (zero or more arrays per
 * weight, e.g. a momentum buffer) and `applyUpdate`; `update(index, weight, grad, state)` counts
 * the update, works out the learning rate and weight decay for that parameter and applies the
 * subclass's rule in place, outside autograd recording and with every temporary freed.
 *
 * @example
 * class SignSGD extends gluon.optimizer.Optimizer {
 *   readonly kind = 'signsgd';
 *   protected applyUpdate(_i: number, w: NDArray, g: NDArray, _s: NDArray[], lr: number) {
 *     w.isub(g.sign().mul(lr));
 *   }
 * }
 */
export abstract class Optimizer {
  /** The registry name ('sgd', 'adam', ...), stored in saved states. */
  abstract readonly kind: string;
  /** The constant learning rate (used when there is no schedule). */
  lr: number;
  wd: number;
  rescaleGrad: number;
  clipGradient: number | null;
  lrScheduler: LRScheduler | null;
  readonly beginNumUpdate: number;
  /** The largest update count over all parameters. */
  numUpdate: number;
  readonly multiPrecision: boolean;
  /** Index -> parameter attributes (lrMult, wdMult). */
  paramDict: Map<number, ParamAttrs>;
  /** Explicit multipliers by index or name (used for indices missing from paramDict). */
  lrMult: Map<number | string, number> = new Map();
  wdMult: Map<number | string, number> = new Map();
  /** Index -> name, for the multipliers above. */
  idx2name: Map<number, string> = new Map();
  /** Per-index update counts. */
  readonly indexUpdateCount = new Map<number, number>();

  /**
   * @param opts the common options plus the subclass's own
   * @param defaults the subclass's default learning rate
   */
  constructor(opts: OptimizerOptions = {}, defaults: { learningRate?: number } = {}) {
    const name = new.target.name;
    // Constructed directly (not through optimizer.create, which checks too): the class's own keys.
    const own = Object.prototype.hasOwnProperty.call(new.target, 'keys') ? (new.target as { keys?: readonly string[] }).keys : undefined;
    if (own) checkOptions(name, opts, own);
    const given = opts.learningRate;
    if (given !== undefined && !(Number.isFinite(given) && given >= 0))
      throw new ValueError(`${name}: learningRate must be a non-negative number, got ${given}`);
    this.lrScheduler = opts.lrScheduler ?? null;
    if (this.lrScheduler && given !== undefined) this.lrScheduler.setBaseLr(given);
    this.lr = given ?? (this.lrScheduler ? this.lrScheduler.baseLr : (defaults.learningRate ?? 0.01));
    this.wd = opts.wd ?? 0;
    if (!Number.isFinite(this.wd)) throw new ValueError(`${name}: wd must be a finite number, got ${this.wd}`);
    this.rescaleGrad = opts.rescaleGrad ?? 1;
    if (!Number.isFinite(this.rescaleGrad)) throw new ValueError(`${name}: rescaleGrad must be a finite number, got ${this.rescaleGrad}`);
    const clip = opts.clipGradient ?? null;
    if (clip !== null && !Number.isFinite(clip)) throw new ValueError(`${name}: clipGradient must be a finite number or null, got ${clip}`);
    this.clipGradient = clip;
    this.beginNumUpdate = opts.beginNumUpdate ?? 0;
    this.numUpdate = this.beginNumUpdate;
    this.multiPrecision = opts.multiPrecision ?? false;
    const pd = opts.paramDict;
    this.paramDict = pd instanceof Map ? pd : new Map(Object.entries(pd ?? {}).map(([k, v]) => [Number(k), v]));
  }

  /** The option names this optimizer accepts (the common ones plus its own). @example static readonly keys = Optimizer.optionKeys(['momentum']) */
  static optionKeys(extra: readonly string[]): string[] {
    return [...BASE_KEYS, ...extra];
  }

  /** The current learning rate: the schedule's value at numUpdate, or the constant. @example opt.learningRate // 0.01 */
  get learningRate(): number {
    return this.lrScheduler ? this.lrScheduler.getLr(this.numUpdate) : this.lr;
  }

  /**
   * Sets the constant learning rate. With a schedule this is an error, as in MXNet (the schedule
   * owns the learning rate).
   * @example opt.setLearningRate(0.05)
   */
  setLearningRate(lr: number): void {
    if (this.lrScheduler)
      throw new ValueError(
        `${this.constructor.name}.setLearningRate: an LRScheduler is defined; setLearningRate can change the learning rate only when the optimizer has no LRScheduler`,
      );
    if (!(Number.isFinite(lr) && lr >= 0))
      throw new ValueError(`${this.constructor.name}.setLearningRate: expected a non-negative number, got ${lr}`);
    this.lr = lr;
  }

  /** Sets per-parameter learning-rate multipliers by index or name (those not in paramDict). @example opt.setLrMult({ 0: 2, dense0_bias: 0.5 }) */
  setLrMult(mults: Record<string, number> | Map<number | string, number>): void {
    this.lrMult = mults instanceof Map ? new Map(mults) : new Map(Object.entries(mults));
  }
  /** Sets per-parameter weight-decay multipliers by index or name (those not in paramDict). @example opt.setWdMult({ dense0_bias: 0 }) */
  setWdMult(mults: Record<string, number> | Map<number | string, number>): void {
    this.wdMult = mults instanceof Map ? new Map(mults) : new Map(Object.entries(mults));
  }

  /** Counts one more update of parameter `index` (MXNet's _update_count). */
  protected updateCount(index: number): void {
    const c = (this.indexUpdateCount.get(index) ?? this.beginNumUpdate) + 1;
    this.indexUpdateCount.set(index, c);
    this.numUpdate = Math.max(this.numUpdate, c);
  }

  /** How many times parameter `index` has been updated. @example opt.updateCountOf(0) // 3 */
  updateCountOf(index: number): number {
    return this.indexUpdateCount.get(index) ?? this.beginNumUpdate;
  }

  private mult(index: number, which: 'lrMult' | 'wdMult'): number {
    const p = this.paramDict.get(index);
    if (p) return p[which];
    const table = which === 'lrMult' ? this.lrMult : this.wdMult;
    if (table.has(index)) return table.get(index)!;
    if (table.has(String(index))) return table.get(String(index))!;
    const name = this.idx2name.get(index);
    if (name !== undefined && table.has(name)) return table.get(name)!;
    return 1;
  }

  /** The learning rate for parameter `index` (schedule or constant, times its lrMult). @example opt.getLr(0) // 0.1 */
  getLr(index: number): number {
    const base = this.lrScheduler ? this.lrScheduler.getLr(this.numUpdate) : this.lr;
    return base * this.mult(index, 'lrMult');
  }

  /** The weight decay for parameter `index` (wd times its wdMult). @example opt.getWd(0) // 1e-4 */
  getWd(index: number): number {
    return this.wd * this.mult(index, 'wdMult');
  }

  /** Whether gradient clipping is on. */
  protected get clipping(): boolean {
    return this.clipGradient !== null && this.clipGradient > 0;
  }

  /** clip(rescaleGrad · grad) as a new array (MXNet's preprocessing). */
  protected rescaledGrad(grad: NDArray): NDArray {
    const g = grad.mul(this.rescaleGrad);
    if (!this.clipping) return g;
    const c = this.clipGradient!;
    return g.clip(-c, c);
  }

  /** clip(rescaleGrad · grad + wd · weight): the preprocessing of the fused kernels (adam, rmsprop). */
  protected rescaledGradWithWd(grad: NDArray, weight: NDArray, wd: number): NDArray {
    let g = grad.mul(this.rescaleGrad);
    if (wd !== 0) g = g.add(weight.mul(wd));
    if (!this.clipping) return g;
    const c = this.clipGradient!;
    return g.clip(-c, c);
  }

  /**
   * The state arrays of one weight (e.g. momentum), zero-filled; called once per weight.
   * The default is no state.
   * @example const [mom] = sgdWithMomentum.createState(0, w);
   */
  createState(_index: number, _weight: NDArray): NDArray[] {
    return [];
  }

  /** Zero arrays shaped like `weight`, kept out of any tidy scope. */
  protected zerosStates(weight: NDArray, n: number): NDArray[] {
    return Array.from({ length: n }, () => keep(weight.zerosLike()));
  }

  /**
   * Updates `weight` in place from `grad`, using and updating `state` (from createState).
   * Runs outside autograd recording; temporaries are freed before it returns.
   * @example
   * const st = opt.createState(0, w);
   * opt.update(0, w, w.grad, st);
   */
  update(index: number, weight: NDArray, grad: NDArray, state: NDArray[]): void {
    this.updateCount(index);
    const lr = this.getLr(index);
    const wd = this.getWd(index);
    withoutRecording(() => tidy(() => this.applyUpdate(index, weight, grad, state, lr, wd)));
  }

  /** The update rule itself: in place on `weight` and `state`, with this parameter's lr and wd. */
  protected abstract applyUpdate(index: number, weight: NDArray, grad: NDArray, state: NDArray[], lr: number, wd: number): void;

  /** The bookkeeping numbers, for saving. @example JSON.stringify(opt.getBookkeeping()) */
  getBookkeeping(): OptimizerBookkeeping {
    return {
      numUpdate: this.numUpdate,
      indexUpdateCount: Object.fromEntries([...this.indexUpdateCount].map(([k, v]) => [String(k), v])),
      lr: this.lr,
      wd: this.wd,
      ...(this.lrScheduler ? { scheduler: this.lrScheduler.getState() } : {}),
    };
  }

  /** Restores numbers from getBookkeeping(). @example opt.setBookkeeping(saved) */
  setBookkeeping(b: OptimizerBookkeeping): void {
    this.numUpdate = b.numUpdate;
    this.indexUpdateCount.clear();
    for (const [k, v] of Object.entries(b.indexUpdateCount)) this.indexUpdateCount.set(Number(k), v);
    this.lr = b.lr;
    this.wd = b.wd;
    if (b.scheduler && this.lrScheduler) this.lrScheduler.setState(b.scheduler);
  }

  toString(): string {
    return `${this.constructor.name}(learning_rate=${this.lr}, wd=${this.wd}, rescale_grad=${this.rescaleGrad}, clip_gradient=${this.clipGradient})`;
  }
}
