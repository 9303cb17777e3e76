/**
 * Gluon 1.x's nn.LayerNorm and nn.InstanceNorm: gamma and beta of shape (inChannels), deferred
 * until the first forward pass, composed of reductions and elementwise ops (so every backend runs
 * them and autograd differentiates them). As MXNet's operators, both always apply gamma and beta;
 * `scale: false` / `center: false` only stop their gradients (gradReq 'null'), leaving them at
 * their initial ones and zeros.
 */
import { DTypeError, ShapeError, ValueError } from '../../core/errors.js';
import { normalizeAxis, shapeStr } from '../../core/shape.js';
import { checkOptions } from '../../core/options.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { composite } from '../../ops/util.js';
import { HybridBlock, type BlockOptions } from '../block.js';
import { create as createInit } from '../init.js';
import type { Parameter } from '../parameter.js';
import { checkInt, pyFloat, type InitSpec } from './basic-layers.js';

/** Options of LayerNorm and InstanceNorm. */
export interface NormOptions extends BlockOptions {
  /** LayerNorm: the axis normalised over (default -1). InstanceNorm: the channel axis, excluded with the batch axis (default 1). */
  axis?: number;
  /** Added to the variance (default 1e-5). */
  epsilon?: number;
  /** Learn beta (default true). */
  center?: boolean;
  /** Learn gamma (LayerNorm default true, InstanceNorm default false, as Gluon). */
  scale?: boolean;
  betaInitializer?: InitSpec;
  gammaInitializer?: InitSpec;
  /** The size of the normalised (LayerNorm) or channel (InstanceNorm) axis; 0 (default) infers it. */
  inChannels?: number;
}

const NORM_KEYS = ['prefix', 'params', 'hint', 'axis', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer', 'inChannels'];

abstract class NormBase extends HybridBlock {
  readonly axis: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  gamma: Parameter;
  beta: Parameter;

  constructor(opts: NormOptions, where: string, defaults: { axis: number; scale: boolean }) {
    checkOptions(where, opts, NORM_KEYS);
    super(opts);
    this.axis = opts.axis ?? defaults.axis;
    if (!Number.isInteger(this.axis)) throw new ValueError(`${where}: axis must be an integer, got ${JSON.stringify(opts.axis)}`);
    this.epsilon = opts.epsilon ?? 1e-5;
    if (!(typeof this.epsilon === 'number' && this.epsilon >= 0))
      throw new ValueError(`${where}: epsilon must be a number >= 0, got ${opts.epsilon}`);
    this.center = opts.center ?? true;
    this.scale = opts.scale ?? defaults.scale;
    for (const [k, v] of [
      ['center', this.center],
      ['scale', this.scale],
    ] as const)
      if (typeof v !== 'boolean') throw new ValueError(`${where}: ${k} must be a boolean, got ${JSON.stringify(v)}`);
    const c = checkInt(opts.inChannels ?? 0, 'inChannels', where, 0);
    this.gamma = this.params.get('gamma', {
      shape: [c],
      init: createInit(opts.gammaInitializer ?? 'ones'),
      gradReq: this.scale ? 'write' : 'null',
    });
    this.beta = this.params.get('beta', {
      shape: [c],
      init: createInit(opts.betaInitializer ?? 'zeros'),
      gradReq: this.center ? 'write' : 'null',
    });
  }

  /** Checks x, finishes deferred initialisation with `C` channels and returns [gamma, beta] data. */
  protected affine(x: NDArray, C: number, axis: number, where: string): [NDArray, NDArray] {
    for (const p of [this.gamma, this.beta]) {
      if (!p.isInitialized) p.finishDeferredInit([C]);
      if (p.data(x.context).shape[0] !== C)
        throw new ShapeError(
          `${where}: the input of shape ${shapeStr(x.shape)} has ${C} elements on axis ${axis} but the layer has ${p.data(x.context).shape[0]}`,
        );
    }
    return [this.gamma.data(x.context), this.beta.data(x.context)];
  }

  /** (x - mean) / sqrt(var + eps) over `axes`, times gamma plus beta along `axis`. */
  protected normalize(x: NDArray, axes: number[], axis: number, gamma: NDArray, beta: NDArray): NDArray {
    const bshape = x.shape.map((d, i) => (i === axis ? d : 1));
    return composite(() => {
      const xc = x.sub(x.mean({ axis: axes, keepdims: true }));
      const std = xc.square().mean({ axis: axes, keepdims: true }).add(this.epsilon).sqrt();
      return xc.div(std).mul(gamma.reshape(bshape)).add(beta.reshape(bshape));
    });
  }

  override toString(): string {
    const py = (b: boolean) => (b ? 'True' : 'False');
    return (
      `${this.constructor.name}(eps=${pyFloat(this.epsilon)}, axis=${this.axis}, center=${py(this.center)}, scale=${py(this.scale)}, ` +
      `in_channels=${this.gamma.shape[0]})`
    );
  }
}

function checkInput(x: NDArray, where: string, minDims: number): void {
  if (!x || !(x as { __isNDArray?: boolean }).__isNDArray) throw new ValueError(`${where}: expected an NDArray input, got ${String(x)}`);
  if (x.ndim < minDims)
    throw new ShapeError(`${where}: expected an input of at least ${minDims} dimensions, got shape ${shapeStr(x.shape)}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new DTypeError(`${where}: expected a float32 or float64 input, got ${x.dtype}`);
}

/**
 * Layer normalisation over one axis (Gluon's nn.LayerNorm):
 * out = (x - mean(x, axis)) / sqrt(var(x, axis) + epsilon) * gamma + beta, with gamma and beta of
 * the axis's size. Parameters: gamma, beta.
 *
 * @example
 * const ln = new nn.LayerNorm();
 * ln.initialize();
 * ln.forward(nd.array([[1, 2, 3, 4, 5], [1, 1, 2, 2, 2]])).toArray();
 * // [[-1.41421, -0.707105, 0, 0.707105, 1.41421], [-1.2247195, -1.2247195, 0.81647956, 0.81647956, 0.81647956]]
 */
export class LayerNorm extends NormBase {
  constructor(opts: NormOptions = {}) {
    super(opts, 'nn.LayerNorm', { axis: -1, scale: true });
  }
  /** Normalises `x` over `axis`. @example ln.forward(X) */
  override forward(x: NDArray): NDArray {
    const where = `LayerNorm '${this.name}'`;
    checkInput(x, where, 1);
    const axis = normalizeAxis(this.axis, x.ndim, where);
    const [gamma, beta] = this.affine(x, x.shape[axis], axis, where);
    return this.normalize(x, [axis], axis, gamma, beta);
  }
}

/**
 * Instance normalisation (Gluon's nn.InstanceNorm): each sample's channel is normalised over its
 * remaining (spatial) axes, out = (x - mean) / sqrt(var + epsilon) * gamma + beta, gamma and beta
 * of the channel axis's size. As Gluon, another `axis` is swapped with axis 1 first. `scale`
 * defaults to false (gamma stays at ones). Input of at least 3 dimensions.
 *
 * @example
 * const inorm = new nn.InstanceNorm();
 * inorm.initialize();
 * inorm.forward(nd.array([[[1.1, 2.2]], [[3.3, 4.4]]])).toArray(); // [[[-0.99998355, 0.99998331]], [[-0.99998319, 0.99998361]]]
 */
export class InstanceNorm extends NormBase {
  constructor(opts: NormOptions = {}) {
    super(opts, 'nn.InstanceNorm', { axis: 1, scale: false });
  }
  /** Normalises each (sample, channel) of `x`. @example inorm.forward(X) */
  override forward(x: NDArray): NDArray {
    const where = `InstanceNorm '${this.name}'`;
    checkInput(x, where, 3);
    const axis = normalizeAxis(this.axis, x.ndim, where);
    const [gamma, beta] = this.affine(x, x.shape[axis], axis, where);
    const spatial = [...Array(x.ndim).keys()].slice(2);
    if (axis === 1) return this.normalize(x, spatial, 1, gamma, beta);
    return composite(() => this.normalize(x.swapaxes(1, axis), spatial, 1, gamma, beta).swapaxes(1, axis));
  }
}
