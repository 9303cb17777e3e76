// AssemblyScript (not TypeScript): shared SIMD helpers for the d2l-ts CPU kernels.
// Compiled twice by scripts/build-wasm.mjs: once with plain SIMD and once with relaxed SIMD, where
// ASC_FEATURE_RELAXED_SIMD is true and madd becomes a fused multiply-add.

/** a * b + c, fused when the relaxed-SIMD build runs on hardware with FMA. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Loads the first r (1..3) floats at p into a vector, zero in the other lanes. */
// @ts-ignore: decorator
@inline export function loadTail(p: usize, r: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (r > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (r > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores the first r (1..3) lanes of v at p. */
// @ts-ignore: decorator
@inline export function storeTail(p: usize, v: v128, r: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (r > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (r > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

// Constant table. V8 rebuilds every v128.const inside a loop (3 instructions each), so the
// transcendental kernels read their constants from this table instead (one broadcast load each).
// The TS side allocates constants_bytes() once and fills it with write_constants().
const K_EXP_MAX = 0, K_EXP_MIN = 4, K_LOG2E = 8, K_MAGIC = 12, K_LN2_HI = 16, K_LN2_LO = 20;
const K_P0 = 24, K_P1 = 28, K_P2 = 32, K_P3 = 36, K_P4 = 40, K_P5 = 44, K_ONE = 48, K_BIAS = 52;
const K_T11 = 56, K_T9 = 60, K_T7 = 64, K_T5 = 68, K_T3 = 72, K_TSMALL = 76, K_MINUS2 = 80, K_SIGN = 84;
const CONSTANTS_BYTES: i32 = 128;

/** Bytes of the constant table. */
export function constants_bytes(): i32 {
  return CONSTANTS_BYTES;
}

/** Writes the constant table at p (CONSTANTS_BYTES bytes). */
export function write_constants(p: usize): void {
  store<f32>(p + K_EXP_MAX, 88.8);
  store<f32>(p + K_EXP_MIN, -104.0);
  store<f32>(p + K_LOG2E, 1.44269504088896341);
  store<f32>(p + K_MAGIC, 12582912.0); // 1.5 * 2^23
  store<f32>(p + K_LN2_HI, 0.693359375);
  store<f32>(p + K_LN2_LO, -2.12194440e-4);
  // Cephes expf minimax coefficients for e^r on [-ln2/2, ln2/2]
  store<f32>(p + K_P0, 1.9875691500e-4);
  store<f32>(p + K_P1, 1.3981999507e-3);
  store<f32>(p + K_P2, 8.3334519073e-3);
  store<f32>(p + K_P3, 4.1665795894e-2);
  store<f32>(p + K_P4, 1.6666665459e-1);
  store<f32>(p + K_P5, 5.0000001201e-1);
  store<f32>(p + K_ONE, 1.0);
  store<i32>(p + K_BIAS, 127);
  // tanh Taylor coefficients -1382/155925, 62/2835, -17/315, 2/15, -1/3
  store<f32>(p + K_T11, -0.0088632355);
  store<f32>(p + K_T9, 0.021869488);
  store<f32>(p + K_T7, -0.053968254);
  store<f32>(p + K_T5, 0.13333334);
  store<f32>(p + K_T3, -0.33333334);
  store<f32>(p + K_TSMALL, 0.4);
  store<f32>(p + K_MINUS2, -2.0);
  store<i32>(p + K_SIGN, -2147483648);
}

/**
 * e^x for 4 floats. x = n ln2 + r with |r| <= ln2/2: n is rounded by the 1.5 * 2^23 "magic
 * number" addition (its integer value then sits in the low mantissa bits, so neither
 * f32x4.nearest nor the costly saturating conversion is needed), r by a Cody-Waite split of ln2,
 * e^r by a degree-7 minimax polynomial (the Cephes expf coefficients), and 2^n applied as two
 * exponent-field scalings so results that underflow into subnormals are still produced. Max error
 * 2 ulp (measured in test/backend/wasm-kernels.test.ts). Overflow gives +Inf, underflow 0, NaN
 * stays NaN (pmin/pmax pass a NaN first operand through). k: the constant table.
 */
// @ts-ignore: decorator
@inline export function vexp(x: v128, k: usize): v128 {
  x = f32x4.pmin(x, v128.load32_splat(k, K_EXP_MAX));
  x = f32x4.pmax(x, v128.load32_splat(k, K_EXP_MIN));
  const magic = v128.load32_splat(k, K_MAGIC);
  const t = madd(x, v128.load32_splat(k, K_LOG2E), magic);
  const nf = f32x4.sub(t, magic);
  let r = f32x4.sub(x, f32x4.mul(nf, v128.load32_splat(k, K_LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(nf, v128.load32_splat(k, K_LN2_LO)));
  let p = v128.load32_splat(k, K_P0);
  p = madd(p, r, v128.load32_splat(k, K_P1));
  p = madd(p, r, v128.load32_splat(k, K_P2));
  p = madd(p, r, v128.load32_splat(k, K_P3));
  p = madd(p, r, v128.load32_splat(k, K_P4));
  p = madd(p, r, v128.load32_splat(k, K_P5));
  p = madd(f32x4.mul(p, r), r, f32x4.add(r, v128.load32_splat(k, K_ONE)));
  // 2^n = 2^n1 * 2^n2 with n1 = n >> 1, each a normal float for n in [-150, 128]
  const n = i32x4.sub(t, magic);
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const bias = v128.load32_splat(k, K_BIAS);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** tanh: an odd Taylor polynomial below |x| = 0.4, (1 - e^-2|x|) / (1 + e^-2|x|) above, sign restored. */
// @ts-ignore: decorator
@inline export function vtanh(x: v128, k: usize): v128 {
  const ax = f32x4.abs(x);
  const t = vexp(f32x4.mul(ax, v128.load32_splat(k, K_MINUS2)), k);
  const one = v128.load32_splat(k, K_ONE);
  const big = f32x4.div(f32x4.sub(one, t), f32x4.add(one, t));
  const x2 = f32x4.mul(ax, ax);
  let p = v128.load32_splat(k, K_T11);
  p = madd(p, x2, v128.load32_splat(k, K_T9));
  p = madd(p, x2, v128.load32_splat(k, K_T7));
  p = madd(p, x2, v128.load32_splat(k, K_T5));
  p = madd(p, x2, v128.load32_splat(k, K_T3));
  const small = madd(f32x4.mul(p, x2), ax, ax);
  const y = v128.bitselect(small, big, f32x4.lt(ax, v128.load32_splat(k, K_TSMALL)));
  // copy the sign of x (NaN stays NaN: both branches are NaN)
  return v128.or(y, v128.and(x, v128.load32_splat(k, K_SIGN)));
}

/** sigmoid(x) = 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, so neither side overflows. */
// @ts-ignore: decorator
@inline export function vsigmoid(x: v128, k: usize): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(x)), k);
  const pos = f32x4.div(v128.load32_splat(k, K_ONE), f32x4.add(v128.load32_splat(k, K_ONE), e));
  const neg = f32x4.mul(e, pos);
  return v128.bitselect(neg, pos, f32x4.lt(x, f32x4.splat(0)));
}
