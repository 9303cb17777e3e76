/**
 * The one Chromium harness of the browser tests (the bundles, the playground, the book site):
 * Debian's Chromium driven headless by playwright-core (no browser download at install), and a
 * small static server for a built folder, with cross-origin isolation headers on request.
 *
 * @example
 * const browser = await launchChromium(t); // closed by itself when the test ends
 * if (!browser) return; // skipped with a printed reason (fails in CI)
 * const server = await serveDir('dist-site', { isolated: true });
 * t.after(() => server.close());
 * const { page, errors } = await openPage(browser, server.url + '/index.html');
 * ...
 * assert.deepEqual(errors, []);
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { requireResource } from '../helpers.js';

/** Where Chromium is looked for: `$CHROMIUM_PATH`, then Debian's `/usr/bin/chromium`. */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

/**
 * Launches headless Chromium, or skips the test (with the reason printed; a failure when
 * CI=true) when no system Chromium is installed (`apt-get install chromium`).
 * `args` adds switches, e.g. `['--enable-unsafe-webgpu']`.
 *
 * The browser is closed when the test ends, passed or failed (`t.after`): a live Chromium child
 * keeps Node's event loop alive, so a failed assertion before an explicit `close()` used to hang
 * the test file forever with no report. Closing it again yourself is harmless.
 */
export async function launchChromium(t: TestContext, args: string[] = []): Promise<Browser | undefined> {
  const executablePath = chromiumPath();
  if (!requireResource(t, executablePath !== undefined, 'Chromium (apt-get install chromium, or set CHROMIUM_PATH)')) return undefined;
  const { chromium } = await import('playwright-core');
  // --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
  const browser = await chromium.launch({ executablePath, headless: true, timeout: 30_000, args: ['--no-sandbox', ...args] });
  t.after(() => browser.close());
  return browser;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.gz': 'application/gzip',
  '.ipynb': 'application/x-ipynb+json',
};

export interface StaticServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  /** Paths requested that did not exist (broken links show up here). */
  missing: string[];
  close(): Promise<void>;
}

/**
 * Serves `root` on a free localhost port. `isolated` adds COOP/COEP (cross-origin isolation, so
 * a page may share a `WebAssembly.Memory` with workers); `headers` adds any other header (a CSP,
 * say). A directory serves its `index.html`; `/a/b` also tries `/a/b.html` (clean URLs).
 */
export async function serveDir(root: string, opts: { isolated?: boolean; headers?: Record<string, string> } = {}): Promise<StaticServer> {
  const base = resolve(root);
  if (!existsSync(base)) throw new Error(`serveDir: '${root}' does not exist (was it built?)`);
  const missing: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = findFile(base, path);
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    if (!file && path === '/favicon.ico') {
      // Chromium asks for one on every page; a 404 would be a console error in every test.
      res.writeHead(204, headers).end();
      return;
    }
    if (!file) {
      missing.push(path);
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    const type = MIME[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Cache-Control': 'no-store' }).end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('serveDir: no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    missing,
    // closeAllConnections: Chromium keeps its keep-alive sockets open, and close() alone waits
    // for them to end.
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

function findFile(base: string, urlPath: string): string | undefined {
  const p = normalize(join(base, urlPath));
  if (p !== base && !p.startsWith(base + sep)) return undefined; // no escaping the root
  for (const c of [p, join(p, 'index.html'), `${p}.html`]) if (existsSync(c) && statSync(c).isFile()) return c;
  return undefined;
}

/**
 * Opens `url` in a new page and collects its console errors and uncaught exceptions (as text),
 * so a test can assert there were none.
 */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  page.setDefaultTimeout(60_000);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors };
}

/**
 * Bundles d2l-ts for a page into `dir/d2l.js` as a user's bundler would: esbuild for
 * `platform: 'browser'`, through the package name, so package.json's `exports`/`imports`
 * conditions pick the browser files. Returns the bundle's code (for the built-ins check).
 */
export async function bundleD2l(dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const root = new URL('../../..', import.meta.url).pathname;
  writeFileSync(join(dir, 'entry.js'), "export * from 'd2l-ts';\n");
  const result = await build({
    entryPoints: [join(dir, 'entry.js')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    outfile: join(dir, 'd2l.js'),
    nodePaths: [join(root, '..')],
    alias: { 'd2l-ts': root },
    logLevel: 'silent',
  });
  if (result.errors.length) throw new Error(`bundleD2l: esbuild failed: ${JSON.stringify(result.errors)}`);
  return readFileSync(join(dir, 'd2l.js'), 'utf8');
}

/** Imports or requires of a Node built-in (a `node:` specifier or a bare core-module name). */
export const NODE_IMPORT =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["'](node:[\w/]+|fs|path|os|util|stream|zlib|worker_threads|crypto|module|events|buffer|assert|readline)["']/g;
