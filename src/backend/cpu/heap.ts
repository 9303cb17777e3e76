// The CPU heap: every CPU array is a block of one (shared) WebAssembly.Memory, allocated in
// TypeScript by size class.
import { ValueError } from '../../core/errors.js';

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB: the most a wasm32 memory can address
const ALIGN = 64;

/**
 * One shared WebAssembly.Memory holding every CPU array, so Wasm kernels on worker threads can
 * read and write arrays without copies. The allocator lives here, in TS, not inside the Wasm
 * module: kernels stay pure functions over pointers.
 *
 * Blocks are rounded up to size classes (4 per power of two) and recycled through per-class free
 * lists. Training loops allocate the same sizes every step, so after the first step they run on
 * recycled blocks and the heap stays flat.
 */
export class Heap {
  readonly memory: WebAssembly.Memory;
  private buf: SharedArrayBuffer | ArrayBuffer;
  private top = ALIGN; // address 0 is never handed out
  private readonly freeLists = new Map<number, number[]>();
  liveBytes = 0;
  liveBlocks = 0;
  /** Called with the buffer after every growth (the CPU backend advises huge pages there). */
  onGrow: ((buffer: ArrayBufferLike) => void) | null = null;

  constructor(initialPages = 256) {
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: MAX_PAGES, shared: true });
    this.buf = this.memory.buffer;
  }

  /** The current buffer; shared memories never detach, but grow() hands out a longer one. */
  get buffer(): SharedArrayBuffer | ArrayBuffer {
    if (this.buf.byteLength !== this.memory.buffer.byteLength) this.buf = this.memory.buffer;
    return this.buf;
  }

  get reservedBytes(): number {
    return this.top;
  }

  static classOf(bytes: number): number {
    if (bytes <= ALIGN) return ALIGN;
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

  /**
   * A free block of a larger class cut down to `cls`, its rest returned to the free lists (only
   * for large blocks): a data set's uint8 images, freed once converted to float32, then hold the
   * test split instead of the heap growing past them (W3's peak RSS -40 MB).
   */
  private carve(cls: number): number | null {
    let best = 0;
    for (const [c, l] of this.freeLists) if (c > cls && l.length > 0 && (best === 0 || c < best)) best = c;
    if (best === 0) return null;
    const ptr = this.freeLists.get(best)!.pop()!;
    const rest = best - cls;
    if (rest >= 64) {
      const rc = Heap.floorClassOf(rest);
      let l = this.freeLists.get(rc);
      if (!l) this.freeLists.set(rc, (l = []));
      l.push(ptr + cls);
    }
    return ptr;
  }

  /** Blocks from this size are cut from larger free blocks rather than taken from fresh memory. */
  static readonly CARVE_MIN = 4 << 20;

  /** Returns the byte address of a block of at least `bytes` bytes, 64-byte aligned. */
  alloc(bytes: number): number {
    const cls = Heap.classOf(bytes);
    const list = this.freeLists.get(cls);
    let ptr: number;
    let carved: number | null = null;
    if (list && list.length > 0) ptr = list.pop()!;
    else if (cls >= Heap.CARVE_MIN && (carved = this.carve(cls)) !== null) ptr = carved;
    else {
      ptr = this.top;
      const end = ptr + cls;
      if (end > this.memory.buffer.byteLength) this.grow(end);
      this.top = end;
    }
    this.liveBytes += cls;
    this.liveBlocks++;
    return ptr;
  }

  free(ptr: number, bytes: number): void {
    const cls = Heap.classOf(bytes);
    let list = this.freeLists.get(cls);
    if (!list) this.freeLists.set(cls, (list = []));
    list.push(ptr);
    this.liveBytes -= cls;
    this.liveBlocks--;
  }

  private grow(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end > MAX_PAGES * PAGE)
      throw new ValueError(
        `cpu heap: cannot allocate ${end - this.top} bytes: the CPU heap is limited to 4 GiB (wasm32) and ` +
          `${this.top} bytes are reserved; free arrays with dispose() or nd.tidy()`,
      );
    // Grow geometrically to keep the number of grow() calls (and buffer refreshes) small.
    const want = Math.min(MAX_PAGES * PAGE, Math.max(end, have * 1.5));
    this.memory.grow(Math.ceil((want - have) / PAGE));
    this.onGrow?.(this.memory.buffer);
  }
}
