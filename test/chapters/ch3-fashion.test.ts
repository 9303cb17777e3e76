// Fast tier: every Fashion-MNIST program of chapter 3 on a slice of the data (opts.limit) for one or
// two epochs, checking what they print and write. The full-data bands are in test/full.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDataFileSync } from '../../src/data/resolver.js';
import { nd, gluon } from '../../src/index.js';
import { requireResource } from '../helpers.js';
import * as fashion from '../../chapters/fashion-mnist.js';
import * as softmaxScratch from '../../chapters/softmax-regression-scratch.js';
import * as softmaxGluon from '../../chapters/softmax-regression-gluon.js';
import * as mlpScratch from '../../chapters/mlp-scratch.js';
import * as mlpGluon from '../../chapters/mlp-gluon.js';
import { main } from '../../cli/main.js';

function fashionMnistAvailable(): boolean {
  try {
    for (const f of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'])
      resolveDataFileSync(`fashion-mnist/${f}`, { verify: false });
    return true;
  } catch {
    return false;
  }
}
const HAVE_DATA = fashionMnistAvailable();
const tmp = () => mkdtempSync(join(tmpdir(), 'd2l-ch3-fashion-'));
const EPOCH_LINE = /^epoch (\d+), loss \d+\.\d{4}, train acc \d\.\d{3}, test acc \d\.\d{3}$/;

function epochLines(lines: string[]): string[] {
  return lines.filter((l) => l.startsWith('epoch'));
}

test('3.5 fashion-mnist: sizes, a sample, text labels, read time and the image grid', async (t) => {
  if (!requireResource(t, HAVE_DATA, 'Fashion-MNIST')) return;
  const lines: string[] = [];
  const dir = tmp();
  const r = await fashion.run({ limit: 1000, outDir: dir, seed: 1, print: (l) => lines.push(l) });
  assert.equal(lines[0], '(len(mnist_train), len(mnist_test)): (60000, 10000)');
  assert.equal(lines[1], 'feature.shape, feature.dtype: (28, 28, 1), uint8');
  assert.match(lines[2], /^label: \d$/);
  assert.deepEqual(r.featureShape, [28, 28, 1]);
  assert.equal(r.featureDType, 'uint8');
  assert.equal(r.textLabels.length, 9);
  const names = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];
  assert.ok(r.textLabels.every((l) => names.includes(l)));
  assert.equal(r.batches, Math.ceil(1000 / 256));
  assert.match(lines[lines.length - 1], /^\d+\.\d\d sec$/);
  assert.ok(existsSync(r.imageFile) && r.imageFile.startsWith(dir));
  assert.deepEqual([...readFileSync(r.imageFile).subarray(1, 4)], [0x50, 0x4e, 0x47]);
});

test('3.6 softmax-regression-scratch: the deterministic checks, then training lines and predictions', async (t) => {
  if (!requireResource(t, HAVE_DATA, 'Fashion-MNIST')) return;
  const lines: string[] = [];
  const dir = tmp();
  const r = await softmaxScratch.run({ limit: 3000, epochs: 2, seed: 1, outDir: dir, print: (l) => lines.push(l) });
  const text = lines.join('\n');
  // reference §7: sums with keepdims, pick, accuracy
  assert.ok(text.includes('\n[[5. 7. 9.]]\n<NDArray 1x3 @cpu(0)>'), text);
  assert.ok(text.includes('\n[[ 6.]\n [15.]]\n<NDArray 2x1 @cpu(0)>'));
  assert.ok(text.includes('\n[1. 1.]\n<NDArray 2 @cpu(0)>'), 'softmax rows sum to 1');
  assert.ok(text.includes('\n[0.1 0.5]\n<NDArray 2 @cpu(0)>'));
  assert.ok(lines.includes('accuracy(yHat, y): 0.5'));
  assert.match(text, /evaluateAccuracy\(testIter, net\): 0\.\d{4}/);
  assert.ok(r.untrainedAcc > 0.02 && r.untrainedAcc < 0.25, `untrained accuracy ${r.untrainedAcc} (book: 0.0925)`);
  const el = epochLines(lines);
  assert.equal(el.length, 2);
  el.forEach((l, i) => assert.equal(EPOCH_LINE.exec(l)?.[1], String(i + 1), l));
  assert.ok(r.history[1].loss < r.history[0].loss);
  assert.ok(r.history[1].testAcc > 0.6, `test acc ${r.history[1].testAcc}`);
  assert.equal(r.predictions.titles.length, 9);
  assert.ok(r.predictions.titles.every((s) => s.split('\n').length === 2));
  assert.ok(existsSync(join(dir, 'predictions.png')));
});

test('3.7 softmax-regression-gluon: Dense(10) + SoftmaxCrossEntropyLoss + Trainer', async (t) => {
  if (!requireResource(t, HAVE_DATA, 'Fashion-MNIST')) return;
  const lines: string[] = [];
  const r = await softmaxGluon.run({ limit: 3000, epochs: 2, seed: 2, outDir: tmp(), print: (l) => lines.push(l) });
  const el = epochLines(lines);
  assert.equal(el.length, 2);
  el.forEach((l) => assert.match(l, EPOCH_LINE));
  assert.ok(r.history[1].testAcc > 0.6, `test acc ${r.history[1].testAcc}`);
  assert.deepEqual(r.net.get<gluon.nn.Dense>(0).weight.data().shape, [10, 784]);
});

test('3.9 mlp-scratch and 3.10 mlp-gluon: epoch lines, falling loss', async (t) => {
  if (!requireResource(t, HAVE_DATA, 'Fashion-MNIST')) return;
  for (const chapter of [mlpScratch, mlpGluon]) {
    const lines: string[] = [];
    const r = await chapter.run({ limit: 3000, epochs: 2, seed: 3, print: (l) => lines.push(l) });
    const el = epochLines(lines);
    assert.equal(el.length, 2, chapter.meta.slug);
    el.forEach((l) => assert.match(l, EPOCH_LINE));
    assert.ok(r.history[1].loss < r.history[0].loss, chapter.meta.slug);
  }
});

test('the chapters honour --batch-size and --lr (fewer, larger batches)', async (t) => {
  if (!requireResource(t, HAVE_DATA, 'Fashion-MNIST')) return;
  const r = await softmaxGluon.run({ limit: 1000, epochs: 1, batchSize: 500, lr: 0.05, seed: 4, outDir: tmp(), print: () => {} });
  assert.equal(r.history.length, 1);
  assert.ok(r.history[0].loss > 0.5, 'one epoch of two batches at a low rate is far from trained');
});

test('npm start (d2l-ts start): epoch lines, curves, prediction grid, loadable safetensors', async (t) => {
  if (!requireResource(t, HAVE_DATA, 'Fashion-MNIST')) return;
  const out: string[] = [];
  const err: string[] = [];
  const dir = tmp();
  const code = await main(['start', '--epochs', '2', '--limit', '3000', '--seed', '5', '--out-dir', dir, '--no-progress'], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  assert.equal(code, 0, err.join('\n'));
  assert.equal(epochLines(out).length, 2);
  epochLines(out).forEach((l) => assert.match(l, EPOCH_LINE));
  for (const f of ['training-curves.png', 'predictions.png', 'mlp.safetensors', 'metrics.json']) assert.ok(existsSync(join(dir, f)), f);
  const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
  assert.equal(metrics.epochs.length, 2);
  assert.equal(metrics.seed, 5);

  // the saved parameters reproduce the trained network's outputs
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Dense(256, { activation: 'relu' }), new gluon.nn.Dense(10));
  net.loadParameters(join(dir, 'mlp.safetensors'));
  const header = JSON.parse(
    readFileSync(join(dir, 'mlp.safetensors'))
      .subarray(8, 8 + Number(readFileSync(join(dir, 'mlp.safetensors')).readBigUInt64LE(0)))
      .toString(),
  );
  assert.deepEqual(
    Object.keys(header)
      .filter((k) => k !== '__metadata__')
      .sort(),
    ['0.bias', '0.weight', '1.bias', '1.weight'],
  );
  const X = nd.random.uniform(0, 1, [2, 1, 28, 28]);
  assert.deepEqual(net.forward(X).shape, [2, 10]);
});
