// Bad input gets a typed error (src/core/errors.ts) whose message names the op and the
// shapes/dtypes involved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, ShapeError, IndexError, DTypeError, AutogradError, DisposedError, ValueError, D2LError } from '../../src/index.js';

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
  assert.equal((err as Error).name, cls.name);
  for (const p of patterns) assert.match((err as Error).message, p);
}

test('mismatched broadcast names the op and both shapes', () => {
  const a = nd.ones([2, 3]);
  const b = nd.ones([4]);
  throwsTyped(() => a.add(b), ShapeError, /^add:/, /\(2, 3\)/, /\(4,\)/, /broadcast/);
  throwsTyped(() => nd.multiply(a, nd.ones([3, 2])), ShapeError, /^mul:/, /\(3, 2\)/);
  throwsTyped(() => a.broadcastTo([4, 3]), ShapeError, /broadcastTo/, /\(2, 3\)/);
  throwsTyped(() => nd.where(nd.ones([2]), a, nd.ones([3, 3])), ShapeError, /where/);
  throwsTyped(() => a.iadd(nd.ones([4, 2, 3])), ShapeError, /iadd/, /\(4, 2, 3\)/, /\(2, 3\)/);
  throwsTyped(() => a.set(':', nd.ones([3, 3])), ShapeError, /^set:/, /\(3, 3\)/, /\(2, 3\)/);
  throwsTyped(() => nd.add(a, b, { out: nd.zeros([2, 3]) }), ShapeError, /add/);
  throwsTyped(() => nd.add(a, a, { out: nd.zeros([3, 2]) }), ShapeError, /^out:/, /\(2, 3\)/, /\(3, 2\)/);
});

test('matmul, dot and batchDot shape errors name the shapes', () => {
  throwsTyped(() => nd.matmul(nd.ones([2, 3]), nd.ones([4, 5])), ShapeError, /^matmul:/, /\(2, 3\)/, /\(4, 5\)/);
  throwsTyped(() => nd.dot(nd.ones([2, 3]), nd.ones([2, 3])), ShapeError, /^dot:/, /\(2, 3\)/);
  throwsTyped(() => nd.batchDot(nd.ones([2, 2, 3]), nd.ones([3, 3, 2])), ShapeError, /^batchDot:/, /\(2, 2, 3\)/, /\(3, 3, 2\)/);
  throwsTyped(() => nd.matmul(nd.ones([]), nd.ones([2])), ShapeError, /matmul/);
  throwsTyped(() => nd.matmul(nd.ones([2, 2, 3]), nd.ones([3, 3, 4])), ShapeError, /matmul/, /broadcast/);
});

test('bad axes are IndexErrors naming the op, the axis and the rank', () => {
  const x = nd.ones([2, 3]);
  throwsTyped(() => x.sum({ axis: 2 }), IndexError, /^sum:/, /axis 2/, /rank 2/);
  throwsTyped(() => x.mean({ axis: -3 }), IndexError, /^mean:/, /axis -3/);
  throwsTyped(() => x.max({ axis: [0, 0] }), IndexError, /^max:/, /repeated/);
  throwsTyped(() => x.argmax({ axis: 5 }), IndexError, /^argmax:/);
  throwsTyped(() => nd.concat([x, x], { dim: 3 }), IndexError, /^concat:/);
  throwsTyped(() => nd.stack([x, x], { axis: 4 }), IndexError, /^stack:/);
  throwsTyped(() => x.swapaxes(0, 2), IndexError, /^swapaxes:/);
  throwsTyped(() => x.expandDims(4), IndexError, /^expandDims:/);
  throwsTyped(() => x.transpose([0, 0]), ShapeError, /^transpose:/, /permutation/);
  throwsTyped(() => x.squeeze(0), ShapeError, /^squeeze:/, /size 2/);
  throwsTyped(() => x.sum({ axis: 0.5 }), IndexError, /integer/);
  throwsTyped(() => nd.softmax(x, { axis: 2 }), IndexError, /max/);
  throwsTyped(() => x.pick(nd.array([0, 1]), { axis: -3 }), IndexError, /^pick:/);
});

test('reshape size mismatches name both shapes and sizes', () => {
  const x = nd.arange(12);
  throwsTyped(() => x.reshape([5, 3]), ShapeError, /^reshape:/, /\(12,\)/, /\(5, 3\)/, /size 12/, /size 15/);
  throwsTyped(() => x.reshape([5, -1]), ShapeError, /^reshape:/, /\(5, -1\)/);
  throwsTyped(() => x.reshape([-1, -1]), ShapeError, /at most one/);
  throwsTyped(() => x.reshape([3, -2]), ShapeError, /invalid dimension -2/);
  throwsTyped(() => x.split(5, { axis: 0 }), ShapeError, /^split:/, /size 12/, /5 equal parts/);
  throwsTyped(() => nd.concat([nd.ones([2, 3]), nd.ones([3, 2])], { dim: 0 }), ShapeError, /^concat:/, /\(2, 3\)/, /\(3, 2\)/);
  throwsTyped(() => nd.stack([nd.ones([2]), nd.ones([3])]), ShapeError, /^stack:/);
  throwsTyped(() => nd.array([[1, 2], [3]]), ShapeError, /ragged/);
  throwsTyped(() => nd.array([1, 2, 3], { shape: [2, 2] }), ShapeError, /3 values/, /\(2, 2\)/);
  throwsTyped(() => nd.zeros([2, -1]), ShapeError, /^zeros:/, /non-negative/);
  throwsTyped(() => nd.ones([2, 3]).pick(nd.array([0, 1, 2])), ShapeError, /^pick:/, /\(3,\)/, /\(2,\)/);
});

test('out-of-range indices are IndexErrors naming the index, the axis and its size', () => {
  const x = nd.arange(12).reshape([3, 4]);
  throwsTyped(() => x.get(3), IndexError, /^index:/, /3 is out of range/, /axis 0 of size 3/, /\(3, 4\)/);
  throwsTyped(() => x.get('1, -5'), IndexError, /-5 is out of range/, /axis 1 of size 4/);
  throwsTyped(() => x.get('0, 0, 0'), IndexError, /too many indices/, /\(3, 4\)/);
  throwsTyped(() => x.get('::0'), IndexError, /step cannot be zero/);
  throwsTyped(() => x.get('a:b'), IndexError, /not an integer/);
  throwsTyped(() => x.get('..., ...'), IndexError, /at most one/);
  throwsTyped(() => x.set(7, 1), IndexError, /7 is out of range/);
  throwsTyped(() => nd.take(x, nd.array([0, 3], { dtype: 'int32' })), IndexError, /^take:/, /index 3/, /size 3/);
  throwsTyped(() => nd.take(x, [-1]), IndexError, /^take:/, /-1/);
  throwsTyped(() => nd.pick(x, nd.array([0, 4, 1])), IndexError, /^pick:/, /index 4/, /size 4/);
  throwsTyped(() => x.get(nd.array([1, 0], { dtype: 'bool' })), IndexError, /boolean mask of shape \(2,\)/, /\(3, 4\)/);
});

test('wrong dtypes are DTypeErrors / AutogradErrors naming the dtype', () => {
  const i = nd.array([1, 2], { dtype: 'int32' });
  throwsTyped(() => i.attachGrad(), AutogradError, /^attachGrad:/, /int32/, /astype\('float32'\)/);
  throwsTyped(() => nd.array([true, false], { dtype: 'bool' }).attachGrad(), AutogradError, /bool/);
  throwsTyped(() => nd.zeros([2], { dtype: 'float16' as never }), DTypeError, /unknown dtype "float16"/, /float32/);
  throwsTyped(() => i.astype('int64' as never), DTypeError, /^astype:/, /int64/);
  throwsTyped(() => i.iadd(0.5), DTypeError, /^iadd:/, /int32/, /float32/);
  throwsTyped(() => i.idiv(2), DTypeError, /^idiv:/, /int32/);
  throwsTyped(() => i.iadd(nd.array([0.5, 1])), DTypeError, /^iadd:/, /int32/, /float32/);
  // Same-kind in-place writes are fine.
  assert.deepEqual(i.iadd(nd.array([1, 1], { dtype: 'uint8' })).toArray(), [2, 3]);
  assert.deepEqual(
    nd
      .array([1.5])
      .iadd(nd.array([1], { dtype: 'float64' }))
      .toArray(),
    [2.5],
  );
});

test('other bad arguments are ValueErrors', () => {
  throwsTyped(() => nd.arange(0, 5, 0), ValueError, /^arange:/, /step/);
  throwsTyped(() => nd.ones([2]).clip(1, 0), ValueError, /^clip:/);
  throwsTyped(() => nd.ones([2]).asScalar(), ValueError, /^asScalar:/, /\(2,\)/);
  throwsTyped(() => nd.ones([0]).max(), ValueError, /^max:/, /empty/);
  throwsTyped(() => nd.random.normal(0, -1, [2]), ValueError, /scale/);
  throwsTyped(() => nd.random.randint(3, 3, [2]), ValueError, /randint/);
  throwsTyped(() => nd.concat([]), ValueError, /^concat:/, /non-empty/);
  throwsTyped(() => nd.ones([2]).norm({ ord: 3 as never }), ValueError, /^norm:/, /ord/);
  throwsTyped(() => nd.linspace(0, 1, -1), ValueError, /^linspace:/);
  throwsTyped(() => nd.ones([2]).tile([-1]), ValueError, /^tile:/);
  throwsTyped(() => nd.ones([2]).repeat(1.5), ValueError, /^repeat:/);
  throwsTyped(() => nd.oneHot(nd.array([1]), -2), ValueError, /^oneHot:/);
  throwsTyped(() => nd.ones([2]).copyto(nd.gpu(7)), ValueError, /gpu\(7\)/, /GPU backend/);
});

test('backward on an array that was not recorded', () => {
  const x = nd.ones([2, 2]);
  throwsTyped(() => x.mul(2).backward(), AutogradError, /^backward:/, /\(2, 2\)/, /autograd\.record/, /attachGrad/);
  x.attachGrad();
  // computed from a variable, but outside record()
  throwsTyped(() => x.mul(2).backward(), AutogradError, /^backward:/);
  throwsTyped(() => nd.ones([2]).grad, AutogradError, /^grad:/, /attachGrad/);
  throwsTyped(() => autograd.grad([x.sum()], [nd.ones([1])]), AutogradError, /autograd\.grad/, /attachGrad/);
  const y = autograd.record(() => x.mul(2));
  throwsTyped(() => y.backward(nd.ones([3])), ShapeError, /^backward:/, /\(3,\)/, /\(2, 2\)/);
});

test('in-place write to an array the tape needs: immediate error while recording', () => {
  const x = nd.ones([3]);
  x.attachGrad();
  autograd.record(() => {
    const y = x.mul(2);
    throwsTyped(() => x.iadd(1), AutogradError, /^iadd:/, /\(3,\)/, /recorded graph/);
    throwsTyped(() => y.imul(2), AutogradError, /^imul:/);
    throwsTyped(() => x.set('0', 5), AutogradError, /^set:/);
    throwsTyped(() => nd.add(x, 1, { out: y }), AutogradError, /set/);
    return y;
  });
});

test('in-place write to a saved input after recording: version check at backward', () => {
  const x = nd.array([1, 2, 3]);
  x.attachGrad();
  const w = nd.array([4, 5, 6]); // a constant the tape saved for the gradient of x * w
  const y = autograd.record(() => x.mul(w).sum());
  w.iadd(1); // allowed: outside record, w is not a variable
  throwsTyped(() => y.backward(), AutogradError, /^backward:/, /mul/, /\(3,\)/, /modified in place/);
  // A write through a view of the saved array is caught too.
  const z = autograd.record(() => x.square().sum());
  const v = x.detach();
  v.set('1', 0);
  throwsTyped(() => z.backward(), AutogradError, /square/, /modified in place/);
  x.set('1', 2);
  // exp's gradient needs its output, not its input: writing the output is caught.
  const e = autograd.record(() => x.exp());
  e.iadd(1);
  throwsTyped(() => e.backward(), AutogradError, /output of exp/, /modified in place/);
  // ... while writing its input is harmless.
  const e2 = autograd.record(() => x.exp());
  x.detach().iadd(0);
  e2.backward();
  // Writes to arrays the gradient does not need are fine.
  const c = nd.array([1, 1, 1]);
  const q = autograd.record(() => x.add(c).sum());
  c.iadd(5);
  q.backward();
  assert.deepEqual(x.grad.toArray(), [1, 1, 1]);
});

test('use after dispose is a DisposedError naming the op and shape', () => {
  const x = nd.ones([2, 3]);
  x.dispose();
  assert.ok(x.isDisposed);
  throwsTyped(() => x.add(1), DisposedError, /^add:/, /\(2, 3\)/, /disposed/);
  throwsTyped(() => x.dataSync(), DisposedError, /^dataSync:/);
  throwsTyped(() => x.toString(), DisposedError, /^toString:/);
  throwsTyped(() => x.reshape([6]), DisposedError, /reshape/);
  throwsTyped(() => x.sum(), DisposedError, /^sum:/);
  throwsTyped(() => nd.dot(nd.ones([3, 2]), x), DisposedError);
  throwsTyped(() => x.get(0), DisposedError, /^get:/);
  throwsTyped(() => x.attachGrad(), DisposedError);
  x.dispose(); // a second dispose is harmless
  const y = nd.ones([2]);
  {
    using z = y.mul(2);
    assert.equal(z.asScalar === undefined, false);
  }
  // A view keeps the storage alive after its base is disposed.
  const base = nd.arange(4);
  const view = base.get('1:3');
  base.dispose();
  assert.deepEqual(view.toArray(), [1, 2]);
});

test('data() of a disposed array rejects', async () => {
  const x = nd.ones([2]);
  x.dispose();
  await assert.rejects(x.data(), DisposedError);
});
