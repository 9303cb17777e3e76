// The fused step kernels of the recurrent layers on the CPU (Backend.rnnStep / rnnStepGrad): the
// gate math of one time step of an RNN, GRU or LSTM as one loop over the batch and the hidden
// units, reading the GEMM results in place, in float64 arithmetic for float32 and float64 views.
// The GEMMs around them (the input projections of all steps, h·W_h2hᵀ, the weight gradients) run
// on the backend's matmul (OpenBLAS or the Wasm GEMM); these loops are O(N·H) per step against
// the GEMMs' O(N·H·G·H), so they stay in TypeScript.
import type { RnnStepGradViews, RnnStepViews, View } from '../backend.js';
import { arr, isDense } from './elementwise.js';

/** Whether every view is dense and float, of one dtype. */
function fusable(views: readonly (View | null)[]): boolean {
  let dtype: string | null = null;
  for (const v of views) {
    if (!v) continue;
    if (v.dtype !== 'float32' && v.dtype !== 'float64') return false;
    if (dtype !== null && v.dtype !== dtype) return false;
    dtype = v.dtype;
    if (!isDense(v)) return false;
  }
  return true;
}

/** Applies an activation in place to a dense block of a view's storage (the backend's unary kernel). */
export type BlockActivation = (op: 'tanh' | 'sigmoid', block: View) => void;

/** Elements [offset, offset + n) of a view's storage as a dense 1-D view. */
function block(v: View, offset: number, n: number): View {
  return { storage: v.storage, shape: [n], strides: [1], offset, dtype: v.dtype };
}

/**
 * One forward step (see RnnStepViews). The gate math runs in three passes: the pre-activations
 * (the four sums) into the reserve, laid out gate by gate (gate k at k·N·H), then each gate's
 * activation over its whole block with the backend's unary kernel (`act`: the Wasm SIMD tanh and
 * sigmoid for float32, else the reference; the same kernels the step-by-step path runs), then
 * the combination into c and h. The LSTM's reserve holds i, f, g, o and tanh(c) (5 blocks); the
 * GRU's r, z, n and h·W_hnᵀ + b_hn (4). False, writing nothing, for views that are not dense
 * float arrays of one dtype.
 *
 * @example
 * cpuRnnStep({ mode: 'lstm', gx, gh, bx, bh, hPrev, cPrev, h, c, reserve }, (op, b) => backend.unary(op, b, b)); // true
 */
export function cpuRnnStep(v: RnnStepViews, act: BlockActivation): boolean {
  const { mode } = v;
  if (!fusable([v.gx, v.gh, v.bx, v.bh, v.hPrev, v.cPrev, v.h, v.c, v.reserve])) return false;
  const [N, H] = v.h.shape;
  const NH = N * H;
  const gx = arr(v.gx);
  const gh = arr(v.gh);
  const bx = arr(v.bx);
  const bh = arr(v.bh);
  const hp = arr(v.hPrev);
  const ho = arr(v.h);
  const [gxo, gho, bxo, bho, hpo, hoo] = [v.gx.offset, v.gh.offset, v.bx.offset, v.bh.offset, v.hPrev.offset, v.h.offset];
  const G = mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1;
  if (mode === 'rnn_tanh' || mode === 'rnn_relu') {
    const relu = mode === 'rnn_relu';
    for (let b = 0; b < N; b++)
      for (let j = 0; j < H; j++) {
        const a = gx[gxo + b * H + j] + bx[bxo + j] + gh[gho + b * H + j] + bh[bho + j];
        ho[hoo + b * H + j] = relu ? (a > 0 ? a : 0) : a;
      }
    if (!relu) act('tanh', block(v.h, hoo, NH));
    return true;
  }
  const res = arr(v.reserve!);
  const ro = v.reserve!.offset;
  // Pre-activations, gate by gate (the GRU's new gate waits for r: its recurrent part goes to block 3).
  const sums = mode === 'lstm' ? 4 : 2;
  for (let k = 0; k < sums; k++)
    for (let b = 0; b < N; b++) {
      const src = b * G * H + k * H;
      const dst = ro + k * NH + b * H;
      for (let j = 0; j < H; j++) res[dst + j] = gx[gxo + src + j] + bx[bxo + k * H + j] + gh[gho + src + j] + bh[bho + k * H + j];
    }
  if (mode === 'lstm') {
    act('sigmoid', block(v.reserve!, ro, 2 * NH));
    act('tanh', block(v.reserve!, ro + 2 * NH, NH));
    act('sigmoid', block(v.reserve!, ro + 3 * NH, NH));
    const cp = arr(v.cPrev!);
    const co = arr(v.c!);
    const [cpo, coo] = [v.cPrev!.offset, v.c!.offset];
    for (let e = 0; e < NH; e++) {
      const c = res[ro + NH + e] * cp[cpo + e] + res[ro + e] * res[ro + 2 * NH + e];
      co[coo + e] = c;
      res[ro + 4 * NH + e] = c;
    }
    act('tanh', block(v.reserve!, ro + 4 * NH, NH));
    for (let e = 0; e < NH; e++) ho[hoo + e] = res[ro + 3 * NH + e] * res[ro + 4 * NH + e];
    return true;
  }
  // GRU (MXNet/cuDNN): r, z = σ(...), n = tanh(x_n + b_in + r ⊙ (h W_hnᵀ + b_hn)), h' = (1 − z) n + z h.
  for (let b = 0; b < N; b++)
    for (let j = 0; j < H; j++) res[ro + 3 * NH + b * H + j] = gh[gho + b * 3 * H + 2 * H + j] + bh[bho + 2 * H + j];
  act('sigmoid', block(v.reserve!, ro, 2 * NH));
  for (let b = 0; b < N; b++)
    for (let j = 0; j < H; j++) {
      const e = b * H + j;
      res[ro + 2 * NH + e] = gx[gxo + b * 3 * H + 2 * H + j] + bx[bxo + 2 * H + j] + res[ro + e] * res[ro + 3 * NH + e];
    }
  act('tanh', block(v.reserve!, ro + 2 * NH, NH));
  for (let e = 0; e < NH; e++) {
    const z = res[ro + NH + e];
    ho[hoo + e] = (1 - z) * res[ro + 2 * NH + e] + z * hp[hpo + e];
  }
  return true;
}

/**
 * One backward step (see RnnStepGradViews). False, writing nothing, for views that are not dense
 * float arrays of one dtype.
 *
 * @example
 * cpuRnnStepGrad({ mode: 'gru', dh, dhNext, dcNext: null, h, hPrev, c: null, cPrev: null, reserve, dgx, dgh, dhPrev: dhNext, dcPrev: null });
 */
export function cpuRnnStepGrad(v: RnnStepGradViews): boolean {
  const { mode } = v;
  if (!fusable([v.dh, v.dhNext, v.dcNext, v.h, v.hPrev, v.c, v.cPrev, v.reserve, v.dgx, v.dgh, v.dhPrev, v.dcPrev])) return false;
  const [N, H] = v.h.shape;
  const g = arr(v.dh);
  const dn = arr(v.dhNext);
  const h = arr(v.h);
  const dgx = arr(v.dgx);
  const dgh = arr(v.dgh);
  const dhp = arr(v.dhPrev);
  const [go, dno, ho, dgxo, dgho, dhpo] = [v.dh.offset, v.dhNext.offset, v.h.offset, v.dgx.offset, v.dgh.offset, v.dhPrev.offset];
  const sameDg = v.dgx.storage === v.dgh.storage && dgxo === dgho;
  const NH = N * H;
  if (mode === 'rnn_tanh' || mode === 'rnn_relu') {
    const relu = mode === 'rnn_relu';
    for (let b = 0; b < N; b++) {
      for (let j = 0; j < H; j++) {
        const e = b * H + j;
        const y = h[ho + e];
        const d = (g[go + e] + dn[dno + e]) * (relu ? (y > 0 ? 1 : 0) : 1 - y * y);
        dgx[dgxo + e] = d;
        if (!sameDg) dgh[dgho + e] = d;
        dhp[dhpo + e] = 0;
      }
    }
    return true;
  }
  const res = arr(v.reserve!);
  const reso = v.reserve!.offset;
  if (mode === 'lstm') {
    const cp = arr(v.cPrev!);
    const dcn = arr(v.dcNext!);
    const dcp = arr(v.dcPrev!);
    const [cpo, dcno, dcpo] = [v.cPrev!.offset, v.dcNext!.offset, v.dcPrev!.offset];
    for (let b = 0; b < N; b++) {
      const g4 = b * 4 * H;
      for (let j = 0; j < H; j++) {
        const e = b * H + j;
        const i = res[reso + e];
        const f = res[reso + NH + e];
        const gg = res[reso + 2 * NH + e];
        const o = res[reso + 3 * NH + e];
        const tc = res[reso + 4 * NH + e];
        const dh = g[go + e] + dn[dno + e];
        const dc = dcn[dcno + e] + dh * o * (1 - tc * tc);
        const di = dc * gg * i * (1 - i);
        const df = dc * cp[cpo + e] * f * (1 - f);
        const dg = dc * i * (1 - gg * gg);
        const dO = dh * tc * o * (1 - o);
        dgx[dgxo + g4 + j] = di;
        dgx[dgxo + g4 + H + j] = df;
        dgx[dgxo + g4 + 2 * H + j] = dg;
        dgx[dgxo + g4 + 3 * H + j] = dO;
        if (!sameDg) {
          dgh[dgho + g4 + j] = di;
          dgh[dgho + g4 + H + j] = df;
          dgh[dgho + g4 + 2 * H + j] = dg;
          dgh[dgho + g4 + 3 * H + j] = dO;
        }
        dcp[dcpo + e] = dc * f;
        dhp[dhpo + e] = 0;
      }
    }
    return true;
  }
  if (sameDg) return false; // the GRU's two pre-activation gradients differ in the new gate
  const hp = arr(v.hPrev);
  const hpo = v.hPrev.offset;
  for (let b = 0; b < N; b++) {
    const g3 = b * 3 * H;
    for (let j = 0; j < H; j++) {
      const e = b * H + j;
      const r = res[reso + e];
      const z = res[reso + NH + e];
      const n = res[reso + 2 * NH + e];
      const hn = res[reso + 3 * NH + e];
      const dh = g[go + e] + dn[dno + e];
      const dnPre = dh * (1 - z) * (1 - n * n);
      const dzPre = dh * (hp[hpo + e] - n) * z * (1 - z);
      const drPre = dnPre * hn * r * (1 - r);
      dgx[dgxo + g3 + j] = drPre;
      dgx[dgxo + g3 + H + j] = dzPre;
      dgx[dgxo + g3 + 2 * H + j] = dnPre;
      dgh[dgho + g3 + j] = drPre;
      dgh[dgho + g3 + H + j] = dzPre;
      dgh[dgho + g3 + 2 * H + j] = dnPre * r;
      dhp[dhpo + e] = dh * z;
    }
  }
  return true;
}
