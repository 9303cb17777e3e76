// Movement ops: views where the layout allows (slice, reshape, transpose, swapaxes, expandDims,
// squeeze, broadcastTo, split), copies where it does not (copy, device moves, tile, repeat, concat, stack).
import type { DType } from '../core/dtype.js';
import { promoteTypes } from '../core/dtype.js';
import { ShapeError, ValueError } from '../core/errors.js';
import { checkOptions, positional } from '../core/options.js';
import {
  broadcastShapes,
  contiguousStrides,
  isContiguous,
  normalizeAxis,
  shapeStr,
  shapesEqual,
  sizeOf,
  type Shape,
} from '../core/shape.js';
import { recordOp, shouldRecord } from '../autograd/tape.js';
import type { Context } from '../ndarray/context.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { broadcastView, composite, empty, rawView, sameContext } from './util.js';
import { sumTo } from './reduce.js';

/** A new array of `shape` filled with `value`. */
export function full(shape: Shape, value: number, dtype: DType, ctx: Context): NDArray {
  const out = empty(shape, dtype, ctx);
  ctx.backend.fill(out, value);
  return out;
}

/** A contiguous copy; the gradient passes straight through. */
export function copy(x: NDArray): NDArray {
  x.checkAlive('copy');
  const out = empty(x.shape, x.dtype, x.context);
  x.context.backend.copy(x, out);
  if (shouldRecord(x)) recordOp('copy', [x], out, (g) => [g], 'none');
  return out;
}

/** x copied to another device; the gradient is copied back. */
export function toContext(x: NDArray, ctx: Context): NDArray {
  x.checkAlive('copyto');
  if (x.context.equals(ctx)) return copy(x);
  if (x.context.deviceType !== 'cpu')
    throw new ValueError(
      `copyto: an array on ${x.context} cannot be copied to ${ctx} synchronously (a GPU is read asynchronously); ` +
        `use \`await x.copytoAsync(nd.${ctx.deviceType}(${ctx.deviceId || ''}))\``,
    );
  const out = empty(x.shape, x.dtype, ctx);
  // Cross-device copies go through host memory; both sides read/write contiguous data.
  const data = x.context.backend.readSync(x);
  ctx.backend.write(out, data);
  if (shouldRecord(x)) {
    const from = x.context;
    recordOp('copyto', [x], out, (g) => [toContext(g, from)], 'none');
  }
  return out;
}

/** x copied to another device, any pair (GPU -> CPU included): the source is read asynchronously. */
export async function toContextAsync(x: NDArray, ctx: Context): Promise<NDArray> {
  x.checkAlive('copytoAsync');
  if (x.context.equals(ctx) || x.context.deviceType === 'cpu') return toContext(x, ctx);
  const record = shouldRecord(x);
  const data = await x.context.backend.read(x);
  const out = empty(x.shape, x.dtype, ctx);
  ctx.backend.write(out, data);
  if (record) {
    const from = x.context;
    recordOp('copyto', [x], out, (g) => [toContext(g, from)], 'none');
  }
  return out;
}

/** One axis of a basic index: a strided range, a single position (drops the axis), or a new unit axis. */
export type DimSel = { start: number; step: number; size: number } | { index: number } | 'newaxis';

/** Shape, strides and offset of `x` after a basic index that names every axis of x in order. */
function applySel(x: NDArray, sel: readonly DimSel[]): { shape: number[]; strides: number[]; offset: number } {
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = x.offset;
  let d = 0;
  for (const s of sel) {
    if (s === 'newaxis') {
      shape.push(1);
      strides.push(0);
    } else if ('index' in s) {
      offset += s.index * x.strides[d++];
    } else {
      offset += s.start * x.strides[d];
      shape.push(s.size);
      strides.push(s.step * x.strides[d++]);
    }
  }
  return { shape, strides, offset };
}

/**
 * Basic indexing as a view aliasing x's storage. The gradient writes g into the same selection
 * of a zero array of x's shape, so it is right for any layout of x (transposed, broadcast...).
 */
export function select(x: NDArray, sel: readonly DimSel[], op = 'slice'): NDArray {
  x.checkAlive(op);
  const v = applySel(x, sel);
  const out = x._viewOf(v.shape, v.strides, v.offset);
  if (shouldRecord(x))
    recordOp(
      op,
      [x],
      out,
      (g, [xs]) => {
        const base = full(xs.shape, 0, g.dtype, g.context);
        const w = applySel(base, sel);
        g.context.backend.copy(g, rawView(base, w.shape, w.strides, w.offset));
        return [base];
      },
      'none',
    );
  return out;
}

/** A view with unit axes added or removed; the gradient reshapes back. */
function unitAxesView(x: NDArray, shape: number[], strides: number[], op: string): NDArray {
  const out = x._viewOf(shape, strides, x.offset);
  if (shouldRecord(x)) recordOp(op, [x], out, (g, [xs]) => [g.reshape(xs.shape)], 'none');
  return out;
}

/** Reshape with one optional -1; a view when the layout allows, otherwise a copy. */
export function reshape(x: NDArray, shape: readonly number[]): NDArray {
  x.checkAlive('reshape');
  const sh = inferShape(x, shape);
  if (shapesEqual(sh, x.shape)) return unitAxesView(x, sh, [...x.strides], 'reshape');
  // A layout that no view can reshape is copied first.
  if (!x.isContiguous) return composite(() => reshape(copy(x), sh));
  const out = x._viewOf(sh, contiguousStrides(sh), x.offset);
  if (shouldRecord(x)) {
    const from = x.shape;
    recordOp('reshape', [x], out, (g) => [g.reshape(from)], 'none');
  }
  return out;
}

function inferShape(x: NDArray, shape: readonly number[]): number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`reshape: the new shape must be an array, got ${String(shape)}`);
  const sh = [...shape];
  const neg = sh.filter((d) => d === -1).length;
  if (neg > 1) throw new ShapeError(`reshape: at most one dimension may be -1, got ${shapeStr(sh)}`);
  for (const d of sh) if (!Number.isInteger(d) || d < -1) throw new ShapeError(`reshape: invalid dimension ${d} in ${shapeStr(sh)}`);
  const known = sh.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  if (neg === 1) {
    if (known === 0 || x.size % known !== 0)
      throw new ShapeError(`reshape: cannot reshape an array of shape ${shapeStr(x.shape)} (size ${x.size}) into ${shapeStr(sh)}`);
    sh[sh.indexOf(-1)] = x.size / known;
  }
  if (sizeOf(sh) !== x.size)
    throw new ShapeError(
      `reshape: cannot reshape an array of shape ${shapeStr(x.shape)} (size ${x.size}) into ${shapeStr(sh)} (size ${sizeOf(sh)})`,
    );
  return sh;
}

/** Permutes axes (reverses them by default); a view. */
export function transpose(x: NDArray, axes?: readonly number[]): NDArray {
  x.checkAlive('transpose');
  const n = x.ndim;
  const perm = axes ? axes.map((a) => normalizeAxis(a, n, 'transpose')) : [...Array(n).keys()].reverse();
  if (perm.length !== n || new Set(perm).size !== n)
    throw new ShapeError(
      `transpose: axes ${JSON.stringify(axes)} are not a permutation of the ${n} axes of an array of shape ${shapeStr(x.shape)}`,
    );
  const out = x._viewOf(
    perm.map((p) => x.shape[p]),
    perm.map((p) => x.strides[p]),
    x.offset,
  );
  if (shouldRecord(x)) {
    const inv = new Array<number>(n);
    perm.forEach((p, i) => (inv[p] = i));
    recordOp('transpose', [x], out, (g) => [g.transpose(inv)], 'none');
  }
  return out;
}

/** Exchanges two axes (a view). @example swapaxes(x, 0, 1) */
export function swapaxes(x: NDArray, a: number, b: number): NDArray {
  const n = x.ndim;
  const perm = [...Array(n).keys()];
  const i = normalizeAxis(a, n, 'swapaxes');
  const j = normalizeAxis(b, n, 'swapaxes');
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return transpose(x, perm);
}

/** Inserts a unit axis at `axis` (a view). @example expandDims(x, 0) */
export function expandDims(x: NDArray, axis: number): NDArray {
  const ax = normalizeAxis(axis, x.ndim + 1, 'expandDims');
  const sh = [...x.shape];
  sh.splice(ax, 0, 1);
  const st = [...x.strides];
  st.splice(ax, 0, 0);
  return unitAxesView(x, sh, st, 'expandDims');
}

/** Removes unit axes (all, or those named; a view). @example squeeze(x, 1) */
export function squeeze(x: NDArray, axis?: number | number[]): NDArray {
  const axes =
    axis === undefined
      ? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)
      : (typeof axis === 'number' ? [axis] : axis).map((a) => normalizeAxis(a, x.ndim, 'squeeze'));
  for (const a of axes)
    if (x.shape[a] !== 1)
      throw new ShapeError(`squeeze: axis ${a} of the array of shape ${shapeStr(x.shape)} has size ${x.shape[a]}, not 1`);
  const sh = x.shape.filter((_, i) => !axes.includes(i));
  const st = x.strides.filter((_, i) => !axes.includes(i));
  return unitAxesView(x, sh, st, 'squeeze');
}

/** (N, a, b, ...) -> (N, a*b*...), as MXNet's flatten. @example flatten(x) */
export function flatten(x: NDArray): NDArray {
  if (x.ndim === 0) return reshape(x, [1, 1]);
  return reshape(x, [x.shape[0], x.ndim === 1 ? 1 : sizeOf(x.shape.slice(1))]);
}

/** A broadcast view (no copy); the gradient sums over the broadcast dims. */
export function broadcastTo(x: NDArray, shape: readonly number[]): NDArray {
  x.checkAlive('broadcastTo');
  const target = broadcastShapes(x.shape, shape, 'broadcastTo');
  if (!shapesEqual(target, shape))
    throw new ShapeError(`broadcastTo: cannot broadcast an array of shape ${shapeStr(x.shape)} to ${shapeStr(shape)}`);
  const out = broadcastView(x, shape);
  if (shouldRecord(x)) recordOp('broadcastTo', [x], out, (g, [xs]) => [sumTo(g, xs.shape)], 'none');
  return out;
}

/** Repeats the whole array `reps` times along each axis (numpy's tile). */
export function tile(x: NDArray, reps: number | readonly number[]): NDArray {
  const r = typeof reps === 'number' ? [reps] : [...reps];
  for (const v of r)
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`tile: reps must be non-negative integers, got ${JSON.stringify(reps)}`);
  const n = Math.max(r.length, x.ndim);
  const rr = [...Array(n - r.length).fill(1), ...r];
  const xs = [...Array(n - x.ndim).fill(1), ...x.shape];
  // (d0, d1) -> (1, d0, 1, d1) -> broadcast (r0, d0, r1, d1) -> (r0*d0, r1*d1)
  const inter = xs.flatMap((d) => [1, d]);
  const bshape = xs.flatMap((d, i) => [rr[i], d]);
  return composeReshape(
    x,
    inter,
    bshape,
    xs.map((d, i) => d * rr[i]),
  );
}

/** Repeats each element `repeats` times along `axis` (flattened when omitted), as numpy's repeat. */
export function repeat(x: NDArray, repeats: number, axis?: number): NDArray {
  if (!Number.isInteger(repeats) || repeats < 0) throw new ValueError(`repeat: repeats must be a non-negative integer, got ${repeats}`);
  if (axis === undefined) return composite(() => repeat(reshape(x, [x.size]), repeats, 0));
  const ax = normalizeAxis(axis, x.ndim, 'repeat');
  const inter = [...x.shape.slice(0, ax + 1), 1, ...x.shape.slice(ax + 1)];
  const bshape = [...x.shape.slice(0, ax + 1), repeats, ...x.shape.slice(ax + 1)];
  const final = [...x.shape];
  final[ax] *= repeats;
  return composeReshape(x, inter, bshape, final);
}

function composeReshape(x: NDArray, inter: number[], bshape: number[], final: number[]): NDArray {
  return composite(() => reshape(broadcastTo(reshape(x, inter), bshape), final));
}

/** Splits into `numOutputs` equal parts along `axis` (views); `squeezeAxis` drops that axis. */
export function split(x: NDArray, numOutputs: number, arg?: { axis?: number; squeezeAxis?: boolean } | number): NDArray[] {
  // MXNet's split(data, num_outputs, axis, squeeze_axis): the axis may come alone.
  const opts = positional<{ axis?: number; squeezeAxis?: boolean }>('split', arg, 'axis', ['axis', 'squeezeAxis']);
  const ax = normalizeAxis(opts.axis ?? 1, x.ndim, 'split');
  const len = x.shape[ax];
  if (!Number.isInteger(numOutputs) || numOutputs <= 0 || len % numOutputs !== 0)
    throw new ShapeError(
      `split: axis ${ax} of size ${len} (array shape ${shapeStr(x.shape)}) cannot be split into ${numOutputs} equal parts`,
    );
  const step = len / numOutputs;
  if (opts.squeezeAxis && step !== 1) throw new ShapeError(`split: squeezeAxis needs parts of size 1 along axis ${ax}, got ${step}`);
  const part = (i: number): NDArray =>
    select(
      x,
      x.shape.map((d, j): DimSel => (j === ax ? { start: i * step, step: 1, size: step } : { start: 0, step: 1, size: d })),
      'split',
    );
  const parts = Array.from({ length: numOutputs }, (_, i) => i);
  if (!opts.squeezeAxis) return parts.map(part);
  return composite(() => parts.map((i) => squeeze(part(i), ax)));
}

/**
 * Joins arrays along `dim` (MXNet's concat); the gradient slices g back. MXNet takes `dim` by
 * keyword only (`concat(*data, dim=1)`), so a bare number here is an error, not a dim.
 */
export function concat(arrays: readonly NDArray[], opts: { dim?: number } = {}): NDArray {
  if (!Array.isArray(arrays as unknown) || arrays.length === 0) throw new ValueError('concat: expected a non-empty list of arrays');
  checkOptions('concat', opts, CONCAT_KEYS);
  const ctx = sameContext('concat', ...arrays);
  const first = arrays[0];
  const dim = normalizeAxis(opts.dim ?? 1, first.ndim, 'concat');
  for (const a of arrays) {
    a.checkAlive('concat');
    if (a.ndim !== first.ndim || a.shape.some((d, i) => i !== dim && d !== first.shape[i]))
      throw new ShapeError(`concat: shapes ${arrays.map((t) => shapeStr(t.shape)).join(', ')} must match except along dim ${dim}`);
  }
  const sizes = arrays.map((a) => a.shape[dim]);
  const sh = [...first.shape];
  sh[dim] = sizes.reduce((a, b) => a + b, 0);
  const dtype = arrays.map((a) => a.dtype).reduce(promoteTypes);
  const out = empty(sh, dtype, ctx);
  let off = 0;
  for (const a of arrays) {
    ctx.backend.copy(a, rawView(out, a.shape, out.strides, off * out.strides[dim]));
    off += a.shape[dim];
  }
  if (shouldRecord(...arrays))
    recordOp(
      'concat',
      [...arrays],
      out,
      (g) => {
        let o = 0;
        return sizes.map((n) => {
          const s = [...g.shape];
          s[dim] = n;
          const c = empty(s, g.dtype, g.context);
          g.context.backend.copy(rawView(g, s, g.strides, g.offset + o * g.strides[dim]), c);
          o += n;
          return c;
        });
      },
      'none',
    );
  return out;
}

/** Stacks equal-shape arrays along a new axis (`axis` by keyword only, as MXNet's `stack(*data, axis=0)`). */
export function stack(arrays: readonly NDArray[], opts: { axis?: number } = {}): NDArray {
  if (!Array.isArray(arrays as unknown) || arrays.length === 0) throw new ValueError('stack: expected a non-empty list of arrays');
  checkOptions('stack', opts, STACK_KEYS);
  const s0 = arrays[0].shape;
  for (const a of arrays)
    if (!shapesEqual(a.shape, s0))
      throw new ShapeError(`stack: all arrays must have the same shape, got ${arrays.map((t) => shapeStr(t.shape)).join(', ')}`);
  const ax = normalizeAxis(opts.axis ?? 0, s0.length + 1, 'stack');
  return composite(() =>
    concat(
      arrays.map((a) => expandDims(a, ax)),
      { dim: ax },
    ),
  );
}

const CONCAT_KEYS = ['dim'];
const STACK_KEYS = ['axis'];

export { isContiguous };
