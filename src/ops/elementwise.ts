// Elementwise primitives: unary, binary (with broadcasting), where, cast, clip and in-place
// updates, each op one record (result dtype, what it saves, its gradient).
import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { floatTypeOf, isFloat, promoteTypes, promoteWithScalar, type DType } from '../core/dtype.js';
import { DTypeError, ShapeError, ValueError } from '../core/errors.js';
import { broadcastShapes, shapeStr, shapesEqual } from '../core/shape.js';
import { recordOp, shouldRecord, type Save } from '../autograd/tape.js';
import type { NDArray, ArrayOrScalar } from '../ndarray/ndarray.js';
import { composite, empty, kernelView, sameContext } from './util.js';
import { unbroadcast } from './reduce.js';

type UnaryRule = (g: NDArray, x: NDArray, y: NDArray) => NDArray;

/**
 * Every unary op, one record each: its result dtype (`same` as the input, `float` even for integer
 * inputs, or `bool`), what the tape keeps for the gradient, and the gradient from the output
 * gradient g, the input x and the output y (null: not differentiable, nothing is recorded). The
 * exhaustive Record makes a new op state all three, as the backends' kernel tables must.
 */
const UNARY: Record<UnaryOp, { out: 'same' | 'float' | 'bool'; save: Save; vjp: UnaryRule | null }> = {
  neg: { out: 'same', save: 'none', vjp: (g) => g.neg() },
  abs: { out: 'same', save: 'inputs', vjp: (g, x) => g.mul(x.sign()) },
  sign: { out: 'same', save: 'none', vjp: null },
  exp: { out: 'float', save: 'output', vjp: (g, _x, y) => g.mul(y) },
  log: { out: 'float', save: 'inputs', vjp: (g, x) => g.div(x) },
  sqrt: { out: 'float', save: 'output', vjp: (g, _x, y) => g.div(y.mul(2)) },
  square: { out: 'same', save: 'inputs', vjp: (g, x) => g.mul(x).mul(2) },
  sin: { out: 'float', save: 'inputs', vjp: (g, x) => g.mul(x.cos()) },
  cos: { out: 'float', save: 'inputs', vjp: (g, x) => g.mul(x.sin()).neg() },
  tanh: { out: 'float', save: 'output', vjp: (g, _x, y) => g.mul(y.square().rsub(1)) },
  sigmoid: { out: 'float', save: 'output', vjp: (g, _x, y) => g.mul(y.mul(y.rsub(1))) },
  // PyTorch's threshold_backward: the gradient passes where x > 0, so it is 0 at a NaN input
  // (whose value relu keeps). y > 0 exactly where x > 0 (relu keeps NaN, and -0 and negatives
  // become 0), so the rule reads the output: a conv-bn-relu block then keeps relu's output, which
  // the next layer saves anyway, instead of its input as well (a third of ResNet's activations).
  relu: { out: 'same', save: 'output', vjp: (g, _x, y) => g.mul(y.greater(0)) },
  floor: { out: 'same', save: 'none', vjp: null },
  ceil: { out: 'same', save: 'none', vjp: null },
  round: { out: 'same', save: 'none', vjp: null },
  reciprocal: { out: 'float', save: 'output', vjp: (g, _x, y) => g.mul(y.square()).neg() },
  log1p: { out: 'float', save: 'inputs', vjp: (g, x) => g.div(x.add(1)) },
  expm1: { out: 'float', save: 'output', vjp: (g, _x, y) => g.mul(y.add(1)) },
  logicalNot: { out: 'same', save: 'none', vjp: null },
  isnan: { out: 'bool', save: 'none', vjp: null },
  isinf: { out: 'bool', save: 'none', vjp: null },
};

/** Whether a unary op's result is floating point even for integer inputs. */
export function isFloatResult(op: UnaryOp): boolean {
  return UNARY[op].out === 'float';
}

/** One elementwise unary primitive: forward on the backend, gradient from its UNARY record. */
export function unary(op: UnaryOp, x: NDArray): NDArray {
  x.checkAlive(op);
  const spec = UNARY[op];
  const dtype: DType = spec.out === 'float' ? floatTypeOf(x.dtype) : spec.out === 'bool' ? 'bool' : x.dtype;
  const out = empty(x.shape, dtype, x.context);
  x.context.backend.unary(op, x, out);
  const rule = spec.vjp;
  if (rule && shouldRecord(x))
    recordOp(op, [x], out, (g, [xs], y, sink) => [(sink && fusedUnaryGrad(op, g, y)) || rule(g, xs, y)], spec.save);
  return out;
}

/**
 * sigmoid's and tanh's gradient in one backend pass where the backend has it (Backend.unaryGrad):
 * only for a backward pass that is not itself recorded (a rule is offered a sink only then), since
 * the fused kernel is not differentiable. Null where not taken.
 */
function fusedUnaryGrad(op: UnaryOp, g: NDArray, y: NDArray): NDArray | null {
  if (op !== 'sigmoid' && op !== 'tanh') return null;
  const b = y.context.backend;
  if (!b.unaryGrad || g.context.backend !== b || g.dtype !== y.dtype || !shapesEqual(g.shape, y.shape)) return null;
  const out = empty(y.shape, y.dtype, y.context);
  if (b.unaryGrad(op, g, y, out)) return out;
  out.dispose();
  return null;
}

/** [da, db] from g, a, b and the output y (before un-broadcasting); null: no gradient for that side. */
type BinaryRule = (g: NDArray, a: NDArray | number, b: NDArray | number, y: NDArray) => [NDArray | null, NDArray | null];

/**
 * Every binary op, one record each: whether its result is floating point even for integer
 * operands (true division), what the tape keeps, and the gradient (null: not differentiable).
 */
const BINARY: Record<BinaryOp, { float: boolean; save: Save; vjp: BinaryRule | null }> = {
  add: { float: false, save: 'none', vjp: (g) => [g, g] },
  sub: { float: false, save: 'none', vjp: (g) => [g, g.neg()] },
  mul: { float: false, save: 'inputs', vjp: (g, a, b) => [mulAny(g, b), mulAny(g, a)] },
  div: { float: true, save: 'inputs', vjp: (g, a, b) => [divAny(g, b), typeof b === 'number' ? null : mulAny(g, a).div(b).div(b).neg()] },
  pow: {
    float: false,
    save: 'both',
    vjp: (g, a, b, y) => [
      typeof a === 'number' ? null : mulAny(g, typeof b === 'number' ? a.pow(b - 1).mul(b) : a.pow(b.sub(1)).mul(b)),
      typeof b === 'number' ? null : g.mul(y).mul(typeof a === 'number' ? Math.log(a) : a.log()),
    ],
  },
  maximum: { float: false, save: 'inputs', vjp: (g, a, b) => maskPair(g, a, b, 'greaterEqual') },
  minimum: { float: false, save: 'inputs', vjp: (g, a, b) => maskPair(g, a, b, 'lesserEqual') },
  // d(a mod b)/db = -floor(a / b), also when a is a scalar (s mod x).
  mod: {
    float: false,
    save: 'inputs',
    vjp: (g, a, b) => [g, typeof b === 'number' ? null : g.mul((typeof a === 'number' ? b.rdiv(a) : a.div(b)).floor()).neg()],
  },
  equal: { float: false, save: 'none', vjp: null },
  notEqual: { float: false, save: 'none', vjp: null },
  greater: { float: false, save: 'none', vjp: null },
  greaterEqual: { float: false, save: 'none', vjp: null },
  lesser: { float: false, save: 'none', vjp: null },
  lesserEqual: { float: false, save: 'none', vjp: null },
};

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
  const spec = BINARY[op];
  const t = promoteTypes(a.dtype, b.dtype);
  const out = empty(shape, spec.float ? floatTypeOf(t) : t, ctx);
  // Broadcast operands reach the kernel as bare strided views (no handles to create and free).
  ctx.backend.binary(op, kernelView(a, out.shape), kernelView(b, out.shape), out);
  const rule = spec.vjp;
  if (rule && shouldRecord(a, b))
    recordOp(
      op,
      [a, b],
      out,
      (g, [as, bs], y) => {
        const [ga, gb] = rule(g, as, bs, y);
        return [ga && unbroadcast(ga, as.shape), gb && unbroadcast(gb, bs.shape)];
      },
      spec.save,
    );
  return out;
}

function binaryScalar(op: BinaryOp, a: ArrayOrScalar, b: ArrayOrScalar): NDArray {
  const reverse = typeof a === 'number';
  const x = (reverse ? b : a) as NDArray;
  const s = (reverse ? a : b) as number;
  x.checkAlive(op);
  const spec = BINARY[op];
  const t = promoteWithScalar(x.dtype, s);
  const out = empty(x.shape, spec.float ? floatTypeOf(t) : t, x.context);
  x.context.backend.binaryScalar(op, x, s, reverse, out);
  const rule = spec.vjp;
  if (rule && shouldRecord(x))
    recordOp(
      op,
      [x],
      out,
      (g, [xs], y) => {
        const [ga, gb] = reverse ? rule(g, s, xs, y) : rule(g, xs, s, y);
        return [reverse ? gb : ga];
      },
      spec.save,
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
  const res = BINARY[op].float ? floatTypeOf(dt) : dt;
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
    throw new ShapeError(
      `i${op}: cannot write the broadcast result of shape ${shapeStr(shape)} into an array of shape ${shapeStr(x.shape)}`,
    );
  // Read b fully before writing when it shares storage with x (e.g. x.iadd(x.T)).
  if (b.storage === x.storage) composite(() => x.context.backend.binary(op, x, kernelView(b.copy(), shape), x));
  else x.context.backend.binary(op, x, kernelView(b, shape), x);
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
  if (typeof a !== 'number' && typeof b !== 'number') return where3(cond, a, b);
  // A scalar side becomes a 0-d array of the other side's dtype (float32 when both are numbers).
  return composite(() => {
    const A = typeof a === 'number' ? fullLike(cond, a, typeof b === 'number' ? 'float32' : b.dtype) : a;
    return where3(cond, A, typeof b === 'number' ? fullLike(cond, b, A.dtype) : b);
  });
}

/** The where primitive on three arrays. */
function where3(cond: NDArray, A: NDArray, B: NDArray): NDArray {
  const ctx = cond.context;
  sameContext('where', cond, A, B);
  const shape = broadcastShapes(broadcastShapes(cond.shape, A.shape, 'where'), B.shape, 'where');
  const out = empty(shape, promoteTypes(A.dtype, B.dtype), ctx);
  ctx.backend.where(kernelView(cond, shape), kernelView(A, shape), kernelView(B, shape), out);
  if (shouldRecord(A, B))
    recordOp(
      'where',
      [cond, A, B],
      out,
      (g, [c, as, bs]) => {
        const m = c.notEqual(0).astype(g.dtype);
        return [null, unbroadcast(g.mul(m), as.shape), unbroadcast(g.mul(m.rsub(1)), bs.shape)];
      },
      'inputs',
    );
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
  return composite(() => binary('minimum', binary('maximum', x, lo), hi));
}
