/**
 * What 6.7 (GRU) and 6.8 (LSTM) share: each trains its from-scratch model and then the same
 * architecture from Gluon's `rnn` module, with the book's hyperparameters, and reports held-out
 * perplexity for both.
 */
import { nd, gluon, d2l } from '../src/index.js';
import * as R from '../src/d2l/rnn.js';
import { RNNModel, trainAndPredictRnnGluon, gluonForward } from '../src/d2l/rnn-gluon.js';
import { printer, type ChapterOptions } from './common.js';

export interface GatedRnnResult {
  scratch: R.EpochRecord[];
  concise: R.EpochRecord[];
  heldOut: { scratch: number; concise: number };
}

/** Options that pick the model: the scratch step function, its parameters and state, and the Gluon layer. */
export interface GatedRnnSpec {
  rnn: R.RnnFn;
  getParams: (numInputs: number, numHiddens: number, numOutputs: number, o: R.ParamOptions) => nd.NDArray[];
  initState: R.InitStateFn;
  layer: (numHiddens: number) => gluon.rnn.RecurrentLayer;
  /** Run only 'scratch' or 'concise' (default both). */
  parts?: ('scratch' | 'concise')[];
}

export async function runGated(spec: GatedRnnSpec, opts: ChapterOptions & { parts?: ('scratch' | 'concise')[] }): Promise<GatedRnnResult> {
  const print = printer(opts);
  nd.random.seed(opts.seed ?? 0);
  const ctx = opts.ctx;
  // `limit` (fast tests) keeps only the first `limit` characters of the 10000.
  const corpus = await d2l.loadDataJayLyrics({ dataDir: opts.dataDir, numChars: opts.limit ?? 10000 });
  const { corpusIndices, charToIdx, idxToChar, vocabSize } = corpus;
  const held = d2l.heldOutSegments(corpus);
  // Hyperparameters of the book: 160 epochs, 35 steps, batch 32, lr 100, clipping 0.01; a line of
  // generated text every 40 epochs.
  const numHiddens = 256;
  const numEpochs = opts.epochs ?? 160;
  const hp = {
    numHiddens,
    vocabSize,
    ctx,
    corpusIndices,
    idxToChar,
    charToIdx,
    numEpochs,
    numSteps: 35,
    batchSize: opts.batchSize ?? 32,
    lr: opts.lr ?? 1e2,
    clippingTheta: 1e-2,
    predPeriod: Math.min(40, numEpochs),
    predLen: 50,
    prefixes: ['分开', '不分开'],
    print,
  };
  const parts = opts.parts ?? spec.parts ?? ['scratch', 'concise'];
  const res: GatedRnnResult = { scratch: [], concise: [], heldOut: { scratch: NaN, concise: NaN } };
  if (parts.includes('scratch')) {
    // ## From scratch: consecutive sampling only, as the book.
    print('from scratch:');
    const { params, log } = await R.trainAndPredictRnn({
      ...hp,
      rnn: spec.rnn,
      getParams: () => spec.getParams(vocabSize, numHiddens, vocabSize, { ctx }),
      initRnnState: spec.initState,
      isRandomIter: false,
    });
    res.scratch = log;
    res.heldOut.scratch = await R.heldOutPerplexity(
      R.scratchForward(spec.rnn, params, vocabSize),
      (b) => spec.initState(b, numHiddens, ctx),
      held.segments,
      { ctx },
    );
    print(`held-out perplexity ${res.heldOut.scratch.toFixed(2)} (${held.numScored} characters)`);
  }
  if (parts.includes('concise')) {
    // ## Concise: the Gluon layer inside d2l.RNNModel.
    print('concise:');
    const model = new RNNModel(spec.layer(numHiddens), vocabSize);
    const { log } = await trainAndPredictRnnGluon({ ...hp, model });
    res.concise = log;
    res.heldOut.concise = await R.heldOutPerplexity(gluonForward(model), (b) => model.beginState({ batchSize: b, ctx }), held.segments, {
      ctx,
    });
    print(`held-out perplexity ${res.heldOut.concise.toFixed(2)} (${held.numScored} characters)`);
  }
  return res;
}
