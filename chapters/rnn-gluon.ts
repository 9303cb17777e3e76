/**
 * # 6.5 Concise implementation of recurrent neural networks (循环神经网络的简洁实现)
 *
 * Gluon's `rnn` module provides recurrent layers; here a `rnn.RNN` layer with 256 hidden units
 * plus a Dense output layer (d2l.RNNModel) learns the lyrics as 6.4's model did, trained with
 * Gluon's Trainer.
 *
 * Run it: `d2l-ts run rnn-gluon` or `node dist/chapters/rnn-gluon.js`.
 */
import { nd, gluon, d2l } from '../src/index.js';
import * as R from '../src/d2l/rnn.js';
import { RNNModel, predictRnnGluon, trainAndPredictRnnGluon, gluonForward } from '../src/d2l/rnn-gluon.js';
import { printer, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'rnn-gluon',
  title: '6.5 循环神经网络的简洁实现 (RNN, concise)',
  needsData: ['jaychou_lyrics.txt.zip'],
};

export interface RnnGluonResult {
  log: R.EpochRecord[];
  heldOut: number;
}

export async function run(opts: ChapterOptions = {}): Promise<RnnGluonResult> {
  const print = printer(opts);
  nd.random.seed(opts.seed ?? 0);
  const ctx = opts.ctx;
  // `limit` (fast tests) keeps only the first `limit` characters of the 10000.
  const corpus = await d2l.loadDataJayLyrics({ dataDir: opts.dataDir, numChars: opts.limit ?? 10000 });
  const { corpusIndices, charToIdx, idxToChar, vocabSize } = corpus;

  // ## Defining the model
  // A recurrent layer with one hidden layer of 256 units, initialised.
  const numHiddens = 256;
  const rnnLayer = new gluon.rnn.RNN(numHiddens);
  rnnLayer.initialize();
  // beginState gives the initial hidden state: (numLayers, batchSize, numHiddens).
  const batchSize = 2;
  const state = rnnLayer.beginState({ batchSize });
  print(`[${state[0].shape.join(', ')}]`);
  // The layer's input is (numSteps, batchSize, numInputs): it returns the hidden states of every
  // time step (the output, not yet through an output layer) and the last hidden state.
  const numSteps = 35;
  const X = nd.random.uniform(0, 1, [numSteps, batchSize, vocabSize]);
  const [Y, stateNew] = rnnLayer.forward(X, state);
  print(`[${Y.shape.join(', ')}] ${stateNew.length} [${stateNew[0].shape.join(', ')}]`);

  // d2l.RNNModel adds the output layer; predictRnnGluon generates with it. Untrained: nonsense.
  const model = new RNNModel(rnnLayer, vocabSize);
  model.initialize({ forceReinit: true, ctx });
  print(await predictRnnGluon('分开', 10, model, vocabSize, ctx, idxToChar, charToIdx));

  // ## Training: consecutive sampling, SGD through a Trainer, gradient clipping.
  const numEpochs = opts.epochs ?? 250;
  const { log } = await trainAndPredictRnnGluon({
    model,
    numHiddens,
    vocabSize,
    ctx,
    corpusIndices,
    idxToChar,
    charToIdx,
    numEpochs,
    numSteps,
    lr: opts.lr ?? 1e2,
    clippingTheta: 1e-2,
    batchSize: opts.batchSize ?? 32,
    predPeriod: Math.min(50, numEpochs),
    predLen: 50,
    prefixes: ['分开', '不分开'],
    print,
  });
  const held = d2l.heldOutSegments(corpus);
  const heldOut = await R.heldOutPerplexity(gluonForward(model), (b) => model.beginState({ batchSize: b, ctx }), held.segments, { ctx });
  print(`held-out perplexity ${heldOut.toFixed(2)} (${held.numScored} characters)`);
  return { log, heldOut };
}

runIfMain(import.meta.url, run);
