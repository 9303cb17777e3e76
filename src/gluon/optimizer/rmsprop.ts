// The RMSProp optimizer (MXNet's rmsprop, non-centered and centered).
import { ValueError } from '../../core/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { checkEpsilon, Optimizer, type OptimizerOptions } from './optimizer.js';

/** Options of RMSProp. */
export interface RMSPropOptions extends OptimizerOptions {
  /** Decay of the running mean of squared gradients (default 0.9). */
  gamma1?: number;
  /** Momentum of the centered variant (default 0.9). */
  gamma2?: number;
  /** Added inside the square root (default 1e-8). */
  epsilon?: number;
  /** Graves's centered variant (default false: Tieleman & Hinton). */
  centered?: boolean;
  /** Clips the updated weights into [−clipWeights, clipWeights] (off when null or <= 0). */
  clipWeights?: number | null;
}

/**
 * RMSProp (MXNet's rmsprop_update / rmspropalex_update), with g = clip(rescaleGrad · grad + wd·w):
 * - plain:    n = (1 − γ1)·g² + γ1·n;  w = w − lr·g / sqrt(n + eps)
 * - centered: n as above;  ḡ = (1 − γ1)·g + γ1·ḡ;  Δ = γ2·Δ − lr·g / sqrt(n − ḡ² + eps);  w = w + Δ
 *
 * @example
 * const trainer = new gluon.Trainer(params, 'rmsprop', { learningRate: 0.01, gamma1: 0.9 });
 */
export class RMSProp extends Optimizer {
  readonly kind = 'rmsprop';
  static readonly keys = Optimizer.optionKeys(['gamma1', 'gamma2', 'epsilon', 'centered', 'clipWeights']);
  readonly gamma1: number;
  readonly gamma2: number;
  readonly epsilon: number;
  readonly centered: boolean;
  readonly clipWeights: number | null;

  constructor(opts: RMSPropOptions = {}) {
    super(opts, { learningRate: 0.001 });
    this.gamma1 = opts.gamma1 ?? 0.9;
    this.gamma2 = opts.gamma2 ?? 0.9;
    this.epsilon = opts.epsilon ?? 1e-8;
    this.centered = opts.centered ?? false;
    this.clipWeights = opts.clipWeights ?? null;
    if (!(this.gamma1 >= 0 && this.gamma1 <= 1)) throw new ValueError(`RMSProp: gamma1 must lie in [0, 1], got ${this.gamma1}`);
    if (!(this.gamma2 >= 0 && this.gamma2 <= 1)) throw new ValueError(`RMSProp: gamma2 must lie in [0, 1], got ${this.gamma2}`);
    checkEpsilon('RMSProp', this.epsilon);
  }

  override createState(_index: number, weight: NDArray): NDArray[] {
    return this.zerosStates(weight, this.centered ? 3 : 1);
  }

  protected applyUpdate(_index: number, weight: NDArray, grad: NDArray, state: NDArray[], lr: number, wd: number): void {
    const g1 = this.gamma1;
    const g = this.rescaledGradWithWd(grad, weight, wd);
    const [n] = state;
    n.imul(g1).iadd(g.square().mul(1 - g1));
    if (!this.centered) {
      weight.isub(g.div(n.add(this.epsilon).sqrt()).mul(lr));
    } else {
      const [, gbar, delta] = state;
      gbar.imul(g1).iadd(g.mul(1 - g1));
      const denom = n.sub(gbar.square()).add(this.epsilon).sqrt();
      delta.imul(this.gamma2).isub(g.div(denom).mul(lr));
      weight.iadd(delta);
    }
    const cw = this.clipWeights;
    if (cw !== null && cw > 0) weight._assignFrom(weight.clip(-cw, cw));
  }
}
