import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, NDArray, ValueError } from '../../src/index.js';
import { nn, init, Parameter } from '../../src/gluon/index.js';
import { assertClose } from '../helpers.js';

function stats(a: NDArray): { mean: number; std: number; min: number; max: number } {
  const v = Array.from(a.dataSync());
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
  return { mean, std, min: v.reduce((a, b) => Math.min(a, b), Infinity), max: v.reduce((a, b) => Math.max(a, b), -Infinity) };
}

function param(shape: number[], initializer: init.Initializer, name = 'w_weight'): NDArray {
  const p = new Parameter(name, { shape });
  p.initialize(undefined, { defaultInit: initializer });
  return p.data();
}

test('Normal(sigma): mean 0, standard deviation sigma (default 0.01)', () => {
  nd.random.seed(1);
  const s = stats(param([300, 300], new init.Normal(0.5)));
  assert.ok(Math.abs(s.mean) < 0.005 && Math.abs(s.std - 0.5) < 0.005, JSON.stringify(s));
  assert.equal(new init.Normal().sigma, 0.01);
  assert.equal(String(new init.Normal()), 'Normal(sigma=0.01)');
});

test("Uniform(scale): values in [-scale, scale], variance scale²/3 (default 0.07, Gluon's default)", () => {
  nd.random.seed(2);
  const s = stats(param([300, 300], new init.Uniform(0.2)));
  assert.ok(s.min >= -0.2 && s.max <= 0.2 && s.max > 0.199 && s.min < -0.199, JSON.stringify(s));
  assert.ok(Math.abs(s.std - 0.2 / Math.sqrt(3)) < 0.002);
  // net.initialize() with no argument is Uniform(0.07) for weights, zeros for biases.
  const d = new nn.Dense(200, { inUnits: 100 });
  d.initialize();
  const w = stats(d.weight.data());
  assert.ok(w.max <= 0.07 && w.min >= -0.07 && w.max > 0.069, JSON.stringify(w));
  assertClose(d.bias!.data(), nd.zeros([200]), 0);
});

test('Constant, Zero, One: weights filled, biases zero through net.initialize', () => {
  for (const [ini, v] of [
    [new init.Constant(0.3), 0.3],
    [new init.Zero(), 0],
    [new init.One(), 1],
  ] as const) {
    const d = new nn.Dense(2, { inUnits: 3 });
    d.initialize(ini);
    assertClose(d.weight.data(), nd.full([2, 3], v), 1e-7);
    assertClose(d.bias!.data(), nd.zeros([2]), 0);
  }
  assert.equal(String(new init.One()), 'One()');
});

test("Xavier: MXNet's scale sqrt(magnitude / factor) with fans from (out, in, k...)", () => {
  nd.random.seed(3);
  const x = new init.Xavier();
  assert.ok(Math.abs(x.scaleFor('w', [256, 784]) - Math.sqrt(3 / ((256 + 784) / 2))) < 1e-12);
  assert.ok(Math.abs(x.scaleFor('w', [6, 3, 5, 5]) - Math.sqrt(3 / ((6 * 25 + 3 * 25) / 2))) < 1e-12);
  assert.ok(Math.abs(new init.Xavier({ factorType: 'in', magnitude: 2 }).scaleFor('w', [10, 40]) - Math.sqrt(2 / 40)) < 1e-12);
  assert.ok(Math.abs(new init.Xavier({ factorType: 'out' }).scaleFor('w', [10, 40]) - Math.sqrt(3 / 10)) < 1e-12);
  const bound = x.scaleFor('w', [400, 500]);
  const u = stats(param([400, 500], x));
  assert.ok(u.max <= bound && u.min >= -bound && u.max > 0.99 * bound, JSON.stringify(u));
  const g = new init.Xavier({ rndType: 'gaussian', factorType: 'in', magnitude: 2 });
  const gs = stats(param([400, 500], g));
  assert.ok(Math.abs(gs.std - Math.sqrt(2 / 500)) < 0.002 && Math.abs(gs.mean) < 0.002, JSON.stringify(gs));
  assert.throws(
    () => param([5], x),
    (e: Error) => e instanceof ValueError && /at least 2 dims/.test(e.message) && /\(5,\)/.test(e.message),
  );
  assert.throws(() => new init.Xavier({ rndType: 'normal' as never }), ValueError);
  // Biases still get zeros when Xavier initialises a network.
  const conv = new nn.Conv2D(4, 3, { inChannels: 2 });
  conv.initialize(new init.Xavier());
  assertClose(conv.bias!.data(), nd.zeros([4]), 0);
});

test('initialisation is reproducible with nd.random.seed', () => {
  const build = () => {
    const net = new nn.Sequential();
    net.add(new nn.Dense(5, { inUnits: 4 }), new nn.Dense(3));
    return net;
  };
  nd.random.seed(42);
  const a = build();
  a.initialize(new init.Xavier());
  a.forward(nd.ones([1, 4]));
  nd.random.seed(42);
  const b = build();
  b.initialize(new init.Xavier());
  b.forward(nd.ones([1, 4]));
  for (const [k, p] of a.structuredParams())
    assert.deepEqual(Array.from(p.data().dataSync()), Array.from(b.structuredParams().get(k)!.data().dataSync()), k);
  const c = build();
  c.initialize(new init.Xavier());
  assert.notDeepEqual(Array.from(c.get<nn.Dense>(0).weight.data().dataSync()), Array.from(a.get<nn.Dense>(0).weight.data().dataSync()));
});

test("custom initializers: subclass init.Initializer (the book's MyInit) or implement initArray", () => {
  class MyInit extends init.Initializer {
    names: string[] = [];
    override initWeight(name: string, data: NDArray): void {
      this.names.push(name);
      const u = nd.random.uniform(-10, 10, data.shape);
      const keep = u.abs().greaterEqual(5);
      const v = u.mul(keep);
      data._assignFrom(v);
      for (const t of [u, keep, v]) t.dispose();
    }
    override toString() {
      return 'MyInit()';
    }
  }
  const net = new nn.Sequential();
  net.add(new nn.Dense(256, { activation: 'relu', inUnits: 20 }), new nn.Dense(10, { inUnits: 256 }));
  const mi = new MyInit();
  net.initialize(mi, { forceReinit: true });
  assert.deepEqual(mi.names, [net.get<nn.Dense>(0).weight.name, net.get<nn.Dense>(1).weight.name], 'weights only; biases keep zeros');
  const v = Array.from(net.get<nn.Dense>(0).weight.data().dataSync());
  assert.ok(v.every((t) => t === 0 || (Math.abs(t) >= 5 && Math.abs(t) <= 10)));
  const plain = { initArray: (_n: string, a: NDArray) => a._assignFrom(4) };
  net.initialize(plain, { forceReinit: true });
  assertClose(net.get<nn.Dense>(0).bias!.data(), nd.zeros([256]), 0, 'own zeros initializer of the bias wins');
  assertClose(net.get<nn.Dense>(1).weight.data(), nd.full([10, 256], 4), 0);
});

test("init.create: Gluon's initializer names", () => {
  assert.equal(String(init.create('zeros')), 'Zero()');
  assert.equal(String(init.create('ones')), 'One()');
  assert.equal(String(init.create('xavier')), 'Xavier(rnd_type=uniform, factor_type=avg, magnitude=3)');
  assert.equal(String(init.create('uniform')), 'Uniform(scale=0.07)');
  assert.throws(() => init.create('he' as never), /unknown initializer 'he'/);
  assert.throws(() => new init.Normal(-1), ValueError);
  // The dispatch on names: gamma ones, beta zeros, running statistics.
  const bn = new nn.BatchNorm({ inChannels: 3 });
  bn.initialize(new init.Normal(5));
  assertClose(bn.gamma.data(), nd.ones([3]), 0);
  assertClose(bn.beta.data(), nd.zeros([3]), 0);
  assertClose(bn.runningVar.data(), nd.ones([3]), 0);
});
