/**
 * `nd.waitall()`: MXNet's barrier for its asynchronous engine (book §4.6, §8.2). CPU kernels run
 * synchronously here, so only GPU backends (WebGPU queues its kernels) have anything to wait for.
 */
import { registeredBackends } from '../backend/registry.js';

/**
 * Resolves once every kernel queued on every device so far has run; rejects with the first
 * error a device reported. On the CPU alone it resolves at once.
 *
 * @example
 * const y = nd.dot(x, x.T);
 * await nd.waitall();
 */
export async function waitall(): Promise<void> {
  for (const [, backend] of registeredBackends()) await backend.sync?.();
}
