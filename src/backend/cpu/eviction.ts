// Eviction: arrays that only the garbage collector watches move out of the CPU heap into memory the
// JS garbage collector owns, so a loop that never disposes (the book's loops) keeps the heap flat.
import { env } from '../../core/env.js';
import { onlyGcHolds, reclaimGcCell, releaseGcCell, type Storage } from '../backend.js';
import type { Heap } from './heap.js';

/** What the evictor needs of a CPU storage (CpuStorage implements it). */
export interface Evictable extends Storage {
  readonly byteLength: number;
  /** The backend clock at the last read or write of the bytes. */
  lastUse: number;
  /** The heap address while resident. */
  addr: number;
  /** The bytes while evicted (a plain ArrayBuffer: the JS garbage collector frees it with the storage). */
  evicted: ArrayBuffer | null;
  /** Whether it was moved back in once: in use, so the periodic passes leave it (see Evictor). */
  readmitted: boolean;
  /** Called after the storage moved: cached views of its bytes are stale. */
  moved(): void;
  /** Resident list links (an intrusive list: no allocation per array). */
  prevResident: Evictable | null;
  nextResident: Evictable | null;
}

/**
 * Default bytes allocated between two eviction passes: small enough that the heap stays within a
 * MiB or two of a loop's working set, large enough that a pass (a walk of the resident arrays) is
 * rare next to the kernels. D2L_CPU_EVICT_BYTES overrides it; 0 turns eviction off.
 */
const DEFAULT_PASS_BYTES = 1 << 20;
/**
 * Storages from this size leave only when the heap would grow or is exhausted, not at the
 * periodic passes: a large array used now and then (a test set, read once an epoch) would
 * otherwise be copied out and back every epoch, while large garbage still goes before the heap grows.
 */
const LARGE_BYTES = 4 << 20;
/** A pass also runs after this many allocations (small arrays: a pass walks the resident list). */
const PASS_COUNT = 4096;

/**
 * Moves storages that nobody but the garbage collector holds (every reference is a handle only
 * the GC's safety net watches: no tidy scope, no tape, no library owner) out of the heap.
 *
 * Why: a FinalizationRegistry callback runs only between tasks, so a synchronous loop that never
 * calls dispose() would fill the heap with the handles it dropped. An evicted storage keeps its
 * bytes in an ArrayBuffer that only the storage references, and the GC's cell no longer points
 * at it, so when the user drops the last handle V8 frees both during its next collection (which
 * ArrayBuffer allocation itself triggers, also inside a synchronous loop). A handle the user
 * still holds stays valid: the next read or write moves the bytes back (`readmit`).
 *
 * Which: a pass runs after every `passBytes` or a quarter of the live heap, whichever is more (or
 * after 4096 arrays), of allocation and evicts the storages untouched for two periods (since the
 * pass before the previous one); anything read or written since then stays, so a loop's
 * parameters and data set never move, nor does a data set that an evaluation between two epochs
 * leaves untouched for one period, while garbage leaves within three passes. When the heap is
 * exhausted, every evictable storage goes.
 *
 * A storage moved back in (readmitted) was still in use: the loop reuses it at a longer distance
 * than two periods (a step that allocates far more than a quarter of the live heap, as a
 * recurrent layer's step over small weights, evicted its parameters every step and read them back
 * at the next: 14% of a GRU step). The passes, and the reclaim before the heap grows, leave such
 * storages from then on (the heap grows by the few periods of garbage instead); they still go when
 * the heap is exhausted. Garbage is never readmitted, so it leaves as before.
 */
export class Evictor {
  /** Advanced at every use of a storage's bytes. */
  clock = 1;
  private head: Evictable | null = null;
  private sinceLastPass = 0;
  private allocsSinceLastPass = 0;
  private lastPassClock = 0;
  /** The clock at the pass before the last: a storage must stay untouched for two periods to go. */
  private prevPassClock = 0;
  readonly passBytes: number;
  /** Counters for nd.memory() and tests. */
  evictions = 0;
  evictedBytes = 0;
  readmissions = 0;
  /** Storages out of the heap now (settled when they move back or are freed). */
  evictedStorages = 0;

  constructor(private readonly heap: Heap) {
    const v = env('D2L_CPU_EVICT_BYTES');
    this.passBytes = v === undefined || v === '' ? DEFAULT_PASS_BYTES : Math.max(0, Number(v) || 0);
  }

  /** Records a new resident storage; may first evict older ones (never `s` itself). */
  admit(s: Evictable): void {
    this.link(s);
    s.lastUse = this.clock++;
    if (this.passBytes === 0) return;
    this.sinceLastPass += s.byteLength;
    // Passes are spaced by a quarter of the live heap (at least passBytes): an array used once per
    // step (a data set, the parameters) is then touched between any two passes, while a step's
    // garbage still leaves within a few steps.
    if (this.sinceLastPass >= Math.max(this.passBytes, this.heap.liveBytes / 4) || ++this.allocsSinceLastPass >= PASS_COUNT)
      this.pass(false);
  }

  /** A freed storage leaves the list. */
  forget(s: Evictable): void {
    this.unlink(s);
  }

  /**
   * At the allocation that would grow the heap (Heap.reclaim): evicts now what the next pass would
   * (the storages untouched for two periods), without starting a new period, so a storage used
   * once per step is never taken between two of its uses. Returns the bytes freed.
   */
  reclaim(): number {
    return this.passBytes === 0 ? 0 : this.evictUntouchedSince(this.prevPassClock, Infinity, false);
  }

  /** Runs a pass now. `all`: evict every evictable storage, touched or not (the heap is exhausted). */
  pass(all: boolean): number {
    const since = all ? this.clock : this.prevPassClock;
    this.prevPassClock = this.lastPassClock;
    this.lastPassClock = this.clock;
    this.sinceLastPass = 0;
    this.allocsSinceLastPass = 0;
    return this.evictUntouchedSince(since, all ? Infinity : LARGE_BYTES, all);
  }

  /**
   * Evicts the evictable storages untouched since `since` and smaller than `maxBytes`; readmitted
   * ones only when `readmittedToo` (the heap is exhausted).
   */
  private evictUntouchedSince(since: number, maxBytes: number, readmittedToo: boolean): number {
    let freed = 0;
    for (let s = this.head; s !== null;) {
      const next = s.nextResident;
      if (s.lastUse < since && s.byteLength < maxBytes && (readmittedToo || !s.readmitted) && onlyGcHolds(s)) freed += this.evict(s);
      s = next;
    }
    return freed;
  }

  private evict(s: Evictable): number {
    const n = s.byteLength;
    const buf = new ArrayBuffer(n);
    new Uint8Array(buf).set(new Uint8Array(this.heap.buffer, s.addr, n));
    this.heap.free(s.addr, n);
    s.evicted = buf;
    s.addr = -1;
    this.unlink(s);
    releaseGcCell(s); // the storage now dies with its last handle
    s.moved();
    this.evictions++;
    this.evictedBytes += n;
    this.evictedStorages++;
    return n;
  }

  /** Moves an evicted storage's bytes back into the heap (at its next use). */
  readmit(s: Evictable): void {
    const n = s.byteLength;
    const buf = s.evicted!;
    const addr = this.heap.alloc(n);
    new Uint8Array(this.heap.buffer, addr, n).set(new Uint8Array(buf));
    s.addr = addr;
    s.evicted = null;
    this.link(s);
    reclaimGcCell(s);
    s.moved();
    this.readmissions++;
    this.evictedStorages--;
    s.readmitted = true;
  }

  private link(s: Evictable): void {
    s.prevResident = null;
    s.nextResident = this.head;
    if (this.head) this.head.prevResident = s;
    this.head = s;
  }

  private unlink(s: Evictable): void {
    if (s.prevResident) s.prevResident.nextResident = s.nextResident;
    else if (this.head === s) this.head = s.nextResident;
    if (s.nextResident) s.nextResident.prevResident = s.prevResident;
    s.prevResident = s.nextResident = null;
  }
}
