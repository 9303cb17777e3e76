// Reliability findings (issue "Memory", part 3): what a new user writing plain JavaScript runs
// into — numbers where options belong, unknown option keys, dtype edge values, NaN — each gives
// the library's typed error or the value PyTorch/numpy would give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, D2LError, DTypeError, ValueError } from '../../src/index.js';
import { withKernels } from '../helpers.js';

/** Asserts fn throws the library error `cls` whose message matches every pattern. */
function throwsTyped(fn: () => unknown, cls: new (...a: never[]) => Error, ...patterns: RegExp[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${cls.name}, nothing was thrown`);
  assert.ok(err instanceof cls && err instanceof D2LError, `expected ${cls.name}, got ${(err as Error).name}: ${(err as Error).message}`);
  for (const p of patterns) assert.match((err as Error).message, p);
}

const same = (a: unknown, b: unknown) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
function assertValues(actual: ArrayLike<number>, expected: number[], msg = ''): void {
  assert.equal(actual.length, expected.length, msg);
  for (let i = 0; i < expected.length; i++)
    assert.ok(same(actual[i], expected[i]) || actual[i] === expected[i], `${msg} element ${i}: ${actual[i]} vs ${expected[i]}`);
}

test('relu keeps NaN on the reference and the Wasm kernels (PyTorch), and its gradient at NaN is NaN', () => {
  // 1027 elements: the Wasm kernel's 8-wide, 4-wide and tail loops all see NaN, -0 and Infinity.
  const n = 1027;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = [NaN, -1, 2, -0, 0, Infinity, -Infinity][i % 7];
  const expected = Array.from(v, (a) => (Number.isNaN(a) ? NaN : a > 0 ? a : 0));
  const expectedGrad = Array.from(v, (a) => (Number.isNaN(a) ? NaN : a > 0 ? 1 : 0));
  for (const mode of ['ts', 'wasm'] as const)
    withKernels(mode, () => {
      const x = nd.array(v);
      assertValues(x.relu().dataSync(), expected, `relu (${mode})`);
      x.attachGrad();
      autograd.record(() => x.relu().sum()).backward();
      assertValues(x.grad.dataSync(), expectedGrad, `relu gradient (${mode})`);
      // A NaN upstream gradient stays NaN where relu passes it and where it blocks it.
      x.attachGrad();
      autograd.record(() => x.relu()).backward(nd.full([n], NaN));
      assert.ok(Array.from(x.grad.dataSync()).every(Number.isNaN), `NaN head gradient (${mode})`);
    });
  // relu(-0) is +0; integer arrays are unchanged.
  assert.ok(Object.is(nd.relu(nd.array([-0])).toArray()[0], 0));
  assert.deepEqual(nd.array([-3, 0, 4], { dtype: 'int32' }).relu().toArray(), [0, 0, 4]);
});
