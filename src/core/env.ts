/**
 * The one table of d2l-ts's environment settings (`D2L_*`) and the one place that reads them.
 * Works in Node and in a browser (where no variable is ever set and every default applies).
 */

/** Node's `process` as far as d2l-ts uses it (undefined in browsers). */
export interface NodeProcess {
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
  once?: (event: string, fn: () => void) => void;
  off?: (event: string, fn: () => void) => void;
}

/**
 * Node's `process` when running in Node (undefined in browsers).
 *
 * @example
 * nodeProcess()?.versions?.node; // '20.20.2' in Node, undefined in a browser
 */
export function nodeProcess(): NodeProcess | undefined {
  return (globalThis as { process?: NodeProcess }).process;
}

/**
 * Every setting d2l-ts reads at run time, with what it does. Scripts and benchmarks have their own
 * (`scripts/build-blas.mjs`, `bench/`), documented where they are read.
 */
export const SETTINGS = {
  D2L_CPU_KERNELS:
    "CPU kernels: 'ts' (reference), 'wasm' (portable SIMD), 'blas' (Wasm + OpenBLAS GEMM) or 'auto' (default: the fastest available)",
  D2L_CPU_THREADS: 'threads for large CPU kernels, the calling thread included (default: the available cores)',
  D2L_CPU_SPIN_MS: 'how long kernel workers spin for the next job before sleeping, in ms (default 1)',
  D2L_CPU_HOT_SPLIT: "'0': never split small kernels over threads while the workers are awake",
  D2L_CONV_DIRECT:
    "'0': convolutions with few taps (C*KH*KW <= 32, stride 1, no padding) use im2col + GEMM instead of the direct Wasm kernels",
  D2L_CPU_HOT_DIVISOR: 'while the workers are awake, split kernels down to 1/n of their threshold (default 16)',
  D2L_CPU_NARROW_SPLIT: "'0': never split narrow-C GEMMs (n <= 16) while the workers are awake",
  D2L_CPU_EVICT_BYTES:
    'bytes allocated between two passes that move arrays only the garbage collector holds out of the CPU heap (default 1 MiB; 0: never)',
  D2L_GPU_EVICT: "'0': keep WebGPU arrays only the garbage collector holds on the GPU (default: they move to the host at reads)",
  D2L_CPU_CODEGEN: "'interpret': build the TS elementwise kernels without new Function (what a page whose CSP lacks 'unsafe-eval' gets)",
  D2L_HEAP_SHARED: "'0': the CPU heap is a non-shared WebAssembly.Memory on one thread (what a page without cross-origin isolation gets)",
  D2L_WASM_RELAXED: "'0': use the plain SIMD build even where relaxed SIMD (FMA) is available",
  D2L_BLAS: "'0': do not load the OpenBLAS addon",
  D2L_BLAS_ADDON: 'the path of the OpenBLAS addon (default: build/Release/ in the package)',
  D2L_DNNL:
    "float32 convolutions on oneDNN (the optional addon) when D2L_CPU_KERNELS=auto: 'auto' (default: when the addon is loaded), '1' (an error when it is not), '0' (never load it)",
  D2L_DNNL_ADDON: 'the path of the oneDNN addon (default: build/Release/ in the package)',
  D2L_DNNL_LAYOUT:
    "'auto' (default: per convolution), 'plain': oneDNN computes on the NCHW/OIHW tensors in place, 'any': in blocked layouts it picks, with reorders from and to them on each call",
  D2L_MPI: "'0': do not load the Open MPI addon (kv.create('dist_sync') then fails)",
  D2L_MPI_ADDON: 'the path of the Open MPI addon (default: build/Release/ in the package)',
  D2L_DIST_TIMEOUT:
    'seconds a dist_sync collective may wait for the other processes before the job is aborted with MPI_Abort (default 120; 0: forever)',
  D2L_BLAS_POOL: "'0': large BLAS products run on OpenBLAS' own threads instead of d2l-ts's worker pool",
  D2L_BLAS_MT_MIN: 'm·n·k from which a BLAS product is split over threads (default 192³)',
  D2L_HUGEPAGES: "'0': no transparent huge pages for a large CPU heap",
  D2L_V8_TIERING: "'0': leave V8's tiering flags alone (default: a lower interrupt budget)",
  D2L_V8_INTERRUPT_BUDGET: "V8's interrupt budget when tiering is tuned (default 8000)",
  D2L_WEBGPU_DUMP: 'any value: print each WGSL kernel as it is compiled',
  D2L_DAWN_NODE: 'the path of a dawn.node to use instead of the optional `webgpu` package',
  D2L_DAWN_FLAGS: "Dawn's toggles: comma-separated groups separated by ';'",
  D2L_DATA_DIR: 'a folder to find data sets in, after an explicit dataDir/--data-dir (the resolver reads it)',
} as const;

/** The name of a documented setting. */
export type SettingName = keyof typeof SETTINGS;

/**
 * The value of a documented setting, or undefined where it is unset (always in a browser).
 *
 * @example
 * env('D2L_CPU_KERNELS'); // 'wasm' after `D2L_CPU_KERNELS=wasm node train.mjs`
 */
export function env(name: SettingName): string | undefined {
  return nodeProcess()?.env?.[name];
}
