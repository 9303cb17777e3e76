/**
 * The fused recurrent layers (src/ops/rnn.ts): rnn.RNN/GRU/LSTM run each layer and direction as
 * one taped op, rnnSequence. Checked against the scratch cells (rnnStep, one op per step) for
 * values, final states and every gradient (input, states, parameters) over modes, 1-2 layers,
 * bidirectional, odd sizes, both layouts and the CPU's kernel modes; rnnSequence itself against
 * finite differences in float64; the tape holding one node per layer and direction; bad inputs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, gluon, type NDArray } from '../../src/index.js';
import { rnnSequence, rnnSequenceSupported } from '../../src/ops/rnn.js';
import { getCpuBackend } from '../../src/backend/registry.js';
import { assertClose, settledMemory } from '../helpers.js';
import { checkGradients } from '../rnn/gradcheck.js';

const { rnn } = gluon;
type Layer = gluon.rnn.RecurrentLayer;
type Mode = gluon.rnn.RnnMode;
const be = getCpuBackend();
after(() => be.setKernels('auto'));

function makeLayer(mode: Mode, H: number, opts: gluon.rnn.RecurrentLayerOptions, dtype: 'float32' | 'float64'): Layer {
  const layer =
    mode === 'rnn_tanh' || mode === 'rnn_relu'
      ? new rnn.RNN(H, { activation: mode === 'rnn_tanh' ? 'tanh' : 'relu', ...opts })
      : mode === 'gru'
        ? new rnn.GRU(H, opts)
        : new rnn.LSTM(H, opts);
  layer.initialize();
  if (dtype === 'float64') layer.cast('float64');
  // Non-zero biases and weights of a size that keeps the gates away from saturation.
  for (const p of layer.collectParams().values()) p.setData(nd.random.normal(0, 0.4, p.data().shape, { dtype }));
  return layer;
}

/** The layer stepped with the scratch cells' step function (one op per step), on the layer's own arrays. */
function scratch(layer: Layer, X: NDArray, states: NDArray[]): [NDArray, NDArray[]] {
  const dirs = layer.numDirections;
  const T = X.shape[0];
  let seq = Array.from({ length: T }, (_, t) => X.get(t));
  const finals: NDArray[][] = states.map(() => []);
  for (let l = 0; l < layer.numLayers; l++) {
    const perDir: NDArray[][] = [];
    for (let d = 0; d < dirs; d++) {
      const lp = (d === 0 ? layer.layers : layer.reverseLayers)[l];
      const w = { i2hWeight: lp.i2hWeight.data(), h2hWeight: lp.h2hWeight.data(), i2hBias: lp.i2hBias.data(), h2hBias: lp.h2hBias.data() };
      let s = states.map((a) => a.get(l * dirs + d));
      const outs: NDArray[] = [];
      for (let i = 0; i < T; i++) {
        const t = d === 0 ? i : T - 1 - i;
        s = rnn.rnnStep(layer.mode, seq[t], s, w);
        outs[t] = s[0];
      }
      s.forEach((a, i) => finals[i].push(a));
      perDir.push(outs);
    }
    seq = dirs === 1 ? perDir[0] : perDir[0].map((f, t) => nd.concat([f, perDir[1][t]], { dim: 1 }));
  }
  return [nd.stack(seq, { axis: 0 }), finals.map((f) => nd.stack(f, { axis: 0 }))];
}

/** Output, final states and all gradients of a weighted sum of them (random weights, so every element counts). */
function run(layer: Layer, X: NDArray, states: NDArray[], fn: (X: NDArray, s: NDArray[]) => [NDArray, NDArray[]]) {
  const params = [...layer.collectParams().values()];
  for (const a of [X, ...states]) a.attachGrad();
  nd.random.seed(7);
  const [Y, S] = autograd.record(() => {
    const [Y, S] = fn(X, states);
    const loss = Y.mul(nd.random.normal(0, 1, Y.shape, { dtype: Y.dtype })).sum();
    const total = S.reduce((acc, s) => acc.add(s.mul(nd.random.normal(0, 1, s.shape, { dtype: s.dtype })).sum()), loss);
    total.backward();
    return [Y, S] as [NDArray, NDArray[]];
  });
  const grads = [X, ...states].map((a) => a.grad.copy());
  const pgrads = params.map((p) => p.grad().copy());
  return { Y, S, grads, pgrads, names: params.map((p) => p.name) };
}

const MODES: Mode[] = ['rnn_tanh', 'rnn_relu', 'gru', 'lstm'];

function compare(
  mode: Mode,
  numLayers: number,
  bidirectional: boolean,
  dtype: 'float32' | 'float64',
  tol: number,
  layout: 'TNC' | 'NTC' = 'TNC',
) {
  const [T, N, C, H] = [5, 3, 7, 6];
  nd.random.seed(numLayers * 10 + (bidirectional ? 1 : 0));
  const layer = makeLayer(mode, H, { numLayers, bidirectional, layout, inputSize: C }, dtype);
  const X = nd.random.normal(0, 1, layout === 'TNC' ? [T, N, C] : [N, T, C], { dtype });
  const states = layer.beginState({ batchSize: N, dtype }).map((s) => nd.random.normal(0, 0.5, s.shape, { dtype }));
  const fused = run(layer, X, states, (x, s) => layer.forward(x, s));
  const ref = run(layer, X, states, (x, s) => {
    const [Y, S] = scratch(layer, layout === 'TNC' ? x : x.swapaxes(0, 1), s);
    return [layout === 'TNC' ? Y : Y.swapaxes(0, 1), S];
  });
  const what = `${mode} ${numLayers} layer(s)${bidirectional ? ' bidirectional' : ''} ${dtype} ${layout}`;
  assert.deepEqual(fused.Y.shape, ref.Y.shape);
  assertClose(fused.Y, ref.Y, tol, `${what}: output`);
  fused.S.forEach((s, i) => assertClose(s, ref.S[i], tol, `${what}: state ${i}`));
  fused.grads.forEach((g, i) => assertClose(g, ref.grads[i], tol, `${what}: gradient of ${i === 0 ? 'the input' : `state ${i - 1}`}`));
  fused.pgrads.forEach((g, i) => assertClose(g, ref.pgrads[i], tol, `${what}: gradient of ${fused.names[i]}`));
}

test('fused layers equal the scratch cells: values, states, all gradients (float64; every mode, 1-2 layers, bidirectional)', () => {
  for (const mode of MODES) for (const numLayers of [1, 2]) for (const bi of [false, true]) compare(mode, numLayers, bi, 'float64', 1e-10);
});

test('fused layers equal the scratch cells in float32, on every CPU kernel mode (ts, wasm, auto) and in layout NTC', () => {
  for (const k of ['ts', 'wasm', 'auto'] as const) {
    be.setKernels(k);
    for (const mode of MODES) compare(mode, 2, true, 'float32', 2e-4);
  }
  be.setKernels('auto');
  for (const mode of MODES) compare(mode, 1, true, 'float32', 2e-4, 'NTC');
});

/** Every tape node reachable from y, by op name. */
function tapeOps(y: NDArray): Map<string, number> {
  const counts = new Map<string, number>();
  const seen = new Set<NDArray>();
  const stack = [y];
  while (stack.length) {
    const a = stack.pop()!;
    const node = a._node;
    if (!node || seen.has(a)) continue;
    seen.add(a);
    counts.set(node.op, (counts.get(node.op) ?? 0) + 1);
    stack.push(...node.inputs);
  }
  return counts;
}

test('a 2-layer bidirectional GRU over 35 steps tapes 4 rnnSequence nodes and no per-step ops', () => {
  const layer = makeLayer('gru', 8, { numLayers: 2, bidirectional: true, inputSize: 5 }, 'float32');
  const X = nd.random.normal(0, 1, [35, 2, 5]);
  const Y = autograd.record(() => layer.forward(X));
  const ops = tapeOps(Y);
  assert.equal(ops.get('rnnSequence'), 4, JSON.stringify([...ops]));
  assert.equal(ops.get('dot') ?? 0, 0, 'no per-step products');
  const total = [...ops.values()].reduce((a, b) => a + b, 0);
  assert.ok(total < 20, `${total} nodes: ${JSON.stringify([...ops])}`);
});

test('rnnSequence matches finite differences in float64 (every mode, forward and reverse)', () => {
  const [T, N, C, H] = [4, 2, 3, 5];
  for (const mode of MODES)
    for (const reverse of [false, true]) {
      nd.random.seed(3);
      const G = mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1;
      const F = { dtype: 'float64' } as const;
      const x = nd.random.normal(0, 1, [T, N, C], F);
      const h0 = nd.random.normal(0, 0.5, [N, H], F);
      const c0 = mode === 'lstm' ? nd.random.normal(0, 0.5, [N, H], F) : null;
      const w = {
        i2hWeight: nd.random.normal(0, 0.5, [G * H, C], F),
        h2hWeight: nd.random.normal(0, 0.5, [G * H, H], F),
        i2hBias: nd.random.normal(0, 0.5, [G * H], F),
        h2hBias: nd.random.normal(0, 0.5, [G * H], F),
      };
      const params = [x, h0, ...(c0 ? [c0] : []), w.i2hWeight, w.h2hWeight, w.i2hBias, w.h2hBias];
      for (const p of params) p.attachGrad();
      const wy = nd.random.normal(0, 1, [T, N, H], F);
      const wh = nd.random.normal(0, 1, [N, H], F);
      const loss = () => {
        const r = rnnSequence(mode, x, h0, c0, w, { reverse });
        const l = r.output.mul(wy).sum().add(r.h.mul(wh).sum());
        return r.c ? l.add(r.c.square().sum()) : l;
      };
      // relu's kink: a sampled coordinate on it is vanishingly unlikely with these random values.
      checkGradients(params, loss, {
        samples: 5,
        tol: 1e-6,
        names: ['x', 'h0', ...(c0 ? ['c0'] : []), 'wx', 'wh', 'bx', 'bh'].map((n) => `${mode} ${n}`),
      });
    }
});

test('rnnSequence: the final states are views of the output (forward: the last step; reverse: step 0)', () => {
  const H = 4;
  const w = {
    i2hWeight: nd.random.normal(0, 1, [H, 3]),
    h2hWeight: nd.random.normal(0, 1, [H, H]),
    i2hBias: nd.zeros([H]),
    h2hBias: nd.zeros([H]),
  };
  const x = nd.random.normal(0, 1, [6, 2, 3]);
  const f = rnnSequence('rnn_tanh', x, nd.zeros([2, H]), null, w);
  assertClose(f.h, f.output.get(5), 0);
  const r = rnnSequence('rnn_tanh', x, nd.zeros([2, H]), null, w, { reverse: true });
  assertClose(r.h, r.output.get(0), 0);
  assert.equal(r.c, null);
  assert.ok(rnnSequenceSupported(x));
});

test('rnnSequence: bad inputs name the op, the shapes and what was expected; createGraph is refused', () => {
  const H = 4;
  const w = { i2hWeight: nd.zeros([4 * H, 3]), h2hWeight: nd.zeros([4 * H, H]), i2hBias: nd.zeros([4 * H]), h2hBias: nd.zeros([4 * H]) };
  const x = nd.zeros([5, 2, 3]);
  const h0 = nd.zeros([2, H]);
  assert.throws(() => rnnSequence('lstm', x, h0, null, w), /rnnSequence: mode 'lstm' needs the cell state c0/);
  assert.throws(() => rnnSequence('gru', x, h0, h0, w), /rnnSequence: mode 'gru' takes no cell state/);
  assert.throws(
    () => rnnSequence('lstm', x, h0, h0, { ...w, i2hWeight: nd.zeros([4 * H, 5]) }),
    /rnnSequence: i2h_weight has shape \(16, 5\), expected \(16, 3\)/,
  );
  assert.throws(() => rnnSequence('gru', x, h0, null, w), /rnnSequence: h2h_weight has shape \(16, 4\), expected \(12, 4\)/);
  assert.throws(() => rnnSequence('lstm', x, nd.zeros([3, H]), h0, w), /rnnSequence: h0 has shape \(3, 4\), expected \(2, 4\)/);
  assert.throws(
    () => rnnSequence('lstm', x, h0, h0, { ...w, h2hWeight: nd.zeros([16]) }),
    /rnnSequence: h2h_weight must have shape \(4·H, H\) for mode 'lstm', got \(16,\)/,
  );
  assert.throws(() => rnnSequence('lstm', x.reshape([10, 3]), h0, h0, w), /rnnSequence: expected x of shape \(T, N, C\), got \(10, 3\)/);
  assert.throws(() => rnnSequence('lstm', nd.zeros([0, 2, 3]), h0, h0, w), /at least one step/);
  assert.throws(
    () => rnnSequence('lstm', x.astype('float64'), h0, h0, w),
    /rnnSequence: every array must be float64 like the input, got float32/,
  );
  assert.throws(() => rnnSequence('lstm', x.astype('int32'), h0, h0, w), /rnnSequence: expected a float32 or float64 input, got int32/);
  assert.throws(() => rnnSequence('tanh' as Mode, x, h0, null, w), /rnnSequence: mode must be one of/);
  assert.throws(() => rnnSequence('lstm', x, h0, h0, w, { reverse: 1 as unknown as boolean }), /reverse must be true or false/);
  const xs = x.copy();
  xs.attachGrad();
  const y = autograd.record(() => rnnSequence('lstm', xs, h0, h0, w).output.sum());
  assert.throws(() => autograd.grad([y], [xs], { createGraph: true, retainGraph: true }), /rnnSequence: .*first-order gradient only/);
  y.backward();
  assert.deepEqual(xs.grad.shape, [5, 2, 3]);
});

test('fused layers: training steps leave no arrays behind; a recorded forward never backpropagated frees its saved buffers with the graph', async () => {
  const layer = makeLayer('lstm', 8, { numLayers: 2, inputSize: 6 }, 'float32');
  const X = nd.random.normal(0, 1, [10, 4, 6]);
  const step = () =>
    nd.tidy(() => {
      const l = autograd.record(() => layer.forward(X).square().sum());
      l.backward();
    });
  step();
  const before = (await settledMemory()).arrays;
  for (let i = 0; i < 5; i++) step();
  assert.equal(nd.memory().arrays, before, 'a backpropagated step frees everything at once');
  for (let i = 0; i < 3; i++) nd.tidy(() => void autograd.record(() => layer.forward(X)));
  assert.equal((await settledMemory()).arrays, before, 'the tape saved handles go with the collected graph');
});

test('the step-by-step path (a backend without the fused kernels) gives the fused values and gradients', () => {
  const [T, N, C, H] = [4, 2, 3, 5];
  for (const mode of MODES) {
    nd.random.seed(5);
    const layer = makeLayer(mode, H, { numLayers: 2, bidirectional: true, inputSize: C }, 'float64');
    const X = nd.random.normal(0, 1, [T, N, C], { dtype: 'float64' });
    const states = layer.beginState({ batchSize: N, dtype: 'float64' }).map((s) => nd.random.normal(0, 0.5, s.shape, { dtype: 'float64' }));
    const fused = run(layer, X, states, (x, s) => layer.forward(x, s));
    // Shadow the CPU backend's fused kernels: the layer then runs its per-step path.
    const shadow = be as unknown as { rnnStep?: unknown };
    shadow.rnnStep = undefined;
    let steps: ReturnType<typeof run>;
    try {
      assert.equal(rnnSequenceSupported(X), false);
      steps = run(layer, X, states, (x, s) => layer.forward(x, s));
      assert.equal(tapeOps(autograd.record(() => layer.forward(X))).get('rnnSequence') ?? 0, 0, 'no fused node on the step path');
    } finally {
      delete shadow.rnnStep;
    }
    assert.ok(rnnSequenceSupported(X));
    assertClose(fused.Y, steps.Y, 1e-12, `${mode}: output`);
    fused.S.forEach((s, i) => assertClose(s, steps.S[i], 1e-12, `${mode}: state ${i}`));
    [...fused.grads, ...fused.pgrads].forEach((g, i) =>
      assertClose(g, [...steps.grads, ...steps.pgrads][i], 1e-10, `${mode}: gradient ${i}`),
    );
  }
});

test('fused layers: a float64 input to float32 parameters is refused naming rnnSequence and the dtypes', () => {
  const layer = makeLayer('gru', 4, { inputSize: 3 }, 'float32');
  assert.throws(
    () => layer.forward(nd.zeros([2, 1, 3], { dtype: 'float64' })),
    /rnnSequence: every array must be float64 like the input, got float32 of shape \(12, 3\)/,
  );
});

test('fused layers: a second backward pass through a retained graph gives the same gradients (the saved buffers are not overwritten)', () => {
  for (const mode of MODES) {
    const layer = makeLayer(mode, 5, { numLayers: 2, bidirectional: true, inputSize: 3 }, 'float64');
    const X = nd.random.normal(0, 1, [4, 2, 3], { dtype: 'float64' });
    X.attachGrad();
    const l = autograd.record(() => layer.forward(X).square().sum());
    l.backward(null, { retainGraph: true });
    const first = [X.grad.copy(), ...[...layer.collectParams().values()].map((p) => p.grad().copy())];
    l.backward();
    const second = [X.grad, ...[...layer.collectParams().values()].map((p) => p.grad())];
    first.forEach((g, i) => assertClose(second[i], g, 0, `${mode}: gradient ${i}`));
  }
});
