/**
 * Samplers: the order in which a DataLoader visits a data set (Gluon's gluon.data.sampler).
 * Random orders come from the library's seeded generator, so `nd.random.seed(n)` reproduces them
 * and `nd.random.getState()` / `setState` (saved by `trainer.saveStates`) resume them.
 */
import { ValueError } from '../../core/errors.js';
import { globalRandom } from '../../ndarray/random.js';

/** An iterable of sample indices (or of index batches) with a known length per epoch. */
export interface Sampler<T = number> extends Iterable<T> {
  readonly length: number;
}

/** What to do with a last batch that is smaller than the batch size. */
export type LastBatch = 'keep' | 'discard' | 'rollover';

function checkLength(n: number, who: string): void {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`${who}: length must be a non-negative integer, got ${n}`);
}

/**
 * Visits 0, 1, ..., length-1 in order.
 * @example [...new SequentialSampler(3)]; // [0, 1, 2]
 */
export class SequentialSampler implements Sampler<number> {
  constructor(
    readonly length: number,
    private readonly start = 0,
  ) {
    checkLength(length, 'SequentialSampler');
  }
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.length; i++) yield this.start + i;
  }
}

/**
 * Visits 0..length-1 in a new random order each epoch (seeded by `nd.random.seed`).
 * @example nd.random.seed(1); [...new RandomSampler(5)]; // a permutation of 0..4
 */
export class RandomSampler implements Sampler<number> {
  constructor(readonly length: number) {
    checkLength(length, 'RandomSampler');
  }
  *[Symbol.iterator](): Iterator<number> {
    const p = globalRandom.permutation(this.length);
    for (let i = 0; i < p.length; i++) yield p[i];
  }
}

/**
 * One of `numParts` equal, contiguous parts of 0..length-1 (MXNet's `SplitSampler`, from its
 * distributed-training example): part `partIndex` is
 * [partIndex * floor(length / numParts), (partIndex + 1) * floor(length / numParts)). It **drops**
 * the last `length % numParts` samples, so every part, and with the same batch size every
 * process of a dist_sync job, has the same number of samples and batches: an extra batch on one
 * rank would leave the others waiting in the allreduce. The part is visited in a new random
 * order each epoch (seeded by `nd.random.seed`), or in order with `{ shuffle: false }`.
 *
 * @example
 * [...new SplitSampler(10, 3, 1, { shuffle: false })]; // [3, 4, 5] (sample 9 is dropped)
 * new DataLoader(ds, { batchSize: 128, sampler: new SplitSampler(ds.length, store.numWorkers, store.rank) });
 */
export class SplitSampler implements Sampler<number> {
  /** Samples in each part. */
  readonly length: number;
  private readonly start: number;
  private readonly shuffle: boolean;

  constructor(length: number, numParts = 1, partIndex = 0, opts: { shuffle?: boolean } = {}) {
    checkLength(length, 'SplitSampler');
    if (!Number.isInteger(numParts) || numParts < 1)
      throw new ValueError(`SplitSampler: numParts must be a positive integer, got ${numParts}`);
    if (!Number.isInteger(partIndex) || partIndex < 0 || partIndex >= numParts)
      throw new ValueError(`SplitSampler: partIndex must be an integer in [0, ${numParts - 1}] (numParts ${numParts}), got ${partIndex}`);
    this.length = Math.floor(length / numParts);
    this.start = this.length * partIndex;
    this.shuffle = opts.shuffle ?? true;
  }

  *[Symbol.iterator](): Iterator<number> {
    if (!this.shuffle) {
      for (let i = 0; i < this.length; i++) yield this.start + i;
      return;
    }
    const p = globalRandom.permutation(this.length);
    for (let i = 0; i < p.length; i++) yield this.start + p[i];
  }
}

/**
 * Groups the indices of `sampler` into batches of `batchSize`. A short last batch is kept
 * (`keep`), dropped (`discard`), or carried into the next epoch's first batch (`rollover`).
 *
 * @example
 * [...new BatchSampler(new SequentialSampler(5), 2, 'keep')]; // [[0, 1], [2, 3], [4]]
 */
export class BatchSampler implements Sampler<number[]> {
  private prev: number[] = [];

  constructor(
    private readonly sampler: Sampler<number>,
    readonly batchSize: number,
    readonly lastBatch: LastBatch = 'keep',
  ) {
    if (!Number.isInteger(batchSize) || batchSize <= 0)
      throw new ValueError(`BatchSampler: batchSize must be a positive integer, got ${batchSize}`);
    if (!['keep', 'discard', 'rollover'].includes(lastBatch))
      throw new ValueError(`BatchSampler: lastBatch must be 'keep', 'discard' or 'rollover', got ${JSON.stringify(lastBatch)}`);
  }

  /** Batches in the next epoch. */
  get length(): number {
    const n = this.sampler.length;
    if (this.lastBatch === 'keep') return Math.ceil(n / this.batchSize);
    if (this.lastBatch === 'discard') return Math.floor(n / this.batchSize);
    return Math.floor((this.prev.length + n) / this.batchSize);
  }

  *[Symbol.iterator](): Iterator<number[]> {
    let batch = this.prev;
    this.prev = [];
    for (const i of this.sampler) {
      batch.push(i);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) {
      if (this.lastBatch === 'keep') yield batch;
      else if (this.lastBatch === 'rollover') this.prev = batch;
    }
  }
}
