// The reference's elementwise machinery: views as kernel arguments, and map(), which runs a kernel
// generated from an expression string (exprs.ts; codegen.ts compiles one per expression, rank and
// array types) over an output's shape. Storage I/O, casts and the reductions' accumulation use it too.
import type { DType } from '../../core/dtype.js';
import { coalesce, isContiguous, sizeOf } from '../../core/shape.js';
import type { BinaryOp, View } from '../backend.js';
import { arrayTypeCode, mapKernel, type Arr } from './codegen.js';
import { BINARY_EXPR } from './exprs.js';
import type { CpuStorage } from './cpu-backend.js';

/** The typed array over a CPU view's storage (index it from v.offset with v.strides). */
export function arr(v: View): Arr {
  return (v.storage as CpuStorage).data;
}

/** A kernel operand: an array, the offset of its first element and its strides over the output's shape. */
export interface ArgView {
  arr: Arr;
  offset: number;
  strides: readonly number[];
}
/** An output that is not a view (a temporary array or a non-heap destination). */
export interface OutArg extends ArgView {
  shape: readonly number[];
}

export function viewArg(v: View): ArgView {
  return { arr: arr(v), offset: v.offset, strides: v.strides };
}

/** Row-major contiguous (unit dims' strides ignored). */
export function isDense(v: View): boolean {
  return isContiguous(v.shape, v.strides);
}

/** Runs a generated elementwise kernel over `out`'s shape: out = expr(a, b, c, s) for the inputs a, b, c and the scalar s. */
export function map(expr: string, out: View | OutArg, ins: ArgView[], s: number): void {
  const shape = out.shape;
  if (sizeOf(shape) === 0) return;
  const o = 'storage' in out ? viewArg(out) : out;
  const nIn = ins.length;
  const st: (readonly number[])[] = [o.strides];
  let types = arrayTypeCode(o.arr);
  for (let i = 0; i < nIn; i++) {
    st.push(ins[i].strides);
    types = types * 8 + arrayTypeCode(ins[i].arr);
  }
  const c = coalesce(shape, st);
  const k = mapKernel(expr, nIn, c.shape.length, types);
  const cs = c.strides;
  if (nIn === 0) k(o.arr, o.offset, cs[0], c.shape, s);
  else if (nIn === 1) k(o.arr, o.offset, cs[0], c.shape, s, ins[0].arr, ins[0].offset, cs[1]);
  else if (nIn === 2) k(o.arr, o.offset, cs[0], c.shape, s, ins[0].arr, ins[0].offset, cs[1], ins[1].arr, ins[1].offset, cs[2]);
  else {
    const args: unknown[] = [];
    for (let i = 0; i < nIn; i++) args.push(ins[i].arr, ins[i].offset, cs[i + 1]);
    k(o.arr, o.offset, cs[0], c.shape, s, ...args);
  }
}

const boolExprs = new Map<string, string>();
/** Wraps `expr` so the stored value follows the output dtype's conversion rules. */
export function castExpr(d: DType, expr: string): string {
  // Typed arrays already truncate/wrap on store; bool must map every non-zero to 1.
  if (d !== 'bool') return expr;
  let e = boolExprs.get(expr);
  if (e === undefined) boolExprs.set(expr, (e = `((${expr}) !== 0 ? 1 : 0)`));
  return e;
}

const scalarExprs = new Map<string, string>();
/** BINARY_EXPR[op] with the scalar `s` as operand b, or as operand a when `reverse` (memoised). */
export function scalarExpr(op: BinaryOp, reverse: boolean): string {
  const key = reverse ? 'r' + op : op;
  let expr = scalarExprs.get(key);
  if (expr === undefined) {
    const e = BINARY_EXPR[op];
    // Rename the operands so the scalar sits on the requested side.
    expr = reverse ? e.replace(/\ba\b/g, '__x').replace(/\bb\b/g, 'a').replace(/__x/g, 's') : e.replace(/\bb\b/g, 's');
    scalarExprs.set(key, expr);
  }
  return expr;
}
