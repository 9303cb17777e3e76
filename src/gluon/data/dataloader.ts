/**
 * Gluon's DataLoader: mini-batches over a Dataset, as a plain synchronous iterable
 * (`for (const [X, y] of loader)`) and an async iterable (`for await`).
 */
import { ValueError } from '../../core/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import * as nd from '../../ndarray/nd.js';
import { defaultBatchify } from './batchify.js';
import type { BatchSource, Dataset } from './dataset.js';
import { BatchSampler, RandomSampler, SequentialSampler, SplitSampler, type LastBatch, type Sampler } from './sampler.js';

export interface DataLoaderOptions<B = any> {
  /** Samples per batch (required unless `batchSampler` is given). */
  batchSize?: number;
  /** Visit the samples in a new random order each epoch (seeded by nd.random.seed). */
  shuffle?: boolean;
  /** A custom order of sample indices (excludes `shuffle`). */
  sampler?: Sampler<number>;
  /** The short last batch: `keep` (default), `discard`, or `rollover` into the next epoch. */
  lastBatch?: LastBatch;
  /** Batches of indices (excludes batchSize, shuffle, sampler and lastBatch). */
  batchSampler?: Sampler<number[]>;
  /** Turns a list of samples into a batch (default: `defaultBatchify`). */
  batchify?: (samples: any[]) => B;
  /**
   * Accepted for Gluon compatibility but does nothing: batches are built on the calling thread
   * (gathering a batch from the big arrays is a row copy per sample, cheap next to a training
   * step). A value above 0 emits one process warning (code D2L_NUM_WORKERS_IGNORED) per process.
   */
  numWorkers?: number;
  /**
   * Load only part `partIndex` of `numParts` equal parts of the data set (a `SplitSampler`:
   * the remainder is dropped, so every part has the same number of batches), shuffled within the
   * part when `shuffle` is set. Excludes `sampler`, `batchSampler` and `shardBy`.
   */
  numParts?: number;
  partIndex?: number;
  /**
   * Shard by process: `shardBy: store` with a dist_sync KVStore (anything with `rank` and
   * `numWorkers`) is `numParts: store.numWorkers, partIndex: store.rank`.
   */
  shardBy?: { readonly rank: number; readonly numWorkers: number };
}

/**
 * A batch size larger than the data set: with `lastBatch: 'discard'` or `'rollover'` an epoch
 * would yield no batch; for a shuffling (training) loader it is an error under
 * `setLargeBatchPolicy('error')` (the CLI's setting).
 * @example try { new DataLoader(ds, { batchSize: 1e6, lastBatch: 'discard' }); } catch (e) { if (e instanceof BatchSizeError) ... }
 */
export class BatchSizeError extends ValueError {}

let largeBatchPolicy: 'warn' | 'error' = 'warn';
const warned = new Set<string>();

/** Emits a process warning once per process per code. */
function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(message, { code });
}

/**
 * What a shuffling DataLoader with `lastBatch: 'keep'` does when its batch size is larger than the
 * data set (each epoch is then one short batch, and a step that divides by the batch size, as
 * `trainer.step(batchSize)` or `d2l.sgd` do, takes a much smaller step than intended): `warn`
 * (the default; a process warning, code D2L_BATCH_LARGER_THAN_DATA, once per process) or `error`
 * (a BatchSizeError; the `d2l-ts` command line sets this).
 *
 * @example
 * gluon.data.setLargeBatchPolicy('error');
 */
export function setLargeBatchPolicy(policy: 'warn' | 'error'): void {
  if (policy !== 'warn' && policy !== 'error')
    throw new ValueError(`setLargeBatchPolicy: the policy must be 'warn' or 'error', got ${JSON.stringify(policy)}`);
  largeBatchPolicy = policy;
}

/** The shard an options object asks for (numParts/partIndex or shardBy), or null. */
function shardOf(opts: DataLoaderOptions): { numParts: number; partIndex: number } | null {
  const explicit = opts.numParts !== undefined || opts.partIndex !== undefined;
  if (opts.shardBy !== undefined) {
    if (explicit) throw new ValueError('DataLoader: give either shardBy or numParts/partIndex, not both');
    const s = opts.shardBy;
    if (!s || !Number.isInteger(s.rank) || !Number.isInteger(s.numWorkers))
      throw new ValueError('DataLoader: shardBy must be a KVStore (or an object with integer rank and numWorkers)');
    return { numParts: s.numWorkers, partIndex: s.rank };
  }
  if (!explicit) return null;
  if (opts.numParts === undefined || opts.partIndex === undefined)
    throw new ValueError(`DataLoader: numParts and partIndex go together, got numParts ${opts.numParts}, partIndex ${opts.partIndex}`);
  return { numParts: opts.numParts, partIndex: opts.partIndex };
}

/**
 * Loads a data set in mini-batches. A plain iterable: each `for...of` is one epoch (reshuffled
 * when `shuffle`); `length` is the number of batches per epoch.
 *
 * For array-backed data sets (ArrayDataset, vision.FashionMNIST, with or without
 * `transformFirst` of batchable transforms such as ToTensor) with the default batchify, a batch
 * is gathered directly from the big arrays (one row copy per sample, the transform applied to the
 * whole batch), which is much faster than building per-sample arrays.
 *
 * **Ownership:** the arrays of each batch are new and belong to the consumer; nothing else holds
 * them. Loops that run many epochs should free them, with `nd.tidy(() => ...)` around the step or
 * `X.dispose(); y.dispose()` after it (the garbage collector frees them too, but late). The
 * loader frees its own temporaries (index arrays, untransformed batches).
 *
 * @example
 * const loader = new DataLoader(new ArrayDataset(features, labels), { batchSize: 10, shuffle: true });
 * for (const [X, y] of loader) {
 *   nd.tidy(() => { ...train on X, y... });
 *   X.dispose(); y.dispose();
 * }
 * loader.length; // batches per epoch
 * new DataLoader(ds, { batchSize: 128, shuffle: true, shardBy: kv.create('dist_sync') }); // this rank's part
 */
export class DataLoader<B = any> implements Iterable<B>, AsyncIterable<B> {
  /** The data set being loaded. */
  readonly dataset: Dataset<unknown>;
  private readonly batchSampler: Sampler<number[]>;
  private readonly batchify: ((samples: any[]) => B) | null;

  constructor(dataset: Dataset<any>, opts: DataLoaderOptions<B> = {}) {
    if (!dataset || typeof (dataset as Dataset).get !== 'function' || typeof (dataset as Dataset).length !== 'number')
      throw new ValueError('DataLoader: the first argument must be a Dataset (with length and get(i))');
    this.dataset = dataset;
    if (opts.batchSampler) {
      if (opts.batchSize !== undefined || opts.shuffle || opts.sampler || opts.lastBatch !== undefined || shardOf(opts))
        throw new ValueError(
          'DataLoader: batchSize, shuffle, sampler, lastBatch and numParts/partIndex/shardBy must not be given together with batchSampler',
        );
      this.batchSampler = opts.batchSampler;
    } else {
      if (opts.batchSize === undefined) throw new ValueError('DataLoader: batchSize is required when no batchSampler is given');
      if (!Number.isInteger(opts.batchSize) || opts.batchSize <= 0)
        throw new ValueError(`DataLoader: batchSize must be a positive integer, got ${opts.batchSize}`);
      if (opts.sampler && opts.shuffle) throw new ValueError('DataLoader: shuffle must not be given together with sampler');
      const shard = shardOf(opts);
      if (shard && opts.sampler) throw new ValueError('DataLoader: sampler must not be given together with numParts/partIndex or shardBy');
      const sampler =
        opts.sampler ??
        (shard
          ? new SplitSampler(dataset.length, shard.numParts, shard.partIndex, { shuffle: !!opts.shuffle })
          : opts.shuffle
            ? new RandomSampler(dataset.length)
            : new SequentialSampler(dataset.length));
      const lastBatch = opts.lastBatch ?? 'keep';
      const n = sampler.length;
      if (n > 0 && opts.batchSize > n) {
        const what = `DataLoader: batchSize ${opts.batchSize} is larger than the data set (${n} samples)`;
        if (lastBatch === 'discard')
          throw new BatchSizeError(`${what}: with lastBatch 'discard' every epoch would yield no batch; use a batchSize of at most ${n}`);
        if (lastBatch === 'rollover')
          throw new BatchSizeError(
            `${what}: with lastBatch 'rollover' most epochs would yield no batch (one every ${Math.ceil(opts.batchSize / n)} epochs); ` +
              `use a batchSize of at most ${n}`,
          );
        if (opts.shuffle || opts.sampler) {
          const why =
            `${what}: each epoch is one batch of ${n}, and a step that divides by the batch size (trainer.step(batchSize), ` +
            `d2l.sgd) takes a ${(opts.batchSize / n).toFixed(1)}x smaller step than intended; use a batchSize of at most ${n}`;
          if (largeBatchPolicy === 'error') throw new BatchSizeError(why);
          warnOnce('D2L_BATCH_LARGER_THAN_DATA', why);
        }
      }
      this.batchSampler = new BatchSampler(sampler, opts.batchSize, lastBatch);
    }
    if (opts.numWorkers !== undefined) {
      if (!Number.isInteger(opts.numWorkers) || opts.numWorkers < 0)
        throw new ValueError(`DataLoader: numWorkers must be a non-negative integer, got ${opts.numWorkers}`);
      if (opts.numWorkers > 0)
        warnOnce(
          'D2L_NUM_WORKERS_IGNORED',
          `DataLoader: numWorkers (${opts.numWorkers}) is accepted for Gluon compatibility but does nothing: ` +
            'batches are built on the calling thread',
        );
    }
    this.batchify = opts.batchify ?? null;
  }

  /** Batches per epoch. */
  get length(): number {
    return this.batchSampler.length;
  }

  /** Builds the batch of the given sample indices (owned by the caller). */
  private makeBatch(indices: number[], source: BatchSource | null): B {
    if (source) return nd.tidy(() => source.gather(Int32Array.from(indices)) as B);
    const batchify = this.batchify ?? (defaultBatchify as (s: any[]) => B);
    return nd.tidy(() => {
      const b = batchify(indices.map((i) => this.dataset.get(i)));
      keepNested(b, 0);
      return b;
    });
  }

  /**
   * One epoch of batches.
   * @example for (const [X, y] of trainIter) console.log(X.shape, y.shape);
   */
  *[Symbol.iterator](): Iterator<B> {
    const source = this.batchify ? null : this.dataset._batchSource();
    for (const idx of this.batchSampler) yield this.makeBatch(idx, source);
  }

  /**
   * One epoch of batches, for `for await` loops in async code (e.g. with a GPU). Batches are
   * built on demand between the consumer's steps.
   * @example for await (const [X, y] of trainIter) await step(X, y);
   */
  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    const source = this.batchify ? null : this.dataset._batchSource();
    for (const idx of this.batchSampler) yield this.makeBatch(idx, source);
  }
}

/** Keeps arrays held by class instances in a custom batch (tidy only sees lists and plain objects). */
function keepNested(v: unknown, depth: number): void {
  if (!v || typeof v !== 'object' || depth > 6) return;
  if (v instanceof NDArray) return;
  if (Array.isArray(v)) {
    for (const x of v) keepNested(x, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(v) === Object.prototype) {
    for (const x of Object.values(v)) keepNested(x, depth + 1);
    return;
  }
  for (const x of Object.values(v as object)) {
    if (x instanceof NDArray) nd.keep(x);
    else keepNested(x, depth + 1);
  }
}
