import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd } from '../../src/index.js';
import {
  loadDataJayLyrics,
  readJayLyrics,
  dataIterConsecutive,
  dataIterRandom,
  range,
  epochSize,
  Vocab,
  tokenize,
  readPtb,
  readTimeMachine,
  loadDataTimeMachine,
  countCorpus,
  heldOutSegments,
} from '../../src/d2l/text.js';
import { requireResource } from '../helpers.js';
import { DATA_DIR, hasData } from './data-path.js';

const opts = { dataDir: DATA_DIR };

test('lyrics: 63282 characters, the first 40 as the book, vocabulary of 1027 in first-occurrence order', async (t) => {
  if (!requireResource(t, hasData('jaychou_lyrics.txt.zip'), 'jaychou_lyrics.txt.zip')) return;
  const raw = await readJayLyrics(opts);
  assert.equal(Array.from(raw).length, 63282);
  assert.equal(raw.slice(0, 40), '想要有直升机\n想要和你飞到宇宙去\n想要和你融化在一起\n融化在宇宙里\n我每天每天每');
  const { corpusIndices, charToIdx, idxToChar, vocabSize, corpusChars } = await loadDataJayLyrics(opts);
  assert.equal(vocabSize, 1027);
  assert.equal(idxToChar.length, 1027);
  assert.equal(corpusIndices.length, 10000);
  assert.equal(corpusChars.slice(0, 20).join(''), '想要有直升机 想要和你飞到宇宙去 想要和');
  // First-occurrence order: the first new characters get 0, 1, 2, ...
  assert.deepEqual(corpusIndices.slice(0, 20), [0, 1, 2, 3, 4, 5, 6, 0, 1, 7, 8, 9, 10, 11, 12, 13, 6, 0, 1, 7]);
  // The book's repetition pattern: positions 0/7/17 and 1/8/18 and 6/16 and 9/19 repeat.
  const ix = corpusIndices;
  assert.ok(ix[0] === ix[7] && ix[7] === ix[17]);
  assert.ok(ix[1] === ix[8] && ix[8] === ix[18]);
  assert.ok(ix[6] === ix[16] && ix[9] === ix[19]);
  for (let i = 0; i < 1027; i++) assert.equal(charToIdx.get(idxToChar[i]), i);
  assert.ok(!corpusChars.includes('\n') && !corpusChars.includes('\r'));
});

test('lyrics: 8 minibatches per epoch for batch 32 x 35 steps on 10000 chars, both samplers', async (t) => {
  assert.equal(epochSize('random', 10000, 32, 35), 8);
  assert.equal(epochSize('consecutive', 10000, 32, 35), 8);
  if (!requireResource(t, hasData('jaychou_lyrics.txt.zip'), 'jaychou_lyrics.txt.zip')) return;
  const { corpusIndices } = await loadDataJayLyrics(opts);
  for (const it of [dataIterRandom, dataIterConsecutive]) {
    let n = 0;
    for (const [X, Y] of it(corpusIndices, 32, 35)) {
      assert.deepEqual(X.shape, [32, 35]);
      assert.deepEqual(Y.shape, [32, 35]);
      X.dispose();
      Y.dispose();
      n++;
    }
    assert.equal(n, 8);
  }
});

test('consecutive sampling on range(30), batch 2, 6 steps prints the book X/Y exactly', () => {
  const lines: string[] = [];
  for (const [X, Y] of dataIterConsecutive(range(30), 2, 6)) {
    lines.push(`X:  ${X} \nY: ${Y} \n`);
    X.dispose();
    Y.dispose();
  }
  assert.equal(lines.length, 2);
  assert.equal(
    lines[0],
    'X:  \n[[ 0.  1.  2.  3.  4.  5.]\n [15. 16. 17. 18. 19. 20.]]\n<NDArray 2x6 @cpu(0)> \n' +
      'Y: \n[[ 1.  2.  3.  4.  5.  6.]\n [16. 17. 18. 19. 20. 21.]]\n<NDArray 2x6 @cpu(0)> \n',
  );
  assert.equal(
    lines[1],
    'X:  \n[[ 6.  7.  8.  9. 10. 11.]\n [21. 22. 23. 24. 25. 26.]]\n<NDArray 2x6 @cpu(0)> \n' +
      'Y: \n[[ 7.  8.  9. 10. 11. 12.]\n [22. 23. 24. 25. 26. 27.]]\n<NDArray 2x6 @cpu(0)> \n',
  );
});

test('random sampling on range(30): 2 batches, rows start at multiples of 6, Y = X + 1, no example twice', () => {
  for (let seed = 0; seed < 20; seed++) {
    nd.random.seed(seed);
    const starts: number[] = [];
    let n = 0;
    for (const [X, Y] of dataIterRandom(range(30), 2, 6)) {
      n++;
      assert.deepEqual(X.shape, [2, 6]);
      const x = X.toArray() as number[][];
      const y = Y.toArray() as number[][];
      for (let r = 0; r < 2; r++) {
        assert.equal(x[r][0] % 6, 0);
        starts.push(x[r][0]);
        for (let c = 0; c < 6; c++) {
          assert.equal(x[r][c], x[r][0] + c);
          assert.equal(y[r][c], x[r][c] + 1);
        }
      }
      X.dispose();
      Y.dispose();
    }
    assert.equal(n, 2);
    assert.equal(new Set(starts).size, 4);
    assert.ok(starts.every((s) => s <= 18));
  }
  // Seeded: the same order twice.
  const order = () => {
    nd.random.seed(7);
    return [...dataIterRandom(range(30), 2, 6)].map(([X]) => X.toArray());
  };
  assert.deepEqual(order(), order());
});

test('sampler arguments are checked', () => {
  assert.throws(() => dataIterConsecutive(range(30), 0, 6).next(), /batchSize must be a positive integer/);
  assert.throws(() => dataIterRandom(range(1), 2, 6).next(), /at least 2 indices/);
});

test('Vocab: <unk> first, reserved tokens, min frequency, most frequent first, ties in first-occurrence order', () => {
  const lines = tokenize(['b a c a', 'b a d'], 'word');
  assert.deepEqual(lines, [
    ['b', 'a', 'c', 'a'],
    ['b', 'a', 'd'],
  ]);
  assert.deepEqual(
    [...countCorpus(lines)],
    [
      ['b', 2],
      ['a', 3],
      ['c', 1],
      ['d', 1],
    ],
  );
  const v = new Vocab(lines, { reservedTokens: ['<pad>'] });
  assert.deepEqual(v.idxToToken, ['<unk>', '<pad>', 'a', 'b', 'c', 'd']);
  assert.equal(v.length, 6);
  assert.deepEqual(v.toIndices(['a', 'zz', 'd']), [2, 0, 5]);
  assert.equal(v.toIndices('b'), 3);
  assert.deepEqual(v.toTokens([2, 3]), ['a', 'b']);
  assert.throws(() => v.toTokens(99), /out of range/);
  const v2 = new Vocab(lines, { minFreq: 2 });
  assert.deepEqual(v2.idxToToken, ['<unk>', 'a', 'b']);
  assert.deepEqual(tokenize(['分开 x'], 'char'), [['分', '开', ' ', 'x']]);
  assert.throws(() => tokenize(['a'], 'byte' as 'word'), /unknown token type/);
});

test('Time Machine: lowercase words, a character corpus of 10000', async (t) => {
  if (!requireResource(t, hasData('timemachine.txt'), 'timemachine.txt')) return;
  const lines = await readTimeMachine(opts);
  assert.equal(lines[0], 'the time machine by h g wells');
  const vocab = new Vocab(tokenize(lines, 'word'));
  assert.equal(vocab.toTokens(1), 'the');
  const c = await loadDataTimeMachine(opts);
  assert.equal(c.corpusIndices.length, 10000);
  assert.ok(c.corpusChars.every((ch) => ch === ch.toLowerCase()));
});

test('PTB: 42068 training sentences, the book first three', async (t) => {
  if (!requireResource(t, hasData('ptb.zip'), 'ptb.zip')) return;
  const s = await readPtb(opts);
  assert.equal(s.length, 42068);
  assert.equal(s[0].length, 24);
  assert.deepEqual(s[0].slice(0, 5), ['aer', 'banknote', 'berlitz', 'calloway', 'centrust']);
  assert.equal(s[1].length, 15);
  assert.deepEqual(s[1].slice(0, 5), ['pierre', '<unk>', 'N', 'years', 'old']);
  assert.equal(s[2].length, 11);
  assert.deepEqual(s[2].slice(0, 5), ['mr.', '<unk>', 'is', 'chairman', 'of']);
});

test('held-out lyrics segments only contain in-vocabulary characters', async (t) => {
  if (!requireResource(t, hasData('jaychou_lyrics.txt.zip'), 'jaychou_lyrics.txt.zip')) return;
  const c = await loadDataJayLyrics(opts);
  const h = heldOutSegments(c, { ...opts, start: 10000, length: 3000 });
  assert.equal(h.numChars, 3000);
  assert.ok(h.segments.every((s) => s.length >= 2 && s.every((i) => i >= 0 && i < c.vocabSize)));
  assert.ok(h.numScored > 1500, `scored ${h.numScored}`);
  assert.ok(h.numOutOfVocab > 0);
});

test('a missing data file is a clear error naming where it looked', async () => {
  const saved = process.env.D2L_DATA_DIR;
  const savedCache = process.env.XDG_CACHE_HOME;
  process.env.D2L_DATA_DIR = '/nonexistent-env-dir';
  process.env.XDG_CACHE_HOME = '/nonexistent-cache-dir';
  try {
    await assert.rejects(
      loadDataJayLyrics({ dataDir: '/nonexistent-dir', download: false }),
      /jaychou_lyrics\.txt\.zip[\s\S]*nonexistent-dir/,
    );
  } finally {
    if (saved === undefined) delete process.env.D2L_DATA_DIR;
    else process.env.D2L_DATA_DIR = saved;
    if (savedCache === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = savedCache;
  }
});
