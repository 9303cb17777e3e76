// MXNet's topk, add_n, broadcast_axis, Convolution, Pooling and the transposed convolution: the
// examples of MXNet 1.x's docs, values computed by PyTorch, and bad input. Their forward passes in
// every layout and their gradient checks are in the op table (op-table-api.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, NDArray, ShapeError, DTypeError, ValueError, D2LError } from '../../src/index.js';
import { convTranspose2d, conv1d, pool1d } from '../../src/ops/conv-ops.js';
import { assertClose } from '../helpers.js';

/** Asserts fn throws an instance of `cls` whose message matches every pattern. */
function throwsTyped(fn: () => unknown, cls: new (...a: never[]) => Error, ...patterns: RegExp[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${cls.name}, nothing was thrown`);
  assert.ok(err instanceof cls, `expected ${cls.name}, got ${(err as Error).name}: ${(err as Error).message}`);
  assert.ok(err instanceof D2LError, 'every library error is a D2LError');
  for (const p of patterns) assert.match((err as Error).message, p);
}

/** ((i * mul) % mod - off) / div over a row-major index, in float64: the same sequence as the PyTorch script. */
function seq(shape: number[], mul = 7, mod = 11, off = 5, div = 4): NDArray {
  const n = shape.reduce((a, b) => a * b, 1);
  return nd.array(
    Array.from({ length: n }, (_, i) => (((i * mul) % mod) - off) / div),
    { shape, dtype: 'float64' },
  );
}

test('topk: the examples of MXNet 1.x docs', () => {
  const x = nd.array([
    [0.3, 0.2, 0.4],
    [0.1, 0.3, 0.2],
  ]);
  const i = nd.topk(x);
  assert.deepEqual(i.toArray(), [[2], [1]]);
  assert.equal(i.dtype, 'float32');
  assertClose(nd.topk(x, { retTyp: 'value', k: 2 }), [0.4, 0.3, 0.3, 0.2]);
  assertClose(nd.topk(x, { retTyp: 'value', k: 2, isAscend: true }), [0.2, 0.3, 0.1, 0.2]);
  const v0 = nd.topk(x, { axis: 0, retTyp: 'value', k: 2 });
  assert.deepEqual(v0.shape, [2, 3]);
  assertClose(v0, [0.3, 0.3, 0.4, 0.1, 0.2, 0.2]);
  const [v, idx] = nd.topk(x, { retTyp: 'both', k: 2 });
  assertClose(v, [0.4, 0.3, 0.3, 0.2]);
  assert.deepEqual(idx.toArray(), [
    [2, 0],
    [1, 2],
  ]);
  assert.deepEqual(nd.topk(x, { retTyp: 'mask', k: 2 }).toArray(), [
    [1, 0, 1],
    [0, 1, 1],
  ]);
  // axis null: over the flattened array; k < 1 sorts all.
  assert.deepEqual(nd.topk(x, { axis: null, k: 0 }).toArray(), [2, 0, 4, 1, 5, 3]);
  assert.deepEqual(nd.topk(x, { axis: null, k: 2, dtype: 'int32' }).dtype, 'int32');
  // The NDArray method, as MXNet's x.topk(...).
  assert.deepEqual(x.topk().toArray(), [[2], [1]]);
  assertClose(x.topk({ k: 2, retTyp: 'both' })[0], [0.4, 0.3, 0.3, 0.2]);
});

test('topk: ties keep index order, NaN ranks as +Infinity, integer input, a 0-size axis', () => {
  assert.deepEqual(nd.topk(nd.array([1, 3, 3, 1, 3]), { k: 5 }).toArray(), [1, 2, 4, 0, 3]);
  assert.deepEqual(nd.topk(nd.array([1, 3, 3, 1, 3]), { k: 5, isAscend: true }).toArray(), [0, 3, 1, 2, 4]);
  assert.deepEqual(nd.topk(nd.array([2, NaN, -Infinity, Infinity, -Infinity]), { k: 5 }).toArray(), [1, 3, 0, 2, 4]);
  assert.deepEqual(nd.topk(nd.array([2, NaN, -Infinity, 5]), { k: 4, isAscend: true }).toArray(), [2, 0, 3, 1]);
  const ints = nd.array([[5, -2, 7]], { dtype: 'int32' });
  const [v, i] = nd.topk(ints, { k: 2, retTyp: 'both' });
  assert.equal(v.dtype, 'int32');
  assert.deepEqual(v.toArray(), [[7, 5]]);
  assert.deepEqual(i.toArray(), [[2, 0]]);
  assert.equal(nd.topk(ints, { retTyp: 'mask' }).dtype, 'int32');
  const empty = nd.topk(nd.zeros([2, 0]), { k: 0, retTyp: 'value' });
  assert.deepEqual(empty.shape, [2, 0]);
});

test('topk: values are differentiable (both too), indices and masks are not recorded; no arrays leak', () => {
  const x = nd.array([
    [3, 1, 2],
    [0, 5, 4],
  ]);
  x.attachGrad();
  autograd
    .record(() => {
      const [v] = nd.topk(x, { k: 2, retTyp: 'both' });
      return v
        .mul(
          nd.array([
            [1, 10],
            [100, 1000],
          ]),
        )
        .sum();
    })
    .backward();
  assert.deepEqual(x.grad.toArray(), [
    [1, 0, 10],
    [0, 100, 1000],
  ]);
  const idx = autograd.record(() => nd.topk(x, { k: 2 }));
  assert.equal(idx.requiresGrad, false);
  const before = nd.memory().arrays;
  const r = nd.topk(x, { k: 2, retTyp: 'both', axis: 0 });
  r.forEach((a) => a.dispose());
  nd.topk(x, { retTyp: 'mask' }).dispose();
  assert.equal(nd.memory().arrays, before, 'topk frees its temporaries');
});

test('topk: bad input is a typed error naming the op', () => {
  const x = nd.ones([2, 3]);
  throwsTyped(() => nd.topk(x, { k: 4 }), ValueError, /^topk:/, /k = 4/, /3 elements/, /\(2, 3\)/);
  throwsTyped(() => nd.topk(x, { k: 1.5 }), ValueError, /^topk:/, /integer/);
  throwsTyped(() => nd.topk(x, { retTyp: 'values' as never }), ValueError, /retTyp/, /'value'/);
  throwsTyped(() => nd.topk(x, { dtype: 'bool' }), DTypeError, /^topk:/, /bool/);
  throwsTyped(() => nd.topk(x, { axes: 1 } as never), ValueError, /^topk: unknown option 'axes'/, /axis, k, retTyp, isAscend, dtype/);
  throwsTyped(() => nd.topk(x, { axis: 2 }), D2LError, /topk/);
  throwsTyped(() => nd.topk(nd.array(3), {}), ShapeError, /^topk:/, /0-d/);
  throwsTyped(() => nd.topk(nd.ones([300]), { dtype: 'uint8' }), DTypeError, /uint8/);
  throwsTyped(() => nd.topk([1, 2] as never), ValueError, /^topk: expected an NDArray/);
  throwsTyped(() => nd.topk(x, 1 as never), ValueError, /^topk:/, /options object/);
});

test('addN and broadcastAxis: values, views and errors', () => {
  const a = nd.array([[1, 2]]);
  assert.deepEqual(nd.addN(a, a, nd.array([[10, 20]])).toArray(), [[12, 24]]);
  const one = nd.addN([a]);
  assert.notEqual(one, a);
  assert.deepEqual(one.toArray(), [[1, 2]]);
  throwsTyped(() => nd.addN(a, nd.ones([2, 1])), ShapeError, /^addN:/, /\(1, 2\)/, /\(2, 1\)/, /broadcast/);
  throwsTyped(() => nd.addN(), ValueError, /^addN: expected at least one array/);
  throwsTyped(() => nd.addN(a, 3 as never), ValueError, /^addN: argument 1/);

  const x = nd.array([[[1], [2]]]);
  const b = nd.broadcastAxis(x, { axis: [0, 2], size: [2, 3] });
  assert.deepEqual(b.shape, [2, 2, 3]);
  assert.deepEqual(b.toArray(), [
    [
      [1, 1, 1],
      [2, 2, 2],
    ],
    [
      [1, 1, 1],
      [2, 2, 2],
    ],
  ]);
  assert.deepEqual(nd.broadcastAxes(x, { axis: -1, size: 2 }).shape, [1, 2, 2]);
  throwsTyped(() => nd.broadcastAxis(x, { axis: 1, size: 3 }), ShapeError, /^broadcastAxis: axis 1/, /\(1, 2, 1\)/, /size 1/);
  throwsTyped(() => nd.broadcastAxis(x, { axis: [0, 2], size: [2] }), ValueError, /same length/);
  throwsTyped(() => nd.broadcastAxis(x, { axis: 0 } as never), ValueError, /axis and size are required/);
  throwsTyped(() => nd.broadcastAxis(x, { axes: 0, size: 2 } as never), ValueError, /unknown option 'axes'; valid options are axis, size/);
  throwsTyped(() => nd.broadcastAxis(x, { axis: 0, size: 2, sizes: 1 } as never), ValueError, /unknown option 'sizes'/, /axis, size/);
  throwsTyped(() => nd.broadcastAxis(x, { axis: [0, 0], size: [2, 2] }), ValueError, /twice/);
  throwsTyped(() => nd.broadcastAxis(x, { axis: 3, size: 2 }), D2LError, /broadcastAxis/);
});

test('convTranspose2d matches PyTorch conv_transpose2d (stride, padding, output padding, bias; groups with dilation)', () => {
  // Expected values: torch.nn.functional.conv_transpose2d in float64 (PyTorch 1.13) on the
  // same seq() inputs, printed with .flatten().tolist().
  const x = seq([1, 2, 3, 3]);
  const w = seq([2, 3, 3, 3], 5, 7, 3, 3);
  const b = nd.array([0.5, -1, 2], { dtype: 'float64' });
  const y = convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 });
  assert.deepEqual(y.shape, [1, 3, 6, 6]);
  // prettier-ignore
  const expected = [-1.25, 0.5, 1.1666666666666665, 0.75, 0.8333333333333333, -0.9166666666666667, 1.8333333333333333, -1.0833333333333333, 0.75, 0.8333333333333333, -0.33333333333333337, 2.25, 1.4166666666666667, 1.25, 1.0833333333333333, 0.5833333333333333, -1.0833333333333333, 1.5, -0.5, 0.9999999999999999, 1.1666666666666665, 2.0, -0.833333333333333, -0.5833333333333335, 1.3333333333333335, 1.0833333333333333, 1.0, 0.41666666666666663, -1.1666666666666665, 1.1666666666666667, -0.5833333333333333, 0.6666666666666666, 0.75, 1.9166666666666665, 1.1666666666666667, -1.1666666666666665, -0.33333333333333337, -0.08333333333333337, -1.25, -2.8333333333333335, -1.25, -0.08333333333333337, -1.3333333333333333, 1.0, -1.3333333333333333, 0.9999999999999998, -1.3333333333333333, -2.25, -1.25, -2.8333333333333335, -1.25, -0.08333333333333337, -0.33333333333333337, -0.6666666666666666, -1.3333333333333333, -0.8333333333333333, -1.3333333333333333, -1.75, 0.5, -2.1666666666666665, -1.25, -2.833333333333333, -1.25, -0.08333333333333326, -0.33333333333333337, -0.33333333333333326, -0.8333333333333334, -0.9166666666666666, -1.5, -2.6666666666666665, -0.33333333333333337, -0.33333333333333337, 0.41666666666666674, 2.0833333333333335, 2.583333333333333, 2.75, 2.916666666666667, 1.1666666666666667, 1.1666666666666665, 2.3333333333333335, 2.25, 0.41666666666666674, 3.333333333333333, 1.25, 2.333333333333333, 2.25, 2.6666666666666665, 2.0, 0.25, 2.833333333333333, 3.5, 3.0, 1.8333333333333333, 0.16666666666666674, 1.0833333333333335, 3.6666666666666665, 2.4166666666666665, 2.4166666666666665, 2.75, 2.166666666666667, 0.3333333333333335, 2.6666666666666665, 2.8333333333333335, 2.583333333333333, 2.5, 1.9166666666666665, 0.3333333333333335, 2.666666666666667];
  assertClose(y, expected, 1e-12);

  const x2 = seq([2, 4, 2, 3]);
  const w2 = seq([4, 1, 2, 2], 3, 5, 2, 2);
  const y2 = convTranspose2d(x2, w2, null, { stride: [1, 2], padding: [0, 1], dilation: [2, 1], groups: 2 });
  assert.deepEqual(y2.shape, [2, 2, 4, 4]);
  // prettier-ignore
  const expected2 = [-1.625, -0.5, 0.25, 0.5, -0.125, -0.25, 0.375, 0.75, -1.75, -0.25, 0.5, -0.25, 0.875, -0.25, 0.375, -0.25, 0.0, 0.0, -1.0, 0.875, -0.25, -0.125, -1.25, 0.75, 0.25, 0.5, 0.75, -1.25, 0.375, 0.75, 0.875, -1.0, 0.75, -1.25, -0.125, -0.25, 0.875, -1.0, 0.0, 0.0, 0.0, -0.25, 0.875, -0.25, -0.125, -0.25, 0.75, -0.25, 0.75, 0.375, -0.25, -0.125, 0.5, 0.25, -0.5, -1.625, -0.125, -0.25, 0.375, 0.75, 0.0, 0.0, 0.5, 1.0];
  assertClose(y2, expected2, 1e-12);
});

test('convTranspose2d: its gradients are those of a linear map, checked as the adjoint of conv2d', () => {
  // <convT(x, w), g> = <x, conv2d(g, w)> for every x, g: the input gradient of convT is conv2d.
  const x = seq([2, 2, 3, 2]);
  const w = seq([2, 3, 2, 2], 5, 7, 3, 3);
  const opts = { stride: [2, 1], padding: [1, 0], outputPadding: [1, 0] };
  const y = convTranspose2d(x, w, null, opts);
  const g = seq([...y.shape], 3, 5, 2, 2);
  x.attachGrad();
  autograd.record(() => convTranspose2d(x, w, null, opts).mul(g).sum()).backward();
  const lhs = y.mul(g).sum().asScalar();
  const rhs = x.mul(x.grad).sum().asScalar();
  assert.ok(Math.abs(lhs - rhs) < 1e-12, `${lhs} vs ${rhs}`);
});

test('nd.Convolution 1-D and conv1d match PyTorch conv1d (stride, padding, dilation, bias)', () => {
  // Expected values: torch.nn.functional.conv1d in float64 (PyTorch 1.13) on the same seq() inputs.
  const x = seq([2, 3, 7]);
  const w = seq([4, 3, 3], 5, 7, 3, 3);
  const b = nd.array([0.1, 0.2, -0.3, 0.4], { dtype: 'float64' });
  // prettier-ignore
  const expected = [-0.23333333333333336, -0.7333333333333335, -0.31666666666666654, 1.0333333333333334, -1.3, 1.1166666666666667, -0.6333333333333333, 2.1999999999999997, -0.38333333333333336, 0.06666666666666654, -0.09999999999999998, 1.0666666666666669, -2.233333333333333, 1.6833333333333336, -0.7333333333333333, 0.2833333333333332, 2.6166666666666667, 0.20000000000000004, 0.45, -2.883333333333333, -1.8, 2.4, 0.3999999999999999, 0.9];
  const y = nd.Convolution({ data: x, weight: w, bias: b, kernel: [3], numFilter: 4, stride: [2], pad: [1], dilate: [2] });
  assert.deepEqual(y.shape, [2, 4, 3]);
  assertClose(y, expected, 1e-12);
  assertClose(conv1d(x, w, b, { stride: 2, padding: 1, dilation: 2 }), expected, 1e-12);
});

test('nd.Convolution and nd.Pooling: bad arguments are typed errors naming the operator and listing what is valid', () => {
  const data = nd.ones([1, 2, 4, 4]);
  const weight = nd.ones([3, 2, 3, 3]);
  throwsTyped(
    () => nd.Convolution({ data, weight, kernel: [3, 3], numFilter: 3 }),
    ValueError,
    /^Convolution: bias is required unless noBias/,
  );
  throwsTyped(
    () => nd.Convolution({ data, weight, kernel: [3, 3], numFilters: 3, noBias: true } as never),
    ValueError,
    /^Convolution: unknown option 'numFilters' \(did you mean 'numFilter'\?\)/,
    /data, weight, bias, kernel, numFilter/,
  );
  throwsTyped(
    () => nd.Convolution({ data, weight, kernel: [2, 2], numFilter: 3, noBias: true }),
    ShapeError,
    /^Convolution: weight has shape \(3, 2, 3, 3\)/,
    /\(3, 2, 2, 2\)/,
  );
  throwsTyped(() => nd.Convolution({ data, weight, kernel: [3, 3], numFilter: 4, noBias: true }), ShapeError, /numFilter=4/);
  throwsTyped(
    () => nd.Convolution({ data, weight, kernel: [3], numFilter: 3, noBias: true }),
    ValueError,
    /kernel must be a list of 2 integers/,
  );
  throwsTyped(
    () => nd.Convolution({ data, weight, kernel: [3, 3], numFilter: 3, noBias: true, layout: 'NHWC' }),
    ValueError,
    /layout 'NHWC'/,
  );
  throwsTyped(
    () => nd.Convolution({ data: nd.ones([2, 2]), weight, kernel: [3, 3], numFilter: 3, noBias: true }),
    ShapeError,
    /3-D \(NCW\) or 4-D \(NCHW\)/,
  );
  throwsTyped(
    () => nd.Convolution({ data, weight, kernel: [3, 3], numFilter: 3, bias: nd.ones([2]) }),
    ShapeError,
    /bias must have shape \(3,\)/,
  );
  throwsTyped(() => nd.Convolution(data as never), ValueError, /^Convolution: expected one options object/);
  // The 3-D case: no 'numFilter'.
  throwsTyped(
    () => nd.Convolution({ data: nd.ones([1, 2, 5]), weight: nd.ones([3, 2, 2]), kernel: [2], noBias: true } as never),
    ValueError,
    /numFilter is required/,
  );

  throwsTyped(() => nd.Pooling({ data, poolType: 'max' }), ValueError, /^Pooling: kernel is required unless globalPool/);
  throwsTyped(() => nd.Pooling({ data, kernel: [2, 2], poolType: 'sum' as never }), ValueError, /poolType must be 'max' or 'avg'/);
  throwsTyped(
    () => nd.Pooling({ data, kernel: [2, 2], poolTyp: 'max' } as never),
    ValueError,
    /unknown option 'poolTyp' \(did you mean 'poolType'\?\)/,
  );
  throwsTyped(() => nd.Pooling({ data, kernel: [2, 2], poolingConvention: 'same' as never }), ValueError, /'valid' or 'full'/);
  throwsTyped(() => nd.Pooling({ data, kernel: [5, 5] }), ShapeError, /maxPool2d/, /5x5/);
  // Pooling's 'full' convention rounds up, as ceilMode.
  assert.deepEqual(
    nd.Pooling({ data: nd.ones([1, 1, 5, 5]), kernel: [2, 2], stride: [2, 2], poolingConvention: 'full' }).shape,
    [1, 1, 3, 3],
  );

  const x = nd.ones([1, 2, 3, 3]);
  throwsTyped(() => convTranspose2d(x, nd.ones([3, 1, 2, 2])), ShapeError, /^convTranspose2d: the input has 2 channels/, /\(3, 1, 2, 2\)/);
  throwsTyped(
    () => convTranspose2d(x, nd.ones([2, 1, 2, 2]), null, { stride: 2, outputPadding: 2 }),
    ValueError,
    /outputPadding 2x2 must be smaller than the stride/,
  );
  throwsTyped(() => convTranspose2d(x, nd.ones([2, 1, 2, 2]), null, { padding: 3 }), ShapeError, /would be -2x-2/);
  throwsTyped(() => convTranspose2d(x, nd.ones([2, 1, 2, 2], { dtype: 'float64' })), DTypeError, /same dtype/);
  throwsTyped(
    () => conv1d(nd.ones([1, 2, 4]), nd.ones([1, 2, 3]), null, { stride: [1, 2] }),
    ValueError,
    /^conv1d: stride must be an integer/,
  );
  throwsTyped(
    () => pool1d('max', nd.ones([1, 2, 4]), { kernal: 2 } as never),
    ValueError,
    /^maxPool1d: unknown option 'kernal' \(did you mean 'kernel'\?\)/,
  );
  throwsTyped(() => pool1d('avg', nd.ones([1, 2, 4]), {} as never), ValueError, /^avgPool1d: the kernel size is required/);
  throwsTyped(() => pool1d('avg', nd.ones([1, 2]), { kernel: 2 }), ShapeError, /^avgPool1d: the input must be 3-D/);
});
