/**
 * The one data resolver (ARCHITECTURE.md, "Where data comes from"). Every data set finds its
 * files here, in this order:
 *
 * 1. an explicit option (`dataDir`, or a data set's `root`), then the `--data-dir` flag of the
 *    running program (or `setDefaultDataDir`, which the CLI calls);
 * 2. the environment variable `D2L_DATA_DIR`;
 * 3. the cache `$XDG_CACHE_HOME/d2l-ts` (default `~/.cache/d2l-ts`);
 * 4. known system locations (`/usr/share/datasets/fashion-mnist` from Debian's
 *    `dataset-fashion-mnist`, MXNet's `~/.mxnet/datasets/...`);
 * 5. a download from the canonical URL into the cache (async API only), with progress and a
 *    checksum check.
 *
 * In a data directory a file is looked up as `<dir>/<name>` (e.g. `fashion-mnist/train-...gz`)
 * and `<dir>/<base name>`, each also without `.gz` (an unpacked copy). Every file found is
 * verified against the registry's checksums (over the unpacked content for .gz). A corrupt file
 * given explicitly is an error; elsewhere it is skipped with a warning and reported if nothing
 * better turns up. When everything fails the error lists every place looked and how to get the data.
 */
import { existsSync, readFileSync, statSync } from '#platform'; // Node-only: see src/platform/
import { homedir } from '#platform'; // Node-only: see src/platform/
import { basename, join, resolvePath } from '#platform'; // Node-only: see src/platform/
import { D2LError } from '../core/errors.js';
import { getDataFileSpec, type DataFileSpec } from './registry.js';
import { CorruptDataError, verifyDataBytes, type VerifiedData } from './verify.js';
import { CacheWriteError, downloadDataFile, type DownloadOptions } from './download.js';

/**
 * No usable copy of a data file was found (and none could be downloaded). The message lists every
 * place looked and how to get the file.
 * @example try { new vision.FashionMNIST(); } catch (e) { if (e instanceof DataNotFoundError) console.error(e.message); }
 */
export class DataNotFoundError extends D2LError {}

/**
 * A data directory the user named (the `dataDir` or `root` option, the `--data-dir` flag,
 * `setDefaultDataDir`, `D2L_DATA_DIR`) does not exist or is not a directory. It is an error
 * rather than a place skipped, so a typo never makes a job silently train on another copy.
 * @example try { loadDataFileSync(name, { dataDir: '/typo' }); } catch (e) { if (e instanceof DataDirError) console.error(e.message); }
 */
export class DataDirError extends DataNotFoundError {}

/**
 * Throws a DataDirError unless `dir` (named by `what`, e.g. "the --data-dir flag") is an existing
 * directory.
 * @example checkDataDir('/data/d2l', 'the --data-dir flag');
 */
export function checkDataDir(dir: string, what: string, looking = ''): void {
  let st;
  try {
    st = statSync(dir);
  } catch {
    st = null;
  }
  if (st?.isDirectory()) return;
  throw new DataDirError(
    `${looking ? looking + ': ' : ''}${what} names ${dir}, which ${st ? 'is not a directory' : 'does not exist'}; ` +
      `expected a directory holding the data files. Fix the path, or remove the setting to search the other places ` +
      `(D2L_DATA_DIR, the cache, system locations)`,
  );
}

/** Where a file came from, in the resolver's search order. */
export type DataSource = 'option' | 'flag' | 'env' | 'cache' | 'system' | 'download' | 'url';

export interface DataResolveOptions extends DownloadOptions {
  /** An explicit data directory (step 1; the `--data-dir` flag is read when this is absent). */
  dataDir?: string;
  /** Further explicit directories tried right after `dataDir` (a data set's `root`). */
  extraDirs?: string[];
  /** The environment (default process.env): `D2L_DATA_DIR`, `XDG_CACHE_HOME`, `HOME`. */
  env?: Record<string, string | undefined>;
  /** Command-line arguments searched for `--data-dir` (default process.argv; [] to ignore). */
  argv?: readonly string[];
  /** The cache directory (default `$XDG_CACHE_HOME/d2l-ts` or `~/.cache/d2l-ts`). */
  cacheDir?: string;
  /** Known system directories holding the file under its base name (default: the registry's). */
  systemDirs?: string[];
  /** Whether the async API may download (default true). */
  download?: boolean;
  /** Base URL replacing the canonical one's directory: `<baseUrl>/<base name>` (mirrors, tests). */
  baseUrl?: string;
  /** Verify checksums (default true). */
  verify?: boolean;
  /** Where warnings go (default process.stderr). */
  warn?: (msg: string) => void;
}

/** A file the resolver found. */
export interface ResolvedDataFile {
  spec: DataFileSpec;
  path: string;
  source: DataSource;
}

/** A found file with its verified content (unpacked when gzip). */
export interface LoadedDataFile extends ResolvedDataFile, VerifiedData {}

let defaultDataDir: string | undefined;

/**
 * Sets the data directory used when no `dataDir` option is given (the CLI's `--data-dir`).
 * Pass undefined to clear it.
 *
 * @example
 * setDefaultDataDir('/data/d2l'); // files are then looked up in /data/d2l first
 */
export function setDefaultDataDir(dir: string | undefined): void {
  defaultDataDir = dir;
}

/**
 * The value of `--data-dir DIR` or `--data-dir=DIR` in `argv`, if any.
 * @example dataDirFromArgv(['node', 'main.js', '--data-dir', '/data']); // '/data'
 */
export function dataDirFromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--data-dir' && i + 1 < argv.length) return argv[i + 1];
    if (a.startsWith('--data-dir=')) return a.slice('--data-dir='.length);
  }
  return undefined;
}

function expandHome(p: string, env: Record<string, string | undefined>): string {
  return p === '~' || p.startsWith('~/') ? join(env.HOME || homedir(), p.slice(1)) : p;
}

/**
 * The cache directory: `$XDG_CACHE_HOME/d2l-ts`, else `~/.cache/d2l-ts`.
 * @example defaultCacheDir(); // '/home/me/.cache/d2l-ts'
 */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return xdg && xdg.startsWith('/') ? join(xdg, 'd2l-ts') : join(env.HOME || homedir(), '.cache', 'd2l-ts');
}

interface Place {
  source: DataSource;
  /** What to print: "the dataDir option /x". */
  what: string;
  dir: string;
  /** Candidate files in that directory. */
  candidates: string[];
}

function candidatesIn(dir: string, spec: DataFileSpec, layout: 'data-dir' | 'flat'): string[] {
  const base = basename(spec.name);
  const names = layout === 'flat' ? [base] : [...new Set([spec.name, base])];
  const out: string[] = [];
  for (const n of names) {
    out.push(join(dir, n));
    if (n.endsWith('.gz')) out.push(join(dir, n.slice(0, -3)));
  }
  return out;
}

function placesFor(spec: DataFileSpec, opts: DataResolveOptions): { places: Place[]; notes: string[] } {
  const env = opts.env ?? process.env;
  const places: Place[] = [];
  const notes: string[] = [];
  const add = (source: DataSource, what: string, dir: string, layout: 'data-dir' | 'flat') => {
    const d = resolvePath(expandHome(dir, env));
    // A directory the user named must exist (system locations are only candidates).
    if (source !== 'system') checkDataDir(d, what, `${spec.name} (${spec.dataset})`);
    places.push({ source, what: `${what} ${d}`, dir: d, candidates: candidatesIn(d, spec, layout) });
  };
  if (opts.dataDir) add('option', 'the dataDir option', opts.dataDir, 'data-dir');
  for (const d of opts.extraDirs ?? []) add('option', 'the root option', d, 'data-dir');
  if (!opts.dataDir) {
    const flag = dataDirFromArgv(opts.argv ?? process.argv);
    if (flag) add('flag', 'the --data-dir flag', flag, 'data-dir');
    else if (defaultDataDir) add('flag', 'the default data directory (setDefaultDataDir / --data-dir)', defaultDataDir, 'data-dir');
  }
  if (env.D2L_DATA_DIR) add('env', 'the environment variable D2L_DATA_DIR', env.D2L_DATA_DIR, 'data-dir');
  else notes.push('D2L_DATA_DIR: not set');
  const cache = opts.cacheDir ?? defaultCacheDir(env);
  places.push({
    source: 'cache',
    what: `the cache ${resolvePath(cache)}`,
    dir: resolvePath(cache),
    candidates: [join(resolvePath(cache), spec.name)],
  });
  for (const d of opts.systemDirs ?? spec.systemDirs ?? []) add('system', 'the system location', d, 'flat');
  return { places, notes };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function specOf(nameOrSpec: string | DataFileSpec): DataFileSpec {
  return typeof nameOrSpec === 'string' ? getDataFileSpec(nameOrSpec) : nameOrSpec;
}

interface SearchResult {
  found: LoadedDataFile | null;
  looked: string[];
  corrupt: { source: DataSource; path: string; error: CorruptDataError }[];
}

/** Steps 1-4: the first file that exists and verifies. */
function searchLocal(spec: DataFileSpec, opts: DataResolveOptions, load: boolean): SearchResult {
  const { places, notes } = placesFor(spec, opts);
  const looked: string[] = [...notes];
  const corrupt: SearchResult['corrupt'] = [];
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  for (const place of places) {
    const hit = place.candidates.find(isFile);
    if (!hit) {
      const exists = existsSync(place.dir);
      looked.push(
        `${place.what}: ${exists ? 'no ' + place.candidates.map((c) => c.slice(place.dir.length + 1)).join(' or ') : 'directory does not exist'}`,
      );
      continue;
    }
    if (!load && opts.verify === false)
      return {
        found: { spec, path: hit, source: place.source, bytes: new Uint8Array(0), gzip: hit.endsWith('.gz'), matched: null },
        looked,
        corrupt,
      };
    try {
      const v = verifyDataBytes(spec, readFileSync(hit), hit, { verify: opts.verify });
      return { found: { spec, path: hit, source: place.source, ...v }, looked, corrupt };
    } catch (e) {
      if (!(e instanceof CorruptDataError)) throw e;
      // A file the user named explicitly must not be silently replaced by another copy.
      if (place.source === 'option' || place.source === 'flag') throw e;
      corrupt.push({ source: place.source, path: hit, error: e });
      looked.push(`${place.what}: ${hit} is corrupt (${e.message.split('\n')[0]})`);
      warn(`${e.message.split('\n')[0]}; skipping it`);
    }
  }
  return { found: null, looked, corrupt };
}

function howToGet(spec: DataFileSpec, opts: DataResolveOptions, downloadNote: string): string {
  const env = opts.env ?? process.env;
  const lines = [
    `How to get it:`,
    spec.installHint ? `  - ${spec.installHint}` : '',
    spec.noDownload ? '' : `  - download ${spec.url} into ${join(opts.cacheDir ?? defaultCacheDir(env), spec.name)}` + downloadNote,
    `  - or put the file into a directory as ${spec.name} (or ${basename(spec.name)}) and pass it with the dataDir option, ` +
      `the --data-dir flag, or the D2L_DATA_DIR environment variable`,
  ];
  return lines.filter(Boolean).join('\n');
}

function notFound(spec: DataFileSpec, opts: DataResolveOptions, looked: string[], downloadNote: string, tail = ''): DataNotFoundError {
  return new DataNotFoundError(
    `could not find the data file ${spec.name} (${spec.dataset}). Looked in:\n` +
      looked.map((l) => `  - ${l}`).join('\n') +
      tail +
      '\n' +
      howToGet(spec, opts, downloadNote),
  );
}

/**
 * Steps 1-4, synchronously: finds a local copy of a known data file, verifies it and returns its
 * content (unpacked when gzip). Never downloads; use `loadDataFile` for that.
 *
 * @example
 * const { bytes, path, source } = loadDataFileSync('fashion-mnist/t10k-labels-idx1-ubyte.gz');
 */
export function loadDataFileSync(name: string | DataFileSpec, opts: DataResolveOptions = {}): LoadedDataFile {
  const spec = specOf(name);
  const r = searchLocal(spec, opts, true);
  if (r.found) return r.found;
  throw notFound(
    spec,
    opts,
    r.looked,
    ' (or let the library do it: the async loaders download missing files, e.g. `await vision.FashionMNIST.create()` or `await d2l.loadDataFashionMnist(256)`)',
  );
}

/**
 * Steps 1-5: finds a verified local copy of a known data file or downloads it into the cache, and
 * returns its content (unpacked when gzip) with where it came from.
 *
 * @example
 * const { bytes, source } = await loadDataFile('ptb.zip', { dataDir: '../data' });
 */
export async function loadDataFile(name: string | DataFileSpec, opts: DataResolveOptions = {}): Promise<LoadedDataFile> {
  const spec = specOf(name);
  const r = searchLocal(spec, opts, true);
  if (r.found) return r.found;
  if (opts.download === false) throw notFound(spec, opts, [...r.looked, 'download: disabled (download: false)'], '');
  if (spec.noDownload) throw notFound(spec, opts, [...r.looked, `download: not done (${spec.noDownload})`], '');
  const env = opts.env ?? process.env;
  const dest = join(resolvePath(opts.cacheDir ?? defaultCacheDir(env)), spec.name);
  const url = opts.baseUrl ? opts.baseUrl.replace(/\/*$/, '/') + basename(spec.name) : spec.url;
  try {
    const v = await downloadDataFile(spec, url, dest, opts);
    return { spec, path: dest, source: 'download', ...v };
  } catch (e) {
    if (e instanceof CacheWriteError) {
      // The bytes are good: the job runs on them, only the cache is missing.
      (opts.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`)))(e.message);
      return { spec, path: e.tempPath ?? dest, source: 'download', ...e.data };
    }
    if (!(e instanceof D2LError)) throw e;
    throw notFound(spec, opts, [...r.looked, `download from ${url}: ${e.message.split('\n').join(' ')}`], '');
  }
}

/**
 * Like `loadDataFile` but returns only where the file is (verified unless `verify: false`).
 *
 * @example
 * const { path } = await resolveDataFile('timemachine.txt');
 */
export async function resolveDataFile(name: string | DataFileSpec, opts: DataResolveOptions = {}): Promise<ResolvedDataFile> {
  const { spec, path, source } = await loadDataFile(name, opts);
  return { spec, path, source };
}

/**
 * Synchronous `resolveDataFile` (steps 1-4, no download).
 *
 * @example
 * resolveDataFileSync('fashion-mnist/train-images-idx3-ubyte.gz', { verify: false }).path;
 */
export function resolveDataFileSync(name: string | DataFileSpec, opts: DataResolveOptions = {}): ResolvedDataFile {
  const spec = specOf(name);
  const r = searchLocal(spec, opts, false);
  if (r.found) return { spec, path: r.found.path, source: r.found.source };
  throw notFound(spec, opts, r.looked, '');
}
