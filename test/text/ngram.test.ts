import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NGramModel, topNgrams } from '../../src/d2l/ngram.js';

test('n-gram counts, relative frequencies and add-k smoothing', () => {
  // a b a b a c  (vocabulary a=0, b=1, c=2)
  const seq = [0, 1, 0, 1, 0, 2];
  const lm = new NGramModel(2, 3, { k: 0 }).fit([seq]);
  assert.equal(lm.count([0]), 3);
  assert.equal(lm.count([0, 1]), 2);
  assert.equal(lm.prob([0], 1), 2 / 3); // count(a b) / count(a as a context)
  assert.equal(lm.prob([0], 2), 1 / 3);
  assert.equal(lm.prob([], 0), 3 / 6); // unigram at the start of a sequence
  assert.equal(lm.prob([2], 0), 0); // 'c' never starts a bigram: no mass without smoothing
  const add1 = new NGramModel(2, 3, { k: 1 }).fit([seq]);
  assert.equal(add1.prob([0], 1), (2 + 1) / (3 + 3));
  assert.equal(add1.prob([2], 0), 1 / 3);
  // Probabilities of each context sum to 1.
  for (const ctx of [[0], [1], [2], []]) assertSum1([0, 1, 2].map((w) => add1.prob(ctx, w)));
  assert.deepEqual(add1.storedCounts(), [3, 3]); // a, b, c; ab, ba, ac
  // Perplexity of a uniform model is the vocabulary size; log-probabilities add up.
  const uni = new NGramModel(1, 4, { k: 1e9 }).fit([[0, 1, 2, 3]]);
  assert.ok(Math.abs(uni.perplexity([[0, 1, 2, 3, 3]]) - 4) < 1e-6);
  assert.ok(Math.abs(add1.logProb([0, 1]) - (Math.log(add1.prob([], 0)) + Math.log(add1.prob([0], 1)))) < 1e-12);
  assert.throws(() => lm.fit([[5]]), /outside 0\.\.2/);
  assert.throws(() => new NGramModel(0, 3), /positive integer/);
});

test('topNgrams: most frequent first, ties in first-occurrence order', () => {
  assert.deepEqual(topNgrams(['x', 'y', 'x', 'y', 'z'], 2, 2), [
    [['x', 'y'], 2],
    [['y', 'x'], 1],
  ]);
  assert.deepEqual(topNgrams(['a', 'b', 'b'], 1), [
    [['b'], 2],
    [['a'], 1],
  ]);
});

function assertSum1(ps: number[]): void {
  assert.ok(Math.abs(ps.reduce((a, b) => a + b, 0) - 1) < 1e-12, `${ps}`);
}
