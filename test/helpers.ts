import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { nd, NDArray } from '../src/index.js';
import { getCpuBackend } from '../src/backend/registry.js';
import type { CpuKernelMode } from '../src/backend/cpu/cpu-backend.js';
import { resolveDataFileSync } from '../src/data/resolver.js';

/** True when running in CI, where a missing outside resource is a failure, not a skip. */
export const IN_CI = process.env.CI === 'true';

/**
 * For tests that need an outside resource (a data set, lavapipe, OpenBLAS): skips with a printed
 * reason on a user's machine, fails in CI. Returns false when the test should stop.
 */
export function requireResource(t: TestContext, available: boolean, what: string): boolean {
  if (available) return true;
  const msg = `${what} is not available`;
  if (IN_CI) assert.fail(`${msg} (required when CI=true)`);
  console.log(`# skip: ${msg}`);
  t.skip(msg);
  return false;
}

/** Asserts two arrays (or nested lists / numbers) are elementwise close. */
export function assertClose(
  actual: NDArray | ArrayLike<number> | number,
  expected: NDArray | ArrayLike<number> | number | unknown[],
  tol = 1e-5,
  msg = '',
): void {
  const a = flat(actual);
  const e = flat(expected);
  assert.equal(a.length, e.length, `${msg} length ${a.length} vs ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const ok = (Number.isNaN(a[i]) && Number.isNaN(e[i])) || a[i] === e[i] || Math.abs(a[i] - e[i]) <= tol * (1 + Math.abs(e[i]));
    if (!ok) assert.fail(`${msg} element ${i}: ${a[i]} vs expected ${e[i]} (tol ${tol})`);
  }
}

function flat(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (v instanceof NDArray) return Array.from(v.dataSync());
  if (Array.isArray(v)) return (v as unknown[]).flat(Infinity as 1) as number[];
  return Array.from(v as ArrayLike<number>);
}

/** Runs `fn` and reports how many arrays/bytes it left alive (after a GC when available). */
export function liveAfter(fn: () => void): { arrays: number; bytes: number } {
  const before = nd.memory();
  fn();
  (globalThis as { gc?: () => void }).gc?.();
  const after = nd.memory();
  return { arrays: after.arrays - before.arrays, bytes: after.bytes - before.bytes };
}

/** Runs fn with the CPU kernels forced to `mode`, restoring the previous mode afterwards. */
export function withKernels<T>(mode: CpuKernelMode, fn: () => T): T {
  const be = getCpuBackend();
  const prev = be.kernelInfo().mode;
  be.setKernels(mode);
  try {
    return fn();
  } finally {
    be.setKernels(prev);
  }
}

/**
 * nd.memory() once the garbage collector has collected what nothing references and its
 * finalizers have run (handles a loop dropped are counted as live until then). Needs
 * `--expose-gc` (scripts/run-tests.mjs passes it); used by tests of live-array counts only, never
 * by the tests of the book's loops, which measure bytes in one synchronous job.
 */
export async function settledMemory(): Promise<ReturnType<typeof nd.memory>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('settledMemory: run node with --expose-gc (scripts/run-tests.mjs does)');
  // Until the count holds for three rounds: a round collects, then lets the finalizers run.
  let last = -1;
  for (let i = 0, same = 0; i < 40 && same < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
    const n = nd.memory().arrays;
    same = n === last ? same + 1 : 0;
    last = n;
  }
  return nd.memory();
}

/** Whether every named data file resolves (data dir, D2L_DATA_DIR, cache, system paths). */
export function haveDataFiles(...files: string[]): boolean {
  try {
    for (const f of files) resolveDataFileSync(f, { verify: false });
    return true;
  } catch {
    return false;
  }
}

/** Whether the four Fashion-MNIST files resolve. */
export function haveFashionMnist(): boolean {
  return haveDataFiles(
    ...['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].map(
      (f) => `fashion-mnist/${f}`,
    ),
  );
}

/** Asserts lo <= v <= hi, naming the quantity (the full tier's bands). */
export function inBand(v: number, lo: number, hi: number, what: string): void {
  assert.ok(v >= lo && v <= hi, `${what} = ${v} is outside [${lo}, ${hi}]`);
}
