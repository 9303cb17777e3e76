/**
 * The concise recurrent models of 6.5-6.8: `RNNModel` (a Gluon recurrent layer plus a Dense
 * output layer over one-hot inputs), greedy generation, and the training loop with Gluon's
 * Trainer.
 */
import { record } from '../autograd/autograd.js';
import { ValueError } from '../core/errors.js';
import type { Context } from '../ndarray/context.js';
import type { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';
import { Block, type BlockOptions } from '../gluon/block.js';
import { Normal } from '../gluon/init.js';
import { Dense } from '../gluon/nn/basic-layers.js';
import type { RecurrentLayer } from '../gluon/rnn/rnn-layer.js';
import { Trainer } from '../gluon/trainer.js';
import {
  generateGreedy,
  gradClipping,
  softmaxCrossEntropy,
  trainRnnEpochs,
  type EpochRecord,
  type RnnState,
  type RnnTrainCommonOptions,
  type SequenceForward,
} from './rnn.js';
import { dataIterConsecutive } from './text.js';

/**
 * The book's `RNNModel`: one-hot encodes the (batch, numSteps) inputs, runs the recurrent layer
 * over them, and maps every hidden state to vocabulary scores with a Dense layer. `forward`
 * returns `[output (numSteps·batch, vocabSize), state]`, time-major like the scratch models.
 *
 * @example
 * const model = new RNNModel(new gluon.rnn.RNN(256), vocabSize);
 * model.initialize();
 * const [Y, state] = model.forward(X, model.beginState({ batchSize: X.shape[0] }));
 */
export class RNNModel extends Block {
  rnn: RecurrentLayer;
  readonly vocabSize: number;
  dense: Dense;

  constructor(rnnLayer: RecurrentLayer, vocabSize: number, opts: BlockOptions = {}) {
    super(opts);
    if (!Number.isInteger(vocabSize) || vocabSize < 1)
      throw new ValueError(`RNNModel: vocabSize must be a positive integer, got ${vocabSize}`);
    this.rnn = rnnLayer;
    this.vocabSize = vocabSize;
    this.dense = this.nameScope(() => new Dense(vocabSize));
  }

  protected override alias(): string {
    return 'rnnmodel';
  }

  /** `[output, state]` for indices of shape (batch, numSteps). @example model.forward(X, state) */
  forward(inputs: NDArray, state: RnnState): [NDArray, RnnState] {
    if (inputs.ndim !== 2) throw new ValueError(`RNNModel: expected indices of shape (batch, numSteps), got shape [${inputs.shape}]`);
    // The transposed inputs (numSteps, batch) become one-hot (numSteps, batch, vocabSize).
    const X = nd.oneHot(inputs.T, this.vocabSize);
    const [Y, st] = this.rnn.forward(X, state);
    // The Dense layer sees (numSteps·batch, numHiddens).
    const output = this.dense.forward(Y.reshape([-1, Y.shape[Y.ndim - 1]]));
    return [output, st];
  }

  /** The recurrent layer's zero state. @example model.beginState({ batchSize: 32 }) */
  beginState(opts: { batchSize: number; ctx?: Context }): RnnState {
    return this.rnn.beginState(opts);
  }
}

/**
 * The book's `predict_rnn_gluon`: greedy generation with an `RNNModel` from a batch-1 state.
 * Asynchronous: the generated characters are read once, at the end, from the model's device
 * (`ctx`, where it was initialised; see `generateGreedy`).
 *
 * @example
 * await predictRnnGluon('分开', 10, model, vocabSize, undefined, idxToChar, charToIdx);
 * await predictRnnGluon('分开', 10, gpuModel, vocabSize, nd.gpu(), idxToChar, charToIdx);
 */
export async function predictRnnGluon(
  prefix: string,
  numChars: number,
  model: RNNModel,
  vocabSize: number,
  ctx: Context | undefined,
  idxToChar: readonly string[],
  charToIdx: Map<string, number>,
): Promise<string> {
  void vocabSize; // the book's signature; the model knows its vocabulary
  const step = (X: NDArray, state: RnnState): [NDArray, RnnState] => model.forward(X, state) as [NDArray, RnnState];
  return generateGreedy(prefix, numChars, model.beginState({ batchSize: 1, ctx }), step, ctx, idxToChar, charToIdx, 'predictRnnGluon');
}

/** Options of `trainAndPredictRnnGluon` (the book's arguments, by name). */
export interface TrainRnnGluonOptions extends RnnTrainCommonOptions {
  model: RNNModel;
}

/**
 * The book's `train_and_predict_rnn_gluon`: re-initialises the model with Normal(0.01), trains it
 * with consecutive sampling (state from `beginState` each epoch, detached every minibatch),
 * gradient clipping over all parameters, and SGD through a Trainer (`step(1)`, the loss being a
 * mean). Prints `epoch N, perplexity P, time T sec` and a generated line per prefix every
 * `predPeriod` epochs.
 *
 * @example
 * await trainAndPredictRnnGluon({ model, numHiddens: 256, vocabSize, corpusIndices, idxToChar, charToIdx,
 *   numEpochs: 250, numSteps: 35, lr: 1e2, clippingTheta: 1e-2, batchSize: 32, predPeriod: 50, predLen: 50,
 *   prefixes: ['分开', '不分开'] });
 */
export async function trainAndPredictRnnGluon(o: TrainRnnGluonOptions): Promise<{ log: EpochRecord[] }> {
  const { model } = o;
  model.initialize(new Normal(0.01), { ctx: o.ctx, forceReinit: true });
  const trainer = new Trainer(model.collectParams(), 'sgd', { learningRate: o.lr, momentum: 0, wd: 0 });
  // Looked up once, after the first forward pass has settled deferred shapes: the arrays keep
  // their identity across steps (the Trainer updates them in place).
  let params: NDArray[] | null = null;
  const log = await trainRnnEpochs(o, {
    batches: () => dataIterConsecutive(o.corpusIndices, o.batchSize, o.numSteps, o.ctx),
    beginEpoch: () => model.beginState({ batchSize: o.batchSize, ctx: o.ctx }),
    step: (X, Y, state) => {
      const st = state!.map((s) => s.detach());
      const [l, outState] = record(() => {
        const [output, s] = model.forward(X, st);
        const y = Y.T.reshape([-1]);
        return [softmaxCrossEntropy(output, y).mean(), s] as [NDArray, RnnState];
      });
      l.backward();
      params ??= model
        .collectParams()
        .values()
        .map((p) => p.data());
      gradClipping(params, o.clippingTheta, o.ctx);
      trainer.step(1);
      return [l, outState];
    },
    predict: (prefix) => predictRnnGluon(prefix, o.predLen, model, o.vocabSize, o.ctx, o.idxToChar, o.charToIdx),
  });
  return { log };
}

/**
 * An `RNNModel` as a {@link SequenceForward}, for `heldOutPerplexity`.
 *
 * @example
 * await heldOutPerplexity(gluonForward(model), (b) => model.beginState({ batchSize: b }), segments);
 */
export function gluonForward(model: RNNModel): SequenceForward {
  return (X, state) => model.forward(X, state);
}
