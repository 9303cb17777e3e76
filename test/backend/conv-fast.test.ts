// The fast convolution and pooling paths (src/backend/cpu/conv-gemm.ts: im2col + GEMM, the Wasm
// pooling kernels, the per-channel broadcast and reduction kernels) against the TypeScript
// reference, on each path: the portable Wasm GEMM ('wasm') and OpenBLAS through the addon
// ('blas', skipped without it), with the worker threads on (the default) and with one thread.
// Odd sizes, strides, padding, dilation, groups, 1x1 kernels, tiles of images, non-dense gradients.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, type NDArray } from '../../src/index.js';
import { conv2d, maxPool2d, avgPool2d, type Conv2dOptions } from '../../src/ops/nn.js';
import { getCpuBackend } from '../../src/backend/registry.js';
import { blasAvailable } from '../../src/backend/cpu/blas/index.js';
import { CONV_TILE_BYTES } from '../../src/backend/cpu/conv-gemm.js';
import type { CpuKernelMode } from '../../src/backend/cpu/cpu-backend.js';
import { requireResource, withKernels } from '../helpers.js';

const be = getCpuBackend();
const ADDON = 'the OpenBLAS addon build/Release/d2l_blas.node (npm run build:blas)';

/** Every value of `fn()`'s results (forward output and gradients) as plain arrays. */
type Run = () => NDArray[];

function values(fn: Run): Float32Array[] {
  return fn().map((a) => a.dataSync() as Float32Array);
}

/** |a - e| <= tol * (scale + |e|) elementwise; NaNs must match. */
function close(a: ArrayLike<number>, e: ArrayLike<number>, tol: number, scale: number, msg: string): void {
  assert.equal(a.length, e.length, `${msg}: length`);
  for (let i = 0; i < e.length; i++) {
    if (a[i] === e[i] || (Number.isNaN(a[i]) && Number.isNaN(e[i]))) continue;
    if (!(Math.abs(a[i] - e[i]) <= tol * (scale + Math.abs(e[i]))))
      assert.fail(`${msg}: element ${i}: fast ${a[i]} vs reference ${e[i]} (tol ${tol})`);
  }
}

/** The largest |value| of the reference, the scale its rounding errors are measured against. */
function scaleOf(e: Float32Array): number {
  let m = 0;
  for (const v of e) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return Math.max(1, m);
}

/** Runs `fn` on the reference and on `mode`, comparing every result; tol 0 means bit-exact. */
function against(mode: CpuKernelMode, fn: Run, tol: number, msg: string): void {
  const ref = withKernels('ts', () => values(fn));
  const fast = withKernels(mode, () => values(fn));
  assert.equal(fast.length, ref.length);
  ref.forEach((e, i) => close(fast[i], e, tol, tol === 0 ? 0 : scaleOf(e), `${msg} [result ${i}]`));
}

interface ConvCase {
  name: string;
  x: number[];
  w: number[];
  opts: Conv2dOptions;
}

const CONV_CASES: ConvCase[] = [
  { name: 'LeNet conv1 5x5', x: [3, 1, 28, 28], w: [6, 1, 5, 5], opts: {} },
  // Few taps (C*KH*KW <= 32, stride 1, no padding): the direct kernels; OW = 21 covers their
  // 16-wide, 4-wide and scalar parts, and dx goes through W^T G and col2im.
  { name: 'few taps, direct kernels', x: [2, 2, 9, 23], w: [3, 2, 3, 3], opts: {} },
  { name: 'few taps, narrow rows', x: [3, 3, 5, 6], w: [2, 3, 2, 3], opts: {} },
  { name: 'odd sizes, stride 2x1, padding 1x2', x: [2, 3, 7, 9], w: [5, 3, 3, 2], opts: { stride: [2, 1], padding: [1, 2] } },
  { name: 'dilation 2x3, stride 1x2', x: [2, 4, 11, 10], w: [4, 4, 3, 3], opts: { stride: [1, 2], padding: [2, 1], dilation: [2, 3] } },
  { name: 'groups 3', x: [3, 6, 8, 7], w: [9, 2, 3, 3], opts: { padding: 1, groups: 3 } },
  { name: 'depthwise, stride 2', x: [2, 4, 9, 9], w: [4, 1, 3, 3], opts: { stride: 2, padding: 1, groups: 4 } },
  { name: '1x1 (the input is the column matrix)', x: [2, 8, 5, 6], w: [12, 8, 1, 1], opts: {} },
  { name: '1x1 with groups', x: [2, 6, 4, 4], w: [6, 3, 1, 1], opts: { groups: 2 } },
  { name: '1x1 stride 2', x: [2, 8, 5, 6], w: [4, 8, 1, 1], opts: { stride: 2 } },
  { name: 'padding larger than the kernel reach', x: [1, 2, 3, 3], w: [3, 2, 2, 2], opts: { padding: 2, stride: 3 } },
  { name: 'stride larger than the kernel', x: [2, 3, 10, 11], w: [2, 3, 2, 3], opts: { stride: [4, 3], padding: [0, 1] } },
  // Per-image weight-gradient GEMMs (OCg * Kc * OHW >= 2^18), and several tiles of images.
  { name: 'per-image dW, tiles of images', x: [3, 64, 40, 40], w: [8, 64, 3, 3], opts: { padding: 1 } },
];

/** conv2d with bias, and its three gradients under a random head gradient (dense g). */
function convRun(c: ConvCase, seed: number, headSum = false): Run {
  return () => {
    nd.random.seed(seed);
    const x = nd.random.normal(0, 1, c.x);
    const w = nd.random.normal(0, 1, c.w);
    const b = nd.random.normal(0, 1, [c.w[0]]);
    for (const p of [x, w, b]) p.attachGrad();
    let y: NDArray | null = null;
    const l = autograd.record(() => {
      y = conv2d(x, w, b, c.opts);
      // sum(): the head gradient reaches the convolution as a broadcast of ones (zero strides).
      return headSum ? y.sum() : y.mul(nd.random.normal(0, 1, y.shape)).sum();
    });
    l.backward();
    return [y!, x.grad, w.grad, b.grad];
  };
}

const PATHS: CpuKernelMode[] = ['wasm', 'blas'];

for (const mode of PATHS)
  describe(`conv2d on the ${mode} path`, () => {
    for (const c of CONV_CASES)
      test(`${c.name}: x ${c.x.join('x')}, w ${c.w.join('x')}`, (t) => {
        if (mode === 'blas' && !requireResource(t, blasAvailable(), ADDON)) return;
        against(mode, convRun(c, 11), 2e-5, c.name);
      });

    test('a broadcast head gradient (not dense) is copied dense first', (t) => {
      if (mode === 'blas' && !requireResource(t, blasAvailable(), ADDON)) return;
      against(mode, convRun(CONV_CASES[1], 12, true), 2e-5, 'sum head');
    });

    test('x only, w only: one gradient requested', (t) => {
      if (mode === 'blas' && !requireResource(t, blasAvailable(), ADDON)) return;
      for (const which of ['x', 'w'] as const)
        against(
          mode,
          () => {
            nd.random.seed(13);
            const x = nd.random.normal(0, 1, [2, 3, 6, 5]);
            const w = nd.random.normal(0, 1, [4, 3, 3, 3]);
            const p = which === 'x' ? x : w;
            p.attachGrad();
            autograd.record(() => conv2d(x, w, null, { padding: 1 }).square().sum()).backward();
            return [p.grad];
          },
          2e-5,
          `grad of ${which} only`,
        );
    });

    test('a strided (non-dense) input falls back to the reference and agrees', (t) => {
      if (mode === 'blas' && !requireResource(t, blasAvailable(), ADDON)) return;
      against(
        mode,
        () => {
          nd.random.seed(14);
          const big = nd.random.normal(0, 1, [2, 3, 8, 10]);
          const x = big.get(':, :, :, 1:9'); // a view with a row stride of 10
          const w = nd.random.normal(0, 1, [2, 3, 3, 3]);
          return [conv2d(x, w)];
        },
        2e-5,
        'strided x',
      );
    });

    test('with one kernel thread', async (t) => {
      if (mode === 'blas' && !requireResource(t, blasAvailable(), ADDON)) return;
      const threads = be.kernelInfo().threads;
      await be.setThreads(1);
      try {
        against(mode, convRun(CONV_CASES[3], 15), 2e-5, 'groups, one thread');
        against(mode, convRun(CONV_CASES[0], 16), 2e-5, 'LeNet conv1, one thread');
      } finally {
        await be.setThreads(threads);
      }
    });
  });

test('the fast kernels run (not the reference) on dense float32 inputs', () => {
  const k = withKernels('wasm', () => be.fastKernels())!;
  const calls = { columns: 0, pooling: 0, direct: 0, directDw: 0 };
  const [cc, pp, dd, dw] = [k.convColumns, k.pooling, k.convDirect, k.convDirectDw];
  k.convColumns = function (...a: Parameters<typeof cc>) {
    calls.columns++;
    return cc.apply(this, a);
  };
  k.pooling = function (...a: Parameters<typeof pp>) {
    calls.pooling++;
    return pp.apply(this, a);
  };
  k.convDirect = function (...a: Parameters<typeof dd>) {
    calls.direct++;
    return dd.apply(this, a);
  };
  k.convDirectDw = function (...a: Parameters<typeof dw>) {
    calls.directDw++;
    return dw.apply(this, a);
  };
  try {
    withKernels('wasm', () => {
      const x = nd.random.normal(0, 1, [2, 3, 8, 8]);
      const w = nd.ones([4, 3, 3, 3]);
      x.attachGrad();
      w.attachGrad();
      // padding 1: im2col forward and for dW, col2im for dx; pooling forward and backward.
      autograd.record(() => maxPool2d(conv2d(x, w, null, { padding: 1 }), { kernel: 2 }).sum()).backward();
      assert.deepEqual(calls, { columns: 3, pooling: 2, direct: 0, directDw: 0 });
      // LeNet's first layer (1 x 5 x 5 taps, no padding): the direct kernels, no columns at all.
      const x1 = nd.random.normal(0, 1, [2, 1, 12, 12]);
      const w1 = nd.ones([6, 1, 5, 5]);
      w1.attachGrad();
      autograd.record(() => conv2d(x1, w1).sum()).backward();
      assert.deepEqual(calls, { columns: 3, pooling: 2, direct: 1, directDw: 1 });
    });
  } finally {
    k.convColumns = cc;
    k.pooling = pp;
    k.convDirect = dd;
    k.convDirectDw = dw;
  }
});

test('the column scratch is bounded by a tile, not by the batch', () => {
  // One image of the per-image case holds 576 x 1600 floats (3.7 MB): a batch of 3 needs 2 tiles.
  assert.ok(576 * 1600 * 4 * 3 > CONV_TILE_BYTES && 576 * 1600 * 4 * 2 <= CONV_TILE_BYTES);
  // The heap grows by less than a batch's columns would take (8 images: 29 MB of columns).
  withKernels('wasm', () => {
    nd.random.seed(17);
    const x = nd.random.normal(0, 1, [8, 64, 40, 40]);
    const w = nd.random.normal(0, 1, [8, 64, 3, 3]);
    conv2d(x, w, null, { padding: 1 }).dispose(); // warm the heap's size classes
    const before = be.memory().reservedBytes;
    const y = conv2d(x, w, null, { padding: 1 });
    assert.ok(be.memory().reservedBytes - before < 8 * 576 * 1600 * 4, 'the columns were allocated per batch');
    y.dispose();
    x.dispose();
    w.dispose();
  });
});

interface PoolCase {
  name: string;
  kind: 'max' | 'avg';
  x: number[];
  opts: {
    kernel: number | [number, number];
    stride?: number | [number, number];
    padding?: number | [number, number];
    ceilMode?: boolean;
    countIncludePad?: boolean;
  };
}

const POOL_CASES: PoolCase[] = [
  { name: 'LeNet 2x2 stride 2', kind: 'max', x: [3, 6, 24, 24], opts: { kernel: 2 } },
  // The 2x2 fast path's scalar tail (OW = 9) and an odd height and width left over.
  { name: '2x2 stride 2, odd sizes', kind: 'max', x: [2, 3, 9, 19], opts: { kernel: 2 } },
  { name: '2x2 stride 2, ceil mode (generic kernel)', kind: 'max', x: [2, 3, 9, 19], opts: { kernel: 2, ceilMode: true } },
  { name: 'ResNet 3x3 stride 2 padding 1', kind: 'max', x: [2, 3, 11, 12], opts: { kernel: 3, stride: 2, padding: 1 } },
  {
    name: '3x2, stride 1x2, padding 1x0, ceil',
    kind: 'max',
    x: [2, 2, 7, 9],
    opts: { kernel: [3, 2], stride: [1, 2], padding: [1, 0], ceilMode: true },
  },
  { name: 'avg 2x2', kind: 'avg', x: [3, 4, 10, 10], opts: { kernel: 2 } },
  { name: 'avg 3x3 padding 1, pads counted', kind: 'avg', x: [2, 3, 9, 8], opts: { kernel: 3, stride: 2, padding: 1 } },
  {
    name: 'avg 3x3 padding 1, pads not counted',
    kind: 'avg',
    x: [2, 3, 9, 8],
    opts: { kernel: 3, stride: 2, padding: 1, countIncludePad: false },
  },
  { name: 'avg overlapping, ceil', kind: 'avg', x: [1, 2, 8, 7], opts: { kernel: 3, stride: 2, ceilMode: true } },
];

/** Integer-valued inputs (ties in max windows: the first maximum takes the gradient), some NaNs. */
function poolInput(shape: number[], seed: number, nans: boolean): NDArray {
  nd.random.seed(seed);
  const x = nd.random.uniform(0, 4, shape).floor();
  if (!nans) return x;
  const v = x.dataSync() as Float32Array;
  for (let i = 7; i < v.length; i += 53) v[i] = NaN;
  return nd.array(v, { shape });
}

for (const mode of PATHS)
  describe(`pooling on the ${mode} path`, () => {
    for (const c of POOL_CASES)
      test(`${c.name}: ${c.kind} over ${c.x.join('x')}`, (t) => {
        if (mode === 'blas' && !requireResource(t, blasAvailable(), ADDON)) return;
        for (const nans of [false, true])
          against(
            mode,
            () => {
              const x = poolInput(c.x, 21, nans);
              x.attachGrad();
              let y: NDArray | null = null;
              autograd
                .record(() => {
                  y = c.kind === 'max' ? maxPool2d(x, c.opts) : avgPool2d(x, c.opts);
                  return y.mul(nd.random.normal(0, 1, y.shape)).sum();
                })
                .backward();
              return [y!, x.grad];
            },
            // max pooling picks values and adds one gradient per window: exact; avg rounds its sums.
            c.kind === 'max' && !nans ? 0 : 1e-6,
            `${c.name}${nans ? ' with NaNs' : ''}`,
          );
      });
  });

describe('per-channel kernels (bias add, its gradient, batch-norm sums)', () => {
  test('x + b[1, C, 1, 1], b[1, C, 1, 1] - x, and their gradients', () => {
    against(
      'wasm',
      () => {
        nd.random.seed(31);
        const x = nd.random.normal(0, 1, [4, 5, 3, 7]);
        const b = nd.random.normal(0, 1, [1, 5, 1, 1]);
        x.attachGrad();
        b.attachGrad();
        let y: NDArray | null = null;
        let z: NDArray | null = null;
        autograd
          .record(() => {
            y = x.add(b);
            z = b.sub(x);
            return y.mul(z).sum();
          })
          .backward();
        return [y!, z!, x.grad, b.grad];
      },
      1e-6,
      'bias',
    );
  });

  test('sum over axes (0, 2, 3), with and without keepdims', () => {
    against(
      'wasm',
      () => {
        nd.random.seed(32);
        const x = nd.random.normal(0, 1, [6, 3, 5, 9]);
        return [x.sum({ axis: [0, 2, 3] }), x.sum({ axis: [0, 2, 3], keepdims: true }), x.mean({ axis: [0, 2] })];
      },
      1e-6,
      'channel sums',
    );
  });
});

test('sigmoid and tanh gradients: one fused pass, bit-identical to the composed rule', () => {
  const k = withKernels('wasm', () => be.fastKernels())!;
  let fused = 0;
  const ug = k.unaryGrad;
  k.unaryGrad = function (...a: Parameters<typeof ug>) {
    const r = ug.apply(this, a);
    if (r) fused++;
    return r;
  };
  try {
    withKernels('wasm', () => {
      for (const op of ['sigmoid', 'tanh'] as const)
        for (const n of [1, 7, 4099]) {
          nd.random.seed(41);
          const x = nd.random.normal(0, 2, [n]);
          const head = nd.random.normal(0, 1, [n]);
          x.attachGrad();
          const before = fused;
          autograd.record(() => x[op]()).backward(head);
          assert.equal(fused, before + 1, `${op}: the fused kernel ran`);
          // A recorded backward (createGraph) composes the rule from primitives.
          const [composedGrad] = autograd.record(() => autograd.grad([x[op]()], [x], { headGrads: [head], createGraph: true }));
          assert.deepEqual(Array.from(x.grad.dataSync()), Array.from(composedGrad.dataSync()), `${op} n=${n}`);
        }
    });
  } finally {
    k.unaryGrad = ug;
  }
});
