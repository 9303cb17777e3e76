// When Fashion-MNIST is nowhere to be found (no data dir, no cache, no system copy, no network),
// `d2l-ts start` and `d2l-ts run <a Fashion-MNIST chapter>` say how to get it and exit with 3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDataFileSpec, registerDataFile, type DataFileSpec } from '../../src/data/registry.js';
import { setDefaultDataDir } from '../../src/data/resolver.js';
import { main } from '../../cli/main.js';

const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].map(
  (f) => `fashion-mnist/${f}`,
);

/** Runs `fn` with Fashion-MNIST unreachable: no system dirs, an empty cache, a refused download. */
async function withoutFashionMnist(fn: (emptyDir: string) => Promise<void>): Promise<void> {
  const saved: DataFileSpec[] = FILES.map((f) => getDataFileSpec(f));
  const env = { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, D2L_DATA_DIR: process.env.D2L_DATA_DIR };
  const emptyDir = mkdtempSync(join(tmpdir(), 'd2l-nodata-'));
  try {
    for (const s of saved) registerDataFile({ ...s, systemDirs: [], url: `http://127.0.0.1:9/${s.name.split('/')[1]}` });
    process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), 'd2l-nocache-'));
    delete process.env.D2L_DATA_DIR;
    await fn(emptyDir);
  } finally {
    for (const s of saved) registerDataFile(s);
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    setDefaultDataDir(undefined);
  }
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

test('start without Fashion-MNIST: exit code 3 and how to get the data', async () => {
  await withoutFashionMnist(async (emptyDir) => {
    const { io, err } = capture();
    const code = await main(['start', '--seed', '1', '--data-dir', emptyDir, '--no-progress'], io);
    assert.equal(code, 3);
    const text = err.join('\n');
    assert.match(text, /could not find the data file fashion-mnist\//);
    assert.ok(text.includes(emptyDir), 'lists the --data-dir it looked in');
    assert.match(text, /apt-get install dataset-fashion-mnist/);
    assert.match(text, /http:\/\/fashion-mnist\.s3-website\.eu-central-1\.amazonaws\.com\/train-images-idx3-ubyte\.gz/);
    assert.match(text, /--data-dir D/);
    assert.doesNotMatch(text, /^\s+at /m, 'no stack trace');
  });
});

test('run softmax-regression-scratch without Fashion-MNIST: exit code 3', async () => {
  await withoutFashionMnist(async (emptyDir) => {
    const { io, err } = capture();
    assert.equal(await main(['run', 'softmax-regression-scratch', '--seed', '1', '--data-dir', emptyDir], io), 3);
    assert.match(err.join('\n'), /How to get Fashion-MNIST/);
  });
});

test('a --data-dir that does not exist (or is a file) is refused, naming it, before any training', async () => {
  const missing = join(tmpdir(), 'd2l-no-such-data-dir');
  const { io, err } = capture();
  assert.equal(await main(['start', '--seed', '1', '--data-dir', missing, '--no-progress'], io), 2);
  assert.match(err.join('\n'), new RegExp(`--data-dir ${missing}: no such directory`));
  const file = join(mkdtempSync(join(tmpdir(), 'd2l-file-')), 'f');
  writeFileSync(file, 'x');
  const c2 = capture();
  assert.equal(await main(['run', 'softmax-regression-scratch', '--data-dir', file], c2.io), 2);
  assert.match(c2.err.join('\n'), /is not a directory/);
});
