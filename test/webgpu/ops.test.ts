import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, NDArray, autograd } from '../../src/index.js';
import type { BinaryOp, UnaryOp } from '../../src/backend/backend.js';
import type { DType } from '../../src/core/dtype.js';
import { currentContext, setDefaultContext, type Context } from '../../src/ndarray/context.js';
import { isFloatResult } from '../../src/ops/elementwise.js';
import {
  BINARY_OPS,
  LAYOUTS,
  OP_TABLE,
  UNARY_OPS,
  drawCase,
  inputDtype,
  makeArray,
  type Layout,
  type OpEntry,
} from '../ndarray/op-table.js';
import { G, assertNear, compareOp, gpuAvailable, gpuState, randArray, rng, useGpu } from './setup.js';

useGpu();

// The op lists come from the CPU tests' table (test/ndarray/op-table.ts) and the op layer itself.
const UNARY: UnaryOp[] = UNARY_OPS;
const BINARY: BinaryOp[] = BINARY_OPS;
const SPECIAL = [NaN, Infinity, -Infinity, -0, 0, 0.5, -0.5, 1.5, -2.5, 2.5, 1e-5, -1e-5, 30, -30, 0.49999997, -1, 1, 89, -89, 1e-30];

/** A (7, 13) float32 array: the special values, then random ones. */
function specials(seed: number): NDArray {
  const r = rng(seed);
  const v = new Float32Array(91);
  for (let i = 0; i < v.length; i++) v[i] = i < SPECIAL.length ? SPECIAL[i] : -3 + 6 * r();
  return nd.array(v, { shape: [7, 13] });
}

function unaryCall(op: UnaryOp, x: NDArray): NDArray {
  return (x as unknown as Record<string, () => NDArray>)[op]();
}

test('webgpu: every unary op matches the CPU on special values, plain and transposed', async (t) => {
  if (!gpuAvailable(t)) return;
  const x = specials(1);
  for (const op of UNARY) {
    if (op === 'logicalNot' || op === 'isnan' || op === 'isinf') continue; // no NDArray method; run through the backend below
    const tol = op === 'sin' || op === 'cos' ? 2e-5 : 1e-5;
    await compareOp(`${op}`, [x], (a) => unaryCall(op, a), tol);
    await compareOp(
      `${op} (transposed)`,
      [x],
      (a) => {
        const v = a.T;
        const r = unaryCall(op, v);
        v.dispose();
        return r;
      },
      tol,
    );
  }
});

test('webgpu: backend unary kernels for every op and dtype pair the op layer produces', async (t) => {
  if (!gpuAvailable(t)) return;
  const cpuB = nd.cpu().backend;
  const gpuB = gpuState.backend!;
  const cases: [DType, DType][] = [
    ['float32', 'float32'],
    ['int32', 'int32'],
    ['int32', 'float32'],
    ['uint8', 'uint8'],
    ['float32', 'bool'],
    ['bool', 'bool'],
  ];
  const r = rng(2);
  for (const [din, dout] of cases) {
    const x = din === 'float32' ? specials(3) : randArray(r, [5, 9], din, -20, 20);
    const xg = x.copyto(G());
    for (const op of UNARY) {
      // Float-result ops always get a float output from the op layer (an int store would
      // truncate tanh(20) = 1 - 4e-18 differently in f32 and f64).
      if (dout !== 'float32' && isFloatResult(op)) continue;
      if (din === 'float32' && dout === 'bool' && op !== 'isnan' && op !== 'isinf') continue;
      const oc = nd.zeros(x.shape, { dtype: dout });
      const og = nd.zeros(x.shape, { dtype: dout, ctx: G() });
      cpuB.unary(op, x, oc);
      gpuB.unary(op, xg, og);
      assertNear(await og.data(), oc.dataSync(), 2e-5, `unary ${op} ${din}->${dout}`);
      oc.dispose();
      og.dispose();
    }
    x.dispose();
    xg.dispose();
  }
});

test('webgpu: binary ops with broadcasting, views, scalars and mixed dtypes', async (t) => {
  if (!gpuAvailable(t)) return;
  const r = rng(4);
  const a = randArray(r, [5, 1, 7]);
  const b = randArray(r, [1, 6, 7]);
  const bz = b.mul(b.greater(0.5)); // zeros for div/mod
  for (const op of BINARY) {
    const f = (x: NDArray, y: NDArray | number) =>
      (nd as unknown as Record<string, (p: NDArray | number, q: NDArray | number) => NDArray>)[nameOf(op)](x, y);
    await compareOp(`${op} broadcast`, [a, bz], f);
    await compareOp(`${op} scalar right`, [a], (x) => f(x, 1.5) as NDArray);
    await compareOp(`${op} scalar left`, [a], (x) =>
      (nd as unknown as Record<string, (p: number, q: NDArray) => NDArray>)[nameOf(op)](-2, x),
    );
    await compareOp(`${op} sliced+transposed`, [a, b], (x, y) => {
      const xs = x.reshape([5, 7]).get('1:5, ::2');
      const ys = y.reshape([6, 7]).T.get('::2, 1:5');
      const out = f(xs, ys);
      xs.dispose();
      ys.dispose();
      return out;
    });
  }
  // Integer semantics: wrapping, truncating division by zero to 0, sign of the divisor for mod.
  const ia = randArray(r, [4, 9], 'int32', -50, 50);
  const ib = randArray(r, [4, 9], 'int32', -6, 6);
  for (const op of BINARY) {
    const f = (x: NDArray, y: NDArray) => (nd as unknown as Record<string, (p: NDArray, q: NDArray) => NDArray>)[nameOf(op)](x, y);
    await compareOp(`${op} int32`, [ia, ib], f, 0);
    await compareOp(`${op} int32 x float32`, [ia, randArray(r, [4, 9])], f);
    await compareOp(`${op} uint8`, [ia.abs().astype('uint8'), ib.abs().astype('uint8')], f, 0);
  }
  for (const x of [a, b, bz, ia, ib]) x.dispose();
});

function nameOf(op: BinaryOp): string {
  return ({ add: 'add', sub: 'subtract', mul: 'multiply', div: 'divide', pow: 'power' } as Record<string, string>)[op] ?? op;
}

test('webgpu: where, astype between all dtypes, full', async (t) => {
  if (!gpuAvailable(t)) return;
  const r = rng(5);
  const c = randArray(r, [3, 1, 5]);
  const a = randArray(r, [3, 4, 5]);
  const b = randArray(r, [4, 1], 'int32', -9, 9);
  await compareOp('where', [c.greater(0), a, b], (x, y, z) => nd.where(x, y, z));
  await compareOp('where float cond (NaN counts as true)', [specials(6).reshape([91]).get(':20'), randArray(r, [20])], (x, y) =>
    nd.where(x, y, 7),
  );
  const dts: DType[] = ['float32', 'int32', 'uint8', 'bool'];
  const src = specials(7).mul(40);
  for (const from of dts)
    for (const to of dts)
      await compareOp(
        `astype ${from}->${to}`,
        [src],
        (x) => {
          const s = x.astype(from);
          const out = s.T.astype(to);
          s.dispose();
          return out;
        },
        0,
      );
  for (const d of dts) {
    // 2.7 truncates into the integer dtypes; bool takes only 0/1 at creation
    const v = d === 'bool' ? 1 : 2.7;
    const g = nd.full([3, 5], v, { dtype: d, ctx: G() });
    const cpu = nd.full([3, 5], v, { dtype: d });
    assertNear(await g.data(), cpu.dataSync(), 0, `full ${d}`);
  }
  for (const x of [c, a, b, src]) x.dispose();
});

test('webgpu: reductions over every axis set, arg reductions, NaN, integers, large sizes', async (t) => {
  if (!gpuAvailable(t)) return;
  const r = rng(8);
  const x = randArray(r, [4, 5, 6, 3]);
  const axesSets: (number | number[] | undefined)[] = [undefined, 0, 1, 2, 3, [0, 2], [1, 3], [0, 1, 2], [2, 3], [0, 3]];
  for (const op of ['sum', 'prod', 'max', 'min'] as const)
    for (const axis of axesSets) {
      await compareOp(`${op} axis ${JSON.stringify(axis)}`, [x], (a) => a[op]({ axis }), 2e-5);
      await compareOp(
        `${op} keepdims transposed axis ${JSON.stringify(axis)}`,
        [x],
        (a) => a.transpose([2, 0, 3, 1])[op]({ axis, keepdims: true }),
        2e-5,
      );
    }
  for (const op of ['argmax', 'argmin'] as const) {
    for (const axis of [0, 1, 2, 3, undefined]) await compareOp(`${op} axis ${axis}`, [x], (a) => a[op]({ axis }), 0);
    await compareOp(
      `${op} ties and NaN`,
      [
        nd.array([
          [1, 3, 3, 0],
          [2, NaN, 5, NaN],
          [-1, -1, -1, -1],
        ]),
      ],
      (a) => a[op]({ axis: 1 }),
      0,
    );
  }
  await compareOp(
    'max with NaN',
    [
      nd.array([
        [1, NaN, 3],
        [4, 5, 6],
      ]),
    ],
    (a) => a.max({ axis: 1 }),
    0,
  );
  const xi = randArray(r, [6, 7], 'int32', -100, 100);
  for (const op of ['sum', 'prod', 'max', 'min', 'argmax'] as const) await compareOp(`${op} int32`, [xi], (a) => a[op]({ axis: 1 }), 0);
  await compareOp('sum uint8 -> int32', [xi.abs().astype('uint8')], (a) => a.sum(), 0);
  // Large: the workgroup tree (long rows), the two-pass partials (one huge row) and the serial
  // outer-axis path (many columns).
  const big = randArray(r, [3, 70001], 'float32', 0, 1);
  await compareOp('sum long rows', [big], (a) => a.sum({ axis: 1 }), 1e-4);
  await compareOp('sum everything (partials)', [big], (a) => a.sum(), 1e-4);
  await compareOp('argmax long rows', [big], (a) => a.argmax({ axis: 1 }), 0);
  await compareOp('argmin everything (partials)', [big], (a) => a.argmin(), 0);
  await compareOp('max everything (partials)', [big], (a) => a.max(), 0);
  const wide = randArray(r, [300, 1500], 'float32', -1, 1);
  await compareOp('sum over rows of a wide array', [wide], (a) => a.sum({ axis: 0 }), 1e-4);
  await compareOp('mean of the transpose', [wide], (a) => a.T.mean({ axis: 1 }), 1e-4);
  await compareOp('empty axis sum', [nd.zeros([3, 0])], (a) => a.sum({ axis: 1 }), 0);
  for (const a of [x, xi, big, wide]) a.dispose();
});

test('webgpu: matmul on random shapes, transposed operands, batches and tile configurations', async (t) => {
  if (!gpuAvailable(t)) return;
  const r = rng(9);
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 2],
    [17, 33, 9],
    [64, 64, 64],
    [65, 17, 70],
    [130, 7, 3],
    [5, 300, 140],
    [256, 78, 10],
    [8, 100, 257],
    [1030, 20, 1100],
  ];
  for (const [m, k, n] of shapes) {
    const a = randArray(r, [m, k], 'float32', -1, 1);
    const b = randArray(r, [k, n], 'float32', -1, 1);
    const tol = 1e-5 * Math.max(1, Math.sqrt(k));
    await compareOp(`dot ${m}x${k}x${n}`, [a, b], (x, y) => nd.dot(x, y), tol);
    await compareOp(
      `dot T ${m}x${k}x${n}`,
      [a, b],
      (x, y) => {
        const xt = x.T.copy();
        const yt = y.T.copy();
        const out = nd.dot(xt, yt, { transposeA: true, transposeB: true });
        xt.dispose();
        yt.dispose();
        return out;
      },
      tol,
    );
    a.dispose();
    b.dispose();
  }
  const A = randArray(r, [2, 3, 9, 11]);
  const B = randArray(r, [3, 11, 4]);
  await compareOp('batched broadcast matmul', [A, B], (x, y) => nd.matmul(x, y), 1e-4);
  await compareOp(
    'batchDot transposed',
    [A.reshape([6, 9, 11]), A.reshape([6, 9, 11])],
    (x, y) => nd.batchDot(x, y, { transposeB: true }),
    1e-4,
  );
  await compareOp('matmul of a sliced view', [A], (x) => nd.matmul(x.get(':, 1, ::2, 1:'), x.get('1, 0, :, 1:').T), 1e-4);
  await compareOp('int32 matmul', [randArray(r, [7, 9], 'int32', -5, 5), randArray(r, [9, 6], 'int32', -5, 5)], (x, y) => nd.dot(x, y), 0);
  await compareOp('matrix-vector', [randArray(r, [40, 30]), randArray(r, [30])], (x, y) => nd.dot(x, y), 1e-4);
  A.dispose();
  B.dispose();
});

test('webgpu: take, pick, oneHot and their gradients', async (t) => {
  if (!gpuAvailable(t)) return;
  const r = rng(10);
  const x = randArray(r, [6, 5, 4]);
  const idx = nd.array(
    [
      [2, 0, 5],
      [5, 5, 1],
    ],
    { dtype: 'int32' },
  );
  for (const axis of [0, 1, 2]) {
    const id = axis === 0 ? idx : idx.mod(axis === 1 ? 5 : 4);
    await compareOp(`take axis ${axis}`, [x, id], (a, i) => nd.take(a, i, { axis }), 0);
    await compareOp(
      `take axis ${axis} of a transposed view with float indices`,
      [x, id],
      (a, i) => nd.take(a.transpose([1, 0, 2]), i.astype('float32').mod(5), { axis }),
      0,
    );
  }
  const labels = nd.array([3, 0, 4, 4, 1, 2]);
  const logits = randArray(r, [6, 5]);
  await compareOp('pick', [logits, labels], (a, l) => nd.pick(a, l), 0);
  await compareOp(
    'pick axis 0 keepdims',
    [logits, nd.array([1, 5, 0, 2, 3], { dtype: 'int32' })],
    (a, l) => nd.pick(a, l, { axis: 0, keepdims: true }),
    0,
  );
  await compareOp('oneHot', [labels], (l) => nd.oneHot(l, 5), 0);
  await compareOp(
    'oneHot out of range, int32, custom values',
    [
      nd.array(
        [
          [1, 7],
          [-1, 2],
        ],
        { dtype: 'int32' },
      ),
    ],
    (l) => nd.oneHot(l, 3, { onValue: 5, offValue: -1, dtype: 'int32' }),
    0,
  );
  // Gradients: take with repeated indices accumulates.
  const grads: Float32Array[] = [];
  for (const ctx of [nd.cpu(), G()]) {
    const w = x.copyto(ctx);
    w.attachGrad();
    const i = idx.copyto(ctx);
    const l = labels.copyto(ctx);
    const lg = logits.copyto(ctx);
    lg.attachGrad();
    autograd
      .record(() =>
        nd
          .take(w, i, { axis: 0 })
          .mul(nd.arange(0, 4, 1, { ctx }))
          .sum()
          .add(nd.pick(lg, l).square().sum()),
      )
      .backward();
    grads.push((await w.grad.data()) as Float32Array, (await lg.grad.data()) as Float32Array);
  }
  assertNear(grads[2], grads[0], 1e-5, 'take gradient');
  assertNear(grads[3], grads[1], 1e-5, 'pick gradient');
  x.dispose();
});

test('webgpu: conv2d, pooling and their gradients through the backend interface', async (t) => {
  if (!gpuAvailable(t)) return;
  const cpuB = nd.cpu().backend;
  const gpuB = gpuState.backend!;
  const r = rng(11);
  const cases = [
    { x: [2, 3, 9, 8], w: [4, 3, 3, 3], p: { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 } },
    { x: [1, 4, 11, 7], w: [6, 2, 3, 2], p: { stride: [2, 1], padding: [0, 1], dilation: [2, 1], groups: 2 } },
    { x: [3, 1, 5, 5], w: [2, 1, 5, 5], p: { stride: [3, 3], padding: [2, 2], dilation: [1, 1], groups: 1 } },
  ] as const;
  for (const c of cases) {
    const p = { stride: [...c.p.stride], padding: [...c.p.padding], dilation: [...c.p.dilation], groups: c.p.groups } as Parameters<
      typeof cpuB.conv2d
    >[2];
    const x = randArray(r, [...c.x]);
    const w = randArray(r, [...c.w]);
    const oh = Math.floor((c.x[2] + 2 * p.padding[0] - p.dilation[0] * (c.w[2] - 1) - 1) / p.stride[0]) + 1;
    const ow = Math.floor((c.x[3] + 2 * p.padding[1] - p.dilation[1] * (c.w[3] - 1) - 1) / p.stride[1]) + 1;
    const oshape = [c.x[0], c.w[0], oh, ow];
    const xg = x.copyto(G());
    const wg = w.copyto(G());
    const oc = nd.zeros(oshape);
    const og = nd.zeros(oshape, { ctx: G() });
    cpuB.conv2d(x, w, p, oc);
    gpuB.conv2d(xg, wg, p, og);
    assertNear(await og.data(), oc.dataSync(), 1e-4, `conv2d ${JSON.stringify(c)}`);
    const g = randArray(r, oshape);
    const gg = g.copyto(G());
    const [dxc, dwc] = [nd.ones(x.shape), nd.ones(w.shape)];
    const [dxg, dwg] = [nd.ones(x.shape, { ctx: G() }), nd.ones(w.shape, { ctx: G() })];
    cpuB.conv2dGrad(g, x, w, p, dxc, dwc);
    gpuB.conv2dGrad(gg, xg, wg, p, dxg, dwg);
    assertNear(await dxg.data(), dxc.dataSync(), 1e-4, `conv2d dx ${JSON.stringify(c)}`);
    assertNear(await dwg.data(), dwc.dataSync(), 1e-4, `conv2d dw ${JSON.stringify(c)}`);
  }
  const x = randArray(r, [2, 3, 9, 7]);
  x.set('0, 0, 0:3, 0:3', 1); // ties: the first maximum takes the gradient
  const xg = x.copyto(G());
  for (const kind of ['max', 'avg'] as const)
    for (const pp of [
      { kernel: [2, 2], stride: [2, 2], padding: [0, 0], countIncludePad: true },
      { kernel: [3, 3], stride: [2, 1], padding: [1, 1], countIncludePad: true },
      { kernel: [3, 2], stride: [1, 2], padding: [1, 1], countIncludePad: false },
    ] as const) {
      const p = {
        kernel: [...pp.kernel],
        stride: [...pp.stride],
        padding: [...pp.padding],
        countIncludePad: pp.countIncludePad,
      } as Parameters<typeof cpuB.pool2d>[2];
      const oh = Math.floor((9 + 2 * p.padding[0] - p.kernel[0]) / p.stride[0]) + 1;
      const ow = Math.floor((7 + 2 * p.padding[1] - p.kernel[1]) / p.stride[1]) + 1;
      const oshape = [2, 3, oh, ow];
      const oc = nd.zeros(oshape);
      const og = nd.zeros(oshape, { ctx: G() });
      cpuB.pool2d(kind, x, p, oc);
      gpuB.pool2d(kind, xg, p, og);
      assertNear(await og.data(), oc.dataSync(), 1e-5, `pool2d ${kind} ${JSON.stringify(pp)}`);
      const g = randArray(r, oshape);
      const dxc = nd.zeros(x.shape);
      const dxg = nd.zeros(x.shape, { ctx: G() });
      cpuB.pool2dGrad(kind, g, x, p, dxc);
      gpuB.pool2dGrad(kind, g.copyto(G()), xg, p, dxg);
      assertNear(await dxg.data(), dxc.dataSync(), 1e-5, `pool2d grad ${kind} ${JSON.stringify(pp)}`);
    }
});

test('webgpu: host transfers, strided writes and reads, in-place ops, zero-size arrays', async (t) => {
  if (!gpuAvailable(t)) return;
  const x = nd.arange(24).reshape([4, 6]).copyto(G());
  x.set(
    '1:3, ::2',
    nd.array([
      [10, 11, 12],
      [13, 14, 15],
    ]),
  );
  x.set('3', 7);
  x.get('0').iadd(100);
  const cpu = nd.arange(24).reshape([4, 6]);
  cpu.set(
    '1:3, ::2',
    nd.array([
      [10, 11, 12],
      [13, 14, 15],
    ]),
  );
  cpu.set('3', 7);
  cpu.get('0').iadd(100);
  assertNear(await x.data(), cpu.dataSync(), 0, 'set/iadd');
  assertNear(await x.T.get('1:5:2').data(), cpu.T.get('1:5:2').dataSync(), 0, 'strided read');
  const u8 = nd.array(new Uint8Array([0, 1, 200, 255]), { ctx: G() });
  assert.deepEqual(await u8.data(), new Uint8Array([0, 1, 200, 255]));
  assert.ok((await u8.data()) instanceof Uint8Array);
  const bools = u8.greater(100);
  assert.equal(bools.dtype, 'uint8');
  assert.deepEqual(Array.from(await bools.data()), [0, 0, 1, 1]);
  assert.deepEqual(Array.from(await u8.astype('bool').data()), [0, 1, 1, 1]);
  const e = nd.zeros([0, 3], { ctx: G() });
  assert.equal((await e.add(1).data()).length, 0);
  const back = await x.copytoAsync(nd.cpu());
  assert.equal(back.context.deviceType, 'cpu');
  assertNear(back.dataSync(), cpu.dataSync(), 0, 'copytoAsync');
  // Writing into a GPU array from another GPU array and the reverse in-place path.
  const y = nd.zeros([4, 6], { ctx: G() });
  await x.copytoAsync(y);
  assertNear(await y.data(), cpu.dataSync(), 0, 'copytoAsync into a GPU array');
});

test('webgpu: many recorded ops are batched into few submissions; buffers are pooled', async (t) => {
  if (!gpuAvailable(t)) return;
  const b = gpuState.backend!;
  const x = nd.ones([64, 64], { ctx: G() });
  const chain = async (): Promise<Float32Array> => {
    let y = x;
    for (let i = 0; i < 200; i++) {
      const m = y.mul(1.01);
      const z = m.add(0.001);
      m.dispose();
      if (y !== x) y.dispose();
      y = z;
    }
    const v = (await y.data()) as Float32Array;
    y.dispose();
    return v;
  };
  const s0 = { ...b.stats };
  const v = await chain();
  const submits = b.stats.submits - s0.submits;
  assert.ok(submits <= 3, `200 x 2 ops took ${submits} submissions`);
  let ref = 1;
  for (let i = 0; i < 200; i++) ref = Math.fround(Math.fround(ref * Math.fround(1.01)) + Math.fround(0.001));
  assertNear([v[0], v[4095]], [ref, ref], 1e-5, 'chain');
  // A second identical chain is served from the pool: no new buffers.
  const created = b.poolStats().created;
  await chain();
  assert.equal(b.poolStats().created, created, 'the second chain created buffers instead of reusing them');
});

/**
 * Entries of the table the GPU cannot run as the CPU does: results in float64 (WebGPU has none)
 * and ops that read a GPU array synchronously (a copy to the host, a boolean mask: `getAsync`).
 */
const GPU_SKIP = new Set(['copyto(cpu())', 'get(bool mask)']);
const runsOnGpu = (e: OpEntry): boolean => !GPU_SKIP.has(e.name) && (e.outDtype?.('float32') ?? 'float32') !== 'float64';

/** The table's input `i` of a case, made on `ctx` in `layout` (float inputs float32: WebGPU has no float64). */
function tableInput(ctx: Context, data: number[], shape: number[], dtype: DType, layout: Layout): NDArray {
  const prev = currentContext();
  setDefaultContext(ctx);
  try {
    return makeArray(data, shape, dtype, dtype === 'float32' ? layout : 'contiguous');
  } finally {
    setDefaultContext(prev);
  }
}

/** One case of an entry run on the CPU and on the GPU from the same inputs, in the same layout. */
async function compareTableCase(e: OpEntry, caseIdx: number, layout: Layout, tol: number): Promise<void> {
  const specs = e.cases[caseIdx];
  const data = drawCase(specs, 1000 + caseIdx);
  const run = (ctx: Context) =>
    nd.tidy(() => e.fn(specs.map((sp, i) => tableInput(ctx, data[i], sp.shape, inputDtype(sp, 'float32'), layout))));
  const what = `${e.name} case ${caseIdx} (${specs.map((sp) => JSON.stringify(sp.shape)).join(', ')}) ${layout}`;
  const cpu = run(nd.cpu());
  const gpu = run(G());
  assert.equal(gpu.context.deviceType, 'gpu', `${what}: result is on ${gpu.context}`);
  assert.deepEqual(gpu.shape, cpu.shape, `${what}: shape`);
  assert.equal(gpu.dtype, cpu.dtype, `${what}: dtype`);
  assertNear(await gpu.data(), cpu.dataSync(), tol, what);
  cpu.dispose();
  gpu.dispose();
}

describe('webgpu: every op of the shared table (test/ndarray/op-table.ts) matches the CPU, in every layout', () => {
  for (const e of OP_TABLE.filter(runsOnGpu))
    test(e.name, async (t) => {
      if (!gpuAvailable(t)) return;
      const tol = (e.name === 'sin' || e.name === 'cos' ? 2e-5 : 1e-5) + (e.tol32 ?? 0);
      for (let c = 0; c < e.cases.length; c++)
        for (const layout of e.contiguousOnly ? (['contiguous'] as const) : LAYOUTS) await compareTableCase(e, c, layout, tol);
    });
});

test('webgpu: relu keeps NaN (as the CPU kernels), its gradient at NaN is 0; logSoftmax([Infinity, 0]) is [NaN, -Infinity]', async (t) => {
  if (!gpuAvailable(t)) return;
  const v = [NaN, -1, 2, -0, 0, Infinity, -Infinity];
  const x = nd.array(v, { ctx: G() });
  const y = Array.from(await x.relu().data());
  assert.ok(Number.isNaN(y[0]));
  assert.deepEqual(y.slice(1), [0, 2, 0, 0, Infinity, 0]);
  x.attachGrad();
  autograd.record(() => x.relu().sum()).backward();
  const g = Array.from(await x.grad.data());
  assert.deepEqual(g, [0, 0, 1, 0, 0, 1, 0]);
  const ls = Array.from(await nd.logSoftmax(nd.array([[Infinity, 0, 1]], { ctx: G() })).data());
  assert.ok(Number.isNaN(ls[0]));
  assert.deepEqual(ls.slice(1), [-Infinity, -Infinity]);
});

test('webgpu: astype wraps as on the CPU (truncate toward zero, modulo 2^n; NaN and ±Infinity -> 0; bool: non-zero and NaN -> 1); creation errors', async (t) => {
  if (!gpuAvailable(t)) return;
  const v = [300, -1, 1.7, -1.7, 255.9, 256, -256.5, 3e9, -3e9, NaN, Infinity, -Infinity, 0.4, -0];
  const expected: Record<string, number[]> = {
    uint8: [44, 255, 1, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    int32: [300, -1, 1, -1, 255, 256, -256, -1294967296, 1294967296, 0, 0, 0, 0, 0],
    bool: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
  };
  for (const ctx of [nd.cpu(), G()]) {
    const x = nd.array(v, { ctx });
    for (const [d, e] of Object.entries(expected))
      assert.deepEqual(Array.from(await x.astype(d as DType).data()), e, `astype ${d} on ${ctx}`);
    assert.throws(() => nd.array([300], { dtype: 'uint8', ctx }), /does not fit dtype uint8/);
    assert.throws(() => nd.full([2], NaN, { dtype: 'int32', ctx }), /does not fit dtype int32/);
  }
});
