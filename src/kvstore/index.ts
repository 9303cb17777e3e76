// mx.kv: the key-value store that sums values across devices (kvstore.ts).
export { KVStore, create } from './kvstore.js';
export type { KVKey, KVStoreType, KVUpdater } from './kvstore.js';
