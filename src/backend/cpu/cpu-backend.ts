// The CPU backend: storage in the shared heap, and each op dispatched to OpenBLAS, the Wasm
// kernels or the TypeScript reference.
import type { DType, TypedArray } from '../../core/dtype.js';
import { bytesPerElement, typedArrayCtor } from '../../core/dtype.js';
import { sizeOf, contiguousStrides } from '../../core/shape.js';
import { ValueError } from '../../core/errors.js';
import type {
  Backend,
  BinaryOp,
  Conv2dParams,
  GcCell,
  Pool2dParams,
  ReduceOp,
  RnnStepGradViews,
  RnnStepViews,
  Storage,
  UnaryOp,
  View,
} from '../backend.js';
import { cpuRnnStep, cpuRnnStepGrad } from './rnn.js';
import { Heap } from './heap.js';
import { Evictor, type Evictable } from './eviction.js';
import { CpuKernelPaths } from './config.js';
import { heapShared } from './wasm/module.js';
import { BINARY_EXPR, UNARY_EXPR } from './exprs.js';
import { arr, castExpr, isDense, map, scalarExpr, viewArg } from './elementwise.js';
import { reduceRef } from './reduce.js';
import { HeapRowCopy, oneHotRef, pickGradRef, pickRef, takeElements, takeGradRef, takeRef, takeRowsLayout } from './gather.js';
import { SCE_FUSED_MAX, checkLabels, isFloatDType, sceFusable, softmaxCrossEntropyGradRef, softmaxCrossEntropyRef } from './loss.js';
import { matmulRef } from './matmul.js';
import { conv2dRef, conv2dGradRef, pool2dRef, pool2dGradRef } from './conv.js';
import { conv2dGemm, conv2dGradGemm, pool2dFast, pool2dGradFast } from './conv-gemm.js';
import { BLAS_MIN_MNK, blasAvailable, blasInfo, blasMatmul } from './blas/index.js';
import { DNNL_MT_MIN_MACS, dnnlConv2d, dnnlConv2dGrad, dnnlEnabled, dnnlTakesDataGrad, type DnnlThreads } from './dnnl.js';

export type { CpuKernelMode } from './config.js';

/**
 * A CPU storage: a block of the shared heap, or, while evicted (eviction.ts), its bytes in memory
 * the JS garbage collector owns. Reading `ptr` or `data` moves evicted bytes back first, so every
 * kernel sees a resident block.
 */
export class CpuStorage implements Storage, Evictable {
  version = 0;
  refs = 1;
  watched = 0;
  gcCell: GcCell | null = null;
  lastUse = 0;
  evicted: ArrayBuffer | null = null;
  readmitted = false;
  prevResident: Evictable | null = null;
  nextResident: Evictable | null = null;
  readonly byteLength: number;
  private cached: TypedArray | undefined;
  constructor(
    readonly backend: CpuBackend,
    readonly dtype: DType,
    readonly size: number,
    /** The heap address (-1 while evicted). */
    public addr: number,
  ) {
    this.byteLength = size * bytesPerElement(dtype);
  }
  /** The heap address of the block (moved back in first if evicted). */
  get ptr(): number {
    if (this.evicted) this.backend.evictor.readmit(this);
    this.lastUse = this.backend.evictor.clock++;
    return this.addr;
  }
  /**
   * A typed array over exactly this block; cached, since a shared memory never detaches. A
   * non-shared heap's buffer detaches when it grows (a detached view has byteLength 0), and the
   * view is taken again then.
   *
   * On a non-shared heap an evicted storage is read and written where its bytes are (the
   * evicted ArrayBuffer) instead of moving back: moving back allocates, the allocation may grow
   * the heap, and that would detach the views a TS kernel took of its other operands a moment
   * before (`arr(x)`, then `arr(y)`). Only `ptr` (the Wasm kernels, which hold addresses, not
   * views) moves bytes back.
   */
  get data(): TypedArray {
    if (this.evicted) {
      if (!this.backend.heap.shared) {
        this.lastUse = this.backend.evictor.clock++;
        return new (typedArrayCtor(this.dtype))(this.evicted, 0, this.size);
      }
      this.backend.evictor.readmit(this);
    }
    this.lastUse = this.backend.evictor.clock++;
    if (!this.cached || (this.cached.byteLength === 0 && this.byteLength > 0)) {
      const C = typedArrayCtor(this.dtype);
      this.cached = new C(this.backend.heap.buffer as ArrayBuffer, this.addr, this.size);
    }
    return this.cached;
  }
  moved(): void {
    this.cached = undefined;
  }
}

/**
 * The CPU backend: storage in one shared heap, and each op dispatched to the first kernel that
 * takes it: OpenBLAS (GEMM, the optional addon, blas/), then the Wasm SIMD kernels (wasm/, split
 * over the worker threads of threads/), then the TypeScript reference. Which of them may run is
 * set in config.ts (D2L_CPU_KERNELS=ts|wasm|blas|auto, setKernels).
 *
 * The reference (D2L_CPU_KERNELS=ts) is the oracle every other backend is tested against. It is
 * plain loops over strided views, except for these shortcuts, which tests should know about:
 * - elementwise ops, casts and copies are kernels generated from the expressions in exprs.ts
 *   (elementwise.ts, codegen.ts); sum/prod/max/min accumulate in float64 (reduce.ts);
 * - take on axis 0 with contiguous rows is a memmove per row inside the heap (gather.ts: a 112-byte
 *   Wasm module's memory.copy, else copyWithin), or a typed-array copy per taken block;
 * - softmax cross-entropy and its gradient are fused in TS (loss.ts) up to SCE_FUSED_MAX elements,
 *   one float64 pass per row, with exp from a table and a polynomial (relative error below 3e-15)
 *   where the result is float32; beyond that size the op layer composes it from other ops;
 * - matmul accumulates each output row in float64 (matmul.ts); conv and pooling are direct loops (conv.ts).
 *
 * On the fast paths, float32 convolution is im2col + GEMM (conv-gemm.ts: the Wasm im2col, then
 * this backend's matmul, so OpenBLAS where loaded, else the Wasm GEMM), or a direct Wasm kernel
 * for few taps (LeNet's first layer), and pooling a Wasm kernel. In 'auto' mode, where the
 * optional oneDNN addon is loaded (dnnl.ts, D2L_DNNL), float32 convolutions and their gradients
 * run on oneDNN first.
 */
export class CpuBackend extends CpuKernelPaths implements Backend {
  readonly name = 'cpu';
  private storages = 0;
  private readonly rowCopy: HeapRowCopy;

  /** Moves arrays only the garbage collector holds out of the heap (eviction.ts). */
  readonly evictor: Evictor;

  constructor() {
    super(new Heap(256, heapShared()));
    this.evictor = new Evictor(this.heap);
    // Before the heap takes fresh memory, the garbage goes (a pass as the allocation cadence runs).
    this.heap.reclaim = () => this.evictor.reclaim();
    this.rowCopy = new HeapRowCopy(this.heap);
  }

  supportsDType(): boolean {
    return true;
  }

  alloc(dtype: DType, size: number): CpuStorage {
    const bytes = size * bytesPerElement(dtype);
    let ptr = 0;
    if (bytes > 0) {
      try {
        ptr = this.heap.alloc(bytes);
      } catch (e) {
        // The heap is exhausted: move out everything only the garbage collector holds, then retry.
        if (!(e instanceof ValueError) || this.evictor.pass(true) === 0) throw e;
        ptr = this.heap.alloc(bytes);
      }
    }
    this.storages++;
    const s = new CpuStorage(this, dtype, size, ptr);
    if (bytes > 0) this.evictor.admit(s);
    return s;
  }

  free(s: Storage): void {
    const c = s as CpuStorage;
    this.storages--;
    if (c.evicted) {
      c.evicted = null; // its bytes go with the storage
      this.evictor.evictedStorages--;
      return;
    }
    if (c.byteLength > 0) {
      this.heap.free(c.addr, c.byteLength);
      this.evictor.forget(c);
    }
  }

  memory() {
    const e = this.evictor;
    return {
      // Resident storages: an evicted one the garbage collector took is never freed here.
      storages: this.storages - e.evictedStorages,
      bytes: this.heap.liveBytes,
      reservedBytes: this.heap.reservedBytes,
      evictions: e.evictions,
      evictedBytes: e.evictedBytes,
      readmissions: e.readmissions,
    };
  }

  write(dst: View, data: TypedArray): void {
    // A contiguous destination is one typed-array copy.
    if (isDense(dst)) {
      const n = sizeOf(dst.shape);
      const D = (dst.storage as CpuStorage).data;
      if (n > 0) D.set(data.length === n ? data : data.subarray(0, n), dst.offset);
      return;
    }
    map('a', dst, [{ arr: data, offset: 0, strides: contiguousStrides(dst.shape) }], 0);
  }

  readSync(src: View): TypedArray {
    // A contiguous source is one copy out of the shared heap (slice gives a non-shared array).
    if (isDense(src)) {
      const n = sizeOf(src.shape);
      return (src.storage as CpuStorage).data.slice(src.offset, src.offset + n);
    }
    const C = typedArrayCtor(src.dtype);
    const out = new C(sizeOf(src.shape));
    map('a', { arr: out, offset: 0, strides: contiguousStrides(src.shape), shape: src.shape }, [viewArg(src)], 0);
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
    map(castExpr(out.dtype, 's'), out, [], value);
  }

  copy(x: View, out: View): void {
    // Same dtype, both contiguous: one typed-array copy.
    if (x.dtype === out.dtype && isDense(x) && isDense(out)) {
      const n = sizeOf(out.shape);
      if (n > 0) (out.storage as CpuStorage).data.set((x.storage as CpuStorage).data.subarray(x.offset, x.offset + n), out.offset);
      return;
    }
    map(castExpr(out.dtype, 'a'), out, [viewArg(x)], 0);
  }

  unary(op: UnaryOp, x: View, out: View): void {
    if (this.fastKernels()?.unary(op, x, out)) return;
    map(castExpr(out.dtype, UNARY_EXPR[op]), out, [viewArg(x)], 0);
  }

  /** The fused sigmoid / tanh gradient (see Backend.unaryGrad) on the Wasm kernels; false on the reference path. */
  unaryGrad(op: UnaryOp, g: View, y: View, out: View): boolean {
    return this.fastKernels()?.unaryGrad(op, g, y, out) ?? false;
  }

  binary(op: BinaryOp, a: View, b: View, out: View): void {
    if (this.fastKernels()?.binary(op, a, b, out)) return;
    map(castExpr(out.dtype, BINARY_EXPR[op]), out, [viewArg(a), viewArg(b)], 0);
  }

  binaryScalar(op: BinaryOp, x: View, s: number, reverse: boolean, out: View): void {
    if (this.fastKernels()?.binaryScalar(op, x, s, reverse, out)) return;
    map(castExpr(out.dtype, scalarExpr(op, reverse)), out, [viewArg(x)], s);
  }

  where(cond: View, a: View, b: View, out: View): void {
    map(castExpr(out.dtype, 'a !== 0 ? b : c'), out, [viewArg(cond), viewArg(a), viewArg(b)], 0);
  }

  reduce(op: ReduceOp, x: View, axes: readonly number[], out: View): void {
    if (this.fastKernels()?.reduce(op, x, axes, out)) return;
    reduceRef(op, x, axes, out);
  }

  matmul(x: View, y: View, out: View): void {
    // float32/float64 GEMM on OpenBLAS: always when forced ('blas'), when worth a native call in 'auto'.
    const km = this.kernelMode;
    if (km === 'blas' || km === 'auto') {
      if (blasMatmul(this.heap, x, y, out, this.threadCount, km === 'auto' ? BLAS_MIN_MNK : 0, this.blasExecutor())) return;
      if (km === 'blas' && !blasAvailable())
        throw new ValueError(`D2L_CPU_KERNELS=blas: the BLAS addon is not loaded: ${blasInfo().reason}`);
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
      if (blasMatmul(this.heap, x, y, out, this.threadCount, km === 'auto' ? BLAS_MIN_MNK : 0, this.blasExecutor(), 1)) return true;
    }
    return this.fastKernels()?.matmul(x, y, out, 1) ?? false;
  }

  take(x: View, idx: View, axis: number, out: View): void {
    if (axis === 0 && this.takeRows(x, idx, out)) return;
    takeRef(x, this.readSync(idx), idx.shape, axis, out);
  }

  /**
   * take along axis 0 (a batch of rows: a DataLoader batch, an embedding lookup) with contiguous
   * indices, rows and output: the Wasm row gather split over the threads, else a memmove per row
   * inside the heap, each element of a 1-D x one load. False for other layouts.
   */
  private takeRows(x: View, idx: View, out: View): boolean {
    const ni = sizeOf(idx.shape);
    const rowSize = takeRowsLayout(x, idx, out, ni);
    if (rowSize < 0) return false;
    if (ni === 0 || rowSize === 0) return true;
    if (rowSize === 1) {
      takeElements(x, idx, out, ni);
      return true;
    }
    if (x.dtype !== out.dtype) return false;
    const bpe = bytesPerElement(x.dtype);
    const xBase = (x.storage as CpuStorage).ptr + x.offset * bpe;
    const oBase = (out.storage as CpuStorage).ptr + out.offset * bpe;
    const rowBytes = rowSize * bpe;
    const strideBytes = x.strides[0] * bpe;
    const idxPtr = (idx.storage as CpuStorage).ptr + idx.offset * 4;
    // A large gather (a minibatch of images) is split over the kernel threads when they are awake.
    if (idx.dtype === 'int32' && this.fastKernels()?.gatherRows(oBase, xBase, idxPtr, ni, rowBytes, strideBytes)) return true;
    this.rowCopy.rows(oBase, xBase, idx, idxPtr, ni, rowBytes, strideBytes);
    return true;
  }

  takeGrad(src: View, idx: View, axis: number, out: View): void {
    takeGradRef(src, this.readSync(idx), idx.shape, axis, out);
  }

  pick(x: View, idx: View, axis: number, out: View): void {
    pickRef(x, idx, axis, out);
  }

  pickGrad(src: View, idx: View, axis: number, out: View): void {
    pickGradRef(src, idx, axis, out);
  }

  oneHot(idx: View, depth: number, on: number, off: number, out: View): void {
    this.fill(out, off);
    oneHotRef(idx, depth, on, out);
  }

  /**
   * Fused softmax cross-entropy over [rows, C] (see Backend.softmaxCrossEntropy): one pass per row
   * in float64 (max, Σ exp, log), instead of eight kernels and their temporaries. float32 runs in
   * the Wasm kernel (rows split over the threads) at any size; the TS loop takes small class
   * counts only, and wider rows without the Wasm kernels go to the composed path.
   */
  softmaxCrossEntropy(pred: View, label: View, loss: View, prob: View | null): boolean {
    if (!sceFusable(pred, label, loss, prob)) return false;
    const [rows, C] = pred.shape;
    const wasm = this.fastKernels();
    if (!wasm && rows * C > SCE_FUSED_MAX) return false;
    checkLabels(label, rows, C);
    if (wasm?.softmaxCrossEntropy(pred, label, loss, prob)) return true;
    return softmaxCrossEntropyRef(pred, label, loss, prob);
  }

  /** Fused training-mode batch norm (see Backend.batchNorm): the Wasm kernel, float32 only. */
  batchNorm(x: View, gamma: View, beta: View, eps: number, y: View, mean: View, variance: View): boolean {
    return this.fastKernels()?.batchNorm(x, gamma, beta, eps, y, mean, variance) ?? false;
  }

  /** Fused gradient of batchNorm (see Backend.batchNormGrad): the Wasm kernel, float32 only. */
  batchNormGrad(g: View, x: View, gamma: View, eps: number, dx: View, dgamma: View, dbeta: View): boolean {
    return this.fastKernels()?.batchNormGrad(g, x, gamma, eps, dx, dgamma, dbeta) ?? false;
  }

  /** Fused gradient of softmaxCrossEntropy (see Backend.softmaxCrossEntropyGrad). */
  softmaxCrossEntropyGrad(prob: View, label: View, g: View, out: View): boolean {
    if (!isFloatDType(prob.dtype) || out.dtype !== prob.dtype || prob.shape.length !== 2 || g.shape.length !== 1) return false;
    if (this.fastKernels()?.softmaxCrossEntropyGrad(prob, label, g, out)) return true;
    return softmaxCrossEntropyGradRef(prob, label, g, out);
  }

  /** The fused step of a recurrent layer (see Backend.rnnStep; rnn.ts), on every kernel mode. */
  rnnStep(v: RnnStepViews): boolean {
    return cpuRnnStep(v, (op, b) => this.unary(op, b, b));
  }

  /** The gradient of rnnStep (see Backend.rnnStepGrad; rnn.ts). */
  rnnStepGrad(v: RnnStepGradViews): boolean {
    return cpuRnnStepGrad(v);
  }

  /**
   * How convolutions may use threads on oneDNN, or null when they do not go there ('auto' kernels
   * and the addon enabled, dnnl.ts): large ones split over the batch on our worker pool (each
   * thread single-threaded oneDNN), else on the calling thread, with OpenMP threads where the pool
   * cannot take them (a batch of one, no pool), our spinning workers sent to sleep first.
   */
  private dnnlThreads(): DnnlThreads | null {
    if (this.kernelMode !== 'auto' || !dnnlEnabled()) return null;
    const k = this.fastKernels();
    return {
      threads: this.threadCount,
      exec: this.threadCount > 1 ? (k?.convExecutor(DNNL_MT_MIN_MACS) ?? null) : null,
      park: () => k?.parkThreads(),
    };
  }

  conv2d(x: View, w: View, p: Conv2dParams, out: View): void {
    const t = this.dnnlThreads();
    if (t && dnnlConv2d(this.heap, x, w, null, p, out, t)) return;
    const k = this.fastKernels();
    if (k && conv2dGemm(this, k, x, w, p, out)) return;
    conv2dRef(arr(x), x, arr(w), w, p, arr(out), out);
  }

  conv2dGrad(g: View, x: View, w: View, p: Conv2dParams, dx: View | null, dw: View | null): void {
    const t = this.dnnlThreads();
    if (t && (dw || (dx && dnnlTakesDataGrad(x.shape)))) {
      // The data gradient of a few-channel input stays on the kernels below (dnnlTakesDataGrad).
      const dxHere = dx && dnnlTakesDataGrad(x.shape) ? dx : null;
      if (dnnlConv2dGrad(this, this.heap, g, x, w, p, dxHere, dw, null, t)) {
        if (!dx || dxHere) return;
        dw = null;
      }
    }
    const k = this.fastKernels();
    if (k && conv2dGradGemm(this, k, g, x, w, p, dx, dw)) return;
    conv2dGradRef(arr(g), g, arr(x), x, arr(w), w, p, dx && arr(dx), dx, dw && arr(dw), dw);
  }

  pool2d(kind: 'max' | 'avg', x: View, p: Pool2dParams, out: View): void {
    const k = this.fastKernels();
    if (k && pool2dFast(k, kind, x, p, out)) return;
    pool2dRef(kind, arr(x), x, p, arr(out), out);
  }

  pool2dGrad(kind: 'max' | 'avg', g: View, x: View, p: Pool2dParams, dx: View): void {
    const k = this.fastKernels();
    if (k && pool2dGradFast(this, k, kind, g, x, p, dx)) return;
    pool2dGradRef(kind, arr(g), g, arr(x), x, p, arr(dx), dx);
  }
}
