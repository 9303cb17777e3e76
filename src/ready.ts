// The asynchronous start-up a browser page awaits before its first array operation.
import { compileKernelsAsync } from './backend/cpu/wasm/module.js';

/**
 * Prepares d2l-ts for use: compiles the Wasm kernels asynchronously (a browser page's main
 * thread may refuse the synchronous compile of a module this large). Optional under Node, where
 * the first operation compiles them synchronously; awaiting it there is harmless.
 *
 * @example
 * import { ready, nd } from 'd2l-ts';
 * await ready();
 * console.log(nd.dot(nd.ones([2, 3]), nd.ones([3, 2])).toString());
 */
export async function ready(): Promise<void> {
  await compileKernelsAsync();
}
