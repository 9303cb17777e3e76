// 8.3 auto-parallelism: the book's Benchmark lines in order, results identical in parallel and
// alone, the trace of submissions and completions, the overlap withheld on a software adapter
// (lavapipe in CI), and the CPU half alone without a GPU. isSoftwareAdapter's cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpu, gpu, initWebGpu, destroyWebGpu, isSoftwareAdapter } from '../../src/index.js';
import * as autoParallelism from '../../chapters/auto-parallelism.js';
import { chapterSlugs } from '../../chapters/index.js';
import { requireResource } from '../helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'd2l-auto-parallelism-'));
const time = (prefix: string) => new RegExp(`^${prefix.replace(/\./g, '\\.')} time: \\d+\\.\\d{4} sec$`);
const BLOCKS = [
  'Run on CPU.',
  'Then run on GPU.',
  'Run on both CPU and GPU in parallel.',
  'Run on GPU.',
  'Then copy to CPU.',
  'Run and copy in parallel.',
];
const PNG = [0x89, 0x50, 0x4e, 0x47];

test("8.3 auto-parallelism on gpu(0): the book's lines, identical results and the trace", async (t) => {
  const outDir = tmp();
  const r = await autoParallelism.run({ limit: 48, outDir, print: () => {} });
  if (!requireResource(t, r.gpu !== null, `WebGPU (lavapipe) for the GPU half: ${r.skipped}`)) return;
  assert.equal(String(r.gpu), 'gpu(0)');
  assert.equal(r.lines[0], `GPU: ${r.adapter}`);
  let i = 1;
  if (r.software) assert.match(r.lines[i++], /^\(a software adapter: gpu\(0\) runs its kernels on this machine's CPU cores/);
  // The book's six Benchmark lines, in its order, each with its time kept.
  BLOCKS.forEach((b, k) => assert.match(r.lines[i + k], time(b)));
  assert.deepEqual(Object.keys(r.times), BLOCKS);
  for (const s of Object.values(r.times)) assert.ok(Number.isFinite(s) && s >= 0);
  i += BLOCKS.length;
  // The same work gives the same values in parallel and alone; the GPU's agree with the CPU's.
  assert.deepEqual(r.lines.slice(i, i + 3), [
    "max |difference| of the CPU's products, in parallel vs alone: 0",
    "max |difference| of the GPU's products, in parallel vs alone: 0",
    'max |difference| of the copies, made in parallel vs after the products: 0',
  ]);
  assert.match(r.lines[i + 3], /^max \|GPU - CPU\| \/ max \|CPU\| of x_gpu·x_gpu \(its first 48 rows\): \d\.\d\de[-+]\d+$/);
  assert.deepEqual([r.maxDiff.cpuParallel, r.maxDiff.gpuParallel, r.maxDiff.copies], [0, 0, 0]);
  assert.ok(r.maxDiff.gpuVsCpu !== null && r.maxDiff.gpuVsCpu < 1e-4, `GPU vs CPU ${r.maxDiff.gpuVsCpu}`);

  // The trace: every block's operations, each completed after it was submitted.
  for (const b of BLOCKS) {
    const ev = r.trace.filter((e) => e.block === b);
    assert.equal(ev.length, b === 'Run on both CPU and GPU in parallel.' || b === 'Run and copy in parallel.' ? 20 : 10, b);
    for (const e of ev) assert.ok(e.completed >= e.submitted && e.submitted >= 0, `${b} ${e.op}: ${e.submitted} -> ${e.completed}`);
  }
  // CPU and GPU in parallel: all of the GPU's products were handed over before the CPU's first.
  const both = r.trace.filter((e) => e.block === BLOCKS[2]);
  assert.deepEqual(
    both.map((e) => `${e.device} ${e.op}`),
    [...[...Array(10).keys()].map((k) => `gpu(0) dot ${k}`), ...[...Array(10).keys()].map((k) => `cpu(0) dot ${k}`)],
  );
  const cpuDots = both.slice(10);
  assert.ok(Math.max(...both.slice(0, 10).map((e) => e.submitted)) <= cpuDots[0].submitted);
  // The CPU's products run one after another (synchronous kernels).
  for (let k = 1; k < 10; k++) assert.ok(cpuDots[k].submitted >= cpuDots[k - 1].completed);
  // Run and copy in parallel: each copy queued right after its product, before the next product.
  const runCopy = r.trace.filter((e) => e.block === BLOCKS[5]);
  assert.deepEqual(
    runCopy.map((e) => `${e.device} ${e.op}`),
    [...Array(10).keys()].flatMap((k) => [`gpu(0) dot ${k}`, `gpu(0)->cpu(0) copy ${k}`]),
  );
  // Then copy to CPU: copies only.
  assert.ok(r.trace.filter((e) => e.block === BLOCKS[4]).every((e) => e.device === 'gpu(0)->cpu(0)'));

  // The printed trace tables of the two parallel blocks, row by row from the trace.
  for (const b of [BLOCKS[2], BLOCKS[5]]) {
    const at = r.lines.indexOf(`trace of '${b}' (sec from the block's start):`);
    assert.ok(at > 0, b);
    assert.match(r.lines[at + 1], /^ {2}op {7}device {10}submitted completed$/);
    r.trace
      .filter((e) => e.block === b)
      .forEach((e, k) => {
        const cols = r.lines[at + 2 + k].trim().split(/\s+/);
        assert.deepEqual(cols, [...e.op.split(' '), e.device, e.submitted.toFixed(4), e.completed.toFixed(4)]);
      });
  }
  assert.deepEqual(r.files, [join(outDir, 'trace.png')]);
  assert.deepEqual([...readFileSync(r.files[0]).subarray(0, 4)], PNG);
  assert.ok(r.lines.includes(`trace of all six blocks: ${r.files[0]}`));

  // The overlap: withheld on a software adapter, measured on a real GPU.
  const last = r.lines[r.lines.length - 1];
  if (r.software) {
    assert.equal(r.overlap, null);
    assert.match(last, /^the overlap was not measured: gpu\(0\) is a software adapter \(.+\) on the CPU's own cores/);
    assert.ok(!r.lines.some((l) => l.startsWith('overlap of')));
  } else {
    assert.ok(r.overlap);
    assert.match(
      r.lines[r.lines.length - 2],
      /^overlap of CPU and GPU: \d+ of the GPU's 10 products finished while the CPU was computing; /,
    );
    assert.match(last, /^overlap of computation and copies: \d+ of the 10 copies reached the CPU while the GPU was computing; /);
    assert.equal(r.overlap.cpuGpu.sequential, r.times['Run on CPU.'] + r.times['Then run on GPU.']);
  }
});

test('8.3 auto-parallelism on a GPU that is not a software adapter prints the overlap from the trace and the times', async (t) => {
  // lavapipe declared a hardware adapter (initWebGpu's software option): the branch a real GPU takes.
  let backend;
  try {
    backend = await initWebGpu({ software: false });
  } catch (e) {
    if (!requireResource(t, false, `WebGPU (lavapipe): ${(e as Error).message.split('\n')[0]}`)) return;
  }
  try {
    assert.equal(backend!.software, false);
    const r = await autoParallelism.run({ ctx: gpu(0), limit: 32, outDir: tmp(), print: () => {} });
    assert.equal(r.software, false);
    assert.ok(!r.lines.some((l) => l.startsWith('(a software adapter')));
    assert.ok(r.overlap, 'measured');
    const { cpuGpu, runCopy } = r.overlap;
    assert.equal(cpuGpu.seconds, r.times['Run on both CPU and GPU in parallel.']);
    assert.equal(cpuGpu.sequential, r.times['Run on CPU.'] + r.times['Then run on GPU.']);
    assert.equal(runCopy.sequential, r.times['Run on GPU.'] + r.times['Then copy to CPU.']);
    // The counts are the trace's: GPU products done before the CPU's last one, copies before the last product.
    const ev = (b: string) => r.trace.filter((e) => e.block === b);
    const cpuEnd = Math.max(
      ...ev(BLOCKS[2])
        .filter((e) => e.device === 'cpu(0)')
        .map((e) => e.completed),
    );
    assert.equal(cpuGpu.finishedDuring, ev(BLOCKS[2]).filter((e) => e.device === 'gpu(0)' && e.completed < cpuEnd).length);
    const dotEnd = Math.max(
      ...ev(BLOCKS[5])
        .filter((e) => e.op.startsWith('dot'))
        .map((e) => e.completed),
    );
    assert.equal(runCopy.finishedDuring, ev(BLOCKS[5]).filter((e) => e.op.startsWith('copy') && e.completed < dotEnd).length);
    const n = r.lines.length;
    assert.equal(
      r.lines[n - 2],
      `overlap of CPU and GPU: ${cpuGpu.finishedDuring} of the GPU's 10 products finished while the CPU was computing; ` +
        `${cpuGpu.seconds.toFixed(4)} sec in parallel against ${cpuGpu.sequential.toFixed(4)} sec one after the other`,
    );
    assert.match(
      r.lines[n - 1],
      /^overlap of computation and copies: \d+ of the 10 copies reached the CPU while the GPU was computing; \d+\.\d{4} sec in parallel against \d+\.\d{4} sec one after the other$/,
    );
    // A GPU handed in by the caller is left to the caller.
    assert.ok(!backend!.isDestroyed);
  } finally {
    await destroyWebGpu();
  }
});

test('8.3 auto-parallelism with --ctx cpu runs the CPU half and says why the GPU half was skipped', async () => {
  const r = await autoParallelism.run({ ctx: cpu(), limit: 32, outDir: tmp(), print: () => {} });
  assert.equal(r.gpu, null);
  assert.equal(r.skipped, '--ctx cpu(0) keeps the program on the CPU');
  assert.equal(r.lines.length, 3);
  assert.equal(r.lines[0], '--ctx cpu(0) keeps the program on the CPU: the GPU half is skipped');
  assert.match(r.lines[1], time('Run on CPU.'));
  assert.equal(r.lines[2], 'the overlap was not measured: there is no GPU to overlap with the CPU');
  assert.equal(r.overlap, null);
  assert.deepEqual(r.maxDiff, { cpuParallel: null, gpuParallel: null, copies: null, gpuVsCpu: null });
  assert.deepEqual(
    r.trace.map((e) => `${e.block} ${e.device} ${e.op}`),
    [...Array(10).keys()].map((k) => `Run on CPU. cpu(0) dot ${k}`),
  );
  for (let k = 1; k < 10; k++) assert.ok(r.trace[k].submitted >= r.trace[k - 1].completed);
  assert.deepEqual([...readFileSync(r.files[0]).subarray(0, 4)], PNG);
});

test('8.3 auto-parallelism without WebGPU runs the CPU half and prints why the GPU half was skipped', async () => {
  // A Dawn that cannot be loaded is a machine without WebGPU (the first test destroyed its device).
  const saved = process.env.D2L_DAWN_NODE;
  process.env.D2L_DAWN_NODE = join(tmp(), 'missing-dawn.node');
  try {
    const r = await autoParallelism.run({ limit: 16, outDir: tmp(), print: () => {} });
    assert.equal(r.gpu, null);
    assert.match(r.skipped ?? '', /^no GPU \(initWebGpu: could not load Dawn from .*missing-dawn\.node \(D2L_DAWN_NODE\)/);
    assert.equal(r.lines[0], `${r.skipped}: the GPU half is skipped`);
    assert.match(r.lines[1], time('Run on CPU.'));
    assert.equal(r.lines.length, 3);
  } finally {
    if (saved === undefined) delete process.env.D2L_DAWN_NODE;
    else process.env.D2L_DAWN_NODE = saved;
  }
});

test('8.3 auto-parallelism refuses a bad --limit, and is registered after 8.2', async () => {
  await assert.rejects(
    autoParallelism.run({ limit: 0, print: () => {} }),
    /auto-parallelism: --limit must be a positive integer \(the matrices' size\), got 0/,
  );
  await assert.rejects(autoParallelism.run({ limit: 2.5, print: () => {} }), /got 2\.5/);
  const slugs = chapterSlugs();
  assert.deepEqual(slugs.slice(slugs.indexOf('async-computation'), slugs.indexOf('async-computation') + 3), [
    'async-computation',
    'auto-parallelism',
    'multiple-gpus',
  ]);
  assert.equal(autoParallelism.meta.slug, 'auto-parallelism');
});

test('isSoftwareAdapter: software rasterisers by fallback flag, architecture or name; real GPUs are not', () => {
  assert.equal(
    isSoftwareAdapter({ vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15', description: 'llvmpipe: Mesa 25.0.7' }),
    true,
  );
  assert.equal(isSoftwareAdapter({ vendor: 'x', description: 'something new', isFallbackAdapter: true }), true);
  assert.equal(isSoftwareAdapter({ vendor: 'x', description: 'something new' }, true), true);
  assert.equal(isSoftwareAdapter({ vendor: 'google', description: 'SwiftShader Device (Subzero)' }), true);
  assert.equal(isSoftwareAdapter('Microsoft Basic Render Driver'), true);
  assert.equal(isSoftwareAdapter('llvmpipe (LLVM 15.0.6, 256 bits)'), true);
  assert.equal(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' }), false);
  assert.equal(isSoftwareAdapter({ vendor: 'nvidia', description: 'NVIDIA H200', isFallbackAdapter: false }, false), false);
  assert.equal(isSoftwareAdapter('AMD Radeon RX 7900 XTX'), false);
  assert.equal(isSoftwareAdapter({}), false);
  assert.throws(
    () => isSoftwareAdapter(null as unknown as string),
    /isSoftwareAdapter: expected the adapter's info \(an object\) or its description \(a string\), got null/,
  );
  assert.throws(() => isSoftwareAdapter(3 as unknown as string), /got number/);
});
