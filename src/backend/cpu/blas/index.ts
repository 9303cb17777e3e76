// The optional OpenBLAS GEMM: loading the N-API addon, and splitting large products into
// blocks for the worker pool (threads/) or OpenBLAS's own threads.
import type { View } from '../../backend.js';
import { forEachIndex } from '../iter.js';
import { env, nodeProcess } from '../../../core/env.js';
import { locateAddon } from '../../../core/addon.js';
import { NATIVE_GEMM, NATIVE_GEMM_BATCH, evenRanges, splitsOverK, type NativeExecutor, type NativeRunner } from '../threads/protocol.js';

/**
 * The optional BLAS path for GEMM on Node: build/Release/d2l_blas.node, a small N-API addon over
 * the system OpenBLAS (native/d2l_blas.c), built at install by scripts/build-blas.mjs when a
 * compiler and OpenBLAS are present. It computes directly on the CPU heap (one shared
 * WebAssembly.Memory): the addon gets a Uint8Array over the heap's SharedArrayBuffer and byte
 * offsets, so nothing is copied. When the addon is absent every caller falls back to the Wasm or
 * TS kernels; nothing here is required.
 */

/** The addon's exports (native/d2l_blas.c). */
export interface BlasAddon {
  gemm(
    f64: boolean,
    mem: Uint8Array,
    ta: boolean,
    tb: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    lda: number,
    ldb: number,
    beta: number,
    ldc: number,
    offA: number,
    offB: number,
    offC: number,
  ): void;
  gemmBatch(
    f64: boolean,
    mem: Uint8Array,
    ta: boolean,
    tb: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    lda: number,
    ldb: number,
    beta: number,
    ldc: number,
    offsets: Float64Array,
  ): void;
  setThreads(n: number): void;
  getThreads(): number;
  adviseHugePages?(mem: Uint8Array): number;
  info(): {
    library: string;
    config: string;
    corename: string;
    parallel: 'sequential' | 'pthread' | 'openmp' | 'unknown';
    threads: number;
    procs: number;
  };
}

/** What blasInfo() reports. */
export interface BlasInfo {
  /** Whether the addon is loaded and GEMM can run on OpenBLAS. */
  loaded: boolean;
  /** The addon file (when found). */
  addon: string | null;
  /** The OpenBLAS shared library the addon runs on, e.g. .../openblas-openmp/libopenblas.so.0. */
  library: string | null;
  /** OpenBLAS' build line (version, kernels, threading). */
  config: string | null;
  /** The CPU kernel set OpenBLAS picked (e.g. SkylakeX). */
  corename: string | null;
  /** OpenBLAS' threading: 'openmp', 'pthread' or 'sequential'. */
  parallel: string | null;
  /** Threads OpenBLAS uses for one GEMM. */
  threads: number;
  /** Why it is not loaded (null when loaded). */
  reason: string | null;
}

const ADDON_FILE = 'd2l_blas.node';

let addon: BlasAddon | null | undefined;
let addonPath: string | null = null;
let failure: string | null = null;
let threadsSet = 0;

/**
 * Thread policy, part 1: how long OpenBLAS' idle helper threads spin after a GEMM before they
 * sleep. OpenBLAS and libgomp read these variables once, when the library is loaded, so they are
 * set just for that moment (and then removed again, so child processes do not inherit them); a
 * value the user set is kept. Part 2 is in blasMatmul: OpenBLAS gets the CPU backend's thread
 * count for large products and one thread for small ones. Measurements: docs/PERF-blas.md.
 *
 * Why: a GEMM runs on the calling thread, which blocks, and our Wasm worker pool sleeps meanwhile
 * (its workers spin 0.2 ms after a kernel, then wait), so OpenBLAS owns the cores during a GEMM.
 * What must not happen is OpenBLAS' helpers spinning on after the GEMM while our pool runs the
 * next (elementwise) kernels on the same cores. Out of the box they spin ~4 ms (libgomp's
 * GOMP_SPINCOUNT 300000) or ~0.1 s (the pthread build's 2^28-cycle OPENBLAS_THREAD_TIMEOUT, in a
 * sched_yield loop); here about as long as our own pool does, ~0.15-0.2 ms.
 */
const POLICY_ENV: Record<string, string> = {
  GOMP_SPINCOUNT: '10000', // ~0.15 ms of spinning (measured: 4 ms at libgomp's default 300000)
  OPENBLAS_THREAD_TIMEOUT: '19', // 2^19 TSC cycles: 0.2 ms at 2.6 GHz
};

/**
 * Runs `fn` (loading a native library) with the thread policy above in the environment: the BLAS
 * addon here, and the oneDNN addon (../dnnl.ts), whose OpenMP threads share libgomp with it.
 *
 * @example
 * const addon = withThreadPolicy(() => require(file));
 */
export function withThreadPolicy<T>(fn: () => T): T {
  const env = nodeProcess()?.env;
  if (!env) return fn();
  const set: string[] = [];
  for (const [k, v] of Object.entries(POLICY_ENV)) {
    if (env[k] !== undefined || (k === 'GOMP_SPINCOUNT' && env.OMP_WAIT_POLICY !== undefined)) continue;
    env[k] = v;
    set.push(k);
  }
  try {
    return fn();
  } finally {
    for (const k of set) delete env[k];
  }
}

/** Loads the addon once; null (with the reason in blasInfo()) when it is absent or fails. */
function load(): BlasAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  const proc = nodeProcess();
  const get = proc?.getBuiltinModule;
  if (!get) {
    failure = 'not running in Node >= 20.16 (the BLAS addon is a Node native module, loaded through process.getBuiltinModule)';
    return null;
  }
  if (env('D2L_BLAS') === '0') {
    failure = 'disabled by D2L_BLAS=0';
    return null;
  }
  try {
    const found = locateAddon(ADDON_FILE, 'D2L_BLAS_ADDON', import.meta.url)!;
    const { file, here } = found;
    if (!file) {
      failure = env('D2L_BLAS_ADDON')
        ? `D2L_BLAS_ADDON=${env('D2L_BLAS_ADDON')} does not exist`
        : `${ADDON_FILE} was not built (needs a C compiler and OpenBLAS, e.g. apt-get install build-essential libopenblas-dev, then npm run build:blas)`;
      // Installed as a dependency: npm 11 skipped our install script unless the user approved
      // it, so say once, at first use, which one command turns the native paths on.
      if (!env('D2L_BLAS_ADDON') && /[\\/]node_modules[\\/]/.test(here))
        console.warn(
          'd2l-ts: the native OpenBLAS path is off: its addon was not built when d2l-ts was installed ' +
            "(npm runs a dependency's install script only when approved). Build it once with:\n" +
            '  npx d2l-ts build-native\n' +
            '(it needs a C compiler and OpenBLAS; D2L_BLAS=0 runs the portable kernels without this note)',
        );
      return null;
    }
    addonPath = file;
    const a = withThreadPolicy(() => found.require(file)) as BlasAddon;
    if (typeof a?.gemm !== 'function' || typeof a.gemmBatch !== 'function') {
      failure = `${file} is not the d2l-ts BLAS addon`;
      return null;
    }
    addon = a;
    failure = null;
  } catch (e) {
    failure = `loading the BLAS addon failed: ${(e as Error)?.message ?? String(e)}`;
    addon = null;
  }
  return addon;
}

/**
 * Loads the addon file in a kernel worker thread (N-API addons load once per thread) and makes
 * OpenBLAS single-threaded there. With the OpenMP build the thread count is also each thread's
 * own OpenMP setting, which OpenBLAS re-reads on every call: a worker left at its default would
 * start an OpenMP team of its own.
 */
export function loadBlasAddonAt(file: string): BlasAddon {
  const get = nodeProcess()?.getBuiltinModule;
  if (!get) throw new Error('the BLAS addon needs Node >= 20.16');
  const mod = get('node:module') as { createRequire(from: string | URL): (id: string) => unknown };
  const a = withThreadPolicy(() => mod.createRequire(import.meta.url)(file)) as BlasAddon;
  if (typeof a?.gemm !== 'function') throw new Error(`${file} is not the d2l-ts BLAS addon`);
  a.setThreads(1);
  return a;
}

/**
 * Asks the kernel for transparent huge pages over the heap's buffer (madvise MADV_HUGEPAGE), where
 * THP is in "madvise" mode: minibatches gathered at random from a data set of hundreds of
 * megabytes otherwise miss the TLB on every row. Advisory; false when the addon is absent.
 *
 * @example
 * adviseHugePages(getCpuBackend().heap.buffer); // true where the addon is loaded
 */
export function adviseHugePages(buffer: ArrayBufferLike): boolean {
  const a = load();
  return !!a?.adviseHugePages && a.adviseHugePages(new Uint8Array(buffer)) === 0;
}

/** The addon loaded on this thread, or null. */
export function loadedBlasAddon(): BlasAddon | null {
  return load();
}

/** The loaded addon's file, for the kernel worker threads (null when it is not loaded). */
export function blasAddonFile(): string | null {
  return load() ? addonPath : null;
}

/**
 * Runs pool chunks of kind NATIVE_GEMM / NATIVE_GEMM_BATCH on `a` over `memory` (the heap), reading
 * their arguments from a pool slot: f64, ta, tb, M, N, K, lda, ldb, beta, ldc, then the A, B, C
 * byte offsets (NATIVE_GEMM) or the byte address and count of a Float64Array of offset triples in
 * the heap (NATIVE_GEMM_BATCH).
 */
export function nativeGemmRunner(a: BlasAddon, memory: { readonly buffer: ArrayBufferLike }): NativeRunner {
  let view: Uint8Array | null = null;
  return (fn, args, base) => {
    // A grown shared memory hands out a longer buffer; the addon checks every offset against it.
    const buf = memory.buffer;
    if (!view || view.byteLength !== buf.byteLength) view = new Uint8Array(buf);
    const p = base + 1;
    const f64 = args[p] !== 0;
    const ta = args[p + 1] !== 0;
    const tb = args[p + 2] !== 0;
    const [M, N, K, lda, ldb, beta, ldc] = [args[p + 3], args[p + 4], args[p + 5], args[p + 6], args[p + 7], args[p + 8], args[p + 9]];
    if (fn === NATIVE_GEMM) a.gemm(f64, view, ta, tb, M, N, K, 1, lda, ldb, beta, ldc, args[p + 10], args[p + 11], args[p + 12]);
    else if (fn === NATIVE_GEMM_BATCH)
      a.gemmBatch(f64, view, ta, tb, M, N, K, 1, lda, ldb, beta, ldc, new Float64Array(buf, args[p + 10], 3 * args[p + 11]));
    else throw new Error(`blas: unknown native function ${fn}`);
  };
}

/** Whether the BLAS addon is loaded (loading it on first call). */
export function blasAvailable(): boolean {
  return load() !== null;
}

/** The BLAS path's state: loaded or why not, the OpenBLAS library, its threading and threads. */
export function blasInfo(): BlasInfo {
  const a = load();
  if (!a)
    return { loaded: false, addon: addonPath, library: null, config: null, corename: null, parallel: null, threads: 0, reason: failure };
  const i = a.info();
  return {
    loaded: true,
    addon: addonPath,
    library: i.library,
    config: i.config,
    corename: i.corename,
    parallel: i.parallel,
    threads: i.threads,
    reason: null,
  };
}

/** Sets OpenBLAS' thread count (the CPU backend passes its own, so one owner holds the cores). */
export function setBlasThreads(n: number): void {
  const a = load();
  const t = Math.max(1, Math.floor(n));
  if (a && t !== threadsSet) {
    a.setThreads(t);
    threadsSet = t;
  }
}

/**
 * Work (m*n*k per product) below which 'auto' keeps a GEMM on the Wasm kernels: there the N-API
 * call costs more than it saves (docs/PERF-blas.md). A forced 'blas' ignores it.
 */
export const BLAS_MIN_MNK = 16 * 16 * 16;

/**
 * Work (m*n*k per product) from which OpenBLAS may use more than one thread. Smaller products
 * run on the calling thread alone: waking a sleeping helper thread costs more than it saves
 * there (docs/PERF-blas.md). D2L_BLAS_MT_MIN overrides it.
 */
export const BLAS_MT_MIN_MNK = Number(env('D2L_BLAS_MT_MIN')) || 192 * 192 * 192;

/** What a CPU storage looks like here: a byte address in the shared heap. */
interface HeapStorage {
  readonly ptr: number;
}

/** A rows x cols matrix with strides (rs, cs) as a BLAS operand: row-major (ld = rs) or transposed. */
function operand(rows: number, cols: number, rs: number, cs: number): { t: boolean; ld: number } | null {
  if (cs === 1 || cols === 1) {
    const ld = rows === 1 ? Math.max(1, cols) : rs;
    if (ld >= Math.max(1, cols)) return { t: false, ld };
  }
  if (rs === 1 || rows === 1) {
    const ld = cols === 1 ? Math.max(1, rows) : cs;
    if (ld >= Math.max(1, rows)) return { t: true, ld };
  }
  return null;
}

const INT32_MAX = 2147483647;
let offsetsBuf = new Float64Array(48);
let memView: Uint8Array | null = null;

/** A Uint8Array over the heap's current buffer (a grown shared memory hands out a longer one). */
function heapBytes(buffer: ArrayBufferLike): Uint8Array {
  if (!memView || memView.buffer !== buffer) memView = new Uint8Array(buffer);
  return memView;
}

/**
 * out[b] = x[b] · y[b] on OpenBLAS for float32 (sgemm) and float64 (dgemm) views. Each of x, y
 * and out must be row- or column-major in its last two dims (a transpose arrives as strides and
 * costs nothing); batch dims may have any strides (0 for a broadcast operand). Returns false,
 * leaving out untouched, when the addon is absent or the views do not fit, and the caller runs
 * another kernel. `minWork` skips products smaller than that many multiply-adds.
 */
export function blasMatmul(
  heap: ArrayBufferLike | { readonly buffer: ArrayBufferLike },
  x: View,
  y: View,
  out: View,
  threads: number,
  minWork = 0,
  exec: NativeExecutor | null = null,
  beta: 0 | 1 = 0,
): boolean {
  const dt = out.dtype;
  if ((dt !== 'float32' && dt !== 'float64') || x.dtype !== dt || y.dtype !== dt) return false;
  const r = out.shape.length;
  if (r < 2 || x.shape.length !== r || y.shape.length !== r) return false;
  const m = x.shape[r - 2];
  const k = x.shape[r - 1];
  const n = y.shape[r - 1];
  if (m === 0 || n === 0 || k === 0) return false;
  if (m * n * k < minWork) return false;
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) return false;
  const [xsm, xsk] = [x.strides[r - 2], x.strides[r - 1]];
  const [ysk, ysn] = [y.strides[r - 2], y.strides[r - 1]];
  const [osm, osn] = [out.strides[r - 2], out.strides[r - 1]];
  // BLAS writes a row-major C; a column-major out is computed as out^T = y^T · x^T.
  let swap: boolean;
  let M: number;
  let N: number;
  let ldc: number;
  let A: { t: boolean; ld: number } | null;
  let B: { t: boolean; ld: number } | null;
  if (osn === 1 || n === 1) {
    swap = false;
    [M, N] = [m, n];
    ldc = m === 1 ? Math.max(1, n) : osm;
    A = operand(m, k, xsm, xsk);
    B = operand(k, n, ysk, ysn);
  } else if (osm === 1 || m === 1) {
    swap = true;
    [M, N] = [n, m];
    ldc = n === 1 ? Math.max(1, m) : osn;
    A = operand(n, k, ysn, ysk);
    B = operand(k, m, xsk, xsm);
  } else return false;
  if (!A || !B || ldc < Math.max(1, N) || ldc > INT32_MAX || A.ld > INT32_MAX || B.ld > INT32_MAX) return false;
  const a = load();
  if (!a) return false;
  const es = dt === 'float64' ? 8 : 4;
  const f64 = dt === 'float64';
  const xp = (x.storage as unknown as HeapStorage).ptr;
  const yp = (y.storage as unknown as HeapStorage).ptr;
  const op = (out.storage as unknown as HeapStorage).ptr;
  // Only now the buffer: reading `ptr` moves an evicted array back into the heap, which may grow
  // it, and a buffer taken before would be too short for the readmitted block.
  const buffer = 'byteLength' in heap ? heap : heap.buffer;
  const batch = out.shape.slice(0, r - 2);
  let nb = 1;
  for (const d of batch) nb *= d;
  if (nb === 0) return true;
  const P = exec ? exec.chunks(m * n * k * nb, Math.min(m, n) <= 16) : 1;
  // Single-threaded OpenBLAS when our pool splits products (or the product is small); else
  // OpenBLAS' own threads for large products (no pool, e.g. D2L_CPU_THREADS=1 workers absent).
  const t = exec || m * n * k < BLAS_MT_MIN_MNK ? 1 : threads;
  if (t !== threadsSet) setBlasThreads(t);
  const head = [f64 ? 1 : 0, A.t ? 1 : 0, B.t ? 1 : 0, M, N, k, A.ld, B.ld, beta, ldc];
  if (r === 2) {
    const xa = xp + x.offset * es;
    const ya = yp + y.offset * es;
    const [pa, pb, pc] = [swap ? ya : xa, swap ? xa : ya, op + out.offset * es];
    if (P <= 1) {
      a.gemm(f64, heapBytes(buffer), A.t, B.t, M, N, k, 1, A.ld, B.ld, beta, ldc, pa, pb, pc);
      return true;
    }
    if (!f64 && splitsOverK(M, N, k, A.t)) {
      const bytes = (P - 1) * M * N * 4;
      exec!.withScratch(bytes, (s) => {
        exec!.run(NATIVE_GEMM, splitGemmK(head, M, N, k, A, B, ldc, pa, pb, pc, s, P));
        exec!.addBlocks(pc, ldc, s, M, N, P - 1);
      });
      return true;
    }
    exec!.run(NATIVE_GEMM, splitGemm(head, M, N, A, B, ldc, es, pa, pb, pc, P));
    return true;
  }
  if (offsetsBuf.length < 3 * nb) offsetsBuf = new Float64Array(Math.max(3 * nb, 2 * offsetsBuf.length));
  const offs = offsetsBuf;
  let i = 0;
  forEachIndex(
    batch,
    [x.strides.slice(0, r - 2), y.strides.slice(0, r - 2), out.strides.slice(0, r - 2)],
    [x.offset, y.offset, out.offset],
    (xo, yo, oo) => {
      const xa = xp + xo * es;
      const ya = yp + yo * es;
      offs[i++] = swap ? ya : xa;
      offs[i++] = swap ? xa : ya;
      offs[i++] = op + oo * es;
    },
  );
  const list = offs.subarray(0, 3 * nb);
  if (P <= 1) {
    a.gemmBatch(f64, heapBytes(buffer), A.t, B.t, M, N, k, 1, A.ld, B.ld, beta, ldc, list);
    return true;
  }
  if (nb >= P) {
    // Whole products per chunk: the offset list goes into the heap, where every thread reads it.
    exec!.withHeapCopy(list, (addr) =>
      exec!.run(
        NATIVE_GEMM_BATCH,
        evenRanges(nb, P).map(([lo, hi]) => [...head, addr + lo * 24, hi - lo]),
      ),
    );
    return true;
  }
  // Fewer products than threads: split each one.
  for (let b = 0; b < nb; b++)
    exec!.run(NATIVE_GEMM, splitGemm(head, M, N, A, B, ldc, es, list[3 * b], list[3 * b + 1], list[3 * b + 2], P));
  return true;
}

/**
 * One float32 product as P chunks over k: chunk 0 computes C (with the caller's beta), chunk p > 0
 * the dense partial sum p - 1 at `scratch` (beta 0); k is split as gathers split rows (evenRanges).
 */
function splitGemmK(
  head: number[],
  M: number,
  N: number,
  k: number,
  A: { t: boolean; ld: number },
  B: { t: boolean; ld: number },
  ldc: number,
  pa: number,
  pb: number,
  pc: number,
  scratch: number,
  P: number,
): number[][] {
  return evenRanges(k, P).map(([k0, k1], p) => {
    const h = head.slice();
    h[5] = k1 - k0;
    if (p > 0) {
      h[8] = 0; // beta
      h[9] = N; // ldc
    }
    return [...h, pa + k0 * (A.t ? A.ld : 1) * 4, pb + k0 * (B.t ? 1 : B.ld) * 4, p === 0 ? pc : scratch + (p - 1) * M * N * 4];
  });
}

/** Rows or columns of C (the larger side) per chunk, in multiples of 16: one product as P chunks. */
function splitGemm(
  head: number[],
  M: number,
  N: number,
  A: { t: boolean; ld: number },
  B: { t: boolean; ld: number },
  ldc: number,
  es: number,
  pa: number,
  pb: number,
  pc: number,
  P: number,
): number[][] {
  const parts: number[][] = [];
  const byRows = M > N;
  const total = byRows ? M : N;
  const step = Math.max(16, Math.ceil(total / P / 16) * 16);
  for (let lo = 0; lo < total; lo += step) {
    const len = Math.min(step, total - lo);
    const h = head.slice();
    if (byRows) {
      h[3] = len;
      parts.push([...h, pa + lo * (A.t ? 1 : A.ld) * es, pb, pc + lo * ldc * es]);
    } else {
      h[4] = len;
      parts.push([...h, pa, pb + lo * (B.t ? B.ld : 1) * es, pc + lo * es]);
    }
  }
  return parts;
}
