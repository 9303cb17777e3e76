// Data files over fetch (the browser's loader): served by a local HTTP server from the machine's
// Fashion-MNIST copy, checked against the registry's checksums with WebCrypto, unpacked with
// fflate; progress, a missing file, a corrupt copy and bad options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fetchDataFile, type FetchProgress } from '../../src/data/fetch.js';
import { CorruptDataError } from '../../src/data/verify.js';
import { DataNotFoundError, resolveDataFileSync } from '../../src/data/resolver.js';
import { gluon } from '../../src/index.js';
import { ValueError } from '../../src/core/errors.js';
import { haveFashionMnist, requireResource } from '../helpers.js';

const LABELS = 'fashion-mnist/t10k-labels-idx1-ubyte.gz';
const IMAGES = 'fashion-mnist/t10k-images-idx3-ubyte.gz';

/** Serves `files` (base name -> bytes) at http://127.0.0.1:port/fmnist/, with Content-Length. */
async function serve(files: Record<string, Uint8Array>): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const name = (req.url ?? '').replace(/^\/fmnist\//, '');
    const body = files[name];
    if (!body) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': String(body.length) });
    // Two writes, so a progress callback sees more than one chunk.
    const half = body.length >> 1;
    res.write(body.subarray(0, half));
    setTimeout(() => res.end(body.subarray(half)), 5);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/fmnist/`, close: () => new Promise((done) => server.close(() => done())) };
}

function local(name: string): Uint8Array {
  return readFileSync(resolveDataFileSync(name, { verify: false }).path);
}

test('fetchDataFile: verified, unpacked, with progress up to the total', async (t) => {
  if (!requireResource(t, haveFashionMnist(), 'Fashion-MNIST (apt-get install dataset-fashion-mnist)')) return;
  const packed = local(LABELS);
  const srv = await serve({ 't10k-labels-idx1-ubyte.gz': packed });
  t.after(() => srv.close());
  const seen: FetchProgress[] = [];
  const f = await fetchDataFile(LABELS, { url: srv.url, onProgress: (p) => seen.push({ ...p }) });
  assert.equal(f.source, 'url');
  assert.equal(f.path, srv.url + 't10k-labels-idx1-ubyte.gz');
  assert.equal(f.gzip, true);
  assert.equal(f.bytes.length, 10008); // 8-byte IDX header + 10,000 labels
  assert.ok(f.matched, 'a registry checksum matched');
  assert.ok(seen.length >= 2, `progress called ${seen.length} times`);
  assert.deepEqual(seen[seen.length - 1], { file: 't10k-labels-idx1-ubyte.gz', loaded: packed.length, total: packed.length });
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].loaded >= seen[i - 1].loaded, 'progress only grows');
});

test('FashionMNIST.create({ url }) gives the samples the file resolver gives', async (t) => {
  if (!requireResource(t, haveFashionMnist(), 'Fashion-MNIST (apt-get install dataset-fashion-mnist)')) return;
  const srv = await serve({ 't10k-labels-idx1-ubyte.gz': local(LABELS), 't10k-images-idx3-ubyte.gz': local(IMAGES) });
  t.after(() => srv.close());
  const fetched = await gluon.data.vision.FashionMNIST.create({ train: false, url: srv.url });
  const fromFiles = new gluon.data.vision.FashionMNIST({ train: false });
  assert.equal(fetched.length, 10000);
  const [xa, ya] = fetched.arrays();
  const [xb, yb] = fromFiles.arrays();
  assert.deepEqual(Array.from(ya.dataSync()), Array.from(yb.dataSync()));
  assert.equal(xa.sub(xb).abs().sum().asScalar(), 0);
  assert.throws(
    () => new gluon.data.vision.FashionMNIST({ train: false, url: srv.url }),
    (e: Error) => e instanceof ValueError && /url option is for the asynchronous create\(\)/.test(e.message),
  );
});

test('fetchDataFile: a missing file, a corrupt copy and bad options are clear errors', async (t) => {
  if (!requireResource(t, haveFashionMnist(), 'Fashion-MNIST (apt-get install dataset-fashion-mnist)')) return;
  const packed = local(LABELS);
  const wrong = local(IMAGES); // a valid gzip file with other content
  const srv = await serve({ 't10k-labels-idx1-ubyte.gz': wrong, 'train-labels-idx1-ubyte.gz': packed.subarray(0, 100) });
  t.after(() => srv.close());
  await assert.rejects(
    fetchDataFile(IMAGES, { url: srv.url }),
    (e: Error) => e instanceof DataNotFoundError && /answered 404/.test(e.message),
  );
  await assert.rejects(
    fetchDataFile(LABELS, { url: srv.url }),
    (e: Error) => e instanceof CorruptDataError && /checksum mismatch for fashion-mnist\/t10k-labels-idx1-ubyte\.gz/.test(e.message),
  );
  await assert.rejects(
    fetchDataFile('fashion-mnist/train-labels-idx1-ubyte.gz', { url: srv.url }),
    (e: Error) => e instanceof CorruptDataError && /not a valid gzip file/.test(e.message),
  );
  // Unverified: the wrong file's bytes come back as they are.
  assert.equal((await fetchDataFile(LABELS, { url: srv.url, verify: false })).matched, null);
  await assert.rejects(
    fetchDataFile(LABELS, { url: '' }),
    (e: Error) => e instanceof ValueError && /opts\.url must be the folder URL/.test(e.message),
  );
  await assert.rejects(
    fetchDataFile(LABELS, { url: 'data/fashion-mnist/' }),
    (e: Error) => e instanceof ValueError && /relative URL needs a page/.test(e.message),
  );
  await assert.rejects(
    fetchDataFile(LABELS, { url: srv.url, onProgress: 3 as unknown as () => void }),
    (e: Error) => e instanceof ValueError && /onProgress must be a function/.test(e.message),
  );
});
