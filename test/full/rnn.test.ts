// Full tier: shortened but meaningful training runs of chapter 6 (a few minutes each on a CPU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, gluon } from '../../src/index.js';
import * as R from '../../src/d2l/rnn.js';
import { RNNModel, trainAndPredictRnnGluon } from '../../src/d2l/rnn-gluon.js';
import { loadDataJayLyrics, heldOutSegments } from '../../src/d2l/text.js';
import { requireResource } from '../helpers.js';
import { DATA_DIR, hasData } from '../text/data-path.js';

const hp = { numHiddens: 256, numSteps: 35, lr: 1e2, clippingTheta: 1e-2, batchSize: 32, predLen: 50, prefixes: ['分开', '不分开'] };

test('GRU from scratch, 40 epochs with the book hyperparameters: perplexity < 160 (the book: 150 at epoch 40)', async (t) => {
  if (!requireResource(t, hasData('jaychou_lyrics.txt.zip'), 'jaychou_lyrics.txt.zip')) return;
  const c = await loadDataJayLyrics({ dataDir: DATA_DIR });
  nd.random.seed(0);
  const lines: string[] = [];
  const { log } = await R.trainAndPredictRnn({
    ...hp,
    rnn: R.gru,
    getParams: () => R.getGruParams(c.vocabSize, 256, c.vocabSize),
    initRnnState: R.initGruState,
    vocabSize: c.vocabSize,
    corpusIndices: c.corpusIndices,
    idxToChar: c.idxToChar,
    charToIdx: c.charToIdx,
    isRandomIter: false,
    numEpochs: 40,
    predPeriod: 40,
    print: (l) => lines.push(l),
  });
  console.log(lines.join('\n'));
  assert.ok(log[39].perplexity < 160, `epoch-40 perplexity ${log[39].perplexity}`);
  assert.ok(log[39].perplexity < log[0].perplexity / 3);
  assert.equal(lines.length, 3);
});

test('RNN from scratch, 50 epochs, consecutive sampling: perplexity in the book neighbourhood (< 100; the book: 66)', async (t) => {
  if (!requireResource(t, hasData('jaychou_lyrics.txt.zip'), 'jaychou_lyrics.txt.zip')) return;
  const c = await loadDataJayLyrics({ dataDir: DATA_DIR });
  nd.random.seed(1);
  const { log, params } = await R.trainAndPredictRnn({
    ...hp,
    rnn: R.rnn,
    getParams: () => R.getRnnParams(c.vocabSize, 256, c.vocabSize),
    initRnnState: R.initRnnState,
    vocabSize: c.vocabSize,
    corpusIndices: c.corpusIndices,
    idxToChar: c.idxToChar,
    charToIdx: c.charToIdx,
    isRandomIter: false,
    numEpochs: 50,
    predPeriod: 50,
    print: (l) => console.log(l),
  });
  assert.ok(log[49].perplexity < 100 && log[49].perplexity > 10, `epoch-50 perplexity ${log[49].perplexity}`);
  // Held-out text is much harder than the training text, but the model beats a uniform guess.
  const held = heldOutSegments(c);
  const ppl = await R.heldOutPerplexity(R.scratchForward(R.rnn, params, c.vocabSize), (b) => R.initRnnState(b, 256), held.segments);
  console.log(`held-out perplexity ${ppl.toFixed(2)}`);
  assert.ok(ppl < c.vocabSize / 2, `held-out perplexity ${ppl}`);
});

test('Gluon RNN layer in RNNModel, 50 epochs: perplexity < 130 (the book: 84 at epoch 50)', async (t) => {
  if (!requireResource(t, hasData('jaychou_lyrics.txt.zip'), 'jaychou_lyrics.txt.zip')) return;
  const c = await loadDataJayLyrics({ dataDir: DATA_DIR });
  nd.random.seed(2);
  const model = new RNNModel(new gluon.rnn.RNN(256), c.vocabSize);
  const { log } = await trainAndPredictRnnGluon({
    ...hp,
    model,
    vocabSize: c.vocabSize,
    corpusIndices: c.corpusIndices,
    idxToChar: c.idxToChar,
    charToIdx: c.charToIdx,
    numEpochs: 50,
    predPeriod: 50,
    print: (l) => console.log(l),
  });
  assert.ok(log[49].perplexity < 130, `epoch-50 perplexity ${log[49].perplexity}`);
});
