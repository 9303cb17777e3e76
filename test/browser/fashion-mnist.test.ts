// d2l.loadDataFashionMnist in a web page: the page serves the four IDX files itself and passes
// their folder as `url`; the bundle fetches them (with progress), checks their checksums with
// WebCrypto, and trains one epoch of softmax regression, landing exactly where Node lands with
// the same program and files (the page, not cross-origin isolated, on a non-shared heap).
import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleD2l, launchChromium, openPage, serveDir } from './harness.js';
import { fashionMnistSnippet, type FashionMnistSnippetResult } from './fashion-mnist-snippet.js';
import * as d2l from '../../src/index.js';
import { resolveDataFileSync } from '../../src/data/resolver.js';
import { haveFashionMnist, requireResource } from '../helpers.js';

const root = new URL('../../..', import.meta.url).pathname;
const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

const PAGE = `<!doctype html><meta charset="utf-8"><title>d2l-ts Fashion-MNIST</title>
<script type="module" src="./main.js"></script>`;

const MAIN = `import * as d2l from './d2l.js';
import { fashionMnistSnippet } from './snippet.js';
await d2l.ready();
window.__out = await fashionMnistSnippet(d2l, 'fmnist/');
window.__sharedHeap = d2l.nd.cpu().backend.kernelInfo().sharedHeap;`;

test('in Chromium, loadDataFashionMnist({ url }) fetches, verifies and trains as Node does', { timeout: 180_000 }, async (t) => {
  if (!requireResource(t, haveFashionMnist(), 'Fashion-MNIST (apt-get install dataset-fashion-mnist)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'd2l-fmnist-page-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'fmnist'));
  for (const f of FILES) copyFileSync(resolveDataFileSync(`fashion-mnist/${f}`, { verify: false }).path, join(dir, 'fmnist', f));
  await bundleD2l(dir);
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(root, 'dist/test/browser/fashion-mnist-snippet.js')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    outfile: join(dir, 'snippet.js'),
    logLevel: 'silent',
  });
  writeFileSync(join(dir, 'index.html'), PAGE);
  writeFileSync(join(dir, 'main.js'), MAIN);
  const server = await serveDir(dir);
  t.after(() => server.close());

  // Node, over fetch from the same server.
  const expected = await fashionMnistSnippet(d2l, server.url + '/fmnist/');
  assert.deepEqual(expected.files, [...FILES].sort());
  assert.ok(expected.testAcc >= 0.65, `test accuracy ${expected.testAcc} after one epoch on 10,000 images`);

  const browser = await launchChromium(t);
  if (!browser) return;
  const { page, errors } = await openPage(browser, server.url + '/index.html');
  await page
    .waitForFunction(() => (window as unknown as { __out?: unknown }).__out !== undefined, null, { timeout: 150_000 })
    .catch(() => {});
  assert.deepEqual(errors, [], 'console errors on the page');
  const out = await page.evaluate(() => (window as unknown as { __out: FashionMnistSnippetResult }).__out);
  assert.ok(out, 'the page finished');
  assert.deepEqual(out.batchShape, [256, 1, 28, 28]);
  assert.ok(out.progressCalls >= 8, `progress reported ${out.progressCalls} times for 4 files`);
  assert.deepEqual({ ...out, progressCalls: 0 }, { ...expected, progressCalls: 0 }, 'the page trains as Node does');
  // Served without COOP/COEP: the page's heap is a plain (non-shared) memory, grown past 16 MiB
  // by the data set, and lands on Node's (shared heap's) numbers all the same.
  assert.equal(await page.evaluate(() => (window as unknown as { __sharedHeap: boolean }).__sharedHeap), false);
  assert.deepEqual(server.missing, []);
});
