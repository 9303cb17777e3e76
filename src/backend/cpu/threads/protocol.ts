// The kernel threads' protocol, shared by the Wasm kernels (wasm/) and the BLAS path (blas/): both
// import it, and neither imports the other. threads/worker.ts is where the two meet (a worker runs
// Wasm chunks and, given the addon, BLAS chunks).

/**
 * The shared control block between the calling thread and the kernel worker threads: an Int32Array
 * of counters and a Float64Array of chunk slots, both on SharedArrayBuffers. Each worker
 * instantiates the kernel module over the heap's shared memory, so a chunk of work is just a
 * function number and its arguments (pointers and sizes).
 *
 * A job is a list of chunks. The caller writes the slots, publishes `(generation << 16) | 1` in
 * CTRL_NEXT (chunk 0 is always the caller's, so a kernel that splits rows like the one before it
 * finds its half in the same core's cache) and wakes the workers; then every thread, the caller
 * included, claims chunks with a compare-and-swap on CTRL_NEXT until none is left. The generation in the claim word means a
 * worker that wakes late can never claim a chunk of a newer job by mistake, and because the caller
 * works too, a worker that the OS does not schedule (an oversubscribed machine) only delays the
 * chunk it has already claimed: it never blocks the job.
 */
export const CTRL_NEXT = 0; // (generation << 16) | next unclaimed chunk
export const CTRL_COUNT = 1; // chunks in the current job
export const CTRL_DONE = 2; // chunks finished in the current job
export const CTRL_ERROR = 3; // 1 + the index of a worker whose kernel threw
export const CTRL_READY = 4; // how many workers have instantiated the module
export const CTRL_SEQ = 5; // bumped for every job (and for quit); workers sleep on it
export const CTRL_QUIT = 6; // 1: workers leave their loop
export const CTRL_NATIVE_FAIL = 7; // workers that were given the BLAS addon and could not load it
export const CTRL_PARK = 8; // 1: idle workers stop spinning and sleep now (another library's threads take the cores)
export const CTRL_CONV_FAIL = 9; // workers that were given the oneDNN addon and could not load it
export const CTRL_INTS = 10;
export const MAX_ARGS = 15;
export const SLOT_F64 = MAX_ARGS + 1; // function number, then arguments
export const MAX_CHUNKS = 64;
/**
 * Function numbers past the Wasm kernels': chunks of a GEMM that the BLAS addon runs on the
 * thread that claims them (src/backend/cpu/blas), so OpenBLAS runs single-threaded inside our
 * pool instead of starting a second set of threads that competes with it for the cores.
 */
export const NATIVE_GEMM = 1000;
export const NATIVE_GEMM_BATCH = 1001;
/**
 * A chunk of a convolution on the oneDNN addon (src/backend/cpu/dnnl.ts): a slice of the batch,
 * run single-threaded on the thread that claims it, its descriptor at a byte address in the heap.
 */
export const NATIVE_CONV = 1002;

/** Runs a NATIVE_GEMM / NATIVE_GEMM_BATCH chunk on the calling thread (blas/index.ts nativeGemmRunner). */
export type NativeRunner = (fn: number, args: Float64Array, base: number) => void;

export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: SharedArrayBuffer;
  args: SharedArrayBuffer;
  index: number;
  /** How long a worker spins on CTRL_SEQ before it sleeps in Atomics.wait, in ms. */
  spinMs: number;
  /** The BLAS addon file for NATIVE_GEMM chunks, or null. */
  nativeAddon: string | null;
  /** The oneDNN addon file for NATIVE_CONV chunks, or null. */
  convAddon: string | null;
}

/**
 * Claims and runs chunks of the current job until none is left; returns how many it ran.
 * `gen` is the generation the caller expects (a stale one claims nothing).
 */
export function drainChunks(ctrl: Int32Array, args: Float64Array, gen: number, run: (fn: number, base: number) => void): number {
  let ran = 0;
  for (;;) {
    const v = Atomics.load(ctrl, CTRL_NEXT);
    if (v >>> 16 !== gen) return ran;
    const idx = v & 0xffff;
    if (idx >= Atomics.load(ctrl, CTRL_COUNT)) return ran;
    if (Atomics.compareExchange(ctrl, CTRL_NEXT, v, v + 1) !== v) continue;
    const base = idx * SLOT_F64;
    try {
      run(args[base], base);
    } finally {
      ran++;
      if (Atomics.add(ctrl, CTRL_DONE, 1) + 1 === Atomics.load(ctrl, CTRL_COUNT)) Atomics.notify(ctrl, CTRL_DONE);
    }
  }
}

/**
 * [lo, hi) ranges that split 0..n into `parts` nearly equal pieces (empty ones left out). Every
 * split of rows goes through here, so a batch gathered in halves, the GEMM over its rows and the
 * weight gradient summed over them (k-split) give each thread the same rows (chunk 0 is the caller's).
 *
 * @example
 * evenRanges(10, 3); // [[0, 3], [3, 7], [7, 10]]
 */
export function evenRanges(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0, lo = 0; p < parts; p++) {
    const hi = Math.round(((p + 1) * n) / parts);
    if (hi > lo) out.push([lo, hi]);
    lo = hi;
  }
  return out;
}

/**
 * Whether a split product goes over k (each chunk a partial sum, added up after) rather than over
 * rows or columns of C: a narrow C whose A is stored k-major, as in a weight gradient Xᵀ·G, where
 * k runs over the batch rows. Chunk p then reads only rows p of X, the rows that the same thread
 * gathered and multiplied in the forward pass, and the partial sums are small (M x N <= 16 M).
 *
 * @example
 * splitsOverK(784, 10, 256, true); // true: W3's weight gradient Xᵀ·G
 * splitsOverK(256, 10, 784, false); // false: its forward X·W, split by rows instead
 */
export function splitsOverK(M: number, N: number, k: number, aKMajor: boolean): boolean {
  return aKMajor && N <= 16 && M > N && k >= 64;
}

/**
 * Where a large GEMM's chunks run: the CPU backend's worker pool, whose threads have each loaded
 * the addon (WasmKernels.nativeExecutor). One owner of the cores: OpenBLAS stays single-threaded
 * and our pool splits the product, so no second set of threads spins against the pool's.
 */
export interface NativeExecutor {
  /** How many chunks a product of `work` multiply-adds is split into (1: run it on this thread); `narrow`: C has at most 16 rows or columns. */
  chunks(work: number, narrow: boolean): number;
  /** Runs pool chunks (slot arguments as nativeGemmRunner reads them) on every pool thread. */
  run(fn: number, chunks: number[][]): void;
  /** Copies `data` into a temporary 8-byte-aligned heap block for the duration of `fn`. */
  withHeapCopy(data: Float64Array, fn: (byteAddr: number) => void): void;
  /** Lends a temporary heap block of `bytes` bytes (64-byte aligned) for the duration of `fn`. */
  withScratch(bytes: number, fn: (byteAddr: number) => void): void;
  /** C[i, j] += S[p][i, j] for float32 C (rows x cols, row stride ldc) and `parts` dense blocks S at `src`, one after another. */
  addBlocks(c: number, ldc: number, src: number, rows: number, cols: number, parts: number): void;
}

/**
 * One runner for a thread's native chunks: NATIVE_CONV on the oneDNN addon's runner, the others on
 * the BLAS addon's; null when the thread has neither.
 *
 * @example
 * const native = nativeRunners(gemmRunner, null); // GEMM chunks only
 */
export function nativeRunners(gemm: NativeRunner | null, conv: NativeRunner | null): NativeRunner | null {
  if (!gemm && !conv) return null;
  return (fn, args, base) => {
    const r = fn === NATIVE_CONV ? conv : gemm;
    if (!r) throw new Error(fn === NATIVE_CONV ? 'this kernel thread has no oneDNN addon' : 'this kernel thread has no BLAS addon');
    r(fn, args, base);
  };
}

/**
 * How a thread runs a claimed chunk: a Wasm kernel by number (`fns`), its arguments read from the
 * slot, or a NATIVE_GEMM chunk on the BLAS addon (`native`, null where the thread has none).
 *
 * @example
 * const run = chunkRunner(KERNEL_FNS.map((n) => exports[n]), args, null);
 * drainChunks(ctrl, args, gen, run);
 */
export function chunkRunner(
  fns: readonly ((...a: number[]) => void)[],
  args: Float64Array,
  native: NativeRunner | null,
): (fn: number, base: number) => void {
  const a: number[] = [];
  return (fn, base) => {
    if (fn >= NATIVE_GEMM) {
      if (!native) throw new Error('this kernel thread has no native addon');
      native(fn, args, base);
      return;
    }
    const f = fns[fn];
    a.length = f.length;
    for (let i = 0; i < a.length; i++) a[i] = args[base + 1 + i];
    f(...a);
  };
}
