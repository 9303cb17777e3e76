/**
 * # 6.10 Bidirectional recurrent neural networks (双向循环神经网络)
 *
 * A bidirectional RNN runs one hidden layer forward in time and another backward:
 * →H_t = φ(X_t W_xh^(f) + →H_{t-1} W_hh^(f) + b_h^(f)) and ←H_t = φ(X_t W_xh^(b) + ←H_{t+1}
 * W_hh^(b) + b_h^(b)); the hidden state of step t is the two concatenated, H_t = [→H_t, ←H_t]
 * (n × 2h), and the output layer reads it, O_t = H_t W_hq + b_q, so every step sees the whole
 * sequence, past and future. The book's section is text; in Gluon the second direction is the
 * `bidirectional=True` argument of `rnn.RNN/GRU/LSTM`. This program builds bidirectional
 * layers, prints their parameters (`l0_*` forward, `r0_*` backward) and the shapes of outputs
 * and states, and checks the equations above: the forward half of the output is a one-way
 * layer with the `l0_*` weights, the backward half the same with the `r0_*` weights run over
 * the reversed sequence and reversed back.
 *
 * Run it: `d2l-ts run bi-rnn` or `node dist/chapters/bi-rnn.js`.
 */
import { nd, gluon } from '../src/index.js';
import { pyShape } from './pyrepr.js';
import { startRun, runIfMain, type ChapterOptions } from './common.js';

export const meta = {
  slug: 'bi-rnn',
  title: '6.10 双向循环神经网络 (bidirectional recurrent neural networks)',
};

export interface BiRnnResult {
  lines: string[];
  /** Largest |difference| of the forward and backward halves from the one-way layers. */
  forwardError: number;
  backwardError: number;
}

/** A one-way, one-layer copy of direction `dir` (0 forward, 1 backward) of layer 0 of `bi`. */
function oneWay(
  bi: gluon.rnn.RecurrentLayer,
  make: (h: number, o: gluon.rnn.RecurrentLayerOptions) => gluon.rnn.RecurrentLayer,
  dir: number,
) {
  const src = dir === 0 ? bi.layers[0] : bi.reverseLayers[0];
  const one = make(bi.hiddenSize, { inputSize: src.i2hWeight.data().shape[1] });
  one.initialize();
  const dst = one.layers[0];
  dst.i2hWeight.setData(src.i2hWeight.data());
  dst.h2hWeight.setData(src.h2hWeight.data());
  dst.i2hBias.setData(src.i2hBias.data());
  dst.h2hBias.setData(src.h2hBias.data());
  return one;
}

/** The sequence (T, N, C) in reverse time order. */
function reverseTime(x: nd.NDArray): nd.NDArray {
  const T = x.shape[0];
  return nd.stack(
    Array.from({ length: T }, (_, t) => x.get(T - 1 - t)),
    { axis: 0 },
  );
}

export async function run(opts: ChapterOptions = {}): Promise<BiRnnResult> {
  const { print, lines } = startRun(opts);
  nd.random.seed(opts.seed ?? 0);
  gluon.resetNameCounters(); // names as in a fresh notebook (lstm0, rnn0, ...)
  const numHiddens = 256;
  const numSteps = 35;
  const batchSize = 2;
  const vocabSize = 1027;
  const X = nd.random.uniform(0, 1, [numSteps, batchSize, vocabSize]);

  // ## A bidirectional RNN layer: states (2, N, h), output (T, N, 2h).
  const make = (h: number, o: gluon.rnn.RecurrentLayerOptions) => new gluon.rnn.RNN(h, o);
  const biRnn = make(numHiddens, { bidirectional: true });
  biRnn.initialize();
  const [Y, state] = biRnn.forward(X, biRnn.beginState({ batchSize }));
  print(String(biRnn));
  for (const [name, p] of biRnn.collectParams()) print(name, pyShape(p.data().shape));
  print('output', pyShape(Y.shape), 'state', pyShape(state[0].shape));

  // ## Two layers of bidirectional LSTM: layer 1 reads both directions of layer 0 (2h inputs);
  // the states are ordered [layer 0 forward, layer 0 backward, layer 1 forward, layer 1 backward].
  const biLstm = new gluon.rnn.LSTM(numHiddens, { numLayers: 2, bidirectional: true });
  biLstm.initialize();
  const [Z, [h, c]] = biLstm.forward(X, biLstm.beginState({ batchSize }));
  print(String(biLstm));
  for (const [name, p] of biLstm.collectParams('.*i2h_weight')) print(name, pyShape(p.data().shape));
  print('output', pyShape(Z.shape), 'h', pyShape(h.shape), 'c', pyShape(c.shape));

  // ## The equations: H_t = [→H_t, ←H_t].
  const fwd = oneWay(biRnn, make, 0).forward(X);
  const bwd = reverseTime(oneWay(biRnn, make, 1).forward(reverseTime(X)));
  const forwardError = Y.get(`:, :, 0:${numHiddens}`).sub(fwd).abs().max().asScalar();
  const backwardError = Y.get(`:, :, ${numHiddens}:`).sub(bwd).abs().max().asScalar();
  print(`max |forward half - RNN(X)| = ${forwardError.toExponential(2)}`);
  print(`max |backward half - reverse(RNN(reverse(X)))| = ${backwardError.toExponential(2)}`);
  return { lines, forwardError, backwardError };
}

runIfMain(import.meta.url, run);
