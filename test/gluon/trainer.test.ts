import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nd from '../../src/ndarray/nd.js';
import * as autograd from '../../src/autograd/index.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { ValueError, ShapeError } from '../../src/core/errors.js';
import { Parameter, ParameterDict } from '../../src/gluon/parameter.js';
import { Trainer, StaleGradientError } from '../../src/gluon/trainer.js';
import * as optimizer from '../../src/gluon/optimizer/index.js';
import { FactorScheduler, MultiFactorScheduler } from '../../src/gluon/lr-scheduler.js';
import { SoftmaxCrossEntropyLoss, L2Loss } from '../../src/gluon/loss.js';
import * as nn from '../../src/gluon/nn/index.js';
import * as init from '../../src/gluon/init.js';
import { ArrayDataset, DataLoader } from '../../src/gluon/data/index.js';
import { readSafetensors, saveSafetensors } from '../../src/gluon/safetensors.js';

const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** A parameter holding `values` (float32 unless given), initialized and with a gradient buffer. */
function param(name: string, values: number[], dtype: 'float32' | 'float64' = 'float32'): Parameter {
  const p = new Parameter(name, { shape: [values.length], dtype });
  p.setData(nd.array(values, { dtype }));
  return p;
}

/** backward of sum(c · w) for each parameter, so grad(w) = c. */
function backwardLinear(params: Parameter[], coefs: number[][]): void {
  const l = autograd.record(() => {
    let total: NDArray | null = null;
    params.forEach((p, i) => {
      const t = p
        .data()
        .mul(nd.array(coefs[i], { dtype: p.dtype }))
        .sum();
      total = total ? total.add(t) : t;
    });
    return total!;
  });
  l.backward();
  l.dispose();
}

function values(p: Parameter): number[] {
  return Array.from(p.data().dataSync());
}

function near(a: number[], b: number[], tol = 1e-6, msg = ''): void {
  assert.equal(a.length, b.length, msg);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol * (1 + Math.abs(b[i])), `${msg}[${i}]: ${v} vs ${b[i]}`));
}

test('step(batchSize) divides the gradients by batchSize (times rescaleGrad) and updates in place', () => {
  const w = param('w', [1, 2, 3]);
  const arr = w.data();
  const trainer = new Trainer([w], 'sgd', { learningRate: 0.1 });
  backwardLinear([w], [[4, 8, -4]]);
  trainer.step(4);
  near(values(w), [1 - 0.1, 2 - 0.2, 3 + 0.1]);
  assert.equal(w.data(), arr, 'the parameter keeps its NDArray');
  near(Array.from(w.grad().dataSync()), [4, 8, -4], 0, 'gradients are not modified');
  // rescaleGrad multiplies 1/batchSize
  const v = param('v', [0]);
  const t2 = new Trainer([v], 'sgd', { learningRate: 1, rescaleGrad: 3 });
  backwardLinear([v], [[2]]);
  t2.step(2);
  near(values(v), [-3]);
});

test('a ParameterDict (collectParams) works; shared parameters are updated once; gradReq null is skipped', () => {
  const a = param('a', [1]);
  const b = param('b', [1]);
  b.setGradReq('null');
  const pd = new ParameterDict();
  pd.set('a', a);
  pd.set('b', b);
  const trainer = new Trainer(pd, 'sgd', { learningRate: 0.5 });
  assert.equal(trainer.parameters.length, 2);
  const shared = new Trainer([a, a], 'sgd', { learningRate: 0.5 });
  assert.equal(shared.parameters.length, 1);
  backwardLinear([a], [[1]]);
  trainer.step(1);
  near(values(a), [0.5]);
  near(values(b), [1]);
});

test('step() before backward and a stale gradient are clear errors; ignoreStaleGrad skips those parameters', () => {
  const w = param('dense0_weight', [1, 1]);
  const u = param('dense1_weight', [1, 1]);
  const trainer = new Trainer([w, u], 'sgd', { learningRate: 1 });
  assert.throws(
    () => trainer.step(1),
    (e: Error) =>
      e instanceof StaleGradientError &&
      /Parameter 'dense0_weight'.*has not been updated by backward.*ignoreStaleGrad: true/s.test(e.message),
  );
  backwardLinear(
    [w, u],
    [
      [1, 1],
      [1, 1],
    ],
  );
  trainer.step(1);
  near(values(w), [0, 0]);
  // only w gets a new gradient: u's is stale
  backwardLinear([w], [[1, 1]]);
  assert.throws(() => trainer.step(1), /Parameter 'dense1_weight'/);
  near(values(w), [0, 0], 0, 'nothing was updated by the failed step');
  trainer.step(1, { ignoreStaleGrad: true });
  near(values(w), [-1, -1]);
  near(values(u), [0, 0], 0, 'the stale parameter was skipped');
  // a parameter that was never initialized
  const deferred = new Parameter('late', { shape: [0] });
  const t2 = new Trainer([deferred], 'sgd');
  assert.throws(() => t2.step(1), /Parameter 'late' has not been initialized/);
  t2.step(1, { ignoreStaleGrad: true });
});

test('constructor errors: unknown optimizer, unknown option, params of the wrong kind, options with an instance', () => {
  const w = param('w', [1]);
  assert.throws(
    () => new Trainer([w], 'sdg'),
    (e: Error) =>
      e instanceof ValueError &&
      /unknown optimizer 'sdg'; valid names are: adadelta, adagrad, adam, adamw, nag, rmsprop, sgd/.test(e.message),
  );
  assert.throws(() => new Trainer([w], 'sgd', { learning_rate: 0.1 }), /unknown option 'learning_rate'/);
  assert.throws(() => new Trainer(w as unknown as Parameter[], 'sgd'), /params must be a ParameterDict.*got Parameter/);
  assert.throws(() => new Trainer([nd.zeros([1]) as unknown as Parameter], 'sgd'), /element 0 of params is not a Parameter/);
  assert.throws(() => new Trainer([w], optimizer.create('sgd'), { learningRate: 1 }), /optimizerParams must be empty/);
  assert.throws(() => new Trainer([w], 'sgd').step(0), /batchSize must be a positive number/);
});

test('learningRate getter, setLearningRate, and a schedule in charge', () => {
  const w = param('w', [0]);
  const trainer = new Trainer([w], 'sgd', { learningRate: 0.1 });
  assert.equal(trainer.learningRate, 0.1);
  trainer.setLearningRate(0.01);
  assert.equal(trainer.learningRate, 0.01);
  backwardLinear([w], [[1]]);
  trainer.step(1);
  near(values(w), [-0.01]);
  const s = new Trainer([w], 'sgd', { lrScheduler: new MultiFactorScheduler([1, 2], { factor: 0.5, baseLr: 1 }) });
  assert.throws(() => s.setLearningRate(0.5), /LRScheduler is defined/);
  // updates 1, 2, 3 use lr 1, 0.5, 0.25
  const start = values(w)[0];
  const seen: number[] = [];
  for (let k = 0; k < 3; k++) {
    backwardLinear([w], [[1]]);
    const before = values(w)[0];
    s.step(1);
    seen.push(before - values(w)[0]);
    assert.equal(s.learningRate, [1, 0.5, 0.25][k]);
  }
  near(seen, [1, 0.5, 0.25]);
  near(values(w), [start - 1.75]);
  // a FactorScheduler through the Trainer
  const f = new Trainer([w], 'sgd', { learningRate: 2, lrScheduler: new FactorScheduler(1, { factor: 0.1 }) });
  assert.equal(f.learningRate, 2);
});

test('allreduceGrads() + update() equals step(); weight decay and lrMult/wdMult come from the parameters', () => {
  const a1 = param('a', [1, -2]);
  const a2 = param('a', [1, -2]);
  const t1 = new Trainer([a1], 'sgd', { learningRate: 0.1, wd: 0.5, momentum: 0.9 });
  const t2 = new Trainer([a2], 'sgd', { learningRate: 0.1, wd: 0.5, momentum: 0.9 });
  for (let k = 0; k < 3; k++) {
    backwardLinear([a1], [[1, 3]]);
    backwardLinear([a2], [[1, 3]]);
    t1.step(2);
    t2.allreduceGrads();
    t2.update(2);
  }
  near(values(a1), values(a2), 0);
  const b = param('b', [1]);
  b.lrMult = 2;
  b.wdMult = 0;
  const tb = new Trainer([b], 'sgd', { learningRate: 0.1, wd: 0.5 });
  backwardLinear([b], [[1]]);
  tb.step(1);
  near(values(b), [1 - 0.2]);
});

test('step() called while recording still updates outside the graph', () => {
  const w = param('w', [1]);
  const trainer = new Trainer([w], 'adam', { learningRate: 0.1 });
  backwardLinear([w], [[1]]);
  autograd.record(() => trainer.step(1));
  near(values(w), [0.9], 1e-5);
});

test('saveStates / loadStates round-trip: a resumed trainer continues exactly (adam, momentum sgd)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'd2l-trainer-'));
  for (const [name, opts] of [
    ['adam', { learningRate: 0.1, wd: 0.01 }],
    ['sgd', { learningRate: 0.1, momentum: 0.9, lrScheduler: new FactorScheduler(2, { factor: 0.5 }) }],
    ['rmsprop', { learningRate: 0.01, centered: true }],
  ] as [string, Record<string, unknown>][]) {
    const p = [param('w', [1, 2, 3]), param('b', [0.5])];
    const t = new Trainer(p, name, { ...opts });
    const coefs = [[0.3, -1, 2], [1]];
    for (let k = 0; k < 3; k++) {
      backwardLinear(p, coefs);
      t.step(1);
    }
    const path = join(dir, `${name}.states`);
    t.saveStates(path);
    // a second model with the same weights, fresh trainer (its schedule recreated), then load
    const q = [param('w', values(p[0])), param('b', values(p[1]))];
    const o2 = { ...opts };
    if (opts.lrScheduler) o2.lrScheduler = new FactorScheduler(2, { factor: 0.5 });
    const t2 = new Trainer(q, name, o2);
    t2.loadStates(path);
    assert.equal(t2.optimizer.numUpdate, 3);
    assert.equal(t2.learningRate, t.learningRate);
    for (let k = 0; k < 2; k++) {
      backwardLinear(p, coefs);
      backwardLinear(q, coefs);
      t.step(1);
      t2.step(1);
    }
    near(values(q[0]), values(p[0]), 0, `${name} w`);
    near(values(q[1]), values(p[1]), 0, `${name} b`);
    // loading again overwrites the existing state arrays in place
    const st = (t2 as unknown as { states: Map<number, NDArray[]> }).states.get(0)!;
    const first = st[0];
    t2.loadStates(path);
    assert.equal((t2 as unknown as { states: Map<number, NDArray[]> }).states.get(0)![0], first);
  }
  // no temporary files are left behind
  assert.deepEqual(readdirSync(dir).sort(), ['adam.states', 'rmsprop.states', 'sgd.states']);
});

test('saveStates writes a safetensors file; loadStates rejects another optimizer, other shapes, bad files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'd2l-trainer-'));
  const w = param('w', [1, 2]);
  const t = new Trainer([w], 'adam');
  backwardLinear([w], [[1, 1]]);
  t.step(1);
  const path = join(dir, 'a.states');
  t.saveStates(path);
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  assert.deepEqual(header['0.0'].shape, [2]);
  assert.equal(header['0.0'].dtype, 'F32');
  assert.equal(header.__metadata__.optimizer, 'adam');
  assert.equal(bytes.length, 8 + n + 2 * 2 * 4);
  assert.throws(
    () => new Trainer([param('w', [1, 2])], 'sgd', { momentum: 0.9 }).loadStates(path),
    /holds adam states but this trainer uses sgd/,
  );
  assert.throws(
    () => new Trainer([param('w', [1, 2, 3])], 'adam').loadStates(path),
    (e: Error) => e instanceof ShapeError && /state '0.0'.*\(2,\).*'w'.*\(3,\)/.test(e.message),
  );
  assert.throws(() => new Trainer([], 'adam').loadStates(path), /states for parameter #0 but this trainer has 0 parameters/);
  const junk = join(dir, 'junk');
  writeFileSync(junk, 'not a states file');
  assert.throws(() => t.loadStates(junk), /not a valid safetensors file/);
  assert.throws(() => t.loadStates(join(dir, 'missing')), /missing/);
});

test('every optimizer through the Trainer: 200 steps leave live arrays and bytes flat', () => {
  for (const name of optimizer.names().filter((n) => n !== 'signsgd')) {
    const p = [param('w', [0.1, 0.2, 0.3, 0.4]), param('b', [0])];
    const t = new Trainer(p, name, name === 'sgd' || name === 'nag' ? { momentum: 0.9, wd: 1e-3 } : { wd: 1e-3 });
    const x = nd.array([
      [1, 2, 3, 4],
      [0, 1, 0, 1],
    ]);
    const y = nd.array([1, 0]);
    const loss = new L2Loss();
    // tidy frees the forward pass's intermediates (the GC would, but later than nd.memory() looks)
    const stepOnce = () =>
      nd.tidy(() => {
        const l = autograd.record(() => loss.forward(nd.dot(x, p[0].data()).add(p[1].data()), y));
        l.backward();
        t.step(2);
      });
    for (let k = 0; k < 5; k++) stepOnce();
    gc();
    const before = nd.memory();
    for (let k = 0; k < 200; k++) stepOnce();
    gc();
    const after = nd.memory();
    assert.ok(after.arrays <= before.arrays, `${name}: live arrays`);
    assert.ok(after.bytes <= before.bytes, `${name}: live bytes ${before.bytes} -> ${after.bytes}`); // resident bytes may fall (idle arrays only the GC holds move out of the heap), never grow
  }
});

test('concise softmax regression (nn.Dense + SoftmaxCrossEntropyLoss + sgd) reaches >= 95% training accuracy in 300 steps, memory flat', () => {
  nd.seed(7);
  const n = 2000,
    d = 20,
    k = 5,
    batch = 100;
  const X = nd.random.normal(0, 1, [n, d]);
  const Wtrue = nd.random.normal(0, 1, [d, k]);
  const y = nd.dot(X, Wtrue).argmax({ axis: 1 }); // linearly separable by construction
  const net = new nn.Sequential();
  net.add(new nn.Dense(k));
  net.initialize(new init.Normal(0.01));
  const loss = new SoftmaxCrossEntropyLoss();
  const trainer = new Trainer(net.collectParams(), 'sgd', { learningRate: 0.5 });
  const accuracy = () =>
    nd.tidy(() => {
      const pred = net.forward(X).argmax({ axis: 1 });
      return pred.equal(y).astype('float32').mean().asScalar();
    });
  let mem10: { arrays: number; bytes: number } | null = null;
  let idsBefore: NDArray[] = [];
  for (let step = 0; step < 300; step++) {
    const i = (step * batch) % n;
    nd.tidy(() => {
      const Xb = X.get(`${i}:${i + batch}`);
      const yb = y.get(`${i}:${i + batch}`);
      const l = autograd.record(() => loss.forward(net.forward(Xb), yb));
      l.backward();
      trainer.step(batch);
    });
    if (step === 0)
      idsBefore = net
        .collectParams()
        .values()
        .map((p) => p.data());
    if (step === 9) {
      gc();
      mem10 = nd.memory();
    }
  }
  gc();
  const mem300 = nd.memory();
  assert.ok(mem300.arrays <= mem10!.arrays, 'live arrays flat from step 10 to step 300');
  assert.ok(mem300.bytes <= mem10!.bytes, `live bytes flat from step 10 to step 300: ${mem10!.bytes} -> ${mem300.bytes}`); // resident bytes may fall (idle arrays only the GC holds move out of the heap), never grow
  net
    .collectParams()
    .values()
    .forEach((p, i) => assert.equal(p.data(), idsBefore[i], 'parameters keep their arrays'));
  const acc = accuracy();
  assert.ok(acc >= 0.95, `training accuracy ${acc} < 0.95`);
});

test('nd.random.getState / setState: JSON round trip continues the same sequence; bad states are clear errors', () => {
  nd.random.seed(7);
  nd.random.normal(0, 1, [3]); // leaves a spare Box-Muller value
  const st = JSON.parse(JSON.stringify(nd.random.getState()));
  assert.equal(st.algorithm, 'xoshiro128**');
  assert.equal(typeof st.spare, 'number');
  const a = [...nd.random.normal(0, 1, [5]).dataSync(), ...nd.random.uniform(0, 1, [3]).dataSync()];
  nd.random.seed(123);
  nd.random.setState(st);
  const b = [...nd.random.normal(0, 1, [5]).dataSync(), ...nd.random.uniform(0, 1, [3]).dataSync()];
  assert.deepEqual(b, a);
  const before = nd.random.getState();
  for (const [bad, re] of [
    [null, /got null/],
    [{ ...st, algorithm: 'mt19937' }, /algorithm is "mt19937"/],
    [{ ...st, s: [1, 2, 3] }, /s is \[1,2,3\], not 4 integers/],
    [{ ...st, s: [0, 0, 0, 0] }, /all zeros/],
    [{ ...st, s: [1, 2, 3, 2 ** 32] }, /not 4 integers in \[0, 2\^32\)/],
    [{ ...st, spare: 'x' }, /spare is "x"/],
    [{ ...st, extra: 1 }, /unknown fields extra/],
  ] as [unknown, RegExp][])
    assert.throws(
      () => nd.random.setState(bad as never),
      (e: Error) => e instanceof ValueError && /^random\.setState: /.test(e.message) && re.test(e.message),
      String(re),
    );
  assert.deepEqual(nd.random.getState(), before, 'a refused state changes nothing');
});

test('a shuffled run interrupted and resumed from a checkpoint (parameters + trainer states) ends with exactly the same parameters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'd2l-resume-'));
  const X = nd.arange(48).reshape([24, 2]).div(48);
  const y = X.sum({ axis: 1 }).mul(2).add(1);
  const ds = new ArrayDataset(X, y);
  const makeNet = () => {
    const net = new nn.Sequential();
    net.add(new nn.Dense(4, { inUnits: 2, activation: 'relu' }), new nn.Dropout(0.3), new nn.Dense(1, { inUnits: 4 }));
    net.initialize(new init.Normal(0.5));
    return net;
  };
  const loss = new L2Loss();
  const epoch = (net: nn.Sequential, trainer: Trainer, loader: DataLoader) => {
    for (const [Xb, yb] of loader) {
      const l = autograd.record(() => loss.forward(net.forward(Xb), yb));
      l.backward();
      trainer.step(Xb.shape[0]);
    }
  };
  const paramsOf = (net: nn.Sequential) => [...net.structuredParams()].map(([k, p]) => [k, Array.from(p.data().dataSync())]);

  // Uninterrupted: 3 epochs.
  nd.random.seed(11);
  const a = makeNet();
  const ta = new Trainer(a.collectParams(), 'adam', { learningRate: 0.05 });
  const la = new DataLoader(ds, { batchSize: 5, shuffle: true });
  for (let e = 0; e < 3; e++) epoch(a, ta, la);

  // Interrupted after epoch 1, checkpointed, then resumed in a "new process" (fresh objects, other seed).
  nd.random.seed(11);
  const b = makeNet();
  const tb = new Trainer(b.collectParams(), 'adam', { learningRate: 0.05 });
  epoch(b, tb, new DataLoader(ds, { batchSize: 5, shuffle: true }));
  b.saveParameters(join(dir, 'net.params'));
  tb.saveStates(join(dir, 'trainer.states'));
  nd.random.seed(999);
  const c = makeNet();
  c.loadParameters(join(dir, 'net.params'));
  const tc = new Trainer(c.collectParams(), 'adam', { learningRate: 0.05 });
  tc.loadStates(join(dir, 'trainer.states'));
  const lc = new DataLoader(ds, { batchSize: 5, shuffle: true });
  for (let e = 1; e < 3; e++) epoch(c, tc, lc);
  assert.deepEqual(paramsOf(c), paramsOf(a));

  // Without restoring the generator the resumed run differs (so the test above is not vacuous).
  nd.random.seed(999);
  const d = makeNet();
  d.loadParameters(join(dir, 'net.params'));
  const td = new Trainer(d.collectParams(), 'adam', { learningRate: 0.05 });
  td.loadStates(join(dir, 'trainer.states'), { restoreRandomState: false });
  for (let e = 1; e < 3; e++) epoch(d, td, new DataLoader(ds, { batchSize: 5, shuffle: true }));
  assert.notDeepEqual(paramsOf(d), paramsOf(a));

  // A checkpoint whose generator state is damaged is refused before anything changes.
  const { tensors, metadata } = readSafetensors(join(dir, 'trainer.states'));
  assert.equal(JSON.parse(metadata.random).algorithm, 'xoshiro128**');
  saveSafetensors(join(dir, 'bad.states'), tensors, { ...metadata, random: '{"algorithm":"xoshiro128**","s":[0,0,0,0],"spare":null}' });
  const st = nd.random.getState();
  assert.throws(() => tc.loadStates(join(dir, 'bad.states')), /'.*bad\.states' has an unusable random generator state: .*all zeros/);
  assert.deepEqual(nd.random.getState(), st);
  tc.loadStates(join(dir, 'bad.states'), { restoreRandomState: false }); // the optimizer state alone is fine
});
