#!/usr/bin/env node
// Builds the playground page (playground/: the book's softmax regression / MLP trained in the
// browser, and an editable code cell) into playground/dist/, with Fashion-MNIST beside it, and
// with --serve serves it on http://127.0.0.1:4174 with cross-origin isolation headers.
//
//   npm run playground               # build and serve (needs `npm run build` first; the script does it)
//   node scripts/playground.mjs      # build only
//
// The data comes from the data resolver (Debian's dataset-fashion-mnist, D2L_DATA_DIR, the cache,
// or a download from the official URLs); Fashion-MNIST is Zalando's, MIT-licensed: its notice is
// written beside the files.
import { createServer } from 'node:http';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'playground', 'dist');
const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const LICENSE = `Fashion-MNIST (https://github.com/zalandoresearch/fashion-mnist)

The MIT License (MIT) Copyright © 2017 Zalando SE, https://tech.zalando.com

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`;

async function buildPlayground() {
  const entry = join(root, 'dist', 'playground', 'main.js');
  if (!existsSync(entry)) throw new Error(`playground: ${entry} is missing: run npm run build first`);
  const { build } = await import('esbuild');
  // Built beside the final folder and moved in whole, so a server never sees half a page.
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'data', 'fashion-mnist'), { recursive: true });
  // The page, its training Worker, and d2l-ts's kernel Worker (which the training Worker's kernel
  // pool loads as ./worker-web.js beside it).
  const entries = {
    app: entry,
    'train-worker': join(root, 'dist', 'playground', 'train-worker.js'),
    'worker-web': join(root, 'dist', 'src', 'backend', 'cpu', 'threads', 'worker-web.js'),
  };
  const result = await build({
    entryPoints: entries,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    outdir: tmp,
    logLevel: 'warning',
  });
  if (result.errors.length) throw new Error('playground: esbuild failed');
  copyFileSync(join(root, 'playground', 'index.html'), join(tmp, 'index.html'));
  const { resolveDataFile } = await import(join(root, 'dist', 'src', 'data', 'resolver.js'));
  for (const f of FILES) {
    const found = await resolveDataFile(`fashion-mnist/${f}`);
    copyFileSync(found.path, join(tmp, 'data', 'fashion-mnist', f));
  }
  writeFileSync(join(tmp, 'data', 'fashion-mnist', 'LICENSE'), LICENSE);
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  console.log(`playground: built ${out} (app.js ${(statSync(join(out, 'app.js')).size / 1024).toFixed(0)} KiB)`);
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.gz': 'application/gzip',
  '': 'text/plain; charset=utf-8',
};

function serve(port) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(out, path === '/' ? 'index.html' : path));
    if (!file.startsWith(out + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    // Cross-origin isolation (COOP/COEP): what a page needs to share memory with workers.
    res
      .writeHead(200, {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cache-Control': 'no-store',
      })
      .end(readFileSync(file));
  });
  server.listen(port, '127.0.0.1', () => console.log(`playground: http://127.0.0.1:${port}/ (Ctrl-C to stop)`));
}

try {
  await buildPlayground();
  if (process.argv.includes('--serve')) serve(Number(process.env.PORT ?? 4174));
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
