/**
 * `gluon.nn`: Gluon's layers and containers.
 *
 * @example
 * import { gluon } from 'd2l-ts';
 * const net = new gluon.nn.Sequential();
 * net.add(new gluon.nn.Dense(256, { activation: 'relu' }), new gluon.nn.Dense(10));
 */
export { Block, HybridBlock, Sequential, HybridSequential } from '../block.js';
export type { BlockOptions } from '../block.js';
export { Activation, activate } from './activations.js';
export type { ActivationType } from './activations.js';
export { Dense, Dropout, Flatten, Embedding, BatchNorm, Lambda, Lambda as HybridLambda } from './basic-layers.js';
export type { DenseOptions, EmbeddingOptions, BatchNormOptions, InitSpec } from './basic-layers.js';
export { Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, GlobalMaxPool2D } from './conv-layers.js';
export type { Conv2DOptions, Pool2DOptions } from './conv-layers.js';
export { Conv1D, MaxPool1D, AvgPool1D, GlobalMaxPool1D, GlobalAvgPool1D } from './conv1d-layers.js';
export type { Conv1DOptions, Pool1DOptions, Size1 } from './conv1d-layers.js';
export { Conv2DTranspose } from './conv-transpose.js';
export type { Conv2DTransposeOptions } from './conv-transpose.js';
export { LayerNorm, InstanceNorm } from './norm-layers.js';
export type { NormOptions } from './norm-layers.js';
