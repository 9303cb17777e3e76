/**
 * The playground's training thread: a dedicated Worker that runs `train` where the page is
 * cross-origin isolated, so d2l-ts's kernels split over Web Workers (a page's main thread may not
 * block in Atomics.wait, which the kernel pool's caller does). Messages: `{ id, opts }` in;
 * `{ id, epoch, all }`, `{ id, progress }`, then `{ id, result }` or `{ id, error }` out.
 */
import * as lib from '../src/index.js';
import { train, type TrainOptions } from './train.js';

interface Scope {
  onmessage: ((e: { data: { id: number; opts: TrainOptions } }) => void) | null;
  postMessage(m: unknown): void;
}
const scope = globalThis as unknown as Scope;

scope.onmessage = async (e) => {
  const { id, opts } = e.data;
  try {
    await lib.ready();
    const result = await train(lib, {
      ...opts,
      onEpoch: (epoch, all) => scope.postMessage({ id, epoch, all }),
      onProgress: (progress) => scope.postMessage({ id, progress }),
    });
    scope.postMessage({ id, result });
  } catch (err) {
    scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
};
