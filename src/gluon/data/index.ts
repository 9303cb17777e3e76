/**
 * gluon.data: data sets, samplers, DataLoader and vision data sets/transforms (Gluon's
 * mxnet.gluon.data, the book's `gdata`).
 *
 * @example
 * import { gluon, nd } from 'd2l-ts';
 * const gdata = gluon.data;
 * const dataset = new gdata.ArrayDataset(features, labels);
 * const dataIter = new gdata.DataLoader(dataset, { batchSize: 10, shuffle: true });
 */
export { Dataset, SimpleDataset, ArrayDataset, applyTransform } from './dataset.js';
export type { Transform, TransformBlock, ArrayLikeData, BatchSource } from './dataset.js';
export { DataLoader, BatchSizeError, setLargeBatchPolicy } from './dataloader.js';
export type { DataLoaderOptions } from './dataloader.js';
export { SequentialSampler, RandomSampler, SplitSampler, BatchSampler } from './sampler.js';
export type { Sampler, LastBatch } from './sampler.js';
export { defaultBatchify, numbersToNDArray } from './batchify.js';
export * as vision from './vision/index.js';
