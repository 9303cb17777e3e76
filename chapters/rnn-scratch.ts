/**
 * # 6.4 Recurrent neural networks from scratch (循环神经网络的从零开始实现)
 *
 * We implement a character-level language model with a recurrent neural network from scratch and
 * train it on Jay Chou's lyrics, so that it writes lyrics given a prefix. The hidden state
 * H_t = tanh(X_t W_xh + H_(t-1) W_hh + b_h) carries the history; the output O_t = H_t W_hq + b_q
 * scores the next character.
 *
 * Run it: `d2l-ts run rnn-scratch` or `node dist/chapters/rnn-scratch.js`.
 */
import { nd, d2l } from '../src/index.js';
import * as R from '../src/d2l/rnn.js';
import { printer, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'rnn-scratch',
  title: '6.4 循环神经网络的从零开始实现 (RNN from scratch)',
  needsData: ['jaychou_lyrics.txt.zip'],
};

export interface RnnScratchResult {
  random: R.EpochRecord[];
  consecutive: R.EpochRecord[];
  heldOut: { random: number; consecutive: number };
}

export async function run(opts: ChapterOptions = {}): Promise<RnnScratchResult> {
  const print = printer(opts);
  nd.random.seed(opts.seed ?? 0);
  const ctx = opts.ctx;
  // `limit` (fast tests) keeps only the first `limit` characters of the 10000.
  const corpus = await d2l.loadDataJayLyrics({ dataDir: opts.dataDir, numChars: opts.limit ?? 10000 });
  const { corpusIndices, charToIdx, idxToChar, vocabSize } = corpus;

  // ## One-hot vectors
  // Each character index becomes a vector of length vocabSize with a single 1.
  print(nd.oneHot(nd.array([0, 2]), vocabSize).toString());
  // A minibatch of shape (batch, numSteps) becomes numSteps arrays of shape (batch, vocabSize):
  // one input per time step (d2l.toOnehot). The minibatch goes to the device the model computes on.
  const X = nd.arange(10).reshape([2, 5]);
  const inputs = R.toOnehot(ctx ? X.asInContext(ctx) : X, vocabSize);
  print(`${inputs.length} [${inputs[0].shape.join(', ')}]`);

  // ## Initialising the model parameters
  // numHiddens is a hyperparameter; weights come from N(0, 0.01), biases are zero.
  const numHiddens = 256;
  const getParams = () => R.getRnnParams(vocabSize, numHiddens, vocabSize, { ctx });

  // ## Defining the model
  // initRnnState returns the initial hidden state, a list holding one (batch, numHiddens) array of
  // zeros (a list, because the LSTM's state has two arrays). R.rnn computes the hidden state and
  // output of every time step.
  const state = R.initRnnState(X.shape[0], numHiddens, ctx);
  const params = getParams();
  const [outputs, stateNew] = R.rnn(inputs, state, params);
  print(`${outputs.length} [${outputs[0].shape.join(', ')}] [${stateNew[0].shape.join(', ')}]`);

  // ## Prediction
  // predictRnn feeds the prefix and then generates numChars characters greedily. Untrained, the
  // model writes nonsense.
  print(await R.predictRnn('分开', 10, R.rnn, params, R.initRnnState, numHiddens, vocabSize, ctx, idxToChar, charToIdx));

  // ## Gradient clipping
  // Backpropagation through time multiplies many Jacobians, so gradients can explode. Clipping
  // rescales all gradients together so that their L2 norm is at most θ (R.gradClipping).

  // ## Perplexity
  // exp(mean cross-entropy): 1 at best, vocabSize for a uniform model, +∞ at worst.

  // ## Training and writing lyrics
  // trainAndPredictRnn trains with either sampler: random sampling starts every minibatch from a
  // zero state; consecutive sampling starts each epoch from zero and carries the (detached) state
  // from one minibatch to the next.
  const hp = {
    numEpochs: opts.epochs ?? 250,
    numSteps: 35,
    batchSize: opts.batchSize ?? 32,
    lr: opts.lr ?? 1e2,
    clippingTheta: 1e-2,
    predPeriod: 50,
    predLen: 50,
    prefixes: ['分开', '不分开'],
  };
  if (hp.numEpochs < hp.predPeriod) hp.predPeriod = Math.max(1, hp.numEpochs);
  const held = d2l.heldOutSegments(corpus);
  const heldOut = { random: 0, consecutive: 0 };
  const logs: Record<'random' | 'consecutive', R.EpochRecord[]> = { random: [], consecutive: [] };
  for (const kind of ['random', 'consecutive'] as const) {
    print(`${kind} sampling:`);
    const { params: trained, log } = await R.trainAndPredictRnn({
      rnn: R.rnn,
      getParams,
      initRnnState: R.initRnnState,
      numHiddens,
      vocabSize,
      ctx,
      corpusIndices,
      idxToChar,
      charToIdx,
      isRandomIter: kind === 'random',
      ...hp,
      print,
    });
    logs[kind] = log;
    // Held-out perplexity on the 5000 characters after the training text (the same text 6.1's
    // n-gram models are scored on).
    heldOut[kind] = await R.heldOutPerplexity(
      R.scratchForward(R.rnn, trained, vocabSize),
      (b) => R.initRnnState(b, numHiddens, ctx),
      held.segments,
      { ctx },
    );
    print(`held-out perplexity ${heldOut[kind].toFixed(2)} (${held.numScored} characters)`);
  }
  return { random: logs.random, consecutive: logs.consecutive, heldOut };
}

runIfMain(import.meta.url, run);
