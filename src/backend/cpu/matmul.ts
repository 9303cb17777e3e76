// The reference matmul: batched GEMM over strided views, accumulating each output in float64.
import type { View } from '../backend.js';
import type { Arr } from './codegen.js';
import { forEachIndex } from './iter.js';

/**
 * Reference batched matmul: out[b] = x[b] · y[b] over strided views, accumulating each output row
 * in float64. A y whose rows are not contiguous (a transposed operand) is packed first so the
 * inner loop always runs over unit stride.
 */
export function matmulRef(X: Arr, x: View, Y: Arr, y: View, O: Arr, out: View): void {
  const r = x.shape.length;
  const m = x.shape[r - 2];
  const k = x.shape[r - 1];
  const n = y.shape[r - 1];
  if (m === 0 || n === 0) return;
  const batch = out.shape.slice(0, r - 2);
  const [xsm, xsk] = [x.strides[r - 2], x.strides[r - 1]];
  const [ysk, ysn] = [y.strides[r - 2], y.strides[r - 1]];
  const [osm, osn] = [out.strides[r - 2], out.strides[r - 1]];
  const acc = new Float64Array(n);
  const packed = ysn === 1 ? null : new Float64Array(k * n);
  forEachIndex(
    batch,
    [x.strides.slice(0, r - 2), y.strides.slice(0, r - 2), out.strides.slice(0, r - 2)],
    [x.offset, y.offset, out.offset],
    (xo, yo, oo) => {
      let B: Arr = Y;
      let bo = yo;
      let bsk = ysk;
      if (packed) {
        for (let kk = 0; kk < k; kk++) for (let j = 0; j < n; j++) packed[kk * n + j] = Y[yo + kk * ysk + j * ysn];
        B = packed;
        bo = 0;
        bsk = n;
      }
      for (let i = 0; i < m; i++) {
        acc.fill(0);
        const xi = xo + i * xsm;
        for (let kk = 0; kk < k; kk++) {
          const a = X[xi + kk * xsk];
          const row = bo + kk * bsk;
          for (let j = 0; j < n; j++) acc[j] += a * B[row + j];
        }
        const oi = oo + i * osm;
        for (let j = 0; j < n; j++) O[oi + j * osn] = acc[j];
      }
    },
  );
}
