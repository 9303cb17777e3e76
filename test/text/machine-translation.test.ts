// 10.12 machine translation helpers: MXNet's vocabulary order, the book's dataset[0], the shapes
// the book prints, and BLEU on the book's examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, d2l } from '../../src/index.js';
import { requireResource } from '../helpers.js';
import { DATA_DIR, hasData } from './data-path.js';

test("Vocabulary: <unk>, the reserved tokens, then by frequency with ties in token order (MXNet's)", () => {
  const v = new d2l.Vocabulary(
    new Map([
      ['b', 1],
      ['a', 1],
      ['c', 2],
    ]),
    [d2l.PAD, d2l.BOS, d2l.EOS],
  );
  assert.deepEqual(v.idxToToken, ['<unk>', '<pad>', '<bos>', '<eos>', 'c', 'a', 'b']);
  assert.deepEqual(v.toIndices(['a', 'zzz', '<eos>']), [5, 0, 3]);
  assert.throws(() => new d2l.Vocabulary(new Map(), ['<unk>']), /Vocabulary: reserved tokens/);
});

test("readData on fr-en-small.txt: the book's dataset[0] and vocabularies", async (t) => {
  if (!requireResource(t, hasData('fr-en-small.txt'), `fr-en-small.txt in ${DATA_DIR}`)) return;
  const { inVocab, outVocab, dataset, inData } = await d2l.readData(7, { dataDir: DATA_DIR });
  const [x, y] = dataset.get(0) as [nd.NDArray, nd.NDArray];
  assert.deepEqual(x.toArray(), [6, 5, 46, 4, 3, 1, 1]);
  assert.deepEqual(y.toArray(), [9, 5, 28, 4, 3, 1, 1]);
  assert.deepEqual(inData.shape, [20, 7]);
  assert.deepEqual(inVocab.idxToToken.slice(0, 5), ['<unk>', '<pad>', '<bos>', '<eos>', '.']);
  assert.deepEqual(outVocab.idxToToken.slice(4, 9), ['.', 'is', 'are', 'he', 'they']);
});

test('readDataFromText drops pairs longer than maxSeqLen - 1 and checks its input', () => {
  const d = d2l.readDataFromText('a b .\tx .\na b c d e f g\tx\n', 4);
  assert.deepEqual(d.inData.shape, [1, 4]);
  assert.throws(() => d2l.readDataFromText('no tab here\n', 7), /readData: line 1/);
  assert.throws(() => d2l.readDataFromText('a\tb\n', 1), /maxSeqLen/);
});

test('encoder, attention and decoder output shapes as the book prints them', () => {
  const encoder = new d2l.Encoder(10, 8, 16, 2);
  encoder.initialize();
  const [output, state] = encoder.forward(nd.zeros([4, 7]), encoder.beginState({ batchSize: 4 }));
  assert.deepEqual(output.shape, [7, 4, 16]);
  assert.deepEqual(state[0].shape, [2, 4, 16]);
  const model = d2l.attentionModel(10);
  model.initialize();
  assert.deepEqual(d2l.attentionForward(model, nd.zeros([10, 4, 8]), nd.zeros([4, 8])).shape, [4, 8]);
  assert.throws(() => d2l.attentionForward(model, nd.zeros([10, 4, 8]), nd.zeros([3, 8])), /attentionForward/);
  const decoder = new d2l.Decoder(12, 8, 16, 2, 10);
  decoder.initialize();
  const [dout, dstate] = decoder.forward(nd.zeros([4]), decoder.beginState(state), output);
  assert.deepEqual(dout.shape, [4, 12]);
  assert.deepEqual(dstate[0].shape, [2, 4, 16]);
});

test("bleu: the book's definition on its examples", () => {
  const label = 'they are watching .'.split(' ');
  assert.equal(d2l.bleu(label, label, 2), 1);
  // The book: "bleu 0.658, predict: they are russian ." = (3/4)^(1/2) · (1/3)^(1/4)
  const b = d2l.bleu('they are russian .'.split(' '), 'they are canadian .'.split(' '), 2);
  assert.equal(b.toFixed(3), '0.658');
  assert.ok(Math.abs(b - Math.sqrt(3 / 4) * Math.pow(1 / 3, 1 / 4)) < 1e-12);
  // Brevity penalty: a 2-token prediction of a 4-token label keeps exp(1 - 4/2).
  assert.ok(Math.abs(d2l.bleu(['they', 'are'], label, 2) - Math.exp(-1)) < 1e-12);
  assert.throws(() => d2l.bleu(['they'], label, 2), /bleu: the prediction has 1 tokens/);
});
