/**
 * `gluon`: Blocks and layers (`gluon.nn`), parameters, initializers and parameter files.
 *
 * @example
 * import { gluon, init } from 'd2l-ts';
 * const net = new gluon.nn.Sequential();
 * net.add(new gluon.nn.Dense(10));
 * net.initialize(new init.Normal(0.01));
 */
export * as nn from './nn/index.js';
export * as init from './init.js';
export { Block, HybridBlock, Sequential, HybridSequential, resetNameCounters } from './block.js';
export { SymbolBlock } from './symbol-block.js';
export type { BlockOptions, BlockInitializeOptions, LoadParametersOptions } from './block.js';
export { Parameter, ParameterDict, Constant } from './parameter.js';
export type { Initializer, ParameterOptions, InitializeOptions } from './parameter.js';
export { saveSafetensors, loadSafetensors, readSafetensors, encodeSafetensors, decodeSafetensors } from './safetensors.js';
export type { TensorRecord, SafetensorsContents } from './safetensors.js';

// ---- The rest of gluon: rnn layers, data, losses, Trainer and optimizers, utils ----
export * as rnn from './rnn/index.js';
export * as data from './data/index.js';
export * as loss from './losses.js';
export { Trainer, StaleGradientError } from './trainer.js';
export type { TrainerOptimizerParams, StepOptions } from './trainer.js';
export * as optimizer from './optimizer/index.js';
export * as lrScheduler from './lr-scheduler.js';
export * as utils from './utils.js';
