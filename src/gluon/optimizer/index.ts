/**
 * gluon.optimizer: MXNet's optimizers (sgd, nag, adagrad, rmsprop, adadelta, adam, adamw),
 * the registry (`create`, `register`) and the base class for writing new ones.
 *
 * @example
 * const opt = gluon.optimizer.create('sgd', { learningRate: 0.1, momentum: 0.9 });
 * const trainer = new gluon.Trainer(net.collectParams(), opt);
 */
export { Optimizer, withoutRecording } from './optimizer.js';
export type { OptimizerOptions, OptimizerBookkeeping, ParamAttrs } from './optimizer.js';
export { SGD, NAG } from './sgd.js';
export type { SGDOptions } from './sgd.js';
export { AdaGrad } from './adagrad.js';
export type { AdaGradOptions } from './adagrad.js';
export { RMSProp } from './rmsprop.js';
export type { RMSPropOptions } from './rmsprop.js';
export { AdaDelta } from './adadelta.js';
export type { AdaDeltaOptions } from './adadelta.js';
export { Adam, AdamW } from './adam.js';
export type { AdamOptions, AdamWOptions } from './adam.js';
export { create, register, names } from './registry.js';
export type { OptimizerClass } from './registry.js';
