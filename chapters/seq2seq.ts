/**
 * # 10.9 Encoder–decoder (编码器—解码器（seq2seq）)
 *
 * The book's section is text and formulas. The encoder reads the input x_1..x_T with a recurrent
 * network, h_t = f(x_t, h_{t−1}), and turns its hidden states into one context vector
 * c = q(h_1, ..., h_T); the simplest choice, used here, is c = h_T. The decoder generates the
 * output one token at a time from the previous token, the context vector and its own state,
 * s_{t′} = g(y_{t′−1}, c, s_{t′−1}), with P(y_{t′} | y_1..y_{t′−1}, c) a softmax over the output
 * vocabulary; its first state is the encoder's last (same layers and hidden size). Training
 * maximizes the likelihood of the label sequence,
 *   P(y_1..y_{T′} | x_1..x_T) = Π_{t′} P(y_{t′} | y_1..y_{t′−1}, c),
 * i.e. minimizes −log P(y_1..y_{T′} | x) = −Σ_{t′} log P(y_{t′} | ...), the sum of the steps'
 * cross-entropy losses, with the label of the previous step as the decoder's input (teacher
 * forcing), starting from BOS and ending with EOS.
 *
 * This program builds both halves for the book's figure example, "they are watching ." →
 * "ils regardent .": the encoder is 10.12's `d2l.Encoder` (embedding + GRU); the decoder, without
 * the attention of 10.11, feeds [embedding(y_{t′−1}), c] to a GRU at every step. It checks each
 * formula (c = h_T, each step's softmax sums to 1, −log Π P equals the summed cross-entropy),
 * then trains the pair for a few epochs and decodes greedily.
 *
 * Run it: `d2l-ts run seq2seq` or `node dist/chapters/seq2seq.js`.
 */
import { nd, d2l, gluon, autograd, ValueError, type NDArray } from '../src/index.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';
import { pyShape } from './pyrepr.js';

export const meta = {
  slug: 'seq2seq',
  title: '10.9 编码器—解码器（seq2seq） (encoder-decoder)',
};

/**
 * The decoder of 10.9: one step takes the previous tokens (batch,), the state and the context
 * vector c (batch, hidden) and returns the scores over the output vocabulary (batch, vocab).
 *
 * @example
 * const decoder = new Seq2seqDecoder(6, 4, 5);
 * decoder.initialize();
 * const [scores, state] = decoder.forward(nd.array([1]), encState, encState[0].get(0));
 */
export class Seq2seqDecoder extends gluon.Block {
  embedding: gluon.nn.Embedding;
  rnn: gluon.rnn.GRU;
  out: gluon.nn.Dense;

  constructor(vocabSize: number, embedSize: number, numHiddens: number) {
    super();
    this.embedding = this.nameScope(() => new gluon.nn.Embedding(vocabSize, embedSize));
    this.rnn = this.nameScope(() => new gluon.rnn.GRU(numHiddens));
    this.out = this.nameScope(() => new gluon.nn.Dense(vocabSize, { flatten: false }));
  }

  forward(curInput: NDArray, state: NDArray[], c: NDArray): [NDArray, NDArray[]] {
    if (curInput.ndim !== 1 || c.ndim !== 2 || c.shape[0] !== curInput.shape[0])
      throw new ValueError(
        `Seq2seqDecoder: expected tokens (batch,) and a context (batch, hidden), got [${curInput.shape}] and [${c.shape}]`,
      );
    // s_{t′} = g(y_{t′−1}, c, s_{t′−1}): the GRU reads the token's embedding and c side by side.
    const input = nd.concat([this.embedding.forward(curInput), c], { dim: 1 });
    const [output, newState] = this.rnn.forward(input.expandDims(0), state) as [NDArray, NDArray[]];
    return [(this.out.forward(output) as NDArray).squeeze(0), newState];
  }
}

export interface Seq2seqResult {
  lines: string[];
  /** |c − h_T|, max over the step's softmax |Σ P − 1|, |−log Π P − Σ cross-entropy|. */
  errors: { context: number; softmaxSums: number; likelihood: number };
  /** −log P(label | input) before and after training. */
  nllBefore: number;
  nllAfter: number;
  /** The greedy decoding of the input after training. */
  greedy: string[];
}

function counter(tokens: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of tokens) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/**
 * Runs 10.9 on the figure's sentence pair: encoder, context vector, decoder with teacher forcing,
 * the likelihood, a short training and greedy decoding.
 *
 * @example
 * const { errors, greedy } = await run();
 * greedy.join(' '); // 'ils regardent .'
 */
export async function run(opts: ChapterOptions = {}): Promise<Seq2seqResult> {
  const { print, lines } = startRun(opts);
  nd.random.seed(opts.seed ?? 1);
  const { BOS, EOS, PAD } = d2l;
  const inTokens = 'they are watching .'.split(' ');
  const outTokens = 'ils regardent .'.split(' ');
  const inVocab = new d2l.Vocabulary(counter(inTokens), [PAD, BOS, EOS]);
  const outVocab = new d2l.Vocabulary(counter(outTokens), [PAD, BOS, EOS]);

  // ## The encoder: x_1..x_T are the input tokens and EOS; c = q(h_1..h_T) = h_T.
  const [embedSize, numHiddens] = [4, 8];
  const encoder = new d2l.Encoder(inVocab.length, embedSize, numHiddens, 1);
  const decoder = new Seq2seqDecoder(outVocab.length, embedSize, numHiddens);
  encoder.initialize(new gluon.init.Xavier());
  decoder.initialize(new gluon.init.Xavier());
  const X = nd.array([inVocab.toIndices([...inTokens, EOS])]);
  // The decoder's inputs are BOS and the labels but the last; its labels end with EOS.
  const Y = outVocab.toIndices([...outTokens, EOS]);
  const decInputs = [outVocab.tokenToIdx.get(BOS)!, ...Y.slice(0, -1)];
  const encode = () => {
    const [outputs, state] = encoder.forward(X, encoder.beginState({ batchSize: 1 }));
    return { outputs, state, c: state[0].get(0) };
  };
  const enc0 = encode();
  const T = X.shape[1];
  print(`input ${JSON.stringify([...inTokens, EOS])} -> indices ${JSON.stringify(X.toArray())}`);
  print(`encoder hidden states h_1..h_T ${pyShape(enc0.outputs.shape)}, final state ${pyShape(enc0.state[0].shape)}`);
  const context = enc0.c
    .sub(enc0.outputs.get(T - 1))
    .abs()
    .max()
    .asScalar();
  print(`c = h_T ${pyShape(enc0.c.shape)}: |c − h_T| = ${context}`);

  // ## The decoder and the likelihood: P(y | x) = Π_{t′} P(y_{t′} | y_1..y_{t′−1}, c).
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const decode = (c: NDArray, state0: NDArray[]) => {
    let state = state0; // the decoder starts from the encoder's final state
    const steps: { scores: NDArray; label: number }[] = [];
    for (let t = 0; t < Y.length; t++) {
      let scores: NDArray;
      [scores, state] = decoder.forward(nd.array([decInputs[t]]), state, c);
      steps.push({ scores, label: Y[t] });
    }
    return steps;
  };
  const steps = decode(enc0.c, enc0.state);
  let logP = 0;
  let softmaxSums = 0;
  const probs: string[] = [];
  for (const { scores, label } of steps) {
    const p = nd.softmax(scores, { axis: 1 }).get(0);
    softmaxSums = Math.max(softmaxSums, Math.abs(p.sum().asScalar() - 1));
    const py = p.get(label).asScalar();
    probs.push(`P(${outVocab.idxToToken[label]}) = ${py.toFixed(4)}`);
    logP += Math.log(py);
  }
  print(
    `decoder inputs ${JSON.stringify(decInputs.map((i) => outVocab.idxToToken[i]))}, labels ${JSON.stringify(Y.map((i) => outVocab.idxToToken[i]))}`,
  );
  print(`each step's softmax over ${outVocab.length} output tokens: ${probs.join(', ')}`);
  const crossEntropy = steps.reduce((sum, { scores, label }) => sum + loss.forward(scores, nd.array([label])).asScalar(), 0);
  const likelihood = Math.abs(-logP - crossEntropy);
  print(`−log P(y | x) = ${(-logP).toFixed(4)}, Σ_{t′} cross-entropy = ${crossEntropy.toFixed(4)}`);

  // ## Training: minimize −log P(y | x) with teacher forcing.
  const params = encoder.collectParams();
  params.update(decoder.collectParams());
  const trainer = new gluon.Trainer(params, 'adam', { learningRate: opts.lr ?? 0.01 });
  const numEpochs = opts.epochs ?? 100;
  let nll = -logP;
  for (let epoch = 1; epoch <= numEpochs; epoch++) {
    const l = autograd.record(() => {
      const { c, state } = encode();
      return decode(c, state).reduce((sum, { scores, label }) => sum.add(loss.forward(scores, nd.array([label])).sum()), nd.zeros([1]));
    });
    l.backward();
    trainer.step(1);
    nll = l.asScalar();
    if (epoch % Math.max(1, Math.floor(numEpochs / 4)) === 0) print(`epoch ${epoch}, −log P(y | x) ${nll.toFixed(4)}`);
  }

  // ## Predicting: greedy decoding from BOS until EOS.
  const { c, state } = encode();
  let decState = state;
  let token = outVocab.tokenToIdx.get(BOS)!;
  const greedy: string[] = [];
  for (let t = 0; t < 10; t++) {
    let scores: NDArray;
    [scores, decState] = decoder.forward(nd.array([token]), decState, c);
    token = Math.round(scores.argmax({ axis: 1 }).asScalar());
    if (outVocab.idxToToken[token] === EOS) break;
    greedy.push(outVocab.idxToToken[token]);
  }
  print(`greedy: ${inTokens.join(' ')} -> ${greedy.join(' ')}`);
  return { lines, errors: { context, softmaxSums, likelihood }, nllBefore: -logP, nllAfter: nll, greedy };
}

runIfMain(import.meta.url, run);
