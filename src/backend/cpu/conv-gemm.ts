// Convolution as GEMM on the CPU backend's fast paths: im2col (kernels/conv.ts, Wasm) into a
// bounded scratch tile of images, then the backend's own matmul, which runs on OpenBLAS where the
// addon is loaded and on the Wasm GEMM otherwise, split over the worker threads either way. The
// gradients are the same products transposed (views, never copies) and col2im. Convolutions with
// few taps per output (LeNet's first layer) skip the columns: direct Wasm kernels read x in place
// for the output and the weight gradient. Pooling runs in its Wasm kernel. Everything here declines (returns false) outside float32 and dense NCHW
// layouts, and the backend then runs the TypeScript reference (conv.ts), which is also the oracle
// the tests hold these paths to.
import { isContiguous } from '../../core/shape.js';
import { env } from '../../core/env.js';
import type { BinaryOp, Conv2dParams, Pool2dParams, ReduceOp, Storage, View } from '../backend.js';
import type { WasmKernels } from './wasm/fast.js';

/**
 * Scratch bytes for one tile of columns (or of per-image weight-gradient partials): as many images
 * as fit go into one batched GEMM, at least one. Bounded per tile, not per batch, so a batch of
 * 256 ResNet images needs no more scratch than a batch of 8.
 */
export const CONV_TILE_BYTES = 8 << 20;

/**
 * Multiply-adds per image from which a weight gradient is summed image by image straight into dW
 * (GEMMs with beta = 1); below it, the images of a tile go through one batched GEMM into partial
 * products that one reduction adds up, since a native call per small product costs more than it.
 */
const PER_IMAGE_DW_MNK = 1 << 18;

/**
 * Taps per output (C * KH * KW) up to which a stride-1, unpadded, undilated, ungrouped convolution
 * runs in the direct Wasm kernels (kernels/conv.ts), which read x in place: LeNet's first layer
 * (1 x 5 x 5) has columns 25 times its input, written and read again by im2col + GEMM.
 * D2L_CONV_DIRECT=0 sends these through im2col + GEMM too.
 */
export const DIRECT_MAX_TAPS = 32;
const DIRECT_ON = env('D2L_CONV_DIRECT') !== '0';

/** What the convolution needs from the CPU backend: storage and the dispatched kernels. */
export interface ConvHost {
  alloc(dtype: 'float32', size: number): Storage;
  free(s: Storage): void;
  copy(x: View, out: View): void;
  matmul(x: View, y: View, out: View): void;
  matmulAdd(x: View, y: View, out: View): boolean;
  reduce(op: ReduceOp, x: View, axes: readonly number[], out: View): void;
  binary(op: BinaryOp, a: View, b: View, out: View): void;
}

interface HeapStorage {
  readonly ptr: number;
}

/** A float32 view on `storage`. */
function view(storage: Storage, shape: number[], strides: number[], offset: number): View {
  return { storage, shape, strides, offset, dtype: 'float32' };
}

const ptr = (s: Storage): number => (s as unknown as HeapStorage).ptr;
/** The byte address of a float32 view's first element. */
const addr = (v: View): number => ptr(v.storage) + v.offset * 4;

/** float32 and row-major contiguous. */
/** Whether `v` is float32 and dense (row-major, no gaps): what the fast conv kernels take. */
export function denseF32(v: View): boolean {
  return v.dtype === 'float32' && isContiguous(v.shape, v.strides);
}

/** The convolution's sizes, and how its columns are laid out. */
class Geometry {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly OC: number;
  readonly CG: number;
  readonly OCg: number;
  /** Rows of the columns: CG * KH * KW. */
  readonly Kc: number;
  readonly OH: number;
  readonly OW: number;
  readonly OHW: number;
  /** A 1x1 kernel at stride 1 without padding: the input itself is the column matrix. */
  readonly direct: boolean;
  /** Few taps, stride 1, no padding or dilation, one group: the direct kernels (DIRECT_MAX_TAPS). */
  readonly fewTaps: boolean;
  /** kernels/conv.ts' conv descriptor. */
  readonly desc: number[];
  /** kernels/conv.ts' descriptor of the direct kernels. */
  readonly directDesc: number[];
  constructor(x: View, w: View, outShape: readonly number[], p: Conv2dParams) {
    [this.N, this.C, this.H, this.W] = x.shape;
    const [OC, CG, KH, KW] = w.shape;
    [this.OC, this.CG] = [OC, CG];
    [this.OH, this.OW] = [outShape[2], outShape[3]];
    this.OHW = this.OH * this.OW;
    this.OCg = OC / p.groups;
    this.Kc = CG * KH * KW;
    this.direct = KH === 1 && KW === 1 && p.stride[0] === 1 && p.stride[1] === 1 && p.padding[0] === 0 && p.padding[1] === 0;
    const [sh, sw] = p.stride;
    const [ph, pw] = p.padding;
    const [dh, dw] = p.dilation;
    this.desc = [CG, this.H, this.W, KH, KW, sh, sw, ph, pw, dh, dw, this.OH, this.OW, this.C * this.H * this.W, this.Kc * this.OHW];
    this.fewTaps =
      DIRECT_ON &&
      !this.direct &&
      p.groups === 1 &&
      this.Kc <= DIRECT_MAX_TAPS &&
      this.OW >= 4 &&
      [sh, sw, dh, dw].every((v) => v === 1) &&
      ph === 0 &&
      pw === 0;
    this.directDesc = [this.C, this.H, this.W, KH, KW, OC, this.OH, this.OW];
  }
  /** Images per tile: as many as `perImage` bytes each fit into CONV_TILE_BYTES, at least one. */
  tile(perImage: number): number {
    return perImage <= 0 ? this.N : Math.max(1, Math.min(this.N, Math.floor(CONV_TILE_BYTES / perImage)));
  }
}

/** What scratch storage needs of a backend (the conv hosts here and in dnnl.ts have it). */
export type ScratchHost = Pick<ConvHost, 'alloc' | 'free' | 'copy'>;

/** Runs `fn` with a float32 scratch storage of `size` elements (none when size is 0), freed after. */
function withScratch<T>(host: ScratchHost, size: number, fn: (s: Storage | null) => T): T {
  const s = size > 0 ? host.alloc('float32', size) : null;
  try {
    return fn(s);
  } finally {
    if (s) host.free(s);
  }
}

/** `v` itself when it is dense, else a dense copy of it for the duration of `fn`. */
export function withDense<T>(host: ScratchHost, v: View, fn: (d: View) => T): T {
  if (isContiguous(v.shape, v.strides)) return fn(v);
  let n = 1;
  for (const d of v.shape) n *= d;
  return withScratch(host, n, (s) => {
    const strides: number[] = [];
    for (let i = v.shape.length - 1, st = 1; i >= 0; i--) {
      strides[i] = st;
      st *= v.shape[i];
    }
    const d = view(s!, [...v.shape], strides, 0);
    host.copy(v, d);
    return fn(d);
  });
}

/**
 * out = conv2d(x, w) for float32 NCHW views (x and w dense; out dense): per tile of images and per
 * group, the columns of the tile, then one batched GEMM out[n, g] = W[g] · col[n]. False (nothing
 * written) for other dtypes or layouts.
 */
export function conv2dGemm(host: ConvHost, k: WasmKernels, x: View, w: View, p: Conv2dParams, out: View): boolean {
  if (!denseF32(x) || !denseF32(w) || !denseF32(out)) return false;
  const G = new Geometry(x, w, out.shape, p);
  const { N, C, H, W, OC, CG, OCg, Kc, OHW } = G;
  if (G.fewTaps) {
    k.convDirect(G.directDesc, addr(x), addr(w), addr(out), N);
    return true;
  }
  const T = G.direct ? N : G.tile(Kc * OHW * 4);
  withScratch(host, G.direct ? 0 : T * Kc * OHW, (col) => {
    for (let n0 = 0; n0 < N; n0 += T) {
      const t = Math.min(T, N - n0);
      for (let g = 0; g < p.groups; g++) {
        const xOff = x.offset + n0 * C * H * W + g * CG * H * W;
        let B: View;
        if (G.direct) B = view(x.storage, [t, CG, H * W], [C * H * W, H * W, 1], xOff);
        else {
          k.convColumns(true, G.desc, ptr(x.storage) + xOff * 4, ptr(col!), t);
          B = view(col!, [t, Kc, OHW], [Kc * OHW, OHW, 1], 0);
        }
        const A = view(w.storage, [t, OCg, Kc], [0, Kc, 1], w.offset + g * OCg * Kc);
        const O = view(out.storage, [t, OCg, OHW], [OC * OHW, OHW, 1], out.offset + n0 * OC * OHW + g * OCg * OHW);
        host.matmul(A, B, O);
      }
    }
  });
  return true;
}

/**
 * The gradients of conv2dGemm, accumulated into dx and dw (zero-initialised by the caller, as for
 * the reference): dW[g] += Σ_n G[n, g] · col[n]ᵀ and dcol[n] = W[g]ᵀ · G[n, g], then col2im into
 * dx. A non-dense `g` is copied dense first. False (nothing written) for other dtypes or layouts.
 */
export function conv2dGradGemm(
  host: ConvHost,
  k: WasmKernels,
  g: View,
  x: View,
  w: View,
  p: Conv2dParams,
  dx: View | null,
  dw: View | null,
): boolean {
  if (g.dtype !== 'float32' || !denseF32(x) || !denseF32(w) || (dx && !denseF32(dx)) || (dw && !denseF32(dw))) return false;
  if (!dx && !dw) return true;
  withDense(host, g, (gd) => {
    const G = new Geometry(x, w, gd.shape, p);
    if (dw && G.fewTaps) {
      k.convDirectDw(G.directDesc, addr(x), addr(gd), addr(dw), G.N);
      if (dx) gradTiles(host, k, G, gd, x, w, p, dx, null);
    } else gradTiles(host, k, G, gd, x, w, p, dx, dw);
  });
  return true;
}

function gradTiles(
  host: ConvHost,
  k: WasmKernels,
  G: Geometry,
  gd: View,
  x: View,
  w: View,
  p: Conv2dParams,
  dx: View | null,
  dw: View | null,
): void {
  const { N, C, H, W, OC, CG, OCg, Kc, OHW } = G;
  const perImageDw = OCg * Kc * OHW >= PER_IMAGE_DW_MNK;
  const partialPerImage = dw && !perImageDw ? OCg * Kc * 4 : 0;
  const T = G.tile((G.direct ? 0 : Kc * OHW * 4) + partialPerImage);
  const colSize = G.direct ? 0 : T * Kc * OHW;
  const partSize = partialPerImage ? T * OCg * Kc + OCg * Kc : 0;
  withScratch(host, colSize + partSize, (scratch) => {
    for (let n0 = 0; n0 < N; n0 += T) {
      const t = Math.min(T, N - n0);
      for (let grp = 0; grp < p.groups; grp++) {
        const xOff = n0 * C * H * W + grp * CG * H * W;
        const Gv = view(gd.storage, [t, OCg, OHW], [OC * OHW, OHW, 1], gd.offset + n0 * OC * OHW + grp * OCg * OHW);
        if (dw) {
          // The columns of x for this tile, read transposed: col[n]ᵀ is (OHW, Kc).
          let colT: View;
          if (G.direct) colT = view(x.storage, [t, OHW, Kc], [C * H * W, 1, H * W], x.offset + xOff);
          else {
            k.convColumns(true, G.desc, ptr(x.storage) + (x.offset + xOff) * 4, ptr(scratch!), t);
            colT = view(scratch!, [t, OHW, Kc], [Kc * OHW, 1, OHW], 0);
          }
          const dwg = view(dw.storage, [OCg, Kc], [Kc, 1], dw.offset + grp * OCg * Kc);
          if (perImageDw) {
            for (let i = 0; i < t; i++) {
              const Gi = view(gd.storage, [OCg, OHW], [OHW, 1], Gv.offset + i * OC * OHW);
              const Ci = view(colT.storage, [OHW, Kc], [1, colT.strides[2]], colT.offset + i * colT.strides[0]);
              if (!host.matmulAdd(Gi, Ci, dwg)) throw new Error('conv2d gradient: the fast path lost its GEMM with beta = 1');
            }
          } else {
            const part = view(scratch!, [t, OCg, Kc], [OCg * Kc, Kc, 1], colSize);
            const sum = view(scratch!, [OCg, Kc], [Kc, 1], colSize + T * OCg * Kc);
            host.matmul(Gv, colT, part);
            host.reduce('sum', part, [0], sum);
            host.binary('add', dwg, sum, dwg);
          }
        }
        if (dx) {
          const WT = view(w.storage, [t, Kc, OCg], [0, 1, Kc], w.offset + grp * OCg * Kc);
          if (G.direct) {
            const D = view(dx.storage, [t, CG, H * W], [C * H * W, H * W, 1], dx.offset + xOff);
            if (!host.matmulAdd(WT, Gv, D)) throw new Error('conv2d gradient: the fast path lost its GEMM with beta = 1');
          } else {
            // The columns' gradient reuses the columns' scratch (dW above is done with them).
            const dcol = view(scratch!, [t, Kc, OHW], [Kc * OHW, OHW, 1], 0);
            host.matmul(WT, Gv, dcol);
            k.convColumns(false, G.desc, ptr(dx.storage) + (dx.offset + xOff) * 4, ptr(scratch!), t);
          }
        }
      }
    }
  });
}

/** kernels/conv.ts' pool descriptor. */
function poolDesc(kind: 'max' | 'avg', x: View, p: Pool2dParams, outShape: readonly number[]): number[] {
  const [, , H, W] = x.shape;
  return [
    H,
    W,
    p.kernel[0],
    p.kernel[1],
    p.stride[0],
    p.stride[1],
    p.padding[0],
    p.padding[1],
    outShape[2],
    outShape[3],
    p.countIncludePad ? 1 : 0,
    kind === 'max' ? 0 : 1,
  ];
}

/** Pooling of dense float32 NCHW views in the Wasm kernel; false (nothing written) otherwise. */
export function pool2dFast(k: WasmKernels, kind: 'max' | 'avg', x: View, p: Pool2dParams, out: View): boolean {
  if (!denseF32(x) || !denseF32(out)) return false;
  const [N, C] = x.shape;
  k.pooling(poolDesc(kind, x, p, out.shape), ptr(x.storage) + x.offset * 4, ptr(out.storage) + out.offset * 4, N * C);
  return true;
}

/** The gradient of pool2dFast, accumulated into dx (zero-initialised by the caller); a non-dense g is copied dense first. */
export function pool2dGradFast(host: ConvHost, k: WasmKernels, kind: 'max' | 'avg', g: View, x: View, p: Pool2dParams, dx: View): boolean {
  if (g.dtype !== 'float32' || !denseF32(x) || !denseF32(dx)) return false;
  const [N, C] = x.shape;
  withDense(host, g, (gd) =>
    k.pooling(
      poolDesc(kind, x, p, gd.shape),
      ptr(x.storage) + x.offset * 4,
      ptr(dx.storage) + dx.offset * 4,
      N * C,
      ptr(gd.storage) + gd.offset * 4,
    ),
  );
  return true;
}
