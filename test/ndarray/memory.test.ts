// Memory: reference-counted storage, dispose / using / tidy, and the book's linear regression
// running 1,000 steps with flat live arrays and bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, NDArray } from '../../src/index.js';
import { liveAfter } from '../helpers.js';
import { Heap } from '../../src/backend/cpu/heap.js';

const gc = (globalThis as { gc?: () => void }).gc;

/** Runs the garbage collector and lets FinalizationRegistry callbacks run (they need the event loop). */
/**
 * Runs the garbage collector until the live-array count settles: finalization callbacks run in
 * later tasks, and on a loaded machine one short wait is not always enough.
 */
async function collect(): Promise<void> {
  let last = -1;
  let stable = 0;
  // Finalizers run some time after gc(), later on a loaded machine: wait for several stable counts.
  for (let i = 0; i < 200 && stable < 5; i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 15));
    const now = nd.memory().arrays;
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
}

test('tests run with --expose-gc', () => {
  assert.equal(typeof gc, 'function', 'run node with --expose-gc');
});

test('dispose releases storage; views keep it alive until they go too', () => {
  const m0 = nd.memory();
  const x = nd.zeros([1000]);
  const m1 = nd.memory();
  assert.equal(m1.arrays - m0.arrays, 1);
  assert.ok(m1.bytes - m0.bytes >= 4000);
  const v = x.get('10:20');
  assert.equal(nd.memory().arrays - m0.arrays, 2);
  x.dispose();
  assert.equal(nd.memory().bytes, m1.bytes, 'the view still holds the storage');
  v.dispose();
  assert.deepEqual([nd.memory().arrays, nd.memory().bytes], [m0.arrays, m0.bytes]);
});

test('using disposes at the end of the block', () => {
  const m0 = nd.memory();
  let seen: NDArray;
  {
    using a = nd.ones([100]);
    using b = a.mul(2);
    using s = b.sum();
    assert.equal(s.asScalar(), 200);
    seen = b;
  }
  assert.ok(seen.isDisposed);
  assert.deepEqual([nd.memory().arrays, nd.memory().bytes], [m0.arrays, m0.bytes]);
});

test('tidy disposes temporaries and keeps returned arrays (also in lists and objects)', () => {
  const m0 = nd.memory();
  const r = nd.tidy(() => {
    const a = nd.ones([10]);
    const b = a.add(1).mul(3);
    return { b, list: [a.sum()] };
  });
  assert.equal(nd.memory().arrays - m0.arrays, 2);
  assert.deepEqual(r.b.toArray(), Array(10).fill(6));
  assert.equal(r.list[0].asScalar(), 10);
  r.b.dispose();
  r.list[0].dispose();
  assert.deepEqual([nd.memory().arrays, nd.memory().bytes], [m0.arrays, m0.bytes]);
  // nested scopes hand results to the parent; nd.keep lets an array outlive every scope
  let kept: NDArray | undefined;
  const outer = nd.tidy(() => {
    const inner = nd.tidy(() => nd.ones([3]).mul(2));
    kept = nd.keep(nd.zeros([4]));
    nd.ones([5]);
    return inner.add(1);
  });
  assert.deepEqual(outer.toArray(), [3, 3, 3]);
  assert.ok(!kept!.isDisposed);
  assert.equal(nd.memory().arrays - m0.arrays, 2);
  outer.dispose();
  kept!.dispose();
  assert.throws(() => nd.tidy(() => Promise.resolve(1)), TypeError);
  // an exception inside tidy still pops the scope
  assert.throws(
    () =>
      nd.tidy(() => {
        nd.ones([2]);
        throw new Error('boom');
      }),
    /boom/,
  );
});

test('the FinalizationRegistry frees unreachable arrays after gc()', async () => {
  const m0 = nd.memory();
  for (let i = 0; i < 200; i++) nd.ones([256]).mul(2);
  assert.ok(nd.memory().arrays - m0.arrays >= 400);
  await collect();
  const m1 = nd.memory();
  assert.ok(m1.arrays - m0.arrays < 10, `live arrays grew by ${m1.arrays - m0.arrays}`);
});

test('backward frees the tape and its intermediates', () => {
  const x = nd.ones([50]);
  x.attachGrad();
  const d = liveAfter(() => {
    nd.tidy(() => {
      const y = autograd.record(() => x.mul(2).exp().sum());
      y.backward();
    });
  });
  assert.deepEqual(d, { arrays: 0, bytes: 0 });
});

// ------------------------------------------------------------------ the book's linear regression
/** Synthetic data of book 3.2: y = Xw + b + noise, with w = [2, -3.4], b = 4.2. */
function makeData() {
  nd.random.seed(0);
  const features = nd.random.normal(0, 1, [1000, 2]);
  const labels = nd.tidy(() =>
    features
      .get(':, 0')
      .mul(2)
      .add(features.get(':, 1').mul(-3.4))
      .add(4.2)
      .add(nd.random.normal(0, 0.01, [1000])),
  );
  return { features, labels };
}
const linreg = (X: NDArray, w: NDArray, b: NDArray) => nd.dot(X, w).add(b);
const squaredLoss = (yHat: NDArray, y: NDArray) => yHat.sub(y.reshape(yHat.shape)).square().div(2);
function sgd(params: NDArray[], lr: number, batchSize: number) {
  for (const p of params) p.isub(p.grad.mul(lr / batchSize));
}

/** The book's from-scratch training loop, one minibatch per step. */
function linearRegression() {
  const { features, labels } = makeData();
  const w = nd.random.normal(0, 0.01, [2, 1]);
  const b = nd.zeros([1]);
  w.attachGrad();
  b.attachGrad();
  const step = (i: number) => {
    const j = (i * 10) % 1000;
    const X = features.get(`${j}:${j + 10}`);
    const y = labels.get(`${j}:${j + 10}`);
    const l = autograd.record(() => squaredLoss(linreg(X, w, b), y));
    l.backward();
    sgd([w, b], 0.03, 10);
  };
  const loss = () =>
    nd.tidy(() =>
      squaredLoss(linreg(features, w, b), labels)
        .mean()
        .asScalar(),
    );
  const dispose = () => [features, labels, w, b].forEach((a) => a.dispose());
  return { w, b, step, loss, dispose };
}

test('1,000 steps of linear regression with nd.tidy: live arrays and bytes stay flat', () => {
  const samples: { arrays: number; bytes: number; reserved: number }[] = [];
  const m0 = nd.memory();
  const run = linearRegression();
  for (let i = 0; i < 1000; i++) {
    nd.tidy(() => run.step(i));
    if (i % 100 === 99) {
      const m = nd.memory();
      samples.push({ arrays: m.arrays, bytes: m.bytes, reserved: m.reservedBytes });
    }
  }
  for (const s of samples.slice(1)) {
    // The count may fall (handles of idle arrays moved out of the heap, this test's or earlier
    // tests' garbage, stop counting), never grow.
    assert.ok(s.arrays <= samples[0].arrays, `live arrays grew: ${JSON.stringify(samples.map((x) => x.arrays))}`);
    assert.ok(s.bytes <= samples[0].bytes, `live bytes grew: ${JSON.stringify(samples.map((x) => x.bytes))}`); // resident bytes may fall (idle arrays only the GC holds move out of the heap), never grow
    assert.equal(s.reserved, samples[0].reserved, 'the heap stopped growing');
  }
  // Only the data, w, b and their gradients are alive (fewer count once idle ones moved out of the heap).
  assert.ok(samples[0].arrays - m0.arrays <= 6, `live arrays: ${samples[0].arrays - m0.arrays} more than before`);
  // and it learned (book: w = [2, -3.4], b = 4.2, loss ~5e-5)
  const loss = run.loss();
  assert.ok(loss < 1e-4, `loss ${loss}`);
  const [w0, w1] = Array.from(run.w.dataSync());
  assert.ok(Math.abs(w0 - 2) < 1e-2 && Math.abs(w1 + 3.4) < 1e-2, `w = ${w0}, ${w1}`);
  assert.ok(Math.abs(run.b.asScalar() - 4.2) < 1e-2);
  run.dispose();
});

test('1,000 steps without tidy: memory is bounded once the garbage collector runs', async () => {
  await collect();
  const m0 = nd.memory();
  const run = linearRegression();
  const samples: { arrays: number; bytes: number }[] = [];
  for (let chunk = 0; chunk < 4; chunk++) {
    for (let i = 0; i < 250; i++) run.step(chunk * 250 + i);
    await collect();
    const m = nd.memory();
    samples.push({ arrays: m.arrays - m0.arrays, bytes: m.bytes - m0.bytes });
  }
  // After collection only the data, w, b and their gradients survive, every time.
  // (Arrays of earlier tests may still be finalized during the run, so the count can only drop
  // below 6; a leak of one array per step would show as hundreds.)
  for (const s of samples) {
    assert.ok(s.arrays <= 6, `live arrays after gc: ${JSON.stringify(samples)}`);
    assert.ok(s.bytes <= samples[0].bytes, `live bytes after gc: ${JSON.stringify(samples)}`);
  }
  assert.ok(run.loss() < 1e-4);
  run.dispose();
});

test('the CPU heap cuts a large request from a larger free block instead of growing', () => {
  const heap = new Heap(1);
  const MB = 1 << 20;
  const big = heap.alloc(48 * MB);
  heap.free(big, 48 * MB);
  const top = heap.reservedBytes;
  // A data set's uint8 images freed after conversion, then a smaller split loaded: same memory.
  const a = heap.alloc(31 * MB);
  assert.equal(a, big);
  const b = heap.alloc(8 * MB);
  assert.ok(b >= big + Heap.classOf(31 * MB) && b + 8 * MB <= big + 48 * MB, 'the rest of the block is used');
  assert.equal(heap.reservedBytes, top, 'the heap did not grow');
  heap.free(a, 31 * MB);
  heap.free(b, 8 * MB);
  assert.equal(heap.liveBytes, 0);
  assert.equal(heap.alloc(31 * MB), a, 'a carved block goes back to its own size class');
  // A small request also takes freed memory before fresh memory at the top.
  const c = heap.alloc(1000);
  assert.ok(c >= a && c < top, 'a small block comes from the free part of the reserved memory');
  assert.equal(heap.reservedBytes, top);
});
