// The non-shared CPU heap, what a page without cross-origin isolation gets (heapShared): a plain
// WebAssembly.Memory with the kernel module built for it, one thread, and exactly the numbers of
// the shared heap, including across the heap's growth (a plain memory's buffer detaches then).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Heap } from '../../src/backend/cpu/heap.js';
import { compileKernels, heapShared, instantiate } from '../../src/backend/cpu/wasm/module.js';
import { ValueError } from '../../src/core/errors.js';

test('Heap(pages, false): a plain memory that grows, and the kernel module built for it', () => {
  assert.equal(heapShared(), process.env.D2L_HEAP_SHARED !== '0', 'Node shares the heap unless D2L_HEAP_SHARED=0');
  const h = new Heap(1, false);
  assert.equal(h.shared, false);
  assert.ok(!(h.memory.buffer instanceof SharedArrayBuffer));
  const first = h.buffer;
  const p = h.alloc(1 << 20); // past the first 64 KiB page: the memory grows, the old buffer detaches
  assert.equal(first.byteLength, 0, 'the old buffer is detached');
  assert.ok(h.buffer.byteLength >= p + (1 << 20));
  assert.ok(!(h.buffer instanceof SharedArrayBuffer));

  const unshared = compileKernels(false);
  const shared = compileKernels(true);
  assert.ok(unshared && shared, 'this Node has Wasm SIMD');
  assert.equal(unshared.variant, shared.variant, 'the same variant for both heaps, so the same results');
  assert.equal(unshared.shared, false);
  // Each module accepts only its own kind of memory.
  const k = instantiate(unshared.module, h.memory);
  assert.equal(typeof k.sgemm, 'function');
  assert.throws(() => instantiate(shared.module, h.memory), WebAssembly.LinkError);
  assert.throws(() => instantiate(unshared.module, new Heap(1, true).memory), WebAssembly.LinkError);
  assert.throws(
    () => new Heap(0, false),
    (e: unknown) => e instanceof ValueError && /initialPages/.test(e.message),
  );
  assert.throws(() => compileKernels('no' as unknown as boolean), /compileKernels: shared must be a boolean/);
});

// Arrays, a GEMM, a gather, softmax regression on 12,000 random 784-pixel rows (37 MiB of data:
// the 16 MiB heap grows several times mid-run), a reduction, and TS kernels over an array the
// evictor moved out meanwhile; prints every number it gets.
const PROGRAM = (index: string) => `
import * as d2l from ${JSON.stringify(index)};
const { nd, autograd, gluon, init } = d2l;
const b = nd.cpu().backend;
const out = [];
nd.random.seed(3);
// Created first and left untouched: the evictor moves it out of the heap during training.
const early = nd.arange(3000).astype('float64').mul(0.5);
const X = nd.random.normal(0, 1, [12000, 784]);
const y = nd.random.randint(0, 10, [12000]).astype('float32');
const net = new gluon.nn.Sequential();
net.add(new gluon.nn.Dense(10));
net.initialize(new init.Normal(0.01));
const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
for (const [Xb, yb] of new gluon.data.DataLoader(new gluon.data.ArrayDataset(X, y), { batchSize: 256, shuffle: false })) {
  const l = autograd.record(() => loss.forward(net.forward(Xb), yb));
  l.backward();
  trainer.step(256);
  out.push(l.mean().asScalar());
}
out.push(Array.from(net.forward(X.get(':4')).dataSync()));
out.push(X.take(nd.array([11999, 0, 5000], { dtype: 'int32' })).sum().asScalar());
out.push(nd.dot(X.get(':64'), X.get(':64').T).sum().asScalar());
// On the TS kernels (views, not addresses), an evicted operand next to a resident one.
const wasEvicted = early.storage.evicted !== null;
const info = b.kernelInfo();
b.setKernels('ts');
const late = nd.arange(3000).astype('float64');
out.push(nd.add(late, early).sum().asScalar(), early.mul(late).get('2990:').toArray());
console.log(JSON.stringify({ out, wasEvicted, sharedHeap: info.sharedHeap, threads: info.threads, active: info.active, reserved: b.memory().reservedBytes }));
`;

test('D2L_HEAP_SHARED=0: one thread on a plain heap, exactly the numbers of the shared heap', { timeout: 180_000 }, () => {
  const index = new URL('../../src/index.js', import.meta.url).href;
  const run = (env: Record<string, string>) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', PROGRAM(index)], {
      env: { ...process.env, D2L_CPU_KERNELS: 'wasm', ...env },
      encoding: 'utf8',
      timeout: 170_000,
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      out: unknown[];
      wasEvicted: boolean;
      sharedHeap: boolean;
      threads: number;
      active: string;
      reserved: number;
    };
  };
  const shared = run({ D2L_CPU_THREADS: '1' });
  const plain = run({ D2L_HEAP_SHARED: '0', D2L_CPU_THREADS: '4' });
  assert.equal(shared.sharedHeap, true);
  assert.equal(plain.sharedHeap, false);
  assert.equal(plain.threads, 1, 'a plain heap has the calling thread alone, whatever D2L_CPU_THREADS says');
  assert.equal(plain.active, 'wasm');
  assert.ok(plain.reserved > 32 << 20, `the heap grew past its first 16 MiB (${plain.reserved} bytes reserved)`);
  assert.equal(plain.out.length, 47 + 5);
  assert.ok(plain.wasEvicted && shared.wasEvicted, 'the early array was evicted in both runs');
  assert.deepEqual(plain.out, shared.out);
});
