// 10.7's IMDb helpers on the book's sample aclImdb_tiny.zip, and on a small tar.gz written here
// in aclImdb_v1's layout; then the 10.7 program on the sample for one epoch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { nd, d2l, contrib } from '../../src/index.js';
import { registerDataFile, getDataFileSpec } from '../../src/data/registry.js';
import { hashHex } from '../../src/data/verify.js';
import * as sentiment from '../../chapters/sentiment-analysis-rnn.js';
import { requireResource } from '../helpers.js';
import { DATA_DIR, hasData } from './data-path.js';
import { tar } from './tar.js';

const tiny = () => hasData('aclImdb_tiny.zip');

test('readImdb on aclImdb_tiny.zip: 20 lower-cased reviews per split, half positive, shuffled by the seed', async (t) => {
  if (!requireResource(t, tiny(), `aclImdb_tiny.zip in ${DATA_DIR}`)) return;
  nd.random.seed(1);
  const train = await d2l.readImdb('train', { dataDir: DATA_DIR, archive: 'aclImdb_tiny.zip' });
  assert.equal(train.length, 20);
  assert.equal(train.filter(([, l]) => l === 1).length, 10);
  for (const [review] of train) assert.ok(review === review.toLowerCase() && !review.includes('\n'));
  assert.ok(train.some(([r, l]) => l === 1 && r.startsWith('working-class romantic drama from director martin ritt')));
  nd.random.seed(1);
  const again = await d2l.readImdb('train', { dataDir: DATA_DIR, archive: 'aclImdb_tiny.zip' });
  assert.deepEqual(again, train);
  const test = await d2l.readImdb('test', { dataDir: DATA_DIR, archive: 'aclImdb_tiny.zip' });
  assert.equal(test.length, 20);
  await assert.rejects(d2l.readImdb('dev' as 'train', { dataDir: DATA_DIR }), /folder must be 'train' or 'test', got "dev"/);

  const vocab = d2l.getVocabImdb(train);
  assert.ok(vocab instanceof contrib.text.vocab.Vocabulary);
  assert.deepEqual(vocab.idxToToken.slice(0, 2), ['<unk>', '<pad>']);
  const counts = d2l.countTokens(d2l.getTokenizedImdb(train));
  for (const tok of vocab.idxToToken.slice(2)) assert.ok(counts.get(tok)! >= 5, tok);
  assert.equal(vocab.length, 2 + [...counts.values()].filter((c) => c >= 5).length);
  const [features, labels] = d2l.preprocessImdb(train, vocab);
  assert.deepEqual(features.shape, [20, 500]);
  assert.deepEqual(
    labels.toArray(),
    train.map(([, l]) => l),
  );
  const row0 = (features.get(0).toArray() as number[]).slice(0, 5);
  assert.deepEqual(row0, vocab.toIndices(d2l.getTokenizedImdb(train)[0].slice(0, 5)));
});

test('the IMDb helpers: tokenizing as split(" "), padding and cutting to maxL', () => {
  const data: d2l.ImdbExample[] = [
    ['a  Good film', 1],
    ['bad bad bad bad bad film film film film film a a a a a', 0],
  ];
  assert.deepEqual(d2l.getTokenizedImdb(data)[0], ['a', '', 'good', 'film']);
  const vocab = d2l.getVocabImdb(data);
  // a and film (6 each, ties by token), then bad (5); '' and good are seen once.
  assert.deepEqual(vocab.idxToToken, ['<unk>', '<pad>', 'a', 'film', 'bad']);
  const [f] = d2l.preprocessImdb(data, vocab, 6);
  assert.deepEqual(f.toArray(), [
    [2, 0, 0, 3, 1, 1],
    [4, 4, 4, 4, 4, 3],
  ]);
  assert.throws(() => d2l.preprocessImdb(data, new contrib.text.vocab.Vocabulary(new Map([['a', 1]]))), /no '<pad>' token/);
});

test('readImdb reads aclImdb_v1.tar.gz (a small one in its layout, registered with its checksum here)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'd2l-imdb-'));
  const spec = getDataFileSpec('aclImdb_v1.tar.gz');
  try {
    const gz = gzipSync(
      tar({
        'aclImdb/train/pos/0_9.txt': 'A great\nfilm',
        'aclImdb/train/neg/0_1.txt': 'Awful',
        'aclImdb/test/pos/0_8.txt': 'Fine',
        'aclImdb/train/unsup/0_0.txt': 'not labelled',
        'aclImdb/imdb.vocab': 'a\n',
      }),
    );
    writeFileSync(join(dir, 'aclImdb_v1.tar.gz'), gz);
    registerDataFile({ ...spec, checksums: [{ algorithm: 'sha1', hex: hashHex('sha1', gz), over: 'file', label: 'test' }] });
    const train = await d2l.readImdb('train', { dataDir: dir });
    assert.deepEqual(
      [...train].sort((a, b) => b[1] - a[1]),
      [
        ['a greatfilm', 1],
        ['awful', 0],
      ],
    );
    assert.deepEqual(await d2l.readImdb('test', { dataDir: dir }), [['fine', 1]]);
  } finally {
    registerDataFile(spec);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('10.7 sentiment-analysis-rnn runs on aclImdb_tiny for one epoch and says what it lacks', async (t) => {
  if (!requireResource(t, tiny(), `aclImdb_tiny.zip in ${DATA_DIR}`)) return;
  const r = await sentiment.run({ dataDir: DATA_DIR, epochs: 1, print: () => {} });
  if (r.archive === 'aclImdb_tiny.zip') assert.ok(r.lines[0].startsWith('aclImdb_v1.tar.gz is not on this machine'), r.lines[0]);
  assert.ok(r.lines.some((l) => /^\('# words in vocab:', \d+\)$/.test(l)));
  if (r.archive === 'aclImdb_tiny.zip') assert.ok(r.lines.includes('X (20, 500) y (20,)') && r.lines.includes("('#batches:', 1)"));
  assert.ok(r.lines.includes('training on cpu(0)'));
  if (!r.glove) assert.ok(r.lines.some((l) => l.startsWith('glove.6B.100d.txt is not on this machine')));
  assert.equal(r.log.length, 1);
  assert.ok(r.predictions.every((p) => p === 'positive' || p === 'negative'));
});

test('readImdbOrSample: the sample with the lines saying where the full set goes, when the full set is absent', async (t) => {
  if (!requireResource(t, tiny(), `aclImdb_tiny.zip in ${DATA_DIR}`)) return;
  nd.random.seed(1);
  const s = await d2l.readImdbOrSample({ dataDir: DATA_DIR });
  if (s.archive === 'aclImdb_v1.tar.gz') {
    // The full set is on this machine (a data directory the resolver also searches).
    assert.deepEqual(s.notice, []);
    assert.equal(s.trainData.length, 25000);
  } else {
    assert.equal(s.archive, 'aclImdb_tiny.zip');
    assert.equal(s.notice.length, 3);
    assert.match(s.notice[1], /aclImdb_v1\.tar\.gz \(sha1 01ada507287d82875905620988597833ad4e0903\)/);
    nd.random.seed(1);
    assert.deepEqual(s.trainData, await d2l.readImdb('train', { dataDir: DATA_DIR, archive: 'aclImdb_tiny.zip' }));
    assert.equal(s.testData.length, 20);
  }
  await assert.rejects(d2l.readImdbOrSample(7 as never), /readImdbOrSample: opts must be an object, got number/);
});
