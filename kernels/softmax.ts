// AssemblyScript (not TypeScript): fused softmax cross-entropy over the rows of a contiguous
// float32 [rows, C] matrix, forward and backward. One pass finds the row maximum, one computes
// e = exp(x - max) with the SIMD exp (kept as the softmax when asked), summing in float64 as the
// reference kernel does; the loss is log(sum) - (x[label] - max). Labels are int32 or float32
// (validated on the TS side). The TS side splits rows over the worker threads.
import { vexp } from './simd';

/**
 * ln(z) for a finite z > 0 in float64, without AssemblyScript's table-driven Math.log (the kernel
 * modules must have no data section): z = 2^e · f with f in [√½, √2), then
 * ln f = 2·atanh(s), s = (f - 1)/(f + 1), |s| < 0.172, by its series to s^21 (error < 1e-16).
 */
function logF64(z: f64): f64 {
  if (!(z > 0) || !isFinite(z)) return z == 0 ? -Infinity : z > 0 ? z : NaN;
  let bits = reinterpret<u64>(z);
  let e = <i32>((bits >> 52) & 0x7ff);
  if (e == 0) {
    // subnormal: scale into the normal range first
    bits = reinterpret<u64>(z * 18014398509481984.0); // 2^54
    e = <i32>((bits >> 52) & 0x7ff) - 54;
  }
  let f = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000); // [1, 2)
  let k = e - 1023;
  if (f > 1.4142135623730951) {
    f *= 0.5;
    k++;
  }
  const s = (f - 1) / (f + 1);
  const s2 = s * s;
  const series = 1 + s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 * (1.0 / 11 + s2 * (1.0 / 13 + s2 * (1.0 / 15 + s2 * (1.0 / 17 + s2 * (1.0 / 19 + s2 * (1.0 / 21))))))))));
  return <f64>k * 0.6931471805599453 + 2 * s * series;
}

// @ts-ignore: decorator
@inline function labelAt(labels: usize, labelF32: i32, r: i32): i32 {
  const p = labels + (<usize>r << 2);
  return labelF32 != 0 ? <i32>load<f32>(p) : load<i32>(p);
}

/** The row's maximum; NaN when the row has a NaN (so its loss is NaN, as in the reference). */
// @ts-ignore: decorator
@inline function rowMax(x: usize, C: i32): f32 {
  let j = 0;
  let m: f32 = -Infinity;
  if (C >= 4) {
    let mv = v128.load(x);
    for (j = 4; j + 4 <= C; j += 4) mv = f32x4.max(mv, v128.load(x + (<usize>j << 2)));
    m = Mathf.max(Mathf.max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), Mathf.max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  }
  for (; j < C; j++) m = Mathf.max(m, load<f32>(x + (<usize>j << 2)));
  return m;
}

/** Σ exp(x[j] - m) over the row in float64, writing exp(x[j] - m) to e when e != 0. */
// @ts-ignore: decorator
@inline function rowExpSum(x: usize, e: usize, C: i32, m: f32, k: usize): f64 {
  const mv = f32x4.splat(m);
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= C; j += 4) {
    const o = <usize>j << 2;
    const v = vexp(f32x4.sub(v128.load(x + o), mv), k);
    if (e != 0) v128.store(e + o, v);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
  }
  let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1) + f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
  if (j < C) {
    // the last 1-3 elements through the same SIMD exp, one lane each
    for (; j < C; j++) {
      const o = <usize>j << 2;
      const v = f32x4.extract_lane(vexp(f32x4.splat(load<f32>(x + o) - m), k), 0);
      if (e != 0) store<f32>(e + o, v);
      s += <f64>v;
    }
  }
  return s;
}

/**
 * loss[r] = log Σ_j exp(x[r, j]) - x[r, label[r]] for rows r0..r1 (row-major, C columns), and the
 * softmax into prob when prob != 0.
 */
export function softmax_ce_f32(x: usize, labels: usize, labelF32: i32, loss: usize, prob: usize, r0: i32, r1: i32, C: i32, k: usize): void {
  const rowB = <usize>C << 2;
  for (let r = r0; r < r1; r++) {
    const xr = x + <usize>r * rowB;
    const m = rowMax(xr, C);
    const pr = prob != 0 ? prob + <usize>r * rowB : 0;
    const z = rowExpSum(xr, pr, C, m, k);
    const lab = labelAt(labels, labelF32, r);
    const xl = <f64>load<f32>(xr + (<usize>lab << 2));
    store<f32>(loss + (<usize>r << 2), <f32>(logF64(z) - (xl - <f64>m)));
    if (pr != 0) {
      const inv = f32x4.splat(<f32>(1.0 / z));
      let j = 0;
      for (; j + 4 <= C; j += 4) {
        const o = <usize>j << 2;
        v128.store(pr + o, f32x4.mul(v128.load(pr + o), inv));
      }
      for (; j < C; j++) {
        const o = <usize>j << 2;
        store<f32>(pr + o, <f32>(<f64>load<f32>(pr + o) / z));
      }
    }
  }
}

/** out[r, j] = prob[r, j] * g[r] - (j == label[r] ? g[r] : 0) for rows r0..r1. */
export function softmax_ce_grad_f32(prob: usize, labels: usize, labelF32: i32, g: usize, out: usize, r0: i32, r1: i32, C: i32): void {
  const rowB = <usize>C << 2;
  for (let r = r0; r < r1; r++) {
    const pr = prob + <usize>r * rowB;
    const or = out + <usize>r * rowB;
    const gr = load<f32>(g + (<usize>r << 2));
    const gv = f32x4.splat(gr);
    let j = 0;
    for (; j + 4 <= C; j += 4) {
      const o = <usize>j << 2;
      v128.store(or + o, f32x4.mul(v128.load(pr + o), gv));
    }
    for (; j < C; j++) {
      const o = <usize>j << 2;
      store<f32>(or + o, load<f32>(pr + o) * gr);
    }
    const lo = or + (<usize>labelAt(labels, labelF32, r) << 2);
    store<f32>(lo, load<f32>(lo) - gr);
  }
}
