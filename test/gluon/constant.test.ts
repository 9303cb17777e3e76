// ParameterDict.getConstant and Constant (book 4.1's FancyMLP): a parameter filled with a fixed
// value by initialize(), with no gradient, never updated by a Trainer, saved and loaded like the
// others; lookups and mismatches give clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nd, autograd, gluon, ValueError, type NDArray } from '../../src/index.js';

const { nn } = gluon;

class WithConstant extends nn.Block {
  c: gluon.Constant;
  dense: gluon.nn.Dense;
  constructor(value: NDArray) {
    super();
    this.c = this.params.getConstant('c', value);
    this.dense = new nn.Dense(2, { inUnits: 3 });
  }
  override forward(x: NDArray): NDArray {
    return this.dense.forward(nd.dot(x, this.c.data()));
  }
}

test('getConstant creates a Constant named prefix + name, filled by initialize(), with no gradient', () => {
  gluon.resetNameCounters();
  const value = nd.array([
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
  ]);
  const net = new WithConstant(value);
  assert.ok(net.c instanceof gluon.Constant);
  assert.equal(net.c.name, 'withconstant0_c');
  assert.equal(String(net.c), 'Constant withconstant0_c (shape=(3, 3), dtype=float32)');
  assert.equal(net.c.gradReq, 'null');
  assert.equal(net.c.isInitialized, false);
  assert.ok(net.collectParams().has('withconstant0_c'));
  net.initialize();
  assert.deepEqual(net.c.data().toArray(), value.toArray());
  assert.throws(() => net.c.grad(), /gradReq 'null'/);
  // The same constant is found again by name, with or without an equal value.
  assert.equal(net.params.getConstant('c'), net.c);
  assert.equal(net.params.getConstant('c', value.copy()), net.c);
});

test('a Trainer leaves a constant alone; forceReinit restores its value; it is saved and loaded', () => {
  gluon.resetNameCounters();
  nd.random.seed(3);
  const net = new WithConstant(nd.random.uniform(0, 1, [3, 3]));
  net.initialize();
  const before = net.c.data().toArray();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5 });
  const X = nd.random.normal(0, 1, [4, 3]);
  const l = autograd.record(() => net.forward(X).square().sum());
  l.backward();
  trainer.step(4);
  assert.deepEqual(net.c.data().toArray(), before, 'the constant did not move');
  net.c.data().set(':', 0);
  net.initialize(undefined, { forceReinit: true });
  assert.deepEqual(net.c.data().toArray(), before, 'forceReinit copies the value back');

  const f = join(mkdtempSync(join(tmpdir(), 'd2l-const-')), 'net.params');
  net.saveParameters(f);
  const other = new WithConstant(nd.zeros([3, 3]));
  other.loadParameters(f);
  assert.deepEqual(other.c.data().toArray(), before);
});

test('a constant survives a tidy scope around the block that created it', () => {
  gluon.resetNameCounters();
  const net = nd.tidy(() => new WithConstant(nd.full([3, 3], 2)));
  net.initialize();
  assert.deepEqual(net.c.data().toArray(), [
    [2, 2, 2],
    [2, 2, 2],
    [2, 2, 2],
  ]);
  const c = new gluon.Constant('k', [1, 2]);
  c.initialize();
  assert.deepEqual(c.data().toArray(), [1, 2]);
  // Scalars (a number or a 0-d array) become shape (1,), as MXNet's nd.array(3).
  for (const v of [3, nd.array(3)]) {
    const s = new gluon.Constant('s', v);
    assert.deepEqual(s.shape, [1]);
    s.initialize();
    assert.deepEqual(s.data().toArray(), [3]);
  }
});

test('getConstant and Constant refuse bad input with ValueErrors naming the constant', () => {
  const params = new gluon.ParameterDict('blk_');
  assert.throws(
    () => params.getConstant('missing'),
    (e: Error) => e instanceof ValueError && /no constant named 'blk_missing'; pass a value/.test(e.message),
  );
  params.get('weight', { shape: [2] });
  assert.throws(() => params.getConstant('weight', nd.ones([2])), /'blk_weight' already exists and is a Parameter, not a Constant/);
  params.getConstant('k', nd.ones([2]));
  assert.throws(() => params.getConstant('k', nd.zeros([2])), /constant 'blk_k' already exists .* with a different value/);
  assert.throws(() => params.getConstant('k', nd.ones([3])), /with a different value than the one given \(shape \(3,\)/);
  assert.throws(() => params.getConstant(3 as unknown as string, nd.ones([1])), /getConstant: the name must be a string/);
  assert.throws(
    () => new gluon.Constant('c', 'abc' as unknown as number),
    /Constant 'c': the value must be an NDArray or \(nested\) numbers, got string/,
  );
  const gone = nd.ones([1]);
  gone.dispose();
  assert.throws(() => params.getConstant('g', gone), /disposed/i);
});
