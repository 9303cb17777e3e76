import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nd from '../../src/ndarray/nd.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { ValueError } from '../../src/core/errors.js';
import * as optimizer from '../../src/gluon/optimizer/index.js';
import { CosineScheduler } from '../../src/gluon/lr-scheduler.js';

/**
 * Each optimizer runs 3 updates on a float64 weight with made-up gradients; the reference is the
 * MXNet formula written out per element in plain JS (the `ref` functions below), with the same
 * rescale/clip/wd preprocessing.
 */
const W0 = [0.5, -1.2, 2.0, 0.03];
const GRADS = [
  [0.4, -2.0, 0.7, 5.0],
  [-1.5, 0.3, 0.2, -0.8],
  [0.9, 1.1, -3.0, 0.05],
];

type Ref = (w: number[], g: number[], s: number[][], t: number) => void;

function run(name: string, opts: Record<string, unknown>, ref: Ref, nStates: number, tol = 1e-12): void {
  const opt = optimizer.create(name, opts);
  const w = nd.array(W0, { dtype: 'float64' });
  const st = opt.createState(0, w);
  assert.equal(st.length, nStates, `${name}: number of state arrays`);
  const wr = [...W0];
  const sr = Array.from({ length: nStates }, () => W0.map(() => 0));
  GRADS.forEach((g, k) => {
    const ga = nd.array(g, { dtype: 'float64' });
    opt.update(0, w, ga, st);
    ref(wr, g, sr, k + 1);
    const got = Array.from(w.dataSync());
    got.forEach((v, i) => assert.ok(Math.abs(v - wr[i]) <= tol * (1 + Math.abs(wr[i])), `${name} step ${k + 1} w[${i}]: ${v} vs ${wr[i]}`));
    st.forEach((s, j) =>
      Array.from(s.dataSync()).forEach((v, i) =>
        assert.ok(Math.abs(v - sr[j][i]) <= tol * (1 + Math.abs(sr[j][i])), `${name} step ${k + 1} state ${j}[${i}]: ${v} vs ${sr[j][i]}`),
      ),
    );
    ga.dispose();
  });
}

const clip = (x: number, c: number | null) => (c === null ? x : Math.min(Math.max(x, -c), c));

test('sgd without momentum: w = (1 − lr·wd)·w − lr·clip(rescale·g)', () => {
  const lr = 0.1,
    wd = 0.01,
    rs = 0.5,
    c = 1.0;
  run(
    'sgd',
    { learningRate: lr, wd, rescaleGrad: rs, clipGradient: c },
    (w, g) => {
      for (let i = 0; i < w.length; i++) w[i] = (1 - lr * wd) * w[i] - lr * clip(rs * g[i], c);
    },
    0,
  );
  run(
    'sgd',
    { learningRate: lr },
    (w, g) => {
      for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
    },
    0,
  );
});

test('sgd with momentum: mom = μ·mom − lr·wd·w − lr·clip(rescale·g); w += mom', () => {
  const lr = 0.05,
    wd = 0.1,
    mu = 0.9,
    rs = 2,
    c = 3;
  run(
    'sgd',
    { learningRate: lr, wd, momentum: mu, rescaleGrad: rs, clipGradient: c },
    (w, g, [m]) => {
      for (let i = 0; i < w.length; i++) {
        m[i] = mu * m[i] - lr * wd * w[i] - lr * clip(rs * g[i], c);
        w[i] += m[i];
      }
    },
    1,
  );
});

test('nag: g = clip(rescale·g) + wd·w; mom = μ·mom + g; w −= lr·(g + μ·mom)', () => {
  const lr = 0.05,
    wd = 0.02,
    mu = 0.8,
    c = 1.5;
  run(
    'nag',
    { learningRate: lr, wd, momentum: mu, clipGradient: c },
    (w, g, [m]) => {
      for (let i = 0; i < w.length; i++) {
        const gg = clip(g[i], c) + wd * w[i];
        m[i] = mu * m[i] + gg;
        w[i] -= lr * (gg + mu * m[i]);
      }
    },
    1,
  );
  run(
    'nag',
    { learningRate: lr, wd },
    (w, g) => {
      for (let i = 0; i < w.length; i++) w[i] -= lr * (g[i] + wd * w[i]);
    },
    0,
  );
});

test('adagrad: h += g²; w −= lr·(g/sqrt(h + eps) + wd·w)', () => {
  const lr = 0.3,
    wd = 0.05,
    eps = 1e-7,
    rs = 0.5;
  run(
    'adagrad',
    { learningRate: lr, wd, rescaleGrad: rs },
    (w, g, [h]) => {
      for (let i = 0; i < w.length; i++) {
        const gg = rs * g[i];
        h[i] += gg * gg;
        w[i] -= lr * (gg / Math.sqrt(h[i] + eps) + wd * w[i]);
      }
    },
    1,
  );
});

test('rmsprop (Tieleman & Hinton): n = (1−γ1)g² + γ1·n; w −= lr·g/sqrt(n + eps), g including wd', () => {
  const lr = 0.01,
    wd = 0.1,
    g1 = 0.9,
    eps = 1e-8,
    c = 2;
  run(
    'rmsprop',
    { learningRate: lr, wd, gamma1: g1, clipGradient: c },
    (w, g, [n]) => {
      for (let i = 0; i < w.length; i++) {
        const gg = clip(g[i] + wd * w[i], c);
        n[i] = (1 - g1) * gg * gg + g1 * n[i];
        w[i] -= (lr * gg) / Math.sqrt(n[i] + eps);
      }
    },
    1,
  );
});

test('rmsprop centered (Graves): Δ = γ2·Δ − lr·g/sqrt(n − ḡ² + eps); w += Δ; clipWeights', () => {
  const lr = 0.02,
    g1 = 0.95,
    g2 = 0.9,
    eps = 1e-8,
    cw = 1.9;
  run(
    'rmsprop',
    { learningRate: lr, gamma1: g1, gamma2: g2, centered: true, clipWeights: cw },
    (w, g, [n, gb, d]) => {
      for (let i = 0; i < w.length; i++) {
        const gg = g[i];
        n[i] = (1 - g1) * gg * gg + g1 * n[i];
        gb[i] = (1 - g1) * gg + g1 * gb[i];
        d[i] = g2 * d[i] - (lr * gg) / Math.sqrt(n[i] - gb[i] * gb[i] + eps);
        w[i] = clip(w[i] + d[i], cw);
      }
    },
    3,
  );
});

test('adadelta: no learning rate; Δ = sqrt(δ + eps)/sqrt(s + eps)·g; w −= Δ + wd·w', () => {
  const rho = 0.9,
    eps = 1e-5,
    wd = 0.01;
  run(
    'adadelta',
    { rho, wd, learningRate: 123 /* ignored, as in MXNet */ },
    (w, g, [s, dl]) => {
      for (let i = 0; i < w.length; i++) {
        s[i] = rho * s[i] + (1 - rho) * g[i] * g[i];
        const delta = (Math.sqrt(dl[i] + eps) / Math.sqrt(s[i] + eps)) * g[i];
        dl[i] = rho * dl[i] + (1 - rho) * delta * delta;
        w[i] -= delta + wd * w[i];
      }
    },
    2,
  );
});

test('adam: bias correction folded into lr; g = clip(rescale·g + wd·w)', () => {
  const lr = 0.01,
    b1 = 0.9,
    b2 = 0.999,
    eps = 1e-8,
    wd = 0.1,
    rs = 0.25,
    c = 0.5;
  run(
    'adam',
    { learningRate: lr, wd, rescaleGrad: rs, clipGradient: c },
    (w, g, [m, v], t) => {
      const lrt = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      for (let i = 0; i < w.length; i++) {
        const gg = clip(rs * g[i] + wd * w[i], c);
        m[i] = b1 * m[i] + (1 - b1) * gg;
        v[i] = b2 * v[i] + (1 - b2) * gg * gg;
        w[i] -= (lrt * m[i]) / (Math.sqrt(v[i]) + eps);
      }
    },
    2,
  );
});

test('adamw: decoupled weight decay w −= η·(m/(sqrt(v)+eps) + wd·w), no wd in the moments', () => {
  const lr = 0.01,
    b1 = 0.8,
    b2 = 0.99,
    eps = 1e-6,
    wd = 0.3;
  const ref =
    (correct: boolean): Ref =>
    (w, g, [m, v], t) => {
      const eta = correct ? (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t) : lr;
      for (let i = 0; i < w.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        w[i] -= eta * (m[i] / (Math.sqrt(v[i]) + eps) + wd * w[i]);
      }
    };
  run('adamw', { learningRate: lr, beta1: b1, beta2: b2, wd }, ref(true), 2);
  run('adamw', { learningRate: lr, beta1: b1, beta2: b2, wd, correctBias: false }, ref(false), 2);
});

test('float32 weights follow the same formulas (adam, to float32 precision)', () => {
  const opt = optimizer.create('adam', { learningRate: 0.1 });
  const w = nd.array([1, -1]);
  const st = opt.createState(0, w);
  opt.update(0, w, nd.array([0.5, -0.25]), st);
  // after one step Adam moves every coordinate by ≈ lr·sign(g)
  const got = Array.from(w.dataSync());
  assert.ok(Math.abs(got[0] - 0.9) < 1e-6 && Math.abs(got[1] + 0.9) < 1e-6, `got ${got}`);
  assert.equal(w.dtype, 'float32');
});

test('defaults match MXNet: learning rates, epsilons, momentum', () => {
  assert.equal(optimizer.create('sgd').lr, 0.01);
  assert.equal(optimizer.create('adam').lr, 0.001);
  assert.equal((optimizer.create('adam') as optimizer.Adam).epsilon, 1e-8);
  assert.equal((optimizer.create('adamw') as optimizer.AdamW).epsilon, 1e-6);
  assert.equal(optimizer.create('rmsprop').lr, 0.001);
  assert.equal((optimizer.create('rmsprop') as optimizer.RMSProp).gamma1, 0.9);
  assert.equal((optimizer.create('adagrad') as optimizer.AdaGrad).epsilon, 1e-7);
  assert.equal((optimizer.create('adagrad', { eps: 1e-3 }) as optimizer.AdaGrad).epsilon, 1e-3);
  assert.equal((optimizer.create('adadelta') as optimizer.AdaDelta).rho, 0.9);
  assert.equal((optimizer.create('sgd') as optimizer.SGD).momentum, 0);
  assert.deepEqual(optimizer.names(), ['adadelta', 'adagrad', 'adam', 'adamw', 'nag', 'rmsprop', 'sgd']);
  assert.ok(optimizer.create('SGD') instanceof optimizer.SGD, 'names are case-insensitive');
});

test('unknown names and options are errors that list the valid ones', () => {
  assert.throws(
    () => optimizer.create('adamax'),
    (e: Error) =>
      e instanceof ValueError && /unknown optimizer 'adamax'.*adadelta, adagrad, adam, adamw, nag, rmsprop, sgd/.test(e.message),
  );
  assert.throws(() => optimizer.create('sgd', { learning_rate: 0.1 }), /unknown option 'learning_rate'; sgd accepts: learningRate/);
  assert.throws(() => optimizer.create('adam', { momentum: 0.9 }), /unknown option 'momentum'.*beta1/);
  assert.throws(() => optimizer.create('sgd', { learningRate: -1 }), /SGD: learningRate must be a non-negative number/);
  assert.throws(() => optimizer.create('sgd', { momentum: -0.5 }), /SGD: momentum must be a non-negative number, got -0.5/);
});

test('per-parameter lrMult and wdMult come from paramDict, else from setLrMult/setWdMult', () => {
  const opt = optimizer.create('sgd', { learningRate: 0.1, wd: 0.5, paramDict: new Map([[0, { lrMult: 2, wdMult: 0 }]]) });
  assert.equal(opt.getLr(0), 0.2);
  assert.equal(opt.getWd(0), 0);
  assert.equal(opt.getLr(1), 0.1);
  opt.setLrMult({ 1: 3 });
  opt.idx2name.set(2, 'dense0_bias');
  opt.setWdMult({ dense0_bias: 0 });
  assert.ok(Math.abs(opt.getLr(1) - 0.3) < 1e-15);
  assert.equal(opt.getWd(2), 0);
  assert.equal(opt.getWd(1), 0.5);
});

test('update counts: numUpdate is the max over parameters; schedules read it', () => {
  const sched = new CosineScheduler(4, { baseLr: 1, finalLr: 0 });
  const opt = optimizer.create('sgd', { lrScheduler: sched });
  assert.equal(opt.lr, 1, 'the schedule gives the base lr when learningRate is not set');
  const w = nd.array([0], { dtype: 'float64' });
  const g = nd.array([1], { dtype: 'float64' });
  const lrs: number[] = [];
  for (let k = 0; k < 4; k++) {
    const before = w.asScalar();
    opt.update(0, w, g, []);
    lrs.push(before - w.asScalar());
  }
  assert.equal(opt.numUpdate, 4);
  assert.equal(opt.updateCountOf(0), 4);
  const expect = [1, 2, 3, 4].map((n) => (1 + Math.cos((Math.PI * n) / 4)) / 2);
  lrs.forEach((v, i) => assert.ok(Math.abs(v - expect[i]) < 1e-12, `step ${i + 1}: ${v} vs ${expect[i]}`));
  // an explicit learningRate overrides the schedule's base lr
  const s2 = new CosineScheduler(4, { baseLr: 1 });
  optimizer.create('sgd', { learningRate: 0.5, lrScheduler: s2 });
  assert.equal(s2.baseLr, 0.5);
  assert.throws(() => opt.setLearningRate(0.1), /LRScheduler is defined/);
});

test('optimizer updates free their temporaries (live arrays flat over 100 updates of each optimizer)', () => {
  const cfgs: [string, Record<string, unknown>][] = [
    ['sgd', { momentum: 0.9, wd: 0.1, clipGradient: 1 }],
    ['nag', { momentum: 0.9, wd: 0.1 }],
    ['adagrad', { wd: 0.1 }],
    ['rmsprop', { centered: true, clipWeights: 5 }],
    ['adadelta', {}],
    ['adam', { wd: 0.1 }],
    ['adamw', { wd: 0.1 }],
  ];
  for (const [name, o] of cfgs) {
    const opt = optimizer.create(name, o);
    const w = nd.random.normal(0, 1, [16, 8]);
    const g = nd.random.normal(0, 1, [16, 8]);
    const st = opt.createState(0, w);
    opt.update(0, w, g, st);
    const before = nd.memory();
    for (let k = 0; k < 100; k++) opt.update(0, w, g, st);
    const after = nd.memory();
    assert.ok(after.arrays <= before.arrays, `${name}: live arrays`);
    assert.ok(after.bytes <= before.bytes, `${name}: live bytes ${before.bytes} -> ${after.bytes}`); // resident bytes may fall (idle arrays only the GC holds move out of the heap), never grow
    for (const v of w.dataSync()) assert.ok(Number.isFinite(v), `${name}: finite weights`);
    [w, g, ...st].forEach((a: NDArray) => a.dispose());
  }
});

test('a custom optimizer registers and runs through the base class', () => {
  class SignSGD extends optimizer.Optimizer {
    readonly kind = 'signsgd';
    protected applyUpdate(_i: number, w: NDArray, g: NDArray, _s: NDArray[], lr: number): void {
      w.isub(g.sign().mul(lr));
    }
  }
  optimizer.register('signsgd', SignSGD);
  const opt = optimizer.create('signsgd', { learningRate: 0.5 });
  const w = nd.array([1, 1, 1]);
  opt.update(0, w, nd.array([3, -0.1, 0]), []);
  assert.deepEqual(Array.from(w.dataSync()), [0.5, 1.5, 1]);
});

test('nonsensical hyperparameters are ValueErrors naming the optimizer and the option (epsilon 0 turned Adam weights into NaN)', () => {
  const bad = (fn: () => unknown, ...patterns: RegExp[]) =>
    assert.throws(fn, (e: Error) => e instanceof ValueError && patterns.every((p) => p.test(e.message)));
  for (const [name, cls] of [
    ['adam', optimizer.Adam],
    ['adamw', optimizer.AdamW],
    ['adagrad', optimizer.AdaGrad],
    ['adadelta', optimizer.AdaDelta],
    ['rmsprop', optimizer.RMSProp],
  ] as const) {
    for (const eps of [0, -1e-8, NaN, Infinity]) {
      bad(() => optimizer.create(name, { epsilon: eps }), new RegExp(`^${cls.name}:`), /epsilon/, new RegExp(String(eps)));
      bad(() => new cls({ epsilon: eps }), /epsilon must be a positive/);
    }
  }
  bad(() => optimizer.create('sgd', { learningRate: -0.1 }), /^SGD:/, /learningRate/);
  bad(() => optimizer.create('sgd', { momentum: -0.9 }), /^SGD:/, /momentum/);
  bad(() => optimizer.create('adam', { beta1: 1 }), /^Adam:/, /beta1/);
  // Constructed directly (not through create): unknown keys are caught too, with the valid ones listed.
  bad(() => new optimizer.Adam({ epsilonn: 1e-8 } as never), /^Adam: unknown option 'epsilonn'/, /did you mean 'epsilon'/, /beta1/);
  // Sensible values still work: one step of Adam with a tiny epsilon stays finite.
  const w = nd.array([1, -2, 0]);
  const opt = new optimizer.Adam({ learningRate: 0.1, epsilon: 1e-12 });
  opt.update(0, w, nd.array([0.5, 0, 0]), opt.createState(0, w));
  assert.ok(w.toArray().every((v: unknown) => Number.isFinite(v as number)));
});
