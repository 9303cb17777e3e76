// The WebGPU device runtime: pipelines, the open compute pass and its batching, buffers and host
// transfers, submission, sync, device errors and destroy. It knows no kernel: backend.ts binds and
// launches each kernel family through `dispatch` (as tinygrad's runtime/renderer split).
import { D2LError, ShapeError } from '../../core/errors.js';
import { env } from '../../core/env.js';
import {
  BufferUsage,
  MapMode,
  limitOf,
  type WBuffer,
  type WCommandEncoder,
  type WComputePass,
  type WComputePipeline,
  type WBindGroupLayout,
  type WDevice,
  type WGpu,
} from './gpu-types.js';
import { BufferPool, READBACK_USAGE, STORAGE_USAGE } from './pool.js';
import { isSoftwareAdapter } from './device.js';
import { META_WORDS } from './exprs.js';

/** An error reported by the WebGPU device (validation, out of memory, device loss). */
export class WebGpuError extends D2LError {}

export const MAX_GROUPS = 65535;

/** A 1-D launch of `groups` workgroups spread over x and y (each at most 65535). */
export function grid(groups: number): [number, number, number] {
  if (groups <= MAX_GROUPS) return [Math.max(groups, 1), 1, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / y), y, 1];
}

export interface WebGpuRuntimeOptions {
  /** Idle pooled bytes kept for reuse (default 1 GiB). */
  poolLimitBytes?: number;
  /** Dispatches recorded before a submission is forced (default 1024, the meta arena size). */
  maxBatch?: number;
  /**
   * Whether the adapter computes on the host's CPU (lavapipe/llvmpipe, SwiftShader): initWebGpu
   * sets it from the adapter's info unless it is given; without initWebGpu it is guessed from the
   * adapter's description.
   */
  software?: boolean;
}

/**
 * One WebGPU device. Pipelines are cached by key; every dispatch is recorded into one open compute
 * pass, its shape/stride words written to a slot of the uniform meta arena; the batch is submitted
 * when a read needs it, when a host write must be ordered after it, or when the meta arena fills.
 * Reads are asynchronous (`mapAsync`).
 */
export class WebGpuRuntime {
  readonly limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
  /** Storage buffers (arrays and kernel scratch). */
  protected readonly pool: BufferPool;
  private readback: BufferPool;
  private pipelines = new Map<string, { pipeline: WComputePipeline; layout: WBindGroupLayout }>();
  private encoder: WCommandEncoder | null = null;
  private pass: WComputePass | null = null;
  private recorded = 0;
  private metaBuffer: WBuffer;
  private metaData: Uint32Array;
  private metaSlots: number;
  private metaStride: number;
  private metaUsed = 0;
  private errors: string[] = [];
  private lostMessage: string | null = null;
  private destroyed = false;
  /** Counters for tests and benchmarks. */
  readonly stats = { dispatches: 0, submits: 0, pipelines: 0, reads: 0 };
  /**
   * Whether this "GPU" is a software adapter running on the host's CPU cores (lavapipe in CI):
   * its timings are the CPU's, so programs that compare or overlap devices say so.
   */
  readonly software: boolean;

  constructor(
    readonly device: WDevice,
    readonly adapterDescription: string,
    /** Kept so the Dawn instance lives as long as the backend. */
    private gpu: WGpu | null = null,
    opts: WebGpuRuntimeOptions = {},
  ) {
    this.limits = {
      maxStorageBufferBindingSize: limitOf(device.limits, 'maxStorageBufferBindingSize', 128 << 20),
      maxBufferSize: limitOf(device.limits, 'maxBufferSize', 256 << 20),
    };
    this.pool = new BufferPool(device, STORAGE_USAGE, 'd2l-storage', opts.poolLimitBytes ?? 1 << 30);
    this.readback = new BufferPool(device, READBACK_USAGE, 'd2l-readback', 64 << 20);
    this.software = opts.software ?? isSoftwareAdapter(adapterDescription);
    this.metaStride = Math.max(256, limitOf(device.limits, 'minUniformBufferOffsetAlignment', 256));
    this.metaSlots = opts.maxBatch ?? 1024;
    this.metaData = new Uint32Array((this.metaSlots * this.metaStride) / 4);
    this.metaBuffer = device.createBuffer({
      size: this.metaSlots * this.metaStride,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
      label: 'd2l-meta',
    });
    const onError = (ev: { error: { message: string } }) => this.errors.push(ev.error.message);
    const target = device as unknown as { addEventListener?: (t: string, f: (ev: { error: { message: string } }) => void) => void };
    if (typeof target.addEventListener === 'function') target.addEventListener('uncapturederror', onError);
    else device.onuncapturederror = onError;
    device.lost.then(
      (info) => {
        if (!this.destroyed) this.lostMessage = info.message || info.reason || 'unknown reason';
      },
      () => undefined,
    );
  }

  // ------------------------------------------------------------------ buffers
  /** Buffer pool counters: buffers created and reused, bytes idle and held. */
  poolStats(): { created: number; reused: number; idleBytes: number; totalBytes: number } {
    const p = this.pool;
    return { created: p.created, reused: p.reused, idleBytes: p.idleBytes, totalBytes: p.totalBytes };
  }

  /** Destroys idle pooled buffers (they are otherwise kept for reuse up to the pool limit). */
  emptyCache(): void {
    this.flush();
    this.pool.trim(0);
    this.readback.trim(0);
  }

  protected checkUsable(): void {
    if (this.destroyed) throw new WebGpuError('webgpu: the backend was destroyed; call initWebGpu() again');
    if (this.lostMessage) throw new WebGpuError(`webgpu: the GPU device was lost (${this.lostMessage})`);
  }

  // ------------------------------------------------------------------ recording and submission
  private pipeline(key: string, source: () => string): { pipeline: WComputePipeline; layout: WBindGroupLayout } {
    let p = this.pipelines.get(key);
    if (!p) {
      const code = source();
      const module = this.device.createShaderModule({ code, label: key });
      const pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
      p = { pipeline, layout: pipeline.getBindGroupLayout(0) };
      this.pipelines.set(key, p);
      this.stats.pipelines++;
      if (env('D2L_WEBGPU_DUMP')) console.error(`// ---- ${key}\n${code}`);
    }
    return p;
  }

  private openPass(): WComputePass {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Records one launch of the pipeline `key` (built from `source` once) over `buffers`, with `meta` as its uniform words. */
  protected dispatch(
    key: string,
    source: () => string,
    buffers: readonly WBuffer[],
    meta: readonly number[],
    groups: [number, number, number],
  ): void {
    this.checkUsable();
    if (meta.length > META_WORDS)
      throw new ShapeError(`webgpu: ${key}: too many dimensions for one kernel (${meta.length} meta words > ${META_WORDS})`);
    const { pipeline, layout } = this.pipeline(key, source);
    if (this.metaUsed >= this.metaSlots) this.flush();
    const slot = this.metaUsed++;
    const base = (slot * this.metaStride) / 4;
    for (let i = 0; i < meta.length; i++) this.metaData[base + i] = meta[i] >>> 0;
    const entries = [{ binding: 0, resource: { buffer: this.metaBuffer, offset: slot * this.metaStride, size: META_WORDS * 4 } }];
    for (let j = 0; j < buffers.length; j++) entries.push({ binding: j + 1, resource: { buffer: buffers[j] } } as (typeof entries)[0]);
    const bg = this.device.createBindGroup({ layout, entries });
    const pass = this.openPass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    this.recorded++;
    this.stats.dispatches++;
  }

  /** Submits everything recorded so far (kernels run in recording order). */
  flush(): void {
    this.endPass();
    if (!this.encoder) return;
    if (this.metaUsed > 0) this.device.queue.writeBuffer(this.metaBuffer, 0, this.metaData, 0, (this.metaUsed * this.metaStride) / 4);
    this.device.queue.submit([this.encoder.finish()]);
    this.stats.submits++;
    this.encoder = null;
    this.recorded = 0;
    this.metaUsed = 0;
    this.pool.trim();
  }

  /** Waits until the GPU has finished all submitted work; throws any error the device reported. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.throwErrors();
  }

  private throwErrors(): void {
    if (this.lostMessage) throw new WebGpuError(`webgpu: the GPU device was lost (${this.lostMessage})`);
    if (this.errors.length > 0) {
      const msgs = this.errors.splice(0);
      throw new WebGpuError(`webgpu: the device reported ${msgs.length} error(s): ${msgs.slice(0, 3).join(' | ')}`);
    }
  }

  /** Releases the device; arrays on it become unusable. Lets Node exit (Dawn keeps it alive otherwise). */
  destroy(): void {
    if (this.destroyed) return;
    this.pass = null;
    this.encoder = null;
    this.destroyed = true;
    this.pipelines.clear();
    this.device.destroy();
    this.gpu = null;
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  // ------------------------------------------------------------------ host transfers
  /** Writes `n` 4-byte words of `words` into `buffer` at `byteOffset`, ordered after every kernel recorded so far. */
  protected upload(buffer: WBuffer, byteOffset: number, words: ArrayBufferView, n: number): void {
    // queue.writeBuffer runs before commands still being recorded: submit those first so a
    // write into a recycled buffer cannot overtake a kernel that reads its old contents.
    if (this.encoder) this.flush();
    this.device.queue.writeBuffer(buffer, byteOffset, words, 0, n);
  }

  /**
   * Copies `bytes` of `buffer` from `byteOffset` back to the host, after every kernel recorded so
   * far. `scratch`, a pooled buffer the copy reads, goes back to the pool once the copy is recorded.
   * `extra` buffers (whole, from offset 0) travel in the same staging buffer and the same wait;
   * their bytes follow the main copy in the result.
   */
  protected async download(
    buffer: WBuffer,
    byteOffset: number,
    bytes: number,
    scratch: WBuffer | null,
    extra: readonly { buffer: WBuffer; bytes: number }[] = [],
  ): Promise<ArrayBuffer[]> {
    const offsets = [0];
    let total = bytes;
    for (const e of extra) {
      offsets.push(total);
      total += e.bytes;
    }
    const staging = this.readback.acquire(total);
    this.endPass();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(buffer, byteOffset, staging, 0, bytes);
    extra.forEach((e, i) => this.encoder!.copyBufferToBuffer(e.buffer, 0, staging, offsets[i + 1], e.bytes));
    if (scratch) this.pool.release(scratch);
    this.flush();
    this.stats.reads++;
    try {
      await staging.mapAsync(MapMode.READ, 0, total);
    } catch (e) {
      this.throwErrors();
      throw new WebGpuError(`webgpu: reading back ${bytes / 4} elements failed: ${(e as Error).message}`);
    }
    const range = staging.getMappedRange(0, total);
    const out = [range.slice(0, bytes), ...extra.map((e, i) => range.slice(offsets[i + 1], offsets[i + 1] + e.bytes))];
    staging.unmap();
    this.readback.release(staging);
    this.throwErrors();
    return out;
  }
}
