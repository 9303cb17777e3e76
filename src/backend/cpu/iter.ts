// A loop over every index of a shape with several strided offsets, for the reference kernels.
import { sizeOf } from '../../core/shape.js';

/** Calls fn with each operand's element offset for every index of `shape`, in row-major order. */
export function forEachIndex(
  shape: readonly number[],
  strides: (readonly number[])[],
  offsets: number[],
  fn: (...offs: number[]) => void,
): void {
  const r = shape.length;
  if (sizeOf(shape) === 0) return;
  const pos = offsets.slice();
  const idx = new Array<number>(r).fill(0);
  for (;;) {
    fn(...pos);
    let d = r - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < pos.length; k++) pos[k] += strides[k][d];
      if (idx[d] < shape[d]) break;
      for (let k = 0; k < pos.length; k++) pos[k] -= strides[k][d] * shape[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}
