// autograd: record/pause, training flags, gradReq, heads, retainGraph, detach, control flow and
// higher-order gradients (book section 2.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, NDArray, AutogradError } from '../../src/index.js';

test('book 2.3: the gradient of y = 2 x^T x is 4x', () => {
  const x = nd.arange(4).reshape([4, 1]);
  x.attachGrad();
  const y = autograd.record(() => nd.dot(x.T, x).mul(2));
  y.backward();
  assert.deepEqual(x.grad.toArray(), [[0], [4], [8], [12]]);
  assert.equal(x.grad.sub(x.mul(4)).norm().asScalar(), 0);
});

test('isRecording / isTraining inside and outside record, pause, trainMode, predictMode', () => {
  assert.equal(autograd.isTraining(), false);
  assert.equal(autograd.isRecording(), false);
  autograd.record(() => {
    assert.equal(autograd.isTraining(), true);
    assert.equal(autograd.isRecording(), true);
    autograd.pause(() => {
      assert.equal(autograd.isRecording(), false);
      assert.equal(autograd.isTraining(), false);
    });
    autograd.pause(() => assert.equal(autograd.isTraining(), true), { trainMode: true });
    autograd.predictMode(() => {
      assert.equal(autograd.isTraining(), false);
      assert.equal(autograd.isRecording(), true);
    });
  });
  autograd.record(() => assert.equal(autograd.isTraining(), false), { trainMode: false });
  autograd.trainMode(() => {
    assert.equal(autograd.isTraining(), true);
    assert.equal(autograd.isRecording(), false);
  });
  // flags are restored after an exception
  assert.throws(() =>
    autograd.record(() => {
      throw new Error('x');
    }),
  );
  assert.equal(autograd.isRecording(), false);
  assert.equal(autograd.isTraining(), false);
  assert.equal(autograd.setRecording(true), false);
  assert.equal(autograd.setRecording(false), true);
  assert.equal(autograd.setTraining(true), false);
  assert.equal(autograd.setTraining(false), true);
  assert.throws(() => autograd.record(() => Promise.resolve(1)), TypeError);
});

test('ops under pause are not recorded', () => {
  const x = nd.array([1, 2]);
  x.attachGrad();
  const y = autograd.record(() => {
    const c = autograd.pause(() => x.mul(10));
    assert.equal(c.requiresGrad, false);
    return x.mul(c).sum();
  });
  y.backward();
  assert.deepEqual(x.grad.toArray(), [10, 20]);
});

test("gradReq 'write' overwrites, 'add' accumulates, 'null' detaches", () => {
  const x = nd.array([1, 2, 3]);
  x.attachGrad();
  assert.equal(x.gradReq, 'write');
  for (let i = 0; i < 2; i++) autograd.record(() => x.square().sum()).backward();
  assert.deepEqual(x.grad.toArray(), [2, 4, 6]);
  x.attachGrad({ gradReq: 'add' });
  assert.deepEqual(x.grad.toArray(), [0, 0, 0], 'attachGrad resets the gradient');
  for (let i = 0; i < 3; i++) autograd.record(() => x.square().sum()).backward();
  assert.deepEqual(x.grad.toArray(), [6, 12, 18]);
  x.grad.set(':', 0);
  autograd.record(() => x.mul(2).sum()).backward();
  assert.deepEqual(x.grad.toArray(), [2, 2, 2]);
  const c = nd.array([1, 1, 1]);
  c.attachGrad({ gradReq: 'null' });
  assert.equal(c.requiresGrad, false);
  assert.throws(() => c.grad, AutogradError);
  const y = autograd.record(() => x.mul(c).sum());
  y.backward();
  assert.deepEqual(x.grad.toArray(), [3, 3, 3]);
});

test('non-scalar heads are summed; headGrad weights them', () => {
  const x = nd.array([
    [1, 2],
    [3, 4],
  ]);
  x.attachGrad();
  autograd.record(() => x.mul(x)).backward();
  assert.deepEqual(x.grad.toArray(), [
    [2, 4],
    [6, 8],
  ]);
  autograd
    .record(() => x.mul(x))
    .backward(
      nd.array([
        [1, 0],
        [0.5, -1],
      ]),
    );
  assert.deepEqual(x.grad.toArray(), [
    [2, 0],
    [3, -8],
  ]);
  // autograd.backward with several heads sums their gradients
  const a = autograd.record(() => x.mul(2));
  const b = autograd.record(() => x.square().sum());
  autograd.backward([a, b]);
  assert.deepEqual(x.grad.toArray(), [
    [4, 6],
    [8, 10],
  ]);
});

test('retainGraph allows a second backward; without it the graph is freed', () => {
  const x = nd.array([1, 2]);
  x.attachGrad({ gradReq: 'add' });
  const y = autograd.record(() => x.exp().sum());
  y.backward(null, { retainGraph: true });
  y.backward();
  assert.deepEqual(Array.from(x.grad.dataSync()), [2 * Math.fround(Math.exp(1)), 2 * Math.fround(Math.exp(2))].map(Math.fround));
  assert.throws(() => y.backward(), { name: 'AutogradError', message: /backward/ });
});

test('detach cuts the graph', () => {
  const x = nd.array([1, 2, 3]);
  x.attachGrad();
  const y = autograd.record(() => {
    const u = x.mul(x);
    const v = u.detach().mul(x); // d/dx = u, not 3x^2
    return v.sum();
  });
  y.backward();
  assert.deepEqual(x.grad.toArray(), [1, 4, 9]);
  const d = x.detach();
  assert.equal(d.requiresGrad, false);
  assert.equal(d.storage, x.storage);
});

test('book 2.3: gradients through JS control flow (f(a)); a.grad equals c / a', () => {
  const f = (a: NDArray): NDArray => {
    let b = a.mul(2);
    while (b.norm().asScalar() < 1000) b = b.mul(2);
    return b.sum().asScalar() > 0 ? b : b.mul(100);
  };
  nd.random.seed(7);
  for (const v of [nd.random.normal(0, 1, [1]), nd.array([-0.3]), nd.array([2])]) {
    v.attachGrad();
    const c = autograd.record(() => f(v));
    c.backward();
    assert.equal(v.grad.equal(c.div(v)).asScalar(), 1, `a = ${v.asScalar()}`);
  }
});

test('variables used several times accumulate gradient contributions', () => {
  const x = nd.array([3]);
  x.attachGrad();
  const y = autograd.record(() => {
    const a = x.mul(x); // x^2
    const b = a.mul(x).add(a).add(x); // x^3 + x^2 + x
    return b;
  });
  y.backward();
  assert.equal(x.grad.asScalar(), 3 * 9 + 2 * 3 + 1);
});

test('intermediate arrays do not get .grad; only variables do', () => {
  const x = nd.array([1, 2]);
  x.attachGrad();
  let mid: NDArray | undefined;
  const y = autograd.record(() => {
    mid = x.mul(3);
    return mid.sum();
  });
  y.backward();
  assert.throws(() => mid!.grad, AutogradError);
  assert.deepEqual(x.grad.toArray(), [3, 3]);
});

test('autograd.grad returns gradients without touching .grad', () => {
  const x = nd.array([1, 2]);
  x.attachGrad();
  const y = autograd.record(() => x.mul(x).sum());
  const [g] = autograd.grad([y], [x]);
  assert.deepEqual(g.toArray(), [2, 4]);
  assert.deepEqual(x.grad.toArray(), [0, 0]);
});

test('higher-order: d²/dx² of x³ via autograd.grad with createGraph', () => {
  const x = nd.array([1, 2, -3], { dtype: 'float64' });
  x.attachGrad();
  const dy = autograd.record(() => {
    const y = x.mul(x).mul(x);
    const [g] = autograd.grad([y], [x], { createGraph: true, retainGraph: true });
    return g; // 3x^2, recorded
  });
  assert.deepEqual(dy.toArray(), [3, 12, 27]);
  dy.backward();
  assert.deepEqual(x.grad.toArray(), [6, 12, -18]);
});

test('higher-order: third derivative of sin and the gradient of a gradient norm', () => {
  const x = nd.array([0.3, -1.1], { dtype: 'float64' });
  x.attachGrad();
  const d2 = autograd.record(() => {
    const [d1] = autograd.grad([x.sin()], [x], { createGraph: true });
    const [dd] = autograd.grad([d1], [x], { createGraph: true });
    return dd; // -sin x
  });
  d2.backward(); // -cos x
  const xs = [0.3, -1.1];
  x.grad.toArray().forEach((g: number, i: number) => assert.ok(Math.abs(g + Math.cos(xs[i])) < 1e-12));
  // d/dw |d(w·v)^2/dv|^2 style: gradient penalty
  const w = nd.array([1, 2], { dtype: 'float64' });
  const v = nd.array([0.5, -1], { dtype: 'float64' });
  w.attachGrad();
  v.attachGrad();
  const pen = autograd.record(() => {
    const out = w.mul(v).sum().square();
    const [gv] = autograd.grad([out], [v], { createGraph: true }); // 2 (w·v) w
    return gv.square().sum(); // 4 (w·v)^2 |w|^2
  });
  pen.backward();
  // d/dw [4 s^2 |w|^2] with s = w·v: 8 s v |w|^2 + 8 s^2 w
  const s = 0.5 - 2;
  const n2 = 5;
  assert.ok(Math.abs(w.grad.toArray()[0] - (8 * s * 0.5 * n2 + 8 * s * s * 1)) < 1e-9);
  assert.ok(Math.abs(w.grad.toArray()[1] - (8 * s * -1 * n2 + 8 * s * s * 2)) < 1e-9);
});

test('attachGrad on a computed array makes it a leaf', () => {
  const x = nd.array([1, 2]);
  x.attachGrad();
  const z = autograd.record(() => x.mul(2));
  z.attachGrad();
  const y = autograd.record(() => z.mul(z).sum());
  y.backward();
  assert.deepEqual(z.grad.toArray(), [4, 8]);
  assert.deepEqual(x.grad.toArray(), [0, 0]);
});

test('arrays without a variable upstream are not recorded', () => {
  const c = nd.array([1, 2]);
  const y = autograd.record(() => c.mul(2));
  assert.equal(y.requiresGrad, false);
  assert.throws(() => y.backward(), AutogradError);
});

test('a second backward() without retainGraph says the graph was already freed', () => {
  const x = nd.array([1, 2]);
  x.attachGrad();
  const y = autograd.record(() => x.mul(x).sum());
  y.backward();
  assert.throws(
    () => y.backward(),
    (e: Error) => e instanceof AutogradError && /already freed/.test(e.message) && /retainGraph: true/.test(e.message),
  );
  // An array never recorded keeps the other message.
  assert.throws(
    () => nd.array([1]).backward(),
    (e: Error) => e instanceof AutogradError && /not computed inside autograd.record\(\)/.test(e.message),
  );
});

test('autograd.grad takes single arrays as MXNet (one gradient back) or lists (a list back)', () => {
  const w = nd.array([1, 2, 3]);
  w.attachGrad();
  const y = autograd.record(() => w.mul(w).sum());
  const g = autograd.grad(y, w, { retainGraph: true });
  assert.ok(g instanceof NDArray);
  assert.deepEqual(g.toArray(), [2, 4, 6]);
  const gs = autograd.grad([y], [w], { headGrads: [nd.array(2)], retainGraph: true });
  assert.ok(Array.isArray(gs));
  assert.deepEqual(gs[0].toArray(), [4, 8, 12]);
  assert.deepEqual(autograd.grad(y, [w], { headGrads: nd.array(3) })[0].toArray(), [6, 12, 18]);
  assert.throws(
    () => autograd.grad(y, 5 as never),
    (e: Error) => e.name === 'ValueError' && /variables must be an NDArray/.test(e.message),
  );
  assert.throws(
    () => autograd.grad([], [w]),
    (e: Error) => e.name === 'ValueError' && /heads must not be empty/.test(e.message),
  );
});

test('backward frees each node’s saved arrays as soon as its rule has run (without retainGraph)', async () => {
  // A chain of tanh over 1 MiB arrays whose intermediates only the tape holds (the scope that
  // made them is gone). When the first op's rule runs, freeing as the pass goes has already
  // released the later ops' saved outputs; keeping the graph (retainGraph), they are all alive.
  const { getCpuBackend } = await import('../../src/backend/registry.js');
  const heap = getCpuBackend().heap;
  const liveAtLastRule = (retainGraph: boolean): number => {
    const x = nd.random.normal(0, 1, [1 << 18]);
    x.attachGrad();
    const y = autograd.record(() =>
      nd.tidy(() => {
        let h = x;
        for (let i = 0; i < 12; i++) h = nd.tanh(h);
        return h.sum();
      }),
    );
    const before = heap.liveBytes;
    const alloc = heap.alloc;
    let last = 0;
    heap.alloc = (b: number) => {
      const p = alloc.call(heap, b);
      last = heap.liveBytes;
      return p;
    };
    try {
      y.backward(null, { retainGraph });
    } finally {
      heap.alloc = alloc;
    }
    if (retainGraph) y.backward(); // frees the kept graph
    for (const a of [x, y]) a.dispose();
    return last - before;
  };
  const kept = liveAtLastRule(true);
  const freed = liveAtLastRule(false);
  assert.ok(
    kept - freed >= 8 << 20,
    `live bytes at the first op's rule, against the start of the pass: ${freed} freeing as it goes, ${kept} keeping the graph`,
  );
});
