// Devices named like MXNet's contexts (`cpu(0)`, `gpu(0)`) and the default context; the
// backends behind them come from src/backend/registry.ts.
import type { Backend } from '../backend/backend.js';
import { backendFor, type DeviceType } from '../backend/registry.js';

export type { DeviceType } from '../backend/registry.js';

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

const CPU0 = new Context('cpu', 0);

/** The CPU context. `cpu(i)` are all the same device, as in MXNet. */
export function cpu(deviceId = 0): Context {
  return deviceId === 0 ? CPU0 : new Context('cpu', deviceId);
}

/** A GPU context; using it needs a registered GPU backend (see `registerGpuBackend`). */
export function gpu(deviceId = 0): Context {
  return new Context('gpu', deviceId);
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
