// 10.4 fasttext, 10.5 glove and 10.6 similarity-analogy: the programs run (on a slice of PTB where
// they train), print the book's lines, and their numeric checks hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as fasttext from '../../chapters/fasttext.js';
import * as glove from '../../chapters/glove.js';
import * as sa from '../../chapters/similarity-analogy.js';
import { chapterSlugs } from '../../chapters/index.js';
import { contrib, d2l } from '../../src/index.js';
import { requireResource } from '../helpers.js';
import { DATA_DIR, hasData } from '../text/data-path.js';
import { ANALOGY_VECTORS, gloveText } from '../text/vectors.js';

test('10.4-10.6 are registered in book order after word2vec-gluon', () => {
  const slugs = chapterSlugs();
  const at = ['word2vec-gluon', 'fasttext', 'glove', 'similarity-analogy'].map((s) => slugs.indexOf(s));
  assert.deepEqual(
    at.map((i) => i - at[0]),
    [0, 1, 2, 3],
  );
  assert.ok(slugs.indexOf('seq2seq') > at[3]);
});

test("10.4 fasttext: the book's subwords of 'where', sums of subword vectors, the shared gradient, hashing", async () => {
  const r = await fasttext.run({ print: () => {} });
  assert.equal(r.lines[0], 'n = 3: <wh, whe, her, ere, re>, and the special subword <where>');
  assert.deepEqual(r.where3, ['<wh', 'whe', 'her', 'ere', 're>', '<where>']);
  assert.equal(r.whereAll.length, 15);
  assert.deepEqual(d2l.subwordNgrams('ab', 3, 6), ['<ab', 'ab>', '<ab>']);
  assert.deepEqual(d2l.subwordNgrams('是的', 2, 2), ['<是', '是的', '的>', '<是的>']);
  assert.throws(() => d2l.subwordNgrams('x', 4, 3), /1 <= minN <= maxN/);
  assert.ok(r.numSubwords > 5 * r.numWords, `${r.numSubwords} subwords for ${r.numWords} words`);
  assert.ok(r.gradientDiff < 1e-6, `gradient off by ${r.gradientDiff}`);
  // 100 random dimensions: the cosines land near what the shared subwords predict (sd about 0.1).
  assert.ok(Math.abs(r.oovCos.dogcatcher - r.oovCos.expected) < 0.25 && Math.abs(r.oovCos.girl) < 0.35, JSON.stringify(r.oovCos));
  assert.ok(r.oovCos.expected > 0.6, JSON.stringify(r.oovCos));
  assert.ok(r.lines.includes('26^6 = 308915776 (about 3 × 10^8) six-letter strings'));
  // FNV-1a's published test vectors.
  assert.equal(d2l.fastTextHash(''), 0x811c9dc5);
  assert.equal(d2l.fastTextHash('a'), 0xe40c292c);
  assert.equal(d2l.fastTextHash('foobar'), 0xbf9cf968);
});

test('10.5 glove: the text numbers, symmetric counts, and a falling loss on a slice of PTB', async (t) => {
  if (!requireResource(t, hasData('ptb.zip'), `ptb.zip in ${DATA_DIR}`)) return;
  const r = await glove.run({ dataDir: DATA_DIR, limit: 400, epochs: 3, print: () => {} });
  assert.equal(r.lines[0], 'C_i = {1, 1, 2, 2, 2, 2, 3, 5}; multiplicities x_i1 = 2, x_i2 = 4, x_i3 = 1, x_i5 = 1; x_i = 8');
  assert.ok(Math.abs(r.skipGramLoss[0] - r.skipGramLoss[1]) < 1e-12, JSON.stringify(r.skipGramLoss));
  assert.equal(r.lines[2], 'h(x) for x = 0, 1, 10, 50, 100, 1000: 0.0000, 0.0316, 0.1778, 0.5946, 1.0000, 1.0000');
  assert.match(r.lines[3], /^p1\/p2 from the table's rounded probabilities: solid 8\.64, gas 0\.0846, water 1\.36, fashion 0\.944 /);
  assert.equal(r.asymmetric, 0);
  assert.ok(r.numPairs > 1000, `${r.numPairs} pairs`);
  assert.equal(r.log.length, 3);
  assert.ok(r.log[2].loss < r.log[0].loss, JSON.stringify(r.log));
  const { i, j, x } = d2l.cooccurrenceCounts([[0, 1, 2, 1]], 1);
  assert.deepEqual([...i], [0, 1, 1, 2]);
  assert.deepEqual([...j], [1, 0, 2, 1]);
  assert.deepEqual([...x], [1, 1, 2, 2]);
  assert.equal(d2l.gloveWeight(100), 1);
  assert.throws(() => d2l.gloveWeight(-1), /need x >= 0/);
});

test("10.6 similarity-analogy: the book's cells print its lines on vectors with known answers", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'd2l-sa-'));
  try {
    const rows: [string, number[]][] = [...ANALOGY_VECTORS, ['beautiful', [0, -1, 0, 0]]];
    const file = join(dir, 'v.txt');
    writeFileSync(file, gloveText(rows));
    const lines: string[] = [];
    const cells = await sa.similarityCells(new contrib.text.embedding.CustomEmbedding(file), (...v) => lines.push(v.map(String).join(' ')));
    assert.deepEqual(lines.slice(0, 5), [
      '10',
      "(9, 'beautiful')",
      'cosine sim=0.995: chips',
      'cosine sim=0.958: intel',
      'cosine sim=0.928: electronics',
    ]);
    assert.ok(lines.includes("('baby' is not in this vocabulary)"));
    assert.equal(cells.analogies['man:woman::son:?'], 'daughter');
    assert.ok(lines.includes("'daughter'"));
    assert.ok(lines.includes("(getAnalogy('beijing', 'china', 'tokyo'): 'beijing', 'china', 'tokyo' not in this vocabulary)"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('10.6 similarity-analogy without GloVe: says so, trains word2vec on a slice of PTB and runs the cells on it', async (t) => {
  if (!requireResource(t, hasData('ptb.zip'), `ptb.zip in ${DATA_DIR}`)) return;
  const outDir = mkdtempSync(join(tmpdir(), 'd2l-sa-out-'));
  try {
    const r = await sa.run({ dataDir: DATA_DIR, epochs: 1, limit: 6000, outDir, print: () => {} });
    if (r.vectors === 'glove.6B.50d.txt') {
      // Someone put the real file in a place the resolver searches: the book's numbers then hold.
      assert.equal(r.length, 400001);
      assert.equal(r.analogies['man:woman::son:?'], 'daughter');
      return;
    }
    assert.equal(r.lines[0], "dict_keys(['glove', 'fasttext'])");
    assert.equal(
      r.lines[1],
      "['glove.42B.300d.txt', 'glove.6B.50d.txt', 'glove.6B.100d.txt', 'glove.6B.200d.txt', 'glove.6B.300d.txt', 'glove.840B.300d.txt', 'glove.twitter.27B.25d.txt', 'glove.twitter.27B.50d.txt', 'glove.twitter.27B.100d.txt', 'glove.twitter.27B.200d.txt']",
    );
    assert.equal(r.lines[2], 'glove.6B.50d.txt is not on this machine, and the library does not download pretrained vectors.');
    assert.ok(
      r.lines[3].includes('https://nlp.stanford.edu/data/glove.6B.zip') && r.lines[3].includes('21bf566a9d27f84d253e0cd4d4be9dcc07976a6d'),
      r.lines[3],
    );
    assert.ok(r.lines.some((l) => /^training word2vec \(10\.3\) on PTB: 9858 words, 6000 center words, 1 epochs$/.test(l)));
    assert.ok(r.lines.some((l) => /^epoch 1, loss 0\.\d\d, time/.test(l)));
    assert.ok(r.lines.some((l) => l.startsWith(`saved the vectors in GloVe's text format to ${join(outDir, 'word2vec-ptb-100d.txt')}`)));
    // PTB's <unk> line is the file's unknown vector, at index 0: 9858 tokens in all.
    assert.equal(r.length, 9858);
    assert.equal(r.similar.chip.length, 3);
    assert.ok(r.lines.some((l) => /^cosine sim=-?\d\.\d{3}: \S+$/.test(l)));
    assert.equal(Object.keys(r.analogies).length, 4);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
