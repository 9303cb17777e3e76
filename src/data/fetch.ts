/**
 * Data files over `fetch`, for a web page (and any runtime with `fetch` and WebCrypto): the page
 * serves the files itself (same origin) and names the folder, e.g. `{ url: 'data/fashion-mnist/' }`.
 * The bytes are checked against the registry's checksums (SHA-256 / SHA-1 through
 * `crypto.subtle`) and unpacked with fflate, so nothing here needs Node.
 */
import { gunzipSync } from 'fflate';
import { ValueError } from '../core/errors.js';
import { getDataFileSpec, type DataChecksum, type DataFileSpec } from './registry.js';
import { applicableChecksums, checksumMismatch, CorruptDataError, isGzip } from './verify.js';
import type { LoadedDataFile } from './resolver.js';
import { DataNotFoundError } from './resolver.js';

/** How far a fetch has come: bytes received of the file's total (null when the server gives none). */
export interface FetchProgress {
  file: string;
  loaded: number;
  total: number | null;
}

/** Options of `fetchDataFile`. */
export interface FetchDataOptions {
  /**
   * The folder URL the files are served from (`https://host/data/fashion-mnist/`, or relative to
   * the page: `data/fashion-mnist/`); each file is fetched as its base name under it.
   */
  url: string;
  /** Check the registry's checksums (default true). */
  verify?: boolean;
  /** Called as bytes arrive (a progress bar on the page). */
  onProgress?: (p: FetchProgress) => void;
}

/** WebCrypto's names of the algorithms it has (no MD5). */
const SUBTLE: Partial<Record<DataChecksum['algorithm'], string>> = { sha256: 'SHA-256', sha1: 'SHA-1' };

/**
 * Fetches a known data file from `opts.url` + its base name, checks it against the registry's
 * checksums and unpacks gzip; returns what `loadDataFile` returns (`source: 'url'`).
 *
 * @example
 * const f = await fetchDataFile('fashion-mnist/t10k-labels-idx1-ubyte.gz', { url: 'data/fashion-mnist/' });
 * f.bytes.length; // 10008
 */
export async function fetchDataFile(name: string | DataFileSpec, opts: FetchDataOptions): Promise<LoadedDataFile> {
  const spec = typeof name === 'string' ? getDataFileSpec(name) : name;
  const o = checkOptions(opts);
  const base = spec.name.slice(spec.name.lastIndexOf('/') + 1);
  const url = fileUrl(o.url, base);
  if (typeof fetch !== 'function') throw new ValueError(`fetchDataFile(${spec.name}): this runtime has no fetch()`);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new DataNotFoundError(`fetchDataFile(${spec.name}): could not fetch ${url} (${(e as Error).message})`);
  }
  if (!res.ok)
    throw new DataNotFoundError(
      `fetchDataFile(${spec.name}): ${url} answered ${res.status} ${res.statusText}; serve ${base} there (canonical copy: ${spec.url})`,
    );
  const file = await readBody(res, base, o.onProgress);
  const gzip = isGzip(file);
  const bytes = gzip ? gunzip(file, url) : file;
  if (o.verify === false) return { spec, path: url, source: 'url', bytes, gzip, matched: null };
  const applicable = applicableChecksums(spec, gzip).filter((c) => SUBTLE[c.algorithm] !== undefined);
  if (applicable.length === 0) return { spec, path: url, source: 'url', bytes, gzip, matched: null };
  const digests = new Map<DataChecksum, string>();
  for (const c of applicable) digests.set(c, await subtleHex(c.algorithm, c.over === 'unpacked' ? bytes : file));
  const matched = applicable.find((c) => digests.get(c) === c.hex);
  if (!matched) throw checksumMismatch(spec, applicable, (c) => digests.get(c)!, bytes, gzip, url);
  return { spec, path: url, source: 'url', bytes, gzip, matched };
}

function checkOptions(opts: FetchDataOptions): FetchDataOptions {
  if (typeof opts !== 'object' || opts === null || typeof opts.url !== 'string' || opts.url === '')
    throw new ValueError(`fetchDataFile: opts.url must be the folder URL the data files are served from, got ${JSON.stringify(opts)}`);
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function')
    throw new ValueError(`fetchDataFile: onProgress must be a function, got ${typeof opts.onProgress}`);
  return opts;
}

/** `folder` + `base`, resolved against the page when the folder is relative. */
function fileUrl(folder: string, base: string): string {
  const dir = folder.endsWith('/') ? folder : folder + '/';
  const page = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(base, new URL(dir, page)).href;
  } catch {
    throw new ValueError(`fetchDataFile: '${folder}' is not a URL${page ? '' : ' (a relative URL needs a page to resolve against)'}`);
  }
}

async function readBody(res: Response, file: string, onProgress?: (p: FetchProgress) => void): Promise<Uint8Array> {
  const header = res.headers.get('content-length');
  const total = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  if (!res.body || !onProgress) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress({ file, loaded, total });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress({ file, loaded, total });
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function gunzip(b: Uint8Array, where: string): Uint8Array {
  try {
    return gunzipSync(b);
  } catch (e) {
    throw new CorruptDataError(`${where}: not a valid gzip file (${(e as Error).message}); the copy served there is truncated or corrupt`);
  }
}

async function subtleHex(algorithm: DataChecksum['algorithm'], b: Uint8Array): Promise<string> {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (!subtle)
    throw new ValueError('fetchDataFile: no crypto.subtle here to check the file (a page must be served over https or from localhost)');
  const digest = await subtle.digest(SUBTLE[algorithm]!, b as unknown as BufferSource);
  return Array.from(new Uint8Array(digest), (x) => x.toString(16).padStart(2, '0')).join('');
}
