/**
 * The loop of a kernel worker thread, for both kinds of thread (Node's worker_threads, worker.ts;
 * a browser's Web Workers, worker-web.ts): instantiate the kernel module over the heap's shared
 * memory, then sleep until CTRL_SEQ changes, claim and run chunks of the current job
 * (protocol.ts), repeat. It never returns while serving, so the thread takes no messages;
 * CTRL_QUIT ends the loop. `report` sends an error message to the pool.
 */
import { KERNEL_FNS, instantiate } from '../wasm/module.js';
import {
  CTRL_CONV_FAIL,
  CTRL_ERROR,
  CTRL_NATIVE_FAIL,
  CTRL_NEXT,
  CTRL_PARK,
  CTRL_QUIT,
  CTRL_READY,
  CTRL_SEQ,
  chunkRunner,
  drainChunks,
  nativeRunners,
  type NativeRunner,
  type WorkerInit,
} from './protocol.js';
import { loadBlasAddonAt, nativeGemmRunner } from '../blas/index.js';
import { loadDnnlAddonAt, nativeConvRunner } from '../dnnl.js';

/** Serves kernel chunks until the pool sets CTRL_QUIT. @example serveKernels(workerData, (m) => parentPort.postMessage(m)); */
export function serveKernels(init: WorkerInit, report: (msg: { error: string }) => void): void {
  const exports = instantiate(init.module, init.memory) as unknown as Record<string, (...a: number[]) => void>;
  const fns = KERNEL_FNS.map((n) => exports[n]);
  const ctrl = new Int32Array(init.ctrl);
  const args = new Float64Array(init.args);

  // GEMM chunks for the BLAS addon (loaded before this worker reports ready, so it never claims
  // one it cannot run; a failure is counted and the caller stops sending them).
  let native: NativeRunner | null = null;
  if (init.nativeAddon) {
    try {
      native = nativeGemmRunner(loadBlasAddonAt(init.nativeAddon), init.memory);
    } catch (e) {
      Atomics.add(ctrl, CTRL_NATIVE_FAIL, 1);
      report({ error: `loading the BLAS addon in a kernel thread failed: ${String((e as Error)?.message ?? e)}` });
    }
  }

  // Convolution chunks for the oneDNN addon, likewise.
  let conv: NativeRunner | null = null;
  if (init.convAddon) {
    try {
      conv = nativeConvRunner(loadDnnlAddonAt(init.convAddon), init.memory);
    } catch (e) {
      Atomics.add(ctrl, CTRL_CONV_FAIL, 1);
      report({ error: `loading the oneDNN addon in a kernel thread failed: ${String((e as Error)?.message ?? e)}` });
    }
  }

  const runChunk = chunkRunner(fns, args, nativeRunners(native, conv));

  function run(fn: number, base: number): void {
    try {
      runChunk(fn, base);
    } catch (e) {
      Atomics.store(ctrl, CTRL_ERROR, init.index + 1);
      report({ error: String((e as Error)?.stack ?? e) });
    }
  }

  let seen = Atomics.load(ctrl, CTRL_SEQ);
  Atomics.add(ctrl, CTRL_READY, 1);
  Atomics.notify(ctrl, CTRL_READY);
  // A job may already be running (published before this worker was ready): join it.
  drainChunks(ctrl, args, Atomics.load(ctrl, CTRL_NEXT) >>> 16, run);

  while (Atomics.load(ctrl, CTRL_QUIT) === 0) {
    let s = Atomics.load(ctrl, CTRL_SEQ);
    if (s === seen) {
      // Spin a little first: training loops issue kernels back to back, and waking from
      // Atomics.wait costs tens of microseconds. A park request (WorkerPool.park: oneDNN's own
      // threads are about to run) ends the spin at once.
      const t0 = performance.now();
      for (let i = 1; (s = Atomics.load(ctrl, CTRL_SEQ)) === seen; i++)
        if ((i & 1023) === 0 && (performance.now() - t0 > init.spinMs || Atomics.load(ctrl, CTRL_PARK) !== 0)) break;
      while (s === seen) {
        Atomics.wait(ctrl, CTRL_SEQ, seen);
        s = Atomics.load(ctrl, CTRL_SEQ);
      }
    }
    seen = s;
    drainChunks(ctrl, args, Atomics.load(ctrl, CTRL_NEXT) >>> 16, run);
  }
  Atomics.sub(ctrl, CTRL_READY, 1);
}
