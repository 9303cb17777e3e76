// GPU buffers recycled by size class, so a training loop allocates no new GPUBuffer per step.
import { BufferUsage, type WBuffer, type WDevice } from './gpu-types.js';

/**
 * Size class of a request: 256 B minimum, then four classes per power of two (x1, x1.25, x1.5,
 * x1.75), so a pooled buffer wastes at most 25% and reuse across slightly different sizes works.
 */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes));
  const step = p / 4;
  return Math.ceil(bytes / step) * step;
}

/**
 * A pool of GPU buffers of one usage, keyed by size class. Buffers come back on `release` and are
 * reused before new ones are created; `trim` destroys idle buffers beyond `limitBytes` (called
 * only between submissions, when no recorded command can still name them).
 */
export class BufferPool {
  private free = new Map<number, WBuffer[]>();
  /** Bytes held by idle buffers. */
  idleBytes = 0;
  /** Bytes of all buffers this pool created and has not destroyed. */
  totalBytes = 0;
  created = 0;
  reused = 0;

  constructor(
    private device: WDevice,
    private usage: number,
    private label: string,
    public limitBytes: number,
  ) {}

  acquire(bytes: number): WBuffer {
    const cls = sizeClass(bytes);
    const list = this.free.get(cls);
    const b = list?.pop();
    if (b) {
      this.idleBytes -= cls;
      this.reused++;
      return b;
    }
    this.created++;
    this.totalBytes += cls;
    return this.device.createBuffer({ size: cls, usage: this.usage, label: this.label });
  }

  release(b: WBuffer): void {
    const cls = b.size;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(b);
    this.idleBytes += cls;
  }

  /** Destroys idle buffers, largest first, until at most `keepBytes` stay idle. */
  trim(keepBytes = this.limitBytes): void {
    if (this.idleBytes <= keepBytes) return;
    const classes = [...this.free.keys()].sort((a, b) => b - a);
    for (const cls of classes) {
      const list = this.free.get(cls)!;
      while (list.length > 0 && this.idleBytes > keepBytes) {
        list.pop()!.destroy();
        this.idleBytes -= cls;
        this.totalBytes -= cls;
      }
    }
  }
}

export const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
export const READBACK_USAGE = BufferUsage.MAP_READ | BufferUsage.COPY_DST;
