// AssemblyScript (not TypeScript): per-channel broadcasts and reductions over an [outer, mid,
// inner] float32 block, the layout of NCHW arrays against a per-channel vector (outer = N, mid =
// C, inner = H*W): a convolution's bias add and its gradient, batch norm's statistics and scaling.
import { binary_bcast_f32 } from './elementwise';
import { hi2, sumRow } from './reduce';

/**
 * y[o, m, i] = full[o, m, i] op vec[m] (mode 2) or vec[m] op full[o, m, i] (mode 3) for o in
 * [o0, o1): binary_bcast_f32's row-vector modes, once per outer index.
 */
export function binary_bcast_mid_f32(op: i32, full: usize, vec: usize, y: usize, o0: i32, o1: i32, mid: i32, inner: i32, mode: i32): void {
  const blockB = <usize>(mid * inner) << 2;
  for (let o = o0; o < o1; o++) binary_bcast_f32(op, full + <usize>o * blockB, vec, y + <usize>o * blockB, mid, inner, mode);
}

/** out[m] = Σ_o Σ_i x[o, m, i] for m in [m0, m1), accumulated in float64 (as the TS reference). */
export function reduce_mid_sum_f32(x: usize, out: usize, outer: i32, mid: i32, inner: i32, m0: i32, m1: i32): void {
  const blockB = <usize>(mid * inner) << 2;
  const rowB = <usize>inner << 2;
  for (let m = m0; m < m1; m++) {
    let s: f64 = 0;
    for (let o = 0; o < outer; o++) s += sumRow(x + <usize>o * blockB + <usize>m * rowB, inner);
    store<f32>(out + (<usize>m << 2), <f32>s);
  }
}

// ---------------------------------------------------------------- batch norm (training mode)

/** Σ (x[i] − mu)² over n floats at x: the differences and squares in float32 (as the composed op), summed in float64. */
// @ts-ignore: decorator
@inline function sqDevRow(x: usize, n: i32, mu: f32): f64 {
  const m = f32x4.splat(mu);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const d = f32x4.sub(v128.load(x + (<usize>i << 2)), m);
    const q = f32x4.mul(d, d);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(q));
    s1 = f64x2.add(s1, hi2(q));
  }
  const s = f64x2.add(s0, s1);
  let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) {
    const d: f32 = load<f32>(x + (<usize>i << 2)) - mu;
    t += <f64>(d * d);
  }
  return t;
}

/**
 * The mean and biased variance of channel m of an [outer, mid, inner] float32 block, two passes
 * (the variance of the centred values, as the composed op), written to mean[m] and vr[m].
 */
// @ts-ignore: decorator
@inline function channelStats(x: usize, outer: i32, mid: i32, inner: i32, m: i32, mean: usize, vr: usize): void {
  const blockB = <usize>(mid * inner) << 2;
  const base = x + ((<usize>m * <usize>inner) << 2);
  const M = <f64>outer * <f64>inner;
  let s: f64 = 0;
  for (let o = 0; o < outer; o++) s += sumRow(base + <usize>o * blockB, inner);
  const mu = <f32>(s / M);
  let q: f64 = 0;
  for (let o = 0; o < outer; o++) q += sqDevRow(base + <usize>o * blockB, inner, mu);
  store<f32>(mean + (<usize>m << 2), mu);
  store<f32>(vr + (<usize>m << 2), <f32>(q / M));
}

/** 1 / sqrt(var + eps) in float32 steps, as the composed op computes it. */
// @ts-ignore: decorator
@inline function invStd(v: f32, eps: f64): f32 {
  const s: f32 = <f32>Math.sqrt(<f64>(v + <f32>eps));
  return <f32>1 / s;
}

/**
 * Batch norm's forward over channels [m0, m1) of an [outer, mid, inner] float32 block x (NCHW
 * with outer = N, mid = C, inner = H*W): per channel the batch mean and biased variance (written
 * to mean and vr), then y = (x − mean) · (gamma · invstd) + beta in one pass. No intermediate
 * arrays: three passes over x instead of the composed op's ten.
 */
export function bn_fwd_f32(
  x: usize, gamma: usize, beta: usize, y: usize, mean: usize, vr: usize,
  outer: i32, mid: i32, inner: i32, m0: i32, m1: i32, eps: f64,
): void {
  const blockB = <usize>(mid * inner) << 2;
  for (let m = m0; m < m1; m++) {
    channelStats(x, outer, mid, inner, m, mean, vr);
    const mu = load<f32>(mean + (<usize>m << 2));
    const k = load<f32>(gamma + (<usize>m << 2)) * invStd(load<f32>(vr + (<usize>m << 2)), eps);
    const b = load<f32>(beta + (<usize>m << 2));
    const vm = f32x4.splat(mu), vk = f32x4.splat(k), vb = f32x4.splat(b);
    const off = (<usize>m * <usize>inner) << 2;
    for (let o = 0; o < outer; o++) {
      const xs = x + <usize>o * blockB + off;
      const ys = y + <usize>o * blockB + off;
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const p = <usize>i << 2;
        v128.store(ys + p, f32x4.add(f32x4.mul(f32x4.sub(v128.load(xs + p), vm), vk), vb));
      }
      for (; i < inner; i++) {
        const p = <usize>i << 2;
        store<f32>(ys + p, (load<f32>(xs + p) - mu) * k + b);
      }
    }
  }
}

/**
 * Batch norm's gradient over channels [m0, m1): with x̂ = (x − mean) · invstd from the batch
 * statistics (recomputed, as the composed rule does), dbeta = Σ g, dgamma = Σ g · x̂ and
 * dx = (g − dbeta / M − x̂ · dgamma / M) · gamma · invstd, M = outer · inner. Four passes, no
 * intermediate arrays (the statistics pass through channel m's own dgamma and dbeta slots).
 */
export function bn_bwd_f32(
  g: usize, x: usize, gamma: usize, dx: usize, dgamma: usize, dbeta: usize,
  outer: i32, mid: i32, inner: i32, m0: i32, m1: i32, eps: f64,
): void {
  const blockB = <usize>(mid * inner) << 2;
  const M = <f64>outer * <f64>inner;
  for (let m = m0; m < m1; m++) {
    channelStats(x, outer, mid, inner, m, dgamma, dbeta);
    const mu = load<f32>(dgamma + (<usize>m << 2));
    const inv = invStd(load<f32>(dbeta + (<usize>m << 2)), eps);
    const vm = f32x4.splat(mu), vi = f32x4.splat(inv);
    const off = (<usize>m * <usize>inner) << 2;
    let sg: f64 = 0, sgx: f64 = 0;
    for (let o = 0; o < outer; o++) {
      const xs = x + <usize>o * blockB + off;
      const gs = g + <usize>o * blockB + off;
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0), b0 = f64x2.splat(0), b1 = f64x2.splat(0);
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const p = <usize>i << 2;
        const gv = v128.load(gs + p);
        const gx = f32x4.mul(gv, f32x4.mul(f32x4.sub(v128.load(xs + p), vm), vi));
        a0 = f64x2.add(a0, f64x2.promote_low_f32x4(gv));
        a1 = f64x2.add(a1, hi2(gv));
        b0 = f64x2.add(b0, f64x2.promote_low_f32x4(gx));
        b1 = f64x2.add(b1, hi2(gx));
      }
      const a = f64x2.add(a0, a1), b = f64x2.add(b0, b1);
      sg += f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
      sgx += f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1);
      for (; i < inner; i++) {
        const p = <usize>i << 2;
        const gv = load<f32>(gs + p);
        sg += <f64>gv;
        sgx += <f64>(gv * ((load<f32>(xs + p) - mu) * inv));
      }
    }
    const db = <f32>sg, dgm = <f32>sgx;
    store<f32>(dbeta + (<usize>m << 2), db);
    store<f32>(dgamma + (<usize>m << 2), dgm);
    const ca = db / <f32>M, cb = dgm / <f32>M;
    const k = load<f32>(gamma + (<usize>m << 2)) * inv;
    const va = f32x4.splat(ca), vb = f32x4.splat(cb), vk = f32x4.splat(k);
    for (let o = 0; o < outer; o++) {
      const xs = x + <usize>o * blockB + off;
      const gs = g + <usize>o * blockB + off;
      const ds = dx + <usize>o * blockB + off;
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const p = <usize>i << 2;
        const xh = f32x4.mul(f32x4.sub(v128.load(xs + p), vm), vi);
        v128.store(ds + p, f32x4.mul(f32x4.sub(f32x4.sub(v128.load(gs + p), va), f32x4.mul(xh, vb)), vk));
      }
      for (; i < inner; i++) {
        const p = <usize>i << 2;
        const xh = (load<f32>(xs + p) - mu) * inv;
        store<f32>(ds + p, (load<f32>(gs + p) - ca - xh * cb) * k);
      }
    }
  }
}
