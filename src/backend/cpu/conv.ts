// The reference 2-D convolution and pooling, forward and gradients, as direct loops over views.
import type { Conv2dParams, Pool2dParams, View } from '../backend.js';
import type { Arr } from './codegen.js';

/** Reads element (a, b, c, d) of a 4-d strided view. */
function at4(v: View, a: number, b: number, c: number, d: number): number {
  const s = v.strides;
  return v.offset + a * s[0] + b * s[1] + c * s[2] + d * s[3];
}

/** Direct NCHW convolution (reference kernel: clarity over speed). */
export function conv2dRef(X: Arr, x: View, W: Arr, w: View, p: Conv2dParams, O: Arr, out: View): void {
  const [N, , H, Wd] = x.shape;
  const [OC, CG, KH, KW] = w.shape;
  const [, , OH, OW] = out.shape;
  const G = p.groups;
  const ocPerG = OC / G;
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++) {
      const g = Math.floor(oc / ocPerG);
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let acc = 0;
          for (let c = 0; c < CG; c++) {
            const ic = g * CG + c;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * p.stride[0] - p.padding[0] + kh * p.dilation[0];
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * p.stride[1] - p.padding[1] + kw * p.dilation[1];
                if (iw < 0 || iw >= Wd) continue;
                acc += X[at4(x, n, ic, ih, iw)] * W[at4(w, oc, c, kh, kw)];
              }
            }
          }
          O[at4(out, n, oc, oh, ow)] = acc;
        }
    }
}

/** Gradients of conv2dRef; dx and dw are zero-initialised by the caller and accumulated into. */
export function conv2dGradRef(
  Gr: Arr,
  g: View,
  X: Arr,
  x: View,
  W: Arr,
  w: View,
  p: Conv2dParams,
  DX: Arr | null,
  dx: View | null,
  DW: Arr | null,
  dw: View | null,
): void {
  const [N, , H, Wd] = x.shape;
  const [OC, CG, KH, KW] = w.shape;
  const [, , OH, OW] = g.shape;
  const ocPerG = OC / p.groups;
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++) {
      const grp = Math.floor(oc / ocPerG);
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const gv = Gr[at4(g, n, oc, oh, ow)];
          if (gv === 0) continue;
          for (let c = 0; c < CG; c++) {
            const ic = grp * CG + c;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * p.stride[0] - p.padding[0] + kh * p.dilation[0];
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * p.stride[1] - p.padding[1] + kw * p.dilation[1];
                if (iw < 0 || iw >= Wd) continue;
                if (DX && dx) DX[at4(dx, n, ic, ih, iw)] += gv * W[at4(w, oc, c, kh, kw)];
                if (DW && dw) DW[at4(dw, oc, c, kh, kw)] += gv * X[at4(x, n, ic, ih, iw)];
              }
            }
          }
        }
    }
}

function windowOf(p: Pool2dParams, oh: number, ow: number, H: number, W: number) {
  const h0 = oh * p.stride[0] - p.padding[0];
  const w0 = ow * p.stride[1] - p.padding[1];
  const h1 = Math.min(h0 + p.kernel[0], H + p.padding[0]);
  const w1 = Math.min(w0 + p.kernel[1], W + p.padding[1]);
  const padCount = (h1 - h0) * (w1 - w0);
  return { hs: Math.max(h0, 0), ws: Math.max(w0, 0), he: Math.min(h1, H), we: Math.min(w1, W), padCount };
}

export function pool2dRef(kind: 'max' | 'avg', X: Arr, x: View, p: Pool2dParams, O: Arr, out: View): void {
  const [N, C, H, W] = x.shape;
  const [, , OH, OW] = out.shape;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const { hs, ws, he, we, padCount } = windowOf(p, oh, ow, H, W);
          let acc = kind === 'max' ? -Infinity : 0;
          for (let h = hs; h < he; h++)
            for (let w = ws; w < we; w++) {
              const v = X[at4(x, n, c, h, w)];
              acc = kind === 'max' ? (v > acc || v !== v ? v : acc) : acc + v;
            }
          const count = p.countIncludePad ? padCount : (he - hs) * (we - ws);
          O[at4(out, n, c, oh, ow)] = kind === 'max' ? acc : acc / Math.max(count, 1);
        }
}

/** Max pooling routes each gradient to the first maximum of its window, as MXNet does. */
export function pool2dGradRef(kind: 'max' | 'avg', Gr: Arr, g: View, X: Arr, x: View, p: Pool2dParams, DX: Arr, dx: View): void {
  const [N, C, H, W] = x.shape;
  const [, , OH, OW] = g.shape;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const gv = Gr[at4(g, n, c, oh, ow)];
          const { hs, ws, he, we, padCount } = windowOf(p, oh, ow, H, W);
          if (kind === 'max') {
            let best = -Infinity;
            let bh = -1;
            let bw = -1;
            for (let h = hs; h < he; h++)
              for (let w = ws; w < we; w++) {
                const v = X[at4(x, n, c, h, w)];
                if (v > best || bh < 0) {
                  best = v;
                  bh = h;
                  bw = w;
                }
              }
            if (bh >= 0) DX[at4(dx, n, c, bh, bw)] += gv;
          } else {
            const count = p.countIncludePad ? padCount : (he - hs) * (we - ws);
            const share = gv / Math.max(count, 1);
            for (let h = hs; h < he; h++) for (let w = ws; w < we; w++) DX[at4(dx, n, c, h, w)] += share;
          }
        }
}
