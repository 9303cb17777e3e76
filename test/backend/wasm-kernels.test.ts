// The Wasm SIMD kernels against the TypeScript reference kernels: every fast path on random
// shapes, odd sizes, transposed / strided / negative-stride views, batches and broadcasts, with the
// worker threads on and off.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nd, NDArray, autograd } from '../../src/index.js';
import { softmaxCrossEntropy } from '../../src/ops/loss-ops.js';
import { getCpuBackend } from '../../src/backend/registry.js';
import type { View } from '../../src/backend/backend.js';

const be = getCpuBackend();

/** Runs fn on the TS reference kernels and on the Wasm kernels; returns both results as arrays. */
function both(fn: () => NDArray): { ref: Float32Array; fast: Float32Array; shape: number[] } {
  be.setKernels('ts');
  let ref: Float32Array;
  try {
    ref = fn().dataSync() as Float32Array;
  } finally {
    be.setKernels('wasm');
  }
  const r = fn();
  return { ref, fast: r.dataSync() as Float32Array, shape: [...r.shape] };
}

/** |fast - ref| <= tol * (scale + |ref|) elementwise (NaNs must match). */
function close(fast: ArrayLike<number>, ref: ArrayLike<number>, tol: number, scale = 1, msg = ''): void {
  assert.equal(fast.length, ref.length, `${msg}: length`);
  for (let i = 0; i < ref.length; i++) {
    const a = fast[i];
    const e = ref[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= tol * (scale + Math.abs(e)))) assert.fail(`${msg}: element ${i}: wasm ${a} vs reference ${e} (tol ${tol})`);
  }
}

function exact(fast: ArrayLike<number>, ref: ArrayLike<number>, msg = ''): void {
  close(fast, ref, 0, 0, msg);
}

/** Distance in float32 units in the last place. */
function ulps(a: number, b: number): number {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  const f = new Float32Array([a, b]);
  const i = new Int32Array(f.buffer);
  const key = (v: number) => (v < 0 ? -2147483648 - v : v);
  return Math.abs(key(i[0]) - key(i[1]));
}

const rand = (shape: number[]) => nd.random.normal(0, 1, shape);

// These tests are about the Wasm kernels, so they force them (in 'auto' mode GEMM may go to the
// optional OpenBLAS addon instead).
before(() => {
  nd.random.seed(1234);
  assert.equal(be.kernelInfo().active, 'wasm', 'Node 20 has Wasm SIMD: the fast kernels must be active by default');
  be.setKernels('wasm');
});
after(() => be.setKernels('auto'));

describe('wasm sgemm vs the TS reference', () => {
  const sizes = [1, 3, 17, 64, 255];
  test('narrow outputs (n <= 16: the skinny kernel) for every n, odd m and k, all transposes', () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 16]) {
      for (const [m, k] of [
        [4, 1],
        [5, 3],
        [7, 17],
        [33, 784],
        [256, 100],
      ]) {
        for (const [ta, tb] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ]) {
          const A = ta ? rand([k, m]) : rand([m, k]);
          const B = tb ? rand([n, k]) : rand([k, n]);
          const { ref, fast } = both(() => nd.dot(A, B, { transposeA: ta, transposeB: tb }));
          close(fast, ref, 1e-5, Math.sqrt(k), `${m}x${k}x${n} ta=${ta} tb=${tb}`);
          A.dispose();
          B.dispose();
        }
      }
    }
    // large enough to split its rows over the threads (m·n·k >= 4M), with a strided A
    const A = rand([2003, 600]).get(':, 1:501');
    const B = rand([500, 10]);
    const { ref, fast } = both(() => nd.dot(A, B));
    close(fast, ref, 1e-5, Math.sqrt(500), 'split');
  });
  test('odd sizes, all four transpose combinations', () => {
    for (const m of sizes)
      for (const k of [1, 3, 17, 255])
        for (const n of [1, 3, 17, 130]) {
          const A = rand([m, k]);
          const At = rand([k, m]);
          const B = rand([k, n]);
          const Bt = rand([n, k]);
          for (const [name, f] of [
            ['A·B', () => nd.dot(A, B)],
            ['Aᵀ·B', () => nd.dot(At.T, B)],
            ['A·Bᵀ', () => nd.dot(A, Bt.T)],
            ['Aᵀ·Bᵀ', () => nd.dot(At.T, Bt.T)],
          ] as const) {
            const { ref, fast } = both(f);
            close(fast, ref, 1e-5, Math.sqrt(k), `${name} m=${m} k=${k} n=${n}`);
          }
          for (const t of [A, At, B, Bt]) t.dispose();
        }
  });

  test('sizes crossing the cache blocks (1023 x 300 x 1100) and a long k', () => {
    for (const [m, k, n] of [
      [1023, 300, 1100],
      [7, 1023, 9],
      [130, 600, 70],
    ]) {
      const A = rand([m, k]);
      const B = rand([n, k]);
      const { ref, fast } = both(() => nd.dot(A, B.T));
      close(fast, ref, 1e-5, Math.sqrt(k), `m=${m} k=${k} n=${n}`);
    }
  });

  test('strided and negative-stride views, sliced operands', () => {
    const X = rand([40, 60]);
    const Y = rand([70, 50]);
    const a = X.get('::2, 1::3'); // [20, 20], strides [120, 3]
    const b = Y.get('::-3, 5:45:2'); // [24, 20] -> use its first 20 rows
    const b20 = b.get(':20');
    const { ref, fast } = both(() => nd.dot(a, b20));
    close(fast, ref, 1e-5, 5, 'strided');
    const { ref: r2, fast: f2 } = both(() => nd.dot(b20.T, a.T));
    close(f2, r2, 1e-5, 5, 'strided, transposed');
  });

  test('batched, broadcast batch dims, and transposed batches', () => {
    const A = rand([3, 17, 33]);
    const B = rand([3, 33, 9]);
    let r = both(() => nd.batchDot(A, B));
    close(r.fast, r.ref, 1e-5, 6, 'batchDot');
    const W = rand([33, 9]);
    r = both(() => nd.matmul(A, W));
    close(r.fast, r.ref, 1e-5, 6, 'matmul broadcast rhs');
    const C = rand([2, 1, 5, 7]);
    const D = rand([4, 7, 6]);
    r = both(() => nd.matmul(C, D));
    assert.deepEqual(r.shape, [2, 4, 5, 6]);
    close(r.fast, r.ref, 1e-5, 3, 'matmul broadcast both');
    const E = rand([3, 33, 17]);
    const F = rand([3, 9, 33]);
    r = both(() => nd.batchDot(E.swapaxes(1, 2), F.swapaxes(1, 2)));
    close(r.fast, r.ref, 1e-5, 6, 'batched transposes');
  });

  test('a column-major output is computed as Cᵀ = Bᵀ·Aᵀ', () => {
    const A = rand([13, 11]);
    const B = rand([11, 19]);
    const outT = nd.zeros([19, 13]);
    const out = outT.T; // [13, 19] with strides [1, 13]
    be.setKernels('wasm');
    be.matmul(A as unknown as View, B as unknown as View, out as unknown as View);
    be.setKernels('ts');
    const ref = nd.dot(A, B).dataSync();
    be.setKernels('wasm');
    close(out.dataSync(), ref, 1e-5, 4, 'column-major C');
  });

  test('float64 and integer matmuls still run on the reference kernels', () => {
    const A = nd.random.normal(0, 1, [5, 4], { dtype: 'float64' });
    const B = nd.random.normal(0, 1, [4, 3], { dtype: 'float64' });
    const r = nd.dot(A, B);
    assert.equal(r.dtype, 'float64');
    be.setKernels('ts');
    const ref = nd.dot(A, B).dataSync();
    be.setKernels('wasm');
    exact(r.dataSync(), ref, 'float64');
    const I = nd.array(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'int32' },
    );
    assert.deepEqual(nd.dot(I, I).toArray(), [
      [7, 10],
      [15, 22],
    ]);
  });
});

describe('wasm elementwise vs the TS reference', () => {
  const sizes = [1, 3, 4, 17, 255, 1023, 70001];
  const specials = [
    0,
    -0,
    1,
    -1,
    1e-30,
    -1e-30,
    1e-45,
    0.3999,
    0.4,
    0.4001,
    20,
    -20,
    88.7,
    88.8,
    89,
    -87.3,
    -103,
    -104,
    -200,
    1e6,
    -1e6,
    Infinity,
    -Infinity,
    NaN,
  ];

  test('exp: at most 2 ulp from the correctly rounded value over a dense sweep', () => {
    const n = 400001;
    const xs = new Float32Array(n);
    for (let i = 0; i < n; i++) xs[i] = -104 + (193 * i) / (n - 1);
    const x = nd.array(nd.concat([nd.array(xs), nd.array(specials)], { dim: 0 }));
    const y = nd.exp(x).dataSync();
    const xv = x.dataSync();
    let worst = 0;
    for (let i = 0; i < xv.length; i++) {
      const e = Math.fround(Math.exp(xv[i]));
      // below 2^-126 the result is subnormal: compare absolutely (the ulp there is 2^-149)
      const u = Math.abs(e) < 1.1754943508222875e-38 ? Math.abs(y[i] - e) / 1.401298464324817e-45 : ulps(y[i], e);
      if (u > worst) worst = u;
      if (u > 2) assert.fail(`exp(${xv[i]}) = ${y[i]}, correctly rounded ${e} (${u} ulp)`);
    }
    assert.ok(worst <= 2);
  });

  test('tanh and sigmoid: within 4 ulp (or 1e-7 absolute near 0) of the reference', () => {
    const xs = new Float32Array(200001);
    for (let i = 0; i < xs.length; i++) xs[i] = -30 + (60 * i) / (xs.length - 1);
    const x = nd.concat([nd.array(xs), nd.array(specials)], { dim: 0 });
    for (const op of ['tanh', 'sigmoid'] as const) {
      const { ref, fast } = both(() => nd[op](x));
      for (let i = 0; i < ref.length; i++) {
        const u = ulps(fast[i], ref[i]);
        if (u > 4 && Math.abs(fast[i] - ref[i]) > 1e-7 * Math.max(1e-30, Math.abs(ref[i])) && Math.abs(fast[i] - ref[i]) > 1e-38)
          assert.fail(`${op}(${x.dataSync()[i]}) = ${fast[i]} vs ${ref[i]} (${u} ulp)`);
      }
    }
  });

  test('relu, neg, abs, square, sqrt are exact; every size and special value', () => {
    for (const n of sizes) {
      const x = nd.concat([rand([n]), nd.array(specials)], { dim: 0 });
      for (const op of ['relu', 'negative', 'abs', 'square', 'sqrt', 'exp', 'tanh', 'sigmoid'] as const) {
        const { ref, fast } = both(() => nd[op](x));
        if (op === 'exp' || op === 'tanh' || op === 'sigmoid') close(fast, ref, 5e-7, 1e-30, `${op} n=${n}`);
        else exact(fast, ref, `${op} n=${n}`);
      }
    }
  });

  test('binary ops: same shape, scalars (float32-exact and not), broadcast scalar arrays', () => {
    for (const n of sizes) {
      const a = rand([n]);
      const b = rand([n]).add(3);
      for (const op of ['add', 'subtract', 'multiply', 'divide', 'maximum', 'minimum'] as const) {
        let r = both(() => nd[op](a, b));
        exact(r.fast, r.ref, `${op} n=${n}`);
        for (const s of [2, 0.1, -1 / 3, 1e-3]) {
          r = both(() => nd[op](a, s));
          exact(r.fast, r.ref, `${op}(a, ${s}) n=${n}`);
          r = both(() => nd[op](s, b));
          exact(r.fast, r.ref, `${op}(${s}, b) n=${n}`);
        }
        const one = nd.array([0.37]);
        r = both(() => nd[op](a, one));
        exact(r.fast, r.ref, `${op}(a, [1]) n=${n}`);
        r = both(() => nd[op](one, b));
        exact(r.fast, r.ref, `${op}([1], b) n=${n}`);
      }
    }
  });

  test('row and column broadcasts, both operand orders, odd shapes', () => {
    for (const [rows, cols] of [
      [1, 1],
      [3, 5],
      [17, 255],
      [256, 10],
      [300, 257],
    ]) {
      const X = rand([rows, cols]);
      const row = rand([cols]).add(2);
      const col = rand([rows, 1]).add(2);
      for (const op of ['add', 'subtract', 'multiply', 'divide', 'maximum', 'minimum'] as const) {
        for (const [name, f] of [
          ['X op row', () => nd[op](X, row)],
          ['row op X', () => nd[op](row, X)],
          ['X op col', () => nd[op](X, col)],
          ['col op X', () => nd[op](col, X)],
        ] as const) {
          const r = both(f);
          exact(r.fast, r.ref, `${op} ${name} ${rows}x${cols}`);
        }
      }
    }
  });

  test('non-contiguous operands fall back to the reference and stay correct', () => {
    const X = rand([33, 21]);
    const r = both(() => nd.exp(X.T));
    close(r.fast, r.ref, 5e-7, 1e-30, 'exp of a transpose');
    const r2 = both(() => nd.add(X.T, X.T.get('::-1')));
    exact(r2.fast, r2.ref, 'add of strided views');
    const r3 = both(() => nd.add(X.get('::2'), 1));
    exact(r3.fast, r3.ref, 'scalar add on a strided view');
  });

  test('empty arrays go through (nothing to compute)', () => {
    const E = nd.zeros([0, 5]);
    assert.deepEqual(nd.exp(E).shape, [0, 5]);
    assert.deepEqual(E.add(1).shape, [0, 5]);
    assert.deepEqual(nd.add(E, nd.ones([5])).shape, [0, 5]);
    assert.deepEqual(nd.sum(E, { axis: 1 }).shape, [0]);
    assert.deepEqual(nd.sum(E, { axis: 0 }).toArray(), [0, 0, 0, 0, 0]);
    assert.deepEqual(nd.dot(E, nd.ones([5, 3])).shape, [0, 3]);
    assert.deepEqual(nd.dot(nd.ones([2, 0]), nd.ones([0, 3])).toArray(), [
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  test('in-place ops (out aliases an input)', () => {
    const X = rand([1000]);
    const Y = rand([1000]);
    be.setKernels('ts');
    const ref = X.add(Y).mul(0.1).dataSync();
    be.setKernels('wasm');
    const Z = X.copy();
    nd.add(Z, Y, { out: Z });
    nd.multiply(Z, 0.1, { out: Z });
    exact(Z.dataSync(), ref, 'in place');
  });
});

describe('wasm softmax cross-entropy vs the TS reference', () => {
  // Through the public op (loss, and the gradient by backward), with int32 and float32 labels,
  // odd class counts (tails of 1-3 lanes), wide rows (a vocabulary of 1027), rows split over threads.
  const shapes: [number, number][] = [
    [1, 1],
    [3, 2],
    [5, 3],
    [7, 10],
    [256, 10],
    [33, 17],
    [64, 1027],
    [1120, 1027],
  ];
  for (const [rows, C] of shapes) {
    for (const ldt of ['int32', 'float32'] as const) {
      test(`${rows}x${C}, ${ldt} labels: loss and gradient`, () => {
        nd.random.seed(rows * 31 + C);
        const x = nd.random.normal(0, 3, [rows, C]);
        const lab = nd.array(
          Array.from({ length: rows }, (_, i) => (i * 7 + 3) % C),
          { dtype: ldt },
        );
        const run = () => {
          const p = x.copy();
          p.attachGrad();
          const l = autograd.record(() => softmaxCrossEntropy(p, lab));
          l.backward(nd.random.uniform(0.5, 1.5, [rows]));
          const g = p.grad.copy();
          p.dispose();
          return { l, g };
        };
        be.setKernels('ts');
        nd.random.seed(5);
        const ref = run();
        be.setKernels('wasm');
        nd.random.seed(5);
        const fast = run();
        close(fast.l.dataSync(), ref.l.dataSync(), 2e-6, 1, 'loss');
        close(fast.g.dataSync(), ref.g.dataSync(), 2e-6, 1e-3, 'gradient');
        for (const a of [x, lab, ref.l, ref.g, fast.l, fast.g]) a.dispose();
      });
    }
  }

  test('extreme and special logits: large values, -Infinity, a NaN row', () => {
    const x = nd.array([
      [80, 0, -80, 3],
      [1e4, 1e4, -1e4, 0],
      [-Infinity, 2, 1, -Infinity],
      [NaN, 1, 2, 3],
      [-1e30, -1e30, -1e30, -1e30],
    ]);
    const lab = nd.array([0, 1, 1, 2, 3], { dtype: 'int32' });
    const { ref, fast } = both(() => softmaxCrossEntropy(x, lab));
    close(fast, ref, 2e-6, 1, 'loss');
    assert.ok(Number.isNaN(fast[3]), 'a NaN logit gives a NaN loss');
    x.dispose();
    lab.dispose();
  });

  test('an out-of-range label is an error naming it, before anything is written', () => {
    const x = nd.ones([2, 3]);
    assert.throws(() => softmaxCrossEntropy(x, nd.array([0, 3], { dtype: 'int32' })), /index 3 is out of range for axis 1 of size 3/);
    assert.throws(() => softmaxCrossEntropy(x, nd.array([0.5, 1])), /index 0.5 is out of range/);
    x.dispose();
  });
});

describe('wasm reductions vs the TS reference', () => {
  test('sum / max / min over the last axes, the first axes and everything', () => {
    for (const shape of [[1], [7], [1023], [3, 17], [255, 9], [17, 1, 33], [4, 5, 6], [300, 257]]) {
      const X = rand(shape);
      const r = shape.length;
      const axesList: (number | number[] | null)[] = [null, r - 1, 0];
      if (r === 3) axesList.push([1, 2], [0, 1], 1);
      for (const op of ['sum', 'max', 'min'] as const)
        for (const axis of axesList)
          for (const keepdims of [false, true]) {
            const res = both(() => nd[op](X, { axis, keepdims }));
            if (op === 'sum') close(res.fast, res.ref, 1e-6, 1, `${op} ${shape} axis=${axis}`);
            else exact(res.fast, res.ref, `${op} ${shape} axis=${axis}`);
          }
    }
  });

  test('argmax / argmin over the last axis and the flattened array, ties and NaN as numpy', () => {
    const tied = nd.array([
      [1, 5, 5, 2],
      [3, 3, 3, 3],
      [-1, NaN, 7, NaN],
      [2, 1, 0, -Infinity],
    ]);
    for (const X of [rand([256, 10]), rand([7, 1027]), rand([1, 3]), rand([4, 5, 6]), tied])
      for (const op of ['argmax', 'argmin'] as const)
        for (const axis of [X.ndim - 1, null]) {
          const res = both(() => nd[op](X, { axis }));
          exact(res.fast, res.ref, `${op} ${X.shape} axis=${axis}`);
        }
  });

  test('NaN propagates through max/min and sum', () => {
    const X = nd.array([
      [1, NaN, 3, 4, 5, 6, 7, 8, 9],
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    ]);
    for (const op of ['sum', 'max', 'min'] as const)
      for (const axis of [0, 1, null]) {
        const res = both(() => nd[op](X, { axis }));
        exact(res.fast, res.ref, `${op} axis=${axis}`);
      }
  });
});

describe('worker threads', () => {
  before(async () => {
    await be.setThreads(2);
    assert.equal(be.startThreads(), 1, 'the kernel worker starts from the compiled layout');
  });
  after(async () => {
    await be.setThreads(2);
  });

  test('threads on and off give identical results', async () => {
    const cases: (() => NDArray)[] = [];
    const A = rand([301, 257]);
    const B = rand([257, 203]);
    const Bt = rand([203, 257]);
    const S = rand([8, 60, 70]);
    const T = rand([8, 70, 50]);
    const W = rand([40, 1000]);
    const V = rand([1000, 1030]);
    const big = rand([300001]);
    // above the split thresholds (PARALLEL_MIN: 256K elements, 512K read by a reduction)
    const M = rand([1100, 513]);
    const row = rand([513]);
    const logits = rand([600, 1027]);
    const labels = nd.array(
      Array.from({ length: 600 }, (_, i) => (i * 13) % 1027),
      { dtype: 'int32' },
    );
    // a 2.4 MB row gather (split even when the workers sleep) and a 256 KB one right after a split kernel
    const table = rand([5000, 300]);
    const rowsIdx = nd.array(
      Array.from({ length: 2000 }, (_, i) => (i * 7919) % 5000),
      { dtype: 'int32' },
    );
    const fewIdx = nd.array(
      Array.from({ length: 220 }, (_, i) => (i * 31) % 5000),
      { dtype: 'int32' },
    );
    cases.push(
      () => nd.dot(A, B),
      () => nd.dot(A, Bt.T),
      () => nd.dot(B.T, A.T),
      () => nd.batchDot(S, T),
      () => nd.dot(W, V),
      () => nd.exp(big),
      () => nd.tanh(big),
      () => big.mul(0.1),
      () => nd.add(M, row),
      () => nd.sum(M, { axis: 1 }),
      () => nd.sum(M, { axis: 0 }),
      () => nd.max(M, { axis: 0 }),
      () => softmaxCrossEntropy(logits, labels),
      () => table.take(rowsIdx),
      () => {
        nd.exp(big).dispose();
        return table.take(fewIdx);
      },
    );
    const threaded = cases.map((f) => f().dataSync().slice());
    assert.equal(be.kernelInfo().readyWorkers, 1);
    await be.setThreads(1);
    let single: Float32Array[];
    try {
      single = cases.map((f) => f().dataSync().slice() as Float32Array);
    } finally {
      await be.setThreads(2);
    }
    for (let i = 0; i < cases.length; i++) exact(threaded[i], single[i], `case ${i}`);
    assert.equal(be.startThreads(), 1);
  });

  test('row gathers split over the threads equal the reference gather', () => {
    const table = rand([4000, 333]);
    const idx = nd.array(
      Array.from({ length: 1700 }, (_, i) => (i * 7919 + 11) % 4000),
      { dtype: 'int32' },
    );
    const big = rand([300001]);
    const cold = both(() => table.take(idx));
    exact(cold.fast, cold.ref, 'gather of 2.3 MB');
    const few = idx.get('0:200');
    const hot = both(() => {
      nd.exp(big).dispose(); // leaves the workers awake
      return table.take(few);
    });
    exact(hot.fast, hot.ref, 'gather of 266 KB after a split kernel');
    for (const a of [table, idx, big, few]) a.dispose();
  });

  test("the process exits while workers are idle (they are unref'd), after a threaded matmul", () => {
    const index = fileURLToPath(new URL('../../src/index.js', import.meta.url));
    const code = `import('${index}').then(({ nd }) => { const a = nd.ones([400, 400]); const c = nd.dot(a, a); console.log(c.dataSync()[0]); });`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      env: { ...process.env, D2L_CPU_THREADS: '2' },
      timeout: 30000,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `child exited with ${r.status} / ${r.signal}: ${r.stderr}`);
    assert.equal(r.stdout.trim(), '400');
  });

  test('shutdown and restart', async () => {
    await be.shutdownThreads();
    assert.equal(be.kernelInfo().readyWorkers, 0);
    const A = rand([200, 200]);
    const c1 = nd.dot(A, A).dataSync().slice();
    assert.equal(be.startThreads(), 1);
    exact(nd.dot(A, A).dataSync(), c1, 'after restart');
  });
});

describe('kernel selection', () => {
  test('setKernels and kernelInfo', () => {
    be.setKernels('ts');
    assert.equal(be.kernelInfo().active, 'ts');
    be.setKernels('wasm');
    assert.equal(be.kernelInfo().active, 'wasm');
    assert.match(String(be.kernelInfo().variant), /^(relaxed-simd|simd)$/);
    be.setKernels('wasm');
    assert.throws(() => be.setKernels('fast' as 'ts'), /D2L_CPU_KERNELS must be/);
  });

  test('D2L_CPU_KERNELS=ts in a child process selects the reference kernels', () => {
    const index = fileURLToPath(new URL('../../src/backend/registry.js', import.meta.url));
    const code = `import('${index}').then((m) => console.log(m.getCpuBackend().kernelInfo().active));`;
    for (const [mode, want] of [
      ['ts', 'ts'],
      ['wasm', 'wasm'],
    ]) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
        env: { ...process.env, D2L_CPU_KERNELS: mode },
        timeout: 30000,
        encoding: 'utf8',
      });
      assert.equal(r.stdout.trim(), want, r.stderr);
    }
  });

  test('plain SIMD (D2L_WASM_RELAXED=0) matches the reference too', () => {
    const index = fileURLToPath(new URL('../../src/index.js', import.meta.url));
    const ctx = fileURLToPath(new URL('../../src/backend/registry.js', import.meta.url));
    const code =
      `const { nd } = await import('${index}'); const { getCpuBackend } = await import('${ctx}'); const be = getCpuBackend();` +
      `nd.random.seed(3); const a = nd.random.normal(0, 1, [37, 29]); const b = nd.random.normal(0, 1, [29, 41]);` +
      `const f = nd.dot(a, b).dataSync(); const e = nd.exp(a).dataSync(); be.setKernels('ts'); const r = nd.dot(a, b).dataSync(); const re = nd.exp(a).dataSync();` +
      `let d = 0; for (let i = 0; i < f.length; i++) d = Math.max(d, Math.abs(f[i] - r[i])); let de = 0; for (let i = 0; i < e.length; i++) de = Math.max(de, Math.abs(e[i] - re[i]) / re[i]);` +
      `console.log(JSON.stringify({ variant: (be.setKernels('wasm'), be.kernelInfo().variant), d, de }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      env: { ...process.env, D2L_WASM_RELAXED: '0', D2L_CPU_KERNELS: 'wasm' },
      timeout: 30000,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout.trim()) as { variant: string; d: number; de: number };
    assert.equal(o.variant, 'simd');
    assert.ok(o.d < 1e-4, `sgemm differs by ${o.d}`);
    assert.ok(o.de < 3e-7, `exp differs by ${o.de} (relative)`);
  });
});
