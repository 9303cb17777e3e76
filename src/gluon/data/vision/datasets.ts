/**
 * MNIST and Fashion-MNIST (Gluon's gluon.data.vision.MNIST / FashionMNIST), read from IDX files
 * found by the one data resolver (src/data/resolver.ts).
 */
import { D2LError, ValueError } from '../../../core/errors.js';
import { cpu } from '../../../ndarray/context.js';
import { NDArray } from '../../../ndarray/ndarray.js';
import { loadDataFile, loadDataFileSync, type DataResolveOptions, type LoadedDataFile } from '../../../data/resolver.js';
import { fetchDataFile, type FetchProgress } from '../../../data/fetch.js';
import { Dataset, type BatchSource } from '../dataset.js';
import { IdxFormatError, parseIdx } from './idx.js';

export interface MNISTOptions extends DataResolveOptions {
  /** A directory holding the IDX files (Gluon's `root`), looked in before the other places. */
  root?: string;
  /** The training set (60,000 images, default) or the test set (10,000). */
  train?: boolean;
  /** Applied to each sample as `transform(image, label)` (Gluon's `transform`). */
  transform?: (data: NDArray, label: number) => unknown;
  /**
   * `create()` only: fetch the IDX files from this folder URL instead of the file resolver (a web
   * page serving them itself, e.g. `'data/fashion-mnist/'`); checked against the same checksums.
   */
  url?: string;
  /** With `url`: called as the bytes of each file arrive. */
  onProgress?: (p: FetchProgress) => void;
}

type Loaded = { images: LoadedDataFile; labels: LoadedDataFile };

/**
 * The MNIST handwritten digits: samples `[image, label]` with image an NDArray (28, 28, 1) uint8
 * and label a number 0..9 (int32 in MXNet), in the file's order. The constructor reads local
 * files (option/root, --data-dir, D2L_DATA_DIR, the cache, system locations); `await
 * MNIST.create()` also downloads missing files.
 *
 * @example
 * const mnistTrain = new gluon.data.vision.MNIST({ train: true });
 * const [image, label] = mnistTrain.get(0);
 */
export class MNIST extends Dataset<[NDArray, number]> {
  /** The data set's folder name in the registry (`mnist`, `fashion-mnist`). */
  protected static readonly dataset: string = 'mnist';
  /** Whether this is the training split. */
  readonly train: boolean;
  /** Where the image and label files were found. */
  readonly files: { images: string; labels: string };
  private readonly images: NDArray;
  private readonly labels: NDArray;
  private readonly labelValues: Int32Array;
  private readonly fn: MNISTOptions['transform'];

  /**
   * Reads the split from local files (see the class doc). Throws a DataNotFoundError listing
   * every place looked when a file is missing, or a clear error when one is corrupt.
   */
  constructor(opts: MNISTOptions = {}, /** @internal files already loaded by create() */ loaded?: Loaded) {
    super();
    this.train = opts.train ?? true;
    const ds = (this.constructor as typeof MNIST).dataset;
    const l = loaded ?? loadPair(ds, this.train, opts, (name, o) => loadDataFileSync(name, o));
    const img = parseIdx(l.images.bytes, { name: l.images.path, expectNdim: 3, expectTypeCode: 0x08 });
    const lab = parseIdx(l.labels.bytes, { name: l.labels.path, expectNdim: 1, expectTypeCode: 0x08 });
    const [n, h, w] = img.shape;
    if (lab.shape[0] !== n)
      throw new IdxFormatError(`${ds}: ${l.images.path} holds ${n} images but ${l.labels.path} holds ${lab.shape[0]} labels`);
    const labelValues = Int32Array.from(lab.data as Uint8Array);
    for (let i = 0; i < labelValues.length; i++)
      if (labelValues[i] > 9) throw new IdxFormatError(`${l.labels.path}: label ${labelValues[i]} at index ${i} is not a class 0..9`);
    this.images = NDArray._fromData(img.data, [n, h, w, 1], 'uint8', cpu());
    this.labels = NDArray._fromData(labelValues, [n], 'int32', cpu());
    this.labelValues = labelValues;
    this.files = { images: l.images.path, labels: l.labels.path };
    this.fn = opts.transform;
  }

  /**
   * Like the constructor, but downloads missing files into the cache first (with progress and
   * checksum verification).
   *
   * @example
   * const mnistTest = await gluon.data.vision.FashionMNIST.create({ train: false });
   */
  static async create<T extends typeof MNIST>(this: T, opts: MNISTOptions = {}): Promise<InstanceType<T>> {
    const train = opts.train ?? true;
    const names = fileNames(this.dataset, train);
    const [images, labels] =
      opts.url !== undefined
        ? await Promise.all(names.map((n) => fetchDataFile(n, { url: opts.url!, verify: opts.verify, onProgress: opts.onProgress })))
        : await Promise.all(names.map((n) => loadDataFile(n, resolveOpts(opts))));
    return new this(opts, { images, labels }) as InstanceType<T>;
  }

  get length(): number {
    return this.labelValues.length;
  }

  /**
   * Sample i: `[image (28, 28, 1) uint8, label]`, or `transform(image, label)` when a transform
   * was given. The image is a view of the data set's array (a new handle; dispose it or let a
   * tidy scope do it).
   */
  get(i: number): any {
    if (!Number.isInteger(i) || i < 0 || i >= this.length)
      throw new RangeError(`${(this.constructor as typeof MNIST).dataset}.get: index ${i} is out of range for ${this.length} samples`);
    const img = this.images.get(i);
    const label = this.labelValues[i];
    return this.fn ? this.fn(img, label) : [img, label];
  }

  /**
   * All images (N, 28, 28, 1) uint8 and labels (N,) int32, in file order. The arrays are views on
   * the data set's storage (no copy); disposing them does not affect the data set.
   *
   * @example
   * const [X, y] = mnistTrain.arrays();
   */
  arrays(): [NDArray, NDArray] {
    return [this.images.detach(), this.labels.detach()];
  }

  /** Frees the data set's arrays; it cannot be used afterwards. @example mnistTrain.dispose(); */
  dispose(): void {
    this.images.dispose();
    this.labels.dispose();
  }

  override _batchSource(): BatchSource | null {
    if (this.fn) return null;
    return {
      gather: (indices) => {
        const idx = NDArray._fromData(indices, [indices.length], 'int32', this.images.context);
        try {
          return [this.images.take(idx), this.labels.take(idx)];
        } finally {
          idx.dispose();
        }
      },
    };
  }
}

/**
 * Fashion-MNIST (Zalando): 60,000 training and 10,000 test images of 10 clothing classes, 28x28
 * grey levels. Samples `[image (28, 28, 1) uint8, label]` in the file's order. Found by the data
 * resolver: Debian's `dataset-fashion-mnist` (/usr/share/datasets/fashion-mnist), D2L_DATA_DIR,
 * the cache, or downloaded by `await FashionMNIST.create()`.
 *
 * @example
 * const mnistTrain = new gluon.data.vision.FashionMNIST({ train: true });
 * const mnistTest = new gluon.data.vision.FashionMNIST({ train: false });
 * mnistTrain.length, mnistTest.length; // 60000, 10000
 * const [feature, label] = mnistTrain.get(0); // feature.shape [28, 28, 1], dtype uint8
 */
export class FashionMNIST extends MNIST {
  protected static override readonly dataset: string = 'fashion-mnist';
}

function fileNames(ds: string, train: boolean): [string, string] {
  const p = train ? 'train' : 't10k';
  return [`${ds}/${p}-images-idx3-ubyte.gz`, `${ds}/${p}-labels-idx1-ubyte.gz`];
}

function resolveOpts(opts: MNISTOptions): DataResolveOptions {
  const { root, train: _t, transform: _f, url, onProgress: _p, ...rest } = opts;
  if (url !== undefined) throw new ValueError(`${url}: the url option is for the asynchronous create() (fetch), not the constructor`);
  if (root !== undefined && typeof root !== 'string') throw new ValueError(`root must be a directory path, got ${typeof root}`);
  return root ? { ...rest, extraDirs: [...(rest.extraDirs ?? []), root] } : rest;
}

function loadPair(ds: string, train: boolean, opts: MNISTOptions, load: (name: string, o: DataResolveOptions) => LoadedDataFile): Loaded {
  const ro = resolveOpts(opts);
  const [imgName, labName] = fileNames(ds, train);
  try {
    return { images: load(imgName, ro), labels: load(labName, ro) };
  } catch (e) {
    if (e instanceof D2LError) e.message = `${ds} (${train ? 'train' : 'test'}): ${e.message}`;
    throw e;
  }
}
