import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nd, NDArray } from '../../src/index.js';
import { DataLoader, vision } from '../../src/gluon/data/index.js';
import { getFashionMnistLabels, loadDataFashionMnist, loadDataFashionMnistSync } from '../../src/d2l/fashion-mnist.js';
import { DataNotFoundError, DataDirError, CorruptDataError, type DataResolveOptions } from '../../src/data/index.js';

const pixel = (i: number, p: number) => (i * 31 + p) & 255;

/** A small fake Fashion-MNIST (n train, m test images of 28x28) in a temp data directory. */
function fakeData(
  n: number,
  m: number,
  opts: { gzip?: boolean; layout?: 'data-dir' | 'flat'; labelCount?: number; badLabel?: boolean } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'd2l-fmnist-'));
  const sub = opts.layout === 'flat' ? dir : join(dir, 'fashion-mnist');
  mkdirSync(sub, { recursive: true });
  const write = (name: string, bytes: Uint8Array) => {
    writeFileSync(join(sub, opts.gzip === false ? name : `${name}.gz`), opts.gzip === false ? bytes : gzipSync(bytes));
  };
  for (const [split, count] of [
    ['train', n],
    ['t10k', m],
  ] as const) {
    const imgs = new Uint8Array(count * 784);
    for (let i = 0; i < count; i++) for (let p = 0; p < 784; p++) imgs[i * 784 + p] = pixel(i, p);
    write(`${split}-images-idx3-ubyte`, vision.encodeIdx(imgs, [count, 28, 28]));
    const labels = Uint8Array.from({ length: opts.labelCount ?? count }, (_, i) => (opts.badLabel && i === 3 ? 12 : (i * 3) % 10));
    write(`${split}-labels-idx1-ubyte`, vision.encodeIdx(labels, [labels.length]));
  }
  return dir;
}

// Synthetic files cannot match the real checksums; isolate from the machine's real data.
const iso = (extra: DataResolveOptions = {}): DataResolveOptions => ({
  verify: false,
  argv: [],
  env: { HOME: join(tmpdir(), 'no-home') },
  cacheDir: join(tmpdir(), 'no-cache-d2l'),
  systemDirs: [],
  download: false,
  ...extra,
});

test('FashionMNIST from IDX files: length, sample shape/dtype, labels, file order, arrays()', () => {
  const dir = fakeData(12, 5);
  const train = new vision.FashionMNIST({ ...iso({ dataDir: dir }), train: true });
  const test = new vision.FashionMNIST({ ...iso({ dataDir: dir }), train: false });
  assert.equal(train.length, 12);
  assert.equal(test.length, 5);
  assert.equal(train.train, true);
  assert.equal(train.files.images, join(dir, 'fashion-mnist', 'train-images-idx3-ubyte.gz'));
  const [img, label] = train.get(4);
  assert.deepEqual(img.shape, [28, 28, 1]);
  assert.equal(img.dtype, 'uint8');
  assert.equal(label, 2);
  assert.equal(typeof label, 'number');
  const flat = Array.from(img.dataSync());
  assert.deepEqual(flat.slice(0, 3), [pixel(4, 0), pixel(4, 1), pixel(4, 2)]);
  const [X, y] = train.arrays();
  assert.deepEqual(X.shape, [12, 28, 28, 1]);
  assert.equal(X.dtype, 'uint8');
  assert.equal(y.dtype, 'int32');
  assert.deepEqual(y.toArray(), [0, 3, 6, 9, 2, 5, 8, 1, 4, 7, 0, 3]);
  X.dispose(); // a view: the data set still works
  assert.deepEqual(train.get(1)[0].shape, [28, 28, 1]);
  assert.throws(() => train.get(12), /index 12 is out of range for 12 samples/);
});

test('FashionMNIST: raw (unpacked) files in a flat root directory; a transform option', () => {
  const dir = fakeData(3, 2, { gzip: false, layout: 'flat' });
  const ds = new vision.FashionMNIST({ ...iso(), root: dir, transform: (x, y) => [x.shape[0], y * 10] });
  assert.deepEqual(ds.get(1), [28, 30]);
  // With a per-sample transform the loader takes the per-sample path.
  const [[a, b]] = [...new DataLoader(ds, { batchSize: 3 })] as NDArray[][];
  assert.deepEqual(a.toArray(), [28, 28, 28]);
  assert.deepEqual(b.toArray(), [0, 30, 60]);
});

test('FashionMNIST: mismatched counts, bad labels, missing files and checksum failures are clear errors', () => {
  assert.throws(
    () => new vision.FashionMNIST(iso({ dataDir: fakeData(4, 2, { labelCount: 3 }) })),
    /holds 4 images but .*train-labels-idx1-ubyte.gz holds 3 labels/,
  );
  assert.throws(
    () => new vision.FashionMNIST(iso({ dataDir: fakeData(4, 2, { badLabel: true }) })),
    /label 12 at index 3 is not a class 0\.\.9/,
  );
  assert.throws(
    () => new vision.FashionMNIST(iso({ dataDir: mkdtempSync(join(tmpdir(), 'd2l-empty-')) })),
    (e: Error) => {
      assert.ok(e instanceof DataNotFoundError);
      assert.match(e.message, /^fashion-mnist \(train\): could not find the data file fashion-mnist\/train-images-idx3-ubyte\.gz/);
      assert.match(e.message, /dataset-fashion-mnist/);
      assert.match(e.message, /http:\/\/fashion-mnist\.s3-website\.eu-central-1\.amazonaws\.com\/train-images-idx3-ubyte\.gz/);
      assert.match(e.message, /await vision\.FashionMNIST\.create\(\)/);
      return true;
    },
  );
  // A root / dataDir that does not exist is an error naming it, not a place skipped.
  const typo = join(tmpdir(), 'does-not-exist-d2l');
  assert.throws(
    () => new vision.FashionMNIST({ ...iso(), root: typo }),
    (e: Error) => e instanceof DataDirError && e.message.includes(`the root option names ${typo}, which does not exist`),
  );
  assert.throws(() => loadDataFashionMnistSync(2, iso({ dataDir: typo })), DataDirError);
  // Verification on (the default): the fake files are not Fashion-MNIST.
  assert.throws(
    () => new vision.FashionMNIST({ ...iso({ dataDir: fakeData(2, 2) }), verify: true }),
    (e: Error) => {
      assert.ok(e instanceof CorruptDataError);
      assert.match(
        e.message,
        /checksum mismatch for fashion-mnist\/train-images-idx3-ubyte\.gz\. Its unpacked size is 1584 bytes, expected 47040016/,
      );
      assert.match(e.message, /Zalando original \(unpacked\): sha256 of the unpacked content c59f468a/);
      assert.match(e.message, /MXNet\/Gluon S3 mirror .*: sha1 0cf37b0d/);
      return true;
    },
  );
});

test('MNIST reads the mnist/ folder', () => {
  const dir = fakeData(3, 2);
  renameSync(join(dir, 'fashion-mnist'), join(dir, 'mnist'));
  const ds = new vision.MNIST({ ...iso({ dataDir: dir }), train: false });
  assert.equal(ds.length, 2);
  assert.throws(() => new vision.FashionMNIST(iso({ dataDir: dir })), DataNotFoundError);
});

test('FashionMNIST.create (async) and the loader fast path: batches of X (B,1,28,28) float32 in [0,1], y int32', async () => {
  const dir = fakeData(10, 4);
  const train = await vision.FashionMNIST.create(iso({ dataDir: dir }));
  assert.ok(train instanceof vision.FashionMNIST);
  const loader = new DataLoader(train.transformFirst(new vision.transforms.ToTensor()), { batchSize: 4 });
  const batches = [...loader] as NDArray[][];
  assert.deepEqual(
    batches.map(([X]) => X.shape),
    [
      [4, 1, 28, 28],
      [4, 1, 28, 28],
      [2, 1, 28, 28],
    ],
  );
  const [X, y] = batches[1];
  assert.equal(X.dtype, 'float32');
  assert.equal(y.dtype, 'int32');
  assert.deepEqual(y.toArray(), [2, 5, 8, 1]);
  assert.ok(Math.abs(X.get('1, 0, 0, 2').asScalar() - pixel(5, 2) / 255) < 1e-7);
});

test('d2l.getFashionMnistLabels and loadDataFashionMnist (limit, resize, shuffle only for train)', async () => {
  assert.deepEqual(getFashionMnistLabels([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), [
    't-shirt',
    'trouser',
    'pullover',
    'dress',
    'coat',
    'sandal',
    'shirt',
    'sneaker',
    'bag',
    'ankle boot',
  ]);
  assert.deepEqual(getFashionMnistLabels(nd.array([9, 2], { dtype: 'int32' })), ['ankle boot', 'pullover']);
  assert.throws(() => getFashionMnistLabels([10]), /10 is not a Fashion-MNIST label/);
  const dir = fakeData(20, 7);
  const [trainIter, testIter] = await loadDataFashionMnist(4, iso({ dataDir: dir }));
  assert.equal(trainIter.length, 5);
  assert.equal(testIter.length, 2);
  nd.random.seed(3);
  const order = ([...trainIter] as NDArray[][]).flatMap(([, y]) => Array.from(y.dataSync()));
  assert.notDeepEqual(
    order,
    Array.from({ length: 20 }, (_, i) => (i * 3) % 10),
  );
  assert.deepEqual(
    ([...testIter] as NDArray[][]).flatMap(([, y]) => Array.from(y.dataSync())),
    [0, 3, 6, 9, 2, 5, 8],
  );
  const [small] = loadDataFashionMnistSync(2, { ...iso({ dataDir: dir }), limit: 5, resize: 8 });
  assert.equal(small.length, 3);
  const [X] = [...small][0] as NDArray[];
  assert.deepEqual(X.shape, [2, 1, 8, 8]);
  assert.ok(X.max().asScalar() <= 1 && X.min().asScalar() >= 0);
});
