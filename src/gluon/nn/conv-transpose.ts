/**
 * Gluon's nn.Conv2DTranspose (MXNet's Deconvolution) over NCHW input, with Gluon 1.x's options,
 * parameter names and shapes (weight (inChannels, channels / groups, kh, kw), bias (channels)),
 * deferred initialisation and repr. The op is convTranspose2d in src/ops/conv-ops.ts.
 */
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError } from '../../core/errors.js';
import { shapeStr } from '../../core/shape.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { convTranspose2d } from '../../ops/conv-ops.js';
import { pair, type Size2 } from '../../ops/nn.js';
import { HybridBlock, type BlockOptions } from '../block.js';
import type { Parameter } from '../parameter.js';
import { activate, type ActivationType } from './activations.js';
import type { InitSpec } from './basic-layers.js';
import { CONV_KEYS, checkLayout, convChannels, convParameters, readConvArgs } from './conv-args.js';

/** Options of Conv2DTranspose. */
export interface Conv2DTransposeOptions extends BlockOptions {
  /** The stride of the convolution this layer transposes (default 1). */
  strides?: Size2;
  /** Rows/columns cropped from each side of the output (default 0). */
  padding?: Size2;
  /** Extra rows/columns at the bottom/right of the output, each smaller than the stride (default 0). */
  outputPadding?: Size2;
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

const KEYS = [...CONV_KEYS, 'outputPadding'];

function tup(p: readonly number[]): string {
  return `(${p.join(', ')})`;
}

/**
 * Transposed 2-D convolution, as Gluon's nn.Conv2DTranspose: maps (N, inChannels, H, W) to
 * (N, channels, OH, OW) with OH = (H - 1) strides - 2 padding + dilation (kh - 1) + 1 +
 * outputPadding, the shape of the input of the convolution it transposes. Weight
 * (inChannels, channels / groups, kh, kw), bias (channels); `inChannels` is inferred at the first
 * forward pass unless given. The repr is Gluon 1.x's, which prints the weight's shape[1] -> shape[0].
 *
 * @example
 * const up = new nn.Conv2DTranspose(3, 4, { strides: 2, padding: 1 });
 * up.initialize();
 * up.forward(nd.ones([1, 8, 5, 5])).shape; // [1, 3, 10, 10]
 * up.weight.data().shape;                  // [8, 3, 4, 4]
 */
export class Conv2DTranspose extends HybridBlock {
  readonly channels: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly act: ActivationType | null;
  weight: Parameter;
  bias: Parameter | null;

  /** `new nn.Conv2DTranspose(3, 4, { strides: 2 })`, or `new nn.Conv2DTranspose({ channels: 3, kernelSize: 4, strides: 2 })`. */
  constructor(channels: number, kernelSize: Size2, opts?: Conv2DTransposeOptions);
  constructor(opts: Conv2DTransposeOptions & { channels: number; kernelSize: Size2 });
  constructor(
    channelsOrOpts: number | (Conv2DTransposeOptions & { channels: number; kernelSize: Size2 }),
    kernelSizeArg?: Size2,
    optsArg: Conv2DTransposeOptions = {},
  ) {
    const { channels, kernelSize, opts, where } = readConvArgs(
      'nn.Conv2DTranspose',
      '(3, 4) or { channels: 3, kernelSize: 4 }',
      channelsOrOpts,
      kernelSizeArg,
      optsArg,
      KEYS,
    );
    super(opts);
    checkLayout(opts.layout, 'NCHW', where);
    const c = convChannels(channels, opts, where);
    [this.channels, this.groups, this.act] = [c.channels, c.groups, c.act];
    this.kernelSize = pair(kernelSize, 'kernelSize', where, 1);
    this.strides = pair(opts.strides ?? 1, 'strides', where, 1);
    this.padding = pair(opts.padding ?? 0, 'padding', where, 0);
    this.outputPadding = pair(opts.outputPadding ?? 0, 'outputPadding', where, 0);
    this.dilation = pair(opts.dilation ?? 1, 'dilation', where, 1);
    for (const i of [0, 1])
      if (this.outputPadding[i] >= this.strides[i])
        throw new ValueError(
          `${where}: outputPadding ${tup(this.outputPadding)} must be smaller than strides ${tup(this.strides)} on each axis`,
        );
    // The weight maps the input's channels to this layer's: (inChannels, channels / groups, kh, kw).
    ({ weight: this.weight, bias: this.bias } = convParameters(
      this.params,
      [c.inChannels, c.channels / c.groups, ...this.kernelSize],
      c.channels,
      opts,
    ));
  }

  protected override alias(): string {
    return 'conv';
  }

  /** Up-samples `x` (N, C, H, W). @example up.forward(X) */
  override forward(x: NDArray): NDArray {
    const where = `Conv2DTranspose '${this.name}'`;
    if (!x || !(x as { __isNDArray?: boolean }).__isNDArray) throw new ValueError(`${where}: expected an NDArray input, got ${String(x)}`);
    if (x.ndim !== 4) throw new ShapeError(`${where}: expected a 4-D NCHW input, got shape ${shapeStr(x.shape)}`);
    const C = x.shape[1];
    if (C % this.groups !== 0) throw new ShapeError(`${where}: the input's ${C} channels are not divisible by groups=${this.groups}`);
    if (!this.weight.isInitialized) this.weight.finishDeferredInit([C, this.channels / this.groups, ...this.kernelSize]);
    const W = this.weight.data(x.context);
    if (W.shape[0] !== C)
      throw new ShapeError(
        `${where}: the input of shape ${shapeStr(x.shape)} has ${C} channels but the weight ${shapeStr(W.shape)} expects ${W.shape[0]}`,
      );
    const y = convTranspose2d(x, W, this.bias ? this.bias.data(x.context) : null, {
      stride: this.strides,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
    if (!this.act) return y;
    const r = activate(this.act, y);
    y.dispose();
    return r;
  }

  /** Gluon 1.x's repr (its mapping prints weight.shape[1] -> weight.shape[0], and never output_padding). */
  override toString(): string {
    const [s0, s1] = this.weight.shape;
    let s = `Conv2DTranspose(${s1 ? s1 : 'None'} -> ${s0}, kernel_size=${tup(this.kernelSize)}, stride=${tup(this.strides)}`;
    if (this.padding.some((p) => p !== 0)) s += `, padding=${tup(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${tup(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    if (this.act) s += `, Activation(${this.act})`;
    return s + ')';
  }
}
