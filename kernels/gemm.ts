// AssemblyScript (not TypeScript): float32 GEMM for the d2l-ts CPU backend.
//
// C[m, n] (row stride ldc, unit column stride) = A[m, k] · B[k, n] (+ C when beta != 0), where A
// and B are any strided 2-D views (element strides rsa/csa, rsb/csb), so transposed operands need
// no copy: they are read through their strides while packing. Goto/BLIS structure: B is packed
// into KC x NR column panels and A into MC x KC blocks of MR-row panels in a scratch area the
// caller allocates (sgemm_scratch_bytes(), one per thread); a 4x8 register tile of eight f32x4
// accumulators does the arithmetic. No allocator, no static data: a pure function over pointers
// into the imported shared memory, so every worker thread can run it on the same arrays.
import { madd } from './simd';

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 120;
const NC: i32 = 1024;
const PACKA_BYTES: i32 = MC * KC * 4;
const PACKB_BYTES: i32 = KC * NC * 4;
const TILE_BYTES: i32 = MR * NR * 4;

/** Bytes of scratch one sgemm call needs (per thread). */
export function sgemm_scratch_bytes(): i32 {
  return PACKA_BYTES + PACKB_BYTES + TILE_BYTES;
}

// @ts-ignore: decorator
@inline function ptr(base: usize, elems: i32): usize {
  return base + (<usize>elems << 2);
}

/** 4x4 transpose of the rows r0..r3: column q is stored at dst + q * step. */
// @ts-ignore: decorator
@inline function transposeStore(dst: usize, step: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + step, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * step, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/** Packs the mc x kc block of A at a into MR-row panels: panel p holds, for each k, MR floats. Rows past mc are zero. */
function packA(dst: usize, a: usize, rsa: i32, csa: i32, mc: i32, kc: i32): void {
  const step = <usize>(MR << 2);
  for (let i = 0; i < mc; i += MR) {
    const mr = min(MR, mc - i);
    const src = ptr(a, i * rsa);
    if (mr == MR && csa == 1) {
      const p0 = src, p1 = ptr(src, rsa), p2 = ptr(src, 2 * rsa), p3 = ptr(src, 3 * rsa);
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2;
        transposeStore(dst + <usize>k * step, step, v128.load(p0 + o), v128.load(p1 + o), v128.load(p2 + o), v128.load(p3 + o));
      }
      for (; k < kc; k++) {
        const o = <usize>k << 2;
        const d = dst + <usize>k * step;
        store<f32>(d, load<f32>(p0 + o));
        store<f32>(d, load<f32>(p1 + o), 4);
        store<f32>(d, load<f32>(p2 + o), 8);
        store<f32>(d, load<f32>(p3 + o), 12);
      }
    } else if (mr == MR && rsa == 1) {
      // column-major A (a transposed operand): the MR rows are contiguous for each k
      for (let k = 0; k < kc; k++) {
        const d = dst + <usize>k * step;
        const s = ptr(src, k * csa);
        v128.store(d, v128.load(s));
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const d = dst + <usize>k * step;
        const s = ptr(src, k * csa);
        for (let r = 0; r < MR; r++) store<f32>(d + (<usize>r << 2), r < mr ? load<f32>(ptr(s, r * rsa)) : 0);
      }
    }
    dst += <usize>(kc * MR) << 2;
  }
}

/** Packs the kc x nc block of B at b into NR-column panels: panel p holds, for each k, NR floats. Columns past nc are zero. */
function packB(dst: usize, b: usize, rsb: i32, csb: i32, kc: i32, nc: i32): void {
  for (let j = 0; j < nc; j += NR) {
    const nr = min(NR, nc - j);
    const src = ptr(b, j * csb);
    if (nr == NR && csb == 1) {
      for (let k = 0; k < kc; k++) {
        const s = ptr(src, k * rsb);
        const d = dst + (<usize>k << 5);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      }
    } else if (nr == NR && rsb == 1) {
      // a transposed B: each column is contiguous in k; transpose 4x4 blocks
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2;
        const d = dst + (<usize>k << 5);
        transposeStore(d, 32, v128.load(src + o), v128.load(ptr(src, csb) + o), v128.load(ptr(src, 2 * csb) + o), v128.load(ptr(src, 3 * csb) + o));
        transposeStore(d + 16, 32, v128.load(ptr(src, 4 * csb) + o), v128.load(ptr(src, 5 * csb) + o), v128.load(ptr(src, 6 * csb) + o), v128.load(ptr(src, 7 * csb) + o));
      }
      for (; k < kc; k++) {
        const d = dst + (<usize>k << 5);
        for (let c = 0; c < NR; c++) store<f32>(d + (<usize>c << 2), load<f32>(ptr(src, k + c * csb)));
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const d = dst + (<usize>k << 5);
        const s = ptr(src, k * rsb);
        for (let c = 0; c < NR; c++) store<f32>(d + (<usize>c << 2), c < nr ? load<f32>(ptr(s, c * csb)) : 0);
      }
    }
    dst += <usize>(kc * NR) << 2;
  }
}

/**
 * The 4x8 register tile: C[0..4, 0..8] (row stride ldcB bytes) = (acc ? C : 0) + Apanel · Bpanel
 * over kc, one k step per iteration. V8 loads a step's A broadcasts before its FMAs, so what must
 * fit its 15 allocatable xmm registers is accumulators + 2 B vectors + MR broadcasts: 8 + 2 + 4.
 * The former 6x8 tile (12 + 2 + 6), unrolled 4 steps, kept accumulators on the stack, one load or
 * store per FMA: 31-33 GFLOP/s on one thread against 43-48 now (docs/PERF.md).
 */
function micro(kc: i32, pa: usize, pb: usize, cp: usize, ldcB: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0), c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa, 0);
    c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
    const a1 = v128.load32_splat(pa, 4);
    c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
    const a2 = v128.load32_splat(pa, 8);
    c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
    const a3 = v128.load32_splat(pa, 12);
    c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
    pa += 16; pb += 32;
  }
  if (acc) {
    c00 = f32x4.add(c00, v128.load(cp + 0 * ldcB)); c01 = f32x4.add(c01, v128.load(cp + 0 * ldcB, 16));
    c10 = f32x4.add(c10, v128.load(cp + 1 * ldcB)); c11 = f32x4.add(c11, v128.load(cp + 1 * ldcB, 16));
    c20 = f32x4.add(c20, v128.load(cp + 2 * ldcB)); c21 = f32x4.add(c21, v128.load(cp + 2 * ldcB, 16));
    c30 = f32x4.add(c30, v128.load(cp + 3 * ldcB)); c31 = f32x4.add(c31, v128.load(cp + 3 * ldcB, 16));
  }
  v128.store(cp + 0 * ldcB, c00); v128.store(cp + 0 * ldcB, c01, 16);
  v128.store(cp + 1 * ldcB, c10); v128.store(cp + 1 * ldcB, c11, 16);
  v128.store(cp + 2 * ldcB, c20); v128.store(cp + 2 * ldcB, c21, 16);
  v128.store(cp + 3 * ldcB, c30); v128.store(cp + 3 * ldcB, c31, 16);
}

/**
 * C = A·B (beta = 0) or C += A·B (beta != 0). m, n, k > 0; strides in elements (any sign);
 * pointers are byte addresses; scratch holds sgemm_scratch_bytes() bytes, 16-byte aligned.
 */
export function sgemm(
  m: i32, n: i32, k: i32,
  a: usize, rsa: i32, csa: i32,
  b: usize, rsb: i32, csb: i32,
  c: usize, ldc: i32, beta: i32, scratch: usize,
): void {
  const pa = scratch;
  const pb = scratch + <usize>PACKA_BYTES;
  const tile = pb + <usize>PACKB_BYTES;
  const ldcB = <usize>ldc << 2;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const acc = beta != 0 || pc > 0;
      packB(pb, ptr(b, pc * rsb + jc * csb), rsb, csb, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(pa, ptr(a, ic * rsa + pc * csa), rsa, csa, mc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = pb + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const ap = pa + (<usize>(ir * kc) << 2);
            const cp = ptr(c, (ic + ir) * ldc + jc + jr);
            if (mr == MR && nr == NR) {
              micro(kc, ap, bp, cp, ldcB, acc);
            } else {
              micro(kc, ap, bp, tile, <usize>(NR << 2), false);
              for (let i = 0; i < mr; i++) {
                const crow = cp + <usize>i * ldcB;
                const trow = tile + (<usize>(i * NR) << 2);
                for (let j = 0; j < nr; j++) {
                  const o = <usize>j << 2;
                  const v = load<f32>(trow + o);
                  store<f32>(crow + o, acc ? load<f32>(crow + o) + v : v);
                }
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Batched sgemm over a list of byte-address triples (A, B, C) at `list` (3 u32 each), items
 * [lo, hi). Every item has the same sizes and strides.
 */
export function sgemm_batch(
  list: usize, lo: i32, hi: i32,
  m: i32, n: i32, k: i32,
  rsa: i32, csa: i32, rsb: i32, csb: i32, ldc: i32, beta: i32, scratch: usize,
): void {
  for (let i = lo; i < hi; i++) {
    const e = list + <usize>i * 12;
    sgemm(m, n, k, load<u32>(e), rsa, csa, load<u32>(e, 4), rsb, csb, load<u32>(e, 8), ldc, beta, scratch);
  }
}
