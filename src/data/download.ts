/**
 * Downloading a data file into the cache: progress on stderr (a cli-progress bar on a terminal,
 * periodic plain lines otherwise), checksum verification before the file becomes visible, and an
 * atomic write (temp file in the same directory, then rename). A server that stops sending
 * (no response, or a body that stalls) is abandoned after `timeoutMs` without data. A cache that
 * cannot be written is a CacheWriteError that still carries the verified bytes, so the caller can
 * use them for this run.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from '#platform'; // Node-only: see src/platform/
import { tmpdir } from '#platform'; // Node-only: see src/platform/
import { basename, dirname, join } from '#platform'; // Node-only: see src/platform/
import { cliProgress } from '#platform'; // Node-only: see src/platform/
import { D2LError } from '../core/errors.js';
import type { DataFileSpec } from './registry.js';
import { verifyDataBytes, type VerifiedData } from './verify.js';

/**
 * A download that failed: network error, HTTP error status, or a body that ended early.
 * @example await downloadDataFile(spec, url, dest).catch((e) => { if (e instanceof DownloadError) console.error(e.message); });
 */
export class DownloadError extends D2LError {}

/**
 * The download succeeded and verified, but the cache could not be written (a cache directory
 * under a regular file, no permission, a full disk...). `data` holds the verified content and
 * `tempPath` a copy in the system's temporary directory (removed when the process exits), or
 * null if even that could not be written.
 * @example catch (e) { if (e instanceof CacheWriteError) use(e.data.bytes); }
 */
export class CacheWriteError extends D2LError {
  constructor(
    message: string,
    readonly data: VerifiedData,
    readonly tempPath: string | null,
  ) {
    super(message);
  }
}

/** The default of `DownloadOptions.timeoutMs`: one minute without data. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 60_000;

/** The subset of `fetch` the downloader uses (inject one in tests). */
export type FetchLike = (
  url: string,
  init?: { signal?: AbortSignal },
) => Promise<{
  ok: boolean;
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null;
}>;

/** How download progress is shown: `auto` = a bar when the stream is a TTY, else plain lines. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface DownloadOptions {
  /** The fetch function (default: the global fetch). */
  fetch?: FetchLike;
  /** Progress display (default `auto`). */
  progress?: ProgressMode;
  /** Where progress goes (default process.stderr). */
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Milliseconds between two plain progress lines when the size is unknown (default 2000). */
  lineIntervalMs?: number;
  /**
   * Milliseconds to wait for the response, and then for each further piece of the body, before
   * the download is abandoned with a DownloadError (default 60000).
   */
  timeoutMs?: number;
}

function mb(n: number): string {
  return (n / 1048576).toFixed(1);
}

interface Progress {
  update(received: number): void;
  stop(ok: boolean): void;
}

function makeProgress(label: string, total: number, opts: DownloadOptions): Progress {
  const stream = opts.progressStream ?? process.stderr;
  let mode = opts.progress ?? 'auto';
  if (mode === 'auto') mode = stream.isTTY ? 'bar' : 'lines';
  if (mode === 'none') return { update() {}, stop() {} };
  if (mode === 'bar') {
    const bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WriteStream,
        format: `${label} [{bar}] {percentage}% | {got}/{size} MB | {eta_formatted}`,
        hideCursor: true,
        noTTYOutput: !stream.isTTY,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total > 0 ? total : 1, 0, { got: '0.0', size: total > 0 ? mb(total) : '?' });
    return {
      update: (r) => bar.update(total > 0 ? r : 0, { got: mb(r) }),
      stop: () => bar.stop(),
    };
  }
  // Plain lines (logs, CI): one at each further 10% when the size is known, and at most one per
  // `interval` ms otherwise.
  const interval = opts.lineIntervalMs ?? 2000;
  let last = Date.now();
  let lastDecile = 0;
  const line = (r: number) => (total > 0 ? `${mb(r)}/${mb(total)} MB (${Math.floor((100 * r) / total)}%)` : `${mb(r)} MB`);
  stream.write(`${label}: starting (${total > 0 ? mb(total) + ' MB' : 'size unknown'})\n`);
  return {
    update(r) {
      const now = Date.now();
      const decile = total > 0 ? Math.floor((10 * r) / total) : 0;
      if (total > 0 ? decile > lastDecile : now - last >= interval) {
        stream.write(`${label}: ${line(r)}\n`);
        last = now;
        lastDecile = decile;
      }
    },
    stop(ok) {
      stream.write(`${label}: ${ok ? 'done' : 'failed'}\n`);
    },
  };
}

/** Reads a body piece by piece; `cancel` stops it (best effort, never throws). */
function bodyReader(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): {
  next(): Promise<IteratorResult<Uint8Array>>;
  cancel(): void;
} {
  if (Symbol.asyncIterator in body) {
    const it = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    return { next: () => it.next(), cancel: () => void it.return?.()?.catch?.(() => {}) };
  }
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  return {
    next: () => reader.read() as Promise<IteratorResult<Uint8Array>>,
    cancel: () => void reader.cancel().catch(() => {}),
  };
}

/**
 * Downloads `url` to `dest`: shows progress, verifies the content against `spec`'s checksums, and
 * only then moves it into place (temp file + rename), so `dest` is never a partial file. Returns
 * the verified content (unpacked when gzip).
 *
 * @example
 * const spec = getDataFileSpec('fashion-mnist/t10k-labels-idx1-ubyte.gz');
 * await downloadDataFile(spec, spec.url, '/home/me/.cache/d2l-ts/fashion-mnist/t10k-labels-idx1-ubyte.gz');
 */
export async function downloadDataFile(spec: DataFileSpec, url: string, dest: string, opts: DownloadOptions = {}): Promise<VerifiedData> {
  const fetchFn: FetchLike = opts.fetch ?? (globalThis.fetch as unknown as FetchLike);
  if (!fetchFn) throw new DownloadError(`downloading ${url}: no fetch function is available in this runtime`);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  if (!(timeoutMs > 0))
    throw new DownloadError(`downloading ${url}: timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  // One deadline, re-armed whenever data arrives: it aborts the request (the real fetch drops the
  // connection) and rejects whatever the download is waiting on (an injected fetch may ignore the
  // signal).
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expire: (e: Error) => void = () => {};
  const deadline = new Promise<never>((_, reject) => (expire = reject));
  deadline.catch(() => {});
  const arm = (why: () => string) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const e = new DownloadError(`downloading ${url}: timed out: ${why()} (timeoutMs ${timeoutMs}); retry later or download it by hand`);
      expire(e);
      abort.abort(e);
    }, timeoutMs);
  };
  const seconds = `${timeoutMs / 1000} s`;
  let res: Awaited<ReturnType<FetchLike>>;
  let received = 0;
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    arm(() => `no response from the server within ${seconds}`);
    try {
      res = await Promise.race([fetchFn(url, { signal: abort.signal }), deadline]);
    } catch (e) {
      if (e instanceof DownloadError) throw e;
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new DownloadError(`downloading ${url}: ${(e as Error).message}${cause ? ` (${cause})` : ''}`);
    }
    if (!res.ok) throw new DownloadError(`downloading ${url}: the server answered HTTP ${res.status} ${res.statusText}`.trimEnd());
    if (!res.body) throw new DownloadError(`downloading ${url}: the response has no body`);
    total = Number(res.headers.get('content-length') ?? 0) || 0;
    const progress = makeProgress(`downloading ${basename(dest)}`, total, opts);
    const reader = bodyReader(res.body);
    let ok = false;
    try {
      for (;;) {
        arm(() => `the body stalled: no data for ${seconds} after ${received}${total > 0 ? ` of ${total}` : ''} bytes`);
        const r = await Promise.race([reader.next(), deadline]);
        if (r.done) break;
        parts.push(r.value);
        received += r.value.length;
        progress.update(received);
      }
      ok = true;
    } catch (e) {
      reader.cancel();
      if (e instanceof DownloadError) throw e;
      throw new DownloadError(`downloading ${url}: the transfer broke off after ${received} bytes (${(e as Error).message})`);
    } finally {
      progress.stop(ok);
    }
  } finally {
    clearTimeout(timer);
  }
  if (total > 0 && received !== total)
    throw new DownloadError(`downloading ${url}: got ${received} bytes but the server announced ${total}`);
  const file = new Uint8Array(received);
  let o = 0;
  for (const c of parts) {
    file.set(c, o);
    o += c.length;
  }
  const verified = verifyDataBytes(spec, file, `downloaded from ${url}`);
  const tmp = `${dest}.part-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(tmp, file);
    renameSync(tmp, dest);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* the folder itself is unusable: there is no temporary file */
    }
    const tempPath = tempCopy(dest, file);
    throw new CacheWriteError(
      `could not cache ${url} as ${dest}: ${(e as NodeJS.ErrnoException).code ?? ''} ${(e as Error).message}`.replace('  ', ' ') +
        ` (check XDG_CACHE_HOME / the cacheDir option); the verified download is used for this run only` +
        (tempPath ? ` (a copy is at ${tempPath} until the process exits)` : ' (from memory)'),
      verified,
      tempPath,
    );
  }
  return verified;
}

/** Writes `bytes` into a fresh folder of the system temp directory, removed at exit; null if that fails too. */
function tempCopy(dest: string, bytes: Uint8Array): string | null {
  try {
    const dir = mkdtempSync(join(tmpdir(), 'd2l-ts-uncached-'));
    const p = join(dir, basename(dest));
    writeFileSync(p, bytes);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return p;
  } catch {
    return null;
  }
}
