// Full tier: one epoch of 10.3's word2vec on the whole PTB training set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../chapters/word2vec-gluon.js';
import { requireResource } from '../helpers.js';
import { DATA_DIR, hasData } from '../text/data-path.js';

test('word2vec on PTB, 1 epoch: the book first-epoch loss (0.46) and the printed checks', async (t) => {
  if (!requireResource(t, hasData('ptb.zip'), 'ptb.zip')) return;
  const lines: string[] = [];
  const r = await run({ dataDir: DATA_DIR, epochs: 1, print: (l) => lines.push(l) });
  console.log(lines.join('\n'));
  assert.equal(r.numTokens, 887100);
  assert.ok(lines.includes('# tokens: 887100'));
  assert.ok(lines.includes('centers shape: [512, 1]') && lines.includes('contexts_negatives shape: [512, 60]'));
  assert.ok(r.log[0].loss > 0.4 && r.log[0].loss < 0.5, `epoch-1 loss ${r.log[0].loss}`);
  assert.match(
    lines.find((l) => l.startsWith('epoch 1,'))!,
    /^epoch 1, loss 0\.\d\d, time \d+\.\d\ds$/,
  );
});
