/**
 * Op-table entries (see op-table.ts) for MXNet's topk, add_n, broadcast_axis, the operator forms
 * Convolution and Pooling (1-D and 2-D), and the transposed convolution, with their plain-JS
 * float64 references: direct loops over the formulas, sharing nothing with src/.
 */
import { nd } from '../../src/index.js';
import { convTranspose2d } from '../../src/ops/conv-ops.js';
import * as R from './ref.js';
import type { Ref } from './ref.js';
import type { InSpec, Kind, OpEntry } from './op-table.js';

const s = (shape: number[], kind: Kind = 'real', extra: Partial<InSpec> = {}): InSpec => ({ shape, kind, ...extra });

/** The row-major sort order of `x` along `axis` (largest first, or smallest with `ascend`), ties by index. */
function order(x: Ref, axis: number, ascend: boolean): { perm: (idx: number[]) => number[] } {
  return {
    perm: (idx) => {
      const n = x.shape[axis];
      const vals = Array.from({ length: n }, (_, j) => {
        const i = [...idx];
        i[axis] = j;
        return R.at(x, i);
      });
      const key = (v: number) => (Number.isNaN(v) ? Infinity : v);
      return [...Array(n).keys()].sort((a, b) => (ascend ? key(vals[a]) - key(vals[b]) : key(vals[b]) - key(vals[a])) || a - b);
    },
  };
}

/** Reference topk: 'value', 'indices' or 'mask' along a non-negative axis. */
function refTopk(x: Ref, axis: number, k: number, ret: 'value' | 'indices' | 'mask', ascend = false): Ref {
  const o = order(x, axis, ascend);
  if (ret === 'mask')
    return R.build(x.shape, (idx) => {
      const p = o.perm(idx).slice(0, k);
      return p.includes(idx[axis]) ? 1 : 0;
    });
  const shape = x.shape.map((d, i) => (i === axis ? k : d));
  return R.build(shape, (idx) => {
    const j = o.perm(idx)[idx[axis]];
    if (ret === 'indices') return j;
    const src = [...idx];
    src[axis] = j;
    return R.at(x, src);
  });
}

interface ConvP {
  stride: number[];
  pad: number[];
  dilate: number[];
  groups: number;
}

/** Reference N-d (1 or 2 spatial axes) convolution with bias. */
function refConv(x: Ref, w: Ref, b: Ref | null, p: ConvP): Ref {
  const N = x.shape[0];
  const O = w.shape[0];
  const CG = w.shape[1];
  const K = w.shape.slice(2);
  const In = x.shape.slice(2);
  const Out = In.map((n, i) => Math.floor((n + 2 * p.pad[i] - p.dilate[i] * (K[i] - 1) - 1) / p.stride[i]) + 1);
  const opg = O / p.groups;
  return R.build([N, O, ...Out], ([n, o, ...pos]) => {
    const g = Math.floor(o / opg);
    let acc = b ? b.data[o] : 0;
    for (let c = 0; c < CG; c++)
      for (let t = 0; t < R.sizeOf(K); t++) {
        const kk = R.unravel(t, K);
        const ip = pos.map((q, i) => q * p.stride[i] - p.pad[i] + kk[i] * p.dilate[i]);
        if (ip.some((v, i) => v < 0 || v >= In[i])) continue;
        acc += R.at(x, [n, g * CG + c, ...ip]) * R.at(w, [o, c, ...kk]);
      }
    return acc;
  });
}

/** Reference pooling (1 or 2 spatial axes); avg counts padded cells (MXNet's default). */
function refPool(x: Ref, kind: 'max' | 'avg', K: number[], stride: number[], pad: number[]): Ref {
  const [N, C] = x.shape;
  const In = x.shape.slice(2);
  const Out = In.map((n, i) => Math.floor((n + 2 * pad[i] - K[i]) / stride[i]) + 1);
  return R.build([N, C, ...Out], ([n, c, ...pos]) => {
    let acc = kind === 'max' ? -Infinity : 0;
    for (let t = 0; t < R.sizeOf(K); t++) {
      const kk = R.unravel(t, K);
      const ip = pos.map((q, i) => q * stride[i] - pad[i] + kk[i]);
      if (ip.some((v, i) => v < 0 || v >= In[i])) continue;
      const v = R.at(x, [n, c, ...ip]);
      acc = kind === 'max' ? Math.max(acc, v) : acc + v;
    }
    return kind === 'max' ? acc : acc / R.sizeOf(K);
  });
}

/** Reference transposed 2-D convolution: out[n, g·OG + o, i·s - p + k·d] += x[n, c, i] w[c, o, k]. */
function refDeconv(x: Ref, w: Ref, b: Ref | null, stride: number[], pad: number[], adj: number[], groups: number): Ref {
  const [N, C, H, W] = x.shape;
  const [, OG, KH, KW] = w.shape;
  const OH = (H - 1) * stride[0] - 2 * pad[0] + KH + adj[0];
  const OW = (W - 1) * stride[1] - 2 * pad[1] + KW + adj[1];
  const out = R.build([N, OG * groups, OH, OW], ([, o]) => (b ? b.data[o] : 0));
  const cpg = C / groups;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++)
          for (let o = 0; o < OG; o++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const oh = i * stride[0] - pad[0] + kh;
                const ow = j * stride[1] - pad[1] + kw;
                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                const oc = Math.floor(c / cpg) * OG + o;
                out.data[R.ravel([n, oc, oh, ow], out.shape)] += R.at(x, [n, c, i, j]) * R.at(w, [c, o, kh, kw]);
              }
  return out;
}

export const apiEntries: OpEntry[] = [
  {
    name: 'topk value k=2',
    covers: ['nd.topk'],
    fn: ([x]) => nd.topk(x, { k: 2, retTyp: 'value' }),
    ref: ([x]) => refTopk(x, x.shape.length - 1, 2, 'value'),
    cases: [[s([2, 4])], [s([3, 2, 3])], [s([2])]],
    grad: 'check',
  },
  {
    name: 'topk value axis 0 ascending, whole axis (k=0)',
    covers: [],
    fn: ([x]) => nd.topk(x, { axis: 0, k: 0, retTyp: 'value', isAscend: true }),
    ref: ([x]) => refTopk(x, 0, x.shape[0], 'value', true),
    cases: [[s([3, 2])], [s([4, 2, 2])]],
    grad: 'check',
  },
  {
    name: 'topk indices with ties, axis -2',
    covers: [],
    fn: ([x]) => nd.topk(x, { axis: -2, k: 2 }),
    ref: ([x]) => refTopk(x, x.shape.length - 2, 2, 'indices'),
    cases: [[s([4, 3], 'int')], [s([2, 5, 2], 'int')], [s([3, 3], 'special')]],
    grad: 'none',
    outDtype: () => 'float32',
  },
  {
    name: 'topk int32 indices ascending',
    covers: [],
    fn: ([x]) => nd.topk(x, { k: 3, isAscend: true, dtype: 'int32' }),
    ref: ([x]) => refTopk(x, x.shape.length - 1, 3, 'indices', true),
    cases: [[s([2, 5], 'int')], [s([4], 'special')]],
    grad: 'none',
    outDtype: () => 'int32',
  },
  {
    name: 'topk mask',
    covers: [],
    fn: ([x]) => nd.topk(x, { k: 2, retTyp: 'mask' }),
    ref: ([x]) => refTopk(x, x.shape.length - 1, 2, 'mask'),
    cases: [[s([3, 4], 'int')], [s([2, 3])]],
    grad: 'none',
  },
  {
    name: 'topk axis null (flattened)',
    covers: [],
    fn: ([x]) => nd.topk(x, { axis: null, k: 3, retTyp: 'value' }),
    ref: ([x]) => refTopk(R.reshape(x, [R.sizeOf(x.shape)]), 0, 3, 'value'),
    cases: [[s([2, 3])], [s([3, 1, 2])]],
    grad: 'check',
  },
  {
    name: 'addN of three',
    covers: ['nd.addN'],
    fn: ([a, b, c]) => nd.addN(a, b, c),
    ref: ([a, b, c]) => R.map3(a, b, c, (x, y, z) => x + y + z),
    cases: [
      [s([2, 3]), s([2, 3]), s([2, 3])],
      [s([]), s([]), s([])],
      [s([0, 2]), s([0, 2]), s([0, 2])],
    ],
    grad: 'check',
  },
  {
    name: 'addN of a list of one and of two',
    covers: [],
    fn: ([a, b]) => nd.addN([a]).add(nd.addN([a, b])),
    ref: ([a, b]) => R.map2(a, b, (x, y) => 2 * x + y),
    cases: [[s([3, 2]), s([3, 2])]],
    grad: 'check',
  },
  {
    name: 'broadcastAxis axes [0, -1]',
    covers: ['nd.broadcastAxis'],
    fn: ([x]) => nd.broadcastAxis(x, { axis: [0, -1], size: [2, 3] }),
    ref: ([x]) => R.broadcastTo(x, [2, x.shape[1], 3]),
    cases: [[s([1, 2, 1])], [s([1, 1, 1])]],
    grad: 'check',
  },
  {
    name: 'broadcastAxes one axis',
    covers: ['nd.broadcastAxes'],
    fn: ([x]) => nd.broadcastAxes(x, { axis: 1, size: 4 }),
    ref: ([x]) => R.broadcastTo(x, [x.shape[0], 4]),
    cases: [[s([3, 1])]],
    grad: 'check',
  },
  {
    name: 'Convolution 2-D with bias, stride and pad',
    covers: ['nd.Convolution'],
    fn: ([x, w, b]) => nd.Convolution({ data: x, weight: w, bias: b, kernel: [2, 3], numFilter: 3, stride: [2, 1], pad: [1, 1] }),
    ref: ([x, w, b]) => refConv(x, w, b, { stride: [2, 1], pad: [1, 1], dilate: [1, 1], groups: 1 }),
    cases: [[s([2, 2, 4, 3]), s([3, 2, 2, 3]), s([3])]],
    grad: 'check',
  },
  {
    name: 'Convolution 2-D grouped, dilated, noBias',
    covers: [],
    fn: ([x, w]) => nd.Convolution({ data: x, weight: w, kernel: [2, 2], numFilter: 4, dilate: [2, 1], numGroup: 2, noBias: true }),
    ref: ([x, w]) => refConv(x, w, null, { stride: [1, 1], pad: [0, 0], dilate: [2, 1], groups: 2 }),
    cases: [[s([1, 4, 4, 3]), s([4, 2, 2, 2])]],
    grad: 'check',
  },
  {
    name: 'Convolution 1-D',
    covers: [],
    fn: ([x, w, b]) => nd.Convolution({ data: x, weight: w, bias: b, kernel: [3], numFilter: 2, stride: 2, pad: 1, dilate: [1] }),
    ref: ([x, w, b]) => refConv(x, w, b, { stride: [2], pad: [1], dilate: [1], groups: 1 }),
    cases: [[s([2, 3, 6]), s([2, 3, 3]), s([2])]],
    grad: 'check',
  },
  {
    name: 'Pooling 2-D max, stride 1 (the operator default)',
    covers: ['nd.Pooling'],
    fn: ([x]) => nd.Pooling({ data: x, kernel: [2, 2], poolType: 'max' }),
    ref: ([x]) => refPool(x, 'max', [2, 2], [1, 1], [0, 0]),
    cases: [[s([2, 2, 3, 4])]],
    grad: 'check',
  },
  {
    name: 'Pooling 2-D avg with pad and stride',
    covers: [],
    fn: ([x]) => nd.Pooling({ data: x, kernel: [3, 2], poolType: 'avg', stride: [2, 2], pad: [1, 1] }),
    ref: ([x]) => refPool(x, 'avg', [3, 2], [2, 2], [1, 1]),
    cases: [[s([1, 2, 5, 4])]],
    grad: 'check',
  },
  {
    name: 'Pooling 1-D max and avg',
    covers: [],
    fn: ([x]) =>
      nd
        .Pooling({ data: x, kernel: [2], poolType: 'max', stride: [2] })
        .add(nd.Pooling({ data: x, kernel: 2, poolType: 'avg', stride: 2 })),
    ref: ([x]) => R.map2(refPool(x, 'max', [2], [2], [0]), refPool(x, 'avg', [2], [2], [0]), (a, b) => a + b),
    cases: [[s([2, 3, 5])]],
    grad: 'check',
  },
  {
    name: 'Pooling global max (2-D) and avg (1-D)',
    covers: [],
    fn: ([x]) =>
      nd
        .Pooling({ data: x, poolType: 'max', globalPool: true })
        .reshape([x.shape[0], x.shape[1]])
        .add(
          nd
            .Pooling({ data: x.reshape([x.shape[0], x.shape[1], -1]), poolType: 'avg', globalPool: true, kernel: [1] })
            .reshape([x.shape[0], x.shape[1]]),
        ),
    ref: ([x]) => {
      const [N, C, H, W] = x.shape;
      const mx = refPool(x, 'max', [H, W], [1, 1], [0, 0]);
      const av = refPool(R.reshape(x, [N, C, H * W]), 'avg', [H * W], [1], [0]);
      return R.reshape(
        R.map2(mx, R.reshape(av, mx.shape), (a, b) => a + b),
        [N, C],
      );
    },
    cases: [[s([2, 3, 2, 3])]],
    grad: 'check',
  },
  {
    name: 'convTranspose2d with bias, stride, padding and outputPadding',
    covers: [],
    fn: ([x, w, b]) => convTranspose2d(x, w, b, { stride: [2, 3], padding: [1, 0], outputPadding: [1, 2] }),
    ref: ([x, w, b]) => refDeconv(x, w, b, [2, 3], [1, 0], [1, 2], 1),
    cases: [[s([2, 2, 3, 2]), s([2, 3, 3, 2]), s([3])]],
    grad: 'check',
  },
  {
    name: 'convTranspose2d grouped',
    covers: [],
    fn: ([x, w]) => convTranspose2d(x, w, null, { groups: 2 }),
    ref: ([x, w]) => refDeconv(x, w, null, [1, 1], [0, 0], [0, 0], 2),
    cases: [[s([1, 4, 2, 3]), s([4, 1, 2, 2])]],
    grad: 'check',
  },
];
