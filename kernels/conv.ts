// AssemblyScript (not TypeScript): the data movement around convolution as GEMM (im2col, col2im)
// and 2-D pooling, over float32 NCHW blocks in the shared memory. The TS side (src/backend/cpu/
// conv-gemm.ts) multiplies the columns with the GEMM it has (OpenBLAS or kernels/gemm.ts) and
// splits images (or planes) over the worker threads; each call takes a range of them.
//
// The geometry comes in a small i32 descriptor in the heap (more numbers than the worker protocol
// has argument slots), written by the TS side before the call:
//   conv: C, H, W, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW, xImage, colImage
//   pool: H, W, KH, KW, SH, SW, PH, PW, OH, OW, countIncludePad, kind (0 max, 1 avg)
// (xImage / colImage: elements from one image to the next in x and in the columns.)
import { madd } from './simd';

// @ts-ignore: decorator
@inline function d(desc: usize, i: i32): i32 {
  return load<i32>(desc + (<usize>i << 2));
}

/**
 * Copies / zeroes n floats. The rows of a LeNet-sized convolution are 8-24 floats long, where a
 * memory.copy / memory.fill (a call out of the module in V8) costs more than a few vector moves.
 */
// @ts-ignore: decorator
@inline function copyF32(dst: usize, src: usize, n: i32): void {
  if (n >= 64) {
    memory.copy(dst, src, <usize>n << 2);
    return;
  }
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + (<usize>j << 2), v128.load(src + (<usize>j << 2)));
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>j << 2)));
}
// @ts-ignore: decorator
@inline function zeroF32(dst: usize, n: i32): void {
  if (n >= 64) {
    memory.fill(dst, 0, <usize>n << 2);
    return;
  }
  const z = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + (<usize>j << 2), z);
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), 0);
}

/** The output columns [lo, hi) whose input column ow*S - P + k*D lies in [0, W). */
// @ts-ignore: decorator
@inline function validLo(S: i32, P: i32, off: i32): i32 {
  // smallest ow >= 0 with ow*S >= P - off
  const need = P - off;
  return need <= 0 ? 0 : (need + S - 1) / S;
}
// @ts-ignore: decorator
@inline function validHi(W: i32, S: i32, P: i32, off: i32, OW: i32): i32 {
  // one past the largest ow with ow*S - P + off <= W - 1
  const lim = W - 1 + P - off;
  if (lim < 0) return 0;
  return min(OW, lim / S + 1);
}

/**
 * Columns of images [n0, n1): col[n][(c*KH + kh)*KW + kw][oh*OW + ow] = x[n][c][oh*SH - PH + kh*DH]
 * [ow*SW - PW + kw*DW], 0 in the padding. x points at the group's first channel of image 0.
 */
export function im2col_f32(desc: usize, x: usize, col: usize, n0: i32, n1: i32): void {
  const C = d(desc, 0), H = d(desc, 1), W = d(desc, 2), KH = d(desc, 3), KW = d(desc, 4);
  const SH = d(desc, 5), SW = d(desc, 6), PH = d(desc, 7), PW = d(desc, 8), DH = d(desc, 9), DW = d(desc, 10);
  const OH = d(desc, 11), OW = d(desc, 12), xImage = d(desc, 13), colImage = d(desc, 14);
  const OHW = OH * OW;
  const rowB = <usize>OW << 2;
  for (let n = n0; n < n1; n++) {
    const xi = x + (<usize>n * <usize>xImage << 2);
    let row = col + (<usize>n * <usize>colImage << 2);
    for (let c = 0; c < C; c++) {
      const plane = xi + (<usize>(c * H * W) << 2);
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++) {
          const off = kw * DW;
          const lo = validLo(SW, PW, off);
          const hi = max(lo, validHi(W, SW, PW, off, OW));
          for (let oh = 0; oh < OH; oh++) {
            const dst = row + <usize>oh * rowB;
            const ih = oh * SH - PH + kh * DH;
            if (ih < 0 || ih >= H) {
              zeroF32(dst, OW);
              continue;
            }
            if (lo > 0) zeroF32(dst, lo);
            if (hi < OW) zeroF32(dst + (<usize>hi << 2), OW - hi);
            const src = plane + (<usize>(ih * W) << 2);
            if (SW == 1) {
              if (hi > lo) copyF32(dst + (<usize>lo << 2), src + (<usize>(lo - PW + off) << 2), hi - lo);
            } else {
              for (let ow = lo; ow < hi; ow++) store<f32>(dst + (<usize>ow << 2), load<f32>(src + (<usize>(ow * SW - PW + off) << 2)));
            }
          }
          row += <usize>OHW << 2;
        }
    }
  }
}

/** The adjoint of im2col_f32 for images [n0, n1): dx[n][c][ih][iw] += col[n][row][oh*OW + ow]. */
export function col2im_f32(desc: usize, col: usize, dx: usize, n0: i32, n1: i32): void {
  const C = d(desc, 0), H = d(desc, 1), W = d(desc, 2), KH = d(desc, 3), KW = d(desc, 4);
  const SH = d(desc, 5), SW = d(desc, 6), PH = d(desc, 7), PW = d(desc, 8), DH = d(desc, 9), DW = d(desc, 10);
  const OH = d(desc, 11), OW = d(desc, 12), xImage = d(desc, 13), colImage = d(desc, 14);
  const OHW = OH * OW;
  const rowB = <usize>OW << 2;
  for (let n = n0; n < n1; n++) {
    const xi = dx + (<usize>n * <usize>xImage << 2);
    let row = col + (<usize>n * <usize>colImage << 2);
    for (let c = 0; c < C; c++) {
      const plane = xi + (<usize>(c * H * W) << 2);
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++) {
          const off = kw * DW;
          const lo = validLo(SW, PW, off);
          const hi = validHi(W, SW, PW, off, OW);
          if (hi > lo)
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * SH - PH + kh * DH;
              if (ih < 0 || ih >= H) continue;
              const s = row + <usize>oh * rowB;
              const dst = plane + (<usize>(ih * W) << 2);
              if (SW == 1) {
                const o = dst + (<usize>(lo - PW + off) << 2);
                const p = s + (<usize>lo << 2);
                const len = hi - lo;
                let j = 0;
                for (; j + 4 <= len; j += 4) {
                  const q = <usize>j << 2;
                  v128.store(o + q, f32x4.add(v128.load(o + q), v128.load(p + q)));
                }
                for (; j < len; j++) {
                  const q = <usize>j << 2;
                  store<f32>(o + q, load<f32>(o + q) + load<f32>(p + q));
                }
              } else {
                for (let ow = lo; ow < hi; ow++) {
                  const q = dst + (<usize>(ow * SW - PW + off) << 2);
                  store<f32>(q, load<f32>(q) + load<f32>(s + (<usize>ow << 2)));
                }
              }
            }
          row += <usize>OHW << 2;
        }
    }
  }
}

// @ts-ignore: decorator
@inline function evens(a: v128, b: v128): v128 {
  return i32x4.shuffle(a, b, 0, 2, 4, 6);
}
// @ts-ignore: decorator
@inline function odds(a: v128, b: v128): v128 {
  return i32x4.shuffle(a, b, 1, 3, 5, 7);
}
/** acc, or v where v > acc or v is NaN: the reference's running maximum, lane by lane. */
// @ts-ignore: decorator
@inline function maxStep(acc: v128, v: v128): v128 {
  return v128.bitselect(v, acc, v128.or(f32x4.gt(v, acc), f32x4.ne(v, v)));
}
// @ts-ignore: decorator
@inline function maxStep1(acc: f32, v: f32): f32 {
  return v > acc || v != v ? v : acc;
}

/**
 * Max pooling with 2x2 windows at stride 2 and no padding (LeNet's), four outputs at a time: the
 * windows' cells in the reference's order (row 0 left, right, row 1 left, right) and its rule
 * (the running maximum takes a larger value or a NaN), so results are bit-identical.
 */
function maxPool2x2(x: usize, out: usize, p0: i32, p1: i32, H: i32, W: i32, OH: i32, OW: i32): void {
  for (let p = p0; p < p1; p++) {
    const xp = x + (<usize>p * <usize>(H * W) << 2);
    const op = out + (<usize>p * <usize>(OH * OW) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const r0 = xp + (<usize>(2 * oh * W) << 2);
      const r1 = r0 + (<usize>W << 2);
      const orow = op + (<usize>(oh * OW) << 2);
      let ow = 0;
      for (; ow + 4 <= OW && 2 * ow + 8 <= W; ow += 4) {
        const o = <usize>(2 * ow) << 2;
        const u0 = v128.load(r0 + o), u1 = v128.load(r0 + o, 16);
        const l0 = v128.load(r1 + o), l1 = v128.load(r1 + o, 16);
        let acc = evens(u0, u1);
        acc = maxStep(acc, odds(u0, u1));
        acc = maxStep(acc, evens(l0, l1));
        acc = maxStep(acc, odds(l0, l1));
        v128.store(orow + (<usize>ow << 2), acc);
      }
      for (; ow < OW; ow++) {
        const o = <usize>(2 * ow) << 2;
        let acc = load<f32>(r0 + o);
        acc = maxStep1(acc, load<f32>(r0 + o, 4));
        acc = maxStep1(acc, load<f32>(r1 + o));
        acc = maxStep1(acc, load<f32>(r1 + o, 4));
        store<f32>(orow + (<usize>ow << 2), acc);
      }
    }
  }
}

/**
 * The gradient of maxPool2x2, accumulated into dx: each window's gradient goes to its first
 * maximum by the reference's rule (a later cell takes over only when strictly larger, so a NaN
 * never does), four windows at a time.
 */
function maxPool2x2Grad(g: usize, x: usize, dx: usize, p0: i32, p1: i32, H: i32, W: i32, OH: i32, OW: i32): void {
  const zero = i32x4.splat(0), one = i32x4.splat(1), two = i32x4.splat(2), three = i32x4.splat(3);
  for (let p = p0; p < p1; p++) {
    const xp = x + (<usize>p * <usize>(H * W) << 2);
    const dp = dx + (<usize>p * <usize>(H * W) << 2);
    const gp = g + (<usize>p * <usize>(OH * OW) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const ro = <usize>(2 * oh * W) << 2;
      const r0 = xp + ro, r1 = r0 + (<usize>W << 2);
      const d0 = dp + ro, d1 = d0 + (<usize>W << 2);
      const grow = gp + (<usize>(oh * OW) << 2);
      let ow = 0;
      for (; ow + 4 <= OW && 2 * ow + 8 <= W; ow += 4) {
        const o = <usize>(2 * ow) << 2;
        const u0 = v128.load(r0 + o), u1 = v128.load(r0 + o, 16);
        const l0 = v128.load(r1 + o), l1 = v128.load(r1 + o, 16);
        const a = evens(u0, u1), b = odds(u0, u1), c = evens(l0, l1), e = odds(l0, l1);
        let best = a;
        let idx = zero;
        let t = f32x4.gt(b, best);
        best = v128.bitselect(b, best, t);
        idx = v128.bitselect(one, idx, t);
        t = f32x4.gt(c, best);
        best = v128.bitselect(c, best, t);
        idx = v128.bitselect(two, idx, t);
        t = f32x4.gt(e, best);
        idx = v128.bitselect(three, idx, t);
        const gv = v128.load(grow + (<usize>ow << 2));
        const ga = v128.and(gv, i32x4.eq(idx, zero)), gb = v128.and(gv, i32x4.eq(idx, one));
        const gc = v128.and(gv, i32x4.eq(idx, two)), ge = v128.and(gv, i32x4.eq(idx, three));
        // back to the input's order: row 0 is a0 b0 a1 b1 | a2 b2 a3 b3, row 1 the same with c, e
        v128.store(d0 + o, f32x4.add(v128.load(d0 + o), i32x4.shuffle(ga, gb, 0, 4, 1, 5)));
        v128.store(d0 + o, f32x4.add(v128.load(d0 + o, 16), i32x4.shuffle(ga, gb, 2, 6, 3, 7)), 16);
        v128.store(d1 + o, f32x4.add(v128.load(d1 + o), i32x4.shuffle(gc, ge, 0, 4, 1, 5)));
        v128.store(d1 + o, f32x4.add(v128.load(d1 + o, 16), i32x4.shuffle(gc, ge, 2, 6, 3, 7)), 16);
      }
      for (; ow < OW; ow++) {
        const o = <usize>(2 * ow) << 2;
        let best = load<f32>(r0 + o);
        let q = d0 + o;
        let v = load<f32>(r0 + o, 4);
        if (v > best) {
          best = v;
          q = d0 + o + 4;
        }
        v = load<f32>(r1 + o);
        if (v > best) {
          best = v;
          q = d1 + o;
        }
        v = load<f32>(r1 + o, 4);
        if (v > best) q = d1 + o + 4;
        store<f32>(q, load<f32>(q) + load<f32>(grow + (<usize>ow << 2)));
      }
    }
  }
}

/**
 * 2-D pooling of planes [p0, p1) (a plane is one (image, channel) H x W block; out's are OH x OW),
 * as the reference kernel (src/backend/cpu/conv.ts pool2dRef): max keeps the first NaN it meets,
 * avg sums in float64 and divides by the window's cell count (padded cells included when
 * countIncludePad, the window clipped to H + PH, W + PW as MXNet).
 */
export function pool_f32(desc: usize, x: usize, out: usize, p0: i32, p1: i32): void {
  const H = d(desc, 0), W = d(desc, 1), KH = d(desc, 2), KW = d(desc, 3), SH = d(desc, 4), SW = d(desc, 5);
  const PH = d(desc, 6), PW = d(desc, 7), OH = d(desc, 8), OW = d(desc, 9), cip = d(desc, 10), kind = d(desc, 11);
  if (kind == 0 && KH == 2 && KW == 2 && SH == 2 && SW == 2 && PH == 0 && PW == 0 && 2 * OH <= H && 2 * OW <= W) {
    maxPool2x2(x, out, p0, p1, H, W, OH, OW);
    return;
  }
  for (let p = p0; p < p1; p++) {
    const xp = x + (<usize>p * <usize>(H * W) << 2);
    const op = out + (<usize>p * <usize>(OH * OW) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * SH - PH;
      const h1 = min(h0 + KH, H + PH);
      const hs = max(h0, 0), he = min(h1, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * SW - PW;
        const w1 = min(w0 + KW, W + PW);
        const ws = max(w0, 0), we = min(w1, W);
        let r: f32;
        if (kind == 0) {
          let acc: f32 = -Infinity;
          for (let h = hs; h < he; h++) {
            const rp = xp + (<usize>(h * W) << 2);
            for (let w = ws; w < we; w++) {
              const v = load<f32>(rp + (<usize>w << 2));
              if (v > acc || v != v) acc = v;
            }
          }
          r = acc;
        } else {
          let s: f64 = 0;
          for (let h = hs; h < he; h++) {
            const rp = xp + (<usize>(h * W) << 2);
            for (let w = ws; w < we; w++) s += <f64>load<f32>(rp + (<usize>w << 2));
          }
          const count = cip != 0 ? (h1 - h0) * (w1 - w0) : (he - hs) * (we - ws);
          r = <f32>(s / <f64>max(count, 1));
        }
        store<f32>(op + (<usize>(oh * OW + ow) << 2), r);
      }
    }
  }
}

/**
 * The gradient of pool_f32 for planes [p0, p1), accumulated into dx: max routes each output's
 * gradient to the first maximum of its window (as the reference), avg spreads it evenly.
 */
export function pool_grad_f32(desc: usize, g: usize, x: usize, dx: usize, p0: i32, p1: i32): void {
  const H = d(desc, 0), W = d(desc, 1), KH = d(desc, 2), KW = d(desc, 3), SH = d(desc, 4), SW = d(desc, 5);
  const PH = d(desc, 6), PW = d(desc, 7), OH = d(desc, 8), OW = d(desc, 9), cip = d(desc, 10), kind = d(desc, 11);
  if (kind == 0 && KH == 2 && KW == 2 && SH == 2 && SW == 2 && PH == 0 && PW == 0 && 2 * OH <= H && 2 * OW <= W) {
    maxPool2x2Grad(g, x, dx, p0, p1, H, W, OH, OW);
    return;
  }
  for (let p = p0; p < p1; p++) {
    const xp = x + (<usize>p * <usize>(H * W) << 2);
    const dp = dx + (<usize>p * <usize>(H * W) << 2);
    const gp = g + (<usize>p * <usize>(OH * OW) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * SH - PH;
      const h1 = min(h0 + KH, H + PH);
      const hs = max(h0, 0), he = min(h1, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * SW - PW;
        const w1 = min(w0 + KW, W + PW);
        const ws = max(w0, 0), we = min(w1, W);
        const gv = load<f32>(gp + (<usize>(oh * OW + ow) << 2));
        if (kind == 0) {
          let best: f32 = -Infinity;
          let bi = -1;
          for (let h = hs; h < he; h++) {
            const rp = xp + (<usize>(h * W) << 2);
            for (let w = ws; w < we; w++) {
              const v = load<f32>(rp + (<usize>w << 2));
              if (v > best || bi < 0) {
                best = v;
                bi = h * W + w;
              }
            }
          }
          if (bi >= 0) {
            const q = dp + (<usize>bi << 2);
            store<f32>(q, load<f32>(q) + gv);
          }
        } else {
          const count = cip != 0 ? (h1 - h0) * (w1 - w0) : (he - hs) * (we - ws);
          const share = <f32>(<f64>gv / <f64>max(count, 1));
          for (let h = hs; h < he; h++) {
            const rp = dp + (<usize>(h * W) << 2);
            for (let w = ws; w < we; w++) {
              const q = rp + (<usize>w << 2);
              store<f32>(q, load<f32>(q) + share);
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------- direct convolution, few taps
// For a convolution with few taps per output (C * KH * KW <= 32: LeNet's first layer, 1 x 5 x 5)
// the columns of im2col are 25 times the input, and writing and re-reading them costs more than
// the arithmetic. These kernels read x in place: stride 1, no padding, no dilation, one group.
// Descriptor (i32): C, H, W, KH, KW, OC, OH, OW.

/**
 * out[n][oc][oh][ow] = Σ_c,kh,kw w[oc][c][kh][kw] · x[n][c][oh + kh][ow + kw] for images [n0, n1),
 * 16 outputs of a row at a time in four vector accumulators (one weight broadcast per tap).
 */
export function conv_direct_f32(desc: usize, x: usize, w: usize, out: usize, n0: i32, n1: i32): void {
  const C = d(desc, 0), H = d(desc, 1), W = d(desc, 2), KH = d(desc, 3), KW = d(desc, 4);
  const OC = d(desc, 5), OH = d(desc, 6), OW = d(desc, 7);
  const taps = C * KH * KW;
  for (let n = n0; n < n1; n++) {
    const xi = x + (<usize>n * <usize>(C * H * W) << 2);
    const oi = out + (<usize>n * <usize>(OC * OH * OW) << 2);
    for (let oc = 0; oc < OC; oc++) {
      const wp = w + (<usize>(oc * taps) << 2);
      for (let oh = 0; oh < OH; oh++) {
        const orow = oi + (<usize>((oc * OH + oh) * OW) << 2);
        let ow = 0;
        // 24 outputs (six independent accumulators) per weight broadcast: LeNet's rows are 24 wide.
        for (; ow + 24 <= OW; ow += 24) {
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0), a4 = f32x4.splat(0), a5 = f32x4.splat(0);
          let t = 0;
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++) {
              const xr = xi + (<usize>((c * H + oh + kh) * W + ow) << 2);
              for (let kw = 0; kw < KW; kw++) {
                const wv = v128.load32_splat(wp + (<usize>(t++) << 2));
                const p = xr + (<usize>kw << 2);
                a0 = madd(v128.load(p), wv, a0);
                a1 = madd(v128.load(p, 16), wv, a1);
                a2 = madd(v128.load(p, 32), wv, a2);
                a3 = madd(v128.load(p, 48), wv, a3);
                a4 = madd(v128.load(p, 64), wv, a4);
                a5 = madd(v128.load(p, 80), wv, a5);
              }
            }
          const o = orow + (<usize>ow << 2);
          v128.store(o, a0);
          v128.store(o, a1, 16);
          v128.store(o, a2, 32);
          v128.store(o, a3, 48);
          v128.store(o, a4, 64);
          v128.store(o, a5, 80);
        }
        for (; ow + 16 <= OW; ow += 16) {
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
          let t = 0;
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++) {
              const xr = xi + (<usize>((c * H + oh + kh) * W + ow) << 2);
              for (let kw = 0; kw < KW; kw++) {
                const wv = v128.load32_splat(wp + (<usize>(t++) << 2));
                const p = xr + (<usize>kw << 2);
                a0 = madd(v128.load(p), wv, a0);
                a1 = madd(v128.load(p, 16), wv, a1);
                a2 = madd(v128.load(p, 32), wv, a2);
                a3 = madd(v128.load(p, 48), wv, a3);
              }
            }
          const o = orow + (<usize>ow << 2);
          v128.store(o, a0);
          v128.store(o, a1, 16);
          v128.store(o, a2, 32);
          v128.store(o, a3, 48);
        }
        for (; ow + 4 <= OW; ow += 4) {
          let a0 = f32x4.splat(0);
          let t = 0;
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++) {
              const xr = xi + (<usize>((c * H + oh + kh) * W + ow) << 2);
              for (let kw = 0; kw < KW; kw++) a0 = madd(v128.load(xr + (<usize>kw << 2)), v128.load32_splat(wp + (<usize>(t++) << 2)), a0);
            }
          v128.store(orow + (<usize>ow << 2), a0);
        }
        for (; ow < OW; ow++) {
          let s: f32 = 0;
          let t = 0;
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++) {
              const xr = xi + (<usize>((c * H + oh + kh) * W + ow) << 2);
              for (let kw = 0; kw < KW; kw++) s += load<f32>(xr + (<usize>kw << 2)) * load<f32>(wp + (<usize>(t++) << 2));
            }
          store<f32>(orow + (<usize>ow << 2), s);
        }
      }
    }
  }
}

/**
 * The weight gradient of conv_direct_f32 over images [n0, n1), written (not added) to `part`
 * (OC x C*KH*KW floats, one block per thread; the TS side adds the blocks into dW):
 * part[oc][t] = Σ_n,oh,ow g[n][oc][oh][ow] · x[n][c][oh + kh][ow + kw], one vector accumulator per
 * (image, oc, tap) running over the whole output plane.
 */
export function conv_direct_dw_f32(desc: usize, x: usize, g: usize, part: usize, n0: i32, n1: i32): void {
  const C = d(desc, 0), H = d(desc, 1), W = d(desc, 2), KH = d(desc, 3), KW = d(desc, 4);
  const OC = d(desc, 5), OH = d(desc, 6), OW = d(desc, 7);
  const taps = C * KH * KW;
  zeroF32(part, OC * taps);
  const ow4 = OW & ~3;
  if (KW == 5 && ow4 == OW) {
    directDw5(C, H, W, KH, OC, OH, OW, x, g, part, n0, n1);
    return;
  }
  for (let n = n0; n < n1; n++) {
    const xi = x + (<usize>n * <usize>(C * H * W) << 2);
    const gi = g + (<usize>n * <usize>(OC * OH * OW) << 2);
    for (let oc = 0; oc < OC; oc++) {
      const gp = gi + (<usize>(oc * OH * OW) << 2);
      let t = 0;
      for (let c = 0; c < C; c++)
        for (let kh = 0; kh < KH; kh++)
          for (let kw = 0; kw < KW; kw++) {
            let acc = f32x4.splat(0);
            let s: f32 = 0;
            for (let oh = 0; oh < OH; oh++) {
              const gr = gp + (<usize>(oh * OW) << 2);
              const xr = xi + (<usize>((c * H + oh + kh) * W + kw) << 2);
              let ow = 0;
              for (; ow < ow4; ow += 4) acc = madd(v128.load(gr + (<usize>ow << 2)), v128.load(xr + (<usize>ow << 2)), acc);
              for (; ow < OW; ow++) s += load<f32>(gr + (<usize>ow << 2)) * load<f32>(xr + (<usize>ow << 2));
            }
            const q = part + (<usize>(oc * taps + t++) << 2);
            const sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
            store<f32>(q, load<f32>(q) + sum + s);
          }
    }
  }
}

/** The sum of a vector's four lanes. */
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * conv_direct_dw_f32 for 5-wide kernels and rows of a multiple of 4 outputs (LeNet's 5x5 layer):
 * the five taps of one kernel row share each gradient vector and have five independent
 * accumulators (one accumulator per tap was a chain of dependent multiply-adds).
 */
function directDw5(C: i32, H: i32, W: i32, KH: i32, OC: i32, OH: i32, OW: i32, x: usize, g: usize, part: usize, n0: i32, n1: i32): void {
  const taps = C * KH * 5;
  for (let n = n0; n < n1; n++) {
    const xi = x + (<usize>n * <usize>(C * H * W) << 2);
    const gi = g + (<usize>n * <usize>(OC * OH * OW) << 2);
    for (let oc = 0; oc < OC; oc++) {
      const gp = gi + (<usize>(oc * OH * OW) << 2);
      for (let c = 0; c < C; c++)
        for (let kh = 0; kh < KH; kh++) {
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0), a4 = f32x4.splat(0);
          for (let oh = 0; oh < OH; oh++) {
            const gr = gp + (<usize>(oh * OW) << 2);
            const xr = xi + (<usize>((c * H + oh + kh) * W) << 2);
            for (let ow = 0; ow < OW; ow += 4) {
              const o = <usize>ow << 2;
              const gv = v128.load(gr + o);
              const p = xr + o;
              a0 = madd(gv, v128.load(p), a0);
              a1 = madd(gv, v128.load(p, 4), a1);
              a2 = madd(gv, v128.load(p, 8), a2);
              a3 = madd(gv, v128.load(p, 12), a3);
              a4 = madd(gv, v128.load(p, 16), a4);
            }
          }
          const q = part + (<usize>(oc * taps + (c * KH + kh) * 5) << 2);
          store<f32>(q, load<f32>(q) + hsum(a0));
          store<f32>(q, load<f32>(q, 4) + hsum(a1), 4);
          store<f32>(q, load<f32>(q, 8) + hsum(a2), 8);
          store<f32>(q, load<f32>(q, 12) + hsum(a3), 12);
          store<f32>(q, load<f32>(q, 16) + hsum(a4), 16);
        }
    }
  }
}
