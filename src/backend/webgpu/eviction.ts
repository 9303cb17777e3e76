// GPU eviction: at each asynchronous read (the point every GPU loop has, `await x.data()`,
// `asScalarAsync`), arrays that only the garbage collector holds and that no kernel touched since
// the previous two reads are copied into ArrayBuffers the JS garbage collector owns, and their GPU
// buffers go back to the pool. The same rule as the CPU heap's eviction (../cpu/eviction.ts).
import { env } from '../../core/env.js';
import { onlyGcHolds, reclaimGcCell, releaseGcCell, type GcCell, type Storage } from '../backend.js';
import type { WBuffer } from './gpu-types.js';

/** What the GPU evictor needs of a GPU storage (GpuStorage implements it). */
export interface GpuEvictable extends Storage {
  readonly size: number;
  /** The pooled buffer while resident; null while evicted or after free. */
  buffer: WBuffer | null;
  /** The bytes while evicted (the JS garbage collector frees them with the storage). */
  evicted: ArrayBuffer | null;
  /** The evictor's clock at the last kernel or transfer that named the buffer. */
  lastUse: number;
  gcCell: GcCell | null;
}

/** One copy out of the GPU that a read carries along with its own. */
export interface EvictionCopy {
  storage: GpuEvictable;
  bytes: number;
}

/** Bytes one read carries out at most (the rest waits for the next read). */
const MAX_PASS_BYTES = 256 << 20;

/**
 * Chooses the storages to move out at a read, and completes their move when the read's copy
 * arrives. Why at reads: WebGPU results reach the host only through `mapAsync`, so a GPU loop
 * already waits once per step (the book reads the loss every batch); the garbage of a step
 * travels with that read, in the same staging buffer and the same wait.
 *
 * A storage picked at one read but touched by a kernel before its copy arrives (the await lets
 * other code run) stays resident: its copied bytes may be stale.
 */
export class GpuEvictor {
  /** Advanced at every use of a storage's buffer. */
  clock = 1;
  private lastPassClock = 0;
  /** The clock at the pick before the last: a storage must stay untouched for two periods to go. */
  private prevPassClock = 0;
  /** Set while the current synchronous run has picked already (reads started together share one pick). */
  private pickedThisTick = false;
  private readonly resident = new Set<GpuEvictable>();
  /** Picked storages whose copy is still in flight (never picked twice). */
  private readonly pending = new Set<GpuEvictable>();
  readonly enabled: boolean;
  /** Counters for nd.memory() and tests. */
  evictions = 0;
  evictedBytes = 0;
  readmissions = 0;

  constructor(private readonly maxBytes: number) {
    this.enabled = env('D2L_GPU_EVICT') !== '0';
  }

  /** A storage with a buffer (new, or moved back). */
  admit(s: GpuEvictable): void {
    s.lastUse = this.clock++;
    this.resident.add(s);
  }

  /** A storage that is freed or moved out. */
  forget(s: GpuEvictable): void {
    this.resident.delete(s);
  }

  /** Marks a use of `s` by a kernel or a transfer. */
  touch(s: GpuEvictable): void {
    s.lastUse = this.clock++;
  }

  /**
   * The storages to copy out with the read starting now: those only the garbage collector holds,
   * untouched for two periods (since the read before the previous one: a loop that reads twice a
   * step, the loss and the accuracy, keeps its parameters), up to the pass's byte budget. Reads
   * started in one synchronous run (`Promise.all`) share the first one's pick: the later ones
   * start no period and pick nothing.
   */
  pick(): { copies: EvictionCopy[]; clock: number } {
    const copies: EvictionCopy[] = [];
    if (!this.enabled || this.pickedThisTick) return { copies, clock: this.clock };
    this.pickedThisTick = true;
    queueMicrotask(() => (this.pickedThisTick = false));
    const since = this.prevPassClock;
    this.prevPassClock = this.lastPassClock;
    this.lastPassClock = this.clock;
    let total = 0;
    const budget = Math.min(MAX_PASS_BYTES, this.maxBytes);
    for (const s of this.resident) {
      if (s.lastUse >= since || this.pending.has(s) || !onlyGcHolds(s)) continue;
      const bytes = Math.max(s.size, 1) * 4;
      if (total + bytes > budget) break;
      total += bytes;
      copies.push({ storage: s, bytes });
      this.pending.add(s);
    }
    return { copies, clock: this.clock };
  }

  /**
   * Finishes the move of `s` with its copied bytes, unless it was freed, touched or taken by an
   * owner since it was picked (at `clock`). Returns the buffer to give back to the pool, if any.
   */
  complete(s: GpuEvictable, bytes: ArrayBuffer, clock: number): WBuffer | null {
    this.pending.delete(s);
    const buffer = s.buffer;
    if (!buffer || s.lastUse >= clock || !onlyGcHolds(s)) return null;
    s.buffer = null;
    s.evicted = bytes;
    this.resident.delete(s);
    releaseGcCell(s);
    this.evictions++;
    this.evictedBytes += bytes.byteLength;
    return buffer;
  }

  /** Gives up the move of a picked storage (its read failed): it stays resident. */
  cancel(s: GpuEvictable): void {
    this.pending.delete(s);
  }

  /** Takes back the bytes of an evicted storage that is used again (the caller uploads them). */
  readmit(s: GpuEvictable, buffer: WBuffer): ArrayBuffer {
    const bytes = s.evicted!;
    s.evicted = null;
    s.buffer = buffer;
    this.admit(s);
    reclaimGcCell(s);
    this.readmissions++;
    return bytes;
  }
}
