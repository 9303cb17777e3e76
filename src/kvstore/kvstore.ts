/**
 * MXNet's key-value store (`mx.kv`), the one place where values computed on several devices are
 * summed: `push` adds the values given for a key (from any devices) into the stored value, `pull`
 * copies the stored value out to arrays on any devices. The Trainer sums the gradients of a
 * parameter that lives on several contexts through it, so data-parallel training is written as
 * the book writes it (8.4-8.5), and a distributed store can take its place.
 *
 * Types: 'local' sums on the CPU (cpu(0)), 'device' sums on the device of the first value pushed
 * (MXNet sums on the GPUs); both keep the stored value where `init` put it. With no updater, a
 * push replaces the stored value by the sum of the pushed values (MXNet's default ASSIGN); with
 * `setOptimizer` (or `setUpdater`) the sum is applied to the stored value as a gradient.
 */
import { ShapeError, ValueError } from '../core/errors.js';
import { describe } from '../core/options.js';
import { shapeStr } from '../core/shape.js';
import { cpu, type Context } from '../ndarray/context.js';
import { keep } from '../ndarray/memory.js';
import { NDArray } from '../ndarray/ndarray.js';
import { withoutRecording, type Optimizer } from '../gluon/optimizer/optimizer.js';

/** A key of the store: an integer or a string, as MXNet's. */
export type KVKey = number | string;

/** The store types: 'local' and 'device' run in one process, 'dist_sync' across processes (dist.ts). */
export type KVStoreType = 'local' | 'device' | 'dist_sync';

/** What `setUpdater` takes: applies the merged pushed value to the stored one, in place. */
export type KVUpdater = (key: KVKey, merged: NDArray, stored: NDArray) => void;

const TYPES: readonly KVStoreType[] = ['local', 'device', 'dist_sync'];

function checkKey(op: string, key: unknown): KVKey {
  if ((typeof key === 'number' && Number.isInteger(key)) || (typeof key === 'string' && key.length > 0)) return key;
  throw new ValueError(
    `KVStore.${op}: a key must be an integer or a non-empty string, got ${typeof key === 'number' ? key : describe(key)}`,
  );
}

/** Pairs keys with values: one key with one value (or a list of values for it), or lists of both. */
export function pairs<T>(
  op: string,
  key: KVKey | readonly KVKey[],
  value: T | readonly T[],
  isValue: (v: unknown) => v is T,
): [KVKey, T[]][] {
  const asList = (v: unknown, what: string): T[] => {
    if (isValue(v)) return [v];
    if (Array.isArray(v) && v.length > 0 && v.every(isValue)) return [...v];
    throw new ValueError(`KVStore.${op}: ${what} must be an NDArray or a non-empty list of NDArrays, got ${describe(v)}`);
  };
  if (!Array.isArray(key)) return [[checkKey(op, key), asList(value, `the value of key ${String(key)}`)]];
  const keys = (key as unknown[]).map((k) => checkKey(op, k));
  if (!Array.isArray(value) || value.length !== keys.length)
    throw new ValueError(`KVStore.${op}: ${keys.length} keys need a list of ${keys.length} values (one per key), got ${describe(value)}`);
  return keys.map((k, i) => [k, asList((value as unknown[])[i], `the value of key ${String(k)}`)]);
}

export const isArray = (v: unknown): v is NDArray => v instanceof NDArray;

/**
 * A key-value store in this process (MXNet's `kv.create('local')` / `kv.create('device')`).
 *
 * @example
 * const store = kv.create('local');
 * store.init(3, nd.ones([2, 3]));
 * store.push(3, [nd.ones([2, 3]), nd.ones([2, 3], { ctx: cpu(1) })]); // stored = 1 + 1
 * const a = nd.zeros([2, 3]);
 * store.pull(3, a); // a is all 2
 */
export class KVStore {
  protected readonly store = new Map<KVKey, NDArray>();
  private updater: KVUpdater | null = null;

  constructor(readonly type: KVStoreType) {
    if (!TYPES.includes(type)) throw new ValueError(`kv.create: unknown type '${String(type)}', expected one of ${TYPES.join(', ')}`);
    if (type === 'dist_sync' && new.target === KVStore)
      throw new ValueError("new KVStore('dist_sync'): a distributed store is made by kv.create('dist_sync')");
  }

  /** This worker's rank among `numWorkers` (0: one process). @example store.rank // 0 */
  get rank(): number {
    return 0;
  }

  /** The number of worker processes (1 in this process). @example store.numWorkers // 1 */
  get numWorkers(): number {
    return 1;
  }

  /**
   * Stores the initial value of a key (a copy: later changes to `value` do not reach the store).
   * A key can be initialised once.
   *
   * @example
   * store.init('w', nd.zeros([4]));
   * store.init([1, 2], [nd.zeros([2]), nd.ones([2])]);
   */
  init(key: KVKey | readonly KVKey[], value: NDArray | readonly NDArray[]): void {
    for (const [k, vs] of pairs('init', key, value, isArray)) {
      if (vs.length !== 1) throw new ValueError(`KVStore.init: key ${String(k)} takes one initial value, got a list of ${vs.length}`);
      if (this.store.has(k)) throw new ValueError(`KVStore.init: key ${String(k)} was initialised already`);
      const v = vs[0];
      v.checkAlive('KVStore.init');
      const at = this.type === 'device' ? v.context : cpu();
      this.store.set(k, keep(withoutRecording(() => (at.equals(v.context) ? v.copy() : v.copyto(at)))));
    }
  }

  /**
   * Sums the values given for each key (from any devices) and stores the sum, or applies it
   * through the updater when one is set (`setOptimizer`).
   *
   * @example
   * store.push(3, [g0, g1]); // the sum of the two
   * store.push([3, 4], [[a0, a1], [b0, b1]]);
   */
  push(key: KVKey | readonly KVKey[], value: NDArray | readonly NDArray[] | readonly (readonly NDArray[])[]): void {
    const list = pairs('push', key, value as NDArray | NDArray[], isArray);
    withoutRecording(() => {
      for (const [k, vs] of list) {
        const stored = this.stored('push', k);
        for (const v of vs) {
          v.checkAlive('KVStore.push');
          if (!sameShape(v, stored))
            throw new ShapeError(
              `KVStore.push: key ${String(k)} holds shape ${shapeStr(stored.shape)}, got a value of shape ${shapeStr(v.shape)} on ${v.context}`,
            );
        }
        const merged = this.merge(vs, stored.context);
        this.reduceAcrossWorkers(k, merged);
        if (this.updater) this.updater(k, merged, stored);
        else stored._assignFrom(merged);
        merged.dispose();
      }
    });
  }

  /**
   * Copies the stored value of each key into the given arrays (on any devices).
   *
   * @example
   * store.pull(3, a);            // or store.pull(3, { out: a })
   * store.pull(3, [a0, a1]);     // one copy per device
   */
  pull(
    key: KVKey | readonly KVKey[],
    out: NDArray | readonly NDArray[] | readonly (readonly NDArray[])[] | { out: unknown; priority?: number },
  ): void {
    const target = isPlainOptions(out) ? (out as { out: unknown }).out : out;
    const list = pairs('pull', key, target as NDArray | NDArray[], isArray);
    withoutRecording(() => {
      for (const [k, outs] of list) {
        const stored = this.stored('pull', k);
        for (const o of outs) {
          o.checkAlive('KVStore.pull');
          if (!sameShape(o, stored))
            throw new ShapeError(
              `KVStore.pull: key ${String(k)} holds shape ${shapeStr(stored.shape)}, the output has shape ${shapeStr(o.shape)}`,
            );
          if (o.context.equals(stored.context)) o._assignFrom(stored);
          else {
            const moved = stored.copyto(o.context);
            o._assignFrom(moved);
            moved.dispose();
          }
        }
      }
    });
  }

  /**
   * `push` then `pull` into `out` (default: the pushed arrays themselves), MXNet's pushpull.
   *
   * @example
   * store.pushpull(3, [g0, g1]); // each gi becomes g0 + g1
   */
  pushpull(
    key: KVKey | readonly KVKey[],
    value: NDArray | readonly NDArray[] | readonly (readonly NDArray[])[],
    out?: NDArray | readonly NDArray[] | readonly (readonly NDArray[])[],
  ): void {
    this.push(key, value);
    this.pull(key, out ?? value);
  }

  /**
   * Makes `push` apply the sum as a gradient: `optimizer.update(index, stored, merged, state)`,
   * with one state per key (MXNet's update on the kvstore). Integer keys are the optimizer's
   * indices; string keys get indices in the order they are first pushed.
   *
   * @example
   * store.setOptimizer(gluon.optimizer.create('sgd', { learningRate: 0.1 }));
   */
  setOptimizer(optimizer: Optimizer): void {
    if (!optimizer || typeof (optimizer as Optimizer).update !== 'function' || typeof (optimizer as Optimizer).createState !== 'function')
      throw new ValueError(`KVStore.setOptimizer: expected an Optimizer (gluon.optimizer.create(...)), got ${describe(optimizer)}`);
    const states = new Map<KVKey, NDArray[]>();
    const indices = new Map<string, number>();
    const indexOf = (k: KVKey): number => {
      if (typeof k === 'number') return k;
      let i = indices.get(k);
      if (i === undefined) indices.set(k, (i = -1 - indices.size));
      return i;
    };
    this.updater = (k, merged, stored) => {
      const i = indexOf(k);
      let st = states.get(k);
      if (!st) states.set(k, (st = optimizer.createState(i, stored).map((s) => keep(s))));
      optimizer.update(i, stored, merged, st);
    };
  }

  /**
   * Sets the function a push applies (`updater(key, merged, stored)`, in place on `stored`);
   * null restores the default (the stored value becomes the sum).
   *
   * @example
   * store.setUpdater((key, g, w) => w.isub(g.mul(0.1)));
   */
  setUpdater(updater: KVUpdater | null): void {
    if (updater !== null && typeof updater !== 'function')
      throw new ValueError(`KVStore.setUpdater: expected a function (key, merged, stored) or null, got ${describe(updater)}`);
    this.updater = updater;
  }

  /** Waits for every worker (nothing to wait for in one process). @example store.barrier() */
  barrier(): void {}

  /** Whether `key` was initialised. @example store.has(3) */
  has(key: KVKey): boolean {
    return this.store.has(key);
  }

  /**
   * Sums `merged` (this process' sum for `key`, a fresh array) over all worker processes, in
   * place. One process: nothing to do; the dist_sync store overrides it.
   */
  protected reduceAcrossWorkers(key: KVKey, merged: NDArray): void {
    void key;
    void merged;
  }

  protected stored(op: string, key: KVKey): NDArray {
    const s = this.store.get(key);
    if (!s) throw new ValueError(`KVStore.${op}: key ${String(key)} was not initialised (call init(key, value) first)`);
    return s;
  }

  /** The sum of `values` on `at` (a new array). */
  protected merge(values: readonly NDArray[], at: Context): NDArray {
    const where = this.type === 'device' ? values[0].context : at;
    let sum: NDArray | null = null;
    for (const v of values) {
      const here = v.context.equals(where) ? v : v.copyto(where);
      if (sum === null) sum = here === v ? v.copy() : here;
      else {
        const next: NDArray = sum.add(here);
        sum.dispose();
        if (here !== v) here.dispose();
        sum = next;
      }
    }
    if (!sum!.context.equals(at)) {
      const moved = sum!.copyto(at);
      sum!.dispose();
      return moved;
    }
    return sum!;
  }
}

function sameShape(a: NDArray, b: NDArray): boolean {
  return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

function isPlainOptions(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof NDArray) && 'out' in v;
}
