/**
 * Batchify functions: how a list of samples becomes one batch (Gluon's `batchify_fn`).
 */
import type { DType } from '../../core/dtype.js';
import { dtypeOfTypedArray } from '../../core/dtype.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { currentContext } from '../../ndarray/context.js';
import * as nd from '../../ndarray/nd.js';

/**
 * An NDArray of JS numbers: `dtype` when given, else int32 when every value is an integer
 * (labels; MXNet's FashionMNIST labels are int32) and float32 otherwise.
 *
 * @example
 * numbersToNDArray([2, 9, 0]).dtype;   // 'int32'
 * numbersToNDArray([0.5, 1]).dtype;    // 'float32'
 */
export function numbersToNDArray(values: ArrayLike<number>, dtype?: DType): NDArray {
  let d = dtype;
  if (!d) {
    d = 'int32';
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648) {
        d = 'float32';
        break;
      }
    }
  }
  return NDArray._fromData(values, [values.length], d, currentContext());
}

/**
 * Gluon's default batchify: NDArray samples are stacked along a new axis 0; tuple samples are
 * batchified field by field (giving a list); numbers become a 1-D NDArray (int32 when all are
 * integers, else float32); typed arrays become a 2-D NDArray of their dtype; anything else
 * (strings, objects) is returned as the list itself.
 *
 * @example
 * const [X, y] = defaultBatchify([[nd.ones([2]), 1], [nd.zeros([2]), 0]]) as NDArray[];
 * X.shape; // [2, 2]
 * y.toArray(); // [1, 0]
 */
export function defaultBatchify(samples: readonly unknown[]): unknown {
  if (samples.length === 0) return [];
  const first = samples[0];
  if (first instanceof NDArray) return nd.stack(samples as NDArray[], { axis: 0 });
  if (Array.isArray(first)) {
    const k = first.length;
    const fields: unknown[] = [];
    for (let f = 0; f < k; f++) fields.push(defaultBatchify(samples.map((s) => (s as unknown[])[f])));
    return fields;
  }
  if (typeof first === 'number' || typeof first === 'boolean') return numbersToNDArray(samples.map(Number));
  if (ArrayBuffer.isView(first)) {
    const rows = samples as ArrayLike<number>[];
    const m = rows[0].length;
    const flat = new Float64Array(rows.length * m);
    rows.forEach((r, i) => flat.set(r as ArrayLike<number>, i * m));
    return NDArray._fromData(flat, [rows.length, m], dtypeOfTypedArray(rows[0]) ?? 'float32', currentContext());
  }
  return samples.slice();
}
