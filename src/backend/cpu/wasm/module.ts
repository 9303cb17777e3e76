// The Wasm SIMD kernel module: its exports, op codes (generated from kernels/codes.json) and
// compilation once per process (relaxed SIMD where the runtime has it).
import { env, nodeProcess } from '../../../core/env.js';
import { KERNELS_RELAXED_BASE64, KERNELS_SIMD_BASE64, KERNELS_UNSHARED_FLAG_AT, KERNEL_FNS } from './kernels.generated.js';

/** The exports of the kernel module (kernels/index.ts); pointers are byte addresses into the shared heap. */
export interface KernelExports {
  sgemm_scratch_bytes(): number;
  constants_bytes(): number;
  write_constants(p: number): void;
  sgemm(
    m: number,
    n: number,
    k: number,
    a: number,
    rsa: number,
    csa: number,
    b: number,
    rsb: number,
    csb: number,
    c: number,
    ldc: number,
    beta: number,
    scratch: number,
  ): void;
  sgemm_batch(
    list: number,
    lo: number,
    hi: number,
    m: number,
    n: number,
    k: number,
    rsa: number,
    csa: number,
    rsb: number,
    csb: number,
    ldc: number,
    beta: number,
    scratch: number,
  ): void;
  unary_f32(op: number, x: number, y: number, n: number, k: number): void;
  exp_f32(x: number, y: number, n: number, k: number): void;
  tanh_f32(x: number, y: number, n: number, k: number): void;
  sigmoid_f32(x: number, y: number, n: number, k: number): void;
  binary_f32(op: number, a: number, b: number, y: number, n: number): void;
  binary_scalar_f32(op: number, x: number, s: number, y: number, n: number, rev: number): void;
  binary_scalar_f64(op: number, x: number, s: number, y: number, n: number, rev: number): void;
  binary_bcast_f32(op: number, full: number, vec: number, y: number, rows: number, cols: number, mode: number): void;
  reduce_rows_f32(op: number, x: number, out: number, rows: number, cols: number): void;
  reduce_cols_f32(op: number, x: number, out: number, rows: number, cols: number, c0: number, c1: number): void;
  softmax_ce_f32(
    x: number,
    labels: number,
    labelF32: number,
    loss: number,
    prob: number,
    r0: number,
    r1: number,
    C: number,
    k: number,
  ): void;
  sgemm_skinny(
    i0: number,
    i1: number,
    n: number,
    k: number,
    a: number,
    rsa: number,
    csa: number,
    b: number,
    rsb: number,
    csb: number,
    c: number,
    ldc: number,
    beta: number,
    scratch: number,
  ): void;
  sgemm_skinny_scratch_bytes(k: number): number;
  gather_rows(out: number, x: number, idx: number, n: number, rowBytes: number, strideBytes: number): void;
  softmax_ce_grad_f32(prob: number, labels: number, labelF32: number, g: number, out: number, r0: number, r1: number, C: number): void;
  im2col_f32(desc: number, x: number, col: number, n0: number, n1: number): void;
  col2im_f32(desc: number, col: number, dx: number, n0: number, n1: number): void;
  pool_f32(desc: number, x: number, out: number, p0: number, p1: number): void;
  pool_grad_f32(desc: number, g: number, x: number, dx: number, p0: number, p1: number): void;
  binary_bcast_mid_f32(
    op: number,
    full: number,
    vec: number,
    y: number,
    o0: number,
    o1: number,
    mid: number,
    inner: number,
    mode: number,
  ): void;
  reduce_mid_sum_f32(x: number, out: number, outer: number, mid: number, inner: number, m0: number, m1: number): void;
  conv_direct_f32(desc: number, x: number, w: number, out: number, n0: number, n1: number): void;
  conv_direct_dw_f32(desc: number, x: number, g: number, part: number, n0: number, n1: number): void;
  unary_grad_f32(op: number, g: number, y: number, out: number, n: number): void;
  /** Channels [m0, m1): x, gamma, beta, y, mean, var addresses, then the [outer, mid, inner] geometry and eps. */
  bn_fwd_f32(...args: number[]): void;
  /** Channels [m0, m1): g, x, gamma, dx, dgamma, dbeta addresses, then the geometry and eps. */
  bn_bwd_f32(...args: number[]): void;
}

// The kernel functions by number (the worker protocol sends the number, not the name) and the op
// codes: generated from kernels/codes.json, the list the kernels' own constants come from.
export { BINARY_CODE, KERNEL_FNS, REDUCE_CODE, UNARY_CODE } from './kernels.generated.js';
export type KernelFn = (typeof KERNEL_FNS)[number];
export const FN_ID: Record<KernelFn, number> = Object.fromEntries(KERNEL_FNS.map((n, i) => [n, i])) as Record<KernelFn, number>;

export type KernelVariant = 'relaxed-simd' | 'simd';

export interface CompiledKernels {
  module: WebAssembly.Module;
  variant: KernelVariant;
  /** Whether the module imports a shared memory (see heapShared). */
  shared: boolean;
}

/**
 * Whether the CPU heap is a shared WebAssembly.Memory: everywhere SharedArrayBuffer exists, except
 * a browser context that is not cross-origin isolated (a page or worker without COOP/COEP, where
 * `crossOriginIsolated` is false and a shared memory may be refused, or cannot be posted to
 * workers anyway). There the heap is a plain memory on one thread, with the same kernels and
 * results. Node (no `crossOriginIsolated`) and isolated pages share it. `D2L_HEAP_SHARED=0`
 * forces the non-shared heap (tests of that path in Node).
 *
 * @example
 * heapShared(); // true in Node; false on a page served without COOP/COEP
 */
export function heapShared(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  if (env('D2L_HEAP_SHARED') === '0') return false;
  const g = globalThis as { crossOriginIsolated?: boolean };
  return !('crossOriginIsolated' in g) || g.crossOriginIsolated === true;
}

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const bytes = new Uint8Array(new ArrayBuffer(s.length));
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

/** Compiled modules: [0] non-shared, [1] shared memory import. */
const compiled: (CompiledKernels | null | undefined)[] = [undefined, undefined];

/**
 * The module of the build without --sharedMemory: scripts/build-wasm.mjs checked that it differs
 * from the shared build only in the memory import's limits flags at `at` (3: shared, 1: not).
 */
function unshare(bytes: Uint8Array<ArrayBuffer>, at: number, variant: KernelVariant): Uint8Array<ArrayBuffer> {
  if (bytes[at] !== 3)
    throw new Error(`wasm kernels: the ${variant} module has no shared-memory flag at byte ${at}; rebuild with npm run build:wasm`);
  bytes[at] = 1;
  return bytes;
}

/** The kernel module's bytes: relaxed SIMD (FMA) where the runtime validates it, else plain SIMD; null without SIMD. */
function kernelBytes(shared: boolean): { bytes: Uint8Array<ArrayBuffer>; variant: KernelVariant } | null {
  if (typeof WebAssembly !== 'object') return null;
  const k = kernelBytesShared();
  if (!k || shared) return k;
  return { bytes: unshare(k.bytes, KERNELS_UNSHARED_FLAG_AT[k.variant === 'simd' ? 'simd' : 'relaxed'], k.variant), variant: k.variant };
}

/** The shared-memory module (the choice of variant validates these bytes, so it is the same for both heaps). */
function kernelBytesShared(): { bytes: Uint8Array<ArrayBuffer>; variant: KernelVariant } | null {
  const simd = decode(KERNELS_SIMD_BASE64);
  if (!WebAssembly.validate(simd)) return null;
  const relaxed = decode(KERNELS_RELAXED_BASE64);
  const allowRelaxed = env('D2L_WASM_RELAXED') !== '0';
  let useRelaxed = allowRelaxed && WebAssembly.validate(relaxed);
  if (allowRelaxed && !useRelaxed) {
    const v8 = nodeProcess()?.getBuiltinModule?.('node:v8') as { setFlagsFromString(f: string): void } | undefined;
    if (v8) {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      useRelaxed = WebAssembly.validate(relaxed);
    }
  }
  return useRelaxed ? { bytes: relaxed, variant: 'relaxed-simd' } : { bytes: simd, variant: 'simd' };
}

/**
 * Compiles the kernel module once per process: the relaxed-SIMD build (FMA) where the runtime
 * validates it, else plain SIMD. Node 20 ships relaxed SIMD behind
 * `--experimental-wasm-relaxed-simd`; unless D2L_WASM_RELAXED=0, the flag is switched on at run
 * time through `v8.setFlagsFromString` (it only affects modules compiled afterwards) and the
 * module is validated before use. Returns null when the runtime has no Wasm SIMD at all.
 * `shared` picks the build importing a shared memory (the default where the heap is shared, see
 * heapShared) or the non-shared one; both are the same variant, so the results are the same.
 * Synchronous (Node, workers); a browser page calls `ready()` first, which compiles it
 * asynchronously, since browsers may refuse large synchronous compiles on the main thread.
 *
 * @example
 * const k = compileKernels(false); // the module for a non-shared WebAssembly.Memory
 * k?.shared; // false
 */
export function compileKernels(shared: boolean = heapShared()): CompiledKernels | null {
  if (typeof shared !== 'boolean') throw new TypeError(`compileKernels: shared must be a boolean (got ${typeof shared})`);
  const i = shared ? 1 : 0;
  const c = compiled[i];
  if (c !== undefined) return c;
  const k = kernelBytes(shared);
  return (compiled[i] = k ? { module: new WebAssembly.Module(k.bytes), variant: k.variant, shared } : null);
}

/**
 * Compiles the kernel module asynchronously (`WebAssembly.compile`), so that later synchronous
 * uses find it compiled; a no-op when it already is. Needed on a browser page's main thread,
 * harmless in Node.
 *
 * @example
 * await compileKernelsAsync();
 * compileKernels(); // returns the module compiled above
 */
export async function compileKernelsAsync(shared: boolean = heapShared()): Promise<CompiledKernels | null> {
  if (typeof shared !== 'boolean') throw new TypeError(`compileKernelsAsync: shared must be a boolean (got ${typeof shared})`);
  const i = shared ? 1 : 0;
  const c = compiled[i];
  if (c !== undefined) return c;
  const k = kernelBytes(shared);
  const module = k ? await WebAssembly.compile(k.bytes) : null;
  // A synchronous compileKernels() may have run while this one awaited: keep the first module.
  if (compiled[i] === undefined) compiled[i] = module && k ? { module, variant: k.variant, shared } : null;
  return compiled[i] ?? null;
}

/**
 * Instantiates the kernel module over `memory` (shared or not, as the module was compiled for:
 * the other kind is a WebAssembly.LinkError).
 *
 * @example
 * const heap = new Heap(1, false);
 * const k = instantiate(compileKernels(false)!.module, heap.memory);
 */
export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  if (!(module instanceof WebAssembly.Module) || !(memory instanceof WebAssembly.Memory))
    throw new TypeError("instantiate: expected a WebAssembly.Module (compileKernels) and the heap's WebAssembly.Memory");
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
}
