// AssemblyScript (not TypeScript): contiguous float32 elementwise kernels and reductions.
// Every function works on byte addresses into the imported shared memory and element counts; the
// TS side splits large arrays into ranges for the worker threads.
import { loadTail, storeTail, vexp, vtanh, vsigmoid } from './simd';

// Unary op codes (keep in sync with src/backend/cpu/wasm/ops.ts)
const U_EXP = 0, U_TANH = 1, U_SIGMOID = 2, U_RELU = 3, U_NEG = 4, U_ABS = 5, U_SQUARE = 6, U_SQRT = 7;
// Binary op codes
const B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_MAX = 4, B_MIN = 5;
// Comparisons: 1.0 where true, 0.0 where false (NaN compares false, except notEqual), as the
// reference kernel writes them into a float32 output.
const B_EQ = 6, B_NE = 7, B_GT = 8, B_GE = 9, B_LT = 10, B_LE = 11;

// @ts-ignore: decorator
@inline function un(op: i32, x: v128, k: usize): v128 {
  if (op == U_EXP) return vexp(x, k);
  if (op == U_TANH) return vtanh(x, k);
  if (op == U_SIGMOID) return vsigmoid(x, k);
  // relu as x > 0 ? x : 0, so NaN maps to 0 like the reference kernel
  if (op == U_RELU) return v128.and(x, f32x4.gt(x, f32x4.splat(0)));
  if (op == U_NEG) return f32x4.neg(x);
  if (op == U_ABS) return f32x4.abs(x);
  if (op == U_SQUARE) return f32x4.mul(x, x);
  return f32x4.sqrt(x);
}

// @ts-ignore: decorator
@inline function bin(op: i32, a: v128, b: v128): v128 {
  if (op == B_ADD) return f32x4.add(a, b);
  if (op == B_SUB) return f32x4.sub(a, b);
  if (op == B_MUL) return f32x4.mul(a, b);
  if (op == B_DIV) return f32x4.div(a, b);
  if (op == B_MAX) return f32x4.max(a, b);
  if (op == B_MIN) return f32x4.min(a, b);
  const one = f32x4.splat(1);
  if (op == B_EQ) return v128.and(f32x4.eq(a, b), one);
  if (op == B_NE) return v128.and(f32x4.ne(a, b), one);
  if (op == B_GT) return v128.and(f32x4.gt(a, b), one);
  if (op == B_GE) return v128.and(f32x4.ge(a, b), one);
  if (op == B_LT) return v128.and(f32x4.lt(a, b), one);
  return v128.and(f32x4.le(a, b), one);
}

// @ts-ignore: decorator
@inline function bin64(op: i32, a: v128, b: v128): v128 {
  if (op == B_ADD) return f64x2.add(a, b);
  if (op == B_SUB) return f64x2.sub(a, b);
  if (op == B_MUL) return f64x2.mul(a, b);
  if (op == B_DIV) return f64x2.div(a, b);
  if (op == B_MAX) return f64x2.max(a, b);
  if (op == B_MIN) return f64x2.min(a, b);
  const one = f64x2.splat(1);
  if (op == B_EQ) return v128.and(f64x2.eq(a, b), one);
  if (op == B_NE) return v128.and(f64x2.ne(a, b), one);
  if (op == B_GT) return v128.and(f64x2.gt(a, b), one);
  if (op == B_GE) return v128.and(f64x2.ge(a, b), one);
  if (op == B_LT) return v128.and(f64x2.lt(a, b), one);
  return v128.and(f64x2.le(a, b), one);
}

// @ts-ignore: decorator
@inline function unaryLoop(op: i32, x: usize, y: usize, n: i32, k: usize): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const v0 = v128.load(x + o), v1 = v128.load(x + o, 16);
    v128.store(y + o, un(op, v0, k));
    v128.store(y + o, un(op, v1, k), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, un(op, v128.load(x + o), k));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storeTail(y + o, un(op, loadTail(x + o, n - i), k), n - i);
  }
}

// The transcendental ops get an export each: in one shared switch the optimizer folds the
// eight inlined loops into one loop that tests the op per vector (25% slower for exp).

/** y[i] = e^x[i] for i < n; k: the constant table (see write_constants). */
export function exp_f32(x: usize, y: usize, n: i32, k: usize): void {
  unaryLoop(U_EXP, x, y, n, k);
}

/** y[i] = tanh(x[i]) for i < n. */
export function tanh_f32(x: usize, y: usize, n: i32, k: usize): void {
  unaryLoop(U_TANH, x, y, n, k);
}

/** y[i] = sigmoid(x[i]) for i < n. */
export function sigmoid_f32(x: usize, y: usize, n: i32, k: usize): void {
  unaryLoop(U_SIGMOID, x, y, n, k);
}

/** y[i] = op(x[i]) for i < n (relu, neg, abs, square, sqrt; exp, tanh and sigmoid also have their own export). */
export function unary_f32(op: i32, x: usize, y: usize, n: i32, k: usize): void {
  switch (op) {
    case U_EXP: exp_f32(x, y, n, k); break;
    case U_TANH: tanh_f32(x, y, n, k); break;
    case U_SIGMOID: sigmoid_f32(x, y, n, k); break;
    case U_RELU: unaryLoop(U_RELU, x, y, n, k); break;
    case U_NEG: unaryLoop(U_NEG, x, y, n, k); break;
    case U_ABS: unaryLoop(U_ABS, x, y, n, k); break;
    case U_SQUARE: unaryLoop(U_SQUARE, x, y, n, k); break;
    default: unaryLoop(U_SQRT, x, y, n, k); break;
  }
}

// @ts-ignore: decorator
@inline function binaryLoop(op: i32, a: usize, b: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const r0 = bin(op, v128.load(a + o), v128.load(b + o));
    const r1 = bin(op, v128.load(a + o, 16), v128.load(b + o, 16));
    v128.store(y + o, r0);
    v128.store(y + o, r1, 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, bin(op, v128.load(a + o), v128.load(b + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storeTail(y + o, bin(op, loadTail(a + o, n - i), loadTail(b + o, n - i)), n - i);
  }
}

/** y[i] = a[i] op b[i] for i < n. */
export function binary_f32(op: i32, a: usize, b: usize, y: usize, n: i32): void {
  switch (op) {
    case B_ADD: binaryLoop(B_ADD, a, b, y, n); break;
    case B_SUB: binaryLoop(B_SUB, a, b, y, n); break;
    case B_MUL: binaryLoop(B_MUL, a, b, y, n); break;
    case B_DIV: binaryLoop(B_DIV, a, b, y, n); break;
    case B_MAX: binaryLoop(B_MAX, a, b, y, n); break;
    case B_MIN: binaryLoop(B_MIN, a, b, y, n); break;
    case B_EQ: binaryLoop(B_EQ, a, b, y, n); break;
    case B_NE: binaryLoop(B_NE, a, b, y, n); break;
    case B_GT: binaryLoop(B_GT, a, b, y, n); break;
    case B_GE: binaryLoop(B_GE, a, b, y, n); break;
    case B_LT: binaryLoop(B_LT, a, b, y, n); break;
    default: binaryLoop(B_LE, a, b, y, n); break;
  }
}

// @ts-ignore: decorator
@inline function scalarLoop(op: i32, x: usize, s: f32, y: usize, n: i32, rev: bool): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const v0 = v128.load(x + o), v1 = v128.load(x + o, 16);
    v128.store(y + o, rev ? bin(op, sv, v0) : bin(op, v0, sv));
    v128.store(y + o, rev ? bin(op, sv, v1) : bin(op, v1, sv), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    v128.store(y + o, rev ? bin(op, sv, v) : bin(op, v, sv));
  }
  if (i < n) {
    const o = <usize>i << 2;
    const v = loadTail(x + o, n - i);
    storeTail(y + o, rev ? bin(op, sv, v) : bin(op, v, sv), n - i);
  }
}

/** y[i] = x[i] op s (rev = 0) or s op x[i] (rev != 0), with s a float32. */
export function binary_scalar_f32(op: i32, x: usize, s: f32, y: usize, n: i32, rev: i32): void {
  if (rev != 0) {
    switch (op) {
      case B_ADD: scalarLoop(B_ADD, x, s, y, n, true); break;
      case B_SUB: scalarLoop(B_SUB, x, s, y, n, true); break;
      case B_MUL: scalarLoop(B_MUL, x, s, y, n, true); break;
      case B_DIV: scalarLoop(B_DIV, x, s, y, n, true); break;
      case B_MAX: scalarLoop(B_MAX, x, s, y, n, true); break;
      case B_MIN: scalarLoop(B_MIN, x, s, y, n, true); break;
      case B_EQ: scalarLoop(B_EQ, x, s, y, n, true); break;
      case B_NE: scalarLoop(B_NE, x, s, y, n, true); break;
      case B_GT: scalarLoop(B_GT, x, s, y, n, true); break;
      case B_GE: scalarLoop(B_GE, x, s, y, n, true); break;
      case B_LT: scalarLoop(B_LT, x, s, y, n, true); break;
      default: scalarLoop(B_LE, x, s, y, n, true); break;
    }
  } else {
    switch (op) {
      case B_ADD: scalarLoop(B_ADD, x, s, y, n, false); break;
      case B_SUB: scalarLoop(B_SUB, x, s, y, n, false); break;
      case B_MUL: scalarLoop(B_MUL, x, s, y, n, false); break;
      case B_DIV: scalarLoop(B_DIV, x, s, y, n, false); break;
      case B_MAX: scalarLoop(B_MAX, x, s, y, n, false); break;
      case B_MIN: scalarLoop(B_MIN, x, s, y, n, false); break;
      case B_EQ: scalarLoop(B_EQ, x, s, y, n, false); break;
      case B_NE: scalarLoop(B_NE, x, s, y, n, false); break;
      case B_GT: scalarLoop(B_GT, x, s, y, n, false); break;
      case B_GE: scalarLoop(B_GE, x, s, y, n, false); break;
      case B_LT: scalarLoop(B_LT, x, s, y, n, false); break;
      default: scalarLoop(B_LE, x, s, y, n, false); break;
    }
  }
}

// @ts-ignore: decorator
@inline function scalar64Loop(op: i32, x: usize, s: f64, y: usize, n: i32, rev: bool): void {
  const sv = f64x2.splat(s);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 2;
    const v = f64x2.promote_low_f32x4(v128.load64_zero(x + o));
    const r = rev ? bin64(op, sv, v) : bin64(op, v, sv);
    v128.store64_lane(y + o, f32x4.demote_f64x2_zero(r), 0);
  }
  if (i < n) {
    const o = <usize>i << 2;
    const v = <f64>load<f32>(x + o);
    const r = rev ? bin64(op, sv, f64x2.splat(v)) : bin64(op, f64x2.splat(v), sv);
    store<f32>(y + o, <f32>f64x2.extract_lane(r, 0));
  }
}

/**
 * As binary_scalar_f32 for a scalar that float32 cannot hold exactly (0.1, 1/3): the arithmetic
 * runs in float64 and rounds once, as the reference kernel does.
 */
export function binary_scalar_f64(op: i32, x: usize, s: f64, y: usize, n: i32, rev: i32): void {
  if (rev != 0) {
    switch (op) {
      case B_ADD: scalar64Loop(B_ADD, x, s, y, n, true); break;
      case B_SUB: scalar64Loop(B_SUB, x, s, y, n, true); break;
      case B_MUL: scalar64Loop(B_MUL, x, s, y, n, true); break;
      case B_DIV: scalar64Loop(B_DIV, x, s, y, n, true); break;
      case B_MAX: scalar64Loop(B_MAX, x, s, y, n, true); break;
      case B_MIN: scalar64Loop(B_MIN, x, s, y, n, true); break;
      case B_EQ: scalar64Loop(B_EQ, x, s, y, n, true); break;
      case B_NE: scalar64Loop(B_NE, x, s, y, n, true); break;
      case B_GT: scalar64Loop(B_GT, x, s, y, n, true); break;
      case B_GE: scalar64Loop(B_GE, x, s, y, n, true); break;
      case B_LT: scalar64Loop(B_LT, x, s, y, n, true); break;
      default: scalar64Loop(B_LE, x, s, y, n, true); break;
    }
  } else {
    switch (op) {
      case B_ADD: scalar64Loop(B_ADD, x, s, y, n, false); break;
      case B_SUB: scalar64Loop(B_SUB, x, s, y, n, false); break;
      case B_MUL: scalar64Loop(B_MUL, x, s, y, n, false); break;
      case B_DIV: scalar64Loop(B_DIV, x, s, y, n, false); break;
      case B_MAX: scalar64Loop(B_MAX, x, s, y, n, false); break;
      case B_MIN: scalar64Loop(B_MIN, x, s, y, n, false); break;
      case B_EQ: scalar64Loop(B_EQ, x, s, y, n, false); break;
      case B_NE: scalar64Loop(B_NE, x, s, y, n, false); break;
      case B_GT: scalar64Loop(B_GT, x, s, y, n, false); break;
      case B_GE: scalar64Loop(B_GE, x, s, y, n, false); break;
      case B_LT: scalar64Loop(B_LT, x, s, y, n, false); break;
      default: scalar64Loop(B_LE, x, s, y, n, false); break;
    }
  }
}

// @ts-ignore: decorator
@inline function rowLoop(op: i32, a: usize, b: usize, y: usize, n: i32, bIsRow: bool): void {
  // one row: a full row against the broadcast row b (or the reverse when !bIsRow)
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const va = v128.load(a + o), vb = v128.load(b + o);
    v128.store(y + o, bIsRow ? bin(op, va, vb) : bin(op, vb, va));
  }
  if (i < n) {
    const o = <usize>i << 2;
    const va = loadTail(a + o, n - i), vb = loadTail(b + o, n - i);
    storeTail(y + o, bIsRow ? bin(op, va, vb) : bin(op, vb, va), n - i);
  }
}

// @ts-ignore: decorator
@inline function bcastRows(op: i32, full: usize, vec: usize, y: usize, rows: i32, cols: i32, mode: i32): void {
  const rowB = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const f = full + <usize>r * rowB, o = y + <usize>r * rowB;
    if (mode == 0) rowLoop(op, f, vec, o, cols, true);
    else if (mode == 1) rowLoop(op, f, vec, o, cols, false);
    else if (mode == 2) scalarLoop(op, f, load<f32>(vec + (<usize>r << 2)), o, cols, false);
    else scalarLoop(op, f, load<f32>(vec + (<usize>r << 2)), o, cols, true);
  }
}

/**
 * Broadcast binary op over a [rows, cols] row-major `full` operand and a vector `vec`:
 * mode 0: y = full op vec[col]; 1: y = vec[col] op full; 2: y = full op vec[row]; 3: y = vec[row] op full.
 */
export function binary_bcast_f32(op: i32, full: usize, vec: usize, y: usize, rows: i32, cols: i32, mode: i32): void {
  switch (op) {
    case B_ADD: bcastRows(B_ADD, full, vec, y, rows, cols, mode); break;
    case B_SUB: bcastRows(B_SUB, full, vec, y, rows, cols, mode); break;
    case B_MUL: bcastRows(B_MUL, full, vec, y, rows, cols, mode); break;
    case B_DIV: bcastRows(B_DIV, full, vec, y, rows, cols, mode); break;
    case B_MAX: bcastRows(B_MAX, full, vec, y, rows, cols, mode); break;
    case B_MIN: bcastRows(B_MIN, full, vec, y, rows, cols, mode); break;
    case B_EQ: bcastRows(B_EQ, full, vec, y, rows, cols, mode); break;
    case B_NE: bcastRows(B_NE, full, vec, y, rows, cols, mode); break;
    case B_GT: bcastRows(B_GT, full, vec, y, rows, cols, mode); break;
    case B_GE: bcastRows(B_GE, full, vec, y, rows, cols, mode); break;
    case B_LT: bcastRows(B_LT, full, vec, y, rows, cols, mode); break;
    default: bcastRows(B_LE, full, vec, y, rows, cols, mode); break;
  }
}
