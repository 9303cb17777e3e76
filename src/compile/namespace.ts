/**
 * The two values of `F` in `hybridForward(F, x, ...params)`: `ndNamespace` (the eager ops, F when
 * a block runs imperatively) and `symNamespace` (the same functions on symbols, F while a
 * hybridized block is traced). Both print as the book's modules do, and have the MXNet-named
 * layer ops (FullyConnected, Activation, Dropout, Flatten) beside the `nd.*` names.
 */
import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { ValueError } from '../core/errors.js';
import * as nd from '../ndarray/nd.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { isSymbol, type SymbolArray } from './graph.js';
import { ACT_TYPES, CONV_ATTRS, POOL_ATTRS, opDef, runActivation, runFullyConnected } from './ops.js';

/** The options of FullyConnected, MXNet's in camelCase. */
export interface FullyConnectedOptions {
  numHidden: number;
  noBias?: boolean;
  flatten?: boolean;
  /** The output's name while tracing (a Dense layer names it 'fwd', as Gluon). */
  name?: string;
}

/** Names of the elementwise functions both namespaces have, with the op each one is. */
const UNARY_FNS: Record<string, UnaryOp> = {
  exp: 'exp',
  log: 'log',
  sqrt: 'sqrt',
  square: 'square',
  abs: 'abs',
  sign: 'sign',
  negative: 'neg',
  sin: 'sin',
  cos: 'cos',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  relu: 'relu',
  floor: 'floor',
  ceil: 'ceil',
  round: 'round',
  reciprocal: 'reciprocal',
  log1p: 'log1p',
  expm1: 'expm1',
};
const BINARY_FNS: Record<string, BinaryOp> = {
  add: 'add',
  elemwiseAdd: 'add',
  broadcastAdd: 'add',
  subtract: 'sub',
  broadcastSub: 'sub',
  multiply: 'mul',
  elemwiseMul: 'mul',
  broadcastMul: 'mul',
  divide: 'div',
  broadcastDiv: 'div',
  power: 'pow',
  maximum: 'maximum',
  minimum: 'minimum',
  mod: 'mod',
  equal: 'equal',
  notEqual: 'notEqual',
  greater: 'greater',
  greaterEqual: 'greaterEqual',
  lesser: 'lesser',
  lesserEqual: 'lesserEqual',
};

function checkFc(where: string, opts: FullyConnectedOptions): void {
  if (!opts || typeof opts !== 'object' || !Number.isInteger(opts.numHidden) || opts.numHidden < 1)
    throw new ValueError(`${where}: expected options { numHidden: integer >= 1, noBias?, flatten? }, got ${JSON.stringify(opts)}`);
}
function checkAct(where: string, actType: unknown): void {
  if (!(ACT_TYPES as readonly unknown[]).includes(actType))
    throw new ValueError(`${where}: actType must be one of ${ACT_TYPES.join(', ')}, got ${JSON.stringify(actType)}`);
}

/** The namespace of a hybridForward's F: the functions blocks call, on arrays or on symbols. */
export interface Namespace {
  readonly [fn: string]: any;
}

const ndExtra = {
  /**
   * MXNet's FullyConnected: x (flattened to 2-D unless `flatten: false`) times weightᵀ plus bias.
   * @example F.FullyConnected(x, weight, bias, { numHidden: 10 })
   */
  FullyConnected(x: NDArray, weight: NDArray, bias: NDArray | null, opts: FullyConnectedOptions): NDArray {
    checkFc('nd.FullyConnected', opts);
    return runFullyConnected(bias ? [x, weight, bias] : [x, weight], {
      numHidden: opts.numHidden,
      noBias: !bias || opts.noBias === true,
      flatten: opts.flatten !== false,
    });
  },
  /** MXNet's Activation. @example F.Activation(x, { actType: 'relu' }) */
  Activation(x: NDArray, opts: { actType: string }): NDArray {
    checkAct('nd.Activation', opts?.actType);
    return runActivation(x, opts.actType);
  },
  /** MXNet's Dropout (identity outside training). @example F.Dropout(x, { p: 0.5 }) */
  Dropout(x: NDArray, opts: { p: number; axes?: number[] }): NDArray {
    return opDef('Dropout').run([x], { p: opts?.p, axes: opts?.axes ?? [] });
  },
  /** MXNet's Flatten. @example F.Flatten(x) */
  Flatten(x: NDArray): NDArray {
    return opDef('Flatten').run([x], {});
  },
  toString: () => "<module 'mxnet.ndarray' (d2l-ts src/ndarray/nd.ts)>",
};

/**
 * F when a block runs eagerly: the `nd` namespace with MXNet's layer ops added.
 *
 * @example
 * String(ndNamespace); // "<module 'mxnet.ndarray' (d2l-ts src/ndarray/nd.ts)>"
 * ndNamespace.relu(nd.array([-1, 1])); // [0, 1]
 */
export const ndNamespace: Namespace = Object.freeze({
  ...nd,
  ...ndExtra,
  [Symbol.for('nodejs.util.inspect.custom')]: () => ndExtra.toString(),
});

function sym(x: unknown, fn: string): SymbolArray {
  if (!isSymbol(x))
    throw new ValueError(
      `sym.${fn}: expected a symbol, got ${x === null ? 'null' : typeof x === 'object' ? (x as object).constructor.name : typeof x}; ` +
        'F is the symbol namespace while a hybridized block is traced, and takes the symbols hybridForward received',
    );
  return x;
}

const symFns: Record<string, unknown> = {};
for (const [fn, op] of Object.entries(UNARY_FNS)) symFns[fn] = (x: unknown) => sym(x, fn).tracer.apply(op, [sym(x, fn)]);
for (const [fn, op] of Object.entries(BINARY_FNS))
  symFns[fn] = (a: unknown, b: unknown) => {
    if (typeof a === 'number') return sym(b, fn).tracer.apply(`${op}Scalar`, [sym(b, fn)], { scalar: a, reverse: true });
    const x = sym(a, fn);
    if (typeof b === 'number') return x.tracer.apply(`${op}Scalar`, [x], { scalar: b, reverse: false });
    return x.tracer.apply(op, [x, sym(b, fn)]);
  };

/**
 * F while a hybridized block is traced: the same functions as `ndNamespace`, on symbols.
 *
 * @example
 * String(symNamespace); // "<module 'mxnet.symbol' (d2l-ts src/compile/)>"
 */
export const symNamespace: Namespace = Object.freeze({
  ...symFns,
  dot: (a: unknown, b: unknown, opts: { transposeA?: boolean; transposeB?: boolean } = {}) =>
    sym(a, 'dot').tracer.apply('dot', [sym(a, 'dot'), sym(b, 'dot')], {
      transposeA: opts.transposeA === true,
      transposeB: opts.transposeB === true,
    }),
  FullyConnected: (x: unknown, weight: unknown, bias: unknown, opts: FullyConnectedOptions) => {
    checkFc('sym.FullyConnected', opts);
    const ins = [sym(x, 'FullyConnected'), sym(weight, 'FullyConnected')];
    if (bias !== null && bias !== undefined) ins.push(sym(bias, 'FullyConnected'));
    return ins[0].tracer.apply(
      'FullyConnected',
      ins,
      { numHidden: opts.numHidden, noBias: ins.length < 3 || opts.noBias === true, flatten: opts.flatten !== false },
      opts.name === undefined ? undefined : ins[0].tracer.prefixed(opts.name),
    );
  },
  Activation: (x: unknown, opts: { actType: string }) => {
    checkAct('sym.Activation', opts?.actType);
    return sym(x, 'Activation').tracer.apply('Activation', [sym(x, 'Activation')], { actType: opts.actType });
  },
  /** nd.Convolution's one-object form on symbols. @example F.Convolution({ data: x, weight, bias, kernel: [3, 3], numFilter: 6 }) */
  Convolution: (args: Record<string, unknown>) => {
    const data = sym(args?.data, 'Convolution');
    const ins = [data, sym(args.weight, 'Convolution')];
    if (args.bias !== null && args.bias !== undefined && args.noBias !== true) ins.push(sym(args.bias, 'Convolution'));
    const attrs: Record<string, unknown> = {};
    for (const k of CONV_ATTRS) if (args[k] !== undefined) attrs[k] = args[k];
    attrs.noBias = ins.length < 3;
    return data.tracer.apply('Convolution', ins, attrs);
  },
  /** nd.Pooling's one-object form on symbols. @example F.Pooling({ data: x, kernel: [2, 2], poolType: 'max', stride: [2, 2] }) */
  Pooling: (args: Record<string, unknown>) => {
    const data = sym(args?.data, 'Pooling');
    const attrs: Record<string, unknown> = {};
    for (const k of POOL_ATTRS) if (args[k] !== undefined) attrs[k] = args[k];
    return data.tracer.apply('Pooling', [data], attrs);
  },
  Dropout: (x: unknown, opts: { p: number; axes?: number[] }) =>
    sym(x, 'Dropout').tracer.apply('Dropout', [sym(x, 'Dropout')], { p: opts?.p, axes: [...(opts?.axes ?? [])] }),
  Flatten: (x: unknown) => sym(x, 'Flatten').tracer.apply('Flatten', [sym(x, 'Flatten')]),
  flatten: (x: unknown) => sym(x, 'flatten').tracer.apply('Flatten', [sym(x, 'flatten')]),
  reshape: (x: unknown, shape: readonly number[]) => sym(x, 'reshape').reshape(shape),
  transpose: (x: unknown, axes?: readonly number[]) => sym(x, 'transpose').transpose(axes),
  sum: (x: unknown, opts?: { axis?: number | number[] | null; keepdims?: boolean }) => sym(x, 'sum').sum(opts),
  mean: (x: unknown, opts?: { axis?: number | number[] | null; keepdims?: boolean }) => sym(x, 'mean').mean(opts),
  softmax: (x: unknown, opts?: { axis?: number }) => sym(x, 'softmax').softmax(opts),
  logSoftmax: (x: unknown, opts?: { axis?: number }) =>
    sym(x, 'logSoftmax').tracer.apply('logSoftmax', [sym(x, 'logSoftmax')], { axis: opts?.axis ?? -1 }),
  concat: (xs: unknown[], opts: { dim?: number } = {}) => {
    if (!Array.isArray(xs) || xs.length === 0) throw new ValueError('sym.concat: expected a non-empty list of symbols');
    const ss = xs.map((x) => sym(x, 'concat'));
    return ss[0].tracer.apply('concat', ss, { dim: opts.dim ?? 1 });
  },
  toString: () => "<module 'mxnet.symbol' (d2l-ts src/compile/)>",
  [Symbol.for('nodejs.util.inspect.custom')]: () => "<module 'mxnet.symbol' (d2l-ts src/compile/)>",
});
