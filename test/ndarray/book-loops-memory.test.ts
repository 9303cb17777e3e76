// The book's loops written as the book writes them (no tidy, no dispose), each run in one
// synchronous job: arrays the user still holds stay valid, and the CPU heap stays flat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, d2l, gluon, init, type NDArray } from '../../src/index.js';

// scripts/run-tests.mjs runs this file without --expose-gc: nothing here can force a collection.
test('this file runs without an explicit garbage collector', () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'run by scripts/run-tests.mjs, without --expose-gc');
});

/** The CPU heap's live and reserved bytes, and the process's RSS. */
function measure(): { live: number; reserved: number; rss: number } {
  const m = nd.memory().devices['cpu(0)'];
  return { live: m.bytes, reserved: m.reservedBytes ?? 0, rss: process.memoryUsage().rss };
}

const MiB = 1 << 20;

test('a 20,000-step Gluon MLP loop with no memory calls keeps the heap flat after its first 1,000 steps', () => {
  nd.random.seed(3);
  const X = nd.random.normal(0, 1, [512, 20]);
  const y = nd.random.randint(0, 10, [512]);
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Dense(32, { activation: 'relu' }), new gluon.nn.Dense(10));
  net.initialize(new init.Normal(0.01));
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  const trainIter = new gluon.data.DataLoader(new gluon.data.ArrayDataset(X, y), { batchSize: 32, shuffle: true });
  const first = { live: 0, reserved: 0, rss: 0 };
  const later = { live: 0, reserved: 0, rss: 0 };
  let step = 0;
  let trainLSum = 0;
  while (step < 20000) {
    for (const [Xb, yb] of trainIter) {
      const l = autograd.record(() => loss.forward(net.forward(Xb), yb));
      l.backward();
      trainer.step(32);
      trainLSum += l.sum().asScalar();
      step++;
      const m = measure();
      const into = step <= 1000 ? first : later;
      into.live = Math.max(into.live, m.live);
      into.reserved = Math.max(into.reserved, m.reserved);
      into.rss = Math.max(into.rss, m.rss);
    }
  }
  assert.ok(Number.isFinite(trainLSum));
  const mib = (v: number) => (v / MiB).toFixed(2);
  console.log(
    `# steps 1-1000 / 1001-20000 peaks: live ${mib(first.live)} / ${mib(later.live)} MiB, reserved ${mib(first.reserved)} / ${mib(later.reserved)} MiB, RSS ${mib(first.rss)} / ${mib(later.rss)} MiB`,
  );
  assert.ok(later.live <= first.live + MiB, `live bytes: steps 1-1000 at most ${first.live}, later ${later.live}`);
  assert.ok(later.reserved <= first.reserved + MiB, `reserved bytes: steps 1-1000 at most ${first.reserved}, later ${later.reserved}`);
  // The JS heap (the handles, the evicted bytes until V8 collects them) grows to V8's own sizing
  // first (~40 MiB here); 64 MiB bounds that. Before eviction withdrew the GC's records of the
  // moved storages' handles, they piled up (+83 MiB over these steps, without bound).
  assert.ok(later.rss <= first.rss + 64 * MiB, `RSS: steps 1-1000 at most ${first.rss}, later ${later.rss}`);
});

/** The book's 5.10 batch_norm, transcribed with its names in camelCase. */
function batchNorm(
  X: NDArray,
  gamma: NDArray,
  beta: NDArray,
  movingMean: NDArray,
  movingVar: NDArray,
  eps: number,
  momentum: number,
): NDArray[] {
  let XHat: NDArray;
  if (!autograd.isTraining()) {
    XHat = X.sub(movingMean).div(nd.sqrt(movingVar.add(eps)));
  } else {
    assert.ok(X.shape.length === 2 || X.shape.length === 4);
    let mean: NDArray;
    let variance: NDArray;
    if (X.shape.length === 2) {
      mean = X.mean({ axis: 0 });
      variance = X.sub(mean).square().mean({ axis: 0 });
    } else {
      mean = X.mean({ axis: [0, 2, 3], keepdims: true });
      variance = X.sub(mean)
        .square()
        .mean({ axis: [0, 2, 3], keepdims: true });
    }
    XHat = X.sub(mean).div(nd.sqrt(variance.add(eps)));
    movingMean = movingMean.mul(momentum).add(mean.mul(1.0 - momentum));
    movingVar = movingVar.mul(momentum).add(variance.mul(1.0 - momentum));
  }
  const Y = gamma.mul(XHat).add(beta);
  return [Y, movingMean, movingVar];
}

class BatchNorm extends gluon.nn.Block {
  gamma: gluon.Parameter;
  beta: gluon.Parameter;
  movingMean: NDArray;
  movingVar: NDArray;
  constructor(numFeatures: number, numDims: number) {
    super();
    const shape = numDims === 2 ? [1, numFeatures] : [1, numFeatures, 1, 1];
    this.gamma = this.params.get('gamma', { shape, init: new init.One() });
    this.beta = this.params.get('beta', { shape, init: new init.Zero() });
    this.movingMean = nd.zeros(shape);
    this.movingVar = nd.zeros(shape);
  }
  override forward(X: NDArray): NDArray {
    let Y: NDArray;
    [Y, this.movingMean, this.movingVar] = batchNorm(X, this.gamma.data(), this.beta.data(), this.movingMean, this.movingVar, 1e-5, 0.9);
    return Y;
  }
}

function trainBatchNorm(wrap: <T>(fn: () => T) => T): { movingMean: number[]; last: number } {
  nd.random.seed(5);
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Dense(8), new BatchNorm(8, 2), new gluon.nn.Activation('sigmoid'), new gluon.nn.Dense(3));
  net.initialize(new init.Normal(0.1));
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5 });
  const X = nd.random.normal(0, 1, [64, 4]);
  const y = nd.random.randint(0, 3, [64]);
  const trainIter = new gluon.data.DataLoader(new gluon.data.ArrayDataset(X, y), { batchSize: 16 });
  let last = 0;
  for (let epoch = 0; epoch < 5; epoch++)
    for (const [Xb, yb] of trainIter)
      last = wrap(() => {
        const l = autograd.record(() => loss.forward(net.forward(Xb), yb));
        l.backward();
        trainer.step(16);
        return l.mean().asScalar();
      });
  const bn = net.get<BatchNorm>(1);
  return { movingMean: Array.from(bn.movingMean.dataSync()), last };
}

test("5.10's batch norm from scratch trains as the book writes it, and the same under nd.tidy (the Block keeps its own statistics)", () => {
  const plain = trainBatchNorm((fn) => fn());
  const tidy = trainBatchNorm((fn) => nd.tidy(fn));
  assert.ok(Number.isFinite(plain.last));
  assert.equal(plain.movingMean.length, 8);
  assert.deepEqual(tidy.movingMean, plain.movingMean);
  assert.equal(tidy.last, plain.last);
});

test("a Block's attribute takes its own reference: reassigning it leaves the user's handle valid", () => {
  const b = new BatchNorm(2, 2);
  const mine = nd.array([[1, 2]]);
  b.movingMean = mine;
  b.movingMean = nd.array([[3, 4]]);
  assert.deepEqual(Array.from(mine.dataSync()), [1, 2]);
  mine.dispose();
  assert.deepEqual(Array.from(b.movingMean.dataSync()), [3, 4]);
});

test("3.2's scratch loop (its own dataIter and sgd) keeps the heap flat", () => {
  nd.random.seed(1);
  const numInputs = 2;
  const numExamples = 1000;
  const trueW = [2, -3.4];
  const trueB = 4.2;
  const features = nd.random.normal(0, 1, [numExamples, numInputs]);
  let labels = features.get(':, 0').mul(trueW[0]).add(features.get(':, 1').mul(trueW[1])).add(trueB);
  labels = labels.add(nd.random.normal(0, 0.01, labels.shape));
  function* dataIter(batchSize: number, features: NDArray, labels: NDArray): Generator<[NDArray, NDArray]> {
    const indices = Array.from(nd.random.globalRandom.permutation(numExamples));
    for (let i = 0; i < numExamples; i += batchSize) {
      const j = indices.slice(i, Math.min(i + batchSize, numExamples));
      yield [features.take(j), labels.take(j)];
    }
  }
  const linreg = (X: NDArray, w: NDArray, b: NDArray) => nd.dot(X, w).add(b);
  const squaredLoss = (yHat: NDArray, y: NDArray) => yHat.sub(y.reshape(yHat.shape)).square().div(2);
  const sgd = (params: NDArray[], lr: number, batchSize: number) => {
    for (const param of params) param.isub(param.grad.mul(lr).div(batchSize));
  };
  const w = nd.random.normal(0, 0.01, [numInputs, 1]);
  const b = nd.zeros([1]);
  w.attachGrad();
  b.attachGrad();
  const lr = 0.03;
  const batchSize = 10;
  // Peaks over the steps of epochs 11-30 and 31-60: a leak would show in the second.
  const early = { live: 0, reserved: 0 };
  const late = { live: 0, reserved: 0 };
  for (let epoch = 1; epoch <= 60; epoch++) {
    for (const [X, y] of dataIter(batchSize, features, labels)) {
      const l = autograd.record(() => squaredLoss(linreg(X, w, b), y));
      l.backward();
      sgd([w, b], lr, batchSize);
      if (epoch > 10) {
        const m = measure();
        const into = epoch <= 30 ? early : late;
        into.live = Math.max(into.live, m.live);
        into.reserved = Math.max(into.reserved, m.reserved);
      }
    }
  }
  const trainL = squaredLoss(linreg(features, w, b), labels)
    .mean()
    .asScalar();
  assert.ok(trainL < 1e-3, `loss ${trainL}`);
  assert.ok(Math.abs(b.asScalar() - trueB) < 0.05);
  assert.ok(late.reserved <= early.reserved, `reserved: peak ${early.reserved} in epochs 11-30, ${late.reserved} in 31-60`);
  assert.ok(late.live <= early.live + 64 * 1024, `live: peak ${early.live} in epochs 11-30, ${late.live} in 31-60`);
});

test("8.2's loop with no library boundary (y = x + 1, 2,000 times) keeps the heap flat", () => {
  const x = nd.ones([1000, 100]);
  let y = x;
  const start = measure();
  for (let i = 0; i < 2000; i++) y = x.add(1);
  const end = measure();
  assert.equal(y.get([0, 0]).asScalar(), 2);
  // 2,000 results of 400 KB each would be 800 MB: the heap holds a few passes' worth at most.
  assert.ok(end.reserved <= start.reserved + 16 * MiB, `reserved grew from ${start.reserved} to ${end.reserved}`);
});

test('300 predictions kept in a list across an epoch stay valid and concatenate after it', () => {
  nd.random.seed(2);
  const net = new gluon.nn.Dense(4);
  net.initialize(new init.Normal(0.1));
  const X = nd.random.normal(0, 1, [300 * 8, 16]);
  const testIter = new gluon.data.DataLoader(new gluon.data.ArrayDataset(X, nd.zeros([300 * 8])), { batchSize: 8 });
  const preds: NDArray[] = [];
  // Enough other work between them that the early predictions leave the heap.
  for (const [Xb] of testIter) {
    preds.push(net.forward(Xb));
    for (let k = 0; k < 20; k++) nd.random.normal(0, 1, [64, 64]).square().sum().asScalar();
  }
  const all = nd.concat(preds, { dim: 0 });
  assert.deepEqual(all.shape, [2400, 4]);
  const direct = net.forward(X);
  assert.ok(nd.abs(all.sub(direct)).max().asScalar() < 1e-6);
  assert.ok(nd.memory().devices['cpu(0)'].evictions! > 0, 'the test should have moved arrays out of the heap');
});

test('`for (const [X, y] of testIter) break;` leaves X valid after the loop', () => {
  const data = new gluon.data.DataLoader(new gluon.data.ArrayDataset(nd.arange(20).reshape([10, 2]), nd.arange(10)), { batchSize: 4 });
  let X: NDArray | undefined;
  for (const [Xb] of data) {
    X = Xb;
    break;
  }
  for (let k = 0; k < 200; k++) nd.random.normal(0, 1, [256, 256]).sum().asScalar();
  assert.deepEqual(X!.toArray(), [
    [0, 1],
    [2, 3],
    [4, 5],
    [6, 7],
  ]);
});

test("6.4's scratch RNN with consecutive sampling carries its state with the book's `s.detach()` line: memory flat, no backward into the previous batch", () => {
  nd.random.seed(7);
  const vocabSize = 20;
  const numHiddens = 16;
  const batchSize = 4;
  const numSteps = 5;
  const corpusIndices = Array.from({ length: 4000 }, (_, i) => (i * 7 + (i >> 3)) % vocabSize);
  const params = d2l.getRnnParams(vocabSize, numHiddens, vocabSize);
  const rnn = (inputs: NDArray[], state: NDArray[], params: NDArray[]): [NDArray[], NDArray[]] => {
    const [Wxh, Whh, bh, Whq, bq] = params;
    let [H] = state;
    const outputs: NDArray[] = [];
    for (const X of inputs) {
      H = nd.tanh(nd.dot(X, Wxh).add(nd.dot(H, Whh)).add(bh));
      outputs.push(nd.dot(H, Whq).add(bq));
    }
    return [outputs, [H]];
  };
  const lossOf = (X: NDArray, Y: NDArray, state: NDArray[]): [NDArray, NDArray[]] => {
    const inputs = d2l.toOnehot(X, vocabSize);
    const [outputs, newState] = rnn(inputs, state, params);
    const y = Y.T.reshape([-1]);
    return [d2l.softmaxCrossEntropy(nd.concat(outputs, { dim: 0 }), y).mean(), newState];
  };
  const early = { live: 0, reserved: 0 };
  const late = { live: 0, reserved: 0 };
  let checked = 0;
  for (let epoch = 1; epoch <= 12; epoch++) {
    let state: NDArray[] = d2l.initRnnState(batchSize, numHiddens);
    let batch = 0;
    for (const [X, Y] of d2l.dataIterConsecutive(corpusIndices, batchSize, numSteps)) {
      for (const s of state) s.detach(); // the book's line: its result is discarded, as in MXNet
      const [l, newState] = autograd.record(() => lossOf(X, Y, state));
      l.backward();
      if (epoch === 2 && batch > 0 && batch % 50 === 0) {
        // The same step from a fresh copy of the state: equal gradients mean backward stopped at it.
        const grads = params.map((p) => Array.from(p.grad.dataSync()));
        const fresh = state.map((s) => nd.array(s.toArray() as number[][]));
        const [l2] = autograd.record(() => lossOf(X, Y, fresh));
        l2.backward();
        params.forEach((p, i) => assert.deepEqual(Array.from(p.grad.dataSync()), grads[i]));
        checked++;
      }
      d2l.gradClipping(params, 0.01);
      d2l.sgd(params, 100, 1);
      state = newState;
      batch++;
      if (epoch > 2) {
        const m = measure();
        const into = epoch <= 7 ? early : late;
        into.live = Math.max(into.live, m.live);
        into.reserved = Math.max(into.reserved, m.reserved);
      }
    }
  }
  assert.ok(checked >= 2);
  assert.ok(late.reserved <= early.reserved, `reserved: peak ${early.reserved} in epochs 3-7, ${late.reserved} in 8-12`);
  assert.ok(late.live <= early.live + 256 * 1024, `live: peak ${early.live} in epochs 3-7, ${late.live} in 8-12`);
});

test('a weight read once per step, in a step that allocates 20x the live heap, is moved out at most once (then the passes leave it)', async () => {
  const { getCpuBackend } = await import('../../src/backend/registry.js');
  const be = getCpuBackend();
  const w = nd.random.normal(0, 1, [1 << 18]); // 1 MiB, read at the start of every step
  const step = (): number => {
    let h = w.mul(2);
    for (let i = 0; i < 20; i++) h = h.add(1); // 20 MiB of garbage per step, never disposed
    return h.sum().asScalar();
  };
  for (let i = 0; i < 5; i++) step();
  const before = be.memory().readmissions ?? 0;
  const first = step();
  for (let i = 0; i < 25; i++) assert.equal(step(), first);
  // Without the rule each step moved w out at a periodic pass and back at its next read.
  assert.ok((be.memory().readmissions ?? 0) - before <= 1, `readmissions over 26 steps: ${(be.memory().readmissions ?? 0) - before}`);
});
