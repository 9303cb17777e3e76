// The backend registry, beside the contract: the CPU backend singleton and the GPU backends that plug
// in (WebGPU registers itself here). Contexts (src/ndarray/context.ts) ask it for their backend, so a
// new device kind does not touch ndarray/.
import type { Backend } from './backend.js';
import { CpuBackend } from './cpu/cpu-backend.js';
import { ValueError } from '../core/errors.js';

export type DeviceType = 'cpu' | 'gpu';

/** A device as the registry sees it: a Context, or anything naming a device type and id. */
export interface DeviceRef {
  readonly deviceType: DeviceType;
  readonly deviceId: number;
}

const cpuBackend = new CpuBackend();
const gpuBackends = new Map<number, Backend>();

/** The CPU backend singleton (for kernels and tests that need it directly). */
export function getCpuBackend(): CpuBackend {
  return cpuBackend;
}

/** Lets a GPU backend (WebGPU) plug in without the core depending on it. */
export function registerGpuBackend(deviceId: number, backend: Backend): void {
  gpuBackends.set(deviceId, backend);
}

/** Removes the GPU backend of `deviceId` (after its device was destroyed). */
export function unregisterGpuBackend(deviceId: number): void {
  gpuBackends.delete(deviceId);
}

/**
 * Every backend in use, keyed by context name: `cpu(0)`, then each registered GPU (for `nd.memory()`).
 *
 * @example
 * for (const [name, b] of registeredBackends()) console.log(name, b.memory().bytes);
 */
export function registeredBackends(): [string, Backend][] {
  const out: [string, Backend][] = [['cpu(0)', cpuBackend]];
  for (const [id, b] of [...gpuBackends].sort((x, y) => x[0] - y[0])) out.push([`gpu(${id})`, b]);
  return out;
}

/** The backend running `ctx`'s kernels (throws when no GPU backend is initialised). @example backendFor(cpu()) */
export function backendFor(ctx: DeviceRef): Backend {
  if (ctx.deviceType === 'cpu') return cpuBackend;
  const b = gpuBackends.get(ctx.deviceId);
  if (!b)
    throw new ValueError(
      `context ${ctx.deviceType}(${ctx.deviceId}): no GPU backend is initialised for this device; call \`await initWebGpu()\` first ` +
        `(it needs WebGPU: the 'webgpu' package in Node or navigator.gpu in a browser)`,
    );
  return b;
}
