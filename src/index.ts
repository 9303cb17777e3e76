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
export { ready } from './ready.js';
export * as autograd from './autograd/index.js';
export * as d2l from './d2l/index.js';
export * as gluon from './gluon/index.js';
export * as init from './gluon/init.js';
export * as kv from './kvstore/index.js';
export * as contrib from './contrib/index.js';
export { NDArray } from './ndarray/ndarray.js';
export { Context, cpu, gpu } from './ndarray/context.js';
export { initWebGpu, destroyWebGpu, isSoftwareAdapter, WebGpuError, WebGpuUnavailableError } from './backend/webgpu/index.js';
export * from './core/errors.js';
export type { DType } from './core/dtype.js';
