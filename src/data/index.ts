/**
 * Data files: the registry of known files and the one resolver that finds, downloads and
 * verifies them (Node only).
 *
 * @example
 * import { loadDataFile } from './data/index.js';
 * const { bytes, source } = await loadDataFile('fashion-mnist/train-labels-idx1-ubyte.gz');
 */
export { getDataFileSpec, registerDataFile, listDataFiles } from './registry.js';
export type { DataFileSpec, DataChecksum, HashAlgorithm } from './registry.js';
export { CorruptDataError, verifyDataBytes, maybeGunzip, isGzip, hashHex } from './verify.js';
export type { VerifiedData } from './verify.js';
export { DownloadError, CacheWriteError, DEFAULT_DOWNLOAD_TIMEOUT_MS, downloadDataFile } from './download.js';
export type { DownloadOptions, FetchLike, ProgressMode } from './download.js';
export {
  DataNotFoundError,
  DataDirError,
  checkDataDir,
  loadDataFile,
  loadDataFileSync,
  resolveDataFile,
  resolveDataFileSync,
  setDefaultDataDir,
  dataDirFromArgv,
  defaultCacheDir,
} from './resolver.js';
export type { DataResolveOptions, DataSource, ResolvedDataFile, LoadedDataFile } from './resolver.js';
export { fetchDataFile } from './fetch.js';
export type { FetchDataOptions, FetchProgress } from './fetch.js';
