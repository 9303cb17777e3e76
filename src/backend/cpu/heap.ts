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

  /** Returns the byte address of a block of at least `bytes` bytes, 64-byte aligned. */
  alloc(bytes: number): number {
    const cls = Heap.classOf(bytes);
    const list = this.freeLists.get(cls);
    let ptr: number;
    if (list && list.length > 0) ptr = list.pop()!;
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
