import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import {
  registerDataFile,
  getDataFileSpec,
  listDataFiles,
  loadDataFile,
  loadDataFileSync,
  resolveDataFileSync,
  dataDirFromArgv,
  defaultCacheDir,
  setDefaultDataDir,
  DataNotFoundError,
  DataDirError,
  CorruptDataError,
  CacheWriteError,
  downloadDataFile,
  type DataResolveOptions,
} from '../../src/data/index.js';

// A registered test file whose checksum is over the unpacked content of the .gz.
const CONTENT = Buffer.from('hello, d2l-ts data resolver\n'.repeat(5000));
const NAME = 'resolver-test/hello.txt.gz';
registerDataFile({
  name: NAME,
  dataset: 'resolver-test',
  url: 'http://127.0.0.1:9/never/hello.txt.gz',
  checksums: [{ algorithm: 'sha256', hex: createHash('sha256').update(CONTENT).digest('hex'), over: 'unpacked', label: 'test original' }],
  size: CONTENT.length,
  installHint: 'the test writes it',
});

let server: Server;
let base = '';
const served: Record<string, Buffer> = {};
const root = mkdtempSync(join(tmpdir(), 'd2l-resolver-'));

before(async () => {
  served['/ok/hello.txt.gz'] = gzipSync(CONTENT);
  served['/bad/hello.txt.gz'] = gzipSync(Buffer.from('not the right content'));
  server = createServer((req, res) => {
    if (req.url === '/stall/hello.txt.gz') {
      // Headers and a few bytes, then nothing more (the connection stays open).
      res.writeHead(200, { 'content-length': '140000', 'content-type': 'application/gzip' });
      res.write(Buffer.from([0x1f, 0x8b, 8, 0]));
      return;
    }
    const body = served[req.url ?? ''];
    if (!body) {
      res.writeHead(404, 'Not Found').end('no such file');
      return;
    }
    res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/gzip' });
    // Several chunks, so progress has something to report.
    const step = Math.ceil(body.length / 4);
    for (let o = 0; o < body.length; o += step) res.write(body.subarray(o, o + step));
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
/** Fresh, isolated directories and options (no real HOME, argv or system dirs). */
function setup() {
  const d = join(root, `case${n++}`);
  const dirs = {
    option: join(d, 'option'),
    env: join(d, 'env'),
    cache: join(d, 'cache'),
    system: join(d, 'system'),
    home: join(d, 'home'),
  };
  for (const p of Object.values(dirs)) mkdirSync(p, { recursive: true });
  const out: string[] = [];
  const stream = new Writable({
    write(c, _e, cb) {
      out.push(String(c));
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  const opts: DataResolveOptions = {
    env: { HOME: dirs.home, D2L_DATA_DIR: dirs.env },
    argv: [],
    cacheDir: dirs.cache,
    systemDirs: [dirs.system],
    progressStream: stream,
    progress: 'lines',
    lineIntervalMs: 0,
    warn: (m) => out.push(`warn: ${m}`),
  };
  return { dirs, opts, out };
}
const put = (dir: string, rel: string, bytes: Uint8Array) => {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), bytes);
};

test('resolver order: option > env > cache > system', () => {
  const { dirs, opts } = setup();
  const gz = gzipSync(CONTENT);
  put(dirs.system, 'hello.txt.gz', gz); // system dirs hold the base name
  assert.equal(loadDataFileSync(NAME, opts).source, 'system');
  put(dirs.cache, NAME, gz);
  assert.equal(loadDataFileSync(NAME, opts).source, 'cache');
  put(dirs.env, NAME, gz);
  assert.equal(loadDataFileSync(NAME, opts).source, 'env');
  put(dirs.option, 'hello.txt.gz', gz); // a data dir may also hold the base name
  const r = loadDataFileSync(NAME, { ...opts, dataDir: dirs.option });
  assert.equal(r.source, 'option');
  assert.equal(r.path, join(dirs.option, 'hello.txt.gz'));
  assert.deepEqual(Buffer.from(r.bytes), CONTENT);
  assert.equal(r.gzip, true);
  assert.equal(r.matched?.label, 'test original');
});

test('resolver: the --data-dir flag and setDefaultDataDir come after the option, before env', () => {
  const { dirs, opts } = setup();
  const flagDir = join(dirs.option, 'flag');
  put(flagDir, NAME, gzipSync(CONTENT));
  put(dirs.env, NAME, gzipSync(CONTENT));
  assert.equal(loadDataFileSync(NAME, { ...opts, argv: ['node', 'x.js', '--data-dir', flagDir] }).source, 'flag');
  assert.equal(loadDataFileSync(NAME, { ...opts, argv: [`--data-dir=${flagDir}`] }).source, 'flag');
  setDefaultDataDir(flagDir);
  try {
    assert.equal(loadDataFileSync(NAME, opts).source, 'flag');
  } finally {
    setDefaultDataDir(undefined);
  }
  assert.equal(dataDirFromArgv(['a', '--data-dir']), undefined);
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/h' }), '/x/cache/d2l-ts');
  assert.equal(defaultCacheDir({ HOME: '/h' }), '/h/.cache/d2l-ts');
});

test('resolver: an unpacked copy (without .gz) is found and verified', () => {
  const { dirs, opts } = setup();
  put(dirs.env, 'resolver-test/hello.txt', CONTENT);
  const r = loadDataFileSync(NAME, opts);
  assert.equal(r.gzip, false);
  assert.deepEqual(Buffer.from(r.bytes), CONTENT);
});

test('resolver: nothing found lists every place looked and how to get the file', () => {
  const { dirs, opts } = setup();
  assert.throws(
    () => loadDataFileSync(NAME, { ...opts, dataDir: dirs.option }),
    (e: Error) => {
      assert.ok(e instanceof DataNotFoundError);
      for (const s of [
        'could not find the data file resolver-test/hello.txt.gz',
        `the dataDir option ${dirs.option}: no resolver-test/hello.txt.gz`,
        `D2L_DATA_DIR ${dirs.env}: no resolver-test/hello.txt.gz or resolver-test/hello.txt or hello.txt.gz or hello.txt`,
        `the cache ${dirs.cache}: no`,
        `the system location ${dirs.system}: no hello.txt.gz or hello.txt`,
        'How to get it:',
        'the test writes it',
        'the --data-dir flag, or the D2L_DATA_DIR environment variable',
      ])
        assert.ok(e.message.includes(s), `missing "${s}" in:\n${e.message}`);
      return true;
    },
  );
  assert.throws(() => loadDataFileSync(NAME, { ...opts, env: { HOME: dirs.home } }), /D2L_DATA_DIR: not set/);
  assert.throws(
    () => getDataFileSpec('nope.zip'),
    /unknown data file "nope.zip"; known files: .*fashion-mnist\/train-images-idx3-ubyte.gz/,
  );
});

test('resolver: a named data directory that does not exist or is a file is an error naming it and where it came from', () => {
  const { dirs, opts } = setup();
  put(dirs.cache, NAME, gzipSync(CONTENT)); // a good copy elsewhere must not be used instead
  const missing = join(dirs.option, 'typo');
  const file = join(dirs.option, 'a-file');
  writeFileSync(file, 'x');
  const cases: [DataResolveOptions, RegExp][] = [
    [{ dataDir: missing }, new RegExp(`the dataDir option names ${missing}, which does not exist`)],
    [{ dataDir: file }, new RegExp(`the dataDir option names ${file}, which is not a directory`)],
    [{ extraDirs: [missing] }, new RegExp(`the root option names ${missing}, which does not exist`)],
    [{ argv: ['--data-dir', missing] }, new RegExp(`the --data-dir flag names ${missing}, which does not exist`)],
    [
      { env: { HOME: dirs.home, D2L_DATA_DIR: missing } },
      new RegExp(`the environment variable D2L_DATA_DIR names ${missing}, which does not exist`),
    ],
    [{ env: { HOME: dirs.home, D2L_DATA_DIR: file } }, new RegExp(`D2L_DATA_DIR names ${file}, which is not a directory`)],
  ];
  for (const [o, re] of cases)
    assert.throws(
      () => loadDataFileSync(NAME, { ...opts, ...o }),
      (e: Error) => e instanceof DataDirError && e instanceof DataNotFoundError && re.test(e.message) && e.message.startsWith(NAME),
      String(re),
    );
  setDefaultDataDir(missing);
  try {
    assert.throws(() => loadDataFileSync(NAME, opts), /the default data directory .* names .*typo, which does not exist/);
  } finally {
    setDefaultDataDir(undefined);
  }
  assert.equal(loadDataFileSync(NAME, opts).source, 'cache');
});

test('download: a body that stalls times out with a clear error (timeoutMs)', async () => {
  const { dirs, opts } = setup();
  const t0 = Date.now();
  await assert.rejects(loadDataFile(NAME, { ...opts, baseUrl: `${base}/stall/`, timeoutMs: 300 }), (e: Error) => {
    assert.ok(e instanceof DataNotFoundError);
    assert.match(
      e.message,
      /stall\/hello\.txt\.gz: timed out: the body stalled: no data for 0\.3 s after 4 of 140000 bytes \(timeoutMs 300\)/,
    );
    return true;
  });
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  assert.equal(existsSync(join(dirs.cache, NAME)), false);
  // A server that never answers (an injected fetch that hangs) times out too.
  const hang = () => new Promise<never>(() => {});
  await assert.rejects(
    loadDataFile(NAME, { ...opts, fetch: hang, timeoutMs: 50 }),
    /timed out: no response from the server within 0\.05 s/,
  );
});

test('download: a cache that cannot be created is a warning, the verified bytes are still used', async () => {
  const { dirs, opts, out } = setup();
  const file = join(dirs.home, 'not-a-dir');
  writeFileSync(file, 'x');
  const cacheDir = join(file, 'd2l-ts'); // as XDG_CACHE_HOME=<a regular file> gives
  const r = await loadDataFile(NAME, { ...opts, cacheDir, baseUrl: `${base}/ok/` });
  assert.equal(r.source, 'download');
  assert.deepEqual(Buffer.from(r.bytes), CONTENT);
  assert.notEqual(r.path, join(cacheDir, NAME));
  assert.deepEqual(readFileSync(r.path), served['/ok/hello.txt.gz'], 'a temporary copy holds the download');
  const warning = out.find((l) => l.startsWith('warn: could not cache'));
  assert.ok(warning, out.join('\n'));
  assert.match(warning, /ENOTDIR.*used for this run only/);
  await assert.rejects(
    downloadDataFile(getDataFileSpec(NAME), `${base}/ok/hello.txt.gz`, join(cacheDir, NAME), { progress: 'none' }),
    (e: Error) => e instanceof CacheWriteError && Buffer.from(e.data.bytes).equals(CONTENT),
  );
});

test('download: success with progress lines, verified, atomic, then served from the cache', async () => {
  const { dirs, opts, out } = setup();
  const r = await loadDataFile(NAME, { ...opts, baseUrl: `${base}/ok/` });
  assert.equal(r.source, 'download');
  assert.equal(r.path, join(dirs.cache, NAME));
  assert.deepEqual(Buffer.from(r.bytes), CONTENT);
  assert.deepEqual(readFileSync(r.path), served['/ok/hello.txt.gz']);
  assert.deepEqual(readdirSync(join(dirs.cache, 'resolver-test')), ['hello.txt.gz']); // no temp files left
  const log = out.join('');
  assert.match(log, /downloading hello\.txt\.gz: starting \(0\.0 MB\)/);
  assert.match(log, /downloading hello\.txt\.gz: 0\.0\/0\.0 MB \(\d+%\)/);
  assert.match(log, /downloading hello\.txt\.gz: done/);
  const again = await loadDataFile(NAME, { ...opts, baseUrl: `${base}/missing/` });
  assert.equal(again.source, 'cache');
});

test('download: a cli-progress bar when the progress stream is a terminal', async () => {
  const { opts, out } = setup();
  const tty = new Writable({
    write(c, _e, cb) {
      out.push(String(c));
      cb();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  tty.isTTY = true;
  tty.columns = 100;
  const r = await loadDataFile(NAME, { ...opts, baseUrl: `${base}/ok/`, progress: 'auto', progressStream: tty });
  assert.equal(r.source, 'download');
  const log = out.join('');
  assert.match(log, /downloading hello\.txt\.gz \[[\u2588\u2591]+\] 100% \| 0\.0\/0\.0 MB/);
  assert.doesNotMatch(log, /starting/);
});

test('download: a checksum mismatch is an error and leaves no file behind', async () => {
  const { dirs, opts } = setup();
  await assert.rejects(loadDataFile(NAME, { ...opts, baseUrl: `${base}/bad` }), (e: Error) => {
    assert.ok(e instanceof DataNotFoundError);
    assert.match(
      e.message,
      /download from http:\/\/127\.0\.0\.1:\d+\/bad\/hello\.txt\.gz: downloaded from .*checksum mismatch for resolver-test\/hello\.txt\.gz/,
    );
    assert.match(e.message, /size is 21 bytes, expected 140000 \(truncated\?\)/);
    return true;
  });
  assert.equal(existsSync(join(dirs.cache, 'resolver-test')), false);
});

test('download: HTTP 404 and a refused connection are clear errors', async () => {
  const { opts } = setup();
  await assert.rejects(
    loadDataFile(NAME, { ...opts, baseUrl: `${base}/nothing/` }),
    /download from http:\/\/127\.0\.0\.1:\d+\/nothing\/hello\.txt\.gz: downloading .*: the server answered HTTP 404 Not Found/,
  );
  await assert.rejects(
    loadDataFile(NAME, opts),
    /download from http:\/\/127\.0\.0\.1:9\/never\/hello\.txt\.gz: downloading .*fetch failed/,
  );
  await assert.rejects(loadDataFile(NAME, { ...opts, download: false }), /download: disabled/);
});

test('download: an injected fetch function is used', async () => {
  const { opts } = setup();
  const urls: string[] = [];
  const gz = gzipSync(CONTENT);
  const fetch = async (url: string) => {
    urls.push(url);
    return {
      ok: true,
      status: 200,
      statusText: 'OK',
      headers: { get: () => null },
      body: (async function* () {
        yield new Uint8Array(gz);
      })(),
    };
  };
  const r = await loadDataFile(NAME, { ...opts, fetch, progress: 'none' });
  assert.deepEqual(urls, ['http://127.0.0.1:9/never/hello.txt.gz']);
  assert.deepEqual(Buffer.from(r.bytes), CONTENT);
});

test('a corrupt cached file is detected: a sync error, and the async loader downloads a good copy', async () => {
  const { dirs, opts, out } = setup();
  const good = gzipSync(CONTENT);
  put(dirs.cache, NAME, good.subarray(0, good.length - 20)); // truncated download
  assert.throws(
    () => loadDataFileSync(NAME, opts),
    (e: Error) => {
      assert.ok(e instanceof DataNotFoundError);
      assert.match(e.message, new RegExp(`the cache ${dirs.cache}: ${join(dirs.cache, NAME)} is corrupt \\(.*not a valid gzip file`));
      return true;
    },
  );
  assert.match(out.join(''), /warn: .*hello\.txt\.gz: not a valid gzip file.*skipping it/);
  // Wrong content that unpacks fine: a checksum mismatch.
  put(dirs.cache, NAME, gzipSync(Buffer.from('other content')));
  assert.throws(() => loadDataFileSync(NAME, opts), /is corrupt \(.*checksum mismatch/);
  const r = await loadDataFile(NAME, { ...opts, baseUrl: `${base}/ok` });
  assert.equal(r.source, 'download');
  assert.deepEqual(readFileSync(join(dirs.cache, NAME)), good);
  assert.equal(loadDataFileSync(NAME, opts).source, 'cache');
});

test('a corrupt file given explicitly is an error (not silently replaced)', () => {
  const { dirs, opts } = setup();
  put(dirs.option, NAME, gzipSync(Buffer.from('wrong')));
  put(dirs.cache, NAME, gzipSync(CONTENT));
  assert.throws(
    () => loadDataFileSync(NAME, { ...opts, dataDir: dirs.option }),
    (e: Error) => e instanceof CorruptDataError && /checksum mismatch/.test(e.message),
  );
  assert.equal(loadDataFileSync(NAME, { ...opts, dataDir: dirs.option, verify: false }).source, 'option');
  assert.equal(resolveDataFileSync(NAME, opts).source, 'cache');
});

test("registry: the book's files in shared/data match their registered checksums", (t) => {
  const dir = process.env.D2L_DATA_DIR ?? resolve(process.cwd(), '..', 'shared', 'data');
  if (!existsSync(dir)) {
    t.skip(`no shared data folder at ${dir}`);
    return;
  }
  let checked = 0;
  for (const spec of listDataFiles()) {
    if (spec.dataset === 'resolver-test') continue;
    const p = resolve(dir, spec.name);
    if (!existsSync(p)) continue;
    const r = loadDataFileSync(spec.name, { dataDir: dir, argv: [] });
    assert.equal(r.path, p);
    checked++;
  }
  console.log(`# verified ${checked} registered files in ${dir}`);
  assert.ok(checked >= 5, `only ${checked} registered files found in ${dir}`);
});
