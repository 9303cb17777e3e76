// Reading values (toArray, data, dataSync, asScalar) and printing with numpy's rules plus
// MXNet's footer. Expected strings were produced by numpy 2.4's array2string on the same data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd } from '../../src/index.js';
import { array2string } from '../../src/ndarray/format.js';

test('toArray nests like the shape; 0-d gives a number', () => {
  assert.deepEqual(nd.arange(6).reshape([2, 3]).toArray(), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  assert.deepEqual(nd.arange(6).reshape([2, 3]).T.toArray(), [
    [0, 3],
    [1, 4],
    [2, 5],
  ]);
  assert.equal(nd.arange(6).sum().toArray(), 15);
  assert.deepEqual(nd.zeros([2, 0]).toArray(), [[], []]);
  assert.deepEqual(nd.zeros([0, 2]).toArray(), []);
});

test('data() resolves to a contiguous typed array copy; dataSync() likewise', async () => {
  const X = nd.arange(6).reshape([2, 3]);
  const v = X.get(':, ::-2');
  const d = await v.data();
  assert.ok(d instanceof Float32Array);
  assert.deepEqual(Array.from(d), [2, 0, 5, 3]);
  const s = v.dataSync();
  assert.deepEqual(Array.from(s), [2, 0, 5, 3]);
  s[0] = 100; // a copy: the array is unchanged
  assert.equal(X.get('0, 2').asScalar(), 2);
  assert.ok((await nd.zeros([2], { dtype: 'int32' }).data()) instanceof Int32Array);
  assert.ok((await nd.zeros([2], { dtype: 'float64' }).data()) instanceof Float64Array);
  assert.ok((await nd.zeros([2], { dtype: 'uint8' }).data()) instanceof Uint8Array);
  assert.ok((await nd.zeros([2], { dtype: 'bool' }).data()) instanceof Uint8Array);
});

test('asScalar reads one-element arrays of any rank', () => {
  assert.equal(nd.arange(12).reshape([3, 4]).norm().asScalar(), Math.fround(Math.sqrt(506)));
  assert.equal(nd.array([[7]]).asScalar(), 7);
  assert.equal(nd.array(2.5).asScalar(), 2.5);
  assert.equal(nd.arange(12).sum().shape.length, 0, 'a full reduction is 0-d');
});

test("printing: the book's arrays, with the footer", () => {
  assert.equal(
    nd.arange(12).reshape([3, 4]).toString(),
    '\n[[ 0.  1.  2.  3.]\n [ 4.  5.  6.  7.]\n [ 8.  9. 10. 11.]]\n<NDArray 3x4 @cpu(0)>',
  );
  assert.equal(
    nd
      .array([
        [0, 1],
        [2, 3],
      ])
      .toString(),
    '\n[[0. 1.]\n [2. 3.]]\n<NDArray 2x2 @cpu(0)>',
  );
  assert.equal(nd.arange(4).reshape([4, 1]).toString(), '\n[[0.]\n [1.]\n [2.]\n [3.]]\n<NDArray 4x1 @cpu(0)>');
  assert.equal(nd.arange(12).sum().toString(), '\n66.\n<NDArray  @cpu(0)>');
  assert.equal(nd.array([1, 2], { dtype: 'int32' }).toString(), '\n[1 2]\n<NDArray 2 @cpu(0)>');
  assert.equal(nd.zeros([2, 0]).toString(), '\n[]\n<NDArray 2x0 @cpu(0)>');
  assert.equal(
    nd
      .array([
        [2, 1, 4, 3],
        [1, 2, 3, 4],
        [4, 3, 2, 1],
      ])
      .exp()
      .toString(),
    '\n[[ 7.389056   2.7182817 54.59815   20.085537 ]\n [ 2.7182817  7.389056  20.085537  54.59815  ]\n [54.59815   20.085537   7.389056   2.7182817]]\n<NDArray 3x4 @cpu(0)>',
  );
  assert.equal(String(nd.ones([1])), '\n[1.]\n<NDArray 1 @cpu(0)>');
});

/** [name, dtype, shape, data, numpy's array2string] */
const NUMPY: [string, 'float32' | 'float64' | 'int32' | 'uint8' | 'bool', number[], number[], string][] = [
  ['scientific', 'float32', [3], [1e-5, 1, 1000], '[1.e-05 1.e+00 1.e+03]'],
  ['nan and inf', 'float32', [4], [NaN, Infinity, -Infinity, 1.5], '[ nan  inf -inf  1.5]'],
  ['only nan/inf', 'float32', [2], [NaN, Infinity], '[nan inf]'],
  ['ints padded', 'int32', [3], [1, -20, 3], '[  1 -20   3]'],
  ['bool', 'bool', [3], [0, 1, 1], '[False  True  True]'],
  ['uint8', 'uint8', [2, 2], [0, 255, 7, 8], '[[  0 255]\n [  7   8]]'],
  ['negative and fractions', 'float32', [2, 2], [-1.5, 2, 3.25, -0.125], '[[-1.5    2.   ]\n [ 3.25  -0.125]]'],
  ['float64 needs exponent', 'float64', [3], [1 / 3, 2 / 3, 1e7], '[3.33333333e-01 6.66666667e-01 1.00000000e+07]'],
  ['1e8 switches to exponent', 'float32', [2], [1e8, 1], '[1.e+08 1.e+00]'],
  ['1e-4 stays positional?', 'float32', [2], [0.0001, 0.5], '[1.e-04 5.e-01]'],
  ['negative exponent values', 'float32', [3], [-1e-7, 3e5, 2.5], '[-1.0e-07  3.0e+05  2.5e+00]'],
  ['negative zero', 'float32', [2], [-0, 1], '[-0.  1.]'],
  [
    "the book's normal draws",
    'float32',
    [3, 4],
    [
      2.2122064, 0.7740038, 1.0434405, 1.1839255, 1.8917114, -1.2347414, -1.771029, -0.45138445, 0.57938355, -1.856082, -1.9768796,
      -0.20801921,
    ],
    '[[ 2.2122064   0.7740038   1.0434405   1.1839255 ]\n [ 1.8917114  -1.2347414  -1.771029   -0.45138445]\n [ 0.57938355 -1.856082   -1.9768796  -0.20801921]]',
  ],
  [
    '75-column wrapping',
    'float32',
    [30],
    Array.from({ length: 30 }, (_, i) => Math.fround(i / 7)),
    '[0.         0.14285715 0.2857143  0.42857143 0.5714286  0.71428573\n 0.85714287 1.         1.1428572  1.2857143  1.4285715  1.5714285\n 1.7142857  1.8571428  2.         2.142857   2.2857144  2.4285715\n 2.5714285  2.7142856  2.857143   3.         3.142857   3.2857144\n 3.4285715  3.5714285  3.7142856  3.857143   4.         4.142857  ]',
  ],
  [
    'wrapping ints',
    'int32',
    [40],
    Array.from({ length: 40 }, (_, i) => i * 1000),
    '[    0  1000  2000  3000  4000  5000  6000  7000  8000  9000 10000 11000\n 12000 13000 14000 15000 16000 17000 18000 19000 20000 21000 22000 23000\n 24000 25000 26000 27000 28000 29000 30000 31000 32000 33000 34000 35000\n 36000 37000 38000 39000]',
  ],
  [
    'summary past 1000 elements',
    'float32',
    [2000],
    Array.from({ length: 2000 }, (_, i) => i),
    '[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]',
  ],
  [
    'summary of rows',
    'float32',
    [2, 1000],
    Array.from({ length: 2000 }, (_, i) => i),
    '[[0.000e+00 1.000e+00 2.000e+00 ... 9.970e+02 9.980e+02 9.990e+02]\n [1.000e+03 1.001e+03 1.002e+03 ... 1.997e+03 1.998e+03 1.999e+03]]',
  ],
  [
    '3-d arrays separate blocks by blank lines',
    'float32',
    [2, 3, 4],
    Array.from({ length: 24 }, (_, i) => i),
    '[[[ 0.  1.  2.  3.]\n  [ 4.  5.  6.  7.]\n  [ 8.  9. 10. 11.]]\n\n [[12. 13. 14. 15.]\n  [16. 17. 18. 19.]\n  [20. 21. 22. 23.]]]',
  ],
];

for (const [name, dtype, shape, data, expected] of NUMPY)
  test(`printing like numpy: ${name}`, () => {
    const x = nd.array(data, { dtype, shape });
    assert.equal(x.toString(), `\n${expected}\n<NDArray ${shape.join('x')} @cpu(0)>`);
  });

test('printing like numpy: summarised 3-d array with exact extra digits (12x10x10 / 3)', () => {
  const vals = Float32Array.from({ length: 1200 }, (_, i) => Math.fround(i / 3));
  const s = array2string(vals, [12, 10, 10], 'float32');
  const lines = s.split('\n');
  assert.equal(lines[0], '[[[0.0000000e+00 3.3333334e-01 6.6666669e-01 ... 2.3333333e+00');
  assert.equal(lines[1], '   2.6666667e+00 3.0000000e+00]');
  assert.equal(lines[6], '  ...');
  assert.ok(s.includes('\n\n ...\n\n'));
  assert.ok(s.endsWith('3.9933334e+02 3.9966666e+02]]]'));
  assert.equal(lines.length, 85);
});

test('printing views prints their logical values', () => {
  const X = nd.arange(6).reshape([2, 3]);
  assert.equal(X.T.toString(), '\n[[0. 3.]\n [1. 4.]\n [2. 5.]]\n<NDArray 3x2 @cpu(0)>');
  assert.equal(X.get('::-1, 1').toString(), '\n[4. 1.]\n<NDArray 2 @cpu(0)>');
});
