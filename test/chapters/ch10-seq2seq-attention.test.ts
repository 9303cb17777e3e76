// 10.9 seq2seq and 10.11 attention: the sections' formulas computed on small tensors and checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as seq2seq from '../../chapters/seq2seq.js';
import * as attention from '../../chapters/attention.js';
import { chapterSlugs } from '../../chapters/index.js';

const quiet = { print: () => {} };

test('10.9 seq2seq: c = h_T, softmax steps sum to 1, −log Π P = Σ cross-entropy; training learns the pair', async () => {
  const r = await seq2seq.run({ ...quiet, epochs: 60 });
  assert.equal(r.lines[0], 'input ["they","are","watching",".","<eos>"] -> indices [[6,5,7,4,3]]');
  assert.equal(r.lines[1], 'encoder hidden states h_1..h_T (5, 1, 8), final state (1, 1, 8)');
  assert.equal(r.lines[2], 'c = h_T (1, 8): |c − h_T| = 0');
  assert.equal(r.lines[3], 'decoder inputs ["<bos>","ils","regardent","."], labels ["ils","regardent",".","<eos>"]');
  assert.match(
    r.lines[4],
    /^each step's softmax over 7 output tokens: P\(ils\) = 0\.\d{4}, P\(regardent\) = 0\.\d{4}, P\(\.\) = 0\.\d{4}, P\(<eos>\) = 0\.\d{4}$/,
  );
  const [nll, ce] = /= (\d+\.\d{4}), .* = (\d+\.\d{4})$/.exec(r.lines[5])!.slice(1);
  assert.equal(nll, ce);
  assert.ok(r.errors.softmaxSums < 1e-6 && r.errors.likelihood < 1e-4, JSON.stringify(r.errors));
  assert.ok(r.nllAfter < r.nllBefore / 4, `−log P ${r.nllBefore} -> ${r.nllAfter}`);
  assert.deepEqual(
    r.lines.slice(6, 10).map((l) => l.replace(/ \d+\.\d{4}$/, '')),
    [15, 30, 45, 60].map((e) => `epoch ${e}, −log P(y | x)`),
  );
  assert.equal(r.lines[10], 'greedy: they are watching . -> ils regardent .');
});

test('10.11 attention: weights sum to 1, c = Σ α h, softmax(Q Kᵀ) V, and d2l.attentionForward equals the MLP formula', async () => {
  const r = await attention.run(quiet);
  assert.deepEqual(r.lines.slice(0, 10), [
    'encoder states H (4, 3), decoder state s (3,)',
    'dot-product scores e = [-0.2000, 0.6400, -0.2400, -0.1400]',
    'α = softmax(e) = [0.1873, 0.4339, 0.1800, 0.1989], Σα = 1.000000',
    'c = Σ_t α_t h_t = [0.3156, 0.2001, 0.2992]',
    'MLP scores e = [1.4772, 0.0346, 0.6590, 1.4037]',
    'α = softmax(e) = [0.3836, 0.0907, 0.1693, 0.3565], Σα = 1.000000',
    'c = Σ_t α_t h_t = [0.0975, 0.4740, 0.1092]',
    'Q (2, 3), K = V = H (4, 3): softmax(Q Kᵀ) V (2, 3)',
    'row 0 = [0.3156, 0.2001, 0.2992], row 1 = [0.0232, 0.3985, 0.3219]',
    'attention_forward: encoder states (4, 2, 3), decoder states (2, 3) -> (2, 3)',
  ]);
  assert.equal(r.lines[10], 'example 0 = [0.0975, 0.4740, 0.1092] (the MLP c above), example 1 = [0.1225, 0.4671, 0.0937]');
  for (const [name, e] of Object.entries(r.errors)) assert.ok(e < 1e-6, `${name} off by ${e}`);
  // The dot-product weights by hand: softmax of sᵀh_t.
  const e = [-0.2, 0.64, -0.24, -0.14].map(Math.exp);
  const z = e.reduce((a, b) => a + b);
  r.alphaDot.forEach((a, t) => assert.ok(Math.abs(a - e[t] / z) < 1e-6, `α_${t} = ${a}`));
  assert.equal(r.lines.length, 12);
});

test('10.9-10.12 are registered in book order', () => {
  const slugs = chapterSlugs();
  const at = ['seq2seq', 'beam-search', 'attention', 'machine-translation'].map((s) => slugs.indexOf(s));
  assert.ok(
    at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1])),
    JSON.stringify(at),
  );
});
