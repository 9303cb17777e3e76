// Dtypes (bool, uint8, int32, float32, float64), their typed arrays, and the promotion rules.
import { DTypeError } from './errors.js';

/**
 * The dtypes an NDArray can hold. `bool` is stored as one byte per element (0 or 1).
 *
 * Type promotion (binary ops between two arrays) follows the order
 * `bool < uint8 < int32 < float32 < float64`: the result takes the larger of the two.
 * A JS number operand is "weak" (as in numpy): it takes the array's dtype, except that a
 * non-integer number with an integer/bool array gives float32.
 * True division (`div`) of integer arrays gives float32; comparisons give the promoted dtype
 * holding 0/1, as MXNet does.
 */
export type DType = 'float32' | 'float64' | 'int32' | 'uint8' | 'bool';

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;
export type TypedArrayCtor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

export const DTYPES: readonly DType[] = ['bool', 'uint8', 'int32', 'float32', 'float64'];

const RANK: Record<DType, number> = { bool: 0, uint8: 1, int32: 2, float32: 3, float64: 4 };
const CTOR: Record<DType, TypedArrayCtor> = {
  bool: Uint8Array,
  uint8: Uint8Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};
const BYTES: Record<DType, number> = { bool: 1, uint8: 1, int32: 4, float32: 4, float64: 8 };

/** Throws unless `d` names a dtype; returns it typed. */
export function checkDType(d: unknown, op = 'dtype'): DType {
  if (typeof d === 'string' && d in RANK) return d as DType;
  throw new DTypeError(`${op}: unknown dtype ${JSON.stringify(d)}; expected one of ${DTYPES.join(', ')}`);
}

export function typedArrayCtor(d: DType): TypedArrayCtor {
  return CTOR[d];
}

export function bytesPerElement(d: DType): number {
  return BYTES[d];
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

export function isIntegral(d: DType): boolean {
  return !isFloat(d);
}

/** The dtype of a binary op between arrays of dtypes `a` and `b`. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The dtype of an op between an array of dtype `d` and the JS number `v`. */
export function promoteWithScalar(d: DType, v: number): DType {
  if (isIntegral(d) && !Number.isInteger(v)) return 'float32';
  if (d === 'bool' && v !== 0 && v !== 1) return Number.isInteger(v) ? 'int32' : 'float32';
  return d;
}

/** The floating dtype an op like `exp` or `div` computes in for inputs of dtype `d`. */
export function floatTypeOf(d: DType): DType {
  return isFloat(d) ? d : 'float32';
}

const INT_RANGE: Partial<Record<DType, [number, number]>> = { uint8: [0, 255], int32: [-2147483648, 2147483647] };

/**
 * Throws a DTypeError unless every JS number in `values` can be stored in `dtype` as written:
 * for integer dtypes it must be finite and within range after truncation toward zero (numpy 2's
 * `np.array(..., dtype)`: 1.7 -> 1, but 300 into uint8 or NaN into int32 is an error); for bool
 * it must be 0 or 1. Float dtypes take anything. Casting an existing array with `astype` wraps
 * instead (docs/DESIGN.md, "Dtype conversions").
 *
 * @example
 * checkValuesFit('array', [300], 'uint8'); // DTypeError: array: the value 300 ... does not fit uint8
 */
export function checkValuesFit(op: string, values: ArrayLike<number>, dtype: DType): void {
  if (isFloat(dtype)) return;
  const n = values.length;
  if (dtype === 'bool') {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v !== 0 && v !== 1)
        throw new DTypeError(
          `${op}: the value ${v}${n > 1 ? ` (at flat index ${i})` : ''} does not fit dtype bool, which holds 0/1 (false/true); ` +
            `compare instead (nd.array(values).notEqual(0)) or cast (.astype('bool'), non-zero -> 1)`,
        );
    }
    return;
  }
  const [lo, hi] = INT_RANGE[dtype]!;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    // Truncation toward zero keeps (lo - 1, hi + 1) inside [lo, hi]; NaN fails both comparisons.
    if (!(v > lo - 1 && v < hi + 1))
      throw new DTypeError(
        `${op}: the value ${v}${n > 1 ? ` (at flat index ${i})` : ''} does not fit dtype ${dtype} (integers ${lo}..${hi}); ` +
          `create a float array and cast it with .astype('${dtype}') to wrap as numpy's astype does`,
      );
  }
}

/** Infers the dtype of a typed array given to `nd.array`. */
export function dtypeOfTypedArray(a: ArrayLike<number>): DType | undefined {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return 'uint8';
  return undefined;
}
