import assert from 'node:assert/strict';
import { after, before, type TestContext } from 'node:test';
import { nd, NDArray, initWebGpu, destroyWebGpu } from '../../src/index.js';
import type { WebGpuBackend } from '../../src/backend/webgpu/index.js';
import type { DType } from '../../src/core/dtype.js';
import { requireResource } from '../helpers.js';

/**
 * Shared setup of the WebGPU tests: one device per test file (lavapipe on CI), a seeded random
 * source, and comparison against the CPU reference backend.
 */
export const gpuState: { backend: WebGpuBackend | null; reason: string } = { backend: null, reason: '' };

export function useGpu(): void {
  before(async () => {
    try {
      gpuState.backend = await initWebGpu();
    } catch (e) {
      gpuState.reason = (e as Error).message;
    }
  });
  after(async () => {
    await destroyWebGpu();
  });
}

/** Skips (or fails in CI) when no WebGPU adapter was found. */
export function gpuAvailable(t: TestContext): boolean {
  if (!gpuState.backend && gpuState.reason) console.log(`# webgpu: ${gpuState.reason.split('\n')[0]}`);
  return requireResource(t, gpuState.backend !== null, 'WebGPU (lavapipe)');
}

export const G = () => nd.gpu(0);

/** mulberry32: a tiny seeded generator for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A CPU array of `shape` with values from `gen` (uniform in [lo, hi) by default). */
export function randArray(r: () => number, shape: number[], dtype: DType = 'float32', lo = -3, hi = 3): NDArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = lo + (hi - lo) * r();
    // uint8 wraps explicitly (creation rejects out-of-range values; these are the values a wrapping store gave)
    v[i] =
      dtype === 'float32'
        ? x
        : dtype === 'bool'
          ? x > (lo + hi) / 2
            ? 1
            : 0
          : dtype === 'uint8'
            ? (Math.floor(x) + 256) % 256
            : Math.floor(x);
  }
  return nd.array(Float64Array.from(v), { dtype, shape });
}

/** Elementwise comparison with NaN = NaN and a relative tolerance; reports the first mismatch. */
export function assertNear(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) ? Number.isNaN(a) : a === e || Math.abs(a - e) <= tol * (1 + Math.abs(e))) continue;
    assert.fail(`${what}: element ${i}: gpu ${a} vs cpu ${e} (tol ${tol})`);
  }
}

/**
 * Runs `f` on CPU copies and on GPU copies of `inputs` and compares values, dtype and shape.
 * The GPU inputs go through `prep` (e.g. to make transposed or sliced views on the device).
 */
export async function compareOp(what: string, inputs: NDArray[], f: (...xs: NDArray[]) => NDArray, tol = 1e-5): Promise<void> {
  const t0 = performance.now();
  const cpu = f(...inputs);
  const gins = inputs.map((x) => x.copyto(G()));
  const gpu = f(...gins);
  assert.equal(gpu.context.deviceType, 'gpu', `${what}: result is on ${gpu.context}`);
  assert.deepEqual(gpu.shape, cpu.shape, `${what}: shape`);
  assert.equal(gpu.dtype, cpu.dtype, `${what}: dtype`);
  assertNear(await gpu.data(), cpu.dataSync(), tol, what);
  for (const a of [cpu, gpu, ...gins]) a.dispose();
  if (process.env.D2L_TEST_TIMES) console.log(`# ${what}: ${(performance.now() - t0).toFixed(1)} ms`);
}
