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

test('relu keeps NaN on the reference and the Wasm kernels, and its gradient at NaN is 0 (both as PyTorch)', () => {
  // 1027 elements: the Wasm kernel's 8-wide, 4-wide and tail loops all see NaN, -0 and Infinity.
  const n = 1027;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = [NaN, -1, 2, -0, 0, Infinity, -Infinity][i % 7];
  const expected = Array.from(v, (a) => (Number.isNaN(a) ? NaN : a > 0 ? a : 0));
  const expectedGrad = Array.from(v, (a) => (a > 0 ? 1 : 0));
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

test('a number where MXNet takes the axis positionally is the axis: nd.argmax(x, 1), x.sum(1), nd.logSoftmax(x, 0), take/pick/split/repeat', () => {
  const x = nd.array([
    [1, 5, 2],
    [7, 0, 3],
  ]);
  assert.deepEqual(nd.argmax(x, 1).toArray(), [1, 0]);
  assert.deepEqual(x.argmax(1).toArray(), [1, 0]);
  assert.deepEqual(nd.argmin(x, 0).toArray(), [0, 1, 0]);
  assert.deepEqual(x.sum(1).toArray(), [8, 10]);
  assert.deepEqual(nd.sum(x, 0).toArray(), [8, 5, 5]);
  assert.deepEqual(x.sum([0, 1]).toArray(), 18);
  assert.deepEqual(x.mean(1).toArray(), x.mean({ axis: 1 }).toArray());
  assert.deepEqual(nd.max(x, 1).toArray(), [5, 7]);
  assert.deepEqual(x.min(0).toArray(), [1, 0, 2]);
  assert.deepEqual(x.prod(1).toArray(), [10, 0]);
  assert.deepEqual(nd.logSoftmax(x, 0).toArray(), nd.logSoftmax(x, { axis: 0 }).toArray());
  assert.deepEqual(x.take([0], 1).toArray(), [[1], [7]]);
  assert.deepEqual(x.pick(nd.array([1, 0, 1]), 0).toArray(), [7, 5, 3]);
  assert.equal(x.split(3, 1).length, 3);
  assert.deepEqual(x.repeat(2, 0).shape, [4, 3]);
  // norm's positional argument is ord, as MXNet's norm(data, ord).
  assert.equal(nd.norm(nd.array([3, -4]), 1).toArray(), 7);
  // Creation functions take a Context where MXNet takes ctx positionally.
  assert.deepEqual(nd.zeros([2], nd.cpu()).toArray(), [0, 0]);
});

test('where MXNet takes no positional axis, or an option key is unknown, the error lists the valid keys', () => {
  const x = nd.ones([2, 3]);
  // MXNet's concat(*data, dim=1) and stack(*data, axis=0) take them by keyword; softmax's second argument is `length`.
  throwsTyped(() => nd.concat([x, x], 0 as never), ValueError, /^concat:/, /the number 0/, /dim/);
  throwsTyped(() => nd.concat([x, x], { axis: 0 } as never), ValueError, /^concat: unknown option 'axis'/, /did you mean 'dim'/);
  throwsTyped(() => nd.stack([x, x], 1 as never), ValueError, /^stack:/, /axis/);
  throwsTyped(() => nd.softmax(x, 0 as never), ValueError, /^softmax:/, /the number 0/, /axis/);
  throwsTyped(() => x.sum({ axes: 1 } as never), ValueError, /^sum: unknown option 'axes'/, /axis, keepdims/);
  throwsTyped(() => nd.argmax(x, { axis: 1, keepDims: true } as never), ValueError, /^argmax: unknown option 'keepDims'/, /keepdims/);
  throwsTyped(() => nd.array(x, 'int32' as never), ValueError, /^array:/, /the string 'int32'/, /dtype/);
  throwsTyped(() => nd.zeros([2], { dtyp: 'int32' } as never), ValueError, /^zeros: unknown option 'dtyp'/, /dtype, ctx/);
  throwsTyped(() => nd.oneHot(nd.array([0]), 3, 5 as never), ValueError, /^oneHot:/, /onValue/);
  throwsTyped(
    () => x.attachGrad({ gradReq: 'bogus' as never }),
    ValueError,
    /^attachGrad: gradReq must be 'write', 'add' or 'null', got 'bogus'/,
  );
  throwsTyped(() => x.attachGrad({ grad_req: 'add' } as never), ValueError, /unknown option 'grad_req'/);
  const y = nd.ones([2]);
  y.attachGrad();
  throwsTyped(
    () => autograd.record(() => y.mul(2)).backward(null, { retain_graph: true } as never),
    ValueError,
    /^backward: unknown option/,
  );
});

test('creating an integer or bool array from JS numbers that do not fit is a DTypeError; fractions truncate as numpy', () => {
  throwsTyped(() => nd.array([300], { dtype: 'uint8' }), DTypeError, /^array:/, /300/, /uint8/, /0\.\.255/);
  throwsTyped(() => nd.array([1, -1], { dtype: 'uint8' }), DTypeError, /-1 \(at flat index 1\)/);
  throwsTyped(() => nd.array([NaN], { dtype: 'int32' }), DTypeError, /NaN/, /int32/);
  throwsTyped(() => nd.array([2 ** 31], { dtype: 'int32' }), DTypeError, /2147483648/);
  throwsTyped(() => nd.array(new Float32Array([Infinity]), { dtype: 'int32' }), DTypeError, /Infinity/);
  throwsTyped(() => nd.array([2], { dtype: 'bool' }), DTypeError, /bool/, /0\/1/);
  throwsTyped(() => nd.array(new Uint8Array([0, 2]), { dtype: 'bool' }), DTypeError, /bool/);
  throwsTyped(() => nd.full([2], 2, { dtype: 'bool' }), DTypeError, /^full:/);
  throwsTyped(() => nd.full([2], -1, { dtype: 'uint8' }), DTypeError, /^full:/);
  throwsTyped(() => nd.arange(250, 260, 1, { dtype: 'uint8' }), DTypeError, /^arange:/, /256/);
  // What fits is taken: fractions truncate toward zero, booleans are 0/1, typed arrays of the dtype are copied.
  assert.deepEqual(nd.array([1.7, -1.7, 255.9], { dtype: 'int32' }).toArray(), [1, -1, 255]);
  assert.deepEqual(nd.array([255, 0], { dtype: 'uint8' }).toArray(), [255, 0]);
  assert.deepEqual(nd.array([true, false, 1, 0], { dtype: 'bool' }).toArray(), [1, 0, 1, 0]);
  assert.deepEqual(nd.array(new Uint8Array([200])).toArray(), [200]);
  assert.deepEqual(nd.full([2], 7.9, { dtype: 'int32' }).toArray(), [7, 7]);
  // astype wraps as numpy's astype does (truncate, then modulo 2^n; NaN and ±Infinity give 0).
  assert.deepEqual(nd.array([300, -1, NaN]).astype('uint8').toArray(), [44, 255, 0]);
  assert.deepEqual(
    nd
      .array([2 ** 31, -1.9, NaN, Infinity], { dtype: 'float64' })
      .astype('int32')
      .toArray(),
    [-(2 ** 31), -1, 0, 0],
  );
  assert.deepEqual(nd.array([2, 0, NaN]).astype('bool').toArray(), [1, 0, 1]);
});

test('nd.arange and linspace with infinite bounds or too many elements are ValueErrors, not RangeErrors', () => {
  throwsTyped(() => nd.arange(0, Infinity), ValueError, /^arange:/, /finite/, /Infinity/);
  throwsTyped(() => nd.arange(-Infinity), ValueError, /^arange:/);
  throwsTyped(() => nd.arange(NaN), ValueError, /^arange:/);
  throwsTyped(() => nd.arange(0, 1e12), ValueError, /^arange:/, /elements/);
  throwsTyped(() => nd.linspace(0, Infinity, 3), ValueError, /^linspace:/, /finite/);
  assert.deepEqual(nd.arange(3).toArray(), [0, 1, 2]);
});

test('logSoftmax([Infinity, 0]) is [NaN, -Infinity] as PyTorch; finite rows unchanged', () => {
  const r = nd
    .logSoftmax(
      nd.array([
        [Infinity, 0, -1],
        [1, 2, -Infinity],
      ]),
    )
    .toArray() as number[][];
  assert.ok(Number.isNaN(r[0][0]));
  assert.deepEqual(r[0].slice(1), [-Infinity, -Infinity]);
  assert.equal(r[1][2], -Infinity);
  assert.ok(Math.abs(r[1][0] - (1 - Math.log(Math.E + Math.E ** 2))) < 1e-6);
  // Gradients stay finite for finite logits.
  const x = nd.array([[1, 2, 3]]);
  x.attachGrad();
  autograd.record(() => nd.logSoftmax(x).get('0, 0')).backward();
  assert.ok((x.grad.toArray() as number[][])[0].every(Number.isFinite));
});
