// The kernel worker pool: threads that share the heap's memory and run chunks of Wasm or BLAS work
// (protocol.ts). Its worker file is loaded by URL, ./worker.js beside this one (dist/ or src/).
import { nodeProcess } from '../../../core/env.js';
import { FN_ID, KERNEL_FNS, type KernelExports, type KernelFn } from '../wasm/module.js';
import {
  CTRL_CONV_FAIL,
  CTRL_COUNT,
  CTRL_DONE,
  CTRL_ERROR,
  CTRL_INTS,
  CTRL_NATIVE_FAIL,
  CTRL_NEXT,
  CTRL_PARK,
  CTRL_QUIT,
  CTRL_READY,
  CTRL_SEQ,
  MAX_ARGS,
  MAX_CHUNKS,
  SLOT_F64,
  chunkRunner,
  drainChunks,
  nativeRunners,
  type NativeRunner,
  type WorkerInit,
} from './protocol.js';

/** A native addon (BLAS, oneDNN) for the workers (its file) and for this thread (a runner over the heap). */
export interface NativeGemm {
  file: string;
  runLocal: NativeRunner;
}

interface NodeWorker {
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
  on(event: string, fn: (v: unknown) => void): void;
  once(event: string, fn: (v: unknown) => void): void;
}
type WorkerCtor = new (url: URL, opts: { workerData: WorkerInit; name?: string }) => NodeWorker;

/** Node's worker_threads, loaded without a static import so browser bundles do not pull it in. */
function workerThreads(): { Worker: WorkerCtor; isMainThread: boolean } | null {
  try {
    return (nodeProcess()?.getBuiltinModule?.('node:worker_threads') as { Worker: WorkerCtor; isMainThread: boolean } | undefined) ?? null;
  } catch {
    return null;
  }
}

/** What a browser thread offers for a pool: Web Workers, and whether it may share memory with them. */
interface WebScope {
  Worker?: new (url: URL, opts: { type: 'module'; name?: string }) => WebWorkerLike;
  crossOriginIsolated?: boolean;
  document?: unknown;
  navigator?: { hardwareConcurrency?: number };
}
interface WebWorkerLike {
  postMessage(m: unknown): void;
  addEventListener(type: string, fn: (e: { data?: unknown; message?: string }) => void): void;
  terminate(): void;
}

/**
 * Whether this browser thread can run a pool: Web Workers, a cross-origin isolated page (so the
 * heap's shared memory may be posted to them), and not a page's main thread, where Atomics.wait
 * (the caller's wait for its workers) throws: training runs in a dedicated Worker.
 */
function webThreadsPossible(): boolean {
  const g = globalThis as unknown as WebScope;
  return typeof g.Worker === 'function' && g.crossOriginIsolated === true && g.document === undefined;
}

/** Web Workers behind the interface the pool uses for Node's workers (worker-web.ts is their script). */
class WebKernelWorker implements NodeWorker {
  private readonly w: WebWorkerLike;
  private readonly onExit: ((v: unknown) => void)[] = [];
  constructor(_url: URL, opts: { workerData: WorkerInit; name?: string }) {
    const g = globalThis as unknown as WebScope;
    // This exact form lets bundlers (Vite, webpack) find and emit the worker's script.
    this.w = new g.Worker!(new URL('./worker-web.js', import.meta.url), { type: 'module', name: opts.name });
    this.w.postMessage(opts.workerData);
  }
  ref(): void {}
  unref(): void {}
  terminate(): Promise<number> {
    this.w.terminate();
    for (const fn of this.onExit.splice(0)) fn(0);
    return Promise.resolve(0);
  }
  on(event: string, fn: (v: unknown) => void): void {
    if (event === 'message') this.w.addEventListener('message', (e) => fn(e.data));
    else if (event === 'error') this.w.addEventListener('error', (e) => fn(new Error(e.message ?? 'kernel worker failed to start')));
  }
  once(event: string, fn: (v: unknown) => void): void {
    // A Web Worker has no exit event: it ends when terminated.
    if (event === 'exit') this.onExit.push(fn);
    else this.on(event, fn);
  }
}

/**
 * The number of cores this process may use: Node's count, a browser's `hardwareConcurrency` where
 * a pool can run there (see webThreadsPossible), else 1.
 */
export function availableCores(): number {
  const os = nodeProcess()?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
  if (os) return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  if (webThreadsPossible()) return Math.max(1, (globalThis as unknown as WebScope).navigator?.hardwareConcurrency ?? 1);
  return 1;
}

/**
 * A pool of kernel worker threads sharing the heap's memory. `run` is synchronous (the Backend
 * interface is): the caller publishes a job of chunks, wakes the workers, claims and runs chunks
 * itself until none is left, then blocks on Atomics.wait until the chunks the workers claimed are
 * done (protocol.ts). Workers are unref'd, so they never keep the process alive, and they start in
 * the background: a worker that is not ready yet (or not scheduled) simply claims nothing.
 */
export class WorkerPool {
  private readonly workers: NodeWorker[] = [];
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly exited: Promise<unknown>[] = [];
  private closed = false;
  private failure: string | null = null;
  private gen = 0;
  /** performance.now() until which the workers are still spinning after the last job (awake). */
  hotUntil = 0;
  private readonly runLocal: (fn: number, base: number) => void;

  private constructor(
    readonly size: number,
    local: KernelExports,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    Worker: WorkerCtor,
    private readonly spinMs: number,
    private readonly native: NativeGemm | null,
    private readonly conv: NativeGemm | null,
  ) {
    const ctrlBuf = new SharedArrayBuffer(CTRL_INTS * 4);
    const argBuf = new SharedArrayBuffer(MAX_CHUNKS * SLOT_F64 * 8);
    this.ctrl = new Int32Array(ctrlBuf);
    this.args = new Float64Array(argBuf);
    const fns = KERNEL_FNS.map((n) => local[n] as (...a: number[]) => void);
    this.runLocal = chunkRunner(fns, this.args, nativeRunners(native?.runLocal ?? null, conv?.runLocal ?? null));
    // Node joins worker threads when the process exits, and a worker asleep in Atomics.wait would
    // block that join: tell the workers to leave their loop first.
    nodeProcess()?.once?.('exit', this.quit);
    const url = new URL('./worker.js', import.meta.url);
    for (let i = 0; i < size; i++) {
      const w = new Worker(url, {
        workerData: {
          module,
          memory,
          ctrl: ctrlBuf,
          args: argBuf,
          index: i,
          spinMs,
          nativeAddon: native?.file ?? null,
          convAddon: conv?.file ?? null,
        },
        name: `d2l-cpu-${i}`,
      });
      w.on('message', (m) => {
        const err = (m as { error?: string }).error;
        if (err) this.failure = err;
      });
      w.on('error', (e) => {
        // A worker that fails to start never claims work; the caller does it all.
        this.failure = String((e as Error)?.stack ?? e);
      });
      this.exited.push(new Promise((resolve) => w.once('exit', resolve)));
      // After the listeners: adding a 'message' listener refs the worker's port again.
      w.unref();
      this.workers.push(w);
    }
  }

  /**
   * Starts `workers` threads: Node's worker_threads, or in a browser Web Workers where the page is
   * cross-origin isolated and this is not its main thread; else returns null (one thread).
   */
  static create(
    workers: number,
    local: KernelExports,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    spinMs = 0.2,
    native: NativeGemm | null = null,
    conv: NativeGemm | null = null,
  ): WorkerPool | null {
    if (workers < 1) return null;
    if (typeof SharedArrayBuffer !== 'function' || typeof Atomics?.wait !== 'function') return null;
    // A non-shared heap (heapShared) cannot be posted to workers.
    if (!(memory.buffer instanceof SharedArrayBuffer)) return null;
    const wt = workerThreads();
    if (wt) return new WorkerPool(workers, local, module, memory, wt.Worker, spinMs, native, conv);
    // A browser's Web Workers (no native addon there).
    if (webThreadsPossible()) return new WorkerPool(workers, local, module, memory, WebKernelWorker, spinMs, null, null);
    return null;
  }

  /** Workers that have instantiated the module and take work. */
  get ready(): number {
    return this.closed ? 0 : Math.min(this.size, Atomics.load(this.ctrl, CTRL_READY));
  }

  /** Whether NATIVE_GEMM chunks may be run: the pool was given the addon and no worker failed to load it. */
  get nativeReady(): boolean {
    return this.native !== null && !this.closed && Atomics.load(this.ctrl, CTRL_NATIVE_FAIL) === 0;
  }

  /**
   * Waits without blocking until every worker has started (or `timeoutMs` passed): a browser starts
   * a Web Worker only while the thread that created it returns to its event loop.
   */
  async waitReadyAsync(timeoutMs = 5000): Promise<number> {
    const t0 = performance.now();
    while (this.ready < this.size && !this.closed && performance.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 5));
    return this.ready;
  }

  /** Whether NATIVE_CONV chunks may be run: the pool was given the oneDNN addon and no worker failed to load it. */
  get convReady(): boolean {
    return this.conv !== null && !this.closed && Atomics.load(this.ctrl, CTRL_CONV_FAIL) === 0;
  }

  /** Blocks until every worker has started (or `timeoutMs` passed); returns the ready count. */
  waitReady(timeoutMs = 5000): number {
    const t0 = performance.now();
    for (;;) {
      const r = Atomics.load(this.ctrl, CTRL_READY);
      const left = timeoutMs - (performance.now() - t0);
      if (r >= this.size || left <= 0 || this.closed) return this.ready;
      Atomics.wait(this.ctrl, CTRL_READY, r, Math.min(left, 50));
    }
  }

  /** Runs every chunk (the arguments of `fn`), on this thread and any worker that joins in. */
  run(fn: KernelFn | number, chunks: readonly (readonly number[])[]): void {
    const n = chunks.length;
    if (n > MAX_CHUNKS) throw new Error(`cpu pool: ${n} chunks (at most ${MAX_CHUNKS})`);
    const { ctrl, args } = this;
    const gen = (this.gen = (this.gen + 1) & 0x7fff);
    // Close the claim word first, so no worker still looking at the previous job can claim a slot
    // while it is being rewritten.
    Atomics.store(ctrl, CTRL_NEXT, (gen << 16) | 0xffff);
    const id = typeof fn === 'number' ? fn : FN_ID[fn];
    for (let c = 0; c < n; c++) {
      const p = chunks[c];
      if (p.length > MAX_ARGS) throw new Error(`cpu pool: ${fn} has ${p.length} arguments (at most ${MAX_ARGS})`);
      const base = c * SLOT_F64;
      args[base] = id;
      for (let j = 0; j < p.length; j++) args[base + 1 + j] = p[j];
    }
    Atomics.store(ctrl, CTRL_COUNT, n);
    Atomics.store(ctrl, CTRL_DONE, 0);
    Atomics.store(ctrl, CTRL_PARK, 0);
    // Chunk 0 is the caller's before the job is published; the workers claim from chunk 1. Kernels
    // split the same rows the same way (a batch gathered in halves, then a GEMM over those rows),
    // so each core reads the half its own cache already holds (docs/PERF.md, "same rows, same core").
    Atomics.store(ctrl, CTRL_NEXT, (gen << 16) | 1);
    Atomics.add(ctrl, CTRL_SEQ, 1);
    Atomics.notify(ctrl, CTRL_SEQ);
    let localError: unknown = null;
    try {
      try {
        this.runLocal(args[0], 0);
      } finally {
        if (Atomics.add(ctrl, CTRL_DONE, 1) + 1 === n) Atomics.notify(ctrl, CTRL_DONE);
      }
      drainChunks(ctrl, args, gen, this.runLocal);
    } catch (e) {
      localError = e;
      // leave nothing unclaimed, so the wait below ends
      drainChunks(ctrl, args, gen, () => {});
    }
    // Wait for the chunks the workers claimed: spin briefly, then sleep.
    let done = Atomics.load(ctrl, CTRL_DONE);
    for (let i = 0; done !== n && i < 20000; i++) done = Atomics.load(ctrl, CTRL_DONE);
    while (done !== n) {
      Atomics.wait(ctrl, CTRL_DONE, done);
      done = Atomics.load(ctrl, CTRL_DONE);
    }
    this.hotUntil = performance.now() + this.spinMs;
    if (localError) throw localError;
    const bad = Atomics.exchange(ctrl, CTRL_ERROR, 0);
    if (bad !== 0) throw new Error(`cpu kernel ${fn} failed on worker thread ${bad - 1}: ${this.failure ?? 'see stderr'}`);
  }

  /**
   * Sends the idle workers to sleep now instead of spinning on for the rest of spinMs: the caller
   * is about to run a library with threads of its own (oneDNN's OpenMP team), which would
   * otherwise share the cores with spinning workers. The next run() wakes them as usual.
   *
   * @example
   * pool.park(); // then a oneDNN convolution on OpenMP threads
   */
  park(): void {
    if (this.closed || performance.now() >= this.hotUntil) return;
    Atomics.store(this.ctrl, CTRL_PARK, 1);
    this.hotUntil = 0;
  }

  /** Makes every worker leave its loop (synchronous; safe in a process 'exit' handler). */
  private readonly quit = (): void => {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, CTRL_QUIT, 1);
    Atomics.add(this.ctrl, CTRL_SEQ, 1);
    Atomics.notify(this.ctrl, CTRL_SEQ);
  };

  /** Stops the workers (they finish their loop and exit); resolves when all have exited. */
  async close(): Promise<void> {
    if (this.closed) return;
    nodeProcess()?.off?.('exit', this.quit);
    this.quit();
    // Keep the event loop alive until the workers have left (they are unref'd otherwise).
    for (const w of this.workers) w.ref();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise((r) => (timer = setTimeout(r, 2000)));
    await Promise.race([Promise.all(this.exited), timeout]);
    clearTimeout(timer);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
