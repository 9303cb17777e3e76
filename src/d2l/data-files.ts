/**
 * The text chapters' files (the lyrics zip, ptb.zip, timemachine.txt) through the project's one
 * data resolver (src/data): explicit `dataDir`, `--data-dir`, `D2L_DATA_DIR`, the cache, known
 * system places, then a download from the canonical URL; every file is checksum-verified.
 */
import { unzipSync, strFromU8 } from 'fflate';
import { ValueError } from '../core/errors.js';
import { loadDataFile } from '../data/resolver.js';

/** Options of the text loaders. */
export interface DataOptions {
  /** Directory holding the book's data files (else the resolver's search order). */
  dataDir?: string;
  /** Whether a missing file may be downloaded into the cache (default true). */
  download?: boolean;
}

/**
 * The verified bytes of one of the book's data files (a registered name such as `ptb.zip`).
 *
 * @example
 * const bytes = await bookFileBytes('timemachine.txt', { dataDir: '../shared/data' });
 */
export async function bookFileBytes(name: string, opts: DataOptions = {}): Promise<Uint8Array> {
  const { bytes } = await loadDataFile(name, { dataDir: opts.dataDir, download: opts.download });
  return bytes;
}

/**
 * Reads one member of a zip archive (given as bytes) as UTF-8 text, through fflate. A missing
 * member or a corrupt archive is a clear error naming the archive.
 *
 * @example
 * const text = zipMemberText(await bookFileBytes('jaychou_lyrics.txt.zip'), 'jaychou_lyrics.txt', 'jaychou_lyrics.txt.zip');
 */
export function zipMemberText(zip: Uint8Array, member: string, zipName = 'the archive'): string {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, { filter: (f) => f.name === member });
  } catch (e) {
    throw new ValueError(
      `cannot read ${zipName} as a zip archive (${e instanceof Error ? e.message : e}); the file may be corrupt: delete it and fetch it again`,
    );
  }
  const data = files[member];
  if (!data) throw new ValueError(`${zipName} has no member '${member}'`);
  return strFromU8(data);
}
