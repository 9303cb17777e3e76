// Reads the REAL Fashion-MNIST from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
// Skips with a printed reason when the files are absent; fails in CI (CI=true), where
// ../shared/ci/install-data.sh installs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nd, NDArray } from '../../src/index.js';
import { DataLoader, vision } from '../../src/gluon/data/index.js';
import { loadDataFileSync } from '../../src/data/index.js';
import { getFashionMnistLabels, loadDataFashionMnist } from '../../src/d2l/fashion-mnist.js';
import { requireResource } from '../helpers.js';

const DIR = '/usr/share/datasets/fashion-mnist';
const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const present = FILES.every((f) => existsSync(join(DIR, f)));
const what = `Fashion-MNIST in ${DIR} (install: sudo apt-get install dataset-fashion-mnist, or bash ../shared/ci/install-data.sh)`;
// Read the system copy itself, whatever the user's cache or D2L_DATA_DIR hold.
const opts = { dataDir: DIR, argv: [] as string[] };

test('real Fashion-MNIST: unpacked checksums of the four files', (t) => {
  if (!requireResource(t, present, what)) return;
  for (const f of FILES) {
    const r = loadDataFileSync(`fashion-mnist/${f}`, opts);
    assert.equal(r.path, join(DIR, f));
    assert.equal(r.matched?.algorithm, 'sha256');
    assert.equal(r.matched?.over, 'unpacked');
  }
});

test("real Fashion-MNIST: sizes, per-class counts, a sample, Zalando's first labels", (t) => {
  if (!requireResource(t, present, what)) return;
  let t0 = performance.now();
  const train = new vision.FashionMNIST({ ...opts, train: true });
  const loadMs = performance.now() - t0;
  const test = new vision.FashionMNIST({ ...opts, train: false });
  console.log(`# FashionMNIST(train) load (read + gunzip + sha256 + parse): ${loadMs.toFixed(0)} ms`);
  assert.equal(train.length, 60000);
  assert.equal(test.length, 10000);
  const [feature, label] = train.get(0);
  assert.deepEqual(feature.shape, [28, 28, 1]);
  assert.equal(feature.dtype, 'uint8');
  assert.equal(label, 9);
  const [X, y] = train.arrays();
  assert.deepEqual(X.shape, [60000, 28, 28, 1]);
  assert.equal(y.dtype, 'int32');
  const labels = y.dataSync();
  assert.deepEqual(Array.from(labels.subarray(0, 20)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9, 5, 5, 7, 9, 1, 0, 6, 4]);
  assert.deepEqual(getFashionMnistLabels(labels.subarray(0, 3)), ['ankle boot', 't-shirt', 't-shirt']);
  const count = (a: ArrayLike<number>) => {
    const c = new Array(10).fill(0);
    for (let i = 0; i < a.length; i++) c[a[i]]++;
    return c;
  };
  assert.deepEqual(count(labels), new Array(10).fill(6000));
  assert.deepEqual(count(test.arrays()[1].dataSync()), new Array(10).fill(1000));
  const px = X.dataSync();
  let max = 0;
  for (let i = 0; i < px.length; i += 7) if (px[i] > max) max = px[i];
  assert.equal(max, 255);
  t0 = performance.now();
  train.dispose();
  test.dispose();
});

test("real Fashion-MNIST: one epoch of the book's loaders (batch 256, ToTensor); time printed", async (t) => {
  if (!requireResource(t, present, what)) return;
  let t0 = performance.now();
  const [trainIter, testIter] = await loadDataFashionMnist(256, opts);
  console.log(`# loadDataFashionMnist(256): ${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(trainIter.length, 235);
  assert.equal(testIter.length, 40);
  nd.random.seed(0);
  const before = nd.memory();
  t0 = performance.now();
  let n = 0;
  let shapes = '';
  for (const [X, y] of trainIter as Iterable<NDArray[]>) {
    if (n === 0) shapes = `${X.shape} ${X.dtype} ${y.shape} ${y.dtype}`;
    n += X.shape[0];
    X.dispose();
    y.dispose();
  }
  const ms = performance.now() - t0;
  console.log(`# one epoch of train_iter (235 batches of 256): ${ms.toFixed(0)} ms (the book: 1.22 sec with 4 workers)`);
  assert.equal(n, 60000);
  assert.equal(shapes, '256,1,28,28 float32 256 int32');
  assert.ok(nd.memory().arrays <= before.arrays);
  const firstTest = ([...testIter][0] as NDArray[])[1];
  assert.deepEqual(Array.from(firstTest.dataSync().subarray(0, 5)), [9, 2, 1, 1, 6]);
  const loader = new DataLoader(new vision.FashionMNIST({ ...opts, train: false }), { batchSize: 1000 });
  assert.equal(loader.length, 10);
});
