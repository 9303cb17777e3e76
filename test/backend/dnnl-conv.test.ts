// The optional oneDNN convolution path (src/backend/cpu/dnnl.ts, native/d2l_dnnl.c): forward (with
// and without bias), the data gradient, the weight gradient and the bias gradient, against the
// TypeScript reference kernels (conv.ts) on odd sizes, strides 1-3, padding, dilation, groups
// (depthwise included), batches of 1 and more, in both layouts oneDNN can compute in; gradients
// added into outputs that already hold values (the backend's conv2dGrad contract); and the whole
// path through the public ops and autograd with the CPU kernels on 'auto'. Without the addon these
// tests skip with a reason, and in CI (CI=true) they fail: .ci/run installs libdnnl-dev.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nd, autograd, type NDArray } from '../../src/index.js';
import { conv2d, type Conv2dOptions } from '../../src/ops/nn.js';
import { convTranspose2d } from '../../src/ops/conv-ops.js';
import type { Conv2dParams, View } from '../../src/backend/backend.js';
import { getCpuBackend } from '../../src/backend/registry.js';
import type { CpuStorage } from '../../src/backend/cpu/cpu-backend.js';
import { conv2dRef, conv2dGradRef } from '../../src/backend/cpu/conv.js';
import {
  dnnlAvailable,
  dnnlConv2d,
  dnnlConv2dGrad,
  dnnlImpl,
  dnnlInfo,
  dnnlTakesDataGrad,
  setDnnlLayout,
  setDnnlMode,
  type DnnlLayout,
  type DnnlThreads,
} from '../../src/backend/cpu/dnnl.js';
import { requireResource, withKernels } from '../helpers.js';

const ADDON = 'the oneDNN addon build/Release/d2l_dnnl.node (apt-get install build-essential libdnnl-dev; npm run build:dnnl)';
const be = getCpuBackend();
const data = (v: View) => (v.storage as CpuStorage).data as Float32Array;

/** A small deterministic generator, so a failing case can be reproduced from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** `n` values in [-1, 1). */
function randomData(n: number, r: () => number): Float32Array {
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = r() * 2 - 1;
  return d;
}

/** A dense float32 array of `shape` with values in [-1, 1). */
function random(shape: number[], r: () => number): NDArray {
  const a = nd.zeros(shape);
  data(a).set(randomData(a.size, r));
  return a;
}

/** |a - e| <= tol * (scale + |e|), scale the reference's largest |value|. */
function close(a: ArrayLike<number>, e: ArrayLike<number>, msg: string, tol = 1e-4): void {
  assert.equal(a.length, e.length, `${msg}: length`);
  let scale = 1;
  for (let i = 0; i < e.length; i++) scale = Math.max(scale, Math.abs(e[i]));
  for (let i = 0; i < e.length; i++)
    if (!(Math.abs(a[i] - e[i]) <= tol * (scale + Math.abs(e[i]))))
      assert.fail(`${msg}: element ${i}: oneDNN ${a[i]} vs reference ${e[i]}`);
}

interface Case {
  name: string;
  x: number[];
  w: number[];
  p: Partial<Conv2dParams>;
}

const CASES: Case[] = [
  { name: 'batch 1, 3x3', x: [1, 1, 7, 7], w: [3, 1, 3, 3], p: {} },
  { name: 'odd sizes, stride 2, padding 1', x: [2, 3, 9, 11], w: [4, 3, 3, 3], p: { stride: [2, 2], padding: [1, 1] } },
  { name: 'stride 3x1, padding 1x2, groups 2', x: [3, 4, 10, 9], w: [6, 2, 3, 2], p: { stride: [3, 1], padding: [1, 2], groups: 2 } },
  { name: 'depthwise, padding 1', x: [2, 5, 8, 8], w: [5, 1, 3, 3], p: { padding: [1, 1], groups: 5 } },
  { name: 'depthwise x2 multiplier, stride 2', x: [2, 4, 9, 9], w: [8, 1, 3, 3], p: { stride: [2, 2], padding: [1, 1], groups: 4 } },
  { name: 'dilation 2, padding 2', x: [2, 3, 13, 12], w: [4, 3, 3, 3], p: { padding: [2, 2], dilation: [2, 2] } },
  {
    name: 'dilation 2x3, stride 2, groups 3',
    x: [1, 6, 15, 14],
    w: [9, 2, 3, 3],
    p: { stride: [2, 2], padding: [0, 1], dilation: [2, 3], groups: 3 },
  },
  { name: '1x1', x: [4, 8, 5, 5], w: [16, 8, 1, 1], p: {} },
  { name: '1x1 stride 3 (the window ends before the input does)', x: [2, 3, 8, 8], w: [2, 3, 1, 1], p: { stride: [3, 3] } },
  { name: 'padding larger than the kernel reach', x: [1, 2, 3, 3], w: [3, 2, 2, 2], p: { padding: [2, 2], stride: [3, 3] } },
  { name: 'LeNet conv1', x: [5, 1, 28, 28], w: [6, 1, 5, 5], p: {} },
  { name: 'LeNet conv2', x: [3, 6, 12, 12], w: [16, 6, 5, 5], p: {} },
];

function params(c: Case): Conv2dParams {
  return { stride: c.p.stride ?? [1, 1], padding: c.p.padding ?? [0, 0], dilation: c.p.dilation ?? [1, 1], groups: c.p.groups ?? 1 };
}

function outShape(c: Case, p: Conv2dParams): number[] {
  const o = (n: number, k: number, i: number) => Math.floor((n + 2 * p.padding[i] - p.dilation[i] * (k - 1) - 1) / p.stride[i]) + 1;
  return [c.x[0], c.w[0], o(c.x[2], c.w[2], 0), o(c.x[3], c.w[3], 1)];
}

/** The reference forward pass with the bias added per output channel. */
function refForward(x: NDArray, w: NDArray, b: NDArray | null, p: Conv2dParams, shape: number[]): Float32Array {
  const out = nd.zeros(shape);
  conv2dRef(data(x), x, data(w), w, p, data(out), out);
  const o = data(out).slice();
  out.dispose();
  if (b) {
    const [N, OC, OH, OW] = shape;
    const bd = data(b);
    for (let n = 0; n < N; n++) for (let c = 0; c < OC; c++) for (let i = 0; i < OH * OW; i++) o[(n * OC + c) * OH * OW + i] += bd[c];
  }
  return o;
}

/** The reference gradients (dx, dw and db = Σ g over n, h, w), each added to `start` values. */
function refGrads(g: NDArray, x: NDArray, w: NDArray, p: Conv2dParams, start: Float32Array[]): Float32Array[] {
  const dx = nd.array(start[0], { dtype: 'float32' }).reshape(x.shape as number[]);
  const dw = nd.array(start[1], { dtype: 'float32' }).reshape(w.shape as number[]);
  conv2dGradRef(data(g), g, data(x), x, data(w), w, p, data(dx), dx, data(dw), dw);
  const [N, OC, OH, OW] = g.shape;
  const db = start[2].slice();
  const gd = data(g);
  for (let n = 0; n < N; n++) for (let c = 0; c < OC; c++) for (let i = 0; i < OH * OW; i++) db[c] += gd[(n * OC + c) * OH * OW + i];
  const r = [data(dx).slice(), data(dw).slice(), db];
  dx.dispose();
  dw.dispose();
  return r;
}

/**
 * How the oneDNN calls use threads: the calling thread alone; OpenMP threads there (a batch of
 * one, no pool); or each batch split over the worker pool (one single-threaded slice per thread,
 * the weight gradient's slices summed after). Thresholds are 0 so the small cases split too.
 */
type Threading = 'calling thread' | 'OpenMP' | 'worker pool';
function threadsFor(how: Threading): DnnlThreads | null {
  if (how === 'calling thread') return null;
  if (how === 'OpenMP') return { threads: 2, exec: null, park: () => be.fastKernels()?.parkThreads(), minWork: 0 };
  const exec = withKernels('auto', () => be.fastKernels()?.convExecutor(0) ?? null);
  return { threads: 2, exec, park: () => be.fastKernels()?.parkThreads(), minWork: 0 };
}

/** Runs forward (with / without bias) and the three gradients of case `c` on oneDNN and the reference. */
function checkCase(c: Case, seed: number, accumulate: boolean, threads: DnnlThreads | null = null): void {
  const r = rng(seed);
  const p = params(c);
  const ys = outShape(c, p);
  const x = random(c.x, r);
  const w = random(c.w, r);
  const b = random([c.w[0]], r);
  const g = random(ys, r);
  for (const bias of [null, b]) {
    const y = nd.full(ys, NaN); // written, never read: NaNs show an element left out
    assert.equal(dnnlConv2d(be.heap, x, w, bias, p, y, threads), true, `${c.name}: oneDNN took the forward pass`);
    close(data(y), refForward(x, w, bias, p, ys), `${c.name} forward${bias ? ' + bias' : ''}`);
    y.dispose();
  }
  const starts = [c.x, c.w, [c.w[0]]].map((s) => {
    const n = s.reduce((a, v) => a * v, 1);
    return accumulate ? randomData(n, r) : new Float32Array(n);
  });
  const [dx, dw, db] = starts.map((s, i) => nd.array(s, { dtype: 'float32' }).reshape([c.x, c.w, [c.w[0]]][i]));
  assert.equal(dnnlConv2dGrad(be, be.heap, g, x, w, p, dx, dw, db, threads), true, `${c.name}: oneDNN took the gradients`);
  const [ex, ew, eb] = refGrads(g, x, w, p, starts);
  const tag = accumulate ? ' (added to existing values)' : '';
  close(data(dx), ex, `${c.name} dx${tag}`);
  close(data(dw), ew, `${c.name} dw${tag}`);
  close(data(db), eb, `${c.name} db${tag}`);
  // One gradient at a time: dx alone, then dw without the bias.
  const dx1 = nd.zeros(c.x);
  const dw1 = nd.zeros(c.w);
  assert.equal(dnnlConv2dGrad(be, be.heap, g, x, w, p, dx1, null, null, threads), true);
  assert.equal(dnnlConv2dGrad(be, be.heap, g, x, w, p, null, dw1, null, threads), true);
  const [zx, zw] = refGrads(g, x, w, p, [new Float32Array(dx1.size), new Float32Array(dw1.size), new Float32Array(c.w[0])]);
  close(data(dx1), zx, `${c.name} dx alone`);
  close(data(dw1), zw, `${c.name} dw alone`);
  for (const a of [x, w, b, g, dx, dw, db, dx1, dw1]) a.dispose();
}

test('dnnlInfo reports oneDNN (version, runtime, ISA, the implementation that runs), or why it is absent', (t) => {
  const info = dnnlInfo();
  if (!info.loaded) {
    assert.equal(typeof info.reason, 'string');
    assert.equal(
      withKernels('auto', () => be.kernelInfo().conv),
      'wasm',
    );
  }
  if (!requireResource(t, dnnlAvailable(), ADDON)) return;
  assert.equal(info.reason, null);
  assert.match(String(info.version), /^\d+\.\d+\.\d+$/);
  assert.match(String(info.runtime), /^(omp|tbb|seq|threadpool)$/);
  assert.match(String(info.library), /libdnnl/);
  assert.equal(typeof info.isa, 'string');
  assert.equal(
    withKernels('auto', () => be.kernelInfo().conv),
    info.enabled ? 'dnnl' : 'wasm',
  );
  const p: Conv2dParams = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 };
  for (const [name, xs, ws] of [
    ['LeNet conv1', [256, 1, 28, 28], [6, 1, 5, 5]],
    ['LeNet conv2', [256, 6, 12, 12], [16, 6, 5, 5]],
  ] as const)
    for (const kind of ['forward', 'backwardData', 'backwardWeights'] as const) {
      const impl = dnnlImpl(kind, xs, ws, p, kind !== 'backwardData');
      assert.match(String(impl), /\S/);
      assert.notEqual(impl, 'unimplemented');
      console.log(`# oneDNN ${info.version} (${info.runtime}, ${info.isa}, ${info.layout}) ${name} ${kind}: ${impl}`);
    }
});

const CONFIGS: [DnnlLayout, Threading][] = [
  ['plain', 'calling thread'],
  ['any', 'calling thread'],
  ['auto', 'OpenMP'],
  ['auto', 'worker pool'],
];

for (const [layout, how] of CONFIGS)
  describe(`oneDNN convolution, ${layout} layout, ${how}, against the reference`, () => {
    for (const c of CASES)
      test(`${c.name}: x ${c.x.join('x')}, w ${c.w.join('x')}`, (t) => {
        if (!requireResource(t, dnnlAvailable(), ADDON)) return;
        const prev = setDnnlLayout(layout);
        try {
          checkCase(c, 7, false, threadsFor(how));
        } finally {
          setDnnlLayout(prev);
        }
      });

    test('gradients are added into outputs that already hold values (the conv2dGrad contract)', (t) => {
      if (!requireResource(t, dnnlAvailable(), ADDON)) return;
      const prev = setDnnlLayout(layout);
      try {
        for (const c of [CASES[1], CASES[2], CASES[4]]) checkCase(c, 21, true, threadsFor(how));
      } finally {
        setDnnlLayout(prev);
      }
    });
  });

test('the worker pool takes slices of a batch when it has threads', (t) => {
  if (!requireResource(t, dnnlAvailable(), ADDON)) return;
  if (withKernels('auto', () => be.kernelInfo().threads) < 2) {
    console.log('# skip: one CPU thread here: no worker pool to split over');
    t.skip('one CPU thread');
    return;
  }
  const tt = threadsFor('worker pool');
  assert.notEqual(tt?.exec, null, 'the pool loaded the oneDNN addon in its workers');
  assert.equal(tt!.exec!.chunks(1, false) > 1, true);
});

test('a non-dense head gradient is copied dense first; other dtypes and layouts are declined untouched', (t) => {
  if (!requireResource(t, dnnlAvailable(), ADDON)) return;
  const c = CASES[2];
  const p = params(c);
  const ys = outShape(c, p);
  const r = rng(5);
  const x = random(c.x, r);
  const w = random(c.w, r);
  // g stored NHWC, seen as NCHW through its strides.
  const [N, OC, OH, OW] = ys;
  const gh = random([N, OH, OW, OC], r);
  const g = gh.transpose([0, 3, 1, 2]);
  const gd = g.copy();
  const dx = nd.zeros(c.x);
  const dw = nd.zeros(c.w);
  assert.equal(dnnlConv2dGrad(be, be.heap, g, x, w, p, dx, dw, null), true);
  const [ex, ew] = refGrads(gd, x, w, p, [new Float32Array(dx.size), new Float32Array(dw.size), new Float32Array(OC)]);
  close(data(dx), ex, 'strided g: dx');
  close(data(dw), ew, 'strided g: dw');
  // float64, a strided x, a bias gradient without the weight gradient: false, nothing written.
  const x64 = x.astype('float64');
  const y = nd.full(ys, 7);
  assert.equal(dnnlConv2d(be.heap, x64, w.astype('float64'), null, p, y.astype('float64')), false);
  assert.equal(dnnlConv2d(be.heap, random([3, 4, 10, 18], r).get(':, :, :, 0:9'), w, null, p, y), false);
  const db = nd.full([OC], 3);
  assert.equal(dnnlConv2dGrad(be, be.heap, gd, x, w, p, null, null, db), false);
  assert.deepEqual(
    Array.from(data(y)).every((v) => v === 7),
    true,
  );
  assert.deepEqual(Array.from(data(db)), new Array(OC).fill(3));
});

test('setDnnlMode switches the backend between oneDNN and the other kernels; bad modes are clear errors', (t) => {
  assert.throws(() => setDnnlMode('fast' as never), /setDnnlMode: mode must be 'auto', 'on' or 'off', got fast/);
  assert.throws(() => setDnnlLayout('nhwc' as never), /setDnnlLayout: layout must be 'auto', 'plain' or 'any', got nhwc/);
  if (!requireResource(t, dnnlAvailable(), ADDON)) return;
  const r = rng(9);
  // The addon's run counter shows which path ran.
  const x = random([2, 3, 11, 10], r);
  const w = random([5, 3, 4, 3], r);
  const run = () => withKernels('auto', () => conv2d(x, w, null, { stride: [2, 1], padding: [1, 0] }));
  const prev = setDnnlMode('off');
  try {
    const before = dnnlInfo().runs;
    const yOff = run();
    assert.equal(dnnlInfo().runs, before, "mode 'off': oneDNN did not run");
    assert.equal(
      withKernels('auto', () => be.kernelInfo().conv),
      'wasm',
    );
    setDnnlMode('on');
    const yOn = run();
    assert.equal(dnnlInfo().runs, before + 1, "mode 'on': oneDNN ran");
    assert.equal(
      withKernels('auto', () => be.kernelInfo().conv),
      'dnnl',
    );
    close(data(yOn), data(yOff), 'oneDNN vs im2col + GEMM');
    // The 'wasm' and 'blas' kernel modes never use it (their own tests cover those paths).
    withKernels('wasm', () => conv2d(x, w, null, { stride: [2, 1], padding: [0, 1] }));
    assert.equal(dnnlInfo().runs, before + 1);
  } finally {
    setDnnlMode(prev);
  }
});

test('the data gradient of an input with fewer than 4 channels stays on the other kernels; dW still runs on oneDNN', (t) => {
  if (!requireResource(t, dnnlAvailable(), ADDON)) return;
  assert.equal(dnnlTakesDataGrad([256, 1, 28, 28]), false);
  assert.equal(dnnlTakesDataGrad([256, 6, 12, 12]), true);
  const prev = setDnnlMode('on');
  try {
    for (const [C, runs] of [
      [1, 2],
      [4, 3],
    ]) {
      const fn = opRun([3, C, 9, 9], [5, C, 3, 3], { padding: 1 }, 8);
      const ref = withKernels('ts', fn);
      const before = dnnlInfo().runs;
      const got = withKernels('auto', fn);
      assert.equal(dnnlInfo().runs - before, runs, `C = ${C}: forward, dW${runs === 3 ? ' and dX' : ''} on oneDNN`);
      ['y', 'dx', 'dw', 'db'].forEach((n, i) => close(got[i], ref[i], `C = ${C} ${n}`));
    }
  } finally {
    setDnnlMode(prev);
  }
});

/** conv2d (+ bias) and its gradients under a random head gradient, through autograd. */
function opRun(xs: number[], ws: number[], opts: Conv2dOptions, seed: number): () => Float32Array[] {
  return () => {
    nd.random.seed(seed);
    const x = nd.random.normal(0, 1, xs);
    const w = nd.random.normal(0, 1, ws);
    const b = nd.random.normal(0, 1, [ws[0]]);
    for (const a of [x, w, b]) a.attachGrad();
    let y: NDArray | null = null;
    autograd
      .record(() => {
        y = conv2d(x, w, b, opts);
        return y.mul(nd.random.normal(0, 1, y.shape)).sum();
      })
      .backward();
    return [y!, x.grad, w.grad, b.grad].map((a) => a.dataSync() as Float32Array);
  };
}

test('through the public ops on auto kernels: conv2d with bias, its gradients, convTranspose2d', (t) => {
  if (!requireResource(t, dnnlAvailable(), ADDON)) return;
  const prev = setDnnlMode('on');
  try {
    for (const [xs, ws, opts] of [
      [[4, 3, 9, 8], [6, 3, 3, 3], { padding: 1 }],
      [[2, 6, 10, 10], [6, 1, 3, 3], { stride: 2, padding: 1, groups: 6 }],
      [[3, 4, 12, 11], [8, 2, 3, 2], { stride: [1, 2], dilation: [2, 1], groups: 2 }],
    ] as [number[], number[], Conv2dOptions][]) {
      const ref = withKernels('ts', opRun(xs, ws, opts, 3));
      const got = withKernels('auto', opRun(xs, ws, opts, 3));
      ['y', 'dx', 'dw', 'db'].forEach((n, i) => close(got[i], ref[i], `conv2d ${xs}/${ws} ${n}`));
    }
    // The transposed convolution is conv2dGrad's data gradient run forward (with an output padding).
    const tr = () => {
      nd.random.seed(4);
      const x = nd.random.normal(0, 1, [2, 4, 5, 6]);
      const w = nd.random.normal(0, 1, [4, 3, 3, 3]);
      for (const a of [x, w]) a.attachGrad();
      let y: NDArray | null = null;
      autograd
        .record(() => {
          y = convTranspose2d(x, w, null, { stride: 2, padding: 1, outputPadding: 1 });
          return y.mul(nd.random.normal(0, 1, y.shape)).sum();
        })
        .backward();
      return [y!, x.grad, w.grad].map((a) => a.dataSync() as Float32Array);
    };
    const ref = withKernels('ts', tr);
    const got = withKernels('auto', tr);
    ['y', 'dx', 'dw'].forEach((n, i) => close(got[i], ref[i], `convTranspose2d ${n}`));
  } finally {
    setDnnlMode(prev);
  }
});

test('D2L_DNNL=0 leaves the addon unloaded and convolutions on the other kernels; D2L_DNNL=1 without it is a clear error', () => {
  const index = fileURLToPath(new URL('../../src/index.js', import.meta.url));
  const registry = index.replace(/index\.js$/, 'backend/registry.js');
  const script = `
    const { nd } = await import(${JSON.stringify(index)});
    const { conv2d } = await import(${JSON.stringify(index.replace(/index\.js$/, 'ops/nn.js'))});
    const { getCpuBackend } = await import(${JSON.stringify(registry)});
    const y = conv2d(nd.ones([1, 1, 3, 3]), nd.ones([1, 1, 2, 2]));
    console.log(JSON.stringify({ y: Array.from(y.dataSync()), conv: getCpuBackend().kernelInfo().conv }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, D2L_DNNL: '0', D2L_CPU_KERNELS: 'auto' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(out, { y: [4, 4, 4, 4], conv: 'wasm' });
  const r2 = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, D2L_DNNL: '1', D2L_DNNL_ADDON: '/nonexistent/d2l_dnnl.node', D2L_CPU_KERNELS: 'auto' },
    encoding: 'utf8',
  });
  assert.notEqual(r2.status, 0);
  assert.match(r2.stderr, /D2L_DNNL=1: the oneDNN addon is not loaded: D2L_DNNL_ADDON=\/nonexistent\/d2l_dnnl.node does not exist/);
  const r3 = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, D2L_DNNL: 'yes', D2L_CPU_KERNELS: 'auto' },
    encoding: 'utf8',
  });
  assert.notEqual(r3.status, 0);
  assert.match(r3.stderr, /D2L_DNNL must be 'auto', '1' or '0' \(got 'yes'\)/);
});

test('the addon checks its arguments: tensors outside the memory, bad descriptors', (t) => {
  if (!requireResource(t, dnnlAvailable(), ADDON)) return;
  const p: Conv2dParams = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 };
  const x = nd.ones([1, 1, 4, 4]);
  const w = nd.ones([1, 1, 3, 3]);
  const y = nd.zeros([1, 1, 2, 2]);
  // A view claiming more rows than its storage holds would reach past the heap's end.
  const huge: View = {
    storage: x.storage,
    shape: [1, 1, 4, 4],
    strides: [16, 16, 4, 1],
    offset: be.heap.buffer.byteLength / 4 - 8,
    dtype: 'float32',
  };
  assert.throws(() => dnnlConv2d(be.heap, huge, w, null, p, y), /d2l_dnnl.conv: a tensor lies outside the memory/);
  // An output shape that does not match the geometry.
  const yBad: View = { storage: y.storage, shape: [1, 1, 3, 2], strides: [6, 6, 2, 1], offset: 0, dtype: 'float32' };
  assert.equal(dnnlConv2d(be.heap, x, w, null, p, yBad), false);
  assert.deepEqual(Array.from(y.dataSync()), [0, 0, 0, 0]);
  assert.equal(dnnlConv2d(be.heap, x, w, null, p, y), true);
  assert.deepEqual(Array.from(y.dataSync()), [9, 9, 9, 9]);
});
