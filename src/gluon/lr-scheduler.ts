/**
 * Learning-rate schedules with MXNet's semantics (mxnet.lr_scheduler): a schedule maps the
 * optimizer's update count (1 for the first step) to a learning rate, with an optional warmup
 * phase (linear from `warmupBeginLr` to `baseLr`, or constant at `warmupBeginLr`) during the first
 * `warmupSteps` updates.
 *
 * @example
 * const sched = new lrScheduler.FactorScheduler(250, { factor: 0.5, baseLr: 0.1 });
 * const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { lrScheduler: sched });
 */
import { ValueError } from '../core/errors.js';

/** How the learning rate moves during warmup. */
export type WarmupMode = 'linear' | 'constant';

/** Options shared by every schedule. */
export interface LRSchedulerOptions {
  /** The learning rate after warmup (default 0.01). An optimizer's explicit learningRate replaces it. */
  baseLr?: number;
  /** Number of warmup updates (default 0). */
  warmupSteps?: number;
  /** The learning rate at update 0 of the warmup (default 0). */
  warmupBeginLr?: number;
  /** 'linear' (default) or 'constant'. */
  warmupMode?: WarmupMode;
}

/** The mutable numbers of a schedule, for Trainer.saveStates. */
export type LRSchedulerState = Record<string, number>;

/**
 * The base class of the schedules: `getLr(numUpdate)` gives the learning rate for an update
 * count, handling warmup; subclasses define the rest.
 *
 * @example
 * class Halving extends lrScheduler.LRScheduler {
 *   getLr(n: number) { return n < this.warmupSteps ? this.getWarmupLr(n) : this.baseLr / 2 ** Math.floor(n / 100); }
 * }
 */
export abstract class LRScheduler {
  baseLr: number;
  readonly warmupSteps: number;
  readonly warmupBeginLr: number;
  readonly warmupMode: WarmupMode;
  /** The learning rate warmup ends at (the base lr). */
  warmupFinalLr: number;

  constructor(opts: LRSchedulerOptions = {}) {
    const name = new.target.name;
    this.baseLr = opts.baseLr ?? 0.01;
    this.warmupSteps = opts.warmupSteps ?? 0;
    this.warmupBeginLr = opts.warmupBeginLr ?? 0;
    this.warmupMode = opts.warmupMode ?? 'linear';
    this.warmupFinalLr = this.baseLr;
    if (!Number.isFinite(this.baseLr)) throw new ValueError(`${name}: baseLr must be a finite number, got ${this.baseLr}`);
    if (this.warmupBeginLr > this.warmupFinalLr)
      throw new ValueError(`${name}: baseLr (${this.baseLr}) has to be higher than warmupBeginLr (${this.warmupBeginLr})`);
    if (!Number.isInteger(this.warmupSteps) || this.warmupSteps < 0)
      throw new ValueError(`${name}: warmupSteps must be a non-negative integer, got ${this.warmupSteps}`);
    if (this.warmupMode !== 'linear' && this.warmupMode !== 'constant')
      throw new ValueError(`${name}: warmupMode must be 'linear' or 'constant', got '${String(this.warmupMode)}'`);
  }

  /** The learning rate during warmup (numUpdate < warmupSteps). @example sched.getWarmupLr(2) // halfway for warmupSteps 4 */
  getWarmupLr(numUpdate: number): number {
    if (numUpdate >= this.warmupSteps)
      throw new ValueError(`${this.constructor.name}.getWarmupLr: update ${numUpdate} is past the ${this.warmupSteps} warmup steps`);
    if (this.warmupMode === 'constant') return this.warmupBeginLr;
    return this.warmupBeginLr + ((this.warmupFinalLr - this.warmupBeginLr) * numUpdate) / this.warmupSteps;
  }

  /** The learning rate for update number `numUpdate` (MXNet's `scheduler(num_update)`). @example sched.getLr(trainer.optimizer.numUpdate) */
  abstract getLr(numUpdate: number): number;

  /**
   * Replaces the base learning rate (what an optimizer's explicit learningRate does), keeping the
   * warmup's end point in step.
   * @example sched.setBaseLr(0.1)
   */
  setBaseLr(lr: number): void {
    this.baseLr = lr;
    this.warmupFinalLr = lr;
  }

  /** The numbers the schedule changes as it runs. @example const saved = sched.getState(); */
  getState(): LRSchedulerState {
    return { baseLr: this.baseLr, warmupFinalLr: this.warmupFinalLr };
  }
  /** Restores numbers from getState(). @example sched.setState(saved) */
  setState(s: LRSchedulerState): void {
    if (typeof s.baseLr === 'number') this.baseLr = s.baseLr;
    if (typeof s.warmupFinalLr === 'number') this.warmupFinalLr = s.warmupFinalLr;
  }
}

/** Options of FactorScheduler. */
export interface FactorSchedulerOptions extends LRSchedulerOptions {
  /** Multiplier applied every `step` updates (default 1, must be <= 1). */
  factor?: number;
  /** The learning rate never drops below this (default 1e-8). */
  stopFactorLr?: number;
}

/**
 * Multiplies the learning rate by `factor` every `step` updates, never going below
 * `stopFactorLr`: lr = baseLr · factor^floor((numUpdate − 1) / step), as MXNet's FactorScheduler.
 *
 * @example
 * const s = new lrScheduler.FactorScheduler(2, { factor: 0.5, baseLr: 1 });
 * [1, 2, 3, 4, 5].map((n) => s.getLr(n)); // [1, 1, 0.5, 0.5, 0.25]
 */
export class FactorScheduler extends LRScheduler {
  readonly step: number;
  readonly factor: number;
  readonly stopFactorLr: number;
  private count = 0;

  constructor(step: number, opts: FactorSchedulerOptions = {}) {
    super(opts);
    if (!(step >= 1)) throw new ValueError(`FactorScheduler: step must be at least 1 update, got ${step}`);
    const factor = opts.factor ?? 1;
    if (!(factor <= 1)) throw new ValueError(`FactorScheduler: factor must be no more than 1 so the lr decreases, got ${factor}`);
    this.step = step;
    this.factor = factor;
    this.stopFactorLr = opts.stopFactorLr ?? 1e-8;
  }

  getLr(numUpdate: number): number {
    if (numUpdate < this.warmupSteps) return this.getWarmupLr(numUpdate);
    // `while`, not `if`: a resumed run may jump several steps at once.
    while (numUpdate > this.count + this.step) {
      this.count += this.step;
      this.baseLr *= this.factor;
      if (this.baseLr < this.stopFactorLr) this.baseLr = this.stopFactorLr;
    }
    return this.baseLr;
  }

  override getState(): LRSchedulerState {
    return { ...super.getState(), count: this.count };
  }
  override setState(s: LRSchedulerState): void {
    super.setState(s);
    if (typeof s.count === 'number') this.count = s.count;
  }
}

/** Options of MultiFactorScheduler. */
export interface MultiFactorSchedulerOptions extends LRSchedulerOptions {
  /** Multiplier applied at each listed step (default 1, must be <= 1). */
  factor?: number;
}

/**
 * Multiplies the learning rate by `factor` once the update count passes each of `steps`
 * (an increasing list), as MXNet's MultiFactorScheduler.
 *
 * @example
 * const s = new lrScheduler.MultiFactorScheduler([2, 4], { factor: 0.1, baseLr: 1 });
 * [1, 2, 3, 4, 5].map((n) => s.getLr(n)); // [1, 1, 0.1, 0.1, 0.01]
 */
export class MultiFactorScheduler extends LRScheduler {
  readonly steps: readonly number[];
  readonly factor: number;
  private curStepInd = 0;
  private count = 0;

  constructor(steps: readonly number[], opts: MultiFactorSchedulerOptions = {}) {
    super(opts);
    if (!Array.isArray(steps) || steps.length < 1)
      throw new ValueError('MultiFactorScheduler: steps must be a non-empty list of update counts');
    steps.forEach((s, i) => {
      if (i > 0 && !(s > steps[i - 1]))
        throw new ValueError(`MultiFactorScheduler: steps must be strictly increasing, got [${steps.join(', ')}]`);
      if (!(s >= 1)) throw new ValueError(`MultiFactorScheduler: every step must be at least 1, got ${s}`);
    });
    const factor = opts.factor ?? 1;
    if (!(factor <= 1)) throw new ValueError(`MultiFactorScheduler: factor must be no more than 1 so the lr decreases, got ${factor}`);
    this.steps = [...steps];
    this.factor = factor;
  }

  getLr(numUpdate: number): number {
    if (numUpdate < this.warmupSteps) return this.getWarmupLr(numUpdate);
    while (this.curStepInd < this.steps.length && numUpdate > this.steps[this.curStepInd]) {
      this.count = this.steps[this.curStepInd];
      this.curStepInd++;
      this.baseLr *= this.factor;
    }
    return this.baseLr;
  }

  override getState(): LRSchedulerState {
    return { ...super.getState(), count: this.count, curStepInd: this.curStepInd };
  }
  override setState(s: LRSchedulerState): void {
    super.setState(s);
    if (typeof s.count === 'number') this.count = s.count;
    if (typeof s.curStepInd === 'number') this.curStepInd = s.curStepInd;
  }
}

/** Options of PolyScheduler. */
export interface PolySchedulerOptions extends LRSchedulerOptions {
  /** The power of the decay (default 2). */
  pwr?: number;
  /** The learning rate reached at maxUpdate (default 0). */
  finalLr?: number;
}

/**
 * Polynomial decay from baseLr to finalLr over maxUpdate updates (after warmup):
 * lr = finalLr + (baseLr − finalLr) · (1 − (n − warmupSteps) / (maxUpdate − warmupSteps))^pwr.
 *
 * @example
 * const s = new lrScheduler.PolyScheduler(10, { baseLr: 1, pwr: 1 });
 * s.getLr(5); // 0.5
 */
export class PolyScheduler extends LRScheduler {
  readonly maxUpdate: number;
  readonly power: number;
  readonly finalLr: number;
  private baseLrOrig: number;

  constructor(maxUpdate: number, opts: PolySchedulerOptions = {}) {
    super(opts);
    if (!Number.isInteger(maxUpdate) || maxUpdate < 1)
      throw new ValueError(`PolyScheduler: maxUpdate must be a positive integer, got ${maxUpdate}`);
    if (maxUpdate <= this.warmupSteps)
      throw new ValueError(`PolyScheduler: maxUpdate (${maxUpdate}) must exceed warmupSteps (${this.warmupSteps})`);
    this.maxUpdate = maxUpdate;
    this.power = opts.pwr ?? 2;
    this.finalLr = opts.finalLr ?? 0;
    this.baseLrOrig = this.baseLr;
  }

  getLr(numUpdate: number): number {
    if (numUpdate < this.warmupSteps) return this.getWarmupLr(numUpdate);
    if (numUpdate <= this.maxUpdate) {
      const frac = (numUpdate - this.warmupSteps) / (this.maxUpdate - this.warmupSteps);
      this.baseLr = this.finalLr + (this.baseLrOrig - this.finalLr) * Math.pow(1 - frac, this.power);
    }
    return this.baseLr;
  }

  override setBaseLr(lr: number): void {
    super.setBaseLr(lr);
    this.baseLrOrig = lr;
  }
  override getState(): LRSchedulerState {
    return { ...super.getState(), baseLrOrig: this.baseLrOrig };
  }
  override setState(s: LRSchedulerState): void {
    super.setState(s);
    if (typeof s.baseLrOrig === 'number') this.baseLrOrig = s.baseLrOrig;
  }
}

/** Options of CosineScheduler. */
export interface CosineSchedulerOptions extends LRSchedulerOptions {
  /** The learning rate reached at maxUpdate (default 0). */
  finalLr?: number;
}

/**
 * Cosine decay from baseLr to finalLr over maxUpdate updates (after warmup), then constant:
 * lr = finalLr + (baseLr − finalLr) · (1 + cos(π (n − warmupSteps) / (maxUpdate − warmupSteps))) / 2.
 *
 * @example
 * const s = new lrScheduler.CosineScheduler(100, { baseLr: 1, finalLr: 0 });
 * s.getLr(50); // 0.5
 */
export class CosineScheduler extends LRScheduler {
  readonly maxUpdate: number;
  readonly finalLr: number;
  private baseLrOrig: number;

  constructor(maxUpdate: number, opts: CosineSchedulerOptions = {}) {
    super(opts);
    if (!Number.isInteger(maxUpdate) || maxUpdate < 1)
      throw new ValueError(`CosineScheduler: maxUpdate must be a positive integer, got ${maxUpdate}`);
    if (maxUpdate <= this.warmupSteps)
      throw new ValueError(`CosineScheduler: maxUpdate (${maxUpdate}) must exceed warmupSteps (${this.warmupSteps})`);
    this.maxUpdate = maxUpdate;
    this.finalLr = opts.finalLr ?? 0;
    this.baseLrOrig = this.baseLr;
  }

  getLr(numUpdate: number): number {
    if (numUpdate < this.warmupSteps) return this.getWarmupLr(numUpdate);
    if (numUpdate <= this.maxUpdate) {
      const frac = (numUpdate - this.warmupSteps) / (this.maxUpdate - this.warmupSteps);
      this.baseLr = this.finalLr + ((this.baseLrOrig - this.finalLr) * (1 + Math.cos(Math.PI * frac))) / 2;
    }
    return this.baseLr;
  }

  override setBaseLr(lr: number): void {
    super.setBaseLr(lr);
    this.baseLrOrig = lr;
  }
  override getState(): LRSchedulerState {
    return { ...super.getState(), baseLrOrig: this.baseLrOrig };
  }
  override setState(s: LRSchedulerState): void {
    super.setState(s);
    if (typeof s.baseLrOrig === 'number') this.baseLrOrig = s.baseLrOrig;
  }
}
