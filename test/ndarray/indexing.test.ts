// Indexing (string/list indices, views sharing storage, in-place set, masks, take) and the
// in-place identity semantics of book section 2.2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, NDArray } from '../../src/index.js';

const X0 = () => nd.arange(12).reshape([3, 4]);

test('string and list indices give numpy basic indexing', () => {
  const X = X0();
  assert.deepEqual(X.get('1:3').toArray(), [
    [4, 5, 6, 7],
    [8, 9, 10, 11],
  ]);
  assert.deepEqual(X.get(1).toArray(), [4, 5, 6, 7]);
  assert.deepEqual(X.get(-1).toArray(), [8, 9, 10, 11]);
  assert.deepEqual(X.get('1, 2').toArray(), 6);
  assert.deepEqual([...X.get('1, 2').shape], []);
  assert.deepEqual(X.get([1, 2]).toArray(), 6);
  assert.deepEqual(X.get(':, 1').toArray(), [1, 5, 9]);
  assert.deepEqual(X.get([':', '::2']).toArray(), [
    [0, 2],
    [4, 6],
    [8, 10],
  ]);
  assert.deepEqual(X.get('::-1, ::-1').toArray(), [
    [11, 10, 9, 8],
    [7, 6, 5, 4],
    [3, 2, 1, 0],
  ]);
  assert.deepEqual(X.get('-1:0:-1, 3').toArray(), [11, 7]);
  assert.deepEqual(X.get('..., -1').toArray(), [3, 7, 11]);
  assert.deepEqual([...X.get([null, '1:', null]).shape], [1, 2, 1, 4]);
  assert.deepEqual([...X.get('None, 0').shape], [1, 4]);
  assert.deepEqual([...X.get('5:').shape], [0, 4]);
  assert.deepEqual(X.get('0:100:3').toArray(), [[0, 1, 2, 3]]);
  assert.deepEqual(X.get('1::-1, 0').toArray(), [4, 0]);
});

test('basic indices are views sharing storage (no copy)', () => {
  const X = X0();
  for (const idx of ['1:3', '::-1', ':, 1', '1', '..., ::2', '1, 2']) {
    const v = X.get(idx);
    assert.equal(v.storage, X.storage, idx);
  }
  const v = X.get('::-1, 1:3');
  assert.deepEqual([...v.strides], [-4, 1]);
  assert.equal(v.offset, 9);
  assert.ok(!v.isContiguous);
  assert.ok(X.get('1:3').isContiguous);
  // a view sees writes to its base...
  X.set('2, 1', 100);
  assert.equal(v.get('0, 0').asScalar(), 100);
  // ...and writes through a view reach the base
  v.set('0, 1', -5);
  assert.equal(X.get('2, 2').asScalar(), -5);
  // reshape / transpose / expandDims / squeeze / broadcastTo / split are views too
  assert.equal(X.reshape([4, 3]).storage, X.storage);
  assert.equal(X.T.storage, X.storage);
  assert.equal(X.expandDims(0).storage, X.storage);
  assert.equal(X.broadcastTo([2, 3, 4]).storage, X.storage);
  assert.equal(X.split(2, { axis: 1 })[1].storage, X.storage);
  // a reshape of a non-contiguous view copies
  assert.notEqual(X.T.reshape([12]).storage, X.storage);
  assert.deepEqual(X0().T.reshape([12]).toArray(), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
});

test('set writes in place: scalars, broadcast arrays, views, negative steps', () => {
  const X = X0();
  const id = X;
  const st = X.storage;
  X.set('1, 2', 9);
  assert.equal(X.get('1, 2').asScalar(), 9);
  X.set('1:2, :', 12);
  assert.deepEqual(X.toArray(), [
    [0, 1, 2, 3],
    [12, 12, 12, 12],
    [8, 9, 10, 11],
  ]);
  assert.equal(X, id);
  assert.equal(X.storage, st);
  X.set(':, 0', nd.array([-1, -2, -3]));
  assert.deepEqual(X.get(':, 0').toArray(), [-1, -2, -3]);
  X.set('::-1, 3', nd.array([7, 8, 9]));
  assert.deepEqual(X.get(':, 3').toArray(), [9, 8, 7]);
  X.set('0', nd.array([5]));
  assert.deepEqual(X.get(0).toArray(), [5, 5, 5, 5]);
  const Y = nd.zeros([2, 3]);
  Y.set(':', nd.array([1, 2, 3]));
  assert.deepEqual(Y.toArray(), [
    [1, 2, 3],
    [1, 2, 3],
  ]);
  // overlapping source and destination: the source is read before writing
  const Z = nd.arange(5);
  Z.set('1:', Z.get(':4'));
  assert.deepEqual(Z.toArray(), [0, 0, 1, 2, 3]);
  const W = nd.arange(4);
  W.set(':', W.get('::-1'));
  assert.deepEqual(W.toArray(), [3, 2, 1, 0]);
  // set returns the array itself
  assert.equal(W.set(0, 1), W);
  // dtype conversion on write
  const I = nd.zeros([2], { dtype: 'int32' });
  I.set(':', nd.array([1.9, -1.9]));
  assert.deepEqual(I.toArray(), [1, -1]);
});

test('boolean masks select and assign', () => {
  const X = nd.array([
    [1, -2],
    [-3, 4],
    [5, -6],
  ]);
  const m = X.greater(0).astype('bool');
  assert.deepEqual(X.get(m).toArray(), [1, 4, 5]);
  const rows = nd.array([1, 0, 1], { dtype: 'bool' });
  assert.deepEqual(X.get(rows).toArray(), [
    [1, -2],
    [5, -6],
  ]);
  const st = X.storage;
  X.set(m, 0);
  assert.deepEqual(X.toArray(), [
    [0, -2],
    [-3, 0],
    [0, -6],
  ]);
  assert.equal(X.storage, st);
  X.set(rows, nd.array([9, 8]));
  assert.deepEqual(X.toArray(), [
    [9, 8],
    [-3, 0],
    [9, 8],
  ]);
  assert.deepEqual([...X.get(nd.zeros([3], { dtype: 'bool' })).shape], [0, 2]);
});

test('integer arrays select rows (take) and assign rows', () => {
  const X = X0();
  const idx = nd.array([2, 0, 2], { dtype: 'int32' });
  assert.deepEqual(X.get(idx).toArray(), [
    [8, 9, 10, 11],
    [0, 1, 2, 3],
    [8, 9, 10, 11],
  ]);
  assert.notEqual(X.get(idx).storage, X.storage);
  assert.deepEqual(nd.take(nd.arange(6).reshape([3, 2]), nd.array([2, 0])).toArray(), [
    [4, 5],
    [0, 1],
  ]);
  assert.deepEqual(X.take([3, 0], { axis: 1 }).toArray(), [
    [3, 0],
    [7, 4],
    [11, 8],
  ]);
  assert.deepEqual(
    X.take(
      nd.array([
        [0, 1],
        [1, 2],
      ]),
      { axis: 0 },
    ).shape,
    [2, 2, 4],
  );
  X.set(nd.array([0, 2], { dtype: 'int32' }), -1);
  assert.deepEqual(X.toArray(), [
    [-1, -1, -1, -1],
    [4, 5, 6, 7],
    [-1, -1, -1, -1],
  ]);
  X.set(nd.array([1], { dtype: 'int32' }), nd.array([[1, 2, 3, 4]]));
  assert.deepEqual(X.get(1).toArray(), [1, 2, 3, 4]);
  assert.deepEqual(
    nd
      .pick(
        nd.array([
          [0.1, 0.3, 0.6],
          [0.3, 0.2, 0.5],
        ]),
        nd.array([0, 2]),
      )
      .toArray(),
    [0.1, 0.5].map(Math.fround),
  );
  assert.deepEqual(nd.oneHot(nd.array([0, 2]), 3).toArray(), [
    [1, 0, 0],
    [0, 0, 1],
  ]);
  // out-of-range one-hot indices give rows of offValue (MXNet)
  assert.deepEqual(nd.oneHot(nd.array([5, -1]), 2).toArray(), [
    [0, 0],
    [0, 0],
  ]);
});

test('book 2.2 memory: Y = Y + X is a new object', () => {
  const X = X0();
  let Y = nd.array([
    [2, 1, 4, 3],
    [1, 2, 3, 4],
    [4, 3, 2, 1],
  ]);
  const before = Y;
  Y = Y.add(X);
  assert.notEqual(Y, before);
  assert.notEqual(Y.storage, before.storage);
});

test("book 2.2 memory: Z.set(':', X + Y), elemwiseAdd(out=Z) and X += Y keep identity", () => {
  const X = X0();
  const Y = nd.array([
    [2, 1, 4, 3],
    [1, 2, 3, 4],
    [4, 3, 2, 1],
  ]);
  const Z = Y.zerosLike();
  const z0 = Z;
  const zs = Z.storage;
  Z.set(':', X.add(Y));
  assert.equal(Z, z0);
  assert.equal(Z.storage, zs);
  assert.deepEqual(Z.toArray(), [
    [2, 2, 6, 6],
    [5, 7, 9, 11],
    [12, 12, 12, 12],
  ]);
  Z.set(':', 0);
  const r = nd.elemwiseAdd(X, Y, { out: Z });
  assert.equal(r, Z);
  assert.equal(Z.storage, zs);
  assert.deepEqual(Z.toArray(), [
    [2, 2, 6, 6],
    [5, 7, 9, 11],
    [12, 12, 12, 12],
  ]);
  // every nd function with out= keeps identity
  assert.equal(nd.exp(X, { out: Z }), Z);
  assert.equal(nd.multiply(X, 2, { out: Z }), Z);
  assert.deepEqual(Z.get(0).toArray(), [0, 2, 4, 6]);
  const x0 = X;
  const xs = X.storage;
  const ret = X.iadd(Y);
  assert.equal(ret, X);
  assert.equal(X, x0);
  assert.equal(X.storage, xs);
  assert.deepEqual(X.toArray(), [
    [2, 2, 6, 6],
    [5, 7, 9, 11],
    [12, 12, 12, 12],
  ]);
  X.isub(Y).imul(2).idiv(2);
  assert.deepEqual(X.toArray(), X0().toArray());
  // in-place ops on a view write into the base
  const B = nd.zeros([2, 3]);
  B.get(1).iadd(nd.array([1, 2, 3]));
  assert.deepEqual(B.toArray(), [
    [0, 0, 0],
    [1, 2, 3],
  ]);
  // x += x.T reads the whole operand first
  const S = nd.array([
    [1, 2],
    [3, 4],
  ]);
  S.iadd(S.T);
  assert.deepEqual(S.toArray(), [
    [2, 5],
    [5, 8],
  ]);
  // copyto an array keeps its identity too
  const D = nd.zeros([2, 2]);
  assert.equal(S.copyto(D), D);
  assert.deepEqual(D.toArray(), [
    [2, 5],
    [5, 8],
  ]);
});

test('in-place writes bump the storage version (the tape relies on it)', () => {
  const X = nd.ones([2]);
  let v = X.storage.version;
  for (const write of [() => X.iadd(1), () => X.set(0, 3), () => nd.add(X, 1, { out: X }), () => X.get(1).imul(2)]) {
    write();
    assert.ok(X.storage.version > v);
    v = X.storage.version;
  }
  X.add(1);
  X.get(0);
  assert.equal(X.storage.version, v, 'reads do not bump the version');
  assert.ok(X instanceof NDArray);
});

test("index strings take plain decimal integers only: '0x1', '0b1', '1e0', '+1', '1.0', '1e1' are IndexErrors naming the string", () => {
  const x = nd.arange(24).reshape([12, 2]);
  for (const s of ['0x1', '0b1', '1e0', '+1', '1.0', '1e1', ' 1 2', '1_0']) {
    assert.throws(
      () => x.get(s),
      (e: Error) => e.name === 'IndexError' && e.message.includes(`'${s.trim()}'`),
      s,
    );
  }
  // The same spellings as slice bounds.
  for (const s of ['0x1:', ':1e1', '::+1', '1.0:3'])
    assert.throws(
      () => x.get(s),
      (e: Error) => e.name === 'IndexError' && /not an integer/.test(e.message),
      s,
    );
  // What keeps working: integers, negatives, slices, ':', '...', None, spaces around items.
  assert.deepEqual(x.get('1').toArray(), [2, 3]);
  assert.deepEqual(x.get('-1').toArray(), [22, 23]);
  assert.deepEqual(x.get('10').toArray(), [20, 21]);
  assert.deepEqual(x.get(' 1 , 0 ').toArray(), 2);
  assert.deepEqual(x.get('1:3, 1').toArray(), [3, 5]);
  assert.deepEqual(x.get('::5, 0').toArray(), [0, 10, 20]);
  assert.deepEqual(x.get('-2:, -1').toArray(), [21, 23]);
  assert.deepEqual(x.get(':').shape, [12, 2]);
  assert.deepEqual(x.get('..., 0').shape, [12]);
  assert.deepEqual(x.get('None, 0').shape, [1, 2]);
});
