// The WebGPU backend: what each kernel family of the Backend contract binds and launches (the
// WGSL comes from kernels.ts and exprs.ts). The device, passes, buffers and transfers are runtime.ts.
import type { DType, TypedArray } from '../../core/dtype.js';
import { typedArrayCtor } from '../../core/dtype.js';
import { ShapeError, ValueError } from '../../core/errors.js';
import { sizeOf, type Shape, contiguousStrides, coalesce, isContiguous } from '../../core/shape.js';
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
import type { WBuffer, WDevice, WGpu } from './gpu-types.js';
import {
  BINARY_F32,
  BINARY_I32,
  META_WORDS,
  UNARY_F32,
  UNARY_I32,
  computeScalarBits,
  computeTypeOf,
  loadConv,
  naturalType,
  nonZero,
  scalarBits,
  storeConv,
  storeType,
  type ComputeType,
} from './exprs.js';
import {
  conv2dGradWSource,
  conv2dGradXSource,
  conv2dSource,
  mapSource,
  matmulSource,
  pool2dGradSource,
  pool2dSource,
  reducePartialsSource,
  reduceSerialSource,
  reduceWorkgroupSource,
  rnnStepGradSource,
  rnnStepSource,
  sceSource,
  type BufferDecl,
  type ConvParams,
  type MatmulConfig,
} from './kernels.js';
import { MAX_GROUPS, WebGpuError, WebGpuRuntime, grid, type WebGpuRuntimeOptions } from './runtime.js';
import { GpuEvictor, type GpuEvictable } from './eviction.js';

/** A GPU storage: one pooled GPUBuffer, 4 bytes per element whatever the dtype (or its bytes on the host while evicted). */
export class GpuStorage implements Storage, GpuEvictable {
  version = 0;
  refs = 1;
  watched = 0;
  gcCell: GcCell | null = null;
  lastUse = 0;
  evicted: ArrayBuffer | null = null;
  constructor(
    readonly backend: WebGpuBackend,
    readonly dtype: DType,
    readonly size: number,
    public buffer: WBuffer | null,
  ) {}
}

interface Operand {
  buffer: WBuffer;
  /** WGSL element type of the binding (`f32`, `i32`, `u32`, `atomic<u32>`). */
  type: string;
  write: boolean;
}
interface MapOperand extends Operand {
  offset: number;
  strides: readonly number[];
}

/** Row-major contiguous, ignoring the strides of unit dims. */
function isContiguousView(v: View): boolean {
  return isContiguous(v.shape, v.strides);
}

export interface WebGpuBackendOptions extends WebGpuRuntimeOptions {
  /** Force one matmul tiling (for benchmarks), e.g. { BM: 128, BN: 128, BK: 8, TM: 8, TN: 8 }. */
  matmulConfig?: MatmulConfig;
}

export const MATMUL_CONFIGS: Record<string, MatmulConfig> = {
  default: { BM: 64, BN: 64, BK: 16, TM: 4, TN: 4 },
  large: { BM: 128, BN: 128, BK: 8, TM: 8, TN: 8 },
  skinnyN: { BM: 64, BN: 16, BK: 16, TM: 2, TN: 2 },
  skinnyM: { BM: 16, BN: 64, BK: 16, TM: 2, TN: 2 },
};

/**
 * The WebGPU backend. Kernels are WGSL generated per op from tables mirroring the CPU
 * reference's expressions; pipelines are cached by (kernel, dtypes, coalesced rank, binding
 * aliasing). Every kernel call records a dispatch into the runtime's open compute pass.
 *
 * It extends WebGpuRuntime rather than holding one: the backend is the device to its users
 * (`sync`, `flush`, `destroy`, `stats`, `limits`, `poolStats` are called on it), and a subclass
 * keeps that surface without a forwarding method for each.
 */
export class WebGpuBackend extends WebGpuRuntime implements Backend {
  readonly name = 'webgpu';
  private liveStorages = 0;
  private liveBytes = 0;
  private matmulOverride: MatmulConfig | undefined;
  /** Moves arrays only the garbage collector holds to the host at reads (eviction.ts). */
  readonly evictor: GpuEvictor;

  constructor(device: WDevice, adapterDescription: string, gpu: WGpu | null = null, opts: WebGpuBackendOptions = {}) {
    super(device, adapterDescription, gpu, opts);
    this.matmulOverride = opts.matmulConfig;
    this.evictor = new GpuEvictor(this.limits.maxBufferSize);
  }

  // ------------------------------------------------------------------ storage
  supportsDType(d: DType): boolean {
    return d !== 'float64';
  }

  alloc(dtype: DType, size: number): GpuStorage {
    this.checkUsable();
    storeType(dtype); // throws a DTypeError for float64
    const bytes = Math.max(size, 1) * 4;
    if (bytes > this.limits.maxStorageBufferBindingSize)
      throw new ValueError(
        `webgpu: an array of ${size} ${dtype} elements (${(bytes / 2 ** 20).toFixed(1)} MiB) exceeds this adapter's ` +
          `maxStorageBufferBindingSize (${(this.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB)`,
      );
    const buffer = this.pool.acquire(bytes);
    this.liveStorages++;
    this.liveBytes += size * 4;
    const s = new GpuStorage(this, dtype, size, buffer);
    this.evictor.admit(s);
    return s;
  }

  free(s: Storage): void {
    const g = s as GpuStorage;
    g.evicted = null; // an evicted storage's bytes go with it
    if (!g.buffer) return;
    this.evictor.forget(g);
    this.liveStorages--;
    this.liveBytes -= g.size * 4;
    // Reuse is safe even while recorded commands still name the buffer: later commands run after
    // them in queue order, and host writes flush the recorded batch first.
    if (!this.isDestroyed) this.pool.release(g.buffer);
    g.buffer = null;
  }

  /** Resident storages and bytes (evicted ones are on the host), the pool's bytes, and the eviction counters. */
  memory() {
    const e = this.evictor;
    return {
      storages: this.liveStorages,
      bytes: this.liveBytes,
      reservedBytes: this.pool.totalBytes,
      evictions: e.evictions,
      evictedBytes: e.evictedBytes,
      readmissions: e.readmissions,
    };
  }

  /** Forces one matmul tiling (benchmarks), or restores the automatic choice with undefined. */
  setMatmulConfig(cfg: MatmulConfig | undefined): void {
    this.matmulOverride = cfg;
  }

  /** The buffer of a view's storage for a kernel or transfer (moved back first if evicted). */
  private buf(v: View): WBuffer {
    const s = v.storage as GpuStorage;
    if (s.backend !== this) throw new ValueError(`webgpu: the array lives on another backend (${v.storage.backend.name})`);
    if (!s.buffer && s.evicted) this.readmit(s);
    const b = s.buffer;
    if (!b) throw new WebGpuError('webgpu: a kernel was given a freed storage');
    this.evictor.touch(s);
    return b;
  }

  private readmit(s: GpuStorage): void {
    this.checkUsable();
    const bytes = this.evictor.readmit(s, this.pool.acquire(Math.max(s.size, 1) * 4));
    this.liveStorages++;
    this.liveBytes += s.size * 4;
    this.upload(s.buffer!, 0, new Uint32Array(bytes), bytes.byteLength / 4);
  }

  // ------------------------------------------------------------------ host transfers
  write(dst: View, data: TypedArray): void {
    this.checkUsable();
    const n = sizeOf(dst.shape);
    if (n === 0) return;
    const words = storeType(dst.dtype) === 'u32' ? Uint32Array.from(data as Uint8Array) : data;
    if (isContiguousView(dst)) {
      this.upload(this.buf(dst), dst.offset * 4, words as ArrayBufferView, n);
      return;
    }
    const tmp = this.pool.acquire(n * 4);
    this.upload(tmp, 0, words as ArrayBufferView, n);
    this.runMap(
      'copyraw',
      dst.shape,
      [
        { buffer: this.buf(dst), type: 'u32', write: true, offset: dst.offset, strides: dst.strides },
        { buffer: tmp, type: 'u32', write: false, offset: 0, strides: contiguousStrides(dst.shape) },
      ],
      (b) => `  ${b[0]}[u32(p0)] = ${b[1]}[u32(p1)];`,
      0,
    );
    this.pool.release(tmp);
  }

  /** Always throws: a GPU array is read with `read` (the view is named only to match the contract). */
  readSync(_src: View): TypedArray {
    throw new ValueError(
      'readSync: arrays on the GPU (webgpu backend) can only be read asynchronously: use `await x.data()`, ' +
        'or `await x.copytoAsync(nd.cpu())` to bring the array to the CPU',
    );
  }

  async read(src: View): Promise<TypedArray> {
    this.checkUsable();
    const n = sizeOf(src.shape);
    const C = typedArrayCtor(src.dtype);
    if (n === 0) return new C(0);
    let buffer = this.buf(src);
    let byteOffset = src.offset * 4;
    let tmp: WBuffer | null = null;
    if (!isContiguousView(src)) {
      tmp = this.pool.acquire(n * 4);
      this.runMap(
        'copyraw',
        src.shape,
        [
          { buffer: tmp, type: 'u32', write: true, offset: 0, strides: contiguousStrides(src.shape) },
          { buffer, type: 'u32', write: false, offset: src.offset, strides: src.strides },
        ],
        (b) => `  ${b[0]}[u32(p0)] = ${b[1]}[u32(p1)];`,
        0,
      );
      buffer = tmp;
      byteOffset = 0;
    }
    // The read carries out the arrays only the garbage collector holds that no kernel used for two
    // reads (a loop's dropped arrays): eviction.ts.
    const { copies, clock } = this.evictor.pick();
    let parts: ArrayBuffer[];
    try {
      parts = await this.download(
        buffer,
        byteOffset,
        n * 4,
        tmp,
        copies.map((c) => ({ buffer: c.storage.buffer!, bytes: c.bytes })),
      );
    } catch (e) {
      for (const c of copies) this.evictor.cancel(c.storage);
      throw e;
    }
    copies.forEach((c, i) => {
      const freed = this.evictor.complete(c.storage, parts[i + 1], clock);
      if (!freed) return;
      this.liveStorages--;
      this.liveBytes -= c.storage.size * 4;
      if (!this.isDestroyed) this.pool.release(freed);
    });
    const copy = parts[0];
    const st = storeType(src.dtype);
    if (st === 'u32') return Uint8Array.from(new Uint32Array(copy));
    return new C(copy) as TypedArray;
  }

  // ------------------------------------------------------------------ elementwise family
  /**
   * Runs a strided map over `shape`. Operands sharing a buffer are bound once (read_write when
   * any of them is written, so in-place kernels validate). `body` gets the binding names.
   */
  private runMap(
    name: string,
    shape: Shape,
    ops: MapOperand[],
    body: (names: string[]) => string,
    scalar: number,
    extras: readonly number[] = [],
  ): void {
    const n = sizeOf(shape);
    if (n === 0) return;
    const c = coalesce(
      shape,
      ops.map((o) => o.strides),
    );
    const r = c.shape.length;
    const { decls, names, buffers, key } = bindOperands(ops);
    const meta: number[] = [n, scalar, ...c.shape];
    ops.forEach((o, k) => meta.push(o.offset, ...c.strides[k]));
    meta.push(...extras);
    const fullKey = `map:${name}|r${r}|${key}`;
    this.dispatch(fullKey, () => mapSource(decls, r, ops.length, body(names)), buffers, meta, grid(Math.ceil(n / 256)));
  }

  /**
   * A kernel generated by the graph compiler (see Backend.fusedMap): float32 views of one shape,
   * bound as one strided map. At most 8 storage buffers (WebGPU's default per-stage limit) and
   * what fits the 64-word meta block; false otherwise.
   */
  fusedMap(key: string, body: string, shape: readonly number[], outs: readonly View[], ins: readonly View[]): boolean {
    const views = [...outs, ...ins];
    if (views.some((v) => v.dtype !== 'float32' || v.shape.length !== shape.length)) return false;
    const c = coalesce(
      shape,
      views.map((v) => v.strides),
    );
    if (2 + c.shape.length + views.length * (c.shape.length + 1) > META_WORDS) return false;
    if (new Set(views.map((v) => this.buf(v))).size > 8) return false;
    const nOut = outs.length;
    this.runMap(
      `fused:${key}`,
      shape,
      views.map((v, k) => this.operand(v, k < nOut)),
      (b) => {
        let src = '';
        ins.forEach((_, k) => (src += `  let x${k} = ${b[nOut + k]}[u32(p${nOut + k})];\n`));
        src += body + '\n';
        outs.forEach((_, k) => (src += `  ${b[k]}[u32(p${k})] = y${k};\n`));
        return src;
      },
      0,
    );
    return true;
  }

  private operand(v: View, write = false, type?: string): MapOperand {
    return { buffer: this.buf(v), type: type ?? storeType(v.dtype), write, offset: v.offset, strides: v.strides };
  }

  fill(out: View, value: number): void {
    this.runMap('fill', out.shape, [this.operand(out, true, 'u32')], (b) => `  ${b[0]}[u32(p0)] = mu(1u);`, scalarBits(out.dtype, value));
  }

  copy(x: View, out: View): void {
    if (
      x.dtype === out.dtype ||
      (storeType(x.dtype) === 'u32' && out.dtype === 'uint8') ||
      (x.dtype === 'bool' && storeType(out.dtype) === 'u32')
    ) {
      // Same bits (uint8 -> uint8, bool -> uint8 are identical words).
      this.runMap(
        'copyraw',
        out.shape,
        [this.operand(out, true, 'u32'), this.operand(x, false, 'u32')],
        (b) => `  ${b[0]}[u32(p0)] = ${b[1]}[u32(p1)];`,
        0,
      );
      return;
    }
    const ct = naturalType(x.dtype);
    this.runMap(
      `cast:${x.dtype}>${out.dtype}`,
      out.shape,
      [this.operand(out, true), this.operand(x)],
      (b) => `  let a = ${loadConv(x.dtype, ct, `${b[1]}[u32(p1)]`)};\n  ${b[0]}[u32(p0)] = ${storeConv(out.dtype, ct, 'a')};`,
      0,
    );
  }

  unary(op: UnaryOp, x: View, out: View): void {
    const ct = computeTypeOf([x.dtype, out.dtype]);
    const expr = (ct === 'f32' ? UNARY_F32 : UNARY_I32)[op];
    this.runMap(
      `unary:${op}:${x.dtype}>${out.dtype}`,
      out.shape,
      [this.operand(out, true), this.operand(x)],
      (b) => `  let a = ${loadConv(x.dtype, ct, `${b[1]}[u32(p1)]`)};\n  ${b[0]}[u32(p0)] = ${storeConv(out.dtype, ct, expr)};`,
      0,
    );
  }

  binary(op: BinaryOp, a: View, b: View, out: View): void {
    const ct = computeTypeOf([a.dtype, b.dtype, out.dtype]);
    const expr = (ct === 'f32' ? BINARY_F32 : BINARY_I32)[op];
    this.runMap(
      `binary:${op}:${a.dtype},${b.dtype}>${out.dtype}`,
      out.shape,
      [this.operand(out, true), this.operand(a), this.operand(b)],
      (n) =>
        `  let a = ${loadConv(a.dtype, ct, `${n[1]}[u32(p1)]`)};\n  let b = ${loadConv(b.dtype, ct, `${n[2]}[u32(p2)]`)};\n` +
        `  ${n[0]}[u32(p0)] = ${storeConv(out.dtype, ct, expr)};`,
      0,
    );
  }

  binaryScalar(op: BinaryOp, x: View, s: number, reverse: boolean, out: View): void {
    let ct = computeTypeOf([x.dtype, out.dtype]);
    if (ct === 'i32' && !Number.isInteger(s)) ct = 'f32';
    const expr = (ct === 'f32' ? BINARY_F32 : BINARY_I32)[op];
    const xs = (n: string[]) => loadConv(x.dtype, ct, `${n[1]}[u32(p1)]`);
    const sc = `bitcast<${ct}>(mu(1u))`;
    this.runMap(
      `scalar:${op}:${reverse ? 'r' : ''}${ct}:${x.dtype}>${out.dtype}`,
      out.shape,
      [this.operand(out, true), this.operand(x)],
      (n) =>
        `  let a = ${reverse ? sc : xs(n)};\n  let b = ${reverse ? xs(n) : sc};\n  ${n[0]}[u32(p0)] = ${storeConv(out.dtype, ct, expr)};`,
      computeScalarBits(ct, s),
    );
  }

  where(cond: View, a: View, b: View, out: View): void {
    const ct = computeTypeOf([a.dtype, b.dtype, out.dtype]);
    const cn = naturalType(cond.dtype);
    this.runMap(
      `where:${cond.dtype},${a.dtype},${b.dtype}>${out.dtype}`,
      out.shape,
      [this.operand(out, true), this.operand(cond), this.operand(a), this.operand(b)],
      (n) =>
        `  let c = ${loadConv(cond.dtype, cn, `${n[1]}[u32(p1)]`)};\n  let a = ${loadConv(a.dtype, ct, `${n[2]}[u32(p2)]`)};\n` +
        `  let b = ${loadConv(b.dtype, ct, `${n[3]}[u32(p3)]`)};\n  ${n[0]}[u32(p0)] = ${storeConv(out.dtype, ct, `select(b, a, ${nonZero(cn, 'c')})`)};`,
      0,
    );
  }

  // ------------------------------------------------------------------ reductions
  reduce(op: ReduceOp, x: View, axes: readonly number[], out: View): void {
    const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const kc = coalesce(
      kept.map((i) => x.shape[i]),
      [out.strides as number[], kept.map((i) => x.strides[i])],
    );
    const rc = coalesce(
      axes.map((i) => x.shape[i]),
      [axes.map((i) => x.strides[i])],
    );
    const Mo = sizeOf(kc.shape);
    const Kr = sizeOf(rc.shape);
    if (Mo === 0) return;
    const arg = op === 'argmax' || op === 'argmin';
    const ct: ComputeType = naturalType(x.dtype);
    const rk = kc.shape.length;
    const rr = rc.shape.length;
    const xb = this.buf(x);
    const ob = this.buf(out);
    const storeCt: ComputeType = arg ? 'i32' : ct;
    const innerStride = rr > 0 ? rc.strides[0][rr - 1] : 1;
    const layoutTail = [...kc.shape, out.offset, ...kc.strides[0], x.offset, ...kc.strides[1], ...rc.shape, ...rc.strides[0]];
    const serial = Kr <= 32 || (Mo >= 1024 && innerStride !== 1);
    const { decls, names, buffers, key } = bindOperands([
      { buffer: ob, type: storeType(out.dtype), write: true },
      { buffer: xb, type: storeType(x.dtype), write: false },
    ]);
    const load = (q: string) => loadConv(x.dtype, ct, `${names[1]}[u32(${q})]`);
    const store = (po: string, e: string) => `${names[0]}[u32(${po})] = ${storeConv(out.dtype, storeCt, e)};`;
    const base = `${op}:${x.dtype}>${out.dtype}|k${rk}r${rr}|${key}`;
    if (serial) {
      this.dispatch(
        `reduce-serial:${base}`,
        () => reduceSerialSource({ op, ct, rk, rr, decls, load, store }),
        buffers,
        [Mo, Kr, ...layoutTail],
        grid(Math.ceil(Mo / 256)),
      );
      return;
    }
    const P = Kr >= 8192 ? Math.min(Math.ceil(Kr / 4096), Math.max(1, Math.ceil(1024 / Mo))) : 1;
    const chunk = Math.ceil(Kr / P);
    if (P === 1) {
      this.dispatch(
        `reduce-wg:${base}`,
        () => reduceWorkgroupSource({ op, ct, rk, rr, decls, load, store }, null),
        buffers,
        [Mo, Kr, 1, chunk, ...layoutTail],
        grid(Mo),
      );
      return;
    }
    const part = this.pool.acquire(Mo * P * (arg ? 8 : 4));
    const withPart = bindOperands([
      { buffer: xb, type: storeType(x.dtype), write: false },
      { buffer: part, type: 'u32', write: true },
    ]);
    this.dispatch(
      `reduce-wgp:${op}:${x.dtype}>${out.dtype}|k${rk}r${rr}|${withPart.key}`,
      () =>
        reduceWorkgroupSource(
          { op, ct, rk, rr, decls: withPart.decls, load: (q) => loadConv(x.dtype, ct, `${withPart.names[0]}[u32(${q})]`), store },
          withPart.names[1],
        ),
      withPart.buffers,
      [Mo, Kr, P, chunk, ...layoutTail],
      grid(Mo * P),
    );
    const fin = bindOperands([
      { buffer: ob, type: storeType(out.dtype), write: true },
      { buffer: part, type: 'u32', write: false },
    ]);
    this.dispatch(
      `reduce-fin:${op}:${ct}>${out.dtype}|k${rk}|${fin.key}`,
      () =>
        reducePartialsSource({
          op,
          ct,
          rk,
          decls: fin.decls,
          partBinding: 1,
          store: (po, e) => `${fin.names[0]}[u32(${po})] = ${storeConv(out.dtype, storeCt, e)};`,
        }),
      fin.buffers,
      [Mo, P, ...kc.shape, out.offset, ...kc.strides[0]],
      grid(Math.ceil(Mo / 256)),
    );
    this.pool.release(part);
  }

  // ------------------------------------------------------------------ matmul
  matmul(x: View, y: View, out: View): void {
    const r = x.shape.length;
    const M = x.shape[r - 2];
    const K = x.shape[r - 1];
    const N = y.shape[r - 1];
    if (M === 0 || N === 0) return;
    if (K === 0) {
      this.fill(out, 0);
      return;
    }
    const batchShape = out.shape.slice(0, r - 2);
    const bc = coalesce(batchShape, [x.strides.slice(0, r - 2), y.strides.slice(0, r - 2), out.strides.slice(0, r - 2)]);
    const rb = bc.shape.length;
    const nb = sizeOf(bc.shape);
    const [sam, sak] = [x.strides[r - 2], x.strides[r - 1]];
    const [sbk, sbn] = [y.strides[r - 2], y.strides[r - 1]];
    const [som, son] = [out.strides[r - 2], out.strides[r - 1]];
    const cfg = this.matmulOverride ?? chooseMatmul(M, N);
    const ct = computeTypeOf([x.dtype, y.dtype, out.dtype]);
    const aK1 = sak === 1 || K === 1;
    const bN1 = sbn === 1 || N === 1;
    const { decls, names, buffers, key } = bindOperands([
      { buffer: this.buf(out), type: storeType(out.dtype), write: true },
      { buffer: this.buf(x), type: storeType(x.dtype), write: false },
      { buffer: this.buf(y), type: storeType(y.dtype), write: false },
    ]);
    const cfgKey = `${cfg.BM}x${cfg.BN}x${cfg.BK}/${cfg.TM}x${cfg.TN}`;
    const fullKey = `matmul:${cfgKey}:${x.dtype},${y.dtype}>${out.dtype}|${aK1 ? 'a1' : 'a'}${bN1 ? 'b1' : 'b'}|rb${rb}|${key}`;
    const src = () =>
      matmulSource({
        cfg,
        ct,
        aK1,
        bN1,
        rb,
        decls,
        loadA: (i) => loadConv(x.dtype, ct, `${names[1]}[${i}]`),
        loadB: (i) => loadConv(y.dtype, ct, `${names[2]}[${i}]`),
        store: (i, e) => `${names[0]}[${i}] = ${storeConv(out.dtype, ct, e)};`,
      });
    const gx = Math.ceil(N / cfg.BN);
    const gy = Math.ceil(M / cfg.BM);
    if (gx > MAX_GROUPS || gy > MAX_GROUPS) throw new ShapeError(`webgpu: matmul of ${M}x${K} by ${K}x${N} is too large for one launch`);
    for (let b0 = 0; b0 < nb; b0 += MAX_GROUPS) {
      const meta = [
        M,
        N,
        K,
        b0,
        sam,
        sak,
        sbk,
        sbn,
        som,
        son,
        x.offset,
        y.offset,
        out.offset,
        ...bc.shape,
        ...bc.strides[0],
        ...bc.strides[1],
        ...bc.strides[2],
      ];
      this.dispatch(fullKey, src, buffers, meta, [gx, gy, Math.min(MAX_GROUPS, nb - b0)]);
    }
  }

  // ------------------------------------------------------------------ gather / scatter
  take(x: View, idx: View, axis: number, out: View): void {
    const ir = idx.shape.length;
    const R = out.shape.length;
    const xs: number[] = [];
    const is: number[] = [];
    for (let d = 0; d < R; d++) {
      if (d < axis) {
        xs.push(x.strides[d]);
        is.push(0);
      } else if (d < axis + ir) {
        xs.push(0);
        is.push(idx.strides[d - axis]);
      } else {
        xs.push(x.strides[d - ir + 1]);
        is.push(0);
      }
    }
    this.runMap(
      `take:${x.dtype},${idx.dtype}`,
      out.shape,
      [
        this.operand(out, true, 'u32'),
        { buffer: this.buf(x), type: 'u32', write: false, offset: x.offset, strides: xs },
        { buffer: this.buf(idx), type: storeType(idx.dtype), write: false, offset: idx.offset, strides: is },
      ],
      (n) =>
        `  let k = clamp(${loadConv(idx.dtype, 'i32', `${n[2]}[u32(p2)]`)}, 0, mi(E) - 1);\n  ${n[0]}[u32(p0)] = ${n[1]}[u32(p1 + k * mi(E + 1u))];`,
      0,
      [x.shape[axis], x.strides[axis]],
    );
  }

  takeGrad(src: View, idx: View, axis: number, out: View): void {
    const ir = idx.shape.length;
    const R = src.shape.length;
    const os: number[] = [];
    const is: number[] = [];
    for (let d = 0; d < R; d++) {
      if (d < axis) {
        os.push(out.strides[d]);
        is.push(0);
      } else if (d < axis + ir) {
        os.push(0);
        is.push(idx.strides[d - axis]);
      } else {
        os.push(out.strides[d - ir + 1]);
        is.push(0);
      }
    }
    const ct = naturalType(out.dtype);
    const fromBits = (e: string) => loadConv(out.dtype, ct, storeType(out.dtype) === 'u32' ? e : `bitcast<${storeType(out.dtype)}>(${e})`);
    const toBits = (e: string) =>
      storeType(out.dtype) === 'u32' ? storeConv(out.dtype, ct, e) : `bitcast<u32>(${storeConv(out.dtype, ct, e)})`;
    this.runMap(
      `takeGrad:${src.dtype},${idx.dtype}>${out.dtype}`,
      src.shape,
      [
        this.operand(src),
        { buffer: this.buf(out), type: 'atomic<u32>', write: true, offset: out.offset, strides: os },
        { buffer: this.buf(idx), type: storeType(idx.dtype), write: false, offset: idx.offset, strides: is },
      ],
      (n) =>
        `  let k = clamp(${loadConv(idx.dtype, 'i32', `${n[2]}[u32(p2)]`)}, 0, mi(E) - 1);\n` +
        `  let v = ${loadConv(src.dtype, ct, `${n[0]}[u32(p0)]`)};\n` +
        `  let at = u32(p1 + k * mi(E + 1u));\n` +
        // Several positions may name the same row: a compare-exchange loop makes the add atomic.
        `  var old = atomicLoad(&${n[1]}[at]);\n  loop {\n    let nv = ${toBits(`${fromBits('old')} + v`)};\n` +
        `    let r = atomicCompareExchangeWeak(&${n[1]}[at], old, nv);\n    if (r.exchanged) { break; }\n    old = r.old_value;\n  }`,
      0,
      [out.shape[axis], out.strides[axis]],
    );
  }

  pick(x: View, idx: View, axis: number, out: View): void {
    const xs = x.strides.filter((_, i) => i !== axis);
    this.runMap(
      `pick:${x.dtype},${idx.dtype}`,
      out.shape,
      [
        this.operand(out, true, 'u32'),
        { buffer: this.buf(x), type: 'u32', write: false, offset: x.offset, strides: xs },
        this.operand(idx),
      ],
      (n) =>
        `  let k = clamp(${loadConv(idx.dtype, 'i32', `${n[2]}[u32(p2)]`)}, 0, mi(E) - 1);\n  ${n[0]}[u32(p0)] = ${n[1]}[u32(p1 + k * mi(E + 1u))];`,
      0,
      [x.shape[axis], x.strides[axis]],
    );
  }

  pickGrad(src: View, idx: View, axis: number, out: View): void {
    const os = out.strides.filter((_, i) => i !== axis);
    const ct = naturalType(out.dtype);
    this.runMap(
      `pickGrad:${src.dtype},${idx.dtype}>${out.dtype}`,
      src.shape,
      [
        this.operand(src),
        { buffer: this.buf(out), type: storeType(out.dtype), write: true, offset: out.offset, strides: os },
        this.operand(idx),
      ],
      (n) =>
        `  let k = clamp(${loadConv(idx.dtype, 'i32', `${n[2]}[u32(p2)]`)}, 0, mi(E) - 1);\n  let at = u32(p1 + k * mi(E + 1u));\n` +
        `  ${n[1]}[at] = ${storeConv(out.dtype, ct, `${loadConv(out.dtype, ct, `${n[1]}[at]`)} + ${loadConv(src.dtype, ct, `${n[0]}[u32(p0)]`)}`)};`,
      0,
      [out.shape[axis], out.strides[axis]],
    );
  }

  oneHot(idx: View, depth: number, on: number, off: number, out: View): void {
    const R = out.shape.length;
    // A third, virtual operand with strides (0, ..., 0, 1) yields the last coordinate as p2.
    const pos = out.shape.map((_, d) => (d === R - 1 ? 1 : 0));
    const ic = naturalType(idx.dtype);
    const cmp =
      ic === 'f32'
        ? `let kv = ${loadConv(idx.dtype, 'f32', `${'IDX'}`)};\n  let hit = kv >= 0.0 && kv < f32(mu(E)) && i32(kv) == p2;`
        : `let kv = ${loadConv(idx.dtype, 'i32', 'IDX')};\n  let hit = kv >= 0 && kv < mi(E) && kv == p2;`;
    this.runMap(
      `oneHot:${idx.dtype}>${out.dtype}`,
      out.shape,
      [
        this.operand(out, true, 'u32'),
        { buffer: this.buf(idx), type: storeType(idx.dtype), write: false, offset: idx.offset, strides: [...idx.strides, 0] },
        // The virtual operand reuses the index buffer binding; only its offset arithmetic is used.
        { buffer: this.buf(idx), type: storeType(idx.dtype), write: false, offset: 0, strides: pos },
      ],
      (n) => `  ${cmp.replace('IDX', `${n[1]}[u32(p1)]`)}\n  ${n[0]}[u32(p0)] = select(mu(E + 2u), mu(E + 1u), hit);`,
      0,
      [depth, scalarBits(out.dtype, on), scalarBits(out.dtype, off)],
    );
  }

  // ------------------------------------------------------------------ fused softmax cross-entropy
  /**
   * The fused forward of softmaxCrossEntropy (see Backend.softmaxCrossEntropy) in one kernel: a
   * thread per row for up to 128 classes, a 256-thread workgroup per row beyond. float32 logits
   * in contiguous rows; labels of any dtype are clipped into 0..C-1 (MXNet's mode='clip').
   */
  softmaxCrossEntropy(pred: View, label: View, loss: View, prob: View | null): boolean {
    if (pred.dtype !== 'float32' || loss.dtype !== 'float32' || (prob && prob.dtype !== 'float32')) return false;
    if (pred.shape.length !== 2 || label.shape.length !== 1 || loss.shape.length !== 1) return false;
    const [rows, C] = pred.shape;
    if (C === 0 || label.shape[0] !== rows || loss.shape[0] !== rows) return false;
    if (pred.strides[1] !== 1 || (rows > 1 && pred.strides[0] !== C)) return false;
    if (prob && (prob.strides[1] !== 1 || (rows > 1 && prob.strides[0] !== C))) return false;
    if (rows === 0) return true;
    const pb = this.buf(pred);
    const lb = this.buf(label);
    const ob = this.buf(loss);
    const qb = prob ? this.buf(prob) : null;
    // Outputs are fresh arrays; a label sharing the logits' (or an output's) buffer takes the composed path.
    if (lb === pb || lb === ob || lb === qb || ob === pb || qb === pb) return false;
    const ops: Operand[] = [
      { buffer: ob, type: 'f32', write: true },
      { buffer: pb, type: 'f32', write: false },
      { buffer: lb, type: storeType(label.dtype), write: false },
    ];
    if (qb) ops.push({ buffer: qb, type: 'f32', write: true });
    const { decls, names, buffers, key } = bindOperands(ops);
    const wide = C > 128;
    this.dispatch(
      `sce:${label.dtype}|${wide ? 'wg' : 'row'}|${key}`,
      () =>
        sceSource({
          decls,
          loss: names[0],
          pred: names[1],
          label: names[2],
          prob: qb ? names[3] : null,
          wide,
          loadLabel: (q) => loadConv(label.dtype, 'i32', `${names[2]}[u32(${q})]`),
        }),
      buffers,
      [rows, C, pred.offset, label.offset, label.strides[0], loss.offset, loss.strides[0], prob ? prob.offset : 0],
      wide ? grid(rows) : grid(Math.ceil(rows / 256)),
    );
    return true;
  }

  /** The fused gradient (see Backend.softmaxCrossEntropyGrad): out = prob·g[r], minus g[r] at the (clipped) label. */
  softmaxCrossEntropyGrad(prob: View, label: View, g: View, out: View): boolean {
    if (prob.dtype !== 'float32' || out.dtype !== 'float32' || g.dtype !== 'float32') return false;
    if (prob.shape.length !== 2 || label.shape.length !== 1 || g.shape.length !== 1) return false;
    const [rows, C] = prob.shape;
    if (C === 0 || label.shape[0] !== rows || g.shape[0] !== rows) return false;
    const ls = label.strides[0];
    const gs = g.strides[0];
    const lb = this.buf(label);
    const gb = this.buf(g);
    this.runMap(
      `sceGrad:${label.dtype}`,
      [rows, C],
      [
        this.operand(out, true),
        this.operand(prob),
        { buffer: gb, type: 'f32', write: false, offset: g.offset, strides: [gs, 0] },
        { buffer: lb, type: storeType(label.dtype), write: false, offset: label.offset, strides: [ls, 0] },
        // A virtual operand whose offset is the class index c (it binds the label buffer, never reads it).
        { buffer: lb, type: storeType(label.dtype), write: false, offset: 0, strides: [0, 1] },
      ],
      (n) =>
        `  let k = clamp(${loadConv(label.dtype, 'i32', `${n[3]}[u32(p3)]`)}, 0, mi(E) - 1);\n` +
        `  let gr = ${n[2]}[u32(p2)];\n  let v = ${n[1]}[u32(p1)] * gr;\n` +
        `  ${n[0]}[u32(p0)] = select(v, v - gr, p4 == k);`,
      0,
      [C],
    );
    return true;
  }

  // ------------------------------------------------------------------ fused recurrent steps
  /**
   * The fused step of a recurrent layer (see Backend.rnnStep) as one WGSL kernel, a thread per
   * state element; float32 dense views only (src/ops/rnn.ts keeps each step to at most 8 buffers).
   */
  rnnStep(v: RnnStepViews): boolean {
    const gated = v.mode === 'lstm' || v.mode === 'gru';
    const views = [v.gx, v.gh, v.bx, v.bh, v.hPrev, v.h, ...(v.mode === 'lstm' ? [v.cPrev, v.c] : []), ...(gated ? [v.reserve] : [])];
    return this.rnnKernel('rnnStep', v.mode, views, [5], (decls, names) => rnnStepSource(v.mode, decls, names), v.h);
  }

  /** The gradient of rnnStep (see Backend.rnnStepGrad) as one WGSL kernel. */
  rnnStepGrad(v: RnnStepGradViews): boolean {
    const gated = v.mode === 'lstm' || v.mode === 'gru';
    const lstm = v.mode === 'lstm' ? [v.dcNext, v.c, v.cPrev, v.dcPrev] : [];
    const views = [v.dh, v.dhNext, v.h, v.hPrev, v.dgx, v.dgh, v.dhPrev, ...lstm, ...(gated ? [v.reserve] : [])];
    const writes = v.mode === 'lstm' ? [4, 5, 6, 10] : [4, 5, 6];
    return this.rnnKernel('rnnStepGrad', v.mode, views, writes, (decls, names) => rnnStepGradSource(v.mode, decls, names), v.h);
  }

  private rnnKernel(
    name: string,
    mode: string,
    views: readonly (View | null)[],
    writes: readonly number[],
    source: (decls: BufferDecl[], names: string[]) => string,
    state: View,
  ): boolean {
    for (const x of views) if (!x || x.dtype !== 'float32' || !isContiguous(x.shape, x.strides)) return false;
    const vs = views as View[];
    const [N, H] = state.shape;
    if (N * H === 0) return true;
    // In the forward kernel the LSTM's c (operand 7) is written too; in both the reserve (last) of gated modes.
    const w = new Set(writes);
    if (name === 'rnnStep') {
      if (mode === 'lstm') w.add(7);
      if (mode === 'lstm' || mode === 'gru') w.add(vs.length - 1);
    }
    const ops: Operand[] = vs.map((x, k) => ({ buffer: this.buf(x), type: 'f32', write: w.has(k) }));
    const { decls, names, buffers, key } = bindOperands(ops);
    if (buffers.length > 8) return false; // the default limit of storage buffers per shader stage
    this.dispatch(
      `${name}:${mode}|${key}`,
      () => source(decls, names),
      buffers,
      [N * H, H, ...vs.map((x) => x.offset)],
      grid(Math.ceil((N * H) / 256)),
    );
    return true;
  }

  // ------------------------------------------------------------------ convolution and pooling
  private convMeta(
    total: number,
    x: View,
    wShape: readonly number[],
    oView: View,
    p: { stride: [number, number]; padding: [number, number]; dilation: [number, number] },
    ocPerG: number,
    w: View | null,
    d: View | null,
  ): number[] {
    const [N, C, H, W] = x.shape;
    const [OC, CG, KH, KW] = wShape;
    const OH = oView.shape[2];
    const OW = oView.shape[3];
    const m = [
      total,
      N,
      C,
      H,
      W,
      OC,
      CG,
      KH,
      KW,
      OH,
      OW,
      p.stride[0],
      p.stride[1],
      p.padding[0],
      p.padding[1],
      p.dilation[0],
      p.dilation[1],
      ocPerG,
    ];
    const put = (v: View | null) => (v ? m.push(v.offset, ...v.strides) : m.push(0, 0, 0, 0, 0));
    put(x);
    put(w);
    put(oView);
    put(d);
    return m;
  }

  /**
   * Runs a direct NCHW kernel. Roles: `out` is stored to, `d` is read-modify-written (gradients
   * accumulate as in the reference), `x`/`w`/`g` are read; only the roles given are bound.
   */
  private convKernel(
    name: string,
    roles: { out?: View; x?: View; w?: View; g?: View; d?: View },
    make: (p: ConvParams) => string,
    meta: number[],
    total: number,
  ): void {
    const order = (['out', 'x', 'w', 'g', 'd'] as const).filter((r) => roles[r]);
    const ops = order.map((r) => ({ buffer: this.buf(roles[r]!), type: storeType(roles[r]!.dtype), write: r === 'out' || r === 'd' }));
    const { decls, names, buffers, key } = bindOperands(ops);
    const name_ = (r: (typeof order)[number]) => names[order.indexOf(r)];
    const dt = order.map((r) => `${r}=${roles[r]!.dtype}`).join(',');
    const ct: ComputeType = 'f32';
    const missing = (r: string) => (): string => {
      throw new WebGpuError(`webgpu: ${name} kernel reads role ${r}, which was not bound`);
    };
    const rd = (r: 'x' | 'w' | 'g') => (roles[r] ? (off: string) => loadConv(roles[r]!.dtype, ct, `${name_(r)}[${off}]`) : missing(r));
    const params: ConvParams = {
      decls,
      ct,
      x: rd('x'),
      w: rd('w'),
      g: rd('g'),
      store: roles.out ? (off, e) => `${name_('out')}[${off}] = ${storeConv(roles.out!.dtype, ct, e)};` : missing('out'),
      rmw: roles.d
        ? (off, e) =>
            `${name_('d')}[${off}] = ${storeConv(roles.d!.dtype, ct, `${loadConv(roles.d!.dtype, ct, `${name_('d')}[${off}]`)} + ${e}`)};`
        : missing('d'),
    };
    this.dispatch(`${name}:${dt}|${key}`, () => make(params), buffers, meta, grid(Math.ceil(total / 256)));
  }

  conv2d(x: View, w: View, p: Conv2dParams, out: View): void {
    const total = sizeOf(out.shape);
    if (total === 0) return;
    const meta = this.convMeta(total, x, w.shape, out, p, w.shape[0] / p.groups, w, null);
    this.convKernel('conv2d', { out, x, w }, conv2dSource, meta, total);
  }

  conv2dGrad(g: View, x: View, w: View, p: Conv2dParams, dx: View | null, dw: View | null): void {
    const ocPerG = w.shape[0] / p.groups;
    if (dx && sizeOf(dx.shape) > 0) {
      const total = sizeOf(dx.shape);
      this.convKernel('conv2dGradX', { w, g, d: dx }, conv2dGradXSource, this.convMeta(total, x, w.shape, g, p, ocPerG, w, dx), total);
    }
    if (dw && sizeOf(dw.shape) > 0) {
      const total = sizeOf(dw.shape);
      this.convKernel('conv2dGradW', { x, g, d: dw }, conv2dGradWSource, this.convMeta(total, x, w.shape, g, p, ocPerG, w, dw), total);
    }
  }

  pool2d(kind: 'max' | 'avg', x: View, p: Pool2dParams, out: View): void {
    const total = sizeOf(out.shape);
    if (total === 0) return;
    this.convKernel(`pool2d-${kind}`, { out, x }, (q) => pool2dSource(kind, q), this.poolMeta(total, x, p, out, null), total);
  }

  pool2dGrad(kind: 'max' | 'avg', g: View, x: View, p: Pool2dParams, dx: View): void {
    const total = sizeOf(dx.shape);
    if (total === 0) return;
    const roles = kind === 'max' ? { x, g, d: dx } : { g, d: dx };
    this.convKernel(`pool2dGrad-${kind}`, roles, (q) => pool2dGradSource(kind, q), this.poolMeta(total, x, p, g, dx), total);
  }

  private poolMeta(total: number, x: View, p: Pool2dParams, o: View, d: View | null): number[] {
    const m = this.convMeta(
      total,
      x,
      [x.shape[1], 1, p.kernel[0], p.kernel[1]],
      o,
      { stride: p.stride, padding: p.padding, dilation: [1, 1] },
      1,
      null,
      d,
    );
    m[17] = p.countIncludePad ? 1 : 0;
    return m;
  }
}

/** Binds operands, merging those that share a buffer; the key encodes types, access and sharing. */
function bindOperands(ops: readonly Operand[]): { decls: BufferDecl[]; names: string[]; buffers: WBuffer[]; key: string } {
  const slot = new Map<WBuffer, number>();
  const decls: BufferDecl[] = [];
  const buffers: WBuffer[] = [];
  const names: string[] = [];
  const ix: number[] = [];
  for (const o of ops) {
    let j = slot.get(o.buffer);
    if (j === undefined) {
      j = decls.length;
      slot.set(o.buffer, j);
      decls.push({ type: o.type, access: o.write ? 'read_write' : 'read' });
      buffers.push(o.buffer);
    } else {
      if (o.write) decls[j].access = 'read_write';
      // One binding has one element type: an operand sharing a buffer reads it with the bound type.
      if (decls[j].type !== o.type)
        throw new WebGpuError(`webgpu: two operands of one kernel share a buffer but read it as ${decls[j].type} and ${o.type}`);
    }
    names.push(`B${j}`);
    ix.push(j);
  }
  const key = decls.map((d) => `${d.type}${d.access === 'read' ? 'r' : 'w'}`).join(',') + '/' + ix.join('');
  return { decls, names, buffers, key };
}

function chooseMatmul(M: number, N: number): MatmulConfig {
  if (N <= 16 && M > 16) return MATMUL_CONFIGS.skinnyN;
  if (M <= 16 && N > 16) return MATMUL_CONFIGS.skinnyM;
  if (M >= 1024 && N >= 1024) return MATMUL_CONFIGS.large;
  return MATMUL_CONFIGS.default;
}
