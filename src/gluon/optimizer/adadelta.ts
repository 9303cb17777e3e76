// The AdaDelta optimizer (MXNet's adadelta).
import { ValueError } from '../../core/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { checkEpsilon, Optimizer, type OptimizerOptions } from './optimizer.js';

/** Options of AdaDelta. */
export interface AdaDeltaOptions extends OptimizerOptions {
  /** Decay of both running means (default 0.9). */
  rho?: number;
  /** Added inside the square roots (default 1e-5). */
  epsilon?: number;
}

/**
 * AdaDelta (MXNet 1.x; it uses no learning rate), with g = clip(rescaleGrad · grad):
 * s = ρ·s + (1 − ρ)·g²;  Δ = sqrt(δ + eps) / sqrt(s + eps) · g;  δ = ρ·δ + (1 − ρ)·Δ²;
 * w = w − (Δ + wd·w).
 *
 * @example
 * const trainer = new gluon.Trainer(params, 'adadelta', { rho: 0.9999 });
 */
export class AdaDelta extends Optimizer {
  readonly kind = 'adadelta';
  static readonly keys = Optimizer.optionKeys(['rho', 'epsilon']);
  readonly rho: number;
  readonly epsilon: number;

  constructor(opts: AdaDeltaOptions = {}) {
    super(opts, { learningRate: 0.01 });
    this.rho = opts.rho ?? 0.9;
    this.epsilon = opts.epsilon ?? 1e-5;
    if (!(this.rho >= 0 && this.rho <= 1)) throw new ValueError(`AdaDelta: rho must lie in [0, 1], got ${this.rho}`);
    checkEpsilon('AdaDelta', this.epsilon);
  }

  override createState(_index: number, weight: NDArray): NDArray[] {
    return this.zerosStates(weight, 2);
  }

  protected applyUpdate(_index: number, weight: NDArray, grad: NDArray, state: NDArray[], _lr: number, wd: number): void {
    const [accG, accDelta] = state;
    const rho = this.rho;
    const g = this.rescaledGrad(grad);
    accG.imul(rho).iadd(g.square().mul(1 - rho));
    const delta = accDelta.add(this.epsilon).sqrt().div(accG.add(this.epsilon).sqrt()).mul(g);
    accDelta.imul(rho).iadd(delta.square().mul(1 - rho));
    weight.isub(wd !== 0 ? delta.add(weight.mul(wd)) : delta);
  }
}
