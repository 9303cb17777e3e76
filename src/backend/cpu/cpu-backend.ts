import type { DType, TypedArray } from '../../core/dtype.js';
import { bytesPerElement, typedArrayCtor } from '../../core/dtype.js';
import { sizeOf } from '../../core/shape.js';
import { IndexError } from '../../core/errors.js';
import type { Backend, BinaryOp, Conv2dParams, Pool2dParams, ReduceOp, Storage, UnaryOp, View } from '../backend.js';
import { Heap } from './heap.js';
import { coalesce, mapKernel, type Arr } from './codegen.js';
import { BINARY_EXPR, UNARY_EXPR } from './exprs.js';
import { matmulRef } from './matmul.js';
import { forEachIndex } from './iter.js';
import { conv2dRef, conv2dGradRef, pool2dRef, pool2dGradRef } from './conv.js';

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
    this.map('a', dst, [{ arr: data, offset: 0, strides: contiguous(dst.shape) }], 0);
  }

  readSync(src: View): TypedArray {
    const C = typedArrayCtor(src.dtype);
    const out = new C(sizeOf(src.shape));
    this.map('a', { arr: out, offset: 0, strides: contiguous(src.shape), shape: src.shape }, [viewArg(src)], 0);
    return out;
  }

  async read(src: View): Promise<TypedArray> {
    return this.readSync(src);
  }

  fill(out: View, value: number): void {
    this.map(castExpr(out.dtype, 's'), out, [], value);
  }

  copy(x: View, out: View): void {
    this.map(castExpr(out.dtype, 'a'), out, [viewArg(x)], 0);
  }

  unary(op: UnaryOp, x: View, out: View): void {
    this.map(castExpr(out.dtype, UNARY_EXPR[op]), out, [viewArg(x)], 0);
  }

  binary(op: BinaryOp, a: View, b: View, out: View): void {
    this.map(castExpr(out.dtype, BINARY_EXPR[op]), out, [viewArg(a), viewArg(b)], 0);
  }

  binaryScalar(op: BinaryOp, x: View, s: number, reverse: boolean, out: View): void {
    const e = BINARY_EXPR[op];
    // Rename the operands so the scalar sits on the requested side.
    const expr = reverse ? e.replace(/\ba\b/g, '__x').replace(/\bb\b/g, 'a').replace(/__x/g, 's') : e.replace(/\bb\b/g, 's');
    this.map(castExpr(out.dtype, expr), out, [viewArg(x)], s);
  }

  where(cond: View, a: View, b: View, out: View): void {
    this.map(castExpr(out.dtype, 'a !== 0 ? b : c'), out, [viewArg(cond), viewArg(a), viewArg(b)], 0);
  }

  reduce(op: ReduceOp, x: View, axes: readonly number[], out: View): void {
    const n = sizeOf(x.shape);
    const acc = ACC[op];
    if (acc) {
      // Accumulate in float64 over x in memory order, with out's strides zeroed on reduced axes.
      const outSize = sizeOf(out.shape);
      const tmp = new Float64Array(outSize).fill(acc.init);
      const tmpStrides = expandStrides(x.shape, axes, contiguous(out.shape));
      if (n > 0) this.map(acc.expr, { arr: tmp, offset: 0, strides: tmpStrides, shape: x.shape }, [viewArg(x)], 0);
      this.map(castExpr(out.dtype, 'a'), out, [{ arr: tmp, offset: 0, strides: contiguous(out.shape) }], 0);
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
    const better = op === 'argmax' ? (v: number, best: number) => v > best : (v: number, best: number) => v < best;
    forEachIndex(outerShape, [outerStrides, out.strides], [x.offset, out.offset], (px, po) => {
      let best = X[px];
      let bi = 0;
      for (let i = 1; i < len; i++) {
        const v = X[px + i * xs];
        if (best !== best) break; // NaN wins, as in numpy
        if (better(v, best) || v !== v) {
          best = v;
          bi = i;
        }
      }
      O[po] = bi;
    });
  }

  matmul(x: View, y: View, out: View): void {
    matmulRef(arr(x), x, arr(y), y, arr(out), out);
  }

  take(x: View, idx: View, axis: number, out: View): void {
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
    const c = coalesce(shape, [o.strides, ...ins.map((i) => i.strides)]);
    const k = mapKernel(expr, ins.length, c.shape.length);
    const args: unknown[] = [];
    ins.forEach((a, i) => args.push(a.arr, a.offset, c.strides[i + 1]));
    k(o.arr, o.offset, c.strides[0], c.shape, s, ...args);
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

/** Wraps `expr` so the stored value follows the output dtype's conversion rules. */
function castExpr(d: DType, expr: string): string {
  // Typed arrays already truncate/wrap on store; bool must map every non-zero to 1.
  return d === 'bool' ? `((${expr}) !== 0 ? 1 : 0)` : expr;
}

function contiguous(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
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
