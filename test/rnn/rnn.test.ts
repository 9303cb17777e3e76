import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, gluon, type NDArray } from '../../src/index.js';
import * as R from '../../src/d2l/rnn.js';
import { RNNModel, predictRnnGluon, gluonForward } from '../../src/d2l/rnn-gluon.js';
import { loadDataJayLyrics } from '../../src/d2l/text.js';
import { requireResource, settledMemory } from '../helpers.js';
import { DATA_DIR, hasData } from '../text/data-path.js';
import { checkGradients } from './gradcheck.js';

const { rnn } = gluon;

test('toOnehot: (2, 5) indices give 5 arrays of shape (2, 1027); one-hot rows', () => {
  const X = nd.arange(10).reshape([2, 5]);
  const inputs = R.toOnehot(X, 1027);
  assert.equal(inputs.length, 5);
  assert.deepEqual(inputs[0].shape, [2, 1027]);
  // Step t holds columns t of X: rows 0 and 1 are one-hot at t and 5 + t.
  const a = inputs[3].toArray() as number[][];
  assert.equal(a[0][3], 1);
  assert.equal(a[1][8], 1);
  assert.equal(
    a[0].reduce((s, v) => s + v, 0),
    1,
  );
  const oh = nd.oneHot(nd.array([0, 2]), 1027);
  assert.deepEqual(oh.shape, [2, 1027]);
});

test('one rnn forward: 5 outputs of (2, 1027) and a state of (2, 256)', () => {
  nd.random.seed(0);
  const X = nd.arange(10).reshape([2, 5]);
  const params = R.getRnnParams(1027, 256, 1027);
  const [outputs, stateNew] = R.rnn(R.toOnehot(X, 1027), R.initRnnState(2, 256), params);
  assert.equal(outputs.length, 5);
  assert.deepEqual(outputs[0].shape, [2, 1027]);
  assert.deepEqual(stateNew[0].shape, [2, 256]);
  for (const [f, getP, init, nState] of [
    [R.gru, R.getGruParams, R.initGruState, 1],
    [R.lstm, R.getLstmParams, R.initLstmState, 2],
  ] as const) {
    const [o, s] = f(R.toOnehot(X, 1027), init(2, 256), getP(1027, 256, 1027));
    assert.equal(o.length, 5);
    assert.deepEqual(o[4].shape, [2, 1027]);
    assert.equal(s.length, nState);
    assert.deepEqual(s[0].shape, [2, 256]);
  }
});

test('rnn layer shapes as 6.5: beginState (1, 2, 256); Y (35, 2, 256); one new state (1, 2, 256)', () => {
  nd.random.seed(1);
  const rnnLayer = new rnn.RNN(256);
  rnnLayer.initialize();
  const state = rnnLayer.beginState({ batchSize: 2 });
  assert.equal(state.length, 1);
  assert.deepEqual(state[0].shape, [1, 2, 256]);
  const X = nd.random.uniform(0, 1, [35, 2, 1027]);
  const [Y, stateNew] = rnnLayer.forward(X, state);
  assert.deepEqual(Y.shape, [35, 2, 256]);
  assert.equal(stateNew.length, 1);
  assert.deepEqual(stateNew[0].shape, [1, 2, 256]);
  assert.deepEqual(rnnLayer.layers[0].i2hWeight.data().shape, [256, 1027]);
  assert.deepEqual(
    rnnLayer
      .collectParams()
      .keys()
      .map((k) => k.replace(/^rnn\d+_/, '')),
    ['l0_i2h_weight', 'l0_h2h_weight', 'l0_i2h_bias', 'l0_h2h_bias'],
  );
  // The Gluon layer's default activation is relu: outputs are non-negative.
  assert.ok(Y.min().asScalar() >= 0);
});

test('GRU/LSTM layers: gates stack in the weights, LSTM has (h, c); 2 layers and NTC layout', () => {
  const g = new rnn.GRU(8, { numLayers: 2, inputSize: 5 });
  g.initialize();
  assert.deepEqual(g.layers[0].i2hWeight.data().shape, [24, 5]);
  assert.deepEqual(g.layers[1].i2hWeight.data().shape, [24, 8]);
  const [Y, s] = g.forward(nd.ones([4, 3, 5]), g.beginState({ batchSize: 3 }));
  assert.deepEqual(Y.shape, [4, 3, 8]);
  assert.deepEqual(s[0].shape, [2, 3, 8]);
  const l = new rnn.LSTM(6, { layout: 'NTC' });
  l.initialize();
  const st = l.beginState({ batchSize: 2 });
  assert.equal(st.length, 2);
  const [Y2, s2] = l.forward(nd.ones([2, 7, 3]), st);
  assert.deepEqual(Y2.shape, [2, 7, 6]);
  assert.deepEqual(s2[1].shape, [1, 2, 6]);
  // Without states, only the output comes back.
  const Y3 = l.forward(nd.ones([2, 7, 3]));
  assert.deepEqual(Y3.shape, [2, 7, 6]);
  assert.throws(() => l.forward(nd.ones([2, 7, 3]), [st[0]]), /expected a list of 2 state arrays/);
  assert.throws(() => l.forward(nd.ones([2, 7]), st), /expected a 3-D input/);
  assert.throws(() => l.forward(nd.ones([2, 7, 3]), [nd.zeros([2, 2, 6]), nd.zeros([2, 2, 6])]), /expected \(1, 2, 6\)/);
});

test('a layer equals its cell stepped by hand (same weights), for RNN, GRU and LSTM', () => {
  nd.random.seed(3);
  const pairs: [gluon.rnn.RecurrentLayer, gluon.rnn.RecurrentCell][] = [
    [new rnn.RNN(4, { activation: 'tanh', inputSize: 3 }), new rnn.RNNCell(4, { inputSize: 3 })],
    [new rnn.GRU(4, { inputSize: 3 }), new rnn.GRUCell(4, { inputSize: 3 })],
    [new rnn.LSTM(4, { inputSize: 3 }), new rnn.LSTMCell(4, { inputSize: 3 })],
  ];
  for (const [layer, cell] of pairs) {
    layer.initialize(new gluon.init.Normal(0.5));
    cell.initialize();
    const lp = layer.layers[0];
    cell.i2hWeight.setData(lp.i2hWeight.data());
    cell.h2hWeight.setData(lp.h2hWeight.data());
    cell.i2hBias.setData(nd.random.normal(0, 0.5, [lp.i2hBias.data().shape[0]]));
    lp.i2hBias.setData(cell.i2hBias.data());
    const X = nd.random.normal(0, 1, [5, 2, 3]);
    const [Y] = layer.forward(X, layer.beginState({ batchSize: 2 }));
    let states = cell.beginState({ batchSize: 2 });
    for (let t = 0; t < 5; t++) {
      const [out, s] = cell.forward(X.get(t), states);
      const diff = out.sub(Y.get(t)).abs().max().asScalar();
      assert.ok(diff < 1e-6, `${layer.constructor.name} step ${t}: max diff ${diff}`);
      states = s;
    }
  }
});

test('gradients of the scratch RNN, GRU and LSTM match finite differences (float64)', () => {
  nd.random.seed(4);
  const V = 5;
  const H = 4;
  const X = nd.array([
    [0, 3, 1],
    [4, 2, 2],
  ]);
  const cases = [
    ['rnn', R.rnn, R.getRnnParams, 1],
    ['gru', R.gru, R.getGruParams, 1],
    ['lstm', R.lstm, R.getLstmParams, 2],
  ] as const;
  for (const [name, f, getP, nState] of cases) {
    const params = getP(V, H, V, { dtype: 'float64' });
    // Non-zero biases and larger weights, so every path carries gradient.
    for (const p of params) p._assignFrom(nd.random.normal(0, 0.5, p.shape, { dtype: 'float64' }));
    const Rw = nd.random.normal(0, 1, [3 * 2, V], { dtype: 'float64' });
    const H0 = Array.from({ length: nState }, () => nd.random.normal(0, 0.5, [2, H], { dtype: 'float64' }));
    const loss = () => {
      const [outs, s] = f(R.toOnehot(X, V, { dtype: 'float64' }), H0, params);
      return nd.concat(outs, { dim: 0 }).mul(Rw).sum().add(s[0].square().sum());
    };
    checkGradients(params, loss, { names: params.map((_, i) => `${name} param ${i}`) });
  }
});

test('gradients of the Gluon cells and a 2-layer LSTM layer match finite differences (float64)', () => {
  nd.random.seed(5);
  const blocks: [string, gluon.rnn.RecurrentCell | gluon.rnn.RecurrentLayer][] = [
    ['RNNCell', new rnn.RNNCell(4, { inputSize: 3 })],
    ['GRUCell', new rnn.GRUCell(4, { inputSize: 3 })],
    ['LSTMCell', new rnn.LSTMCell(4, { inputSize: 3 })],
    ['LSTM x2', new rnn.LSTM(4, { inputSize: 3, numLayers: 2 })],
    ['GRU', new rnn.GRU(4, { inputSize: 3 })],
  ];
  for (const [name, b] of blocks) {
    b.initialize(new gluon.init.Normal(0.5));
    b.cast('float64');
    const ps = b.collectParams().values();
    for (const p of ps) p.setData(nd.random.normal(0, 0.5, p.data().shape, { dtype: 'float64' }));
    const isCell = b instanceof rnn.RecurrentCell;
    const X = nd.random.normal(0, 1, isCell ? [2, 3] : [3, 2, 3], { dtype: 'float64' });
    const st = b.beginState({ batchSize: 2, dtype: 'float64' }).map((s) => s.add(0.3));
    const Rw = nd.random.normal(0, 1, isCell ? [2, 4] : [3, 2, 4], { dtype: 'float64' });
    const loss = () => {
      const [out, s] = (b as gluon.rnn.RecurrentCell).forward(X, st) as [NDArray, NDArray[]];
      return out
        .mul(Rw)
        .sum()
        .add(s[s.length - 1].sum());
    };
    checkGradients(
      ps.map((p) => p.data()),
      loss,
      { names: ps.map((p) => `${name} ${p.name}`) },
    );
  }
});

test('gradClipping scales every gradient by theta / norm when the norm exceeds theta, and only then', () => {
  const a = nd.array([3, 0]);
  const b = nd.array([[4]]);
  a.attachGrad();
  b.attachGrad();
  autograd
    .record(() =>
      a
        .mul(nd.array([3, 0]))
        .sum()
        .add(b.mul(4).sum()),
    )
    .backward();
  R.gradClipping([a, b], 1);
  assert.deepEqual(
    Array.from(a.grad.dataSync()).map((v) => +v.toFixed(6)),
    [0.6, 0],
  );
  assert.deepEqual(
    Array.from(b.grad.dataSync()).map((v) => +v.toFixed(6)),
    [0.8],
  );
  R.gradClipping([a, b], 10);
  assert.deepEqual(
    Array.from(a.grad.dataSync()).map((v) => +v.toFixed(6)),
    [0.6, 0],
  );
  R.gradClipping([a, b], null);
  assert.throws(() => R.gradClipping([a, b], -1), /theta must be positive/);
});

test('predictRnn / predictRnnGluon: prefix plus numChars characters; unknown prefix characters are an error', async () => {
  nd.random.seed(6);
  const idxToChar = ['分', '开', '不', '我'];
  const charToIdx = new Map(idxToChar.map((c, i) => [c, i]));
  const params = R.getRnnParams(4, 8, 4);
  const s = await R.predictRnn('不分开', 7, R.rnn, params, R.initRnnState, 8, 4, undefined, idxToChar, charToIdx);
  assert.equal(Array.from(s).length, 10);
  assert.ok(s.startsWith('不分开'));
  await assert.rejects(R.predictRnn('x', 3, R.rnn, params, R.initRnnState, 8, 4, undefined, idxToChar, charToIdx), /not in the vocabulary/);
  const model = new RNNModel(new rnn.LSTM(8), 4);
  model.initialize(new gluon.init.Normal(0.01));
  const g = await predictRnnGluon('分开', 5, model, 4, undefined, idxToChar, charToIdx);
  assert.equal(Array.from(g).length, 7);
  const [Y, st] = model.forward(
    nd.array([
      [0, 1, 2],
      [3, 2, 1],
    ]),
    model.beginState({ batchSize: 2 }),
  );
  assert.deepEqual(Y.shape, [6, 4]);
  assert.deepEqual(st[1].shape, [1, 2, 8]);
});

test('an untrained model has held-out perplexity close to the vocabulary size', async (t) => {
  if (!requireResource(t, hasData('jaychou_lyrics.txt.zip'), 'jaychou_lyrics.txt.zip')) return;
  const { heldOutSegments } = await import('../../src/d2l/text.js');
  nd.random.seed(7);
  const corpus = await loadDataJayLyrics({ dataDir: DATA_DIR });
  const held = heldOutSegments(corpus, { length: 600 });
  const params = R.getRnnParams(corpus.vocabSize, 32, corpus.vocabSize);
  const ppl = await R.heldOutPerplexity(R.scratchForward(R.rnn, params, corpus.vocabSize), (b) => R.initRnnState(b, 32), held.segments);
  assert.ok(Math.abs(ppl - corpus.vocabSize) / corpus.vocabSize < 0.02, `perplexity ${ppl}`);
  const model = new RNNModel(new rnn.GRU(16), corpus.vocabSize);
  model.initialize(new gluon.init.Normal(0.01));
  const ppl2 = await R.heldOutPerplexity(gluonForward(model), (b) => model.beginState({ batchSize: b }), held.segments);
  assert.ok(Math.abs(ppl2 - corpus.vocabSize) / corpus.vocabSize < 0.02, `perplexity ${ppl2}`);
});

test('short training on 2000 characters: perplexity falls (scratch RNN, random and consecutive; Gluon GRU)', async (t) => {
  if (!requireResource(t, hasData('jaychou_lyrics.txt.zip'), 'jaychou_lyrics.txt.zip')) return;
  const { trainAndPredictRnnGluon } = await import('../../src/d2l/rnn-gluon.js');
  const c = await loadDataJayLyrics({ dataDir: DATA_DIR, numChars: 2000 });
  const common = {
    numHiddens: 64,
    vocabSize: c.vocabSize,
    corpusIndices: c.corpusIndices,
    idxToChar: c.idxToChar,
    charToIdx: c.charToIdx,
    numEpochs: 6,
    numSteps: 35,
    lr: 1e2,
    clippingTheta: 1e-2,
    batchSize: 8,
    predPeriod: 3,
    predLen: 10,
    prefixes: ['分开'],
  };
  const lines: string[] = [];
  for (const isRandomIter of [true, false]) {
    nd.random.seed(8);
    const { log, params } = await R.trainAndPredictRnn({
      ...common,
      rnn: R.rnn,
      getParams: () => R.getRnnParams(c.vocabSize, 64, c.vocabSize),
      initRnnState: R.initRnnState,
      isRandomIter,
      print: (l) => lines.push(l),
    });
    assert.equal(log.length, 6);
    assert.ok(log[5].perplexity < log[0].perplexity * 0.8, `perplexities ${log.map((r) => r.perplexity.toFixed(1))}`);
    assert.equal(params.length, 5);
  }
  assert.match(lines[0], /^epoch 3, perplexity \d+\.\d{6}, time \d+\.\d\d sec$/);
  assert.match(lines[1], /^ - 分开/);
  nd.random.seed(9);
  const model = new RNNModel(new rnn.GRU(64), c.vocabSize);
  const { log } = await trainAndPredictRnnGluon({ ...common, model, print: () => {} });
  assert.ok(log[5].perplexity < log[0].perplexity * 0.8, `gluon GRU perplexities ${log.map((r) => r.perplexity.toFixed(1))}`);
  const mem = await settledMemory();
  assert.ok(mem.arrays < 5000, `live arrays after training, once collected: ${mem.arrays}`);
});
