// The reference reductions: sum/prod/max/min accumulated in float64 by a generated elementwise
// kernel (elementwise.ts map), and argmax/argmin over one axis (the first NaN wins, as in numpy).
import { contiguousStrides, sizeOf } from '../../core/shape.js';
import type { ReduceOp, View } from '../backend.js';
import { arr, castExpr, map, viewArg } from './elementwise.js';
import { forEachIndex } from './iter.js';

const ACC: Partial<Record<ReduceOp, { init: number; expr: string }>> = {
  sum: { init: 0, expr: 'o + a' },
  prod: { init: 1, expr: 'o * a' },
  max: { init: -Infinity, expr: '(a > o || a !== a) ? a : o' },
  min: { init: Infinity, expr: '(a < o || a !== a) ? a : o' },
};

/** out = op over `axes` of x (out has x's shape with the reduced axes removed; argmax/argmin take one axis). */
export function reduceRef(op: ReduceOp, x: View, axes: readonly number[], out: View): void {
  const n = sizeOf(x.shape);
  const acc = ACC[op];
  if (acc) {
    // Accumulate in float64 over x in memory order, with out's strides zeroed on reduced axes.
    const outSize = sizeOf(out.shape);
    const tmp = new Float64Array(outSize).fill(acc.init);
    const tmpStrides = expandStrides(x.shape, axes, contiguousStrides(out.shape));
    if (n > 0) map(acc.expr, { arr: tmp, offset: 0, strides: tmpStrides, shape: x.shape }, [viewArg(x)], 0);
    map(castExpr(out.dtype, 'a'), out, [{ arr: tmp, offset: 0, strides: contiguousStrides(out.shape) }], 0);
    return;
  }
  // argmax / argmin over one axis (the op layer flattens for axis=None).
  const axis = axes[0];
  const X = arr(x);
  const O = arr(out);
  const len = x.shape[axis];
  const xs = x.strides[axis];
  const outerShape = x.shape.filter((_, i) => i !== axis);
  const outerStrides = x.strides.filter((_, i) => i !== axis);
  // The first NaN wins, as in numpy; otherwise the first extreme value.
  const one =
    op === 'argmax'
      ? (px: number): number => {
          let best = X[px];
          if (best !== best) return 0;
          let bi = 0;
          for (let i = 1; i < len; i++) {
            const v = X[px + i * xs];
            if (v > best || v !== v) {
              if (v !== v) return i;
              best = v;
              bi = i;
            }
          }
          return bi;
        }
      : (px: number): number => {
          let best = X[px];
          if (best !== best) return 0;
          let bi = 0;
          for (let i = 1; i < len; i++) {
            const v = X[px + i * xs];
            if (v < best || v !== v) {
              if (v !== v) return i;
              best = v;
              bi = i;
            }
          }
          return bi;
        };
  // One outer axis (rows of a matrix): a plain loop instead of the generic index walk.
  if (outerShape.length <= 1) {
    const n = outerShape.length === 0 ? 1 : outerShape[0];
    const sx = outerShape.length === 0 ? 0 : outerStrides[0];
    const so = outerShape.length === 0 ? 0 : out.strides[0];
    for (let r = 0; r < n; r++) O[out.offset + r * so] = one(x.offset + r * sx);
    return;
  }
  forEachIndex(outerShape, [outerStrides, out.strides], [x.offset, out.offset], (px, po) => {
    O[po] = one(px);
  });
}

/** Strides over x's shape that address an array of the kept dims (reduced axes get stride 0). */
function expandStrides(shape: readonly number[], axes: readonly number[], outStrides: number[]): number[] {
  const res: number[] = [];
  let j = 0;
  for (let i = 0; i < shape.length; i++) res.push(axes.includes(i) ? 0 : outStrides[j++]);
  return res;
}
