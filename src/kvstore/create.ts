// kv.create: picks the store class for a type name ('local', 'device' in this process;
// 'dist_sync' across the processes of an mpirun job). Apart from kvstore.ts so that the
// distributed store, a subclass, can import the base class without an import cycle.
import { ValueError } from '../core/errors.js';
import { describe } from '../core/options.js';
import { KVStore, type KVStoreType } from './kvstore.js';
import { DistSyncKVStore } from './dist.js';

const DIST_TYPES = ['dist_sync'];

/**
 * Creates a key-value store, as `mx.kv.create(name)`: 'local' or 'device' in one process, or
 * 'dist_sync' across the processes of an `mpirun` job (Open MPI; see docs/DISTRIBUTED.md). The
 * other distributed types of MXNet (dist_async, dist_device_sync) are refused.
 *
 * @example
 * const store = kv.create('device');
 * const dist = kv.create('dist_sync'); // under mpirun -np 2: dist.numWorkers === 2
 */
export function create(name: string = 'local'): KVStore {
  if (typeof name !== 'string') throw new ValueError(`kv.create: the type must be a string such as 'local', got ${describe(name)}`);
  if (name === 'dist_sync') return new DistSyncKVStore();
  if (name.startsWith('dist'))
    throw new ValueError(
      `kv.create('${name}'): of the distributed stores only ${DIST_TYPES.join(', ')} is available (synchronous allreduce over Open MPI)`,
    );
  return new KVStore(name as KVStoreType);
}
