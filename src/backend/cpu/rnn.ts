// The fused step kernels of the recurrent layers on the CPU (Backend.rnnStep / rnnStepGrad): the
// gate math of one time step of an RNN, GRU or LSTM as one loop over the batch and the hidden
// units, reading the GEMM results in place, in float64 arithmetic for float32 and float64 views.
// The GEMMs around them (the input projections of all steps, h·W_h2hᵀ, the weight gradients) run
// on the backend's matmul (OpenBLAS or the Wasm GEMM); these loops are O(N·H) per step against
// the GEMMs' O(N·H·G·H), so they stay in TypeScript.
import type { RnnStepGradViews, RnnStepViews, View } from '../backend.js';
import { arr, isDense } from './elementwise.js';

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

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

/**
 * One forward step (see RnnStepViews). False, writing nothing, for views that are not dense
 * float arrays of one dtype.
 *
 * @example
 * cpuRnnStep({ mode: 'lstm', gx, gh, bx, bh, hPrev, cPrev, h, c, reserve }); // true
 */
export function cpuRnnStep(v: RnnStepViews): boolean {
  const { mode } = v;
  if (!fusable([v.gx, v.gh, v.bx, v.bh, v.hPrev, v.cPrev, v.h, v.c, v.reserve])) return false;
  const [N, H] = v.h.shape;
  const gx = arr(v.gx);
  const gh = arr(v.gh);
  const bx = arr(v.bx);
  const bh = arr(v.bh);
  const hp = arr(v.hPrev);
  const ho = arr(v.h);
  const [gxo, gho, bxo, bho, hpo, hoo] = [v.gx.offset, v.gh.offset, v.bx.offset, v.bh.offset, v.hPrev.offset, v.h.offset];
  if (mode === 'rnn_tanh' || mode === 'rnn_relu') {
    const relu = mode === 'rnn_relu';
    for (let b = 0; b < N; b++) {
      const r = b * H;
      for (let j = 0; j < H; j++) {
        const a = gx[gxo + r + j] + bx[bxo + j] + gh[gho + r + j] + bh[bho + j];
        ho[hoo + r + j] = relu ? (a > 0 ? a : 0) : Math.tanh(a);
      }
    }
    return true;
  }
  const res = arr(v.reserve!);
  const reso = v.reserve!.offset;
  if (mode === 'lstm') {
    const cp = arr(v.cPrev!);
    const co = arr(v.c!);
    const [cpo, coo] = [v.cPrev!.offset, v.c!.offset];
    for (let b = 0; b < N; b++) {
      const g4 = b * 4 * H;
      for (let j = 0; j < H; j++) {
        const x0 = gxo + g4 + j;
        const h0 = gho + g4 + j;
        const b0 = j;
        const i = sigmoid(gx[x0] + bx[bxo + b0] + gh[h0] + bh[bho + b0]);
        const f = sigmoid(gx[x0 + H] + bx[bxo + b0 + H] + gh[h0 + H] + bh[bho + b0 + H]);
        const g = Math.tanh(gx[x0 + 2 * H] + bx[bxo + b0 + 2 * H] + gh[h0 + 2 * H] + bh[bho + b0 + 2 * H]);
        const o = sigmoid(gx[x0 + 3 * H] + bx[bxo + b0 + 3 * H] + gh[h0 + 3 * H] + bh[bho + b0 + 3 * H]);
        const c = f * cp[cpo + b * H + j] + i * g;
        co[coo + b * H + j] = c;
        ho[hoo + b * H + j] = o * Math.tanh(c);
        res[reso + g4 + j] = i;
        res[reso + g4 + H + j] = f;
        res[reso + g4 + 2 * H + j] = g;
        res[reso + g4 + 3 * H + j] = o;
      }
    }
    return true;
  }
  // GRU (MXNet/cuDNN): r, z = σ(...), n = tanh(x_n + b_in + r ⊙ (h W_hnᵀ + b_hn)), h' = (1 − z) n + z h.
  for (let b = 0; b < N; b++) {
    const g3 = b * 3 * H;
    const g4 = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const r = sigmoid(gx[gxo + g3 + j] + bx[bxo + j] + gh[gho + g3 + j] + bh[bho + j]);
      const z = sigmoid(gx[gxo + g3 + H + j] + bx[bxo + H + j] + gh[gho + g3 + H + j] + bh[bho + H + j]);
      const hn = gh[gho + g3 + 2 * H + j] + bh[bho + 2 * H + j];
      const n = Math.tanh(gx[gxo + g3 + 2 * H + j] + bx[bxo + 2 * H + j] + r * hn);
      ho[hoo + b * H + j] = (1 - z) * n + z * hp[hpo + b * H + j];
      res[reso + g4 + j] = r;
      res[reso + g4 + H + j] = z;
      res[reso + g4 + 2 * H + j] = n;
      res[reso + g4 + 3 * H + j] = hn;
    }
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
    const c = arr(v.c!);
    const cp = arr(v.cPrev!);
    const dcn = arr(v.dcNext!);
    const dcp = arr(v.dcPrev!);
    const [co, cpo, dcno, dcpo] = [v.c!.offset, v.cPrev!.offset, v.dcNext!.offset, v.dcPrev!.offset];
    for (let b = 0; b < N; b++) {
      const g4 = b * 4 * H;
      for (let j = 0; j < H; j++) {
        const e = b * H + j;
        const i = res[reso + g4 + j];
        const f = res[reso + g4 + H + j];
        const gg = res[reso + g4 + 2 * H + j];
        const o = res[reso + g4 + 3 * H + j];
        const tc = Math.tanh(c[co + e]);
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
    const g4 = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const e = b * H + j;
      const r = res[reso + g4 + j];
      const z = res[reso + g4 + H + j];
      const n = res[reso + g4 + 2 * H + j];
      const hn = res[reso + g4 + 3 * H + j];
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
