/**
 * Gluon's data sets: `Dataset` (length + get), `ArrayDataset`, `SimpleDataset`, and the lazy
 * `transform` / `transformFirst` wrappers.
 *
 * Array-backed data sets (ArrayDataset, vision.FashionMNIST...) can also hand a DataLoader whole
 * batches at once (one row gather per array, see `BatchSource`), so an epoch over 60,000 images
 * costs a few hundred typed-array copies instead of 60,000 small arrays.
 */
import { ValueError } from '../../core/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import * as nd from '../../ndarray/nd.js';
import { defaultBatchify, numbersToNDArray } from './batchify.js';
import { dtypeOfTypedArray } from '../../core/dtype.js';

/** A transform: a function, or an object with `forward` (as Gluon's transform Blocks). */
export type Transform<I = any, O = any> = ((x: I) => O) | TransformBlock<I, O>;

/** A transform object. `batchable` ones also accept a whole batch (a leading batch axis). */
export interface TransformBlock<I = any, O = any> {
  forward(x: I): O;
  /** True when `forward` on a batch (N, ...) equals stacking `forward` of each sample. */
  readonly batchable?: boolean;
}

/** @internal Samples gathered a batch at a time (for DataLoader's fast path). */
export interface BatchSource {
  /** The batch of the samples at `indices`, already batchified; owned by the caller. */
  gather(indices: Int32Array): unknown;
}

type Args<T> = T extends readonly unknown[] ? T : [T];
type ReplaceFirst<T, U> = T extends readonly [unknown, ...infer R] ? [U, ...R] : U;
type FirstOf<T> = T extends readonly [infer A, ...unknown[]] ? A : T;

/**
 * Calls a transform (a function, or an object with `forward`).
 * @example applyTransform(new transforms.ToTensor(), image); applyTransform((x: number) => x + 1, 1); // 2
 */
export function applyTransform<I, O>(t: Transform<I, O>, x: I): O {
  return typeof t === 'function' ? t(x) : t.forward(x);
}

/** @internal Whether `t` can be applied to a whole batch at once. */
export function isBatchable(t: unknown): t is TransformBlock {
  return (
    typeof t === 'object' && t !== null && (t as TransformBlock).batchable === true && typeof (t as TransformBlock).forward === 'function'
  );
}

function checkIndex(i: number, n: number, what: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`${what}: index ${i} is out of range for a data set of length ${n}`);
}

/**
 * The abstract data set: a length and random access to samples. Subclasses implement `length`
 * and `get(i)`; samples are usually tuples such as `[image, label]`.
 *
 * @example
 * class Squares extends Dataset<[number, number]> {
 *   get length() { return 10; }
 *   get(i: number): [number, number] { return [i, i * i]; }
 * }
 * new Squares().get(3); // [3, 9]
 */
export abstract class Dataset<T = unknown> implements Iterable<T> {
  /** The number of samples. */
  abstract get length(): number;
  /** The sample at index `i` (0 <= i < length). */
  abstract get(i: number): T;

  /** @internal A way to gather whole batches, when the samples are rows of arrays. */
  _batchSource(): BatchSource | null {
    return null;
  }

  /**
   * A data set whose samples are `fn(...sample)` (a tuple sample is spread into the arguments).
   * `lazy` (default) applies fn at each access; `lazy: false` applies it to every sample now.
   *
   * @example
   * const ds = new ArrayDataset([1, 2, 3], [10, 20, 30]).transform((x, y) => x + y);
   * ds.get(1); // 22
   */
  transform<U>(fn: ((...args: Args<T>) => U) | TransformBlock<T, U>, lazy = true): Dataset<U> {
    const t = new TransformedDataset<T, U>(this, fn);
    return lazy ? t : t.materialize();
  }

  /**
   * Transforms only the first element of each sample (the data, not the label), as the book's
   * `mnist_train.transform_first(gdata.vision.transforms.ToTensor())`. Batchable transforms
   * (ToTensor, Normalize, Resize, Compose of them) over an array-backed data set are applied to
   * whole batches by DataLoader, which is much faster.
   *
   * @example
   * const trainIter = new DataLoader(mnistTrain.transformFirst(new transforms.ToTensor()), { batchSize: 256, shuffle: true });
   */
  transformFirst<U>(fn: Transform<FirstOf<T>, U>, lazy = true): Dataset<ReplaceFirst<T, U>> {
    const t = new TransformFirstDataset<T, U>(this, fn);
    return (lazy ? t : t.materialize()) as Dataset<ReplaceFirst<T, U>>;
  }

  /**
   * The first `count` samples (all of them when count >= length), without copying.
   *
   * @example
   * const small = mnistTrain.take(1000);
   */
  take(count: number): Dataset<T> {
    if (!Number.isInteger(count) || count < 0) throw new ValueError(`Dataset.take: count must be a non-negative integer, got ${count}`);
    if (count >= this.length) return this;
    const idx = new Int32Array(count);
    for (let i = 0; i < count; i++) idx[i] = i;
    return new SampledDataset(this, idx);
  }

  /**
   * The samples for which `fn(sample)` is true, in order.
   *
   * @example
   * const shoes = new ArrayDataset(images, labels).filter(([, y]) => y === 7);
   */
  filter(fn: (sample: T) => boolean): Dataset<T> {
    const keep: number[] = [];
    for (let i = 0; i < this.length; i++) {
      const s = nd.tidy(() => fn(this.get(i)));
      if (s) keep.push(i);
    }
    return new SampledDataset(this, Int32Array.from(keep));
  }

  /**
   * Iterates over the samples in order.
   * @example for (const [x, y] of dataset) console.log(y);
   */
  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }
}

/**
 * A data set over a JS array (or any array-like) of samples.
 *
 * @example
 * const ds = new SimpleDataset([[1, 'a'], [2, 'b']]);
 * ds.length; // 2
 * ds.get(1); // [2, 'b']
 */
export class SimpleDataset<T = unknown> extends Dataset<T> {
  constructor(private readonly data: ArrayLike<T>) {
    super();
    if (data === null || typeof data !== 'object' || typeof (data as ArrayLike<T>).length !== 'number')
      throw new ValueError('SimpleDataset: expected an array (or array-like) of samples');
  }
  get length(): number {
    return this.data.length;
  }
  get(i: number): T {
    checkIndex(i, this.data.length, 'SimpleDataset.get');
    return this.data[i];
  }
}

/** One column of an ArrayDataset: an NDArray (rows along axis 0) or a JS/typed array. */
export type ArrayLikeData = NDArray | ArrayLike<unknown>;

type ItemOf<A> = A extends NDArray ? NDArray | number : A extends ArrayLike<infer E> ? E : unknown;
type ItemsOf<A extends readonly ArrayLikeData[]> = A extends readonly [infer X] ? ItemOf<X> : { [K in keyof A]: ItemOf<A[K]> };

function lengthOf(a: ArrayLikeData): number {
  if (a instanceof NDArray) {
    if (a.ndim === 0) throw new ValueError('ArrayDataset: a 0-d NDArray has no rows; give arrays with a leading sample axis');
    return a.shape[0];
  }
  return a.length;
}

/** Gathers rows of one column into a batch. */
function gatherColumn(a: ArrayLikeData, indices: Int32Array, idxArray: () => NDArray): unknown {
  if (a instanceof NDArray) return nd.take(a, idxArray(), { axis: 0 });
  if (ArrayBuffer.isView(a)) {
    const src = a as unknown as ArrayLike<number>;
    const out = new Float64Array(indices.length);
    for (let j = 0; j < indices.length; j++) out[j] = src[indices[j]];
    return numbersToNDArray(out, dtypeOfTypedArray(src));
  }
  const items = new Array<unknown>(indices.length);
  for (let j = 0; j < indices.length; j++) items[j] = a[indices[j]];
  return defaultBatchify(items);
}

/**
 * A data set zipping one or more arrays of equal length: sample i is `[a[i], b[i], ...]`, or
 * just `a[i]` for a single array (as Gluon). NDArray columns give a row (a view) for arrays with
 * more than one axis and a number for 1-D arrays; JS arrays give their elements.
 *
 * @example
 * const features = nd.random.normal(0, 1, [1000, 2]);
 * const labels = nd.random.normal(0, 1, [1000]);
 * const dataset = new ArrayDataset(features, labels);
 * const [x0, y0] = dataset.get(0); // x0: NDArray (2,), y0: number
 */
export class ArrayDataset<A extends readonly ArrayLikeData[] = ArrayLikeData[]> extends Dataset<ItemsOf<A>> {
  private readonly arrays: A;
  private readonly n: number;

  constructor(...arrays: A) {
    super();
    if (arrays.length === 0) throw new ValueError('ArrayDataset: needs at least one array');
    const lens = arrays.map((a, i) => {
      if (!(a instanceof NDArray) && (a === null || typeof a !== 'object' || typeof (a as ArrayLike<unknown>).length !== 'number'))
        throw new ValueError(`ArrayDataset: argument ${i} is neither an NDArray nor an array`);
      return lengthOf(a);
    });
    if (lens.some((l) => l !== lens[0]))
      throw new ValueError(`ArrayDataset: all arrays must have the same length (first axis), got ${lens.join(', ')}`);
    this.arrays = arrays;
    this.n = lens[0];
  }

  get length(): number {
    return this.n;
  }

  get(i: number): ItemsOf<A> {
    checkIndex(i, this.n, 'ArrayDataset.get');
    const item = (a: ArrayLikeData): unknown => {
      if (a instanceof NDArray) {
        if (a.ndim === 1) {
          const v = a.get(i);
          const s = v.asScalar();
          v.dispose();
          return s;
        }
        return a.get(i);
      }
      return (a as ArrayLike<unknown>)[i];
    };
    if (this.arrays.length === 1) return item(this.arrays[0]) as ItemsOf<A>;
    return this.arrays.map(item) as unknown as ItemsOf<A>;
  }

  /** The arrays this data set zips (shared, not copies). @example const [X, y] = dataset.columns; */
  get columns(): A {
    return this.arrays;
  }

  override _batchSource(): BatchSource {
    return {
      gather: (indices) => {
        let idx: NDArray | null = null;
        const ctxArray = this.arrays.find((a): a is NDArray => a instanceof NDArray);
        const idxArray = () => (idx ??= NDArray._fromData(indices, [indices.length], 'int32', ctxArray!.context));
        try {
          const cols = this.arrays.map((a) => gatherColumn(a, indices, idxArray));
          return cols.length === 1 ? cols[0] : cols;
        } finally {
          (idx as NDArray | null)?.dispose();
        }
      },
    };
  }
}

/** A view of some samples of another data set, by index. */
class SampledDataset<T> extends Dataset<T> {
  constructor(
    private readonly base: Dataset<T>,
    private readonly indices: Int32Array,
  ) {
    super();
  }
  get length(): number {
    return this.indices.length;
  }
  get(i: number): T {
    checkIndex(i, this.indices.length, 'Dataset.get');
    return this.base.get(this.indices[i]);
  }
  override _batchSource(): BatchSource | null {
    const src = this.base._batchSource();
    if (!src) return null;
    return { gather: (idx) => src.gather(idx.map((i) => this.indices[i])) };
  }
}

/** Disposes arrays in `old` that are not in `keep` (intermediates of a transform). */
function disposeReplaced(old: unknown, kept: unknown): void {
  if (old instanceof NDArray && old !== kept) old.dispose();
}

class TransformedDataset<T, U> extends Dataset<U> {
  constructor(
    private readonly base: Dataset<T>,
    private readonly fn: ((...args: Args<T>) => U) | TransformBlock<T, U>,
  ) {
    super();
  }
  get length(): number {
    return this.base.length;
  }
  get(i: number): U {
    const s = this.base.get(i);
    if (typeof this.fn === 'function') return Array.isArray(s) ? this.fn(...(s as unknown as Args<T>)) : (this.fn as (x: T) => U)(s);
    return this.fn.forward(s);
  }
  override _batchSource(): BatchSource | null {
    const fn = this.fn;
    if (!isBatchable(fn)) return null;
    const src = this.base._batchSource();
    if (!src) return null;
    return {
      gather: (idx) => {
        // As per sample, `forward` gets the whole (batched) sample.
        const b = src.gather(idx);
        const r = fn.forward(b as T);
        disposeReplaced(b, r);
        return r;
      },
    };
  }
  /** @internal */
  materialize(): Dataset<U> {
    const out = new Array<U>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.get(i);
    return new SimpleDataset(out);
  }
}

class TransformFirstDataset<T, U> extends Dataset<unknown> {
  constructor(
    private readonly base: Dataset<T>,
    private readonly fn: Transform,
  ) {
    super();
  }
  get length(): number {
    return this.base.length;
  }
  get(i: number): unknown {
    const s = this.base.get(i);
    // The sample's arrays may belong to the base data set (SimpleDataset), so nothing is
    // disposed here; DataLoader runs each batch in a tidy scope.
    if (Array.isArray(s)) return [applyTransform(this.fn, s[0]), ...s.slice(1)];
    return applyTransform(this.fn, s);
  }
  override _batchSource(): BatchSource | null {
    const fn = this.fn;
    if (!isBatchable(fn)) return null;
    const src = this.base._batchSource();
    if (!src) return null;
    return {
      gather: (idx) => {
        const b = src.gather(idx);
        if (Array.isArray(b)) {
          const first = fn.forward(b[0]);
          disposeReplaced(b[0], first);
          return [first, ...b.slice(1)];
        }
        const r = fn.forward(b);
        disposeReplaced(b, r);
        return r;
      },
    };
  }
  /** @internal Applies the transform to every sample now (to whole arrays when batchable). */
  materialize(): Dataset<unknown> {
    const src = this._batchSource();
    if (src && this.length > 0) {
      const all = new Int32Array(this.length);
      for (let i = 0; i < all.length; i++) all[i] = i;
      const b = src.gather(all);
      return Array.isArray(b) ? new ArrayDataset(...(b as ArrayLikeData[])) : new ArrayDataset(b as ArrayLikeData);
    }
    const out = new Array<unknown>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.get(i);
    return new SimpleDataset(out);
  }
}
