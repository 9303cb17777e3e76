// dtypes and promotion, astype, creation functions, nd.random with seeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, NDArray } from '../../src/index.js';
import { promoteTypes, promoteWithScalar, DTYPES } from '../../src/core/dtype.js';

test('type promotion follows bool < uint8 < int32 < float32 < float64', () => {
  for (let i = 0; i < DTYPES.length; i++)
    for (let j = 0; j < DTYPES.length; j++) {
      const a = nd.zeros([2], { dtype: DTYPES[i] });
      const b = nd.zeros([2], { dtype: DTYPES[j] });
      const expect = DTYPES[Math.max(i, j)];
      assert.equal(a.add(b).dtype, expect, `${DTYPES[i]} + ${DTYPES[j]}`);
      assert.equal(promoteTypes(DTYPES[i], DTYPES[j]), expect);
      // comparisons keep the promoted dtype, holding 0/1 (MXNet)
      assert.equal(a.equal(b).dtype, expect);
    }
});

test('JS numbers are weak scalars', () => {
  const i = nd.array([1, 2], { dtype: 'int32' });
  assert.equal(i.add(2).dtype, 'int32');
  assert.equal(i.add(2.5).dtype, 'float32');
  assert.deepEqual(i.add(2.5).toArray(), [3.5, 4.5]);
  assert.equal(nd.array([1], { dtype: 'float64' }).mul(0.1).dtype, 'float64');
  assert.equal(nd.array([1], { dtype: 'uint8' }).add(1).dtype, 'uint8');
  assert.equal(promoteWithScalar('bool', 1), 'bool');
  assert.equal(promoteWithScalar('bool', 2), 'int32');
  assert.equal(promoteWithScalar('bool', 0.5), 'float32');
  assert.equal(nd.array([true, false], { dtype: 'bool' }).add(3).dtype, 'int32');
  assert.equal(i.div(2).dtype, 'float32');
  assert.equal(i.exp().dtype, 'float32');
  assert.equal(i.neg().dtype, 'int32');
});

test('astype converts (and always copies)', () => {
  const x = nd.array([-1.7, -0.5, 0, 0.5, 1.7, 300]);
  assert.deepEqual(x.astype('int32').toArray(), [-1, 0, 0, 0, 1, 300]);
  assert.deepEqual(x.astype('bool').toArray(), [1, 1, 0, 1, 1, 1]);
  assert.equal(x.astype('uint8').toArray()[5], 300 % 256);
  const y = x.astype('float32');
  assert.notEqual(y, x);
  assert.notEqual(y.storage, x.storage);
  assert.equal(y.dtype, 'float32');
  assert.deepEqual(nd.array([1.1], { dtype: 'float64' }).astype('float32').toArray(), [Math.fround(1.1)]);
  assert.equal(nd.array([1, 2, 3], { dtype: 'int32' }).astype('float64').dtype, 'float64');
});

test('nd.array from nested lists, typed arrays, numbers, booleans and NDArrays', () => {
  const a = nd.array([
    [2, 1, 4, 3],
    [1, 2, 3, 4],
    [4, 3, 2, 1],
  ]);
  assert.deepEqual([...a.shape], [3, 4]);
  assert.equal(a.dtype, 'float32');
  assert.equal(a.size, 12);
  assert.equal(a.ndim, 2);
  assert.equal(nd.array(new Float64Array([1, 2])).dtype, 'float64');
  assert.equal(nd.array(new Int32Array([1, 2])).dtype, 'int32');
  assert.equal(nd.array(new Uint8Array([1, 2])).dtype, 'uint8');
  assert.deepEqual(nd.array(new Int32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] }).toArray(), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual([...nd.array(3.5).shape], []);
  assert.equal(nd.array(3.5).asScalar(), 3.5);
  assert.deepEqual(nd.array([true, false], { dtype: 'bool' }).toArray(), [1, 0]);
  assert.deepEqual(nd.array([1, 2], { dtype: 'float64' }).dtype, 'float64');
  assert.deepEqual([...nd.array([]).shape], [0]);
  assert.deepEqual([...nd.array([[], []]).shape], [2, 0]);
  const c = nd.array(a);
  assert.notEqual(c.storage, a.storage);
  assert.deepEqual(c.toArray(), a.toArray());
  assert.equal(nd.array(a, { dtype: 'int32' }).dtype, 'int32');
  // data is copied: changing the source later does not change the array
  const src = new Float32Array([1, 2]);
  const s = nd.array(src);
  src[0] = 9;
  assert.deepEqual(s.toArray(), [1, 2]);
});

test('zeros, ones, full, zerosLike, onesLike, eye', () => {
  assert.deepEqual(nd.zeros([2, 3, 4]).toArray(), Array(2).fill(Array(3).fill(Array(4).fill(0))));
  assert.deepEqual(nd.ones([3, 4]).toArray(), Array(3).fill(Array(4).fill(1)));
  assert.deepEqual(nd.ones(3).toArray(), [1, 1, 1]);
  assert.deepEqual(nd.full([2, 2], 7, { dtype: 'int32' }).toArray(), [
    [7, 7],
    [7, 7],
  ]);
  assert.equal(nd.full([2], 7, { dtype: 'int32' }).dtype, 'int32');
  assert.deepEqual([...nd.zeros([]).shape], []);
  assert.deepEqual([...nd.zeros([0, 5]).shape], [0, 5]);
  const x = nd.array([[1, 2]], { dtype: 'float64' });
  const z = nd.zerosLike(x);
  assert.deepEqual([z.dtype, [...z.shape], z.toArray()], ['float64', [1, 2], [[0, 0]]]);
  assert.deepEqual(nd.onesLike(x).toArray(), [[1, 1]]);
  assert.deepEqual(x.onesLike().dtype, 'float64');
  assert.deepEqual(nd.eye(3).toArray(), [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ]);
  assert.deepEqual(nd.eye(2, 3, 1).toArray(), [
    [0, 1, 0],
    [0, 0, 1],
  ]);
  assert.deepEqual(nd.eye(3, 2, -1).toArray(), [
    [0, 0],
    [1, 0],
    [0, 1],
  ]);
});

test('arange and linspace', () => {
  assert.deepEqual(nd.arange(5).toArray(), [0, 1, 2, 3, 4]);
  assert.equal(nd.arange(5).dtype, 'float32');
  assert.deepEqual(nd.arange(2, 5).toArray(), [2, 3, 4]);
  assert.deepEqual(nd.arange(5, 0, -2).toArray(), [5, 3, 1]);
  assert.deepEqual(nd.arange(0).toArray(), []);
  assert.deepEqual(nd.arange(3, 1).toArray(), []);
  assert.equal(nd.arange(-8, 8, 0.1).size, 160);
  assert.deepEqual(nd.arange(3, undefined, 1, { dtype: 'int32' }).dtype, 'int32');
  assert.deepEqual(nd.linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(nd.linspace(0, 1, 4, { endpoint: false }).toArray(), [0, 0.25, 0.5, 0.75]);
  assert.deepEqual(nd.linspace(2, 3, 1).toArray(), [2]);
  assert.deepEqual(nd.linspace(2, 3, 0).toArray(), []);
  assert.equal(nd.linspace(0, 1, 3, { dtype: 'float64' }).dtype, 'float64');
});

test('nd.random.seed gives bit-identical runs', () => {
  const draw = () => {
    nd.random.seed(42);
    return [
      nd.random.normal(0, 1, [3, 4]),
      nd.random.uniform(-1, 1, [5]),
      nd.random.randint(0, 10, [6]),
      nd.random.shuffle(nd.arange(8)),
      nd.random.normal(1, 0.01, [4], { dtype: 'float64' }),
    ].map((a) => Array.from(a.dataSync()));
  };
  const a = draw();
  const b = draw();
  assert.deepEqual(a, b);
  // bit-identical, including the float64 draws
  const f64 = (v: number[]) => Buffer.from(Float64Array.from(v).buffer).toString('hex');
  assert.equal(f64(a[4]), f64(b[4]));
  nd.random.seed(43);
  assert.notDeepEqual(Array.from(nd.random.normal(0, 1, [3, 4]).dataSync()), a[0]);
  nd.seed(42);
  assert.deepEqual(Array.from(nd.random.normal(0, 1, [3, 4]).dataSync()), a[0]);
});

test('random draws have the right shapes, dtypes, ranges and moments', () => {
  nd.random.seed(1);
  const n = nd.random.normal(2, 3, [20000]);
  assert.equal(n.dtype, 'float32');
  assert.ok(Math.abs(n.mean().asScalar() - 2) < 0.1);
  assert.ok(Math.abs(n.sub(2).square().mean().sqrt().asScalar() - 3) < 0.1);
  const u = nd.random.uniform(-1, 3, [10000]);
  assert.ok(u.min().asScalar() >= -1 && u.max().asScalar() < 3);
  assert.ok(Math.abs(u.mean().asScalar() - 1) < 0.05);
  const r = nd.random.randint(2, 5, [1000]);
  assert.equal(r.dtype, 'int32');
  assert.deepEqual(new Set(r.dataSync()), new Set([2, 3, 4]));
  assert.deepEqual([...nd.random.normal(0, 1, [2, 0]).shape], [2, 0]);
  assert.deepEqual([...nd.random.uniform().shape], [1]);
  const p = nd.random.shuffle(nd.arange(10).reshape([5, 2]));
  assert.deepEqual(
    Array.from(p.get(':, 0').dataSync()).sort((a, b) => a - b),
    [0, 2, 4, 6, 8],
  );
  assert.deepEqual(p.get(':, 1').sub(p.get(':, 0')).toArray(), [1, 1, 1, 1, 1]);
});

test('contexts: cpu(0) by default, copyto/asInContext on the same device', () => {
  const x = nd.ones([2]);
  assert.equal(String(x.context), 'cpu(0)');
  assert.ok(x.context.equals(nd.cpu()));
  assert.equal(x.asInContext(nd.cpu()), x);
  const y = x.copyto(nd.cpu());
  assert.notEqual(y, x);
  assert.ok(y instanceof NDArray);
  assert.ok(nd.isNDArray(y));
  assert.ok(!nd.isNDArray([1]));
  assert.equal(String(nd.zeros([1], { ctx: nd.cpu() }).context), 'cpu(0)');
  assert.equal(String(nd.currentContext()), 'cpu(0)');
});
