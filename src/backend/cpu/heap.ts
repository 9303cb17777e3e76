// The CPU heap: every CPU array is a block of one (shared) WebAssembly.Memory, allocated in
// TypeScript by size class, with freed neighbours merged (two-level segregated fits).
import { ValueError } from '../../core/errors.js';

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB: the most a wasm32 memory can address
const MAX_BYTES = MAX_PAGES * PAGE;
const ALIGN = 64;
const SHIFT = 6; // log2(ALIGN): block metadata is kept in 64-byte units, which stay small integers
/** Free-list bins: 3 below 256 bytes, then 4 per power of two up to 4 GiB (see binOf). */
const NBINS = 99;
const MIB = 1 << 20;

/**
 * The bin of a free block of `u` units (u >= 1): the index of the largest size class that fits in
 * it, so every block in bin binOf(u) holds at least that class, and binOf(classOf(b) >> 6) is the
 * class's own bin.
 */
function binOf(u: number): number {
  if (u < 4) return u - 1; // 64, 128, 192 bytes
  const e = 31 - Math.clz32(u);
  return 3 + ((e - 2) << 2) + ((u >>> (e - 2)) & 3);
}

const mib = (b: number): string => `${b} bytes (${(b / MIB).toFixed(1)} MiB)`;

/**
 * One shared WebAssembly.Memory holding every CPU array, so Wasm kernels on worker threads can
 * read and write arrays without copies. The allocator lives here, in TS, not inside the Wasm
 * module: kernels stay pure functions over pointers.
 *
 * Blocks are rounded up to size classes (4 per power of two, 64-byte aligned). A freed block is
 * merged at once with its free neighbours (found by address in two maps, start -> block and
 * end -> block) and put in the bin of the largest class it holds; each bin is a doubly linked
 * list, most recently freed first, and a bitmap of the non-empty bins finds the smallest bin that
 * fits in O(1). A request takes the first block of its class's bin (any block there fits) or of
 * the next non-empty bin, and the rest of the block goes back to the bins. With no block,
 * the request takes fresh memory at the top (extending a free block that ends there before the
 * memory grows). Training loops allocate the same sizes every step, so after the first step they
 * run on recycled blocks and the heap stays flat. Block metadata lives in typed arrays (one slot
 * per free block) and two Map<number, number> keyed by 64-byte unit: alloc and free create no JS
 * objects (the maps' tables grow, or are purged of stale tags, now and then).
 */
export class Heap {
  readonly memory: WebAssembly.Memory;
  private buf: SharedArrayBuffer | ArrayBuffer;
  private top = ALIGN; // address 0 is never handed out
  liveBytes = 0;
  liveBlocks = 0;
  /** Called with the buffer after every growth (the CPU backend advises huge pages there). */
  onGrow: ((buffer: ArrayBufferLike) => void) | null = null;
  /**
   * Called before a request takes fresh memory at the top, to free blocks first (the CPU backend's
   * eviction pass); returns the bytes it freed. The heap's reserved part then grows only when the
   * live arrays need it, not because garbage held the blocks that would have fitted.
   */
  reclaim: (() => number) | null = null;

  // Free blocks: slot -> start and size (in 64-byte units), bin, and links within the bin (-1: none).
  private fStart = new Int32Array(256);
  private fSize = new Int32Array(256);
  private fBin = new Int32Array(256).fill(-1); // -1: the slot is not in use
  private fNext = new Int32Array(256);
  private fPrev = new Int32Array(256);
  /** Unused slots, a stack. */
  private spare = new Int32Array(256).map((_, i) => 255 - i);
  private nSpare = 256;
  private readonly head = new Int32Array(NBINS).fill(-1);
  /** Bit b of word b >> 5: bin b is not empty. */
  private readonly nonEmpty = new Uint32Array(4);
  /** Start unit -> slot and end unit -> slot of every free block (the boundary tags). */
  private readonly byStart = new Map<number, number>();
  private readonly byEnd = new Map<number, number>();
  private purgeAt = 4096;

  /**
   * `shared`: a shared memory (worker threads can run kernels on it), else a plain one, which a
   * page without cross-origin isolation gets. A plain memory's buffer detaches when it grows, so
   * views over it must be taken again after any allocation (CpuStorage.data does).
   *
   * @example
   * const h = new Heap(1, false);
   * h.memory.buffer instanceof SharedArrayBuffer; // false
   */
  constructor(
    initialPages = 256,
    readonly shared = true,
  ) {
    if (!Number.isInteger(initialPages) || initialPages < 1 || initialPages > MAX_PAGES)
      throw new ValueError(`cpu heap: initialPages must be an integer in [1, ${MAX_PAGES}] (got ${initialPages})`);
    if (typeof shared !== 'boolean') throw new ValueError(`cpu heap: shared must be a boolean (got ${typeof shared})`);
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: MAX_PAGES, shared });
    this.buf = this.memory.buffer;
  }

  /** The current buffer; shared memories never detach, but grow() hands out a longer one (a plain memory a new one). */
  get buffer(): SharedArrayBuffer | ArrayBuffer {
    if (this.buf.byteLength !== this.memory.buffer.byteLength) this.buf = this.memory.buffer;
    return this.buf;
  }

  /** Bytes from the start of the heap to the end of its highest block ever handed out (never lowered). */
  get reservedBytes(): number {
    return this.top;
  }

  static classOf(bytes: number): number {
    if (bytes <= ALIGN) return ALIGN;
    // Integer sizes up to 1 GiB (every training-loop request) in integer arithmetic, the same classes.
    if (bytes <= 1 << 30 && bytes === (bytes | 0)) {
      const e = 31 - Math.clz32(bytes - 1);
      const step = e > 8 ? 1 << (e - 2) : ALIGN;
      return (bytes + step - 1) & -step;
    }
    // 4 classes per octave bounds the waste at 25% while keeping reuse high.
    const e = Math.floor(Math.log2(bytes - 1));
    const step = 2 ** Math.max(e - 2, 6);
    return Math.ceil(bytes / step) * step;
  }

  /** The largest size class that fits in `bytes` (bytes >= 64). @example Heap.floorClassOf(1000) // 896 */
  static floorClassOf(bytes: number): number {
    const e = Math.floor(Math.log2(bytes));
    const step = 2 ** Math.max(e - 2, 6);
    return Math.floor(bytes / step) * step;
  }

  /** Returns the byte address of a block of at least `bytes` bytes, 64-byte aligned. */
  alloc(bytes: number): number {
    const cls = Heap.classOf(bytes);
    if (cls > MAX_BYTES - ALIGN) throw this.exhausted(bytes);
    const u = cls >>> SHIFT;
    const b = binOf(u);
    // Any free block that fits, before fresh memory at the top: reused pages are warm, fresh ones
    // fault on first touch (and raise the reserved part for good).
    const bin = this.findBin(b, NBINS);
    let ptr: number;
    if (bin >= 0) {
      // Any block of the bin fits: the first (the most recently freed) is cut at its start.
      const f = this.head[bin];
      const start = this.fStart[f];
      const rest = this.fSize[f] - u;
      if (rest === 0) this.release(f);
      else {
        // The rest keeps the slot and its end tag.
        this.fStart[f] = start + u;
        this.fSize[f] = rest;
        this.tag(this.byStart, start + u, f);
        this.rebin(f);
      }
      ptr = start * ALIGN;
    } else if (this.reclaim !== null && this.reclaim() > 0) return this.alloc(bytes);
    else ptr = this.fromTop(cls, bytes);
    this.liveBytes += cls;
    this.liveBlocks++;
    return ptr;
  }

  free(ptr: number, bytes: number): void {
    const cls = Heap.classOf(bytes);
    const start = ptr >>> SHIFT;
    const u = cls >>> SHIFT;
    const end = start + u;
    const r = this.freeAt(end);
    const l = this.freeBefore(start);
    // A merged block keeps the slot and the outer tag of a neighbour.
    if (l >= 0) {
      if (r >= 0) {
        this.fSize[l] += u + this.fSize[r];
        this.release(r);
      } else this.fSize[l] += u;
      this.tag(this.byEnd, this.fStart[l] + this.fSize[l], l);
      this.rebin(l);
    } else if (r >= 0) {
      this.fStart[r] = start;
      this.fSize[r] += u;
      this.tag(this.byStart, start, r);
      this.rebin(r);
    } else this.add(start, u);
    this.liveBytes -= cls;
    this.liveBlocks--;
  }

  /** The size of the largest free block below the top of the heap, in bytes (0 when none). */
  largestFreeBlock(): number {
    for (let w = 3; w >= 0; w--) {
      const m = this.nonEmpty[w];
      if (m === 0) continue;
      let best = 0;
      for (let s = this.head[(w << 5) + 31 - Math.clz32(m)]; s >= 0; s = this.fNext[s]) best = Math.max(best, this.fSize[s]);
      return best * ALIGN;
    }
    return 0;
  }

  /** The first non-empty bin in [from, to), or -1. */
  private findBin(from: number, to: number): number {
    for (let w = from >> 5; w << 5 < to; w++) {
      let m = this.nonEmpty[w];
      if (w === from >> 5) m &= -1 << (from & 31);
      if (m !== 0) {
        const b = (w << 5) + 31 - Math.clz32(m & -m);
        return b < to ? b : -1;
      }
    }
    return -1;
  }

  /** A block from fresh memory at the top; a free block ending at the top is extended rather than grown past. */
  private fromTop(cls: number, bytes: number): number {
    let ptr = this.top;
    let end = ptr + cls;
    let below = -1;
    if (end > this.memory.buffer.byteLength) {
      const t = this.freeBefore(ptr >>> SHIFT);
      if (t >= 0) {
        below = t;
        ptr = this.fStart[t] * ALIGN;
        end = ptr + cls;
      }
      if (end > this.memory.buffer.byteLength) this.grow(end, bytes);
    }
    if (below >= 0) this.release(below);
    this.top = end;
    return ptr;
  }

  /** Adds a free block of `u` units at unit `start`. */
  private add(start: number, u: number): void {
    if (this.nSpare === 0) this.moreSlots();
    const f = this.spare[--this.nSpare];
    this.fStart[f] = start;
    this.fSize[f] = u;
    this.list(f, binOf(u));
    this.tag(this.byStart, start, f);
    this.tag(this.byEnd, start + u, f);
  }

  /** Frees slot `f` (its block was taken or merged into another). Its tags go stale, not away. */
  private release(f: number): void {
    this.unlist(f);
    this.fBin[f] = -1;
    this.spare[this.nSpare++] = f;
  }

  /**
   * The free block starting at unit `at`, or -1. Tags are not deleted when a block goes (two Map
   * deletes less per alloc/free): a tag holds only if its slot is in use with that start.
   */
  private freeAt(at: number): number {
    const f = this.byStart.get(at);
    return f !== undefined && this.fBin[f] >= 0 && this.fStart[f] === at ? f : -1;
  }

  /** The free block ending at unit `at`, or -1. */
  private freeBefore(at: number): number {
    const f = this.byEnd.get(at);
    return f !== undefined && this.fBin[f] >= 0 && this.fStart[f] + this.fSize[f] === at ? f : -1;
  }

  private tag(map: Map<number, number>, at: number, f: number): void {
    map.set(at, f);
    if (map.size > this.purgeAt) this.purge();
  }

  /** Deletes the stale tags, once they outnumber the live ones (amortized O(1) per call). */
  private purge(): void {
    for (const [at, f] of this.byStart) if (this.fBin[f] < 0 || this.fStart[f] !== at) this.byStart.delete(at);
    for (const [at, f] of this.byEnd) if (this.fBin[f] < 0 || this.fStart[f] + this.fSize[f] !== at) this.byEnd.delete(at);
    this.purgeAt = 2 * Math.max(this.byStart.size, this.byEnd.size) + 4096;
  }

  /** Moves free block `f` to the bin of its (changed) size. */
  private rebin(f: number): void {
    const b = binOf(this.fSize[f]);
    if (b === this.fBin[f]) return;
    this.unlist(f);
    this.list(f, b);
  }

  /** Puts free block `f` first in bin `b`. */
  private list(f: number, b: number): void {
    const h = this.head[b];
    this.fBin[f] = b;
    this.fPrev[f] = -1;
    this.fNext[f] = h;
    if (h >= 0) this.fPrev[h] = f;
    else this.nonEmpty[b >> 5] |= 1 << (b & 31);
    this.head[b] = f;
  }

  /** Takes free block `f` out of its bin's list. */
  private unlist(f: number): void {
    const p = this.fPrev[f];
    const n = this.fNext[f];
    if (p >= 0) this.fNext[p] = n;
    else {
      const b = this.fBin[f];
      this.head[b] = n;
      if (n < 0) this.nonEmpty[b >> 5] &= ~(1 << (b & 31));
    }
    if (n >= 0) this.fPrev[n] = p;
  }

  private moreSlots(): void {
    const n = this.fStart.length;
    const widen = (a: Int32Array) => {
      const b = new Int32Array(2 * n);
      b.set(a);
      return b;
    };
    this.fStart = widen(this.fStart);
    this.fSize = widen(this.fSize);
    this.fBin = widen(this.fBin);
    this.fBin.fill(-1, n);
    this.fNext = widen(this.fNext);
    this.fPrev = widen(this.fPrev);
    this.spare = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) this.spare[i] = 2 * n - 1 - i;
    this.nSpare = n;
  }

  private exhausted(bytes: number): ValueError {
    const cls = Heap.classOf(bytes);
    const hint =
      cls > MAX_BYTES - ALIGN
        ? 'no array of this size fits in a wasm32 heap'
        : this.liveBytes + cls <= MAX_BYTES - ALIGN
          ? 'the free space is split between live arrays: free arrays with dispose() or nd.tidy(), or allocate the largest arrays first'
          : 'free arrays with dispose() or nd.tidy()';
    return new ValueError(
      `cpu heap: cannot allocate ${mib(bytes)}: the CPU heap is limited to 4 GiB (wasm32); ${mib(this.liveBytes)} ` +
        `are live in ${this.liveBlocks} blocks, ${mib(this.top)} reserved, the largest free block is ` +
        `${mib(this.largestFreeBlock())} and ${mib(MAX_BYTES - this.top)} are left above the reserved part; ${hint}`,
    );
  }

  private grow(end: number, bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (end > MAX_BYTES) throw this.exhausted(bytes);
    // Grow geometrically to keep the number of grow() calls (and buffer refreshes) small.
    const want = Math.min(MAX_BYTES, Math.max(end, have * 1.5));
    this.memory.grow(Math.ceil((want - have) / PAGE));
    this.onGrow?.(this.memory.buffer);
  }
}
