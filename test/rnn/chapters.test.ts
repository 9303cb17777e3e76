// The chapter programs of 6.4-6.8 and 10.3 run end to end (one epoch each, or a slice of the data).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run as runRnnScratch } from '../../chapters/rnn-scratch.js';
import { run as runRnnGluon } from '../../chapters/rnn-gluon.js';
import { run as runGru } from '../../chapters/gru.js';
import { run as runLstm } from '../../chapters/lstm.js';
import { run as runWord2vec } from '../../chapters/word2vec-gluon.js';
import { requireResource } from '../helpers.js';
import { DATA_DIR, hasData } from '../text/data-path.js';

const lyrics = () => hasData('jaychou_lyrics.txt.zip');

test('rnn-scratch runs: the book shape checks, one epoch per sampler, held-out perplexity', async (t) => {
  if (!requireResource(t, lyrics(), 'jaychou_lyrics.txt.zip')) return;
  const lines: string[] = [];
  const r = await runRnnScratch({ dataDir: DATA_DIR, epochs: 1, limit: 2000, print: (l) => lines.push(l) });
  const v = Number(/^5 \[2, (\d+)\]$/.exec(lines.find((l) => l.startsWith('5 [2, '))!)![1]);
  assert.ok(v > 300 && v < 1027, `vocabulary of the first 2000 characters: ${v}`);
  assert.ok(lines.includes(`5 [2, ${v}] [2, 256]`));
  assert.equal(r.random.length, 1);
  assert.ok(r.consecutive[0].perplexity < v * 1.5);
  assert.ok(r.heldOut.random > 1 && r.heldOut.consecutive > 1);
  assert.ok(lines.some((l) => /^ - 不分开/.test(l)));
});

test('rnn-gluon, gru and lstm run one epoch each', async (t) => {
  if (!requireResource(t, lyrics(), 'jaychou_lyrics.txt.zip')) return;
  const lines: string[] = [];
  const g = await runRnnGluon({ dataDir: DATA_DIR, epochs: 1, limit: 2000, print: (l) => lines.push(l) });
  assert.ok(lines.includes('[1, 2, 256]'));
  assert.ok(lines.includes('[35, 2, 256] 1 [1, 2, 256]'));
  assert.equal(g.log.length, 1);
  const gru = await runGru({ dataDir: DATA_DIR, epochs: 1, limit: 2000, print: () => {} });
  assert.equal(gru.scratch.length, 1);
  assert.equal(gru.concise.length, 1);
  const lstm = await runLstm({ dataDir: DATA_DIR, epochs: 1, limit: 2000, parts: ['concise'], print: () => {} });
  assert.equal(lstm.scratch.length, 0);
  assert.ok(Number.isFinite(lstm.heldOut.concise));
});

test('word2vec-gluon runs on a slice of PTB', async (t) => {
  if (!requireResource(t, hasData('ptb.zip'), 'ptb.zip')) return;
  const lines: string[] = [];
  const r = await runWord2vec({ dataDir: DATA_DIR, epochs: 1, limit: 2048, print: (l) => lines.push(l) });
  assert.ok(lines.includes('# sentences: 42068'));
  assert.ok(lines.includes('# tokens: 887100'));
  assert.ok(lines.includes('# join: before=45, after=45'));
  assert.ok(lines.some((l) => l.includes('[0.8739896 1.2099689]')));
  assert.ok(lines.some((l) => /^epoch 1, loss 0\.\d\d, time/.test(l)));
  assert.equal(r.similar.length, 5);
});
