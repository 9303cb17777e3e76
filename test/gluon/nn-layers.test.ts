import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, NDArray, ShapeError, ValueError, IndexError } from '../../src/index.js';
import { nn, init } from '../../src/gluon/index.js';
import { conv2d, maxPool2d, avgPool2d } from '../../src/ops/nn.js';
import { assertClose } from '../helpers.js';

/** A copy of `a` with a gradient buffer, for the reference computation. */
function leaf(a: NDArray): NDArray {
  const c = a.copy();
  c.attachGrad();
  return c;
}

test('Dense: output and gradients equal relu(x Wᵀ + b) composed from nd ops', () => {
  nd.random.seed(10);
  const dense = new nn.Dense(4, { activation: 'relu' });
  dense.initialize(new init.Normal(0.5));
  const x = nd.random.normal(0, 1, [3, 5]);
  x.attachGrad();
  const R = nd.random.normal(0, 1, [3, 4]);
  const y = autograd.record(() => dense.forward(x));
  assert.deepEqual(dense.weight.data().shape, [4, 5]);
  autograd.record(() => dense.forward(x).mul(R).sum()).backward();

  const W = leaf(dense.weight.data());
  const b = leaf(dense.bias!.data());
  const xr = leaf(x);
  const yr = autograd.record(() => nd.dot(xr, W.T).add(b).relu());
  assertClose(y, yr, 1e-6);
  autograd.record(() => nd.dot(xr, W.T).add(b).relu().mul(R).sum()).backward();
  assertClose(dense.weight.grad(), W.grad, 1e-5);
  assertClose(dense.bias!.grad(), b.grad, 1e-5);
  assertClose(x.grad, xr.grad, 1e-5);
});

test('Dense: flatten (default) and flatten: false on a 3-D input; no bias; inUnits given', () => {
  nd.random.seed(11);
  const x = nd.random.normal(0, 1, [2, 3, 4]);
  const flat = new nn.Dense(5);
  flat.initialize();
  assert.deepEqual(flat.forward(x).shape, [2, 5]);
  assert.deepEqual(flat.weight.shape, [5, 12]);
  assertClose(flat.forward(x), nd.dot(x.reshape([2, 12]), flat.weight.data().T).add(flat.bias!.data()), 1e-6);

  const last = new nn.Dense(5, { flatten: false, useBias: false });
  last.initialize();
  const y = last.forward(x);
  assert.deepEqual(y.shape, [2, 3, 5]);
  assert.equal(last.bias, null);
  assert.deepEqual(last.collectParams().keys(), [`${last.prefix}weight`]);
  assertClose(y, nd.dot(x, last.weight.data().T), 1e-6);

  const known = new nn.Dense(3, { inUnits: 7 });
  known.initialize();
  assert.ok(known.weight.isInitialized, 'known inUnits: no deferred init');
  assert.deepEqual(known.weight.data().shape, [3, 7]);
  assert.equal(String(known), 'Dense(7 -> 3, linear)');
});

test('Dense: errors name the layer, the shapes and what was expected', () => {
  const d = new nn.Dense(3, { inUnits: 4 });
  d.initialize();
  assert.throws(
    () => d.forward(nd.ones([2, 5])),
    (e: Error) =>
      e instanceof ShapeError && e.message.includes(`Dense '${d.name}'`) && /\(2, 5\)/.test(e.message) && /expects 4/.test(e.message),
  );
  assert.throws(() => d.forward(nd.ones([4])), ShapeError);
  assert.throws(() => new nn.Dense(0), ValueError);
  assert.throws(
    () => new nn.Dense(3, { activation: 'swish' as never }),
    (e: Error) => /unknown activation "swish"/.test(e.message),
  );
  const un = new nn.Dense(2);
  assert.throws(() => un.forward(nd.ones([1, 3])), /has not been initialized; call net.initialize\(\)/);
});

test('Activation: relu, sigmoid, tanh, softrelu, softsign equal their formulas; prefix from the type', () => {
  const x = nd.array([-3, -0.5, 0, 0.5, 3], { dtype: 'float64' });
  const v = x.toArray() as number[];
  const refs: Record<string, (t: number) => number> = {
    relu: (t) => Math.max(t, 0),
    sigmoid: (t) => 1 / (1 + Math.exp(-t)),
    tanh: Math.tanh,
    softrelu: (t) => Math.log1p(Math.exp(t)),
    softsign: (t) => t / (1 + Math.abs(t)),
  };
  for (const [name, f] of Object.entries(refs)) {
    const act = new nn.Activation(name as nn.ActivationType);
    assertClose(act.forward(x), v.map(f), 1e-12, name);
    assert.equal(String(act), `Activation(${name})`);
    assert.match(act.name, new RegExp(`^${name}\\d+$`));
  }
  // Gradient of softsign: 1 / (1 + |x|)^2.
  const s = new nn.Activation('softsign');
  const xg = x.copy();
  xg.attachGrad();
  autograd.record(() => s.forward(xg).sum()).backward();
  assertClose(
    xg.grad,
    v.map((t) => 1 / (1 + Math.abs(t)) ** 2),
    1e-12,
  );
});

test('Dropout: identity in predict mode, inverted scaling in training mode, seeded masks', () => {
  const drop = new nn.Dropout(0.5);
  const x = nd.ones([200, 50]);
  const p = drop.forward(x);
  assert.notEqual(p, x, 'a new handle, so callers may dispose it');
  assertClose(p, x, 0);
  nd.random.seed(5);
  const y = autograd.record(() => drop.forward(x));
  const vals = Array.from(y.dataSync());
  assert.ok(
    vals.every((v) => v === 0 || v === 2),
    'kept entries scaled by 1/(1-p)',
  );
  const keptFrac = vals.filter((v) => v !== 0).length / vals.length;
  assert.ok(Math.abs(keptFrac - 0.5) < 0.03, `kept fraction ${keptFrac}`);
  nd.random.seed(5);
  const y2 = autograd.record(() => drop.forward(x));
  assert.deepEqual(Array.from(y2.dataSync()), vals, 'same seed, same mask');
  // Gradient is the mask times the scale.
  const xv = nd.ones([4, 6]);
  xv.attachGrad();
  nd.random.seed(6);
  const out = autograd.record(() => drop.forward(xv));
  nd.random.seed(6);
  autograd.record(() => drop.forward(xv).sum()).backward();
  assertClose(xv.grad, out, 0);
  // trainMode without recording also drops.
  const t = autograd.trainMode(() => new nn.Dropout(0.9).forward(x));
  assert.ok(Array.from(t.dataSync()).filter((v) => v === 0).length > 0.8 * x.size);
  // rate 0, rate 1, shared mask along axes.
  assertClose(
    autograd.record(() => new nn.Dropout(0).forward(x)),
    x,
    0,
  );
  assertClose(
    autograd.record(() => new nn.Dropout(1).forward(x)),
    nd.zeros(x.shape),
    0,
  );
  const shared = autograd.record(() => new nn.Dropout(0.5, { axes: [1] }).forward(nd.ones([30, 4]))).toArray() as number[][];
  for (const row of shared)
    assert.ok(
      row.every((v) => v === row[0]),
      'one mask value per row',
    );
  assert.throws(() => new nn.Dropout(1.5), ValueError);
  assert.equal(String(drop), 'Dropout(p = 0.5, axes=())');
});

test('Flatten: (N, ...) -> (N, prod), gradient flows back', () => {
  const f = new nn.Flatten();
  const x = nd.arange(24).reshape([2, 3, 4]);
  x.attachGrad();
  const y = autograd.record(() => f.forward(x));
  assert.deepEqual(y.shape, [2, 12]);
  assert.deepEqual(
    (y.toArray() as number[][])[1],
    Array.from({ length: 12 }, (_, i) => 12 + i),
  );
  autograd.record(() => f.forward(x).mul(2).sum()).backward();
  assertClose(x.grad, nd.full([2, 3, 4], 2), 0);
  assert.deepEqual(f.forward(nd.ones([5])).shape, [5, 1]);
  assert.equal(String(f), 'Flatten');
});

test('Embedding: rows of the weight, dense gradient with repeated indices', () => {
  nd.random.seed(7);
  const embed = new nn.Embedding(20, 4);
  embed.initialize();
  const idx = nd.array([
    [1, 2, 3],
    [4, 5, 1],
  ]);
  const y = embed.forward(idx);
  assert.deepEqual(y.shape, [2, 3, 4]);
  const W = embed.weight.data().toArray() as number[][];
  assertClose(
    y,
    [
      [W[1], W[2], W[3]],
      [W[4], W[5], W[1]],
    ],
    0,
  );
  assertClose(embed.forward(nd.array([1, 2], { dtype: 'int32' })), [W[1], W[2]], 0);
  autograd.record(() => embed.forward(idx).sum()).backward();
  const g = embed.weight.grad().toArray() as number[][];
  assert.deepEqual(g[1], [2, 2, 2, 2]);
  assert.deepEqual(g[2], [1, 1, 1, 1]);
  assert.deepEqual(g[0], [0, 0, 0, 0]);
  assert.equal(String(embed), 'Embedding(20 -> 4, float32)');
  assert.throws(
    () => embed.forward(nd.array([20])),
    (e: Error) => e instanceof IndexError && e.message.includes(`Embedding '${embed.name}'`),
  );
});

test("Conv2D: equals conv2d + bias + activation; deferred in_channels; the book's edge detector", () => {
  nd.random.seed(8);
  const conv = new nn.Conv2D(4, 3, { padding: 1, strides: 2, activation: 'tanh' });
  assert.equal(String(conv), 'Conv2D(None -> 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), Activation(tanh))');
  conv.initialize(new init.Xavier());
  const x = nd.random.normal(0, 1, [2, 3, 7, 7]);
  x.attachGrad();
  const R = nd.random.normal(0, 1, [2, 4, 4, 4]);
  const y = conv.forward(x);
  assert.deepEqual(conv.weight.data().shape, [4, 3, 3, 3]);
  assert.deepEqual(y.shape, [2, 4, 4, 4]);
  autograd.record(() => conv.forward(x).mul(R).sum()).backward();
  const W = leaf(conv.weight.data());
  const b = leaf(conv.bias!.data());
  const xr = leaf(x);
  const ref = () =>
    conv2d(xr, W, null, { padding: 1, stride: 2 })
      .add(b.reshape([1, 4, 1, 1]))
      .tanh();
  assertClose(y, ref(), 1e-6);
  autograd.record(() => ref().mul(R).sum()).backward();
  assertClose(conv.weight.grad(), W.grad, 1e-5);
  assertClose(conv.bias!.grad(), b.grad, 1e-5);
  assertClose(x.grad, xr.grad, 1e-5);

  // 5.1: a 1x2 kernel [1, -1] finds vertical edges.
  const X = nd.ones([6, 8]);
  X.set(':, 2:6', 0);
  const edge = new nn.Conv2D(1, [1, 2], { useBias: false });
  edge.initialize();
  edge.weight.setData(nd.array([[[[1, -1]]]]));
  const Y = edge.forward(X.reshape([1, 1, 6, 8]));
  assert.deepEqual((Y.toArray() as number[][][][])[0][0][0], [0, 1, 0, 0, 0, -1, 0]);
  assert.equal(String(edge), 'Conv2D(1 -> 1, kernel_size=(1, 2), stride=(1, 1), bias=False)');
});

test('Conv2D: groups, dilation, errors', () => {
  const g = new nn.Conv2D(4, 3, { groups: 2, dilation: 2, padding: 2 });
  g.initialize();
  const x = nd.random.normal(0, 1, [1, 6, 5, 5]);
  const y = g.forward(x);
  assert.deepEqual(g.weight.shape, [4, 3, 3, 3]);
  assertClose(y, conv2d(x, g.weight.data(), g.bias!.data(), { groups: 2, dilation: 2, padding: 2 }), 1e-6);
  assert.throws(
    () => g.forward(nd.ones([1, 5, 5, 5])),
    (e: Error) => e instanceof ShapeError && /not divisible by groups=2/.test(e.message),
  );
  assert.throws(
    () => g.forward(nd.ones([1, 4, 5, 5])),
    (e: Error) => e instanceof ShapeError && /has 4 channels/.test(e.message),
  );
  assert.throws(
    () => g.forward(nd.ones([6, 5, 5])),
    (e: Error) => e instanceof ShapeError && /4-D NCHW/.test(e.message),
  );
  assert.throws(() => new nn.Conv2D(3, 3, { groups: 2 }), ValueError);
  assert.throws(() => new nn.Conv2D(3, [3, 3, 3] as never), ValueError);
});

test('MaxPool2D / AvgPool2D / global pools: equal the ops and a mean composition', () => {
  nd.random.seed(9);
  const x = nd.random.normal(0, 1, [2, 3, 6, 6]);
  assertClose(new nn.MaxPool2D().forward(x), maxPool2d(x, { kernel: 2, stride: 2 }), 0);
  assertClose(new nn.MaxPool2D(3, { strides: 2, padding: 1 }).forward(x), maxPool2d(x, { kernel: 3, stride: 2, padding: 1 }), 0);
  assertClose(new nn.AvgPool2D([2, 3]).forward(x), avgPool2d(x, { kernel: [2, 3], stride: [2, 3] }), 0);
  const gap = new nn.GlobalAvgPool2D();
  const ga = gap.forward(x);
  assert.deepEqual(ga.shape, [2, 3, 1, 1]);
  assertClose(ga, x.mean({ axis: [2, 3], keepdims: true }), 1e-6);
  assertClose(new nn.GlobalMaxPool2D().forward(x), x.max({ axis: [2, 3], keepdims: true }), 0);
  assert.equal(
    String(new nn.MaxPool2D(2)),
    'MaxPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False, global_pool=False, pool_type=max, layout=NCHW)',
  );
  assert.match(new nn.AvgPool2D().name, /^pool\d+$/);
  // Gradient of global average pooling: 1 / (H W) everywhere.
  const xg = x.copy();
  xg.attachGrad();
  autograd.record(() => gap.forward(xg).sum()).backward();
  assertClose(xg.grad, nd.full(x.shape, 1 / 36), 1e-7);
  assert.throws(() => new nn.MaxPool2D(2).forward(nd.ones([3, 4, 4])), ShapeError);
});

test('BatchNorm: training uses batch statistics and updates running ones; predict uses running ones', () => {
  nd.random.seed(12);
  const bn = new nn.BatchNorm();
  bn.initialize();
  const x = nd.random.normal(2, 3, [4, 3, 2, 2]);
  x.attachGrad();
  const R = nd.random.normal(0, 1, [4, 3, 2, 2]);
  bn.gamma.setData(nd.array([1, 2, 0.5]));
  bn.beta.setData(nd.array([0, 1, -1]));
  const y = autograd.record(() => bn.forward(x));
  // Reference: (x - mean) / sqrt(var + eps) * gamma + beta, over axes 0, 2, 3.
  const g = leaf(bn.gamma.data());
  const b = leaf(bn.beta.data());
  const xr = leaf(x);
  const ref = () => {
    const mean = xr.mean({ axis: [0, 2, 3], keepdims: true });
    const c = xr.sub(mean);
    const v = c.square().mean({ axis: [0, 2, 3], keepdims: true });
    return c
      .div(v.add(1e-5).sqrt())
      .mul(g.reshape([1, 3, 1, 1]))
      .add(b.reshape([1, 3, 1, 1]));
  };
  assertClose(y, ref(), 1e-5);
  const mean = x.mean({ axis: [0, 2, 3] });
  const variance = x
    .sub(x.mean({ axis: [0, 2, 3], keepdims: true }))
    .square()
    .mean({ axis: [0, 2, 3] });
  assertClose(bn.runningMean.data(), mean.mul(0.1), 1e-5);
  assertClose(bn.runningVar.data(), variance.mul(0.1).add(0.9), 1e-5);
  // Gradients match the composition.
  bn.runningMean.data()._assignFrom(0);
  bn.runningVar.data()._assignFrom(1);
  autograd.record(() => bn.forward(x).mul(R).sum()).backward();
  autograd.record(() => ref().mul(R).sum()).backward();
  assertClose(x.grad, xr.grad, 1e-4);
  assertClose(bn.gamma.grad(), g.grad, 1e-4);
  assertClose(bn.beta.grad(), b.grad, 1e-4);
  // Predict mode: running statistics, and no update.
  const rm = bn.runningMean.data().toArray() as number[];
  const rv = bn.runningVar.data().toArray() as number[];
  const p = bn.forward(x);
  const gamma = [1, 2, 0.5];
  const beta = [0, 1, -1];
  const xs = x.toArray() as number[][][][];
  const pa = p.toArray() as number[][][][];
  for (let n = 0; n < 4; n++)
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 2; j++) {
          const want = ((xs[n][c][i][j] - rm[c]) / Math.sqrt(rv[c] + 1e-5)) * gamma[c] + beta[c];
          assert.ok(Math.abs(pa[n][c][i][j] - want) < 1e-4, `predict ${n},${c},${i},${j}`);
        }
  assert.deepEqual(bn.runningMean.data().toArray(), rm);
  // Running statistics are not trainable.
  assert.equal(bn.runningMean.gradReq, 'null');
  assert.equal(bn.runningVar.differentiable, false);
  assert.throws(() => bn.runningMean.grad(), /gradReq 'null'/);
});

test('BatchNorm: 2-D input after Dense, deferred channels, names, repr, useGlobalStats', () => {
  const bn = new nn.BatchNorm({ momentum: 0.5 });
  assert.deepEqual(
    bn.collectParams().keys(),
    ['gamma', 'beta', 'running_mean', 'running_var'].map((k) => bn.prefix + k),
  );
  assert.deepEqual([...bn.structuredParams().keys()], ['gamma', 'beta', 'running_mean', 'running_var']);
  assert.match(bn.name, /^batchnorm\d+$/);
  bn.initialize(new init.Normal(1));
  const x = nd.array([
    [1, 10],
    [3, 30],
  ]);
  const y = autograd.record(() => bn.forward(x));
  assertClose(
    y,
    [
      [-1, -1],
      [1, 1],
    ],
    1e-4,
  );
  assertClose(bn.runningMean.data(), [1, 10], 1e-6);
  assertClose(bn.runningVar.data(), [1, 50.5], 1e-5);
  assert.equal(String(bn), 'BatchNorm(axis=1, eps=1e-05, momentum=0.5, fix_gamma=False, use_global_stats=False, in_channels=2)');
  const fixed = new nn.BatchNorm({ useGlobalStats: true, inChannels: 2 });
  fixed.initialize();
  assertClose(
    autograd.record(() => fixed.forward(x)),
    x.div(Math.sqrt(1 + 1e-5)),
    1e-6,
  );
  assert.throws(
    () => bn.forward(nd.ones([2, 3])),
    (e: Error) => e instanceof ShapeError && /has 3 channels on axis 1 but the layer has 2/.test(e.message),
  );
});

test('layers free their temporaries: a training-style loop keeps memory flat', () => {
  nd.random.seed(13);
  const net = new nn.Sequential();
  net.add(
    new nn.Conv2D(4, 3, { padding: 1, activation: 'relu' }),
    new nn.BatchNorm(),
    new nn.MaxPool2D(2),
    new nn.AvgPool2D(2, { strides: 1 }),
    new nn.GlobalAvgPool2D(),
    new nn.Flatten(),
    new nn.Dense(8, { activation: 'softrelu' }),
    new nn.Dropout(0.3),
    new nn.Dense(3),
  );
  net.initialize(new init.Xavier());
  const emb = new nn.Embedding(10, 3);
  emb.initialize();
  const X = nd.random.normal(0, 1, [2, 2, 8, 8]);
  const I = nd.array([
    [1, 2],
    [3, 4],
  ]);
  const step = () => {
    const l = autograd.record(() => {
      const y = net.forward(X);
      const e = emb.forward(I);
      const s1 = y.sum();
      const s2 = e.sum();
      const r = s1.add(s2);
      for (const t of [y, e, s1, s2]) t.dispose();
      return r;
    });
    l.backward();
    l.dispose();
    const p = net.forward(X);
    p.dispose();
  };
  step();
  const before = nd.memory();
  for (let i = 0; i < 3; i++) step();
  const after = nd.memory();
  assert.ok(after.arrays <= before.arrays, 'live arrays');
  assert.equal(after.bytes, before.bytes, 'bytes');
});

test("pooling and Conv2D take Gluon's keyword form in one object, numbers for sizes, and check the values", () => {
  const x = nd.arange(32).reshape([1, 2, 4, 4]);
  assertClose(new nn.MaxPool2D({ poolSize: 2 }).forward(x), new nn.MaxPool2D(2).forward(x), 0);
  assertClose(new nn.MaxPool2D({ poolSize: 3, strides: 1, padding: 1 }).forward(x), maxPool2d(x, { kernel: 3, stride: 1, padding: 1 }), 0);
  assertClose(new nn.AvgPool2D({ poolSize: 2, countIncludePad: false }).forward(x), avgPool2d(x, { kernel: 2 }), 0);
  assert.deepEqual(new nn.MaxPool2D({}).poolSize, [2, 2]);
  const conv = new nn.Conv2D({ channels: 3, kernelSize: 2, padding: 1, activation: 'relu' });
  assert.deepEqual(conv.kernelSize, [2, 2]);
  assert.deepEqual(conv.padding, [1, 1]);
  const bad = (fn: () => unknown, ...p: RegExp[]) =>
    assert.throws(fn, (e: Error) => e instanceof ValueError && p.every((r) => r.test(e.message)));
  bad(() => new nn.MaxPool2D({ poolSize: 0 }), /^nn.MaxPool2D: poolSize must be an integer >= 1/);
  bad(() => new nn.MaxPool2D({ poolSize: 'a' as never }), /poolSize/, /"a"/);
  bad(() => new nn.MaxPool2D(2, { strides: { h: 1 } as never }), /strides/);
  bad(() => new nn.MaxPool2D({ pool_size: 2 } as never), /unknown option 'pool_size'/, /poolSize/);
  bad(() => new nn.AvgPool2D(2, { padding: -1 }), /padding must be an integer >= 0/);
  bad(() => new nn.Conv2D({ channels: 3 } as never), /kernelSize is required/);
  bad(() => new nn.Conv2D(3, 2, { stride: 2 } as never), /unknown option 'stride'/, /did you mean 'strides'/);
});
