import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { floatTypeOf, isFloat, promoteTypes, promoteWithScalar, type DType } from '../core/dtype.js';
import { DTypeError, ShapeError, ValueError } from '../core/errors.js';
import { broadcastShapes, shapeStr, shapesEqual } from '../core/shape.js';
import { recordOp, shouldRecord } from '../autograd/tape.js';
import type { NDArray, ArrayOrScalar } from '../ndarray/ndarray.js';
import { empty, kernelView, sameContext, withTemps } from './util.js';
import { unbroadcast } from './reduce.js';

/** Ops whose result is floating point even for integer inputs. */
const FLOAT_RESULT = new Set<UnaryOp>(['exp', 'log', 'sqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'reciprocal', 'log1p', 'expm1']);

/** The gradient of each unary op, from the output gradient g, the input x and the output y. */
const UNARY_VJP: Partial<Record<UnaryOp, (g: NDArray, x: NDArray, y: NDArray) => NDArray>> = {
  neg: (g) => g.neg(),
  abs: (g, x) => g.mul(x.sign()),
  exp: (g, _x, y) => g.mul(y),
  log: (g, x) => g.div(x),
  sqrt: (g, _x, y) => g.div(y.mul(2)),
  square: (g, x) => g.mul(x).mul(2),
  sin: (g, x) => g.mul(x.cos()),
  cos: (g, x) => g.mul(x.sin()).neg(),
  tanh: (g, _x, y) => g.mul(y.square().rsub(1)),
  sigmoid: (g, _x, y) => g.mul(y.mul(y.rsub(1))),
  relu: (g, x) => g.mul(x.greater(0)),
  reciprocal: (g, _x, y) => g.mul(y.square()).neg(),
  log1p: (g, x) => g.div(x.add(1)),
  expm1: (g, _x, y) => g.mul(y.add(1)),
};
/** Ops that only need their output (or nothing) for the gradient, so inputs need not be kept. */
const SAVE_OUTPUT_ONLY = new Set<UnaryOp>(['exp', 'sqrt', 'tanh', 'sigmoid', 'reciprocal', 'expm1']);

/** One elementwise unary primitive: forward on the backend, gradient from UNARY_VJP. */
export function unary(op: UnaryOp, x: NDArray): NDArray {
  x.checkAlive(op);
  let dtype: DType = FLOAT_RESULT.has(op) ? floatTypeOf(x.dtype) : x.dtype;
  if (op === 'isnan' || op === 'isinf') dtype = 'bool';
  const out = empty(x.shape, dtype, x.context);
  x.context.backend.unary(op, x, out);
  const rule = UNARY_VJP[op];
  if (rule && shouldRecord(x))
    recordOp(op, [x], out, (g, [xs], y) => [rule(g, xs, y)], SAVE_OUTPUT_ONLY.has(op) ? 'output' : op === 'neg' ? 'none' : 'inputs');
  return out;
}

function resultDType(op: BinaryOp, a: DType, b: DType): DType {
  const t = promoteTypes(a, b);
  if (op === 'div') return floatTypeOf(t);
  return t;
}

/** Gradients of binary ops: [da, db] from g, a, b and the output y (before un-broadcasting). */
const BINARY_VJP: Partial<Record<BinaryOp, (g: NDArray, a: NDArray | number, b: NDArray | number, y: NDArray) => [NDArray | null, NDArray | null]>> = {
  add: (g) => [g, g],
  sub: (g) => [g, g.neg()],
  mul: (g, a, b) => [mulAny(g, b), mulAny(g, a)],
  div: (g, a, b) => [divAny(g, b), typeof b === 'number' ? null : mulAny(g, a).div(b).div(b).neg()],
  pow: (g, a, b, y) => [
    typeof a === 'number' ? null : mulAny(g, typeof b === 'number' ? a.pow(b - 1).mul(b) : a.pow(b.sub(1)).mul(b)),
    typeof b === 'number' ? null : g.mul(y).mul(typeof a === 'number' ? Math.log(a) : a.log()),
  ],
  maximum: (g, a, b) => maskPair(g, a, b, 'greaterEqual'),
  minimum: (g, a, b) => maskPair(g, a, b, 'lesserEqual'),
  // d(a mod b)/db = -floor(a / b), also when a is a scalar (s mod x).
  mod: (g, a, b) => [g, typeof b === 'number' ? null : g.mul((typeof a === 'number' ? b.rdiv(a) : a.div(b)).floor()).neg()],
};
const NEEDS_VALUES = new Set<BinaryOp>(['mul', 'div', 'pow', 'maximum', 'minimum', 'mod']);

function mulAny(g: NDArray, v: NDArray | number): NDArray {
  return g.mul(v);
}
function divAny(g: NDArray, v: NDArray | number): NDArray {
  return g.div(v);
}
/** Routes g to a where a wins the comparison and to b elsewhere. */
function maskPair(g: NDArray, a: NDArray | number, b: NDArray | number, cmp: 'greaterEqual' | 'lesserEqual'): [NDArray, NDArray] {
  const m = typeof a === 'number' ? binary(cmp === 'greaterEqual' ? 'lesserEqual' : 'greaterEqual', b as NDArray, a) : binary(cmp, a, b);
  return [g.mul(m), g.mul(m.rsub(1))];
}

/**
 * One elementwise binary primitive with numpy broadcasting; either operand may be a JS number.
 * Gradients are summed back to each operand's shape.
 */
export function binary(op: BinaryOp, a: ArrayOrScalar, b: ArrayOrScalar): NDArray {
  if (typeof a === 'number' && typeof b === 'number')
    throw new ValueError(`${op}: at least one operand must be an NDArray (got two numbers)`);
  if (typeof a === 'number' || typeof b === 'number') return binaryScalar(op, a, b);
  a.checkAlive(op);
  b.checkAlive(op);
  const ctx = sameContext(op, a, b);
  const shape = shapesEqual(a.shape, b.shape) ? a.shape : broadcastShapes(a.shape, b.shape, op);
  const out = empty(shape, resultDType(op, a.dtype, b.dtype), ctx);
  // Broadcast operands reach the kernel as bare strided views (no handles to create and free).
  ctx.backend.binary(op, kernelView(a, out.shape), kernelView(b, out.shape), out);
  const rule = BINARY_VJP[op];
  if (rule && shouldRecord(a, b))
    recordOp(
      op,
      [a, b],
      out,
      (g, [as, bs], y) => {
        const [ga, gb] = rule(g, as, bs, y);
        return [ga && unbroadcast(ga, as.shape), gb && unbroadcast(gb, bs.shape)];
      },
      op === 'pow' ? 'both' : NEEDS_VALUES.has(op) ? 'inputs' : 'none',
    );
  return out;
}

function binaryScalar(op: BinaryOp, a: ArrayOrScalar, b: ArrayOrScalar): NDArray {
  const reverse = typeof a === 'number';
  const x = (reverse ? b : a) as NDArray;
  const s = (reverse ? a : b) as number;
  x.checkAlive(op);
  let dtype = promoteWithScalar(x.dtype, s);
  if (op === 'div') dtype = floatTypeOf(dtype);
  const out = empty(x.shape, dtype, x.context);
  x.context.backend.binaryScalar(op, x, s, reverse, out);
  const rule = BINARY_VJP[op];
  if (rule && shouldRecord(x))
    recordOp(
      op,
      [x],
      out,
      (g, [xs], y) => {
        const [ga, gb] = reverse ? rule(g, s, xs, y) : rule(g, xs, s, y);
        return [reverse ? gb : ga];
      },
      op === 'pow' ? 'both' : NEEDS_VALUES.has(op) ? 'inputs' : 'none',
    );
  return out;
}


/** `x op= b` into x's own storage: identity kept, as MXNet's `X += Y`. */
export function inplace<T extends NDArray>(op: BinaryOp, x: T, b: ArrayOrScalar): T {
  x.checkAlive(`i${op}`);
  if (typeof b !== 'number') b.checkAlive(`i${op}`);
  // The result must be storable in x: a float result cannot go into an integer array (numpy's
  // same-kind rule); float64 into float32 and int32 into uint8 are cast as numpy does.
  const dt = typeof b === 'number' ? promoteWithScalar(x.dtype, b) : promoteTypes(x.dtype, b.dtype);
  const res = op === 'div' ? floatTypeOf(dt) : dt;
  if (isFloat(res) && !isFloat(x.dtype))
    throw new DTypeError(
      `i${op}: the result of ${x.dtype} ${op} ${typeof b === 'number' ? b : b.dtype} is ${res} and cannot be stored in place into a ${x.dtype} array; ` +
        `use x.${op}(...) for a new array, or astype first`,
    );
  x._beforeInplace(`i${op}`);
  if (typeof b === 'number') {
    x.context.backend.binaryScalar(op, x, b, false, x);
    return x;
  }
  sameContext(`i${op}`, x, b);
  const shape = broadcastShapes(x.shape, b.shape, `i${op}`);
  if (!shapesEqual(shape, x.shape))
    throw new ShapeError(`i${op}: cannot write the broadcast result of shape ${shapeStr(shape)} into an array of shape ${shapeStr(x.shape)}`);
  // Read b fully before writing when it shares storage with x (e.g. x.iadd(x.T)).
  const src = b.storage === x.storage ? b.copy() : b;
  withTemps(src !== b ? [src] : [], () => x.context.backend.binary(op, x, kernelView(src, shape), x));
  return x;
}

/** A copy of x in another dtype; the gradient converts back. */
export function cast(x: NDArray, dtype: DType): NDArray {
  x.checkAlive('astype');
  const out = empty(x.shape, dtype, x.context);
  x.context.backend.copy(x, out);
  if (isFloat(dtype) && shouldRecord(x)) {
    const from = x.dtype;
    recordOp('astype', [x], out, (g) => [g.astype(from)], 'none');
  }
  return out;
}

/** `cond ? a : b` elementwise with broadcasting; gradients flow to a and b, not to cond. */
export function where(cond: NDArray, a: ArrayOrScalar, b: ArrayOrScalar): NDArray {
  const ctx = cond.context;
  const A = typeof a === 'number' ? fullLike(cond, a, typeof b === 'number' ? 'float32' : b.dtype) : a;
  const B = typeof b === 'number' ? fullLike(cond, b, A.dtype) : b;
  sameContext('where', cond, A, B);
  const shape = broadcastShapes(broadcastShapes(cond.shape, A.shape, 'where'), B.shape, 'where');
  const out = empty(shape, promoteTypes(A.dtype, B.dtype), ctx);
  ctx.backend.where(kernelView(cond, shape), kernelView(A, shape), kernelView(B, shape), out);
  if (shouldRecord(A, B))
    recordOp('where', [cond, A, B], out, (g, [c, as, bs]) => {
      const m = c.notEqual(0).astype(g.dtype);
      return [null, unbroadcast(g.mul(m), as.shape), unbroadcast(g.mul(m.rsub(1)), bs.shape)];
    }, 'inputs');
  if (A !== a) A.dispose();
  if (B !== b) B.dispose();
  return out;
}

function fullLike(ref: NDArray, v: number, dtype: DType): NDArray {
  const t = empty([], dtype, ref.context);
  ref.context.backend.fill(t, v);
  return t;
}

/** Elementwise clamp into [lo, hi]; gradient 1 inside the interval, 0 outside. */
export function clip(x: NDArray, lo: number, hi: number): NDArray {
  if (!(lo <= hi)) throw new ValueError(`clip: a_min (${lo}) must not exceed a_max (${hi})`);
  const t = binary('maximum', x, lo);
  const r = binary('minimum', t, hi);
  t.dispose();
  return r;
}
