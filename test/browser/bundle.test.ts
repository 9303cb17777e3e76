// The package bundled for the browser (esbuild, platform=browser, the `browser` conditions of
// package.json) has no Node built-in in it, and runs the README-like snippet in headless
// Chromium after `await d2l.ready()`, printing what the same snippet prints under Node, with no
// console errors: without cross-origin isolation (a non-shared heap) and under a CSP without
// 'unsafe-inline' or 'unsafe-eval' (the elementwise kernels and Vega's expressions interpreted),
// on the Wasm kernels and again on the TS kernels (every elementwise op through the interpreter).
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundleD2l, launchChromium, NODE_IMPORT, openPage, serveDir } from './harness.js';
import { readmeSnippet } from './snippet.js';
import * as d2l from '../../src/index.js';

const root = new URL('../../..', import.meta.url).pathname;

const PAGE = `<!doctype html><meta charset="utf-8"><title>d2l-ts bundle</title>
<script type="module" src="./main.js"></script>`;

const MAIN = `import * as d2l from './d2l.js';
import { readmeSnippet } from './snippet.js';
await d2l.ready();
window.__out = await readmeSnippet(d2l);
window.__kernels = d2l.nd.cpu().backend.kernelInfo();
d2l.nd.cpu().backend.setKernels('ts');
window.__outTs = await readmeSnippet(d2l);
d2l.nd.cpu().backend.setKernels('auto');
try { new Function('return 1'); window.__evalError = 'none'; } catch (e) { window.__evalError = e.name; }`;

test('browser bundle: no Node built-ins, README snippet runs in Chromium as in Node', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'd2l-bundle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const code = await bundleD2l(dir);
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(root, 'dist/test/browser/snippet.js')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    outfile: join(dir, 'snippet.js'),
    logLevel: 'silent',
  });
  assert.deepEqual(
    [...code.matchAll(NODE_IMPORT)].map((m) => m[1]),
    [],
    'Node built-ins imported by the browser bundle',
  );
  console.log(`# browser bundle: ${(code.length / 1024).toFixed(0)} KiB, ${(gzipSync(code).length / 1024).toFixed(0)} KiB gzip`);
  writeFileSync(join(dir, 'index.html'), PAGE);
  writeFileSync(join(dir, 'main.js'), MAIN);

  const expected = await readmeSnippet(d2l);
  const cpu = d2l.nd.cpu().backend as unknown as { setKernels(m: string): void };
  cpu.setKernels('ts');
  const expectedTs = await readmeSnippet(d2l);
  cpu.setKernels('auto');
  const browser = await launchChromium(t);
  if (!browser) return;
  // A CSP without 'unsafe-inline' or 'unsafe-eval': the Wasm kernels need 'wasm-unsafe-eval'; the
  // elementwise loops, which codegen.ts builds with new Function where it may, are interpreted.
  const csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
  const server = await serveDir(dir, { headers: { 'Content-Security-Policy': csp } });
  t.after(() => server.close());
  const { page, errors } = await openPage(browser, server.url + '/index.html');
  await page
    .waitForFunction(() => (window as unknown as { __outTs?: unknown }).__outTs !== undefined, null, { timeout: 90_000 })
    .catch(() => {});
  assert.deepEqual(errors, [], 'console errors on the page');
  const out = await page.evaluate(() => (window as unknown as { __out: string[] }).__out);
  const kernels = await page.evaluate(
    () => (window as unknown as { __kernels: { active: string; threads: number; sharedHeap: boolean; elementwise: string } }).__kernels,
  );
  assert.equal(out[0], '\n[[ 18.  20.  10.]\n [ 58.  60.  50.]\n [ 98. 100.  90.]]\n<NDArray 3x3 @cpu(0)>');
  assert.equal(out[2], '\n[[ 0.]\n [ 4.]\n [ 8.]\n [12.]]\n<NDArray 4x1 @cpu(0)>');
  assert.deepEqual(out, expected, 'the page prints what Node prints');
  const outTs = await page.evaluate(() => (window as unknown as { __outTs: string[] }).__outTs);
  assert.deepEqual(outTs, expectedTs, 'on the TS kernels, interpreted, the page prints what Node prints');
  // The page's own scripts may not turn strings into code either (evaluate() from the test is exempt).
  assert.equal(await page.evaluate(() => (window as unknown as { __evalError: string }).__evalError), 'EvalError');
  assert.match(out[4], /^figure: svg, \d+ paths$/);
  // In the page a figure has no PNG, and says why.
  const pngError = await page.evaluate(async () => {
    const d2lPage = (await import('./d2l.js' as string)) as typeof d2l;
    const fig = await d2lPage.d2l.plot([0, 1], [0, 1]);
    try {
      void fig.png;
      return 'no error';
    } catch (e) {
      return (e as Error).message;
    }
  });
  assert.match(pngError, /no PNG in a web page/);
  assert.equal(kernels.active, 'wasm', 'the Wasm kernels run on the page');
  assert.equal(kernels.threads, 1, 'one thread without cross-origin isolation');
  // Not isolated: the heap is a plain WebAssembly.Memory, with the non-shared kernel module.
  assert.equal(kernels.sharedHeap, false, 'a non-shared heap without cross-origin isolation');
  assert.equal(kernels.elementwise, 'interpreter', "the elementwise kernels interpreted under a CSP without 'unsafe-eval'");
  assert.equal(await page.evaluate(() => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated), false);
});
