// Reading GPU arrays (toStringAsync, toArrayAsync, asScalarAsync), the indexing ops whose op layer
// used to read synchronously (boolean masks, `set` with an index array), host-index validation
// for take/pick, and the fused softmax cross-entropy kernels, on gpu(0) against the CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, NDArray } from '../../src/index.js';
import { IndexError } from '../../src/core/errors.js';
import { softmaxCrossEntropy } from '../../src/ops/loss-ops.js';
import { useGpu, gpuAvailable, gpuState, G, rng, randArray, assertNear } from './setup.js';

useGpu();

test('toStringAsync / toArrayAsync / asScalarAsync read GPU arrays as their sync versions read CPU arrays', async (t) => {
  if (!gpuAvailable(t)) return;
  const r = rng(1);
  const cases: NDArray[] = [
    nd.arange(12).reshape([3, 4]),
    randArray(r, [2, 3, 5]),
    randArray(r, [4, 3], 'int32', -50, 50),
    randArray(r, [5], 'bool'),
    randArray(r, [2, 2], 'uint8', 0, 255),
    nd.arange(2000).reshape([40, 50]), // summarised with '...'
    nd.array(7),
    nd.zeros([0, 3]),
  ];
  for (const c of cases) {
    const g = c.copyto(G());
    const footer = (s: string) => s.replace('@cpu(0)>', '@gpu(0)>');
    assert.equal(await g.toStringAsync(), footer(c.toString()), `toStringAsync of ${c.shape}`);
    assert.deepEqual(await g.toArrayAsync(), c.toArray(), `toArrayAsync of ${c.shape}`);
    // A transposed view reads in its own order.
    if (c.ndim === 2) assert.deepEqual(await g.T.toArrayAsync(), c.T.toArray(), `toArrayAsync of a transposed ${c.shape}`);
  }
  assert.equal(await nd.array([2.5]).copyto(G()).asScalarAsync(), 2.5);
  assert.equal(await nd.arange(5).copyto(G()).sum().asScalarAsync(), 10);
  assert.equal(await nd.array([3]).asScalarAsync(), 3, 'asScalarAsync on the CPU');
  await assert.rejects(nd.ones([2]).copyto(G()).asScalarAsync(), /only one-element arrays/);
  // The sync readers name their async replacement; toString prints a placeholder.
  const g = nd.ones([2, 2]).copyto(G());
  assert.throws(() => g.toArray(), /toArrayAsync/);
  assert.throws(() => g.sum().asScalar(), /asScalarAsync/);
  assert.throws(() => g.dataSync(), /await x\.data\(\)/);
  assert.match(g.toString(), /toStringAsync\(\)>\n<NDArray 2x2 @gpu\(0\)>$/);
});

test('boolean masks on gpu(0): get via getAsync (device mask) or get (host mask), set on the device', async (t) => {
  if (!gpuAvailable(t)) return;
  const r = rng(2);
  const x = randArray(r, [6, 4]);
  const rowMask = nd.array([1, 0, 1, 1, 0, 0], { dtype: 'bool' });
  const elemMask = x.greater(0.5).astype('bool');
  const gx = x.copyto(G());
  for (const [what, m] of [
    ['row mask', rowMask],
    ['element mask', elemMask],
  ] as const) {
    const expect = x.get(m);
    const viaAsync = await gx.getAsync(m.copyto(G()));
    assert.deepEqual(viaAsync.shape, expect.shape, what);
    assertNear(await viaAsync.data(), expect.dataSync(), 0, `${what}: getAsync`);
    // A host mask is read on the host; the result stays on the GPU.
    const viaHost = gx.get(m);
    assert.equal(String(viaHost.context), 'gpu(0)');
    assertNear(await viaHost.data(), expect.dataSync(), 0, `${what}: get with a host mask`);
    assert.throws(() => gx.get(m.copyto(G())), /getAsync/);
    // set: where(mask, v, x) on the device, with a device or a host mask.
    for (const mask of [m.copyto(G()), m]) {
      const cpu = x.copy().set(m, -1);
      const gpu = x.copyto(G()).set(mask, -1);
      assertNear(await gpu.data(), cpu.dataSync(), 0, `${what}: set`);
    }
  }
  // Gradients flow through a masked selection.
  const v = gx.copy();
  v.attachGrad();
  const l = autograd.record(() => v.get(rowMask).mul(3).sum());
  l.backward();
  const ref = x.copy();
  ref.attachGrad();
  autograd.record(() => ref.get(rowMask).mul(3).sum()).backward();
  assertNear(await v.grad.data(), ref.grad.dataSync(), 0, 'mask gradient');
  // getAsync is get for every other index.
  assert.deepEqual(await (await gx.getAsync('1:3, 2')).toArrayAsync(), x.get('1:3, 2').toArray());
  await assert.rejects(gx.getAsync(nd.array([1, 0], { dtype: 'bool' }).copyto(G())), /boolean mask of shape/);
});

test('set with an index array on gpu(0): rows written on the device, last duplicate wins as on the CPU', async (t) => {
  if (!gpuAvailable(t)) return;
  const r = rng(3);
  const x = randArray(r, [7, 3]);
  const cases: [string, number[], (n: number) => NDArray | number][] = [
    ['scalar', [0, 4, 6], () => 9],
    ['rows', [5, 1], (k) => randArray(r, [k, 3])],
    ['duplicates: the last wins', [2, 3, 2, 2, 0], (k) => nd.arange(k * 3).reshape([k, 3])],
    ['negative rows', [-1, -7, 3], (k) => randArray(r, [k, 3])],
    ['a row broadcast to every selected row', [1, 2], () => nd.array([1, 2, 3])],
    ['a column broadcast along each row', [4, 0], (k) => randArray(r, [k, 1])],
    ['an index array of 2 dims', [6, 1, 1, 0], () => 5],
  ];
  for (const [what, rows, val] of cases) {
    const v = val(rows.length);
    const idx = what.includes('2 dims') ? nd.array(rows, { dtype: 'int32' }).reshape([2, 2]) : nd.array(rows, { dtype: 'int32' });
    const cpu = x.copy().set(idx, v);
    const gpu = x.copyto(G()).set(idx.copyto(G()), typeof v === 'number' ? v : v.copyto(G()));
    assertNear(await gpu.data(), cpu.dataSync(), 0, what);
    // A host index array with a GPU array is read on the host (as on the CPU).
    const viaHost = x.copyto(G()).set(idx, typeof v === 'number' ? v : v.copyto(G()));
    assertNear(await viaHost.data(), cpu.dataSync(), 0, `${what} (host indices)`);
  }
  // A large index array goes through several one-hot blocks.
  const big = nd.zeros([3000], { ctx: G() });
  const many = Array.from({ length: 5000 }, (_, i) => (i * 7) % 3000);
  big.set(nd.array(many, { dtype: 'int32' }).copyto(G()), nd.arange(5000).copyto(G()));
  const ref = nd.zeros([3000]).set(nd.array(many, { dtype: 'int32' }), nd.arange(5000));
  assertNear(await big.data(), ref.dataSync(), 0, '5000 indices into 3000 rows');
  // Rows out of range cannot raise an error in a kernel: they are skipped (documented).
  const skip = x.copyto(G()).set(nd.array([1, 9], { dtype: 'int32' }).copyto(G()), 0);
  assertNear(
    await skip.data(),
    x
      .copy()
      .set(nd.array([1], { dtype: 'int32' }), 0)
      .dataSync(),
    0,
    'out-of-range rows skipped',
  );
  assert.throws(
    () => x.copyto(G()).set(nd.array([1, 2], { dtype: 'int32' }).copyto(G()), nd.ones([3, 3]).copyto(G())),
    /does not fit 2 selected rows/,
  );
  const none = x.copyto(G()).set(nd.zeros([0], { dtype: 'int32' }).copyto(G()), 1);
  assertNear(await none.data(), x.dataSync(), 0, 'an empty index array changes nothing');
});

test('take/pick: host indices are checked on the host (IndexError as on the CPU), device indices are clipped', async (t) => {
  if (!gpuAvailable(t)) return;
  const x = nd.arange(12).reshape([4, 3]);
  const gx = x.copyto(G());
  assert.throws(
    () => gx.take([0, 4]),
    (e: unknown) => e instanceof IndexError && /index 4 is out of range/.test((e as Error).message),
  );
  assert.throws(() => gx.take([-1]), IndexError);
  assert.throws(() => nd.take(gx, nd.array([1, 7]), { axis: 0 }), IndexError, 'a CPU index array for a GPU array');
  assert.throws(() => gx.pick(nd.array([0, 1, 2, 3])), /index 3 is out of range/);
  assert.throws(() => gx.pick(nd.array([0, 1.5, 2, 0])), IndexError, 'non-integer host index');
  // Valid host indices are copied to the device.
  const tk = gx.take([3, 0, 3], { axis: 0 });
  assert.equal(String(tk.context), 'gpu(0)');
  assert.deepEqual(await tk.toArrayAsync(), x.take([3, 0, 3]).toArray());
  assert.deepEqual(await gx.pick(nd.array([2, 0, 1, 2])).toArrayAsync(), x.pick(nd.array([2, 0, 1, 2])).toArray());
  // Index arrays already on the GPU: out-of-range entries are clipped (MXNet's mode='clip').
  const clipped = await gx.take(nd.array([-3, 1, 99], { dtype: 'int32' }).copyto(G())).toArrayAsync();
  assert.deepEqual(clipped, x.take([0, 1, 3]).toArray());
  const picked = await gx.pick(nd.array([-1, 5, 1, 2]).copyto(G())).toArrayAsync();
  assert.deepEqual(picked, x.pick(nd.array([0, 2, 1, 2])).toArray());
});

test('fused softmax cross-entropy kernels (thread per row, workgroup per row) match the CPU', async (t) => {
  if (!gpuAvailable(t)) return;
  const backend = gpuState.backend!;
  const r = rng(4);
  for (const [rows, C] of [
    [1, 1],
    [37, 10],
    [300, 3],
    [5, 129],
    [33, 1000],
  ]) {
    for (const ldtype of ['int32', 'float32'] as const) {
      const pred = randArray(r, [rows, C], 'float32', -8, 8);
      const label = nd.array(
        Array.from({ length: rows }, () => Math.floor(r() * C)),
        { dtype: ldtype },
      );
      const run = async (ctx: typeof G extends () => infer T ? T : never) => {
        const x = pred.copyto(ctx);
        x.attachGrad();
        const l = autograd.record(() => softmaxCrossEntropy(x, label.copyto(ctx)));
        l.backward(nd.arange(rows).mod(4).add(0.5).copyto(ctx));
        return [await l.data(), await x.grad.data()];
      };
      const before = backend.stats.dispatches;
      const [lg, gg] = await run(G());
      const used = backend.stats.dispatches - before;
      const [lc, gc] = await run(nd.cpu());
      assertNear(lg, lc, 2e-5, `${rows}x${C} ${ldtype}: loss`);
      assertNear(gg, gc, 2e-5, `${rows}x${C} ${ldtype}: gradient`);
      // copy in, forward (1 fused kernel), backward (head gradient, fused gradient, accumulation).
      assert.ok(used <= 8, `${rows}x${C}: ${used} dispatches (the fused kernels were not taken?)`);
    }
  }
  // The backend method itself: loss and softmax, with a non-contiguous (strided) label and loss.
  const pred = randArray(r, [6, 4]);
  const labels = nd.array(
    [
      [0, 9],
      [3, 9],
      [1, 9],
      [2, 9],
      [3, 9],
      [0, 9],
    ],
    { dtype: 'int32' },
  );
  const gp = pred.copyto(G());
  const gl = labels.copyto(G()).get(':, 0');
  const loss = nd.zeros([6, 2], { ctx: G() });
  const prob = nd.zeros([6, 4], { ctx: G() });
  assert.equal(backend.softmaxCrossEntropy(gp, gl, loss.get(':, 1'), prob), true);
  const expect = softmaxCrossEntropy(pred, labels.get(':, 0'));
  assertNear(
    (await loss.data()).filter((_, i) => i % 2 === 1),
    expect.dataSync(),
    1e-5,
    'strided loss',
  );
  assertNear(await prob.data(), nd.softmax(pred).dataSync(), 1e-5, 'softmax');
  // Views it does not handle fall back to the composed path.
  assert.equal(backend.softmaxCrossEntropy(gp.T, gl, loss.get(':, 1'), null), false);
  // NaN and infinities follow the reference.
  const special = nd.array([
    [NaN, 0, 1],
    [Infinity, 0, 1],
    [-Infinity, 0, 1],
    [1e30, -1e30, 0],
  ]);
  const sl = nd.array([1, 1, 0, 0]);
  assertNear(
    await softmaxCrossEntropy(special.copyto(G()), sl.copyto(G())).data(),
    softmaxCrossEntropy(special, sl).dataSync(),
    1e-6,
    'special values',
  );
});
