// Fast tier: d2l.trainCh5 and evaluateAccuracy(dataIter, net, ctx) on synthetic data, their bad
// input, the long-run estimate, and the two Fashion-MNIST programs of chapter 5 (5.5 LeNet, 5.10
// batch norm) on a few hundred images: the book's layer-by-layer shapes exactly, the book's line
// formats, and the trained numbers in bands derived from the book's printed run. The book's
// settings take tens of minutes on this CPU (see docs/results/lenet.txt), so no band test runs
// them; docs/results holds runs on a tenth of the data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, d2l, gluon, init, cpu, ValueError, type NDArray } from '../../src/index.js';
import { haveFashionMnist, requireResource } from '../helpers.js';
import { estimateRun } from '../../chapters/long-run.js';
import * as lenet from '../../chapters/lenet.js';
import * as batchNorm from '../../chapters/batch-norm.js';

const { nn } = gluon;

const HAVE_FASHION = haveFashionMnist();

/** 8 batches of 32 examples (1, 4, 4) whose label is the argmax of a fixed linear map: learnable. */
function synthetic(seed: number): [NDArray, NDArray][] {
  nd.random.seed(seed);
  const W = nd.random.normal(0, 1, [16, 4]);
  return Array.from({ length: 8 }, () => {
    const X = nd.random.normal(0, 1, [32, 1, 4, 4]);
    return [
      X,
      nd
        .dot(X.reshape([32, 16]), W)
        .argmax({ axis: 1 })
        .astype('int32'),
    ] as [NDArray, NDArray];
  });
}

function denseNet(): gluon.Sequential {
  const net = new nn.Sequential();
  net.add(new nn.Dense(4));
  net.initialize({ init: new init.Xavier() });
  return net;
}

test("d2l.trainCh5: 'training on cpu(0)', the book's epoch line, and the loss falls on learnable data", async () => {
  const data = synthetic(3);
  const net = denseNet();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5 });
  const lines: string[] = [];
  const h = await d2l.trainCh5(net, data, data.slice(0, 2), 32, trainer, cpu(), 3, { print: (l) => lines.push(l) });
  assert.equal(lines[0], 'training on cpu(0)');
  assert.equal(lines.length, 4);
  lines
    .slice(1)
    .forEach((l, i) =>
      assert.match(
        l,
        new RegExp(`^epoch ${i + 1}, loss \\d+\\.\\d{4}, train acc \\d\\.\\d{3}, test acc \\d\\.\\d{3}, time \\d+\\.\\d sec$`),
      ),
    );
  assert.ok(h[2].loss < h[0].loss * 0.8, `${h.map((m) => m.loss).join(' ')}`);
  assert.ok(h[2].trainAcc > 0.6 && h[2].testAcc > 0.6, `${h[2].trainAcc} ${h[2].testAcc}`);
  // The printed test accuracy is evaluateAccuracy(testIter, net, ctx), in either form.
  const acc = await d2l.evaluateAccuracy(data.slice(0, 2), net, cpu());
  assert.equal(acc, h[2].testAcc);
  assert.equal(await d2l.evaluateAccuracy(data.slice(0, 2), net, { ctx: cpu() }), acc);
});

test('d2l.trainCh5: bad arguments are ValueErrors naming the function and what was expected', async () => {
  const data = synthetic(4);
  const net = denseNet();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  const quiet = { print: () => {} };
  await assert.rejects(
    d2l.trainCh5(net, data, data, 0, trainer, cpu(), 1, quiet),
    /d2l\.trainCh5: batchSize must be a positive integer, got 0/,
  );
  await assert.rejects(d2l.trainCh5(net, data, data, 32, trainer, cpu(), 1.5, quiet), /numEpochs must be a non-negative integer, got 1\.5/);
  await assert.rejects(
    d2l.trainCh5(net, data, data, 32, trainer, 'cpu' as unknown as ReturnType<typeof cpu>, 1, quiet),
    (e: unknown) => e instanceof ValueError && /ctx must be a Context \(cpu\(\) or gpu\(0\)\), got cpu/.test(e.message),
  );
  await assert.rejects(d2l.trainCh5(net, data, data, 32, {} as gluon.Trainer, cpu(), 1, quiet), /trainer must be a gluon\.Trainer/);
  await assert.rejects(d2l.trainCh5(net, [], data, 32, trainer, cpu(), 1, quiet), /the training iterator yielded no examples/);
  await assert.rejects(
    d2l.trainCh5(net, [[data[0][0]]] as unknown as [NDArray, NDArray][], data, 32, trainer, cpu(), 1, quiet),
    /each batch must be a pair \[X, y\]/,
  );
});

test('the long-run estimate: prints the estimate and the shorter command above the threshold, nothing below', async () => {
  const data = synthetic(5);
  const net = denseNet();
  const printed: string[] = [];
  const base = {
    ctx: cpu(),
    epochs: 5,
    trainBatches: 235,
    testBatches: 40,
    shorter: 'd2l-ts run x --limit 6000',
    print: (l: string) => printed.push(l),
  };
  const quietRun = await estimateRun(net, data, base);
  assert.equal(quietRun.warned, false);
  assert.equal(printed.length, 0);
  assert.ok(quietRun.stepSeconds > 0 && Math.abs(quietRun.seconds - quietRun.stepSeconds * (235 + 40 / 3) * 5) < 1e-9);
  const loud = await estimateRun(net, data, { ...base, nets: 2, warnAbove: 0 });
  assert.equal(loud.warned, true);
  assert.match(
    printed[0],
    /^estimated time: \d+ min here \(one training step \d+\.\d\d sec, 235 training batches, 5 epochs, 2 networks\)$/,
  );
  assert.equal(printed[1], 'for a shorter run: d2l-ts run x --limit 6000');
  await assert.rejects(estimateRun(net, [], base), /estimateRun: the training iterator yielded no batches/);
});

test("5.5 lenet on 256 images: the book's shape walk exactly, then trainCh5's lines, at chance level as the book's epoch 1", async (t) => {
  if (!requireResource(t, HAVE_FASHION, 'Fashion-MNIST')) return;
  const r = await lenet.run({ seed: 1, limit: 256, epochs: 1, ctx: cpu(), print: () => {} });
  assert.deepEqual(r.lines.slice(0, 7), [
    'conv0 output shape:\t (1, 6, 24, 24)',
    'pool0 output shape:\t (1, 6, 12, 12)',
    'conv1 output shape:\t (1, 16, 8, 8)',
    'pool1 output shape:\t (1, 16, 4, 4)',
    'dense0 output shape:\t (1, 120)',
    'dense1 output shape:\t (1, 84)',
    'dense2 output shape:\t (1, 10)',
  ]);
  // One batch is estimated far below ten minutes: no estimate lines.
  assert.deepEqual(r.lines.slice(7, 9), ['cpu(0)', 'training on cpu(0)']);
  assert.match(r.lines[9], /^epoch 1, loss \d\.\d{4}, train acc \d\.\d{3}, test acc \d\.\d{3}, time \d+\.\d sec$/);
  assert.equal(r.lines.length, 10);
  // The book's epoch 1 (all 235 batches): loss 2.3202, train acc 0.102, test acc 0.100, i.e. the
  // sigmoid LeNet at lr 0.9 is still at chance (ln 10 = 2.303, accuracy 0.1) after one epoch. So
  // after one batch: a loss within 0.5 of ln 10 and accuracies within 0.1 of chance.
  const [m] = r.history;
  assert.ok(Math.abs(m.loss - Math.log(10)) < 0.5, `loss ${m.loss}`);
  assert.ok(Math.abs(m.trainAcc - 0.1) < 0.1 && Math.abs(m.testAcc - 0.1) < 0.1, `${m.trainAcc} ${m.testAcc}`);
});

test('5.10 batch-norm on 256 images (batch 32, 2 epochs): both networks learn, and the learned gamma and beta print as the book', async (t) => {
  if (!requireResource(t, HAVE_FASHION, 'Fashion-MNIST')) return;
  const r = await batchNorm.run({ seed: 1, limit: 256, batchSize: 32, epochs: 2, ctx: cpu(), print: () => {} });
  assert.equal(r.lines[0], 'training on cpu(0)');
  assert.equal(r.lines[3].split('\n').length, 5);
  // The book's layout: (\n [6 values]\n <NDArray 6 @gpu(0)>, \n [6 values]\n <NDArray 6 @gpu(0)>)
  assert.match(r.lines[3], /^\(\n \[[-\d. e]+\]\n <NDArray 6 @cpu\(0\)>, \n \[[-\d. e]+\]\n <NDArray 6 @cpu\(0\)>\)$/);
  assert.equal(r.lines[4], 'training on cpu(0)');
  assert.equal(r.lines.length, 7);
  // The book (full data, lr 1.0): epoch 1 loss 0.6517 (scratch) and 0.6395 (Gluon), far below
  // chance (ln 10 = 2.303) within the first epoch, where 5.5's LeNet without batch norm stays at
  // chance. Here, 8 noisy steps of 32 per epoch: the loss falls from epoch 1 to epoch 2 and the
  // second epoch's training accuracy is well above chance (0.1).
  for (const h of [r.scratch, r.gluon]) {
    assert.ok(h[1].loss < h[0].loss, h.map((m) => m.loss).join(' '));
    assert.ok(h[1].trainAcc > 0.25, `${h[1].trainAcc}`);
  }
  assert.equal(r.gamma.length, 6);
  assert.equal(r.beta.length, 6);
  assert.ok(r.gamma.some((g) => g !== 1) && r.beta.some((b) => b !== 0), 'gamma and beta were trained');
  // The moving statistics moved from their zero start: a variance is positive.
  assert.ok(
    r.movingVar.every((v) => v > 0),
    r.movingVar.join(' '),
  );
});
