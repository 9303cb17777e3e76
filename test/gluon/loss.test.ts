import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nd from '../../src/ndarray/nd.js';
import * as autograd from '../../src/autograd/index.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { ShapeError, IndexError } from '../../src/core/errors.js';
import {
  L1Loss,
  L2Loss,
  SigmoidBCELoss,
  SigmoidBinaryCrossEntropyLoss,
  SoftmaxCELoss,
  SoftmaxCrossEntropyLoss,
} from '../../src/gluon/loss.js';
import { sigmoidBinaryCrossEntropy, softmaxCrossEntropy } from '../../src/ops/loss-ops.js';

type Nested = number | Nested[];
function flat(v: NDArray | Nested): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v.flatMap((x) => flat(x));
  return Array.from(v.dataSync());
}
function close(actual: NDArray | Nested, expected: NDArray | Nested, tol = 1e-5, msg = ''): void {
  const a = flat(actual);
  const e = flat(expected);
  assert.equal(a.length, e.length, `${msg} length`);
  a.forEach((v, i) => {
    if (!(Math.abs(v - e[i]) <= tol * (1 + Math.abs(e[i])))) assert.fail(`${msg} element ${i}: ${v} vs ${e[i]}`);
  });
}

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

test('L2Loss: ½(pred − label)² averaged per sample, label reshaped like pred', () => {
  const loss = new L2Loss();
  close(loss.forward(nd.array([[1], [2]]), nd.array([0, 0])), [0.5, 2]);
  close(
    loss.forward(
      nd.array([
        [1, 3],
        [2, 0],
      ]),
      nd.array([
        [0, 1],
        [0, 0],
      ]),
    ),
    [(0.5 + 2) / 2, 1],
  );
  close(new L2Loss({ weight: 2 }).forward(nd.array([[1], [2]]), nd.array([0, 0])), [1, 4]);
  // per-element sample weights
  close(loss.forward(nd.array([[1, 3]]), nd.array([[0, 1]]), nd.array([[2, 0]])), [(2 * 0.5 + 0) / 2]);
  assert.throws(
    () => loss.forward(nd.array([[1], [2]]), nd.array([0, 0, 0])),
    (e: Error) => e instanceof ShapeError && /L2Loss.*\(3,\).*\(2, 1\)/.test(e.message),
  );
});

test('L2Loss gradient is (pred − label)/n per sample, as Gluon', () => {
  const pred = nd.array([
    [1, 3],
    [2, 0],
  ]);
  pred.attachGrad();
  const l = autograd.record(() =>
    new L2Loss().forward(
      pred,
      nd.array([
        [0, 1],
        [0, 0],
      ]),
    ),
  );
  l.backward();
  close(pred.grad, [
    [0.5, 1],
    [1, 0],
  ]);
});

test('L1Loss: |pred − label| averaged per sample, with weight and sampleWeight', () => {
  const loss = new L1Loss();
  close(loss.forward(nd.array([[1, -1]]), nd.array([[0, 0]])), [1]);
  close(
    loss.forward(
      nd.array([
        [1, -3],
        [2, 2],
      ]),
      nd.array([
        [0, 0],
        [0, 0],
      ]),
      nd.array([[1], [0.5]]),
    ),
    [2, 1],
  );
  close(new L1Loss({ weight: 3 }).forward(nd.array([2, -1]), nd.array([0, 0])), [6, 3]);
});

function refSoftmaxCE(logits: number[][], labels: number[]): { loss: number[]; grad: number[][] } {
  const loss: number[] = [];
  const grad: number[][] = [];
  logits.forEach((row, i) => {
    const m = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
    loss.push(Math.log(z) + m - row[labels[i]]);
    grad.push(row.map((v, j) => Math.exp(v - m) / z - (j === labels[i] ? 1 : 0)));
  });
  return { loss, grad };
}

test('SoftmaxCrossEntropyLoss (sparse labels): value and gradient softmax − onehot', () => {
  const logits = [
    [1, 2, 3, 0.5],
    [-1, 0.2, 0.1, 4],
    [0, 0, 0, 0],
  ];
  const labels = [2, 0, 3];
  const ref = refSoftmaxCE(logits, labels);
  const x = nd.array(logits);
  x.attachGrad();
  const l = autograd.record(() => new SoftmaxCrossEntropyLoss().forward(x, nd.array(labels)));
  assert.deepEqual(l.shape, [3]);
  close(l, ref.loss);
  l.backward();
  close(x.grad, ref.grad);
  // labels of shape (N, 1) are accepted too
  close(new SoftmaxCELoss().forward(x, nd.array(labels.map((v) => [v]))), ref.loss);
});

test('SoftmaxCrossEntropyLoss is stable: logits of ±1e4 give a finite loss and gradient', () => {
  const x = nd.array([
    [1e4, 0, -1e4],
    [-1e4, 1e4, 0],
  ]);
  x.attachGrad();
  const l = autograd.record(() => new SoftmaxCrossEntropyLoss().forward(x, nd.array([1, 1])));
  l.backward();
  close(l, [1e4, 0]);
  for (const v of [...l.dataSync(), ...x.grad.dataSync()]) assert.ok(Number.isFinite(v));
  close(x.grad, [
    [1, -1, 0],
    [0, 0, 0],
  ]);
  // the dense-label path is stable too
  const d = new SoftmaxCrossEntropyLoss({ sparseLabel: false }).forward(
    x,
    nd.array([
      [0, 1, 0],
      [0, 1, 0],
    ]),
  );
  close(d, [1e4, 0]);
});

test('SoftmaxCrossEntropyLoss: dense labels, fromLogits, weight, sampleWeight and axis', () => {
  const logits = [
    [0.3, -1, 2],
    [1, 1, 0],
  ];
  const ref = refSoftmaxCE(logits, [2, 0]).loss;
  const x = nd.array(logits);
  close(
    new SoftmaxCrossEntropyLoss({ sparseLabel: false }).forward(
      x,
      nd.array([
        [0, 0, 1],
        [1, 0, 0],
      ]),
    ),
    ref,
  );
  // a distribution over classes
  const soft = new SoftmaxCrossEntropyLoss({ sparseLabel: false }).forward(
    x,
    nd.array([
      [0.5, 0, 0.5],
      [1, 0, 0],
    ]),
  );
  const r1 = refSoftmaxCE(logits, [0, 0]).loss;
  close(soft, [(r1[0] + ref[0]) / 2, ref[1]]);
  // fromLogits: pred are log-probabilities already
  const logp = nd.logSoftmax(x);
  close(new SoftmaxCrossEntropyLoss({ fromLogits: true }).forward(logp, nd.array([2, 0])), ref);
  close(
    new SoftmaxCrossEntropyLoss({ weight: 0.5 }).forward(x, nd.array([2, 0])),
    ref.map((v) => v / 2),
  );
  close(new SoftmaxCrossEntropyLoss().forward(x, nd.array([2, 0]), nd.array([[2], [0]])), [2 * ref[0], 0]);
  // classes on axis 1 of a (N, C, T) array: averaged over T per sample
  const x3 = nd.array([
    [
      [0.3, 1],
      [-1, 1],
      [2, 0],
    ],
  ]); // N=1, C=3, T=2
  const l3 = new SoftmaxCrossEntropyLoss({ axis: 1 }).forward(x3, nd.array([[2, 0]]));
  assert.deepEqual(l3.shape, [1]);
  close(l3, [(ref[0] + ref[1]) / 2]);
});

test('SoftmaxCrossEntropyLoss errors name the loss, the shapes and what was expected', () => {
  const loss = new SoftmaxCrossEntropyLoss();
  const x = nd.zeros([2, 3]);
  assert.throws(
    () => loss.forward(x, nd.array([0, 1, 2])),
    (e: Error) => e instanceof ShapeError && /SoftmaxCrossEntropyLoss.*\(2,\).*\(2, 3\).*got \(3,\)/.test(e.message),
  );
  assert.throws(() => loss.forward(x, nd.zeros([2, 3])), /sparseLabel: false/);
  assert.throws(
    () => loss.forward(x, nd.array([0, 5])),
    (e: Error) => e instanceof IndexError && /softmaxCrossEntropy.*index 5/.test(e.message),
  );
});

test('fused softmaxCrossEntropy: gradient matches finite differences (float64, weighted head)', () => {
  nd.seed(3);
  const x = nd.random.normal(0, 2, [4, 5], { dtype: 'float64' });
  const y = nd.array([0, 4, 2, 2]);
  const head = nd.array([0.3, -1, 2, 0.7], { dtype: 'float64' });
  x.attachGrad();
  const l = autograd.record(() => softmaxCrossEntropy(x, y));
  l.backward(head);
  const xs = x.toArray() as number[][];
  const hs = head.toArray() as number[];
  const f = (m: number[][]) => refSoftmaxCE(m, [0, 4, 2, 2]).loss.reduce((s, v, i) => s + v * hs[i], 0);
  const eps = 1e-6;
  const num = xs.map((row, i) =>
    row.map((_, j) => {
      const p = xs.map((r) => [...r]);
      const q = xs.map((r) => [...r]);
      p[i][j] += eps;
      q[i][j] -= eps;
      return (f(p) - f(q)) / (2 * eps);
    }),
  );
  close(x.grad, num, 1e-6);
});

test('fused softmaxCrossEntropy: second derivative through createGraph is the softmax Hessian', () => {
  const logits = [[0.5, -0.2, 1.3]];
  const x = nd.array(logits, { dtype: 'float64' });
  x.attachGrad();
  const c = [1, 2, -1];
  const cv = nd.array([c], { dtype: 'float64' });
  const l = autograd.record(() => softmaxCrossEntropy(x, nd.array([1])).sum());
  const [gx] = autograd.grad([l], [x], { createGraph: true, retainGraph: true });
  close(gx, refSoftmaxCE(logits, [1]).grad, 1e-12);
  const s = autograd.record(() => gx.mul(cv).sum());
  s.backward();
  const m = Math.max(...logits[0]);
  const e = logits[0].map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b);
  const p = e.map((v) => v / z);
  const pc = p.reduce((a, v, i) => a + v * c[i], 0);
  close(x.grad, [p.map((pi, i) => pi * c[i] - pi * pc)], 1e-10);
});

test('SigmoidBinaryCrossEntropyLoss: the book word2vec mask check gives [0.8739896 1.2099689]', () => {
  const loss = new SigmoidBinaryCrossEntropyLoss();
  const pred = nd.array([
    [1.5, 0.3, -1, 2],
    [1.1, -0.6, 2.2, 0.4],
  ]);
  const label = nd.array([
    [1, 0, 0, 0],
    [1, 1, 0, 0],
  ]);
  const mask = nd.array([
    [1, 1, 1, 1],
    [1, 1, 1, 0],
  ]);
  const r = loss
    .forward(pred, label, mask)
    .mul(mask.shape[1])
    .div(mask.sum({ axis: 1 }));
  close(r, [0.8739896, 1.2099689], 1e-7);
  assert.match(r.toString(), /\[0\.8739896 1\.2099689\]/);
});

test('SigmoidBinaryCrossEntropyLoss: stable for large logits, exact gradient sigmoid(x) − y (also at x = 0)', () => {
  const xs = [1e4, -1e4, 0, 0, 3, -2];
  const ys = [0, 1, 1, 0, 1, 0];
  const x = nd.array([xs]);
  x.attachGrad();
  const l = autograd.record(() => new SigmoidBCELoss().forward(x, nd.array([ys])));
  l.backward();
  const ref = xs.map((v, i) => softplus(v) - v * ys[i]);
  close(l, [ref.reduce((a, b) => a + b) / xs.length]);
  close(x.grad, [xs.map((v, i) => (sigmoid(v) - ys[i]) / xs.length)]);
  for (const v of x.grad.dataSync()) assert.ok(Number.isFinite(v));
});

test('SigmoidBinaryCrossEntropyLoss: fromSigmoid agrees with logits; posWeight follows Gluon', () => {
  const xs = [0.3, -1.2, 2.5, 0];
  const ys = [1, 0, 0, 1];
  const x = nd.array([xs]);
  const y = nd.array([ys]);
  const fromLogits = new SigmoidBinaryCrossEntropyLoss().forward(x, y);
  const fromProb = new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true }).forward(x.sigmoid(), y);
  close(fromProb, Array.from(fromLogits.dataSync()), 1e-5);
  const pw = nd.array([[2, 2, 2, 2]]);
  const wl = new SigmoidBinaryCrossEntropyLoss().forward(x, y, null, pw);
  const ref = xs.map((v, i) => v - v * ys[i] + (1 + (2 - 1) * ys[i]) * (Math.log1p(Math.exp(-Math.abs(v))) + Math.max(-v, 0)));
  close(wl, [ref.reduce((a, b) => a + b) / 4]);
  // with posWeight, a positive's loss is weighted: 2·softplus(−x) for y = 1
  const wp = new SigmoidBinaryCrossEntropyLoss({ fromSigmoid: true }).forward(x.sigmoid(), y, null, pw);
  close(wp, Array.from(wl.dataSync()), 1e-5);
});

test('fused sigmoidBinaryCrossEntropy: gradients in x and y match finite differences (float64)', () => {
  const xs = [0.7, -2.1, 0.05, 4];
  const ys = [0.2, 1, 0, 0.6];
  const x = nd.array(xs, { dtype: 'float64' });
  const y = nd.array(ys, { dtype: 'float64' });
  x.attachGrad();
  y.attachGrad();
  const head = [1, -0.5, 2, 0.25];
  const l = autograd.record(() => sigmoidBinaryCrossEntropy(x, y));
  l.backward(nd.array(head, { dtype: 'float64' }));
  close(
    x.grad,
    xs.map((v, i) => (sigmoid(v) - ys[i]) * head[i]),
    1e-12,
  );
  close(
    y.grad,
    xs.map((v, i) => -v * head[i]),
    1e-12,
  );
});

test('losses work as plain functions through an unbound forward', () => {
  const f = new L2Loss().forward;
  close(f(nd.array([[1], [2]]), nd.array([0, 0])), [0.5, 2]);
  const g = new SoftmaxCrossEntropyLoss().forward;
  close(g(nd.array([[0, 0]]), nd.array([1])), [Math.log(2)]);
  assert.equal(new L2Loss().toString(), 'L2Loss(batch_axis=0, w=1)');
});

test('losses leak nothing: 50 forward/backward rounds leave the live-array count flat', () => {
  const x = nd.random.normal(0, 1, [8, 5]);
  x.attachGrad();
  const y = nd.array([0, 1, 2, 3, 4, 0, 1, 2]);
  const yb = nd.random.uniform(0, 1, [8, 5]).greater(0.5).astype('float32');
  const mask = nd.ones([8, 5]);
  const losses = [new SoftmaxCrossEntropyLoss(), new SigmoidBinaryCrossEntropyLoss(), new L2Loss(), new L1Loss()];
  const round = () => {
    for (const loss of losses) {
      const label = loss instanceof SoftmaxCrossEntropyLoss ? y : yb;
      const l = autograd.record(() => loss.forward(x, label, loss instanceof SigmoidBinaryCrossEntropyLoss ? mask : undefined));
      l.backward();
      l.dispose();
    }
  };
  round();
  (globalThis as { gc?: () => void }).gc?.();
  const before = nd.memory();
  for (let i = 0; i < 50; i++) round();
  (globalThis as { gc?: () => void }).gc?.();
  const after = nd.memory();
  assert.ok(after.arrays <= before.arrays, 'live arrays');
  assert.equal(after.bytes, before.bytes, 'live bytes');
});
