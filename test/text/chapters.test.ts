import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run as runDataset } from '../../chapters/lang-model-dataset.js';
import { run as runLangModel } from '../../chapters/lang-model.js';
import { requireResource } from '../helpers.js';
import { DATA_DIR, hasData } from './data-path.js';

test('chapter lang-model-dataset prints the book checks', async (t) => {
  if (!requireResource(t, hasData('jaychou_lyrics.txt.zip'), 'jaychou_lyrics.txt.zip')) return;
  const lines: string[] = [];
  const r = await runDataset({ dataDir: DATA_DIR, seed: 0, print: (l) => lines.push(l) });
  assert.equal(lines[0], JSON.stringify('想要有直升机\n想要和你飞到宇宙去\n想要和你融化在一起\n融化在宇宙里\n我每天每天每'));
  assert.equal(lines[1], '1027');
  assert.equal(lines[2], 'chars: 想要有直升机 想要和你飞到宇宙去 想要和');
  assert.equal(r.randomBatches.length, 2);
  assert.deepEqual(r.consecutiveBatches[0][0], [
    [0, 1, 2, 3, 4, 5],
    [15, 16, 17, 18, 19, 20],
  ]);
  assert.deepEqual(r.consecutiveBatches[1][1], [
    [7, 8, 9, 10, 11, 12],
    [22, 23, 24, 25, 26, 27],
  ]);
});

test('chapter lang-model: counts, relative frequencies, order-blind unigrams, n-gram perplexities and sizes', async (t) => {
  if (!requireResource(t, hasData('jaychou_lyrics.txt.zip') && hasData('timemachine.txt'), 'the lyrics and timemachine.txt')) return;
  const lines: string[] = [];
  const r = await runLangModel({ dataDir: DATA_DIR, print: (l) => lines.push(l) });
  assert.ok(lines.includes('P(要|想) = count(想要) / count(想) = 19 / 105 = 0.1810'));
  const s = r.sentenceLogProbs;
  assert.equal(s['你走先'].unigram, s['你先走'].unigram); // a unigram model ignores order
  assert.notEqual(s['你走先'].bigram, s['你先走'].bigram);
  assert.equal(r.table.length, 4);
  assert.equal(r.table[0].storedCounts, 1027);
  for (let i = 1; i < 4; i++) {
    assert.ok(r.table[i].storedCounts > r.table[i - 1].storedCounts);
    // With little smoothing a longer context always fits the training text better...
    assert.ok(r.table[i].trainPerplexity[0.01] < r.table[i - 1].trainPerplexity[0.01]);
    // ...and the held-out text worse (the counts are too sparse).
    assert.ok(r.table[i].heldOutPerplexity[0.01] > r.table[i - 1].heldOutPerplexity[0.01]);
  }
  assert.ok(lines.some((l) => l.startsWith('most frequent words: the:2261')));
});
