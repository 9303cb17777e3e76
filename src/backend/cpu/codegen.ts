/**
 * Elementwise kernels over strided views, generated once per (expression, operand count, rank)
 * with `new Function`: V8 then compiles one tight monomorphic loop nest per kernel, which a shared
 * loop calling per-op closures cannot match.
 *
 * Where `new Function` is refused (a page whose Content-Security-Policy lacks 'unsafe-eval'; it
 * throws an EvalError, checked once), the same expressions are parsed into a tree of closures
 * (interpret.ts) and run by one strided loop: the same loads, the same JS arithmetic and the same
 * stores, so the same results, only slower. D2L_CPU_CODEGEN=interpret forces that path.
 */
import { env } from '../../core/env.js';
import { interpretedKernel } from './interpret.js';

export type Arr = { [i: number]: number; length: number };

export type MapKernel = (O: Arr, oOff: number, os: readonly number[], shape: readonly number[], s: number, ...ins: unknown[]) => void;

/** Kernels by expression, then by (array types, operand count, rank). */
const cache = new Map<string, Map<number, MapKernel>>();

/** A small code for an operand's array type (see `mapKernel`'s `types`). */
export function arrayTypeCode(a: Arr): number {
  if (a instanceof Float32Array) return 1;
  if (a instanceof Float64Array) return 2;
  if (a instanceof Int32Array) return 3;
  if (a instanceof Uint8Array) return 4;
  return 5;
}

/**
 * `expr` reads the operands as `a`, `b`, `c`, the scalar argument as `s`, and the current output
 * value as `o` (for accumulating kernels). `types` (the operands' arrayTypeCode, 3 bits each,
 * output first) gives each combination of array types its own compiled function: V8 then sees
 * one array type per load and store (monomorphic element access) instead of a mix.
 */
export function mapKernel(expr: string, nIn: number, rank: number, types = 0): MapKernel {
  let byKey = cache.get(expr);
  if (!byKey) cache.set(expr, (byKey = new Map()));
  const key = (types * 4 + nIn) * 64 + rank;
  let k = byKey.get(key);
  if (k) return k;
  k = elementwiseCodegen() === 'function' ? compiledKernel(expr, nIn, rank) : interpretedKernel(expr, nIn);
  byKey.set(key, k);
  return k;
}

let codegenMode: 'function' | 'interpreter' | undefined;

/**
 * How the elementwise kernels are built here: 'function' (generated with `new Function`, Node and
 * pages that allow 'unsafe-eval') or 'interpreter' (closures over the parsed expression, where the
 * page's CSP refuses `new Function`, or D2L_CPU_CODEGEN=interpret). Decided once, by trying.
 *
 * @example
 * elementwiseCodegen(); // 'function' in Node; 'interpreter' under script-src 'self' 'wasm-unsafe-eval'
 */
export function elementwiseCodegen(): 'function' | 'interpreter' {
  if (codegenMode !== undefined) return codegenMode;
  const forced = env('D2L_CPU_CODEGEN');
  if (forced !== undefined && forced !== '' && forced !== 'function' && forced !== 'interpret')
    throw new Error(`D2L_CPU_CODEGEN must be 'function' or 'interpret' (got '${forced}')`);
  if (forced === 'interpret') return (codegenMode = 'interpreter');
  try {
    codegenMode = (new Function('return 1') as () => number)() === 1 ? 'function' : 'interpreter';
  } catch {
    // An EvalError under a CSP without 'unsafe-eval' (a TypeError under Trusted Types): either
    // way strings may not become code here.
    codegenMode = 'interpreter';
  }
  return codegenMode;
}

/**
 * The kernel for `expr` generated with `new Function` (see mapKernel).
 *
 * @example
 * const k = compiledKernel('a + b', 2, 1);
 */
export function compiledKernel(expr: string, nIn: number, rank: number): MapKernel {
  if (typeof expr !== 'string' || !Number.isInteger(nIn) || nIn < 0 || nIn > 3 || !Number.isInteger(rank) || rank < 0)
    throw new Error(`compiledKernel: expected an expression, 0-3 operands and a rank >= 0 (got ${String(expr)}, ${nIn}, ${rank})`);
  const ops = ['O', 'A', 'B', 'C'].slice(0, nIn + 1);
  const inNames = ['a', 'b', 'c'];
  const params = ['O', 'oOff', 'os', 'shape', 's'];
  for (let i = 0; i < nIn; i++) params.push(ops[i + 1], `${ops[i + 1].toLowerCase()}Off`, `${ops[i + 1].toLowerCase()}s`);
  let code = '';
  for (const X of ops) code += `let p${X}_0 = ${X === 'O' ? 'oOff' : X.toLowerCase() + 'Off'};\n`;
  if (rank === 0) {
    code += body(ops, inNames, nIn, 0, expr);
  } else {
    for (let L = 0; L < rank; L++) {
      code += `const n${L} = shape[${L}];\n`;
      for (const X of ops) code += `const s${X}${L} = ${X === 'O' ? 'os' : X.toLowerCase() + 's'}[${L}];\n`;
      if (L > 0) for (const X of ops) code += `let p${X}_${L} = p${X}_${L - 1};\n`;
      code += `for (let i${L} = 0; i${L} < n${L}; i${L}++) {\n`;
    }
    code += body(ops, inNames, nIn, rank - 1, expr);
    for (let L = rank - 1; L >= 0; L--) {
      for (const X of ops) code += `p${X}_${L} += s${X}${L};\n`;
      code += '}\n';
    }
  }
  return new Function(...params, code) as MapKernel;
}

function body(ops: string[], inNames: string[], nIn: number, L: number, expr: string): string {
  let b = '';
  for (let i = 0; i < nIn; i++) b += `const ${inNames[i]} = ${ops[i + 1]}[p${ops[i + 1]}_${L}];\n`;
  if (/\bo\b/.test(expr)) b += `const o = O[pO_${L}];\n`;
  return b + `O[pO_${L}] = ${expr};\n`;
}

type MultiKernel = (shape: readonly number[], ...operands: unknown[]) => void;
const multiCache = new Map<string, MultiKernel>();

/**
 * A kernel with several outputs and any number of inputs over one (coalesced) shape, generated
 * with the same loop nest as `mapKernel`: the graph compiler (src/compile/) fuses a chain of
 * elementwise ops, or their gradients, into one such kernel. `body` reads input k as `x<k>` and
 * assigns output k to `y<k>` (declared by the body, e.g. `const y0 = Math.exp(x0) * 2 + x0;`).
 * The kernel takes `shape`, then (array, offset, strides) for each output and then each input;
 * `types` holds the operands' arrayTypeCode, 3 bits each (outputs first), so each combination of
 * array types gets its own monomorphic function.
 *
 * @example
 * const k = multiKernel('const y0 = x0 + x1;', 1, 2, 1);
 * const o = new Float32Array(3);
 * k([3], o, 0, [1], new Float32Array([1, 2, 3]), 0, [1], new Float32Array([1, 1, 1]), 0, [1]); // o = [2, 3, 4]
 */
export function multiKernel(body: string, nOut: number, nIn: number, rank: number, types = 0): MultiKernel {
  if (!Number.isInteger(nOut) || nOut < 1 || !Number.isInteger(nIn) || nIn < 0 || !Number.isInteger(rank) || rank < 0)
    throw new RangeError(`multiKernel: expected nOut >= 1, nIn >= 0 and rank >= 0 (integers), got ${nOut}, ${nIn}, ${rank}`);
  const key = `${nOut}|${nIn}|${rank}|${types}|${body}`;
  let k = multiCache.get(key);
  if (k) return k;
  const ops: string[] = [];
  for (let i = 0; i < nOut; i++) ops.push(`O${i}`);
  for (let i = 0; i < nIn; i++) ops.push(`I${i}`);
  const params = ['shape'];
  for (const X of ops) params.push(X, `${X}off`, `${X}st`);
  let code = '';
  for (const X of ops) code += `let p${X}_0 = ${X}off;\n`;
  const inner = (L: number): string => {
    let b = '';
    for (let i = 0; i < nIn; i++) b += `const x${i} = I${i}[pI${i}_${L}];\n`;
    b += body + '\n';
    for (let i = 0; i < nOut; i++) b += `O${i}[pO${i}_${L}] = y${i};\n`;
    return b;
  };
  if (rank === 0) code += inner(0);
  else {
    for (let L = 0; L < rank; L++) {
      code += `const n${L} = shape[${L}];\n`;
      for (const X of ops) code += `const s${X}${L} = ${X}st[${L}];\n`;
      if (L > 0) for (const X of ops) code += `let p${X}_${L} = p${X}_${L - 1};\n`;
      code += `for (let i${L} = 0; i${L} < n${L}; i${L}++) {\n`;
    }
    code += inner(rank - 1);
    for (let L = rank - 1; L >= 0; L--) {
      for (const X of ops) code += `p${X}_${L} += s${X}${L};\n`;
      code += '}\n';
    }
  }
  k = new Function(...params, code) as MultiKernel;
  multiCache.set(key, k);
  return k;
}
