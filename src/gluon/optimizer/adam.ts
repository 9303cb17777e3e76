// The Adam optimizer (MXNet's adam, with its bias correction folded into the learning rate).
import { ValueError } from '../../core/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { checkEpsilon, Optimizer, type OptimizerOptions } from './optimizer.js';

/** Options of Adam and AdamW. */
export interface AdamOptions extends OptimizerOptions {
  /** Decay of the first moment (default 0.9). */
  beta1?: number;
  /** Decay of the second moment (default 0.999). */
  beta2?: number;
  /** Added to the denominator (Adam 1e-8, AdamW 1e-6). */
  epsilon?: number;
  /** Accepted for MXNet compatibility (only dense gradients exist here). */
  lazyUpdate?: boolean;
}

function checkBetas(name: string, b1: number, b2: number): void {
  if (!(b1 >= 0 && b1 < 1)) throw new ValueError(`${name}: beta1 must lie in [0, 1), got ${b1}`);
  if (!(b2 >= 0 && b2 < 1)) throw new ValueError(`${name}: beta2 must lie in [0, 1), got ${b2}`);
}

/**
 * Adam (MXNet 1.x: bias correction folded into the learning rate, weight decay added to the
 * gradient), at update t with g = clip(rescaleGrad · grad + wd·w):
 * m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²;
 * w = w − lr·sqrt(1 − β2^t)/(1 − β1^t) · m / (sqrt(v) + eps).
 *
 * @example
 * const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.005 });
 */
export class Adam extends Optimizer {
  readonly kind: string = 'adam';
  static readonly keys = Optimizer.optionKeys(['beta1', 'beta2', 'epsilon', 'lazyUpdate']);
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(opts: AdamOptions = {}, defaults: { epsilon?: number } = {}) {
    super(opts, { learningRate: 0.001 });
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? defaults.epsilon ?? 1e-8;
    checkBetas(this.constructor.name, this.beta1, this.beta2);
    checkEpsilon(this.constructor.name, this.epsilon);
  }

  override createState(_index: number, weight: NDArray): NDArray[] {
    return this.zerosStates(weight, 2);
  }

  /** The bias-corrected step size at update t. */
  protected correctedLr(lr: number, t: number): number {
    return (lr * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
  }

  /** m and v updated in place from g. */
  protected moments(state: NDArray[], g: NDArray): [NDArray, NDArray] {
    const [mean, variance] = state;
    mean.imul(this.beta1).iadd(g.mul(1 - this.beta1));
    variance.imul(this.beta2).iadd(g.square().mul(1 - this.beta2));
    return [mean, variance];
  }

  protected applyUpdate(index: number, weight: NDArray, grad: NDArray, state: NDArray[], lr: number, wd: number): void {
    const t = this.updateCountOf(index);
    const g = this.rescaledGradWithWd(grad, weight, wd);
    const [m, v] = this.moments(state, g);
    weight.isub(m.div(v.sqrt().add(this.epsilon)).mul(this.correctedLr(lr, t)));
  }
}

/** Options of AdamW. */
export interface AdamWOptions extends AdamOptions {
  /** Apply Adam's bias correction to the step size (default true). */
  correctBias?: boolean;
}

/**
 * AdamW: Adam with decoupled weight decay (MXNet's adamw_update), at update t with
 * g = clip(rescaleGrad · grad) (no wd in the gradient):
 * m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²;  η = lr·sqrt(1 − β2^t)/(1 − β1^t) (or lr when
 * correctBias is false);  w = w − η·(m / (sqrt(v) + eps) + wd·w).
 *
 * @example
 * const trainer = new gluon.Trainer(params, 'adamw', { learningRate: 1e-3, wd: 0.01 });
 */
export class AdamW extends Adam {
  override readonly kind: string = 'adamw';
  static override readonly keys = Optimizer.optionKeys(['beta1', 'beta2', 'epsilon', 'correctBias', 'lazyUpdate']);
  readonly correctBias: boolean;

  constructor(opts: AdamWOptions = {}) {
    super(opts, { epsilon: 1e-6 });
    this.correctBias = opts.correctBias ?? true;
  }

  protected override applyUpdate(index: number, weight: NDArray, grad: NDArray, state: NDArray[], lr: number, wd: number): void {
    const t = this.updateCountOf(index);
    const g = this.rescaledGrad(grad);
    const [m, v] = this.moments(state, g);
    const eta = this.correctBias ? this.correctedLr(lr, t) : lr;
    const dir = m.div(v.sqrt().add(this.epsilon));
    weight.isub((wd !== 0 ? dir.add(weight.mul(wd)) : dir).mul(eta));
  }
}
