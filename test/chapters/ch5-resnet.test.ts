// 5.11 ResNet and 5.12 DenseNet: d2l.Residual's shapes and argument checks, the book's printed
// shapes exactly (the residual blocks, ResNet-18's walk on a (1, 1, 224, 224) input, the dense and
// transition blocks), and a tiny training run of each on 128 Fashion-MNIST images resized to 32x32
// (the book's 96x96 run takes far longer than a test may; the programs print their estimate).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, d2l, autograd, cpu, ValueError, ShapeError, type NDArray } from '../../src/index.js';
import { haveFashionMnist, requireResource } from '../helpers.js';
import * as resnet from '../../chapters/resnet.js';
import * as densenet from '../../chapters/densenet.js';

const HAVE_FASHION = haveFashionMnist();

test('d2l.Residual keeps the shape, or changes the channels and halves h and w with the 1x1 convolution', () => {
  const X = nd.random.uniform(0, 1, [4, 3, 6, 6]);
  let blk = new d2l.Residual(3);
  blk.initialize();
  const Y = blk.forward(X);
  assert.deepEqual(Y.shape, [4, 3, 6, 6]);
  assert.ok(Array.from(Y.dataSync()).every((v) => v >= 0)); // the last ReLU
  blk = new d2l.Residual(6, true, 2);
  blk.initialize();
  assert.deepEqual(blk.forward(X).shape, [4, 6, 3, 3]);
  // Its parameters: three convolutions' weights and biases, two batch norms'.
  assert.equal(blk.collectParams().keys().length, 6 + 8);
});

test('d2l.Residual refuses bad arguments and inputs with clear errors', () => {
  assert.throws(() => new d2l.Residual(0), ValueError);
  assert.throws(() => new d2l.Residual(3, false, 2), /useConv1x1/);
  const blk = new d2l.Residual(6);
  blk.initialize();
  assert.throws(() => blk.forward(nd.zeros([4, 3, 6, 6])), ShapeError);
  assert.throws(() => blk.forward(nd.zeros([3, 6, 6])), /4-D/);
});

test('d2l.Residual: the gradient of its input matches finite differences (float64)', () => {
  const blk = new d2l.Residual(2, true, 2);
  blk.initialize();
  const X32 = nd.random.uniform(-1, 1, [2, 1, 4, 4]);
  blk.forward(X32); // deferred initialisation, then the parameters in float64
  blk.cast('float64');
  const X = X32.astype('float64');
  X.attachGrad();
  const w = nd.random.uniform(-1, 1, [2, 2, 2, 2]).astype('float64');
  // In training mode throughout: batch norm uses the batch's statistics.
  const f = (x: NDArray) => autograd.record(() => blk.forward(x).mul(w).sum());
  const l = f(X);
  l.backward();
  const g = Array.from(X.grad!.dataSync());
  const x0 = Array.from(X.dataSync());
  const h = 1e-6;
  for (const i of [0, 5, 10, 15, 20, 31]) {
    const xp = x0.slice();
    const xm = x0.slice();
    xp[i]! += h;
    xm[i]! -= h;
    const fp = f(nd.array(xp, { dtype: 'float64' }).reshape(X.shape)).asScalar();
    const fm = f(nd.array(xm, { dtype: 'float64' }).reshape(X.shape)).asScalar();
    assert.ok(Math.abs((fp - fm) / (2 * h) - g[i]!) < 1e-5, `element ${i}: ${(fp - fm) / (2 * h)} vs ${g[i]}`);
  }
});

test('5.11 resnet: the residual blocks and the ResNet-18 shape walk print as the book, and a tiny run trains', async (t) => {
  if (!requireResource(t, HAVE_FASHION, 'Fashion-MNIST')) return;
  const r = await resnet.run({ seed: 1, limit: 128, resize: 32, epochs: 1, ctx: cpu(), print: () => {} });
  assert.deepEqual(r.lines.slice(0, 12), [
    '(4, 3, 6, 6)',
    '(4, 6, 3, 3)',
    'conv5 output shape:\t (1, 64, 112, 112)',
    'batchnorm4 output shape:\t (1, 64, 112, 112)',
    'relu0 output shape:\t (1, 64, 112, 112)',
    'pool0 output shape:\t (1, 64, 56, 56)',
    'sequential1 output shape:\t (1, 64, 56, 56)',
    'sequential2 output shape:\t (1, 128, 28, 28)',
    'sequential3 output shape:\t (1, 256, 14, 14)',
    'sequential4 output shape:\t (1, 512, 7, 7)',
    'pool1 output shape:\t (1, 512, 1, 1)',
    'dense0 output shape:\t (1, 10)',
  ]);
  assert.equal(r.lines[12], 'training on cpu(0)');
  assert.match(r.lines[13]!, /^epoch 1, loss \d+\.\d{4}, train acc \d\.\d{3}, test acc \d\.\d{3}, time \d+\.\d sec$/);
  assert.match(r.lines[14]!, /^peak memory: \d+ MiB \(resident set, batch 256, resize 32\)$/);
  assert.equal(r.lines.length, 15);
  assert.equal(r.history.length, 1);
  assert.ok(Number.isFinite(r.history[0]!.loss) && r.history[0]!.loss > 0);
});

test('5.12 densenet: the dense and transition blocks print as the book, and a tiny run trains', async (t) => {
  if (!requireResource(t, HAVE_FASHION, 'Fashion-MNIST')) return;
  const r = await densenet.run({ seed: 1, limit: 128, resize: 32, epochs: 1, ctx: cpu(), print: () => {} });
  assert.deepEqual(r.lines.slice(0, 3), ['(4, 23, 8, 8)', '(4, 10, 4, 4)', 'training on cpu(0)']);
  assert.match(r.lines[3]!, /^epoch 1, loss \d+\.\d{4}, train acc \d\.\d{3}, test acc \d\.\d{3}, time \d+\.\d sec$/);
  assert.match(r.lines[4]!, /^peak memory: \d+ MiB \(resident set, batch 256, resize 32\)$/);
  assert.ok(Number.isFinite(r.history[0]!.loss) && r.history[0]!.loss > 0);
  // The channels after the last dense block: 64 + 4 * 32 = 192, halved to 96, + 128 = 224,
  // halved to 112, + 128 = 240, halved to 120, + 128 = 248.
  const lastDense = r.net.get(r.net.length - 5);
  const out = lastDense.forward(nd.zeros([1, 120, 2, 2]));
  assert.deepEqual(out.shape, [1, 248, 2, 2]);
});
