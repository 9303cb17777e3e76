// Plain and momentum SGD (MXNet's sgd), the book's default optimizer.
import { ValueError } from '../../core/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

/** Options of SGD and NAG. */
export interface SGDOptions extends OptimizerOptions {
  /** Momentum factor (default 0: plain SGD, no state). */
  momentum?: number;
  /** Accepted for MXNet compatibility (only dense gradients exist here, so it changes nothing). */
  lazyUpdate?: boolean;
}

function checkMomentum(name: string, m: number): number {
  if (!(Number.isFinite(m) && m >= 0)) throw new ValueError(`${name}: momentum must be a non-negative number, got ${m}`);
  return m;
}

/**
 * Stochastic gradient descent with optional momentum and weight decay (MXNet's sgd_update /
 * sgd_mom_update), with g = clip(rescaleGrad · grad, clipGradient):
 * - without momentum: w = (1 − lr·wd)·w − lr·g
 * - with momentum:    mom = momentum·mom − lr·wd·w − lr·g;  w = w + mom
 *
 * @example
 * const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
 */
export class SGD extends Optimizer {
  readonly kind: string = 'sgd';
  static readonly keys = Optimizer.optionKeys(['momentum', 'lazyUpdate']);
  readonly momentum: number;

  constructor(opts: SGDOptions = {}) {
    super(opts, { learningRate: 0.01 });
    this.momentum = checkMomentum(this.constructor.name, opts.momentum ?? 0);
  }

  override createState(_index: number, weight: NDArray): NDArray[] {
    return this.momentum === 0 ? [] : this.zerosStates(weight, 1);
  }

  protected applyUpdate(_index: number, weight: NDArray, grad: NDArray, state: NDArray[], lr: number, wd: number): void {
    if (this.momentum === 0 || state.length === 0) {
      if (wd !== 0) weight.imul(1 - lr * wd);
      // Without clipping the rescale folds into the one scalar multiply.
      weight.isub(this.clipping ? this.rescaledGrad(grad).mul(lr) : grad.mul(lr * this.rescaleGrad));
      return;
    }
    const [mom] = state;
    mom.imul(this.momentum);
    if (wd !== 0) mom.isub(weight.mul(lr * wd));
    mom.isub(this.clipping ? this.rescaledGrad(grad).mul(lr) : grad.mul(lr * this.rescaleGrad));
    weight.iadd(mom);
  }
}

/**
 * Nesterov accelerated gradient (MXNet's NAG), with g = clip(rescaleGrad · grad) + wd·w:
 * mom = momentum·mom + g;  w = w − lr·(g + momentum·mom). Without momentum it is SGD.
 *
 * @example
 * const trainer = new gluon.Trainer(params, 'nag', { learningRate: 0.1, momentum: 0.9 });
 */
export class NAG extends SGD {
  override readonly kind: string = 'nag';
  static override readonly keys = Optimizer.optionKeys(['momentum']);

  protected override applyUpdate(_index: number, weight: NDArray, grad: NDArray, state: NDArray[], lr: number, wd: number): void {
    let g = this.rescaledGrad(grad);
    if (wd !== 0) g = g.add(weight.mul(wd));
    if (this.momentum === 0 || state.length === 0) {
      weight.isub(g.mul(lr));
      return;
    }
    const [mom] = state;
    mom.imul(this.momentum).iadd(g);
    weight.isub(g.add(mom.mul(this.momentum)).mul(lr));
  }
}
