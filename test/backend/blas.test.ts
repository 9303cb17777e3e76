// The optional BLAS path (src/backend/cpu/blas, native/d2l_blas.c): GEMM on OpenBLAS over the shared
// CPU heap, checked against the TS reference kernel on random and odd shapes, every operand layout
// BLAS can take (row- or column-major, padded leading dimensions, offsets), batches with any
// strides, and through the public ops and their gradients. Without the addon these tests skip
// with a reason, and in CI (CI=true) they fail: .ci/run installs OpenBLAS, so the addon must build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { nd, autograd, NDArray } from '../../src/index.js';
import type { DType } from '../../src/core/dtype.js';
import type { View } from '../../src/backend/backend.js';
import { getCpuBackend } from '../../src/backend/registry.js';
import { CpuStorage, type CpuKernelMode } from '../../src/backend/cpu/cpu-backend.js';
import { matmulRef } from '../../src/backend/cpu/matmul.js';
import { adviseHugePages, blasAvailable, blasInfo, blasMatmul, setBlasThreads } from '../../src/backend/cpu/blas/index.js';
import { assertClose, requireResource, withKernels } from '../helpers.js';

const ADDON = 'the OpenBLAS addon build/Release/d2l_blas.node (apt-get install build-essential libopenblas-dev; npm run build:blas)';
const be = getCpuBackend();

/** A small deterministic generator, so a failing case can be reproduced from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

interface Operand {
  buf: NDArray;
  view: View;
}

/**
 * A rows x cols operand (with batch dims) laid out in a fresh buffer: row- or column-major with
 * `pad` extra elements per leading dimension, starting `offset` elements in, batch items `gap`
 * elements apart, and broadcast (stride 0) along the batch dims listed in `bcast`.
 */
function operand(
  dtype: DType,
  batch: number[],
  rows: number,
  cols: number,
  colMajor: boolean,
  pad: number,
  offset: number,
  gap: number,
  bcast: boolean[],
  fill: 'random' | 'nan',
  r: () => number,
): Operand {
  const ld = (colMajor ? rows : cols) + pad;
  const inner = colMajor ? [1, ld] : [ld, 1];
  const mat = (colMajor ? cols : rows) * ld;
  const bs = new Array<number>(batch.length);
  let acc = mat + gap;
  for (let d = batch.length - 1; d >= 0; d--) {
    bs[d] = bcast[d] ? 0 : acc;
    if (!bcast[d]) acc *= batch[d];
  }
  const size = offset + acc;
  const buf = fill === 'nan' ? nd.full([size], NaN, { dtype }) : nd.zeros([size], { dtype });
  if (fill === 'random') {
    const d = (buf.storage as CpuStorage).data;
    for (let i = 0; i < size; i++) d[i] = Math.round((r() * 2 - 1) * 1000) / 250; // exact in float32
  }
  const view: View = { storage: buf.storage, shape: [...batch, rows, cols], strides: [...bs, ...inner], offset, dtype };
  return { buf, view };
}

const data = (v: View) => (v.storage as CpuStorage).data;

test('blasInfo reports the addon and OpenBLAS, or why it is absent', (t) => {
  const info = blasInfo();
  if (!info.loaded) {
    assert.equal(typeof info.reason, 'string');
    assert.ok(info.reason!.length > 0);
  }
  if (!requireResource(t, info.loaded, ADDON)) return;
  assert.equal(info.reason, null);
  assert.match(info.config ?? '', /OpenBLAS/);
  assert.match(info.library ?? '', /openblas/i);
  assert.ok(['openmp', 'pthread', 'sequential'].includes(info.parallel ?? ''), String(info.parallel));
  assert.ok(info.threads >= 1);
  console.log(`# blas: ${info.parallel} ${info.corename} ${info.library} (${info.threads} threads)`);
});

test('blas GEMM matches the TS reference on random shapes, layouts, offsets and batch strides', (t) => {
  if (!requireResource(t, blasAvailable(), ADDON)) return;
  const sizes = [1, 2, 3, 5, 7, 16, 17, 33, 64, 65];
  let cases = 0;
  for (let seed = 1; seed <= 160; seed++) {
    const r = rng(seed);
    const dtype: DType = seed % 3 === 0 ? 'float64' : 'float32';
    const nbd = pick(r, [0, 0, 1, 1, 2]);
    const batch = Array.from({ length: nbd }, () => pick(r, [1, 2, 3]));
    const [m, k, n] = [pick(r, sizes), pick(r, sizes), pick(r, sizes)];
    const bx = batch.map(() => r() < 0.25);
    const by = batch.map(() => r() < 0.25);
    const x = operand(dtype, batch, m, k, r() < 0.5, pick(r, [0, 0, 3]), pick(r, [0, 5]), pick(r, [0, 7]), bx, 'random', r);
    const y = operand(dtype, batch, k, n, r() < 0.5, pick(r, [0, 0, 2]), pick(r, [0, 9]), pick(r, [0, 4]), by, 'random', r);
    const colOut = r() < 0.3;
    const [opad, ooff, ogap] = [pick(r, [0, 0, 4]), pick(r, [0, 6]), pick(r, [0, 3])];
    const o1 = operand(
      dtype,
      batch,
      m,
      n,
      colOut,
      opad,
      ooff,
      ogap,
      batch.map(() => false),
      'nan',
      r,
    );
    const o2 = operand(
      dtype,
      batch,
      m,
      n,
      colOut,
      opad,
      ooff,
      ogap,
      batch.map(() => false),
      'nan',
      r,
    );
    const label = `seed ${seed}: ${dtype} batch [${batch}] m ${m} k ${k} n ${n} x ${JSON.stringify(x.view.strides)} y ${JSON.stringify(y.view.strides)} out ${JSON.stringify(o1.view.strides)}`;
    assert.ok(blasMatmul(be.heap.buffer, x.view, y.view, o1.view, 2), `blas declined ${label}`);
    matmulRef(data(x.view), x.view, data(y.view), y.view, data(o2.view), o2.view);
    // Whole buffers: the results agree, and BLAS wrote nothing outside the output view (NaN kept).
    assertClose(o1.buf, o2.buf, dtype === 'float64' ? 1e-12 : 2e-5, label);
    for (const a of [x.buf, y.buf, o1.buf, o2.buf]) a.dispose();
    cases++;
  }
  assert.equal(cases, 160);
});

test('layouts BLAS cannot take are declined and still computed by the fallback kernels', (t) => {
  if (!requireResource(t, blasAvailable(), ADDON)) return;
  const r = rng(7);
  // A broadcast row (stride 0 inside the matrix), negative strides, an int32 product.
  const x = operand('float32', [], 4, 6, false, 0, 0, 0, [], 'random', r);
  const y = operand('float32', [], 6, 5, false, 0, 0, 0, [], 'random', r);
  const bview: View = { ...x.view, strides: [0, 1] };
  const flipped: View = { ...y.view, strides: [-5, 1], offset: 25 };
  for (const [xv, yv] of [
    [bview, y.view],
    [x.view, flipped],
  ] as [View, View][]) {
    const o1 = operand('float32', [], 4, 5, false, 0, 0, 0, [], 'nan', r);
    const o2 = operand('float32', [], 4, 5, false, 0, 0, 0, [], 'nan', r);
    assert.equal(blasMatmul(be.heap.buffer, xv, yv, o1.view, 2), false);
    withKernels('blas', () => be.matmul(xv, yv, o1.view));
    matmulRef(data(xv), xv, data(yv), yv, data(o2.view), o2.view);
    assertClose(o1.buf, o2.buf, 1e-6);
    o1.buf.dispose();
    o2.buf.dispose();
  }
  const a = nd.array(
    [
      [1, 2],
      [3, 4],
    ],
    { dtype: 'int32' },
  );
  const p = withKernels('blas', () => nd.dot(a, a));
  assert.equal(p.dtype, 'int32');
  assert.deepEqual(Array.from(p.dataSync()), [7, 10, 15, 22]);
  for (const v of [x.buf, y.buf, a, p]) v.dispose();
});

test('each CPU path (ts, wasm, blas) gives the same products and gradients through the public ops', (t) => {
  const haveBlas = blasAvailable();
  if (!requireResource(t, haveBlas, ADDON)) return;
  const A = nd.random.normal(0, 1, [37, 53]);
  const B = nd.random.normal(0, 1, [53, 29]);
  const Bt = nd.random.normal(0, 1, [29, 53]);
  const P = nd.random.normal(0, 1, [4, 19, 23]);
  const Q = nd.random.normal(0, 1, [4, 31, 23]);
  const R = nd.random.normal(0, 1, [23, 3]);
  const S = nd.random.normal(0, 1, [4, 31, 5]);
  const D = nd.random.normal(0, 1, [70, 90], { dtype: 'float64' });
  const run = () => {
    const outs: NDArray[] = [];
    outs.push(nd.dot(A, B), nd.dot(A, Bt, { transposeB: true }), nd.dot(A.T, A), nd.batchDot(P, Q, { transposeB: true }));
    outs.push(nd.batchDot(Q, S, { transposeA: true }), nd.matmul(P, R), nd.dot(D, D.T));
    const W = B.copy();
    W.attachGrad();
    const l = autograd.record(() => nd.dot(A, W).tanh().sum());
    l.backward();
    outs.push(W.grad!.copy());
    W.dispose();
    l.dispose();
    return outs;
  };
  const ref = withKernels('ts', run);
  const paths: CpuKernelMode[] = be.fastKernels() ? ['wasm', 'blas', 'auto'] : ['blas', 'auto'];
  for (const mode of paths) {
    const got = withKernels(mode, run);
    got.forEach((g, i) => {
      assert.deepEqual(g.shape, ref[i].shape);
      assertClose(g, ref[i], g.dtype === 'float64' ? 1e-12 : 5e-5, `${mode} output ${i}`);
      g.dispose();
    });
  }
  assert.equal(
    withKernels('blas', () => be.kernelInfo().gemm),
    'blas',
  );
  assert.equal(
    withKernels('auto', () => be.kernelInfo().gemm),
    'blas',
  );
  for (const a of [A, B, Bt, P, Q, R, S, D, ...ref]) a.dispose();
});

test('large products run multi-threaded and single-threaded, and after the heap grows', async (t) => {
  if (!requireResource(t, blasAvailable(), ADDON)) return;
  const x = nd.random.normal(0, 1, [300, 257]);
  const y = nd.random.normal(0, 1, [129, 257]);
  const ref = withKernels('ts', () => nd.dot(x, y, { transposeB: true }));
  const prevThreads = be.kernelInfo().threads;
  // Large products with 2 threads: split over our worker pool (each thread single-threaded OpenBLAS
  // on a block of rows or columns; the default), or over OpenBLAS' own threads (setBlasOnPool(false)).
  for (const [threads, onPool] of [
    [1, true],
    [2, true],
    [2, false],
  ] as const) {
    await be.setThreads(threads);
    be.setBlasOnPool(onPool);
    if (threads > 1) be.startThreads();
    const got = withKernels('blas', () => nd.dot(x, y, { transposeB: true }));
    const split = withKernels('blas', () => be.kernelInfo().gemmThreads);
    assert.equal(split, threads === 1 ? 'one' : onPool ? 'pool' : 'openblas');
    assert.equal(blasInfo().threads, split === 'openblas' ? threads : 1);
    assertClose(got, ref, 5e-5, `${threads} threads, ${split}`);
    // Both operand orders and a batch, so row and column splits and batch chunks all run.
    const xt = x.T.copy();
    const got2 = withKernels('blas', () => nd.dot(y, xt));
    assertClose(
      got2,
      withKernels('ts', () => nd.dot(y, xt)),
      5e-5,
      `Bᵀ-split, ${split}`,
    );
    const xb = nd.stack([x, x.mul(-1), x.mul(0.5)]);
    const yb = nd.stack([y, y, y.mul(2)]).swapaxes(1, 2);
    const gotB = withKernels('blas', () => nd.batchDot(xb, yb));
    assertClose(
      gotB,
      withKernels('ts', () => nd.batchDot(xb, yb)),
      5e-5,
      `batch, ${split}`,
    );
    for (const a of [got, xt, got2, xb, yb, gotB]) a.dispose();
  }
  be.setBlasOnPool(true);
  await be.setThreads(prevThreads);
  // Small products run on one thread whatever the backend's count.
  const o = nd.ones([8, 8]);
  const s = withKernels('blas', () => nd.dot(o, o));
  assert.equal(blasInfo().threads, 1);
  assertClose(s, new Array(64).fill(8));
  s.dispose();
  o.dispose();
  setBlasThreads(2);
  assert.equal(blasInfo().threads, 2);
  // Grow the shared memory past its current size; the addon must see the new, longer buffer.
  const before = be.heap.buffer.byteLength;
  const big = nd.zeros([Math.ceil(before / 4) + 1024]);
  assert.ok(be.heap.buffer.byteLength > before);
  const x2 = x.copy();
  const got = withKernels('blas', () => nd.dot(x2, y, { transposeB: true }));
  assertClose(got, ref, 5e-5, 'after grow');
  for (const a of [x, y, ref, big, x2, got]) a.dispose();
});

test('the addon checks its arguments: out-of-bounds or misaligned matrices throw and write nothing', (t) => {
  if (!requireResource(t, blasAvailable(), ADDON)) return;
  const req = createRequire(import.meta.url);
  const addon = req(blasInfo().addon!) as {
    gemm(...a: unknown[]): void;
    gemmBatch(...a: unknown[]): void;
  };
  const mem = new Uint8Array(be.heap.buffer);
  const c = nd.full([4], 5);
  const cp = (c.storage as CpuStorage).ptr;
  const len = mem.length;
  // 2x2 · 2x2 reading A from the last bytes of the memory: out of bounds.
  assert.throws(() => addon.gemm(false, mem, false, false, 2, 2, 2, 1, 2, 2, 0, 2, len - 8, 64, cp), RangeError);
  assert.throws(() => addon.gemm(false, mem, false, false, 2, 2, 2, 1, 2, 2, 0, 2, 66, 64, cp), RangeError); // misaligned
  assert.throws(() => addon.gemm(false, mem, false, false, 2, 2, 2, 1, 1, 2, 0, 2, 64, 64, cp), RangeError); // lda < K
  assert.throws(() => addon.gemm(false, mem, false, false, -1, 2, 2, 1, 2, 2, 0, 2, 64, 64, cp), RangeError);
  assert.throws(() => addon.gemm(false, new Float32Array(4), false, false, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0), RangeError);
  assert.throws(
    () => addon.gemmBatch(false, mem, false, false, 2, 2, 2, 1, 2, 2, 0, 2, new Float64Array([64, 64, cp, 64, 64, len])),
    RangeError,
  );
  assert.throws(() => addon.gemmBatch(false, mem, false, false, 2, 2, 2, 1, 2, 2, 0, 2, new Float64Array([64, 64])), RangeError);
  assert.deepEqual(Array.from(c.dataSync()), [5, 5, 5, 5]);
  c.dispose();
});

test('forced blas without the addon is a clear error; auto falls back to the other kernels', () => {
  // A child process with the addon disabled, whether or not it was built here.
  const index = fileURLToPath(new URL('../../src/index.js', import.meta.url));
  const script = `
    const { nd } = await import(${JSON.stringify(index)});
    const a = nd.ones([3, 3]);
    const auto = Array.from(nd.dot(a, a).dataSync());
    let err = '';
    try { const { getCpuBackend } = await import(${JSON.stringify(index.replace(/index\.js$/, 'backend/registry.js'))}); getCpuBackend().setKernels('blas'); } catch (e) { err = e.message; }
    console.log(JSON.stringify({ auto, err }));`;
  const env = { ...process.env, D2L_BLAS: '0', D2L_CPU_KERNELS: 'auto' };
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(out.auto, [3, 3, 3, 3, 3, 3, 3, 3, 3]);
  assert.match(out.err, /BLAS addon is not loaded: disabled by D2L_BLAS=0/);
  // The same through the environment switch: the first product says what is missing.
  const r2 = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `const { nd } = await import(${JSON.stringify(index)}); nd.dot(nd.ones([2, 2]), nd.ones([2, 2]));`],
    {
      env: { ...process.env, D2L_BLAS: '0', D2L_CPU_KERNELS: 'blas' },
      encoding: 'utf8',
    },
  );
  assert.notEqual(r2.status, 0);
  assert.match(r2.stderr, /D2L_CPU_KERNELS=blas: the BLAS addon is not loaded: disabled by D2L_BLAS=0/);
});

test('the heap can be given transparent huge pages through the addon (advisory)', (t) => {
  if (!requireResource(t, blasAvailable(), ADDON)) return;
  // madvise(MADV_HUGEPAGE) over the heap's 2 MiB-aligned part succeeds on any Linux with THP built in;
  // whether the kernel then backs the pages with huge ones is its own affair (mode, fragmentation).
  assert.equal(adviseHugePages(be.heap.buffer), true);
  // The data still reads and writes the same after the advice.
  const a = nd.arange(0, 1000);
  assert.equal(a.sum().asScalar(), 499500);
  a.dispose();
});
