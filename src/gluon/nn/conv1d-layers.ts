/**
 * Gluon's 1-D convolution and pooling layers over NCW input (batch, channels, width): Conv1D,
 * MaxPool1D, AvgPool1D, GlobalMaxPool1D and GlobalAvgPool1D, with Gluon 1.x's options, parameter
 * names and shapes, and reprs. They run the 2-D kernels over a height of 1 (src/ops/conv-ops.ts).
 */
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError } from '../../core/errors.js';
import { shapeStr } from '../../core/shape.js';
import { checkOptions } from '../../core/options.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { conv1d, pool1d } from '../../ops/conv-ops.js';
import { HybridBlock, type BlockOptions } from '../block.js';
import type { Parameter } from '../parameter.js';
import { activate, type ActivationType } from './activations.js';
import type { InitSpec } from './basic-layers.js';
import { BLOCK_KEYS, CONV_KEYS, checkLayout, convChannels, convParameters, isOptions, readConvArgs } from './conv-args.js';

/** A size given as one number or a list of one. */
export type Size1 = number | readonly [number] | readonly number[];

/** Python's repr of a 1-tuple: (3,). */
function tup1(v: number): string {
  return `(${v},)`;
}

/** Expands a Size1 into its number, checking it is an integer >= min. */
function one(v: Size1, what: string, where: string, min: number): number {
  const a = typeof v === 'number' ? [v] : Array.isArray(v) ? [...v] : [];
  if (a.length !== 1 || !Number.isInteger(a[0]) || a[0] < min)
    throw new ValueError(`${where}: ${what} must be an integer >= ${min} or a list of one, got ${JSON.stringify(v)}`);
  return a[0];
}

function check3d(x: NDArray, where: string): void {
  if (!x || !(x as { __isNDArray?: boolean }).__isNDArray) throw new ValueError(`${where}: expected an NDArray input, got ${String(x)}`);
  if (x.ndim !== 3) throw new ShapeError(`${where}: expected a 3-D NCW input (batch, channels, width), got shape ${shapeStr(x.shape)}`);
}

/** Options of Conv1D. */
export interface Conv1DOptions extends BlockOptions {
  /** Step between windows (default 1). */
  strides?: Size1;
  /** Zero padding on each side (default 0). */
  padding?: Size1;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size1;
  /** Channel groups (default 1). */
  groups?: number;
  /** Only 'NCW'. */
  layout?: 'NCW';
  activation?: ActivationType | null;
  useBias?: boolean;
  weightInitializer?: InitSpec | null;
  biasInitializer?: InitSpec;
  /** Input channels; 0 (default) infers them at the first forward pass. */
  inChannels?: number;
  dtype?: DType;
}

/**
 * 1-D convolution (temporal cross-correlation) over NCW input, as Gluon's nn.Conv1D: weight
 * (channels, inChannels / groups, kernelSize), bias (channels); out width
 * floor((width + 2 padding - dilation (kernelSize - 1) - 1) / strides) + 1. `inChannels` is
 * inferred at the first forward pass unless given.
 *
 * @example
 * const conv = new nn.Conv1D(16, 3, { padding: 1, activation: 'relu' });
 * conv.initialize();
 * conv.forward(nd.ones([2, 4, 10])).shape; // [2, 16, 10]
 * conv.weight.data().shape;                // [16, 4, 3]
 */
export class Conv1D extends HybridBlock {
  readonly channels: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: number;
  readonly dilation: number;
  readonly groups: number;
  readonly act: ActivationType | null;
  weight: Parameter;
  bias: Parameter | null;

  /** `new nn.Conv1D(16, 3, { padding: 1 })`, or `new nn.Conv1D({ channels: 16, kernelSize: 3, padding: 1 })`. */
  constructor(channels: number, kernelSize: Size1, opts?: Conv1DOptions);
  constructor(opts: Conv1DOptions & { channels: number; kernelSize: Size1 });
  constructor(
    channelsOrOpts: number | (Conv1DOptions & { channels: number; kernelSize: Size1 }),
    kernelSizeArg?: Size1,
    optsArg: Conv1DOptions = {},
  ) {
    const { channels, kernelSize, opts, where } = readConvArgs(
      'nn.Conv1D',
      '(16, 3) or { channels: 16, kernelSize: 3 }',
      channelsOrOpts,
      kernelSizeArg,
      optsArg,
      CONV_KEYS,
    );
    super(opts);
    checkLayout(opts.layout, 'NCW', where);
    const c = convChannels(channels, opts, where);
    [this.channels, this.groups, this.act] = [c.channels, c.groups, c.act];
    this.kernelSize = one(kernelSize, 'kernelSize', where, 1);
    this.strides = one(opts.strides ?? 1, 'strides', where, 1);
    this.padding = one(opts.padding ?? 0, 'padding', where, 0);
    this.dilation = one(opts.dilation ?? 1, 'dilation', where, 1);
    ({ weight: this.weight, bias: this.bias } = convParameters(
      this.params,
      [c.channels, c.inChannels / c.groups, this.kernelSize],
      c.channels,
      opts,
    ));
  }

  protected override alias(): string {
    return 'conv';
  }

  /** Convolves `x` (N, C, W). @example conv.forward(X) */
  override forward(x: NDArray): NDArray {
    const where = `Conv1D '${this.name}'`;
    check3d(x, where);
    const C = x.shape[1];
    if (C % this.groups !== 0) throw new ShapeError(`${where}: the input's ${C} channels are not divisible by groups=${this.groups}`);
    if (!this.weight.isInitialized) this.weight.finishDeferredInit([this.channels, C / this.groups, this.kernelSize]);
    const W = this.weight.data(x.context);
    if (W.shape[1] * this.groups !== C)
      throw new ShapeError(
        `${where}: the input of shape ${shapeStr(x.shape)} has ${C} channels but the weight ${shapeStr(W.shape)} expects ${W.shape[1] * this.groups}`,
      );
    const y = conv1d(x, W, this.bias ? this.bias.data(x.context) : null, {
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
    let s = `Conv1D(${inC ? inC : 'None'} -> ${this.channels}, kernel_size=${tup1(this.kernelSize)}, stride=${tup1(this.strides)}`;
    if (this.padding !== 0) s += `, padding=${tup1(this.padding)}`;
    if (this.dilation !== 1) s += `, dilation=${tup1(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    if (this.act) s += `, Activation(${this.act})`;
    return s + ')';
  }
}

/** Options of the 1-D pooling layers. */
export interface Pool1DOptions extends BlockOptions {
  /** Step between windows (default: the pool size). */
  strides?: Size1 | null;
  /** Padding on each side (default 0). */
  padding?: Size1;
  /** Round output sizes up (default false). */
  ceilMode?: boolean;
  /** Only 'NCW'. */
  layout?: 'NCW';
}

const POOL1D_KEYS = [...BLOCK_KEYS, 'poolSize', 'strides', 'padding', 'ceilMode', 'layout'];

abstract class Pool1DBase extends HybridBlock {
  readonly poolSize: number;
  readonly strides: number;
  readonly padding: number;
  readonly ceilMode: boolean;
  protected abstract readonly poolType: 'max' | 'avg';
  constructor(
    poolSizeOrOpts: Size1 | (Pool1DOptions & { poolSize?: Size1 }),
    optsArg: Pool1DOptions,
    where: string,
    extraKeys: string[] = [],
  ) {
    // Gluon's keyword form `MaxPool1D(pool_size=2)`: { poolSize: 2 } as the only argument.
    const byKey = isOptions(poolSizeOrOpts);
    const opts = (byKey ? poolSizeOrOpts : optsArg) as Pool1DOptions & { poolSize?: Size1 };
    checkOptions(where, opts, [...POOL1D_KEYS, ...extraKeys]);
    const poolSize = byKey ? (opts.poolSize ?? 2) : (poolSizeOrOpts as Size1);
    super(opts);
    checkLayout(opts.layout, 'NCW', where);
    this.poolSize = one(poolSize, 'poolSize', where, 1);
    this.strides = one(opts.strides ?? this.poolSize, 'strides', where, 1);
    this.padding = one(opts.padding ?? 0, 'padding', where, 0);
    this.ceilMode = opts.ceilMode ?? false;
  }
  protected override alias(): string {
    return 'pool';
  }
  override toString(): string {
    return (
      `${this.constructor.name}(size=${tup1(this.poolSize)}, stride=${tup1(this.strides)}, padding=${tup1(this.padding)}, ` +
      `ceil_mode=${this.ceilMode ? 'True' : 'False'}, global_pool=False, pool_type=${this.poolType}, layout=NCW)`
    );
  }
}

/**
 * Max pooling over NCW input, as Gluon's nn.MaxPool1D (pool size 2 and strides = pool size by
 * default).
 *
 * @example
 * new nn.MaxPool1D(2).forward(nd.array([[[1, 3, 2, 5]]])).toArray(); // [[[3, 5]]]
 */
export class MaxPool1D extends Pool1DBase {
  protected readonly poolType = 'max' as const;
  constructor(poolSize: Size1 | (Pool1DOptions & { poolSize?: Size1 }) = 2, opts: Pool1DOptions = {}) {
    super(poolSize, opts, 'nn.MaxPool1D');
  }
  /** @example pool.forward(X) */
  override forward(x: NDArray): NDArray {
    check3d(x, `MaxPool1D '${this.name}'`);
    return pool1d('max', x, { kernel: this.poolSize, stride: this.strides, padding: this.padding, ceilMode: this.ceilMode });
  }
}

/**
 * Average pooling over NCW input, as Gluon's nn.AvgPool1D; `countIncludePad` (default true)
 * counts padded cells in the divisor.
 *
 * @example
 * new nn.AvgPool1D(2).forward(nd.array([[[1, 3, 2, 5]]])).toArray(); // [[[2, 3.5]]]
 */
export class AvgPool1D extends Pool1DBase {
  protected readonly poolType = 'avg' as const;
  readonly countIncludePad: boolean;
  constructor(
    poolSize: Size1 | (Pool1DOptions & { poolSize?: Size1; countIncludePad?: boolean }) = 2,
    opts: Pool1DOptions & { countIncludePad?: boolean } = {},
  ) {
    super(poolSize, opts, 'nn.AvgPool1D', ['countIncludePad']);
    this.countIncludePad = (isOptions(poolSize) ? (poolSize as { countIncludePad?: boolean }) : opts).countIncludePad ?? true;
  }
  /** @example pool.forward(X) */
  override forward(x: NDArray): NDArray {
    check3d(x, `AvgPool1D '${this.name}'`);
    return pool1d('avg', x, {
      kernel: this.poolSize,
      stride: this.strides,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    });
  }
}

abstract class GlobalPool1DBase extends HybridBlock {
  protected abstract readonly poolType: 'max' | 'avg';
  constructor(opts: BlockOptions & { layout?: 'NCW' } = {}) {
    const where = `nn.${new.target.name}`;
    checkOptions(where, opts, [...BLOCK_KEYS, 'layout']);
    super(opts);
    checkLayout(opts.layout, 'NCW', where);
  }
  protected override alias(): string {
    return 'pool';
  }
  /** Pools each channel's whole sequence to one value: (N, C, W) -> (N, C, 1). */
  override forward(x: NDArray): NDArray {
    const where = `${this.constructor.name} '${this.name}'`;
    check3d(x, where);
    if (x.shape[2] === 0) throw new ShapeError(`${where}: cannot pool an empty width (input shape ${shapeStr(x.shape)})`);
    return pool1d(this.poolType, x, { kernel: x.shape[2] });
  }
  override toString(): string {
    return `${this.constructor.name}(size=(1,), stride=(1,), padding=(0,), ceil_mode=True, global_pool=True, pool_type=${this.poolType}, layout=NCW)`;
  }
}

/**
 * Global max pooling over time: the max of each channel, (N, C, W) -> (N, C, 1), as Gluon's
 * nn.GlobalMaxPool1D (the book's TextCNN pools each convolution's output so).
 *
 * @example
 * new nn.GlobalMaxPool1D().forward(nd.array([[[1, 3, 2], [0, -1, 4]]])).toArray(); // [[[3], [4]]]
 */
export class GlobalMaxPool1D extends GlobalPool1DBase {
  protected readonly poolType = 'max' as const;
}

/**
 * Global average pooling over time: the mean of each channel, (N, C, W) -> (N, C, 1).
 *
 * @example
 * new nn.GlobalAvgPool1D().forward(nd.array([[[1, 3, 2]]])).toArray(); // [[[2]]]
 */
export class GlobalAvgPool1D extends GlobalPool1DBase {
  protected readonly poolType = 'avg' as const;
}
