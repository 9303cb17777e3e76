// 10.8 sentiment-analysis-cnn: the book's corr1d and corr1dMultiIn results, textCNN's shapes
// (figure 10.7's example), which embedding trains, and the program on the book's sample
// aclImdb_tiny.zip: its lines, its numbers in a band, and a checkpointed run resumed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { nd, init, autograd, gluon, contrib } from '../../src/index.js';
import * as cnn from '../../chapters/sentiment-analysis-cnn.js';
import { chapterSlugs } from '../../chapters/index.js';
import { registerDataFile, getDataFileSpec } from '../../src/data/registry.js';
import { hashHex } from '../../src/data/verify.js';
import { requireResource } from '../helpers.js';
import { DATA_DIR, hasData } from '../text/data-path.js';
import { tar } from '../text/tar.js';

const tiny = () => hasData('aclImdb_tiny.zip');

test('10.8 is registered after 10.7, resumable', () => {
  const slugs = chapterSlugs();
  assert.equal(slugs.indexOf('sentiment-analysis-cnn'), slugs.indexOf('sentiment-analysis-rnn') + 1);
  assert.equal(cnn.meta.resumable, true);
});

test("corr1d and corr1dMultiIn: the book's figures 10.4 and 10.5, and bad input", () => {
  const Y = cnn.corr1d(nd.array([0, 1, 2, 3, 4, 5, 6]), nd.array([1, 2]));
  assert.deepEqual(Y.toArray(), [2, 5, 8, 11, 14, 17]);
  assert.equal(String(Y), '\n[ 2.  5.  8. 11. 14. 17.]\n<NDArray 6 @cpu(0)>');
  const X = nd.array([
    [0, 1, 2, 3, 4, 5, 6],
    [1, 2, 3, 4, 5, 6, 7],
    [2, 3, 4, 5, 6, 7, 8],
  ]);
  const K = nd.array([
    [1, 2],
    [3, 4],
    [-1, -3],
  ]);
  const Z = cnn.corr1dMultiIn(X, K);
  assert.equal(String(Z), '\n[ 2.  8. 14. 20. 26. 32.]\n<NDArray 6 @cpu(0)>');
  // The same as nn.Conv1D with that kernel (one output channel, no bias).
  const conv = new gluon.nn.Conv1D(1, 2, { useBias: false, inChannels: 3 });
  conv.initialize();
  conv.weight.setData(K.reshape([1, 3, 2]));
  assert.deepEqual(
    conv
      .forward(X.reshape([1, 3, 7]))
      .reshape([6])
      .toArray(),
    Z.toArray(),
  );
  assert.throws(() => cnn.corr1d(X, nd.array([1, 2])), /corr1d: expected a 1-D input X and a 1-D kernel K, got X \(3, 7\)/);
  assert.throws(() => cnn.corr1d(nd.array([1, 2]), nd.array([1, 2, 3])), /no wider than the input X \(2,\)/);
  assert.throws(() => cnn.corr1dMultiIn(X, nd.array([[1, 2]])), /same number of channels .* got X \(3, 7\) and K \(1, 2\)/);
});

test("TextCNN: figure 10.7's example (11 words, 6 input channels, widths 2 and 4 with 4 and 5 channels) and which embedding trains", () => {
  const vocab = new contrib.text.vocab.Vocabulary(new Map(Object.entries({ a: 9, b: 8, c: 7, d: 6, e: 5 })), { reservedTokens: ['<pad>'] });
  // Two embeddings of 3 concatenated: the figure's 6 input channels.
  const net = new cnn.TextCNN(vocab, 3, [2, 4], [4, 5]);
  net.initialize(new init.Xavier());
  net.constantEmbedding.collectParams().setattr('gradReq', 'null');
  const x = nd.array([[2, 3, 4, 5, 6, 2, 3, 4, 5, 6, 1]]);
  const y = net.forward(x);
  assert.deepEqual(y.shape, [1, 2]);
  assert.deepEqual(net.lastShapes, {
    embeddings: [1, 6, 11],
    convs: [
      [1, 4, 10],
      [1, 5, 8],
    ],
    pooled: [
      [1, 4, 1],
      [1, 5, 1],
    ],
    encoding: [1, 9],
    outputs: [1, 2],
  });
  // One Adam step: the trained embedding moves, the constant one does not.
  const before = [net.embedding.weight.data().toArray(), net.constantEmbedding.weight.data().toArray()];
  const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.01 });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  autograd.record(() => loss.forward(net.forward(x), nd.array([1])).sum()).backward();
  trainer.step(1);
  assert.notDeepEqual(net.embedding.weight.data().toArray(), before[0]);
  assert.deepEqual(net.constantEmbedding.weight.data().toArray(), before[1]);
  assert.throws(() => net.forward(nd.ones([11])), /TextCNN '.*': expected \(batch, words\) token indices, got \(11,\)/);
  assert.throws(() => new cnn.TextCNN(vocab, 3, [2, 4], [4]), /kernelSizes and numChannels must be non-empty lists of the same length/);
});

test("10.8 on aclImdb_tiny: the book's lines, the shapes, and the numbers in their band", async (t) => {
  if (!requireResource(t, tiny(), `aclImdb_tiny.zip in ${DATA_DIR}`)) return;
  // 15 epochs: the first 5 are the book's run (a seeded run's first epochs do not depend on the total).
  const r = await cnn.run({ dataDir: DATA_DIR, epochs: 15, print: () => {} });
  assert.deepEqual(r.lines.slice(0, 2), [
    '\n[ 2.  5.  8. 11. 14. 17.]\n<NDArray 6 @cpu(0)>',
    '\n[ 2.  8. 14. 20. 26. 32.]\n<NDArray 6 @cpu(0)>',
  ]);
  if (r.archive !== 'aclImdb_tiny.zip') return; // the full set is here: the band below is the sample's
  assert.ok(r.lines[2].startsWith('aclImdb_v1.tar.gz is not on this machine'), r.lines[2]);
  if (!r.glove) assert.ok(r.lines.some((l) => l.startsWith('glove.6B.100d.txt is not on this machine')));
  assert.ok(r.lines.includes('training on cpu(0)'));
  // The 97 words seen at least 5 times in the 20 training reviews, with '<unk>' and '<pad>'.
  assert.equal(r.vocabSize, 97);
  assert.deepEqual([r.batchShapes.X, r.batchShapes.y, r.trainBatches], [[20, 500], [20], 1]);
  assert.deepEqual(r.batchShapes.net, {
    embeddings: [20, 200, 500],
    convs: [
      [20, 100, 498],
      [20, 100, 497],
      [20, 100, 496],
    ],
    pooled: [
      [20, 100, 1],
      [20, 100, 1],
      [20, 100, 1],
    ],
    encoding: [20, 300],
    outputs: [20, 2],
  });
  assert.equal(r.log.length, 15);
  const epochLines = r.lines.filter((l) => l.startsWith('epoch '));
  assert.equal(epochLines.length, 15);
  assert.match(epochLines[0], /^epoch 1, loss \d\.\d{4}, train acc \d\.\d{3}, test acc \d\.\d{3}, time \d+\.\d sec$/);
  // The band (seeds 1-4 gave epoch-1 losses 0.64-0.92, epoch-5 losses 0.40-0.50): one Adam step
  // of 0.001 an epoch (the 20 reviews are one batch) barely moves Xavier-initialized weights, so
  // the first epoch's loss is near ln 2 ≈ 0.69 (2-class scores of order 1 apart), and after five
  // steps it is lower but not near 0.
  const [e1, e5, e15] = [r.log[0], r.log[4], r.log[14]];
  assert.ok(e1.loss > 0.45 && e1.loss < 1.1, `epoch 1 loss ${e1.loss}`);
  assert.ok(e5.loss > 0.25 && e5.loss < e1.loss, `epoch 5 loss ${e5.loss} after ${e1.loss}`);
  // 20 test reviews, half positive, 97 mostly common words: no better than chance (0.5, sd 0.11).
  for (const m of r.log) assert.ok(m.testAcc >= 0.2 && m.testAcc <= 0.8, `epoch ${m.epoch} test acc ${m.testAcc}`);
  // About 60k trained weights for 20 reviews: by 15 steps it fits the training set (seed 1: loss 0.17).
  assert.ok(e15.loss < 0.35 && e15.trainAcc >= 0.9, `epoch 15 loss ${e15.loss}, train acc ${e15.trainAcc}`);
  assert.equal(r.predictions.length, 2);
  assert.ok(r.predictions.every((p) => p === 'positive' || p === 'negative'));
  assert.deepEqual(
    r.lines.slice(-2),
    r.predictions.map((p) => `'${p}'`),
  );
});

test('10.8 on aclImdb_tiny: two epochs, and one epoch resumed to two, print the same epoch-2 line', async (t) => {
  if (!requireResource(t, tiny(), `aclImdb_tiny.zip in ${DATA_DIR}`)) return;
  const [dirA, dirB] = [mkdtempSync(join(tmpdir(), 'd2l-tcnn-a-')), mkdtempSync(join(tmpdir(), 'd2l-tcnn-b-'))];
  try {
    const whole = await cnn.run({ dataDir: DATA_DIR, epochs: 2, checkpointDir: dirA, print: () => {} });
    await cnn.run({ dataDir: DATA_DIR, epochs: 1, checkpointDir: dirB, print: () => {} });
    const resumed = await cnn.run({ dataDir: DATA_DIR, epochs: 2, checkpointDir: dirB, resume: true, print: () => {} });
    assert.ok(resumed.lines.some((l) => /^resuming at epoch 2 of 2 from the checkpoint of epoch 1 in /.test(l)));
    const noTime = (l: string) => l.replace(/, time .*$/, '');
    const line2 = (lines: string[]) => noTime(lines.find((l) => l.startsWith('epoch 2,'))!);
    assert.equal(line2(resumed.lines), line2(whole.lines));
    assert.equal(resumed.log.length, 2);
    assert.deepEqual(resumed.predictions, whole.predictions);
    await assert.rejects(
      cnn.run({ dataDir: DATA_DIR, epochs: 2, lr: 0.01, checkpointDir: dirB, resume: true, print: () => {} }),
      /lr: 0\.001 in the checkpoint, 0\.01 now/,
    );
    await assert.rejects(cnn.run({ dataDir: DATA_DIR, resume: true, print: () => {} }), /resume needs checkpointDir/);
  } finally {
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  }
});

test("10.8 on a small aclImdb_v1.tar.gz (its layout, registered with its checksum here): --limit, and one book epoch's estimate", async () => {
  // 70 training and 20 test reviews of 30 words from 16 (each seen at least 5 times in any 64).
  const [pos, neg, neutral] = [
    ['great', 'fine', 'superb', 'loved', 'best'],
    ['awful', 'bad', 'boring', 'worst', 'hated'],
    ['the', 'movie', 'was', 'a', 'film', 'and'],
  ];
  // The Park-Miller generator (exact in doubles); its draws scaled to the list pick a word.
  let state = 7;
  const pick = (words: string[]) => words[Math.floor(((state = (state * 48271) % 2147483647) / 2147483647) * words.length)];
  const review = (label: number) => Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? pick(label ? pos : neg) : pick(neutral))).join(' ');
  const files: Record<string, string> = {};
  for (let i = 0; i < 35; i++)
    for (const [label, sub] of [
      [1, 'pos'],
      [0, 'neg'],
    ] as const)
      files[`aclImdb/train/${sub}/${i}_5.txt`] = review(label);
  for (let i = 0; i < 10; i++)
    for (const [label, sub] of [
      [1, 'pos'],
      [0, 'neg'],
    ] as const)
      files[`aclImdb/test/${sub}/${i}_5.txt`] = review(label);
  const dir = mkdtempSync(join(tmpdir(), 'd2l-tcnn-full-'));
  const spec = getDataFileSpec('aclImdb_v1.tar.gz');
  try {
    const gz = gzipSync(tar(files));
    writeFileSync(join(dir, 'aclImdb_v1.tar.gz'), gz);
    registerDataFile({ ...spec, checksums: [{ algorithm: 'sha1', hex: hashHex('sha1', gz), over: 'file', label: 'test' }] });
    const r = await cnn.run({ dataDir: dir, epochs: 1, limit: 64, print: () => {} });
    assert.equal(r.archive, 'aclImdb_v1.tar.gz');
    assert.ok(!r.lines.some((l) => l.includes('aclImdb_v1.tar.gz is not on this machine')));
    assert.equal(r.vocabSize, 2 + 16);
    // The first 64 of 70: one batch of the book's 64.
    assert.deepEqual([r.batchShapes.X, r.trainBatches], [[64, 500], 1]);
    const book = r.lines.find((l) => l.startsWith("one epoch at the book's settings (25000 reviews, batch 64) would take about "));
    assert.match(book ?? '', /would take about \d+\.\d min here \(one step \d+\.\d\d sec\)$/);
    assert.equal(r.log.length, 1);
    await assert.rejects(
      cnn.run({ dataDir: dir, limit: 0, print: () => {} }),
      /sentiment-analysis-cnn: limit must be a positive integer, got 0/,
    );
  } finally {
    registerDataFile(spec);
    rmSync(dir, { recursive: true, force: true });
  }
});
