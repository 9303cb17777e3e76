/**
 * The expression IR of a fused elementwise kernel: a straight-line list of instructions over the
 * kernel's inputs, its derivative (reverse mode over that list, a second straight-line program),
 * and two ways to run one: as JavaScript for the CPU's generated loop nest
 * (src/backend/cpu/codegen.ts's `multiKernel`, whose per-op expressions come from the same
 * table as the eager kernels, exprs.ts), and op by op with eager NDArray ops (the reference, the
 * path for devices with no fused kernel yet, and the differentiable path a recorded backward
 * pass needs).
 */
import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { BINARY_EXPR, UNARY_EXPR } from '../backend/cpu/exprs.js';
import { BINARY_F32, UNARY_F32 } from '../backend/webgpu/exprs.js';
import type { DType } from '../core/dtype.js';
import { ValueError } from '../core/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import * as E from '../ops/elementwise.js';
import { composite } from '../ops/util.js';

/** One instruction; operands are indices of earlier instructions. */
export type Instr =
  | { readonly k: 'in'; readonly i: number }
  | { readonly k: 'const'; readonly v: number }
  | { readonly k: 'un'; readonly op: UnaryOp; readonly a: number }
  | { readonly k: 'bin'; readonly op: BinaryOp; readonly a: number; readonly b: number };

/** A straight-line program: `nIn` inputs, the instructions, and which of them are the outputs. */
export interface ExprProgram {
  readonly nIn: number;
  readonly instrs: readonly Instr[];
  readonly outputs: readonly number[];
}

/** Ops whose gradient is zero wherever it exists (the eager op records no gradient for them). */
const FLAT_UNARY = new Set<UnaryOp>(['sign', 'floor', 'ceil', 'round', 'logicalNot', 'isnan', 'isinf']);
const FLAT_BINARY = new Set<BinaryOp>(['equal', 'notEqual', 'greater', 'greaterEqual', 'lesser', 'lesserEqual']);

/** A JS literal for `v` (keeps -0, NaN and the infinities). */
function literal(v: number): string {
  if (Object.is(v, -0)) return '(-0)';
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '(-Infinity)';
  return `(${String(v)})`;
}

function checkProgram(where: string, p: ExprProgram): void {
  if (!Number.isInteger(p.nIn) || p.nIn < 0) throw new ValueError(`${where}: nIn must be an integer >= 0, got ${p.nIn}`);
  p.instrs.forEach((ins, j) => {
    const refs = ins.k === 'un' ? [ins.a] : ins.k === 'bin' ? [ins.a, ins.b] : [];
    for (const r of refs)
      if (!Number.isInteger(r) || r < 0 || r >= j)
        throw new ValueError(`${where}: instruction ${j} reads ${r}, which is not an earlier instruction`);
    if (ins.k === 'in' && !(ins.i >= 0 && ins.i < p.nIn))
      throw new ValueError(`${where}: instruction ${j} reads input ${ins.i} of ${p.nIn}`);
    if (ins.k === 'un' && !(ins.op in UNARY_EXPR)) throw new ValueError(`${where}: unknown unary op '${ins.op}'`);
    if (ins.k === 'bin' && !(ins.op in BINARY_EXPR)) throw new ValueError(`${where}: unknown binary op '${ins.op}'`);
  });
  for (const o of p.outputs)
    if (!(o >= 0 && o < p.instrs.length)) throw new ValueError(`${where}: output ${o} is not an instruction of ${p.instrs.length}`);
}

/**
 * The body of a `multiKernel` computing `p`: input k is `x<k>`, output k is `y<k>`. For float32
 * every intermediate is rounded to float32 (Math.fround), so the fused kernel gives what the eager
 * ops give, which store each intermediate in a float32 array.
 *
 * @example
 * toJS({ nIn: 1, instrs: [{ k: 'in', i: 0 }, { k: 'un', op: 'exp', a: 0 }], outputs: [1] }, 'float64');
 * // 'const t0 = x0;\nconst t1 = Math.exp(t0);\nconst y0 = t1;'
 */
export function toJS(p: ExprProgram, dtype: DType): string {
  checkProgram('toJS', p);
  const round = dtype === 'float32' ? (e: string) => `Math.fround(${e})` : (e: string) => e;
  const lines: string[] = [];
  p.instrs.forEach((ins, j) => {
    let e: string;
    if (ins.k === 'in') e = `x${ins.i}`;
    else if (ins.k === 'const') e = literal(ins.v);
    else if (ins.k === 'un') e = round(UNARY_EXPR[ins.op].replace(/\ba\b/g, `t${ins.a}`));
    else e = round(BINARY_EXPR[ins.op].replace(/\b[ab]\b/g, (m) => (m === 'a' ? `t${ins.a}` : `t${ins.b}`)));
    lines.push(`const t${j} = ${e};`);
  });
  p.outputs.forEach((o, k) => lines.push(`const y${k} = t${o};`));
  return lines.join('\n');
}

/**
 * The body of a WebGPU fused kernel computing `p` in f32 (Backend.fusedMap): input k is `x<k>`,
 * output k is `y<k>`; each op is the expression the eager WGSL kernels use (webgpu/exprs.ts),
 * constants are exact bit patterns.
 *
 * @example
 * toWGSL({ nIn: 1, instrs: [{ k: 'in', i: 0 }, { k: 'un', op: 'exp', a: 0 }], outputs: [1] });
 * // '  let t0: f32 = x0;\n  let t1: f32 = f_exp(t0);\n  let y0: f32 = t1;'
 */
export function toWGSL(p: ExprProgram): string {
  checkProgram('toWGSL', p);
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  const lines: string[] = [];
  p.instrs.forEach((ins, j) => {
    let e: string;
    if (ins.k === 'in') e = `x${ins.i}`;
    else if (ins.k === 'const') {
      f[0] = ins.v;
      e = `bitcast<f32>(${bits[0]}u)`;
    } else if (ins.k === 'un') e = UNARY_F32[ins.op].replace(/\ba\b/g, `t${ins.a}`);
    else e = BINARY_F32[ins.op].replace(/\b[ab]\b/g, (m) => (m === 'a' ? `t${ins.a}` : `t${ins.b}`));
    lines.push(`  let t${j}: f32 = ${e};`);
  });
  p.outputs.forEach((o, k) => lines.push(`  let y${k}: f32 = t${o};`));
  return lines.join('\n');
}

/**
 * Runs `p` op by op with eager NDArray ops (recorded by autograd like any other ops, so the
 * result is differentiable). Inputs may be arrays or numbers; each output is a new array (an
 * output that is an input or a constant comes back as an array too).
 *
 * @example
 * const [y] = evalNd({ nIn: 1, instrs: [{ k: 'in', i: 0 }, { k: 'un', op: 'exp', a: 0 }], outputs: [1] }, [x]);
 */
export function evalNd(p: ExprProgram, inputs: readonly NDArray[]): NDArray[] {
  checkProgram('evalNd', p);
  if (inputs.length !== p.nIn) throw new ValueError(`evalNd: the program takes ${p.nIn} inputs, got ${inputs.length}`);
  return composite(() => {
    const v: (NDArray | number)[] = [];
    for (const ins of p.instrs) {
      if (ins.k === 'in') v.push(inputs[ins.i]);
      else if (ins.k === 'const') v.push(ins.v);
      else if (ins.k === 'un') {
        const a = v[ins.a];
        v.push(typeof a === 'number' ? scalarUnary(ins.op, a) : E.unary(ins.op, a));
      } else {
        const a = v[ins.a];
        const b = v[ins.b];
        v.push(typeof a === 'number' && typeof b === 'number' ? scalarBinary(ins.op, a, b) : E.binary(ins.op, a, b));
      }
    }
    const ref = inputs[0];
    return p.outputs.map((o) => {
      const r = v[o];
      if (typeof r === 'number') return ref.zerosLike().add(r);
      // A fresh handle, so that the caller owns every output (an input passes through as a view).
      return inputs.includes(r) ? r.reshape(r.shape) : r;
    });
  });
}

/** A unary op on a number, through the same expression table as the kernels. */
function scalarUnary(op: UnaryOp, a: number): number {
  return new Function('a', `return ${UNARY_EXPR[op]};`)(a) as number;
}
function scalarBinary(op: BinaryOp, a: number, b: number): number {
  return new Function('a', 'b', `return ${BINARY_EXPR[op]};`)(a, b) as number;
}

/**
 * The derivative of a one-output program by reverse mode: a program whose inputs are p's inputs
 * and then the output gradient g (input `p.nIn`), and whose outputs are the gradients of each of
 * p's inputs, in the output's shape (a caller sums broadcast inputs back to their own shapes).
 * The rules are the eager ops' (src/ops/elementwise.ts): relu passes the gradient where its
 * output is positive, maximum routes it to a where a >= b, and ops without a gradient (sign,
 * floor, comparisons) contribute nothing.
 *
 * @example
 * // y = exp(x0) * x1: dy/dx0 = g * exp(x0) * x1, dy/dx1 = g * exp(x0)
 * const d = gradProgram({ nIn: 2, instrs: [{ k: 'in', i: 0 }, { k: 'in', i: 1 }, { k: 'un', op: 'exp', a: 0 }, { k: 'bin', op: 'mul', a: 2, b: 1 }], outputs: [3] });
 * d.nIn; // 3
 */
export function gradProgram(p: ExprProgram): ExprProgram {
  checkProgram('gradProgram', p);
  if (p.outputs.length !== 1) throw new ValueError(`gradProgram: expected a program with one output, got ${p.outputs.length}`);
  const ins: Instr[] = [...p.instrs];
  const push = (i: Instr): number => ins.push(i) - 1;
  const consts = new Map<number, number>();
  const c = (v: number): number => {
    let j = consts.get(v);
    if (j === undefined) consts.set(v, (j = push({ k: 'const', v })));
    return j;
  };
  const un = (op: UnaryOp, a: number) => push({ k: 'un', op, a });
  const bin = (op: BinaryOp, a: number, b: number) => push({ k: 'bin', op, a, b });
  const adj = new Map<number, number>();
  const acc = (j: number, g: number) => {
    const prev = adj.get(j);
    adj.set(j, prev === undefined ? g : bin('add', prev, g));
  };
  adj.set(p.outputs[0], push({ k: 'in', i: p.nIn }));
  for (let j = p.instrs.length - 1; j >= 0; j--) {
    const g = adj.get(j);
    const x = p.instrs[j];
    if (g === undefined || x.k === 'in' || x.k === 'const') continue;
    if (x.k === 'un') {
      if (FLAT_UNARY.has(x.op)) continue;
      const a = x.a;
      const y = j;
      switch (x.op) {
        case 'neg':
          acc(a, un('neg', g));
          break;
        case 'abs':
          acc(a, bin('mul', g, un('sign', a)));
          break;
        case 'exp':
          acc(a, bin('mul', g, y));
          break;
        case 'log':
          acc(a, bin('div', g, a));
          break;
        case 'sqrt':
          acc(a, bin('div', g, bin('mul', y, c(2))));
          break;
        case 'square':
          acc(a, bin('mul', bin('mul', g, a), c(2)));
          break;
        case 'sin':
          acc(a, bin('mul', g, un('cos', a)));
          break;
        case 'cos':
          acc(a, un('neg', bin('mul', g, un('sin', a))));
          break;
        case 'tanh':
          acc(a, bin('mul', g, bin('sub', c(1), un('square', y))));
          break;
        case 'sigmoid':
          acc(a, bin('mul', g, bin('mul', y, bin('sub', c(1), y))));
          break;
        case 'relu':
          acc(a, bin('mul', g, bin('greater', y, c(0))));
          break;
        case 'reciprocal':
          acc(a, un('neg', bin('mul', g, un('square', y))));
          break;
        case 'log1p':
          acc(a, bin('div', g, bin('add', a, c(1))));
          break;
        case 'expm1':
          acc(a, bin('mul', g, bin('add', y, c(1))));
          break;
        default:
          throw new ValueError(`gradProgram: no gradient rule for unary op '${x.op}'`);
      }
      continue;
    }
    if (FLAT_BINARY.has(x.op)) continue;
    const { a, b } = x;
    switch (x.op) {
      case 'add':
        acc(a, g);
        acc(b, g);
        break;
      case 'sub':
        acc(a, g);
        acc(b, un('neg', g));
        break;
      case 'mul':
        acc(a, bin('mul', g, b));
        acc(b, bin('mul', g, a));
        break;
      case 'div':
        acc(a, bin('div', g, b));
        acc(b, un('neg', bin('div', bin('div', bin('mul', g, a), b), b)));
        break;
      case 'pow':
        acc(a, bin('mul', g, bin('mul', bin('pow', a, bin('sub', b, c(1))), b)));
        acc(b, bin('mul', bin('mul', g, j), un('log', a)));
        break;
      case 'maximum':
      case 'minimum': {
        const m = bin(x.op === 'maximum' ? 'greaterEqual' : 'lesserEqual', a, b);
        acc(a, bin('mul', g, m));
        acc(b, bin('mul', g, bin('sub', c(1), m)));
        break;
      }
      case 'mod':
        acc(a, g);
        acc(b, un('neg', bin('mul', g, un('floor', bin('div', a, b)))));
        break;
      default:
        throw new ValueError(`gradProgram: no gradient rule for binary op '${x.op}'`);
    }
  }
  // Each input's gradient: the adjoint of every instruction reading it, summed.
  const outputs: number[] = [];
  for (let i = 0; i < p.nIn; i++) {
    let s: number | undefined;
    p.instrs.forEach((x, j) => {
      if (x.k === 'in' && x.i === i && adj.has(j)) s = s === undefined ? adj.get(j)! : bin('add', s, adj.get(j)!);
    });
    outputs.push(s ?? c(0));
  }
  return { nIn: p.nIn + 1, instrs: ins, outputs };
}
