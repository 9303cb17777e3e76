import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, gluon } from '../../src/index.js';
import { readPtb } from '../../src/d2l/text.js';
import * as W from '../../src/d2l/word2vec.js';
import { assertClose, requireResource } from '../helpers.js';
import { DATA_DIR, hasData } from './data-path.js';

test('the masked sigmoid binary cross-entropy of 10.3 gives [0.8739896 1.2099689]', () => {
  const pred = nd.array([
    [1.5, 0.3, -1, 2],
    [1.1, -0.6, 2.2, 0.4],
  ]);
  const label = nd.array([
    [1, 0, 0, 0],
    [1, 1, 0, 0],
  ]);
  const mask = nd.array([
    [1, 1, 1, 1],
    [1, 1, 1, 0],
  ]);
  const l = W.maskedSigmoidBCE(pred, label, mask);
  assertClose(l, [0.8739896, 1.2099689], 1e-6);
  assert.equal(l.toString(), '\n[0.8739896 1.2099689]\n<NDArray 2 @cpu(0)>');
});

test('context windows: contexts are the neighbours within a window of 1..max, the center excluded', () => {
  nd.random.seed(0);
  const tiny = [[0, 1, 2, 3, 4, 5, 6], [7, 8, 9], [10]];
  for (let rep = 0; rep < 20; rep++) {
    const [centers, contexts] = W.getCentersAndContexts(tiny, 2);
    assert.deepEqual(centers, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // the 1-word sentence is skipped
    centers.forEach((c, i) => {
      const ctx = contexts[i];
      assert.ok(ctx.length >= 1 && !ctx.includes(c));
      const sent = c < 7 ? tiny[0] : tiny[1];
      const w = Math.max(...ctx.map((x) => Math.abs(x - c)));
      assert.ok(w <= 2);
      // A symmetric window clipped at the sentence ends.
      assert.deepEqual(
        ctx,
        sent.filter((x) => x !== c && Math.abs(x - c) <= w),
      );
    });
  }
});

test('negative sampling: K per context word, never a context word, frequencies follow the weights', () => {
  nd.random.seed(1);
  const contexts = [[0, 1], [2], [3, 0, 1]];
  const weights = [1, 1, 2, 4, 8];
  const negs = W.getNegatives(contexts, weights, 5);
  negs.forEach((n, i) => {
    assert.equal(n.length, contexts[i].length * 5);
    for (const x of n) assert.ok(!contexts[i].includes(x));
  });
  const many = W.getNegatives(
    Array.from({ length: 4000 }, () => [0]),
    weights,
    5,
  ).flat();
  const freq = [1, 2, 3, 4].map((k) => many.filter((x) => x === k).length / many.length);
  // Weights 1, 2, 4, 8 over the allowed words (0 is excluded): 1/15, 2/15, 4/15, 8/15.
  assertClose(freq, [1 / 15, 2 / 15, 4 / 15, 8 / 15], 0.05);
  assert.throws(() => W.getNegatives([[0]], [0, 0], 1), /sum to 0/);
});

test('batchify pads with 0 and builds masks and labels', () => {
  const [c, cn, m, l] = W.batchify([
    [1, [2, 3], [4, 5, 6, 7]],
    [8, [9], [10, 11]],
  ]);
  assert.deepEqual(c.toArray(), [[1], [8]]);
  assert.deepEqual(cn.toArray(), [
    [2, 3, 4, 5, 6, 7],
    [9, 10, 11, 0, 0, 0],
  ]);
  assert.deepEqual(m.toArray(), [
    [1, 1, 1, 1, 1, 1],
    [1, 1, 1, 0, 0, 0],
  ]);
  assert.deepEqual(l.toArray(), [
    [1, 1, 0, 0, 0, 0],
    [1, 0, 0, 0, 0, 0],
  ]);
});

test('skip-gram shapes, and nearest tokens by cosine similarity', async () => {
  const embed = new gluon.nn.Embedding(20, 4);
  embed.initialize();
  assert.deepEqual(
    embed.forward(
      nd.array([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    ).shape,
    [2, 3, 4],
  );
  assert.deepEqual(nd.batchDot(nd.ones([2, 1, 4]), nd.ones([2, 4, 6])).shape, [2, 1, 6]);
  const pred = W.skipGram(
    nd.array([[1], [2]]),
    nd.array([
      [3, 4, 5],
      [6, 7, 8],
    ]),
    embed,
    embed,
  );
  assert.deepEqual(pred.shape, [2, 1, 3]);
  const e = new gluon.nn.Embedding(4, 2);
  e.initialize();
  e.weight.setData(
    nd.array([
      [1, 0],
      [0.9, 0.1],
      [0, 1],
      [-1, 0],
    ]),
  );
  const idxToToken = ['a', 'b', 'c', 'd'];
  const sim = await W.getSimilarTokens('a', 2, e, new Map(idxToToken.map((t, i) => [t, i])), idxToToken);
  assert.deepEqual(
    sim.map(([t]) => t),
    ['b', 'c'],
  );
  assertClose(sim[0][1], 0.9 / Math.sqrt(0.82), 1e-6);
  await assert.rejects(W.getSimilarTokens('zz', 2, e, new Map(), idxToToken), /not in the vocabulary/);
});

test('PTB: # tokens: 887100 over 9858 types; subsampling keeps about 375672; the first batch is (512, 1) / (512, 60)', async (t) => {
  if (!requireResource(t, hasData('ptb.zip'), 'ptb.zip')) return;
  nd.random.seed(2);
  const raw = await readPtb({ dataDir: DATA_DIR });
  const vocab = W.buildPtbVocab(raw);
  assert.equal(vocab.numTokens, 887100);
  assert.equal(vocab.idxToToken.length, 9858);
  assert.deepEqual(vocab.idxToToken.slice(0, 3), ['pierre', '<unk>', 'N']); // the first sentence's words are all rare
  const sub = W.subsample(vocab);
  const n = sub.reduce((a, s) => a + s.length, 0);
  assert.ok(Math.abs(n - 375672) < 2000, `subsampled to ${n}`);
  const the = W.compareCounts('the', vocab, sub);
  const after = Number(/after=(\d+)/.exec(the)![1]);
  assert.ok(the.startsWith('# the: before=50770, after=') && Math.abs(after - 2122) < 200, the);
  assert.equal(W.compareCounts('join', vocab, sub), '# join: before=45, after=45');
  const [centers, contexts] = W.getCentersAndContexts(sub, 5);
  assert.equal(centers.length, contexts.length);
  const first = 512;
  const negatives = W.getNegatives(
    contexts.slice(0, first),
    vocab.idxToToken.map((w) => vocab.counter.get(w)! ** 0.75),
    5,
  );
  const [c, cn, m, l] = W.skipGramBatches(centers.slice(0, first), contexts.slice(0, first), negatives, 512, { shuffle: false }).next()
    .value!;
  assert.deepEqual(c.shape, [512, 1]);
  assert.deepEqual(cn.shape, [512, 60]);
  assert.deepEqual(m.shape, [512, 60]);
  assert.deepEqual(l.shape, [512, 60]);
});

test('a few hundred skip-gram steps lower the loss', async () => {
  nd.random.seed(3);
  // A toy corpus with structure: two topics that never mix.
  const sents: number[][] = [];
  for (let i = 0; i < 400; i++) sents.push(Array.from({ length: 8 }, () => (i % 2) * 10 + nd.random.globalRandom.randint(0, 10)));
  const [centers, contexts] = W.getCentersAndContexts(sents, 3);
  const negatives = W.getNegatives(contexts, Array(20).fill(1), 5);
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Embedding(20, 8), new gluon.nn.Embedding(20, 8));
  const log = await W.trainWord2vec(net, 0.01, 3, () => W.skipGramBatches(centers, contexts, negatives, 128), 128, { print: () => {} });
  assert.ok(log[2].loss < log[0].loss - 0.03, `losses ${log.map((r) => r.loss.toFixed(3))}`);
  // Words of the same topic end up closer than words of the other topic.
  const idx = Array.from({ length: 20 }, (_, i) => String(i));
  const near = await W.getSimilarTokens('0', 5, net.get(0), new Map(idx.map((t, i) => [t, i])), idx);
  assert.ok(near.filter(([t]) => Number(t) < 10).length >= 4, JSON.stringify(near));
});
