/**
 * Recurrent networks from scratch (the book's 6.4, 6.7, 6.8): one-hot inputs, the RNN, GRU and LSTM
 * step functions over explicit parameter lists, gradient clipping, greedy generation, and the
 * training loop with random or consecutive sampling. The book's formulation is kept: one-hot
 * inputs are multiplied as dense matrices.
 */
import { ValueError } from '../core/errors.js';
import { record } from '../autograd/autograd.js';
import type { Context } from '../ndarray/context.js';
import type { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';
import { SoftmaxCrossEntropyLoss } from '../gluon/loss.js';
import { sgd } from './linreg.js';
import { dataIterConsecutive, dataIterRandom } from './text.js';

/** A hidden state: a list of arrays ((H,) for RNN/GRU, (H, C) for LSTM). */
export type RnnState = NDArray[];
/** A from-scratch recurrent model: maps one input per time step (and a state) to one output per step. */
export type RnnFn = (inputs: NDArray[], state: RnnState, params: NDArray[]) => [NDArray[], RnnState];
/** Creates the zero state of a from-scratch model for a batch. */
export type InitStateFn = (batchSize: number, numHiddens: number, ctx?: Context) => RnnState;

/**
 * The book's `to_onehot`: (batch, numSteps) indices → `numSteps` one-hot arrays of shape
 * (batch, size), one per time step.
 *
 * @example
 * const inputs = toOnehot(nd.arange(10).reshape([2, 5]), 1027);
 * inputs.length;   // 5
 * inputs[0].shape; // [2, 1027]
 */
export function toOnehot(X: NDArray, size: number, opts: { dtype?: 'float32' | 'float64' } = {}): NDArray[] {
  if (X.ndim !== 2) throw new ValueError(`toOnehot: expected (batch, numSteps) indices, got shape [${X.shape}]`);
  const oh = nd.oneHot(X.T, size, { dtype: opts.dtype ?? 'float32' });
  const steps: NDArray[] = [];
  for (let t = 0; t < X.shape[1]; t++) steps.push(oh.get(t));
  return steps;
}

function normal01(shape: number[], ctx?: Context, dtype: 'float32' | 'float64' = 'float32'): NDArray {
  return nd.random.normal(0, 0.01, shape, { ctx, dtype });
}

function attach(params: NDArray[]): NDArray[] {
  for (const p of params) p.attachGrad();
  return params;
}

/** Options of the `get*Params` functions. */
export interface ParamOptions {
  ctx?: Context;
  /** float32 (default), or float64 for gradient checks. */
  dtype?: 'float32' | 'float64';
}

/**
 * The book's `get_params` for the RNN: `[W_xh, W_hh, b_h, W_hq, b_q]`, weights N(0, 0.01), biases
 * zero, gradients attached.
 *
 * @example
 * const params = getRnnParams(vocabSize, 256, vocabSize);
 */
export function getRnnParams(numInputs: number, numHiddens: number, numOutputs: number, opts: ParamOptions = {}): NDArray[] {
  const { ctx, dtype = 'float32' } = opts;
  return attach([
    normal01([numInputs, numHiddens], ctx, dtype),
    normal01([numHiddens, numHiddens], ctx, dtype),
    nd.zeros([numHiddens], { ctx, dtype }),
    normal01([numHiddens, numOutputs], ctx, dtype),
    nd.zeros([numOutputs], { ctx, dtype }),
  ]);
}

/**
 * The book's `init_rnn_state`: `[zeros(batch, hidden)]` (also the GRU's state).
 *
 * @example
 * const state = initRnnState(2, 256); // [NDArray 2x256]
 */
export function initRnnState(batchSize: number, numHiddens: number, ctx?: Context, dtype: 'float32' | 'float64' = 'float32'): RnnState {
  return [nd.zeros([batchSize, numHiddens], { ctx, dtype })];
}

/**
 * The book's `rnn`: H = tanh(X W_xh + H W_hh + b_h), Y = H W_hq + b_q at every time step.
 *
 * @example
 * const [outputs, stateNew] = rnn(toOnehot(X, vocabSize), initRnnState(2, 256), params);
 */
export const rnn: RnnFn = (inputs, state, params) => {
  const [Wxh, Whh, bh, Whq, bq] = params;
  let H = state[0];
  const outputs: NDArray[] = [];
  for (const X of inputs) {
    H = nd.tanh(nd.dot(X, Wxh).add(nd.dot(H, Whh)).add(bh));
    outputs.push(nd.dot(H, Whq).add(bq));
  }
  return [outputs, [H]];
};

/**
 * The book's GRU `get_params`: `[W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q]`.
 *
 * @example
 * const params = getGruParams(vocabSize, 256, vocabSize);
 */
export function getGruParams(numInputs: number, numHiddens: number, numOutputs: number, opts: ParamOptions = {}): NDArray[] {
  const { ctx, dtype = 'float32' } = opts;
  const three = () => [
    normal01([numInputs, numHiddens], ctx, dtype),
    normal01([numHiddens, numHiddens], ctx, dtype),
    nd.zeros([numHiddens], { ctx, dtype }),
  ];
  return attach([
    ...three(),
    ...three(),
    ...three(),
    normal01([numHiddens, numOutputs], ctx, dtype),
    nd.zeros([numOutputs], { ctx, dtype }),
  ]);
}

/**
 * The book's `init_gru_state`: `[zeros(batch, hidden)]`.
 *
 * @example
 * const state = initGruState(32, 256);
 */
export const initGruState: InitStateFn = (batchSize, numHiddens, ctx) => initRnnState(batchSize, numHiddens, ctx);

/**
 * The GRU of 6.7 with the corrected candidate state (reference §0):
 * Z = σ(X W_xz + H W_hz + b_z), R = σ(X W_xr + H W_hr + b_r),
 * H̃ = tanh(X W_xh + (R ⊙ H) W_hh + b_h), H = Z ⊙ H + (1 − Z) ⊙ H̃, Y = H W_hq + b_q.
 *
 * @example
 * const [outputs, [H]] = gru(toOnehot(X, vocabSize), initGruState(2, 256), getGruParams(vocabSize, 256, vocabSize));
 */
export const gru: RnnFn = (inputs, state, params) => {
  const [Wxz, Whz, bz, Wxr, Whr, br, Wxh, Whh, bh, Whq, bq] = params;
  let H = state[0];
  const outputs: NDArray[] = [];
  for (const X of inputs) {
    const Z = nd.sigmoid(nd.dot(X, Wxz).add(nd.dot(H, Whz)).add(bz));
    const R = nd.sigmoid(nd.dot(X, Wxr).add(nd.dot(H, Whr)).add(br));
    const Htilda = nd.tanh(
      nd
        .dot(X, Wxh)
        .add(nd.dot(R.mul(H), Whh))
        .add(bh),
    );
    H = Z.mul(H).add(Z.rsub(1).mul(Htilda));
    outputs.push(nd.dot(H, Whq).add(bq));
  }
  return [outputs, [H]];
};

/**
 * The book's LSTM `get_params`: the input, forget and output gates and the candidate cell
 * (`W_x*`, `W_h*`, `b_*` each, in the order i, f, o, c), then `W_hq, b_q`.
 *
 * @example
 * const params = getLstmParams(vocabSize, 256, vocabSize);
 */
export function getLstmParams(numInputs: number, numHiddens: number, numOutputs: number, opts: ParamOptions = {}): NDArray[] {
  const { ctx, dtype = 'float32' } = opts;
  const three = () => [
    normal01([numInputs, numHiddens], ctx, dtype),
    normal01([numHiddens, numHiddens], ctx, dtype),
    nd.zeros([numHiddens], { ctx, dtype }),
  ];
  return attach([
    ...three(),
    ...three(),
    ...three(),
    ...three(),
    normal01([numHiddens, numOutputs], ctx, dtype),
    nd.zeros([numOutputs], { ctx, dtype }),
  ]);
}

/**
 * The book's `init_lstm_state`: `[H, C]`, both zeros.
 *
 * @example
 * const [H, C] = initLstmState(32, 256);
 */
export const initLstmState: InitStateFn = (batchSize, numHiddens, ctx) => [
  nd.zeros([batchSize, numHiddens], { ctx }),
  nd.zeros([batchSize, numHiddens], { ctx }),
];

/**
 * The LSTM of 6.8: I, F, O = σ(X W_x* + H W_h* + b_*), C̃ = tanh(X W_xc + H W_hc + b_c),
 * C = F ⊙ C + I ⊙ C̃, H = O ⊙ tanh(C), Y = H W_hq + b_q.
 *
 * @example
 * const [outputs, [H, C]] = lstm(toOnehot(X, vocabSize), initLstmState(2, 256), getLstmParams(vocabSize, 256, vocabSize));
 */
export const lstm: RnnFn = (inputs, state, params) => {
  const [Wxi, Whi, bi, Wxf, Whf, bf, Wxo, Who, bo, Wxc, Whc, bc, Whq, bq] = params;
  let [H, C] = state;
  const outputs: NDArray[] = [];
  for (const X of inputs) {
    const I = nd.sigmoid(nd.dot(X, Wxi).add(nd.dot(H, Whi)).add(bi));
    const F = nd.sigmoid(nd.dot(X, Wxf).add(nd.dot(H, Whf)).add(bf));
    const O = nd.sigmoid(nd.dot(X, Wxo).add(nd.dot(H, Who)).add(bo));
    const Ctilda = nd.tanh(nd.dot(X, Wxc).add(nd.dot(H, Whc)).add(bc));
    C = F.mul(C).add(I.mul(Ctilda));
    H = O.mul(C.tanh());
    outputs.push(nd.dot(H, Whq).add(bq));
  }
  return [outputs, [H, C]];
};

/**
 * The book's `grad_clipping`: when the global L2 norm of the gradients exceeds `theta`, every
 * gradient is scaled by `theta / norm`. Computed on the device without reading the norm back
 * (the gradients are multiplied by `theta / max(norm, theta)`). Does nothing for `theta` null.
 *
 * @example
 * loss.backward();
 * gradClipping(params, 0.01);
 */
export function gradClipping(params: readonly NDArray[], theta: number | null, _ctx?: Context): void {
  if (theta === null || theta === undefined) return;
  if (!(theta > 0)) throw new ValueError(`gradClipping: theta must be positive (or null for no clipping), got ${theta}`);
  let sq: NDArray | null = null;
  for (const p of params) {
    const s = p.grad.square().sum();
    sq = sq ? sq.add(s) : s;
  }
  if (!sq) return;
  const scale = nd.maximum(sq.sqrt(), theta).rdiv(theta);
  for (const p of params) p.grad.imul(scale.astype(p.grad.dtype));
}

const sceLoss = new SoftmaxCrossEntropyLoss();

/**
 * The cross-entropy of softmax(logits) against integer labels, one value per row: Gluon's
 * SoftmaxCrossEntropyLoss, as the book's training loop uses.
 *
 * @example
 * softmaxCrossEntropy(nd.array([[1, 2, 3]]), nd.array([2])); // [0.4076]
 */
export function softmaxCrossEntropy(logits: NDArray, labels: NDArray): NDArray {
  return sceLoss.forward(logits, labels.reshape([-1]));
}

function checkPrefix(prefix: string, charToIdx: Map<string, number>, op: string): number[] {
  const chars = Array.from(prefix);
  if (chars.length === 0) throw new ValueError(`${op}: the prefix must have at least one character`);
  return chars.map((c) => {
    const i = charToIdx.get(c);
    if (i === undefined) throw new ValueError(`${op}: the prefix character '${c}' is not in the vocabulary`);
    return i;
  });
}

/** The values of small arrays on one device (each flattened, in order) in a single read. */
async function readAll(arrays: readonly NDArray[]): Promise<ArrayLike<number>> {
  return nd
    .concat(
      arrays.map((a) => a.reshape([-1])),
      { dim: 0 },
    )
    .data();
}

/**
 * Greedy generation shared by `predictRnn` and `predictRnnGluon`: feeds the prefix one character
 * at a time from `state`, then appends the most likely next character `numChars` times. `step`
 * maps a (1, 1) array of the current character index and the state to (1, vocab) logits and the
 * new state. Returns prefix plus the generated text.
 *
 * Each chosen character (the argmax, a (1, 1) array) is fed back as the next input on the
 * device, so nothing is read while generating: the indices are read once at the end
 * (asynchronously, so a GPU model works too).
 *
 * @example
 * await generateGreedy('分开', 10, state0, (X, s) => model.forward(X, s), ctx, idxToChar, charToIdx, 'predictRnnGluon');
 */
export async function generateGreedy(
  prefix: string,
  numChars: number,
  state0: RnnState,
  step: (X: NDArray, state: RnnState) => [NDArray, RnnState],
  ctx: Context | undefined,
  idxToChar: readonly string[],
  charToIdx: Map<string, number>,
  op = 'generateGreedy',
): Promise<string> {
  const pre = checkPrefix(prefix, charToIdx, op);
  let state = state0;
  // The current input; the generated ones are kept (and read) until the end.
  let X = nd.array([[pre[0]]], { ctx });
  const generated: NDArray[] = [];
  const total = numChars + pre.length - 1;
  for (let t = 0; t < total; t++) {
    const fromPrefix = t < pre.length - 1;
    const [Y, st] = step(X, state);
    state = st;
    X = fromPrefix ? nd.array([[pre[t + 1]]], { ctx }) : Y.argmax({ axis: 1 }).reshape([1, 1]);
    if (!fromPrefix) generated.push(X);
  }
  const indices = generated.length > 0 ? Array.from(await readAll(generated), Number) : [];
  return [...pre, ...indices].map((i) => idxToChar[i]).join('');
}

/**
 * The book's `predict_rnn`: feeds the prefix one character at a time from a batch-1 zero state,
 * then appends the most likely next character `numChars` times (greedy). Returns prefix plus the
 * generated text. Asynchronous: the generated characters are read once, at the end, from the
 * parameters' device (see {@link generateGreedy}).
 *
 * @example
 * await predictRnn('分开', 10, rnn, params, initRnnState, 256, vocabSize, undefined, idxToChar, charToIdx);
 * await predictRnn('分开', 10, rnn, gpuParams, initRnnState, 256, vocabSize, nd.gpu(), idxToChar, charToIdx);
 */
export async function predictRnn(
  prefix: string,
  numChars: number,
  rnnFn: RnnFn,
  params: NDArray[],
  initState: InitStateFn,
  numHiddens: number,
  vocabSize: number,
  ctx: Context | undefined,
  idxToChar: readonly string[],
  charToIdx: Map<string, number>,
): Promise<string> {
  const step = (X: NDArray, state: RnnState): [NDArray, RnnState] => {
    const [Y, st] = rnnFn(toOnehot(X, vocabSize, { dtype: params[0].dtype as 'float32' }), state, params);
    return [Y[0], st];
  };
  return generateGreedy(prefix, numChars, initState(1, numHiddens, ctx), step, ctx, idxToChar, charToIdx, 'predictRnn');
}

/** One line of a training log. */
export interface EpochRecord {
  epoch: number;
  perplexity: number;
  seconds: number;
  /** Generated text for each prefix (epochs that print only). */
  samples?: string[];
}

/** The options both RNN trainers share (the book's arguments of train_and_predict_rnn[_gluon], by name). */
export interface RnnTrainCommonOptions {
  numHiddens: number;
  vocabSize: number;
  ctx?: Context;
  corpusIndices: readonly number[];
  idxToChar: readonly string[];
  charToIdx: Map<string, number>;
  numEpochs: number;
  numSteps: number;
  lr: number;
  clippingTheta: number | null;
  batchSize: number;
  predPeriod: number;
  predLen: number;
  prefixes: readonly string[];
  /** Where the log goes (default console.log). */
  print?: (line: string) => void;
  /** Called after every epoch (progress bars, tests). */
  onEpoch?: (r: EpochRecord) => void;
}

/** Options of `trainAndPredictRnn` (the book's 18 arguments, by name). */
export interface TrainRnnOptions extends RnnTrainCommonOptions {
  rnn: RnnFn;
  getParams: () => NDArray[];
  initRnnState: InitStateFn;
  isRandomIter: boolean;
}

/**
 * The book's `train_and_predict_rnn`: trains a from-scratch model with SGD and gradient clipping.
 * Random sampling starts every minibatch from a zero state; consecutive sampling starts each epoch
 * from a zero state and carries it (detached) from batch to batch. Every `predPeriod` epochs it
 * prints `epoch N, perplexity P, time T sec` and a generated line per prefix. Each batch's loss is
 * read as the book's `l.asscalar()` (asynchronously, for a GPU). Returns the trained parameters and the log.
 *
 * @example
 * const { params, log } = await trainAndPredictRnn({
 *   rnn, getParams: () => getRnnParams(vocabSize, 256, vocabSize), initRnnState, numHiddens: 256,
 *   vocabSize, corpusIndices, idxToChar, charToIdx, isRandomIter: true, numEpochs: 250, numSteps: 35,
 *   lr: 1e2, clippingTheta: 1e-2, batchSize: 32, predPeriod: 50, predLen: 50, prefixes: ['分开', '不分开'],
 * });
 */
export async function trainAndPredictRnn(o: TrainRnnOptions): Promise<{ params: NDArray[]; log: EpochRecord[] }> {
  const params = o.getParams();
  const log = await trainRnnEpochs(o, {
    batches: () => (o.isRandomIter ? dataIterRandom : dataIterConsecutive)(o.corpusIndices, o.batchSize, o.numSteps, o.ctx),
    beginEpoch: () => (o.isRandomIter ? null : o.initRnnState(o.batchSize, o.numHiddens, o.ctx)),
    step: (X, Y, state) => {
      const st = state ?? o.initRnnState(o.batchSize, o.numHiddens, o.ctx);
      const [l, outState] = record(() => {
        const inputs = toOnehot(X, o.vocabSize);
        const [outputs, s] = o.rnn(inputs, st, params);
        const logits = nd.concat(outputs, { dim: 0 });
        const y = Y.T.reshape([-1]);
        return [softmaxCrossEntropy(logits, y).mean(), s] as [NDArray, RnnState];
      });
      l.backward();
      gradClipping(params, o.clippingTheta, o.ctx);
      sgd(params, o.lr, 1); // the loss is a mean already
      return [l, outState];
    },
    predict: (prefix) =>
      predictRnn(prefix, o.predLen, o.rnn, params, o.initRnnState, o.numHiddens, o.vocabSize, o.ctx, o.idxToChar, o.charToIdx),
  });
  return { params, log };
}

/** What one RNN trainer does inside the epoch loop that both share (`trainRnnEpochs`). */
export interface RnnEpochSpec {
  /** The minibatches (X, Y) of one epoch. */
  batches: () => Iterable<[NDArray, NDArray]>;
  /** The state an epoch starts from, carried (detached) from batch to batch; null: none is carried. */
  beginEpoch: () => RnnState | null;
  /** One training step: the batch's mean loss and the state it ended in. */
  step: (X: NDArray, Y: NDArray, state: RnnState | null) => [NDArray, RnnState];
  /** Generates text after a prefix (the epochs that print). */
  predict: (prefix: string) => Promise<string>;
}

/**
 * The epoch loop of the book's RNN trainers (`train_and_predict_rnn` and its Gluon twin): the loss
 * of each batch is read (`await l.asScalarAsync()`, the book's `asscalar`); every `predPeriod` epochs it prints
 * `epoch N, perplexity P, time T sec` and a generated line per prefix. Returns the log.
 *
 * @example
 * const log = await trainRnnEpochs(o, { batches, beginEpoch: () => null, step, predict });
 */
export async function trainRnnEpochs(o: RnnTrainCommonOptions, spec: RnnEpochSpec): Promise<EpochRecord[]> {
  const print = o.print ?? ((l: string) => console.log(l));
  const log: EpochRecord[] = [];
  for (let epoch = 1; epoch <= o.numEpochs; epoch++) {
    const start = performance.now();
    let state = spec.beginEpoch();
    let lSum = 0;
    let n = 0;
    for (const [X, Y] of spec.batches()) {
      const [l, outState] = spec.step(X, Y, state);
      // Consecutive sampling carries the state, detached: backward stops at this batch.
      if (state) state = outState.map((s) => s.detach());
      lSum += (await l.asScalarAsync()) * Y.size;
      n += Y.size;
    }
    const rec: EpochRecord = { epoch, perplexity: Math.exp(lSum / n), seconds: (performance.now() - start) / 1000 };
    if (epoch % o.predPeriod === 0) {
      print(`epoch ${epoch}, perplexity ${rec.perplexity.toFixed(6)}, time ${rec.seconds.toFixed(2)} sec`);
      rec.samples = [];
      for (const p of o.prefixes) rec.samples.push(await spec.predict(p));
      for (const s of rec.samples) print(` - ${s}`);
    }
    log.push(rec);
    o.onEpoch?.(rec);
  }
  return log;
}

/**
 * A sequence model seen as "indices (batch, steps) and a state in, logits (steps·batch, vocab)
 * and a state out", so one held-out evaluation serves the scratch models and `RNNModel`.
 */
export type SequenceForward = (X: NDArray, state: RnnState) => [NDArray, RnnState];

/**
 * The perplexity of a model on held-out segments (from `heldOutSegments`): each segment starts
 * from a zero state and every character after its first is scored given the segment so far.
 * Segments are batched (padded, with the padding masked out). The loss sum of every batch stays
 * on the device (`ctx`, where `forward`'s parameters live); they are read once, at the end, and
 * added up in float64 on the host. Asynchronous, so a GPU model works too.
 *
 * @example
 * const { segments } = heldOutSegments(corpus);
 * const ppl = await heldOutPerplexity(scratchForward(rnn, params, vocabSize), (b) => initRnnState(b, 256), segments);
 * await heldOutPerplexity(gluonForward(model), (b) => model.beginState({ batchSize: b, ctx: nd.gpu() }), segments, { ctx: nd.gpu() });
 */
export async function heldOutPerplexity(
  forward: SequenceForward,
  initState: (batchSize: number) => RnnState,
  segments: readonly (readonly number[])[],
  opts: { batchSize?: number; ctx?: Context } = {},
): Promise<number> {
  const bs = opts.batchSize ?? 128;
  const sorted = [...segments].filter((s) => s.length >= 2).sort((a, b) => a.length - b.length);
  if (sorted.length === 0) throw new ValueError('heldOutPerplexity: no segment has 2 or more characters');
  let count = 0;
  // One 0-d loss sum per batch of segments, on the device until the single read below.
  const sums: NDArray[] = [];
  for (let i = 0; i < sorted.length; i += bs) {
    const group = sorted.slice(i, i + bs);
    const T = group[group.length - 1].length - 1;
    const B = group.length;
    const X = new Float32Array(B * T);
    const Y = new Float32Array(B * T);
    const M = new Float32Array(B * T);
    group.forEach((s, b) => {
      for (let t = 0; t < s.length - 1; t++) {
        X[b * T + t] = s[t];
        Y[b * T + t] = s[t + 1];
        M[b * T + t] = 1;
        count++;
      }
    });
    const Xa = nd.array(X, { shape: [B, T], ctx: opts.ctx });
    const Ya = nd.array(Y, { shape: [B, T], ctx: opts.ctx });
    const Ma = nd.array(M, { shape: [B, T], ctx: opts.ctx });
    const [logits] = forward(Xa, initState(B));
    // logits are time-major: row t*B + b.
    sums.push(
      softmaxCrossEntropy(logits, Ya.T.reshape([-1]))
        .mul(Ma.T.reshape([-1]))
        .sum(),
    );
  }
  const values = await readAll(sums);
  let nll = 0;
  for (let i = 0; i < values.length; i++) nll += values[i];
  return Math.exp(nll / count);
}

/**
 * Wraps a from-scratch model as a {@link SequenceForward} (one-hot inputs, outputs concatenated
 * time-major), for {@link heldOutPerplexity}.
 *
 * @example
 * const forward = scratchForward(gru, params, vocabSize);
 */
export function scratchForward(rnnFn: RnnFn, params: NDArray[], vocabSize: number): SequenceForward {
  return (X, state) => {
    const [outputs, s] = rnnFn(toOnehot(X, vocabSize), state, params);
    return [nd.concat(outputs, { dim: 0 }), s];
  };
}
