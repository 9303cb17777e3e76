/**
 * Unpacking and checksum verification of data files (Node only: node:crypto, node:zlib).
 */
import { createHash } from '#platform'; // Node-only: see src/platform/
import { gunzipSync } from '#platform'; // Node-only: see src/platform/
import { D2LError } from '../core/errors.js';
import type { DataChecksum, DataFileSpec } from './registry.js';

/**
 * A data file that exists but is not what it should be: truncated, corrupt, or another version.
 * @example try { loadDataFileSync('ptb.zip', { dataDir }); } catch (e) { if (e instanceof CorruptDataError) rmSync(path); }
 */
export class CorruptDataError extends D2LError {}

/** The verified content of a data file. */
export interface VerifiedData {
  /** The content: unpacked when the file was gzip, else the file's bytes. */
  bytes: Uint8Array;
  /** Whether the file was gzip. */
  gzip: boolean;
  /** The checksum that matched, or null when verification was skipped or none applied. */
  matched: DataChecksum | null;
}

/** Whether `b` starts with the gzip magic bytes 1f 8b. */
export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Unpacks gzip bytes (returns other bytes unchanged); a broken stream is a CorruptDataError naming `where`.
 *
 * @example
 * const raw = maybeGunzip(readFileSync('train-images-idx3-ubyte.gz'), 'train-images-idx3-ubyte.gz');
 */
export function maybeGunzip(b: Uint8Array, where: string): Uint8Array {
  if (!isGzip(b)) return b;
  try {
    const out = gunzipSync(b);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new CorruptDataError(
      `${where}: not a valid gzip file (${(e as Error).message}); the file is truncated or corrupt, delete it and get it again`,
    );
  }
}

/**
 * Hex digest of `b`.
 * @example hashHex('sha256', new TextEncoder().encode('abc'))
 */
export function hashHex(algorithm: string, b: Uint8Array): string {
  return createHash(algorithm).update(b).digest('hex');
}

/**
 * Unpacks `file` (the bytes of a data file) and checks it against the spec's checksums. Returns
 * the content, or throws a CorruptDataError naming `where`, the expected and the actual values.
 * With `verify: false` only the unpacking is done.
 *
 * @example
 * const { bytes } = verifyDataBytes(getDataFileSpec('ptb.zip'), readFileSync(p), p);
 */
export function verifyDataBytes(spec: DataFileSpec, file: Uint8Array, where: string, opts: { verify?: boolean } = {}): VerifiedData {
  const gzip = isGzip(file);
  const bytes = maybeGunzip(file, where);
  if (opts.verify === false) return { bytes, gzip, matched: null };
  const applicable = applicableChecksums(spec, gzip);
  if (applicable.length === 0) return { bytes, gzip, matched: null };
  const cache = new Map<string, string>();
  const digest = (c: DataChecksum): string => {
    const key = `${c.algorithm}|${c.over}`;
    let h = cache.get(key);
    if (h === undefined) cache.set(key, (h = hashHex(c.algorithm, c.over === 'unpacked' ? bytes : file)));
    return h;
  };
  for (const c of applicable) if (digest(c) === c.hex) return { bytes, gzip, matched: c };
  throw checksumMismatch(spec, applicable, digest, bytes, gzip, where);
}

/**
 * The checksums of `spec` that a copy can be checked against: a raw copy of a .gz file (already
 * unpacked) can only match the checksums of the content.
 *
 * @example
 * applicableChecksums(getDataFileSpec('ptb.zip'), false).map((c) => c.algorithm); // ['sha256', ...]
 */
export function applicableChecksums(spec: DataFileSpec, gzip: boolean): DataChecksum[] {
  const specGz = spec.name.endsWith('.gz');
  return spec.checksums.filter((c) => c.over === 'unpacked' || !specGz || gzip);
}

/**
 * The CorruptDataError for a copy that matched none of `applicable`: each expected digest beside
 * the one computed (`digest(c)`), the size check, and where the good file comes from.
 *
 * @example
 * throw checksumMismatch(spec, applicable, (c) => digests.get(c)!, bytes, gzip, url);
 */
export function checksumMismatch(
  spec: DataFileSpec,
  applicable: readonly DataChecksum[],
  digest: (c: DataChecksum) => string,
  bytes: Uint8Array,
  gzip: boolean,
  where: string,
): CorruptDataError {
  const primary = applicable[0];
  const sizeNote =
    spec.size !== undefined && (primary.over === 'unpacked' || !gzip) && bytes.length !== spec.size
      ? ` Its ${gzip ? 'unpacked ' : ''}size is ${bytes.length} bytes, expected ${spec.size}${bytes.length < spec.size ? ' (truncated?)' : ''}.`
      : '';
  const lines = applicable.map(
    (c) => `  ${c.label}: ${c.algorithm} ${c.over === 'unpacked' ? 'of the unpacked content ' : ''}${c.hex}, got ${digest(c)}`,
  );
  return new CorruptDataError(
    `${where}: checksum mismatch for ${spec.name}.${sizeNote}\n${lines.join('\n')}\n` +
      `The file is corrupt, truncated or another version: delete it and get it again (${spec.url}).`,
  );
}
