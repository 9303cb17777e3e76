// Beam search (10.10) on a hand-made decoder where greedy and beam search disagree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, d2l } from '../../src/index.js';

// Tokens: 0 = EOS, 1 = A, 2 = B, 3 = BOS. The state is the prefix so far.
const EOS = 0;
const BOS = 3;
const table: Record<string, number[]> = {
  '': [0.1, 0.5, 0.4, 0],
  A: [0.32, 0.35, 0.33, 0],
  B: [0.95, 0.025, 0.025, 0],
};
const step: d2l.BeamStep<string> = (prev, prefix) => {
  const next = prev === BOS ? '' : prefix + 'AB'[prev - 1];
  const p = table[next] ?? [1, 0, 0, 0];
  return [p.map((x) => Math.log(x)), next];
};

test('greedy (beamSize 1) follows A; beam search of width 2 finds B, EOS with the higher probability', () => {
  const greedy = d2l.beamSearch(step, BOS, EOS, '', { beamSize: 1, maxLen: 5 });
  assert.deepEqual(greedy.tokens, [1, 1]); // A A then EOS: P = 0.5 · 0.35 · 1 = 0.175
  assert.ok(Math.abs(greedy.logProb - Math.log(0.175)) < 1e-12);
  const beam = d2l.beamSearch(step, BOS, EOS, '', { beamSize: 2, maxLen: 5 });
  assert.deepEqual(beam.tokens, [2]); // B then EOS: P = 0.4 · 0.95 = 0.38
  assert.ok(Math.abs(beam.logProb - Math.log(0.38)) < 1e-12);
  assert.ok(Math.abs(beam.score - Math.log(0.38) / Math.pow(2, 0.75)) < 1e-12);
  assert.throws(() => d2l.beamSearch(step, BOS, EOS, '', { beamSize: 0, maxLen: 5 }), /beamSearch: beamSize/);
});

test('translateBeam with beamSize 1 equals the greedy translate on an untrained model', () => {
  const inVocab = new d2l.Vocabulary(
    new Map([
      ['a', 2],
      ['b', 1],
    ]),
    [d2l.PAD, d2l.BOS, d2l.EOS],
  );
  const outVocab = new d2l.Vocabulary(
    new Map([
      ['x', 2],
      ['y', 1],
      ['z', 1],
    ]),
    [d2l.PAD, d2l.BOS, d2l.EOS],
  );
  nd.random.seed(3);
  const encoder = new d2l.Encoder(inVocab.length, 8, 8, 2);
  const decoder = new d2l.Decoder(outVocab.length, 8, 8, 2, 4);
  encoder.initialize();
  decoder.initialize();
  const greedy = d2l.translate(encoder, decoder, 'a b', 5, inVocab, outVocab);
  assert.deepEqual(d2l.translateBeam(encoder, decoder, 'a b', 5, inVocab, outVocab, { beamSize: 1 }), greedy);
});
