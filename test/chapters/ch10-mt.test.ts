// 10.12 machine-translation and 10.10 beam-search on a few epochs: the book's lines in the book's order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as mt from '../../chapters/machine-translation.js';
import * as beamSearch from '../../chapters/beam-search.js';
import { requireResource } from '../helpers.js';
import { DATA_DIR, hasData } from '../text/data-path.js';

test('10.12 machine-translation prints dataset[0], the shapes, the loss lines and two BLEU lines', async (t) => {
  if (!requireResource(t, hasData('fr-en-small.txt'), `fr-en-small.txt in ${DATA_DIR}`)) return;
  const r = await mt.run({ epochs: 4, dataDir: DATA_DIR, print: () => {} });
  assert.equal(r.lines[0], 'dataset[0]: [6,5,46,4,3,1,1] [9,5,28,4,3,1,1]');
  assert.equal(r.lines[1], 'encoder output shape [7,4,16], state shape [2,4,16]');
  assert.equal(r.lines[2], 'attention output shape [4,8]');
  assert.match(r.lines[3], /^epoch 4, loss \d+\.\d{3}$/);
  assert.ok(r.log[0].loss < Math.log(39), `the loss ${r.log[0].loss} should fall below a uniform guess's`);
  for (const l of r.lines.slice(4)) assert.match(l, /^bleu (\d\.\d{3}|undefined), predict: /);
  assert.equal(r.lines.length, 6);
});

test('10.10 beam-search: greedy (beam size 1) and beam sizes 2 and 3 print for each sentence', async (t) => {
  if (!requireResource(t, hasData('fr-en-small.txt'), `fr-en-small.txt in ${DATA_DIR}`)) return;
  const r = await beamSearch.run({ epochs: 2, dataDir: DATA_DIR, print: () => {} });
  assert.match(r.lines[0], /^epoch 2, loss \d+\.\d{3}$/);
  assert.equal(r.translations.length, 9);
  assert.match(r.lines[1], /^ils regardent \. -> beam size 1 \(greedy\): /);
  assert.match(r.lines[2], /^ils regardent \. -> beam size 2: /);
  for (const tr of r.translations) assert.ok(tr.predict.length <= 7 && !tr.predict.includes('<eos>'));
});
