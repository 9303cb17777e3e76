// Gluon's activation names ('relu', 'sigmoid', ...) and the Activation layer.
import { ValueError } from '../../core/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { softrelu } from '../../ops/nn.js';
import { HybridBlock, type BlockOptions } from '../block.js';
import type { Namespace } from '../../compile/namespace.js';

/** The activation functions of MXNet's Activation op. */
export type ActivationType = 'relu' | 'sigmoid' | 'tanh' | 'softrelu' | 'softsign';
const TYPES: readonly ActivationType[] = ['relu', 'sigmoid', 'tanh', 'softrelu', 'softsign'];

/** Throws unless `t` names an activation; returns it typed. @example checkActivation('relu', 'nn.Dense') // 'relu' */
export function checkActivation(t: unknown, where: string): ActivationType {
  if (typeof t === 'string' && (TYPES as readonly string[]).includes(t)) return t as ActivationType;
  throw new ValueError(`${where}: unknown activation ${JSON.stringify(t)}; expected one of ${TYPES.join(', ')}`);
}

/**
 * Applies an activation function: relu, sigmoid, tanh, softrelu (log(1 + e^x)) or softsign
 * (x / (1 + |x|)). A new array; differentiable.
 *
 * @example
 * activate('relu', nd.array([-1, 2])).toArray(); // [0, 2]
 */
export function activate(type: ActivationType, x: NDArray): NDArray {
  switch (type) {
    case 'relu':
      return x.relu();
    case 'sigmoid':
      return x.sigmoid();
    case 'tanh':
      return x.tanh();
    case 'softrelu':
      return softrelu(x);
    case 'softsign': {
      const a = x.abs();
      const d = a.add(1);
      const r = x.div(d);
      a.dispose();
      d.dispose();
      return r;
    }
  }
}

/**
 * An activation layer, as Gluon's nn.Activation; its automatic prefix is the activation's name
 * (`relu0_`).
 *
 * @example
 * const act = new nn.Activation('relu');
 * act.forward(nd.array([-1, 2])).toArray(); // [0, 2]
 */
export class Activation extends HybridBlock {
  readonly actType: ActivationType;
  constructor(activation: ActivationType, opts: BlockOptions = {}) {
    super({ hint: checkActivation(activation, 'nn.Activation'), ...opts });
    this.actType = activation;
  }
  /** Applies the activation. @example act.forward(x) */
  override forward(x: NDArray): NDArray {
    return activate(this.actType, x);
  }
  /** The traced form: MXNet's Activation. @example net.hybridize() */
  hybridForward(F: Namespace, x: any): any {
    return F.Activation(x, { actType: this.actType });
  }
  override toString(): string {
    return `Activation(${this.actType})`;
  }
}
