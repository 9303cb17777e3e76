// Finding WebGPU (navigator.gpu, or Dawn from the optional `webgpu` package in Node) and
// acquiring an adapter and device with clear errors when there is none.
import { env, nodeProcess } from '../../core/env.js';
import { D2LError, ValueError } from '../../core/errors.js';
import { limitOf, type WAdapter, type WAdapterInfo, type WDevice, type WGpu } from './gpu-types.js';

/** WebGPU could not be reached: no implementation, no adapter, or the device request failed. */
export class WebGpuUnavailableError extends D2LError {}

export interface WebGpuOptions {
  /** A GPU object to use instead of the environment's (`navigator.gpu`, or Dawn in Node). */
  gpu?: WGpu;
  /**
   * Dawn flags for `create()` in Node, e.g. `['enable-dawn-features=disable_robustness']`
   * (Dawn's toggles; `backend=vulkan`, `adapter=NAME`). Also read from the environment
   * variable D2L_DAWN_FLAGS (comma-separated groups separated by `;`).
   */
  dawnFlags?: string[];
  /**
   * Path of a `dawn.node` to load instead of the `webgpu` package (as the GPU machine has it,
   * without node_modules). Also read from D2L_DAWN_NODE.
   */
  dawnNodePath?: string;
  powerPreference?: 'low-power' | 'high-performance';
}

export interface AcquiredDevice {
  gpu: WGpu;
  adapter: WAdapter;
  device: WDevice;
  /** A one-line description of the adapter, e.g. `llvmpipe (vulkan)`. */
  description: string;
  /** Whether the adapter computes on the CPU (lavapipe/llvmpipe, SwiftShader, WARP): see isSoftwareAdapter. */
  software: boolean;
}

/** Names of the adapters that rasterise on the CPU: Mesa's llvmpipe/lavapipe/softpipe, SwiftShader, Microsoft WARP. */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|\bwarp\b/i;

/**
 * Whether an adapter is a software implementation that runs its "GPU" kernels on the host's CPU
 * cores, so that timing it against the CPU, or overlapping the two, measures the CPU twice. Uses
 * the adapter's fallback flag and architecture when the implementation reports them, else its
 * names (a string is taken as the adapter's description).
 *
 * @example
 * isSoftwareAdapter({ vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa 25.0.7' }); // true
 * isSoftwareAdapter('NVIDIA H200'); // false
 */
export function isSoftwareAdapter(info: WAdapterInfo | string, isFallbackAdapter?: boolean): boolean {
  if (typeof info === 'string') return SOFTWARE_ADAPTER.test(info);
  if (info === null || typeof info !== 'object')
    throw new ValueError(
      `isSoftwareAdapter: expected the adapter's info (an object) or its description (a string), got ${info === null ? 'null' : typeof info}`,
    );
  if (info.isFallbackAdapter === true || isFallbackAdapter === true) return true;
  if (typeof info.architecture === 'string' && info.architecture.toLowerCase() === 'software') return true;
  return [info.description, info.device, info.vendor].some((s) => typeof s === 'string' && SOFTWARE_ADAPTER.test(s));
}

type DawnModule = { create(flags: string[]): WGpu; globals: object };

function isNode(): boolean {
  return !!nodeProcess()?.versions?.node;
}

/** Loads Dawn in Node: an explicit dawn.node path, or the optional `webgpu` package. */
async function loadDawn(opts: WebGpuOptions): Promise<DawnModule> {
  const path = opts.dawnNodePath ?? env('D2L_DAWN_NODE');
  if (path) {
    // Through #platform so a browser bundle has no node:module (loadDawn only runs under Node).
    const { createRequire } = await import('#platform');
    try {
      return createRequire(import.meta.url)(path) as DawnModule;
    } catch (e) {
      throw new WebGpuUnavailableError(`initWebGpu: could not load Dawn from ${path} (D2L_DAWN_NODE): ${(e as Error).message}`);
    }
  }
  // A computed specifier keeps TypeScript and bundlers from requiring the optional package.
  const pkg = 'webgpu';
  try {
    return (await import(pkg)) as DawnModule;
  } catch (e) {
    throw new WebGpuUnavailableError(
      `initWebGpu: WebGPU is not available in this Node.js: the optional package 'webgpu' (Dawn) could not be loaded ` +
        `(${(e as Error).message.split('\n')[0]}). Install it with \`npm install webgpu\`, or point D2L_DAWN_NODE at a dawn.node.`,
    );
  }
}

function dawnFlags(opts: WebGpuOptions): string[] {
  if (opts.dawnFlags) return opts.dawnFlags;
  const e = env('D2L_DAWN_FLAGS');
  return e
    ? e
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}

/** The GPU entry point of this environment. */
export async function findGpu(opts: WebGpuOptions = {}): Promise<WGpu> {
  if (opts.gpu) return opts.gpu;
  const nav = (globalThis as { navigator?: { gpu?: WGpu } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (isNode()) {
    const dawn = await loadDawn(opts);
    // Dawn's globals (GPUBufferUsage, GPUMapMode...) are not needed by this backend, which uses
    // numeric flags, but user code written for browsers expects them.
    for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    return dawn.create(dawnFlags(opts));
  }
  throw new WebGpuUnavailableError(
    'initWebGpu: this environment has no WebGPU (navigator.gpu is undefined); use a browser with WebGPU enabled',
  );
}

/** The adapter limits this backend raises to the adapter's maximum. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
];

export async function acquireDevice(opts: WebGpuOptions = {}): Promise<AcquiredDevice> {
  const gpu = await findGpu(opts);
  let adapter: WAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  } catch (e) {
    throw new WebGpuUnavailableError(`initWebGpu: requestAdapter failed: ${(e as Error).message}`);
  }
  if (!adapter)
    throw new WebGpuUnavailableError(
      'initWebGpu: no WebGPU adapter was found. In Node, Dawn needs a Vulkan driver: a GPU driver, or Mesa lavapipe ' +
        'for the CPU (Debian: mesa-vulkan-drivers from bookworm-backports; see ../shared/ci/install-lavapipe.sh). ' +
        'Check with `vulkaninfo --summary`; set VK_DRIVER_FILES to the driver ICD json when it is not found.',
    );
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const v = limitOf(adapter.limits, name, -1);
    if (v > 0) requiredLimits[name] = v;
  }
  let device: WDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, label: 'd2l-ts' });
  } catch (e) {
    throw new WebGpuUnavailableError(`initWebGpu: the adapter refused a device: ${(e as Error).message}`);
  }
  const info = adapter.info ?? {};
  const name =
    [info.description, info.device, info.vendor, info.architecture].find((s) => typeof s === 'string' && s.length > 0) ?? 'unknown adapter';
  return { gpu, adapter, device, description: `${name}`, software: isSoftwareAdapter(info, adapter.isFallbackAdapter) };
}
