// WebGPU arrays follow the CPU heap's rules at the async points a GPU loop always has (`await
// x.data()`, `asScalarAsync`): a loop written as the book writes it (no tidy, no dispose) keeps
// the GPU's resident and reserved bytes flat, and arrays the user still holds stay valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, gluon, init, type NDArray } from '../../src/index.js';
import { useGpu, gpuAvailable, G } from './setup.js';

useGpu();

const KiB = 1 << 10;

function gpuMemory(): { bytes: number; reserved: number; evictions: number; readmissions: number } {
  const m = nd.memory().devices['gpu(0)'];
  return { bytes: m.bytes, reserved: m.reservedBytes ?? 0, evictions: m.evictions ?? 0, readmissions: m.readmissions ?? 0 };
}

test('a Gluon MLP loop on gpu(0) with no memory calls keeps resident and reserved bytes flat', async (t) => {
  if (!gpuAvailable(t)) return;
  nd.random.seed(5);
  const ctx = G();
  const X = nd.random.normal(0, 1, [256, 20]);
  const y = nd.random.randint(0, 10, [256]);
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Dense(64, { activation: 'relu' }), new gluon.nn.Dense(10));
  net.initialize(new init.Normal(0.01), { ctx });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  const trainIter = new gluon.data.DataLoader(new gluon.data.ArrayDataset(X, y), { batchSize: 32, shuffle: true });
  const first = { bytes: 0, reserved: 0 };
  const later = { bytes: 0, reserved: 0 };
  const kept: NDArray[] = []; // one prediction per 50 steps, read after the loop
  let step = 0;
  let trainLSum = 0;
  for (let epoch = 0; epoch < 50; epoch++) {
    for (const [Xb, yb] of trainIter) {
      const Xg = Xb.asInContext(ctx);
      const yg = yb.asInContext(ctx);
      const l = autograd.record(() => loss.forward(net.forward(Xg), yg));
      l.backward();
      trainer.step(32);
      trainLSum += await l.sum().asScalarAsync();
      step++;
      if (step % 50 === 0) kept.push(net.forward(Xg).argmax({ axis: 1 }));
      const m = gpuMemory();
      const into = step <= 50 ? first : later;
      into.bytes = Math.max(into.bytes, m.bytes);
      into.reserved = Math.max(into.reserved, m.reserved);
    }
  }
  assert.equal(step, 400);
  assert.ok(Number.isFinite(trainLSum));
  // Measured after each step's read: what a step dropped has left the GPU by then, whenever the
  // garbage collector runs (its finalizers alone let the resident bytes wander to 25x this model's).
  assert.ok(later.bytes <= first.bytes + 16 * KiB, `resident GPU bytes: steps 1-50 at most ${first.bytes}, later ${later.bytes}`);
  assert.ok(
    later.reserved <= first.reserved + 64 * KiB,
    `reserved GPU bytes: steps 1-50 at most ${first.reserved}, later ${later.reserved}`,
  );
  const m = gpuMemory();
  assert.ok(m.evictions > 0, 'dropped arrays moved off the GPU');
  // The kept predictions were evicted while the loop ran; they read correctly, moved back.
  assert.equal(kept.length, 8);
  const preds = await nd.concat(kept, { dim: 0 }).toArrayAsync();
  assert.equal(preds.length, 8 * 32);
  for (const p of preds) assert.ok(Number.isInteger(p) && p >= 0 && p < 10, `prediction ${p}`);
  assert.ok(gpuMemory().readmissions > m.readmissions, 'the kept arrays moved back to the GPU to be read');
});

test('an evicted GPU array reads, computes and updates in place exactly as before', async (t) => {
  if (!gpuAvailable(t)) return;
  const a = nd.arange(0, 1000, 1, { ctx: G() }).mul(0.5);
  const b = nd.ones([1000], { ctx: G() });
  // Reads of other arrays: `a` and `b`, untouched for two of them, leave the GPU at the third.
  const before = gpuMemory().bytes;
  for (let i = 0; i < 3; i++) await nd.zeros([1], { ctx: G() }).data();
  assert.ok(gpuMemory().bytes <= before - 8000, `a and b (8000 bytes) left the GPU: ${before} -> ${gpuMemory().bytes} bytes`);
  a.iadd(b); // moved back, then written in place
  const v = await a.data();
  assert.equal(v.length, 1000);
  for (let i = 0; i < 1000; i++) assert.equal(v[i], i * 0.5 + 1);
  assert.equal(await b.sum().asScalarAsync(), 1000);
});

test('reads started together share one pick, and an array written after it was picked keeps the newer values', async (t) => {
  if (!gpuAvailable(t)) return;
  const a = nd.zeros([64], { ctx: G() });
  for (let i = 0; i < 2; i++) await nd.zeros([1], { ctx: G() }).data(); // a is now older than two reads
  // This read picks `a`; while its copy is in flight, `a` is written: it stays resident, new values.
  const evictions = gpuMemory().evictions;
  const pending = Promise.all([nd.zeros([1], { ctx: G() }).data(), nd.ones([1], { ctx: G() }).data()]);
  a.iadd(7);
  await pending;
  assert.ok(gpuMemory().evictions <= evictions + 2, 'the second read picked nothing the first had not');
  assert.deepEqual(Array.from(await a.data()), new Array(64).fill(7));
});
