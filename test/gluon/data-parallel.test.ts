// Data-parallel training on several contexts (8.4-8.5): kv.create('local'/'device'), splitData /
// splitAndLoad, parameters with a copy per device, and the Trainer summing gradients through the
// store. Two CPU contexts stand for two devices: cpu(1) arrays are separate arrays that ops refuse
// to mix with cpu(0) ones, as they would two GPUs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nd, gluon, autograd, cpu, init, kv, NDArray, ValueError, ShapeError } from '../../src/index.js';
import { StaleGradientError } from '../../src/gluon/trainer.js';
import { assertClose, settledMemory } from '../helpers.js';

const { nn } = gluon;
const ctx = [cpu(0), cpu(1)];

function smallNet(): gluon.Sequential {
  const net = new nn.Sequential();
  net.add(new nn.Conv2D(4, 3, { activation: 'relu' }), new nn.MaxPool2D(2), new nn.Dense(8, { activation: 'relu' }), new nn.Dense(3));
  return net;
}

/** One net on cpu(0) and one on [cpu(0), cpu(1)] with the same initial values. */
function twins(X: NDArray): { one: gluon.Sequential; two: gluon.Sequential } {
  nd.random.seed(3);
  gluon.resetNameCounters(); // the same parameter names in both nets (for save/load)
  const one = smallNet();
  one.initialize(new init.Normal(0.1));
  one.forward(X);
  gluon.resetNameCounters();
  const two = smallNet();
  two.initialize(new init.Normal(0.1), { ctx });
  two.forward(gluon.utils.splitAndLoad(X, ctx)[1]); // shapes inferred from the input on cpu(1)
  const a = [...one.collectParams().values()];
  [...two.collectParams().values()].forEach((p, i) => p.setData(a[i].data()));
  return { one, two };
}

for (const opt of ['sgd', 'adam'] as const) {
  test(`two contexts train as one device on the whole batch (${opt}): gradients summed, copies kept equal`, () => {
    nd.random.seed(9);
    const X = nd.random.normal(0, 1, [8, 2, 8, 8]);
    const y = nd.array([0, 1, 2, 0, 1, 2, 0, 1]);
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const { one, two } = twins(X);
    const t1 = new gluon.Trainer(one.collectParams(), opt, { learningRate: 0.05 });
    const t2 = new gluon.Trainer(two.collectParams(), opt, { learningRate: 0.05 });
    for (let step = 0; step < 3; step++) {
      const l = autograd.record(() => loss.forward(one.forward(X), y));
      l.backward();
      t1.step(8);
      const xs = gluon.utils.splitAndLoad(X, ctx);
      const ys = gluon.utils.splitAndLoad(y, ctx);
      const ls = autograd.record(() => xs.map((x, i) => loss.forward(two.forward(x), ys[i])));
      for (const li of ls) li.backward();
      t2.step(8);
    }
    const a = [...one.collectParams().values()];
    [...two.collectParams().values()].forEach((p, i) => {
      assert.deepEqual(p.listCtx().map(String), ['cpu(0)', 'cpu(1)'], p.name);
      assertClose(p.data(), a[i].data(), 1e-5, p.name);
      // The copy on cpu(1) holds exactly the values of the one on cpu(0).
      assert.deepEqual(p.data(cpu(1)).copyto(cpu(0)).toArray(), p.data().toArray(), `${p.name} on cpu(1)`);
      // Both devices' gradients hold the sum.
      assert.deepEqual(p.grad(cpu(1)).copyto(cpu(0)).toArray(), p.grad().toArray(), `${p.name} grad`);
    });
  });
}

test('a data-parallel step leaves the number of live arrays flat', async () => {
  nd.random.seed(1);
  const X = nd.random.normal(0, 1, [4, 2, 8, 8]);
  const y = nd.array([0, 1, 2, 0]);
  const { two } = twins(X);
  const trainer = new gluon.Trainer(two.collectParams(), 'sgd', { learningRate: 0.1 });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const step = () => {
    const xs = gluon.utils.splitAndLoad(X, ctx);
    const ys = gluon.utils.splitAndLoad(y, ctx);
    const ls = autograd.record(() => xs.map((x, i) => loss.forward(two.forward(x), ys[i])));
    for (const l of ls) l.backward();
    trainer.step(4);
    for (const a of [...xs, ...ys, ...ls]) a.dispose();
  };
  step();
  const before = (await settledMemory()).arrays;
  for (let i = 0; i < 20; i++) step();
  const after = (await settledMemory()).arrays;
  assert.ok(after <= before, `live arrays ${before} -> ${after}`);
});

test('Parameter on several contexts: data(ctx), listData, listGrad, setData and resetCtx reach every copy', () => {
  const p = new gluon.Parameter('w', { shape: [2, 3] });
  p.initialize(new init.Constant(1), { ctx });
  assert.deepEqual(p.listCtx().map(String), ['cpu(0)', 'cpu(1)']);
  assert.equal(p.data(cpu(1)).context.toString(), 'cpu(1)');
  assert.equal(p.listData().length, 2);
  assert.equal(p.listGrad()[1].context.toString(), 'cpu(1)');
  p.setData(nd.full([2, 3], 5));
  assert.deepEqual(p.data(cpu(1)).copyto(cpu(0)).toArray(), [
    [5, 5, 5],
    [5, 5, 5],
  ]);
  assert.throws(
    () => p.data(cpu(2)),
    /Parameter 'w' was not initialized on context cpu\(2\)\. It was only initialized on \[cpu\(0\), cpu\(1\)\]/,
  );
  p.resetCtx(cpu(0));
  assert.deepEqual(p.listCtx().map(String), ['cpu(0)']);
  assert.equal(p.data().toArray()[0][0], 5);
  p.resetCtx([cpu(0), cpu(2)]);
  assert.equal(p.data(cpu(2)).copyto(cpu(0)).toArray()[1][2], 5);
  assert.throws(() => p.resetCtx([cpu(0), cpu(0)]), /ctx lists cpu\(0\) twice/);
  assert.throws(() => p.initialize(undefined, { ctx: [] as never, forceReinit: true }), /non-empty list/);
  // A deferred parameter keeps its device list until the shape is known.
  const q = new gluon.Parameter('q', { shape: [0, 2] });
  q.initialize(undefined, { ctx });
  assert.deepEqual(q.listCtx().map(String), ['cpu(0)', 'cpu(1)']);
  q.finishDeferredInit([3, 2]);
  assert.equal(q.data(cpu(1)).shape.join(), '3,2');
});

test('saveParameters / loadParameters of a data-parallel net update every copy', () => {
  nd.random.seed(2);
  const X = nd.random.normal(0, 1, [2, 2, 8, 8]);
  const { one, two } = twins(X);
  const file = join(mkdtempSync(join(tmpdir(), 'd2l-dp-')), 'net.params');
  one
    .collectParams()
    .get('conv0_weight')
    .setData(nd.full([4, 2, 3, 3], 0.25));
  one.saveParameters(file);
  two.loadParameters(file);
  const w = two.collectParams().get('conv0_weight');
  assert.equal(w.data(cpu(1)).copyto(cpu(0)).toArray()[3][1][2][2], 0.25);
});

test('Trainer: kvstore null refuses parameters on several devices; a stale gradient stays stale', () => {
  const p = new gluon.Parameter('w', { shape: [3] });
  p.initialize(new init.Constant(1), { ctx });
  const t = new gluon.Trainer([p], 'sgd', { learningRate: 0.1 }, null);
  for (const d of p.listData()) autograd.record(() => d.mul(2).sum()).backward();
  assert.throws(() => t.step(1), /lives on \[cpu\(0\), cpu\(1\)\], and kvstore is null/);
  const t2 = new gluon.Trainer([p], 'sgd', { learningRate: 0.1 }, 'local');
  t2.step(1);
  // grad 2 on each device, summed to 4: w = 1 - 0.1 * 4
  assertClose(p.data(cpu(1)).copyto(cpu(0)), [0.6, 0.6, 0.6]);
  assert.throws(() => t2.step(1), StaleGradientError);
  assert.throws(() => new gluon.Trainer([p], 'sgd', {}, 'bogus'), /kv.create: unknown type 'bogus'/);
  assert.throws(() => new gluon.Trainer([p], 'sgd', {}, 3 as never), /kvstore must be a store type/);
});

test("kv.create: init, push sums values from any device, pull copies out, pushpull, the optimizer's update", () => {
  for (const type of ['local', 'device']) {
    const store = kv.create(type);
    assert.equal(store.type, type);
    assert.equal(store.rank, 0);
    assert.equal(store.numWorkers, 1);
    store.init(3, nd.ones([2, 3]));
    store.push(3, [nd.ones([2, 3]), nd.full([2, 3], 2, { ctx: cpu(1) })]);
    const a = nd.zeros([2, 3], { ctx: cpu(1) });
    store.pull(3, a);
    assert.deepEqual(a.copyto(cpu(0)).toArray(), [
      [3, 3, 3],
      [3, 3, 3],
    ]);
    const b = nd.zeros([2, 3]);
    store.pull(3, { out: b });
    assert.equal(b.toArray()[1][2], 3);
    store.init(['x', 'y'], [nd.zeros([2]), nd.zeros([2])]);
    const gs = [nd.array([1, 2]), nd.array([10, 20], { ctx: cpu(1) })];
    store.pushpull('x', gs);
    assert.deepEqual(gs[1].copyto(cpu(0)).toArray(), [11, 22]);
    store.push(['x', 'y'], [[nd.ones([2])], [nd.full([2], 4)]]);
    const [ox, oy] = [nd.zeros([2]), nd.zeros([2])];
    store.pull(['x', 'y'], [ox, oy]);
    assert.deepEqual(
      [ox.toArray(), oy.toArray()],
      [
        [1, 1],
        [4, 4],
      ],
    );
  }
  const store = kv.create('local');
  store.init(0, nd.full([3], 1));
  store.setOptimizer(gluon.optimizer.create('sgd', { learningRate: 0.5 }));
  store.push(0, [nd.full([3], 1), nd.full([3], 1, { ctx: cpu(1) })]);
  const w = nd.zeros([3]);
  store.pull(0, w);
  assert.deepEqual(w.toArray(), [0, 0, 0]); // 1 - 0.5 * (1 + 1)
  store.setUpdater((_k, g, stored) => stored.isub(g));
  store.push(0, nd.full([3], 2));
  store.pull(0, w);
  assert.deepEqual(w.toArray(), [-2, -2, -2]);
});

test('kv: bad keys, shapes and types are errors naming the call', () => {
  const store = kv.create();
  assert.throws(() => store.push(1, nd.ones([2])), /KVStore\.push: key 1 was not initialised/);
  store.init(1, nd.ones([2]));
  assert.throws(() => store.init(1, nd.ones([2])), /key 1 was initialised already/);
  assert.throws(() => store.push(1, nd.ones([3])), ShapeError);
  assert.throws(() => store.pull(1, nd.zeros([2, 1])), /holds shape \(2,\), the output has shape \(2, 1\)/);
  assert.throws(() => store.init(1.5, nd.ones([2])), /a key must be an integer or a non-empty string, got 1.5/);
  assert.throws(() => store.push([1, 2], [nd.ones([2])]), /2 keys need a list of 2 values/);
  assert.throws(() => store.push(1, [] as NDArray[]), /must be an NDArray or a non-empty list/);
  assert.throws(() => kv.create('dist_async'), /of the distributed stores only dist_sync is available/);
  assert.throws(() => kv.create('gpu'), ValueError);
  assert.throws(() => store.setOptimizer({} as never), /expected an Optimizer/);
});

test('gluon.utils.splitData / splitAndLoad: even and uneven slices, the batch axis, errors', () => {
  const batch = nd.arange(24).reshape([6, 4]);
  const parts = gluon.utils.splitAndLoad(batch, ctx);
  assert.deepEqual(
    parts.map((p) => [String(p.context), p.shape.join('x')]),
    [
      ['cpu(0)', '3x4'],
      ['cpu(1)', '3x4'],
    ],
  );
  assert.deepEqual(parts[1].copyto(cpu(0)).toArray()[0], [12, 13, 14, 15]);
  assert.deepEqual(
    gluon.utils.splitData(batch, 4, { evenSplit: false }).map((p) => p.shape[0]),
    [2, 2, 1, 1],
  );
  assert.deepEqual(
    gluon.utils.splitData(batch, 2, { batchAxis: 1 }).map((p) => p.toArray()[5]),
    [
      [20, 21],
      [22, 23],
    ],
  );
  assert.equal(gluon.utils.splitAndLoad([[1, 2]], [cpu(1)])[0].context.toString(), 'cpu(1)');
  assert.throws(() => gluon.utils.splitData(batch, 4), /cannot be evenly split into 4 slices along axis 0/);
  assert.throws(() => gluon.utils.splitData(batch, 7), /too many slices for data with shape \(6, 4\)/);
  assert.throws(() => gluon.utils.splitData(batch, 2, { batchAxis: 2 }), /batchAxis 2 is out of range/);
  assert.throws(() => gluon.utils.splitData(batch, 2, { axis: 1 } as never), /axis/);
  assert.throws(() => gluon.utils.splitAndLoad(batch, []), /non-empty list of contexts/);
});
