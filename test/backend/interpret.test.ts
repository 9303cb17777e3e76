// The elementwise kernels without `new Function` (src/backend/cpu/interpret.ts), what a page
// whose CSP lacks 'unsafe-eval' runs: for every expression the CPU backend builds (the unary and
// binary tables, scalars on either side, bool casts, the reductions' accumulators, where), over
// every array type and NaN / ±0 / ±Infinity / large values, on strided, broadcast and 0-rank
// shapes, the interpreted kernel stores exactly (Object.is) what the generated one stores; and a
// whole program on the TS kernels prints the same lines either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { compiledKernel, elementwiseCodegen, type Arr } from '../../src/backend/cpu/codegen.js';
import { interpretedKernel, parseExpression } from '../../src/backend/cpu/interpret.js';
import { BINARY_EXPR, UNARY_EXPR } from '../../src/backend/cpu/exprs.js';
import { castExpr, scalarExpr } from '../../src/backend/cpu/elementwise.js';
import type { BinaryOp } from '../../src/backend/backend.js';

const SPECIAL = [NaN, 0, -0, 1, -1, 0.5, -2.5, 3, 7.25, -1e30, 1e30, Infinity, -Infinity, 255, 256, -129, 2 ** 31, 1e-40];

function expressions(): { expr: string; nIn: number }[] {
  const out: { expr: string; nIn: number }[] = [];
  for (const e of Object.values(UNARY_EXPR)) out.push({ expr: e, nIn: 1 }, { expr: castExpr('bool', e), nIn: 1 });
  for (const [op, e] of Object.entries(BINARY_EXPR)) {
    out.push({ expr: e, nIn: 2 }, { expr: castExpr('bool', e), nIn: 2 });
    out.push({ expr: scalarExpr(op as BinaryOp, false), nIn: 1 }, { expr: scalarExpr(op as BinaryOp, true), nIn: 1 });
  }
  // The reductions' accumulators (reduce.ts), where, fill and copy.
  for (const e of ['o + a', 'o * a', '(a > o || a !== a) ? a : o', '(a < o || a !== a) ? a : o']) out.push({ expr: e, nIn: 1 });
  out.push({ expr: 'a !== 0 ? b : c', nIn: 3 }, { expr: 's', nIn: 0 }, { expr: castExpr('bool', 's'), nIn: 0 }, { expr: 'a', nIn: 1 });
  return out;
}

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;
const TYPES: Ctor[] = [Float64Array, Float32Array, Int32Array, Uint8Array];

/** (shape, output strides, operand strides): dense, transposed, broadcast (0) and 0-rank layouts. */
const LAYOUTS: { shape: number[]; os: number[]; is: number[]; size: number }[] = [
  { shape: [], os: [], is: [], size: 1 },
  { shape: [18], os: [1], is: [1], size: 18 },
  { shape: [3, 6], os: [6, 1], is: [1, 3], size: 18 },
  { shape: [2, 3, 3], os: [9, 3, 1], is: [0, 3, 1], size: 18 },
  { shape: [3, 2, 3], os: [6, 3, 1], is: [1, 0, 6], size: 18 },
];

test('interpreted elementwise kernels store exactly what the generated ones store', () => {
  let checked = 0;
  for (const { expr, nIn } of expressions())
    for (const layout of LAYOUTS)
      for (const [ti, T] of TYPES.entries()) {
        const In = TYPES[(ti + 1) % TYPES.length];
        const rank = layout.shape.length;
        const ins: Arr[] = [0, 1, 2].map((k) => In.from(SPECIAL.map((_, i) => SPECIAL[(i * (k + 2) + k) % SPECIAL.length])));
        const args: unknown[] = [];
        for (let k = 0; k < nIn; k++) args.push(ins[k], 0, layout.is);
        const run = (kernel: (...x: never[]) => void) => {
          const O = T.from(SPECIAL.map((v) => v * 0.5));
          (kernel as (...x: unknown[]) => void)(O, 0, layout.os, layout.shape, 2.5, ...args);
          return Array.from(O);
        };
        const want = run(compiledKernel(expr, nIn, rank));
        const got = run(interpretedKernel(expr, nIn));
        for (let i = 0; i < want.length; i++)
          assert.ok(Object.is(got[i], want[i]), `'${expr}' on ${T.name} [${layout.shape}] element ${i}: ${got[i]} vs ${want[i]}`);
        checked++;
      }
  assert.ok(checked > 1000, `${checked} kernels compared`);
});

test('parseExpression: precedence as in JS, and a clear error outside the grammar', () => {
  const cases = [
    '-a * b + c',
    '1 / (1 + Math.exp(-a))',
    'a - b - c',
    'a / b * c',
    'a < b === b < c ? 1 : 0',
    '!a || b && c',
    'a ? b : c ? 1 : 2',
  ];
  for (const e of cases) {
    const js = new Function('a', 'b', 'c', 'o', 's', `return ${e};`) as (...x: number[]) => unknown;
    for (const [a, b, c] of [
      [2, 3, 4],
      [0, -1, 5],
      [NaN, 1, 0],
    ])
      assert.ok(Object.is(parseExpression(e)(a, b, c, 0, 0), js(a, b, c, 0, 0)), `'${e}' at ${[a, b, c]}`);
  }
  assert.throws(() => parseExpression('a + window.x'), /elementwise interpreter: .*'a \+ window\.x'/);
  assert.throws(() => parseExpression('Math.random()'), /unknown function Math\.random/);
  assert.throws(() => parseExpression('a +'), /unexpected end/);
  assert.throws(() => interpretedKernel('a', 4), /interpretedKernel: 0 to 3 operands/);
});

const PROGRAM = (index: string, snippet: string) => `
import * as d2l from ${JSON.stringify(index)};
import { readmeSnippet } from ${JSON.stringify(snippet)};
const lines = await readmeSnippet(d2l);
const x = d2l.nd.array([[1, -2, 3], [NaN, 0, -0]]);
lines.push(x.relu().toString(), x.sigmoid().astype('float64').toString(), x.greater(0).toString(), x.max(1).toString());
console.log(JSON.stringify({ lines, codegen: d2l.nd.cpu().backend.kernelInfo().elementwise }));
`;

test('D2L_CPU_CODEGEN=interpret: the README snippet on the TS kernels prints the same lines', { timeout: 120_000 }, () => {
  assert.equal(elementwiseCodegen(), process.env.D2L_CPU_CODEGEN === 'interpret' ? 'interpreter' : 'function');
  const index = new URL('../../src/index.js', import.meta.url).href;
  const snippet = new URL('../browser/snippet.js', import.meta.url).href;
  const run = (env: Record<string, string>) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', PROGRAM(index, snippet)], {
      env: { ...process.env, D2L_CPU_KERNELS: 'ts', ...env },
      encoding: 'utf8',
      timeout: 110_000,
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { lines: string[]; codegen: string };
  };
  const generated = run({ D2L_CPU_CODEGEN: 'function' });
  const interpreted = run({ D2L_CPU_CODEGEN: 'interpret' });
  assert.equal(generated.codegen, 'function');
  assert.equal(interpreted.codegen, 'interpreter');
  assert.match(interpreted.lines[0], /18\. {2}20\. {2}10\./);
  assert.deepEqual(interpreted.lines, generated.lines);
});
