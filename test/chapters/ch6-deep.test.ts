// Chapter 6.9 deep-rnn and 6.10 bi-rnn: the book's layers, their MXNet parameter names and the
// shapes of outputs and states; the stacking and bidirectional equations hold on the layers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as deepRnn from '../../chapters/deep-rnn.js';
import * as biRnn from '../../chapters/bi-rnn.js';
import * as rnnChapter from '../../chapters/rnn.js';
import { loadChapter } from '../../chapters/index.js';
import { requireResource } from '../helpers.js';

const quiet = { print: () => {} };
const dataDir = process.env.D2L_DATA_DIR ?? '/work/shared/data';

test('6.10 bi-rnn: l0/r0 parameters, output (35, 2, 512), states [l0 f, l0 b, l1 f, l1 b]; halves equal the one-way layers', async () => {
  const r = await biRnn.run(quiet);
  assert.equal(r.lines[0], 'RNN(1027 -> 256, TNC, bidirectional)');
  assert.deepEqual(r.lines.slice(1, 10), [
    'rnn0_l0_i2h_weight (256, 1027)',
    'rnn0_l0_h2h_weight (256, 256)',
    'rnn0_l0_i2h_bias (256,)',
    'rnn0_l0_h2h_bias (256,)',
    'rnn0_r0_i2h_weight (256, 1027)',
    'rnn0_r0_h2h_weight (256, 256)',
    'rnn0_r0_i2h_bias (256,)',
    'rnn0_r0_h2h_bias (256,)',
    'output (35, 2, 512) state (2, 2, 256)',
  ]);
  assert.equal(r.lines[10], 'LSTM(1027 -> 256, TNC, num_layers=2, bidirectional)');
  assert.deepEqual(r.lines.slice(11, 16), [
    'lstm0_l0_i2h_weight (1024, 1027)',
    'lstm0_r0_i2h_weight (1024, 1027)',
    'lstm0_l1_i2h_weight (1024, 512)',
    'lstm0_r1_i2h_weight (1024, 512)',
    'output (35, 2, 512) h (4, 2, 256) c (4, 2, 256)',
  ]);
  assert.ok(r.forwardError < 1e-5, `forward half off by ${r.forwardError}`);
  assert.ok(r.backwardError < 1e-5, `backward half off by ${r.backwardError}`);
  assert.equal((await loadChapter('bi-rnn')).meta.slug, 'bi-rnn');
});

test('6.9 deep-rnn: LSTM(num_layers=2) parameters and shapes, the stacking equation, one short epoch of training', async (t) => {
  if (!requireResource(t, existsSync(join(dataDir, 'jaychou_lyrics.txt.zip')), 'jaychou_lyrics.txt.zip')) return;
  const r = await deepRnn.run({ ...quiet, dataDir, limit: 2000, epochs: 1 });
  const vocab = /^LSTM\((\d+) -> 256, TNC, num_layers=2\)$/.exec(r.lines[0]);
  assert.ok(vocab, r.lines[0]);
  const v = vocab[1];
  assert.deepEqual(r.lines.slice(1, 10), [
    `lstm0_l0_i2h_weight (1024, ${v})`,
    'lstm0_l0_h2h_weight (1024, 256)',
    'lstm0_l0_i2h_bias (1024,)',
    'lstm0_l0_h2h_bias (1024,)',
    'lstm0_l1_i2h_weight (1024, 256)',
    'lstm0_l1_h2h_weight (1024, 256)',
    'lstm0_l1_i2h_bias (1024,)',
    'lstm0_l1_h2h_bias (1024,)',
    'output (35, 2, 256) states (2, 2, 256) (2, 2, 256)',
  ]);
  assert.ok(r.stackingError < 1e-5, `stacking off by ${r.stackingError}`);
  assert.equal(r.log.length, 1);
  assert.ok(Number.isFinite(r.heldOut) && r.heldOut > 1, `held-out perplexity ${r.heldOut}`);
});

test('6.2 rnn: X W_xh + H W_hh equals [X, H] times [W_xh; W_hh], a 3x4 matrix', async () => {
  const r = await rnnChapter.run(quiet);
  assert.deepEqual(r.separate.shape, [3, 4]);
  const a = r.separate.toArray() as number[][];
  const b = r.concatenated.toArray() as number[][];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 4; j++) assert.ok(Math.abs(a[i][j] - b[i][j]) < 1e-5, `(${i}, ${j}): ${a[i][j]} vs ${b[i][j]}`);
  assert.equal(r.lines.length, 2);
  assert.match(r.lines[0], /<NDArray 3x4 @cpu\(0\)>$/);
  assert.equal(r.lines[0].split('\n').length, r.lines[1].split('\n').length);
});
