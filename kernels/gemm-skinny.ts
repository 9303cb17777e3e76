// AssemblyScript (not TypeScript): float32 GEMM for a narrow C (n <= 16 columns), such as a
// classifier's logits (batch x 784 · 784 x 10) and its weight gradient (784 x batch · batch x 10).
// The blocked kernel in gemm.ts packs A whole for those shapes and runs at a fraction of its
// speed; here only B is packed (k x 4·nv floats, zero-padded: tiny), A is read in place through
// its strides, and a block of R rows of C stays in R·nv f32x4 accumulators over the whole k loop.
import { madd, loadTail, storeTail } from './simd';

/** Bytes of scratch sgemm_skinny needs for a given k (the packed B). */
export function sgemm_skinny_scratch_bytes(k: i32): i32 {
  return k * 64;
}

/** C rows i..i+R-1 (R <= 4) over the whole k loop, NV (<= 4) vectors of B per k. */
// @ts-ignore: decorator
@inline function block(R: i32, NV: i32, n: i32, k: i32, a: usize, rsaB: usize, csaB: usize, pb: usize, c: usize, ldcB: usize, beta: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0), c23 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0), c32 = f32x4.splat(0), c33 = f32x4.splat(0);
  const stepB = <usize>(NV << 4);
  let ap = a;
  let bp = pb;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(bp);
    const b1 = NV > 1 ? v128.load(bp, 16) : b0;
    const b2 = NV > 2 ? v128.load(bp, 32) : b0;
    const b3 = NV > 3 ? v128.load(bp, 48) : b0;
    const a0 = v128.load32_splat(ap);
    c00 = madd(a0, b0, c00);
    if (NV > 1) c01 = madd(a0, b1, c01);
    if (NV > 2) c02 = madd(a0, b2, c02);
    if (NV > 3) c03 = madd(a0, b3, c03);
    if (R > 1) {
      const a1 = v128.load32_splat(ap + rsaB);
      c10 = madd(a1, b0, c10);
      if (NV > 1) c11 = madd(a1, b1, c11);
      if (NV > 2) c12 = madd(a1, b2, c12);
      if (NV > 3) c13 = madd(a1, b3, c13);
    }
    if (R > 2) {
      const a2 = v128.load32_splat(ap + 2 * rsaB);
      c20 = madd(a2, b0, c20);
      if (NV > 1) c21 = madd(a2, b1, c21);
      if (NV > 2) c22 = madd(a2, b2, c22);
      if (NV > 3) c23 = madd(a2, b3, c23);
    }
    if (R > 3) {
      const a3 = v128.load32_splat(ap + 3 * rsaB);
      c30 = madd(a3, b0, c30);
      if (NV > 1) c31 = madd(a3, b1, c31);
      if (NV > 2) c32 = madd(a3, b2, c32);
      if (NV > 3) c33 = madd(a3, b3, c33);
    }
    ap += csaB;
    bp += stepB;
  }
  storeRow(NV, n, c, c00, c01, c02, c03, beta);
  if (R > 1) storeRow(NV, n, c + ldcB, c10, c11, c12, c13, beta);
  if (R > 2) storeRow(NV, n, c + 2 * ldcB, c20, c21, c22, c23, beta);
  if (R > 3) storeRow(NV, n, c + 3 * ldcB, c30, c31, c32, c33, beta);
}

/** Stores the first n (<= 4·NV) lanes of v0..v3 at c, adding what is there when beta != 0. */
// @ts-ignore: decorator
@inline function storeRow(NV: i32, n: i32, c: usize, v0: v128, v1: v128, v2: v128, v3: v128, beta: i32): void {
  storeVec(n, 0, c, v0, beta);
  if (NV > 1) storeVec(n, 4, c + 16, v1, beta);
  if (NV > 2) storeVec(n, 8, c + 32, v2, beta);
  if (NV > 3) storeVec(n, 12, c + 48, v3, beta);
}

// @ts-ignore: decorator
@inline function storeVec(n: i32, j: i32, p: usize, v: v128, beta: i32): void {
  const r = n - j;
  if (r >= 4) v128.store(p, beta != 0 ? f32x4.add(v128.load(p), v) : v);
  else if (r > 0) storeTail(p, beta != 0 ? f32x4.add(loadTail(p, r), v) : v, r);
}

/** Rows [i0, i1) of C with blocks of R rows, then single rows. */
// @ts-ignore: decorator
@inline function rows(R: i32, NV: i32, i0: i32, i1: i32, n: i32, k: i32, a: usize, rsa: i32, csa: i32, pb: usize, c: usize, ldc: i32, beta: i32): void {
  const rsaB = <usize>rsa << 2;
  const csaB = <usize>csa << 2;
  const ldcB = <usize>ldc << 2;
  let i = i0;
  for (; i + R <= i1; i += R) block(R, NV, n, k, a + <usize>i * rsaB, rsaB, csaB, pb, c + <usize>i * ldcB, ldcB, beta);
  for (; i < i1; i++) block(1, NV, n, k, a + <usize>i * rsaB, rsaB, csaB, pb, c + <usize>i * ldcB, ldcB, beta);
}

/**
 * C[i, 0..n) (+)= Σ_p A[i, p] · B[p, 0..n) for rows i in [i0, i1), n <= 16. A and B are any
 * strided views (element strides); C is row-major with row stride ldc. `scratch` holds the packed
 * B (sgemm_skinny_scratch_bytes(k) bytes, one block per thread).
 */
export function sgemm_skinny(
  i0: i32, i1: i32, n: i32, k: i32,
  a: usize, rsa: i32, csa: i32,
  b: usize, rsb: i32, csb: i32,
  c: usize, ldc: i32, beta: i32, scratch: usize,
): void {
  const nv = (n + 3) >> 2;
  const w = nv << 2;
  // pack B: k rows of w floats, zero past n
  for (let p = 0; p < k; p++) {
    const dst = scratch + (<usize>(p * w) << 2);
    const src = b + (<usize>(p * rsb) << 2);
    for (let j = 0; j < w; j++) store<f32>(dst + (<usize>j << 2), j < n ? load<f32>(src + (<usize>(j * csb) << 2)) : 0);
  }
  if (nv == 1) rows(4, 1, i0, i1, n, k, a, rsa, csa, scratch, c, ldc, beta);
  else if (nv == 2) rows(4, 2, i0, i1, n, k, a, rsa, csa, scratch, c, ldc, beta);
  else if (nv == 3) rows(3, 3, i0, i1, n, k, a, rsa, csa, scratch, c, ldc, beta);
  else rows(2, 4, i0, i1, n, k, a, rsa, csa, scratch, c, ldc, beta);
}
