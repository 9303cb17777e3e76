// The asynchronous start-up a browser page awaits before its first array operation.
import { compileKernelsAsync } from './backend/cpu/wasm/module.js';
import { availableCores } from './backend/cpu/threads/pool.js';
import { getCpuBackend } from './backend/registry.js';
import { nodeProcess } from './core/env.js';

/**
 * Prepares d2l-ts for use: compiles the Wasm kernels asynchronously (a browser page's main
 * thread may refuse the synchronous compile of a module this large) and, in a dedicated Worker of
 * a cross-origin isolated page, starts the kernel threads (Web Workers). Optional under Node, where
 * the first operation compiles them synchronously; awaiting it there is harmless.
 *
 * @example
 * import { ready, nd } from 'd2l-ts';
 * await ready();
 * console.log(nd.dot(nd.ones([2, 3]), nd.ones([3, 2])).toString());
 */
export async function ready(): Promise<void> {
  await compileKernelsAsync();
  // In a browser worker of a cross-origin isolated page the kernel threads are Web Workers, which
  // start only while this thread returns to its event loop: start them now and wait so.
  if (nodeProcess() === undefined && availableCores() > 1) await getCpuBackend().startThreadsAsync();
}
