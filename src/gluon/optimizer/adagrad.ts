// The AdaGrad optimizer (MXNet's adagrad).
import type { NDArray } from '../../ndarray/ndarray.js';
import { checkEpsilon, Optimizer, type OptimizerOptions } from './optimizer.js';

/** Options of AdaGrad. */
export interface AdaGradOptions extends OptimizerOptions {
  /** Added inside the square root for stability (default 1e-7; MXNet calls it `eps`). */
  epsilon?: number;
  /** MXNet's name for epsilon. */
  eps?: number;
}

/**
 * AdaGrad (MXNet 1.x), with g = clip(rescaleGrad · grad):
 * h = h + g²;  w = w − lr·(g / sqrt(h + eps) + wd·w).
 *
 * @example
 * const trainer = new gluon.Trainer(params, 'adagrad', { learningRate: 0.1 });
 */
export class AdaGrad extends Optimizer {
  readonly kind = 'adagrad';
  static readonly keys = Optimizer.optionKeys(['epsilon', 'eps']);
  readonly epsilon: number;

  constructor(opts: AdaGradOptions = {}) {
    super(opts, { learningRate: 0.01 });
    this.epsilon = opts.epsilon ?? opts.eps ?? 1e-7;
    checkEpsilon('AdaGrad', this.epsilon);
  }

  override createState(_index: number, weight: NDArray): NDArray[] {
    return this.zerosStates(weight, 1);
  }

  protected applyUpdate(_index: number, weight: NDArray, grad: NDArray, state: NDArray[], lr: number, wd: number): void {
    const [history] = state;
    const g = this.rescaledGrad(grad);
    history.iadd(g.square());
    const step = g.div(history.add(this.epsilon).sqrt());
    weight.isub((wd !== 0 ? step.add(weight.mul(wd)) : step).mul(lr));
  }
}
