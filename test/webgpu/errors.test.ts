import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, initWebGpu, destroyWebGpu, WebGpuError, WebGpuUnavailableError, ValueError } from '../../src/index.js';
import { acquireDevice } from '../../src/backend/webgpu/device.js';
import { G, gpuAvailable, gpuState, useGpu } from './setup.js';

useGpu();

test('webgpu: no adapter is a clear WebGpuUnavailableError, and gpu(n) stays unusable', async () => {
  const noAdapter = { requestAdapter: async () => null };
  await assert.rejects(
    acquireDevice({ gpu: noAdapter }),
    (e: Error) => e instanceof WebGpuUnavailableError && /no WebGPU adapter was found/.test(e.message) && /lavapipe/.test(e.message),
  );
  await assert.rejects(initWebGpu({ gpu: noAdapter, deviceId: 7 }), WebGpuUnavailableError);
  assert.throws(
    () => nd.zeros([2], { ctx: nd.gpu(7) }),
    /no GPU backend is initialised for this device; call `await initWebGpu\(\)` first/,
  );
  const failing = {
    requestAdapter: async () => {
      throw new Error('boom');
    },
  };
  await assert.rejects(acquireDevice({ gpu: failing }), /requestAdapter failed: boom/);
  await assert.rejects(acquireDevice({ dawnNodePath: '/nonexistent/dawn.node' }), /could not load Dawn from \/nonexistent\/dawn.node/);
});

test('webgpu: float64 on the GPU is a clear error naming dtype and backend', async (t) => {
  if (!gpuAvailable(t)) return;
  assert.throws(
    () => nd.zeros([2, 2], { dtype: 'float64', ctx: G() }),
    (e: Error) => /float64/.test(e.message) && /webgpu/.test(e.message) && /gpu\(0\)/.test(e.message),
  );
  const x = nd.array([1, 2, 3], { dtype: 'float64' });
  assert.throws(() => x.copyto(G()), /webgpu backend cannot store float64/);
  assert.equal(gpuState.backend!.supportsDType('float64'), false);
  for (const d of ['float32', 'int32', 'uint8', 'bool'] as const) assert.equal(gpuState.backend!.supportsDType(d), true);
  // The float32 copy works.
  assert.deepEqual(Array.from(await x.astype('float32').copyto(G()).data()), [1, 2, 3]);
});

test('webgpu: synchronous reads of GPU arrays say how to read them; async reads work', async (t) => {
  if (!gpuAvailable(t)) return;
  const x = nd.arange(0, 6, 1, { ctx: G() }).reshape([2, 3]);
  assert.throws(() => x.dataSync(), /await x.data\(\)/);
  assert.throws(() => x.asScalar(), ValueError);
  assert.throws(() => x.toArray(), /asynchronously/);
  assert.throws(() => x.copyto(nd.cpu()), /copytoAsync\(nd.cpu\(\)\)/);
  assert.throws(() => gpuState.backend!.readSync(x), /copytoAsync/);
  const c = await x.copytoAsync(nd.cpu());
  assert.deepEqual(c.toArray(), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  assert.equal((await x.asInContextAsync(nd.cpu())).context.deviceType, 'cpu');
  assert.equal(await x.asInContextAsync(G()), x);
});

test('webgpu: device errors surface as WebGpuError at the next sync; a destroyed backend refuses work', async (t) => {
  if (!gpuAvailable(t)) return;
  const b = gpuState.backend!;
  // An invalid buffer descriptor (MAP_READ with STORAGE) makes the device report a validation error.
  b.device.createBuffer({ size: 16, usage: 0x0001 | 0x0080 });
  await assert.rejects(b.sync(), (e: Error) => e instanceof WebGpuError && /error/.test(e.message));
  await b.sync(); // the error was reported once
  const other = await initWebGpu({ deviceId: 3 });
  const y = nd.ones([3], { ctx: nd.gpu(3) });
  assert.deepEqual(Array.from(await y.data()), [1, 1, 1]);
  await destroyWebGpu(3);
  assert.throws(() => nd.ones([3], { ctx: nd.gpu(3) }), /no GPU backend is initialised/);
  assert.throws(() => other.alloc('float32', 4), /destroyed/);
});
