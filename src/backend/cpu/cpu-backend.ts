import type { DType, TypedArray } from '../../core/dtype.js';
import { bytesPerElement, typedArrayCtor } from '../../core/dtype.js';
import { sizeOf, contiguousStrides, coalesce, isContiguous } from '../../core/shape.js';
import { IndexError, ValueError } from '../../core/errors.js';
import type { Backend, BinaryOp, Conv2dParams, Pool2dParams, ReduceOp, Storage, UnaryOp, View } from '../backend.js';
import { Heap } from './heap.js';
import { arrayTypeCode, mapKernel, type Arr } from './codegen.js';
import { BINARY_EXPR, UNARY_EXPR } from './exprs.js';
import { matmulRef } from './matmul.js';
import { forEachIndex } from './iter.js';
import { conv2dRef, conv2dGradRef, pool2dRef, pool2dGradRef } from './conv.js';
import { WasmKernels } from './wasm/fast.js';
import { env } from '../../core/env.js';
import { tuneV8Tiering } from './v8-tiering.js';
import { availableCores, type NativeGemm } from './threads/pool.js';
import { BLAS_MIN_MNK, BLAS_MT_MIN_MNK, adviseHugePages, blasAddonFile, blasAvailable, blasInfo, blasMatmul, loadedBlasAddon, nativeGemmRunner } from './blas/index.js';

/**
 * Which CPU kernels run: the TS reference, the Wasm SIMD kernels, Wasm with GEMM on OpenBLAS
 * (the optional native addon, src/backend/cpu/blas), or the fastest available.
 */
export type CpuKernelMode = 'ts' | 'wasm' | 'blas' | 'auto';

/** A CPU storage: a block of the shared heap. */
export class CpuStorage implements Storage {
  version = 0;
  refs = 1;
  private cached: TypedArray | undefined;
  constructor(
    readonly backend: CpuBackend,
    readonly dtype: DType,
    readonly size: number,
    readonly ptr: number,
  ) {}
  /** A typed array over exactly this block; shared memory never detaches, so it can be cached. */
  get data(): TypedArray {
    if (!this.cached) {
      const C = typedArrayCtor(this.dtype);
      this.cached = new C(this.backend.heap.buffer as ArrayBuffer, this.ptr, this.size);
    }
    return this.cached;
  }
}

const ACC: Partial<Record<ReduceOp, { init: number; expr: string }>> = {
  sum: { init: 0, expr: 'o + a' },
  prod: { init: 1, expr: 'o * a' },
  max: { init: -Infinity, expr: '(a > o || a !== a) ? a : o' },
  min: { init: Infinity, expr: '(a < o || a !== a) ? a : o' },
};

/** rows(dst, src, idx, n, rowBytes, strideBytes): row j of dst = the row at src + idx[j]·stride (byte addresses). */
type RowGather = (dst: number, src: number, idx: number, n: number, rowBytes: number, strideBytes: number) => void;

/**
 * A 112-byte Wasm module importing the heap's memory, with one function `rows` that gathers rows
 * by int32 indices with `memory.copy` (a plain memmove, about twice as fast as copyWithin on a
 * shared buffer). Its text form:
 *
 *   (func (export "rows") (param $dst $src $idx $n $rowBytes $stride i32) (local $j i32)
 *     (block (loop
 *       (br_if 1 (i32.ge_u (local.get $j) (local.get $n)))
 *       (memory.copy (i32.add (local.get $dst) (i32.mul (local.get $j) (local.get $rowBytes)))
 *                    (i32.add (local.get $src) (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $j) (i32.const 2)))) (local.get $stride)))
 *                    (local.get $rowBytes))
 *       (local.set $j (i32.add (local.get $j) (i32.const 1)))
 *       (br 0))))
 */
const ROW_GATHER_WASM = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0,
  1, 10, 1, 96, 6, 127, 127, 127, 127, 127, 127, 0,
  2, 15, 1, 3, 101, 110, 118, 3, 109, 101, 109, 2, 3, 1, 128, 128, 4,
  3, 2, 1, 0,
  7, 8, 1, 4, 114, 111, 119, 115, 0, 0,
  10, 59, 1, 57, 1, 1, 127, 2, 64, 3, 64, 32, 6, 32, 3, 79, 13, 1, 32, 0, 32, 6, 32, 4, 108, 106, 32, 1, 32, 2, 32, 6, 65, 2,
  116, 106, 40, 2, 0, 32, 5, 108, 106, 32, 4, 252, 10, 0, 0, 32, 6, 65, 1, 106, 33, 6, 12, 0, 11, 11, 11,
]);

/** 2^(-i/32) for i = 0..5120 (the range of expNonPositive). */
const EXP2_NEG32 = (() => {
  const t = new Float64Array(5121);
  for (let i = 0; i <= 5120; i++) t[i] = 2 ** (-i / 32);
  return t;
})();

/**
 * exp(x) for x <= 0 (and NaN) in float64, relative error below 3e-15: x = k·ln2/32 + r with
 * |r| <= ln2/64, 2^(k/32) from a table and a degree-5 polynomial for exp(r). Twice as fast as
 * Math.exp; used where the result is stored in float32. Below -110 the value cannot reach a
 * float32 (nor change a sum that holds exp(0) = 1) and is 0.
 */
function expNonPositive(x: number): number {
  if (!(x > -110)) return x !== x ? x : 0;
  const k = Math.round(x * 46.16624130844683); // 32 / ln 2
  // ln2/32 split in two so that k·hi is exact (fdlibm's ln2_hi, ln2_lo over 32)
  const r = x - k * 0.02166084938653512 - k * 5.9631716539705866e-12;
  return EXP2_NEG32[-k] * (1 + r * (1 + r * (0.5 + r * (0.16666666666666666 + r * (0.041666666666666664 + r * 0.008333333333333333)))));
}

/** Softmax cross-entropy fuses in TS up to this many elements (beyond, the SIMD kernels win). */
const SCE_FUSED_MAX = 1 << 16;

function isFloatDType(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

function arr(v: View): Arr {
  return (v.storage as CpuStorage).data;
}

/**
 * The reference backend: TypeScript kernels over the shared heap. Every other backend is tested
 * against it. Faster kernels (Wasm SIMD, BLAS) replace its methods one by one behind the same
 * interface.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly heap = new Heap();
  private storages = 0;
  /** D2L_CPU_KERNELS=ts|wasm|auto and D2L_CPU_THREADS=n select the kernels (see setKernels). */
  private kernelMode: CpuKernelMode = parseKernelMode(env('D2L_CPU_KERNELS'));
  private threadCount = Math.max(1, Number(env('D2L_CPU_THREADS')) || availableCores());
  private wasm: WasmKernels | null | undefined;
  /** Large BLAS GEMMs split over our worker pool (true) or over OpenBLAS' own threads; D2L_BLAS_POOL=0 picks the latter. */
  private blasOnPool = env('D2L_BLAS_POOL') !== '0';

  constructor() {
    tuneV8Tiering();
    // Transparent huge pages for a heap that holds a data set (from 64 MiB), through the native
    // addon, so only where native code runs ('auto'/'blas'; the portable path is what a browser
    // gets). D2L_HUGEPAGES=0 opts out.
    this.heap.onGrow = (buffer) => {
      if (buffer.byteLength >= 64 << 20 && (this.kernelMode === 'auto' || this.kernelMode === 'blas') && env('D2L_HUGEPAGES') !== '0') adviseHugePages(buffer);
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
    if (this.kernelMode === 'blas' && !blasAvailable()) throw new ValueError(`cpu kernels: the BLAS addon is not loaded: ${blasInfo().reason}`);
  }

  /** Threads for large kernels, the calling thread included (default: the available cores). */
  setThreads(n: number): Promise<void> {
    this.threadCount = Math.max(1, Math.floor(n));
    return this.wasm ? this.wasm.setThreads(this.threadCount) : Promise.resolve();
  }

  /** The kernels in use: mode, the active path, the Wasm variant and the threads. */
  kernelInfo(): { mode: CpuKernelMode; active: 'ts' | 'wasm'; gemm: 'ts' | 'wasm' | 'blas'; gemmThreads: 'pool' | 'openblas' | 'one'; variant: string | null; threads: number; readyWorkers: number } {
    const w = this.fastKernels();
    const blas = (this.kernelMode === 'blas' || this.kernelMode === 'auto') && blasAvailable();
    const gemmThreads = this.threadCount <= 1 ? 'one' : !blas || (this.blasOnPool && w?.splitsNativeGemm()) ? 'pool' : 'openblas';
    return { mode: this.kernelMode, active: w ? 'wasm' : 'ts', gemm: blas ? 'blas' : w ? 'wasm' : 'ts', gemmThreads, variant: w?.variant ?? null, threads: this.threadCount, readyWorkers: w?.readyWorkers ?? 0 };
  }

  /** Starts the kernel worker threads now and waits until they take work; returns how many did. */
  startThreads(timeoutMs = 5000): number {
    return this.fastKernels()?.startThreads(timeoutMs) ?? 0;
  }

  /** Stops the kernel worker threads (they restart at the next large kernel). */
  shutdownThreads(): Promise<void> {
    return this.wasm ? this.wasm.setThreads(this.threadCount) : Promise.resolve();
  }

  /** The Wasm kernels when they are selected and available, else null (TS reference). */
  fastKernels(): WasmKernels | null {
    if (this.kernelMode === 'ts') return null;
    if (this.wasm === undefined) this.wasm = WasmKernels.create(this.heap, this.threadCount, () => this.nativeGemm());
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
  private blasExecutor() {
    return this.blasOnPool && this.threadCount > 1 ? (this.fastKernels()?.nativeExecutor(BLAS_MT_MIN_MNK) ?? null) : null;
  }

  /** The BLAS addon for the kernel pool's threads, when GEMM may run on it. */
  private nativeGemm(): NativeGemm | null {
    if (this.kernelMode !== 'auto' && this.kernelMode !== 'blas') return null;
    const file = blasAddonFile();
    const a = loadedBlasAddon();
    return file && a ? { file, runLocal: nativeGemmRunner(a, this.heap.memory) } : null;
  }

  supportsDType(): boolean {
    return true;
  }

  alloc(dtype: DType, size: number): CpuStorage {
    const bytes = size * bytesPerElement(dtype);
    const ptr = bytes === 0 ? 0 : this.heap.alloc(bytes);
    this.storages++;
    return new CpuStorage(this, dtype, size, ptr);
  }

  free(s: Storage): void {
    const c = s as CpuStorage;
    const bytes = c.size * bytesPerElement(c.dtype);
    if (bytes > 0) this.heap.free(c.ptr, bytes);
    this.storages--;
  }

  memory() {
    return { storages: this.storages, bytes: this.heap.liveBytes, reservedBytes: this.heap.reservedBytes };
  }

  write(dst: View, data: TypedArray): void {
    // A contiguous destination is one typed-array copy.
    if (isDense(dst)) {
      const n = sizeOf(dst.shape);
      const D = (dst.storage as CpuStorage).data;
      if (n > 0) D.set(data.length === n ? data : data.subarray(0, n), dst.offset);
      return;
    }
    this.map('a', dst, [{ arr: data, offset: 0, strides: contiguousStrides(dst.shape) }], 0);
  }

  readSync(src: View): TypedArray {
    // A contiguous source is one copy out of the shared heap (slice gives a non-shared array).
    if (isDense(src)) {
      const n = sizeOf(src.shape);
      return (src.storage as CpuStorage).data.slice(src.offset, src.offset + n);
    }
    const C = typedArrayCtor(src.dtype);
    const out = new C(sizeOf(src.shape));
    this.map('a', { arr: out, offset: 0, strides: contiguousStrides(src.shape), shape: src.shape }, [viewArg(src)], 0);
    return out;
  }

  async read(src: View): Promise<TypedArray> {
    return this.readSync(src);
  }

  fill(out: View, value: number): void {
    if (isDense(out)) {
      const v = out.dtype === 'bool' ? (value !== 0 ? 1 : 0) : value;
      (out.storage as CpuStorage).data.fill(v, out.offset, out.offset + sizeOf(out.shape));
      return;
    }
    this.map(castExpr(out.dtype, 's'), out, [], value);
  }

  copy(x: View, out: View): void {
    // Same dtype, both contiguous: one typed-array copy.
    if (x.dtype === out.dtype && isDense(x) && isDense(out)) {
      const n = sizeOf(out.shape);
      if (n > 0) (out.storage as CpuStorage).data.set((x.storage as CpuStorage).data.subarray(x.offset, x.offset + n), out.offset);
      return;
    }
    this.map(castExpr(out.dtype, 'a'), out, [viewArg(x)], 0);
  }

  unary(op: UnaryOp, x: View, out: View): void {
    if (this.fastKernels()?.unary(op, x, out)) return;
    this.map(castExpr(out.dtype, UNARY_EXPR[op]), out, [viewArg(x)], 0);
  }

  binary(op: BinaryOp, a: View, b: View, out: View): void {
    if (this.fastKernels()?.binary(op, a, b, out)) return;
    this.map(castExpr(out.dtype, BINARY_EXPR[op]), out, [viewArg(a), viewArg(b)], 0);
  }

  binaryScalar(op: BinaryOp, x: View, s: number, reverse: boolean, out: View): void {
    if (this.fastKernels()?.binaryScalar(op, x, s, reverse, out)) return;
    this.map(castExpr(out.dtype, scalarExpr(op, reverse)), out, [viewArg(x)], s);
  }

  where(cond: View, a: View, b: View, out: View): void {
    this.map(castExpr(out.dtype, 'a !== 0 ? b : c'), out, [viewArg(cond), viewArg(a), viewArg(b)], 0);
  }

  reduce(op: ReduceOp, x: View, axes: readonly number[], out: View): void {
    if (this.fastKernels()?.reduce(op, x, axes, out)) return;
    const n = sizeOf(x.shape);
    const acc = ACC[op];
    if (acc) {
      // Accumulate in float64 over x in memory order, with out's strides zeroed on reduced axes.
      const outSize = sizeOf(out.shape);
      const tmp = new Float64Array(outSize).fill(acc.init);
      const tmpStrides = expandStrides(x.shape, axes, contiguousStrides(out.shape));
      if (n > 0) this.map(acc.expr, { arr: tmp, offset: 0, strides: tmpStrides, shape: x.shape }, [viewArg(x)], 0);
      this.map(castExpr(out.dtype, 'a'), out, [{ arr: tmp, offset: 0, strides: contiguousStrides(out.shape) }], 0);
      return;
    }
    // argmax / argmin over one axis (the op layer flattens for axis=None).
    const axis = axes[0];
    const X = arr(x);
    const O = arr(out);
    const len = x.shape[axis];
    const xs = x.strides[axis];
    const outerShape = x.shape.filter((_, i) => i !== axis);
    const outerStrides = x.strides.filter((_, i) => i !== axis);
    // The first NaN wins, as in numpy; otherwise the first extreme value.
    const one =
      op === 'argmax'
        ? (px: number): number => {
            let best = X[px];
            if (best !== best) return 0;
            let bi = 0;
            for (let i = 1; i < len; i++) {
              const v = X[px + i * xs];
              if (v > best || v !== v) {
                if (v !== v) return i;
                best = v;
                bi = i;
              }
            }
            return bi;
          }
        : (px: number): number => {
            let best = X[px];
            if (best !== best) return 0;
            let bi = 0;
            for (let i = 1; i < len; i++) {
              const v = X[px + i * xs];
              if (v < best || v !== v) {
                if (v !== v) return i;
                best = v;
                bi = i;
              }
            }
            return bi;
          };
    // One outer axis (rows of a matrix): a plain loop instead of the generic index walk.
    if (outerShape.length <= 1) {
      const n = outerShape.length === 0 ? 1 : outerShape[0];
      const sx = outerShape.length === 0 ? 0 : outerStrides[0];
      const so = outerShape.length === 0 ? 0 : out.strides[0];
      for (let r = 0; r < n; r++) O[out.offset + r * so] = one(x.offset + r * sx);
      return;
    }
    forEachIndex(outerShape, [outerStrides, out.strides], [x.offset, out.offset], (px, po) => {
      O[po] = one(px);
    });
  }

  matmul(x: View, y: View, out: View): void {
    // float32/float64 GEMM on OpenBLAS: always when forced ('blas'), when worth a native call in 'auto'.
    const km = this.kernelMode;
    if (km === 'blas' || km === 'auto') {
      if (blasMatmul(this.heap.buffer, x, y, out, this.threadCount, km === 'auto' ? BLAS_MIN_MNK : 0, this.blasExecutor())) return;
      if (km === 'blas' && !blasAvailable()) throw new ValueError(`D2L_CPU_KERNELS=blas: the BLAS addon is not loaded: ${blasInfo().reason}`);
    }
    if (this.fastKernels()?.matmul(x, y, out)) return;
    matmulRef(arr(x), x, arr(y), y, arr(out), out);
  }

  /** out += x · y on OpenBLAS or the Wasm GEMM (beta = 1); false on the TS reference path. */
  matmulAdd(x: View, y: View, out: View): boolean {
    const km = this.kernelMode;
    if (km === 'ts') return false;
    // A broadcast batch in out would add one product into the same block twice.
    for (let d = 0; d < out.shape.length - 2; d++) if (out.strides[d] === 0 && out.shape[d] > 1) return false;
    if (km === 'blas' || km === 'auto') {
      if (blasMatmul(this.heap.buffer, x, y, out, this.threadCount, km === 'auto' ? BLAS_MIN_MNK : 0, this.blasExecutor(), 1)) return true;
    }
    return this.fastKernels()?.matmul(x, y, out, 1) ?? false;
  }

  take(x: View, idx: View, axis: number, out: View): void {
    if (axis === 0 && this.takeRows(x, idx, out)) return;
    const { pre, len, post } = splitAt(x.shape, axis);
    const I = this.readSync(idx);
    const X = arr(x);
    const O = arr(out);
    checkIndices(I, len, 'take');
    const preS = x.strides.slice(0, axis);
    const postShape = x.shape.slice(axis + 1);
    const postS = x.strides.slice(axis + 1);
    const ni = I.length;
    const oStr = out.strides;
    const oPre = oStr.slice(0, axis);
    const oIdx = oStr.slice(axis, axis + idx.shape.length);
    const oPost = oStr.slice(axis + idx.shape.length);
    const idxShape = idx.shape;
    void post;
    // Fast path (row gather, e.g. a DataLoader batch): each taken block is contiguous in x and in
    // out, so it is one typed-array copy instead of a callback per element.
    const postSize = sizeOf(postShape);
    const cPost = contiguousStrides(postShape);
    const blockContig = postShape.every((d, i) => d === 1 || (postS[i] === cPost[i] && oPost[i] === cPost[i]));
    if (blockContig && postSize > 1) {
      const xa = x.strides[axis];
      forEachIndex(pre, [preS, oPre], [x.offset, out.offset], (px, po) => {
        for (let j = 0; j < ni; j++) {
          const src = px + I[j] * xa;
          (O as TypedArray).set((X as TypedArray).subarray(src, src + postSize), po + flatToOffset(j, idxShape, oIdx));
        }
      });
      return;
    }
    forEachIndex(pre, [preS, oPre], [x.offset, out.offset], (px, po) => {
      for (let j = 0; j < ni; j++) {
        const src = px + I[j] * x.strides[axis];
        const dst = po + flatToOffset(j, idxShape, oIdx);
        forEachIndex(postShape, [postS, oPost], [src, dst], (a, b) => {
          O[b] = X[a];
        });
      }
    });
  }

  /**
   * take along axis 0 (a batch of rows: a DataLoader batch, an embedding lookup) with contiguous
   * indices, rows and output: each row is one memmove inside the heap, each element of a 1-D x
   * one load. False for other layouts.
   */
  private takeRows(x: View, idx: View, out: View): boolean {
    if (!isDense(idx) || !isDense(out) || x.shape.length === 0) return false;
    const len = x.shape[0];
    let rowSize = 1;
    let acc = 1;
    for (let d = x.shape.length - 1; d >= 1; d--) {
      if (x.shape[d] !== 1 && x.strides[d] !== acc) return false;
      acc *= x.shape[d];
      rowSize *= x.shape[d];
    }
    const I = arr(idx);
    const io = idx.offset;
    const ni = sizeOf(idx.shape);
    for (let j = 0; j < ni; j++) {
      const k = I[io + j];
      if (!(k >= 0 && k < len && Number.isInteger(k)))
        throw new IndexError(`take: index ${k} is out of range for an axis of size ${len} (valid integers: 0..${len - 1})`);
    }
    if (ni === 0 || rowSize === 0) return true;
    const xs = x.strides[0];
    const X = arr(x);
    const O = arr(out);
    if (rowSize === 1) {
      for (let j = 0, xo = x.offset, oo = out.offset; j < ni; j++) O[oo + j] = X[xo + I[io + j] * xs];
      return true;
    }
    if (x.dtype !== out.dtype) return false;
    const bpe = bytesPerElement(x.dtype);
    const xBase = (x.storage as CpuStorage).ptr + x.offset * bpe;
    const oBase = (out.storage as CpuStorage).ptr + out.offset * bpe;
    const rowBytes = rowSize * bpe;
    const idxPtr = (idx.storage as CpuStorage).ptr + io * 4;
    // A large gather (a minibatch of images) is split over the kernel threads when they are awake.
    if (idx.dtype === 'int32' && this.fastKernels()?.gatherRows(oBase, xBase, idxPtr, ni, rowBytes, xs * bpe)) return true;
    const gather = idx.dtype === 'int32' ? this.rowGather() : null;
    if (gather) {
      gather(oBase, xBase, idxPtr, ni, rowBytes, xs * bpe);
      return true;
    }
    const U8 = this.heapBytes();
    for (let j = 0, dst = oBase; j < ni; j++, dst += rowBytes) {
      const src = xBase + I[io + j] * xs * bpe;
      U8.copyWithin(dst, src, src + rowBytes);
    }
    return true;
  }

  private heapU8: Uint8Array | null = null;
  /** A byte view of the whole heap (renewed when the heap grows). */
  private heapBytes(): Uint8Array {
    const buf = this.heap.buffer;
    if (!this.heapU8 || this.heapU8.buffer !== buf) this.heapU8 = new Uint8Array(buf as ArrayBuffer);
    return this.heapU8;
  }

  private gatherFn: RowGather | null | undefined;
  /** The row-gather Wasm function over the heap (null where it cannot be instantiated). */
  private rowGather(): RowGather | null {
    if (this.gatherFn === undefined) {
      try {
        const inst = new WebAssembly.Instance(new WebAssembly.Module(ROW_GATHER_WASM), { env: { mem: this.heap.memory } });
        this.gatherFn = inst.exports.rows as RowGather;
      } catch {
        this.gatherFn = null;
      }
    }
    return this.gatherFn;
  }

  takeGrad(src: View, idx: View, axis: number, out: View): void {
    const { pre, len } = splitAt(out.shape, axis);
    const I = this.readSync(idx);
    checkIndices(I, len, 'take (gradient)');
    const S = arr(src);
    const O = arr(out);
    const postShape = out.shape.slice(axis + 1);
    const oPre = out.strides.slice(0, axis);
    const oPost = out.strides.slice(axis + 1);
    const sPre = src.strides.slice(0, axis);
    const sIdx = src.strides.slice(axis, axis + idx.shape.length);
    const sPost = src.strides.slice(axis + idx.shape.length);
    // Fast path (an embedding's gradient): the scattered blocks are rows (one trailing axis, any
    // strides), so each is one tight accumulation loop instead of a callback per element.
    if (postShape.length === 1 && postShape[0] > 1) {
      const oa = out.strides[axis];
      const n = postShape[0];
      const os = oPost[0];
      const ss = sPost[0];
      forEachIndex(pre, [oPre, sPre], [out.offset, src.offset], (po, ps) => {
        for (let j = 0; j < I.length; j++) {
          const dst = po + I[j] * oa;
          const s0 = ps + flatToOffset(j, idx.shape, sIdx);
          if (os === 1 && ss === 1) for (let e = 0; e < n; e++) O[dst + e] += S[s0 + e];
          else for (let e = 0; e < n; e++) O[dst + e * os] += S[s0 + e * ss];
        }
      });
      return;
    }
    forEachIndex(pre, [oPre, sPre], [out.offset, src.offset], (po, ps) => {
      for (let j = 0; j < I.length; j++) {
        const dst = po + I[j] * out.strides[axis];
        const s0 = ps + flatToOffset(j, idx.shape, sIdx);
        forEachIndex(postShape, [oPost, sPost], [dst, s0], (a, b) => {
          O[a] += S[b];
        });
      }
    });
  }

  pick(x: View, idx: View, axis: number, out: View): void {
    const X = arr(x);
    const O = arr(out);
    const I = arr(idx);
    const len = x.shape[axis];
    const restShape = x.shape.filter((_, i) => i !== axis);
    const xRest = x.strides.filter((_, i) => i !== axis);
    forEachIndex(restShape, [xRest, idx.strides, out.strides], [x.offset, idx.offset, out.offset], (px, pi, po) => {
      const k = I[pi];
      if (!(k >= 0 && k < len && Number.isInteger(k)))
        throw new IndexError(`pick: index ${k} is out of range for axis ${axis} of size ${len}`);
      O[po] = X[px + k * x.strides[axis]];
    });
  }

  pickGrad(src: View, idx: View, axis: number, out: View): void {
    const S = arr(src);
    const O = arr(out);
    const I = arr(idx);
    const len = out.shape[axis];
    const restShape = out.shape.filter((_, i) => i !== axis);
    const oRest = out.strides.filter((_, i) => i !== axis);
    forEachIndex(restShape, [oRest, idx.strides, src.strides], [out.offset, idx.offset, src.offset], (po, pi, ps) => {
      const k = I[pi];
      if (!(k >= 0 && k < len)) throw new IndexError(`pick (gradient): index ${k} is out of range for axis ${axis} of size ${len}`);
      O[po + k * out.strides[axis]] += S[ps];
    });
  }

  oneHot(idx: View, depth: number, on: number, off: number, out: View): void {
    this.fill(out, off);
    const I = arr(idx);
    const O = arr(out);
    const last = out.strides[out.shape.length - 1];
    forEachIndex(idx.shape, [idx.strides, out.strides.slice(0, -1)], [idx.offset, out.offset], (pi, po) => {
      const k = I[pi];
      // MXNet leaves rows of out-of-range indices all `off`.
      if (k >= 0 && k < depth) O[po + Math.trunc(k) * last] = on;
    });
  }

  /**
   * Fused softmax cross-entropy over [rows, C] (see Backend.softmaxCrossEntropy): one pass per row
   * in float64 (max, Σ exp, log), instead of eight kernels and their temporaries. float32 runs in
   * the Wasm kernel (rows split over the threads) at any size; the TS loop takes small class
   * counts only, and wider rows without the Wasm kernels go to the composed path.
   */
  softmaxCrossEntropy(pred: View, label: View, loss: View, prob: View | null): boolean {
    if (!isFloatDType(pred.dtype) || loss.dtype !== pred.dtype || (prob && prob.dtype !== pred.dtype)) return false;
    if (pred.shape.length !== 2 || label.shape.length !== 1 || loss.shape.length !== 1) return false;
    const [rows, C] = pred.shape;
    if (C === 0 || pred.strides[1] !== 1 || (rows > 1 && pred.strides[0] !== C)) return false;
    if (prob && (prob.strides[1] !== 1 || (rows > 1 && prob.strides[0] !== C))) return false;
    const wasm = this.fastKernels();
    if (!wasm && rows * C > SCE_FUSED_MAX) return false;
    const L = arr(label);
    const O = arr(loss);
    const P = prob ? arr(prob) : null;
    const ls = label.strides[0];
    const os = loss.strides[0];
    for (let r = 0; r < rows; r++) {
      const k = L[label.offset + r * ls];
      if (!(k >= 0 && k < C && Number.isInteger(k))) throw new IndexError(`pick: index ${k} is out of range for axis 1 of size ${C}`);
    }
    if (wasm?.softmaxCrossEntropy(pred, label, loss, prob)) return true;
    if (rows * C > SCE_FUSED_MAX) return false;
    const X = arr(pred);
    const e = this.sceScratch(C);
    const f32 = pred.dtype === 'float32';
    for (let r = 0, px = pred.offset; r < rows; r++, px += C) {
      let m = -Infinity;
      for (let j = 0; j < C; j++) {
        const v = X[px + j];
        if (v > m || v !== v) m = v;
        if (m !== m) break;
      }
      let z = 0;
      if (f32) for (let j = 0; j < C; j++) z += e[j] = expNonPositive(X[px + j] - m);
      else for (let j = 0; j < C; j++) z += e[j] = Math.exp(X[px + j] - m);
      O[loss.offset + r * os] = Math.log(z) - (X[px + L[label.offset + r * ls]] - m);
      if (P) for (let j = 0, pp = prob!.offset + r * C; j < C; j++) P[pp + j] = e[j] / z;
    }
    return true;
  }

  /** Fused gradient of softmaxCrossEntropy (see Backend.softmaxCrossEntropyGrad). */
  softmaxCrossEntropyGrad(prob: View, label: View, g: View, out: View): boolean {
    if (!isFloatDType(prob.dtype) || out.dtype !== prob.dtype || prob.shape.length !== 2 || g.shape.length !== 1) return false;
    const [rows, C] = prob.shape;
    if (this.fastKernels()?.softmaxCrossEntropyGrad(prob, label, g, out)) return true;
    if (rows * C > SCE_FUSED_MAX || prob.strides[1] !== 1 || out.strides[1] !== 1 || (rows > 1 && (prob.strides[0] !== C || out.strides[0] !== C))) return false;
    const P = arr(prob);
    const L = arr(label);
    const G = arr(g);
    const O = arr(out);
    const ls = label.strides[0];
    const gs = g.strides[0];
    for (let r = 0; r < rows; r++) {
      const gr = G[g.offset + r * gs];
      const pp = prob.offset + r * C;
      const po = out.offset + r * C;
      for (let j = 0; j < C; j++) O[po + j] = P[pp + j] * gr;
      O[po + L[label.offset + r * ls]] -= gr;
    }
    return true;
  }

  private sceBuf = new Float64Array(64);
  private sceScratch(n: number): Float64Array {
    if (this.sceBuf.length < n) this.sceBuf = new Float64Array(n);
    return this.sceBuf;
  }

  conv2d(x: View, w: View, p: Conv2dParams, out: View): void {
    conv2dRef(arr(x), x, arr(w), w, p, arr(out), out);
  }

  conv2dGrad(g: View, x: View, w: View, p: Conv2dParams, dx: View | null, dw: View | null): void {
    conv2dGradRef(arr(g), g, arr(x), x, arr(w), w, p, dx && arr(dx), dx, dw && arr(dw), dw);
  }

  pool2d(kind: 'max' | 'avg', x: View, p: Pool2dParams, out: View): void {
    pool2dRef(kind, arr(x), x, p, arr(out), out);
  }

  pool2dGrad(kind: 'max' | 'avg', g: View, x: View, p: Pool2dParams, dx: View): void {
    pool2dGradRef(kind, arr(g), g, arr(x), x, p, arr(dx), dx);
  }

  /** Runs a generated elementwise kernel over `out`'s shape. */
  private map(expr: string, out: View | OutArg, ins: ArgView[], s: number): void {
    const shape = out.shape;
    if (sizeOf(shape) === 0) return;
    const o = 'storage' in out ? viewArg(out) : out;
    const nIn = ins.length;
    const st: (readonly number[])[] = [o.strides];
    let types = arrayTypeCode(o.arr);
    for (let i = 0; i < nIn; i++) {
      st.push(ins[i].strides);
      types = types * 8 + arrayTypeCode(ins[i].arr);
    }
    const c = coalesce(shape, st);
    const k = mapKernel(expr, nIn, c.shape.length, types);
    const cs = c.strides;
    if (nIn === 0) k(o.arr, o.offset, cs[0], c.shape, s);
    else if (nIn === 1) k(o.arr, o.offset, cs[0], c.shape, s, ins[0].arr, ins[0].offset, cs[1]);
    else if (nIn === 2) k(o.arr, o.offset, cs[0], c.shape, s, ins[0].arr, ins[0].offset, cs[1], ins[1].arr, ins[1].offset, cs[2]);
    else {
      const args: unknown[] = [];
      for (let i = 0; i < nIn; i++) args.push(ins[i].arr, ins[i].offset, cs[i + 1]);
      k(o.arr, o.offset, cs[0], c.shape, s, ...args);
    }
  }
}

interface ArgView {
  arr: Arr;
  offset: number;
  strides: readonly number[];
}
interface OutArg extends ArgView {
  shape: readonly number[];
}

function viewArg(v: View): ArgView {
  return { arr: arr(v), offset: v.offset, strides: v.strides };
}

const boolExprs = new Map<string, string>();
/** Wraps `expr` so the stored value follows the output dtype's conversion rules. */
function castExpr(d: DType, expr: string): string {
  // Typed arrays already truncate/wrap on store; bool must map every non-zero to 1.
  if (d !== 'bool') return expr;
  let e = boolExprs.get(expr);
  if (e === undefined) boolExprs.set(expr, (e = `((${expr}) !== 0 ? 1 : 0)`));
  return e;
}

const scalarExprs = new Map<string, string>();
/** BINARY_EXPR[op] with the scalar `s` as operand b, or as operand a when `reverse` (memoised). */
function scalarExpr(op: BinaryOp, reverse: boolean): string {
  const key = reverse ? 'r' + op : op;
  let expr = scalarExprs.get(key);
  if (expr === undefined) {
    const e = BINARY_EXPR[op];
    // Rename the operands so the scalar sits on the requested side.
    expr = reverse ? e.replace(/\ba\b/g, '__x').replace(/\bb\b/g, 'a').replace(/__x/g, 's') : e.replace(/\bb\b/g, 's');
    scalarExprs.set(key, expr);
  }
  return expr;
}

function parseKernelMode(v: string | undefined): CpuKernelMode {
  if (v === undefined || v === '') return 'auto';
  if (v === 'ts' || v === 'wasm' || v === 'blas' || v === 'auto') return v;
  throw new ValueError(`D2L_CPU_KERNELS must be 'ts', 'wasm', 'blas' or 'auto' (got '${v}')`);
}

/** Row-major contiguous (unit dims' strides ignored). */
function isDense(v: View): boolean {
  return isContiguous(v.shape, v.strides);
}


/** Strides over x's shape that address an array of the kept dims (reduced axes get stride 0). */
function expandStrides(shape: readonly number[], axes: readonly number[], outStrides: number[]): number[] {
  const res: number[] = [];
  let j = 0;
  for (let i = 0; i < shape.length; i++) res.push(axes.includes(i) ? 0 : outStrides[j++]);
  return res;
}

function splitAt(shape: readonly number[], axis: number) {
  return { pre: shape.slice(0, axis), len: shape[axis], post: shape.slice(axis + 1) };
}

function checkIndices(I: ArrayLike<number>, len: number, op: string): void {
  for (let j = 0; j < I.length; j++) {
    const k = I[j];
    if (!(k >= 0 && k < len && Number.isInteger(k)))
      throw new IndexError(`${op}: index ${k} is out of range for an axis of size ${len} (valid integers: 0..${len - 1})`);
  }
}

/** The element offset of the j-th (row-major) position of `shape` under `strides`. */
function flatToOffset(j: number, shape: readonly number[], strides: readonly number[]): number {
  let off = 0;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d];
    off += (j % n) * strides[d];
    j = Math.floor(j / n);
  }
  return off;
}
