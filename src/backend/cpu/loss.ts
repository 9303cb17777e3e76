// The reference's fused softmax cross-entropy over [rows, C] and its gradient, in TS: one pass per
// row in float64, with expNonPositive (a table and a polynomial) for exp where the result is float32.
import type { DType } from '../../core/dtype.js';
import { IndexError } from '../../core/errors.js';
import type { View } from '../backend.js';
import { arr } from './elementwise.js';

/** Softmax cross-entropy fuses in TS up to this many elements (beyond, the SIMD kernels win). */
export const SCE_FUSED_MAX = 1 << 16;

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

export function isFloatDType(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

/** Whether the fused kernels take these views: float [rows, C] pred (and prob) row-major without gaps, a label and a loss vector. */
export function sceFusable(pred: View, label: View, loss: View, prob: View | null): boolean {
  if (!isFloatDType(pred.dtype) || loss.dtype !== pred.dtype || (prob && prob.dtype !== pred.dtype)) return false;
  if (pred.shape.length !== 2 || label.shape.length !== 1 || loss.shape.length !== 1) return false;
  const [rows, C] = pred.shape;
  if (C === 0 || pred.strides[1] !== 1 || (rows > 1 && pred.strides[0] !== C)) return false;
  if (prob && (prob.strides[1] !== 1 || (rows > 1 && prob.strides[0] !== C))) return false;
  return true;
}

/** Throws unless every label is an integer class in 0..C-1 (as pick does). */
export function checkLabels(label: View, rows: number, C: number): void {
  const L = arr(label);
  const ls = label.strides[0];
  for (let r = 0; r < rows; r++) {
    const k = L[label.offset + r * ls];
    if (!(k >= 0 && k < C && Number.isInteger(k))) throw new IndexError(`pick: index ${k} is out of range for axis 1 of size ${C}`);
  }
}

let sceBuf = new Float64Array(64);
function sceScratch(n: number): Float64Array {
  if (sceBuf.length < n) sceBuf = new Float64Array(n);
  return sceBuf;
}

/**
 * loss[r] = log Σ exp(pred[r]) - pred[r, label[r]] (and prob = softmax(pred) when given), for views
 * that sceFusable took and labels checkLabels passed; false beyond SCE_FUSED_MAX elements.
 */
export function softmaxCrossEntropyRef(pred: View, label: View, loss: View, prob: View | null): boolean {
  const [rows, C] = pred.shape;
  if (rows * C > SCE_FUSED_MAX) return false;
  const L = arr(label);
  const O = arr(loss);
  const P = prob ? arr(prob) : null;
  const ls = label.strides[0];
  const os = loss.strides[0];
  const X = arr(pred);
  const e = sceScratch(C);
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

/** out = (prob - onehot(label)) · g per row (float [rows, C] prob and out, row-major); false for other layouts or beyond SCE_FUSED_MAX. */
export function softmaxCrossEntropyGradRef(prob: View, label: View, g: View, out: View): boolean {
  const [rows, C] = prob.shape;
  if (
    rows * C > SCE_FUSED_MAX ||
    prob.strides[1] !== 1 ||
    out.strides[1] !== 1 ||
    (rows > 1 && (prob.strides[0] !== C || out.strides[0] !== C))
  )
    return false;
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
