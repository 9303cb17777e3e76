// The chapter-3 helpers on gpu(0) (WebGPU; lavapipe in CI): trainCh3 and evaluateAccuracy keep
// their sums on the device and read them asynchronously, and give the CPU's numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, d2l, type NDArray } from '../../src/index.js';
import { useGpu, gpuAvailable, G } from '../webgpu/setup.js';

useGpu();

function blobs(n: number): [NDArray, NDArray] {
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  const X = nd.array(labels.map((c) => [c === 0 ? 3 : 0, c === 1 ? 3 : 0, c === 2 ? 3 : 0])).add(nd.random.normal(0, 0.8, [n, 3]));
  return [X, nd.array(labels, { dtype: 'int32' })];
}

async function train(ctx?: ReturnType<typeof G>): Promise<d2l.EpochMetrics[]> {
  nd.random.seed(21);
  const [X, y] = blobs(240);
  const W = nd.random.normal(0, 0.01, [3, 3], ctx ? { ctx } : {});
  const b = nd.zeros([3], ctx ? { ctx } : {});
  W.attachGrad();
  b.attachGrad();
  const net = (x: NDArray) => {
    const e = nd.dot(x, W).add(b).exp();
    return e.div(e.sum({ axis: 1, keepdims: true }));
  };
  const loss = (yHat: NDArray, yy: NDArray) => nd.pick(yHat, yy).log().neg();
  const data = { [Symbol.iterator]: () => d2l.dataIter(24, X, y) };
  return d2l.trainCh3(net, data, data, loss, 2, 24, [W, b], 0.1, null, { print: () => {}, progress: false, ...(ctx ? { ctx } : {}) });
}

test('trainCh3 on gpu(0) gives the CPU numbers', async (t) => {
  if (!gpuAvailable(t)) return;
  const cpu = await train();
  const gpu = await train(G());
  for (let i = 0; i < 2; i++) {
    assert.ok(Math.abs(gpu[i].loss - cpu[i].loss) < 1e-4, `epoch ${i + 1} loss ${gpu[i].loss} vs ${cpu[i].loss}`);
    assert.equal(gpu[i].trainAcc, cpu[i].trainAcc);
    assert.equal(gpu[i].testAcc, cpu[i].testAcc);
  }
});

test('Accumulator and evaluateAccuracy work on gpu(0)', async (t) => {
  if (!gpuAvailable(t)) return;
  const acc = new d2l.Accumulator(1, G());
  acc.add(nd.array([1, 2, 3]).copyto(G()));
  acc.add(4);
  assert.deepEqual(await acc.read(), [10]);
  assert.throws(() => acc.readSync(), /asynchronously/);
  acc.dispose();
  const X = nd.array([
    [1, 0],
    [0, 1],
    [1, 0],
  ]);
  const y = nd.array([0, 1, 1]);
  assert.equal(await d2l.evaluateAccuracy([[X, y]], (x) => x.mul(1), { ctx: G() }), 2 / 3);
});
