// The Wasm SIMD path of the CPU backend: which layouts each kernel takes, and when a kernel is
// split over the worker threads.
import { env } from '../../../core/env.js';
import { coalesce, isContiguous, shapesEqual } from '../../../core/shape.js';
import type { BinaryOp, ReduceOp, UnaryOp, View } from '../../backend.js';
import { Heap } from '../heap.js';
import { forEachIndex } from '../iter.js';
import {
  BINARY_CODE,
  REDUCE_CODE,
  UNARY_CODE,
  compileKernels,
  instantiate,
  type KernelExports,
  type KernelFn,
  type KernelVariant,
} from './module.js';
import { WorkerPool, type NativeGemm } from '../threads/pool.js';
import { MAX_CHUNKS, evenRanges, splitsOverK, type NativeExecutor } from '../threads/protocol.js';

/** What a CPU storage looks like to the kernels: a byte address in the shared heap. */
interface HeapStorage {
  readonly ptr: number;
  readonly data: ArrayLike<number>;
}
const storageOf = (v: View) => v.storage as unknown as HeapStorage;
/** The byte address of a float32 view's first element. */
const addr = (v: View) => storageOf(v).ptr + v.offset * 4;

/**
 * Work sizes below which a kernel stays on the calling thread. Waking a sleeping worker and
 * waiting for it costs ~30-60 us on a VM, and in a training step the worker has often gone to
 * sleep between two large kernels: a 65K-element elementwise kernel took 40-80 us split against
 * ~20-35 us on one thread (W4, docs/PERF.md), so only kernels of 256K elements and more are split.
 */
export const PARALLEL_MIN = {
  /** m * n * k of one matmul (or of the whole batch). */
  gemmMNK: 96 * 96 * 96,
  /** m * n * k of a product with a narrow C (n <= 16): one thread does ~8-16 GFLOP/s there. */
  skinnyMNK: 1 << 22,
  /**
   * Bytes copied by a row gather (take on axis 0), a minibatch of images: from 512 KB it is split
   * even when the workers sleep. The caller gathers the first half, and the woken worker, which
   * then spins through the step, takes the second half and the GEMMs over those rows: W3 -20%
   * (blas and portable, A/B pairs) against 2 MB, where W3's 800 KB batches stayed on one thread.
   */
  gatherBytes: 1 << 19,
  /** Elements of an elementwise kernel. */
  elementwise: 1 << 18,
  /** Elements read by a reduction. */
  reduce: 1 << 19,
};

/**
 * How long an idle worker thread spins for the next kernel before it sleeps (ms). Waking a
 * sleeping thread costs tens of microseconds on a VM, and a training step leaves gaps of a few
 * hundred microseconds between kernels big enough to split; while the workers spin, smaller
 * kernels are split too (HOT_DIVISOR). 1 ms against 0.2 ms, A/B pairs of whole runs: W3 -5%,
 * portable W3 -5%, W5 -2%, W4 within noise (docs/PERF.md). PyTorch's OpenMP threads spin ~4 ms.
 * D2L_CPU_SPIN_MS overrides it.
 */
const SPIN_MS = Number(env('D2L_CPU_SPIN_MS') ?? '') || 1;
/** Split kernels down to 1/HOT_DIVISOR of their threshold while the workers are awake (D2L_CPU_HOT_SPLIT=0: never; 16 vs 8: W3, W4 -3%). */
const HOT_SPLIT = env('D2L_CPU_HOT_SPLIT') !== '0';
const HOT_DIVISOR = Number(env('D2L_CPU_HOT_DIVISOR') ?? '') || 16;
/** Whether BLAS products with a narrow C are split while the workers are awake too. */
const NARROW_HOT_SPLIT = env('D2L_CPU_NARROW_SPLIT') !== '0';

/** Transcendental ops with their own export (kernels/elementwise.ts says why). */
const OWN_EXPORT: Partial<Record<UnaryOp, KernelFn>> = { exp: 'exp_f32', tanh: 'tanh_f32', sigmoid: 'sigmoid_f32' };

/** 0 for int32 labels, 1 for float32, -1 for other dtypes or a non-contiguous label vector. */
function labelKind(label: View): number {
  if (label.shape.length !== 1 || (label.shape[0] > 1 && label.strides[0] !== 1)) return -1;
  return label.dtype === 'int32' ? 0 : label.dtype === 'float32' ? 1 : -1;
}
/** Whether v is a row-major [rows, C] block without gaps. */
function rowMajor(v: View, rows: number, C: number): boolean {
  return (
    v.shape.length === 2 && v.shape[0] === rows && v.shape[1] === C && (C <= 1 || v.strides[1] === 1) && (rows <= 1 || v.strides[0] === C)
  );
}
/** Whether v is a contiguous vector of n elements. */
function unitVector(v: View, n: number): boolean {
  return v.shape.length === 1 && v.shape[0] === n && (n <= 1 || v.strides[0] === 1);
}

/**
 * [outer, mid, inner] of a dense float32 NCHW-like x (rank >= 2, channels on axis 1) when every
 * full-size view is dense with x's shape and every vector is a float32 unit-stride vector of the
 * channel count; null otherwise.
 */
function channelGeometry(x: View, full: View[], vectors: View[]): [number, number, number] | null {
  if (x.shape.length < 2 || x.dtype !== 'float32' || !isDense(x) || isEmpty(x)) return null;
  for (const v of full) if (v.dtype !== 'float32' || !isDense(v) || !shapesEqual(v.shape, x.shape)) return null;
  const C = x.shape[1];
  for (const v of vectors) if (v.dtype !== 'float32' || !unitVector(v, C)) return null;
  const inner = x.shape.slice(2).reduce((p, d) => p * d, 1);
  return [x.shape[0], C, inner];
}

/** Products whose C has at most this many columns run in the narrow-C kernel (kernels/gemm-skinny.ts). */
export const SKINNY_MAX_N = 16;

/** Length of the conv/pool geometry descriptor (kernels/conv.ts), in i32s. */
const DESC_INTS = 16;

/** Register-tile sizes of kernels/gemm.ts: parallel splits fall on multiples of them. */
const MR = 4;
const NR = 8;

/**
 * The Wasm SIMD kernels behind CpuBackend: float32 GEMM (any 2-D strides, batched), contiguous
 * elementwise ops and reductions. Each method returns false when the views are outside what the
 * kernels handle, and the backend then runs its TypeScript reference kernel. Large kernels are
 * split over a pool of worker threads that instantiate the same module over the same memory.
 */
export class WasmKernels {
  private readonly k: KernelExports;
  private pool: WorkerPool | null = null;
  private poolStarted = false;
  private executor: { pool: WorkerPool; minWork: number; exec: NativeExecutor } | null = null;
  private convExec: { pool: WorkerPool; minWork: number; exec: NativeExecutor } | null = null;
  /** One GEMM scratch block per participating thread (byte addresses in the heap). */
  private readonly scratch: number[] = [];
  private readonly scratchBytes: number;
  /** The kernels' constant table (kernels/simd.ts), shared by every thread. */
  private readonly constants: number;
  /** The i32 geometry descriptor of the conv and pooling kernels (kernels/conv.ts), rewritten per call. */
  private readonly desc: number;

  private constructor(
    private readonly heap: Heap,
    private readonly module: WebAssembly.Module,
    readonly variant: KernelVariant,
    private nThreads: number,
    private readonly nativeGemm: () => NativeGemm | null,
    private readonly nativeConv: () => NativeGemm | null,
  ) {
    this.k = instantiate(module, heap.memory);
    this.scratchBytes = this.k.sgemm_scratch_bytes();
    this.constants = this.reserve(this.k.constants_bytes());
    this.k.write_constants(this.constants);
    this.desc = this.reserve(DESC_INTS * 4);
  }

  /** Null where the runtime has no WebAssembly SIMD. */
  static create(
    heap: Heap,
    threads: number,
    nativeGemm: () => NativeGemm | null = () => null,
    nativeConv: () => NativeGemm | null = () => null,
  ): WasmKernels | null {
    const c = compileKernels(heap.shared);
    return c ? new WasmKernels(heap, c.module, c.variant, threads, nativeGemm, nativeConv) : null;
  }

  /** Threads used for large kernels, the calling thread included. */
  get threads(): number {
    return this.nThreads;
  }

  /** Worker threads that have started and take work now. */
  get readyWorkers(): number {
    return this.pool?.ready ?? 0;
  }

  /** Changes the thread count; the old pool is shut down (the promise resolves when it has). */
  setThreads(n: number): Promise<void> {
    this.nThreads = Math.max(1, Math.floor(n));
    const old = this.pool;
    this.pool = null;
    this.poolStarted = false;
    return old ? old.close() : Promise.resolve();
  }

  /**
   * Sends spinning worker threads to sleep now (WorkerPool.park), before a native library runs
   * on threads of its own (oneDNN's convolutions): spinning workers would share the cores with
   * them. Nothing happens when the pool is idle or absent.
   *
   * @example
   * getCpuBackend().fastKernels()?.parkThreads();
   */
  parkThreads(): void {
    this.pool?.park();
  }

  /** Starts the worker pool now (it otherwise starts at the first large kernel) and waits for it. */
  startThreads(timeoutMs = 5000): number {
    this.ensurePool();
    return this.pool ? this.pool.waitReady(timeoutMs) : 0;
  }

  /** startThreads without blocking the thread (a browser worker's pool starts only while it waits so). */
  async startThreadsAsync(timeoutMs = 5000): Promise<number> {
    this.ensurePool();
    return this.pool ? this.pool.waitReadyAsync(timeoutMs) : 0;
  }

  shutdown(): Promise<void> {
    return this.setThreads(1);
  }

  private ensurePool(): void {
    if (this.poolStarted) return;
    this.poolStarted = true;
    this.pool = WorkerPool.create(
      this.nThreads - 1,
      this.k,
      this.module,
      this.heap.memory,
      SPIN_MS,
      this.nThreads > 1 ? this.nativeGemm() : null,
      this.nThreads > 1 ? this.nativeConv() : null,
    );
  }

  /**
   * Runs the BLAS addon's GEMMs on this pool (each thread single-threaded OpenBLAS on its block),
   * or null when the pool has no addon (then OpenBLAS uses its own threads).
   */
  nativeExecutor(minWork: number): NativeExecutor | null {
    if (this.nThreads <= 1) return null;
    this.ensurePool();
    const pool = this.pool;
    if (!pool?.nativeReady) return null;
    // One executor per pool and threshold: matmul asks for it on every call.
    if (this.executor?.pool !== pool || this.executor.minWork !== minWork)
      this.executor = { pool, minWork, exec: this.makeExecutor(pool, minWork, () => pool.nativeReady) };
    return this.executor.exec;
  }

  /**
   * Runs the oneDNN addon's convolutions on this pool (each thread single-threaded oneDNN on a
   * slice of the batch), or null when the pool has no oneDNN addon (then oneDNN uses OpenMP).
   *
   * @example
   * const exec = kernels.convExecutor(1 << 22); // chunks of NATIVE_CONV
   */
  convExecutor(minWork: number): NativeExecutor | null {
    if (this.nThreads <= 1) return null;
    this.ensurePool();
    const pool = this.pool;
    if (!pool?.convReady) return null;
    if (this.convExec?.pool !== pool || this.convExec.minWork !== minWork)
      this.convExec = { pool, minWork, exec: this.makeExecutor(pool, minWork, () => pool.convReady) };
    return this.convExec.exec;
  }

  /**
   * Whether large BLAS products would be split over this pool (its threads load the addon):
   * without starting the pool, which kernelInfo() must not do.
   */
  splitsNativeGemm(): boolean {
    if (this.nThreads <= 1) return false;
    return this.poolStarted ? !!this.pool?.nativeReady : this.nativeGemm() !== null;
  }

  private makeExecutor(pool: WorkerPool, minWork: number, ready: () => boolean): NativeExecutor {
    return {
      chunks: (work, narrow) => {
        if (!ready()) return 1;
        // While the workers are awake, smaller products are split too.
        const hot = HOT_SPLIT && (NARROW_HOT_SPLIT || !narrow) && performance.now() < pool.hotUntil;
        return work >= minWork || (hot && work >= minWork / HOT_DIVISOR) ? this.nThreads : 1;
      },
      run: (fn, chunks) => pool.run(fn, chunks),
      withScratch: (bytes, fn) => {
        const p = this.heap.alloc(bytes);
        try {
          fn(p);
        } finally {
          this.heap.free(p, bytes);
        }
      },
      addBlocks: (c, ldc, src, rows, cols, parts) => this.addBlocks(c, ldc, src, rows, cols, parts),
      withHeapCopy: (data, fn) => {
        const bytes = data.length * 8;
        const p = this.heap.alloc(bytes);
        try {
          new Float64Array(this.heap.buffer, p, data.length).set(data);
          fn(p);
        } finally {
          this.heap.free(p, bytes);
        }
      },
    };
  }

  /**
   * Lends a heap block of `bytes` bytes to `fn` and frees it after, whatever happens. (The BLAS
   * executor keeps its own inline copies: routed through here, W3 measured 7-20% slower in A/B
   * pairs, within this machine's noise but not ruled out, so it was left as it was.)
   */
  private withScratch<T>(bytes: number, fn: (addr: number) => T): T {
    const p = this.heap.alloc(bytes);
    try {
      return fn(p);
    } finally {
      this.heap.free(p, bytes);
    }
  }

  /**
   * How many chunks a kernel of `work` units is split into: 1 below `min` or without threads,
   * else `perThread` per thread. Chunks are claimed dynamically (threads/protocol.ts), so a few per thread
   * balance the load and a busy or not-yet-started worker never stalls the caller.
   */
  private chunksFor(work: number, min: number, perThread: number): number {
    if (this.nThreads <= 1) return 1;
    // While the workers still spin after the previous job (a training step's kernels come back to
    // back), splitting costs no wake-up: smaller kernels are split too, and their outputs end up
    // spread over the cores' caches like the next large kernel's inputs.
    if (work < min && !(HOT_SPLIT && work >= min / HOT_DIVISOR && this.pool && performance.now() < this.pool.hotUntil)) return 1;
    this.ensurePool();
    return this.pool ? Math.min(MAX_CHUNKS, this.nThreads * perThread) : 1;
  }

  private run(fn: KernelFn, chunks: number[][]): void {
    if (chunks.length === 0) return;
    if (chunks.length === 1 || !this.pool) (this.k[fn] as (...a: number[]) => void)(...chunks[0]);
    else this.pool!.run(fn, chunks);
  }

  /** A heap block owned by the kernels for the life of the process: not an array, so not in the live counts. */
  private reserve(bytes: number): number {
    const p = this.heap.alloc(bytes);
    this.heap.liveBytes -= Heap.classOf(bytes);
    this.heap.liveBlocks--;
    return p;
  }

  private scratchFor(i: number): number {
    while (this.scratch.length <= i) this.scratch.push(this.reserve(this.scratchBytes));
    return this.scratch[i];
  }

  // ---------------------------------------------------------------- GEMM

  /** out[b] = x[b] · y[b] (beta 0) or out[b] += x[b] · y[b] (beta 1) for float32 views; false if the output strides fit neither layout. */
  matmul(x: View, y: View, out: View, beta: 0 | 1 = 0): boolean {
    if (x.dtype !== 'float32' || y.dtype !== 'float32' || out.dtype !== 'float32') return false;
    const r = out.shape.length;
    const m = x.shape[r - 2];
    const k = x.shape[r - 1];
    const n = y.shape[r - 1];
    if (m === 0 || n === 0 || k === 0) return false;
    const [xsm, xsk] = [x.strides[r - 2], x.strides[r - 1]];
    const [ysk, ysn] = [y.strides[r - 2], y.strides[r - 1]];
    const [osm, osn] = [out.strides[r - 2], out.strides[r - 1]];
    // C must be row-major (unit column stride); a column-major C is computed as C^T = B^T A^T.
    let g: Gemm;
    if (n === 1 || osn === 1) g = { M: m, N: n, K: k, rsa: xsm, csa: xsk, rsb: ysk, csb: ysn, ldc: m === 1 ? n : osm, swap: false };
    else if (m === 1 || osm === 1) g = { M: n, N: m, K: k, rsa: ysn, csa: ysk, rsb: xsk, csb: xsm, ldc: n === 1 ? m : osn, swap: true };
    else return false;
    if (g.M > 1 && g.ldc <= 0) return false;
    const batch = out.shape.slice(0, r - 2);
    const items: number[] = [];
    forEachIndex(
      batch,
      [x.strides.slice(0, r - 2), y.strides.slice(0, r - 2), out.strides.slice(0, r - 2)],
      [x.offset, y.offset, out.offset],
      (xo, yo, oo) => {
        const xa = storageOf(x).ptr + xo * 4;
        const ya = storageOf(y).ptr + yo * 4;
        items.push(g.swap ? ya : xa, g.swap ? xa : ya, storageOf(out).ptr + oo * 4);
      },
    );
    this.gemm(g, items, beta);
    return true;
  }

  /**
   * C = A·B (beta 0) or C += A·B (beta 1) for each (A, B, C) byte-address triple in `items`.
   * Splits over threads by batch items, or within one product by rows or columns.
   */
  private gemm(g: Gemm, items: number[], beta: number): void {
    if (g.N <= SKINNY_MAX_N && g.M >= 4 && this.k.sgemm_skinny_scratch_bytes(g.K) <= this.scratchBytes) {
      this.gemmSkinny(g, items, beta);
      return;
    }
    const nb = items.length / 3;
    const P = this.chunksFor(g.M * g.N * g.K * nb, PARALLEL_MIN.gemmMNK, 3);
    const { M, N, K, rsa, csa, rsb, csb, ldc } = g;
    if (P > 1 && nb >= P) {
      this.withScratch(items.length * 4, (list) => {
        new Uint32Array(this.heap.buffer, list, items.length).set(items);
        this.runGemm(
          'sgemm_batch',
          evenRanges(nb, P).map(([lo, hi]) => [list, lo, hi, M, N, K, rsa, csa, rsb, csb, ldc, beta]),
        );
      });
      return;
    }
    for (let b = 0; b < nb; b++) {
      const [A, B, C] = [items[3 * b], items[3 * b + 1], items[3 * b + 2]];
      const parts: number[][] = [];
      const byRows = M >= N;
      // One chunk per thread within a product: each chunk packs all of B (split by rows) or of A
      // (by columns), so 3 chunks per thread packed it 3x as often (256x784x256: 54 -> 64 GFLOP/s).
      const Q = Math.min(P, this.nThreads, Math.ceil((byRows ? M / MR : N / NR) / 2));
      if (Q <= 1) parts.push([M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, beta]);
      else if (byRows) {
        const chunk = Math.ceil(M / Q / MR) * MR;
        for (let r0 = 0; r0 < M; r0 += chunk)
          parts.push([Math.min(chunk, M - r0), N, K, A + r0 * rsa * 4, rsa, csa, B, rsb, csb, C + r0 * ldc * 4, ldc, beta]);
      } else {
        const chunk = Math.ceil(N / Q / NR) * NR;
        for (let c0 = 0; c0 < N; c0 += chunk)
          parts.push([M, Math.min(chunk, N - c0), K, A, rsa, csa, B + c0 * csb * 4, rsb, csb, C + c0 * 4, ldc, beta]);
      }
      this.runGemm('sgemm', parts);
    }
  }

  /**
   * The narrow-C kernel (kernels/gemm-skinny.ts). Large products are split over threads by rows
   * of C, or over k when A is stored k-major (a weight gradient Xᵀ·G: threads/protocol.ts splitsOverK).
   */
  private gemmSkinny(g: Gemm, items: number[], beta: number): void {
    const { M, N, K, rsa, csa, rsb, csb, ldc } = g;
    const overK = splitsOverK(M, N, K, Math.abs(csa) > Math.abs(rsa));
    const P = Math.min(overK ? this.nThreads : Math.ceil(M / 8), this.chunksFor(M * N * K, PARALLEL_MIN.skinnyMNK, 1));
    for (let b = 0; b < items.length; b += 3) {
      const [A, B, C] = [items[b], items[b + 1], items[b + 2]];
      if (P > 1 && overK) {
        this.withScratch((P - 1) * M * N * 4, (s) => {
          const parts = evenRanges(K, P).map(([k0, k1], p) => {
            const [c, ld, bt] = p === 0 ? [C, ldc, beta] : [s + (p - 1) * M * N * 4, N, 0];
            return [0, M, N, k1 - k0, A + k0 * csa * 4, rsa, csa, B + k0 * rsb * 4, rsb, csb, c, ld, bt];
          });
          this.runGemm('sgemm_skinny', parts);
          this.addBlocks(C, ldc, s, M, N, P - 1);
        });
        continue;
      }
      const parts: number[][] = [];
      const chunk = Math.ceil(M / P / 4) * 4;
      for (let i0 = 0; i0 < M; i0 += chunk) parts.push([i0, Math.min(M, i0 + chunk), N, K, A, rsa, csa, B, rsb, csb, C, ldc, beta]);
      this.runGemm('sgemm_skinny', parts);
    }
  }

  /** C[i, j] += S[p][i, j] for `parts` dense rows x cols float32 blocks S at `src` (C's row stride ldc), on this thread. */
  private addBlocks(c: number, ldc: number, src: number, rows: number, cols: number, parts: number): void {
    const add = BINARY_CODE.add!;
    for (let p = 0; p < parts; p++) {
      const s = src + p * rows * cols * 4;
      if (ldc === cols) this.k.binary_f32(add, c, s, c, rows * cols);
      else for (let i = 0; i < rows; i++) this.k.binary_f32(add, c + i * ldc * 4, s + i * cols * 4, c + i * ldc * 4, cols);
    }
  }

  /**
   * Runs GEMM chunks. Chunks are claimed by whichever thread comes first, so the scratch block
   * goes with the chunk: chunk i packs into scratch block i (appended as the last argument).
   */
  private runGemm(fn: 'sgemm' | 'sgemm_batch' | 'sgemm_skinny', chunks: number[][]): void {
    for (let i = 0; i < chunks.length; i++) chunks[i].push(this.scratchFor(i));
    this.run(fn, chunks);
  }

  // ---------------------------------------------------------------- gathers

  /**
   * out[j] = x[idx[j]] for n rows of rowBytes bytes (x's rows strideBytes apart; int32 indices,
   * validated): byte addresses. Returns false, copying nothing, when the gather is not worth
   * splitting over the threads (the caller's own gather is as fast then).
   */
  gatherRows(out: number, x: number, idx: number, n: number, rowBytes: number, strideBytes: number): boolean {
    const P = Math.min(n, this.chunksFor(n * rowBytes, PARALLEL_MIN.gatherBytes, 1));
    if (P <= 1) return false;
    this.run(
      'gather_rows',
      evenRanges(n, P).map(([j0, j1]) => [out + j0 * rowBytes, x, idx + j0 * 4, j1 - j0, rowBytes, strideBytes]),
    );
    return true;
  }

  // ---------------------------------------------------------------- softmax cross-entropy

  /**
   * Row-wise softmax cross-entropy of a contiguous float32 [rows, C] `pred` with int32 or float32
   * labels (already validated), into a contiguous loss [rows] and, when given, the softmax `prob`
   * (contiguous [rows, C]); false when the views do not fit.
   */
  softmaxCrossEntropy(pred: View, label: View, loss: View, prob: View | null): boolean {
    if (pred.dtype !== 'float32' || loss.dtype !== 'float32' || (prob && prob.dtype !== 'float32')) return false;
    const [rows, C] = pred.shape;
    const lf = labelKind(label);
    if (lf < 0 || !rowMajor(pred, rows, C) || (prob && !rowMajor(prob, rows, C)) || !unitVector(loss, rows)) return false;
    const xa = addr(pred);
    const la = addr(label);
    const lo = addr(loss);
    const pa = prob ? addr(prob) : 0;
    this.rowChunks(rows, C, 'softmax_ce_f32', (r0, r1) => [xa, la, lf, lo, pa, r0, r1, C, this.constants]);
    return true;
  }

  /** out = prob * g[row] - onehot(label) * g[row] over contiguous float32 rows; false when the views do not fit. */
  softmaxCrossEntropyGrad(prob: View, label: View, g: View, out: View): boolean {
    if (prob.dtype !== 'float32' || g.dtype !== 'float32' || out.dtype !== 'float32') return false;
    const [rows, C] = prob.shape;
    const lf = labelKind(label);
    if (lf < 0 || !rowMajor(prob, rows, C) || !rowMajor(out, rows, C) || !unitVector(g, rows)) return false;
    const pa = addr(prob);
    const la = addr(label);
    const ga = addr(g);
    const oa = addr(out);
    this.rowChunks(rows, C, 'softmax_ce_grad_f32', (r0, r1) => [pa, la, lf, ga, oa, r0, r1, C]);
    return true;
  }

  /** Splits `rows` rows of `C` elements into per-thread row ranges (one range when small). */
  private rowChunks(rows: number, C: number, fn: KernelFn, make: (r0: number, r1: number) => number[]): void {
    const P = Math.min(rows, this.chunksFor(rows * C, PARALLEL_MIN.elementwise, 4));
    this.run(
      fn,
      evenRanges(rows, P).map(([r0, r1]) => make(r0, r1)),
    );
  }

  // ---------------------------------------------------------------- batch norm

  /**
   * Batch norm's training-mode forward (kernels/channel.ts bn_fwd_f32): per channel of a dense
   * float32 x (N, C, ...) the batch mean and biased variance into `mean` and `variance`, and
   * y = (x − mean) · gamma / sqrt(variance + eps) + beta, split over the threads by channel.
   * False, writing nothing, when the views do not fit.
   */
  batchNorm(x: View, gamma: View, beta: View, eps: number, y: View, mean: View, variance: View): boolean {
    const geom = channelGeometry(x, [y], [gamma, beta, mean, variance]);
    if (!geom) return false;
    const [outer, mid, inner] = geom;
    const a = [x, gamma, beta, y, mean, variance].map(addr);
    this.channelRun('bn_fwd_f32', geom, (m0, m1) => [...a, outer, mid, inner, m0, m1, eps]);
    return true;
  }

  /**
   * Batch norm's gradient (kernels/channel.ts bn_bwd_f32) from the output gradient g and the
   * input x (statistics recomputed): dx, and per channel dgamma = Σ g·x̂ and dbeta = Σ g. False,
   * writing nothing, when the views do not fit.
   */
  batchNormGrad(g: View, x: View, gamma: View, eps: number, dx: View, dgamma: View, dbeta: View): boolean {
    const geom = channelGeometry(x, [g, dx], [gamma, dgamma, dbeta]);
    if (!geom) return false;
    const [outer, mid, inner] = geom;
    const a = [g, x, gamma, dx, dgamma, dbeta].map(addr);
    this.channelRun('bn_bwd_f32', geom, (m0, m1) => [...a, outer, mid, inner, m0, m1, eps]);
    return true;
  }

  /** Runs a per-channel kernel over [outer, mid, inner], the channels split over the threads. */
  private channelRun(fn: KernelFn, [outer, mid, inner]: [number, number, number], make: (m0: number, m1: number) => number[]): void {
    const P = Math.min(mid, this.chunksFor(outer * mid * inner, PARALLEL_MIN.reduce, 2));
    this.run(
      fn,
      evenRanges(mid, P).map(([m0, m1]) => make(m0, m1)),
    );
  }

  // ---------------------------------------------------------------- elementwise

  /** Splits [0, n) into `P` ranges aligned to 16 elements and runs `make(lo, len)` on each. */
  private ranges(n: number, fn: KernelFn, make: (lo: number, len: number) => number[]): void {
    const P = this.chunksFor(n, PARALLEL_MIN.elementwise, 4);
    const chunk = Math.ceil(n / P / 16) * 16;
    const parts: number[][] = [];
    for (let lo = 0; lo < n; lo += chunk) parts.push(make(lo, Math.min(chunk, n - lo)));
    this.run(fn, parts);
  }

  unary(op: UnaryOp, x: View, out: View): boolean {
    const code = UNARY_CODE[op];
    if (code === undefined || x.dtype !== 'float32' || out.dtype !== 'float32' || isEmpty(out)) return false;
    const c = coalesce(out.shape, [out.strides, x.strides]);
    if (c.shape.length > 1 || c.strides.some((s) => s.length === 1 && s[0] !== 1)) return false;
    const n = c.shape.length === 0 ? 1 : c.shape[0];
    const xa = addr(x);
    const ya = addr(out);
    const k = this.constants;
    const own = OWN_EXPORT[op];
    if (own) this.ranges(n, own, (lo, len) => [xa + lo * 4, ya + lo * 4, len, k]);
    else this.ranges(n, 'unary_f32', (lo, len) => [code, xa + lo * 4, ya + lo * 4, len, k]);
    return true;
  }

  /** out = the gradient of sigmoid or tanh from g and the op's output y (kernels/elementwise.ts unary_grad_f32), for dense float32 views of one shape. */
  unaryGrad(op: UnaryOp, g: View, y: View, out: View): boolean {
    if (op !== 'sigmoid' && op !== 'tanh') return false;
    const views = [g, y, out];
    if (views.some((v) => v.dtype !== 'float32' || !isDense(v)) || isEmpty(out)) return false;
    const n = out.shape.reduce((a, d) => a * d, 1);
    if (g.shape.reduce((a, d) => a * d, 1) !== n || y.shape.reduce((a, d) => a * d, 1) !== n) return false;
    const code = UNARY_CODE[op]!;
    const [ga, ya, oa] = [addr(g), addr(y), addr(out)];
    this.ranges(n, 'unary_grad_f32', (lo, len) => [code, ga + lo * 4, ya + lo * 4, oa + lo * 4, len]);
    return true;
  }

  binary(op: BinaryOp, a: View, b: View, out: View): boolean {
    const code = BINARY_CODE[op];
    if (code === undefined || a.dtype !== 'float32' || b.dtype !== 'float32' || out.dtype !== 'float32' || isEmpty(out)) return false;
    const c = coalesce(out.shape, [out.strides, a.strides, b.strides]);
    const [os, as, bs] = c.strides;
    const aa = addr(a);
    const ba = addr(b);
    const ya = addr(out);
    if (c.shape.length <= 1) {
      const n = c.shape.length === 0 ? 1 : c.shape[0];
      if (c.shape.length === 1 && os[0] !== 1) return false;
      const sa = c.shape.length === 0 ? 1 : as[0];
      const sb = c.shape.length === 0 ? 1 : bs[0];
      if (sa === 1 && sb === 1) this.ranges(n, 'binary_f32', (lo, len) => [code, aa + lo * 4, ba + lo * 4, ya + lo * 4, len]);
      else if (sa === 1 && sb === 0) this.scalarRun(code, aa, storageOf(b).data[b.offset], ya, n, false, true);
      else if (sa === 0 && sb === 1) this.scalarRun(code, ba, storageOf(a).data[a.offset], ya, n, true, true);
      else return false;
      return true;
    }
    if (c.shape.length === 3) return this.binaryMid(code, c.shape, c.strides, aa, ba, ya);
    if (c.shape.length !== 2) return false;
    const [rows, cols] = c.shape;
    if (os[0] !== cols || os[1] !== 1) return false;
    const full = (s: number[]) => s[0] === cols && s[1] === 1;
    let mode: number;
    let fa: number;
    let va: number;
    if (full(as) && bs[0] === 0 && bs[1] === 1) [mode, fa, va] = [0, aa, ba];
    else if (full(bs) && as[0] === 0 && as[1] === 1) [mode, fa, va] = [1, ba, aa];
    else if (full(as) && bs[0] === 1 && bs[1] === 0) [mode, fa, va] = [2, aa, ba];
    else if (full(bs) && as[0] === 1 && as[1] === 0) [mode, fa, va] = [3, ba, aa];
    else return false;
    const P = this.chunksFor(rows * cols, PARALLEL_MIN.elementwise, 4);
    const chunk = Math.ceil(rows / P);
    const parts: number[][] = [];
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const off = r0 * cols * 4;
      parts.push([code, fa + off, mode >= 2 ? va + r0 * 4 : va, ya + off, Math.min(chunk, rows - r0), cols, mode]);
    }
    this.run('binary_bcast_f32', parts);
    return true;
  }

  /**
   * A contiguous [outer, mid, inner] operand against a vector along mid (strides [0, 1, 0]): an
   * NCHW array and a per-channel vector, as a convolution's bias or batch norm's scale. False for
   * other layouts.
   */
  private binaryMid(code: number, shape: number[], strides: number[][], aa: number, ba: number, ya: number): boolean {
    const [outer, mid, inner] = shape;
    const [os, as, bs] = strides;
    const dense = (s: number[]) => s[0] === mid * inner && s[1] === inner && s[2] === 1;
    const vec = (s: number[]) => s[0] === 0 && s[1] === 1 && s[2] === 0;
    if (!dense(os)) return false;
    let mode: number;
    let full: number;
    let v: number;
    if (dense(as) && vec(bs)) [mode, full, v] = [2, aa, ba];
    else if (dense(bs) && vec(as)) [mode, full, v] = [3, ba, aa];
    else return false;
    const P = Math.min(outer, this.chunksFor(outer * mid * inner, PARALLEL_MIN.elementwise, 4));
    this.run(
      'binary_bcast_mid_f32',
      evenRanges(outer, P).map(([o0, o1]) => [code, full, v, ya, o0, o1, mid, inner, mode]),
    );
    return true;
  }

  binaryScalar(op: BinaryOp, x: View, s: number, reverse: boolean, out: View): boolean {
    const code = BINARY_CODE[op];
    if (code === undefined || x.dtype !== 'float32' || out.dtype !== 'float32' || isEmpty(out)) return false;
    const c = coalesce(out.shape, [out.strides, x.strides]);
    if (c.shape.length > 1 || c.strides.some((st) => st.length === 1 && st[0] !== 1)) return false;
    this.scalarRun(code, addr(x), s, addr(out), c.shape.length === 0 ? 1 : c.shape[0], reverse, false);
    return true;
  }

  /** A scalar that float32 holds exactly runs in float32; any other (0.1) in float64, rounding once. */
  private scalarRun(code: number, xa: number, s: number, ya: number, n: number, rev: boolean, sIsF32: boolean): void {
    const f32 = sIsF32 || Math.fround(s) === s || s !== s;
    this.ranges(n, f32 ? 'binary_scalar_f32' : 'binary_scalar_f64', (lo, len) => [code, xa + lo * 4, s, ya + lo * 4, len, rev ? 1 : 0]);
  }

  // ---------------------------------------------------------------- convolution and pooling

  /** Writes the geometry descriptor of kernels/conv.ts and returns its byte address. */
  private writeDesc(values: readonly number[]): number {
    if (values.length > DESC_INTS) throw new Error(`conv descriptor: ${values.length} values (at most ${DESC_INTS})`);
    new Int32Array(this.heap.buffer, this.desc, values.length).set(values);
    return this.desc;
  }

  /**
   * im2col (`toColumns`) or its adjoint col2im (accumulating into x) for `images` images: byte
   * addresses of the group's first channel in x and of the columns; `geom` is kernels/conv.ts'
   * conv descriptor. Images are split over the threads.
   */
  convColumns(toColumns: boolean, geom: readonly number[], x: number, col: number, images: number): void {
    const desc = this.writeDesc(geom);
    const colImage = geom[14];
    const P = Math.min(images, this.chunksFor(images * colImage, PARALLEL_MIN.elementwise, 1));
    this.run(
      toColumns ? 'im2col_f32' : 'col2im_f32',
      // im2col_f32(desc, x, col, ...) reads x; col2im_f32(desc, col, dx, ...) reads the columns.
      evenRanges(images, P).map(([n0, n1]) => (toColumns ? [desc, x, col, n0, n1] : [desc, col, x, n0, n1])),
    );
  }

  /**
   * The direct convolution of kernels/conv.ts for few taps (stride 1, no padding, one group):
   * out = conv(x, w) over `images` images, byte addresses; `geom` is its descriptor (C, H, W, KH,
   * KW, OC, OH, OW). Images are split over the threads.
   */
  convDirect(geom: readonly number[], x: number, w: number, out: number, images: number): void {
    const desc = this.writeDesc(geom);
    const [C, , , KH, KW, OC, OH, OW] = geom;
    const P = Math.min(images, this.chunksFor(images * OC * OH * OW * C * KH * KW, PARALLEL_MIN.gemmMNK, 1));
    this.run(
      'conv_direct_f32',
      evenRanges(images, P).map(([n0, n1]) => [desc, x, w, out, n0, n1]),
    );
  }

  /**
   * dw += the weight gradient of convDirect for `images` images of x and g (byte addresses):
   * each chunk of images writes its own partial block, added into dw after.
   */
  convDirectDw(geom: readonly number[], x: number, g: number, dw: number, images: number): void {
    const [C, , , KH, KW, OC, OH, OW] = geom;
    const size = OC * C * KH * KW;
    const P = Math.min(images, this.chunksFor(images * OC * OH * OW * C * KH * KW, PARALLEL_MIN.gemmMNK, 1));
    this.withScratch(P * size * 4, (part) => {
      const desc = this.writeDesc(geom);
      const chunks = evenRanges(images, P).map(([n0, n1], i) => [desc, x, g, part + i * size * 4, n0, n1]);
      this.run('conv_direct_dw_f32', chunks);
      this.addBlocks(dw, size, part, 1, size, chunks.length);
    });
  }

  /**
   * 2-D pooling (or its gradient, accumulated into dx, when `g` is given) of `planes` contiguous
   * float32 planes: byte addresses; `geom` is kernels/conv.ts' pool descriptor. Planes are split
   * over the threads.
   */
  pooling(geom: readonly number[], x: number, out: number, planes: number, g: number | null = null): void {
    const desc = this.writeDesc(geom);
    const P = Math.min(planes, this.chunksFor(planes * geom[0] * geom[1], PARALLEL_MIN.elementwise, 2));
    const ranges = evenRanges(planes, P);
    if (g === null)
      this.run(
        'pool_f32',
        ranges.map(([p0, p1]) => [desc, x, out, p0, p1]),
      );
    else
      this.run(
        'pool_grad_f32',
        ranges.map(([p0, p1]) => [desc, g, x, out, p0, p1]),
      );
  }

  // ---------------------------------------------------------------- reductions

  /** sum / max / min over contiguous float32 x when the reduced axes are a prefix or a suffix. */
  reduce(op: ReduceOp, x: View, axes: readonly number[], out: View): boolean {
    const code = REDUCE_CODE[op];
    if (code === undefined || x.dtype !== 'float32' || out.dtype !== 'float32' || isEmpty(x)) return false;
    if (!isDense(x) || !isDense(out)) return false;
    // Classify the non-unit dims as kept (K) or reduced (R); accept K*R* (rows) or R*K* (cols).
    let kept = 1;
    let red = 1;
    let pattern = '';
    x.shape.forEach((d, i) => {
      if (d === 1) return;
      const isR = axes.includes(i);
      if (isR) red *= d;
      else kept *= d;
      const t = isR ? 'R' : 'K';
      if (pattern[pattern.length - 1] !== t) pattern += t;
    });
    if (red === 1 || kept * red === 0) return false;
    const xa = addr(x);
    const oa = addr(out);
    const n = kept * red;
    if (pattern === 'R' || pattern === 'KR') {
      const P = kept > 1 ? this.chunksFor(n, PARALLEL_MIN.reduce, 4) : 1;
      const chunk = Math.ceil(kept / P);
      const parts: number[][] = [];
      for (let r0 = 0; r0 < kept; r0 += chunk) parts.push([code, xa + r0 * red * 4, oa + r0 * 4, Math.min(chunk, kept - r0), red]);
      this.run('reduce_rows_f32', parts);
      return true;
    }
    if (pattern === 'RKR' && op === 'sum') {
      // Per-channel sums of an NCHW array (a bias gradient, batch norm's statistics).
      const dims = x.shape.map((d, i) => [d, axes.includes(i) ? 1 : 0]).filter(([d]) => d !== 1);
      const k0 = dims.findIndex(([, r]) => r === 0);
      let k1 = k0;
      while (k1 < dims.length && dims[k1][1] === 0) k1++;
      const prod = (a: number[][]) => a.reduce((p, [d]) => p * d, 1);
      const outer = prod(dims.slice(0, k0));
      const inner = prod(dims.slice(k1));
      const P = Math.min(kept, this.chunksFor(n, PARALLEL_MIN.reduce, 2));
      this.run(
        'reduce_mid_sum_f32',
        evenRanges(kept, P).map(([m0, m1]) => [xa, oa, outer, kept, inner, m0, m1]),
      );
      return true;
    }
    if (pattern === 'RK') {
      if (op === 'argmax' || op === 'argmin') return false;
      const P = kept >= 16 ? this.chunksFor(n, PARALLEL_MIN.reduce, 4) : 1;
      const chunk = Math.ceil(kept / P / 8) * 8;
      const parts: number[][] = [];
      for (let c0 = 0; c0 < kept; c0 += chunk) parts.push([code, xa, oa, red, kept, c0, Math.min(kept, c0 + chunk)]);
      this.run('reduce_cols_f32', parts);
      return true;
    }
    return false;
  }
}

interface Gemm {
  M: number;
  N: number;
  K: number;
  rsa: number;
  csa: number;
  rsb: number;
  csb: number;
  ldc: number;
  /** Whether A/B were swapped to compute a column-major C as C^T = B^T A^T. */
  swap: boolean;
}

function isEmpty(v: View): boolean {
  return v.shape.some((d) => d === 0);
}

/** Row-major contiguous, ignoring the strides of unit dims. */
function isDense(v: View): boolean {
  return isContiguous(v.shape, v.strides);
}
