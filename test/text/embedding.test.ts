// mxnet.contrib.text: the Vocabulary, the GloVe/fastText text-format loaders (on small vector
// files written here), the pretrained-file lookup through the data resolver, and 10.6's knn,
// getSimilarTokens and getAnalogy on crafted vectors whose answers are known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { nd, d2l, contrib } from '../../src/index.js';
import { CorruptDataError } from '../../src/data/verify.js';
import { EmbeddingFormatError, PretrainedFileNotFoundError, parseEmbeddingText } from '../../src/contrib/text/embedding.js';
import { assertClose } from '../helpers.js';
import * as shared from './vectors.js';
import { ANALOGY_VECTORS } from './vectors.js';

const { text } = contrib;

const VECTORS: [string, number[]][] = [...ANALOGY_VECTORS, ['hello', [0.5, -0.25, 0.125, -2]]];
const gloveText = (rows = VECTORS) => shared.gloveText(rows);
const fastTextText = (rows = VECTORS) => `${rows.length} 4\n${gloveText(rows)}`;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'd2l-embedding-'));
}
function writeIn(dir: string, name: string, content: string): string {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  return p;
}
/** Runs `fn` with the resolver's other places (D2L_DATA_DIR, the cache, ~/.mxnet) pointed at empty folders. */
function isolated<T>(fn: (dir: string) => T): T {
  const dir = tmp();
  const saved = { HOME: process.env.HOME, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, D2L_DATA_DIR: process.env.D2L_DATA_DIR };
  process.env.HOME = join(dir, 'home');
  process.env.XDG_CACHE_HOME = join(dir, 'cache');
  delete process.env.D2L_DATA_DIR;
  try {
    return fn(dir);
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    rmSync(dir, { recursive: true, force: true });
  }
}

test("Vocabulary: MXNet's order (unknown, reserved, by frequency, ties by token), minFreq, mostFreqCount, errors", () => {
  const counter = text.utils.countTokensFromStr(' hello world \n hello nice world \n hi world \n');
  assert.deepEqual(
    [...counter],
    [
      ['hello', 2],
      ['world', 3],
      ['nice', 1],
      ['hi', 1],
    ],
  );
  const v = new text.vocab.Vocabulary(counter, { reservedTokens: ['<pad>'] });
  assert.deepEqual(v.idxToToken, ['<unk>', '<pad>', 'world', 'hello', 'hi', 'nice']);
  assert.equal(v.length, 6);
  assert.deepEqual(v.toIndices(['hello', 'xyz']), [3, 0]);
  assert.equal(v.toIndices('world'), 2);
  assert.deepEqual(v.toTokens([2, 3]), ['world', 'hello']);
  assert.throws(() => v.toTokens(6), /Vocabulary\.toTokens: index 6 is out of range \(vocabulary of 6 tokens\)/);
  assert.deepEqual(new text.vocab.Vocabulary(counter, { minFreq: 2 }).idxToToken, ['<unk>', 'world', 'hello']);
  assert.deepEqual(new text.vocab.Vocabulary(counter, { mostFreqCount: 1 }).idxToToken, ['<unk>', 'world']);
  assert.deepEqual(new text.vocab.Vocabulary(counter, { unknownToken: '<UNK>' }).idxToToken[0], '<UNK>');
  assert.equal(new text.vocab.Vocabulary(counter).reservedTokens, null);
  assert.deepEqual(new text.vocab.Vocabulary(counter, ['<pad>']).idxToToken, v.idxToToken);
  assert.throws(() => new text.vocab.Vocabulary(counter, { minFreq: 0 }), /minFreq must be a positive number, got 0/);
  assert.throws(() => new text.vocab.Vocabulary(counter, { reservedTokens: ['<unk>'] }), /must not contain <unk>/);
  assert.throws(() => new text.vocab.Vocabulary(counter, { reservedTokens: ['a', 'a'] }), /must be distinct/);
  assert.throws(() => new text.vocab.Vocabulary(counter, { minfreq: 2 } as object), /unknown option 'minfreq'/);
  // d2l's Vocab is the same class, built from tokens with first-occurrence ties.
  const dv = new d2l.Vocab([['b', 'a', 'a', 'c', 'b']]);
  assert.ok(dv instanceof text.vocab.Vocabulary);
  assert.deepEqual(dv.idxToToken, ['<unk>', 'b', 'a', 'c']);
  assert.equal(text.utils.countTokensFromStr('A a|b', { tokenDelim: '|', toLower: true }).get('a a'), 1);
});

test('CustomEmbedding reads the GloVe format: <unk> at 0, the vectors in file order, lookups', () => {
  const dir = tmp();
  try {
    const e = new text.embedding.CustomEmbedding(writeIn(dir, 'tiny.txt', gloveText()));
    assert.equal(e.length, VECTORS.length + 1);
    assert.equal(e.vecLen, 4);
    assert.deepEqual(e.idxToToken.slice(0, 3), ['<unk>', 'man', 'woman']);
    assert.equal(e.tokenToIdx.get('hello'), 9);
    assert.deepEqual(e.idxToVec.shape, [10, 4]);
    assert.deepEqual(e.idxToVec.get(0).toArray(), [0, 0, 0, 0]);
    assert.deepEqual(e.getVecsByTokens('hello').toArray(), [0.5, -0.25, 0.125, -2]);
    assert.deepEqual(e.getVecsByTokens(['chip', 'nope']).toArray(), [
      [0, 0, 0, 1],
      [0, 0, 0, 0],
    ]);
    assert.deepEqual(e.getVecsByTokens('HELLO').toArray(), [0, 0, 0, 0]);
    assert.deepEqual(e.getVecsByTokens('HELLO', true).toArray(), [0.5, -0.25, 0.125, -2]);
    assert.deepEqual(e.toIndices(['chip', 'nope']), [5, 0]);
    // The unknown vector: initUnknownVec when the file has none, else the file's <unk> line.
    const ones = new text.embedding.CustomEmbedding(join(dir, 'tiny.txt'), { initUnknownVec: (s) => nd.ones(s) });
    assert.deepEqual(ones.getVecsByTokens('nope').toArray(), [1, 1, 1, 1]);
    const withUnk = new text.embedding.CustomEmbedding(writeIn(dir, 'unk.txt', `a 1 2\n<unk> 7 8\nb 3 4\n`));
    assert.deepEqual(withUnk.idxToToken, ['<unk>', 'a', 'b']);
    assert.deepEqual(withUnk.getVecsByTokens('zzz').toArray(), [7, 8]);
    // Another delimiter, CRLF line ends, no final newline.
    const tabs = new text.embedding.CustomEmbedding(writeIn(dir, 'tabs.txt', 'x\t1\t2\r\ny\t3\t-4e-1'), { elemDelim: '\t' });
    assertClose(tabs.idxToVec, [
      [0, 0],
      [1, 2],
      [3, -0.4],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('embedding files: duplicates and 1-number lines are skipped with warnings; bad lines are errors naming the file and line', () => {
  const dir = tmp();
  try {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    const e = new text.embedding.CustomEmbedding(writeIn(dir, 'dup.txt', 'a 1 2\n3 2\na 5 6\nb 3 4\n'), { warn });
    assert.deepEqual(e.idxToToken, ['<unk>', 'a', 'b']);
    assert.deepEqual(e.getVecsByTokens('a').toArray(), [1, 2]);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0], /dup\.txt, line 2: token "3" with a 1-dimensional vector is likely a header and is skipped/);
    assert.match(warnings[1], /dup\.txt, line 3: the vector of token "a" was loaded already; this duplicate is skipped/);
    const bad = (name: string, content: string, re: RegExp) =>
      assert.throws(
        () => new text.embedding.CustomEmbedding(writeIn(dir, name, content), { warn }),
        (err: Error) => err instanceof EmbeddingFormatError && re.test(err.message),
      );
    bad('one-field.txt', 'a 1 2\nb 3 4\nlonely\n', /one-field\.txt, line 3: expected 'token v1 v2 \.\.\.'.*got "lonely"/);
    bad(
      'dims.txt',
      'a 1 2 3 4\nb 1 2 3 4\nc 1 2 3 4\nx 1 2 3\n',
      /dims\.txt, line 4: the dimension of token "x" is 3 but the dimension of previous tokens is 4/,
    );
    bad('nan.txt', 'a 1 2\nb 3 four\n', /nan\.txt, line 2: number 2 of token "b" is "four", not a number/);
    bad('double-space.txt', 'a 1  2\n', /line 1: number 2 of token "a" is "", not a number/);
    bad('blank.txt', 'a 1 2\n\nb 3 4\n', /blank\.txt, line 2: expected 'token v1 v2/);
    bad('empty.txt', '', /empty\.txt: no vectors in the file/);
    assert.throws(() => new text.embedding.CustomEmbedding(join(dir, 'missing.txt')), /cannot open the embedding file .*missing\.txt/);
    assert.throws(
      () => new text.embedding.CustomEmbedding(join(dir, 'dup.txt'), { encoding: 'klingon' }),
      /unknown text encoding "klingon"/,
    );
    writeFileSync(join(dir, 'latin1.txt'), Uint8Array.from([0x61, 0xe9, 0x20, 0x31, 0x20, 0x32, 0x0a]));
    assert.throws(() => new text.embedding.CustomEmbedding(join(dir, 'latin1.txt')), /latin1\.txt: not valid utf8 text/);
    assert.deepEqual(new text.embedding.CustomEmbedding(join(dir, 'latin1.txt'), { encoding: 'latin1', warn }).idxToToken[1], 'aé');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseEmbeddingText: the same vectors however the text is cut into chunks; Python float spellings', () => {
  const textAll = '3 2\nab 1 2\nc -0.5 1e3\nd nan -Infinity\n';
  const whole = parseEmbeddingText([textAll], { where: 'x.vec', header: true });
  assert.deepEqual(whole.tokens, ['ab', 'c', 'd']);
  assert.deepEqual(Array.from(whole.vectors.subarray(0, 4)), [1, 2, -0.5, 1000]);
  assert.ok(Number.isNaN(whole.vectors[4]) && whole.vectors[5] === -Infinity);
  for (let cut = 0; cut <= textAll.length; cut++)
    for (const cut2 of [cut, Math.min(textAll.length, cut + 3)]) {
      const parts = parseEmbeddingText([textAll.slice(0, cut), textAll.slice(cut, cut2), textAll.slice(cut2)], {
        where: 'x.vec',
        header: true,
      });
      assert.deepEqual(parts.tokens, whole.tokens);
      assert.deepEqual(Array.from(parts.vectors.subarray(0, 4)), [1, 2, -0.5, 1000]);
    }
  const inf = parseEmbeddingText(['a inf -INF\n'], { where: 'inf.txt' });
  assert.deepEqual(Array.from(inf.vectors), [Infinity, -Infinity]);
});

test('the fastText format: the count dim header, checked against the vectors', () => {
  const ok = parseEmbeddingText([fastTextText()], { where: 'tiny.vec', header: true });
  assert.equal(ok.tokens.length, VECTORS.length);
  assert.equal(ok.vecLen, 4);
  const bad = (content: string, re: RegExp) =>
    assert.throws(
      () => parseEmbeddingText([content], { where: 'bad.vec', header: true }),
      (err: Error) => err instanceof EmbeddingFormatError && re.test(err.message),
    );
  bad('a 1 2\n', /bad\.vec, line 1: expected the fastText header 'count dim'/);
  bad('2 3\na 1 2\n', /bad\.vec, line 2: token "a" has 2 numbers but the header \(line 1\) says dim 3/);
  bad('3 2\na 1 2\nb 3 4\n', /bad\.vec: the header \(line 1\) declares 3 vectors but the file has 2 \(truncated\?\)/);
  bad('1 2\na 1 2\nb 3 4\n', /declares 1 vectors but the file has 2$/);
});

test('updateTokenVectors replaces known vectors; unknown tokens and wrong shapes are errors', () => {
  const dir = tmp();
  try {
    const e = new text.embedding.CustomEmbedding(writeIn(dir, 'tiny.txt', gloveText()));
    e.updateTokenVectors(
      ['chip', 'son'],
      nd.array([
        [9, 9, 9, 9],
        [8, 8, 8, 8],
      ]),
    );
    assert.deepEqual(e.getVecsByTokens(['chip', 'son']).toArray(), [
      [9, 9, 9, 9],
      [8, 8, 8, 8],
    ]);
    e.updateTokenVectors('<unk>', nd.ones([4]));
    assert.deepEqual(e.getVecsByTokens('nope').toArray(), [1, 1, 1, 1]);
    assert.deepEqual(e.getVecsByTokens('man').toArray(), [1, 0, 0, 0]);
    assert.throws(
      () => e.updateTokenVectors(['chip', 'nope'], nd.ones([2, 4])),
      /token "nope" is unknown\. To update the vector of an unknown token, name the unknown token "<unk>"/,
    );
    assert.throws(() => e.updateTokenVectors(['chip'], nd.ones([2, 4])), /newVectors must have shape \[1, 4\].*got \[2,4\]/);
    assert.throws(() => e.updateTokenVectors(['chip', 'son'], nd.ones([4])), /must have shape \[2, 4\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a vocabulary's tokens with their vectors (MXNet's vocabulary= argument)", () => {
  const dir = tmp();
  try {
    const counter = text.utils.countTokensFromStr('hello chip chip zzz');
    const vocab = new text.vocab.Vocabulary(counter, { reservedTokens: ['<pad>'] });
    const e = new text.embedding.CustomEmbedding(writeIn(dir, 'tiny.txt', gloveText()), { vocabulary: vocab });
    assert.deepEqual(e.idxToToken, ['<unk>', '<pad>', 'chip', 'hello', 'zzz']);
    assert.deepEqual(e.reservedTokens, ['<pad>']);
    assert.deepEqual(e.idxToVec.toArray(), [
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 1],
      [0.5, -0.25, 0.125, -2],
      [0, 0, 0, 0],
    ]);
    assert.throws(
      () => new text.embedding.CustomEmbedding(join(dir, 'tiny.txt'), { vocabulary: vocab, unknownToken: '<UNK>' }),
      /the vocabulary's unknown token "<unk>" must be the embedding's "<UNK>"/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("getPretrainedFileNames and create: the book's names; unknown names and files are errors", () => {
  assert.deepEqual(Object.keys(text.embedding.getPretrainedFileNames()), ['glove', 'fasttext']);
  assert.deepEqual(text.embedding.getPretrainedFileNames('glove'), [
    'glove.42B.300d.txt',
    'glove.6B.50d.txt',
    'glove.6B.100d.txt',
    'glove.6B.200d.txt',
    'glove.6B.300d.txt',
    'glove.840B.300d.txt',
    'glove.twitter.27B.25d.txt',
    'glove.twitter.27B.50d.txt',
    'glove.twitter.27B.100d.txt',
    'glove.twitter.27B.200d.txt',
  ]);
  const ft = text.embedding.getPretrainedFileNames('FastText');
  for (const f of ['wiki.en.vec', 'wiki.simple.vec', 'wiki.zh.vec', 'crawl-300d-2M.vec']) assert.ok(ft.includes(f), f);
  assert.throws(() => text.embedding.create('word2vec'), /cannot find embedding "word2vec"; valid embedding names: glove, fasttext/);
  assert.throws(() => text.embedding.getPretrainedFileNames('nope'), /valid embedding names: glove, fasttext/);
  assert.throws(
    () => text.embedding.create('glove', { pretrainedFileName: 'glove.7B.txt' }),
    /Cannot find pretrained file "glove\.7B\.txt" for token embedding glove\. Valid pretrained files for embedding glove: glove\.42B\.300d\.txt, /,
  );
  assert.throws(() => text.embedding.create('glove', { pretrainedFile: 'x' } as object), /GloVe: unknown option 'pretrainedFile'/);
  const info = text.embedding.pretrainedFileInfo('glove', 'glove.6B.50d.txt');
  assert.equal(info.url, 'https://nlp.stanford.edu/data/glove.6B.zip');
  assert.equal(info.sha1, '21bf566a9d27f84d253e0cd4d4be9dcc07976a6d');
  assert.equal(info.dataName, 'glove/glove.6B.50d.txt');
  assert.equal(
    text.embedding.pretrainedFileInfo('fasttext', 'wiki.en.vec').url,
    'https://dl.fbaipublicfiles.com/fasttext/vectors-wiki/wiki.en.vec',
  );
});

test('pretrained files: found through the resolver, verified by sha1, and a missing one says where to get it', () => {
  isolated((dir) => {
    const data = join(dir, 'data');
    mkdirSync(data);
    assert.throws(
      () => text.embedding.create('glove', { pretrainedFileName: 'glove.6B.50d.txt', dataDir: data }),
      (err: Error) =>
        err instanceof PretrainedFileNotFoundError &&
        /the library does not download pretrained vectors/.test(err.message) &&
        err.message.includes(
          'download https://nlp.stanford.edu/data/glove.6B.zip, unpack glove.6B.50d.txt (sha1 21bf566a9d27f84d253e0cd4d4be9dcc07976a6d)',
        ) &&
        err.message.includes(`the dataDir option ${data}: no glove/glove.6B.50d.txt or glove.6B.50d.txt`) &&
        err.message.includes('.mxnet/embeddings/glove'),
    );
    // A file at glove/glove.6B.50d.txt is found, and its checksum checked.
    writeIn(data, 'glove/glove.6B.50d.txt', gloveText());
    assert.throws(
      () => text.embedding.create('glove', { pretrainedFileName: 'glove.6B.50d.txt', dataDir: data }),
      (err: Error) =>
        err instanceof CorruptDataError &&
        /checksum mismatch for glove\/glove\.6B\.50d\.txt: expected sha1 21bf566a9d27f84d253e0cd4d4be9dcc07976a6d \(MXNet's recorded checksum\), got [0-9a-f]{40}/.test(
          err.message,
        ),
    );
    const g = text.embedding.create('glove', { pretrainedFileName: 'glove.6B.50d.txt', dataDir: data, verify: false });
    assert.ok(g instanceof text.embedding.GloVe);
    assert.equal(g.length, VECTORS.length + 1);
    // fastText's .vec files have the header; MXNet's ~/.mxnet/embeddings/<name>/ is searched too.
    writeIn(join(dir, 'home'), '.mxnet/embeddings/fasttext/wiki.simple.vec', fastTextText());
    const f = text.embedding.create('fasttext', { pretrainedFileName: 'wiki.simple.vec', verify: false });
    assert.ok(f instanceof text.embedding.FastText);
    assert.deepEqual(f.getVecsByTokens('chip').toArray(), [0, 0, 0, 1]);
  });
});

test('10.6 knn, getSimilarTokens and getAnalogy on crafted vectors', async () => {
  const dir = tmp();
  try {
    const e = new text.embedding.CustomEmbedding(writeIn(dir, 'tiny.txt', gloveText()));
    const [topk, cos] = await d2l.knn(e.idxToVec, e.getVecsByTokens(['chip']), 4);
    assert.deepEqual(topk, [5, 6, 7, 8]);
    assertClose(cos, [1, 1 / Math.sqrt(1.01), 1 / Math.sqrt(1.09), 1 / Math.sqrt(1.16)], 1e-6);
    const similar = await d2l.getSimilarTokens('chip', 3, e);
    assert.deepEqual(
      similar.map(([t]) => t),
      ['chips', 'intel', 'electronics'],
    );
    assert.deepEqual(
      similar.map(([, c]) => c.toFixed(3)),
      ['0.995', '0.958', '0.928'],
    );
    assert.equal(await d2l.getAnalogy('man', 'woman', 'son', e), 'daughter');
    // The three words are candidates, as in the book: son − son + chip is chip.
    assert.equal(await d2l.getAnalogy('son', 'son', 'chip', e), 'chip');
    await assert.rejects(d2l.getAnalogy('man', 'queen', 'son', e), /getAnalogy: 'queen' not in the embedding's vocabulary/);
    await assert.rejects(d2l.getSimilarTokens('nope', 3, e), /'nope' is not in the embedding's vocabulary/);
    await assert.rejects(d2l.getSimilarTokens('chip', 10, e), /k must be an integer in \[1, 9\], got 10/);
    await assert.rejects(d2l.knn(e.idxToVec, nd.ones([3]), 1), /x must hold one vector of length 4/);
    await assert.rejects(d2l.knn(e.idxToVec, nd.ones([4]), 0), /k must be an integer in \[1, 10\], got 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file larger than one 4 MiB read: the cut falls inside a 3-byte character, every vector intact', () => {
  const dir = tmp();
  try {
    const n = 80000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(`词${i}汇 ${i} ${-i / 4} 0.123456789 1e-3 ${i % 7} 3.25 -2.5 100000.5 7\n`);
    const body = new TextEncoder().encode(lines.join(''));
    // Shift the text with a first line so that byte 4 MiB is the second byte of a '词' (E8 AF 8D):
    // the reader's first chunk then ends inside the character.
    const CHUNK = 1 << 22;
    let lead = CHUNK - 1;
    while (lead > 0 && !(body[lead] === 0xe8 && lead + 30 <= CHUNK)) lead--;
    const prefix = `p${'x'.repeat(CHUNK - 1 - lead - 20)} 0 0 0 0 0 0 0 0 0\n`;
    assert.equal(new TextEncoder().encode(prefix).length, CHUNK - 1 - lead);
    const file = join(dir, 'big.txt');
    writeFileSync(file, Buffer.concat([Buffer.from(prefix), body]));
    const all = new Uint8Array(readFileSync(file));
    assert.deepEqual([all[CHUNK - 1], all[CHUNK]], [0xe8, 0xaf]);
    const e = new text.embedding.CustomEmbedding(file);
    assert.equal(e.length, n + 2);
    assert.equal(e.vecLen, 9);
    for (const i of [0, 1, 23456, 46000, 46001, n - 1]) {
      assert.equal(e.tokenToIdx.get(`词${i}汇`), i + 2);
      assertClose(e.getVecsByTokens(`词${i}汇`), [i, -i / 4, 0.123456789, 1e-3, i % 7, 3.25, -2.5, 100000.5, 7], 1e-3);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
