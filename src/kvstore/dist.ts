/**
 * MXNet's `kv.create('dist_sync')` on Open MPI: one store per process of an `mpirun` job, every
 * push summed over all processes (an in-place allreduce on the CPU heap) before it is stored or
 * applied, so each process pulls the same value. `init` takes rank 0's value (a broadcast) after
 * checking that every process initialises the same keys with the same shapes and types.
 *
 * Every collective is watched: one that waits longer than D2L_DIST_TIMEOUT seconds (a rank that
 * ran one step more, or skipped one) ends the job with MPI_Abort and a message naming the rank,
 * the step and the collective. Design, costs and scaling: docs/DISTRIBUTED.md.
 *
 * GPU arrays reduce through host memory: a WebGPU buffer cannot be handed to MPI and is read only
 * asynchronously, so `initAsync` / `pushpullAsync` (and the Trainer's `stepAsync`) read them into
 * the CPU heap first, reduce there, and write the result back to the device.
 */
import { ShapeError, ValueError } from '../core/errors.js';
import { describe } from '../core/options.js';
import { shapeStr } from '../core/shape.js';
import { bytesPerElement } from '../core/dtype.js';
import { getCpuBackend } from '../backend/registry.js';
import { cpu } from '../ndarray/context.js';
import { NDArray } from '../ndarray/ndarray.js';
import { withoutRecording } from '../gluon/optimizer/optimizer.js';
import { isArray, KVStore, pairs, type KVKey } from './kvstore.js';
import { distTimeoutMs, MPI_DTYPE, setExitDescription, startMpi, type MpiAddon } from './mpi.js';

/** What the heap-resident storage of a CPU array exposes (cpu-backend.ts). */
interface HeapStorage {
  readonly ptr: number;
  version: number;
}

/** The most bytes one rank's list of key signatures may take in the init check. */
const MAX_SIGNATURE_BYTES = 1 << 20;

/**
 * A synchronous distributed key-value store over Open MPI (MXNet's 'dist_sync'): `rank` is this
 * process among `numWorkers`, `push` sums over devices and then over processes, `pull` copies
 * the (identical) result out. Run under `mpirun -np N`; outside mpirun it is one worker.
 *
 * @example
 * // mpirun -np 2 --bind-to none node train.mjs
 * const store = kv.create('dist_sync');
 * store.init('w', nd.zeros([4]));       // rank 0's value everywhere
 * store.push('w', nd.ones([4]));        // every rank pushes ones ...
 * const out = nd.zeros([4]);
 * store.pull('w', out);                 // ... and pulls numWorkers * ones
 */
export class DistSyncKVStore extends KVStore {
  private readonly mpi: MpiAddon;
  private readonly myRank: number;
  private readonly size: number;
  private heapView: Uint8Array | null = null;
  /** Collectives run so far, and the trainer step in progress (for the watchdog's message). */
  private collectives = 0;
  /** Set by the Trainer before each step's allreduce (0: no trainer step yet). */
  trainerStep = 0;

  constructor() {
    super('dist_sync');
    const { addon, info } = startMpi('kv.create');
    this.mpi = addon;
    this.myRank = info.rank;
    this.size = info.size;
    setExitDescription(() => this.progress());
  }

  /** This process' rank, 0 ... numWorkers-1. @example store.rank // 0 or 1 under mpirun -np 2 */
  override get rank(): number {
    return this.myRank;
  }

  /** The number of processes in the job. @example store.numWorkers // 2 under mpirun -np 2 */
  override get numWorkers(): number {
    return this.size;
  }

  /**
   * Initialises keys on every process with rank 0's values (the others' are only checked for
   * shape and type). Every process must initialise the same keys with the same shapes and types,
   * in one call as in the others; a mismatch is an error on every rank naming the ranks and keys.
   *
   * @example
   * store.init([0, 1], [w0, w1]); // all ranks now hold rank 0's w0, w1
   */
  override init(key: KVKey | readonly KVKey[], value: NDArray | readonly NDArray[]): void {
    const keys = Array.isArray(key) ? (key as KVKey[]) : [key as KVKey];
    const values = Array.isArray(value) ? (value as NDArray[]) : [value as NDArray];
    // The local checks (key types, counts, duplicates) first, with the base class' messages.
    const fresh = keys.filter((k) => !this.store.has(k));
    super.init(key, value);
    const sig = keys.map((k, i) => signatureOf(k, values[i]));
    try {
      this.checkSameOnAllRanks(sig);
    } catch (e) {
      // A refused init leaves the store as it was.
      for (const k of fresh) {
        this.store.get(k)?.dispose();
        this.store.delete(k);
      }
      throw e;
    }
    withoutRecording(() => {
      for (const k of fresh) {
        const stored = this.stored('init', k);
        this.broadcast(stored, `the broadcast of key ${String(k)} from rank 0 (init)`);
      }
    });
  }

  /**
   * `init` for values on any device: GPU values are first read into host memory (they cannot be
   * read synchronously), then initialised as `init` does; the store keeps its values on the CPU.
   *
   * @example
   * await store.initAsync(0, net.weight.data()); // a parameter on gpu(0)
   */
  async initAsync(key: KVKey | readonly KVKey[], value: NDArray | readonly NDArray[]): Promise<void> {
    const values = Array.isArray(value) ? (value as NDArray[]) : [value as NDArray];
    for (const v of values as unknown[])
      if (!isArray(v)) throw new ValueError(`KVStore.initAsync: the values must be NDArrays (one per key), got ${describe(v)}`);
    const hosts = await Promise.all(values.map((v) => toHost(v, 'KVStore.initAsync')));
    try {
      this.init(key, Array.isArray(value) ? hosts : hosts[0]);
    } finally {
      hosts.forEach((h, i) => h !== values[i] && h.dispose());
    }
  }

  /**
   * `pushpull` for values on any device: each key's values are summed on their device, GPU sums
   * are read into host memory (all keys' reads started together), summed over the processes
   * there, stored, and written into `out` (default: the values), on the device of each.
   *
   * @example
   * await store.pushpullAsync([0, 1], [[g0], [g1]]); // gradients on gpu(0), summed over all ranks
   */
  async pushpullAsync(
    key: KVKey | readonly KVKey[],
    value: NDArray | readonly NDArray[] | readonly (readonly NDArray[])[],
    out?: NDArray | readonly NDArray[] | readonly (readonly NDArray[])[],
  ): Promise<void> {
    const list = pairs('pushpullAsync', key, value as NDArray | NDArray[], isArray);
    const outs = pairs('pushpullAsync', key, (out ?? value) as NDArray | NDArray[], isArray);
    for (const [k] of list) this.stored('pushpullAsync', k);
    // This process' sum per key on the first value's device, then every GPU read at once.
    const local = list.map(([, vs]) => withoutRecording(() => this.merge(vs, vs[0].context)));
    let hosts: NDArray[] = [];
    try {
      hosts = await Promise.all(local.map((m) => toHost(m, 'KVStore.pushpullAsync')));
      list.forEach(([k], i) => {
        this.push(k, hosts[i]);
        this.pull(k, outs[i][1]);
      });
    } finally {
      local.forEach((m, i) => {
        if (hosts[i] && hosts[i] !== m) hosts[i].dispose();
        m.dispose();
      });
    }
  }

  /** Waits for every process (a watched barrier). @example store.barrier() */
  override barrier(): void {
    this.collectives++;
    this.mpi.barrier(distTimeoutMs(), `a barrier (${this.progress()})`);
  }

  protected override reduceAcrossWorkers(key: KVKey, merged: NDArray): void {
    if (this.size === 1) return;
    this.allreduce(merged, `the allreduce of key ${String(key)}`);
  }

  /** Sums `a` over all processes in place (CPU arrays in the heap, without a copy). */
  private allreduce(a: NDArray, what: string): void {
    const code = dtypeCode(a, 'KVStore.push');
    if (a.context.deviceType !== 'cpu')
      throw new ValueError(
        `KVStore.push (dist_sync): key values on ${a.context} cannot be handed to MPI synchronously (a GPU is read asynchronously); ` +
          `use \`await store.pushpullAsync(key, values)\` (or \`await trainer.stepAsync(batchSize)\`), which reduces them through host memory`,
      );
    const target = a.isContiguous ? a : a.copy();
    this.collectives++;
    const { bytes, offset } = this.heapAddress(target);
    this.mpi.allreduce(bytes, offset, target.size, code, distTimeoutMs(), `${what} (${this.progress()})`);
    (target.storage as unknown as HeapStorage).version++;
    if (target !== a) {
      a._assignFrom(target);
      target.dispose();
    }
  }

  /** Overwrites `a` with rank 0's `a`. */
  private broadcast(a: NDArray, what: string): void {
    if (this.size === 1) return;
    this.collectives++;
    const { bytes, offset } = this.heapAddress(a);
    this.mpi.bcast(bytes, offset, a.size * bytesPerElement(a.dtype), 0, distTimeoutMs(), `${what} (${this.progress()})`);
    (a.storage as unknown as HeapStorage).version++;
  }

  /** The heap bytes and the byte offset of a contiguous CPU array. */
  private heapAddress(a: NDArray): { bytes: Uint8Array; offset: number } {
    if (!a.context.equals(cpu()) || !a.isContiguous) throw new ValueError('dist_sync: internal: expected a contiguous cpu(0) array');
    const storage = a.storage as unknown as HeapStorage;
    // `ptr` first: it moves an evicted block back into the heap, which may grow the buffer.
    const ptr = storage.ptr;
    const buffer = getCpuBackend().heap.buffer;
    if (!this.heapView || this.heapView.buffer !== buffer) this.heapView = new Uint8Array(buffer);
    return { bytes: this.heapView, offset: ptr + a.offset * bytesPerElement(a.dtype) };
  }

  /** What this rank is doing, for the watchdog's message. */
  private progress(): string {
    const step = this.trainerStep > 0 ? `trainer step ${this.trainerStep}, ` : '';
    return `${step}collective #${this.collectives} of this rank`;
  }

  /**
   * Gathers every rank's key signatures and fails on all ranks alike when they differ: the
   * message names each rank whose keys, shapes or types differ from rank 0's, and the keys.
   */
  private checkSameOnAllRanks(sig: string[]): void {
    if (this.size === 1) return;
    const mine = new TextEncoder().encode(JSON.stringify(sig));
    if (mine.length > MAX_SIGNATURE_BYTES)
      throw new ValueError(`KVStore.init (dist_sync): ${sig.length} keys in one call are too many to check (over 1 MiB of signatures)`);
    const timeout = distTimeoutMs();
    const what = `the check of init's keys across ranks (${this.progress()})`;
    const lens = new Uint8Array(4 * this.size);
    this.collectives += 2;
    this.mpi.allgather(new Uint8Array(new Uint32Array([mine.length]).buffer), lens, timeout, what);
    const lengths = new Uint32Array(lens.buffer);
    const width = Math.max(...lengths);
    const send = new Uint8Array(width);
    send.set(mine);
    const all = new Uint8Array(width * this.size);
    this.mpi.allgather(send, all, timeout, what);
    const decoder = new TextDecoder();
    const sigs: string[][] = [];
    for (let r = 0; r < this.size; r++) sigs.push(JSON.parse(decoder.decode(all.subarray(r * width, r * width + lengths[r]))) as string[]);
    const problems: string[] = [];
    const base = sigs[0];
    for (let r = 1; r < this.size; r++) {
      const other = sigs[r];
      if (JSON.stringify(other) === JSON.stringify(base)) continue;
      const onlyBase = base.filter((s) => !other.includes(s));
      const onlyOther = other.filter((s) => !base.includes(s));
      const parts: string[] = [];
      if (onlyBase.length) parts.push(`rank 0 has ${onlyBase.join(', ')} which rank ${r} lacks`);
      if (onlyOther.length) parts.push(`rank ${r} has ${onlyOther.join(', ')} which rank 0 lacks`);
      if (!parts.length) parts.push(`the same keys in another order (rank 0: ${base.join(', ')}; rank ${r}: ${other.join(', ')})`);
      problems.push(parts.join('; '));
    }
    if (problems.length)
      throw new ShapeError(
        `KVStore.init (dist_sync): the processes initialise different parameter sets: ${problems.join('. ')}. ` +
          'Every rank must build the same model and call init with the same keys, shapes and types',
      );
  }
}

/** `v` itself on the CPU, else a copy of it in host memory (read asynchronously from its device). */
async function toHost(v: NDArray, op: string): Promise<NDArray> {
  v.checkAlive(op);
  return v.context.deviceType === 'cpu' ? v : v.copytoAsync(cpu());
}

function signatureOf(key: KVKey, v: NDArray): string {
  return `key ${typeof key === 'string' ? JSON.stringify(key) : key} ${shapeStr(v.shape)} ${v.dtype}`;
}

function dtypeCode(a: NDArray, op: string): 0 | 1 | 2 {
  const code = (MPI_DTYPE as Record<string, 0 | 1 | 2>)[a.dtype];
  if (code === undefined)
    throw new ValueError(`${op} (dist_sync): values of type ${a.dtype} cannot be summed across processes (float32, float64 or int32)`);
  return code;
}
