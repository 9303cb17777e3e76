/**
 * THE table of ops. Every differentiable op is gradient-checked from it (gradcheck.test.ts) and
 * every op is compared with the float64 reference in ref.ts (forward.test.ts). coverage.test.ts
 * fails when a backend primitive (UNARY_EXPR, BINARY_EXPR) or an `nd.*` function has no entry, so
 * a new op cannot skip these checks.
 */
import type { BinaryOp, UnaryOp } from '../../src/backend/backend.js';
import type { DType } from '../../src/core/dtype.js';
import { nd, NDArray } from '../../src/index.js';
import * as E from '../../src/ops/elementwise.js';
import * as R from './ref.js';
import type { Ref } from './ref.js';
import { apiEntries } from './op-table-api.js';

/** What values an input holds: the domain keeps ops away from poles and kinks. */
export type Kind =
  | 'real' // uniform in [-2, 2], at least 0.1 away from 0
  | 'pos' // uniform in [0.2, 2]
  | 'small' // uniform in [-1, 1] (exp/pow stay tame)
  | 'int' // integers in [-2, 2] (comparisons see ties)
  | 'special' // integers, 0, NaN and ±Infinity
  | 'index' // integers in [0, max): take/pick/oneHot indices (int32 unless dtype says otherwise)
  | 'bool'; // a 0/1 mask of dtype bool

export interface InSpec {
  shape: number[];
  kind?: Kind;
  /** For 'index': the exclusive upper bound. */
  max?: number;
  /** For 'index'/'bool': the dtype (default int32/bool). Float inputs follow the test's dtype. */
  dtype?: DType;
  /** Not differentiated (a float condition of where, say). */
  constant?: boolean;
}

export type Grad =
  | 'check' // central finite differences in float64 against backward()
  | 'zero' // piecewise constant: the gradient must be zero (or the output unrecorded)
  | 'none'; // not differentiable (integer/bool output)

export interface OpEntry {
  name: string;
  /** Backend primitives (UnaryOp/BinaryOp names) and `nd.*` functions (as 'nd.name') this entry exercises. */
  covers: string[];
  fn: (xs: NDArray[]) => NDArray;
  ref: (xs: Ref[]) => Ref;
  cases: InSpec[][];
  grad: Grad;
  /** Output dtype from the float dtype of the inputs (default: the same). */
  outDtype?: (d: DType) => DType;
  /** Extra relative tolerance for float32 forward checks. */
  tol32?: number;
  /** Skip the non-contiguous input layouts (ops whose inputs must be specific arrays). */
  contiguousOnly?: boolean;
}

// ------------------------------------------------------------------ deterministic randomness
/** mulberry32: tests draw their own numbers, independent of nd.random. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sample(kind: Kind, n: number, r: () => number, max = 1): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = r();
    switch (kind) {
      case 'real': {
        const v = 0.1 + 1.9 * r();
        out.push(u < 0.5 ? -v : v);
        break;
      }
      case 'pos':
        out.push(0.2 + 1.8 * u);
        break;
      case 'small':
        out.push(2 * u - 1);
        break;
      case 'int':
        out.push(Math.floor(u * 5) - 2);
        break;
      case 'special':
        out.push([0, 1, -2, NaN, Infinity, -Infinity, 3.5][Math.floor(u * 7)]);
        break;
      case 'index':
        out.push(Math.floor(u * max));
        break;
      case 'bool':
        out.push(u < 0.5 ? 1 : 0);
        break;
    }
  }
  return out;
}

/** Random shapes of rank 0..3 with dims 1..3, and broadcast-compatible partners. */
function randomShape(r: () => number, maxRank = 3): number[] {
  const rank = Math.floor(r() * (maxRank + 1));
  return Array.from({ length: rank }, () => 1 + Math.floor(r() * 3));
}
function partner(shape: number[], r: () => number): number[] {
  // Drop some leading dims, then set some dims to 1 on one side or the other.
  const drop = Math.floor(r() * (shape.length + 1));
  return shape.slice(drop).map((d) => (r() < 0.3 ? 1 : d));
}
const shapeRng = rng(20240601);

const s = (shape: number[], kind: Kind = 'real', extra: Partial<InSpec> = {}): InSpec => ({ shape, kind, ...extra });

/** Unary cases: the usual shapes, 0-d, size-0 and random ones. */
function unaryCases(kind: Kind): InSpec[][] {
  const shapes = [[2, 3], [], [0, 3], [5], [2, 1, 3], randomShape(shapeRng), randomShape(shapeRng)];
  return shapes.map((sh) => [s(sh, kind)]);
}

/** Binary cases covering broadcasting edge cases. */
function binaryCases(ka: Kind, kb: Kind): InSpec[][] {
  const pairs: [number[], number[]][] = [
    [
      [2, 3],
      [2, 3],
    ],
    [[2, 3], [3]],
    [
      [3, 1],
      [1, 4],
    ],
    [[], [2, 2]],
    [[2, 2], []],
    [[], []],
    [
      [0, 3],
      [1, 3],
    ],
    [
      [2, 1, 3],
      [4, 1],
    ],
    [[1], [5]],
  ];
  for (let i = 0; i < 3; i++) {
    const a = randomShape(shapeRng);
    const b = partner(a, shapeRng);
    pairs.push(shapeRng() < 0.5 ? [a, b] : [b, a]);
  }
  return pairs.map(([a, b]) => [s(a, ka), s(b, kb)]);
}

// ------------------------------------------------------------------ elementwise
type NdFn = (...a: unknown[]) => NDArray;
const ndf = (name: string): NdFn => (nd as unknown as Record<string, NdFn>)[name];

const UNARY: [prim: string, ndName: string | null, ref: (a: number) => number, kind: Kind, grad: Grad][] = [
  ['neg', 'negative', (a) => -a, 'real', 'check'],
  ['abs', 'abs', Math.abs, 'real', 'check'],
  ['sign', 'sign', Math.sign, 'real', 'zero'],
  ['exp', 'exp', Math.exp, 'real', 'check'],
  ['log', 'log', Math.log, 'pos', 'check'],
  ['sqrt', 'sqrt', Math.sqrt, 'pos', 'check'],
  ['square', 'square', (a) => a * a, 'real', 'check'],
  ['sin', 'sin', Math.sin, 'real', 'check'],
  ['cos', 'cos', Math.cos, 'real', 'check'],
  ['tanh', 'tanh', Math.tanh, 'real', 'check'],
  ['sigmoid', 'sigmoid', R.sigmoid, 'real', 'check'],
  ['relu', 'relu', (a) => Math.max(a, 0), 'real', 'check'],
  ['floor', 'floor', Math.floor, 'real', 'zero'],
  ['ceil', 'ceil', Math.ceil, 'real', 'zero'],
  ['round', 'round', R.roundHalfAway, 'real', 'zero'],
  ['reciprocal', 'reciprocal', (a) => 1 / a, 'real', 'check'],
  ['log1p', 'log1p', Math.log1p, 'pos', 'check'],
  ['expm1', 'expm1', Math.expm1, 'real', 'check'],
  // Primitives without an nd.* function (used by masks and checks inside the library).
  ['logicalNot', null, (a) => (a === 0 ? 1 : 0), 'int', 'zero'],
  ['isnan', null, (a) => (Number.isNaN(a) ? 1 : 0), 'special', 'none'],
  ['isinf', null, (a) => (a === Infinity || a === -Infinity ? 1 : 0), 'special', 'none'],
];

/** The unary backend primitives, as listed here (coverage.test.ts checks the list is complete); the WebGPU tests run them too. */
export const UNARY_OPS: UnaryOp[] = UNARY.map(([prim]) => prim as UnaryOp);

const unaryEntries: OpEntry[] = UNARY.map(([prim, ndName, f, kind, grad]) => ({
  name: prim,
  covers: ndName ? [prim, `nd.${ndName}`] : [prim],
  fn: ([x]) => (ndName ? ndf(ndName)(x) : E.unary(prim as never, x)),
  ref: ([x]) => R.map1(x, f),
  cases: unaryCases(kind),
  grad,
  outDtype: prim === 'isnan' || prim === 'isinf' ? () => 'bool' : undefined,
}));

// Rounding halves: MXNet rounds them away from zero (numpy would give 0, 2, -0, -2).
unaryEntries.push({
  name: 'round halves',
  covers: ['round'],
  fn: ([x]) => x.round(),
  ref: ([x]) => R.map1(x, R.roundHalfAway),
  cases: [[s([4], 'real')]],
  grad: 'zero',
  contiguousOnly: true,
});

const BINARY: [prim: string, ndName: string, ref: (a: number, b: number) => number, ka: Kind, kb: Kind, grad: Grad][] = [
  ['add', 'add', (a, b) => a + b, 'real', 'real', 'check'],
  ['sub', 'subtract', (a, b) => a - b, 'real', 'real', 'check'],
  ['mul', 'multiply', (a, b) => a * b, 'real', 'real', 'check'],
  ['div', 'divide', (a, b) => a / b, 'real', 'real', 'check'],
  ['pow', 'power', Math.pow, 'pos', 'small', 'check'],
  ['maximum', 'maximum', Math.max, 'real', 'real', 'check'],
  ['minimum', 'minimum', Math.min, 'real', 'real', 'check'],
  ['mod', 'mod', R.pyMod, 'real', 'real', 'check'],
  ['equal', 'equal', (a, b) => +(a === b), 'int', 'int', 'zero'],
  ['notEqual', 'notEqual', (a, b) => +(a !== b), 'int', 'int', 'zero'],
  ['greater', 'greater', (a, b) => +(a > b), 'int', 'int', 'zero'],
  ['greaterEqual', 'greaterEqual', (a, b) => +(a >= b), 'int', 'int', 'zero'],
  ['lesser', 'lesser', (a, b) => +(a < b), 'int', 'int', 'zero'],
  ['lesserEqual', 'lesserEqual', (a, b) => +(a <= b), 'int', 'int', 'zero'],
];

/** The binary backend primitives, as listed here (checked complete by coverage.test.ts); the WebGPU tests run them too. */
export const BINARY_OPS: BinaryOp[] = BINARY.map(([prim]) => prim as BinaryOp);

/** A scalar operand for each binary op, and the kind of the array on the other side. */
const SCALARS: Record<string, { s: number; right: Kind; left: Kind }> = {
  add: { s: 2.5, right: 'real', left: 'real' },
  sub: { s: 2.5, right: 'real', left: 'real' },
  mul: { s: -1.5, right: 'real', left: 'real' },
  div: { s: 1.5, right: 'real', left: 'real' },
  pow: { s: 3, right: 'real', left: 'small' },
  maximum: { s: 0.3, right: 'real', left: 'real' },
  minimum: { s: 0.3, right: 'real', left: 'real' },
  mod: { s: 1.5, right: 'real', left: 'real' },
  equal: { s: 1, right: 'int', left: 'int' },
  notEqual: { s: 1, right: 'int', left: 'int' },
  greater: { s: 1, right: 'int', left: 'int' },
  greaterEqual: { s: 1, right: 'int', left: 'int' },
  lesser: { s: 1, right: 'int', left: 'int' },
  lesserEqual: { s: 1, right: 'int', left: 'int' },
};

const binaryEntries: OpEntry[] = BINARY.flatMap(([prim, ndName, f, ka, kb, grad]) => {
  const sc = SCALARS[prim];
  const scalarCases = [[s([2, 3], sc.right)], [s([], sc.right)], [s([0, 2], sc.right)], [s([4], sc.right)]];
  const leftCases = [[s([2, 3], sc.left)], [s([], sc.left)], [s([3], sc.left)]];
  return [
    {
      name: prim,
      covers: [prim, `nd.${ndName}`],
      fn: ([a, b]) => ndf(ndName)(a, b),
      ref: ([a, b]) => R.map2(a, b, f),
      cases: binaryCases(ka, kb),
      grad,
    },
    // x op s (method form)
    {
      name: `${prim}(x, ${sc.s})`,
      covers: [prim],
      fn: ([x]) => (x as unknown as Record<string, (v: number) => NDArray>)[prim](sc.s),
      ref: ([x]) => R.map1(x, (a) => f(a, sc.s)),
      cases: scalarCases,
      grad,
    },
    // s op x (scalar on the left)
    {
      name: `${prim}(${sc.s === 3 ? 2 : sc.s}, x)`,
      covers: [prim],
      fn: ([x]) => ndf(ndName)(sc.s === 3 ? 2 : sc.s, x),
      ref: ([x]) => R.map1(x, (a) => f(sc.s === 3 ? 2 : sc.s, a)),
      cases: leftCases,
      grad,
    },
  ] satisfies OpEntry[];
});

binaryEntries.push(
  {
    name: 'rsub',
    covers: ['sub'],
    fn: ([x]) => x.rsub(1),
    ref: ([x]) => R.map1(x, (a) => 1 - a),
    cases: unaryCases('real'),
    grad: 'check',
  },
  {
    name: 'rdiv',
    covers: ['div'],
    fn: ([x]) => x.rdiv(2),
    ref: ([x]) => R.map1(x, (a) => 2 / a),
    cases: unaryCases('real'),
    grad: 'check',
  },
  {
    name: 'elemwiseAdd',
    covers: ['add', 'nd.elemwiseAdd'],
    fn: ([a, b]) => nd.elemwiseAdd(a, b),
    ref: ([a, b]) => R.map2(a, b, (x, y) => x + y),
    cases: [[s([2, 3]), s([2, 3])]],
    grad: 'check',
  },
  {
    name: 'x * x (one array used twice)',
    covers: ['mul'],
    fn: ([x]) => x.mul(x),
    ref: ([x]) => R.map1(x, (a) => a * a),
    cases: unaryCases('real'),
    grad: 'check',
  },
);

const otherElementwise: OpEntry[] = [
  {
    name: 'where',
    covers: ['nd.where'],
    fn: ([c, a, b]) => nd.where(c, a, b),
    ref: ([c, a, b]) => R.map3(c, a, b, (x, y, z) => (x !== 0 ? y : z)),
    cases: [
      [s([2, 3], 'bool'), s([2, 3]), s([2, 3])],
      [s([2, 1], 'bool'), s([3]), s([])],
      [s([], 'bool'), s([2, 2]), s([2, 1])],
      [s([0, 2], 'bool'), s([2]), s([0, 1])],
      [s([3], 'int', { constant: true }), s([3]), s([3])], // a float condition: non-zero is true
    ],
    grad: 'check',
  },
  {
    name: 'where(c, x, 0)',
    covers: ['nd.where'],
    fn: ([c, x]) => nd.where(c, x, 0),
    ref: ([c, x]) => R.map2(c, x, (a, b) => (a !== 0 ? b : 0)),
    cases: [
      [s([2, 3], 'bool'), s([2, 3])],
      [s([3], 'bool'), s([2, 3])],
    ],
    grad: 'check',
  },
  {
    name: 'where(c, 1.5, x)',
    covers: ['nd.where'],
    fn: ([c, x]) => nd.where(c, 1.5, x),
    ref: ([c, x]) => R.map2(c, x, (a, b) => (a !== 0 ? 1.5 : b)),
    cases: [[s([2, 3], 'bool'), s([2, 3])]],
    grad: 'check',
  },
  {
    name: 'clip',
    covers: ['nd.clip'],
    fn: ([x]) => nd.clip(x, -0.5, 0.7),
    ref: ([x]) => R.map1(x, (a) => Math.min(Math.max(a, -0.5), 0.7)),
    cases: unaryCases('real'),
    grad: 'check',
  },
  {
    name: 'x.clip',
    covers: [],
    fn: ([x]) => x.clip(0, 1),
    ref: ([x]) => R.map1(x, (a) => Math.min(Math.max(a, 0), 1)),
    cases: unaryCases('real'),
    grad: 'check',
  },
  {
    name: 'astype(float64)',
    covers: [],
    fn: ([x]) => x.astype('float64'),
    ref: ([x]) => x,
    cases: unaryCases('real'),
    grad: 'check',
    outDtype: () => 'float64',
  },
  {
    name: 'astype(float32)',
    covers: [],
    fn: ([x]) => x.astype('float32'),
    ref: ([x]) => R.map1(x, Math.fround),
    cases: unaryCases('real'),
    grad: 'none',
    outDtype: () => 'float32',
  },
  {
    name: 'astype(int32) truncates toward zero',
    covers: [],
    fn: ([x]) => x.mul(3).astype('int32'),
    ref: ([x]) => R.map1(x, (a) => Math.trunc(Math.fround(a * 3))),
    cases: unaryCases('real'),
    grad: 'none',
    outDtype: () => 'int32',
  },
  {
    name: 'astype(bool)',
    covers: [],
    fn: ([x]) => x.astype('bool'),
    ref: ([x]) => R.map1(x, (a) => (a !== 0 ? 1 : 0)),
    cases: unaryCases('int'),
    grad: 'none',
    outDtype: () => 'bool',
  },
  { name: 'copy', covers: [], fn: ([x]) => x.copy(), ref: ([x]) => x, cases: unaryCases('real'), grad: 'check' },
  { name: 'copyto(cpu())', covers: [], fn: ([x]) => x.copyto(nd.cpu()), ref: ([x]) => x, cases: unaryCases('real'), grad: 'check' },
  {
    name: 'detach',
    covers: [],
    fn: ([x]) => x.detach().mul(2),
    ref: ([x]) => R.map1(x, (a) => 2 * a),
    cases: unaryCases('real'),
    grad: 'zero',
  },
];

// ------------------------------------------------------------------ reductions
type RedOpts = { axis?: number | number[]; keepdims?: boolean };
const REDUCE_OPTS: [number[], RedOpts][] = [
  [[2, 3, 4], {}],
  [[2, 3, 4], { axis: 0 }],
  [[2, 3, 4], { axis: -1, keepdims: true }],
  [[2, 3, 4], { axis: [0, 2] }],
  [[2, 3, 4], { axis: [-1, 0], keepdims: true }],
  [[], {}],
  [[5], { axis: 0 }],
  [[3, 0], { axis: 0 }], // reduces an axis of length 3 over 0 columns: empty result
];
const EMPTY_AXIS: [number[], RedOpts][] = [
  [[0, 3], { axis: 0 }], // sums over an empty axis: the identity
  [[0], {}],
];

function reduceEntries(
  name: string,
  method: (x: NDArray, o: RedOpts) => NDArray,
  ndName: string,
  refFn: (x: Ref, axis: number | number[] | undefined, keep: boolean) => Ref,
  kind: Kind,
  withEmpty: boolean,
  useNd = true,
): OpEntry[] {
  const list = withEmpty ? [...REDUCE_OPTS, ...EMPTY_AXIS] : REDUCE_OPTS;
  return list.map(([shape, o]) => ({
    name: `${name}(${JSON.stringify(o)}) of ${JSON.stringify(shape)}`,
    covers: [`nd.${ndName}`],
    fn: ([x]) => (useNd && o.axis === undefined && !o.keepdims && shape.length === 3 ? ndf(ndName)(x) : method(x, o)),
    ref: ([x]) => refFn(x, o.axis, o.keepdims ?? false),
    cases: [[s(shape, kind)]],
    grad: 'check' as Grad,
  }));
}

const reductionEntries: OpEntry[] = [
  ...reduceEntries('sum', (x, o) => x.sum(o), 'sum', R.sum, 'real', true),
  ...reduceEntries('mean', (x, o) => x.mean(o), 'mean', R.mean, 'real', true),
  ...reduceEntries('prod', (x, o) => x.prod(o), 'prod', R.prod, 'real', true),
  ...reduceEntries('max', (x, o) => x.max(o), 'max', R.max, 'real', false),
  ...reduceEntries('min', (x, o) => x.min(o), 'min', R.min, 'real', false),
  ...reduceEntries('norm', (x, o) => x.norm(o), 'norm', R.norm2, 'real', true),
  ...reduceEntries('norm ord 1', (x, o) => x.norm({ ...o, ord: 1 }), 'norm', R.norm1, 'real', true, false),
  ...(
    [
      ['argmax', (v: number, b: number) => v > b],
      ['argmin', (v: number, b: number) => v < b],
    ] as const
  ).flatMap(([op, better]) =>
    ([undefined, 0, -1, 1] as (number | undefined)[]).map((axis) => ({
      name: `${op}(axis ${axis})`,
      covers: [`nd.${op}`],
      fn: ([x]: NDArray[]) => ndf(op)(x, { axis }),
      ref: ([x]: Ref[]) => R.argReduce(x, axis, better),
      cases: [[s([3, 4], 'int')], [s([2, 3, 2], 'real')]],
      grad: 'none' as Grad,
      outDtype: () => 'float32' as DType,
    })),
  ),
  {
    name: 'argmax keepdims',
    covers: ['nd.argmax'],
    fn: ([x]) => x.argmax({ axis: 1, keepdims: true }),
    ref: ([x]) =>
      R.reshape(
        R.argReduce(x, 1, (v, b) => v > b),
        [x.shape[0], 1],
      ),
    cases: [[s([3, 4], 'real')]],
    grad: 'none',
    outDtype: () => 'float32',
  },
];

// ------------------------------------------------------------------ linear algebra
const linalgEntries: OpEntry[] = [
  {
    name: 'matmul',
    covers: ['nd.matmul'],
    fn: ([a, b]) => nd.matmul(a, b),
    ref: ([a, b]) => R.matmul(a, b),
    cases: [
      [s([2, 3]), s([3, 4])],
      [s([3]), s([3, 2])],
      [s([2, 3]), s([3])],
      [s([3]), s([3])],
      [s([2, 2, 3]), s([3, 4])],
      [s([2, 1, 2, 3]), s([3, 3, 2])],
      [s([0, 3]), s([3, 2])],
      [s([2, 0]), s([0, 3])],
    ],
    grad: 'check',
  },
  {
    name: 'x.matmul',
    covers: [],
    fn: ([a, b]) => a.matmul(b),
    ref: ([a, b]) => R.matmul(a, b),
    cases: [[s([1, 3]), s([2, 3, 1])]],
    grad: 'check',
  },
  {
    name: 'dot',
    covers: ['nd.dot'],
    fn: ([a, b]) => nd.dot(a, b),
    ref: ([a, b]) => R.dot(a, b),
    cases: [
      [s([2, 3]), s([3, 4])],
      [s([3]), s([3])],
      [s([2, 2, 3]), s([3, 2])],
      [s([2, 3]), s([3, 2, 2])],
      [s([]), s([2, 3])],
      [s([4]), s([4, 2])],
      [s([0, 2]), s([2, 3])],
    ],
    grad: 'check',
  },
  {
    name: 'dot transposeA/transposeB',
    covers: ['nd.dot'],
    fn: ([a, b]) => nd.dot(a, b, { transposeA: true, transposeB: true }),
    ref: ([a, b]) => R.dot(R.transpose(a), R.transpose(b)),
    cases: [[s([3, 2]), s([4, 3])]],
    grad: 'check',
  },
  {
    name: 'x.dot(y.T)',
    covers: [],
    fn: ([a, b]) => a.dot(b.T),
    ref: ([a, b]) => R.dot(a, R.transpose(b)),
    cases: [[s([3, 4]), s([3, 4])]],
    grad: 'check',
  },
  {
    name: 'batchDot',
    covers: ['nd.batchDot'],
    fn: ([a, b]) => nd.batchDot(a, b),
    ref: ([a, b]) => R.matmul(a, b),
    cases: [
      [s([2, 2, 3]), s([2, 3, 4])],
      [s([2, 1, 4]), s([2, 4, 6])],
      [s([0, 2, 3]), s([0, 3, 1])],
    ],
    grad: 'check',
  },
  {
    name: 'batchDot transposeA',
    covers: ['nd.batchDot'],
    fn: ([a, b]) => nd.batchDot(a, b, { transposeA: true }),
    ref: ([a, b]) => R.matmul(R.transpose(a, [0, 2, 1]), b),
    cases: [[s([2, 3, 2]), s([2, 3, 4])]],
    grad: 'check',
  },
  {
    name: 'batchDot transposeB',
    covers: ['nd.batchDot'],
    fn: ([a, b]) => nd.batchDot(a, b, { transposeB: true }),
    ref: ([a, b]) => R.matmul(a, R.transpose(b, [0, 2, 1])),
    cases: [[s([2, 2, 3]), s([2, 4, 3])]],
    grad: 'check',
  },
];

// ------------------------------------------------------------------ shape and movement
const one = (
  name: string,
  covers: string[],
  fn: (x: NDArray) => NDArray,
  ref: (x: Ref) => Ref,
  shapes: number[][],
  kind: Kind = 'real',
): OpEntry => ({
  name,
  covers,
  fn: ([x]) => fn(x),
  ref: ([x]) => ref(x),
  cases: shapes.map((sh) => [s(sh, kind)]),
  grad: 'check',
});

const sel = R.slice1;
const movementEntries: OpEntry[] = [
  one(
    'reshape [4, -1]',
    ['nd.reshape'],
    (x) => nd.reshape(x, [4, -1]),
    (x) => R.reshape(x, [4, -1]),
    [
      [2, 3, 4],
      [2, 2],
    ],
  ),
  one(
    'reshape [2, 3]',
    [],
    (x) => x.reshape([2, 3]),
    (x) => R.reshape(x, [2, 3]),
    [[6], [3, 2], [1, 6, 1]],
  ),
  one(
    'reshape 0-d',
    [],
    (x) => x.reshape([1, 1]).reshape([]),
    (x) => R.reshape(x, []),
    [[]],
  ),
  one(
    'reshape size 0',
    [],
    (x) => x.reshape([3, 0, 2]),
    (x) => R.reshape(x, [3, 0, 2]),
    [[0, 6]],
  ),
  one(
    'transpose',
    ['nd.transpose'],
    (x) => nd.transpose(x),
    (x) => R.transpose(x),
    [[2, 3, 4], [3], [], [0, 2]],
  ),
  one(
    'transpose axes',
    [],
    (x) => x.transpose([1, -1, 0]),
    (x) => R.transpose(x, [1, 2, 0]),
    [[2, 3, 4]],
  ),
  one(
    '.T',
    [],
    (x) => x.T,
    (x) => R.transpose(x),
    [[2, 3]],
  ),
  one(
    'swapaxes',
    ['nd.swapaxes'],
    (x) => nd.swapaxes(x, 0, -1),
    (x) => R.transpose(x, [2, 1, 0]),
    [[2, 3, 4]],
  ),
  one(
    'expandDims -1',
    ['nd.expandDims'],
    (x) => nd.expandDims(x, -1),
    (x) => R.expandDims(x, -1),
    [[2, 3], []],
  ),
  one(
    'expandDims 1',
    [],
    (x) => x.expandDims(1),
    (x) => R.expandDims(x, 1),
    [[2, 3]],
  ),
  one(
    'squeeze',
    ['nd.squeeze'],
    (x) => nd.squeeze(x),
    (x) =>
      R.reshape(
        x,
        x.shape.filter((d) => d !== 1),
      ),
    [[1, 3, 1, 2], [1], [2, 3]],
  ),
  one(
    'squeeze axis',
    [],
    (x) => x.squeeze(-2),
    (x) => R.reshape(x, [2, 3]),
    [[2, 1, 3]],
  ),
  one(
    'flatten',
    ['nd.flatten'],
    (x) => nd.flatten(x),
    (x) => R.reshape(x, [x.shape[0] ?? 1, -1]),
    [[2, 3, 4], [3], [2, 0]],
  ),
  one(
    'broadcastTo',
    ['nd.broadcastTo'],
    (x) => nd.broadcastTo(x, [4, 2, 3]),
    (x) => R.broadcastTo(x, [4, 2, 3]),
    [[2, 3], [3], [], [2, 1], [1, 1, 3]],
  ),
  one(
    'x.broadcastTo size 0',
    [],
    (x) => x.broadcastTo([0, 3]),
    (x) => R.broadcastTo(x, [0, 3]),
    [[3]],
  ),
  one(
    'tile [2, 1]',
    ['nd.tile'],
    (x) => nd.tile(x, [2, 1]),
    (x) => R.tile(x, [2, 1]),
    [[2, 3], [3]],
  ),
  one(
    'tile 3',
    [],
    (x) => x.tile(3),
    (x) => R.tile(x, [3]),
    [[2, 2], []],
  ),
  one(
    'tile [2, 1, 2]',
    [],
    (x) => x.tile([2, 1, 2]),
    (x) => R.tile(x, [2, 1, 2]),
    [[2, 3]],
  ),
  one(
    'repeat axis 1',
    ['nd.repeat'],
    (x) => nd.repeat(x, 2, { axis: 1 }),
    (x) => R.repeat(x, 2, 1),
    [[2, 3]],
  ),
  one(
    'repeat flat',
    [],
    (x) => x.repeat(3),
    (x) => R.repeat(x, 3),
    [[2, 2], []],
  ),
  one(
    'repeat axis -1',
    [],
    (x) => x.repeat(2, { axis: -1 }),
    (x) => R.repeat(x, 2, -1),
    [[2, 1, 3]],
  ),
  one(
    'split (parts weighted and joined)',
    ['nd.split'],
    (x) => {
      const parts = nd.split(x, 3, { axis: 1 });
      return nd.concat(
        parts.map((p, i) => p.mul(i + 1)),
        { dim: 1 },
      );
    },
    (x) => R.build(x.shape, (idx) => R.at(x, idx) * (1 + Math.floor(idx[1] / (x.shape[1] / 3)))),
    [
      [2, 6],
      [2, 3, 2],
    ],
  ),
  one(
    'split squeezeAxis',
    [],
    (x) => {
      const [a, b] = x.split(2, { axis: 0, squeezeAxis: true });
      return a.sub(b.mul(2));
    },
    (x) => R.build([x.shape[1]], ([j]) => R.at(x, [0, j]) - 2 * R.at(x, [1, j])),
    [[2, 3]],
  ),
  {
    name: 'concat dim 1',
    covers: ['nd.concat'],
    fn: (xs) => nd.concat(xs),
    ref: (xs) => R.concat(xs, 1),
    cases: [
      [s([2, 3]), s([2, 1])],
      [s([2, 0]), s([2, 2]), s([2, 1])],
    ],
    grad: 'check',
  },
  {
    name: 'concat dim 0',
    covers: [],
    fn: (xs) => nd.concat(xs, { dim: 0 }),
    ref: (xs) => R.concat(xs, 0),
    cases: [
      [s([1, 3]), s([2, 3]), s([1, 3])],
      [s([2]), s([3])],
    ],
    grad: 'check',
  },
  {
    name: 'concat dim -1',
    covers: [],
    fn: (xs) => nd.concat(xs, { dim: -1 }),
    ref: (xs) => R.concat(xs, -1),
    cases: [[s([2, 2, 1]), s([2, 2, 3])]],
    grad: 'check',
  },
  {
    name: 'stack',
    covers: ['nd.stack'],
    fn: (xs) => nd.stack(xs),
    ref: (xs) => R.stack(xs, 0),
    cases: [
      [s([2, 3]), s([2, 3])],
      [s([]), s([]), s([])],
    ],
    grad: 'check',
  },
  {
    name: 'stack axis -1',
    covers: [],
    fn: (xs) => nd.stack(xs, { axis: -1 }),
    ref: (xs) => R.stack(xs, -1),
    cases: [[s([2, 3]), s([2, 3])]],
    grad: 'check',
  },
];

// ------------------------------------------------------------------ indexing
const slicing: [string, (sh: number[]) => R.Sel[], number[][]][] = [
  ['1:3', (sh) => [sel(sh[0], 1, 3)], [[4, 3], [4]]],
  ['::-1', (sh) => [sel(sh[0], undefined, undefined, -1)], [[4, 3], [5]]],
  ['1:, ::-2', (sh) => [sel(sh[0], 1), sel(sh[1], undefined, undefined, -2)], [[3, 5]]],
  ['-1', (sh) => [{ index: sh[0] - 1 }], [[3, 4], [3]]],
  ['..., 1', (sh) => [...sh.slice(0, -1).map((d) => sel(d)), { index: 1 }], [[2, 3, 4], [3]]],
  ['-2:, 0', (sh) => [sel(sh[0], -2), { index: 0 }], [[4, 3]]],
  ['5:7', (sh) => [sel(sh[0], 5, 7)], [[4, 3]]],
  ['::2, -1::-1', (sh) => [sel(sh[0], undefined, undefined, 2), sel(sh[1], -1, undefined, -1)], [[5, 4]]],
  ['3:0:-2', (sh) => [sel(sh[0], 3, 0, -2)], [[5, 2]]],
  ['-10:10', (sh) => [sel(sh[0], -10, 10)], [[4]]],
];
const indexingEntries: OpEntry[] = [
  ...slicing.map(([idx, sels, shapes]) =>
    one(
      `get('${idx}')`,
      [],
      (x) => x.get(idx),
      (x) => R.select(x, sels(x.shape)),
      shapes,
    ),
  ),
  one(
    'get([1, "::-1"])',
    [],
    (x) => x.get([1, '::-1']),
    (x) => R.select(x, [{ index: 1 }, sel(x.shape[1], undefined, undefined, -1)]),
    [[3, 4]],
  ),
  one(
    'get([null, "1:"]) adds an axis',
    [],
    (x) => x.get([null, '1:']),
    (x) => R.expandDims(R.select(x, [sel(x.shape[0], 1)]), 0),
    [[3, 2]],
  ),
  one(
    'get(1).get(0) on a view of a view',
    [],
    (x) => x.get('::-1').get(1).get('1:'),
    (x) => R.select(x, [{ index: x.shape[0] - 2 }, sel(x.shape[1], 1)]),
    [[3, 4]],
  ),
  {
    name: 'take axis 0',
    covers: ['nd.take'],
    fn: ([x, i]) => nd.take(x, i),
    ref: ([x, i]) => R.take(x, i, 0),
    cases: [
      [s([4, 3]), s([5], 'index', { max: 4 })], // repeated indices: gradients accumulate
      [s([4]), s([2, 2], 'index', { max: 4 })],
      [s([4, 3]), s([0], 'index', { max: 4 })],
      [s([4, 3]), s([3], 'index', { max: 4, dtype: 'float32' })],
    ],
    grad: 'check',
  },
  {
    name: 'take axis -1',
    covers: [],
    fn: ([x, i]) => x.take(i, { axis: -1 }),
    ref: ([x, i]) => R.take(x, i, -1),
    cases: [[s([2, 3, 4]), s([2, 3], 'index', { max: 4 })]],
    grad: 'check',
  },
  {
    name: 'take from a list',
    covers: [],
    fn: ([x]) => x.take([2, 0, 2], { axis: 1 }),
    ref: ([x]) => R.take(x, R.ref([3], [2, 0, 2]), 1),
    cases: [[s([2, 3])]],
    grad: 'check',
  },
  {
    name: 'get(int32 array) rows',
    covers: [],
    fn: ([x, i]) => x.get(i),
    ref: ([x, i]) => R.take(x, i, 0),
    cases: [[s([4, 2]), s([3], 'index', { max: 4 })]],
    grad: 'check',
  },
  {
    name: 'get(bool mask)',
    covers: [],
    fn: ([x, m]) => x.get(m),
    ref: ([x, m]) => {
      const rows: number[] = [];
      m.data.forEach((v, i) => v && rows.push(i));
      return R.take(R.reshape(x, [m.data.length, ...x.shape.slice(m.shape.length)]), R.ref([rows.length], rows), 0);
    },
    cases: [
      [s([4, 2]), s([4], 'bool')],
      [s([2, 3]), s([2, 3], 'bool')],
    ],
    grad: 'check',
    contiguousOnly: true,
  },
  {
    name: 'pick axis -1',
    covers: ['nd.pick'],
    fn: ([x, i]) => nd.pick(x, i),
    ref: ([x, i]) => R.pick(x, i, -1),
    cases: [
      [s([3, 4]), s([3], 'index', { max: 4 })],
      [s([3, 4]), s([3], 'index', { max: 4, dtype: 'float32' })],
      [s([2, 3, 4]), s([2, 3], 'index', { max: 4 })],
      [s([0, 4]), s([0], 'index', { max: 4 })],
    ],
    grad: 'check',
  },
  {
    name: 'pick axis 0 keepdims',
    covers: [],
    fn: ([x, i]) => x.pick(i, { axis: 0, keepdims: true }),
    ref: ([x, i]) => R.pick(x, i, 0, true),
    cases: [
      [s([3, 4]), s([4], 'index', { max: 3 })],
      [s([3, 4]), s([1, 4], 'index', { max: 3 })],
    ],
    grad: 'check',
  },
  {
    name: 'oneHot',
    covers: ['nd.oneHot'],
    fn: ([i]) => nd.oneHot(i, 5),
    ref: ([i]) => R.oneHot(i, 5),
    cases: [[s([3], 'index', { max: 5 })], [s([2, 2], 'index', { max: 5 })], [s([0], 'index', { max: 5 })]],
    grad: 'none',
    outDtype: () => 'float32',
  },
  {
    name: 'oneHot on/off values',
    covers: [],
    fn: ([i]) => i.oneHot(3, { onValue: 2, offValue: -1, dtype: 'float64' }),
    ref: ([i]) => R.oneHot(i, 3, 2, -1),
    cases: [[s([4], 'index', { max: 3 })]],
    grad: 'none',
    outDtype: () => 'float64',
  },
];

// ------------------------------------------------------------------ compositions
const compositeEntries: OpEntry[] = [
  {
    name: 'softmax',
    covers: ['nd.softmax'],
    fn: ([x]) => nd.softmax(x),
    ref: ([x]) => R.softmax(x),
    cases: [[s([2, 3])], [s([4])], [s([2, 3, 2])], [s([0, 3])]],
    grad: 'check',
  },
  {
    name: 'softmax axis 0',
    covers: [],
    fn: ([x]) => nd.softmax(x, { axis: 0 }),
    ref: ([x]) => R.softmax(x, 0),
    cases: [[s([3, 2])]],
    grad: 'check',
  },
  {
    name: 'logSoftmax',
    covers: ['nd.logSoftmax'],
    fn: ([x]) => nd.logSoftmax(x),
    ref: ([x]) => R.logSoftmax(x),
    cases: [[s([2, 3])], [s([4])], [s([2, 3, 2])]],
    grad: 'check',
  },
  {
    name: 'logSoftmax axis 1',
    covers: [],
    fn: ([x]) => nd.logSoftmax(x, { axis: 1 }),
    ref: ([x]) => R.logSoftmax(x, 1),
    cases: [[s([2, 3, 2])]],
    grad: 'check',
  },
  {
    name: 'squared loss (composition)',
    covers: [],
    fn: ([yh, y]) => yh.sub(y.reshape(yh.shape)).square().div(2).mean(),
    ref: ([yh, y]) => R.mean(R.map2(yh, R.reshape(y, yh.shape), (a, b) => ((a - b) * (a - b)) / 2)),
    cases: [[s([4, 1]), s([4])]],
    grad: 'check',
  },
];

export const OP_TABLE: OpEntry[] = [
  ...unaryEntries,
  ...binaryEntries,
  ...otherElementwise,
  ...reductionEntries,
  ...linalgEntries,
  ...movementEntries,
  ...indexingEntries,
  ...compositeEntries,
  ...apiEntries,
];

/** `nd.*` exports that are not ops on arrays: creation, memory, devices, random. Tested elsewhere. */
export const NOT_OPS = new Set([
  'array',
  'zeros',
  'ones',
  'full',
  'arange',
  'linspace',
  'eye',
  'zerosLike',
  'onesLike',
  'tidy',
  'keep',
  'memory',
  'seed',
  'isNDArray',
  'cpu',
  'gpu',
  'currentContext',
  'Context',
  'NDArray',
  'random',
  'save',
  'saveAsync',
  'load',
  'waitall',
]);

// ------------------------------------------------------------------ making inputs
export type Layout = 'contiguous' | 'transposed' | 'strided' | 'reversed';
export const LAYOUTS: Layout[] = ['contiguous', 'transposed', 'strided', 'reversed'];

/**
 * An NDArray holding `data` (row-major for `shape`) in the given memory layout: a transposed view,
 * a view with a step of 2 along the last axis, or a view with a negative step along the first.
 */
export function makeArray(data: number[], shape: number[], dtype: DType, layout: Layout): NDArray {
  const n = shape.length;
  if (layout === 'contiguous' || n === 0 || data.length === 0) return nd.array(data, { dtype, shape });
  const x = R.ref(shape, data);
  if (layout === 'transposed') {
    const t = R.transpose(x);
    const base = nd.array(Array.from(t.data), { dtype, shape: t.shape });
    const v = base.transpose();
    base.dispose();
    return v;
  }
  if (layout === 'strided') {
    const wide = R.build([...shape.slice(0, -1), shape[n - 1] * 2], (idx) =>
      idx[n - 1] % 2 ? -777 : R.at(x, [...idx.slice(0, -1), idx[n - 1] / 2]),
    );
    const base = nd.array(Array.from(wide.data), { dtype, shape: wide.shape });
    const v = base.get('..., ::2');
    base.dispose();
    return v;
  }
  const rev = R.build(shape, (idx) => R.at(x, [shape[0] - 1 - idx[0], ...idx.slice(1)]));
  const base = nd.array(Array.from(rev.data), { dtype, shape });
  const v = base.get('::-1');
  base.dispose();
  return v;
}

/** Draws the data for one case. */
export function drawCase(specs: InSpec[], seed: number): number[][] {
  const r = rng(seed);
  return specs.map((sp) => sample(sp.kind ?? 'real', R.sizeOf(sp.shape), r, sp.max));
}

/** The dtype an input is created with, when float inputs use `floatDtype`. */
export function inputDtype(sp: InSpec, floatDtype: DType): DType {
  if (sp.kind === 'index') return sp.dtype ?? 'int32';
  if (sp.kind === 'bool') return sp.dtype ?? 'bool';
  return floatDtype;
}

export function isDifferentiableInput(sp: InSpec): boolean {
  return sp.kind !== 'index' && sp.kind !== 'bool' && !sp.constant;
}
