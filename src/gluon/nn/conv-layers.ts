/**
 * Gluon's 2-D convolution and pooling layers (NCHW layout).
 */
import type { DType } from '../../core/dtype.js';
import { ShapeError } from '../../core/errors.js';
import { shapeStr } from '../../core/shape.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { avgPool2d, conv2d, maxPool2d, pair, type Size2 } from '../../ops/nn.js';
import type { Namespace } from '../../compile/namespace.js';
import { HybridBlock, type BlockOptions } from '../block.js';
import type { Parameter } from '../parameter.js';
import { activate, type ActivationType } from './activations.js';
import type { InitSpec } from './basic-layers.js';
import { BLOCK_KEYS, CONV_KEYS, checkLayout, convChannels, convParameters, isOptions, readConvArgs } from './conv-args.js';
import { checkOptions } from '../../core/options.js';

function tup(p: readonly number[]): string {
  return `(${p.join(', ')})`;
}

/** Options of Conv2D. */
export interface Conv2DOptions extends BlockOptions {
  /** Step between windows (default 1). */
  strides?: Size2;
  /** Zero padding on each side (default 0). */
  padding?: Size2;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Channel groups (default 1). */
  groups?: number;
  /** Only 'NCHW'. */
  layout?: 'NCHW';
  activation?: ActivationType | null;
  useBias?: boolean;
  weightInitializer?: InitSpec | null;
  biasInitializer?: InitSpec;
  /** Input channels; 0 (default) infers them at the first forward pass. */
  inChannels?: number;
  dtype?: DType;
}

const POOL2D_KEYS = [...BLOCK_KEYS, 'poolSize', 'strides', 'padding', 'ceilMode', 'layout'];

/**
 * 2-D convolution (cross-correlation) over NCHW input, as Gluon's nn.Conv2D: weight
 * (channels, inChannels / groups, kh, kw), bias (channels). `inChannels` is inferred at the first
 * forward pass unless given.
 *
 * @example
 * const conv = new nn.Conv2D(6, 5, { activation: 'sigmoid' });
 * conv.initialize();
 * conv.forward(nd.ones([1, 1, 28, 28])).shape; // [1, 6, 24, 24]
 */
export class Conv2D extends HybridBlock {
  readonly channels: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly act: ActivationType | null;
  weight: Parameter;
  bias: Parameter | null;

  /**
   * `new nn.Conv2D(6, 5, { activation: 'sigmoid' })`, or with Gluon's keywords in one object:
   * `new nn.Conv2D({ channels: 6, kernelSize: 5, activation: 'sigmoid' })`.
   */
  constructor(channels: number, kernelSize: Size2, opts?: Conv2DOptions);
  constructor(opts: Conv2DOptions & { channels: number; kernelSize: Size2 });
  constructor(
    channelsOrOpts: number | (Conv2DOptions & { channels: number; kernelSize: Size2 }),
    kernelSizeArg?: Size2,
    optsArg: Conv2DOptions = {},
  ) {
    const { channels, kernelSize, opts, where } = readConvArgs(
      'nn.Conv2D',
      '(6, 5) or { channels: 6, kernelSize: 5 }',
      channelsOrOpts,
      kernelSizeArg,
      optsArg,
      CONV_KEYS,
    );
    super(opts);
    checkLayout(opts.layout, 'NCHW', where);
    const c = convChannels(channels, opts, where);
    [this.channels, this.groups, this.act] = [c.channels, c.groups, c.act];
    this.kernelSize = pair(kernelSize, 'kernelSize', where, 1);
    this.strides = pair(opts.strides ?? 1, 'strides', where, 1);
    this.padding = pair(opts.padding ?? 0, 'padding', where, 0);
    this.dilation = pair(opts.dilation ?? 1, 'dilation', where, 1);
    ({ weight: this.weight, bias: this.bias } = convParameters(
      this.params,
      [c.channels, c.inChannels / c.groups, ...this.kernelSize],
      c.channels,
      opts,
    ));
  }

  protected override alias(): string {
    return 'conv';
  }

  /** The traced form (after hybridize()): MXNet's Convolution, then the activation. @example net.hybridize() */
  hybridForward(F: Namespace, x: any, weight: any, bias?: any): any {
    const y = F.Convolution({
      data: x,
      weight,
      bias: this.bias ? bias : null,
      kernel: this.kernelSize,
      numFilter: this.channels,
      stride: this.strides,
      pad: this.padding,
      dilate: this.dilation,
      numGroup: this.groups,
      noBias: !this.bias,
    });
    return this.act ? F.Activation(y, { actType: this.act }) : y;
  }

  /** Convolves `x` (N, C, H, W). @example conv.forward(X) */
  override forward(x: NDArray): NDArray {
    const where = `Conv2D '${this.name}'`;
    if (x.ndim !== 4) throw new ShapeError(`${where}: expected a 4-D NCHW input, got shape ${shapeStr(x.shape)}`);
    const C = x.shape[1];
    if (C % this.groups !== 0) throw new ShapeError(`${where}: the input's ${C} channels are not divisible by groups=${this.groups}`);
    if (!this.weight.isInitialized) this.weight.finishDeferredInit([this.channels, C / this.groups, ...this.kernelSize]);
    const W = this.weight.data(x.context);
    if (W.shape[1] * this.groups !== C)
      throw new ShapeError(
        `${where}: the input of shape ${shapeStr(x.shape)} has ${C} channels but the weight ${shapeStr(W.shape)} expects ${W.shape[1] * this.groups}`,
      );
    const y = conv2d(x, W, this.bias ? this.bias.data(x.context) : null, {
      stride: this.strides,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
    if (!this.act) return y;
    const r = activate(this.act, y);
    y.dispose();
    return r;
  }

  override toString(): string {
    const inC = this.weight.shape[1];
    let s = `Conv2D(${inC ? inC : 'None'} -> ${this.channels}, kernel_size=${tup(this.kernelSize)}, stride=${tup(this.strides)}`;
    if (this.padding.some((p) => p !== 0)) s += `, padding=${tup(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${tup(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    if (this.act) s += `, Activation(${this.act})`;
    return s + ')';
  }
}

/** Options of the pooling layers. */
export interface Pool2DOptions extends BlockOptions {
  /** Step between windows (default: the pool size). */
  strides?: Size2 | null;
  /** Padding on each side (default 0). */
  padding?: Size2;
  /** Round output sizes up (default false). */
  ceilMode?: boolean;
  /** Only 'NCHW'. */
  layout?: 'NCHW';
}

abstract class Pool2DBase extends HybridBlock {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;
  protected abstract readonly poolType: 'max' | 'avg';
  constructor(poolSizeOrOpts: Size2 | (Pool2DOptions & { poolSize?: Size2 }), optsArg: Pool2DOptions, where: string) {
    // Gluon's keyword form `MaxPool2D(pool_size=2)`: { poolSize: 2 } as the only argument.
    const byKey = isOptions(poolSizeOrOpts);
    const opts = (byKey ? poolSizeOrOpts : optsArg) as Pool2DOptions & { poolSize?: Size2 };
    checkOptions(where, opts, where === 'nn.AvgPool2D' ? [...POOL2D_KEYS, 'countIncludePad'] : POOL2D_KEYS);
    const poolSize = byKey ? (opts.poolSize ?? 2) : (poolSizeOrOpts as Size2);
    super(opts);
    checkLayout(opts.layout, 'NCHW', where);
    this.poolSize = pair(poolSize, 'poolSize', where, 1);
    this.strides = pair(opts.strides ?? this.poolSize, 'strides', where, 1);
    this.padding = pair(opts.padding ?? 0, 'padding', where, 0);
    this.ceilMode = opts.ceilMode ?? false;
  }
  protected override alias(): string {
    return 'pool';
  }
  /** The traced form: MXNet's Pooling. @example net.hybridize() */
  hybridForward(F: Namespace, x: any): any {
    const extra = this.poolType === 'avg' ? { countIncludePad: (this as unknown as { countIncludePad: boolean }).countIncludePad } : {};
    return F.Pooling({
      data: x,
      kernel: this.poolSize,
      poolType: this.poolType,
      stride: this.strides,
      pad: this.padding,
      poolingConvention: this.ceilMode ? 'full' : 'valid',
      ...extra,
    });
  }
  protected check(x: NDArray): void {
    if (x.ndim !== 4)
      throw new ShapeError(`${this.constructor.name} '${this.name}': expected a 4-D NCHW input, got shape ${shapeStr(x.shape)}`);
  }
  override toString(): string {
    return (
      `${this.constructor.name}(size=${tup(this.poolSize)}, stride=${tup(this.strides)}, padding=${tup(this.padding)}, ` +
      `ceil_mode=${this.ceilMode ? 'True' : 'False'}, global_pool=False, pool_type=${this.poolType}, layout=NCHW)`
    );
  }
}

/**
 * Max pooling, as Gluon's nn.MaxPool2D (pool size 2 and strides = pool size by default).
 *
 * @example
 * new nn.MaxPool2D(2).forward(nd.arange(16).reshape([1, 1, 4, 4])).toArray(); // [[[[5, 7], [13, 15]]]]
 */
export class MaxPool2D extends Pool2DBase {
  protected readonly poolType = 'max' as const;
  constructor(poolSize: Size2 | (Pool2DOptions & { poolSize?: Size2 }) = 2, opts: Pool2DOptions = {}) {
    super(poolSize, opts, 'nn.MaxPool2D');
  }
  /** @example pool.forward(X) */
  override forward(x: NDArray): NDArray {
    this.check(x);
    return maxPool2d(x, { kernel: this.poolSize, stride: this.strides, padding: this.padding, ceilMode: this.ceilMode });
  }
}

/**
 * Average pooling, as Gluon's nn.AvgPool2D; `countIncludePad` (default true) counts padded cells
 * in the divisor.
 *
 * @example
 * new nn.AvgPool2D(2).forward(nd.arange(16).reshape([1, 1, 4, 4])).toArray(); // [[[[2.5, 4.5], [10.5, 12.5]]]]
 */
export class AvgPool2D extends Pool2DBase {
  protected readonly poolType = 'avg' as const;
  readonly countIncludePad: boolean;
  constructor(
    poolSize: Size2 | (Pool2DOptions & { poolSize?: Size2; countIncludePad?: boolean }) = 2,
    opts: Pool2DOptions & { countIncludePad?: boolean } = {},
  ) {
    super(poolSize, opts, 'nn.AvgPool2D');
    this.countIncludePad = (isOptions(poolSize) ? (poolSize as { countIncludePad?: boolean }) : opts).countIncludePad ?? true;
  }
  /** @example pool.forward(X) */
  override forward(x: NDArray): NDArray {
    this.check(x);
    return avgPool2d(x, {
      kernel: this.poolSize,
      stride: this.strides,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    });
  }
}

abstract class GlobalPool2DBase extends HybridBlock {
  protected abstract readonly poolType: 'max' | 'avg';
  constructor(opts: BlockOptions & { layout?: 'NCHW' } = {}) {
    super(opts);
    checkLayout(opts.layout, 'NCHW', 'global pooling');
  }
  protected override alias(): string {
    return 'pool';
  }
  /** Pools each channel's whole plane to 1x1: (N, C, H, W) -> (N, C, 1, 1). */
  /** The traced form: MXNet's global Pooling. @example net.hybridize() */
  hybridForward(F: Namespace, x: any): any {
    return F.Pooling({ data: x, poolType: this.poolType, globalPool: true });
  }
  override forward(x: NDArray): NDArray {
    if (x.ndim !== 4)
      throw new ShapeError(`${this.constructor.name} '${this.name}': expected a 4-D NCHW input, got shape ${shapeStr(x.shape)}`);
    const kernel: [number, number] = [x.shape[2], x.shape[3]];
    return this.poolType === 'max' ? maxPool2d(x, { kernel }) : avgPool2d(x, { kernel });
  }
  override toString(): string {
    return `${this.constructor.name}(size=(1, 1), stride=(1, 1), padding=(0, 0), ceil_mode=True, global_pool=True, pool_type=${this.poolType}, layout=NCHW)`;
  }
}

/**
 * Global average pooling: the mean of each channel's plane, (N, C, H, W) -> (N, C, 1, 1).
 *
 * @example
 * new nn.GlobalAvgPool2D().forward(nd.ones([2, 3, 4, 4])).shape; // [2, 3, 1, 1]
 */
export class GlobalAvgPool2D extends GlobalPool2DBase {
  protected readonly poolType = 'avg' as const;
}

/**
 * Global max pooling: the max of each channel's plane, (N, C, H, W) -> (N, C, 1, 1).
 *
 * @example
 * new nn.GlobalMaxPool2D().forward(nd.ones([2, 3, 4, 4])).shape; // [2, 3, 1, 1]
 */
export class GlobalMaxPool2D extends GlobalPool2DBase {
  protected readonly poolType = 'max' as const;
}
