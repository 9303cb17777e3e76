/**
 * The graph compiler's op table: for each op a graph node can hold, its MXNet name (used by
 * `export`), how to run it with the eager ops (the compiled program's path for everything that
 * is not fused, and the trace's way of learning shapes and dtypes), and, for elementwise ops, the
 * instruction the fusion pass turns it into. Nothing here changes the eager ops themselves.
 */
import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { BINARY_EXPR, UNARY_EXPR } from '../backend/cpu/exprs.js';
import { isTraining } from '../autograd/autograd.js';
import { ShapeError, ValueError } from '../core/errors.js';
import { shapeStr, sizeOf } from '../core/shape.js';
import type { NDArray } from '../ndarray/ndarray.js';
import * as E from '../ops/elementwise.js';
import { Convolution, Pooling } from '../ops/conv-ops.js';
import { dot } from '../ops/linalg.js';
import * as M from '../ops/movement.js';
import { dropout, logSoftmax, softmax, softrelu } from '../ops/nn.js';
import * as R from '../ops/reduce.js';
import { composite } from '../ops/util.js';

/** A node's attributes (numbers, booleans, strings, number lists; an opaque layer node also holds its block). */
export type Attrs = Readonly<Record<string, unknown>>;

/** What an elementwise op becomes inside a fused kernel. */
export type ElementwiseForm =
  { readonly un: UnaryOp } | { readonly bin: BinaryOp } | { readonly bin: BinaryOp; readonly scalar: number; readonly reverse: boolean };

export interface OpDef {
  /** The op's name in MXNet's symbol JSON. */
  readonly mxnet: string;
  /** Runs the op eagerly (recorded by autograd as the eager ops always are). */
  run(inputs: readonly NDArray[], attrs: Attrs): NDArray;
  /** For elementwise ops: the fused form. */
  elementwise?(attrs: Attrs): ElementwiseForm;
  /** Whether the result is always a new buffer nobody else sees (an epilogue may then write into it). */
  readonly fresh?: boolean;
}

const UNARY_MX: Partial<Record<UnaryOp, string>> = { neg: 'negative', logicalNot: 'logical_not' };
const BINARY_MX: Record<BinaryOp, string> = {
  add: 'broadcast_add',
  sub: 'broadcast_sub',
  mul: 'broadcast_mul',
  div: 'broadcast_div',
  pow: 'broadcast_power',
  maximum: 'broadcast_maximum',
  minimum: 'broadcast_minimum',
  mod: 'broadcast_mod',
  equal: 'broadcast_equal',
  notEqual: 'broadcast_not_equal',
  greater: 'broadcast_greater',
  greaterEqual: 'broadcast_greater_equal',
  lesser: 'broadcast_lesser',
  lesserEqual: 'broadcast_lesser_equal',
};
const SCALAR_MX: Record<BinaryOp, [string, string]> = {
  add: ['_plus_scalar', '_plus_scalar'],
  sub: ['_minus_scalar', '_rminus_scalar'],
  mul: ['_mul_scalar', '_mul_scalar'],
  div: ['_div_scalar', '_rdiv_scalar'],
  pow: ['_power_scalar', '_rpower_scalar'],
  maximum: ['_maximum_scalar', '_maximum_scalar'],
  minimum: ['_minimum_scalar', '_minimum_scalar'],
  mod: ['_mod_scalar', '_rmod_scalar'],
  equal: ['_equal_scalar', '_equal_scalar'],
  notEqual: ['_not_equal_scalar', '_not_equal_scalar'],
  greater: ['_greater_scalar', '_lesser_scalar'],
  greaterEqual: ['_greater_equal_scalar', '_lesser_equal_scalar'],
  lesser: ['_lesser_scalar', '_greater_scalar'],
  lesserEqual: ['_lesser_equal_scalar', '_greater_equal_scalar'],
};

/** The activations of MXNet's Activation op. */
export const ACT_TYPES = ['relu', 'sigmoid', 'tanh', 'softrelu', 'softsign'] as const;

function num(attrs: Attrs, key: string, op: string): number {
  const v = attrs[key];
  if (typeof v !== 'number') throw new ValueError(`${op}: attribute '${key}' must be a number, got ${String(v)}`);
  return v;
}
function optAxis(attrs: Attrs): number | number[] | undefined {
  const a = attrs.axis;
  return a === undefined || a === null ? undefined : (a as number | number[]);
}

/**
 * MXNet's Activation on an array: relu, sigmoid, tanh, softrelu or softsign (x / (1 + |x|)).
 *
 * @example
 * runActivation(nd.array([-1, 2]), 'relu').toArray(); // [0, 2]
 */
export function runActivation(x: NDArray, actType: unknown): NDArray {
  switch (actType) {
    case 'relu':
    case 'sigmoid':
    case 'tanh':
      return E.unary(actType, x);
    case 'softrelu':
      return softrelu(x);
    case 'softsign':
      return composite(() => x.div(x.abs().add(1)));
  }
  throw new ValueError(`Activation: unknown act_type ${JSON.stringify(actType)}; expected one of ${ACT_TYPES.join(', ')}`);
}

/**
 * MXNet's FullyConnected: data (flattened to 2-D unless `flatten` is false) times weightᵀ, plus bias.
 *
 * @example
 * runFullyConnected([x, w, b], { numHidden: 10, flatten: true, noBias: false });
 */
export function runFullyConnected(inputs: readonly NDArray[], attrs: Attrs): NDArray {
  const [x, w, b] = inputs;
  const flatten = attrs.flatten !== false;
  const inUnits = flatten ? sizeOf(x.shape.slice(1)) : x.shape[x.ndim - 1];
  if (w.ndim !== 2 || w.shape[1] !== inUnits)
    throw new ShapeError(
      `FullyConnected: the data of shape ${shapeStr(x.shape)} has ${inUnits} features but the weight has shape ${shapeStr(w.shape)}`,
    );
  return composite(() => {
    const x2 = flatten ? (x.ndim === 2 ? x : x.reshape([x.shape[0], inUnits])) : x;
    const y = dot(x2, w, { transposeB: true });
    return attrs.noBias || !b ? y : y.add(b);
  });
}

/** The attributes of Convolution and Pooling nodes (their nd.* argument names). */
export const CONV_ATTRS = ['kernel', 'numFilter', 'stride', 'pad', 'dilate', 'numGroup', 'noBias'] as const;
export const POOL_ATTRS = ['kernel', 'poolType', 'globalPool', 'stride', 'pad', 'poolingConvention', 'countIncludePad'] as const;

/** The attributes among `keys` that are set (an imported file may leave some out). */
function defined(at: Attrs, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (at[k] !== undefined && at[k] !== null) out[k] = at[k];
  return out;
}

const table = new Map<string, OpDef>();

for (const u of Object.keys(UNARY_EXPR) as UnaryOp[])
  table.set(u, { mxnet: UNARY_MX[u] ?? u, run: ([x]) => E.unary(u, x), elementwise: () => ({ un: u }) });
for (const b of Object.keys(BINARY_EXPR) as BinaryOp[]) {
  table.set(b, { mxnet: BINARY_MX[b], run: ([x, y]) => E.binary(b, x, y), elementwise: () => ({ bin: b }) });
  table.set(`${b}Scalar`, {
    mxnet: SCALAR_MX[b][0],
    run: ([x], at) => {
      const s = num(at, 'scalar', `${b}Scalar`);
      return at.reverse ? E.binary(b, s, x) : E.binary(b, x, s);
    },
    elementwise: (at) => ({ bin: b, scalar: num(at, 'scalar', `${b}Scalar`), reverse: at.reverse === true }),
  });
}

const others: Record<string, OpDef> = {
  dot: {
    mxnet: 'dot',
    fresh: true,
    run: ([a, b], at) => dot(a, b, { transposeA: at.transposeA === true, transposeB: at.transposeB === true }),
  },
  FullyConnected: { mxnet: 'FullyConnected', fresh: true, run: runFullyConnected },
  Activation: { mxnet: 'Activation', run: ([x], at) => runActivation(x, at.actType) },
  // MXNet's Convolution and Pooling with their arguments as attributes (nd.Convolution's and nd.Pooling's names).
  Convolution: {
    mxnet: 'Convolution',
    fresh: true,
    run: ([data, weight, bias], at) =>
      Convolution({ ...(defined(at, CONV_ATTRS) as object), data, weight, bias: at.noBias ? null : (bias ?? null) } as never),
  },
  Pooling: { mxnet: 'Pooling', run: ([data], at) => Pooling({ ...(defined(at, POOL_ATTRS) as object), data } as never) },
  softrelu: { mxnet: 'softrelu', run: ([x]) => softrelu(x) },
  Dropout: {
    mxnet: 'Dropout',
    // MXNet's Dropout is the identity outside training; a new handle either way.
    run: ([x], at) => {
      const p = num(at, 'p', 'Dropout');
      return isTraining() && p > 0 ? dropout(x, p, (at.axes as number[] | undefined) ?? [], 'Dropout') : x.reshape(x.shape);
    },
  },
  Flatten: {
    mxnet: 'Flatten',
    run: ([x]) => {
      if (x.ndim === 0) throw new ShapeError('Flatten: cannot flatten a 0-d array');
      return x.reshape([x.shape[0], sizeOf(x.shape.slice(1))]);
    },
  },
  Reshape: { mxnet: 'Reshape', run: ([x], at) => M.reshape(x, at.shape as number[]) },
  transpose: { mxnet: 'transpose', run: ([x], at) => M.transpose(x, (at.axes as number[] | undefined) ?? undefined) },
  sum: { mxnet: 'sum', run: ([x], at) => R.reduce('sum', x, { axis: optAxis(at), keepdims: at.keepdims === true }) },
  mean: { mxnet: 'mean', run: ([x], at) => R.mean(x, { axis: optAxis(at), keepdims: at.keepdims === true }) },
  max: { mxnet: 'max', run: ([x], at) => R.reduce('max', x, { axis: optAxis(at), keepdims: at.keepdims === true }) },
  softmax: { mxnet: 'softmax', run: ([x], at) => softmax(x, { axis: (at.axis as number | undefined) ?? -1 }) },
  logSoftmax: { mxnet: 'log_softmax', run: ([x], at) => logSoftmax(x, { axis: (at.axis as number | undefined) ?? -1 }) },
  concat: { mxnet: 'Concat', run: (xs, at) => M.concat([...xs], { dim: (at.dim as number | undefined) ?? 1 }) },
  _copy: { mxnet: '_copy', run: ([x]) => x.reshape(x.shape) },
};
for (const [k, v] of Object.entries(others)) table.set(k, v);

/**
 * The definition of op `name`, or an error naming it.
 *
 * @example
 * opDef('exp').mxnet; // 'exp'
 */
export function opDef(name: string): OpDef {
  const d = table.get(name);
  if (!d) throw new ValueError(`compile: unknown op '${name}'`);
  return d;
}

/** Whether `name` is an op of the table. @example hasOp('relu') // true */
export function hasOp(name: string): boolean {
  return table.has(name);
}

/**
 * The op whose MXNet name is `mxnet` (for SymbolBlock.imports), preferring the forward form of
 * scalar ops (`_rminus_scalar` is subScalar with reverse: true).
 *
 * @example
 * opFromMxnet('broadcast_add'); // { op: 'add', reverse: false }
 */
export function opFromMxnet(mxnet: string): { op: string; reverse: boolean } | null {
  for (const [b, [fwd, rev]] of Object.entries(SCALAR_MX)) {
    if (fwd === mxnet) return { op: `${b}Scalar`, reverse: false };
    if (rev === mxnet && rev !== fwd && !['greater', 'greaterEqual', 'lesser', 'lesserEqual'].includes(b))
      return { op: `${b}Scalar`, reverse: true };
  }
  for (const [k, d] of table) if (d.mxnet === mxnet) return { op: k, reverse: false };
  return null;
}

/** MXNet's name of a scalar op, which depends on the operand order. @example mxnetName('subScalar', { scalar: 1, reverse: true }) // '_rminus_scalar' */
export function mxnetName(op: string, attrs: Attrs): string {
  if (op.endsWith('Scalar')) {
    const b = op.slice(0, -'Scalar'.length) as BinaryOp;
    if (b in SCALAR_MX) return SCALAR_MX[b][attrs.reverse ? 1 : 0];
  }
  return opDef(op).mxnet;
}
