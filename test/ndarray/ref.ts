/**
 * A plain-JS float64 reference for every op in the op table: row-major arrays with no views, no
 * broadcasting tricks and no shared code with src/. Deliberately slow and obvious.
 */
export interface Ref {
  shape: number[];
  data: Float64Array;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function ref(shape: readonly number[], data: ArrayLike<number>): Ref {
  if (sizeOf(shape) !== data.length) throw new Error(`ref: ${data.length} values for shape ${shape}`);
  return { shape: [...shape], data: Float64Array.from(data) };
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Multi-index of flat position `i`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let off = 0;
  for (let d = 0; d < shape.length; d++) off = off * shape[d] + idx[d];
  return off;
}

/** Builds an array of `shape` from a function of the multi-index. */
export function build(shape: readonly number[], f: (idx: number[]) => number): Ref {
  const n = sizeOf(shape);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = f(unravel(i, shape));
  return { shape: [...shape], data };
}

export function at(x: Ref, idx: readonly number[]): number {
  return x.data[ravel(idx, x.shape)];
}

export function map1(x: Ref, f: (a: number) => number): Ref {
  return { shape: [...x.shape], data: x.data.map(f) };
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`ref: cannot broadcast ${a} and ${b}`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** x read at a multi-index of a (broadcast) larger shape. */
function atBroadcast(x: Ref, idx: readonly number[]): number {
  const off = idx.length - x.shape.length;
  const j = x.shape.map((d, k) => (d === 1 ? 0 : idx[k + off]));
  return at(x, j);
}

export function broadcastTo(x: Ref, shape: readonly number[]): Ref {
  return build(shape, (idx) => atBroadcast(x, idx));
}

export function map2(a: Ref, b: Ref, f: (a: number, b: number) => number): Ref {
  const shape = broadcastShape(a.shape, b.shape);
  return build(shape, (idx) => f(atBroadcast(a, idx), atBroadcast(b, idx)));
}

export function map3(a: Ref, b: Ref, c: Ref, f: (a: number, b: number, c: number) => number): Ref {
  const shape = broadcastShape(broadcastShape(a.shape, b.shape), c.shape);
  return build(shape, (idx) => f(atBroadcast(a, idx), atBroadcast(b, idx), atBroadcast(c, idx)));
}

export function scalar(v: number): Ref {
  return { shape: [], data: Float64Array.of(v) };
}

function normAxes(axis: number | number[] | undefined, ndim: number): number[] {
  if (axis === undefined) return [...Array(ndim).keys()];
  return (typeof axis === 'number' ? [axis] : axis).map((a) => (a < 0 ? a + ndim : a));
}

/** Folds over `axis` with `f` starting from `init`; `post` maps (acc, count). */
export function reduce(
  x: Ref,
  axis: number | number[] | undefined,
  keepdims: boolean,
  init: number,
  f: (acc: number, v: number) => number,
  post: (acc: number, n: number) => number = (a) => a,
): Ref {
  const axes = normAxes(axis, x.shape.length);
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const acc = new Float64Array(sizeOf(keptShape)).fill(init);
  const n = axes.reduce((p, a) => p * x.shape[a], 1);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    const j = ravel(
      idx.map((v, k) => (axes.includes(k) ? 0 : v)),
      keptShape,
    );
    acc[j] = f(acc[j], x.data[i]);
  }
  const shape = keepdims ? keptShape : x.shape.filter((_, i) => !axes.includes(i));
  return { shape, data: acc.map((a) => post(a, n)) };
}

export const sum = (x: Ref, axis?: number | number[], keepdims = false) => reduce(x, axis, keepdims, 0, (a, v) => a + v);
export const prod = (x: Ref, axis?: number | number[], keepdims = false) => reduce(x, axis, keepdims, 1, (a, v) => a * v);
export const mean = (x: Ref, axis?: number | number[], keepdims = false) =>
  reduce(
    x,
    axis,
    keepdims,
    0,
    (a, v) => a + v,
    (a, n) => a / n,
  );
export const max = (x: Ref, axis?: number | number[], keepdims = false) => reduce(x, axis, keepdims, -Infinity, (a, v) => Math.max(a, v));
export const min = (x: Ref, axis?: number | number[], keepdims = false) => reduce(x, axis, keepdims, Infinity, (a, v) => Math.min(a, v));
export const norm2 = (x: Ref, axis?: number | number[], keepdims = false) =>
  reduce(
    x,
    axis,
    keepdims,
    0,
    (a, v) => a + v * v,
    (a) => Math.sqrt(a),
  );
export const norm1 = (x: Ref, axis?: number | number[], keepdims = false) => reduce(x, axis, keepdims, 0, (a, v) => a + Math.abs(v));

/** argmax/argmin along one axis (first occurrence), or of the flattened array. */
export function argReduce(x: Ref, axis: number | undefined, better: (v: number, best: number) => boolean): Ref {
  if (axis === undefined) return argReduce({ shape: [x.data.length], data: x.data }, 0, better);
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const outShape = x.shape.filter((_, i) => i !== ax);
  return build(outShape, (idx) => {
    let bi = 0;
    let best = NaN;
    for (let k = 0; k < x.shape[ax]; k++) {
      const full = [...idx.slice(0, ax), k, ...idx.slice(ax)];
      const v = at(x, full);
      if (k === 0 || better(v, best)) {
        best = v;
        bi = k;
      }
    }
    return bi;
  });
}

export function transpose(x: Ref, perm?: number[]): Ref {
  const n = x.shape.length;
  const p = (perm ?? [...Array(n).keys()].reverse()).map((a) => (a < 0 ? a + n : a));
  const shape = p.map((a) => x.shape[a]);
  return build(shape, (idx) => {
    const src = new Array<number>(n);
    p.forEach((a, i) => (src[a] = idx[i]));
    return at(x, src);
  });
}

export function reshape(x: Ref, shape: number[]): Ref {
  const s = [...shape];
  const neg = s.indexOf(-1);
  if (neg >= 0) s[neg] = x.data.length / sizeOf(s.filter((d) => d !== -1));
  return { shape: s, data: x.data.slice() };
}

/** Batched matrix product with numpy's matmul rules (1-D operands promoted and squeezed). */
export function matmul(a: Ref, b: Ref): Ref {
  const A = a.shape.length === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const B = b.shape.length === 1 ? reshape(b, [b.shape[0], 1]) : b;
  const m = A.shape[A.shape.length - 2];
  const k = A.shape[A.shape.length - 1];
  const n = B.shape[B.shape.length - 1];
  const batch = broadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const Ab = broadcastTo(A, [...batch, m, k]);
  const Bb = broadcastTo(B, [...batch, k, n]);
  const out = build([...batch, m, n], (idx) => {
    const pre = idx.slice(0, -2);
    const [i, j] = idx.slice(-2);
    let s = 0;
    for (let t = 0; t < k; t++) s += at(Ab, [...pre, i, t]) * at(Bb, [...pre, t, j]);
    return s;
  });
  const sh = out.shape.slice(0, -2);
  if (a.shape.length !== 1) sh.push(m);
  if (b.shape.length !== 1) sh.push(n);
  return reshape(out, sh);
}

/** MXNet's dot: contracts the last axis of a with the first axis of b. */
export function dot(a: Ref, b: Ref): Ref {
  if (a.shape.length === 0 || b.shape.length === 0) return map2(a, b, (x, y) => x * y);
  const k = a.shape[a.shape.length - 1];
  const m = sizeOf(a.shape.slice(0, -1));
  const n = sizeOf(b.shape.slice(1));
  const r = matmul(reshape(a, [m, k]), reshape(b, [k, n]));
  return reshape(r, [...a.shape.slice(0, -1), ...b.shape.slice(1)]);
}

/** One axis of a numpy basic index, resolved: start, step, count (or a single position). */
export type Sel = { start: number; step: number; size: number } | { index: number };

/** numpy's slice resolution for one axis of size n. */
export function slice1(n: number, start?: number, stop?: number, step = 1): Sel {
  const norm = (v: number) => (v < 0 ? v + n : v);
  let s: number;
  let e: number;
  if (step > 0) {
    s = start === undefined ? 0 : Math.min(Math.max(norm(start), 0), n);
    e = stop === undefined ? n : Math.min(Math.max(norm(stop), 0), n);
  } else {
    s = start === undefined ? n - 1 : Math.min(Math.max(norm(start), -1), n - 1);
    e = stop === undefined ? -1 : Math.min(Math.max(norm(stop), -1), n - 1);
  }
  const size = step > 0 ? Math.max(0, Math.ceil((e - s) / step)) : Math.max(0, Math.ceil((s - e) / -step));
  return { start: s, step, size };
}

export function select(x: Ref, sels: Sel[]): Ref {
  const full = [...sels];
  for (let d = sels.length; d < x.shape.length; d++) full.push({ start: 0, step: 1, size: x.shape[d] });
  const shape = full.filter((s): s is { start: number; step: number; size: number } => 'size' in s).map((s) => s.size);
  return build(shape, (idx) => {
    let k = 0;
    const src = full.map((s) => ('index' in s ? s.index : s.start + s.step * idx[k++]));
    return at(x, src);
  });
}

export function take(x: Ref, indices: Ref, axis = 0): Ref {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const shape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
  const ni = indices.shape.length;
  return build(shape, (idx) => {
    const j = indices.data[ravel(idx.slice(ax, ax + ni), indices.shape)];
    return at(x, [...idx.slice(0, ax), j, ...idx.slice(ax + ni)]);
  });
}

export function pick(x: Ref, index: Ref, axis = -1, keepdims = false): Ref {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const rest = x.shape.filter((_, i) => i !== ax);
  const r = build(rest, (idx) => {
    const k = index.data[ravel(idx, rest)];
    return at(x, [...idx.slice(0, ax), k, ...idx.slice(ax)]);
  });
  return keepdims
    ? reshape(
        r,
        x.shape.map((d, i) => (i === ax ? 1 : d)),
      )
    : r;
}

export function oneHot(indices: Ref, depth: number, on = 1, off = 0): Ref {
  return build([...indices.shape, depth], (idx) =>
    indices.data[ravel(idx.slice(0, -1), indices.shape)] === idx[idx.length - 1] ? on : off,
  );
}

export function concat(xs: Ref[], dim: number): Ref {
  const ax = dim < 0 ? dim + xs[0].shape.length : dim;
  const shape = [...xs[0].shape];
  shape[ax] = xs.reduce((s, x) => s + x.shape[ax], 0);
  return build(shape, (idx) => {
    let k = idx[ax];
    for (const x of xs) {
      if (k < x.shape[ax])
        return at(
          x,
          idx.map((v, i) => (i === ax ? k : v)),
        );
      k -= x.shape[ax];
    }
    throw new Error('unreachable');
  });
}

export function expandDims(x: Ref, axis: number): Ref {
  const ax = axis < 0 ? axis + x.shape.length + 1 : axis;
  const shape = [...x.shape];
  shape.splice(ax, 0, 1);
  return { shape, data: x.data.slice() };
}

export function stack(xs: Ref[], axis: number): Ref {
  return concat(
    xs.map((x) => expandDims(x, axis)),
    axis,
  );
}

export function tile(x: Ref, reps: number[]): Ref {
  const n = Math.max(reps.length, x.shape.length);
  const r = [...Array(n - reps.length).fill(1), ...reps];
  const xs: number[] = [...Array(n - x.shape.length).fill(1), ...x.shape];
  const xr = reshape(x, xs);
  return build(
    xs.map((d, i) => d * r[i]),
    (idx) =>
      at(
        xr,
        idx.map((v, i) => v % xs[i]),
      ),
  );
}

export function repeat(x: Ref, repeats: number, axis?: number): Ref {
  if (axis === undefined) return repeat(reshape(x, [x.data.length]), repeats, 0);
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const shape = [...x.shape];
  shape[ax] *= repeats;
  return build(shape, (idx) =>
    at(
      x,
      idx.map((v, i) => (i === ax ? Math.floor(v / repeats) : v)),
    ),
  );
}

export function softmax(x: Ref, axis = -1): Ref {
  const m = max(x, axis, true);
  const e = map2(x, m, (a, b) => Math.exp(a - b));
  return map2(e, sum(e, axis, true), (a, b) => a / b);
}

export function logSoftmax(x: Ref, axis = -1): Ref {
  const m = max(x, axis, true);
  const s = map2(x, m, (a, b) => a - b);
  const lz = map1(sum(map1(s, Math.exp), axis, true), Math.log);
  return map2(s, lz, (a, b) => a - b);
}

/** MXNet rounds halves away from zero. */
export const roundHalfAway = (a: number): number => Math.sign(a) * Math.floor(Math.abs(a) + 0.5);
/** Python's modulo: the result takes the divisor's sign. */
export const pyMod = (a: number, b: number): number => (b === 0 ? NaN : a - Math.floor(a / b) * b);
export const sigmoid = (a: number): number => 1 / (1 + Math.exp(-a));
