import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, NDArray, ShapeError, ValueError, DTypeError } from '../../src/index.js';
import { conv2d, maxPool2d, avgPool2d, softrelu } from '../../src/ops/nn.js';
import { assertClose } from '../helpers.js';

/** Numerical gradient of the scalar f at x (float64), by central differences. */
function numericGrad(f: () => number, x: NDArray, eps = 1e-6): Float64Array {
  const n = x.size;
  const g = new Float64Array(n);
  const flat = x.reshape([n]);
  for (let i = 0; i < n; i++) {
    const v = flat.get([i]).asScalar();
    flat.set([i], v + eps);
    const fp = f();
    flat.set([i], v - eps);
    const fm = f();
    flat.set([i], v);
    g[i] = (fp - fm) / (2 * eps);
  }
  flat.dispose();
  return g;
}

/** Checks autograd's gradients of sum(op(...) * R) against finite differences for every input. */
function gradCheck(inputs: NDArray[], op: (...xs: NDArray[]) => NDArray, tol = 1e-6): void {
  for (const x of inputs) x.attachGrad();
  const probe = op(...inputs);
  const R = nd.random.normal(0, 1, probe.shape, { dtype: 'float64' });
  probe.dispose();
  const y = autograd.record(() =>
    op(...inputs)
      .mul(R)
      .sum(),
  );
  y.backward();
  const f = () => {
    const o = op(...inputs);
    const s = o.mul(R).sum();
    const v = s.asScalar();
    o.dispose();
    s.dispose();
    return v;
  };
  inputs.forEach((x, k) => assertClose(x.grad, numericGrad(f, x), tol, `input ${k}`));
}

/** A direct loop implementation of conv2d, independent of the backend. */
function convRef(x: number[][][][], w: number[][][][], stride: number[], pad: number[], dil: number[], groups: number): number[][][][] {
  const N = x.length,
    C = x[0].length,
    H = x[0][0].length,
    W = x[0][0][0].length;
  const O = w.length,
    CG = w[0].length,
    KH = w[0][0].length,
    KW = w[0][0][0].length;
  const OH = Math.floor((H + 2 * pad[0] - dil[0] * (KH - 1) - 1) / stride[0]) + 1;
  const OW = Math.floor((W + 2 * pad[1] - dil[1] * (KW - 1) - 1) / stride[1]) + 1;
  void C;
  const out: number[][][][] = [];
  for (let n = 0; n < N; n++) {
    out.push([]);
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / (O / groups));
      out[n].push([]);
      for (let i = 0; i < OH; i++) {
        out[n][o].push([]);
        for (let j = 0; j < OW; j++) {
          let acc = 0;
          for (let c = 0; c < CG; c++)
            for (let a = 0; a < KH; a++)
              for (let b = 0; b < KW; b++) {
                const h = i * stride[0] - pad[0] + a * dil[0];
                const ww = j * stride[1] - pad[1] + b * dil[1];
                if (h >= 0 && h < H && ww >= 0 && ww < W) acc += x[n][g * CG + c][h][ww] * w[o][c][a][b];
              }
          out[n][o][i].push(acc);
        }
      }
    }
  }
  return out;
}

test("conv2d: the book's corr2d example", () => {
  const X = nd.arange(9).reshape([1, 1, 3, 3]);
  const K = nd.array([
    [
      [
        [0, 1],
        [2, 3],
      ],
    ],
  ]);
  assert.deepEqual(conv2d(X, K).toArray(), [
    [
      [
        [19, 25],
        [37, 43],
      ],
    ],
  ]);
});

test('conv2d: matches a loop reference with stride, padding, dilation, groups and bias', () => {
  nd.random.seed(1);
  const cases = [
    { x: [2, 3, 6, 5], w: [4, 3, 3, 3], stride: [1, 1], pad: [0, 0], dil: [1, 1], groups: 1 },
    { x: [1, 2, 7, 7], w: [3, 2, 3, 2], stride: [2, 1], pad: [1, 2], dil: [1, 1], groups: 1 },
    { x: [1, 2, 8, 8], w: [2, 2, 3, 3], stride: [1, 2], pad: [2, 1], dil: [2, 2], groups: 1 },
    { x: [2, 4, 5, 5], w: [6, 2, 3, 3], stride: [1, 1], pad: [1, 1], dil: [1, 1], groups: 2 },
  ];
  for (const c of cases) {
    const x = nd.random.normal(0, 1, c.x);
    const w = nd.random.normal(0, 1, c.w);
    const b = nd.random.normal(0, 1, [c.w[0]]);
    const y = conv2d(x, w, b, {
      stride: c.stride as [number, number],
      padding: c.pad as [number, number],
      dilation: c.dil as [number, number],
      groups: c.groups,
    });
    const ref = convRef(x.toArray(), w.toArray(), c.stride, c.pad, c.dil, c.groups);
    const bv = b.toArray() as number[];
    const refB = ref.map((n) => n.map((o, oi) => o.map((r) => r.map((v) => v + bv[oi]))));
    assert.deepEqual(y.shape, [c.x[0], c.w[0], refB[0][0].length, refB[0][0][0].length]);
    assertClose(y, refB, 1e-5, JSON.stringify(c));
  }
});

test('conv2d: gradients of input, weight and bias match finite differences (float64)', () => {
  nd.random.seed(2);
  const opts = [
    { stride: 1, padding: 0, dilation: 1, groups: 1, x: [2, 2, 5, 4], w: [3, 2, 2, 3] },
    { stride: [2, 1] as [number, number], padding: [1, 2] as [number, number], dilation: 1, groups: 1, x: [1, 2, 6, 5], w: [2, 2, 3, 3] },
    { stride: 1, padding: 1, dilation: 2, groups: 2, x: [1, 4, 6, 6], w: [2, 2, 2, 2] },
  ];
  for (const o of opts) {
    const x = nd.random.normal(0, 1, o.x, { dtype: 'float64' });
    const w = nd.random.normal(0, 1, o.w, { dtype: 'float64' });
    const b = nd.random.normal(0, 1, [o.w[0]], { dtype: 'float64' });
    gradCheck([x, w, b], (xx, ww, bb) =>
      conv2d(xx, ww, bb, { stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups }),
    );
  }
});

test('conv2d: only the inputs that need a gradient get one', () => {
  const x = nd.random.normal(0, 1, [1, 1, 4, 4], { dtype: 'float64' });
  const w = nd.random.normal(0, 1, [1, 1, 2, 2], { dtype: 'float64' });
  w.attachGrad();
  autograd.record(() => conv2d(x, w).sum()).backward();
  assert.ok(w.grad.abs().sum().asScalar() > 0);
});

test('conv2d: clear errors for bad shapes and dtypes', () => {
  const x = nd.ones([1, 3, 5, 5]);
  assert.throws(
    () => conv2d(nd.ones([3, 5, 5]), nd.ones([2, 3, 3, 3])),
    (e: Error) => e instanceof ShapeError && /4-D \(NCHW/.test(e.message) && /\(3, 5, 5\)/.test(e.message),
  );
  assert.throws(
    () => conv2d(x, nd.ones([2, 2, 3, 3])),
    (e: Error) => e instanceof ShapeError && /3 channels/.test(e.message) && /expects 2/.test(e.message),
  );
  assert.throws(
    () => conv2d(x, nd.ones([2, 3, 7, 7])),
    (e: Error) => e instanceof ShapeError && /does not fit/.test(e.message),
  );
  assert.throws(() => conv2d(x, nd.ones([3, 1, 3, 3]), null, { groups: 2 }), ShapeError);
  assert.throws(
    () => conv2d(x, nd.ones([2, 3, 3, 3]), nd.ones([3])),
    (e: Error) => e instanceof ShapeError && /bias must have shape \(2,\)/.test(e.message),
  );
  assert.throws(() => conv2d(x, nd.ones([2, 3, 3, 3]), null, { stride: 0 }), ValueError);
  assert.throws(() => conv2d(nd.ones([1, 3, 5, 5], { dtype: 'int32' }), nd.ones([2, 3, 3, 3])), DTypeError);
  assert.throws(() => conv2d(x, nd.ones([2, 3, 3, 3], { dtype: 'float64' })), DTypeError);
});

test("maxPool2d / avgPool2d: hand-computed examples (the book's pooling section)", () => {
  const X = nd.arange(9).reshape([1, 1, 3, 3]);
  assert.deepEqual(maxPool2d(X, { kernel: 2, stride: 1 }).toArray(), [
    [
      [
        [4, 5],
        [7, 8],
      ],
    ],
  ]);
  assert.deepEqual(avgPool2d(X, { kernel: 2, stride: 1 }).toArray(), [
    [
      [
        [2, 3],
        [5, 6],
      ],
    ],
  ]);
  const Y = nd.arange(16).reshape([1, 1, 4, 4]);
  assert.deepEqual(maxPool2d(Y, { kernel: 3 }).toArray(), [[[[10]]]]);
  assert.deepEqual(maxPool2d(Y, { kernel: 3, padding: 1, stride: 2 }).toArray(), [
    [
      [
        [5, 7],
        [13, 15],
      ],
    ],
  ]);
  assert.deepEqual(maxPool2d(Y, { kernel: [2, 3], padding: [1, 2], stride: [2, 3] }).toArray(), [
    [
      [
        [0, 3],
        [8, 11],
        [12, 15],
      ],
    ],
  ]);
  // avg with padding: counted (MXNet default) or not.
  const Z = nd.ones([1, 1, 2, 2]);
  assert.deepEqual(avgPool2d(Z, { kernel: 2, padding: 1, stride: 2 }).toArray(), [
    [
      [
        [0.25, 0.25],
        [0.25, 0.25],
      ],
    ],
  ]);
  assert.deepEqual(avgPool2d(Z, { kernel: 2, padding: 1, stride: 2, countIncludePad: false }).toArray(), [
    [
      [
        [1, 1],
        [1, 1],
      ],
    ],
  ]);
  // Two channels pool independently.
  const two = nd.concat([X, X.mul(10)], { dim: 1 });
  assert.deepEqual(maxPool2d(two, { kernel: 2, stride: 1 }).toArray(), [
    [
      [
        [4, 5],
        [7, 8],
      ],
      [
        [40, 50],
        [70, 80],
      ],
    ],
  ]);
});

test('pooling: ceilMode rounds the output size up', () => {
  const Y = nd.arange(25).reshape([1, 1, 5, 5]);
  assert.deepEqual(maxPool2d(Y, { kernel: 2 }).shape, [1, 1, 2, 2]);
  const c = maxPool2d(Y, { kernel: 2, ceilMode: true });
  assert.deepEqual(c.shape, [1, 1, 3, 3]);
  assert.deepEqual(c.toArray(), [
    [
      [
        [6, 8, 9],
        [16, 18, 19],
        [21, 23, 24],
      ],
    ],
  ]);
});

test('pooling: gradients match finite differences (float64), max routes to the maximum', () => {
  nd.random.seed(3);
  const x = nd.random.normal(0, 1, [2, 2, 5, 6], { dtype: 'float64' });
  gradCheck([x], (v) => maxPool2d(v, { kernel: 2, stride: 2 }), 1e-5);
  gradCheck([x], (v) => maxPool2d(v, { kernel: 3, stride: 1, padding: 1 }), 1e-5);
  gradCheck([x], (v) => avgPool2d(v, { kernel: [2, 3], stride: [1, 2], padding: [1, 1] }));
  gradCheck([x], (v) => avgPool2d(v, { kernel: 2, stride: 1, padding: 1, countIncludePad: false }));
  const m = nd.array([
    [
      [
        [1, 3],
        [2, 0],
      ],
    ],
  ]);
  m.attachGrad();
  autograd.record(() => maxPool2d(m, { kernel: 2 }).sum()).backward();
  assert.deepEqual(m.grad.toArray(), [
    [
      [
        [0, 1],
        [0, 0],
      ],
    ],
  ]);
});

test('pooling: clear errors', () => {
  assert.throws(
    () => maxPool2d(nd.ones([1, 1, 2, 2]), { kernel: 3 }),
    (e: Error) => e instanceof ShapeError && /does not fit/.test(e.message),
  );
  assert.throws(
    () => maxPool2d(nd.ones([1, 2, 2]), { kernel: 1 }),
    (e: Error) => e instanceof ShapeError && /maxPool2d/.test(e.message),
  );
  assert.throws(() => avgPool2d(nd.ones([1, 1, 4, 4]), { kernel: 2, padding: 2 }), ValueError);
  assert.throws(() => avgPool2d(nd.ones([1, 1, 4, 4]), { kernel: 0 }), ValueError);
});

test('softrelu: stable for large inputs, gradient sigmoid(x) (also at 0)', () => {
  const x = nd.array([-1000, -1, 0, 1, 1000], { dtype: 'float64' });
  assertClose(softrelu(x), [0, Math.log1p(Math.exp(-1)), Math.LN2, 1 + Math.log1p(Math.exp(-1)), 1000], 1e-12);
  x.attachGrad();
  autograd.record(() => softrelu(x).sum()).backward();
  assertClose(x.grad, [0, 1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-1)), 1], 1e-12);
  nd.random.seed(4);
  gradCheck([nd.random.normal(0, 2, [7], { dtype: 'float64' })], (v) => softrelu(v));
});

test('nn ops free their temporaries', () => {
  const x = nd.random.normal(0, 1, [2, 3, 6, 6]);
  const w = nd.random.normal(0, 1, [4, 3, 3, 3]);
  const b = nd.zeros([4]);
  w.attachGrad();
  x.attachGrad();
  const run = () => {
    const y = autograd.record(() => {
      const c = conv2d(x, w, b, { padding: 1 });
      const p = maxPool2d(c, { kernel: 2 });
      const a = avgPool2d(p, { kernel: 3, padding: 1, stride: 1 });
      const s = softrelu(a);
      const r = s.sum();
      for (const t of [c, p, a, s]) t.dispose();
      return r;
    });
    y.backward();
    y.dispose();
  };
  run();
  const before = nd.memory();
  for (let i = 0; i < 3; i++) run();
  const after = nd.memory();
  assert.ok(after.arrays <= before.arrays);
  assert.equal(after.bytes, before.bytes);
});
