import type { Backend } from '../backend/backend.js';
import { CpuBackend } from '../backend/cpu/cpu-backend.js';
import { ValueError } from '../core/errors.js';

export type DeviceType = 'cpu' | 'gpu';

/**
 * Where an array lives, named like MXNet's contexts: `cpu(0)` or `gpu(0)`.
 *
 * @example
 * const ctx = nd.cpu();
 * nd.zeros([2, 2], { ctx }).context.toString(); // 'cpu(0)'
 */
export class Context {
  constructor(
    readonly deviceType: DeviceType,
    readonly deviceId = 0,
  ) {}
  toString(): string {
    return `${this.deviceType}(${this.deviceId})`;
  }
  equals(o: Context): boolean {
    return o.deviceType === this.deviceType && o.deviceId === this.deviceId;
  }
  /** The backend running this context's kernels. */
  get backend(): Backend {
    return backendFor(this);
  }
}

const cpuBackend = new CpuBackend();
const gpuBackends = new Map<number, Backend>();
const CPU0 = new Context('cpu', 0);

/** The CPU context. `cpu(i)` are all the same device, as in MXNet. */
export function cpu(deviceId = 0): Context {
  return deviceId === 0 ? CPU0 : new Context('cpu', deviceId);
}

/** A GPU context; using it needs a registered GPU backend (see `registerGpuBackend`). */
export function gpu(deviceId = 0): Context {
  return new Context('gpu', deviceId);
}

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
export function backendFor(ctx: Context): Backend {
  if (ctx.deviceType === 'cpu') return cpuBackend;
  const b = gpuBackends.get(ctx.deviceId);
  if (!b)
    throw new ValueError(
      `context ${ctx}: no GPU backend is initialised for this device; call \`await initWebGpu()\` first ` +
        `(it needs WebGPU: the 'webgpu' package in Node or navigator.gpu in a browser)`,
    );
  return b;
}

let defaultCtx: Context = CPU0;
/** The context arrays are created on when no `ctx` option is given. */
export function currentContext(): Context {
  return defaultCtx;
}
/** Sets the context new arrays get without a `ctx` option. @example setDefaultContext(gpu(0)) */
export function setDefaultContext(ctx: Context): void {
  defaultCtx = ctx;
}
