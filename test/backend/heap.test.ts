// The CPU heap (src/backend/cpu/heap.ts): freed neighbours merge, so memory freed as many arrays
// holds one large array again; blocks are split, aligned, reused for the same size, never overlap
// under a random alloc/free sequence; the exhausted-heap error says what is live, reserved and free.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd } from '../../src/index.js';
import { Heap } from '../../src/backend/cpu/heap.js';
import { getCpuBackend } from '../../src/backend/registry.js';
import { ValueError } from '../../src/core/errors.js';

const KB = 1 << 10;
const MB = 1 << 20;
const GB = 1 << 30;

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('forty 64 MiB arrays, once freed, hold a 2 GiB array (freed neighbours merge)', () => {
  // Through the CPU backend's alloc/free, which nd.zeros and dispose() call: the same heap path
  // without filling 4.5 GB (nd.zeros of 2 GiB alone takes seconds, touching every page).
  const backend = getCpuBackend();
  const m0 = nd.memory();
  const storages = Array.from({ length: 40 }, () => backend.alloc('float32', 16 << 20));
  const reserved = nd.memory().reservedBytes;
  assert.ok(reserved >= 40 * 64 * MB);
  assert.equal(nd.memory().bytes - m0.bytes, 40 * 64 * MB);
  for (const s of storages) backend.free(s);
  assert.equal(nd.memory().bytes, m0.bytes);
  assert.ok(backend.heap.largestFreeBlock() >= 40 * 64 * MB, `largest free block ${backend.heap.largestFreeBlock()}`);
  const big = backend.alloc('float32', 512 << 20);
  assert.equal(nd.memory().bytes - m0.bytes, 2 * GB);
  assert.equal(nd.memory().reservedBytes, reserved, 'the 2 GiB block lies in the freed space');
  backend.free(big);
  assert.equal(nd.memory().bytes, m0.bytes);
});

test('disposed nd arrays merge: forty 1 MiB arrays, disposed, hold one 40 MiB array', () =>
  // In a tidy scope, so no array is moved out of the heap meanwhile (they are not garbage).
  nd.tidy(() => {
    const arrays = Array.from({ length: 40 }, () => nd.zeros([256 << 10]));
    const reserved = nd.memory().reservedBytes;
    const bytes = nd.memory().bytes;
    for (const a of arrays) a.dispose();
    const big = nd.zeros([10 << 20]);
    assert.equal(nd.memory().reservedBytes, reserved, 'the heap did not grow');
    assert.equal(nd.memory().bytes, bytes);
    assert.equal(big.sum().asScalar(), 0);
    big.dispose();
  }));

test('an array larger than the 4 GiB heap is a ValueError that says what is live, reserved and free', () => {
  const heap = getCpuBackend().heap;
  const reserved = heap.reservedBytes;
  assert.throws(
    () => nd.zeros([1100 << 20]),
    (e: unknown) => {
      assert.ok(e instanceof ValueError);
      const m = (e as Error).message;
      assert.match(m, /cannot allocate 4613734400 bytes \(4400\.0 MiB\)/);
      assert.match(m, new RegExp(`${heap.liveBytes} bytes \\([\\d.]+ MiB\\) are live`));
      assert.match(m, new RegExp(`${reserved} bytes \\([\\d.]+ MiB\\) reserved`));
      assert.match(m, /the largest free block is \d+ bytes \([\d.]+ MiB\)/);
      return true;
    },
  );
  assert.equal(heap.reservedBytes, reserved);
});

test('Heap: a fragmented heap says so, with the largest free block, and is left as it was', () => {
  const heap = new Heap(1);
  const a = heap.alloc(GB);
  const b = heap.alloc(GB);
  const c = heap.alloc(GB);
  heap.free(a, GB);
  heap.free(c, GB);
  const reserved = heap.reservedBytes;
  // 2 GiB are free, but 1 GiB below b and 1 GiB above it (plus the unreserved rest).
  assert.throws(
    () => heap.alloc(2 * GB),
    (e: unknown) => {
      assert.ok(e instanceof ValueError);
      const m = (e as Error).message;
      assert.match(m, /cannot allocate 2147483648 bytes \(2048\.0 MiB\)/);
      assert.match(m, /1073741824 bytes \(1024\.0 MiB\) are live in 1 blocks/);
      assert.match(m, new RegExp(`${reserved} bytes \\(3072\\.0 MiB\\) reserved`));
      assert.match(m, /the largest free block is 1073741824 bytes \(1024\.0 MiB\)/);
      assert.match(m, /split between live arrays/);
      return true;
    },
  );
  assert.equal(heap.reservedBytes, reserved);
  assert.equal(heap.liveBytes, GB);
  // The failed request changed nothing: both free gigabytes are still there.
  assert.deepEqual(new Set([heap.alloc(GB), heap.alloc(GB)]), new Set([a, c]));
  heap.free(b, GB);
  assert.equal(heap.largestFreeBlock(), GB);
});

test('Heap: a freed block merges with a free right neighbour', () => {
  const heap = new Heap(1);
  const [a, b, guard] = [heap.alloc(KB), heap.alloc(KB), heap.alloc(KB)];
  heap.free(b, KB);
  heap.free(a, KB);
  assert.equal(heap.largestFreeBlock(), 2 * KB);
  assert.equal(heap.alloc(2 * KB), a);
  assert.ok(guard > a);
});

test('Heap: a freed block merges with a free left neighbour', () => {
  const heap = new Heap(1);
  const [a, b] = [heap.alloc(KB), heap.alloc(KB), heap.alloc(KB)];
  heap.free(a, KB);
  heap.free(b, KB);
  assert.equal(heap.largestFreeBlock(), 2 * KB);
  const top = heap.reservedBytes;
  assert.equal(heap.alloc(2 * KB), a);
  assert.equal(heap.reservedBytes, top);
});

test('Heap: a freed block merges with free neighbours on both sides', () => {
  const heap = new Heap(1);
  const [a, b, c] = [heap.alloc(KB), heap.alloc(2 * KB), heap.alloc(KB), heap.alloc(KB)];
  heap.free(a, KB);
  heap.free(c, KB);
  assert.equal(heap.largestFreeBlock(), KB);
  heap.free(b, 2 * KB);
  assert.equal(heap.largestFreeBlock(), 4 * KB);
  assert.equal(heap.liveBlocks, 1);
  assert.equal(heap.alloc(4 * KB), a);
});

test('Heap: a request is cut from a larger free block and the rest stays free', () => {
  const heap = new Heap(1);
  const a = heap.alloc(8 * KB);
  heap.alloc(KB); // keeps the block off the top
  heap.free(a, 8 * KB);
  const top = heap.reservedBytes;
  assert.equal(heap.alloc(3 * KB), a);
  assert.equal(heap.largestFreeBlock(), 5 * KB);
  assert.equal(heap.alloc(5 * KB), a + 3 * KB);
  assert.equal(heap.largestFreeBlock(), 0);
  assert.equal(heap.reservedBytes, top);
  // Large requests do the same with large blocks.
  const big = heap.alloc(64 * MB);
  heap.alloc(KB);
  heap.free(big, 64 * MB);
  assert.equal(heap.alloc(40 * MB), big);
  assert.equal(heap.alloc(24 * MB), big + 40 * MB);
});

test('Heap: blocks are 64-byte aligned and rounded to 4 size classes per power of two', () => {
  const heap = new Heap(1);
  const next = rng(1);
  for (let i = 0; i < 500; i++) {
    const bytes = 1 + Math.floor(next() * 100_000);
    const before = heap.liveBytes;
    const p = heap.alloc(bytes);
    assert.equal(p % 64, 0);
    const cls = heap.liveBytes - before;
    assert.equal(cls, Heap.classOf(bytes));
    assert.ok(cls >= bytes && cls % 64 === 0 && (cls <= 64 || cls < bytes * 1.25 + 64), `${bytes} -> ${cls}`);
  }
  // classOf's integer arithmetic gives the classes of the floating-point definition.
  const reference = (b: number) =>
    b <= 64 ? 64 : Math.ceil(b / 2 ** Math.max(Math.floor(Math.log2(b - 1)) - 2, 6)) * 2 ** Math.max(Math.floor(Math.log2(b - 1)) - 2, 6);
  for (let b = 1; b <= 70_000; b++) assert.equal(Heap.classOf(b), reference(b));
  for (let i = 0; i < 10_000; i++) {
    const b = 1 + Math.floor(next() * 2 ** 33);
    assert.equal(Heap.classOf(b), reference(b), `${b}`);
  }
});

test('Heap: a training loop reuses the same blocks every step and the heap stays flat', () => {
  const heap = new Heap(1);
  const params = [784 * 256 * 4, 256 * 4, 256 * 10 * 4, 40].map((b) => heap.alloc(b));
  const sizes = [256 * 784 * 4, 256 * 256 * 4, 256 * 256 * 4, 256 * 10 * 4, 256 * 10 * 4, 1024, 256 * 4, 784 * 256 * 4, 40, 256 * 256 * 4];
  let first: number[] = [];
  let reserved = 0;
  for (let step = 0; step < 20; step++) {
    // Allocated in order, freed in a different one (as tidy and backward do).
    const ptrs = sizes.map((b) => heap.alloc(b));
    for (const i of [3, 0, 5, 1, 9, 2, 8, 4, 7, 6]) heap.free(ptrs[i], sizes[i]);
    if (step === 1) [first, reserved] = [ptrs, heap.reservedBytes];
    if (step > 1) {
      assert.deepEqual(ptrs, first, `step ${step}`);
      assert.equal(heap.reservedBytes, reserved);
    }
  }
  assert.equal(heap.liveBlocks, params.length);
});

test('Heap: a small request reuses a freed large block before the top of the heap advances', () => {
  const heap = new Heap(1);
  const big = heap.alloc(8 * MB);
  heap.alloc(KB);
  heap.free(big, 8 * MB);
  const top = heap.reservedBytes;
  assert.equal(heap.alloc(KB), big, 'cut from the start of the free block');
  assert.equal(heap.alloc(64 * KB), big + KB);
  assert.equal(heap.reservedBytes, top, 'no fresh memory taken');
});

/**
 * Runs `ops` random allocs and frees against a shadow model: every block is aligned, inside the
 * reserved part, overlaps no live block, and liveBytes/liveBlocks match. Freeing everything at the
 * end must leave one free block spanning the whole reserved part.
 */
function randomRun(ops: number, seed: number, maxLive: number, size: (next: () => number) => number): void {
  const heap = new Heap(1);
  const next = rng(seed);
  const live = new Map<number, { bytes: number; cls: number }>();
  let sum = 0;
  for (let i = 0; i < ops; i++) {
    if (live.size >= maxLive || (live.size > 0 && next() < 0.48)) {
      const keys = [...live.keys()];
      const p = keys[Math.floor(next() * keys.length)];
      const b = live.get(p)!;
      heap.free(p, b.bytes);
      live.delete(p);
      sum -= b.cls;
    } else {
      const bytes = size(next);
      const p = heap.alloc(bytes);
      const cls = Heap.classOf(bytes);
      assert.equal(p % 64, 0);
      assert.ok(p >= 64 && p + cls <= heap.reservedBytes && heap.reservedBytes <= heap.buffer.byteLength);
      for (const [q, b] of live) assert.ok(p + cls <= q || q + b.cls <= p, `op ${i}: [${p}, ${p + cls}) overlaps [${q}, ${q + b.cls})`);
      live.set(p, { bytes, cls });
      sum += cls;
    }
    assert.equal(heap.liveBytes, sum);
    assert.equal(heap.liveBlocks, live.size);
  }
  for (const [p, b] of live) heap.free(p, b.bytes);
  assert.equal(heap.liveBytes, 0);
  assert.equal(heap.liveBlocks, 0);
  // Everything freed has merged back into one block.
  assert.equal(heap.largestFreeBlock(), heap.reservedBytes - 64);
  assert.equal(heap.alloc(heap.reservedBytes - 64), 64);
}

test('Heap: a random sequence of 4,000 allocs and frees never overlaps live blocks and counts them right', () => {
  // Mostly small, some mid-sized, a few large (cut from larger free blocks).
  randomRun(4000, 7, Infinity, (next) => {
    const r = next();
    return r < 0.8 ? 1 + Math.floor(next() * 4096) : r < 0.97 ? 1 + Math.floor(next() * MB) : 4 * MB + Math.floor(next() * 12 * MB);
  });
});

test('Heap: a random sequence of 30,000 small allocs and frees (stale boundary tags purged on the way) stays sound', () => {
  randomRun(30000, 11, 200, (next) => 1 + Math.floor(next() * 20000));
});
