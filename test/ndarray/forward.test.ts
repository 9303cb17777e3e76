// Every op of the table against the plain-JS float64 reference (ref.ts), in float32 and float64,
// with inputs laid out contiguously, transposed, strided and reversed (negative steps).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, NDArray } from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { OP_TABLE, LAYOUTS, drawCase, inputDtype, makeArray, type OpEntry } from './op-table.js';
import * as R from './ref.js';
import type { DType } from '../../src/core/dtype.js';

function runForward(e: OpEntry, caseIdx: number, dtype: DType, layout: (typeof LAYOUTS)[number]): void {
  const specs = e.cases[caseIdx];
  const data = drawCase(specs, 1000 + caseIdx);
  nd.tidy(() => {
    const xs = specs.map((sp, i) => {
      const dt = inputDtype(sp, dtype);
      const lay = dt === dtype ? layout : 'contiguous';
      return makeArray(data[i], sp.shape, dt, lay);
    });
    // The reference sees exactly the values the arrays hold (rounded to float32 when they are).
    const refs = specs.map((sp, i) => R.ref(sp.shape, Array.from(xs[i].dataSync())));
    let expected: R.Ref;
    try {
      expected = e.ref(refs);
    } catch (err) {
      throw new Error(`reference of ${e.name} failed: ${(err as Error).message}`);
    }
    const out = e.fn(xs);
    assert.ok(out instanceof NDArray, `${e.name} returned ${String(out)}`);
    const where = `${e.name} case ${caseIdx} (${specs.map((sp) => JSON.stringify(sp.shape)).join(', ')}) ${dtype} ${layout}`;
    assert.deepEqual([...out.shape], expected.shape, `${where}: shape`);
    assert.equal(out.dtype, e.outDtype ? e.outDtype(dtype) : dtype, `${where}: dtype`);
    const tol = dtype === 'float64' ? 1e-12 : 2e-6 + (e.tol32 ?? 0);
    const exp = out.dtype === 'float32' ? Array.from(expected.data, Math.fround) : Array.from(expected.data);
    assertClose(out, exp, tol, where);
    // Inputs are never modified by an op.
    xs.forEach((x, i) => assertClose(x, refs[i].data, 0, `${where}: input ${i} changed`));
  });
}

describe('forward: every op against the float64 reference', () => {
  for (const e of OP_TABLE) {
    test(e.name, () => {
      for (let c = 0; c < e.cases.length; c++)
        for (const dtype of ['float32', 'float64'] as DType[])
          for (const layout of e.contiguousOnly ? (['contiguous'] as const) : LAYOUTS) runForward(e, c, dtype, layout);
    });
  }
});

test('forward checks leave no arrays behind', () => {
  const before = nd.memory();
  runForward(
    OP_TABLE.find((e) => e.name === 'matmul')!,
    0,
    'float32',
    'transposed',
  );
  const after = nd.memory();
  assert.ok(after.arrays <= before.arrays);
  assert.equal(after.bytes, before.bytes);
});

test('the op table runs the same ops as the NDArray methods (method and nd.* forms agree)', () => {
  const x = nd.array([
    [0.5, -1.5, 2],
    [3, -0.25, 1],
  ]);
  const y = nd.array([[1, 2, -3]]);
  for (const [m, f] of [
    ['neg', 'negative'],
    ['abs', 'abs'],
    ['sign', 'sign'],
    ['exp', 'exp'],
    ['sin', 'sin'],
    ['cos', 'cos'],
    ['tanh', 'tanh'],
    ['sigmoid', 'sigmoid'],
    ['relu', 'relu'],
    ['floor', 'floor'],
    ['ceil', 'ceil'],
    ['round', 'round'],
    ['square', 'square'],
    ['reciprocal', 'reciprocal'],
    ['expm1', 'expm1'],
  ] as const)
    assert.deepEqual(x[m]().toArray(), (nd[f] as (a: NDArray) => NDArray)(x).toArray(), m);
  for (const [m, f] of [
    ['add', 'add'],
    ['sub', 'subtract'],
    ['mul', 'multiply'],
    ['div', 'divide'],
    ['maximum', 'maximum'],
    ['minimum', 'minimum'],
    ['equal', 'equal'],
    ['notEqual', 'notEqual'],
    ['greater', 'greater'],
    ['greaterEqual', 'greaterEqual'],
    ['lesser', 'lesser'],
    ['lesserEqual', 'lesserEqual'],
    ['mod', 'mod'],
  ] as const)
    assert.deepEqual(x[m](y).toArray(), (nd[f] as (a: NDArray, b: NDArray) => NDArray)(x, y).toArray(), m);
  assert.deepEqual(x.abs().log().toArray(), nd.log(x.abs()).toArray());
  assert.deepEqual(x.abs().sqrt().toArray(), nd.sqrt(x.abs()).toArray());
  assert.deepEqual(x.abs().log1p().toArray(), nd.log1p(x.abs()).toArray());
  assert.deepEqual(x.abs().pow(y).toArray(), nd.power(x.abs(), y).toArray());
});

test('NaN propagates through maximum, minimum, max and sums; argmax picks it', () => {
  const x = nd.array([1, NaN, 3]);
  assert.ok(Number.isNaN(x.maximum(2).toArray()[1]));
  assert.ok(Number.isNaN(x.minimum(2).toArray()[1]));
  assert.ok(Number.isNaN(x.max().asScalar()));
  assert.ok(Number.isNaN(x.min().asScalar()));
  assert.ok(Number.isNaN(x.sum().asScalar()));
  assert.equal(x.argmax().asScalar(), 1);
});

test('mod follows the divisor sign (Python/MXNet), and mod by zero is NaN', () => {
  assert.deepEqual(
    nd
      .array([-7, 7, -7, 7])
      .mod(nd.array([3, -3, -3, 3]))
      .toArray(),
    [2, -2, -1, 1],
  );
  assert.ok(Number.isNaN(nd.array([1]).mod(0).asScalar()));
});

test('integer arithmetic stays integral; true division gives float32', () => {
  const a = nd.array([7, -7, 3], { dtype: 'int32' });
  const b = nd.array([2, 2, 3], { dtype: 'int32' });
  assert.equal(a.add(b).dtype, 'int32');
  assert.deepEqual(a.mul(b).toArray(), [14, -14, 9]);
  const q = a.div(b);
  assert.equal(q.dtype, 'float32');
  assert.deepEqual(q.toArray(), [3.5, -3.5, 1]);
  assert.equal(a.sum().dtype, 'int32');
  assert.equal(nd.array([1, 2], { dtype: 'uint8' }).sum().dtype, 'int32');
  assert.equal(a.exp().dtype, 'float32');
  assert.equal(a.mean().dtype, 'float32');
  assert.deepEqual(a.mean().asScalar(), 1);
  // uint8 wraps like the typed array it is stored in
  assert.deepEqual(nd.array([250, 3], { dtype: 'uint8' }).add(10).toArray(), [4, 13]);
});
