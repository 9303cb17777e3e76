// The op table is exhaustive by construction: every backend primitive and every nd.* function
// must appear in it (or, for nd.* functions that are not ops, in NOT_OPS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd } from '../../src/index.js';
import { UNARY_EXPR, BINARY_EXPR } from '../../src/backend/cpu/exprs.js';
import { OP_TABLE, NOT_OPS } from './op-table.js';

const covered = new Set(OP_TABLE.flatMap((e) => e.covers));

test('every unary primitive (UNARY_EXPR) has an op-table entry', () => {
  const missing = Object.keys(UNARY_EXPR).filter((op) => !covered.has(op));
  assert.deepEqual(missing, [], `unary primitives without an op-table entry: ${missing.join(', ')}`);
});

test('every binary primitive (BINARY_EXPR) has an op-table entry, with array and scalar operands', () => {
  const missing = Object.keys(BINARY_EXPR).filter((op) => !covered.has(op));
  assert.deepEqual(missing, [], `binary primitives without an op-table entry: ${missing.join(', ')}`);
  for (const op of Object.keys(BINARY_EXPR)) {
    const n = OP_TABLE.filter((e) => e.covers.includes(op)).length;
    assert.ok(n >= 3, `${op}: expected array-array, array-scalar and scalar-array entries, found ${n}`);
  }
});

test('every nd.* function is an op-table entry or listed as not an op', () => {
  const fns = Object.entries(nd)
    .filter(([, v]) => typeof v === 'function' || (typeof v === 'object' && v !== null))
    .map(([k]) => k);
  const missing = fns.filter((k) => !NOT_OPS.has(k) && !covered.has(`nd.${k}`));
  assert.deepEqual(missing, [], `nd.* functions without an op-table entry: ${missing.join(', ')}`);
  const stale = [...NOT_OPS].filter((k) => !(k in nd));
  assert.deepEqual(stale, [], `NOT_OPS names that nd does not export: ${stale.join(', ')}`);
});

test('every entry has cases, and every differentiable op is checked on non-empty arrays', () => {
  for (const e of OP_TABLE) assert.ok(e.cases.length > 0, e.name);
  const nonEmpty = (e: (typeof OP_TABLE)[number]) => e.cases.some((c) => c.every((sp) => sp.shape.every((d) => d > 0)));
  for (const name of covered) {
    const entries = OP_TABLE.filter((e) => e.covers.includes(name) && e.grad === 'check');
    if (entries.length) assert.ok(entries.some(nonEmpty), `${name}: gradient-checked only on empty arrays`);
  }
});

test('the table has cases with 0-d arrays, size-0 dims, broadcasting and negative axes', () => {
  const specs = OP_TABLE.flatMap((e) => e.cases.flat());
  assert.ok(
    specs.some((sp) => sp.shape.length === 0),
    '0-d',
  );
  assert.ok(
    specs.some((sp) => sp.shape.includes(0)),
    'size 0',
  );
  assert.ok(
    OP_TABLE.some((e) => /-1|-2/.test(e.name)),
    'negative axes',
  );
});
