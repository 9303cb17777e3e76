import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, NDArray, ValueError, ShapeError } from '../../src/index.js';
import { nn, init, Block, Parameter, ParameterDict, resetNameCounters } from '../../src/gluon/index.js';
import { assertClose } from '../helpers.js';

test('names: Gluon 1.x prefixes with global counters, nameScope nesting, explicit prefixes', () => {
  resetNameCounters();
  const net = new nn.Sequential();
  net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
  assert.equal(net.name, 'sequential0');
  assert.equal(net.get(0).name, 'dense0');
  assert.equal(net.get(1).prefix, 'dense1_');
  assert.deepEqual(net.collectParams().keys(), ['dense0_weight', 'dense0_bias', 'dense1_weight', 'dense1_bias']);

  class MLP extends nn.Block {
    hidden: nn.Dense;
    output: nn.Dense;
    constructor() {
      super();
      [this.hidden, this.output] = this.nameScope(() => [new nn.Dense(4), new nn.Dense(2)]);
    }
    override forward(x: NDArray): NDArray {
      const h = this.hidden.forward(x);
      const y = this.output.forward(h);
      h.dispose();
      return y;
    }
  }
  const m = new MLP();
  assert.equal(m.prefix, 'mlp0_');
  assert.equal(m.hidden.prefix, 'mlp0_dense0_');
  assert.equal(m.output.prefix, 'mlp0_dense1_');
  assert.equal(new MLP().hidden.prefix, 'mlp1_dense0_', 'counters are local to each parent');
  assert.equal(new nn.Dense(1).name, 'dense2');
  assert.equal(new nn.Dense(1, { prefix: 'out_' }).weight.name, 'out_weight');
  assert.equal(new nn.Sequential({ prefix: 'net_' }).nameScope(() => new nn.Dense(1, { prefix: 'fc_' })).prefix, 'net_fc_');
});

test('collectParams: regex matched at the start of the name (re.match), or a RegExp', () => {
  resetNameCounters();
  const net = new nn.Sequential();
  net.add(new nn.Dense(3), new nn.Dense(2));
  assert.deepEqual(net.collectParams('.*weight').keys(), ['dense0_weight', 'dense1_weight']);
  assert.deepEqual(net.collectParams('.*bias').keys(), ['dense0_bias', 'dense1_bias']);
  assert.deepEqual(net.collectParams('dense0_weight|dense1_bias').keys(), ['dense0_weight', 'dense1_bias']);
  assert.deepEqual(net.collectParams('weight').keys(), [], 'anchored at the start, like Python re.match');
  assert.deepEqual(net.collectParams(/1_/).keys(), ['dense1_weight', 'dense1_bias']);
  const d = net.collectParams();
  assert.ok(d instanceof ParameterDict);
  assert.equal(d.size, 4);
  assert.equal(d.get('dense1_bias'), net.get<nn.Dense>(1).bias);
  assert.equal(
    String(net.collectParams('.*weight')),
    'sequential0_ (\n  Parameter dense0_weight (shape=(3, 0), dtype=float32)\n  Parameter dense1_weight (shape=(2, 0), dtype=float32)\n)',
  );
});

test('deferred initialisation: shapes known only after the first forward pass', () => {
  const net = new nn.Sequential();
  net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
  net.initialize(new init.Constant(0.5));
  const w0 = net.get<nn.Dense>(0).weight;
  assert.deepEqual(w0.shape, [256, 0]);
  assert.ok(w0.isDeferred && !w0.isInitialized);
  assert.throws(() => w0.data(), /still unknown: run a forward pass first/);
  const bias = net.get<nn.Dense>(0).bias!;
  assert.ok(bias.isInitialized, 'a bias of known shape is allocated at once');
  const y = net.forward(nd.ones([2, 20]));
  assert.deepEqual(y.shape, [2, 10]);
  assert.deepEqual(w0.shape, [256, 20]);
  assert.deepEqual(net.get<nn.Dense>(1).weight.data().shape, [10, 256]);
  assertClose(w0.data(), nd.full([256, 20], 0.5), 0);
  assertClose(bias.data(), nd.zeros([256]), 0);
  assert.equal(String(net), 'Sequential(\n  (0): Dense(20 -> 256, Activation(relu))\n  (1): Dense(256 -> 10, linear)\n)');
  // Without initialize(), the error says what to do.
  const fresh = new nn.Dense(3);
  assert.throws(
    () => fresh.forward(nd.ones([1, 2])),
    (e: Error) => e instanceof ValueError && /call net.initialize\(\)/.test(e.message),
  );
});

test('initialize: second call is a no-op; forceReinit refills the same arrays; options-object form', () => {
  const net = new nn.Sequential();
  net.add(new nn.Dense(4, { inUnits: 3 }));
  net.initialize(new init.One());
  const w = net.get<nn.Dense>(0).weight.data();
  net.initialize(new init.Zero());
  assertClose(w, nd.ones([4, 3]), 0, 'ignored without forceReinit');
  net.initialize(new init.Constant(2), { forceReinit: true });
  assert.equal(net.get<nn.Dense>(0).weight.data(), w, 'same array object (optimizers may hold it)');
  assertClose(w, nd.full([4, 3], 2), 0);
  net.initialize({ init: new init.Constant(3), forceReinit: true });
  assertClose(w, nd.full([4, 3], 3), 0);
  assertClose(net.get<nn.Dense>(0).bias!.data(), nd.zeros([4]), 0, 'the bias keeps its own zeros initializer');
  // Parameter.initialize with an explicit init applies it whatever the name (Gluon's __init__).
  net.get<nn.Dense>(0).bias!.initialize(new init.Constant(7), { forceReinit: true });
  assertClose(net.get<nn.Dense>(0).bias!.data(), nd.full([4], 7), 0);
  // Strings are accepted where Gluon accepts them.
  const d = new nn.Dense(2, { inUnits: 2, weightInitializer: 'ones', biasInitializer: new init.Constant(0.5) });
  d.initialize(new init.Normal(1));
  assertClose(d.weight.data(), nd.ones([2, 2]), 0, "the layer's own weightInitializer wins");
  assertClose(d.bias!.data(), nd.full([2], 0.5), 0);
});

test("shared parameters: the params option reuses a block's Parameters (Gluon 4.2)", () => {
  nd.random.seed(20);
  const shared = new nn.Dense(8, { activation: 'relu' });
  const net = new nn.Sequential();
  net.add(
    new nn.Dense(8, { activation: 'relu' }),
    shared,
    new nn.Dense(8, { activation: 'relu', params: shared.params }),
    new nn.Dense(10),
  );
  net.initialize();
  const X = nd.random.uniform(0, 1, [2, 20]);
  net.forward(X);
  const a = net.get<nn.Dense>(1);
  const b = net.get<nn.Dense>(2);
  assert.equal(a.weight, b.weight);
  assert.equal(a.bias, b.bias);
  assert.equal(b.weight.name, a.weight.name);
  assert.equal(net.collectParams().size, 6, 'a shared parameter is collected once');
  a.weight.data().set([0, 0], 100);
  assert.equal(b.weight.data().get([0, 0]).asScalar(), 100);
  // The gradient of a shared parameter sums both uses.
  const s = new nn.Dense(2, { inUnits: 2, useBias: false });
  const t = new nn.Dense(2, { params: s.params, useBias: false });
  s.initialize(new init.One());
  const x = nd.array([[1, 2]]);
  autograd
    .record(() => {
      const h = s.forward(x);
      return t.forward(h).sum();
    })
    .backward();
  // y = 1ᵀ W (W x); d/dW = 1 (W x)ᵀ + Wᵀ1 xᵀ = [[3,3],[3,3]] + [[2,4],[2,4]]
  assertClose(
    s.weight.grad(),
    [
      [5, 7],
      [5, 7],
    ],
    1e-6,
  );
  // Shared layers must agree on shapes.
  assert.throws(
    () => new nn.Dense(3, { params: s.params, useBias: false }),
    (e: Error) => e instanceof ShapeError && /conflicts with the requested \(3, 0\)/.test(e.message),
  );
});

test('Sequential: indexing, length, iteration, nesting, structured names, repr', () => {
  resetNameCounters();
  const inner = new nn.Sequential();
  inner.add(new nn.Dense(4), new nn.Dropout(0.5));
  const net = new nn.HybridSequential();
  net.add(inner, new nn.Dense(2));
  assert.equal(net.length, 2);
  assert.equal(net[0], inner);
  assert.equal(net.get(-1), net[1]);
  assert.deepEqual(
    [...net].map((b) => b.name),
    ['sequential0', 'dense1'],
  );
  assert.throws(
    () => net.get(2),
    (e: Error) => e instanceof ValueError && /index 2 is out of range for 2 children/.test(e.message),
  );
  net.initialize();
  net.forward(nd.ones([3, 5]));
  assert.deepEqual([...net.structuredParams().keys()], ['0.0.weight', '0.0.bias', '1.weight', '1.bias']);
  assert.equal(
    String(net),
    'HybridSequential(\n  (0): Sequential(\n    (0): Dense(5 -> 4, linear)\n    (1): Dropout(p = 0.5, axes=())\n  )\n  (1): Dense(4 -> 2, linear)\n)',
  );
  assert.ok(net instanceof nn.Sequential);
  assert.equal(net.hybridize(), net);
  assert.ok(inner.isHybridized && net.get(1).isHybridized, 'hybridize() reaches the children');
  assert.throws(() => new nn.Sequential().forward(nd.ones([1])), /empty Sequential/);
});

test('Sequential.forward: disposes intermediates but never its input; passes tuple outputs on', () => {
  const x = nd.ones([2, 3]);
  const net = new nn.Sequential();
  const seen: NDArray[] = [];
  net.add(
    new nn.Lambda((v: NDArray) => v),
    new nn.Lambda((v: NDArray) => {
      seen.push(v);
      return [v.mul(2), nd.full([1], 7)];
    }),
    new nn.Lambda((v: NDArray, extra: NDArray) => v.add(extra)),
  );
  const y = net.forward(x);
  assert.ok(!x.isDisposed, 'the input is left alone (even when a child returns it)');
  assertClose(y, nd.full([2, 3], 9), 0);
  assert.equal(seen[0], x);
  // A child's intermediate output is disposed once consumed.
  const mids: NDArray[] = [];
  const net2 = new nn.Sequential();
  net2.add(
    new nn.Lambda((v: NDArray) => {
      const m = v.add(1);
      mids.push(m);
      return m;
    }),
    new nn.Lambda((v: NDArray) => v.mul(3)),
  );
  assertClose(net2.forward(x), nd.full([2, 3], 6), 0);
  assert.ok(mids[0].isDisposed);
});

test('custom blocks: fields are registered automatically, in order; params.get creates parameters', () => {
  resetNameCounters();
  class MyDense extends nn.Block {
    weight: Parameter;
    bias: Parameter;
    constructor(
      readonly units: number,
      inUnits: number,
    ) {
      super();
      this.weight = this.params.get('weight', { shape: [inUnits, units] });
      this.bias = this.params.get('bias', { shape: [units] });
    }
    override forward(x: NDArray): NDArray {
      const l = nd.dot(x, this.weight.data());
      const r = l.add(this.bias.data()).relu();
      l.dispose();
      return r;
    }
  }
  const dense = new MyDense(3, 5);
  assert.deepEqual(dense.params.keys(), ['mydense0_weight', 'mydense0_bias']);
  dense.initialize();
  assert.deepEqual(dense.forward(nd.ones([2, 5])).shape, [2, 3]);
  assertClose(dense.bias.data(), nd.zeros([3]), 0, 'names ending in bias get zeros from the default init');

  class Net extends nn.Block {
    a = new MyDense(4, 2);
    b: nn.Block = new nn.Dense(1);
    forward(x: NDArray): NDArray {
      const h = this.a.forward(x);
      const y = this.b.forward(h);
      h.dispose();
      return y;
    }
  }
  const n = new Net();
  n.initialize();
  n.forward(nd.ones([1, 2]));
  assert.deepEqual([...n.children.keys()], ['a', 'b']);
  assert.deepEqual([...n.structuredParams().keys()], ['a.weight', 'a.bias', 'b.weight', 'b.bias']);
  assert.equal(String(n), 'Net(\n  (a): MyDense(\n  \n  )\n  (b): Dense(4 -> 1, linear)\n)');
  // Replacing a field replaces the child.
  n.b = new nn.Dense(2);
  assert.equal(n.children.get('b'), n.b);
  assert.equal(n.collectParams().size, 4);
  // Explicit registration with a name.
  const holder = new (class Holder extends nn.Block {
    forward(x: NDArray) {
      return x;
    }
  })();
  holder.registerChild(new nn.Dense(1), 'head');
  assert.deepEqual([...holder.children.keys()], ['head']);
  assert.throws(() => holder.registerChild(holder), /cannot be its own child/);
  const visited: string[] = [];
  n.apply((blk: Block) => visited.push(blk.constructor.name));
  assert.deepEqual(visited, ['MyDense', 'Dense', 'Net']);
});

test('ParameterDict: get-or-create with prefix, update conflicts, setattr, zeroGrad', () => {
  const d = new ParameterDict('block_');
  const p = d.get('param2', { shape: [2, 3] });
  assert.equal(p.name, 'block_param2');
  assert.equal(d.get('param2'), p);
  assert.equal(d.get('block_param2'), p);
  assert.ok(d.has('param2'));
  assert.throws(() => d.get('nope'), /no parameter named 'block_nope'/);
  const other = new ParameterDict();
  other.set('block_param2', new Parameter('block_param2', { shape: [1] }));
  assert.throws(() => d.update(other), /a different Parameter/);
  d.initialize(new init.One());
  p.grad()._assignFrom(5);
  d.zeroGrad();
  assertClose(p.grad(), nd.zeros([2, 3]), 0);
  d.setattr('lrMult', 0.5);
  assert.equal(p.lrMult, 0.5);
  d.setattr('gradReq', 'add');
  assert.equal(p.gradReq, 'add');
  const x = nd.ones([2, 3]);
  for (let i = 0; i < 2; i++) autograd.record(() => p.data().mul(x).sum()).backward();
  assertClose(p.grad(), nd.full([2, 3], 2), 0, "gradReq 'add' accumulates");
  assert.equal(String(p), 'Parameter block_param2 (shape=(2, 3), dtype=float32)');
  assert.throws(() => d.get('param2', { shape: [4, 4] }), ShapeError);
});

test('cast: parameters become float64 and the layer computes in float64', () => {
  const net = new nn.Sequential();
  net.add(new nn.Dense(3, { activation: 'tanh' }), new nn.Dense(1));
  net.initialize();
  net.cast('float64');
  const y = net.forward(nd.ones([2, 4], { dtype: 'float64' }));
  assert.equal(y.dtype, 'float64');
  assert.equal(net.get<nn.Dense>(0).weight.data().dtype, 'float64');
  net.get<nn.Dense>(1).bias!.cast('float32');
  assert.equal(net.get<nn.Dense>(1).bias!.data().dtype, 'float32');
});
