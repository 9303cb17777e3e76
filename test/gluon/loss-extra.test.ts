// Gluon 1.x's HuberLoss, HingeLoss, SquaredHingeLoss, LogisticLoss, KLDivLoss,
// CosineEmbeddingLoss and TripletLoss: hand-computed cases of MXNet's formulas, PyTorch's
// equivalents where PyTorch has one, weight / sampleWeight / batchAxis, float64 gradient checks
// against finite differences, and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, NDArray, ShapeError, ValueError, D2LError } from '../../src/index.js';
import { loss as L } from '../../src/gluon/index.js';
import { assertClose } from '../helpers.js';

/** ((i * mul) % mod - off) / div over a row-major index, in float64: the same sequence as the PyTorch script. */
function seq(shape: number[], mul = 7, mod = 11, off = 5, div = 4): NDArray {
  const n = shape.reduce((a, b) => a * b, 1);
  return nd.array(
    Array.from({ length: n }, (_, i) => (((i * mul) % mod) - off) / div),
    { shape, dtype: 'float64' },
  );
}

const f64 = (v: number[] | number[][], shape?: number[]) => nd.array(v, { dtype: 'float64', ...(shape ? { shape } : {}) });

function throwsTyped(fn: () => unknown, cls: new (...a: never[]) => Error, ...patterns: RegExp[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${cls.name}, nothing was thrown`);
  assert.ok(err instanceof cls, `expected ${cls.name}, got ${(err as Error).name}: ${(err as Error).message}`);
  assert.ok(err instanceof D2LError);
  for (const p of patterns) assert.match((err as Error).message, p);
}

/** Gradients of sum(f(...xs) · R) in every differentiable input against central differences (float64). */
function gradCheck(f: (...xs: NDArray[]) => NDArray, xs: NDArray[], diff: boolean[], tol = 1e-6): void {
  const R = seq([...f(...xs).shape], 3, 13, 6, 5);
  xs.forEach((x, i) => diff[i] && x.attachGrad());
  autograd
    .record(() =>
      f(...xs)
        .mul(R)
        .sum(),
    )
    .backward();
  const obj = () =>
    nd.tidy(() =>
      f(...xs)
        .mul(R)
        .sum()
        .asScalar(),
    );
  xs.forEach((x, i) => {
    if (!diff[i]) return;
    const flat = x.reshape([x.size]);
    const g = new Float64Array(x.size);
    for (let k = 0; k < x.size; k++) {
      const v = flat.get([k]).asScalar();
      flat.set([k], v + 1e-6);
      const fp = obj();
      flat.set([k], v - 1e-6);
      const fm = obj();
      flat.set([k], v);
      g[k] = (fp - fm) / 2e-6;
    }
    assertClose(x.grad, g, tol, `input ${i}`);
  });
}

// The PyTorch references below: PyTorch 1.13 in float64 on the same seq() inputs, p = seq([3, 4]),
// l = seq([3, 4], 3, 5, 2, 2), losses with reduction='none' then .mean(1) (per sample, as Gluon).
const P = () => seq([3, 4]);
const Lb = () => seq([3, 4], 3, 5, 2, 2);
const SIGNS = [-1, 1, 1, -1, 1, -1, 1, -1, 1, 1, -1, 1];

test('HuberLoss: MXNet formula by hand, rho, PyTorch smooth_l1_loss(beta=rho), weights, gradients', () => {
  const h = new L.HuberLoss();
  // d = |pred - label| = 0.5, 1, 3: ½ d² (d ≤ 1), d − ½ beyond.
  assertClose(h.forward(f64([[0.5, -1, 3]]), f64([0, 0, 0])), [(0.125 + 0.5 + 2.5) / 3], 1e-12);
  assert.equal(h.toString(), 'HuberLoss(batch_axis=0, w=None)');
  // F.smooth_l1_loss(p, l, reduction='none', beta=0.7).mean(1)
  assertClose(new L.HuberLoss({ rho: 0.7 }).forward(P(), Lb()), [0.022321428571428572, 0.11160714285714285, 0.9624999999999999], 1e-12);
  // weight, sampleWeight (per sample) and batchAxis 1 (average over axis 0).
  const sw = f64([[1], [0], [2]]);
  assertClose(
    new L.HuberLoss({ rho: 0.7, weight: 3 }).forward(P(), Lb(), sw),
    [3 * 0.022321428571428572, 0, 6 * 0.9624999999999999],
    1e-12,
  );
  const colwise = new L.HuberLoss({ batchAxis: 1 }).forward(P(), Lb());
  assert.deepEqual(colwise.shape, [4]);
  const d = P().sub(Lb()).abs();
  const elem = nd.where(d.greater(1), d.sub(0.5), d.square().mul(0.5));
  assertClose(colwise, elem.mean({ axis: 0 }), 1e-12);
  gradCheck((p, y) => new L.HuberLoss({ rho: 0.6 }).forward(p, y), [P(), Lb()], [true, true]);
  throwsTyped(() => new L.HuberLoss({ rho: 0 }), ValueError, /HuberLoss: rho must be > 0/);
  throwsTyped(() => new L.HuberLoss({ margin: 1 } as never), ValueError, /HuberLoss: unknown option 'margin'/, /weight, batchAxis, rho/);
  throwsTyped(() => h.forward(P(), f64([1, 2, 3])), ShapeError, /^HuberLoss: label of shape \(3,\)/, /\(3, 4\)/);
});

test('HingeLoss and SquaredHingeLoss: max(0, margin − pred·label) (squared), by hand, margins, weights, gradients', () => {
  const pred = f64([
    [0.3, -2, 0.5],
    [1.5, 0.2, -0.4],
  ]);
  const label = f64([
    [1, -1, -1],
    [1, -1, 1],
  ]);
  // row 0: 0.7, 0, 1.5; row 1: 0, 1.2, 1.4
  assertClose(new L.HingeLoss().forward(pred, label), [2.2 / 3, 2.6 / 3], 1e-12);
  assertClose(new L.SquaredHingeLoss().forward(pred, label), [(0.49 + 2.25) / 3, (1.44 + 1.96) / 3], 1e-12);
  // margin 0.5: row 0: 0.2, 0, 1; row 1: 0, 0.7, 0.9
  assertClose(new L.HingeLoss({ margin: 0.5 }).forward(pred, label), [1.2 / 3, 1.6 / 3], 1e-12);
  assertClose(
    new L.SquaredHingeLoss({ margin: 0.5, weight: 2 }).forward(pred, label),
    [(2 * (0.04 + 1)) / 3, (2 * (0.49 + 0.81)) / 3],
    1e-12,
  );
  // A flat label of the same size is reshaped to pred's shape (Gluon's _reshape_like).
  assertClose(new L.HingeLoss().forward(pred, label.reshape([6])), [2.2 / 3, 2.6 / 3], 1e-12);
  const sw = f64([[1, 0, 2]]);
  assertClose(new L.HingeLoss().forward(pred, label, sw), [(0.7 + 3) / 3, 2.8 / 3], 1e-12);
  // Away from the kinks (none of |margin − pred·label| is tiny here).
  const s = f64(SIGNS, [3, 4]);
  gradCheck((p) => new L.HingeLoss({ margin: 0.9 }).forward(p, s), [P()], [true]);
  gradCheck((p, y) => new L.SquaredHingeLoss().forward(p, y), [P(), Lb()], [true, true]);
  throwsTyped(() => new L.HingeLoss({ margin: NaN }), ValueError, /HingeLoss: margin must be a finite number/);
  throwsTyped(() => new L.SquaredHingeLoss().forward(pred, 1 as never), ValueError, /SquaredHingeLoss: label must be an NDArray/);
});

test('LogisticLoss: log(1 + exp(−pred·label)), stable for large logits, signed and binary labels, PyTorch soft_margin_loss, gradients', () => {
  const lg = new L.LogisticLoss();
  assertClose(lg.forward(f64([[0, 2]]), f64([[1, -1]])), [(Math.LN2 + Math.log1p(Math.exp(2))) / 2], 1e-12);
  // F.soft_margin_loss(p, signs, reduction='none').mean(1)
  const s = f64(SIGNS, [3, 4]);
  assertClose(lg.forward(P(), s), [0.8005030327627398, 0.492304823517978, 0.9445002987143349], 1e-12);
  // 'binary' labels 0/1 give the same values as the signed ones they stand for.
  assertClose(new L.LogisticLoss({ labelFormat: 'binary' }).forward(P(), s.add(1).div(2)), lg.forward(P(), s), 1e-12);
  // Logits of ±1000: finite, the loss is |pred| where the sign is wrong and 0 where it is right.
  assertClose(lg.forward(f64([[1000, -1000, 1000]]), f64([[-1, -1, 1]])), [1000 / 3], 1e-9);
  // P() holds a 0, where the kinks of MXNet's relu/abs form would give a wrong gradient.
  gradCheck((p) => lg.forward(p, s), [P()], [true]);
  throwsTyped(() => new L.LogisticLoss({ labelFormat: 'bin' as never }), ValueError, /labelFormat must be 'signed' or 'binary'/);
});

test('KLDivLoss: label · (log(label + 1e-12) − pred), fromLogits default true, PyTorch kl_div, axis, gradients', () => {
  const q = nd.softmax(Lb(), { axis: 1 });
  const kl = new L.KLDivLoss({ fromLogits: false });
  // F.kl_div(F.log_softmax(p, 1), softmax(l, 1), reduction='none').mean(1)
  const expected = [0.002899110635313354, 0.0017947972835824291, 0.1981580587861662];
  assertClose(kl.forward(P(), q), expected, 1e-9);
  // The default takes log-probabilities.
  assertClose(new L.KLDivLoss().forward(nd.logSoftmax(P(), { axis: 1 }), q), expected, 1e-9);
  // By hand: pred = log([0.25, 0.75]), label [0.5, 0.5].
  const byHand = 0.5 * (Math.log(0.5) - Math.log(0.25)) + 0.5 * (Math.log(0.5) - Math.log(0.75));
  assertClose(new L.KLDivLoss().forward(f64([[Math.log(0.25), Math.log(0.75)]]), f64([[0.5, 0.5]])), [byHand / 2], 1e-10);
  // axis 0: softmax over the batch axis.
  const k0 = new L.KLDivLoss({ fromLogits: false, axis: 0 }).forward(P(), nd.softmax(Lb(), { axis: 0 }));
  const logp0 = nd.logSoftmax(P(), { axis: 0 });
  const q0 = nd.softmax(Lb(), { axis: 0 });
  assertClose(k0, q0.mul(q0.add(1e-12).log().sub(logp0)).mean({ axis: 1 }), 1e-12);
  gradCheck((p) => kl.forward(p, q), [P()], [true]);
  throwsTyped(
    () => kl.forward(P(), f64([1, 2, 3])),
    ShapeError,
    /^KLDivLoss: label of shape \(3,\) does not broadcast against pred of shape \(3, 4\)/,
  );
  throwsTyped(
    () => new L.KLDivLoss({ fromLogit: true } as never),
    ValueError,
    /unknown option 'fromLogit' \(did you mean 'fromLogits'\?\)/,
  );
});

test('CosineEmbeddingLoss: 1 − cos for label 1, max(0, cos − margin) for −1, PyTorch cosine_embedding_loss, weights, gradients', () => {
  const c = new L.CosineEmbeddingLoss();
  const a = f64([
    [1, 0],
    [1, 1],
    [3, 4],
    [1, 0],
  ]);
  const b = f64([
    [0, 1],
    [1, 1],
    [4, 3],
    [-1, 0],
  ]);
  // cos = 0, 1, 0.96, -1
  assertClose(c.forward(a, b, f64([1, -1, 1, -1])), [1, 1, 0.04, 0], 1e-12);
  assertClose(new L.CosineEmbeddingLoss({ margin: 0.5 }).forward(a, b, f64([-1, -1, -1, 1])), [0, 0.5, 0.46, 2], 1e-12);
  // F.cosine_embedding_loss(p, l, [1, -1, -1], margin=0.1, reduction='none')
  const y = f64([1, -1, -1]);
  assertClose(new L.CosineEmbeddingLoss({ margin: 0.1 }).forward(P(), Lb(), y), [0.003454241755457166, 0.7006407690249223, 0], 1e-9);
  // weight and per-sample weights; the result has one value per pair.
  const wl = new L.CosineEmbeddingLoss({ weight: 2 }).forward(a, b, f64([1, -1, 1, -1]), f64([[1], [0.5], [0], [1]]));
  assert.deepEqual(wl.shape, [4]);
  assertClose(wl, [2, 1, 0, 0], 1e-12);
  gradCheck((x1, x2) => new L.CosineEmbeddingLoss({ margin: 0.1 }).forward(x1, x2, y), [P(), Lb()], [true, true]);
  throwsTyped(() => c.forward(a, b, f64([1, -1])), ShapeError, /CosineEmbeddingLoss: label must hold one value/, /expected 4 values/);
  throwsTyped(() => c.forward(seq([2, 2, 2]), seq([2, 2, 2]), f64([1, 1])), ShapeError, /must be 2-D \(batch, dim\)/);
  throwsTyped(() => c.forward(a, b, null), ValueError, /CosineEmbeddingLoss: label must be an NDArray/);
});

test('TripletLoss: max(0, ‖p − pos‖² − ‖p − neg‖² + margin) summed over non-batch axes, by hand, weight, batchAxis, gradients', () => {
  const t = new L.TripletLoss();
  const p = f64([
    [0, 0],
    [1, 1],
  ]);
  const pos = f64([
    [1, 0],
    [1, 2],
  ]);
  const neg = f64([
    [0, 0.5],
    [4, 5],
  ]);
  // sample 0: 1 − 0.25 + 1 = 1.75; sample 1: 1 − 25 + 1 < 0 → 0
  assertClose(t.forward(p, pos, neg), [1.75, 0], 1e-12);
  assertClose(new L.TripletLoss({ margin: 30, weight: 0.5 }).forward(p, pos, neg), [0.5 * 30.75, 0.5 * 6], 1e-12);
  // batchAxis 1: sums over axis 0.
  assertClose(new L.TripletLoss({ batchAxis: 1 }).forward(p, pos, neg), [Math.max(0, 1 - 9 + 1), Math.max(0, 1 - 16.25 + 1)], 1e-12);
  // Flat positives/negatives of the same size are reshaped to pred's shape; 3-D pred sums over 2 axes.
  assertClose(t.forward(p, pos.reshape([4]), neg.reshape([4])), [1.75, 0], 1e-12);
  const p3 = seq([2, 2, 3]);
  const pos3 = seq([2, 2, 3], 3, 5, 2, 2);
  const neg3 = seq([2, 2, 3], 5, 7, 3, 3);
  const exp3 = p3
    .sub(pos3)
    .square()
    .sub(p3.sub(neg3).square())
    .sum({ axis: [1, 2] })
    .add(1)
    .relu();
  assertClose(t.forward(p3, pos3, neg3), exp3, 1e-12);
  gradCheck((a, b, c) => new L.TripletLoss({ margin: 3 }).forward(a, b, c), [p3, pos3, neg3], [true, true, true]);
  throwsTyped(() => t.forward(p, pos, f64([1, 2, 3])), ShapeError, /^TripletLoss: label of shape \(3,\)/);
  throwsTyped(() => t.forward(p, pos), ValueError, /TripletLoss: negative must be an NDArray/);
});

test('the new losses free their temporaries and take float32 input', () => {
  const pred = nd.array([
    [0.3, -2],
    [1, 0.5],
  ]);
  const label = nd.array([
    [1, -1],
    [-1, 1],
  ]);
  const absLabel = label.abs();
  const negLabel = label.neg();
  const pairLabel = nd.array([1, -1]);
  const before = nd.memory().arrays;
  for (const l of [new L.HuberLoss(), new L.HingeLoss(), new L.SquaredHingeLoss(), new L.LogisticLoss(), new L.KLDivLoss()]) {
    const r = l.forward(pred, absLabel);
    assert.equal(r.dtype, 'float32');
    assert.deepEqual(r.shape, [2]);
    r.dispose();
  }
  new L.CosineEmbeddingLoss().forward(pred, label, pairLabel).dispose();
  new L.TripletLoss().forward(pred, label, negLabel).dispose();
  assert.equal(nd.memory().arrays, before);
});
