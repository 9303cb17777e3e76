/**
 * # 6.9 Deep recurrent neural networks (深度循环神经网络)
 *
 * A deep RNN stacks L hidden layers: the first reads the input, H_t^(1) = φ(X_t W_xh^(1) +
 * H_{t-1}^(1) W_hh^(1) + b_h^(1)), and layer l reads the hidden state of layer l-1 at the same
 * step, H_t^(l) = φ(H_t^(l-1) W_xh^(l) + H_{t-1}^(l) W_hh^(l) + b_h^(l)); the output layer reads
 * only the last layer, O_t = H_t^(L) W_hq + b_q. Replacing φ by GRU or LSTM gates gives deep
 * gated RNNs. The book's section is text; in Gluon the depth is the `num_layers` argument of
 * `rnn.RNN/GRU/LSTM`. This program builds `rnn.LSTM(num_hiddens, num_layers=2)`, prints its
 * parameters and the shapes of its output and states, checks the stacking equation above
 * against two one-layer LSTMs that share its weights, and (the section's exercise) trains the
 * two-layer LSTM on the Jay Chou lyrics with 6.8's hyperparameters.
 *
 * Run it: `d2l-ts run deep-rnn` or `node dist/chapters/deep-rnn.js`.
 */
import { nd, gluon, d2l } from '../src/index.js';
import * as R from '../src/d2l/rnn.js';
import { RNNModel, trainAndPredictRnnGluon, gluonForward } from '../src/d2l/rnn-gluon.js';
import { pyShape } from './pyrepr.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'deep-rnn',
  title: '6.9 深度循环神经网络 (deep recurrent neural networks)',
  needsData: ['jaychou_lyrics.txt.zip'],
};

export interface DeepRnnResult {
  lines: string[];
  /** Largest |difference| between the two-layer LSTM and two one-layer LSTMs sharing its weights. */
  stackingError: number;
  log: R.EpochRecord[];
  heldOut: number;
}

export async function run(opts: ChapterOptions = {}): Promise<DeepRnnResult> {
  const { print, lines } = startRun(opts);
  nd.random.seed(opts.seed ?? 0);
  gluon.resetNameCounters(); // names as in a fresh notebook (lstm0, rnn0, ...)
  const ctx = opts.ctx;
  const corpus = await d2l.loadDataJayLyrics({ dataDir: opts.dataDir, numChars: opts.limit ?? 10000 });
  const { corpusIndices, charToIdx, idxToChar, vocabSize } = corpus;

  // ## The layer: two stacked LSTM layers of 256 units each.
  const numHiddens = 256;
  const numLayers = 2;
  const lstmLayer = new gluon.rnn.LSTM(numHiddens, { numLayers });
  lstmLayer.initialize({ ctx });
  const batchSize = 2;
  const numSteps = 35;
  const X = nd.random.uniform(0, 1, [numSteps, batchSize, vocabSize], { ctx });
  const [Y, stateNew] = lstmLayer.forward(X, lstmLayer.beginState({ batchSize, ctx }));
  print(String(lstmLayer));
  // Layer 0 reads the vocabulary-sized input, layer 1 the 256 hidden units of layer 0.
  for (const [name, p] of lstmLayer.collectParams()) print(name, pyShape(p.data().shape));
  // The output is the last layer's hidden state at every step; each state holds one slot per layer.
  print('output', pyShape(Y.shape), 'states', stateNew.map((s) => pyShape(s.shape)).join(' '));

  // ## The stacking equation: layer 1 runs over layer 0's hidden states.
  const layers = [0, 1].map((k) => {
    const one = new gluon.rnn.LSTM(numHiddens, { inputSize: k === 0 ? vocabSize : numHiddens });
    one.initialize({ ctx });
    const src = lstmLayer.layers[k];
    const dst = one.layers[0];
    dst.i2hWeight.setData(src.i2hWeight.data());
    dst.h2hWeight.setData(src.h2hWeight.data());
    dst.i2hBias.setData(src.i2hBias.data());
    dst.h2hBias.setData(src.h2hBias.data());
    return one;
  });
  const H1 = layers[0].forward(X);
  const H2 = layers[1].forward(H1);
  const stackingError = H2.sub(Y).abs().max().asScalar();
  print(`max |two-layer LSTM - LSTM(LSTM(X))| = ${stackingError.toExponential(2)}`);

  // ## Exercise: train the two-layer LSTM (6.8's hyperparameters) on the lyrics.
  const numEpochs = opts.epochs ?? 160;
  const model = new RNNModel(new gluon.rnn.LSTM(numHiddens, { numLayers }), vocabSize);
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
    predPeriod: Math.min(40, numEpochs),
    predLen: 50,
    prefixes: ['分开', '不分开'],
    print,
  });
  const held = d2l.heldOutSegments(corpus);
  const heldOut = await R.heldOutPerplexity(gluonForward(model), (b) => model.beginState({ batchSize: b, ctx }), held.segments, { ctx });
  print(`held-out perplexity ${heldOut.toFixed(2)} (${held.numScored} characters)`);
  return { lines, stackingError, log, heldOut };
}

runIfMain(import.meta.url, run);
