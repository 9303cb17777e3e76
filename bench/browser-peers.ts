/**
 * The browser peers of `npm run bench:compare` (and `npm run bench`): one workload of one peer,
 * bundled with esbuild, served from a temporary folder on localhost with cross-origin isolation
 * (COOP/COEP, so every peer may use threads), and run in a dedicated Worker of a page in headless
 * Chromium (Debian's, through playwright-core, as the browser tests). The page's RESULT lines are
 * printed as the Node peers print theirs, with the browser added.
 *
 *   node dist/bench/browser-peers.js d2l-ts-browser w3_softmax_regression
 *   node dist/bench/browser-peers.js tfjs-wasm-browser w3_softmax_regression --peers-dir=/tmp/d2l-ts-bench-peers
 *   node dist/bench/browser-peers.js jax-js-browser w3_softmax_regression --epochs=1   # a quick check, not a timing
 *
 * Peers: d2l-ts-browser runs bench/w3-softmax-regression.ts itself (bench/browser/d2l-entry.ts:
 * `ready()`, Fashion-MNIST fetched); tfjs-wasm-browser and jax-js-browser run the shared scripts
 * unchanged (tfjs_bench.mjs --backend=wasm, jaxjs_bench.mjs --device=wasm) from the peers'
 * folder that bench/compare.ts prepares (`npm ci`). Their Node built-ins (files, gunzip, paths)
 * come from bench/browser/shims/, over files the page fetches first; every peer reads the same
 * workloads.json and IDX files. `--epochs=N` shortens every peer's run (workloads.json's epochs
 * for the shared scripts), for a check that the pipeline works; the record says so.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, repoRoot, sharedBenchDir, workloads } from './w3-w5-harness.js';

/** The browser peers and the workloads each runs. */
export const BROWSER_PEERS = {
  'd2l-ts-browser': ['w3_softmax_regression'],
  'tfjs-wasm-browser': ['w3_softmax_regression'],
  'jax-js-browser': ['w3_softmax_regression'],
} as const;
export type BrowserPeer = keyof typeof BROWSER_PEERS;

const FMNIST = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

const PAGE = `<!doctype html><meta charset="utf-8"><title>d2l-ts bench</title><script type="module" src="./main.js"></script>`;
// The page only relays the worker's messages to the runner.
const MAIN = `const w = new Worker('./worker.js', { type: 'module' });
w.onmessage = (e) => {
  const m = e.data;
  if (m.line !== undefined) window.__benchLine(m.stream, m.line);
  if (m.done !== undefined) window.__benchDone(m.done);
};
w.onerror = (e) => { window.__benchLine('stderr', 'worker error: ' + e.message); window.__benchDone(1); };`;

/**
 * Where Chromium is: $CHROMIUM_PATH, then Debian's (as test/browser/harness.ts looks); undefined
 * when there is none.
 *
 * @example
 * chromiumPath(); // '/usr/bin/chromium' with Debian's package
 */
export function chromiumPath(): string | undefined {
  return [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));
}

interface Plan {
  /** The module the worker imports after its files are fetched. */
  entry: string;
  /** Files for the fs shim: name (matched at a path's end) -> path on this machine. */
  files: Record<string, string>;
  /** Files served beside the bundle (tfjs' .wasm binaries). */
  assets: string[];
  argv: string[];
  /** Folders whose packages the bundle resolves (the peers' node_modules). */
  nodePaths: string[];
  /** Source folders whose `process.` uses go to the process shim. */
  benchDirs: string[];
}

function plan(peer: BrowserPeer, w: string, dir: string, peersDir: string, epochs: number | null): Plan {
  const root = repoRoot();
  const distBench = dirname(fileURLToPath(import.meta.url));
  const fmnistDir = workloads().fashion_mnist_dir;
  const files: Record<string, string> = {};
  for (const f of FMNIST) files[f] = join(fmnistDir, f);
  // The shared scripts read workloads.json beside them; with --epochs, a copy with fewer epochs.
  let wl = join(sharedBenchDir(), 'workloads.json');
  if (epochs !== null) {
    const cfg = JSON.parse(readFileSync(wl, 'utf8')) as Record<string, { epochs?: number }>;
    for (const v of Object.values(cfg)) if (v && typeof v === 'object' && 'epochs' in v) v.epochs = epochs;
    wl = join(dir, 'workloads.short.json');
    writeFileSync(wl, JSON.stringify(cfg));
  }
  files['workloads.json'] = wl;
  if (peer === 'd2l-ts-browser') {
    // Its data is fetched by the d2l-ts page itself (fmnist/ beside the bundle); the harness reads
    // the package's package.json (version) and workloads.json through the fs shim.
    mkdirSync(join(dir, 'fmnist'));
    for (const f of FMNIST) copyFileSync(join(fmnistDir, f), join(dir, 'fmnist', f));
    files['package.json'] = join(root, 'package.json');
    return {
      entry: join(distBench, 'browser', 'd2l-entry.js'),
      files,
      assets: [],
      argv: [`--peer=${peer}`, ...(epochs !== null ? [`--epochs=${epochs}`] : [])],
      nodePaths: [],
      benchDirs: [distBench],
    };
  }
  const nm = join(peersDir, 'node_modules');
  if (peer === 'tfjs-wasm-browser') {
    const wasmDir = join(nm, '@tensorflow', 'tfjs-backend-wasm', 'dist');
    const assets = readdirSync(wasmDir)
      .filter((f) => f.endsWith('.wasm'))
      .map((f) => join(wasmDir, f));
    // tfjs-backend-wasm finds its binaries beside the bundle once told where (setWasmPaths).
    const entry = join(dir, 'tfjs-entry.mjs');
    writeFileSync(
      entry,
      `import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';\n` +
        `setWasmPaths(new URL('./', import.meta.url).href);\n` +
        `await import(${JSON.stringify(join(peersDir, 'tfjs_bench.mjs'))});\n`,
    );
    return { entry, files, assets, argv: [w, '--backend=wasm'], nodePaths: [nm], benchDirs: [peersDir, dir] };
  }
  files['node_modules/@jax-js/jax/package.json'] = join(nm, '@jax-js', 'jax', 'package.json');
  return {
    entry: join(peersDir, 'jaxjs_bench.mjs'),
    files,
    assets: [],
    argv: [w, '--device=wasm'],
    nodePaths: [nm],
    benchDirs: [peersDir],
  };
}

/** Bundles the worker (and d2l-ts's kernel worker) into `dir` with the Node built-ins shimmed for the bench files. */
async function bundle(p: Plan, dir: string, peer: BrowserPeer): Promise<void> {
  const { build } = await import('esbuild');
  const distBench = dirname(fileURLToPath(import.meta.url));
  const shims = join(distBench, 'browser', 'shims');
  const inBench = (f: string) => p.benchDirs.some((d) => f.startsWith(d + '/')) && !f.includes('/node_modules/') && !f.startsWith(shims);
  const entryPoints: Record<string, string> = { worker: join(distBench, 'browser', 'worker.js') };
  if (peer === 'd2l-ts-browser') entryPoints['worker-web'] = join(repoRoot(), 'dist', 'src', 'backend', 'cpu', 'threads', 'worker-web.js');
  await build({
    entryPoints,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    outdir: dir,
    nodePaths: p.nodePaths,
    logLevel: 'error',
    plugins: [
      {
        name: 'bench-browser',
        setup(b) {
          b.onResolve({ filter: /^bench-entry$/ }, () => ({ path: p.entry }));
          b.onResolve({ filter: /^(node:)?(fs|zlib|path|url)$/ }, (a) =>
            inBench(a.importer) ? { path: join(shims, `${a.path.replace(/^node:/, '')}.js`) } : undefined,
          );
          b.onLoad({ filter: /\.m?js$/ }, (a) => {
            if (!inBench(a.path)) return undefined;
            const text = readFileSync(a.path, 'utf8');
            if (!/\bprocess\./.test(text)) return undefined;
            const shim = JSON.stringify(join(shims, 'process.js'));
            return {
              contents: `import { __benchProcess } from ${shim};\n` + text.replace(/(?<![.\w])process\./g, '__benchProcess.'),
              loader: 'js',
              resolveDir: dirname(a.path),
            };
          });
        },
      },
    ],
  });
}

/** Serves `dir` with COOP/COEP on a free localhost port. */
async function serve(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.mjs': 'text/javascript',
    '.json': 'application/json',
    '.wasm': 'application/wasm',
  };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = resolve(dir, '.' + (path === '/' ? '/index.html' : path));
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    };
    if (!file.startsWith(dir + '/') || !existsSync(file)) {
      res.writeHead(path === '/favicon.ico' ? 204 : 404, headers).end();
      return;
    }
    const ext = /\.[a-z]+$/.exec(file)?.[0] ?? '';
    res.writeHead(200, { ...headers, 'Content-Type': types[ext] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const a = server.address();
  if (!a || typeof a === 'string') throw new Error('browser-peers: no port');
  return {
    url: `http://127.0.0.1:${a.port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

/**
 * Runs `peer`'s `workload` in headless Chromium and prints its RESULT lines (peer and browser
 * set); returns the exit code (0: a RESULT came and the run ended cleanly).
 *
 * @example
 * await runBrowserPeer('d2l-ts-browser', 'w3_softmax_regression', { peersDir: '/tmp/d2l-ts-bench-peers' });
 */
export async function runBrowserPeer(
  peer: BrowserPeer,
  workload: string,
  o: { peersDir: string; epochs?: number | null; timeoutS?: number },
): Promise<number> {
  if (!(peer in BROWSER_PEERS)) throw new Error(`browser-peers: unknown peer '${peer}' (known: ${Object.keys(BROWSER_PEERS).join(', ')})`);
  if (!(BROWSER_PEERS[peer] as readonly string[]).includes(workload))
    throw new Error(`browser-peers: ${peer} runs ${BROWSER_PEERS[peer].join(', ')}, not '${workload}'`);
  const epochs = o.epochs ?? null;
  if (epochs !== null && (!Number.isInteger(epochs) || epochs < 1))
    throw new Error(`browser-peers: --epochs must be a positive integer (got ${epochs})`);
  const exe = chromiumPath();
  if (!exe) {
    console.error('browser-peers: no Chromium (apt-get install chromium, or set CHROMIUM_PATH)');
    return 3;
  }
  if (peer !== 'd2l-ts-browser' && !existsSync(join(o.peersDir, 'node_modules')))
    throw new Error(`browser-peers: ${o.peersDir}/node_modules is missing (bench:compare installs it with npm ci)`);
  const dir = mkdtempSync(join(tmpdir(), 'd2l-bench-page-'));
  try {
    const p = plan(peer, workload, dir, o.peersDir, epochs);
    await bundle(p, dir, peer);
    for (const a of p.assets) copyFileSync(a, join(dir, a.split('/').pop()!));
    // The fs shim's files are served under /files/ and fetched by name.
    mkdirSync(join(dir, 'files'));
    const files: Record<string, string> = {};
    Object.entries(p.files).forEach(([name, path], i) => {
      copyFileSync(path, join(dir, 'files', String(i)));
      files[name] = `./files/${i}`;
    });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ argv: p.argv, env: {}, files }));
    writeFileSync(join(dir, 'index.html'), PAGE);
    writeFileSync(join(dir, 'main.js'), MAIN);
    const server = await serve(dir);
    const { chromium: pw } = await import('playwright-core');
    const browser = await pw.launch({ executablePath: exe, headless: true, timeout: 30_000, args: ['--no-sandbox'] });
    let code = 1;
    let results = 0;
    try {
      const page = await browser.newPage();
      const done = new Promise<number>((ok) => void page.exposeFunction('__benchDone', (c: number) => ok(Number(c))));
      await page.exposeFunction('__benchLine', (stream: string, line: string) => {
        if (stream === 'stdout' && line.startsWith('RESULT ')) {
          const rec = JSON.parse(line.slice(7)) as Record<string, unknown>;
          Object.assign(rec, { peer, browser: `Chromium ${browser.version()}`, ...(epochs !== null && { epochs_override: epochs }) });
          console.log('RESULT ' + JSON.stringify(rec));
          results++;
        } else (stream === 'stdout' ? console.log : console.error)(line);
      });
      page.on('pageerror', (e) => console.error(`browser-peers: page error: ${e.message}`));
      // Errors of threads the peers start themselves (their console is not the relayed one).
      page.on('console', (m) => {
        if (m.type() === 'error') console.error(`browser-peers: console error: ${m.text()}`);
      });
      await page.goto(`${server.url}/index.html`);
      if (!(await page.evaluate(() => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated)))
        throw new Error('browser-peers: the page is not cross-origin isolated');
      const timeout = new Promise<number>((ok) => setTimeout(() => ok(124), (o.timeoutS ?? 1800) * 1000).unref());
      code = await Promise.race([done, timeout]);
      if (code === 124) console.error(`browser-peers: ${peer} ${workload} timed out`);
    } finally {
      await browser.close();
      await server.close();
    }
    return code === 0 && results > 0 ? 0 : code || 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const args = parseArgs();
  const [peer, workload] = args._ as [BrowserPeer, string];
  if (!peer || !workload || !(peer in BROWSER_PEERS)) {
    console.error(
      `usage: node dist/bench/browser-peers.js <${Object.keys(BROWSER_PEERS).join('|')}> <workload> [--peers-dir=DIR] [--epochs=N] [--timeout-s=S]`,
    );
    return 2;
  }
  const peersDir = resolve(typeof args['peers-dir'] === 'string' ? args['peers-dir'] : join(tmpdir(), 'd2l-ts-bench-peers'));
  return runBrowserPeer(peer, workload, {
    peersDir,
    epochs: typeof args.epochs === 'string' ? Number(args.epochs) : null,
    timeoutS: typeof args['timeout-s'] === 'string' ? Number(args['timeout-s']) : undefined,
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main().then(
    (c) => process.exit(c),
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : e);
      process.exit(1);
    },
  );
