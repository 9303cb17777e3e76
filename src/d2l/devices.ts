/**
 * The book's device helpers `try_gpu` (5.5) and `try_all_gpus` (9.1): a GPU when one works, else
 * the CPU. Here the GPU is WebGPU (Dawn through the optional `webgpu` package in Node, or
 * `navigator.gpu` in a browser), which has to be initialised asynchronously, so both helpers
 * return promises. A program that got a GPU should `await destroyWebGpu()` at its end: Node exits
 * only once Dawn's device is gone.
 */
import { initWebGpu, WebGpuError, WebGpuUnavailableError } from '../backend/webgpu/index.js';
import { ValueError } from '../core/errors.js';
import { type Context, cpu, gpu } from '../ndarray/context.js';
import { zeros } from '../ndarray/creation.js';

/** Whether gpu(deviceId) can be initialised and runs a kernel; other errors propagate. */
async function gpuWorks(deviceId: number): Promise<boolean> {
  try {
    await initWebGpu({ deviceId });
    // As the book's try_gpu: allocate on the device and make sure the work ran.
    await zeros([1], { ctx: gpu(deviceId) }).data();
    return true;
  } catch (e) {
    if (e instanceof WebGpuUnavailableError || e instanceof WebGpuError) return false;
    throw e;
  }
}

/**
 * `gpu(i)` if that GPU can be initialised and runs a kernel, else `cpu()` (the book's `try_gpu`;
 * the device number as in the book's second edition, `try_gpu(i=0)`). WebGPU hands a program one
 * adapter, so only gpu(0) exists: `tryGpu(1)` is `cpu()`, as on a machine with one GPU. Only a
 * missing or failing WebGPU falls back to the CPU; any other error propagates.
 *
 * @example
 * const ctx = await d2l.tryGpu();
 * const x = nd.ones([2, 3], { ctx });
 * console.log(await x.toStringAsync()); // ... <NDArray 2x3 @gpu(0)> or @cpu(0)
 */
export async function tryGpu(i = 0): Promise<Context> {
  if (!Number.isInteger(i) || i < 0) throw new ValueError(`d2l.tryGpu: the device number must be a non-negative integer, got ${String(i)}`);
  return i === 0 && (await gpuWorks(0)) ? gpu(0) : cpu();
}

/**
 * Every usable GPU, or `[cpu()]` when there is none (the book's `try_all_gpus`). WebGPU hands a
 * program one adapter, so this is `[gpu(0)]` or `[cpu()]`: asking for more device numbers would
 * only open more devices on the same adapter, which is not more GPUs.
 *
 * @example
 * const ctxes = await d2l.tryAllGpus(); // [gpu(0)] or [cpu(0)]
 */
export async function tryAllGpus(): Promise<Context[]> {
  return (await gpuWorks(0)) ? [gpu(0)] : [cpu()];
}
