// The fused recurrent layers on gpu(0) (WebGPU; lavapipe in CI): rnn.RNN/GRU/LSTM, 2 layers,
// bidirectional, run as rnnSequence with the WGSL step kernels, against the same layers on the
// CPU: outputs, final states and the gradients of the input, the states and every parameter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, gluon, init, type NDArray, type Context } from '../../src/index.js';
import { rnnSequenceSupported } from '../../src/ops/rnn.js';
import { useGpu, gpuAvailable, G, assertNear } from './setup.js';

useGpu();
const { rnn } = gluon;
type Mode = gluon.rnn.RnnMode;

function layerOf(mode: Mode, H: number, C: number): gluon.rnn.RecurrentLayer {
  const opts = { numLayers: 2, bidirectional: true, inputSize: C };
  return mode === 'rnn_tanh' || mode === 'rnn_relu'
    ? new rnn.RNN(H, { activation: mode === 'rnn_tanh' ? 'tanh' : 'relu', ...opts })
    : mode === 'gru'
      ? new rnn.GRU(H, opts)
      : new rnn.LSTM(H, opts);
}

/** Output, states and gradients (weighted sums, so every element counts) of one layer on ctx, read back to the host. */
async function runOn(mode: Mode, ctx: Context): Promise<Float32Array[]> {
  const [T, N, C, H] = [6, 3, 5, 7];
  nd.random.seed(21);
  const layer = layerOf(mode, H, C);
  layer.initialize(new init.Normal(0.4), { ctx });
  const X = nd.random.normal(0, 1, [T, N, C]).copyto(ctx);
  const states = layer.beginState({ batchSize: N }).map((s) => nd.random.normal(0, 0.5, s.shape).copyto(ctx));
  for (const a of [X, ...states]) a.attachGrad();
  const wY = nd.random.normal(0, 1, [T, N, 2 * H]).copyto(ctx);
  const wS = states.map((s) => nd.random.normal(0, 1, s.shape).copyto(ctx));
  if (String(ctx) !== String(nd.cpu())) assert.ok(rnnSequenceSupported(X), 'the WebGPU backend has the fused step kernels');
  const [Y, S] = autograd.record(() => {
    const [Y, S] = layer.forward(X, states);
    S.reduce((acc, s, i) => acc.add(s.mul(wS[i]).sum()), Y.mul(wY).sum()).backward();
    return [Y, S] as [NDArray, NDArray[]];
  });
  const arrays = [Y, ...S, X.grad, ...states.map((s) => s.grad), ...[...layer.collectParams().values()].map((p) => p.grad())];
  const out: Float32Array[] = [];
  for (const a of arrays) out.push((await a.data()) as Float32Array);
  return out;
}

test('fused RNN (tanh, relu), GRU and LSTM layers on gpu(0), 2 layers bidirectional: values, states and all gradients as on the CPU', async (t) => {
  if (!gpuAvailable(t)) return;
  for (const mode of ['rnn_tanh', 'rnn_relu', 'gru', 'lstm'] as Mode[]) {
    const gpu = await runOn(mode, G());
    const cpu = await runOn(mode, nd.cpu());
    assert.equal(gpu.length, cpu.length);
    gpu.forEach((v, i) => assertNear(v, cpu[i], 2e-4, `${mode}: array ${i}`));
  }
});

test('the fused GRU layer on gpu(0) tapes one rnnSequence node per layer and direction', async (t) => {
  if (!gpuAvailable(t)) return;
  const layer = new rnn.GRU(4, { numLayers: 2, bidirectional: true, inputSize: 3 });
  layer.initialize(new init.Normal(0.4), { ctx: G() });
  const X = nd.random.normal(0, 1, [20, 2, 3]).copyto(G());
  const Y = autograd.record(() => layer.forward(X));
  const seen = new Set<NDArray>();
  const stack = [Y];
  let fused = 0;
  while (stack.length) {
    const a = stack.pop()!;
    if (!a._node || seen.has(a)) continue;
    seen.add(a);
    if (a._node.op === 'rnnSequence') fused++;
    stack.push(...a._node.inputs);
  }
  assert.equal(fused, 4);
  assert.deepEqual(Y.shape, [20, 2, 8]);
});
