// AssemblyScript (not TypeScript): per-channel broadcasts and reductions over an [outer, mid,
// inner] float32 block, the layout of NCHW arrays against a per-channel vector (outer = N, mid =
// C, inner = H*W): a convolution's bias add and its gradient, batch norm's statistics and scaling.
import { binary_bcast_f32 } from './elementwise';
import { sumRow } from './reduce';

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
