// AssemblyScript (not TypeScript): contiguous float32 elementwise kernels and reductions.
// Every function works on byte addresses into the imported shared memory and element counts; the
// TS side splits large arrays into ranges for the worker threads.
import { loadTail, storeTail, vexp, vtanh, vsigmoid } from './simd';
// Op codes, generated from kernels/codes.json (the TS side reads the same list)
import {
  U_EXP, U_TANH, U_SIGMOID, U_RELU, U_NEG, U_ABS, U_SQUARE, U_SQRT,
  B_ADD, B_SUB, B_MUL, B_DIV, B_MAXIMUM, B_MINIMUM, B_EQUAL, B_NOT_EQUAL, B_GREATER, B_GREATER_EQUAL, B_LESSER, B_LESSER_EQUAL,
} from './codes.generated';

// Each op is a class whose inlined method the loops below are instantiated with (generics are
// monomorphized at compile time), so every loop holds its one SIMD instruction. An op code tested
// inside a shared loop was folded by the optimizer into one loop that computed all twelve ops per
// vector and selected one: 2.4x slower than memcpy speed for a scalar multiply (docs/PERF.md).
class Add { @inline f(a: v128, b: v128): v128 { return f32x4.add(a, b); } @inline d(a: v128, b: v128): v128 { return f64x2.add(a, b); } }
class Sub { @inline f(a: v128, b: v128): v128 { return f32x4.sub(a, b); } @inline d(a: v128, b: v128): v128 { return f64x2.sub(a, b); } }
class Mul { @inline f(a: v128, b: v128): v128 { return f32x4.mul(a, b); } @inline d(a: v128, b: v128): v128 { return f64x2.mul(a, b); } }
class Div { @inline f(a: v128, b: v128): v128 { return f32x4.div(a, b); } @inline d(a: v128, b: v128): v128 { return f64x2.div(a, b); } }
class Max { @inline f(a: v128, b: v128): v128 { return f32x4.max(a, b); } @inline d(a: v128, b: v128): v128 { return f64x2.max(a, b); } }
class Min { @inline f(a: v128, b: v128): v128 { return f32x4.min(a, b); } @inline d(a: v128, b: v128): v128 { return f64x2.min(a, b); } }
// Comparisons: 1.0 where true, 0.0 where false (NaN compares false, except notEqual), as the
// reference kernel writes them into a float32 output.
class Eq { @inline f(a: v128, b: v128): v128 { return v128.and(f32x4.eq(a, b), f32x4.splat(1)); } @inline d(a: v128, b: v128): v128 { return v128.and(f64x2.eq(a, b), f64x2.splat(1)); } }
class Ne { @inline f(a: v128, b: v128): v128 { return v128.and(f32x4.ne(a, b), f32x4.splat(1)); } @inline d(a: v128, b: v128): v128 { return v128.and(f64x2.ne(a, b), f64x2.splat(1)); } }
class Gt { @inline f(a: v128, b: v128): v128 { return v128.and(f32x4.gt(a, b), f32x4.splat(1)); } @inline d(a: v128, b: v128): v128 { return v128.and(f64x2.gt(a, b), f64x2.splat(1)); } }
class Ge { @inline f(a: v128, b: v128): v128 { return v128.and(f32x4.ge(a, b), f32x4.splat(1)); } @inline d(a: v128, b: v128): v128 { return v128.and(f64x2.ge(a, b), f64x2.splat(1)); } }
class Lt { @inline f(a: v128, b: v128): v128 { return v128.and(f32x4.lt(a, b), f32x4.splat(1)); } @inline d(a: v128, b: v128): v128 { return v128.and(f64x2.lt(a, b), f64x2.splat(1)); } }
class Le { @inline f(a: v128, b: v128): v128 { return v128.and(f32x4.le(a, b), f32x4.splat(1)); } @inline d(a: v128, b: v128): v128 { return v128.and(f64x2.le(a, b), f64x2.splat(1)); } }
/** O with its operands swapped (s op x for a scalar s, vec op full for a broadcast vector). */
class Rev<O> {
  @inline f(a: v128, b: v128): v128 { return changetype<O>(0).f(b, a); }
  @inline d(a: v128, b: v128): v128 { return changetype<O>(0).d(b, a); }
}

class Exp { @inline u(x: v128, k: usize): v128 { return vexp(x, k); } }
class Tanh { @inline u(x: v128, k: usize): v128 { return vtanh(x, k); } }
class Sigmoid { @inline u(x: v128, k: usize): v128 { return vsigmoid(x, k); } }
// relu as x <= 0 ? 0 : x, clearing the lanes where x <= 0: NaN (which compares false) stays NaN
// like the reference kernel, and -0 becomes 0
class Relu { @inline u(x: v128, k: usize): v128 { return v128.andnot(x, f32x4.le(x, f32x4.splat(0))); } }
class Neg { @inline u(x: v128, k: usize): v128 { return f32x4.neg(x); } }
class Abs { @inline u(x: v128, k: usize): v128 { return f32x4.abs(x); } }
class Square { @inline u(x: v128, k: usize): v128 { return f32x4.mul(x, x); } }
class Sqrt { @inline u(x: v128, k: usize): v128 { return f32x4.sqrt(x); } }

// @ts-ignore: decorator
@inline function unaryLoop<O>(x: usize, y: usize, n: i32, k: usize): void {
  const op = changetype<O>(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const v0 = v128.load(x + o), v1 = v128.load(x + o, 16);
    v128.store(y + o, op.u(v0, k));
    v128.store(y + o, op.u(v1, k), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, op.u(v128.load(x + o), k));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storeTail(y + o, op.u(loadTail(x + o, n - i), k), n - i);
  }
}

/** y[i] = e^x[i] for i < n; k: the constant table (see write_constants). */
export function exp_f32(x: usize, y: usize, n: i32, k: usize): void {
  unaryLoop<Exp>(x, y, n, k);
}

/** y[i] = tanh(x[i]) for i < n. */
export function tanh_f32(x: usize, y: usize, n: i32, k: usize): void {
  unaryLoop<Tanh>(x, y, n, k);
}

/** y[i] = sigmoid(x[i]) for i < n. */
export function sigmoid_f32(x: usize, y: usize, n: i32, k: usize): void {
  unaryLoop<Sigmoid>(x, y, n, k);
}

/** y[i] = op(x[i]) for i < n (relu, neg, abs, square, sqrt; exp, tanh and sigmoid also have their own export). */
export function unary_f32(op: i32, x: usize, y: usize, n: i32, k: usize): void {
  switch (op) {
    case U_EXP: unaryLoop<Exp>(x, y, n, k); break;
    case U_TANH: unaryLoop<Tanh>(x, y, n, k); break;
    case U_SIGMOID: unaryLoop<Sigmoid>(x, y, n, k); break;
    case U_RELU: unaryLoop<Relu>(x, y, n, k); break;
    case U_NEG: unaryLoop<Neg>(x, y, n, k); break;
    case U_ABS: unaryLoop<Abs>(x, y, n, k); break;
    case U_SQUARE: unaryLoop<Square>(x, y, n, k); break;
    default: unaryLoop<Sqrt>(x, y, n, k); break;
  }
}

// @ts-ignore: decorator
@inline function binaryLoop<O>(a: usize, b: usize, y: usize, n: i32): void {
  const op = changetype<O>(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const r0 = op.f(v128.load(a + o), v128.load(b + o));
    const r1 = op.f(v128.load(a + o, 16), v128.load(b + o, 16));
    v128.store(y + o, r0);
    v128.store(y + o, r1, 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, op.f(v128.load(a + o), v128.load(b + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storeTail(y + o, op.f(loadTail(a + o, n - i), loadTail(b + o, n - i)), n - i);
  }
}

/** y[i] = a[i] op b[i] for i < n. */
export function binary_f32(op: i32, a: usize, b: usize, y: usize, n: i32): void {
  switch (op) {
    case B_ADD: binaryLoop<Add>(a, b, y, n); break;
    case B_SUB: binaryLoop<Sub>(a, b, y, n); break;
    case B_MUL: binaryLoop<Mul>(a, b, y, n); break;
    case B_DIV: binaryLoop<Div>(a, b, y, n); break;
    case B_MAXIMUM: binaryLoop<Max>(a, b, y, n); break;
    case B_MINIMUM: binaryLoop<Min>(a, b, y, n); break;
    case B_EQUAL: binaryLoop<Eq>(a, b, y, n); break;
    case B_NOT_EQUAL: binaryLoop<Ne>(a, b, y, n); break;
    case B_GREATER: binaryLoop<Gt>(a, b, y, n); break;
    case B_GREATER_EQUAL: binaryLoop<Ge>(a, b, y, n); break;
    case B_LESSER: binaryLoop<Lt>(a, b, y, n); break;
    default: binaryLoop<Le>(a, b, y, n); break;
  }
}

// @ts-ignore: decorator
@inline function scalarLoop<O>(x: usize, s: f32, y: usize, n: i32): void {
  const op = changetype<O>(0);
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const v0 = v128.load(x + o), v1 = v128.load(x + o, 16);
    v128.store(y + o, op.f(v0, sv));
    v128.store(y + o, op.f(v1, sv), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, op.f(v128.load(x + o), sv));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storeTail(y + o, op.f(loadTail(x + o, n - i), sv), n - i);
  }
}

// @ts-ignore: decorator
@inline function scalarOp<O>(x: usize, s: f32, y: usize, n: i32, rev: i32): void {
  if (rev != 0) scalarLoop<Rev<O>>(x, s, y, n);
  else scalarLoop<O>(x, s, y, n);
}

/** y[i] = x[i] op s (rev = 0) or s op x[i] (rev != 0), with s a float32. */
export function binary_scalar_f32(op: i32, x: usize, s: f32, y: usize, n: i32, rev: i32): void {
  switch (op) {
    case B_ADD: scalarOp<Add>(x, s, y, n, rev); break;
    case B_SUB: scalarOp<Sub>(x, s, y, n, rev); break;
    case B_MUL: scalarOp<Mul>(x, s, y, n, rev); break;
    case B_DIV: scalarOp<Div>(x, s, y, n, rev); break;
    case B_MAXIMUM: scalarOp<Max>(x, s, y, n, rev); break;
    case B_MINIMUM: scalarOp<Min>(x, s, y, n, rev); break;
    case B_EQUAL: scalarOp<Eq>(x, s, y, n, rev); break;
    case B_NOT_EQUAL: scalarOp<Ne>(x, s, y, n, rev); break;
    case B_GREATER: scalarOp<Gt>(x, s, y, n, rev); break;
    case B_GREATER_EQUAL: scalarOp<Ge>(x, s, y, n, rev); break;
    case B_LESSER: scalarOp<Lt>(x, s, y, n, rev); break;
    default: scalarOp<Le>(x, s, y, n, rev); break;
  }
}

// @ts-ignore: decorator
@inline function scalar64Loop<O>(x: usize, s: f64, y: usize, n: i32): void {
  const op = changetype<O>(0);
  const sv = f64x2.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const lo = op.d(f64x2.promote_low_f32x4(v), sv);
    const hi = op.d(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3)), sv);
    v128.store(y + o, i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const r = op.d(f64x2.splat(<f64>load<f32>(x + o)), sv);
    store<f32>(y + o, <f32>f64x2.extract_lane(r, 0));
  }
}

// @ts-ignore: decorator
@inline function scalar64Op<O>(x: usize, s: f64, y: usize, n: i32, rev: i32): void {
  if (rev != 0) scalar64Loop<Rev<O>>(x, s, y, n);
  else scalar64Loop<O>(x, s, y, n);
}

/**
 * As binary_scalar_f32 for a scalar that float32 cannot hold exactly (0.1, 1/3): the arithmetic
 * runs in float64 and rounds once, as the reference kernel does.
 */
export function binary_scalar_f64(op: i32, x: usize, s: f64, y: usize, n: i32, rev: i32): void {
  switch (op) {
    case B_ADD: scalar64Op<Add>(x, s, y, n, rev); break;
    case B_SUB: scalar64Op<Sub>(x, s, y, n, rev); break;
    case B_MUL: scalar64Op<Mul>(x, s, y, n, rev); break;
    case B_DIV: scalar64Op<Div>(x, s, y, n, rev); break;
    case B_MAXIMUM: scalar64Op<Max>(x, s, y, n, rev); break;
    case B_MINIMUM: scalar64Op<Min>(x, s, y, n, rev); break;
    case B_EQUAL: scalar64Op<Eq>(x, s, y, n, rev); break;
    case B_NOT_EQUAL: scalar64Op<Ne>(x, s, y, n, rev); break;
    case B_GREATER: scalar64Op<Gt>(x, s, y, n, rev); break;
    case B_GREATER_EQUAL: scalar64Op<Ge>(x, s, y, n, rev); break;
    case B_LESSER: scalar64Op<Lt>(x, s, y, n, rev); break;
    default: scalar64Op<Le>(x, s, y, n, rev); break;
  }
}

// @ts-ignore: decorator
@inline function bcastRows<O>(full: usize, vec: usize, y: usize, rows: i32, cols: i32, mode: i32): void {
  const rowB = <usize>cols << 2;
  if (mode == 0) for (let r = 0; r < rows; r++) binaryLoop<O>(full + <usize>r * rowB, vec, y + <usize>r * rowB, cols);
  else if (mode == 1) for (let r = 0; r < rows; r++) binaryLoop<Rev<O>>(full + <usize>r * rowB, vec, y + <usize>r * rowB, cols);
  else if (mode == 2) for (let r = 0; r < rows; r++) scalarLoop<O>(full + <usize>r * rowB, load<f32>(vec + (<usize>r << 2)), y + <usize>r * rowB, cols);
  else for (let r = 0; r < rows; r++) scalarLoop<Rev<O>>(full + <usize>r * rowB, load<f32>(vec + (<usize>r << 2)), y + <usize>r * rowB, cols);
}

/**
 * Broadcast binary op over a [rows, cols] row-major `full` operand and a vector `vec`:
 * mode 0: y = full op vec[col]; 1: y = vec[col] op full; 2: y = full op vec[row]; 3: y = vec[row] op full.
 */
export function binary_bcast_f32(op: i32, full: usize, vec: usize, y: usize, rows: i32, cols: i32, mode: i32): void {
  switch (op) {
    case B_ADD: bcastRows<Add>(full, vec, y, rows, cols, mode); break;
    case B_SUB: bcastRows<Sub>(full, vec, y, rows, cols, mode); break;
    case B_MUL: bcastRows<Mul>(full, vec, y, rows, cols, mode); break;
    case B_DIV: bcastRows<Div>(full, vec, y, rows, cols, mode); break;
    case B_MAXIMUM: bcastRows<Max>(full, vec, y, rows, cols, mode); break;
    case B_MINIMUM: bcastRows<Min>(full, vec, y, rows, cols, mode); break;
    case B_EQUAL: bcastRows<Eq>(full, vec, y, rows, cols, mode); break;
    case B_NOT_EQUAL: bcastRows<Ne>(full, vec, y, rows, cols, mode); break;
    case B_GREATER: bcastRows<Gt>(full, vec, y, rows, cols, mode); break;
    case B_GREATER_EQUAL: bcastRows<Ge>(full, vec, y, rows, cols, mode); break;
    case B_LESSER: bcastRows<Lt>(full, vec, y, rows, cols, mode); break;
    default: bcastRows<Le>(full, vec, y, rows, cols, mode); break;
  }
}

/**
 * The gradient of a unary op from its output, fused into one pass: sigmoid g·y·(1 − y), tanh
 * g·(1 − y²) (the three kernels and two temporaries of the composed rule, in one).
 */
export function unary_grad_f32(op: i32, g: usize, y: usize, out: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  if (op == U_SIGMOID) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const yv = v128.load(y + o);
      v128.store(out + o, f32x4.mul(v128.load(g + o), f32x4.mul(yv, f32x4.sub(one, yv))));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const yv = load<f32>(y + o);
      store<f32>(out + o, load<f32>(g + o) * (yv * (1 - yv)));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const yv = v128.load(y + o);
      v128.store(out + o, f32x4.mul(v128.load(g + o), f32x4.sub(one, f32x4.mul(yv, yv))));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const yv = load<f32>(y + o);
      store<f32>(out + o, load<f32>(g + o) * (1 - yv * yv));
    }
  }
}
