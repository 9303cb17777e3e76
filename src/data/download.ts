/**
 * Downloading a data file into the cache: progress on stderr (a cli-progress bar on a terminal,
 * periodic plain lines otherwise), checksum verification before the file becomes visible, and an
 * atomic write (temp file in the same directory, then rename).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import cliProgress from 'cli-progress';
import { D2LError } from '../core/errors.js';
import type { DataFileSpec } from './registry.js';
import { verifyDataBytes, type VerifiedData } from './verify.js';

/**
 * A download that failed: network error, HTTP error status, or a body that ended early.
 * @example await downloadDataFile(spec, url, dest).catch((e) => { if (e instanceof DownloadError) console.error(e.message); });
 */
export class DownloadError extends D2LError {}

/** The subset of `fetch` the downloader uses (inject one in tests). */
export type FetchLike = (url: string) => Promise<{
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

async function* chunks(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (Symbol.asyncIterator in body) {
    yield* body as AsyncIterable<Uint8Array>;
    return;
  }
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
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
  let res: Awaited<ReturnType<FetchLike>>;
  try {
    res = await fetchFn(url);
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new DownloadError(`downloading ${url}: ${(e as Error).message}${cause ? ` (${cause})` : ''}`);
  }
  if (!res.ok) throw new DownloadError(`downloading ${url}: the server answered HTTP ${res.status} ${res.statusText}`.trimEnd());
  if (!res.body) throw new DownloadError(`downloading ${url}: the response has no body`);
  const total = Number(res.headers.get('content-length') ?? 0) || 0;
  const progress = makeProgress(`downloading ${basename(dest)}`, total, opts);
  const parts: Uint8Array[] = [];
  let received = 0;
  let ok = false;
  try {
    for await (const c of chunks(res.body)) {
      parts.push(c);
      received += c.length;
      progress.update(received);
    }
    ok = true;
  } catch (e) {
    throw new DownloadError(`downloading ${url}: the transfer broke off after ${received} bytes (${(e as Error).message})`);
  } finally {
    progress.stop(ok);
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
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.part-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    writeFileSync(tmp, file);
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new DownloadError(`saving ${url} to ${dest}: ${(e as Error).message}`);
  }
  return verified;
}
