// Shapes and strided views, for every layer: sizes, contiguity, broadcasting, coalescing
// dims, axis normalisation.
import { IndexError, ShapeError } from './errors.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C order) strides in elements. */
export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Row-major contiguous: each dim's stride is the product of the dims after it (unit dims' strides ignored). */
export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== acc) return false;
    acc *= shape[i];
  }
  return true;
}

/**
 * Drops unit dims and merges adjacent dims that are contiguous in every operand, so most
 * kernels run as one flat loop (rank 1) or a broadcast pair (rank 2). Every backend's strided
 * kernels go through it.
 *
 * @example
 * coalesce([2, 3], [[3, 1]]); // { shape: [6], strides: [[1]] }
 */
export function coalesce(shape: readonly number[], strides: (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const nOps = strides.length;
  const dims: number[] = [];
  const st: number[][] = new Array(nOps);
  for (let j = 0; j < nOps; j++) st[j] = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (d === 1) continue;
    const last = dims.length - 1;
    let merge = last >= 0;
    for (let j = 0; merge && j < nOps; j++) if (st[j][last] !== strides[j][i] * d) merge = false;
    if (merge) {
      dims[last] *= d;
      for (let j = 0; j < nOps; j++) st[j][last] = strides[j][i];
    } else {
      dims.push(d);
      for (let j = 0; j < nOps; j++) st[j].push(strides[j][i]);
    }
  }
  return { shape: dims, strides: st };
}

/**
 * The strides that broadcast an array of `shape` with `strides` to `to` (numpy's rules: leading
 * dims added, size-1 dims stretched, both with stride 0).
 *
 * @example
 * broadcastStrides([3, 1], [1, 1], [2, 3, 4]); // [0, 1, 0]
 */
export function broadcastStrides(shape: Shape, strides: readonly number[], to: Shape): number[] {
  const n = to.length;
  const off = n - shape.length;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const j = i - off;
    out[i] = j < 0 || (shape[j] === 1 && to[i] !== 1) ? 0 : strides[j];
  }
  return out;
}

/**
 * The axes of `from` that broadcasting `to` up to `from` stretched (added leading dims and size-1
 * dims): the axes a gradient sums over to return to `to`.
 *
 * @example
 * unbroadcastAxes([2, 3, 4], [3, 1]); // [0, 2]
 */
export function unbroadcastAxes(from: Shape, to: Shape): number[] {
  const lead = from.length - to.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) if (i < lead || (to[i - lead] === 1 && from[i] !== 1)) axes.push(i);
  return axes;
}

export function shapeStr(shape: Shape): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** numpy broadcasting of two shapes; throws a ShapeError naming `op` when they don't broadcast. */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else
      throw new ShapeError(
        `${op}: shapes ${shapeStr(a)} and ${shapeStr(b)} cannot be broadcast together ` +
          `(dimension ${i} of the result: ${da} vs ${db}; sizes must match or one must be 1)`,
      );
  }
  return out;
}

/** Normalises a possibly negative axis for an array of rank `ndim`. */
export function normalizeAxis(axis: number, ndim: number, op: string): number {
  if (!Number.isInteger(axis)) throw new IndexError(`${op}: axis must be an integer, got ${axis}`);
  const a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim)
    throw new IndexError(`${op}: axis ${axis} is out of range for an array of rank ${ndim} (valid: ${-ndim}..${ndim - 1})`);
  return a;
}

/** Normalises `axis` (undefined = all, a number or a list) into a sorted list of distinct axes. */
export function normalizeAxes(axis: number | readonly number[] | undefined | null, ndim: number, op: string): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const out = list.map((a) => normalizeAxis(a, ndim, op));
  const set = new Set(out);
  if (set.size !== out.length) throw new IndexError(`${op}: repeated axis in ${JSON.stringify(axis)}`);
  return out.sort((x, y) => x - y);
}

/** Validates a user-given shape (non-negative integers). */
export function checkShape(shape: unknown, op: string): number[] {
  if (typeof shape === 'number') shape = [shape];
  if (!Array.isArray(shape)) throw new ShapeError(`${op}: shape must be an array of integers, got ${String(shape)}`);
  for (const d of shape)
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${op}: shape ${JSON.stringify(shape)} must hold non-negative integers`);
  return [...(shape as number[])];
}
