// mx.kv: the key-value store that sums values across devices (kvstore.ts) and across the
// processes of an mpirun job (dist.ts, over the Open MPI addon in mpi.ts).
export { KVStore } from './kvstore.js';
export { create } from './create.js';
export { DistSyncKVStore } from './dist.js';
export { mpiAvailable, mpiUnavailableReason } from './mpi.js';
export type { KVKey, KVStoreType, KVUpdater } from './kvstore.js';
