/**
 * The book's 10.12 machine translation (机器翻译): the small French–English corpus
 * `fr-en-small.txt`, an embedding + multi-layer GRU encoder, a GRU decoder with MLP attention,
 * the masked sequence loss, training with teacher forcing, greedy translation, and BLEU as the
 * book defines it (brevity penalty, n-gram precisions weighted 1/2^n).
 *
 * The file comes through the project's one data resolver (`dataDir`, `D2L_DATA_DIR`, the cache, a
 * checksum-verified download).
 */
import { strFromU8 } from 'fflate';
import { record } from '../autograd/autograd.js';
import { ValueError } from '../core/errors.js';
import type { Context } from '../ndarray/context.js';
import type { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';
import { Block, Sequential, type BlockOptions } from '../gluon/block.js';
import { Dense, Embedding } from '../gluon/nn/basic-layers.js';
import { GRU } from '../gluon/rnn/rnn-layer.js';
import { Trainer } from '../gluon/trainer.js';
import { SoftmaxCrossEntropyLoss } from '../gluon/loss.js';
import { ArrayDataset } from '../gluon/data/dataset.js';
import { DataLoader } from '../gluon/data/dataloader.js';
import { Xavier } from '../gluon/init.js';
import { bookFileBytes, type DataOptions } from './data-files.js';
import { Vocabulary } from '../contrib/text/vocab.js';

/** The padding, begin-of-sequence and end-of-sequence tokens. */
export const PAD = '<pad>';
export const BOS = '<bos>';
export const EOS = '<eos>';
/** MXNet's unknown token, always index 0 of a `text.vocab.Vocabulary`. */
export const UNK = '<unk>';

// The vocabulary of 10.12 is MXNet's `text.vocab.Vocabulary` (one implementation, in contrib).
export { Vocabulary };

function countTokens(tokens: readonly string[]): Map<string, number> {
  const c = new Map<string, number>();
  for (const t of tokens) c.set(t, (c.get(t) ?? 0) + 1);
  return c;
}

/** The book's `process_one_seq`: records the tokens, then pads the sequence with EOS and PADs. */
function processOneSeq(seqTokens: string[], allTokens: string[], allSeqs: string[][], maxSeqLen: number): void {
  allTokens.push(...seqTokens);
  allSeqs.push([...seqTokens, EOS, ...Array<string>(maxSeqLen - seqTokens.length - 1).fill(PAD)]);
}

function buildData(allTokens: string[], allSeqs: string[][]): [Vocabulary, NDArray] {
  const vocab = new Vocabulary(countTokens(allTokens), [PAD, BOS, EOS]);
  return [vocab, nd.array(allSeqs.map((s) => vocab.toIndices(s)))];
}

/** What `readData` returns: the two vocabularies and the (input, output) index pairs. */
export interface TranslationData {
  inVocab: Vocabulary;
  outVocab: Vocabulary;
  dataset: ArrayDataset<[NDArray, NDArray]>;
  /** The French and English index matrices, (examples, maxSeqLen). */
  inData: NDArray;
  outData: NDArray;
}

/**
 * The book's `read_data` on given text (tab-separated French and English sentences, one pair a
 * line): pairs with more than `maxSeqLen - 1` tokens on either side are dropped, the others padded
 * with EOS and PADs to `maxSeqLen`.
 *
 * @example
 * const { inVocab, outVocab, dataset } = readDataFromText('ils regardent .\tthey are watching .\n', 7);
 */
export function readDataFromText(text: string, maxSeqLen: number): TranslationData {
  if (!Number.isInteger(maxSeqLen) || maxSeqLen < 2) throw new ValueError(`readData: maxSeqLen must be an integer >= 2, got ${maxSeqLen}`);
  const inTokens: string[] = [];
  const outTokens: string[] = [];
  const inSeqs: string[][] = [];
  const outSeqs: string[][] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const parts = line.trimEnd().split('\t');
    if (parts.length !== 2) throw new ValueError(`readData: line ${i + 1} should be 'french<TAB>english', got ${JSON.stringify(line)}`);
    const inSeqTokens = parts[0].split(' ');
    const outSeqTokens = parts[1].split(' ');
    if (Math.max(inSeqTokens.length, outSeqTokens.length) > maxSeqLen - 1) return;
    processOneSeq(inSeqTokens, inTokens, inSeqs, maxSeqLen);
    processOneSeq(outSeqTokens, outTokens, outSeqs, maxSeqLen);
  });
  if (inSeqs.length === 0) throw new ValueError(`readData: no sentence pair has at most ${maxSeqLen - 1} tokens`);
  const [inVocab, inData] = buildData(inTokens, inSeqs);
  const [outVocab, outData] = buildData(outTokens, outSeqs);
  return { inVocab, outVocab, inData, outData, dataset: new ArrayDataset(inData, outData) as ArrayDataset<[NDArray, NDArray]> };
}

/**
 * The book's `read_data(max_seq_len)` on `fr-en-small.txt` (through the data resolver).
 *
 * @example
 * const { inVocab, outVocab, dataset } = await readData(7);
 * dataset.get(0); // [[6, 5, 46, 4, 3, 1, 1], [9, 5, 28, 4, 3, 1, 1]]-like index rows
 */
export async function readData(maxSeqLen: number, opts: DataOptions = {}): Promise<TranslationData> {
  return readDataFromText(strFromU8(await bookFileBytes('fr-en-small.txt', opts)), maxSeqLen);
}

function checkPositiveInts(op: string, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values))
    if (!Number.isInteger(v) || v < 1) throw new ValueError(`${op}: ${k} must be a positive integer, got ${v}`);
}

/**
 * The book's `Encoder`: an embedding and a multi-layer GRU. `forward(inputs (batch, T), state)`
 * returns `[outputs (T, batch, hidden), state [(numLayers, batch, hidden)]]`.
 *
 * @example
 * const encoder = new Encoder(10, 8, 16, 2);
 * encoder.initialize();
 * const [output, state] = encoder.forward(nd.zeros([4, 7]), encoder.beginState({ batchSize: 4 }));
 * output.shape; // [7, 4, 16]; state[0].shape: [2, 4, 16]
 */
export class Encoder extends Block {
  embedding: Embedding;
  rnn: GRU;

  constructor(vocabSize: number, embedSize: number, numHiddens: number, numLayers: number, dropProb = 0, opts: BlockOptions = {}) {
    super(opts);
    checkPositiveInts('Encoder', { vocabSize, embedSize, numHiddens, numLayers });
    this.embedding = this.nameScope(() => new Embedding(vocabSize, embedSize));
    this.rnn = this.nameScope(() => new GRU(numHiddens, { numLayers, dropout: dropProb }));
  }

  /** `[outputs, state]` for indices (batch, T). @example encoder.forward(X, encoder.beginState({ batchSize: 2 })) */
  forward(inputs: NDArray, state: NDArray[]): [NDArray, NDArray[]] {
    if (inputs.ndim !== 2) throw new ValueError(`Encoder: expected indices of shape (batch, T), got shape [${inputs.shape}]`);
    // The embedding is (batch, T, embed); the GRU wants time first.
    const embedding = this.embedding.forward(inputs).swapaxes(0, 1);
    return this.rnn.forward(embedding, state) as [NDArray, NDArray[]];
  }

  /** The GRU's zero state. @example encoder.beginState({ batchSize: 4 }) */
  beginState(opts: { batchSize: number; ctx?: Context }): NDArray[] {
    return this.rnn.beginState(opts);
  }
}

/**
 * The book's `attention_model`: Dense(attentionSize, tanh, no bias) then Dense(1, no bias), both
 * applied to the last axis (`flatten: false`).
 *
 * @example
 * const model = attentionModel(10);
 * model.initialize();
 */
export function attentionModel(attentionSize: number): Sequential {
  checkPositiveInts('attentionModel', { attentionSize });
  const model = new Sequential();
  model.add(
    new Dense(attentionSize, { activation: 'tanh', useBias: false, flatten: false }),
    new Dense(1, { useBias: false, flatten: false }),
  );
  return model;
}

/**
 * The book's `attention_forward`: scores every encoder state (T, batch, hidden) against the
 * decoder state (batch, hidden), softmax over time, and returns the context vector (batch, hidden).
 *
 * @example
 * attentionForward(model, nd.zeros([10, 4, 8]), nd.zeros([4, 8])).shape; // [4, 8]
 */
export function attentionForward(model: Block, encStates: NDArray, decState: NDArray): NDArray {
  if (encStates.ndim !== 3 || decState.ndim !== 2 || decState.shape[0] !== encStates.shape[1])
    throw new ValueError(
      `attentionForward: expected encoder states (T, batch, hidden) and a decoder state (batch, hidden'), got [${encStates.shape}] and [${decState.shape}]`,
    );
  // Broadcast the decoder state to every time step, then concatenate on the feature axis.
  const decStates = nd.broadcastAxis(decState.expandDims(0), { axis: 0, size: encStates.shape[0] });
  const encAndDecStates = nd.concat([encStates, decStates], { dim: 2 });
  const e = model.forward(encAndDecStates) as NDArray; // (T, batch, 1)
  const alpha = nd.softmax(e, { axis: 0 }); // softmax over the time steps
  return alpha.mul(encStates).sum({ axis: 0 });
}

/**
 * The book's `Decoder` with attention. `forward(curInput (batch,), state, encStates)` returns
 * `[output (batch, vocabSize), state]`; its first state is the encoder's final state.
 *
 * @example
 * const decoder = new Decoder(10, 8, 16, 2, 10);
 * decoder.initialize();
 * const [out, st] = decoder.forward(nd.zeros([4]), encState, encOutputs); // out.shape [4, 10]
 */
export class Decoder extends Block {
  embedding: Embedding;
  attention: Sequential;
  rnn: GRU;
  out: Dense;

  constructor(
    vocabSize: number,
    embedSize: number,
    numHiddens: number,
    numLayers: number,
    attentionSize: number,
    dropProb = 0,
    opts: BlockOptions = {},
  ) {
    super(opts);
    checkPositiveInts('Decoder', { vocabSize, embedSize, numHiddens, numLayers, attentionSize });
    this.embedding = this.nameScope(() => new Embedding(vocabSize, embedSize));
    this.attention = this.nameScope(() => attentionModel(attentionSize));
    this.rnn = this.nameScope(() => new GRU(numHiddens, { numLayers, dropout: dropProb }));
    this.out = this.nameScope(() => new Dense(vocabSize, { flatten: false }));
  }

  /** One decoding step. @example decoder.forward(decInput, decState, encOutputs) */
  forward(curInput: NDArray, state: NDArray[], encStates: NDArray): [NDArray, NDArray[]] {
    if (curInput.ndim !== 1) throw new ValueError(`Decoder: expected one index per example, shape (batch,), got shape [${curInput.shape}]`);
    // The context vector from the top layer's state.
    const top = state[0].get(state[0].shape[0] - 1);
    const c = attentionForward(this.attention, encStates, top);
    const inputAndC = nd.concat([this.embedding.forward(curInput), c], { dim: 1 });
    // One time step for the GRU.
    const [output, newState] = this.rnn.forward(inputAndC.expandDims(0), state) as [NDArray, NDArray[]];
    return [(this.out.forward(output) as NDArray).squeeze(0), newState];
  }

  /** The encoder's final state is the decoder's first. @example decoder.beginState(encState) */
  beginState(encState: NDArray[]): NDArray[] {
    return encState;
  }
}

/**
 * The book's `batch_loss`: teacher forcing from BOS, the cross-entropy of every step masked after
 * each sequence's EOS, divided by the number of tokens counted.
 *
 * @example
 * const l = autograd.record(() => batchLoss(encoder, decoder, X, Y, loss, outVocab));
 */
export function batchLoss(
  encoder: Encoder,
  decoder: Decoder,
  X: NDArray,
  Y: NDArray,
  loss: SoftmaxCrossEntropyLoss,
  outVocab: Vocabulary,
): NDArray {
  if (X.ndim !== 2 || Y.ndim !== 2 || X.shape[0] !== Y.shape[0])
    throw new ValueError(`batchLoss: expected X and Y of shape (batch, T) with the same batch, got [${X.shape}] and [${Y.shape}]`);
  const batchSize = X.shape[0];
  const [encOutputs, encState] = encoder.forward(X, encoder.beginState({ batchSize, ctx: X.context }));
  let decState = decoder.beginState(encState);
  let decInput = nd.array(Array(batchSize).fill(outVocab.tokenToIdx.get(BOS)!), { ctx: X.context });
  // The mask drops the loss of the PADs after EOS.
  let mask = nd.ones([batchSize], { ctx: X.context });
  let numNotPadTokens = 0;
  let l = nd.array([0], { ctx: X.context });
  const YT = Y.T;
  const eos = outVocab.tokenToIdx.get(EOS)!;
  for (let t = 0; t < YT.shape[0]; t++) {
    const y = YT.get(t);
    let decOutput: NDArray;
    [decOutput, decState] = decoder.forward(decInput, decState, encOutputs);
    l = l.add(mask.mul(loss.forward(decOutput, y)).sum());
    decInput = y; // teacher forcing
    numNotPadTokens += mask.sum().asScalar();
    mask = mask.mul(y.notEqual(eos));
  }
  return l.div(numNotPadTokens);
}

/** One line of `train`'s log. */
export interface MtEpoch {
  epoch: number;
  loss: number;
}

/**
 * The book's `train`: Xavier initialisation, one Adam trainer per network, shuffled minibatches;
 * prints (through `print`) `epoch N, loss L` every `printEvery` (10) epochs.
 *
 * @example
 * train(encoder, decoder, dataset, outVocab, 0.01, 2, 50);
 */
export function train(
  encoder: Encoder,
  decoder: Decoder,
  dataset: ArrayDataset<[NDArray, NDArray]>,
  outVocab: Vocabulary,
  lr: number,
  batchSize: number,
  numEpochs: number,
  opts: { print?: (line: string) => void; printEvery?: number; ctx?: Context } = {},
): MtEpoch[] {
  checkPositiveInts('train', { batchSize, numEpochs });
  if (!(lr > 0)) throw new ValueError(`train: lr must be positive, got ${lr}`);
  const print = opts.print ?? console.log;
  const printEvery = opts.printEvery ?? 10;
  encoder.initialize(new Xavier(), { forceReinit: true, ctx: opts.ctx });
  decoder.initialize(new Xavier(), { forceReinit: true, ctx: opts.ctx });
  const encTrainer = new Trainer(encoder.collectParams(), 'adam', { learningRate: lr });
  const decTrainer = new Trainer(decoder.collectParams(), 'adam', { learningRate: lr });
  const loss = new SoftmaxCrossEntropyLoss();
  const dataIter = new DataLoader(dataset, { batchSize, shuffle: true });
  const log: MtEpoch[] = [];
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    let lSum = 0;
    for (const [X0, Y0] of dataIter as Iterable<[NDArray, NDArray]>) {
      const X = opts.ctx ? X0.asInContext(opts.ctx) : X0;
      const Y = opts.ctx ? Y0.asInContext(opts.ctx) : Y0;
      const l = record(() => batchLoss(encoder, decoder, X, Y, loss, outVocab));
      l.backward();
      encTrainer.step(1);
      decTrainer.step(1);
      lSum += l.asScalar();
    }
    if ((epoch + 1) % printEvery === 0) {
      const mean = lSum / dataIter.length;
      log.push({ epoch: epoch + 1, loss: mean });
      print(`epoch ${epoch + 1}, loss ${mean.toFixed(3)}`);
    }
  }
  return log;
}

/**
 * Encodes one source sentence as `translate` does (its tokens, EOS, padding to `maxSeqLen`) and
 * returns the encoder's outputs and state; `op` names the caller in errors.
 *
 * @example
 * const [encOutput, encState] = encodeInput('translate', encoder, 'ils regardent .', 7, inVocab);
 */
export function encodeInput(
  op: string,
  encoder: Encoder,
  inputSeq: string,
  maxSeqLen: number,
  inVocab: Vocabulary,
  ctx?: Context,
): [NDArray, NDArray[]] {
  const inTokens = inputSeq.split(' ');
  if (inTokens.length > maxSeqLen - 1)
    throw new ValueError(`${op}: the input has ${inTokens.length} tokens, at most maxSeqLen - 1 = ${maxSeqLen - 1} fit`);
  const padded = [...inTokens, EOS, ...Array<string>(maxSeqLen - inTokens.length - 1).fill(PAD)];
  const encInput = nd.array([inVocab.toIndices(padded)], { ctx });
  return encoder.forward(encInput, encoder.beginState({ batchSize: 1, ctx }));
}

/**
 * The book's `translate`: greedy decoding from BOS until EOS or `maxSeqLen` tokens.
 *
 * @example
 * translate(encoder, decoder, 'ils regardent .', 7, inVocab, outVocab); // ['they', 'are', 'watching', '.']
 */
export function translate(
  encoder: Encoder,
  decoder: Decoder,
  inputSeq: string,
  maxSeqLen: number,
  inVocab: Vocabulary,
  outVocab: Vocabulary,
  ctx?: Context,
): string[] {
  const [encOutput, encState] = encodeInput('translate', encoder, inputSeq, maxSeqLen, inVocab, ctx);
  let decInput = nd.array([outVocab.tokenToIdx.get(BOS)!], { ctx });
  let decState = decoder.beginState(encState);
  const outputTokens: string[] = [];
  for (let i = 0; i < maxSeqLen; i++) {
    let decOutput: NDArray;
    [decOutput, decState] = decoder.forward(decInput, decState, encOutput);
    const pred = decOutput.argmax({ axis: 1 });
    const predToken = outVocab.idxToToken[Math.round(pred.asScalar())];
    if (predToken === EOS) break; // the output sequence ends at EOS
    outputTokens.push(predToken);
    decInput = pred;
  }
  return outputTokens;
}

/**
 * The book's `bleu`: exp(min(0, 1 − len_label/len_pred)) · Π_{n=1..k} p_n^(1/2^n), p_n the
 * clipped n-gram precision. As in the book, an n-gram's key is its tokens joined without a
 * separator.
 *
 * @example
 * bleu(['they', 'are', 'watching', '.'], ['they', 'are', 'watching', '.'], 2); // 1
 * bleu(['they', 'are', 'russian', '.'], ['they', 'are', 'canadian', '.'], 2); // 0.658...
 */
export function bleu(predTokens: readonly string[], labelTokens: readonly string[], k: number): number {
  checkPositiveInts('bleu', { k });
  const lenPred = predTokens.length;
  const lenLabel = labelTokens.length;
  if (lenPred < k) throw new ValueError(`bleu: the prediction has ${lenPred} tokens, fewer than k = ${k} (its ${k}-grams are undefined)`);
  let score = Math.exp(Math.min(0, 1 - lenLabel / lenPred));
  for (let n = 1; n <= k; n++) {
    let numMatches = 0;
    const labelSubs = new Map<string, number>();
    for (let i = 0; i < lenLabel - n + 1; i++) {
      const key = labelTokens.slice(i, i + n).join('');
      labelSubs.set(key, (labelSubs.get(key) ?? 0) + 1);
    }
    for (let i = 0; i < lenPred - n + 1; i++) {
      const key = predTokens.slice(i, i + n).join('');
      if ((labelSubs.get(key) ?? 0) > 0) {
        numMatches += 1;
        labelSubs.set(key, labelSubs.get(key)! - 1);
      }
    }
    score *= Math.pow(numMatches / (lenPred - n + 1), Math.pow(0.5, n));
  }
  return score;
}
