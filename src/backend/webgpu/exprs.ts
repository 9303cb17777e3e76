// The GPU's expression table: each unary and binary op as WGSL, with the dtype rules of loads
// and stores (the CPU's twin is src/backend/cpu/exprs.ts).
import type { DType } from '../../core/dtype.js';
import { DTypeError } from '../../core/errors.js';
import type { BinaryOp, UnaryOp } from '../backend.js';

/**
 * WGSL building blocks shared by every generated kernel: element types per dtype, conversions
 * that follow the CPU reference's store rules (typed-array conversion: ToInt32 wraps, uint8 keeps
 * the low byte, bool is `value !== 0`), and the expression tables that mirror
 * src/backend/cpu/exprs.ts op for op.
 */

/** How a dtype's elements sit in a GPU buffer: 4 bytes each; uint8/bool are widened to u32. */
export type StoreType = 'f32' | 'i32' | 'u32';
/** The arithmetic type a kernel computes in. */
export type ComputeType = 'f32' | 'i32';

export function storeType(d: DType): StoreType {
  switch (d) {
    case 'float32':
      return 'f32';
    case 'int32':
      return 'i32';
    case 'uint8':
    case 'bool':
      return 'u32';
    default:
      throw new DTypeError(`webgpu: the WebGPU backend cannot store ${d} arrays (WGSL has no 64-bit floats); use float32`);
  }
}

export function isFloatD(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

/** f32 when anything involved is floating point (as the CPU computes in doubles), else i32. */
export function computeTypeOf(dtypes: readonly DType[]): ComputeType {
  return dtypes.some(isFloatD) ? 'f32' : 'i32';
}

/** The natural compute type of one dtype. */
export function naturalType(d: DType): ComputeType {
  return isFloatD(d) ? 'f32' : 'i32';
}

/** `e`, an element read from a buffer of dtype `d`, as compute type `ct`. */
export function loadConv(d: DType, ct: ComputeType, e: string): string {
  const st = storeType(d);
  if (st === 'f32') return ct === 'f32' ? e : `f2i(${e})`;
  if (st === 'i32') return ct === 'i32' ? e : `f32(${e})`;
  return ct === 'f32' ? `f32(${e})` : `i32(${e})`;
}

/** `e` of compute type `ct` converted to what a buffer of dtype `d` stores. */
export function storeConv(d: DType, ct: ComputeType, e: string): string {
  switch (d) {
    case 'float32':
      return ct === 'f32' ? e : `f32(${e})`;
    case 'int32':
      return ct === 'i32' ? e : `f2i(${e})`;
    case 'uint8':
      return ct === 'i32' ? `(bitcast<u32>(${e}) & 255u)` : `(bitcast<u32>(f2i(${e})) & 255u)`;
    case 'bool':
      return ct === 'i32' ? `select(0u, 1u, (${e}) != 0)` : `select(0u, 1u, f_nz(${e}))`;
    default:
      throw new DTypeError(`webgpu: the WebGPU backend cannot store ${d} arrays`);
  }
}

/** Whether `e` of compute type `ct` is non-zero (NaN counts as non-zero, as `x !== 0` in JS). */
export function nonZero(ct: ComputeType, e: string): string {
  return ct === 'f32' ? `f_nz(${e})` : `((${e}) != 0)`;
}

/** The raw 32-bit pattern a scalar takes in a buffer of dtype `d` (for fill and one-hot values). */
export function scalarBits(d: DType, v: number): number {
  switch (d) {
    case 'float32':
      return new Uint32Array(new Float32Array([v]).buffer)[0];
    case 'int32':
      return (v | 0) >>> 0;
    case 'uint8':
      return new Uint8Array([v])[0];
    case 'bool':
      return v !== 0 ? 1 : 0;
    default:
      throw new DTypeError(`webgpu: the WebGPU backend cannot store ${d} arrays`);
  }
}

/** A scalar operand as the 32-bit pattern of compute type `ct`. */
export function computeScalarBits(ct: ComputeType, v: number): number {
  return ct === 'f32' ? new Uint32Array(new Float32Array([v]).buffer)[0] : (v | 0) >>> 0;
}

/**
 * Helper functions every kernel may call. NaN/Inf are made at run time from bit patterns (WGSL
 * rejects them in constant expressions) and tested on bits, so no compiler fast-math assumption
 * changes the CPU reference's NaN rules.
 */
export const PRELUDE = /* wgsl */ `
fn f_inf() -> f32 { var u = 0x7f800000u; return bitcast<f32>(u); }
fn f_nan() -> f32 { var u = 0x7fc00000u; return bitcast<f32>(u); }
fn f_isnan(a: f32) -> bool { return (bitcast<u32>(a) & 0x7fffffffu) > 0x7f800000u; }
fn f_isinf(a: f32) -> bool { return (bitcast<u32>(a) & 0x7fffffffu) == 0x7f800000u; }
fn f_nz(a: f32) -> bool { return (bitcast<u32>(a) & 0x7fffffffu) != 0u; }
fn i_min() -> i32 { var u = 0x80000000u; return bitcast<i32>(u); }
fn f2i(v: f32) -> i32 {
  if (abs(v) < 2147483648.0) { return i32(v); }
  if (f_isnan(v) || f_isinf(v)) { return 0; }
  let t = trunc(v);
  let m = t - floor(t / 4294967296.0) * 4294967296.0;
  return bitcast<i32>(u32(m));
}
fn f_sign(a: f32) -> f32 { if (a > 0.0) { return 1.0; } if (a < 0.0) { return -1.0; } return a; }
fn f_exp(a: f32) -> f32 {
  if (f_isnan(a)) { return a; }
  if (a > 88.72284) { return f_inf(); }
  if (a < -103.97208) { return 0.0; }
  return exp(a);
}
fn f_log(a: f32) -> f32 {
  if (f_isnan(a) || a < 0.0) { return f_nan(); }
  if (a == 0.0) { return -f_inf(); }
  if (f_isinf(a)) { return a; }
  return log(a);
}
fn f_sqrt(a: f32) -> f32 {
  if (f_isnan(a) || a < 0.0) { return f_nan(); }
  if (f_isinf(a) || a == 0.0) { return a; }
  return sqrt(a);
}
fn f_sin(a: f32) -> f32 { if (f_isnan(a) || f_isinf(a)) { return f_nan(); } return sin(a); }
fn f_cos(a: f32) -> f32 { if (f_isnan(a) || f_isinf(a)) { return f_nan(); } return cos(a); }
fn f_expm1(a: f32) -> f32 {
  if (f_isnan(a)) { return a; }
  if (abs(a) > 0.5) { return f_exp(a) - 1.0; }
  let u = exp(a);
  if (u == 1.0) { return a; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  return um1 * a / log(u);
}
fn f_log1p(a: f32) -> f32 {
  if (f_isnan(a)) { return a; }
  if (abs(a) > 0.5) { return f_log(1.0 + a); }
  let u = 1.0 + a;
  if (u == 1.0) { return a; }
  return log(u) * a / (u - 1.0);
}
fn f_tanh(a: f32) -> f32 {
  if (f_isnan(a)) { return a; }
  let x = min(abs(a), 20.0);
  let e = f_expm1(2.0 * x);
  let t = e / (e + 2.0);
  if (a < 0.0) { return -t; }
  if (a == 0.0) { return a; }
  return t;
}
fn f_sigmoid(a: f32) -> f32 { return 1.0 / (1.0 + f_exp(-a)); }
fn f_round(a: f32) -> f32 {
  let t = trunc(a);
  if (abs(a - t) >= 0.5) { return t + f_sign(a); }
  return t;
}
fn f_max(a: f32, b: f32) -> f32 { return select(b, a, a > b || f_isnan(a)); }
fn f_min(a: f32, b: f32) -> f32 { return select(b, a, a < b || f_isnan(a)); }
fn f_fmod(x: f32, y: f32) -> f32 {
  if (f_isnan(x) || f_isnan(y) || f_isinf(x) || y == 0.0) { return f_nan(); }
  if (f_isinf(y) || x == 0.0) { return x; }
  let ay = abs(y);
  var r = fma(-y, trunc(x / y), x);
  if (r != 0.0 && ((r < 0.0) != (x < 0.0))) { r = r + select(-ay, ay, x >= 0.0); }
  if (abs(r) >= ay) { r = r - select(-ay, ay, x >= 0.0); }
  return r;
}
fn f_mod(a: f32, b: f32) -> f32 { return f_fmod(f_fmod(a, b) + b, b); }
fn f_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (f_isnan(a) || f_isnan(b)) { return f_nan(); }
  let ab = abs(a);
  if (f_isinf(b)) {
    if (ab == 1.0) { return f_nan(); }
    if ((ab > 1.0) == (b > 0.0)) { return f_inf(); }
    return 0.0;
  }
  let bi = trunc(b) == b;
  if (a < 0.0 && !bi) { return f_nan(); }
  let neg = (bitcast<u32>(a) & 0x80000000u) != 0u;
  let odd = bi && abs(b) < 16777216.0 && (i32(b) & 1) != 0;
  var r: f32;
  if (ab == 0.0) {
    r = select(f_inf(), 0.0, b > 0.0);
  } else if (f_isinf(a)) {
    r = select(0.0, f_inf(), b > 0.0);
  } else if (bi && abs(b) <= 64.0) {
    var e = u32(abs(b));
    var base = ab;
    r = 1.0;
    loop {
      if (e == 0u) { break; }
      if ((e & 1u) != 0u) { r = r * base; }
      base = base * base;
      e = e >> 1u;
    }
    if (b < 0.0) { r = 1.0 / r; }
  } else {
    r = exp2(b * log2(ab));
  }
  if (odd && neg) { r = -r; }
  return r;
}
fn i_div(a: i32, b: i32) -> i32 { if (b == 0) { return 0; } return a / b; }
fn i_mod(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) { return r + b; }
  return r;
}
fn i_pow(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var r = 1;
  var base = a;
  var e = b;
  loop {
    if (e == 0) { break; }
    if ((e & 1) != 0) { r = r * base; }
    base = base * base;
    e = e >> 1u;
  }
  return r;
}
`;

/** Unary ops computed in f32 (the CPU's `UNARY_EXPR`, op for op). */
export const UNARY_F32: Record<UnaryOp, string> = {
  neg: '(-a)',
  abs: 'abs(a)',
  sign: 'f_sign(a)',
  exp: 'f_exp(a)',
  log: 'f_log(a)',
  sqrt: 'f_sqrt(a)',
  square: '(a * a)',
  sin: 'f_sin(a)',
  cos: 'f_cos(a)',
  tanh: 'f_tanh(a)',
  sigmoid: 'f_sigmoid(a)',
  relu: 'select(0.0, a, a > 0.0 || f_isnan(a))',
  floor: 'floor(a)',
  ceil: 'ceil(a)',
  round: 'f_round(a)',
  reciprocal: '(1.0 / a)',
  log1p: 'f_log1p(a)',
  expm1: 'f_expm1(a)',
  logicalNot: 'select(0.0, 1.0, a == 0.0)',
  isnan: 'select(0.0, 1.0, f_isnan(a))',
  isinf: 'select(0.0, 1.0, f_isinf(a))',
};

/** Unary ops on integers (the op layer sends float-result ops to f32; the rest stay exact). */
export const UNARY_I32: Record<UnaryOp, string> = {
  ...(Object.fromEntries(Object.entries(UNARY_F32).map(([k, e]) => [k, `f2i(${e.replace(/\ba\b/g, 'f32(a)')})`])) as Record<
    UnaryOp,
    string
  >),
  neg: '(-a)',
  abs: 'abs(a)',
  sign: 'sign(a)',
  square: '(a * a)',
  relu: 'max(a, 0)',
  floor: 'a',
  ceil: 'a',
  round: 'a',
  logicalNot: 'select(0, 1, a == 0)',
  isnan: '0',
  isinf: '0',
};

export const BINARY_F32: Record<BinaryOp, string> = {
  add: '(a + b)',
  sub: '(a - b)',
  mul: '(a * b)',
  div: '(a / b)',
  pow: 'f_pow(a, b)',
  maximum: 'f_max(a, b)',
  minimum: 'f_min(a, b)',
  mod: 'f_mod(a, b)',
  equal: 'select(0.0, 1.0, a == b)',
  notEqual: 'select(1.0, 0.0, a == b)',
  greater: 'select(0.0, 1.0, a > b)',
  greaterEqual: 'select(0.0, 1.0, a >= b)',
  lesser: 'select(0.0, 1.0, a < b)',
  lesserEqual: 'select(0.0, 1.0, a <= b)',
};

export const BINARY_I32: Record<BinaryOp, string> = {
  add: '(a + b)',
  sub: '(a - b)',
  mul: '(a * b)',
  div: 'i_div(a, b)',
  pow: 'i_pow(a, b)',
  maximum: 'max(a, b)',
  minimum: 'min(a, b)',
  mod: 'i_mod(a, b)',
  equal: 'select(0, 1, a == b)',
  notEqual: 'select(1, 0, a == b)',
  greater: 'select(0, 1, a > b)',
  greaterEqual: 'select(0, 1, a >= b)',
  lesser: 'select(0, 1, a < b)',
  lesserEqual: 'select(0, 1, a <= b)',
};

/** The uniform block every kernel reads its shapes, strides and offsets from (64 words). */
export const META_WORDS = 64;
export const META_DECL = /* wgsl */ `
struct Meta { v: array<vec4<u32>, ${META_WORDS / 4}> };
@group(0) @binding(0) var<uniform> M: Meta;
fn mu(i: u32) -> u32 { return M.v[i >> 2u][i & 3u]; }
fn mi(i: u32) -> i32 { return bitcast<i32>(mu(i)); }
fn mf(i: u32) -> f32 { return bitcast<f32>(mu(i)); }
`;

/** The linear invocation id of a 1-D launch spread over a 2-D grid (to pass 65535 groups). */
export const LINEAR_ID = 'let gi = gid.x + gid.y * nwg.x * WG;';
export const MAIN_1D = (wg: number) =>
  `@compute @workgroup_size(${wg})\nfn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {\n  let WG = ${wg}u;\n  ${LINEAR_ID}\n`;
