/**
 * Multi-layer and bidirectional recurrent layers (gluon.rnn.RNN/GRU/LSTM) against MXNet 1.x's
 * conventions and against the cells composed by hand: parameter names and order, state order
 * [l0 forward, l0 reverse, l1 forward, ...], output halves, values and gradients (float64),
 * finite differences, dropout between layers only, loading MXNet-named files, bad inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nd, autograd, gluon, type NDArray } from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { checkGradients } from './gradcheck.js';

const { rnn } = gluon;
type Layer = gluon.rnn.RecurrentLayer;
type Cell = gluon.rnn.RecurrentCell;

const F64 = { dtype: 'float64' } as const;

/** A layer of `kind` with random float64 parameters (non-zero biases, so every path counts). */
function makeLayer(kind: 'rnn' | 'gru' | 'lstm', H: number, opts: gluon.rnn.RecurrentLayerOptions): Layer {
  const layer =
    kind === 'rnn' ? new rnn.RNN(H, { activation: 'tanh', ...opts }) : kind === 'gru' ? new rnn.GRU(H, opts) : new rnn.LSTM(H, opts);
  layer.initialize();
  layer.cast('float64');
  for (const p of layer.collectParams().values()) p.setData(nd.random.normal(0, 0.5, p.data().shape, F64));
  return layer;
}

function cellFor(kind: 'rnn' | 'gru' | 'lstm', H: number): Cell {
  return kind === 'rnn' ? new rnn.RNNCell(H) : kind === 'gru' ? new rnn.GRUCell(H) : new rnn.LSTMCell(H);
}

/**
 * The layer rebuilt from its cells by hand: for each layer and direction a cell holding the same
 * four arrays (so gradients flow to the layer's own parameters), stepped forwards or backwards,
 * the reverse outputs put back in time order and concatenated after the forward ones.
 */
function composed(kind: 'rnn' | 'gru' | 'lstm', layer: Layer, X: NDArray, states: NDArray[]): [NDArray, NDArray[]] {
  const H = layer.hiddenSize;
  const dirs = layer.numDirections;
  const T = X.shape[0];
  let seq = Array.from({ length: T }, (_, t) => X.get(t));
  const finals: NDArray[][] = states.map(() => []);
  for (let l = 0; l < layer.numLayers; l++) {
    const perDir: NDArray[][] = [];
    for (let d = 0; d < dirs; d++) {
      const lp = (d === 0 ? layer.layers : layer.reverseLayers)[l];
      const cell = cellFor(kind, H);
      // Share the layer's Parameter objects, so the cell's gradients are the layer's.
      cell.i2hWeight = lp.i2hWeight;
      cell.h2hWeight = lp.h2hWeight;
      cell.i2hBias = lp.i2hBias;
      cell.h2hBias = lp.h2hBias;
      let s = states.map((a) => a.get(l * dirs + d));
      const outs: NDArray[] = [];
      const order = d === 0 ? [...Array(T).keys()] : [...Array(T).keys()].reverse();
      for (const t of order) {
        const [o, s2] = cell.forward(seq[t], s);
        outs[t] = o;
        s = s2;
      }
      s.forEach((a, i) => finals[i].push(a));
      perDir.push(outs);
    }
    seq = dirs === 1 ? perDir[0] : perDir[0].map((f, t) => nd.concat([f, perDir[1][t]], { dim: 1 }));
  }
  return [nd.stack(seq, { axis: 0 }), finals.map((f) => nd.stack(f, { axis: 0 }))];
}

test('bidirectional 2-layer LSTM: MXNet parameter names, order and shapes; states (4, N, H); output (T, N, 2H); repr', () => {
  const layer = new rnn.LSTM(8, { numLayers: 2, bidirectional: true, inputSize: 5 });
  layer.initialize();
  const names = [...layer.structuredParams().keys()];
  const per = (p: string) => [`${p}_i2h_weight`, `${p}_h2h_weight`, `${p}_i2h_bias`, `${p}_h2h_bias`];
  assert.deepEqual(names, [...per('l0'), ...per('r0'), ...per('l1'), ...per('r1')]);
  const shapes = Object.fromEntries([...layer.structuredParams()].map(([k, p]) => [k, p.data().shape]));
  assert.deepEqual(shapes.l0_i2h_weight, [32, 5]);
  assert.deepEqual(shapes.r0_i2h_weight, [32, 5]);
  // The second layer reads both directions of the first: 2 · 8 features.
  assert.deepEqual(shapes.l1_i2h_weight, [32, 16]);
  assert.deepEqual(shapes.r1_h2h_weight, [32, 8]);
  assert.deepEqual(shapes.r1_h2h_bias, [32]);
  assert.equal(layer.numDirections, 2);
  const st = layer.beginState({ batchSize: 3 });
  assert.equal(st.length, 2);
  assert.deepEqual(st[0].shape, [4, 3, 8]);
  assert.deepEqual(st[1].shape, [4, 3, 8]);
  const [Y, s] = layer.forward(nd.ones([6, 3, 5]), st);
  assert.deepEqual(Y.shape, [6, 3, 16]);
  assert.deepEqual(s[0].shape, [4, 3, 8]);
  assert.equal(String(layer), 'LSTM(5 -> 8, TNC, num_layers=2, bidirectional)');
  assert.equal(String(new rnn.GRU(4, { dropout: 0.5, numLayers: 3 })), 'GRU(None -> 4, TNC, num_layers=3, dropout=0.5)');
  // Deferred input size: both first-layer directions take it from the first batch.
  const g = new rnn.GRU(4, { bidirectional: true });
  g.initialize();
  assert.deepEqual(g.forward(nd.ones([2, 1, 7])).shape, [2, 1, 8]);
  assert.deepEqual(g.reverseLayers[0].i2hWeight.data().shape, [12, 7]);
  assert.equal(new rnn.RNN(4).reverseLayers.length, 0);
});

test('bidirectional layers equal their cells composed by hand (float64; values, every final state in order)', () => {
  nd.random.seed(11);
  for (const kind of ['rnn', 'gru', 'lstm'] as const) {
    for (const numLayers of [1, 2]) {
      const layer = makeLayer(kind, 3, { numLayers, bidirectional: true, inputSize: 4 });
      const X = nd.random.normal(0, 1, [5, 2, 4], F64);
      // A different initial state in every slot, so a mixed-up order shows.
      const st = layer.beginState({ batchSize: 2, dtype: 'float64' }).map((s) => nd.random.normal(0, 0.5, s.shape, F64));
      const [Y, s] = layer.forward(X, st);
      const [Yc, sc] = composed(kind, layer, X, st);
      const what = `${kind} x${numLayers}`;
      assertClose(Y, Yc, 1e-12, `${what} output`);
      assert.equal(s.length, sc.length);
      s.forEach((a, i) => assertClose(a, sc[i], 1e-12, `${what} state ${i}`));
      // The forward half of the last step is the last forward state; the reverse half of step 0
      // is the reverse direction's final state (it has read the whole sequence backwards).
      const last = 2 * (numLayers - 1);
      assertClose(Y.get(4).get(':, 0:3'), s[0].get(last), 1e-12, `${what} forward half`);
      assertClose(Y.get(0).get(':, 3:6'), s[0].get(last + 1), 1e-12, `${what} reverse half`);
    }
  }
});

test('bidirectional gradients equal the composed cells (float64) and match finite differences', () => {
  nd.random.seed(12);
  for (const kind of ['rnn', 'gru', 'lstm'] as const) {
    const layer = makeLayer(kind, 3, { numLayers: 2, bidirectional: true, inputSize: 2 });
    const X = nd.random.normal(0, 1, [4, 2, 2], F64);
    X.attachGrad();
    const st = layer.beginState({ batchSize: 2, dtype: 'float64' }).map((s) => nd.random.normal(0, 0.5, s.shape, F64));
    const Rw = nd.random.normal(0, 1, [4, 2, 6], F64);
    const Rs = nd.random.normal(0, 1, [4, 2, 3], F64);
    const lossOf = (f: () => [NDArray, NDArray[]]) => {
      const [Y, s] = f();
      return Y.mul(Rw)
        .sum()
        .add(s[s.length - 1].mul(Rs).sum());
    };
    const params = layer.collectParams().values();
    const grads = (f: () => [NDArray, NDArray[]]) => {
      const l = autograd.record(() => lossOf(f));
      l.backward();
      return [X.grad.copy(), ...params.map((p) => p.grad().copy())];
    };
    const gLayer = grads(() => layer.forward(X, st));
    const gHand = grads(() => composed(kind, layer, X, st));
    const names = ['X', ...params.map((p) => p.name)];
    gLayer.forEach((g, i) => assertClose(g, gHand[i], 1e-12, `${kind} grad of ${names[i]}`));
    assert.ok(gLayer[names.findIndex((n) => n.endsWith('r0_i2h_weight'))].abs().sum().asScalar() > 0);
    checkGradients(
      params.map((p) => p.data()),
      () => lossOf(() => layer.forward(X, st)),
      { names: params.map((p) => `${kind} ${p.name}`), samples: 3 },
    );
  }
});

test("layout 'NTC' bidirectional equals 'TNC' on the swapped input", () => {
  nd.random.seed(13);
  const a = makeLayer('gru', 3, { bidirectional: true, inputSize: 2, layout: 'NTC' });
  const b = makeLayer('gru', 3, { bidirectional: true, inputSize: 2 });
  for (const [k, p] of b.structuredParams()) p.setData(a.structuredParams().get(k)!.data());
  const X = nd.random.normal(0, 1, [2, 5, 2], F64);
  const [Ya, sa] = a.forward(X, a.beginState({ batchSize: 2, dtype: 'float64' }));
  const [Yb, sb] = b.forward(X.swapaxes(0, 1), b.beginState({ batchSize: 2, dtype: 'float64' }));
  assert.deepEqual(Ya.shape, [2, 5, 6]);
  assertClose(Ya.swapaxes(0, 1), Yb, 1e-12, 'NTC output');
  assertClose(sa[0], sb[0], 1e-12, 'NTC state');
});

test('dropout acts between layers only, in training mode only', () => {
  nd.random.seed(14);
  const X = nd.random.normal(0, 1, [4, 3, 2], F64);
  // One layer: dropout has nothing to act on (MXNet drops only the inputs of layers 2..L).
  const one = makeLayer('lstm', 4, { bidirectional: true, dropout: 0.5, inputSize: 2 });
  const predict1 = one.forward(X);
  const train1 = autograd.record(() => one.forward(X));
  assertClose(train1, predict1, 0, 'one layer, training');
  // Two layers: training output differs, predict mode equals the dropout-free composition.
  const two = makeLayer('lstm', 4, { numLayers: 2, bidirectional: true, dropout: 0.5, inputSize: 2 });
  const st = two.beginState({ batchSize: 3, dtype: 'float64' });
  const [predict2] = two.forward(X, st);
  const [hand] = composed('lstm', two, X, st);
  assertClose(predict2, hand, 1e-12, 'two layers, predict mode');
  const [train2] = autograd.record(() => two.forward(X, st));
  assert.ok(train2.sub(predict2).abs().max().asScalar() > 1e-3, 'two layers in training mode: the inter-layer dropout shows');
});

test('a parameter file with MXNet names (l0_*, r0_*, l1_*, r1_*) loads by name, also nested in a model', () => {
  nd.random.seed(15);
  const dir = mkdtempSync(join(tmpdir(), 'd2l-birnn-'));
  const src = makeLayer('gru', 3, { numLayers: 2, bidirectional: true, inputSize: 4 });
  // The file as MXNet's `save_parameters` names it: the structural names, here a plain dict.
  const dict: Record<string, NDArray> = {};
  for (const [k, p] of src.structuredParams()) dict[k] = p.data();
  assert.ok('r1_h2h_bias' in dict && 'l0_i2h_weight' in dict);
  const file = join(dir, 'bigru.params');
  nd.save(file, dict);
  // A fresh layer with a deferred input size takes every array, by name.
  const dst = new rnn.GRU(3, { numLayers: 2, bidirectional: true });
  dst.initialize();
  dst.cast('float64');
  dst.loadParameters(file);
  const X = nd.random.normal(0, 1, [3, 2, 4], F64);
  assertClose(dst.forward(X), src.forward(X), 0, 'loaded layer');
  // A unidirectional layer does not take the file: the r* arrays are named as extra.
  const uni = new rnn.GRU(3, { numLayers: 2, inputSize: 4 });
  uni.initialize();
  uni.cast('float64');
  assert.throws(() => uni.loadParameters(file), /in the file but not in the block[^\n]*r0_i2h_weight/);
  // Nested in a block as `rnn`, the names carry its attribute: `rnn.l0_i2h_weight`.
  class Net extends gluon.Block {
    rnn = this.nameScope(() => new rnn.GRU(3, { numLayers: 2, bidirectional: true }));
    forward(x: NDArray): NDArray {
      return this.rnn.forward(x);
    }
  }
  const net = new Net();
  net.initialize();
  net.cast('float64');
  const nested: Record<string, NDArray> = {};
  for (const [k, v] of Object.entries(dict)) nested[`rnn.${k}`] = v;
  nd.save(join(dir, 'net.params'), nested);
  net.loadParameters(join(dir, 'net.params'));
  assertClose(net.rnn.forward(X), src.forward(X), 0, 'nested');
});

test('bad inputs: state count, state shape (numLayers instead of 2·numLayers), input features, options', () => {
  const layer = new rnn.LSTM(4, { numLayers: 2, bidirectional: true, inputSize: 3 });
  layer.initialize();
  const X = nd.ones([5, 2, 3]);
  const st = layer.beginState({ batchSize: 2 });
  assert.throws(() => layer.forward(X, [st[0]]), /LSTM .*expected a list of 2 state arrays \(from beginState\), got 1/);
  const unidirectionalStates = [nd.zeros([2, 2, 4]), nd.zeros([2, 2, 4])];
  assert.throws(() => layer.forward(X, unidirectionalStates), /a state has shape \(2, 2, 4\), expected \(4, 2, 4\)/);
  assert.throws(() => layer.forward(X, [nd.zeros([4, 3, 4]), nd.zeros([4, 3, 4])]), /expected \(4, 2, 4\)/);
  assert.throws(() => layer.forward(nd.ones([5, 2, 6]), st), /the input has 6 features but l0_i2h_weight of shape \(16, 3\) expects 3/);
  assert.throws(() => layer.forward(nd.ones([5, 2]), st), /expected a 3-D input/);
  assert.throws(() => new rnn.GRU(4, { bidirectional: 'yes' as unknown as boolean }), /bidirectional must be true or false/);
  assert.throws(() => new rnn.GRU(4, { inputSize: -1 }), /inputSize must be an integer >= 0/);
});
