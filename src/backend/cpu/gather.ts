// The reference gathers and scatters: take (any axis) and its gradient, the row gather of take on
// axis 0 (a memmove per row inside the heap, through a hand-assembled 112-byte Wasm module), pick,
// its gradient and oneHot.
import type { TypedArray } from '../../core/dtype.js';
import { IndexError } from '../../core/errors.js';
import { contiguousStrides, sizeOf } from '../../core/shape.js';
import type { View } from '../backend.js';
import type { Heap } from './heap.js';
import { arr, isDense } from './elementwise.js';
import { forEachIndex } from './iter.js';

/** out = x taken at the indices I (idx's values, of shape idxShape) along `axis`. */
export function takeRef(x: View, I: ArrayLike<number>, idxShape: readonly number[], axis: number, out: View): void {
  const { pre, len } = splitAt(x.shape, axis);
  const X = arr(x);
  const O = arr(out);
  checkIndices(I, len, 'take');
  const preS = x.strides.slice(0, axis);
  const postShape = x.shape.slice(axis + 1);
  const postS = x.strides.slice(axis + 1);
  const ni = I.length;
  const oStr = out.strides;
  const oPre = oStr.slice(0, axis);
  const oIdx = oStr.slice(axis, axis + idxShape.length);
  const oPost = oStr.slice(axis + idxShape.length);
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
 * The layout of take on axis 0 as a batch of rows: the elements per row of x when idx (its `ni`
 * indices, checked here), out and x's rows are contiguous, else -1 (then takeRef takes it).
 */
export function takeRowsLayout(x: View, idx: View, out: View, ni: number): number {
  if (!isDense(idx) || !isDense(out) || x.shape.length === 0) return -1;
  const len = x.shape[0];
  let rowSize = 1;
  let acc = 1;
  for (let d = x.shape.length - 1; d >= 1; d--) {
    if (x.shape[d] !== 1 && x.strides[d] !== acc) return -1;
    acc *= x.shape[d];
    rowSize *= x.shape[d];
  }
  const I = arr(idx);
  const io = idx.offset;
  for (let j = 0; j < ni; j++) {
    const k = I[io + j];
    if (!(k >= 0 && k < len && Number.isInteger(k)))
      throw new IndexError(`take: index ${k} is out of range for an axis of size ${len} (valid integers: 0..${len - 1})`);
  }
  return rowSize;
}

/** take on axis 0 of rows of one element (a 1-D x): one load per index (layout checked by takeRowsLayout). */
export function takeElements(x: View, idx: View, out: View, ni: number): void {
  const I = arr(idx);
  const io = idx.offset;
  const xs = x.strides[0];
  const X = arr(x);
  const O = arr(out);
  for (let j = 0, xo = x.offset, oo = out.offset; j < ni; j++) O[oo + j] = X[xo + I[io + j] * xs];
}

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
  0, 97, 115, 109, 1, 0, 0, 0, 1, 10, 1, 96, 6, 127, 127, 127, 127, 127, 127, 0, 2, 15, 1, 3, 101, 110, 118, 3, 109, 101, 109, 2, 3, 1, 128,
  128, 4, 3, 2, 1, 0, 7, 8, 1, 4, 114, 111, 119, 115, 0, 0, 10, 59, 1, 57, 1, 1, 127, 2, 64, 3, 64, 32, 6, 32, 3, 79, 13, 1, 32, 0, 32, 6,
  32, 4, 108, 106, 32, 1, 32, 2, 32, 6, 65, 2, 116, 106, 40, 2, 0, 32, 5, 108, 106, 32, 4, 252, 10, 0, 0, 32, 6, 65, 1, 106, 33, 6, 12, 0,
  11, 11, 11,
]);

const ROW_GATHER_SHARED_FLAG_AT = 32;

/** The reference's row copy inside one heap: ROW_GATHER_WASM for int32 indices, else copyWithin per row. */
export class HeapRowCopy {
  private heapU8: Uint8Array | null = null;
  private gatherFn: RowGather | null | undefined;

  constructor(private readonly heap: Heap) {}

  /** Row j at dst + j·rowBytes = the row at src + idx[j]·strideBytes (byte addresses; idxPtr: idx's first index). */
  rows(dst: number, src: number, idx: View, idxPtr: number, n: number, rowBytes: number, strideBytes: number): void {
    const gather = idx.dtype === 'int32' ? this.rowGather() : null;
    if (gather) {
      gather(dst, src, idxPtr, n, rowBytes, strideBytes);
      return;
    }
    const I = arr(idx);
    const io = idx.offset;
    const U8 = this.heapBytes();
    for (let j = 0, d = dst; j < n; j++, d += rowBytes) {
      const s = src + I[io + j] * strideBytes;
      U8.copyWithin(d, s, s + rowBytes);
    }
  }

  /** A byte view of the whole heap (renewed when the heap grows). */
  private heapBytes(): Uint8Array {
    const buf = this.heap.buffer;
    if (!this.heapU8 || this.heapU8.buffer !== buf) this.heapU8 = new Uint8Array(buf as ArrayBuffer);
    return this.heapU8;
  }

  /** The row-gather Wasm function over the heap (null where it cannot be instantiated). */
  private rowGather(): RowGather | null {
    if (this.gatherFn === undefined) {
      try {
        // Byte 32 is the memory import's limits flags: 3 (shared, with a maximum) as written
        // above, 1 (the same, not shared) for a non-shared heap.
        const bytes = ROW_GATHER_WASM.slice();
        if (!this.heap.shared) bytes[ROW_GATHER_SHARED_FLAG_AT] = 1;
        const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: this.heap.memory } });
        this.gatherFn = inst.exports.rows as RowGather;
      } catch {
        this.gatherFn = null;
      }
    }
    return this.gatherFn;
  }
}

/** out += src scattered back to the indices I (of shape idxShape) along `axis`: the gradient of take. */
export function takeGradRef(src: View, I: ArrayLike<number>, idxShape: readonly number[], axis: number, out: View): void {
  const { pre, len } = splitAt(out.shape, axis);
  checkIndices(I, len, 'take (gradient)');
  const S = arr(src);
  const O = arr(out);
  const postShape = out.shape.slice(axis + 1);
  const oPre = out.strides.slice(0, axis);
  const oPost = out.strides.slice(axis + 1);
  const sPre = src.strides.slice(0, axis);
  const sIdx = src.strides.slice(axis, axis + idxShape.length);
  const sPost = src.strides.slice(axis + idxShape.length);
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
        const s0 = ps + flatToOffset(j, idxShape, sIdx);
        if (os === 1 && ss === 1) for (let e = 0; e < n; e++) O[dst + e] += S[s0 + e];
        else for (let e = 0; e < n; e++) O[dst + e * os] += S[s0 + e * ss];
      }
    });
    return;
  }
  forEachIndex(pre, [oPre, sPre], [out.offset, src.offset], (po, ps) => {
    for (let j = 0; j < I.length; j++) {
      const dst = po + I[j] * out.strides[axis];
      const s0 = ps + flatToOffset(j, idxShape, sIdx);
      forEachIndex(postShape, [oPost, sPost], [dst, s0], (a, b) => {
        O[a] += S[b];
      });
    }
  });
}

/** out[..., ...] = x at index idx[...] along `axis` (out: x's shape without the axis). */
export function pickRef(x: View, idx: View, axis: number, out: View): void {
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

/** out += src at the picked positions: the gradient of pick. */
export function pickGradRef(src: View, idx: View, axis: number, out: View): void {
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

/** Writes `on` at each index along out's last axis (out already holds `off` everywhere). */
export function oneHotRef(idx: View, depth: number, on: number, out: View): void {
  const I = arr(idx);
  const O = arr(out);
  const last = out.strides[out.shape.length - 1];
  forEachIndex(idx.shape, [idx.strides, out.strides.slice(0, -1)], [idx.offset, out.offset], (pi, po) => {
    const k = I[pi];
    // MXNet leaves rows of out-of-range indices all `off`.
    if (k >= 0 && k < depth) O[po + Math.trunc(k) * last] = on;
  });
}

function splitAt(shape: readonly number[], axis: number) {
  return { pre: shape.slice(0, axis), len: shape[axis] };
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
