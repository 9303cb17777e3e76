/**
 * Neural-network primitives: 2-D convolution and pooling over NCHW arrays, each a forward
 * dispatch to the backend's kernel plus a gradient rule through the backend's gradient kernel,
 * and `softrelu` (log(1 + e^x)) with its exact gradient sigmoid(x).
 */
import type { Conv2dParams, Pool2dParams } from '../backend/backend.js';
import { DTypeError, ShapeError, ValueError } from '../core/errors.js';
import { shapeStr } from '../core/shape.js';
import { recordOp, shouldRecord } from '../autograd/tape.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { composite, empty, sameContext } from './util.js';
import { full } from './movement.js';
import { where } from './elementwise.js';
import { checkOptions, positional } from '../core/options.js';
import { normalizeAxis } from '../core/shape.js';
import * as random from '../ndarray/random.js';

/** A size given as one number for both spatial axes or as [height, width]. */
export type Size2 = number | readonly [number, number] | readonly number[];

/** Expands `v` into [h, w], checking it holds integers >= `min`. @example pair(3, 'kernel', 'conv2d', 1) // [3, 3] */
export function pair(v: Size2, what: string, op: string, min: number): [number, number] {
  const p: number[] = typeof v === 'number' ? [v, v] : Array.isArray(v) ? [...v] : [];
  if (p.length !== 2 || p.some((d) => !Number.isInteger(d) || d < min))
    throw new ValueError(`${op}: ${what} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  return [p[0], p[1]];
}

function requireFloat4d(op: string, what: string, x: NDArray): void {
  x.checkAlive(op);
  if (x.ndim !== 4)
    throw new ShapeError(`${op}: the ${what} must be 4-D (NCHW: batch, channels, height, width), got shape ${shapeStr(x.shape)}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new DTypeError(`${op}: the ${what} must be float32 or float64, got ${x.dtype}`);
}

/** One spatial output size: floor (or ceil) of (in + 2 pad - dilation (k - 1) - 1) / stride + 1. */
function outSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  if (span < 0) return 0;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // With ceil mode the last window must still start inside the (left-padded) input, as MXNet.
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

/** Options of conv2d. */
export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Size2;
  /** Zeros added on each side of height and width (default 0). */
  padding?: Size2;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2;
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
}

/**
 * 2-D cross-correlation (MXNet's Convolution) of an NCHW input `x` (N, C, H, W) with weights `w`
 * (O, C / groups, KH, KW), plus an optional bias of shape (O); the result is (N, O, OH, OW) with
 * OH = floor((H + 2 padding - dilation (KH - 1) - 1) / stride) + 1. Differentiable in x, w, bias.
 *
 * @example
 * const x = nd.arange(9).reshape([1, 1, 3, 3]);
 * const k = nd.array([[[[0, 1], [2, 3]]]]);
 * conv2d(x, k).toArray(); // [[[[19, 25], [37, 43]]]]
 */
export function conv2d(x: NDArray, w: NDArray, bias?: NDArray | null, opts: Conv2dOptions = {}): NDArray {
  const op = 'conv2d';
  requireFloat4d(op, 'input', x);
  requireFloat4d(op, 'weight', w);
  const ctx = sameContext(op, x, w);
  if (x.dtype !== w.dtype) throw new DTypeError(`${op}: input (${x.dtype}) and weight (${w.dtype}) must have the same dtype`);
  checkOptions(op, opts, CONV_KEYS);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${op}: groups must be a positive integer, got ${groups}`);
  const p: Conv2dParams = {
    stride: pair(opts.stride ?? 1, 'stride', op, 1),
    padding: pair(opts.padding ?? 0, 'padding', op, 0),
    dilation: pair(opts.dilation ?? 1, 'dilation', op, 1),
    groups,
  };
  const [N, C, H, W] = x.shape;
  const [O, CG, KH, KW] = w.shape;
  if (O % groups !== 0)
    throw new ShapeError(`${op}: the ${O} output channels of weight ${shapeStr(w.shape)} are not divisible by groups=${groups}`);
  if (CG * groups !== C)
    throw new ShapeError(
      `${op}: the input has ${C} channels (shape ${shapeStr(x.shape)}) but weight ${shapeStr(w.shape)} with groups=${groups} expects ${CG * groups} ` +
        `(weight shape must be (out_channels, in_channels / groups, kernel_h, kernel_w))`,
    );
  const OH = outSize(H, KH, p.stride[0], p.padding[0], p.dilation[0], false);
  const OW = outSize(W, KW, p.stride[1], p.padding[1], p.dilation[1], false);
  if (OH < 1 || OW < 1)
    throw new ShapeError(
      `${op}: kernel ${KH}x${KW} (dilation ${p.dilation.join('x')}) does not fit the input ${H}x${W} with padding ${p.padding.join('x')}; ` +
        `the output would be ${OH}x${OW}`,
    );
  if (!bias) return convolve(x, w, p, [N, O, OH, OW]);
  bias.checkAlive(op);
  sameContext(op, x, bias);
  if (bias.ndim !== 1 || bias.shape[0] !== O)
    throw new ShapeError(`${op}: bias must have shape ${shapeStr([O])} for weight ${shapeStr(w.shape)}, got ${shapeStr(bias.shape)}`);
  // With a bias: the convolution primitive and a broadcast add, composed.
  return composite(() => convolve(x, w, p, [N, O, OH, OW]).add(bias.reshape([1, O, 1, 1])));
}

/** The convolution primitive: one backend kernel, and its gradient through the backend's. */
function convolve(x: NDArray, w: NDArray, p: Conv2dParams, shape: number[]): NDArray {
  const op = 'conv2d';
  const ctx = x.context;
  const C = x.shape[1];
  const [KH, KW] = w.shape.slice(2);
  const out = empty(shape, x.dtype, ctx);
  if (out.size > 0) {
    if (C === 0 || KH === 0 || KW === 0) ctx.backend.fill(out, 0);
    else ctx.backend.conv2d(x, w, p, out);
  }
  if (shouldRecord(x, w)) {
    const needX = x.requiresGrad;
    const needW = w.requiresGrad;
    recordOp(
      op,
      [x, w],
      out,
      (g, [xs, ws]) => {
        const dx = needX ? full(xs.shape, 0, xs.dtype, xs.context) : null;
        const dw = needW ? full(ws.shape, 0, ws.dtype, ws.context) : null;
        if (g.size > 0) g.context.backend.conv2dGrad(g, xs, ws, p, dx, dw);
        return [dx, dw];
      },
      'inputs',
    );
  }
  return out;
}

/** Options of the pooling ops. */
export interface Pool2dOptions {
  /** Window size (required). */
  kernel: Size2;
  /** Step between windows (default: the kernel size, as Gluon's pooling layers). */
  stride?: Size2;
  /** Padding on each side (default 0); max pooling pads with -inf. */
  padding?: Size2;
  /** Round the output size up instead of down (MXNet's pooling_convention 'full'). */
  ceilMode?: boolean;
}

function pool(kind: 'max' | 'avg', x: NDArray, opts: Pool2dOptions & { countIncludePad?: boolean }): NDArray {
  const op = kind === 'max' ? 'maxPool2d' : 'avgPool2d';
  requireFloat4d(op, 'input', x);
  if (!opts || opts.kernel === undefined) throw new ValueError(`${op}: the kernel size is required, e.g. { kernel: 2 }`);
  checkOptions(op, opts, POOL_KEYS);
  const kernel = pair(opts.kernel, 'kernel', op, 1);
  const p: Pool2dParams = {
    kernel,
    stride: pair(opts.stride ?? kernel, 'stride', op, 1),
    padding: pair(opts.padding ?? 0, 'padding', op, 0),
    countIncludePad: opts.countIncludePad ?? true,
  };
  if ((p.padding[0] >= kernel[0] && kernel[0] > 0) || p.padding[1] >= kernel[1])
    throw new ValueError(`${op}: padding ${p.padding.join('x')} must be smaller than the kernel ${kernel.join('x')}`);
  const [N, C, H, W] = x.shape;
  const ceil = opts.ceilMode ?? false;
  const OH = outSize(H, kernel[0], p.stride[0], p.padding[0], 1, ceil);
  const OW = outSize(W, kernel[1], p.stride[1], p.padding[1], 1, ceil);
  if (OH < 1 || OW < 1)
    throw new ShapeError(
      `${op}: window ${kernel.join('x')} does not fit the input of shape ${shapeStr(x.shape)} (spatial ${H}x${W}, padding ${p.padding.join('x')})`,
    );
  const out = empty([N, C, OH, OW], x.dtype, x.context);
  if (out.size > 0) x.context.backend.pool2d(kind, x, p, out);
  if (shouldRecord(x))
    recordOp(
      op,
      [x],
      out,
      (g, [xs]) => {
        const dx = full(xs.shape, 0, xs.dtype, xs.context);
        if (g.size > 0) g.context.backend.pool2dGrad(kind, g, xs, p, dx);
        return [dx];
      },
      'inputs',
    );
  return out;
}

/**
 * Max pooling over NCHW windows (MXNet's Pooling with pool_type 'max'); the gradient goes to the
 * first maximum of each window. `stride` defaults to the kernel size.
 *
 * @example
 * maxPool2d(nd.arange(16).reshape([1, 1, 4, 4]), { kernel: 2 }).toArray(); // [[[[5, 7], [13, 15]]]]
 */
export function maxPool2d(x: NDArray, opts: Pool2dOptions): NDArray {
  return pool('max', x, opts);
}

/**
 * Average pooling over NCHW windows. With `countIncludePad` (default true, as MXNet) padded cells
 * count in the divisor. `stride` defaults to the kernel size.
 *
 * @example
 * avgPool2d(nd.arange(16).reshape([1, 1, 4, 4]), { kernel: 2 }).toArray(); // [[[[2.5, 4.5], [10.5, 12.5]]]]
 */
export function avgPool2d(x: NDArray, opts: Pool2dOptions & { countIncludePad?: boolean }): NDArray {
  return pool('avg', x, opts);
}

/**
 * softrelu (softplus) log(1 + e^x), computed without overflow as max(x, 0) + log1p(e^-|x|), with
 * the exact gradient sigmoid(x) (also at x = 0).
 *
 * @example
 * softrelu(nd.array([0, 1000])).toArray(); // [0.6931472, 1000]
 */
export function softrelu(x: NDArray): NDArray {
  x.checkAlive('softrelu');
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new DTypeError(`softrelu: expected a float array, got ${x.dtype}`);
  // Forward on a detached x, the whole op taped as one node below; log1p(e^-|x|) in place.
  const out = composite(() => {
    const xd = x.detach();
    const na = xd.abs();
    na.context.backend.unary('neg', na, na);
    na.context.backend.unary('exp', na, na);
    na.context.backend.unary('log1p', na, na);
    return xd.relu().add(na);
  });
  if (shouldRecord(x)) recordOp('softrelu', [x], out, (g, [xs]) => [g.mul(xs.sigmoid())], 'inputs');
  return out;
}

/**
 * softmax along `axis` (default -1), computed stably (max subtracted first). MXNet 1.x's second
 * positional argument is `length` (`softmax(data, length, axis)`), so the axis goes in the options
 * only: `nd.softmax(x, 0)` is an error.
 * @example nd.softmax(nd.array([[1, 2, 3]])); nd.softmax(x, { axis: 0 })
 */
export function softmax(x: NDArray, opts: { axis?: number } = {}): NDArray {
  checkOptions('softmax', opts, SOFTMAX_KEYS);
  const axis = opts.axis ?? -1;
  return composite(() => {
    const e = x.sub(x.max({ axis, keepdims: true }).detach()).exp();
    return e.div(e.sum({ axis, keepdims: true }));
  });
}

/**
 * log(softmax(x)) along `axis`, without overflow for large logits; the axis may come alone, as
 * MXNet's `log_softmax(data, axis)`. A +Infinity logit gives NaN at its own place and -Infinity at
 * the finite ones, as PyTorch (log-probabilities of the events that became impossible).
 * @example nd.logSoftmax(nd.array([[1e4, 0]])); nd.logSoftmax(x, 0)
 */
export function logSoftmax(x: NDArray, arg?: { axis?: number } | number): NDArray {
  const axis = positional<{ axis?: number }>('logSoftmax', arg, 'axis', SOFTMAX_KEYS).axis ?? -1;
  return composite(() => {
    const s = x.sub(x.max({ axis, keepdims: true }).detach());
    const r = s.sub(s.exp().sum({ axis, keepdims: true }).log());
    // A shifted logit of -Infinity (x = -Infinity, or x finite beside a +Infinity) has
    // log-probability -Infinity whatever the sum became (NaN when the row holds +Infinity).
    return where(s.equal(-Infinity), s, r);
  });
}

const SOFTMAX_KEYS = ['axis'];
const CONV_KEYS = ['stride', 'padding', 'dilation', 'groups'];
const POOL_KEYS = ['kernel', 'stride', 'padding', 'ceilMode', 'countIncludePad'];

/**
 * Inverted dropout as Gluon's nn.Dropout computes it in training mode: each element is zeroed with
 * probability `rate` and the rest scaled by 1 / (1 - rate); `axes` share one mask along those
 * axes. Masks come from the seeded global generator. `where` names the caller in errors. The
 * layer (eager) and the graph compiler's Dropout node (src/compile/) both run this, so a
 * hybridized network draws the same masks as an eager one.
 *
 * @example
 * dropout(nd.ones([2, 4]), 0.5); // entries 0 or 2
 */
export function dropout(x: NDArray, rate: number, axes: readonly number[] = [], where = 'dropout'): NDArray {
  x.checkAlive(where);
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new ValueError(`${where}: rate must be in [0, 1], got ${String(rate)}`);
  const ax = axes.map((a) => normalizeAxis(a, x.ndim, where));
  const maskShape = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const dtype = x.dtype === 'float64' ? 'float64' : 'float32';
  const u = random.uniform(0, 1, maskShape, { dtype, ctx: x.context });
  const keep = u.lesser(1 - rate);
  u.dispose();
  keep.imul(rate < 1 ? 1 / (1 - rate) : 0);
  const y = x.mul(keep);
  keep.dispose();
  return y;
}
