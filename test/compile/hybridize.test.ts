// hybridize(): tracing, the compiled program against the eager result (values and gradients) on
// random shapes and random elementwise chains, retracing, refused reads, and bad inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, NDArray, ValueError } from '../../src/index.js';
import { nn, init, Trainer, resetNameCounters, loss as gl } from '../../src/gluon/index.js';
import { hybridStats } from '../../src/compile/hybrid.js';
import { describeProgram } from '../../src/compile/program.js';
import { evalNd, gradProgram, toJS, type ExprProgram, type Instr } from '../../src/compile/expr.js';
import { multiKernel } from '../../src/backend/cpu/codegen.js';
import { getCpuBackend } from '../../src/backend/registry.js';
import { ndNamespace, symNamespace } from '../../src/compile/namespace.js';
import { assertClose } from '../helpers.js';

/** A deterministic generator for the random shapes and chains (independent of nd.random). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const UN = ['exp', 'tanh', 'sigmoid', 'relu', 'neg', 'square', 'sin', 'cos', 'abs'] as const;
const BIN = ['add', 'sub', 'mul', 'maximum', 'minimum'] as const;

/** A random chain of elementwise ops over inputs a (shape) and b (broadcast), as a HybridBlock. */
class Chain extends nn.HybridBlock {
  constructor(readonly steps: [string, number][]) {
    super();
  }
  hybridForward(F: any, a: any, b: any): any {
    let x = a;
    for (const [op, s] of this.steps) {
      if ((UN as readonly string[]).includes(op)) x = F[op === 'neg' ? 'negative' : op](x);
      else if (op === 'scalar') x = x.mul(s).add(0.5);
      // The ops with a restricted domain get a positive argument, so values and gradients are finite.
      else if (op === 'log') x = F.log(F.square(x).add(1));
      else if (op === 'sqrt') x = F.sqrt(F.abs(x).add(0.5));
      else if (op === 'reciprocal') x = F.reciprocal(F.abs(x).add(1));
      else if (op === 'log1p') x = F.log1p(F.abs(x));
      else if (op === 'expm1') x = F.expm1(x.mul(0.5));
      else if (op === 'pow') x = F.power(F.abs(x).add(0.5), 1.5);
      else if (op === 'rpow') x = F.power(1.5, x.tanh());
      else if (op === 'powb') x = F.power(F.abs(x).add(0.5), F.sigmoid(b));
      else if (op === 'div') x = F.divide(x, F.square(b).add(1));
      else if (op === 'rdiv') x = x.square().add(1).rdiv(s);
      else if (op === 'rsub') x = x.rsub(s);
      else x = F[{ add: 'add', sub: 'subtract', mul: 'multiply', maximum: 'maximum', minimum: 'minimum' }[op]!](x, s > 0.5 ? b : a);
    }
    return x;
  }
}

function randomChain(r: () => number): [string, number][] {
  const n = 2 + Math.floor(r() * 6);
  const ops = [...UN, ...BIN, 'scalar', 'rsub', 'log', 'sqrt', 'reciprocal', 'log1p', 'expm1', 'pow', 'rpow', 'powb', 'div', 'rdiv'];
  return Array.from({ length: n }, () => [ops[Math.floor(r() * ops.length)], r()] as [string, number]);
}

test('random elementwise chains on random shapes: the fused kernel equals eager, values and gradients', () => {
  const r = rng(7);
  for (let trial = 0; trial < 24; trial++) {
    const rank = 1 + Math.floor(r() * 3);
    const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 5));
    // b broadcasts along the first axis (or is a scalar-shaped array).
    const bShape = trial % 3 === 0 ? [1] : shape.slice(1).length ? shape.slice(1) : [1];
    const dtype = trial % 4 === 3 ? 'float64' : 'float32';
    const a = nd.random.normal(0, 1, shape).astype(dtype);
    const b = nd.random.normal(0, 1, bShape).astype(dtype);
    const steps = randomChain(r);
    const net = new Chain(steps);
    const run = () => {
      a.attachGrad();
      b.attachGrad();
      const y = autograd.record(() => net.forward(a, b));
      y.backward();
      return [y, a.grad.copy(), b.grad.copy()];
    };
    const [ye, gae, gbe] = run();
    net.hybridize();
    const [yc, gac, gbc] = run();
    const prog = hybridStats(net).last!.program;
    const tag = `trial ${trial} ${JSON.stringify(steps.map((s) => s[0]))} ${JSON.stringify(shape)} ${dtype}`;
    assert.ok(prog.fused.length >= 1, `${tag}: a fused kernel (${describeProgram(prog)})`);
    const tol = dtype === 'float32' ? 1e-5 : 1e-12;
    assertClose(yc, ye, tol, `${tag} value`);
    assertClose(gac, gae, tol, `${tag} grad a`);
    assertClose(gbc, gbe, tol, `${tag} grad b`);
    // Without recording (the in-place path where it applies) the values agree too.
    assertClose(net.forward(a, b), ye, tol, `${tag} unrecorded`);
  }
});

test('the expression IR: toJS, evalNd and gradProgram agree with the eager ops and finite differences', () => {
  // y = sigmoid(x0 * x1) + exp(x0) / 2
  const instrs: Instr[] = [
    { k: 'in', i: 0 },
    { k: 'in', i: 1 },
    { k: 'bin', op: 'mul', a: 0, b: 1 },
    { k: 'un', op: 'sigmoid', a: 2 },
    { k: 'un', op: 'exp', a: 0 },
    { k: 'const', v: 2 },
    { k: 'bin', op: 'div', a: 4, b: 5 },
    { k: 'bin', op: 'add', a: 3, b: 6 },
  ];
  const p: ExprProgram = { nIn: 2, instrs, outputs: [7] };
  const x0 = nd.array([0.3, -1.2, 2], { dtype: 'float64' });
  const x1 = nd.array([1.5, 0.7, -0.4], { dtype: 'float64' });
  const eager = x0.mul(x1).sigmoid().add(x0.exp().div(2));
  assertClose(evalNd(p, [x0, x1])[0], eager, 1e-14);
  const k = multiKernel(toJS(p, 'float64'), 1, 2, 1, 0);
  const o = new Float64Array(3);
  k([3], o, 0, [1], x0.dataSync(), 0, [1], x1.dataSync(), 0, [1]);
  assertClose(o, eager, 1e-14);
  const d = gradProgram(p);
  assert.equal(d.nIn, 3);
  const g = nd.ones([3], { dtype: 'float64' });
  const [g0, g1] = evalNd(d, [x0, x1, g]);
  const h = 1e-6;
  const f = (a: NDArray, b: NDArray) => a.mul(b).sigmoid().add(a.exp().div(2));
  assertClose(
    g0,
    f(x0.add(h), x1)
      .sub(f(x0.sub(h), x1))
      .div(2 * h),
    1e-6,
  );
  assertClose(
    g1,
    f(x0, x1.add(h))
      .sub(f(x0, x1.sub(h)))
      .div(2 * h),
    1e-6,
  );
  assert.throws(() => toJS({ nIn: 1, instrs: [{ k: 'un', op: 'exp', a: 3 }], outputs: [0] }, 'float32'), ValueError);
  assert.throws(() => gradProgram({ nIn: 1, instrs: [{ k: 'in', i: 0 }], outputs: [0, 0] }), /one output/);
  assert.throws(() => multiKernel('const y0 = 1;', 0, 1, 1), /nOut >= 1/);
});

function mlp(): nn.HybridSequential {
  const net = new nn.HybridSequential();
  net.add(new nn.Dense(16, { activation: 'relu' }), new nn.Dense(8, { activation: 'tanh' }), new nn.Dense(3));
  net.initialize(new init.Xavier());
  return net;
}

test('an MLP: the compiled program fuses bias and activation into the products, and training equals eager', () => {
  resetNameCounters();
  nd.random.seed(1);
  const net = mlp();
  const X = nd.random.normal(0, 1, [5, 7]);
  const y = nd.array([0, 1, 2, 1, 0]);
  const eager = net.forward(X);
  net.hybridize();
  assertClose(net.forward(X), eager, 1e-6);
  const prog = hybridStats(net).last!.program;
  assert.equal(describeProgram(prog), 'dot; fused(add,relu); dot; fused(add,tanh); dot; add');
  assert.ok(
    prog.fused.every((f) => f.inplace === 0),
    'the epilogues write into the products',
  );
  // Five SGD steps hybridized and five eager, from the same weights: the same weights after.
  const loss = new gl.SoftmaxCrossEntropyLoss();
  const train = (hybrid: boolean) => {
    const n = mlp();
    for (const [k, p] of n.structuredParams()) p.setData(net.structuredParams().get(k)!.data());
    n.hybridize(hybrid);
    const tr = new Trainer(n.collectParams(), 'sgd', { learningRate: 0.5 });
    for (let i = 0; i < 5; i++) {
      const l = autograd.record(() => loss.forward(n.forward(X), y));
      l.backward();
      tr.step(5);
    }
    return [...n.collectParams().values()].map((p) => p.data());
  };
  const he = train(false);
  const hc = train(true);
  he.forEach((w, i) => assertClose(hc[i], w, 1e-5, `parameter ${i}`));
});

test('a trace per signature: the first call traces, later calls reuse it, a new shape or mode retraces', () => {
  let traced = 0;
  class Counting extends nn.HybridBlock {
    dense = new nn.Dense(4);
    hybridForward(F: any, x: any): any {
      traced++;
      return F.sigmoid(this.dense.forward(x)).mul(2);
    }
  }
  const net = new Counting();
  net.initialize();
  net.hybridize();
  const a = nd.ones([2, 3]);
  const first = net.forward(a);
  net.forward(a);
  assert.equal(traced, 2, 'one eager call to learn the deferred shapes, one trace');
  net.forward(nd.ones([5, 3]));
  assert.equal(traced, 3, 'a new batch size retraces');
  net.forward(a.astype('float64').astype('float32'));
  assert.equal(traced, 3, 'the same signature reuses the trace');
  autograd.record(() => net.forward(a));
  assert.equal(traced, 4, 'training mode is part of the signature');
  assert.equal(hybridStats(net).traces, 3);
  assertClose(net.forward(a), first, 0);
  net.hybridize(false);
  net.forward(a);
  assert.equal(traced, 5, 'hybridize(false) runs eagerly again');
});

test('reading values inside a traced block is an error naming the block', () => {
  class Reader extends nn.HybridBlock {
    constructor(readonly how: string) {
      super({ prefix: 'reader0_' });
    }
    hybridForward(F: any, x: any): any {
      const y = F.relu(x);
      if (this.how === 'asScalar') y.asScalar();
      if (this.how === 'toArray') y.toArray();
      if (this.how === 'dataSync') y.dataSync();
      if (this.how === 'compare' && y > 0) return y;
      return y;
    }
  }
  for (const how of ['asScalar', 'toArray', 'dataSync', 'compare']) {
    const net = new Reader(how);
    assert.doesNotThrow(() => net.forward(nd.ones([1])), `${how} works eagerly`);
    net.hybridize();
    assert.throws(
      () => net.forward(nd.ones([1])),
      (e: Error) => e instanceof ValueError && e.message.startsWith("Reader 'reader0'") && e.message.includes('<Symbol reader0_relu0>'),
      how,
    );
  }
});

test('the book 8.1 prints: F and x are nd and arrays eagerly, the symbol namespace and symbols once at the trace', () => {
  resetNameCounters();
  const lines: string[] = [];
  class HybridNet extends nn.HybridBlock {
    hidden = new nn.Dense(10);
    output = new nn.Dense(2);
    hybridForward(F: any, x: any): any {
      lines.push(`F: ${String(F)}`, `x: ${String(x)}`);
      const h = F.relu(this.hidden.forward(x));
      lines.push(`hidden: ${String(h)}`);
      return this.output.forward(h);
    }
  }
  const net = new HybridNet();
  net.initialize();
  const x = nd.random.normal(0, 1, [1, 4]);
  const eager = net.forward(x);
  assert.equal(lines[0], `F: ${String(ndNamespace)}`);
  assert.match(lines[1], /<NDArray 1x4 @cpu\(0\)>/);
  lines.length = 0;
  net.hybridize();
  assertClose(net.forward(x), eager, 1e-6);
  assert.deepEqual(lines, [`F: <module 'mxnet.symbol' (d2l-ts src/compile/)>`, 'x: <Symbol data>', 'hidden: <Symbol hybridnet0_relu0>']);
  net.forward(x);
  assert.equal(lines.length, 3, 'later calls run the compiled program, not hybridForward');
  assert.equal(String(symNamespace), "<module 'mxnet.symbol' (d2l-ts src/compile/)>");
});

test('built-in layers in a hybridized network: Conv2D, pooling, BatchNorm (training and inference), Dropout, Flatten', () => {
  resetNameCounters();
  const build = () => {
    const net = new nn.HybridSequential();
    net.add(
      new nn.Conv2D(4, 3, { padding: 1 }),
      new nn.BatchNorm(),
      new nn.Activation('relu'),
      new nn.MaxPool2D(2),
      new nn.Dropout(0.3),
      new nn.Flatten(),
      new nn.Dense(5, { activation: 'sigmoid' }),
    );
    net.initialize(new init.Xavier());
    return net;
  };
  const X = nd.random.normal(0, 1, [2, 3, 6, 6]);
  const a = build();
  const b = build();
  a.forward(X); // deferred shapes
  b.forward(X);
  for (const [k, p] of b.structuredParams()) p.setData(a.structuredParams().get(k)!.data());
  b.hybridize();
  for (let step = 0; step < 2; step++) {
    for (const net of [a, b]) {
      X.attachGrad();
      nd.random.seed(42 + step);
      const y = autograd.record(() => net.forward(X));
      y.backward();
      (net as unknown as { _y: NDArray; _g: NDArray })._y = y;
      (net as unknown as { _y: NDArray; _g: NDArray })._g = X.grad.copy();
    }
    const ra = a as unknown as { _y: NDArray; _g: NDArray };
    const rb = b as unknown as { _y: NDArray; _g: NDArray };
    assertClose(rb._y, ra._y, 1e-5, `training output, step ${step}`);
    assertClose(rb._g, ra._g, 1e-4, `input gradient, step ${step}`);
  }
  const bnA = a.get<nn.BatchNorm>(1);
  const bnB = b.get<nn.BatchNorm>(1);
  assertClose(bnB.runningMean.data(), bnA.runningMean.data(), 1e-6, 'running mean updated as eager');
  assertClose(b.forward(X), a.forward(X), 1e-5, 'inference');
  // Training mode kept BatchNorm as one opaque node; predict mode fuses its normalisation with the ReLU.
  const [train, predict] = hybridStats(b).signatures;
  assert.match(train, /\|train$/);
  assert.match(predict, /\|predict$/);
  assert.match(
    describeProgram(hybridStats(b).last!.program),
    /^Convolution; Reshape; Reshape; Reshape; Reshape; fused\(sub,addScalar,sqrt,div,mul,add,relu\); Pooling; Dropout; Flatten; dot; fused\(add,sigmoid\)$/,
  );
});

test('bad inputs: non-array arguments, non-symbol F arguments, symbols mixed with arrays, hybridize flags', () => {
  const net = mlp();
  net.hybridize();
  assert.throws(() => net.forward(3 as unknown as NDArray), /a hybridized block takes NDArrays, got number as argument 0/);
  assert.throws(() => symNamespace.relu(nd.ones([1])), /sym.relu: expected a symbol, got NDArray/);
  class Mixer extends nn.HybridBlock {
    hybridForward(F: any, x: any): any {
      return x.add(nd.ones([1]));
    }
  }
  const m = new Mixer();
  m.hybridize();
  assert.throws(() => m.forward(nd.ones([2])), /every array operand must be a symbol/);
  assert.throws(() => net.hybridize('yes' as unknown as boolean), /expected a boolean/);
  class Plain extends nn.HybridBlock {}
  assert.throws(() => new (Plain as unknown as new () => nn.HybridBlock)().forward(nd.ones([1])), /defines hybridForward/);
});

test('no intermediate arrays: a fused chain allocates only its output, a Dense epilogue nothing', () => {
  const be = getCpuBackend();
  const count = (fn: () => void): number => {
    let n = 0;
    const orig = be.alloc;
    be.alloc = function (this: typeof be, ...a: Parameters<typeof orig>) {
      n++;
      return orig.apply(this, a);
    } as typeof orig;
    try {
      fn();
    } finally {
      be.alloc = orig;
    }
    return n;
  };
  class W2 extends nn.HybridBlock {
    hybridForward(F: any, x: any): any {
      return F.tanh(F.exp(x).mul(2).add(x)).sub(x.square());
    }
  }
  const x = nd.random.normal(0, 1, [64, 32]);
  const net = new W2();
  const eagerAllocs = count(() => net.forward(x).dispose());
  net.hybridize();
  net.forward(x).dispose();
  assert.equal(eagerAllocs, 6, 'eager: one array per op');
  assert.equal(
    count(() => net.forward(x).dispose()),
    1,
    'compiled: the output only',
  );
  const mlpNet = mlp();
  mlpNet.hybridize();
  const X = nd.random.normal(0, 1, [4, 7]);
  mlpNet.forward(X).dispose();
  // Three products and the last layer's bias add (a lone op runs eagerly); the two epilogues none.
  assert.equal(
    count(() => mlpNet.forward(X).dispose()),
    4,
  );
});

test('a hybridized training loop leaves no arrays behind', () => {
  const net = mlp();
  net.hybridize();
  const loss = new gl.SoftmaxCrossEntropyLoss();
  const tr = new Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  const X = nd.random.normal(0, 1, [6, 7]);
  const y = nd.array([0, 1, 2, 0, 1, 2]);
  const step = () =>
    nd.tidy(() => {
      const l = autograd.record(() => loss.forward(net.forward(X), y));
      l.backward();
      tr.step(6);
    });
  step();
  step();
  const before = nd.memory().arrays;
  for (let i = 0; i < 20; i++) step();
  assert.equal(nd.memory().arrays, before, 'the same number of live arrays after 20 more steps');
});
