/**
 * A kernel worker thread in a browser (a module Web Worker, started by the pool where the page is
 * cross-origin isolated): the pool's first message is its start-up data (the kernel module, the
 * shared heap, the control words); then it serves the pool's jobs (serve.ts) and takes no more
 * messages.
 */
import type { WorkerInit } from './protocol.js';
import { serveKernels } from './serve.js';

interface WorkerScope {
  onmessage: ((e: { data: unknown }) => void) | null;
  postMessage(m: unknown): void;
}
const scope = globalThis as unknown as WorkerScope;
scope.onmessage = (e) => {
  scope.onmessage = null;
  serveKernels(e.data as WorkerInit, (m) => scope.postMessage(m));
};
