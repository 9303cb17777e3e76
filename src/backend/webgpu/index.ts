/**
 * The WebGPU backend's entry point: `await initWebGpu()` finds a device (Dawn through the optional
 * `webgpu` package in Node, `navigator.gpu` in a browser), registers it as `gpu(0)` and returns
 * the backend. After that, arrays created with `{ ctx: nd.gpu() }` or copied there run every op on
 * the GPU; `await x.data()` or `await x.copytoAsync(nd.cpu())` bring values back.
 *
 * @example
 * await initWebGpu();
 * const x = nd.ones([2, 3], { ctx: nd.gpu() });
 * console.log(await x.mul(2).data()); // Float32Array [2, 2, 2, 2, 2, 2]
 */
import { registerGpuBackend, unregisterGpuBackend } from '../registry.js';
import { acquireDevice, type WebGpuOptions } from './device.js';
import { WebGpuBackend, type WebGpuBackendOptions } from './backend.js';

export { WebGpuBackend, GpuStorage, MATMUL_CONFIGS } from './backend.js';
export { WebGpuError } from './runtime.js';
export { WebGpuUnavailableError, isSoftwareAdapter, type WebGpuOptions } from './device.js';

const active = new Map<number, WebGpuBackend>();

/**
 * Initialises WebGPU as `gpu(deviceId)` (once; later calls return the same backend unless it was
 * destroyed). Throws WebGpuUnavailableError when there is no WebGPU implementation or adapter.
 */
export async function initWebGpu(opts: WebGpuOptions & WebGpuBackendOptions & { deviceId?: number } = {}): Promise<WebGpuBackend> {
  const id = opts.deviceId ?? 0;
  const existing = active.get(id);
  if (existing && !existing.isDestroyed) return existing;
  const { gpu, device, description, software } = await acquireDevice(opts);
  const backend = new WebGpuBackend(device, description, gpu, { software, ...opts });
  active.set(id, backend);
  registerGpuBackend(id, backend);
  return backend;
}

/** The initialised WebGPU backend of gpu(deviceId), or undefined. */
export function webGpuBackend(deviceId = 0): WebGpuBackend | undefined {
  const b = active.get(deviceId);
  return b && !b.isDestroyed ? b : undefined;
}

/**
 * Waits for the GPU to finish, then destroys the device of gpu(deviceId) and unregisters it.
 * Node exits only once Dawn's device is gone, so call this at the end of a GPU program.
 */
export async function destroyWebGpu(deviceId = 0): Promise<void> {
  const b = active.get(deviceId);
  if (!b) return;
  active.delete(deviceId);
  unregisterGpuBackend(deviceId);
  try {
    await b.sync();
  } finally {
    b.destroy();
  }
}
