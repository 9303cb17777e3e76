/**
 * `node:fs` inside a benchmark bundle run in a page (bench/browser-peers.ts): the files the
 * runner listed, fetched by the page's worker before the workload starts (worker.ts), found by
 * the end of the path asked for (`/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz`
 * finds `t10k-labels-idx1-ubyte.gz`; the longest listed name that ends the path wins).
 */
type Files = Map<string, Uint8Array>;

function files(): Files {
  const f = (globalThis as { __benchFiles?: Files }).__benchFiles;
  if (!f) throw new Error('bench fs shim: the worker has not fetched the listed files yet');
  return f;
}

function find(path: string): Uint8Array | undefined {
  let best: string | undefined;
  for (const k of files().keys()) if ((path === k || path.endsWith('/' + k)) && (best === undefined || k.length > best.length)) best = k;
  return best === undefined ? undefined : files().get(best);
}

/**
 * The bytes of a listed file, or its text with an encoding.
 *
 * @example
 * JSON.parse(readFileSync('/bench/workloads.json', 'utf8'));
 */
export function readFileSync(path: string | URL, enc?: string | { encoding?: string }): Uint8Array | string {
  const p = String(path instanceof URL ? path.pathname : path);
  const b = find(p);
  if (!b)
    throw Object.assign(new Error(`ENOENT: bench page has no file '${p}' (not listed by bench/browser-peers.ts)`), { code: 'ENOENT' });
  const encoding = typeof enc === 'string' ? enc : enc?.encoding;
  return encoding ? new TextDecoder().decode(b) : b;
}

/**
 * Whether a file was listed.
 *
 * @example
 * existsSync('/bench/workloads.json'); // true
 */
export function existsSync(path: string | URL): boolean {
  return find(String(path instanceof URL ? path.pathname : path)) !== undefined;
}
