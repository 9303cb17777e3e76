// Every differentiable op of the table: backward() against central finite differences in float64,
// with a random head gradient (so the test also covers headGrad and non-scalar heads).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, NDArray } from '../../src/index.js';
import { OP_TABLE, drawCase, inputDtype, isDifferentiableInput, rng, type OpEntry } from './op-table.js';
import * as R from './ref.js';

const H = 1e-6;

/** sum(f(xs) * w), evaluated without recording. */
function objective(e: OpEntry, datas: number[][], e2: { shapes: number[][]; dtypes: string[] }, w: Float64Array): number {
  return nd.tidy(() => {
    const xs = datas.map((d, i) => nd.array(d, { dtype: e2.dtypes[i] as never, shape: e2.shapes[i] }));
    const y = e.fn(xs).dataSync();
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * w[i];
    return s;
  });
}

function gradCheck(e: OpEntry, caseIdx: number): void {
  const specs = e.cases[caseIdx];
  const datas = drawCase(specs, 5000 + caseIdx);
  const meta = { shapes: specs.map((sp) => sp.shape), dtypes: specs.map((sp) => inputDtype(sp, 'float64')) };
  const where = `${e.name} case ${caseIdx} (${specs.map((sp) => JSON.stringify(sp.shape)).join(', ')})`;
  nd.tidy(() => {
    const xs = datas.map((d, i) => nd.array(d, { dtype: meta.dtypes[i] as never, shape: meta.shapes[i] }));
    const diff = specs.map(isDifferentiableInput);
    xs.forEach((x, i) => diff[i] && x.attachGrad());
    const y = autograd.record(() => e.fn(xs));
    const r = rng(77 + caseIdx);
    const w = Float64Array.from({ length: y.size }, () => 2 * r() - 1);
    if (e.grad === 'zero') {
      if (y.requiresGrad) y.backward(nd.array(w, { dtype: y.dtype, shape: [...y.shape] }));
      xs.forEach(
        (x, i) =>
          diff[i] &&
          assert.ok(
            x.grad.dataSync().every((v) => v === 0),
            `${where}: gradient of input ${i} should be zero`,
          ),
      );
      return;
    }
    assert.equal(y.dtype, 'float64', `${where}: float64 inputs should give a float64 output`);
    assert.ok(y.requiresGrad, `${where}: the output was not recorded`);
    y.backward(nd.array(w, { dtype: 'float64', shape: [...y.shape] }));
    xs.forEach((x, i) => {
      if (!diff[i]) return;
      const g = x.grad.dataSync();
      assert.equal(x.grad.dtype, 'float64');
      assert.deepEqual([...x.grad.shape], meta.shapes[i]);
      for (let k = 0; k < datas[i].length; k++) {
        const plus = datas.map((d, j) => (j === i ? d.map((v, m) => (m === k ? v + H : v)) : d));
        const minus = datas.map((d, j) => (j === i ? d.map((v, m) => (m === k ? v - H : v)) : d));
        const num = (objective(e, plus, meta, w) - objective(e, minus, meta, w)) / (2 * H);
        const tol = 1e-6 + 1e-5 * Math.abs(num);
        if (!(Math.abs(g[k] - num) <= tol))
          assert.fail(`${where}: d/dx${i}[${k}] analytic ${g[k]} vs numeric ${num} (input ${datas[i][k]})`);
      }
    });
  });
}

describe('gradients: every differentiable op against central finite differences (float64)', () => {
  for (const e of OP_TABLE.filter((x) => x.grad !== 'none')) {
    test(e.name, () => {
      for (let c = 0; c < e.cases.length; c++) gradCheck(e, c);
    });
  }
});

test('the gradient check can fail: a wrong gradient rule is caught', () => {
  // y = x * stop(x) has derivative x, not 2x: feeding the check a mislabelled reference fails.
  const wrong: OpEntry = {
    name: 'x * detach(x)',
    covers: [],
    fn: ([x]) => (autograd.isRecording() ? x.mul(x.detach()) : x.mul(x)),
    ref: ([x]) => R.map1(x, (a) => a * a),
    cases: [[{ shape: [3], kind: 'real' }]],
    grad: 'check',
  };
  assert.throws(() => gradCheck(wrong, 0), /analytic/);
});

test('gradients of a float32 array are float32 and match float64 ones', () => {
  const data = [0.3, -1.2, 2.5, 0.7];
  const grads = (['float32', 'float64'] as const).map((dtype) => {
    const x = nd.array(data, { dtype });
    x.attachGrad();
    autograd.record(() => x.tanh().mul(x).sum()).backward();
    assert.equal(x.grad.dtype, dtype);
    return Array.from(x.grad.dataSync());
  });
  grads[0].forEach((g, i) => assert.ok(Math.abs(g - grads[1][i]) < 1e-6));
});

test('mixed-dtype ops send gradients back in each input dtype', () => {
  const a = nd.array([1, 2], { dtype: 'float32' });
  const b = nd.array([3, 4], { dtype: 'float64' });
  a.attachGrad();
  b.attachGrad();
  const y = autograd.record(() => a.mul(b));
  assert.equal(y.dtype, 'float64');
  y.backward();
  assert.equal(a.grad.dtype, 'float32');
  assert.deepEqual(a.grad.toArray(), [3, 4]);
  assert.deepEqual(b.grad.toArray(), [1, 2]);
});

test('astype(float32) of a float64 array passes the gradient back in float64', () => {
  const x = nd.array([1.5, -2], { dtype: 'float64' });
  x.attachGrad();
  autograd.record(() => x.astype('float32').mul(3).sum()).backward();
  assert.equal(x.grad.dtype, 'float64');
  assert.deepEqual(x.grad.toArray(), [3, 3]);
});

test('gradient through a view written back by set is refused while recording', () => {
  const x = nd.ones([2, 2]);
  x.attachGrad();
  assert.throws(() => autograd.record(() => x.set('0, :', 5)), { name: 'AutogradError' });
  assert.ok(x instanceof NDArray);
});
