/**
 * The slice of the WebGPU API this backend uses, typed structurally. The project does not depend
 * on `@webgpu/types` (it arrives only with the optional `webgpu` package), so the backend
 * compiles on machines without it; the objects come from Dawn (`webgpu` in Node) or from
 * `navigator.gpu` in a browser, and both satisfy these shapes.
 */

export interface WGpu {
  requestAdapter(options?: {
    powerPreference?: 'low-power' | 'high-performance';
    forceFallbackAdapter?: boolean;
  }): Promise<WAdapter | null>;
}

export interface WAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  /** Whether the adapter is a fallback (software) implementation (newer WebGPU; Dawn sets it). */
  isFallbackAdapter?: boolean;
}

export interface WAdapter {
  readonly limits: Record<string, number> | object;
  readonly features: { has(name: string): boolean; [Symbol.iterator](): Iterator<string> };
  readonly info?: WAdapterInfo;
  /** Older WebGPU implementations report the fallback flag on the adapter instead of its info. */
  readonly isFallbackAdapter?: boolean;
  requestDevice(descriptor?: { requiredLimits?: Record<string, number>; requiredFeatures?: string[]; label?: string }): Promise<WDevice>;
}

export interface WBuffer {
  readonly size: number;
  mapAsync(mode: number, offset?: number, size?: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

export interface WQueue {
  submit(buffers: WCommandBuffer[]): void;
  writeBuffer(buffer: WBuffer, bufferOffset: number, data: ArrayBufferView | ArrayBuffer, dataOffset?: number, size?: number): void;
  onSubmittedWorkDone(): Promise<void>;
}

export type WCommandBuffer = object;
export type WBindGroupLayout = object;
export type WBindGroup = object;

export interface WShaderModule {
  getCompilationInfo?(): Promise<{ messages: readonly { type: string; message: string; lineNum: number; linePos: number }[] }>;
}

export interface WComputePipeline {
  getBindGroupLayout(index: number): WBindGroupLayout;
}

export interface WComputePass {
  setPipeline(p: WComputePipeline): void;
  setBindGroup(index: number, group: WBindGroup): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

export interface WCommandEncoder {
  beginComputePass(descriptor?: object): WComputePass;
  copyBufferToBuffer(src: WBuffer, srcOffset: number, dst: WBuffer, dstOffset: number, size: number): void;
  finish(): WCommandBuffer;
}

export interface WBufferBinding {
  binding: number;
  resource: { buffer: WBuffer; offset?: number; size?: number };
}

export interface WDevice {
  readonly limits: Record<string, number> | object;
  readonly queue: WQueue;
  readonly lost: Promise<{ reason?: string; message: string }>;
  onuncapturederror: ((ev: { error: { message: string } }) => void) | null;
  createBuffer(descriptor: { size: number; usage: number; mappedAtCreation?: boolean; label?: string }): WBuffer;
  createShaderModule(descriptor: { code: string; label?: string }): WShaderModule;
  createComputePipeline(descriptor: {
    layout: 'auto';
    compute: { module: WShaderModule; entryPoint: string };
    label?: string;
  }): WComputePipeline;
  createComputePipelineAsync?(descriptor: {
    layout: 'auto';
    compute: { module: WShaderModule; entryPoint: string };
  }): Promise<WComputePipeline>;
  createBindGroup(descriptor: { layout: WBindGroupLayout; entries: WBufferBinding[] }): WBindGroup;
  createCommandEncoder(descriptor?: object): WCommandEncoder;
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<{ message: string } | null>;
  destroy(): void;
}

/** GPUBufferUsage flags (numeric so no global constants are needed). */
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

/** GPUMapMode flags. */
export const MapMode = { READ: 0x0001, WRITE: 0x0002 } as const;

/** Reads one numeric limit from an adapter/device limits object (a class with getters in Dawn). */
export function limitOf(limits: object, name: string, fallback: number): number {
  const v = (limits as Record<string, unknown>)[name];
  return typeof v === 'number' ? v : fallback;
}
