/**
 * d2l-ts: the system of Dive into Deep Learning (MXNet/Gluon edition) in TypeScript.
 *
 * @example
 * import { nd, autograd } from 'd2l-ts';
 * const x = nd.arange(4).reshape([4, 1]);
 * x.attachGrad();
 * const y = autograd.record(() => nd.dot(x.T, x).mul(2));
 * y.backward();
 */
export * as nd from './ndarray/nd.js';
export * as autograd from './autograd/index.js';
export { NDArray } from './ndarray/ndarray.js';
export { Context, cpu, gpu } from './ndarray/context.js';
export * from './core/errors.js';
export type { DType } from './core/dtype.js';
