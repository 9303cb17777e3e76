import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, NDArray } from '../../src/index.js';
import {
  ArrayDataset,
  SimpleDataset,
  DataLoader,
  Dataset,
  BatchSampler,
  SequentialSampler,
  RandomSampler,
  defaultBatchify,
  vision,
  BatchSizeError,
  setLargeBatchPolicy,
} from '../../src/gluon/data/index.js';
import { assertClose } from '../helpers.js';

const { ToTensor, Normalize, Resize, Compose, Cast } = vision.transforms;

const ids = (loader: Iterable<unknown>) =>
  [...loader].map((b) => {
    const arr = (Array.isArray(b) ? b[1] : b) as NDArray;
    const v = Array.from(arr.dataSync());
    return v;
  });

test('ArrayDataset: NDArray rows, numbers for 1-D arrays, JS arrays, single array unwrapped', () => {
  const X = nd.arange(12).reshape([4, 3]);
  const y = nd.array([5, 6, 7, 8]);
  const ds = new ArrayDataset(X, y, ['a', 'b', 'c', 'd']);
  assert.equal(ds.length, 4);
  const [x2, y2, s2] = ds.get(2) as [NDArray, number, string];
  assert.deepEqual(x2.toArray(), [6, 7, 8]);
  assert.equal(y2, 7);
  assert.equal(s2, 'c');
  assert.equal(new ArrayDataset([1, 2, 3]).get(1), 2);
  assert.throws(() => new ArrayDataset(X, nd.array([1, 2])), /same length \(first axis\), got 4, 2/);
  assert.throws(() => ds.get(4), /index 4 is out of range for a data set of length 4/);
  assert.throws(() => new ArrayDataset(), /at least one array/);
});

test('SimpleDataset, transform (lazy and eager), transformFirst, take, filter, iteration', () => {
  const ds = new SimpleDataset([
    [1, 10],
    [2, 20],
    [3, 30],
  ] as [number, number][]);
  assert.deepEqual(
    [...ds],
    [
      [1, 10],
      [2, 20],
      [3, 30],
    ],
  );
  let calls = 0;
  const lazy = ds.transform((a, b) => (calls++, a + b));
  assert.equal(calls, 0);
  assert.equal(lazy.get(1), 22);
  assert.equal(calls, 1);
  const eager = ds.transform((a, b) => (calls++, a * b), false);
  assert.equal(calls, 4);
  assert.deepEqual([...eager], [10, 40, 90]);
  assert.deepEqual(
    [...ds.transformFirst((a: number) => -a)],
    [
      [-1, 10],
      [-2, 20],
      [-3, 30],
    ],
  );
  assert.deepEqual([...new SimpleDataset([1, 2]).transformFirst((a: number) => a * 2)], [2, 4]);
  assert.deepEqual(
    [...ds.take(2)],
    [
      [1, 10],
      [2, 20],
    ],
  );
  assert.equal(ds.take(10), ds);
  assert.deepEqual(
    [...ds.filter(([a]) => a !== 2)],
    [
      [1, 10],
      [3, 30],
    ],
  );
});

test('DataLoader lastBatch keep / discard / rollover (across epochs)', () => {
  const ds = new ArrayDataset(nd.arange(10).reshape([10, 1]), nd.arange(10, undefined, 1, { dtype: 'int32' }));
  const keep = new DataLoader(ds, { batchSize: 4 });
  assert.equal(keep.length, 3);
  assert.deepEqual(ids(keep), [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9],
  ]);
  const discard = new DataLoader(ds, { batchSize: 4, lastBatch: 'discard' });
  assert.equal(discard.length, 2);
  assert.deepEqual(ids(discard), [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
  ]);
  const roll = new DataLoader(ds, { batchSize: 4, lastBatch: 'rollover' });
  assert.equal(roll.length, 2);
  assert.deepEqual(ids(roll), [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
  ]);
  assert.equal(roll.length, 3); // 2 rolled over + 10 = 12
  assert.deepEqual(ids(roll), [
    [8, 9, 0, 1],
    [2, 3, 4, 5],
    [6, 7, 8, 9],
  ]);
  assert.equal(roll.length, 2);
  assert.deepEqual([...new BatchSampler(new SequentialSampler(5), 2)], [[0, 1], [2, 3], [4]]);
  assert.throws(
    () => new DataLoader(ds, { batchSize: 4, lastBatch: 'drop' as 'keep' }),
    /lastBatch must be 'keep', 'discard' or 'rollover'/,
  );
});

/** The process warnings emitted while `fn` runs (they are delivered on a later tick). */
async function warningsDuring(fn: () => void): Promise<Error[]> {
  const seen: Error[] = [];
  const on = (w: Error) => seen.push(w);
  process.on('warning', on);
  try {
    fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', on);
  }
  return seen;
}

test('DataLoader: a batch larger than the data set is an error with discard/rollover, a warning (or error) when shuffling', async () => {
  const ds = new ArrayDataset(nd.arange(10).reshape([10, 1]), nd.arange(10));
  for (const lastBatch of ['discard', 'rollover'] as const)
    assert.throws(
      () => new DataLoader(ds, { batchSize: 16, lastBatch }),
      (e: Error) =>
        e instanceof BatchSizeError &&
        new RegExp(`batchSize 16 is larger than the data set \\(10 samples\\): with lastBatch '${lastBatch}' .*no batch`).test(e.message),
      lastBatch,
    );
  // keep: one short batch per epoch; a shuffling (training) loader warns once per process.
  const warnings = await warningsDuring(() => {
    const a = new DataLoader(ds, { batchSize: 16, shuffle: true });
    assert.deepEqual(
      [...a].map((b) => b[0].shape),
      [[10, 1]],
    );
    new DataLoader(ds, { batchSize: 32, shuffle: true });
    new DataLoader(ds, { batchSize: 16 }); // an evaluation loader: one batch is fine
  });
  const big = warnings.filter((w) => (w as { code?: string }).code === 'D2L_BATCH_LARGER_THAN_DATA');
  assert.equal(big.length, 1);
  assert.match(
    big[0].message,
    /batchSize 16 is larger than the data set \(10 samples\): each epoch is one batch of 10.*1\.6x smaller step/,
  );
  setLargeBatchPolicy('error');
  try {
    assert.throws(() => new DataLoader(ds, { batchSize: 16, shuffle: true }), BatchSizeError);
    new DataLoader(ds, { batchSize: 10, shuffle: true }); // exactly the data set is fine
  } finally {
    setLargeBatchPolicy('warn');
  }
});

test('DataLoader: numWorkers is accepted, does nothing, and warns once per process', async () => {
  const ds = new ArrayDataset(nd.arange(6).reshape([6, 1]), nd.arange(6));
  const warnings = await warningsDuring(() => {
    const l = new DataLoader(ds, { batchSize: 4, numWorkers: 4 });
    assert.deepEqual(ids(l), [
      [0, 1, 2, 3],
      [4, 5],
    ]);
    new DataLoader(ds, { batchSize: 2, numWorkers: 2 });
    new DataLoader(ds, { batchSize: 2, numWorkers: 0 });
  });
  const nw = warnings.filter((w) => (w as { code?: string }).code === 'D2L_NUM_WORKERS_IGNORED');
  assert.equal(nw.length, 1);
  assert.match(nw[0].message, /numWorkers \(4\) is accepted for Gluon compatibility but does nothing/);
  assert.throws(() => new DataLoader(ds, { batchSize: 2, numWorkers: -1 }), /numWorkers must be a non-negative integer, got -1/);
});

test('DataLoader shuffle: a permutation per epoch, reproducible with nd.random.seed', () => {
  const n = 50;
  const ds = new ArrayDataset(nd.arange(n).reshape([n, 1]), nd.arange(n, undefined, 1, { dtype: 'int32' }));
  const loader = new DataLoader(ds, { batchSize: 8, shuffle: true });
  nd.random.seed(7);
  const e1 = ids(loader).flat();
  const e2 = ids(loader).flat();
  assert.deepEqual(
    [...e1].sort((a, b) => a - b),
    Array.from({ length: n }, (_, i) => i),
  );
  assert.notDeepEqual(e1, e2);
  assert.notDeepEqual(
    e1,
    Array.from({ length: n }, (_, i) => i),
  );
  nd.random.seed(7);
  assert.deepEqual(ids(loader).flat(), e1);
  nd.random.seed(7);
  assert.deepEqual([...new RandomSampler(n)], e1);
});

test('DataLoader: batches hold the right rows and dtypes; the fast path equals the per-sample path', () => {
  const X = nd.random.uniform(0, 1, [23, 2, 3]);
  const y = nd.array(new Int32Array(23).map((_, i) => i % 5));
  const ds = new ArrayDataset(X, y);
  const fast = [...new DataLoader(ds, { batchSize: 5 })] as NDArray[][];
  const slow = [...new DataLoader(ds, { batchSize: 5, batchify: (s) => defaultBatchify(s) })] as NDArray[][];
  assert.equal(fast.length, 5);
  for (let i = 0; i < fast.length; i++) {
    assert.deepEqual(fast[i][0].shape, slow[i][0].shape);
    assert.equal(fast[i][0].dtype, 'float32');
    assert.equal(fast[i][1].dtype, 'int32');
    assert.equal(slow[i][1].dtype, 'int32');
    assert.deepEqual(fast[i][0].toArray(), slow[i][0].toArray());
    assert.deepEqual(fast[i][1].toArray(), slow[i][1].toArray());
  }
  assert.deepEqual(fast[4][0].toArray(), X.get('20:23').toArray());
  // JS arrays: integer numbers -> int32, fractional -> float32, typed arrays keep their dtype.
  const [a, b, c] = [
    ...new DataLoader(new ArrayDataset([1, 2, 3], [0.5, 1, 2], Float64Array.from([1, 2, 3])), { batchSize: 3 }),
  ][0] as NDArray[];
  assert.deepEqual([a.dtype, b.dtype, c.dtype], ['int32', 'float32', 'float64']);
  assert.deepEqual(b.toArray(), [0.5, 1, 2]);
});

test('DataLoader: custom batchify, custom sampler, batchSampler, option errors', () => {
  const ds = new SimpleDataset(['a', 'b', 'c', 'd', 'e']);
  const joined = [...new DataLoader(ds, { batchSize: 2, batchify: (s: string[]) => s.join('') })];
  assert.deepEqual(joined, ['ab', 'cd', 'e']);
  const rev = {
    length: 5,
    *[Symbol.iterator]() {
      for (let i = 4; i >= 0; i--) yield i;
    },
  };
  assert.deepEqual([...new DataLoader(ds, { batchSize: 2, sampler: rev, batchify: (s: string[]) => s.join('') })], ['ed', 'cb', 'a']);
  const bs = new BatchSampler(new SequentialSampler(5), 3, 'discard');
  assert.deepEqual([...new DataLoader(ds, { batchSampler: bs, batchify: (s: string[]) => s.join('') })], ['abc']);
  assert.throws(() => new DataLoader(ds, {}), /batchSize is required/);
  assert.throws(() => new DataLoader(ds, { batchSize: 0 }), /positive integer/);
  assert.throws(() => new DataLoader(ds, { batchSize: 2, shuffle: true, sampler: rev }), /shuffle must not be given together with sampler/);
  assert.throws(() => new DataLoader(ds, { batchSampler: bs, batchSize: 2 }), /must not be given together with batchSampler/);
});

test('DataLoader: async iteration yields the same batches', async () => {
  const ds = new ArrayDataset(nd.arange(7).reshape([7, 1]), nd.arange(7, undefined, 1, { dtype: 'int32' }));
  const loader = new DataLoader(ds, { batchSize: 3 });
  const got: number[][] = [];
  for await (const [, y] of loader) got.push(Array.from((y as NDArray).dataSync()));
  assert.deepEqual(got, ids(loader));
});

test('DataLoader does not leak: only the yielded batches are new, and disposing them keeps memory flat', () => {
  const imgs = nd.array(
    new Uint8Array(100 * 4 * 4 * 1).map((_, i) => i & 255),
    { shape: [100, 4, 4, 1] },
  );
  const ds = new ArrayDataset(imgs, nd.arange(100, undefined, 1, { dtype: 'int32' })).transformFirst(new ToTensor());
  const loader = new DataLoader(ds, { batchSize: 16, shuffle: true });
  const run = () => {
    for (const [X, y] of loader as Iterable<NDArray[]>) {
      X.dispose();
      y.dispose();
    }
  };
  run();
  const before = nd.memory();
  for (let e = 0; e < 3; e++) run();
  const after = nd.memory();
  assert.ok(after.arrays <= before.arrays);
  assert.equal(after.bytes, before.bytes);
  // The per-sample path too.
  const slow = new DataLoader(ds, { batchSize: 16, batchify: defaultBatchify });
  const b2 = nd.memory();
  for (const [X, y] of slow as Iterable<NDArray[]>) {
    X.dispose();
    y.dispose();
  }
  assert.ok(nd.memory().arrays <= b2.arrays);
  // Batches yielded inside nd.tidy are freed by the scope.
  const b3 = nd.memory();
  nd.tidy(() => {
    for (const _ of loader) void _;
  });
  assert.ok(nd.memory().arrays <= b3.arrays);
});

test('ToTensor: HWC uint8 -> CHW float32 / 255, batches NHWC -> NCHW', () => {
  const img = nd.array(new Uint8Array([0, 255, 51, 102, 10, 20, 30, 40, 50, 60, 70, 80]), { shape: [2, 2, 3] });
  const t = new ToTensor().forward(img);
  assert.deepEqual(t.shape, [3, 2, 2]);
  assert.equal(t.dtype, 'float32');
  assertClose(
    t,
    [
      [
        [0, 102 / 255],
        [30 / 255, 60 / 255],
      ],
      [
        [1, 10 / 255],
        [40 / 255, 70 / 255],
      ],
      [
        [51 / 255, 20 / 255],
        [50 / 255, 80 / 255],
      ],
    ],
    1e-7,
  );
  const batch = nd.stack([img, img], { axis: 0 });
  const tb = new ToTensor().forward(batch);
  assert.deepEqual(tb.shape, [2, 3, 2, 2]);
  assert.deepEqual(tb.get(1).toArray(), t.toArray());
  assert.throws(
    () => new ToTensor().forward(nd.zeros([4, 4])),
    /expected an image \(H, W, C\) or a batch \(N, H, W, C\), got shape \(4, 4\)/,
  );
});

test('Normalize, Cast, Compose; transformFirst(ToTensor) per batch equals per sample', () => {
  const x = nd.array([[[1, 2]], [[3, 4]]]); // C=2, H=1, W=2
  assertClose(new Normalize([1, 2], [2, 4]).forward(x), [[[0, 0.5]], [[0.25, 0.5]]]);
  assertClose(new Normalize(1, 2).forward(x.expandDims(0)), [[[[0, 0.5]], [[1, 1.5]]]]);
  assert.throws(() => new Normalize([1, 2, 3], 1).forward(x), /mean has 3 values but the input has 2 channels/);
  assert.throws(() => new Normalize(0, 1).forward(x.astype('uint8')), /expected a float image \(apply ToTensor first\), got uint8/);
  assert.equal(new Cast('float64').forward(x).dtype, 'float64');
  const imgs = nd.array(
    new Uint8Array(6 * 4 * 4 * 1).map((_, i) => (i * 37) & 255),
    { shape: [6, 4, 4, 1] },
  );
  const labels = nd.array(new Int32Array([0, 1, 2, 3, 4, 5]));
  const tf = new Compose([new ToTensor(), new Normalize(0.5, 0.25)]);
  assert.equal(tf.batchable, true);
  assert.equal(new Compose([new ToTensor(), (v: NDArray) => v]).batchable, false);
  const ds = new ArrayDataset(imgs, labels).transformFirst(tf);
  const [X] = [...new DataLoader(ds, { batchSize: 6 })][0] as NDArray[];
  const [Xs] = [...new DataLoader(ds, { batchSize: 6, batchify: defaultBatchify })][0] as NDArray[];
  assert.deepEqual(X.shape, [6, 1, 4, 4]);
  assertClose(X, Xs, 1e-6);
  const [x0, y0] = ds.get(0) as [NDArray, number];
  assert.deepEqual(x0.shape, [1, 4, 4]);
  assert.equal(y0, 0);
  // Eager transformFirst over arrays gives an ArrayDataset of whole transformed arrays.
  const eager = new ArrayDataset(imgs, labels).transformFirst(new ToTensor(), false);
  assert.ok(eager instanceof ArrayDataset);
  assertClose((eager.get(3) as NDArray[])[0], (ds.get(3) as NDArray[])[0].mul(0.25).add(0.5), 1e-6);
});

test('Resize: bilinear with half-pixel centres (known values), batches, uint8 rounding, keepRatio', () => {
  // 2x2 -> 4x4: OpenCV INTER_LINEAR gives [[0,25,75,100],[50,75,125,150]...] for this ramp.
  const img = nd.array(new Float32Array([0, 100, 200, 300]), { shape: [2, 2, 1] });
  const r = new Resize(4).forward(img);
  assert.deepEqual(r.shape, [4, 4, 1]);
  assertClose(r.reshape([4, 4]), [
    [0, 25, 75, 100],
    [50, 75, 125, 150],
    [150, 175, 225, 250],
    [200, 225, 275, 300],
  ]);
  const u = new Resize([3, 1]).forward(nd.array(new Uint8Array([0, 255]), { shape: [1, 2, 1] }));
  assert.deepEqual(u.shape, [1, 3, 1]);
  assert.equal(u.dtype, 'uint8');
  assert.deepEqual(Array.from(u.dataSync()), [0, 128, 255]);
  const batch = new Resize(4).forward(nd.stack([img, img.mul(2)], { axis: 0 }));
  assert.deepEqual(batch.shape, [2, 4, 4, 1]);
  assertClose(batch.get(1), r.mul(2));
  assert.deepEqual(new Resize(8, { keepRatio: true }).forward(nd.zeros([4, 6, 1])).shape, [8, 12, 1]);
  assert.deepEqual(new Resize(3, { interpolation: 0 }).forward(img).reshape([9]).toArray(), [0, 0, 100, 0, 0, 100, 200, 200, 300]);
  assert.throws(() => new Resize(0), /size must be a positive integer/);
});

test('a custom Dataset subclass works with the loader', () => {
  class Squares extends Dataset<[number, number]> {
    get length() {
      return 5;
    }
    get(i: number): [number, number] {
      return [i, i * i];
    }
  }
  const [[x, y]] = [...new DataLoader(new Squares(), { batchSize: 5 })] as NDArray[][];
  assert.deepEqual(x.toArray(), [0, 1, 2, 3, 4]);
  assert.deepEqual(y.toArray(), [0, 1, 4, 9, 16]);
});

test('core take fast path (contiguous row blocks) equals the strided path', () => {
  const base = nd.random.uniform(0, 1, [5, 4, 3]);
  const strided = base.transpose([2, 1, 0]); // (3, 4, 5), not contiguous: the element-wise path
  const contig = strided.copy(); // same values, contiguous: the block-copy path
  for (const [axis, idx] of [
    [0, [2, 0, 2]],
    [1, [3, 1]],
    [2, [4, 0, 1, 1]],
  ] as const) {
    assert.deepEqual(contig.take([...idx], { axis }).toArray(), strided.take([...idx], { axis }).toArray());
  }
  const idx2 = nd.array(new Int32Array([1, 0, 2, 2]), { shape: [2, 2] });
  const r = contig.take(idx2, { axis: 0 });
  assert.deepEqual(r.shape, [2, 2, 4, 5]);
  assert.deepEqual(r.toArray(), strided.take(idx2, { axis: 0 }).toArray());
  assert.throws(() => contig.take([3]), /index 3 is out of range/);
});
