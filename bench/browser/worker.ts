/**
 * The benchmark page's worker (bench/browser-peers.ts bundles it with one peer's workload as
 * `bench-entry`): console lines go to the page (and so to the runner's stdout/stderr), the files
 * listed in config.json are fetched for the fs shim, then the workload runs. It runs in a
 * dedicated Worker of a cross-origin isolated page, where every peer may start threads.
 */
type Post = (m: unknown) => void;
const post = (globalThis as unknown as { postMessage: Post }).postMessage.bind(globalThis);

for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const)
  console[level] = (...a: unknown[]) =>
    post({
      stream: level === 'log' ? 'stdout' : 'stderr',
      line: a.map((x) => (x instanceof Error ? (x.stack ?? x.message) : String(x))).join(' '),
    });

const fail = (e: unknown): void => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  post({ done: 1 });
};
globalThis.addEventListener('unhandledrejection', (e) => fail((e as PromiseRejectionEvent).reason));
globalThis.addEventListener('error', (e) => fail((e as ErrorEvent).error ?? (e as ErrorEvent).message));

try {
  const cfg = (await (await fetch('./config.json')).json()) as {
    argv: string[];
    env: Record<string, string>;
    files: Record<string, string>;
  };
  const files = new Map<string, Uint8Array>();
  for (const [name, url] of Object.entries(cfg.files)) {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`bench worker: ${url}: HTTP ${r.status}`);
    files.set(name, new Uint8Array(await r.arrayBuffer()));
  }
  Object.assign(globalThis, { __benchFiles: files, __benchArgv: cfg.argv, __benchEnv: cfg.env });
  // @ts-expect-error resolved by bench/browser-peers.ts's esbuild plugin to the peer's entry
  await import('bench-entry');
} catch (e) {
  fail(e);
}
