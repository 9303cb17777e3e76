/**
 * Image transforms (Gluon's gluon.data.vision.transforms). Each has `forward(x)` and works on one
 * image or on a whole batch (a leading batch axis), so DataLoader can apply it per batch.
 */
import type { DType } from '../../../core/dtype.js';
import { DTypeError, ShapeError, ValueError } from '../../../core/errors.js';
import { shapeStr } from '../../../core/shape.js';
import { NDArray } from '../../../ndarray/ndarray.js';
import { applyTransform, type Transform, type TransformBlock } from '../dataset.js';

/**
 * uint8 images in HWC layout with values in [0, 255] → float32 CHW in [0, 1]; a batch NHWC →
 * NCHW. Float inputs are divided by 255 too (as MXNet).
 *
 * @example
 * const toTensor = new ToTensor();
 * toTensor.forward(nd.full([28, 28, 1], 255, { dtype: 'uint8' })).shape; // [1, 28, 28], all 1
 * mnistTrain.transformFirst(toTensor);
 */
export class ToTensor implements TransformBlock<NDArray, NDArray> {
  readonly batchable = true;
  forward(x: NDArray): NDArray {
    if (x.ndim !== 3 && x.ndim !== 4)
      throw new ShapeError(`ToTensor: expected an image (H, W, C) or a batch (N, H, W, C), got shape ${shapeStr(x.shape)}`);
    const t = x.ndim === 3 ? x.transpose([2, 0, 1]) : x.transpose([0, 3, 1, 2]);
    // Integer division by a number gives float32; float64 input is converted as MXNet does.
    const r = x.dtype === 'float64' ? t.astype('float32') : t;
    const out = r.div(255);
    if (r !== t) r.dispose();
    t.dispose();
    return out;
  }
}

function perChannel(v: number | readonly number[], c: number, what: string): number[] {
  const a = typeof v === 'number' ? [v] : [...v];
  if (a.length === 1) return new Array<number>(c).fill(a[0]);
  if (a.length !== c) throw new ShapeError(`Normalize: ${what} has ${a.length} values but the input has ${c} channels`);
  return a;
}

/**
 * `(x - mean) / std` per channel of a float CHW image or NCHW batch (after ToTensor).
 *
 * @example
 * const norm = new Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
 * new Compose([new ToTensor(), norm]);
 */
export class Normalize implements TransformBlock<NDArray, NDArray> {
  readonly batchable = true;
  constructor(
    readonly mean: number | readonly number[] = 0,
    readonly std: number | readonly number[] = 1,
  ) {
    const stds = typeof std === 'number' ? [std] : std;
    if (stds.some((s) => !(s > 0) && !(s < 0))) throw new ValueError(`Normalize: std must be non-zero, got ${JSON.stringify(std)}`);
  }
  forward(x: NDArray): NDArray {
    if (x.ndim !== 3 && x.ndim !== 4)
      throw new ShapeError(`Normalize: expected a CHW image or an NCHW batch, got shape ${shapeStr(x.shape)}`);
    if (x.dtype !== 'float32' && x.dtype !== 'float64')
      throw new DTypeError(`Normalize: expected a float image (apply ToTensor first), got ${x.dtype}`);
    const c = x.shape[x.ndim - 3];
    const bshape = x.ndim === 3 ? [c, 1, 1] : [1, c, 1, 1];
    const m = NDArray._fromData(perChannel(this.mean, c, 'mean'), bshape, x.dtype, x.context);
    const s = NDArray._fromData(perChannel(this.std, c, 'std'), bshape, x.dtype, x.context);
    const d = x.sub(m);
    const out = d.div(s);
    for (const t of [m, s, d]) t.dispose();
    return out;
  }
}

/**
 * Resizes an HWC image or an NHWC batch to `size` (a number for a square, or `[width, height]`
 * as Gluon) by bilinear interpolation with half-pixel centres (OpenCV's INTER_LINEAR; uint8
 * results are rounded, so values can differ by 1 from OpenCV's fixed-point arithmetic).
 * `keepRatio` resizes the shorter side to `size`; `interpolation` 0 is nearest neighbour.
 * The dtype is kept. CPU arrays only.
 *
 * @example
 * new Resize(224).forward(image).shape; // [224, 224, 1]
 */
export class Resize implements TransformBlock<NDArray, NDArray> {
  readonly batchable = true;
  private readonly w: number;
  private readonly h: number;
  constructor(
    size: number | readonly [number, number],
    private readonly opts: { keepRatio?: boolean; interpolation?: 0 | 1 } = {},
  ) {
    const [w, h] = typeof size === 'number' ? [size, size] : size;
    if (!Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0)
      throw new ValueError(`Resize: size must be a positive integer or [width, height], got ${JSON.stringify(size)}`);
    if (opts.keepRatio && typeof size !== 'number') throw new ValueError('Resize: keepRatio needs a single number size');
    if (opts.interpolation !== undefined && opts.interpolation !== 0 && opts.interpolation !== 1)
      throw new ValueError(`Resize: interpolation ${opts.interpolation} is not supported (0 nearest, 1 bilinear)`);
    this.w = w;
    this.h = h;
  }

  forward(x: NDArray): NDArray {
    if (x.ndim !== 3 && x.ndim !== 4)
      throw new ShapeError(`Resize: expected an image (H, W, C) or a batch (N, H, W, C), got shape ${shapeStr(x.shape)}`);
    const [n, H, W, C] = x.ndim === 3 ? [1, ...x.shape] : x.shape;
    let oh = this.h;
    let ow = this.w;
    if (this.opts.keepRatio) {
      if (H < W) [oh, ow] = [this.h, Math.round((W * this.h) / H)];
      else [oh, ow] = [Math.round((H * this.w) / W), this.w];
    }
    const src = x.dataSync();
    const out = resizeBilinear(src, n, H, W, C, oh, ow, x.dtype, this.opts.interpolation === 0);
    const shape = x.ndim === 3 ? [oh, ow, C] : [n, oh, ow, C];
    return NDArray._fromData(out, shape, x.dtype, x.context);
  }
}

function axisWeights(inSize: number, outSize: number, nearest: boolean) {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w1 = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    if (nearest) {
      const k = Math.min(Math.floor(o * scale), inSize - 1);
      i0[o] = i1[o] = k;
      continue;
    }
    let s = (o + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    let k = Math.floor(s);
    if (k >= inSize - 1) {
      k = inSize - 1;
      s = k;
    }
    i0[o] = k;
    i1[o] = Math.min(k + 1, inSize - 1);
    w1[o] = s - k;
  }
  return { i0, i1, w1 };
}

function resizeBilinear(
  src: ArrayLike<number>,
  n: number,
  H: number,
  W: number,
  C: number,
  oh: number,
  ow: number,
  dtype: DType,
  nearest: boolean,
): Float64Array | Uint8Array | Int32Array | Float32Array {
  const ys = axisWeights(H, oh, nearest);
  const xs = axisWeights(W, ow, nearest);
  const integral = dtype === 'uint8' || dtype === 'int32' || dtype === 'bool';
  const out =
    dtype === 'uint8' || dtype === 'bool'
      ? new Uint8Array(n * oh * ow * C)
      : dtype === 'int32'
        ? new Int32Array(n * oh * ow * C)
        : dtype === 'float32'
          ? new Float32Array(n * oh * ow * C)
          : new Float64Array(n * oh * ow * C);
  const lo = dtype === 'uint8' ? 0 : -Infinity;
  const hi = dtype === 'uint8' ? 255 : dtype === 'bool' ? 1 : Infinity;
  let p = 0;
  for (let b = 0; b < n; b++) {
    const base = b * H * W * C;
    for (let oy = 0; oy < oh; oy++) {
      const r0 = base + ys.i0[oy] * W * C;
      const r1 = base + ys.i1[oy] * W * C;
      const wy = ys.w1[oy];
      for (let ox = 0; ox < ow; ox++) {
        const c0 = xs.i0[ox] * C;
        const c1 = xs.i1[ox] * C;
        const wx = xs.w1[ox];
        for (let c = 0; c < C; c++) {
          const top = src[r0 + c0 + c] * (1 - wx) + src[r0 + c1 + c] * wx;
          const bot = src[r1 + c0 + c] * (1 - wx) + src[r1 + c1 + c] * wx;
          let v = top * (1 - wy) + bot * wy;
          if (integral) v = Math.min(hi, Math.max(lo, Math.round(v)));
          out[p++] = v;
        }
      }
    }
  }
  return out;
}

/**
 * Casts to `dtype` (Gluon's transforms.Cast, default float32).
 * @example new Cast('float32').forward(image).dtype; // 'float32'
 */
export class Cast implements TransformBlock<NDArray, NDArray> {
  readonly batchable = true;
  constructor(readonly dtype: DType = 'float32') {}
  forward(x: NDArray): NDArray {
    return x.astype(this.dtype);
  }
}

/**
 * Applies transforms in order; batchable when every one of them is.
 *
 * @example
 * const transformer = new Compose([new Resize(224), new ToTensor()]);
 * mnistTrain.transformFirst(transformer);
 */
export class Compose implements TransformBlock<any, any> {
  readonly batchable: boolean;
  readonly transforms: readonly Transform[];
  constructor(transforms: readonly Transform[]) {
    if (!Array.isArray(transforms)) throw new ValueError('Compose: expected a list of transforms');
    this.transforms = [...transforms];
    this.batchable = this.transforms.every((t) => typeof t === 'object' && t !== null && (t as TransformBlock).batchable === true);
  }
  forward(x: any): any {
    let v = x;
    for (const t of this.transforms) {
      const next = applyTransform(t, v);
      // Intermediate results are ours to free; the input belongs to the caller.
      if (v !== x && v instanceof NDArray && v !== next) v.dispose();
      v = next;
    }
    return v;
  }
}
