/**
 * gluon.data.vision: image data sets and transforms.
 *
 * @example
 * import { gluon } from 'd2l-ts';
 * const { FashionMNIST, transforms } = gluon.data.vision;
 * const train = new FashionMNIST({ train: true }).transformFirst(new transforms.ToTensor());
 */
export { MNIST, FashionMNIST } from './datasets.js';
export type { MNISTOptions } from './datasets.js';
export { parseIdx, encodeIdx, IdxFormatError } from './idx.js';
export type { IdxData } from './idx.js';
export * as transforms from './transforms.js';
