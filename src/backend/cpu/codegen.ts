/**
 * Elementwise kernels over strided views, generated once per (expression, operand count, rank)
 * with `new Function`: V8 then compiles one tight monomorphic loop nest per kernel, which a shared
 * loop calling per-op closures cannot match.
 */
export type Arr = { [i: number]: number; length: number };

type MapKernel = (O: Arr, oOff: number, os: readonly number[], shape: readonly number[], s: number, ...ins: unknown[]) => void;

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
  k = new Function(...params, code) as MapKernel;
  byKey.set(key, k);
  return k;
}

function body(ops: string[], inNames: string[], nIn: number, L: number, expr: string): string {
  let b = '';
  for (let i = 0; i < nIn; i++) b += `const ${inNames[i]} = ${ops[i + 1]}[p${ops[i + 1]}_${L}];\n`;
  if (/\bo\b/.test(expr)) b += `const o = O[pO_${L}];\n`;
  return b + `O[pO_${L}] = ${expr};\n`;
}

/**
 * Drops unit dims and merges adjacent dims that are contiguous in every operand, so most
 * kernels run as one flat loop (rank 1) or a broadcast pair (rank 2).
 */
export function coalesce(shape: readonly number[], strides: (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const nOps = strides.length;
  const dims: number[] = [];
  const st: number[][] = new Array(nOps);
  for (let j = 0; j < nOps; j++) st[j] = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (d === 1) continue;
    const last = dims.length - 1;
    let merge = last >= 0;
    for (let j = 0; merge && j < nOps; j++) if (st[j][last] !== strides[j][i] * d) merge = false;
    if (merge) {
      dims[last] *= d;
      for (let j = 0; j < nOps; j++) st[j][last] = strides[j][i];
    } else {
      dims.push(d);
      for (let j = 0; j < nOps; j++) st[j].push(strides[j][i]);
    }
  }
  return { shape: dims, strides: st };
}
