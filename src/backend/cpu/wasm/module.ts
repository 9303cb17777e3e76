// The Wasm SIMD kernel module: its exports, op codes (generated from kernels/codes.json) and
// compilation once per process (relaxed SIMD where the runtime has it).
import { env, nodeProcess } from '../../../core/env.js';
import { KERNELS_RELAXED_BASE64, KERNELS_SIMD_BASE64, KERNEL_FNS } from './kernels.generated.js';

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
}

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const bytes = new Uint8Array(new ArrayBuffer(s.length));
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

let compiled: CompiledKernels | null | undefined;

/** The kernel module's bytes: relaxed SIMD (FMA) where the runtime validates it, else plain SIMD; null without SIMD. */
function kernelBytes(): { bytes: Uint8Array<ArrayBuffer>; variant: KernelVariant } | null {
  if (typeof WebAssembly !== 'object') return null;
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
 * Synchronous (Node, workers); a browser page calls `ready()` first, which compiles it
 * asynchronously, since browsers may refuse large synchronous compiles on the main thread.
 */
export function compileKernels(): CompiledKernels | null {
  if (compiled !== undefined) return compiled;
  const k = kernelBytes();
  compiled = k ? { module: new WebAssembly.Module(k.bytes), variant: k.variant } : null;
  return compiled;
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
export async function compileKernelsAsync(): Promise<CompiledKernels | null> {
  if (compiled !== undefined) return compiled;
  const k = kernelBytes();
  const module = k ? await WebAssembly.compile(k.bytes) : null;
  // A synchronous compileKernels() may have run while this one awaited: keep the first module.
  if (compiled === undefined) compiled = module && k ? { module, variant: k.variant } : null;
  return compiled;
}

export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
}
