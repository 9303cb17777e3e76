/** `node:zlib` inside a benchmark bundle run in a page: gunzip through fflate (a d2l-ts dependency). */
import { gunzipSync as fflateGunzip } from 'fflate';

/**
 * Inflates gzip bytes.
 *
 * @example
 * gunzipSync(readFileSync('train-labels-idx1-ubyte.gz') as Uint8Array);
 */
export function gunzipSync(b: Uint8Array): Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError('bench zlib shim: gunzipSync expects a Uint8Array');
  return fflateGunzip(b);
}
