/**
 * Convolution beyond conv2d: 1-D convolution and pooling (the 2-D kernels over a height of 1),
 * the transposed 2-D convolution (MXNet's Deconvolution: the conv2d input-gradient kernel run
 * forward, its gradients through conv2d and the weight-gradient kernel), and MXNet's operator
 * forms `nd.Convolution` and `nd.Pooling`, which take every argument in one options object.
 * Everything runs on the backend's conv2d/pool2d kernels, so every backend has it.
 */
import type { Conv2dParams } from '../backend/backend.js';
import { DTypeError, ShapeError, ValueError } from '../core/errors.js';
import { shapeStr } from '../core/shape.js';
import { checkOptions } from '../core/options.js';
import { recordOp, shouldRecord } from '../autograd/tape.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { composite, sameContext } from './util.js';
import { full } from './movement.js';
import { avgPool2d, conv2d, maxPool2d, pair, type Size2 } from './nn.js';

function isArray(v: unknown): v is NDArray {
  return !!v && typeof v === 'object' && !!(v as { __isNDArray?: boolean }).__isNDArray;
}

function requireFloat(op: string, what: string, x: NDArray, ndim: number, layout: string): void {
  if (!isArray(x)) throw new ValueError(`${op}: the ${what} must be an NDArray, got ${String(x)}`);
  x.checkAlive(op);
  if (x.ndim !== ndim) throw new ShapeError(`${op}: the ${what} must be ${ndim}-D (${layout}), got shape ${shapeStr(x.shape)}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new DTypeError(`${op}: the ${what} must be float32 or float64, got ${x.dtype}`);
}

/** One number, or a list of exactly one, checked as an integer >= min. */
function single(v: number | readonly number[], what: string, op: string, min: number): number {
  const a = typeof v === 'number' ? [v] : Array.isArray(v) ? [...v] : [];
  if (a.length !== 1 || !Number.isInteger(a[0]) || a[0] < min)
    throw new ValueError(`${op}: ${what} must be an integer >= ${min} or a list of one, got ${JSON.stringify(v)}`);
  return a[0];
}

// ------------------------------------------------------------------ 1-D convolution and pooling

/** Options of conv1d. */
export interface Conv1dOptions {
  /** Step between windows (default 1). */
  stride?: number | readonly number[];
  /** Zeros added on each side (default 0). */
  padding?: number | readonly number[];
  /** Spacing between kernel taps (default 1). */
  dilation?: number | readonly number[];
  /** Channel groups (default 1). */
  groups?: number;
}

/**
 * 1-D cross-correlation of an NCW input `x` (N, C, W) with weights `w` (O, C / groups, K) and an
 * optional bias (O): the result is (N, O, OW), OW = floor((W + 2 padding - dilation (K - 1) - 1) /
 * stride) + 1. Runs conv2d over a height of 1; differentiable in x, w and bias.
 *
 * @example
 * conv1d(nd.array([[[0, 1, 2, 3]]]), nd.array([[[1, 2]]])).toArray(); // [[[2, 5, 8]]]
 */
export function conv1d(x: NDArray, w: NDArray, bias?: NDArray | null, opts: Conv1dOptions = {}): NDArray {
  const op = 'conv1d';
  requireFloat(op, 'input', x, 3, 'NCW: batch, channels, width');
  requireFloat(op, 'weight', w, 3, 'out_channels, in_channels / groups, kernel_width');
  checkOptions(op, opts, ['stride', 'padding', 'dilation', 'groups']);
  const stride = single(opts.stride ?? 1, 'stride', op, 1);
  const padding = single(opts.padding ?? 0, 'padding', op, 0);
  const dilation = single(opts.dilation ?? 1, 'dilation', op, 1);
  return composite(() => {
    const x4 = x.reshape([x.shape[0], x.shape[1], 1, x.shape[2]]);
    const w4 = w.reshape([w.shape[0], w.shape[1], 1, w.shape[2]]);
    const y = conv2d(x4, w4, bias, { stride: [1, stride], padding: [0, padding], dilation: [1, dilation], groups: opts.groups ?? 1 });
    return y.reshape([y.shape[0], y.shape[1], y.shape[3]]);
  });
}

/** Options of the 1-D pooling ops. */
export interface Pool1dOptions {
  /** Window size (required). */
  kernel: number | readonly number[];
  /** Step between windows (default: the kernel size). */
  stride?: number | readonly number[];
  /** Padding on each side (default 0). */
  padding?: number | readonly number[];
  /** Round the output size up (MXNet's pooling_convention 'full'). */
  ceilMode?: boolean;
  /** avg only: count padded cells in the divisor (default true). */
  countIncludePad?: boolean;
}

/**
 * Max or average pooling over an NCW input (N, C, W), through the 2-D kernels over a height of 1.
 * `stride` defaults to the kernel size.
 *
 * @example
 * pool1d('max', nd.array([[[1, 3, 2, 5]]]), { kernel: 2 }).toArray(); // [[[3, 5]]]
 */
export function pool1d(kind: 'max' | 'avg', x: NDArray, opts: Pool1dOptions): NDArray {
  const op = kind === 'max' ? 'maxPool1d' : 'avgPool1d';
  requireFloat(op, 'input', x, 3, 'NCW: batch, channels, width');
  checkOptions(
    op,
    opts,
    kind === 'max' ? ['kernel', 'stride', 'padding', 'ceilMode'] : ['kernel', 'stride', 'padding', 'ceilMode', 'countIncludePad'],
  );
  if (!opts || opts.kernel === undefined) throw new ValueError(`${op}: the kernel size is required, e.g. { kernel: 2 }`);
  const k = single(opts.kernel, 'kernel', op, 1);
  const s = single(opts.stride ?? k, 'stride', op, 1);
  const p = single(opts.padding ?? 0, 'padding', op, 0);
  return composite(() => {
    const x4 = x.reshape([x.shape[0], x.shape[1], 1, x.shape[2]]);
    const o = { kernel: [1, k], stride: [1, s], padding: [0, p], ceilMode: opts.ceilMode ?? false };
    const y = kind === 'max' ? maxPool2d(x4, o) : avgPool2d(x4, { ...o, countIncludePad: opts.countIncludePad ?? true });
    return y.reshape([y.shape[0], y.shape[1], y.shape[3]]);
  });
}

// ------------------------------------------------------------------ transposed convolution

/** Options of convTranspose2d. */
export interface ConvTranspose2dOptions {
  /** The stride of the convolution this one transposes (default 1). */
  stride?: Size2;
  /** Its padding: rows and columns cropped from each side of the output (default 0). */
  padding?: Size2;
  /** Extra rows/columns added at the bottom/right of the output, each < the stride (MXNet's adj; default 0). */
  outputPadding?: Size2;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Channel groups (default 1). */
  groups?: number;
}

/**
 * Transposed 2-D convolution (MXNet's Deconvolution, Gluon's Conv2DTranspose) of an NCHW input
 * `x` (N, C, H, W) with weights `w` (C, O / groups, KH, KW) and an optional bias (O): the gradient
 * of conv2d with respect to its input, run forward. The output is (N, O, OH, OW) with
 * OH = (H - 1) stride - 2 padding + dilation (KH - 1) + 1 + outputPadding. Differentiable in x,
 * w and bias.
 *
 * @example
 * const x = nd.array([[[[0, 1], [2, 3]]]]);
 * convTranspose2d(x, nd.array([[[[0, 1], [2, 3]]]])).toArray();
 * // [[[[0, 0, 1], [0, 4, 6], [4, 12, 9]]]]
 */
export function convTranspose2d(x: NDArray, w: NDArray, bias?: NDArray | null, opts: ConvTranspose2dOptions = {}): NDArray {
  const op = 'convTranspose2d';
  requireFloat(op, 'input', x, 4, 'NCHW: batch, channels, height, width');
  requireFloat(op, 'weight', w, 4, 'in_channels, out_channels / groups, kernel_h, kernel_w');
  sameContext(op, x, w);
  if (x.dtype !== w.dtype) throw new DTypeError(`${op}: input (${x.dtype}) and weight (${w.dtype}) must have the same dtype`);
  checkOptions(op, opts, ['stride', 'padding', 'outputPadding', 'dilation', 'groups']);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${op}: groups must be a positive integer, got ${groups}`);
  const p: Conv2dParams = {
    stride: pair(opts.stride ?? 1, 'stride', op, 1),
    padding: pair(opts.padding ?? 0, 'padding', op, 0),
    dilation: pair(opts.dilation ?? 1, 'dilation', op, 1),
    groups,
  };
  const adj = pair(opts.outputPadding ?? 0, 'outputPadding', op, 0);
  for (const i of [0, 1])
    if (adj[i] >= p.stride[i])
      throw new ValueError(`${op}: outputPadding ${adj.join('x')} must be smaller than the stride ${p.stride.join('x')} on each axis`);
  const [N, C, H, W] = x.shape;
  const [CI, OG, KH, KW] = w.shape;
  if (CI !== C)
    throw new ShapeError(
      `${op}: the input has ${C} channels (shape ${shapeStr(x.shape)}) but weight ${shapeStr(w.shape)} expects ${CI} ` +
        `(weight shape must be (in_channels, out_channels / groups, kernel_h, kernel_w))`,
    );
  if (C % groups !== 0) throw new ShapeError(`${op}: the input's ${C} channels are not divisible by groups=${groups}`);
  const O = OG * groups;
  const OH = (H - 1) * p.stride[0] - 2 * p.padding[0] + p.dilation[0] * (KH - 1) + 1 + adj[0];
  const OW = (W - 1) * p.stride[1] - 2 * p.padding[1] + p.dilation[1] * (KW - 1) + 1 + adj[1];
  if (OH < 1 || OW < 1)
    throw new ShapeError(
      `${op}: the output of input ${H}x${W} with kernel ${KH}x${KW}, stride ${p.stride.join('x')} and padding ${p.padding.join('x')} ` +
        `would be ${OH}x${OW}; reduce the padding`,
    );
  if (!bias) return deconvolve(x, w, p, [N, O, OH, OW]);
  if (!isArray(bias)) throw new ValueError(`${op}: bias must be an NDArray or null, got ${String(bias)}`);
  bias.checkAlive(op);
  sameContext(op, x, bias);
  if (bias.ndim !== 1 || bias.shape[0] !== O)
    throw new ShapeError(`${op}: bias must have shape ${shapeStr([O])} for weight ${shapeStr(w.shape)}, got ${shapeStr(bias.shape)}`);
  return composite(() => deconvolve(x, w, p, [N, O, OH, OW]).add(bias.reshape([1, O, 1, 1])));
}

/**
 * The transposed-convolution primitive. In conv2d's terms (input u, output z = conv(u, w)) the
 * input x plays z's gradient and the result u's: out = conv2dGrad's dx. Its gradient is conv2d
 * of the head gradient (for x) and conv2dGrad's dw with the head gradient as u (for w).
 */
function deconvolve(x: NDArray, w: NDArray, p: Conv2dParams, shape: number[]): NDArray {
  const ctx = x.context;
  const out = full(shape, 0, x.dtype, ctx);
  // The kernel reads only the shape of its `x` argument when no dw is asked: out stands in.
  if (out.size > 0 && x.size > 0 && w.size > 0) ctx.backend.conv2dGrad(x, out, w, p, out, null);
  if (shouldRecord(x, w)) {
    const needX = x.requiresGrad;
    const needW = w.requiresGrad;
    recordOp(
      'convTranspose2d',
      [x, w],
      out,
      (g, [xs, ws]) => {
        const dx = needX ? conv2d(g, ws, null, { stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups }) : null;
        let dw: NDArray | null = null;
        if (needW) {
          dw = full(ws.shape, 0, ws.dtype, ws.context);
          if (g.size > 0 && xs.size > 0) g.context.backend.conv2dGrad(xs, g, ws, p, null, dw);
        }
        return [dx, dw];
      },
      'inputs',
    );
  }
  return out;
}

// ------------------------------------------------------------------ MXNet's operator forms

/** The arguments of nd.Convolution, MXNet's in camelCase. */
export interface ConvolutionArgs {
  data: NDArray;
  weight: NDArray;
  /** Required unless noBias. */
  bias?: NDArray | null;
  /** The kernel size: [w] (1-D, NCW data) or [h, w] (2-D, NCHW data); a number means that size on every spatial axis. */
  kernel: number | readonly number[];
  /** The number of output channels (must match weight.shape[0]). */
  numFilter: number;
  stride?: number | readonly number[];
  pad?: number | readonly number[];
  dilate?: number | readonly number[];
  numGroup?: number;
  noBias?: boolean;
  /** 'NCW' or 'NCHW' (the only layouts here); default by the data's rank. */
  layout?: string | null;
  /** cuDNN/workspace tuning knobs of MXNet: accepted, with no effect here. */
  workspace?: number;
  cudnnTune?: string | null;
  cudnnOff?: boolean;
}

const CONVOLUTION_KEYS = [
  'data',
  'weight',
  'bias',
  'kernel',
  'numFilter',
  'stride',
  'pad',
  'dilate',
  'numGroup',
  'noBias',
  'layout',
  'workspace',
  'cudnnTune',
  'cudnnOff',
];

/** A per-axis size list of length `dims` from a number or a list. */
function sizes(v: number | readonly number[] | undefined, def: number, dims: number, what: string, op: string, min: number): number[] {
  const a = v === undefined ? Array(dims).fill(def) : typeof v === 'number' ? Array(dims).fill(v) : Array.isArray(v) ? [...v] : null;
  if (!a || a.length !== dims || a.some((d) => !Number.isInteger(d) || d < min))
    throw new ValueError(
      `${op}: ${what} must be ${dims === 1 ? 'an integer' : `a list of ${dims} integers`} >= ${min} for ${dims}-D data, got ${JSON.stringify(v)}`,
    );
  return a;
}

function spatialDims(op: string, data: NDArray, layout: string | null | undefined): 1 | 2 {
  if (!isArray(data)) throw new ValueError(`${op}: data must be an NDArray, got ${String(data)}`);
  data.checkAlive(op);
  if (data.ndim !== 3 && data.ndim !== 4)
    throw new ShapeError(`${op}: data must be 3-D (NCW) or 4-D (NCHW), got shape ${shapeStr(data.shape)}`);
  const dims = data.ndim === 3 ? 1 : 2;
  const expected = dims === 1 ? 'NCW' : 'NCHW';
  if (layout !== undefined && layout !== null && layout !== expected)
    throw new ValueError(`${op}: layout '${layout}' is not supported for ${data.ndim}-D data; only '${expected}'`);
  return dims;
}

/**
 * MXNet's Convolution operator with its arguments in one object: 1-D (NCW data, kernel [k]) or
 * 2-D (NCHW data, kernel [kh, kw]) cross-correlation of `data` with `weight`
 * (numFilter, C / numGroup, ...kernel), plus `bias` (numFilter) unless `noBias`. Differentiable
 * in data, weight and bias.
 *
 * @example
 * const data = nd.arange(9).reshape([1, 1, 3, 3]);
 * const weight = nd.array([[[[0, 1], [2, 3]]]]);
 * nd.Convolution({ data, weight, kernel: [2, 2], numFilter: 1, noBias: true }).toArray(); // [[[[19, 25], [37, 43]]]]
 * nd.Convolution({ data, weight, bias: nd.array([1]), kernel: [2, 2], numFilter: 1, stride: [2, 2], pad: [1, 1] });
 */
export function Convolution(args: ConvolutionArgs): NDArray {
  const op = 'Convolution';
  if (!args || typeof args !== 'object' || isArray(args))
    throw new ValueError(`${op}: expected one options object { data, weight, bias, kernel, numFilter, ... }, got ${String(args)}`);
  checkOptions(op, args, CONVOLUTION_KEYS);
  const { data, weight } = args;
  const dims = spatialDims(op, data, args.layout);
  if (!isArray(weight)) throw new ValueError(`${op}: weight must be an NDArray, got ${String(weight)}`);
  if (args.kernel === undefined) throw new ValueError(`${op}: kernel is required, e.g. kernel: [3, 3]`);
  if (args.numFilter === undefined) throw new ValueError(`${op}: numFilter is required (the number of output channels)`);
  const kernel = sizes(args.kernel, 1, dims, 'kernel', op, 1);
  if (!Number.isInteger(args.numFilter) || args.numFilter < 1)
    throw new ValueError(`${op}: numFilter must be a positive integer, got ${JSON.stringify(args.numFilter)}`);
  const groups = args.numGroup ?? 1;
  if (!Number.isInteger(groups) || groups < 1)
    throw new ValueError(`${op}: numGroup must be a positive integer, got ${JSON.stringify(groups)}`);
  weight.checkAlive(op);
  const C = data.shape[1];
  const expectW = [args.numFilter, C / groups, ...kernel];
  if (weight.ndim !== dims + 2 || weight.shape.some((d, i) => d !== expectW[i]))
    throw new ShapeError(
      `${op}: weight has shape ${shapeStr(weight.shape)} but numFilter=${args.numFilter}, numGroup=${groups}, kernel ${shapeStr(kernel)} ` +
        `and data of shape ${shapeStr(data.shape)} need ${Number.isInteger(C / groups) ? shapeStr(expectW) : `${C} channels divisible by ${groups}`}`,
    );
  const noBias = args.noBias ?? false;
  if (typeof noBias !== 'boolean') throw new ValueError(`${op}: noBias must be a boolean, got ${JSON.stringify(noBias)}`);
  let bias: NDArray | null = null;
  if (!noBias) {
    if (!args.bias)
      throw new ValueError(`${op}: bias is required unless noBias: true (give bias of shape [${args.numFilter}] or set noBias: true)`);
    if (!isArray(args.bias)) throw new ValueError(`${op}: bias must be an NDArray, got ${String(args.bias)}`);
    bias = args.bias;
  }
  const stride = sizes(args.stride, 1, dims, 'stride', op, 1);
  const pad = sizes(args.pad, 0, dims, 'pad', op, 0);
  const dilate = sizes(args.dilate, 1, dims, 'dilate', op, 1);
  if (dims === 1) return conv1d(data, weight, bias, { stride: stride[0], padding: pad[0], dilation: dilate[0], groups });
  return conv2d(data, weight, bias, { stride, padding: pad, dilation: dilate, groups });
}

/** The arguments of nd.Pooling, MXNet's in camelCase. */
export interface PoolingArgs {
  data: NDArray;
  /** The window: [w] (1-D, NCW data) or [h, w] (2-D, NCHW data); a number means that size on every spatial axis. Not needed with globalPool. */
  kernel?: number | readonly number[];
  /** 'max' (default) or 'avg'. */
  poolType?: 'max' | 'avg';
  /** Pool each channel's whole plane to one value (kernel, stride and pad are ignored, as MXNet). */
  globalPool?: boolean;
  /** Step between windows (default 1 on every axis, as MXNet's operator; Gluon's layers default to the kernel). */
  stride?: number | readonly number[];
  /** Padding on each side (default 0). */
  pad?: number | readonly number[];
  /** 'valid' (default: floor) or 'full' (ceil) output sizes. */
  poolingConvention?: 'valid' | 'full';
  /** avg: count padded cells in the divisor (default true). */
  countIncludePad?: boolean;
  /** 'NCW' or 'NCHW' (the only layouts here); default by the data's rank. */
  layout?: string | null;
  /** Accepted, with no effect here. */
  cudnnOff?: boolean;
}

const POOLING_KEYS = [
  'data',
  'kernel',
  'poolType',
  'globalPool',
  'stride',
  'pad',
  'poolingConvention',
  'countIncludePad',
  'layout',
  'cudnnOff',
];

/**
 * MXNet's Pooling operator with its arguments in one object: max or average pooling of 1-D
 * (NCW) or 2-D (NCHW) data. As MXNet's operator (unlike Gluon's pooling layers) the stride
 * defaults to 1. Differentiable in data.
 *
 * @example
 * const data = nd.arange(16).reshape([1, 1, 4, 4]);
 * nd.Pooling({ data, kernel: [2, 2], poolType: 'max', stride: [2, 2] }).toArray(); // [[[[5, 7], [13, 15]]]]
 * nd.Pooling({ data, poolType: 'avg', globalPool: true }).toArray();             // [[[[7.5]]]]
 */
export function Pooling(args: PoolingArgs): NDArray {
  const op = 'Pooling';
  if (!args || typeof args !== 'object' || isArray(args))
    throw new ValueError(`${op}: expected one options object { data, kernel, poolType, stride, pad, globalPool }, got ${String(args)}`);
  checkOptions(op, args, POOLING_KEYS);
  const data = args.data;
  const dims = spatialDims(op, data, args.layout);
  const poolType = args.poolType ?? 'max';
  if (poolType !== 'max' && poolType !== 'avg')
    throw new ValueError(`${op}: poolType must be 'max' or 'avg', got ${JSON.stringify(poolType)} ('sum' and 'lp' are not supported)`);
  const conv = args.poolingConvention ?? 'valid';
  if (conv !== 'valid' && conv !== 'full')
    throw new ValueError(`${op}: poolingConvention must be 'valid' or 'full', got ${JSON.stringify(conv)}`);
  const globalPool = args.globalPool ?? false;
  if (typeof globalPool !== 'boolean') throw new ValueError(`${op}: globalPool must be a boolean, got ${JSON.stringify(globalPool)}`);
  const countIncludePad = args.countIncludePad ?? true;
  if (globalPool) {
    const kernel = data.shape.slice(2);
    if (kernel.some((d) => d === 0))
      throw new ShapeError(`${op}: global pooling of data of shape ${shapeStr(data.shape)} with an empty spatial axis`);
    if (dims === 1) return pool1d(poolType, data, { kernel: kernel[0] });
    return poolType === 'max' ? maxPool2d(data, { kernel }) : avgPool2d(data, { kernel });
  }
  if (args.kernel === undefined) throw new ValueError(`${op}: kernel is required unless globalPool: true, e.g. kernel: [2, 2]`);
  const kernel = sizes(args.kernel, 1, dims, 'kernel', op, 1);
  const stride = sizes(args.stride, 1, dims, 'stride', op, 1);
  const pad = sizes(args.pad, 0, dims, 'pad', op, 0);
  const ceilMode = conv === 'full';
  if (dims === 1)
    return pool1d(poolType, data, {
      kernel: kernel[0],
      stride: stride[0],
      padding: pad[0],
      ceilMode,
      ...(poolType === 'avg' ? { countIncludePad } : {}),
    });
  const o = { kernel, stride, padding: pad, ceilMode };
  return poolType === 'max' ? maxPool2d(data, o) : avgPool2d(data, { ...o, countIncludePad });
}
