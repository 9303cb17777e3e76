// The Node built-ins that bench/browser-peers.ts gives the benchmark scripts in a page
// (bench/browser/shims/): POSIX paths as Node computes them, files found by the end of their
// path (the longest listed name wins), a URL's path as a file path, gunzip, and the process
// object's argv, env, NaN peak RSS and exit message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodePath from 'node:path';
import { gzipSync } from 'node:zlib';
import * as path from '../../bench/browser/shims/path.js';
import { existsSync, readFileSync } from '../../bench/browser/shims/fs.js';
import { fileURLToPath } from '../../bench/browser/shims/url.js';
import { gunzipSync } from '../../bench/browser/shims/zlib.js';
import { __benchProcess } from '../../bench/browser/shims/process.js';

test('bench path shim: join, resolve, dirname and basename as node:path (POSIX)', () => {
  const cases: string[][] = [
    ['/a', '..', 'b'],
    ['/', '..'],
    ['a', 'b/../c'],
    ['/x/y/', './z'],
    ['/usr/share/datasets/fashion-mnist', 't10k.gz'],
  ];
  for (const c of cases) assert.equal(path.join(...c), nodePath.posix.join(...c), `join ${c}`);
  for (const c of [
    ['/a/b', '../c'],
    ['/', '..', 'shared', 'bench'],
    ['/r', '/abs', 'x'],
  ])
    assert.equal(path.resolve(...c), nodePath.posix.resolve(...c), `resolve ${c}`);
  for (const p of ['/a/b.js', '/a', '/', 'a/b']) assert.equal(path.dirname(p), nodePath.posix.dirname(p), `dirname ${p}`);
  assert.equal(path.basename('/a/b.js'), 'b.js');
});

test('bench fs shim: files found by the end of their path; a missing one is ENOENT', () => {
  const g = globalThis as { __benchFiles?: Map<string, Uint8Array> };
  assert.throws(() => readFileSync('/x'), /has not fetched/);
  g.__benchFiles = new Map([
    ['package.json', new TextEncoder().encode('{"name":"d2l-ts"}')],
    ['node_modules/@jax-js/jax/package.json', new TextEncoder().encode('{"version":"0.1.25"}')],
    ['workloads.json', new TextEncoder().encode('{}')],
  ]);
  try {
    assert.equal(readFileSync('/package.json', 'utf8'), '{"name":"d2l-ts"}');
    assert.equal(readFileSync('/node_modules/@jax-js/jax/package.json', { encoding: 'utf8' }), '{"version":"0.1.25"}');
    assert.ok(readFileSync('/shared/bench/workloads.json') instanceof Uint8Array);
    assert.ok(existsSync('/shared/bench/workloads.json'));
    assert.ok(!existsSync('/shared/bench/xworkloads.json'), 'a name matches at a path segment, not inside one');
    assert.throws(
      () => readFileSync('/missing.gz'),
      (e: unknown) => (e as { code?: string }).code === 'ENOENT',
    );
  } finally {
    delete g.__benchFiles;
  }
});

test('bench url, zlib and process shims', () => {
  assert.equal(fileURLToPath('http://127.0.0.1:8000/a%20b/worker.js'), '/a b/worker.js');
  const data = new TextEncoder().encode('fashion'.repeat(100));
  assert.deepEqual(gunzipSync(new Uint8Array(gzipSync(data))), data);
  assert.throws(() => gunzipSync('x' as unknown as Uint8Array), /expects a Uint8Array/);
  const g = globalThis as { __benchArgv?: string[]; __benchEnv?: Record<string, string>; postMessage?: (m: unknown) => void };
  const posted: unknown[] = [];
  Object.assign(g, {
    __benchArgv: ['w3_softmax_regression', '--backend=wasm'],
    __benchEnv: { A: '1' },
    postMessage: (m: unknown) => posted.push(m),
  });
  try {
    assert.deepEqual(__benchProcess.argv.slice(2), ['w3_softmax_regression', '--backend=wasm']);
    assert.equal(__benchProcess.env.A, '1');
    assert.ok(Number.isNaN(__benchProcess.resourceUsage().maxRSS), 'a page has no peak RSS');
    __benchProcess.exit(3);
    assert.deepEqual(posted, [{ done: 3 }]);
  } finally {
    delete g.__benchArgv;
    delete g.__benchEnv;
    delete g.postMessage;
  }
});
