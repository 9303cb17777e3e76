// The package bundled by Vite (a production `vite build` of a page that imports 'd2l-ts', as a
// user's app would) has no Node built-in in it and runs the README-like snippet in headless
// Chromium with the output Node gives and no console errors.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchChromium, NODE_IMPORT, openPage, serveDir } from './harness.js';
import { readmeSnippet } from './snippet.js';
import * as d2l from '../../src/index.js';

const root = new URL('../../..', import.meta.url).pathname;

test(
  'Vite: a page importing d2l-ts builds with no Node built-ins and runs the README snippet as Node does',
  { timeout: 180_000 },
  async (t) => {
    const { build } = await import('vite');
    const dir = mkdtempSync(join(tmpdir(), 'd2l-vite-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><meta charset="utf-8"><title>d2l-ts with Vite</title>\n<script type="module" src="./main.js"></script>\n',
    );
    writeFileSync(
      join(dir, 'main.js'),
      `import * as d2l from 'd2l-ts';
import { readmeSnippet } from ${JSON.stringify(join(root, 'dist/test/browser/snippet.js'))};
await d2l.ready();
window.__out = await readmeSnippet(d2l);
`,
    );
    await build({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      resolve: { alias: { 'd2l-ts': join(root, 'dist/src/index.js') }, conditions: ['browser'] },
      build: { outDir: join(dir, 'out'), target: 'es2022', minify: false, chunkSizeWarningLimit: 1e9 },
    });
    const assets = readdirSync(join(dir, 'out', 'assets')).filter((f) => f.endsWith('.js'));
    const code = assets.map((f) => readFileSync(join(dir, 'out', 'assets', f), 'utf8')).join('\n');
    assert.deepEqual(
      [...code.matchAll(NODE_IMPORT)].map((m) => m[1]),
      [],
      'Node built-ins imported by the Vite bundle',
    );
    console.log(
      `# vite bundle: ${assets.length} chunks, ${(code.length / 1024).toFixed(0)} KiB, ${(gzipSync(code).length / 1024).toFixed(0)} KiB gzip`,
    );

    const expected = await readmeSnippet(d2l);
    const browser = await launchChromium(t);
    if (!browser) return;
    const server = await serveDir(join(dir, 'out'));
    t.after(() => server.close());
    const { page, errors } = await openPage(browser, server.url + '/index.html');
    await page
      .waitForFunction(() => (window as unknown as { __out?: unknown }).__out !== undefined, null, { timeout: 90_000 })
      .catch(() => {});
    assert.deepEqual(errors, [], 'console errors on the page');
    const out = await page.evaluate(() => (window as unknown as { __out: string[] }).__out);
    assert.deepEqual(out, expected, 'the page prints what Node prints');
    assert.deepEqual(server.missing, []);
  },
);
