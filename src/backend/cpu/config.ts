// Which kernels the CPU backend runs and on how many threads: the modes ts/wasm/blas/auto, the Wasm
// kernels and their worker pool, BLAS GEMMs on that pool or on OpenBLAS' threads, huge pages for a
// large heap and V8's tiering. CpuBackend extends CpuKernelPaths and dispatches on what it selects.
import { ValueError } from '../../core/errors.js';
import { env } from '../../core/env.js';
import type { Heap } from './heap.js';
import { WasmKernels } from './wasm/fast.js';
import { availableCores, type NativeGemm } from './threads/pool.js';
import type { NativeExecutor } from './threads/protocol.js';
import {
  BLAS_MT_MIN_MNK,
  adviseHugePages,
  blasAddonFile,
  blasAvailable,
  blasInfo,
  loadedBlasAddon,
  nativeGemmRunner,
} from './blas/index.js';
import { tuneV8Tiering } from './v8-tiering.js';
import { elementwiseCodegen } from './codegen.js';
import { dnnlAddonFile, dnnlInfo, loadedDnnlAddon, nativeConvRunner } from './dnnl.js';

/**
 * Which CPU kernels run: the TS reference, the Wasm SIMD kernels, Wasm with GEMM on OpenBLAS
 * (the optional native addon, src/backend/cpu/blas), or the fastest available.
 */
export type CpuKernelMode = 'ts' | 'wasm' | 'blas' | 'auto';

export function parseKernelMode(v: string | undefined): CpuKernelMode {
  if (v === undefined || v === '') return 'auto';
  if (v === 'ts' || v === 'wasm' || v === 'blas' || v === 'auto') return v;
  throw new ValueError(`D2L_CPU_KERNELS must be 'ts', 'wasm', 'blas' or 'auto' (got '${v}')`);
}

/** The kernel-path state of a CPU backend over `heap`, and the public calls that select it. */
export class CpuKernelPaths {
  /** D2L_CPU_KERNELS=ts|wasm|auto and D2L_CPU_THREADS=n select the kernels (see setKernels). */
  protected kernelMode: CpuKernelMode = parseKernelMode(env('D2L_CPU_KERNELS'));
  protected threadCount = Math.max(1, Number(env('D2L_CPU_THREADS')) || availableCores());
  private wasm: WasmKernels | null | undefined;
  /** Large BLAS GEMMs split over our worker pool (true) or over OpenBLAS' own threads; D2L_BLAS_POOL=0 picks the latter. */
  private blasOnPool = env('D2L_BLAS_POOL') !== '0';

  constructor(readonly heap: Heap) {
    // Worker threads run kernels only on a shared heap: a plain one (a page without cross-origin
    // isolation, D2L_HEAP_SHARED=0) has the calling thread alone.
    if (!heap.shared) this.threadCount = 1;
    tuneV8Tiering();
    // Transparent huge pages for a heap that holds a data set (from 64 MiB), through the native
    // addon, so only where native code runs ('auto'/'blas'; the portable path is what a browser
    // gets). D2L_HUGEPAGES=0 opts out.
    this.heap.onGrow = (buffer) => {
      if (buffer.byteLength >= 64 << 20 && (this.kernelMode === 'auto' || this.kernelMode === 'blas') && env('D2L_HUGEPAGES') !== '0')
        adviseHugePages(buffer);
    };
  }

  /**
   * Selects the kernels: 'ts' forces the TypeScript reference kernels, 'wasm' the portable Wasm
   * SIMD kernels (an error where the runtime lacks Wasm SIMD), 'blas' those with GEMM on OpenBLAS
   * (an error where the addon is not loaded), 'auto' the fastest available.
   */
  setKernels(mode: CpuKernelMode): void {
    this.kernelMode = parseKernelMode(mode);
    if (this.kernelMode === 'wasm' && !this.fastKernels()) throw new ValueError('cpu kernels: this runtime has no WebAssembly SIMD');
    if (this.kernelMode === 'blas' && !blasAvailable())
      throw new ValueError(`cpu kernels: the BLAS addon is not loaded: ${blasInfo().reason}`);
  }

  /**
   * Threads for large kernels, the calling thread included (default: the available cores); always
   * 1 on a non-shared heap (see heapShared), which no worker can read.
   */
  setThreads(n: number): Promise<void> {
    this.threadCount = this.heap.shared ? Math.max(1, Math.floor(n)) : 1;
    return this.wasm ? this.wasm.setThreads(this.threadCount) : Promise.resolve();
  }

  /** The kernels in use: mode, the active path, GEMM's and convolution's, the Wasm variant and the threads. */
  kernelInfo(): {
    mode: CpuKernelMode;
    active: 'ts' | 'wasm';
    gemm: 'ts' | 'wasm' | 'blas';
    /** float32 convolution: oneDNN (the optional addon, 'auto' mode only), else the Wasm or TS kernels. */
    conv: 'ts' | 'wasm' | 'dnnl';
    gemmThreads: 'pool' | 'openblas' | 'one';
    variant: string | null;
    threads: number;
    readyWorkers: number;
    /** Whether the heap is a shared WebAssembly.Memory (false on a page without cross-origin isolation). */
    sharedHeap: boolean;
    /** How the TS elementwise kernels are built: `new Function`, or the interpreter where a CSP refuses it. */
    elementwise: 'function' | 'interpreter';
  } {
    const w = this.fastKernels();
    const blas = (this.kernelMode === 'blas' || this.kernelMode === 'auto') && blasAvailable();
    const gemmThreads = this.threadCount <= 1 ? 'one' : !blas || (this.blasOnPool && w?.splitsNativeGemm()) ? 'pool' : 'openblas';
    return {
      mode: this.kernelMode,
      active: w ? 'wasm' : 'ts',
      gemm: blas ? 'blas' : w ? 'wasm' : 'ts',
      conv: this.kernelMode === 'auto' && dnnlInfo().enabled ? 'dnnl' : w ? 'wasm' : 'ts',
      gemmThreads,
      variant: w?.variant ?? null,
      threads: this.threadCount,
      readyWorkers: w?.readyWorkers ?? 0,
      // SharedArrayBuffer is not even defined in a page without cross-origin isolation.
      elementwise: elementwiseCodegen(),
      sharedHeap: typeof SharedArrayBuffer === 'function' && this.heap.memory.buffer instanceof SharedArrayBuffer,
    };
  }

  /** Starts the kernel worker threads now and waits until they take work; returns how many did. */
  startThreads(timeoutMs = 5000): number {
    return this.fastKernels()?.startThreads(timeoutMs) ?? 0;
  }

  /**
   * Starts the kernel worker threads and waits, without blocking, until they take work; returns
   * how many did (what `ready()` does in a browser worker, where they start only meanwhile).
   */
  startThreadsAsync(timeoutMs = 5000): Promise<number> {
    return this.fastKernels()?.startThreadsAsync(timeoutMs) ?? Promise.resolve(0);
  }

  /** Stops the kernel worker threads (they restart at the next large kernel). */
  shutdownThreads(): Promise<void> {
    return this.wasm ? this.wasm.setThreads(this.threadCount) : Promise.resolve();
  }

  /** The Wasm kernels when they are selected and available, else null (TS reference). */
  fastKernels(): WasmKernels | null {
    if (this.kernelMode === 'ts') return null;
    if (this.wasm === undefined)
      this.wasm = WasmKernels.create(
        this.heap,
        this.threadCount,
        () => this.nativeGemm(),
        () => this.nativeConv(),
      );
    return this.wasm;
  }

  /**
   * Where large BLAS products are split: over our worker pool, each thread running single-threaded
   * OpenBLAS on its block (the default: one set of threads owns the cores, docs/PERF-blas.md), or
   * (false) over OpenBLAS' own threads. `nd`'s tests use it to cover both.
   *
   * @example
   * getCpuBackend().setBlasOnPool(false);
   * getCpuBackend().kernelInfo().gemmThreads; // 'openblas' (with the addon and 2+ threads)
   */
  setBlasOnPool(on: boolean): void {
    this.blasOnPool = on;
  }

  /** Where the next large BLAS product's chunks run: our pool's executor, or null (OpenBLAS' threads or one thread). */
  protected blasExecutor(): NativeExecutor | null {
    return this.blasOnPool && this.threadCount > 1 ? (this.fastKernels()?.nativeExecutor(BLAS_MT_MIN_MNK) ?? null) : null;
  }

  /**
   * The oneDNN addon for the kernel pool's threads, when convolutions may run on it ('auto'
   * kernels and the addon loadable, whatever setDnnlMode says later: a pool is made once).
   */
  private nativeConv(): NativeGemm | null {
    if (this.kernelMode !== 'auto') return null;
    const file = dnnlAddonFile();
    const a = loadedDnnlAddon();
    return file && a ? { file, runLocal: nativeConvRunner(a, this.heap.memory) } : null;
  }

  /** The BLAS addon for the kernel pool's threads, when GEMM may run on it. */
  private nativeGemm(): NativeGemm | null {
    if (this.kernelMode !== 'auto' && this.kernelMode !== 'blas') return null;
    const file = blasAddonFile();
    const a = loadedBlasAddon();
    return file && a ? { file, runLocal: nativeGemmRunner(a, this.heap.memory) } : null;
  }
}
