// AssemblyScript (not TypeScript): contiguous float32 reductions over a [rows, cols] row-major
// block. Sums accumulate in float64 (as the TS reference does), max/min in float32 (exact).
// Op codes, generated from kernels/codes.json (the TS side reads the same list)
import { R_SUM, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN } from './codes.generated';

// @ts-ignore: decorator
@inline function comb(op: i32, a: v128, b: v128): v128 {
  if (op == R_MAX) return f32x4.max(a, b);
  return f32x4.min(a, b);
}

// @ts-ignore: decorator
@inline function comb1(op: i32, a: f32, b: f32): f32 {
  // NaN wins, as in the reference kernel
  if (a != a) return a;
  if (b != b) return b;
  if (op == R_MAX) return a > b ? a : b;
  return a < b ? a : b;
}

/** The upper two floats of v as two float64s. */
// @ts-ignore: decorator
@inline export function hi2(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
}

/** The float64 sum of n floats at x (n > 0). */
// @ts-ignore: decorator
@inline export function sumRow(x: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const v0 = v128.load(x + o), v1 = v128.load(x + o, 16);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v0));
    s1 = f64x2.add(s1, hi2(v0));
    s2 = f64x2.add(s2, f64x2.promote_low_f32x4(v1));
    s3 = f64x2.add(s3, hi2(v1));
  }
  const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) t += <f64>load<f32>(x + (<usize>i << 2));
  return t;
}

// @ts-ignore: decorator
@inline function extRow(op: i32, x: usize, n: i32): f32 {
  let i = 0;
  let r: f32 = load<f32>(x);
  if (n >= 8) {
    let m0 = v128.load(x), m1 = v128.load(x, 16);
    for (i = 8; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      m0 = comb(op, m0, v128.load(x + o));
      m1 = comb(op, m1, v128.load(x + o, 16));
    }
    const m = comb(op, m0, m1);
    r = comb1(op, comb1(op, f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), comb1(op, f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  }
  for (; i < n; i++) r = comb1(op, r, load<f32>(x + (<usize>i << 2)));
  return r;
}

/** The index of the row's first maximum (or minimum); the first NaN wins, as in numpy. */
function argRow(isMax: bool, p: usize, cols: i32): i32 {
  let best = load<f32>(p);
  if (best != best) return 0;
  let bi = 0;
  for (let i = 1; i < cols; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (v != v) return i;
    if (isMax ? v > best : v < best) {
      best = v;
      bi = i;
    }
  }
  return bi;
}

/** out[r] = reduce(x[r, 0..cols]) for r < rows (reducing the last axis); arg ops write the index as a float. */
export function reduce_rows_f32(op: i32, x: usize, out: usize, rows: i32, cols: i32): void {
  const rowB = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const p = x + <usize>r * rowB;
    let v: f32;
    if (op == R_SUM) v = <f32>sumRow(p, cols);
    else if (op == R_MAX) v = extRow(R_MAX, p, cols);
    else if (op == R_MIN) v = extRow(R_MIN, p, cols);
    else v = <f32>argRow(op == R_ARGMAX, p, cols);
    store<f32>(out + (<usize>r << 2), v);
  }
}

/**
 * out[c] = reduce(x[0..rows, c]) for c in [c0, c1) (reducing the first axis). Columns go in
 * blocks of 8 held in registers while the rows stream past.
 */
export function reduce_cols_f32(op: i32, x: usize, out: usize, rows: i32, cols: i32, c0: i32, c1: i32): void {
  const rowB = <usize>cols << 2;
  let c = c0;
  for (; c + 8 <= c1; c += 8) {
    const base = x + (<usize>c << 2);
    if (op == R_SUM) {
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
      for (let r = 0; r < rows; r++) {
        const p = base + <usize>r * rowB;
        const v0 = v128.load(p), v1 = v128.load(p, 16);
        s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v0));
        s1 = f64x2.add(s1, hi2(v0));
        s2 = f64x2.add(s2, f64x2.promote_low_f32x4(v1));
        s3 = f64x2.add(s3, hi2(v1));
      }
      const o = out + (<usize>c << 2);
      v128.store64_lane(o, f32x4.demote_f64x2_zero(s0), 0);
      v128.store64_lane(o + 8, f32x4.demote_f64x2_zero(s1), 0);
      v128.store64_lane(o + 16, f32x4.demote_f64x2_zero(s2), 0);
      v128.store64_lane(o + 24, f32x4.demote_f64x2_zero(s3), 0);
    } else {
      let m0 = v128.load(base), m1 = v128.load(base, 16);
      for (let r = 1; r < rows; r++) {
        const p = base + <usize>r * rowB;
        if (op == R_MAX) {
          m0 = comb(R_MAX, m0, v128.load(p));
          m1 = comb(R_MAX, m1, v128.load(p, 16));
        } else {
          m0 = comb(R_MIN, m0, v128.load(p));
          m1 = comb(R_MIN, m1, v128.load(p, 16));
        }
      }
      v128.store(out + (<usize>c << 2), m0);
      v128.store(out + (<usize>c << 2), m1, 16);
    }
  }
  for (; c < c1; c++) {
    const base = x + (<usize>c << 2);
    if (op == R_SUM) {
      let s: f64 = 0;
      for (let r = 0; r < rows; r++) s += <f64>load<f32>(base + <usize>r * rowB);
      store<f32>(out + (<usize>c << 2), <f32>s);
    } else {
      let m = load<f32>(base);
      for (let r = 1; r < rows; r++) m = comb1(op, m, load<f32>(base + <usize>r * rowB));
      store<f32>(out + (<usize>c << 2), m);
    }
  }
}
