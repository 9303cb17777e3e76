/**
 * The book's Fashion-MNIST helpers (d2lzh's `get_fashion_mnist_labels`, `load_data_fashion_mnist`).
 */
import { ValueError } from '../core/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import type { DataResolveOptions } from '../data/resolver.js';
import type { FetchProgress } from '../data/fetch.js';
import { DataLoader } from '../gluon/data/dataloader.js';
import type { Dataset } from '../gluon/data/dataset.js';
import { FashionMNIST } from '../gluon/data/vision/datasets.js';
import { Compose, Resize, ToTensor } from '../gluon/data/vision/transforms.js';

/** The ten Fashion-MNIST classes, by label. */
export const FASHION_MNIST_LABELS: readonly string[] = [
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
];

/**
 * The text labels of numeric Fashion-MNIST labels.
 *
 * @example
 * getFashionMnistLabels([9, 0, 2]); // ['ankle boot', 't-shirt', 'pullover']
 * getFashionMnistLabels(y);         // y: an NDArray of labels (any dtype)
 */
export function getFashionMnistLabels(labels: NDArray | ArrayLike<number> | readonly number[]): string[] {
  const vals = labels instanceof NDArray ? labels.dataSync() : labels;
  return Array.from(vals as ArrayLike<number>, (v) => {
    const t = FASHION_MNIST_LABELS[Number(v)];
    if (t === undefined) throw new ValueError(`getFashionMnistLabels: ${v} is not a Fashion-MNIST label (integers 0..9)`);
    return t;
  });
}

/** Options of `loadDataFashionMnist`. */
export interface LoadFashionMnistOptions extends DataResolveOptions {
  /** Resize the images to resize x resize first (the book's AlexNet and later chapters). */
  resize?: number;
  /** A directory holding the IDX files (Gluon's `root`). */
  root?: string;
  /**
   * A web page: fetch the four IDX files from this folder URL (same origin, e.g.
   * `'data/fashion-mnist/'`) instead of the file resolver; checked against the same checksums.
   */
  url?: string;
  /** With `url`: called as the bytes of each file arrive (`{ file, loaded, total }`). */
  onProgress?: (p: FetchProgress) => void;
  /** Use only the first `limit` samples of each split (quick runs and tests). */
  limit?: number;
  /**
   * Data-parallel training across processes: the training loader reads only this process' part
   * (`shardBy: store` with a dist_sync KVStore; see DataLoader's `shardBy`). The test loader
   * reads all of the test set on every process.
   */
  shardBy?: { readonly rank: number; readonly numWorkers: number };
}

function loaders(train: Dataset<any>, test: Dataset<any>, batchSize: number, opts: LoadFashionMnistOptions): [DataLoader, DataLoader] {
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw new ValueError(`loadDataFashionMnist: batchSize must be a positive integer, got ${batchSize}`);
  const tfs = opts.resize ? [new Resize(opts.resize), new ToTensor()] : [new ToTensor()];
  const transformer = new Compose(tfs);
  const lim = (d: Dataset<any>) => (opts.limit !== undefined ? d.take(opts.limit) : d);
  return [
    new DataLoader(lim(train).transformFirst(transformer), {
      batchSize,
      shuffle: true,
      ...(opts.shardBy ? { shardBy: opts.shardBy } : {}),
    }),
    new DataLoader(lim(test).transformFirst(transformer), { batchSize, shuffle: false }),
  ];
}

function datasetOpts(opts: LoadFashionMnistOptions) {
  const { resize: _r, limit: _l, shardBy: _s, ...rest } = opts;
  return rest;
}

/**
 * `[trainIter, testIter]`: DataLoaders over Fashion-MNIST with `ToTensor` (uint8 HWC → float32
 * CHW in [0, 1]), after `Resize(resize)` when given. The training loader shuffles (seeded by
 * `nd.random.seed`), the test loader does not. Files come from the data resolver and are
 * downloaded into the cache when missing. Batches are X (batch, 1, 28, 28) float32 and y (batch,)
 * int32, owned by the caller.
 *
 * In a web page, `url` names the folder the page serves the IDX files from (fetched, with
 * `onProgress`).
 *
 * @example
 * const [trainIter, testIter] = await d2l.loadDataFashionMnist(256);
 * for (const [X, y] of trainIter) { ... }
 * // in a page:
 * const [train, test] = await d2l.loadDataFashionMnist(256, { url: 'data/fashion-mnist/', onProgress: (p) => bar(p) });
 */
export async function loadDataFashionMnist(batchSize: number, opts: LoadFashionMnistOptions = {}): Promise<[DataLoader, DataLoader]> {
  const o = datasetOpts(opts);
  const [train, test] = await Promise.all([FashionMNIST.create({ ...o, train: true }), FashionMNIST.create({ ...o, train: false })]);
  return loaders(train, test, batchSize, opts);
}

/**
 * Synchronous `loadDataFashionMnist` from local files only (no download): the option or root,
 * `--data-dir`, `D2L_DATA_DIR`, the cache, /usr/share/datasets/fashion-mnist.
 *
 * @example
 * const [trainIter, testIter] = d2l.loadDataFashionMnistSync(256, { limit: 1000 });
 */
export function loadDataFashionMnistSync(batchSize: number, opts: LoadFashionMnistOptions = {}): [DataLoader, DataLoader] {
  const o = datasetOpts(opts);
  return loaders(new FashionMNIST({ ...o, train: true }), new FashionMNIST({ ...o, train: false }), batchSize, opts);
}
